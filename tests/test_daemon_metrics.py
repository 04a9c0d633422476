"""The daemon's daily engagement reading: scheduled at ``[metrics] collect_at`` in office time, on a thread of
its own, so a publishing wake is never queued behind a slow platform."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from outreach import daemon
from outreach.app import Workspace
from outreach.model import PostState
from tests.engagement_probe import EngagementFake, probe_block, register_probe
from tests.engine_helpers import announce, campaign, file_channel, innovation, load, project
from tests.fakeplatform.server import FakeServer
from tests.test_metrics import published


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as started:
        yield started


def _config(folder: Path, server: FakeServer, metrics: str = "") -> Path:
    config = project(
        folder,
        [innovation("ktp-sehari-jadi")],
        channels={"x": file_channel("x", "outbox"), "mastodon": probe_block(server, "mastodon")},
        # The campaign lies in 2099: the daemon plans nothing of its own during the test.
        campaigns={"kenali": campaign(["x"], start=date(2099, 1, 1), end=date(2099, 12, 31))},
    )
    if metrics:
        config.write_text(config.read_text(encoding="utf-8") + f"\n[metrics]\n{metrics}\n", encoding="utf-8")
    return config


def test_the_reading_is_a_daily_job_at_collect_at_in_office_time_on_its_own_executor(
    tmp_path: Path, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_probe(monkeypatch)
    ws = Workspace(load(_config(tmp_path, server, 'collect_at = "02.45"')))
    runner = daemon._Daemon(ws)
    runner.start_up()
    job = runner.scheduler.get_job("metrics")
    assert job is not None and job.executor == daemon.METRICS_EXECUTOR != "default"
    assert str(job.trigger) == "cron[hour='2', minute='45']" and job.trigger.timezone == ws.zone
    ws.close()
    off = Workspace(load(_config(tmp_path / "off", server, "enabled = false")))
    stopped = daemon._Daemon(off)
    stopped.start_up()
    assert stopped.scheduler.get_job("metrics") is None
    off.close()


def test_a_publishing_wake_is_not_delayed_while_a_slow_reading_runs(
    tmp_path: Path, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_probe(monkeypatch)
    fake = EngagementFake(server, latency=0.4)  # 8 posts: a reading of about 3.2 s
    ws = Workspace(load(_config(tmp_path, server)))  # the real clock, as the daemon runs
    now = datetime.now(UTC)
    read = [published(ws.store, "mastodon", f"m{n}", now - timedelta(days=1, minutes=n)) for n in range(8)]

    real_start_up = daemon._Daemon.start_up

    due = datetime.now(UTC)
    announcement = 0

    def start_up_reading_at_once(self: daemon._Daemon) -> None:
        nonlocal due, announcement
        real_start_up(self)
        self.scheduler.modify_job("metrics", next_run_time=datetime.now(ws.zone))
        # Due 1.5 s after the start, however long the machine took to get here: inside the run just set.
        due = datetime.now(UTC) + timedelta(seconds=1.5)
        announcement = announce(ws.store, due)
        self.schedule_due_jobs()

    monkeypatch.setattr(daemon._Daemon, "start_up", start_up_reading_at_once)

    def done() -> bool:
        return (
            announcement > 0
            and ws.store.post(announcement).state is PostState.PUBLISHED
            and len(ws.store.readings()) == len(read)
        )

    def stop_when_done() -> None:
        deadline = time.monotonic() + 30
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=stop_when_done, daemon=True).start()
    daemon.run_forever(ws)
    post = ws.store.post(announcement)
    assert post.state is PostState.PUBLISHED and post.published_at is not None
    lateness = (post.published_at - due).total_seconds()
    assert lateness < 1.0, f"published {lateness:.2f} s late behind the reading"
    asked = sorted(moment for _, moment in fake.seen)
    assert asked[0] < post.published_at.timestamp() < asked[-1], "the reading did not overlap the publishing wake"
    assert sorted(ws.store.latest_readings()) == sorted(read)
    ws.close()
