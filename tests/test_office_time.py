"""Times a person reads — status, the text log, `post show` — are in the office's zone, named (WIB)."""

from __future__ import annotations

import io
import logging
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from outreach.logs import configure_logging

REPO = Path(__file__).parent.parent


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "outreach.toml"


def run(config: Path, *args: str, now: str = "2026-11-30T07:06:42+00:00") -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args], catch_exceptions=False)


def test_status_says_when_it_was_paused_in_the_office_zone(config: Path) -> None:
    assert run(config, "pause", "--reason", "Hari berkabung").exit_code == 0
    status = run(config, "status").output
    assert "publishing: PAUSED since 2026-11-30 14:06 WIB: Hari berkabung" in status, status
    assert "+00:00" not in status


def test_status_of_a_daemon_that_never_ran_says_so_plainly(config: Path) -> None:
    status = run(config, "status").output
    assert "daemon: not running (never started)" in status, status
    assert "last stop" not in status


def test_status_names_the_last_stop_in_the_office_zone(config: Path) -> None:
    from outreach.app import Workspace
    from outreach.clock import FixedClock
    from outreach.config import load_config
    from outreach.status import HEARTBEAT_SETTING, status_lines

    ws = Workspace(load_config(config), FixedClock(datetime(2026, 11, 30, 7, 6, tzinfo=UTC)))
    ws.store.set_setting(HEARTBEAT_SETTING, {"stopped_at": "2026-11-30T07:06:42.823134+00:00"})
    try:
        assert next(iter(status_lines(ws))) == "daemon: not running (last stopped 2026-11-30 14:06 WIB)"
    finally:
        ws.close()


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_text_log_is_in_the_office_zone(root_logging: None, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_logging("text", zone=ZoneInfo("Asia/Jakarta"))
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]  # a StreamHandler
    record = logging.LogRecord("outreach.daemon", logging.INFO, __file__, 1, "published post 3", None, None)
    record.created = datetime(2026, 11, 30, 7, 6, 42, 823134, tzinfo=UTC).timestamp()
    record.msecs = 823
    logging.getLogger("outreach.daemon").handle(record)
    assert stream.getvalue().startswith("2026-11-30 14:06:42,823 WIB INFO    published post 3"), stream.getvalue()


def test_post_show_gives_times_in_the_office_zone(config: Path) -> None:
    assert run(config, "plan", "--days", "2", now="2026-12-01T00:00+07:00").exit_code == 0
    shown = run(config, "post", "show", "1").output
    assert re.search(r"(?m)^when +2026-12-01 09:00 WIB$", shown), shown
    assert "2026-12-01 00:00 WIB  · → planned" in shown, shown
