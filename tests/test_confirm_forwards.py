"""`outreach post confirm ID --groups N`: staff say to how many WhatsApp groups or chats they forwarded a
handed-off post, and that number is kept as the post's engagement reading (``forwards``) when they confirm."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.app import Workspace
from outreach.cli import cli
from outreach.clock import FixedClock
from outreach.config import load_config
from outreach.model import MetricReading

REPO = Path(__file__).parent.parent
SLOT = "2026-12-01T09:00:30+07:00"
CONFIRMED_AT = "2026-12-01T11:15:00+07:00"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The bundled example with its WhatsApp channel as the real hand-off."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    path = tmp_path / "config" / "outreach.toml"
    text = path.read_text(encoding="utf-8")
    block = '[channels.whatsapp]\ntype = "file"\nas = "whatsapp"\ndirectory = "../var/outbox"\n'
    assert block in text
    path.write_text(
        text.replace(block, '[channels.whatsapp]\ntype = "whatsapp_manual"\nhandoff_directory = "../var/handoff"\n'),
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str, now: str = CONFIRMED_AT) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--language", "en", "--now", now, *args])


def _handed_off(config: Path) -> int:
    """Plan, then let the 09.00 slot go out: the WhatsApp post is handed off to staff."""
    assert run(config, "plan", now="2026-12-01T08:00+07:00").exit_code == 0
    assert run(config, "run", "--once", now=SLOT).exit_code == 0
    queue = json.loads(run(config, "queue", "--format", "json").output)
    (post,) = [post for post in queue if post["channel"] == "whatsapp" and post["state"] == "handed_off"]
    assert (config.parent.parent / "var" / "handoff").is_dir()
    return int(post["id"])


def _readings(config: Path, post_id: int) -> list[MetricReading]:
    ws = Workspace(load_config(config), FixedClock(datetime(2026, 12, 1, tzinfo=UTC)))
    try:
        return ws.store.readings([post_id])
    finally:
        ws.close()


def _state(config: Path, post_id: int) -> str:
    history = json.loads(run(config, "history", "--format", "json").output)
    return next(post["state"] for post in history if post["id"] == post_id)


def test_confirm_with_groups_keeps_the_forwards_as_a_reading_at_confirm_time(config: Path) -> None:
    post_id = _handed_off(config)

    result = run(config, "post", "confirm", str(post_id), "--groups", "14")

    assert result.exit_code == 0, result.output
    assert "forwarded to 14 groups or chats: recorded" in result.output
    assert _state(config, post_id) == "published"
    (reading,) = _readings(config, post_id)
    assert reading.counts == {"forwards": 14}
    assert reading.read_at == datetime(2026, 12, 1, 4, 15, tzinfo=UTC)


def test_confirm_without_groups_records_no_figure(config: Path) -> None:
    post_id = _handed_off(config)
    result = run(config, "post", "confirm", str(post_id), "--url", "https://whatsapp.com/channel/0029Va")
    assert result.exit_code == 0, result.output
    assert "forwarded" not in result.output
    assert _readings(config, post_id) == []


@pytest.mark.parametrize(
    ("value", "words"), [("-3", "-3 is not in the range x>=0"), ("banyak", "'banyak' is not a valid integer")]
)
def test_a_negative_or_non_number_count_is_refused_and_nothing_changes(config: Path, value: str, words: str) -> None:
    post_id = _handed_off(config)

    result = run(config, "post", "confirm", str(post_id), "--groups", value)

    assert result.exit_code == 2
    assert "Invalid value for '--groups'" in result.output and words in result.output
    assert "Traceback" not in result.output
    assert _state(config, post_id) == "handed_off"
    assert _readings(config, post_id) == []


def test_a_post_that_cannot_be_confirmed_keeps_no_count(config: Path) -> None:
    post_id = _handed_off(config)
    assert run(config, "post", "confirm", str(post_id), "--groups", "3").exit_code == 0

    again = run(config, "post", "confirm", str(post_id), "--groups", "20")

    assert again.exit_code == 1 and "is published; this (confirm) works only for: handed_off" in again.output
    assert [reading.counts for reading in _readings(config, post_id)] == [{"forwards": 3}]


def test_the_count_reads_in_indonesian(config: Path) -> None:
    post_id = _handed_off(config)
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "--language", "id", "--now", CONFIRMED_AT, "post", "confirm", str(post_id)]
        + ["--groups", "1"],
    )
    assert result.exit_code == 0, result.output
    assert "diteruskan ke 1 grup atau obrolan: sudah dicatat" in result.output
