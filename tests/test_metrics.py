"""The engagement collector over a real SQLite store and a loopback fake read over real HTTP."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from outreach.channels import validate_settings
from outreach.channels.base import Channel
from outreach.channels.file import FileChannel
from outreach.clock import FixedClock
from outreach.errors import ConfigError
from outreach.metrics import Collector
from outreach.model import MetricReading, PostState
from outreach.store import Store
from tests.engagement_probe import EngagementFake, ProbeChannel, probe
from tests.engine_helpers import at, settle_as
from tests.fakeplatform.server import FakeServer, json_response

NOW = at(2026, 12, 20, 10, 0)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as started:
        yield started


@pytest.fixture
def fake(server: FakeServer) -> EngagementFake:
    return EngagementFake(server)


def published(
    store: Store, channel: str, remote_id: str, when: datetime, state: PostState = PostState.PUBLISHED
) -> int:
    """A post that went out on ``channel`` at ``when`` as ``remote_id``."""
    values = {
        "key": f"kenali/{channel}/{remote_id}",
        "campaign": "kenali",
        "channel": channel,
        "innovation_id": "ktp-sehari-jadi",
        "kind": "perkenalan",
        "scheduled_at": when,
        "text": "KTP bisa jadi dalam sehari.",
        "link": None,
    }
    post_id = store.add_post(values, when - timedelta(days=1), "planned", "test")
    if state is not PostState.PUBLISHED:
        settle_as(store, post_id, state, when, str(state.value))
    else:
        settle_as(store, post_id, state, when, "done", remote_id=remote_id, published_at=when)
    return post_id


def collector(store: Store, server: FakeServer, clock: FixedClock, names: list[str], **options: Any) -> Collector:
    configured: dict[str, str | None] = dict.fromkeys(names)
    return Collector(store, clock, configured, lambda name: probe(server, name, clock), **options)


def test_every_reading_is_kept_as_a_time_series(store: Store, server: FakeServer, fake: EngagementFake) -> None:
    first = published(store, "mastodon", "m1", NOW - timedelta(days=2))
    second = published(store, "mastodon", "m2", NOW - timedelta(days=1))
    fake.counts = {"m1": {"likes": 4, "reposts": 1}, "m2": {"likes": 0, "replies": 2}}
    clock = FixedClock(NOW)
    summary = collector(store, server, clock, ["mastodon"]).collect(30)
    assert (summary.read, summary.failed, summary.skipped) == (2, 0, 0)
    fake.counts["m1"] = {"likes": 9, "reposts": 3}
    clock.advance(timedelta(days=1))
    collector(store, server, clock, ["mastodon"]).collect(30)
    readings = store.readings([first, second])
    assert [(r.post_id, r.read_at, r.counts) for r in readings] == [
        (first, NOW, {"likes": 4, "reposts": 1}),
        (first, NOW + timedelta(days=1), {"likes": 9, "reposts": 3}),
        (second, NOW, {"likes": 0, "replies": 2}),  # a figure not given stays absent, not 0
        (second, NOW + timedelta(days=1), {"likes": 0, "replies": 2}),
    ]


def test_each_kind_of_failure_stops_what_it_should_and_nothing_is_fatal(
    store: Store, server: FakeServer, fake: EngagementFake
) -> None:
    for channel in ("limited", "expired", "deleted", "flaky"):
        for number in (1, 2, 3):
            published(store, channel, f"{channel}-{number}", NOW - timedelta(hours=10 - number))
    fake.answers = {
        "limited-1": json_response({"error": "Too many requests"}, 429, {"Retry-After": "900"}),
        "expired-1": json_response({"error": "The access token is invalid"}, 401),
        "deleted-2": json_response({"error": "Record not found"}, 404),
        "flaky-1": json_response({"error": "upstream"}, 503),
    }
    summary = collector(store, server, FixedClock(NOW), ["limited", "expired", "deleted", "flaky"]).collect(30)
    outcome = {name: (r.read, r.failed, r.skipped) for name, r in summary.channels.items()}
    assert outcome == {
        "limited": (0, 1, 2),  # stopped for this run: nothing more asked of the platform
        "expired": (0, 1, 2),
        "deleted": (2, 1, 0),  # the gone post is skipped, the others read
        "flaky": (2, 1, 0),  # a transient failure: go on
    }
    assert sorted(seen for seen, _ in fake.seen if seen.startswith(("limited", "expired"))) == [
        "expired-1",
        "limited-1",
    ]
    assert "rate limited; the platform asks to wait 900 s" in summary.channels["limited"].reasons
    assert "HTTP 401" in summary.channels["expired"].reasons[0]
    kept = {reading.post_id for reading in store.readings()}
    assert len(kept) == 4
    # The next run reads again what failed, the longest unread first.
    fake.answers.clear()
    again = collector(store, server, FixedClock(NOW + timedelta(days=1)), ["limited", "expired", "deleted", "flaky"])
    assert again.collect(30).read == 12


def test_an_adapter_that_cannot_be_made_or_breaks_is_not_fatal(
    store: Store, server: FakeServer, fake: EngagementFake
) -> None:
    published(store, "no-token", "a-1", NOW - timedelta(days=1))
    published(store, "buggy", "b-1", NOW - timedelta(days=1))
    published(store, "mastodon", "c-1", NOW - timedelta(days=1))
    clock = FixedClock(NOW)

    class Buggy(ProbeChannel):
        def engagement(self, post: Any) -> Any:
            raise KeyError("counts")

    def adapter_for(name: str) -> Channel:
        if name == "no-token":
            raise ConfigError("channel 'no-token': environment variable MASTODON_TOKEN is not set")
        adapter = probe(server, name, clock)
        return Buggy(name, adapter.settings, {}, clock) if name == "buggy" else adapter

    configured: dict[str, str | None] = dict.fromkeys(("no-token", "buggy", "mastodon"))
    summary = Collector(store, clock, configured, adapter_for).collect(30)
    assert {name: (r.read, r.failed, r.skipped) for name, r in summary.channels.items()} == {
        "no-token": (0, 0, 1),
        "buggy": (0, 1, 0),
        "mastodon": (1, 0, 0),
    }
    assert "MASTODON_TOKEN is not set" in summary.channels["no-token"].reasons[0]


def test_the_longest_unread_posts_are_read_first(store: Store, server: FakeServer, fake: EngagementFake) -> None:
    read_yesterday = published(store, "mastodon", "old-read", NOW - timedelta(days=20))
    store.add_readings([MetricReading(read_yesterday, NOW - timedelta(days=1), {"likes": 1})])
    read_last_week = published(store, "mastodon", "old-read-earlier", NOW - timedelta(days=19))
    store.add_readings([MetricReading(read_last_week, NOW - timedelta(days=7), {"likes": 1})])
    published(store, "mastodon", "never-new", NOW - timedelta(days=1))
    published(store, "mastodon", "never-old", NOW - timedelta(days=5))
    collector(store, server, FixedClock(NOW), ["mastodon"]).collect(30)
    assert [remote_id for remote_id, _ in fake.seen] == ["never-old", "never-new", "old-read-earlier", "old-read"]


def test_only_published_posts_of_the_last_days_are_read(store: Store, server: FakeServer, fake: EngagementFake) -> None:
    published(store, "mastodon", "inside", NOW - timedelta(days=29, hours=23))
    published(store, "mastodon", "outside", NOW - timedelta(days=30, hours=1))
    published(store, "mastodon", "week-old", NOW - timedelta(days=6))
    published(store, "mastodon", "failed", NOW - timedelta(days=1), PostState.FAILED)
    published(store, "mastodon", "handed", NOW - timedelta(days=1), PostState.HANDED_OFF)
    assert collector(store, server, FixedClock(NOW), ["mastodon"]).collect(30).read == 2
    assert sorted(remote_id for remote_id, _ in fake.seen) == ["inside", "week-old"]
    fake.seen.clear()
    assert collector(store, server, FixedClock(NOW), ["mastodon"]).collect(7).read == 1
    assert [remote_id for remote_id, _ in fake.seen] == ["week-old"]


def test_a_channel_without_engagement_is_skipped_with_one_log_line(
    store: Store, server: FakeServer, fake: EngagementFake, caplog: pytest.LogCaptureFixture
) -> None:
    for number in range(3):
        published(store, "outbox", f"f-{number}", NOW - timedelta(days=1))
    published(store, "removed", "r-1", NOW - timedelta(days=1))
    caplog.set_level(logging.INFO, logger="outreach.metrics")
    clock = FixedClock(NOW)
    settings = validate_settings({"type": "file", "as": "facebook"})
    configured = {"outbox": FileChannel.engagement_unavailable_for("outbox", settings)}
    summary = Collector(store, clock, configured, lambda name: probe(server, name, clock)).collect(30)
    assert (summary.channels["outbox"].skipped, summary.channels["outbox"].reasons) == (
        3,
        ["this channel offers no engagement figures to read"],
    )
    assert summary.channels["removed"].reasons == ["the channel is no longer in the configuration"]
    assert len([r for r in caplog.records if "outbox" in r.getMessage()]) == 1
    assert fake.seen == [] and store.readings() == []


def test_channels_are_read_in_parallel_each_adapter_by_one_thread(store: Store, server: FakeServer) -> None:
    fake = EngagementFake(server, latency=0.1)
    names = [f"channel{number}" for number in range(5)]
    for name in names:
        for number in range(6):
            published(store, name, f"{name}-{number}", NOW - timedelta(hours=number + 1))
    started = time.monotonic()
    summary = collector(store, server, FixedClock(NOW), names).collect(30)
    elapsed = time.monotonic() - started
    assert summary.read == 30
    assert elapsed < 1.8, f"30 readings at 0.1 s took {elapsed:.1f} s: not in parallel (3 s in series)"
    assert fake.most_at_once == dict.fromkeys(names, 1)


def test_readings_are_kept_in_small_batches(store: Store, server: FakeServer, fake: EngagementFake) -> None:
    for number in range(5):
        published(store, "mastodon", f"m-{number}", NOW - timedelta(hours=number + 1))
    batches: list[int] = []
    real = store.add_readings

    def counting(readings: Any) -> int:
        batches.append(len(list(readings)))
        return real(readings)

    store.add_readings = counting  # type: ignore[method-assign]
    fake.answers["m-0"] = json_response({"error": "upstream"}, 502)  # read last: the longest unread come first
    collector(store, server, FixedClock(NOW), ["mastodon"], batch=2).collect(30)
    assert batches == [2, 2]
    assert len(store.readings()) == 4


def test_a_stop_ends_the_reading_between_posts(store: Store, server: FakeServer, fake: EngagementFake) -> None:
    published(store, "mastodon", "m-1", NOW - timedelta(days=1))
    reader = collector(store, server, FixedClock(NOW), ["mastodon"])
    reader.stop.set()
    summary = reader.collect(30)
    assert (summary.read, summary.skipped, summary.channels["mastodon"].reasons) == (0, 1, ["the daemon was stopping"])
    assert fake.seen == []
