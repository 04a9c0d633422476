"""Inovasi over HTTP: the catalogue an agency head sees, an innovation's page with its cards, and deciding
on it — only on one's own agency's innovations, with a reason to reject, stored with the user's name."""

from __future__ import annotations

import re

from click.testing import CliRunner
from flask.testing import FlaskClient

from outreach.cli import cli
from outreach.model import PostState, Status
from tests.browser import PHONE, Browser
from tests.web_helpers import (
    DINKES,
    DUKCAPIL,
    KTP,
    PASSWORD,
    POSYANDU,
    Office,
    csrf_of,
    signed_in_client,
    sqlite_plans,
)

DESKTOP = {"width": 1280, "height": 900}

AKTA = "akta-kilat"


def listed_ids(client: FlaskClient, query: str = "") -> list[str]:
    page = client.get("/inovasi" + query)
    assert page.status_code == 200
    return re.findall(r'href="/inovasi/([^"?/]+)"', page.get_data(as_text=True))


def decide(client: FlaskClient, innovation_id: str, decision: str, reason: str = "", via: str | None = None) -> object:
    """Post the decision form of ``via``'s page (the innovation's own by default), as a browser does."""
    form = client.get(f"/inovasi/{via or KTP}" if via else f"/inovasi/{innovation_id}")
    return client.post(
        f"/inovasi/{innovation_id}/putuskan",
        data={"csrf_token": csrf_of(form), "keputusan": decision, "alasan": reason},
    )


def status_of(office: Office, innovation_id: str) -> Status:
    return office.workspace.planning.entry(innovation_id).status


def test_an_approver_sees_only_their_agency_with_each_status_in_words(office: Office) -> None:
    client = signed_in_client(office, "kadis-dukcapil")
    assert sorted(listed_ids(client)) == [AKTA, KTP]
    text = client.get("/inovasi").get_data(as_text=True)
    assert "draft" in text and "approved" in text and DUKCAPIL in text
    assert sorted(listed_ids(client, f"?opd={DINKES}")) == [AKTA, KTP]  # the agency cannot be changed
    assert client.get(f"/inovasi/{POSYANDU}").status_code == 404  # not even told it exists
    assert client.get(f"/inovasi/{KTP}").status_code == 200
    assert client.get("/inovasi/tidak-ada").status_code == 404
    admin = signed_in_client(office, "admin")
    assert sorted(listed_ids(admin)) == [AKTA, KTP, POSYANDU]


def test_search_and_filters_narrow_the_list(office: Office) -> None:
    client = signed_in_client(office, "editor")
    assert listed_ids(client, "?cari=KILAT") == [AKTA]
    assert listed_ids(client, "?cari=kel") == [POSYANDU]
    assert listed_ids(client, "?status=draft") == [AKTA]
    assert sorted(listed_ids(client, "?status=approved")) == [KTP, POSYANDU]
    assert listed_ids(client, f"?opd={DINKES.upper()}") == [POSYANDU]
    assert listed_ids(client, "?cari=%25") == []  # a % is looked for, not a wildcard
    assert "0 innovations found" in client.get("/inovasi?status=retired").get_data(as_text=True)


def test_an_approver_rejects_only_with_a_reason_and_nothing_changes_without_one(office: Office) -> None:
    client = signed_in_client(office, "kadis-dukcapil")
    before = office.workspace.store.decisions_of(AKTA)
    refused = decide(client, AKTA, "rejected", "   ")
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert len(re.findall(r'class="problem" role="alert"', text)) == 1
    assert "Write why you reject it" in text
    assert office.workspace.store.decisions_of(AKTA) == before and status_of(office, AKTA) is Status.DRAFT
    rejected = decide(client, AKTA, "rejected", "Belum siap <script>alert(1)</script>")
    assert rejected.status_code == 303 and rejected.headers["Location"].startswith(f"/inovasi/{AKTA}?hasil=rejected")
    assert status_of(office, AKTA) is Status.REJECTED
    last = office.workspace.store.decisions_of(AKTA)[-1]
    assert (last["decision"], last["decided_by"], last["reason"]) == (
        "rejected",
        "kadis-dukcapil",
        "Belum siap <script>alert(1)</script>",
    )
    page = client.get(rejected.headers["Location"]).get_data(as_text=True)
    assert "You rejected this innovation" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def test_approving_plans_the_posts_and_the_cli_shows_who_approved(office: Office) -> None:
    store = office.workspace.store
    assert not [post for post in store.posts() if post.innovation_id == AKTA]
    client = signed_in_client(office, "kadis-dukcapil")
    page = client.get(f"/inovasi/{AKTA}").get_data(as_text=True)
    assert "How its posts will look" in page and page.count('class="pv"') >= 2  # cards before approving
    approved = decide(client, AKTA, "approved")
    assert approved.status_code == 303
    assert status_of(office, AKTA) is Status.APPROVED
    assert store.decisions_of(AKTA)[-1]["decided_by"] == "kadis-dukcapil"
    planned = [post for post in store.posts([PostState.PLANNED]) if post.innovation_id == AKTA]
    assert planned, "approving from the page plans the innovation's posts, as `outreach plan` does"
    shown = client.get(approved.headers["Location"]).get_data(as_text=True)
    assert "You approved this innovation" in shown and "Its next posts" in shown and "kadis-dukcapil" in shown
    office.workspace.close()
    result = CliRunner().invoke(cli, ["--config", str(office.config), "catalogue", "show", AKTA])
    assert result.exit_code == 0, result.output
    assert re.search(r"approved by kadis-dukcapil \(current\)", result.output), result.output


def test_another_agency_and_other_roles_cannot_decide(office: Office) -> None:
    store = office.workspace.store
    dinkes = signed_in_client(office, "kadis-dinkes")
    assert decide(dinkes, AKTA, "approved", via=POSYANDU).status_code == 403
    assert decide(dinkes, KTP, "rejected", "tidak", via=POSYANDU).status_code == 403
    for name in ("editor", "admin"):
        client = signed_in_client(office, name)
        page = client.get(f"/inovasi/{AKTA}").get_data(as_text=True)
        assert 'name="keputusan"' not in page  # no buttons it may not use
        assert decide(client, AKTA, "approved").status_code == 403
    assert status_of(office, AKTA) is Status.DRAFT and store.decisions_of(AKTA) == []
    assert status_of(office, KTP) is Status.APPROVED
    assert office.app.test_client().post(f"/inovasi/{AKTA}/putuskan").status_code == 400  # no CSRF token


def test_an_innovations_page_shows_its_fields_decisions_and_next_posts(office: Office) -> None:
    client = signed_in_client(office, "editor")
    page = client.get(f"/inovasi/{KTP}").get_data(as_text=True)
    assert "Ktp Sehari Jadi" in page and "Kantor kelurahan di Bandar Lampung" in page
    assert "Rina Kusuma (Diskominfo)" in page  # the sign-off from the spreadsheet
    assert "Its next posts" in page and 'class="shape shape-facebook"' in page
    css = client.get("/gaya/preview_cards.css")
    assert css.status_code == 200 and css.mimetype == "text/css" and ".shape-facebook" in css.get_data(as_text=True)
    assert client.get("/gaya/base.css").status_code == 404  # only the stylesheets pages share


def test_the_store_pages_the_catalogue_with_the_same_status_as_the_catalogue(office: Office) -> None:
    from dataclasses import replace

    from outreach.model import Innovation

    store = office.workspace.store
    now = office.workspace.now()
    many = [
        Innovation(f"inovasi-{index:03}", f"Inovasi {index:03}", DINKES, "Ringkas.", "Manfaat.", "Cara.")
        for index in range(120)
    ]
    store.import_innovations([(innovation, "test", None) for innovation in many], now)
    store.decide([KTP], "approved", "kadis-dukcapil", now)
    changed = replace(store.catalogue([KTP])[0].innovation, ringkasan="Isi yang berubah.")
    store.import_innovations([(changed, "test", None)], now)  # approved once, changed since
    store.decide(["inovasi-001"], "rejected", "kadis-dinkes", now, "belum")
    store.retire("inovasi-002", "admin", now)
    store.decide(["inovasi-003"], "approved", "kadis-dinkes", now)
    expected = {entry.innovation.id: entry.status for entry in store.catalogue()}
    assert {Status.DRAFT, Status.APPROVED, Status.CHANGED, Status.REJECTED, Status.RETIRED} == set(expected.values())
    for status in Status:
        entries, total = store.catalogue_page(status=status, limit=1000)
        wanted = sorted(key for key, value in expected.items() if value is status)
        assert sorted(entry.innovation.id for entry in entries) == wanted and total == len(wanted), status
        assert all(entry.status is status for entry in entries)
    first, total = store.catalogue_page(agency=DINKES.lower(), limit=50)
    second, _ = store.catalogue_page(agency=DINKES, limit=50, offset=50)
    last, _ = store.catalogue_page(agency=DINKES, limit=50, offset=100)
    names = [entry.innovation.nama for entry in first + second + last]
    assert total == 121 and len(first) == len(second) == 50 and len(last) == 21
    assert names == sorted(names, key=str.lower) and len(set(names)) == 121  # by name, none twice, none lost
    assert store.catalogue_page(search="inovasi 11", limit=50)[1] == 10
    assert store.agencies() == [DUKCAPIL, DINKES]
    client = signed_in_client(office, "admin")
    text = client.get(f"/inovasi?opd={DINKES}&halaman=3").get_data(as_text=True)
    assert "Page 3 of 3" in text and 'rel="prev"' in text and 'rel="next"' not in text
    assert "changed since approval" in client.get("/inovasi?status=changed").get_data(as_text=True)


def test_the_catalogue_pages_read_names_and_agencies_from_indexes(office: Office) -> None:
    """With 10,000 innovations a page must not read every innovation's JSON to order or filter them: the
    statements the store really runs for the list are planned on the name and agency indexes (migration 11)."""
    store = office.workspace.store
    plans = [
        plan
        for sql, plan in sqlite_plans(
            store, lambda: (store.catalogue_page(limit=50, offset=50), store.catalogue_page(agency=DINKES))
        )
        if "LIMIT" in sql or "count(" in sql
    ]
    assert len(plans) == 4, plans  # each page: its count, then its ids
    page_ids, agency_count, agency_ids = plans[1], plans[2], plans[3]
    assert "innovations_name" in page_ids and "TEMP B-TREE" not in page_ids, page_ids
    assert "innovations_agency" in agency_count and "innovations_agency" in agency_ids, (agency_count, agency_ids)


def test_an_innovations_next_posts_are_read_soonest_first_and_bounded(office: Office) -> None:
    store = office.workspace.store
    now = office.workspace.now()
    coming = store.innovation_posts(KTP, now, 3)
    everything = [post for post in store.posts() if post.innovation_id == KTP and post.scheduled_at >= now]
    assert len(everything) > 3 and [post.id for post in coming] == [post.id for post in everything[:3]]
    assert store.innovation_posts("tidak-ada", now, 3) == []


def test_an_agency_head_approves_in_chromium_and_finds_it_in_the_calendar(live_office: str, browser: Browser) -> None:
    """In Indonesian, as the agency head reads it: sign in, look at `akta-kilat`'s cards, approve it, open Kalender;
    at a desktop's width, then the same pages at a phone's."""
    from outreach import i18n

    i18n.set_language("id")
    try:
        opened = browser.visit(f"{live_office}/masuk?next=/inovasi", DESKTOP)
        page = opened.page
        page.fill("#name", "kadis-dukcapil")
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_office}/inovasi")
        assert "Akta Kilat" in opened.text() and "Posyandu" not in opened.text()  # another agency's: not listed
        opened.screenshot("web-inovasi-daftar-desktop")
        page.click("text=Akta Kilat")
        page.wait_for_url(f"{live_office}/inovasi/{AKTA}")
        assert "Contoh tampilan unggahannya" in opened.text() and page.locator(".pv .shape").count() >= 2
        opened.screenshot(f"web-inovasi-{AKTA}-desktop")
        page.click("button:has-text('Setujui')")
        page.wait_for_url(re.compile(rf".*/inovasi/{AKTA}\?hasil=approved.*"))
        assert "Anda sudah menyetujui inovasi ini" in opened.text() and "kadis-dukcapil" in opened.text()
        assert "Unggahan berikutnya" in opened.text()
        opened.screenshot(f"web-inovasi-{AKTA}-disetujui-desktop")
        page.click("nav >> text=Kalender")
        page.wait_for_url(f"{live_office}/kalender")
        assert "Akta Kilat" in page.inner_text(".cal-grid")
        assert page.eval_on_selector(".cal-slot", "e => getComputedStyle(e).borderTopStyle") == "solid"  # its CSS
        opened.screenshot("web-kalender-desktop")
        cookies = page.context.cookies()
        phone = browser.visit(f"{live_office}/masuk", PHONE)
        phone.page.context.add_cookies(cookies)
        for path, name in (
            (f"/inovasi/{AKTA}", f"web-inovasi-{AKTA}-disetujui-phone"),
            ("/kalender", "web-kalender-phone"),
        ):
            phone.page.goto(live_office + path)
            phone.page.wait_for_load_state("load")
            assert "Akta Kilat" in phone.text()
            phone.screenshot(name)
        for each in (opened, phone):
            assert each.console_errors == [] and each.outside_requests == []
    finally:
        i18n.set_language("en")


def test_markup_in_an_innovation_is_shown_as_text(office: Office) -> None:
    from outreach.model import Innovation

    hostile = Innovation(
        "inovasi-jahat", '<img src=x onerror="alert(1)">Jahat', DINKES, "<b>Ringkas</b>", "Manfaat.", "Cara."
    )
    office.workspace.store.import_innovations([(hostile, "test", None)], office.workspace.now())
    client = signed_in_client(office, "admin")
    for path in ("/inovasi", "/inovasi/inovasi-jahat"):
        text = client.get(path).get_data(as_text=True)
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Jahat" in text and "<img src=x" not in text, path
    assert "&lt;b&gt;Ringkas&lt;/b&gt;" in client.get("/inovasi/inovasi-jahat").get_data(as_text=True)


def test_rejecting_an_approved_innovation_cancels_its_planned_posts_at_once(office: Office) -> None:
    store = office.workspace.store
    now = office.workspace.now()
    planned = [post.id for post in store.posts([PostState.PLANNED], now) if post.innovation_id == KTP]
    assert planned
    client = signed_in_client(office, "kadis-dukcapil")
    answer = decide(client, KTP, "rejected", "Layanan dihentikan sementara")
    assert answer.status_code == 303 and f"jumlah={len(planned)}" in answer.headers["Location"]
    assert {post.state for post in store.posts(ids=planned)} == {PostState.CANCELLED}
    assert f"Its planned posts were cancelled: {len(planned)}" in client.get(answer.headers["Location"]).get_data(
        as_text=True
    )
