"""Accounts and sessions of the office's web page: hashing, signing in and out, fixation, throttling, CSRF,
cookies and headers — through the page's own forms (Flask's test client) and the `users` commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.test import TestResponse

from outreach.accounts import MAX_FAILURES_PER_NAME, Accounts, allowed
from outreach.cli import cli
from outreach.errors import ConfigError
from outreach.web.routes import SESSION_COOKIE
from tests.web_helpers import DINKES, DUKCAPIL, NOW, PASSWORD, Office, csrf_of, later, sign_in, signed_in_client


def test_a_password_is_kept_only_as_an_argon2id_hash(office: Office) -> None:
    with office.workspace.store.transaction() as connection:
        stored = connection.exec_driver_sql("SELECT password_hash FROM users WHERE name = 'editor'").scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert "m=7168,t=5,p=1" in stored


def test_signing_in_starts_a_new_session_with_a_safe_cookie(office: Office) -> None:
    client = office.app.test_client()
    client.set_cookie(SESSION_COOKIE, "planted-by-an-attacker")
    assert client.get("/").status_code == 302  # a planted token signs nobody in
    answer = sign_in(client, "editor")
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    token = client.get_cookie(SESSION_COOKIE).value
    assert token != "planted-by-an-attacker" and len(token) >= 40
    with office.workspace.store.transaction() as connection:
        kept = connection.exec_driver_sql("SELECT token_hash FROM web_sessions").scalars().all()
    assert token not in kept and len(kept) == 1  # the store holds its hash only
    assert client.get("/").status_code == 200


def test_over_https_the_cookie_is_secure(office: Office) -> None:
    client = office.app.test_client()
    form = client.get("/masuk", base_url="https://kantor.test")
    answer = client.post(
        "/masuk",
        base_url="https://kantor.test",
        data={"name": "editor", "password": PASSWORD, "csrf_token": csrf_of(form)},
    )
    assert "Secure" in answer.headers["Set-Cookie"]


def test_a_wrong_password_and_an_unknown_name_read_the_same(office: Office) -> None:
    client = office.app.test_client()
    wrong = sign_in(client, "editor", "bukan kata sandinya")
    unknown = sign_in(client, "tidak-ada", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401

    def problem(page: TestResponse) -> str:
        found = re.search(r'<p class="problem" role="alert">([^<]*)</p>', page.get_data(as_text=True))
        assert found
        return found.group(1)

    assert problem(wrong) == problem(unknown) == "wrong name or password, or the account is disabled"


def test_failed_sign_ins_are_throttled_then_allowed_again(office: Office) -> None:
    client = office.app.test_client()
    for _attempt in range(MAX_FAILURES_PER_NAME):
        assert sign_in(client, "editor", "salah salah salah").status_code == 401
    throttled = sign_in(client, "editor")  # even the right password waits
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert "too many failed sign-ins" in throttled.get_data(as_text=True)
    later(office, minutes=16)
    assert sign_in(client, "editor").status_code == 303


def test_a_form_without_its_csrf_token_is_refused(office: Office) -> None:
    anonymous = office.app.test_client()
    anonymous.get("/masuk")
    refused = anonymous.post("/masuk", data={"name": "editor", "password": PASSWORD})
    assert refused.status_code == 400 and anonymous.get_cookie(SESSION_COOKIE) is None
    client = signed_in_client(office, "editor")
    assert client.post("/keluar").status_code == 400
    assert client.post("/keluar", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    page = client.get("/")
    assert client.post("/keluar", data={"csrf_token": csrf_of(page)}).status_code == 303
    assert client.get("/").status_code == 302


def test_after_signing_in_only_a_path_of_this_site_is_followed(office: Office) -> None:
    for target in ("https://jahat.example/", "//jahat.example/", "/\\jahat.example"):
        client = office.app.test_client()
        form = client.get("/masuk")
        answer = client.post(
            "/masuk", data={"name": "editor", "password": PASSWORD, "csrf_token": csrf_of(form), "next": target}
        )
        assert answer.headers["Location"] == "/", target


def test_a_changed_password_or_a_disabled_account_ends_its_sessions(office: Office) -> None:
    client = signed_in_client(office, "editor")
    accounts = Accounts(office.workspace.store, office.workspace.clock)
    accounts.change_password("editor", "kata sandi baru sekali", "admin")
    assert client.get("/").status_code == 302
    client = signed_in_client(office, "kadis-dinkes")
    accounts.disable("kadis-dinkes", "admin")
    assert client.get("/").status_code == 302
    assert sign_in(office.app.test_client(), "kadis-dinkes").status_code == 401
    actions = [(event.user_name, event.action, event.actor) for event in office.workspace.store.account_events()]
    assert ("editor", "password changed", "admin") in actions and ("kadis-dinkes", "disabled", "admin") in actions


def test_an_idle_session_ends(office: Office) -> None:
    client = signed_in_client(office, "editor")
    later(office, hours=7)
    assert client.get("/").status_code == 200  # used: slid forward
    later(office, hours=7)
    assert client.get("/").status_code == 200
    later(office, hours=8, minutes=1)
    assert client.get("/").status_code == 302


def test_every_page_carries_the_security_headers(office: Office) -> None:
    client = signed_in_client(office, "editor")
    for path in ("/", "/masuk", "/tidak-ada"):
        headers = client.get(path).headers
        assert (
            "script-src 'self'" in headers["Content-Security-Policy"]
            and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_roles_allow_what_the_issue_says() -> None:
    from outreach.model import User

    def user(role: str, opd: str | None = None) -> User:
        return User(1, role, role, opd, NOW, NOW)

    approver = user("approver", DINKES)
    assert allowed(approver, "decide", DINKES) and allowed(approver, "decide", DINKES.upper())
    assert not allowed(approver, "decide", DUKCAPIL) and not allowed(approver, "edit_posts")
    assert allowed(user("editor"), "edit_posts") and not allowed(user("editor"), "pause")
    assert not allowed(user("editor"), "decide", DINKES)
    assert (
        allowed(user("admin"), "pause")
        and allowed(user("admin"), "manage_users")
        and allowed(user("admin"), "edit_posts")
    )
    assert not allowed(User(1, "x", "admin", None, NOW, NOW, disabled_at=NOW), "view")


def test_mistakes_in_an_account_are_named(office: Office) -> None:
    accounts = Accounts(office.workspace.store, office.workspace.clock)
    with pytest.raises(ConfigError, match="--opd"):
        accounts.add("Kadis", "approver", None, PASSWORD, "admin")
    with pytest.raises(ConfigError, match="too short"):
        accounts.add("Budi", "editor", None, "pendek", "admin")
    with pytest.raises(ConfigError, match="taken"):
        accounts.add("EDITOR", "editor", None, PASSWORD, "admin")
    with pytest.raises(ConfigError, match="role"):
        accounts.add("Budi", "raja", None, PASSWORD, "admin")


def test_the_users_commands_manage_accounts(office: Office, tmp_path: Path) -> None:
    config = str(office.config)
    office.workspace.close()
    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["--config", config, "--language", "id", "users", "add", "Sari", "--role", "editor", "--password-stdin"],
        input="sebuah kata sandi\n",
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["--config", config, "users", "list"])
    assert "Sari" in listed.output and "editor" in listed.output and "sebuah" not in listed.output
    short = runner.invoke(cli, ["--config", config, "users", "passwd", "Sari", "--password-stdin"], input="pendek\n")
    assert short.exit_code != 0 and "Traceback" not in short.output and "too short" in short.output
    disabled = runner.invoke(cli, ["--config", config, "users", "disable", "sari"])
    assert disabled.exit_code == 0 and "disabled" in runner.invoke(cli, ["--config", config, "users", "list"]).output
    remote = runner.invoke(cli, ["--config", config, "serve", "--host", "0.0.0.0"])
    assert remote.exit_code != 0 and "--allow-remote" in remote.output
