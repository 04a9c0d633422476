"""A post's page over HTTP (Flask's test client): what it shows, each action's effect in the store with the
signed-in user as the actor of its event, who may act, mistakes answered with the form and one message (nothing
changed), and the live counter's endpoint, whose numbers are the renderer's own."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from outreach.model import Post, PostState
from outreach.outbox import Operation
from tests.browser import PHONE, Browser
from tests.engine_helpers import at, claim_as_a_dead_worker, settle_as
from tests.web_helpers import DUKCAPIL, NOW, PASSWORD, Office, csrf_of, later, signed_in_client

MOMENT = at(2026, 12, 7, 2)
#: A desktop screen.
WIDE = {"width": 1280, "height": 900}


def act(client: FlaskClient, post_id: int, action: str, **form: str) -> TestResponse:
    """Post one of the page's forms, with the CSRF token the page gave."""
    token = csrf_of(client.get(f"/antrean/{post_id}"))
    return client.post(f"/antrean/{post_id}/{action}", data={"csrf_token": token, **form})


def alerts(page: TestResponse) -> list[str]:
    found = re.findall(r'<p class="problem" role="alert">([^<]*)</p>', page.get_data(as_text=True))
    return [html.unescape(text) for text in found]


def last_event(office: Office, post_id: int) -> tuple[str | None, str | None, str, str | None]:
    event = office.workspace.store.events(post_id)[-1]
    return event.operation, event.from_state, event.to_state, event.actor


def test_the_page_shows_the_post_and_its_events(office: Office) -> None:
    store = office.workspace.store
    settle_as(store, 2, PostState.PUBLISHED, MOMENT, "ok", remote_id="r2", remote_url="https://x.com/kota/status/2")
    page = signed_in_client(office, "kadis-dukcapil").get("/antrean/2").get_data(as_text=True)
    post = store.post(2)
    assert "Ktp Sehari Jadi" in page and DUKCAPIL in page and "x (X)" in page
    assert "Monday, 7 December 2026, 09:00 WIB" in page
    assert 'href="https://x.com/kota/status/2"' in page and "published" in page
    assert post.text and post.text.split("\n")[0] in page
    history = page[page.index('id="riwayat"') :]
    assert history.count("<tr>") == len(store.events(2)) + 1 == 4  # header + planned, claimed, published
    assert "planned → publishing" in history and "publishing → published" in history
    assert "<form" not in page[page.index('id="teks"') :]  # an approver acts on no post


def test_editing_the_text_saves_it_with_the_editor_as_actor(office: Office) -> None:
    client = signed_in_client(office, "editor")
    new = "Layanan KTP sehari jadi kini buka juga hari Sabtu. Datang saja ke kantor kecamatan."
    answer = act(client, 2, "ubah", text=new, reason="Jam layanan berubah")
    assert answer.status_code == 303 and answer.headers["Location"] == "/antrean/2?selesai=edited"
    assert office.workspace.store.post(2).text == new
    assert last_event(office, 2) == (Operation.EDIT.value, "planned", "planned", "editor")
    assert "Jam layanan berubah" in (office.workspace.store.events(2)[-1].reason or "")
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "The new text is saved" in shown and new in shown


def test_a_browsers_line_breaks_are_kept_as_the_renderer_writes_them(office: Office) -> None:
    client = signed_in_client(office, "editor")
    typed = "Layanan KTP kini buka hari Sabtu.\r\nDatang saja ke kantor kecamatan."
    assert check(client, 2, typed)["length"] == len(typed) - 1  # CRLF, as browsers send it, is one line feed
    assert act(client, 2, "ubah", text=typed, reason="Jam layanan").status_code == 303
    assert office.workspace.store.post(2).text == typed.replace("\r\n", "\n")


def test_editing_mistakes_answer_with_the_form_and_change_nothing(office: Office) -> None:
    client = signed_in_client(office, "editor")
    before = office.workspace.store.post(2)
    too_long = "Warga bisa mengurus KTP dengan cepat. " * 10
    for text, message in (
        ("   ", "the text is empty"),
        (too_long, "the text is too long for channel x"),
        (before.text or "", "the text is unchanged"),
    ):
        page = act(client, 2, "ubah", text=text, reason="coba")
        assert page.status_code == 400 and len(alerts(page)) == 1 and message in alerts(page)[0], message
        assert "<textarea" in page.get_data(as_text=True)
    page = act(client, 2, "ubah", text=too_long, reason="coba")
    assert too_long.strip() in page.get_data(as_text=True)  # what was typed is kept
    assert office.workspace.store.post(2) == before and len(office.workspace.store.events(2)) == 1


def test_cancel_with_a_reason(office: Office) -> None:
    client = signed_in_client(office, "editor")
    answer = act(client, 3, "batal", reason="Acara ditunda")
    assert answer.status_code == 303
    post = office.workspace.store.post(3)
    assert post.state == PostState.CANCELLED and "Acara ditunda" in (post.reason or "")
    assert last_event(office, 3) == (Operation.CANCEL.value, "planned", "cancelled", "editor")


def test_retry_a_failed_post(office: Office) -> None:
    settle_as(office.workspace.store, 1, PostState.FAILED, MOMENT, "rejected")
    client = signed_in_client(office, "admin")
    assert act(client, 1, "ulang").status_code == 303
    post = office.workspace.store.post(1)
    assert post.state == PostState.PLANNED and post.attempts == 0 and post.due_at == NOW
    assert last_event(office, 1) == (Operation.RETRY.value, "failed", "planned", "admin")


def test_resolve_an_unknown_post_either_way(office: Office) -> None:
    store = office.workspace.store
    settle_as(store, 1, PostState.UNKNOWN, MOMENT, "timeout")
    settle_as(store, 2, PostState.UNKNOWN, MOMENT, "timeout")
    client = signed_in_client(office, "editor")
    page = client.get("/antrean/1").get_data(as_text=True)
    assert "It went out" in page and "It did not go out" in page
    wrong = act(client, 1, "selesaikan", outcome="published", url="javascript:alert(1)")
    assert wrong.status_code == 400 and "give the post's web address" in alerts(wrong)[0]
    assert store.post(1).state == PostState.UNKNOWN
    url = "https://www.facebook.com/kota/posts/1"
    assert act(client, 1, "selesaikan", outcome="published", url=url).status_code == 303
    assert store.post(1).state == PostState.PUBLISHED and store.post(1).remote_url == url
    assert last_event(office, 1) == (Operation.RESOLVE_PUBLISHED.value, "unknown", "published", "editor")
    assert act(client, 2, "selesaikan", outcome="not_published").status_code == 303
    assert store.post(2).state == PostState.FAILED
    assert last_event(office, 2) == (Operation.RESOLVE_UNPUBLISHED.value, "unknown", "failed", "editor")


def test_confirm_a_hand_off_with_its_groups(office: Office) -> None:
    store = office.workspace.store
    settle_as(store, 1, PostState.HANDED_OFF, MOMENT, "staff send it", remote_id="wa-1")
    client = signed_in_client(office, "editor")
    bad = act(client, 1, "konfirmasi", url="", groups="banyak")
    assert bad.status_code == 400 and "whole number" in alerts(bad)[0] and store.post(1).state == PostState.HANDED_OFF
    answer = act(client, 1, "konfirmasi", url="https://whatsapp.com/channel/abc", groups="14")
    assert answer.status_code == 303
    post = store.post(1)
    assert post.state == PostState.PUBLISHED and post.remote_url == "https://whatsapp.com/channel/abc"
    assert last_event(office, 1) == (Operation.CONFIRM.value, "handed_off", "published", "editor")
    assert [reading.counts for reading in store.readings([1])] == [{"forwards": 14}]


ACTIONS: list[tuple[str, dict[str, str]]] = [
    ("ubah", {"text": "Teks baru yang jelas untuk warga.", "reason": "x"}),
    ("batal", {"reason": "x"}),
    ("ulang", {}),
    ("selesaikan", {"outcome": "not_published"}),
    ("konfirmasi", {}),
    ("periksa", {"text": "Teks"}),
]


@pytest.mark.parametrize(("action", "form"), ACTIONS, ids=[name for name, _form in ACTIONS])
def test_an_approver_may_do_none_of_the_actions(office: Office, action: str, form: dict[str, str]) -> None:
    client = signed_in_client(office, "kadis-dukcapil")
    before = office.workspace.store.post(1)
    answer = act(client, 1, action, **form)
    assert answer.status_code == 403
    assert office.workspace.store.post(1) == before and len(office.workspace.store.events(1)) == 1


@pytest.mark.parametrize(
    ("state", "action", "form"),
    [
        (PostState.PLANNED, "ulang", {}),
        (PostState.PLANNED, "konfirmasi", {}),
        (PostState.PUBLISHED, "batal", {"reason": "x"}),
        (PostState.FAILED, "ubah", {"text": "Teks baru yang jelas untuk warga.", "reason": "x"}),
        (PostState.FAILED, "selesaikan", {"outcome": "not_published"}),
    ],
)
def test_an_action_the_state_does_not_allow_is_refused(
    office: Office, state: PostState, action: str, form: dict[str, str]
) -> None:
    store = office.workspace.store
    if state != PostState.PLANNED:
        settle_as(store, 1, state, MOMENT, "done", **({"remote_id": "r1"} if state == PostState.PUBLISHED else {}))
    before, events = store.post(1), len(store.events(1))
    page = act(signed_in_client(office, "editor"), 1, action, **form)
    assert page.status_code == 400 and len(alerts(page)) == 1 and "works only for" in alerts(page)[0]
    assert store.post(1) == before and len(store.events(1)) == events


def test_the_page_offers_only_what_the_state_allows(office: Office) -> None:
    store = office.workspace.store
    settle_as(store, 1, PostState.FAILED, MOMENT, "rejected")
    client = signed_in_client(office, "editor")
    forms: Callable[[int], set[str]] = lambda post_id: set(  # noqa: E731
        re.findall(r'(?<!form)action="/antrean/\d+/(\w+)"', client.get(f"/antrean/{post_id}").get_data(as_text=True))
    )
    assert forms(1) == {"ulang", "batal"}
    assert forms(2) == {"ubah", "batal"}
    settle_as(store, 3, PostState.PUBLISHED, MOMENT, "ok", remote_id="r3")
    assert forms(3) == set()


# ---- the live counter --------------------------------------------------------------------------------


def check(client: FlaskClient, post_id: int, text: str) -> dict[str, object]:
    token = csrf_of(client.get(f"/antrean/{post_id}"))
    answer = client.post(
        f"/antrean/{post_id}/periksa", data={"csrf_token": token, "text": text}, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200 and answer.is_json
    found: dict[str, object] = answer.get_json()
    return found


def rendered(office: Office, post: Post) -> tuple[int, int]:
    """The renderer's own length and limit of ``post`` (a draft of the planned post)."""
    ws = office.workspace
    drafts = {draft.post_id: draft for draft in ws.planning.drafts(NOW, 7)}
    made = drafts[post.id].rendered
    assert made is not None
    return made.length, made.limit


@pytest.mark.parametrize("post_id", [1, 2], ids=["facebook", "x"])
def test_the_counter_counts_as_the_renderer_does(office: Office, post_id: int) -> None:
    post = office.workspace.store.post(post_id)
    answer = check(signed_in_client(office, "editor"), post_id, post.text or "")
    assert (answer["length"], answer["limit"]) == rendered(office, post)
    assert answer["problem"] is None and answer["over"] == 0


def test_the_counter_follows_the_platforms_rules_and_the_checker(office: Office) -> None:
    client = signed_in_client(office, "editor")
    link = "https://bandarlampungkota.go.id/inovasi/ktp-sehari-jadi/jadwal-layanan-akhir-pekan"
    on_x = check(client, 2, f"Lihat {link}")
    on_facebook = check(client, 1, f"Lihat {link}")
    assert on_x["length"] == len("Lihat ") + 23 and on_x["limit"] == 280  # X counts a link as 23
    assert on_facebook["length"] == len("Lihat ") + len(link)
    long = check(client, 2, "a" * 290)
    assert long["over"] == 10 and "too long" in str(long["problem"]) and "10 too many" in str(long["sentence"])
    jargon = check(client, 2, "Silakan melakukan optimalisasi dan implementasi layanan.")
    assert jargon["findings"] and all(item["label"] for item in jargon["findings"])  # type: ignore[attr-defined]
    assert office.workspace.store.post(2).text != "a" * 290  # checking saves nothing


def test_without_javascript_check_shows_the_counter_on_the_page(office: Office) -> None:
    client = signed_in_client(office, "editor")
    token = csrf_of(client.get("/antrean/2"))
    page = client.post("/antrean/2/periksa", data={"csrf_token": token, "text": "a" * 290, "reason": "uji"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Length: 290/280" in text and "10 too many" in text
    assert "a" * 290 in text and 'value="uji"' in text
    assert office.workspace.store.post(2).text != "a" * 290


def test_after_the_post_is_claimed_the_text_can_no_longer_change(office: Office) -> None:
    client = signed_in_client(office, "editor")
    token = csrf_of(client.get("/antrean/2"))
    later(office, hours=1, minutes=1)
    claimed = [claim_as_a_dead_worker(office.workspace.store, office.workspace.now()) for _ in range(2)]
    assert [post.id for post in claimed if post] == [1, 2]
    page = client.post("/antrean/2/ubah", data={"csrf_token": token, "text": "Teks baru untuk warga.", "reason": "x"})
    assert page.status_code == 400 and "works only for" in alerts(page)[0]
    assert "<textarea" not in page.get_data(as_text=True)


# ---- in a real Chromium ------------------------------------------------------------------------------


def test_an_officer_edits_a_post_and_sees_the_counter_change(
    browser: Browser, live_office: str, office: Office
) -> None:
    """Sign in, open a planned post, type: the counter follows (asked of the server as they type); save."""
    opened = browser.visit(f"{live_office}/masuk", WIDE)
    page = opened.page
    page.fill("#name", "editor")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_office}/")
    page.goto(f"{live_office}/antrean/2")
    counter = page.locator("#counter")
    before = counter.inner_text()
    found = re.match(r"Length: (\d+)/280", before)
    assert found, before
    page.locator("#text").focus()
    page.keyboard.press("Control+End")
    page.locator("#text").press_sequentially(" Datang ya!", delay=20)
    expected = f"Length: {int(found.group(1)) + len(' Datang ya!')}/280"
    page.wait_for_function(
        "expected => document.getElementById('counter').textContent.startsWith(expected)", arg=expected, timeout=5000
    )
    assert counter.inner_text() != before
    opened.screenshot("web-post-editing-desktop")
    page.fill("#reason", "Ajak warga datang")
    page.click("text=Save the text")
    page.wait_for_url(re.compile(r".*/antrean/2\?selesai=edited$"))
    assert "The new text is saved" in opened.text()
    assert page.locator("#text").input_value().endswith("Datang ya!")
    assert opened.console_errors == [] and opened.outside_requests == []

    phone = browser.visit(f"{live_office}/masuk", PHONE)
    phone.page.fill("#name", "editor")
    phone.page.fill("#password", PASSWORD)
    phone.page.click("main button[type=submit]")
    phone.page.wait_for_url(f"{live_office}/")
    phone.screenshot("web-home-phone")
    phone.page.goto(f"{live_office}/antrean/2")
    shown = phone.page.locator("#counter").inner_text()
    phone.page.locator("#text").focus()
    phone.page.keyboard.press("Control+End")
    phone.page.locator("#text").press_sequentially("!", delay=20)
    phone.page.wait_for_function("shown => document.getElementById('counter').textContent !== shown", arg=shown)
    phone.screenshot("web-post-phone")
    phone.page.goto(f"{live_office}/antrean")
    phone.screenshot("web-queue-phone")
    assert phone.console_errors == [] and phone.outside_requests == []
    assert (office.workspace.store.post(2).text or "").endswith("Datang ya!")
    assert last_event(office, 2) == (Operation.EDIT.value, "planned", "planned", "editor")


def test_markup_in_a_reason_or_a_text_is_shown_as_text(office: Office) -> None:
    client = signed_in_client(office, "editor")
    assert act(client, 3, "batal", reason='<img src=x onerror="alert(1)">').status_code == 303
    for page in (client.get("/antrean/3"), client.get("/antrean?state=cancelled")):
        text = page.get_data(as_text=True)
        assert "<img src=x" not in text and "&lt;img src=x onerror=" in text
