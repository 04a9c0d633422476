"""What keeps the web page fast beside the daemon and small (bench/bench_web.py measures it): pages read the
store without taking its write lock, and the server checks one password at a time."""

from __future__ import annotations

import http.client
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from waitress.channel import HTTPChannel

import outreach.accounts
import outreach.web
from outreach.store import Store
from outreach.web import SEND_BUFFER_BYTES, make_server, report_files
from tests.web_helpers import (
    DINKES,
    DUKCAPIL,
    KTP,
    PASSWORD,
    POSYANDU,
    Office,
    csrf_of,
    make_office,
    sign_in,
    signed_in_client,
    stop_server,
)


def _hold_the_write_lock(store: Store) -> sqlite3.Connection:
    """Another process's writer in the middle of a transaction (as the daemon claiming a post)."""
    path = store.sqlite_path
    assert path is not None
    writer = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE settings SET value = value")
    return writer


def test_inside_reading_a_transaction_neither_waits_for_nor_holds_up_a_writer(office: Office) -> None:
    store = office.workspace.store
    writer = _hold_the_write_lock(store)
    try:
        started = time.monotonic()
        with store.reading():
            assert store.catalogue_revision() >= 0  # reads while the other holds the lock
        assert time.monotonic() - started < 2  # BEGIN IMMEDIATE would wait 10 s, then fail
    finally:
        writer.execute("ROLLBACK")
    with store.reading(), store.transaction() as connection:
        connection.exec_driver_sql("SELECT count(*) FROM posts").scalar_one()
        other = sqlite3.connect(store.sqlite_path or "", isolation_level=None, timeout=0.1)
        other.execute("BEGIN IMMEDIATE")  # a writer is not held up by the open read
        other.execute("ROLLBACK")
        other.close()
    writer.close()


def test_outside_reading_a_transaction_still_takes_the_write_lock(office: Office) -> None:
    store = office.workspace.store
    with store.transaction():
        other = sqlite3.connect(store.sqlite_path or "", isolation_level=None, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_a_page_answers_while_the_daemon_holds_the_write_lock(office: Office) -> None:
    client = signed_in_client(office, "admin")
    writer = _hold_the_write_lock(office.workspace.store)
    try:
        started = time.monotonic()
        page = client.get("/")
        assert page.status_code == 200
        assert time.monotonic() - started < 2
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_report_download_is_made_while_the_daemon_holds_the_write_lock(office: Office) -> None:
    """``outreach report`` (the download's child process) reads for seconds on a year's outbox: it must not take
    SQLite's write lock to read, or the daemon's claims wait for it (a post seconds late)."""
    client = signed_in_client(office, "admin")
    writer = _hold_the_write_lock(office.workspace.store)
    try:
        started = time.monotonic()
        answer = client.get("/laporan/unduh?dari=2026-12-01&sampai=2026-12-31&format=csv")
        assert answer.status_code == 200 and answer.data.startswith("\ufeff".encode())
        assert time.monotonic() - started < 8  # taking the lock would wait 10 s, then fail
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_download_beyond_the_two_being_made_is_told_to_come_back_and_the_pages_still_answer(
    office: Office,
) -> None:
    """Two reports in the making take both slots: a third download answers at once with 503 and Retry-After on
    the error page (it does not hold a server thread waiting for a slot); the light pages answer meanwhile, and
    the download is made again once a slot is free."""
    client = signed_in_client(office, "admin")
    address = "/laporan/unduh?dari=2026-12-01&sampai=2026-12-31&format=csv"
    for _slot in range(2):
        assert report_files.AT_ONCE.acquire(blocking=False)
    try:
        started = time.monotonic()
        busy = client.get(address)
        assert time.monotonic() - started < 2
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == str(report_files.RETRY_AFTER_SECONDS)
        text = busy.get_data(as_text=True)
        assert "A report is being made for someone else right now. Please try again in a minute." in text
        assert "Back to the home page" in text and "<nav" in text  # the layout's error page
        assert client.get("/").status_code == 200
        assert client.get("/laporan?dari=2026-12-01&sampai=2026-12-31").status_code == 200
    finally:
        report_files.AT_ONCE.release()
        report_files.AT_ONCE.release()
    again = client.get(address)
    assert again.status_code == 200 and again.data.startswith("\ufeff".encode())


def test_a_report_child_that_does_not_finish_is_stopped_and_frees_its_slot(
    office: Office, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A hung child must not keep a slot for good: with both held, every download would be refused."""
    client = signed_in_client(office, "admin")
    address = "/laporan/unduh?dari=2026-12-01&sampai=2026-12-31&format=csv"
    monkeypatch.setattr(report_files, "CHILD_TIMEOUT_SECONDS", 0.05)  # no report is made that fast
    for _attempt in range(3):  # more than the two slots: each stopped child gave its slot back
        stopped = client.get(address)
        assert stopped.status_code == 500
        assert "<h1>The report could not be made; the server&#39;s log says why.</h1>" in stopped.get_data(as_text=True)
    assert "stopped after" in caplog.text
    monkeypatch.setattr(report_files, "CHILD_TIMEOUT_SECONDS", 600.0)
    assert client.get(address).status_code == 200


def test_the_server_checks_one_password_at_a_time(office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id fills 7 MiB per check: eight threads signing in at once would take 56 MB more."""
    real = outreach.accounts.HASHER
    busy = {"now": 0, "most": 0}
    lock = threading.Lock()

    class CountingHasher:
        def verify(self, stored: str, password: str) -> Any:
            with lock:
                busy["now"] += 1
                busy["most"] = max(busy["most"], busy["now"])
            try:
                time.sleep(0.05)
                return real.verify(stored, password)
            finally:
                with lock:
                    busy["now"] -= 1

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    monkeypatch.setattr(outreach.accounts, "HASHER", CountingHasher())
    answers: list[int] = []

    def sign_in_as(name: str) -> None:
        answers.append(sign_in(office.app.test_client(), name).status_code)

    threads = [threading.Thread(target=sign_in_as, args=(name,)) for name in ("admin", "editor", "admin", "editor")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [303] * 4
    assert busy["most"] == 1


def test_last_scheduled_at_is_the_latest_post_in_the_window(office: Office) -> None:
    store = office.workspace.store
    planned = store.posts()
    assert planned  # the office has a 7-day plan
    first, last = planned[0].scheduled_at, planned[-1].scheduled_at
    assert store.last_scheduled_at(first, last + timedelta(seconds=1)) == last
    assert store.last_scheduled_at(first, last) == max(
        post.scheduled_at for post in planned if post.scheduled_at < last
    )
    assert store.last_scheduled_at(last + timedelta(seconds=1), last + timedelta(days=30)) is None


def test_innovation_labels_give_name_and_agency_of_the_innovations_asked(office: Office) -> None:
    entries = {entry.innovation.id: entry.innovation for entry in office.workspace.store.catalogue()}
    labels = office.workspace.store.innovation_labels([KTP, POSYANDU, "no-such-innovation", KTP])
    assert labels == {
        KTP: (entries[KTP].nama, DUKCAPIL),
        POSYANDU: (entries[POSYANDU].nama, DINKES),
    }
    assert office.workspace.store.innovation_labels([]) == {}


def test_the_server_starts_without_the_reply_collector_the_regex_module_or_the_holidays(office: Office) -> None:
    """A server keeps for good what it imports: the reply collector's rules (``regex``, ~4 MB) and the holidays
    package (~17 MB) belong to the daemon and the CLI, not to a server that has just started."""
    script = (
        "import pathlib, sys; from outreach.app import Workspace; from outreach.config import load_config; "
        "from outreach.web import create_app; create_app(Workspace(load_config(pathlib.Path(sys.argv[1])))); "
        "print(sorted({'regex', 'outreach.replies', 'outreach.reply_rules', 'holidays'} & set(sys.modules)))"
    )
    started = subprocess.run(
        [sys.executable, "-c", script, str(office.workspace.config.path)],
        cwd=Path(__file__).parents[1], capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert started.stdout.strip() == "[]"


def test_outreach_serve_has_its_config_checked_elsewhere_and_never_loads_pydantic(office: Office) -> None:
    """``outreach serve`` as the office runs it: the config is checked by a child process, so the server's own
    process never maps pydantic's compiled core (about 8 MB with the checkers it builds) and still serves the
    page in Indonesian, signed in through the form with an account from the store."""
    import requests

    from tests.test_daemon_process import OUTREACH, _wait_for

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = office.config.parent / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(OUTREACH), "--config", str(office.config), "--language", "id", "serve", "--port", str(port)],
            cwd=office.config.parent, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(lambda: server.poll() is not None or _listening(port), 60, "the server listening")
        assert server.poll() is None, log.read_text()
        browser = requests.Session()
        browser.trust_env = False  # never a proxy for 127.0.0.1
        form = browser.get(f"{base}/masuk", timeout=30)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert form.status_code == 200 and token, form.text[:300]
        signed = browser.post(
            f"{base}/masuk",
            data={"name": "admin", "password": PASSWORD, "csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=30,
        )
        assert signed.status_code == 303, signed.status_code
        queue = browser.get(f"{base}/antrean", timeout=30)
        assert queue.status_code == 200 and "<h1>Antrean</h1>" in queue.text
        maps = Path(f"/proc/{server.pid}/maps").read_text()
        assert "_sqlite3" in maps  # the check reads the real process's mappings
        assert "_pydantic_core" not in maps
    finally:
        server.terminate()
        server.wait(timeout=30)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def test_the_server_sends_a_report_from_its_file_whole_with_small_send_buffers(office: Office) -> None:
    """Through waitress itself (the test client never uses its file wrapper): the download arrives whole, as the
    test client gets it, and each connection's send buffer is ``SEND_BUFFER_BYTES`` (Linux doubles what is set):
    waitress reads a buffer's worth at a time, twice, and Linux's own grows to 4 MiB on loopback."""
    address = "/laporan/unduh?dari=2026-12-01&sampai=2026-12-31&format=csv"
    expected = signed_in_client(office, "admin").get(address).data
    server = make_server(office.app, "127.0.0.1", 0, 2)
    running = threading.Thread(target=server.run, daemon=True)
    running.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)
    try:
        connection.request("GET", "/masuk")
        form = connection.getresponse()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.read().decode())
        assert token is not None
        fields = urlencode({"name": "admin", "password": PASSWORD, "csrf_token": token.group(1)})
        headers = {"Cookie": _cookie(form), "Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/masuk", body=fields, headers=headers)
        signed = connection.getresponse()
        signed.read()
        assert signed.status == 303
        connection.request("GET", address, headers={"Cookie": _cookie(signed)})
        download = connection.getresponse()
        assert download.status == 200
        assert download.read() == expected
        buffers = [channel.socket.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) for channel in _channels(server)]
        assert buffers == [2 * SEND_BUFFER_BYTES]
    finally:
        connection.close()
        stop_server(server, running)


def _cookie(answer: http.client.HTTPResponse) -> str:
    """The cookie an answer sets (its name and value), to send back."""
    return answer.getheader("Set-Cookie", "").split(";")[0]


def _channels(server: Any) -> list[Any]:
    """waitress's open connections (its channels), not its listening socket."""
    return [each for each in server._map.values() if isinstance(each, HTTPChannel)]


def test_the_server_hands_freed_memory_back_when_its_last_request_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """glibc keeps what a page freed below memory still in use: the server trims its heap when no request is
    running (not while another still is), so the next page's peak does not start from the last one's."""
    trims: list[int] = []
    real = outreach.web._glibc
    monkeypatch.setattr(outreach.web, "_glibc", lambda name: trims.append if name == "malloc_trim" else real(name))
    office = make_office(tmp_path)
    try:
        editor = signed_in_client(office, "editor")
        trims.clear()
        assert editor.get("/antrean").status_code == 200
        assert trims == [0]
        inside, release = threading.Event(), threading.Event()
        agencies = office.workspace.store.agencies

        def slow_agencies() -> list[str]:
            inside.set()
            release.wait(30)
            return agencies()

        monkeypatch.setattr(office.workspace.store, "agencies", slow_agencies)
        answers: list[int] = []
        running = threading.Thread(target=lambda: answers.append(editor.get("/antrean").status_code))
        running.start()
        assert inside.wait(30)
        trims.clear()
        assert office.app.test_client().get("/masuk").status_code == 200
        assert trims == [], "another request is still running"
        release.set()
        running.join()
        assert answers == [200]
        assert trims == [0]
    finally:
        office.workspace.close()


def test_at_most_two_requests_do_their_work_at_once_and_the_rest_wait_their_turn(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages beyond the work slots wait for one (they are not refused), so the server never holds more than two
    pages' connections, caches and rows at the same time."""
    editor = signed_in_client(office, "editor")
    agencies = office.workspace.store.agencies
    inside: list[int] = []
    most = [0]
    lock, release = threading.Lock(), threading.Event()

    def slow_agencies() -> list[str]:
        with lock:
            inside.append(1)
            most[0] = max(most[0], len(inside))
        release.wait(30)
        with lock:
            inside.pop()
        return agencies()

    monkeypatch.setattr(office.workspace.store, "agencies", slow_agencies)
    answers: list[int] = []
    readers = [threading.Thread(target=lambda: answers.append(editor.get("/antrean").status_code)) for _ in range(5)]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 30
    while most[0] < outreach.web.WORK_AT_ONCE and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # time for any other reader to get in, were there a slot for it
    assert most[0] == outreach.web.WORK_AT_ONCE == 2
    release.set()
    for reader in readers:
        reader.join(30)
    assert answers == [200] * 5


def _answered_beside(busy: list[threading.Thread], in_place: Any, release: threading.Event, ask: Any) -> list[int]:
    """Start the ``busy`` requests and, once ``in_place()`` says they hold what they wait in, ``ask`` for a light page
    from a thread of its own: its status if it answered within 10 s, else nothing. Then ``release`` the busy ones."""
    try:
        for each in busy:
            each.start()
        assert in_place(), "the busy requests are under way"
        answered: list[int] = []
        reader = threading.Thread(target=lambda: answered.append(ask().status_code))
        reader.start()
        reader.join(10)
        return list(answered)  # taken before the release below lets a late answer in
    finally:
        release.set()
        for each in busy:
            each.join(60)


def test_a_download_being_made_leaves_its_slot_to_the_pages(office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two downloads waiting on their children would otherwise take both work slots for the seconds a report
    takes, and every page would wait behind them."""
    client = signed_in_client(office, "admin")
    made, release = threading.Semaphore(0), threading.Event()
    real_run = subprocess.run

    def held_run(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        made.release()
        release.wait(30)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(report_files.subprocess, "run", held_run)
    address = "/laporan/unduh?dari=2026-12-01&sampai=2026-12-31&format=csv"
    downloads: list[int] = []
    makers = [threading.Thread(target=lambda: downloads.append(client.get(address).status_code)) for _ in range(2)]
    pages = _answered_beside(
        makers, lambda: made.acquire(timeout=30) and made.acquire(timeout=30), release, lambda: client.get("/")
    )
    assert pages == [200], "the home page answered while both reports were being made"
    assert downloads == [200, 200]


def test_a_channels_check_waiting_on_the_platforms_leaves_its_slot_to_the_pages(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check waits seconds on every platform: with another slow page in the other work slot, a light page still
    answers."""
    from outreach.web.pages import channels as channels_page

    admin, editor = signed_in_client(office, "admin"), signed_in_client(office, "editor")
    token = csrf_of(admin.get("/kanal"))
    asking, reading, release = threading.Event(), threading.Event(), threading.Event()
    real_check, agencies = channels_page.check_channel, office.workspace.store.agencies

    def slow_check(*args: Any) -> Any:
        asking.set()
        release.wait(30)
        return real_check(*args)

    def slow_agencies() -> list[str]:
        reading.set()
        release.wait(30)
        return agencies()

    monkeypatch.setattr(channels_page, "check_channel", slow_check)
    monkeypatch.setattr(office.workspace.store, "agencies", slow_agencies)
    answers: list[int] = []
    busy = [
        threading.Thread(
            target=lambda: answers.append(admin.post("/kanal/periksa", data={"csrf_token": token}).status_code)
        ),
        threading.Thread(target=lambda: answers.append(editor.get("/antrean").status_code)),
    ]
    light = _answered_beside(
        busy, lambda: asking.wait(30) and reading.wait(30), release, lambda: office.app.test_client().get("/masuk")
    )
    assert light == [200], "the sign-in page answered while the check waited on the platforms"
    assert sorted(answers) == [200, 303]


def test_a_month_waiting_for_its_years_holidays_leaves_its_slot_to_the_pages(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first month of a year not shown before waits on the child that looks the year's holidays up: two such
    months would otherwise take both work slots, and every page would wait behind them."""
    from outreach import planner

    client = signed_in_client(office, "admin")
    looking, release = threading.Semaphore(0), threading.Event()
    real_lookup = planner.holidays_in_child

    def held_lookup(year: int) -> dict[Any, str]:
        looking.release()
        release.wait(30)
        return real_lookup(year)

    monkeypatch.setattr(planner, "holidays_in_child", held_lookup)
    months: list[int] = []
    readers = [
        threading.Thread(target=lambda month=month: months.append(client.get(f"/kalender?bulan={month}").status_code))
        for month in ("2031-06", "2032-06")
    ]
    pages = _answered_beside(
        readers,
        lambda: looking.acquire(timeout=30) and looking.acquire(timeout=30),
        release,
        lambda: office.app.test_client().get("/masuk"),
    )
    assert pages == [200], "the sign-in page answered while two months waited for their years' holidays"
    assert months == [200, 200]
