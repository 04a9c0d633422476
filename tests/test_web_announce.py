"""Pengumuman over HTTP (Flask's test client): a one-off announcement checked on each chosen channel and
scheduled through ``operations.announce`` (one post per channel, the editor as the actor); mistakes answered
with the form and one message, nothing stored; only editors and admins may write one."""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from outreach.model import PostState
from outreach.outbox import ANNOUNCEMENT_ID
from tests.browser import Browser
from tests.engine_helpers import at
from tests.web_helpers import PASSWORD, Office, csrf_of, signed_in_client

TEXT = "Peringatan banjir: Jalan Sudirman tergenang. Warga diminta lewat jalan lain."
LINK = "https://bandarlampungkota.go.id/banjir"


def send(client: FlaskClient, action: str = "schedule", **changed: object) -> TestResponse:
    form: dict[str, object] = {
        "text": TEXT,
        "link": LINK,
        "channel": ["x", "facebook"],
        "day": "2026-12-07",
        "time": "10:30",
    }
    form.update(changed)
    token = csrf_of(client.get("/pengumuman"))
    return client.post(
        "/pengumuman/periksa" if action == "check" else "/pengumuman", data={"csrf_token": token, **form}
    )


def alerts(page: TestResponse) -> list[str]:
    found = re.findall(r'<p class="problem" role="alert">([^<]*)</p>', page.get_data(as_text=True))
    return [html.unescape(text) for text in found]


def announcements(office: Office) -> list[int]:
    return [post.id for post in office.workspace.store.posts() if post.innovation_id == ANNOUNCEMENT_ID]


def test_an_announcement_is_scheduled_on_each_chosen_channel(office: Office) -> None:
    client = signed_in_client(office, "editor")
    answer = send(client)
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/pengumuman?dijadwalkan=")
    store = office.workspace.store
    made = [store.post(post_id) for post_id in announcements(office)]
    assert sorted(post.channel for post in made) == ["facebook", "x"]
    for post in made:
        assert post.state == PostState.PLANNED and post.scheduled_at == at(2026, 12, 7, 10, 30)
        assert post.text == f"{TEXT}\n\n{LINK}" and post.link == LINK
        (event,) = store.events(post.id)
        assert event.actor == "editor" and event.to_state == "planned"
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    for post in made:
        assert f'href="/antrean/{post.id}"' in page
    assert "10:30 WIB" in page


def test_sending_the_same_announcement_twice_plans_it_once(office: Office) -> None:
    client = signed_in_client(office, "editor")
    first = send(client, channel=["x"])
    again = send(client)  # x already has it; facebook does not yet
    assert first.status_code == again.status_code == 303
    assert len(announcements(office)) == 2
    (on_x,) = [post_id for post_id in announcements(office) if office.workspace.store.post(post_id).channel == "x"]
    assert f"dijadwalkan={on_x}" in again.headers["Location"]


def test_checking_shows_each_channels_count_and_stores_nothing(office: Office) -> None:
    client = signed_in_client(office, "editor")
    page = send(client, "check", text="Silakan melakukan optimalisasi layanan.")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and announcements(office) == []
    with_link = f"Silakan melakukan optimalisasi layanan.\n\n{LINK}"
    assert f"Length: {len(with_link.split(chr(10))[0]) + 2 + 23}/280" in text  # X: the link counts 23
    assert f"Length: {len(with_link)}/63206" in text
    assert text.count('class="finding-') >= 2  # the checker's findings, on each channel
    assert "Silakan melakukan optimalisasi layanan." in text  # the form keeps the text


def test_the_live_check_answers_each_channels_count(office: Office) -> None:
    client = signed_in_client(office, "editor")
    token = csrf_of(client.get("/pengumuman"))
    form = {"csrf_token": token, "text": "Banjir di Jalan Sudirman.", "link": LINK, "channel": ["x", "facebook"]}
    answer = client.post("/pengumuman/periksa", data=form, headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.is_json
    found = {channel["label"]: (channel["length"], channel["limit"]) for channel in answer.get_json()["channels"]}
    text = f"Banjir di Jalan Sudirman.\n\n{LINK}"
    assert found == {"x (X)": (len(text) - len(LINK) + 23, 280), "facebook (Facebook)": (len(text), 63206)}
    unknown = client.post(
        "/pengumuman/periksa", data={**form, "channel": ["tiktok"]}, headers={"Accept": "application/json"}
    )
    assert "tiktok" in unknown.get_json()["problem"] and announcements(office) == []


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"channel": []}, "choose at least one channel"),
        ({"text": "   "}, "write the announcement's text"),
        ({"day": "2026-12-06"}, "that time has passed"),
        ({"time": "pagi"}, "give the day (year-month-day) and the time"),
        ({"link": "bukan alamat"}, "give the post's web address"),
        ({"text": "Banjir di jalan utama kota. " * 12}, "the text is too long for channel x"),
        ({"channel": ["x", "tiktok"]}, "no channel named 'tiktok'"),
    ],
    ids=["no channel", "empty", "past", "bad time", "bad link", "too long for x", "unknown channel"],
)
def test_a_mistake_is_answered_with_the_form_and_nothing_is_scheduled(
    office: Office, changed: dict[str, object], message: str
) -> None:
    page = send(signed_in_client(office, "editor"), **changed)
    assert page.status_code == 400 and len(alerts(page)) == 1 and message in alerts(page)[0]
    assert announcements(office) == []  # not even on the channel where it fits
    assert "<textarea" in page.get_data(as_text=True)


def test_only_editors_and_admins_may_write_an_announcement(office: Office) -> None:
    approver = signed_in_client(office, "kadis-dinkes")
    assert approver.get("/pengumuman").status_code == 403
    token = csrf_of(approver.get("/"))
    for path in ("/pengumuman", "/pengumuman/periksa"):
        refused = approver.post(path, data={"csrf_token": token, "text": TEXT, "channel": "x"})
        assert refused.status_code == 403 and announcements(office) == []
    assert send(signed_in_client(office, "admin"), channel=["x"]).status_code == 303
    assert len(announcements(office)) == 1


def test_markup_in_an_announcement_is_shown_as_text(office: Office) -> None:
    client = signed_in_client(office, "editor")
    hostile = "Banjir <script>alert(1)</script> di jalan utama."
    page = send(client, "check", text=hostile).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_in_chromium_the_check_follows_the_typing_and_the_announcement_is_scheduled(
    browser: Browser, live_office: str, office: Office
) -> None:
    opened = browser.visit(f"{live_office}/masuk", {"width": 1280, "height": 900})
    page = opened.page
    page.fill("#name", "editor")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_office}/")
    page.goto(f"{live_office}/pengumuman")
    page.check("input[name=channel][value=x]")
    page.locator("#a-text").press_sequentially("Banjir di Jalan Sudirman.", delay=10)
    expected = f"Length: {len('Banjir di Jalan Sudirman.')}/280"
    page.wait_for_function(
        "expected => document.getElementById('checks').textContent.includes(expected)", arg=expected, timeout=5000
    )
    assert "x (X)" in page.locator("#checks").inner_text() and announcements(office) == []
    page.fill("#a-day", "2026-12-07")
    page.fill("#a-time", "10:30")
    opened.screenshot("web-announce-desktop")
    page.click("text=Schedule")
    page.wait_for_url(re.compile(r".*/pengumuman\?dijadwalkan=\d+$"))
    assert "Scheduled:" in opened.text() and len(announcements(office)) == 1
    assert opened.console_errors == [] and opened.outside_requests == []
