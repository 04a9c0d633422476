"""The engagement collector end to end: ``collector_for`` over a real config, the real adapters, the platforms' fakes.

tests/test_metrics.py holds the collector's own rules against a controllable probe; here the same
collection reads Mastodon, Bluesky, X, Facebook and Instagram as the office would run it, and
skips what cannot be read (X with reading off, Telegram, WhatsApp) without asking those platforms.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from outreach.app import Workspace
from outreach.cli import cli
from outreach.clock import FixedClock
from outreach.metrics import CollectionSummary, collector_for
from tests.engagement_probe import EngagementPlatforms
from tests.engine_helpers import campaign, innovation, load, project
from tests.fakeplatform.server import FakeServer, Fault
from tests.fakeplatform.telegram import TelegramFake
from tests.test_metrics import published

#: The business clock of the runs; the fakes keep real time, so the posts are a day old for both.
NOW = datetime.now(UTC).replace(microsecond=0)
READ = EngagementPlatforms.NAMES
TELEGRAM_REASON = (
    "Telegram's Bot API gives a bot no view or reaction counts for channel posts; the views are shown under "
    "each post in the Telegram app, and channel admins find the totals under the channel's Statistics"
)
WHATSAPP_REASON = (
    "WhatsApp gives no figures; staff record how many groups or chats they forwarded a post to with "
    "`outreach post confirm ID --groups N`"
)


@pytest.fixture
def platforms(tmp_path: Path) -> Iterator[EngagementPlatforms]:
    started = EngagementPlatforms(tmp_path)
    yield started
    started.close()


@pytest.fixture
def telegram() -> Iterator[TelegramFake]:
    with FakeServer() as server:
        yield TelegramFake(server)


def _workspace(
    folder: Path, platforms: EngagementPlatforms, clock: FixedClock, telegram: TelegramFake | None = None, **x: Any
) -> Workspace:
    """A workspace whose config names the five platforms (X's settings overridden by ``x``), and Telegram
    and a WhatsApp hand-off when ``telegram`` is given."""
    channels = platforms.channels(**x)
    environ = platforms.environ
    if telegram is not None:
        channels |= {
            "telegram": telegram.channel_settings(),
            "whatsapp": {"type": "whatsapp_manual", "handoff_directory": str(folder / "handoff")},
        }
        environ |= telegram.environ
    config = project(
        folder,
        [innovation("ktp-sehari-jadi")],
        channels=channels,
        # The campaign lies in 2099: nothing is planned; the posts below are already published.
        campaigns={"kenali": campaign(["mastodon"], start=date(2099, 1, 1), end=date(2099, 12, 31))},
    )
    return Workspace(load(config, environ), clock)


def _post(ws: Workspace, platforms: EngagementPlatforms, name: str, number: int, **engaged: int) -> tuple[int, str]:
    """A post published on ``name`` a day (and ``number`` minutes) ago, with what people did with it."""
    when = NOW - timedelta(days=1, minutes=number)
    remote_id = platforms.seed(name, f"Urus KTP-el kini selesai dalam satu hari ({number}).", when)
    if engaged:
        platforms.engage(name, remote_id, **engaged)
    return published(ws.store, name, remote_id, when), remote_id


def _outcome(summary: CollectionSummary) -> dict[str, tuple[int, int, int]]:
    return {name: (result.read, result.failed, result.skipped) for name, result in summary.channels.items()}


def test_one_run_reads_every_platform_and_the_next_adds_a_reading(
    tmp_path: Path, platforms: EngagementPlatforms
) -> None:
    clock = FixedClock(NOW)
    ws = _workspace(tmp_path, platforms, clock)
    posts = {name: _post(ws, platforms, name, 1, likes=12, reposts=3, replies=2, seen=800)[0] for name in READ}

    first = collector_for(ws).collect(30)

    assert _outcome(first) == dict.fromkeys(READ, (1, 0, 0))
    assert {name: ws.store.latest_readings([post])[post].counts for name, post in posts.items()} == {
        "mastodon": {"likes": 12, "reposts": 3, "replies": 2},
        "bluesky": {"likes": 12, "reposts": 3, "replies": 2, "quotes": 0},
        "x": {"likes": 12, "reposts": 3, "replies": 2, "quotes": 0, "impressions": 800},
        "facebook": {"likes": 12, "reposts": 3, "replies": 2, "views": 800, "reach": 400},
        "instagram": {"likes": 12, "replies": 2, "views": 800, "reach": 400},  # Instagram has no shares
    }

    # A day later: more people engaged, and the Page token lost read_insights.
    platforms.engage("mastodon", ws.store.post(posts["mastodon"]).remote_id or "", likes=5, reposts=0, replies=1)
    platforms.facebook.read_insights = False
    clock.advance(timedelta(days=1))
    second = collector_for(ws).collect(30)

    assert _outcome(second) == dict.fromkeys(READ, (1, 0, 0))  # no insights is not a failed reading
    readings = ws.store.readings([posts["mastodon"], posts["facebook"]])
    assert [(reading.post_id, reading.read_at, reading.counts) for reading in readings] == [
        (posts["mastodon"], NOW, {"likes": 12, "reposts": 3, "replies": 2}),
        (posts["mastodon"], NOW + timedelta(days=1), {"likes": 17, "reposts": 3, "replies": 3}),
        (posts["facebook"], NOW, {"likes": 12, "reposts": 3, "replies": 2, "views": 800, "reach": 400}),
        (posts["facebook"], NOW + timedelta(days=1), {"likes": 12, "reposts": 3, "replies": 2}),  # absent, not 0
    ]
    assert len(ws.store.readings(list(posts.values()))) == 10
    ws.close()


def test_what_cannot_be_read_is_skipped_with_its_reason_and_never_asked(
    tmp_path: Path, platforms: EngagementPlatforms, telegram: TelegramFake, caplog: pytest.LogCaptureFixture
) -> None:
    ws = _workspace(tmp_path, platforms, FixedClock(NOW), telegram, read_metrics=False)
    for number in range(3):
        _post(ws, platforms, "x", number, likes=1, reposts=0, replies=0)
    published(ws.store, "telegram", "41", NOW - timedelta(hours=5))
    published(ws.store, "whatsapp", "handoff-1", NOW - timedelta(hours=5))
    _post(ws, platforms, "mastodon", 1, likes=1, reposts=0, replies=0)
    caplog.set_level("INFO", logger="outreach.metrics")

    summary = collector_for(ws).collect(30)

    assert _outcome(summary) == {
        "x": (0, 0, 3),
        "telegram": (0, 0, 1),
        "whatsapp": (0, 0, 1),
        "mastodon": (1, 0, 0),
    }
    [x_reason] = summary.channels["x"].reasons
    assert "set read_metrics = true in [channels.x]" in x_reason and "X charges" in x_reason
    assert summary.channels["telegram"].reasons == [TELEGRAM_REASON]
    assert summary.channels["whatsapp"].reasons == [WHATSAPP_REASON]
    assert summary.failed == 0
    assert len([record for record in caplog.records if "channel x:" in record.getMessage()]) == 1  # said once
    assert platforms.requests("x") == 0 and telegram.server.requests() == []
    assert not (tmp_path / "var" / "x-reads.json").exists()  # no read was counted against the budget
    ws.close()


def test_a_deleted_post_fails_alone_and_a_429_stops_only_its_channel(
    tmp_path: Path, platforms: EngagementPlatforms
) -> None:
    ws = _workspace(tmp_path, platforms, FixedClock(NOW))
    for name in READ:
        for number in range(8):
            _post(ws, platforms, name, number, likes=number, reposts=0, replies=0)
    gone_id, gone_remote = _post(ws, platforms, "instagram", 20, likes=1, reposts=0, replies=0)
    platforms.delete("instagram", gone_remote)
    # Bluesky's first answer is a 429; the other lanes' requests, already on their way, are answered a
    # second later, by when the channel has stopped: each of those lanes then asks nothing more.
    bluesky = platforms.bluesky
    bluesky.server.inject(Fault("status", method="GET", path=r".*getPosts", response=bluesky.rate_limit_response(60)))
    bluesky.server.inject(Fault("slow", method="GET", path=r".*getPosts", delay=1.0, times=99))
    collector = collector_for(ws)
    collector.posts_per_lane = 2  # 8 posts: four lanes on each channel

    summary = collector.collect(30)

    outcome = _outcome(summary)
    asked = platforms.requests("bluesky")
    assert 1 <= asked <= 4, "every lane stops once one met the 429: at most one request each"
    assert outcome.pop("bluesky") == (asked - 1, 1, 8 - asked)  # one lane alone would have gone on: (7, 1, 0)
    assert summary.channels["bluesky"].reasons == ["rate limited; the platform asks to wait 60 s"]
    assert outcome == {"mastodon": (8, 0, 0), "x": (8, 0, 0), "facebook": (8, 0, 0), "instagram": (8, 1, 0)}
    [deleted] = summary.channels["instagram"].reasons
    assert deleted.startswith(f"post {gone_id}: ")
    assert gone_id not in ws.store.latest_readings([gone_id])
    ws.close()


def test_status_says_when_engagement_was_last_collected_and_how_many_posts_were_read(
    tmp_path: Path, platforms: EngagementPlatforms
) -> None:
    ws = _workspace(tmp_path, platforms, FixedClock(NOW))
    remote = {name: _post(ws, platforms, name, 1, likes=2, reposts=0, replies=0)[1] for name in READ}
    platforms.delete("facebook", remote["facebook"])
    ws.close()
    config = str(tmp_path / "outreach.toml")

    def run(*args: str) -> list[str]:
        result = CliRunner().invoke(
            cli, ["--config", config, "--language", "id", "--now", NOW.isoformat(), *args], env=platforms.environ
        )
        assert result.exit_code == 0, result.output
        return result.output.splitlines()

    never = "interaksi: belum pernah dikumpulkan (`outreach metrics collect`, atau pembacaan harian oleh layanan latar)"
    assert never in run("status")
    run("metrics", "collect")
    shown = f"{NOW.astimezone(ZoneInfo('Asia/Jakarta')):%Y-%m-%d %H:%M} WIB"
    lines = run("status")
    assert (
        f"interaksi: terakhir dikumpulkan {shown}, 4 unggahan terbaca; 1 tidak terbaca dan dibaca lagi lain kali"
        in lines
    )
    assert never not in lines
