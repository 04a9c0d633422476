"""What the web page's tests share: an office with a catalogue, its accounts of every role, signing in,
and the page served for real (waitress on 127.0.0.1) for the browser tests."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from outreach.accounts import Accounts
from outreach.app import Workspace
from outreach.web import create_app
from tests.engine_helpers import at, campaign, file_channel, innovation, project, workspace

NOW = at(2026, 12, 7, 8, 0)
DUKCAPIL = "Dinas Kependudukan dan Pencatatan Sipil"
DINKES = "Dinas Kesehatan"
KTP = "ktp-sehari-jadi"
POSYANDU = "posyandu-keliling"
ROWS = [innovation(KTP, DUKCAPIL), innovation(POSYANDU, DINKES), innovation("akta-kilat", DUKCAPIL, status="draf")]
PASSWORD = "kata sandi panjang"
#: One account of each kind the route × role tests need: name -> (role, agency).
ACCOUNTS = {
    "admin": ("admin", None),
    "editor": ("editor", None),
    "kadis-dukcapil": ("approver", DUKCAPIL),
    "kadis-dinkes": ("approver", DINKES),
}


@dataclass
class Office:
    """A test office: its config, its workspace on a fixed clock, the web app, and its accounts (all ``PASSWORD``)."""

    config: Path
    workspace: Workspace
    app: Flask


def make_office(folder: Path) -> Office:
    channels = {"facebook": file_channel("facebook", "outbox"), "x": file_channel("x", "outbox")}
    config = project(folder, ROWS, channels=channels, campaigns={"kenali": campaign(list(channels))})
    ws = workspace(config, NOW)
    ws.planning.apply_plan(7)
    accounts = Accounts(ws.store, ws.clock)
    for name, (role, opd) in ACCOUNTS.items():
        accounts.add(name, role, opd, PASSWORD, "test")
    app = create_app(ws)
    app.config.update(TESTING=True)
    return Office(config, ws, app)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    made = make_office(tmp_path)
    yield made
    made.workspace.close()


def csrf_of(page: TestResponse) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> TestResponse:
    """Sign in through the form, as a person does (the form's CSRF token included)."""
    form = client.get("/masuk")
    return client.post("/masuk", data={"name": name, "password": password, "csrf_token": csrf_of(form)})


def signed_in_client(office: Office, name: str) -> FlaskClient:
    client = office.app.test_client()
    answer = sign_in(client, name)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return client


def later(office: Office, **delta: float) -> None:
    """Move the office's fixed clock forward."""
    from tests.engine_helpers import advance

    advance(office.workspace, **delta)


@contextmanager
def served(app: Flask, threads: int = 4) -> Iterator[str]:
    """``app`` served by waitress on 127.0.0.1 (a free port), as ``outreach serve`` does; yields its base URL.

    Stopped by ``stop_server``: closing only the listening socket left the thread to its join timeout, five seconds
    a test."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop_server(server, thread)


def stop_server(server: Any, thread: threading.Thread) -> None:
    """Stop a waitress server running in ``thread``: every channel in its map closed (kept-alive connections and the
    wake-up pipe too) so that its loop ends, and closed from inside that loop (waitress's trigger runs a function
    there). Closed from this thread, they raced the loop's ``select`` (OSError: Bad file descriptor in that thread);
    only the listening socket closed, the loop went on to the join timeout."""

    def close_everything() -> None:
        server.close()
        for channel in list(server._map.values()):
            channel.handle_close()

    server.trigger.pull_trigger(close_everything)
    thread.join(timeout=5)
    server.task_dispatcher.shutdown()
    assert not thread.is_alive(), "the server's loop did not end"


@pytest.fixture
def live_office(office: Office) -> Iterator[str]:
    """The office's page served by waitress on 127.0.0.1 (a free port); yields its base URL."""
    with served(office.app) as url:
        yield url


def sqlite_plans(store: Any, read: Callable[[], object]) -> list[tuple[str, str]]:
    """(statement, SQLite's query plan) of each statement the store runs for ``read``, planned with its own
    parameters: a test of which index a page's reads use, on the statements the store really sends."""
    from sqlalchemy import event

    sent: list[tuple[str, Any]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: Any, *_rest: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        read()
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    with store.transaction() as connection:
        return [
            (sql, " ".join(str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)))
            for sql, parameters in sent
        ]
