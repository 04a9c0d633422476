"""Jeda (``/jeda``): an admin pauses and resumes publishing with a reason; the publisher obeys; the page says why,
by whom and since when, and who resumed; editors and approvers are refused; mistakes change nothing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from outreach.cli import cli
from outreach.model import PostState
from outreach.operations import PAUSE_SETTING, RESUMED_SETTING
from tests.web_helpers import NOW, Office, csrf_of, later, signed_in_client


def post(client: FlaskClient, path: str, **form: str) -> TestResponse:
    token = csrf_of(client.get("/"))
    return client.post(path, data={"csrf_token": token, **form})


def test_an_admin_pauses_with_a_reason_and_the_publisher_stops(office: Office) -> None:
    client = signed_in_client(office, "admin")
    assert "Publishing is running" in client.get("/jeda").get_data(as_text=True)
    answer = post(client, "/jeda/hentikan", alasan="Hari berkabung nasional")
    assert answer.status_code == 303 and answer.headers["Location"] == "/jeda?selesai=jeda"
    stored = office.workspace.store.get_setting(PAUSE_SETTING)
    assert stored["reason"] == "Hari berkabung nasional" and stored["by"] == "admin"
    shown = client.get("/jeda?selesai=jeda").get_data(as_text=True)
    assert "Publishing is PAUSED" in shown and "Hari berkabung nasional" in shown and "08:00 WIB" in shown
    assert "<dd>admin</dd>" in shown and "Publishing is paused. No post goes out" in shown
    first_due = min(post.due_at for post in office.workspace.store.posts([PostState.PLANNED]))
    later(office, seconds=(first_due - NOW).total_seconds() + 60)
    office.workspace.publisher().publish_due()
    assert office.workspace.store.posts([PostState.PUBLISHED]) == []
    assert post(client, "/jeda/lanjutkan").status_code == 303
    office.workspace.publisher().publish_due()
    assert office.workspace.store.posts([PostState.PUBLISHED])  # the same due posts go out once resumed


def test_resuming_names_who_resumed_and_the_pause_it_ended(office: Office) -> None:
    office.workspace.operations.pause("Banjir besar", "operator-cli")
    later(office, hours=2)
    client = signed_in_client(office, "admin")
    answer = post(client, "/jeda/lanjutkan")
    assert answer.status_code == 303
    assert office.workspace.store.get_setting(PAUSE_SETTING) is None
    resumed = office.workspace.store.get_setting(RESUMED_SETTING)
    assert resumed["by"] == "admin" and resumed["paused"]["by"] == "operator-cli"
    assert resumed["paused"]["reason"] == "Banjir besar" and resumed["at"] == (NOW.replace(hour=10)).isoformat()
    shown = client.get("/jeda").get_data(as_text=True)
    assert "Last resumed by admin" in shown and "Banjir besar" in shown and "Publishing is running" in shown


def test_mistakes_change_nothing_and_say_why(office: Office) -> None:
    client = signed_in_client(office, "admin")
    for reason, message in (
        ("", "Write why publishing stops"),
        ("   ", "Write why publishing stops"),
        ("x" * 301, "The reason is too long"),
        ("berkabung\u202e", "hidden or control character"),
    ):
        answer = post(client, "/jeda/hentikan", alasan=reason)
        text = answer.get_data(as_text=True)
        assert answer.status_code == 400 and text.count('class="problem"') == 1 and message in text
        assert office.workspace.store.get_setting(PAUSE_SETTING) is None
    refused = post(client, "/jeda/lanjutkan")
    assert refused.status_code == 400 and "Publishing is not paused." in refused.get_data(as_text=True)
    assert office.workspace.store.get_setting(RESUMED_SETTING) is None
    assert post(client, "/jeda/hentikan", alasan="Pertama").status_code == 303
    again = post(client, "/jeda/hentikan", alasan="Kedua")
    assert again.status_code == 400 and "already paused" in again.get_data(as_text=True)
    assert office.workspace.store.get_setting(PAUSE_SETTING)["reason"] == "Pertama"


def test_the_reason_is_shown_escaped(office: Office) -> None:
    office.workspace.operations.pause("<script>alert(1)</script>", "<b>cli</b>")
    text = signed_in_client(office, "admin").get("/jeda").get_data(as_text=True)
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;cli&lt;/b&gt;" in text


def test_only_an_admin_may_pause_or_resume(office: Office) -> None:
    for name in ("editor", "kadis-dinkes"):
        client = signed_in_client(office, name)
        assert client.get("/jeda").status_code == 403
        assert post(client, "/jeda/hentikan", alasan="coba").status_code == 403
        assert "/jeda" not in client.get("/").get_data(as_text=True)
    assert office.workspace.store.get_setting(PAUSE_SETTING) is None
    office.workspace.operations.pause("Libur", "admin")
    assert post(signed_in_client(office, "editor"), "/jeda/lanjutkan").status_code == 403
    assert office.workspace.store.get_setting(PAUSE_SETTING) is not None
    assert office.app.test_client().get("/jeda").status_code == 302
    form = signed_in_client(office, "admin")
    assert form.post("/jeda/lanjutkan").status_code == 400  # no form token
    assert office.workspace.store.get_setting(PAUSE_SETTING) is not None


def test_the_command_line_resume_names_its_login_name(office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    operations = office.workspace.operations
    assert operations.resume("sari") is None and office.workspace.store.get_setting(RESUMED_SETTING) is None
    operations.pause("Libur", "budi")
    lifted = operations.resume("sari")
    assert lifted is not None and (lifted.reason, lifted.by, lifted.at) == ("Libur", "budi", NOW)
    operations.pause("Libur", "admin")
    office.workspace.close()
    monkeypatch.setenv("USER", "sari")
    result = CliRunner().invoke(cli, ["--config", str(office.config), "--language", "en", "resume"])
    assert result.exit_code == 0 and result.output.strip() == "resumed"
    from tests.engine_helpers import workspace

    reopened = workspace(office.config, NOW)
    try:
        assert reopened.store.get_setting(RESUMED_SETTING)["by"] == "sari"
    finally:
        reopened.close()
