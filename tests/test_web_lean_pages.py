"""Pages that show names read them for what they show, never by decoding the whole catalogue (10,000
innovations are tens of megabytes in the server), and deciding on an innovation plans that innovation at once:
its posts are in the queue and the calendar when the agency head looks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from outreach.model import CatalogueEntry, PostState
from outreach.store import Store
from tests.test_web_innovations import AKTA, decide
from tests.test_web_replies import add_reply, page_text
from tests.web_helpers import DINKES, DUKCAPIL, KTP, POSYANDU, Office, signed_in_client


@pytest.fixture
def whole_catalogue_reads(office: Office, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """Every read of the whole catalogue (``Store.catalogue()`` without ids) from here on."""
    store: Store = office.workspace.store
    reads: list[None] = []
    original = store.catalogue

    def counted(ids: Iterable[str] | None = None) -> list[CatalogueEntry]:
        if ids is None:
            reads.append(None)
        return original(ids)

    monkeypatch.setattr(store, "catalogue", counted)
    return reads


def test_the_replies_show_each_innovations_name_and_agency_without_the_catalogue(
    office: Office, whole_catalogue_reads: list[None]
) -> None:
    add_reply(office, KTP, "syaratnya apa?")
    add_reply(office, POSYANDU, "jadwalnya kapan?", minutes=1)
    text = page_text(signed_in_client(office, "editor"))
    names = {entry.innovation.id: entry.innovation.nama for entry in office.workspace.store.catalogue([KTP, POSYANDU])}
    assert names[KTP] in text and names[POSYANDU] in text and DUKCAPIL in text and DINKES in text
    by_agency = page_text(signed_in_client(office, "admin"), f"/balasan?dinas={DINKES}")
    assert "jadwalnya kapan?" in by_agency and "syaratnya apa?" not in by_agency
    own = page_text(signed_in_client(office, "kadis-dukcapil"))
    assert "syaratnya apa?" in own and "jadwalnya kapan?" not in own
    assert whole_catalogue_reads == []


def test_the_users_page_lists_the_agencies_without_the_catalogue(
    office: Office, whole_catalogue_reads: list[None]
) -> None:
    text = page_text(signed_in_client(office, "admin"), "/pengguna")
    assert DUKCAPIL in text and DINKES in text
    assert whole_catalogue_reads == []


def test_an_approval_is_in_the_queue_and_the_calendar_at_once_without_the_catalogue(
    office: Office, whole_catalogue_reads: list[None]
) -> None:
    client = signed_in_client(office, "kadis-dukcapil")
    assert decide(client, AKTA, "approved").status_code == 303
    store = office.workspace.store
    planned = [post for post in store.posts([PostState.PLANNED]) if post.innovation_id == AKTA]
    assert planned
    assert whole_catalogue_reads == [], "a decision plans its innovation alone"
    name = store.innovation_labels([AKTA])[AKTA][0]
    editor = signed_in_client(office, "editor")
    first: Any = planned[0].scheduled_at.astimezone(office.workspace.zone)
    queue = page_text(editor, f"/antrean?agency={DUKCAPIL}")
    calendar = page_text(editor, f"/kalender?bulan={first:%Y-%m}")
    assert name in queue and name in calendar
