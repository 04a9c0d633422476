"""A rehearsal keeps to a store and folders of its own: the live record never holds rehearsal posts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli

REPO = Path(__file__).parent.parent


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "outreach.toml"


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_a_rehearsal_leaves_the_live_store_status_preview_and_history_alone(config: Path) -> None:
    rehearsed = run(config, "rehearse", "--from", "2026-12-01", "--days", "7")
    assert rehearsed.exit_code == 0, rehearsed.output
    var = config.parent.parent / "var"
    assert f"rehearsal store: {var / 'rehearsal' / 'outreach.sqlite3'}" in rehearsed.output
    assert f"posts written to: {var / 'rehearsal' / 'outbox'}" in rehearsed.output
    assert not (var / "outbox").exists() and not (var / "outreach.sqlite3").exists()

    assert "posts: none yet" in run(config, "--now", "2026-11-30T10:00+07:00", "status").output
    assert json.loads(run(config, "history", "--format", "json").stdout) == []
    preview = json.loads(
        run(config, "--now", "2026-11-30T10:00+07:00", "preview", "--from", "2026-12-01", "--format", "json").stdout
    )
    assert preview and all(draft["id"] is None for draft in preview), "the first week's slots are free"

    history = json.loads(run(config, "--rehearsal", "history", "--format", "json").stdout)
    assert len(history) == int(rehearsed.output.split(" published")[0].rsplit(" ", 1)[1])
    assert all(post["remote_url"].startswith(f"file://{var / 'rehearsal' / 'outbox'}") for post in history)


def test_each_rehearsal_starts_from_an_empty_rehearsal_store(config: Path) -> None:
    first = run(config, "rehearse", "--from", "2026-12-01", "--days", "3")
    journal = config.parent.parent / "var" / "rehearsal" / "outbox" / "x.jsonl"
    lines = journal.read_text(encoding="utf-8").splitlines()
    second = run(config, "rehearse", "--from", "2026-12-01", "--days", "3")
    assert second.output.splitlines()[0] == first.output.splitlines()[0]
    assert journal.read_text(encoding="utf-8").splitlines() == lines
    history = json.loads(run(config, "--rehearsal", "history", "--format", "json").stdout)
    assert f"{len(history)} published" in second.output, "the first rehearsal's posts are gone"


def test_a_store_that_is_not_a_sqlite_file_cannot_be_rehearsed(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('store = "../var/outreach.sqlite3"', 'store = "postgresql://db/outreach"'))
    result = CliRunner().invoke(cli, ["--config", str(config), "rehearse", "--from", "2026-12-01"])
    assert result.exit_code == 1
    assert "a rehearsal keeps its own SQLite file" in result.output and "Traceback" not in result.output
