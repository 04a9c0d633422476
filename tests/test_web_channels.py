"""Kanal (``/kanal``): the channels check as a page — a button asks each platform (a fake Mastodon on loopback,
a Mastodon with a wrong token, a webhook, a local folder), the results are kept with when and by whom and shown again
without asking, a held channel is shown and lifted by a passing check; approvers are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from outreach.accounts import Accounts
from outreach.web import create_app
from outreach.web.pages.channels import CHECK_SETTING
from tests.engine_helpers import campaign, file_channel, project, workspace
from tests.fakeplatform.mastodon import MastodonFake
from tests.fakeplatform.server import FakeServer
from tests.fakeplatform.webhook import WebhookFake
from tests.web_helpers import ACCOUNTS, NOW, PASSWORD, ROWS, Office, csrf_of, signed_in_client


@pytest.fixture
def channels_office(tmp_path: Path) -> Iterator[tuple[Office, MastodonFake]]:
    """An office with a working Mastodon (a fake on loopback), one whose token is wrong, and a local folder."""
    with FakeServer() as server:
        fake = MastodonFake(server)
        hook = WebhookFake(server)
        channels = {
            "mastodon": fake.channel_settings(),
            "kait": hook.channel_settings(),
            "mastodon-lama": {**fake.channel_settings(), "access_token_env": "TOKEN_LAMA"},
            "berkas": file_channel("facebook", "outbox"),
        }
        config = project(tmp_path, ROWS, channels=channels, campaigns={"kenali": campaign(["berkas"])})
        ws = workspace(config, NOW, {**fake.environ, **hook.environ, "TOKEN_LAMA": "token-yang-sudah-dicabut"})
        accounts = Accounts(ws.store, ws.clock)
        for name, (role, opd) in ACCOUNTS.items():
            accounts.add(name, role, opd, PASSWORD, "test")
        app = create_app(ws)
        app.config.update(TESTING=True)
        yield Office(config, ws, app), fake
        ws.close()


def check(client: FlaskClient) -> TestResponse:
    return client.post("/kanal/periksa", data={"csrf_token": csrf_of(client.get("/kanal"))})


def test_the_check_says_who_each_channel_posts_as_or_why_not(channels_office: tuple[Office, MastodonFake]) -> None:
    office, _fake = channels_office
    client = signed_in_client(office, "editor")
    before = client.get("/kanal").get_data(as_text=True)
    assert "have not been checked from this page yet" in before
    answer = check(client)
    assert answer.status_code == 303 and answer.headers["Location"] == "/kanal"
    text = client.get("/kanal").get_data(as_text=True)
    assert "Checked on" in text and "by editor" in text
    rows = {row.split("</th>")[0]: row for row in text.split('<th scope="row">')[1:]}
    assert "ok" in rows["mastodon"] and "@" in rows["mastodon"] and "Mastodon" in rows["mastodon"]
    assert "cannot post" in rows["mastodon-lama"] and "token" in rows["mastodon-lama"].lower()
    assert "token-yang-sudah-dicabut" not in text
    assert "ok" in rows["berkas"] and "local folder" in rows["berkas"]
    assert "engagement: this channel offers no engagement figures to read" in rows["kait"]
    assert "replies: this channel offers no replies to collect" in rows["kait"]
    assert "engagement:" not in rows["berkas"] and "replies:" not in rows["mastodon"]
    kept = office.workspace.store.get_setting(CHECK_SETTING)
    assert kept["by"] == "editor" and kept["at"] == NOW.isoformat()
    assert [(result["channel"], result["ok"]) for result in kept["results"]] == [
        ("mastodon", True),
        ("kait", True),
        ("mastodon-lama", False),
        ("berkas", True),
    ]


def test_the_results_are_shown_again_without_asking_the_platforms(
    channels_office: tuple[Office, MastodonFake],
) -> None:
    office, fake = channels_office
    admin = signed_in_client(office, "admin")
    assert check(admin).status_code == 303
    asked = len(fake.server.requests())
    fake.token_valid = False  # a check now would fail: the page must show the kept results
    text = signed_in_client(office, "editor").get("/kanal").get_data(as_text=True)
    rows = {row.split("</th>")[0]: row for row in text.split('<th scope="row">')[1:]}
    assert "by admin" in text and "cannot post" not in rows["mastodon"]
    assert len(fake.server.requests()) == asked
    assert check(admin).status_code == 303
    rows = {
        row.split("</th>")[0]: row for row in admin.get("/kanal").get_data(as_text=True).split('<th scope="row">')[1:]
    }
    assert "cannot post" in rows["mastodon"]


def test_a_held_channel_is_shown_and_a_passing_check_lifts_it(channels_office: tuple[Office, MastodonFake]) -> None:
    office, _fake = channels_office
    office.workspace.holds.hold("mastodon", "no API credits <b>left</b>")
    office.workspace.holds.hold("mastodon-lama", "app suspended")
    client = signed_in_client(office, "editor")
    text = client.get("/kanal").get_data(as_text=True)
    assert "no API credits &lt;b&gt;left&lt;/b&gt;" in text and "app suspended" in text
    assert check(client).status_code == 303
    assert set(office.workspace.holds.all()) == {"mastodon-lama"}  # a failing check keeps its hold
    text = client.get("/kanal").get_data(as_text=True)
    assert "the hold is lifted" in text and "app suspended" in text


def test_only_editors_and_admins_check_channels(channels_office: tuple[Office, MastodonFake]) -> None:
    office, _fake = channels_office
    approver = signed_in_client(office, "kadis-dinkes")
    assert approver.get("/kanal").status_code == 403
    assert approver.post("/kanal/periksa", data={"csrf_token": csrf_of(approver.get("/"))}).status_code == 403
    assert office.app.test_client().get("/kanal").status_code == 302
    editor = signed_in_client(office, "editor")
    assert editor.post("/kanal/periksa").status_code == 400  # no form token
    assert office.workspace.store.get_setting(CHECK_SETTING) is None
