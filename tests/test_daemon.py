"""The daemon in-process: one daemon per store, `outreach run --once`, and `outreach status`."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from outreach import daemon
from outreach.app import Workspace
from outreach.cli import cli
from outreach.daemon import run_forever, run_once
from outreach.errors import AlreadyRunning
from outreach.lock import StoreLock
from outreach.model import PostState
from outreach.outbox import Operation
from outreach.publisher import Publisher
from tests.engine_helpers import (
    at,
    campaign,
    claim_as_a_dead_worker,
    file_channel,
    innovation,
    journal,
    project,
    workspace,
    write_catalogue,
)
from tests.test_local_faults import one_line_error

ROWS = [innovation("ktp-sehari-jadi"), innovation("bank-sampah", "Dinas Sosial")]


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`outreach run` installs its own log handler on the root logger; put pytest's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _config(folder: Path) -> Path:
    return project(
        folder,
        ROWS,
        channels={"x": file_channel("x", "outbox"), "facebook": file_channel("facebook", "outbox")},
        campaigns={"kenali": campaign(["x", "facebook"], ["senin-jumat 09.00"], min_gap_days=0)},
    )


def test_a_second_daemon_on_the_same_store_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path)
    workspace(config, at(2026, 12, 1, 8, 0)).store.close()  # the store exists before the day's 09.00 slot
    holder = workspace(config, at(2026, 12, 1, 9, 5))
    lock = StoreLock(holder)
    lock.acquire()
    try:
        second = workspace(config, at(2026, 12, 1, 9, 5))
        with pytest.raises(AlreadyRunning, match="already running") as refused:
            run_once(second)
        assert str(lock.path) in str(refused.value)
        with pytest.raises(AlreadyRunning, match="already running"):
            run_forever(second)  # refuses before starting any scheduler
        assert second.store.posts() == []  # the refused daemon neither planned nor published
        assert any(line.startswith("daemon: running") for line in _status(second))
    finally:
        lock.release()
    third = workspace(config, at(2026, 12, 1, 9, 5))
    assert run_once(third).startswith("2 published")


def test_a_second_run_once_while_a_daemon_runs_is_one_line(tmp_path: Path) -> None:
    config = _config(tmp_path)
    holder = workspace(config, at(2026, 12, 1, 8, 0))
    holder.store.close()  # the store exists: the refused command has nothing to announce
    lock = StoreLock(holder)
    lock.acquire()
    try:
        line = one_line_error(CliRunner().invoke(cli, ["--config", str(config), "run", "--once"]))
    finally:
        lock.release()
    assert (
        line == f"Error: another outreach daemon is already running on this store (pid {os.getpid()} on "
        f"{socket.gethostname()}); stop it first (lock file {lock.path})"
    )


def _status(ws) -> list[str]:
    from outreach.status import status_lines

    return list(status_lines(ws))


def _invoke(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_run_once_from_the_command_line_publishes_what_is_due(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert _invoke(config, "--now", "2026-12-01T08:00+07:00", "plan").exit_code == 0  # the store is set up at 08.00
    # 09.30 WIB on Tuesday 1 December: the 09.00 slot passed half an hour ago, inside the catch-up window.
    result = _invoke(config, "--now", "2026-12-01T09:30+07:00", "run", "--once")
    assert result.exit_code == 0, result.output
    assert "2 published" in result.output

    for channel in ("x", "facebook"):
        [record] = journal(tmp_path / "outbox", channel)
        assert record["scheduled_at"] == "2026-12-01T09:00:00+07:00"
    ws = workspace(config, at(2026, 12, 1, 9, 30))
    published = ws.store.posts([PostState.PUBLISHED])
    assert {post.channel for post in published} == {"x", "facebook"}
    assert len({post.innovation_id for post in published}) == 1  # one slot, one innovation, two channels

    # Running again at the same moment publishes nothing more.
    again = _invoke(config, "--now", "2026-12-01T09:31+07:00", "run", "--once")
    assert again.exit_code == 0 and "nothing was due" in again.output
    assert len(journal(tmp_path / "outbox", "x")) == 1

    status = _invoke(config, "--now", "2026-12-01T09:31+07:00", "status")
    assert status.exit_code == 0
    lines = status.output.splitlines()
    assert lines[0].startswith("daemon: not running")
    assert "publishing: active" in lines
    planned = len(ws.store.posts([PostState.PLANNED]))
    assert planned > 0
    assert f"posts: planned {planned}, published 2" in lines
    assert any(line.startswith("next due: 2026-12-02 09:00") for line in lines)


def test_pause_through_the_command_line_stops_run_once(tmp_path: Path) -> None:
    config = _config(tmp_path)
    paused = _invoke(config, "--now", "2026-12-01T08:00+07:00", "pause", "--reason", "Hari berkabung")
    assert paused.exit_code == 0
    result = _invoke(config, "--now", "2026-12-01T09:30+07:00", "run", "--once")
    assert result.exit_code == 0
    assert "paused (Hari berkabung): nothing published" in result.output
    assert journal(tmp_path / "outbox", "x") == []
    status = _invoke(config, "status").output
    assert "publishing: PAUSED since 2026-12-01 08:00 WIB: Hari berkabung" in status

    assert _invoke(config, "resume").exit_code == 0
    result = _invoke(config, "--now", "2026-12-01T09:40+07:00", "run", "--once")
    assert "2 published" in result.output
    assert "publishing: active" in _invoke(config, "status").output


def test_log_tracebacks_are_redacted() -> None:
    """An exception whose text carries a token (Telegram puts it in the URL) is masked in the daemon's log."""
    import io
    import logging

    from outreach.logs import configure_logging
    from outreach.redaction import register_secret

    token = "7012345678:AAH-secret-token-value"
    register_secret(token)
    configure_logging("json")
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{token}/sendMessage failed")
    except ConnectionError:
        logging.getLogger("outreach.test").exception("publish run failed")
    printed = stream.getvalue()
    assert "publish run failed" in printed and "Traceback" in printed
    assert token not in printed and "70****" in printed
    logging.getLogger().handlers.clear()


# ---- recovery: once per run --------------------------------------------------------------------


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often any publisher recovered and ran, counted around the real methods."""
    counted = {"recover": 0, "publish_due": 0}
    for name in counted:
        real = getattr(Publisher, name)

        def spy(self: Publisher, *args: Any, _real: Any = real, _name: str = name) -> Any:
            counted[_name] += 1
            return _real(self, *args)

        monkeypatch.setattr(Publisher, name, spy)
    return counted


def _orphan(config: Path) -> Workspace:
    """A workspace at 09.05 on a store whose first 09.00 post a dead daemon left in ``publishing``."""
    ws = workspace(config, at(2026, 12, 1, 8, 0))
    ws.planning.apply_plan(1)
    ws.clock.set(at(2026, 12, 1, 9, 5))
    assert claim_as_a_dead_worker(ws.store, ws.now()) is not None
    return ws


def test_run_once_recovers_once_then_publishes(tmp_path: Path, calls: dict[str, int]) -> None:
    ws = _orphan(_config(tmp_path))
    assert run_once(ws).startswith("2 published")  # the orphan (the journal proves it unsent) and the other
    assert calls == {"recover": 1, "publish_due": 1}
    assert ws.store.posts([PostState.PUBLISHING]) == []


def _run_daemon(ws: Workspace, runs: int, calls: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the daemon in this process, ticking every second, and SIGTERM it after ``runs`` publish runs."""
    monkeypatch.setattr(daemon, "TICK_SECONDS", 1)
    real = Publisher.publish_due  # the counting spy

    def publish_then_maybe_stop(self: Publisher) -> Any:
        try:
            return real(self)
        finally:
            if calls["publish_due"] == runs:
                os.kill(os.getpid(), signal.SIGTERM)  # as systemd stops it; the daemon's handler is in place

    monkeypatch.setattr(Publisher, "publish_due", publish_then_maybe_stop)
    watchdog = threading.Timer(
        30,
        lambda: signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None) and os.kill(os.getpid(), signal.SIGTERM),
    )
    watchdog.start()
    try:
        run_forever(ws)
    finally:
        watchdog.cancel()
    assert calls["publish_due"] >= runs, "the watchdog stopped a daemon that did not tick"


def test_the_daemon_recovers_once_however_often_it_wakes(
    tmp_path: Path, calls: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _orphan(_config(tmp_path))
    _run_daemon(ws, 3, calls, monkeypatch)
    assert calls["recover"] == 1
    assert {post.state for post in ws.store.posts() if post.scheduled_at == at(2026, 12, 1, 9, 0)} == {
        PostState.PUBLISHED
    }
    assert len(journal(tmp_path / "outbox", "x")) == len(journal(tmp_path / "outbox", "facebook")) == 1


def test_a_run_that_fails_half_way_leaves_its_post_to_the_next_run(
    tmp_path: Path, calls: dict[str, int], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The store refuses to record an outcome (and the fallback too): the next wake settles the post."""
    ws = workspace(_config(tmp_path), at(2026, 12, 1, 8, 0))
    ws.planning.apply_plan(1)
    ws.clock.set(at(2026, 12, 1, 9, 5))
    refused: list[int] = []  # the post whose outcome, then whose fallback, the store would not record
    choosing = threading.Lock()

    def refusing(real: Callable[..., Any]) -> Callable[..., Any]:
        """The store's way of recording an outcome (alone, or with a lane's next claim), failing twice."""

        def record(post_id: int, operation: Operation, *args: Any, **values: Any) -> Any:
            # One post's, whichever lane records first: the other channel's lane runs at the same time.
            with choosing:
                refuse = operation in (Operation.PUBLISHED, Operation.UNKNOWN) and refused[:1] in ([], [post_id])
                if refuse and len(refused) < 2:
                    refused.append(post_id)
                    raise sqlite3.OperationalError("database is locked")
            return real(post_id, operation, *args, **values)

        return record

    monkeypatch.setattr(ws.store, "transition", refusing(ws.store.transition))
    monkeypatch.setattr(ws.store, "transition_and_claim", refusing(ws.store.transition_and_claim))
    _run_daemon(ws, 2, calls, monkeypatch)
    [orphan] = set(refused)
    assert calls["recover"] == 2  # at start-up, and once after the failed run
    assert f"post {orphan} was interrupted by a failed run: now published" in caplog.text
    assert ws.store.posts([PostState.PUBLISHING]) == []
    first = ws.store.post(orphan)
    assert first.state is PostState.PUBLISHED and "reconciled: it was published" in first.reason
    assert len(journal(tmp_path / "outbox", first.channel)) == 1  # it went out once, before the store failed


def test_the_daemon_logs_the_approvals_a_catalogue_edit_withdrew(
    tmp_path: Path, calls: dict[str, int], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The daemon has no terminal: what a sync withdrew reaches its log, once, with the command to approve again."""
    config = _config(tmp_path)
    ws = workspace(config, at(2026, 12, 1, 8, 0))
    ws.planning.apply_plan(1)
    edited = [{**row, "manfaat": row["manfaat"] + " Kini juga bisa lewat aplikasi."} for row in ROWS]
    write_catalogue(tmp_path, [edited[0], *ROWS[1:]])
    ws.clock.set(at(2026, 12, 1, 9, 5))
    caplog.set_level(logging.WARNING, logger="outreach.daemon")
    _run_daemon(ws, 1, calls, monkeypatch)
    lost = [record.getMessage() for record in caplog.records if "lost their approval" in record.getMessage()]
    assert len(lost) == 1
    assert ROWS[0]["id"] in lost[0] and f"outreach catalogue approve {ROWS[0]['id']}" in lost[0]


def test_status_warns_about_a_token_that_expires_within_a_week(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from outreach.channels.statefile import save_private_json

    config = project(
        tmp_path,
        ROWS,
        channels={
            "x": file_channel("x", "outbox"),
            "bsky": {"type": "bluesky", "handle": "kominfo.example.id", "session_file": "bsky.json"},
            "later": {"type": "bluesky", "handle": "kominfo.example.id", "session_file": "later.json"},
        },
        campaigns={"kenali": campaign(["x"], ["senin-jumat 09.00"], min_gap_days=0)},
    )
    now = datetime.now(UTC)
    for file, left in (("bsky.json", timedelta(days=3, hours=1)), ("later.json", timedelta(days=30))):
        session = {"access_jwt": "a.b.c", "refresh_jwt": "d.e.f", "did": "did:plc:x", "handle": "kominfo.example.id"}
        session |= {"pds": "https://pds.example", "access_until": "", "refresh_until": (now + left).isoformat()}
        save_private_json(
            tmp_path / file, {"entryway": "https://bsky.social", "identifier": "kominfo.example.id", **session}
        )
    lines = _status(workspace(config, at(2026, 12, 1, 8, 0)))
    warnings = [line for line in lines if "token" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("channel bsky: its access token expires ") and "(in 3 days)" in warnings[0]
    assert "outreach channels check bsky" in warnings[0]
