"""Pengguna (``/pengguna``): an admin lists, adds and disables accounts and sets passwords through the page; the
account events name the admin; a password is never shown or logged; mistakes change nothing; others are refused."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from outreach.accounts import Accounts
from tests.web_helpers import DINKES, PASSWORD, Office, csrf_of, sign_in, signed_in_client

NEW_PASSWORD = "kata sandi baru yang rahasia"


def post(client: FlaskClient, path: str, **form: str) -> TestResponse:
    return client.post(path, data={"csrf_token": csrf_of(client.get("/")), **form})


def add(client: FlaskClient, name: str, role: str, agency: str = "", again: str | None = None) -> TestResponse:
    return post(
        client,
        "/pengguna/tambah",
        nama=name,
        peran=role,
        dinas=agency,
        sandi=NEW_PASSWORD,
        sandi_ulang=NEW_PASSWORD if again is None else again,
    )


def test_the_page_lists_the_accounts_and_their_events(office: Office) -> None:
    text = signed_in_client(office, "admin").get("/pengguna").get_data(as_text=True)
    for name in ("admin", "editor", "kadis-dukcapil", "kadis-dinkes"):
        assert f"<td>{name}</td>" in text
    assert DINKES in text and "approver" in text and "active" in text
    assert "signed in" in text and "added" in text  # the account events
    assert "$argon2" not in text and PASSWORD not in text


def test_an_admin_adds_an_approver_who_can_then_sign_in(office: Office, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = signed_in_client(office, "admin")
    answer = add(client, "Sari", "approver", DINKES)
    assert answer.status_code == 303 and answer.headers["Location"] == "/pengguna?selesai=tambah&nama=Sari"
    user = office.workspace.store.user_named("sari")
    assert (user.role, user.opd, user.active) == ("approver", DINKES, True)
    events = [(event.user_name, event.action, event.actor) for event in office.workspace.store.account_events()]
    assert ("Sari", "added", "admin") in events
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Account Sari added." in shown and NEW_PASSWORD not in shown
    assert NEW_PASSWORD not in caplog.text
    assert sign_in(office.app.test_client(), "Sari", NEW_PASSWORD).status_code == 303


def test_mistakes_in_adding_change_nothing_and_say_why(office: Office) -> None:
    client = signed_in_client(office, "admin")
    before = office.workspace.store.users()
    for answer, message in (
        (add(client, "Budi", "editor", again="bukan yang sama sekali"), "The two passwords differ"),
        (add(client, "Budi", "approver"), "an approver decides for one agency"),
        (add(client, "Budi", "editor", DINKES), "only an approver belongs to one agency"),
        (add(client, "EDITOR", "editor"), "the name is taken"),
        (add(client, "Budi", "raja"), "role raja"),
        (add(client, "", "editor"), "a user name must be 1 to 80"),
        (
            post(
                client, "/pengguna/tambah", nama="Budi", peran="editor", dinas="", sandi="pendek", sandi_ulang="pendek"
            ),
            "too short",
        ),
    ):
        text = answer.get_data(as_text=True)
        assert answer.status_code == 400 and text.count('class="problem"') == 1 and message in text, message
        assert NEW_PASSWORD not in text
    assert office.workspace.store.users() == before
    again = add(client, "Budi", "editor", again="bukan yang sama sekali")
    assert 'value="Budi"' in again.get_data(as_text=True)  # the form comes back filled, without the password


def test_an_admin_sets_a_new_password_and_the_account_is_signed_out(office: Office) -> None:
    editor = signed_in_client(office, "editor")
    admin = signed_in_client(office, "admin")
    answer = post(admin, "/pengguna/sandi", nama="editor", sandi=NEW_PASSWORD, sandi_ulang=NEW_PASSWORD)
    assert answer.status_code == 303
    assert "has a new password" in admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert editor.get("/").status_code == 302
    assert sign_in(office.app.test_client(), "editor", PASSWORD).status_code == 401
    assert sign_in(office.app.test_client(), "editor", NEW_PASSWORD).status_code == 303
    events = [(event.user_name, event.action, event.actor) for event in office.workspace.store.account_events()]
    assert ("editor", "password changed", "admin") in events
    differ = post(admin, "/pengguna/sandi", nama="editor", sandi=NEW_PASSWORD, sandi_ulang="lain sekali lagi")
    unknown = post(admin, "/pengguna/sandi", nama="tidak-ada", sandi=NEW_PASSWORD, sandi_ulang=NEW_PASSWORD)
    short = post(admin, "/pengguna/sandi", nama="editor", sandi="pendek", sandi_ulang="pendek")
    for refused, message in ((differ, "differ"), (unknown, "no such user"), (short, "too short")):
        assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    assert sign_in(office.app.test_client(), "editor", NEW_PASSWORD).status_code == 303  # unchanged


def test_an_admin_disables_an_account(office: Office) -> None:
    approver = signed_in_client(office, "kadis-dinkes")
    admin = signed_in_client(office, "admin")
    answer = post(admin, "/pengguna/nonaktifkan", nama="kadis-dinkes")
    assert answer.status_code == 303
    assert "is disabled" in admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert approver.get("/").status_code == 302
    assert not office.workspace.store.user_named("kadis-dinkes").active
    events = [(event.user_name, event.action, event.actor) for event in office.workspace.store.account_events()]
    assert ("kadis-dinkes", "disabled", "admin") in events
    missing = post(admin, "/pengguna/nonaktifkan", nama="tidak-ada")
    assert missing.status_code == 400 and "no such user" in missing.get_data(as_text=True)


def test_names_from_the_store_are_shown_escaped(office: Office) -> None:
    Accounts(office.workspace.store, office.workspace.clock).add("<script>x</script>", "editor", None, PASSWORD, "cli")
    text = signed_in_client(office, "admin").get("/pengguna").get_data(as_text=True)
    assert "<script>x</script>" not in text and "&lt;script&gt;x&lt;/script&gt;" in text


def test_only_an_admin_manages_accounts(office: Office) -> None:
    for name in ("editor", "kadis-dukcapil"):
        client = signed_in_client(office, name)
        assert client.get("/pengguna").status_code == 403
        assert add(client, "Penyusup", "admin").status_code == 403
        assert post(client, "/pengguna/nonaktifkan", nama="admin").status_code == 403
        assert (
            post(client, "/pengguna/sandi", nama="admin", sandi=NEW_PASSWORD, sandi_ulang=NEW_PASSWORD).status_code
            == 403
        )
    assert [user.name for user in office.workspace.store.users()] == [
        "admin",
        "editor",
        "kadis-dinkes",
        "kadis-dukcapil",
    ]
    assert all(user.active for user in office.workspace.store.users())
    assert sign_in(office.app.test_client(), "admin").status_code == 303
    assert office.app.test_client().get("/pengguna").status_code == 302
    admin = signed_in_client(office, "admin")
    assert admin.post("/pengguna/nonaktifkan", data={"nama": "editor"}).status_code == 400  # no form token
    assert office.workspace.store.user_named("editor").active


def test_the_store_gives_the_newest_account_events_first(office: Office) -> None:
    store = office.workspace.store
    accounts = Accounts(store, office.workspace.clock)
    accounts.disable("kadis-dinkes", "admin")
    newest = store.recent_account_events(2)
    assert [(event.user_name, event.action) for event in newest] == [
        ("kadis-dinkes", "disabled"),
        ("kadis-dinkes", "added"),
    ]
    assert len(store.recent_account_events(1000)) == len(store.account_events())
