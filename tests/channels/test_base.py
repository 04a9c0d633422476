"""What the base gives every adapter: one timestamp parser, the borrowed platform, and the clock."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outreach.channels import adapter_class, build_channel, validate_settings
from outreach.channels.base import parse_timestamp
from outreach.clock import FixedClock
from outreach.errors import LocalIOError
from outreach.platforms import PLATFORM_CAPABILITIES, PLATFORMS
from tests.channels.conftest import Checkpoints, make_post

MOMENT = datetime(2026, 12, 1, 2, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01T02:00:05+0000",  # Meta's created_time
        "2026-12-01T02:00:05.000Z",  # Mastodon's, Bluesky's
        "2026-12-01T09:00:05+07:00",  # an offset
        "2026-12-01T02:00:05",  # no offset: UTC
        "1796090405",  # X's and Bluesky's rate-limit resets, Unix seconds
        1796090405,
        1796090405.0,
        "Tue, 01 Dec 2026 02:00:05 GMT",  # an HTTP date (Retry-After)
    ],
)
def test_every_platforms_time_reads_as_the_same_moment(value: object) -> None:
    parsed = parse_timestamp(value)
    assert parsed == MOMENT
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [None, "", "kemarin", "nan", "1e400", True, {"time": 1}])
def test_an_unreadable_time_is_none(value: object) -> None:
    assert parse_timestamp(value) is None


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_file_channel_borrows_the_platform_it_names(platform: str, tmp_path: Path) -> None:
    settings = validate_settings({"type": "file", "as": platform, "directory": str(tmp_path)})
    file_channel = adapter_class("file")
    assert file_channel.platform_for(settings) == platform
    assert file_channel.capabilities_for(settings).text_limit == PLATFORM_CAPABILITIES[platform].text_limit
    assert file_channel.outbox_for(settings) == tmp_path


def test_a_channel_that_reaches_a_platform_has_no_outbox() -> None:
    settings = validate_settings({"type": "mastodon", "base_url": "https://mastodon.social"})
    mastodon = adapter_class("mastodon")
    assert mastodon.platform_for(settings) == "mastodon"
    assert mastodon.outbox_for(settings) is None


def test_the_file_channel_records_publication_by_its_clock(tmp_path: Path) -> None:
    settings = validate_settings({"type": "file", "as": "x", "directory": str(tmp_path)})
    channel = build_channel("latihan", settings, {}, FixedClock(MOMENT))
    channel.publish(make_post(), Checkpoints())
    (record,) = [json.loads(line) for line in (tmp_path / "latihan.jsonl").read_text(encoding="utf-8").splitlines()]
    assert record["published_at"] == "2026-12-01T02:00:05+00:00"


def test_an_unwritable_file_channel_folder_is_a_local_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local folder, not a credential: ``LocalIOError``, which ``channels check`` reports like any failure."""
    settings = validate_settings({"type": "file", "as": "x", "directory": str(tmp_path)})
    channel = build_channel("latihan", settings, {}, FixedClock(MOMENT))
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # a read-only mount (root may write anywhere)
    with pytest.raises(LocalIOError, match="cannot write to"):
        channel.check()
