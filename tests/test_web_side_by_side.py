"""The daemon and the web page side by side on ONE SQLite store: ``outreach run`` as a real process publishing
posts due every second or two (file channels), while the page (waitress on 127.0.0.1, several threads)
serves editors and an admin who sign in and write (marking citizens' replies, adding accounts) for ~10 s.

Neither may meet "database is locked": the page answers no 5xx, the daemon's log holds no error, and every
due post is published at its due time (not at the 30-second safety tick).

And the deployment docs/operations.md "Halaman kantor" describes: behind a proxy (``--behind-proxy``) the
cookie is Secure and throttling counts the client's address; the web unit runs ``serve`` with the daemon's
hardening.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from outreach.accounts import Accounts
from outreach.app import Workspace
from outreach.clock import SystemClock
from outreach.model import IncomingReply, Post, PostState
from outreach.outbox import Operation
from outreach.web import create_app
from tests.engine_helpers import ZONE, campaign, file_channel, innovation, load, project, workspace
from tests.test_daemon_process import OUTREACH, _start, _stop, _wait_for
from tests.web_helpers import served

ROWS = [
    innovation("ktp-sehari-jadi"),
    innovation("bank-sampah", "Dinas Sosial"),
    innovation("antre-puskesmas", "Dinas Kesehatan"),
]
PASSWORD = "kata sandi panjang"
#: How long the clients write while the daemon publishes.
BUSY_SECONDS = 10.0
#: When each post falls due, in seconds after the daemon starts: one every 1.5 s through the busy time.
DUE_OFFSETS = [3.0, 4.5, 6.0, 7.5, 9.0, 10.5]


def _plan_due_soon(config: Path) -> list[Post]:
    """Plan three recent slots on two channels (six posts), then make them due ``DUE_OFFSETS`` from now."""
    ws = workspace(config, datetime.now(UTC) - timedelta(hours=1))
    ws.store  # noqa: B018  # created now, on the clock of an hour ago: the slots are after its creation
    ws.clock.set(datetime.now(UTC))
    ws.planning.apply_plan(1)
    posts = ws.store.posts([PostState.PLANNED])
    assert len(posts) == len(DUE_OFFSETS), [post.channel for post in posts]
    start = datetime.now(UTC)
    for post, offset in zip(posts, DUE_OFFSETS):
        due = start + timedelta(seconds=offset)
        ws.store.transition(post.id, Operation.RESCHEDULE, start, "due a few seconds from now (test)", due_at=due)
    accounts = Accounts(ws.store, ws.clock)
    for name, role in (("admin", "admin"), ("editor-1", "editor"), ("editor-2", "editor"), ("editor-3", "editor")):
        accounts.add(name, role, None, PASSWORD, "test")
    first = ws.store.posts()[0]
    found = [
        (IncomingReply(f"r{index}", f"warga{index}", f"pertanyaan {index}", start, None, None), "question", False)
        for index in range(40)
    ]
    ws.store.add_replies(first, found, start)
    planned = ws.store.posts()
    ws.close()
    return planned


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[str, Workspace, Path]]:
    """The office's project, its posts planned due soon, and its page served by waitress on 127.0.0.1."""
    last = datetime.now(ZONE).replace(second=0, microsecond=0) - timedelta(minutes=10)
    slots = [f"setiap hari {(last - timedelta(minutes=minutes)):%H.%M}" for minutes in (2, 1, 0)]
    channels = {"berkas": file_channel("facebook", "outbox"), "berkas-x": file_channel("x", "outbox")}
    config = project(
        tmp_path,
        ROWS,
        channels=channels,
        campaigns={"kenali": campaign(list(channels), slots, min_gap_days=0)},
        publishing={"horizon_days": 1},
    )
    _plan_due_soon(config)
    ws = Workspace(load(config), SystemClock())
    try:
        with served(create_app(ws), threads=6) as url:
            yield url, ws, config
    finally:
        ws.close()


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _client(base: str, name: str, statuses: list[tuple[str, int]], stop: threading.Event) -> None:
    """One person: signs in, then reads pages and writes until ``stop``; every answer's status is kept."""
    session = requests.Session()
    session.trust_env = False  # never a proxy for 127.0.0.1

    def call(method: str, path: str, **form: str) -> requests.Response:
        answer = session.request(method, base + path, data=form or None, allow_redirects=False, timeout=30)
        statuses.append((f"{method} {path.split('?')[0]}", answer.status_code))
        return answer

    token = _token(call("GET", "/masuk").text)
    assert call("POST", "/masuk", csrf_token=token, name=name, password=PASSWORD).status_code == 303
    token = _token(call("GET", "/").text)
    round_ = 0
    while not stop.is_set():
        round_ += 1
        inbox = call("GET", "/balasan?halaman=1").text
        ids = [int(found) for found in re.findall(r'action="/balasan/(\d+)', inbox)]
        if ids and name.startswith("editor"):
            decision = "answered" if round_ % 2 else "ignored"
            call("POST", f"/balasan/{ids[round_ % len(ids)]}", csrf_token=token, keputusan=decision, catatan=name)
        if name == "admin":
            new = f"{name}-tambah-{round_}"
            call("POST", "/pengguna/tambah", csrf_token=token, nama=new, peran="editor", dinas="",
                 sandi=PASSWORD, sandi_ulang=PASSWORD)  # fmt: skip
            call("GET", "/pengguna")
            call("GET", "/jeda")
        call("GET", "/")


def test_the_daemon_and_the_page_share_one_store_without_locking_each_other(
    page: tuple[str, Workspace, Path], tmp_path: Path
) -> None:
    assert OUTREACH.exists(), f"console script not found at {OUTREACH}"
    base, ws, config = page
    planned = {post.id: post for post in ws.store.posts([PostState.PLANNED])}
    daemon = _start(config, tmp_path, "daemon")
    statuses: list[tuple[str, int]] = []
    stop = threading.Event()
    clients = [
        threading.Thread(target=_client, args=(base, name, statuses, stop))
        for name in ("admin", "editor-1", "editor-2", "editor-3")
    ]
    try:
        for client in clients:
            client.start()
        time.sleep(BUSY_SECONDS)
        stop.set()
        for client in clients:
            client.join(timeout=60)
        published = lambda: ws.store.posts([PostState.PUBLISHED])  # noqa: E731
        _wait_for(lambda: len(published()) >= len(planned) or daemon.poll() is not None, 20, "every post published")
        assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
        assert _stop(daemon) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)
    log = (tmp_path / "daemon.log").read_text()

    assert not [client for client in clients if client.is_alive()], "a client hung"
    failures = [(what, status) for what, status in statuses if status >= 500]
    assert failures == [], failures
    writes = [what for what, status in statuses if what.startswith("POST /balasan/") and status == 303]
    added = [what for what, status in statuses if what == "POST /pengguna/tambah" and status == 303]
    assert len(writes) >= 20 and len(added) >= 3, (len(writes), len(added), len(statuses))
    assert {status for what, status in statuses} <= {200, 303}, sorted(set(statuses))
    decided = [reply for reply in ws.store.replies() if reply.decided_by]
    assert decided and all(reply.decided_by.startswith("editor-") for reply in decided)

    assert "database is locked" not in log and "Traceback" not in log and "ERROR" not in log, log
    for post in published():
        before = planned[post.id]
        lateness = (post.published_at - before.due_at).total_seconds()
        assert post.attempts == 1 and 0 <= lateness < 5, (post.id, lateness)
    assert {post.id for post in published()} == set(planned)


# ---- running it as docs/operations.md "Halaman kantor" says ------------------------------------------------


def test_behind_the_proxy_as_documented_the_cookie_is_secure_and_the_address_is_the_clients(tmp_path: Path) -> None:
    config = project(tmp_path, ROWS, channels={"berkas": file_channel()}, campaigns={"kenali": campaign(["berkas"])})
    ws = workspace(config, datetime.now(UTC))
    try:
        Accounts(ws.store, ws.clock).add("admin", "admin", None, PASSWORD, "test")
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Host": "humas.test"}
        for behind_proxy, secure in ((True, True), (False, False)):
            client = create_app(ws, behind_proxy=behind_proxy).test_client()
            form = client.get("/masuk", headers=proxied)
            signed = client.post(
                "/masuk",
                headers=proxied,
                data={"csrf_token": _token(form.get_data(as_text=True)), "name": "admin", "password": PASSWORD},
            )
            assert signed.status_code == 303
            assert ("Secure" in signed.headers["Set-Cookie"]) is secure
        client = create_app(ws, behind_proxy=True).test_client()
        form = client.get("/masuk", headers=proxied)
        client.post(
            "/masuk",
            headers=proxied,
            data={"csrf_token": _token(form.get_data(as_text=True)), "name": "admin", "password": "salah sekali ya"},
        )
        assert ws.store.login_failures_since("admin", "203.0.113.7", datetime.now(UTC) - timedelta(minutes=1))[1] == 1
    finally:
        ws.close()


def test_the_web_unit_runs_serve_as_documented_with_the_daemons_hardening() -> None:
    root = Path(__file__).resolve().parent.parent
    daemon = (root / "deploy" / "outreach.service").read_text(encoding="utf-8")
    web = (root / "deploy" / "outreach-web.service").read_text(encoding="utf-8")
    hardening = [line for line in daemon.splitlines() if line.split("=")[0] in ("NoNewPrivileges", "ProtectSystem",
                 "PrivateTmp", "User", "Group", "WorkingDirectory", "EnvironmentFile")]  # fmt: skip
    assert len(hardening) == 7 and all(line in web.splitlines() for line in hardening)
    [start] = [line.removeprefix("ExecStart=") for line in web.splitlines() if line.startswith("ExecStart=")]
    arguments = start.split()[1:]
    assert arguments[arguments.index("serve") :] == ["serve", "--host", "127.0.0.1", "--port", "8080", "--behind-proxy"]
    from click.testing import CliRunner

    from outreach.cli import cli

    helped = CliRunner().invoke(cli, ["serve", "--help"])
    assert helped.exit_code == 0 and all(option in helped.output for option in ("--host", "--port", "--behind-proxy"))
    guide = (root / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "## Halaman kantor" in guide and "deploy/outreach-web.service" in guide
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in guide and "reverse_proxy 127.0.0.1:8080" in guide
