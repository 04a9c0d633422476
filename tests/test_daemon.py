"""The daemon in-process: one daemon per store, `outreach run --once`, and `outreach status`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from outreach.cli import cli
from outreach.daemon import run_forever, run_once
from outreach.errors import AlreadyRunning
from outreach.lock import StoreLock
from outreach.model import PostState

from tests.engine_helpers import at, campaign, file_channel, innovation, journal, project, workspace

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


def _status(ws) -> list[str]:
    from outreach.status import status_lines

    return list(status_lines(ws))


def _invoke(config: Path, *args: str):
    result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    return result


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
    assert "publishing: PAUSED since 2026-12-01T08:00:00+07:00: Hari berkabung" in status

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
