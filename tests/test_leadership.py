"""Leadership on a real PostgreSQL store, in one process: the advisory lock, its loss, the heartbeats `status` lists.

(The same with real worker processes and SIGKILL is in test_workers.py.)
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from outreach.app import Workspace
from outreach.lock import Leadership
from outreach.status import status_lines
from outreach.store import LeaderLock
from tests.engine_helpers import campaign, file_channel, innovation, project, workspace

HOST = socket.gethostname()


def _workspace(folder: Path, store: str) -> Workspace:
    config = project(
        folder,
        [innovation("ktp-sehari-jadi")],
        store=store,
        channels={"berkas": file_channel()},
        campaigns={"kenali": campaign(["berkas"])},
    )
    return workspace(config, datetime.now(UTC))


def _terminate(url: str, backend_pid: int) -> None:
    """What a network cut or a restarted server does to the leader's session: the server ends it."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
    engine.dispose()


def test_one_leader_at_a_time_and_a_broken_connection_ends_the_lead_at_once(
    tmp_path: Path, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    ws = _workspace(tmp_path, postgres_url)
    leadership = Leadership(ws)
    other = LeaderLock(postgres_url)
    try:
        assert leadership.shared and not leadership.leading
        assert leadership.check() is True and leadership.confirm()
        assert other.try_acquire() is False  # another worker cannot lead meanwhile
        assert leadership.check() is False and leadership.leading  # still leads: nothing new
        holder = ws.store.leader_backend_pid()
        assert holder is not None
        _terminate(postgres_url, holder)
        with caplog.at_level(logging.ERROR, logger="outreach.daemon"):
            assert leadership.confirm() is False  # asked of the database: the lead is gone now
        assert "no longer leads planning" in caplog.text
        assert other.try_acquire() is True  # the lock died with the session: another worker takes it
        assert ws.store.leader_backend_pid() == other.backend_pid
        assert leadership.check() is False  # and the old leader cannot take it back while it is held
    finally:
        other.release()
        leadership.leave()
        ws.close()


def test_status_lists_the_workers_heard_from_and_names_the_lock_holder(tmp_path: Path, postgres_url: str) -> None:
    ws = _workspace(tmp_path, postgres_url)
    assert next(iter(status_lines(ws))) == "daemon: no worker running (none heard from in the last 30 s)"
    leadership = Leadership(ws)
    try:
        leadership.check()
        leadership.beat()
        now = datetime.now(UTC)
        # Another worker, alive but not leading; and one killed long ago, which the leader's beat forgets.
        ws.store.set_setting("worker:node-b:4242", {"host": "node-b", "pid": 4242, "beat": now.isoformat()})
        dead = {"host": "node-c", "pid": 7, "beat": (now - timedelta(days=2)).isoformat()}
        ws.store.set_setting("worker:node-c:7", dead)
        lines = list(status_lines(ws))
        assert lines[0] == f"daemon: 2 workers running; {HOST} pid {os.getpid()} leads planning", lines
        workers = sorted(line.split(": last heard 20")[0] for line in lines[1:3])
        assert workers == sorted(["  worker node-b pid 4242", f"  worker {HOST} pid {os.getpid()}"]), lines
        assert not lines[3].startswith("  worker"), lines  # the long-silent one is not listed
        leadership.beat()
        assert "worker:node-c:7" not in ws.store.workers()
    finally:
        leadership.leave()
    # A clean stop gives up the lead and leaves the list; the other worker has not taken the lead yet.
    assert f"worker:{HOST}:{os.getpid()}" not in ws.store.workers()
    assert next(iter(status_lines(ws))) == (
        "daemon: 1 worker running; none leads planning right now (one takes over within seconds)"
    )
    ws.close()


def test_a_sqlite_daemon_leads_alone_without_an_advisory_lock(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "var/outreach.sqlite3")
    leadership = Leadership(ws)
    assert not leadership.shared and leadership.leading
    assert leadership.check() is False and leadership.confirm() is True
    assert ws.store.leader_backend_pid() is None
    ws.close()
