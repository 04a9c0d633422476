"""The daemon as a real process: `outreach run` on the real clock, stopped by SIGTERM or killed by SIGKILL.

Posts are planned by the test through the Workspace (three slots a few minutes ago, inside the
catch-up window, so the daemon's own start-up planning leaves them alone), then their due times
are set a few seconds into the future. The daemon must publish each at its due time — its
safety tick is 30 s, so only the due-time jobs can make the deadlines checked here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from outreach.model import Post, PostState
from outreach.outbox import Operation
from outreach.status import status_lines
from tests.engine_helpers import ZONE, campaign, file_channel, innovation, journal, project, workspace
from tests.fakeplatform.mastodon import MastodonFake
from tests.fakeplatform.server import FakeServer, Fault

OUTREACH = Path(sys.executable).parent / "outreach"
ROWS = [
    innovation("ktp-sehari-jadi"),
    innovation("bank-sampah", "Dinas Sosial"),
    innovation("antre-puskesmas", "Dinas Kesehatan"),
]


def _three_recent_slots() -> list[str]:
    """Three consecutive minutes ending ten minutes ago (local time), as slot strings."""
    last = datetime.now(ZONE).replace(second=0, microsecond=0) - timedelta(minutes=10)
    return [f"setiap hari {(last - timedelta(minutes=m)):%H.%M}" for m in (2, 1, 0)]


def _plan_due_soon(config: Path, environ: dict[str, str], offsets: list[float]) -> list[Post]:
    """Plan the three recent slots, then make them due ``offsets`` seconds from now (real time).

    The store is created an hour earlier: a store never fills slots from before its creation.
    """
    ws = workspace(config, datetime.now(UTC) - timedelta(hours=1), environ)
    ws.store  # noqa: B018  # created now, on the clock of an hour ago
    ws.clock.set(datetime.now(UTC))
    inserted, _refreshed, _cancelled = ws.planning.apply_plan(1)
    posts = ws.store.posts([PostState.PLANNED])
    assert inserted == len(posts) == len(offsets) == 3
    start = datetime.now(UTC)
    for post, offset in zip(posts, offsets):
        ws.store.transition(
            post.id,
            Operation.RESCHEDULE,
            start,
            "made due a few seconds from now by the test",
            due_at=start + timedelta(seconds=offset),
        )
    planned = ws.store.posts()
    ws.close()
    return planned


def _start(config: Path, folder: Path, name: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", **(extra_env or {})}
    env.pop("OUTREACH_CONFIG", None)
    log = (folder / f"{name}.log").open("w")
    return subprocess.Popen(
        [str(OUTREACH), "--config", str(config), "run"],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=15)


def test_the_daemon_publishes_at_due_times_and_stops_cleanly_on_sigterm(
    tmp_path: Path, processes: list[subprocess.Popen]
) -> None:
    assert OUTREACH.exists(), f"console script not found at {OUTREACH}"
    config = project(
        tmp_path,
        ROWS,
        channels={"berkas": file_channel("facebook", "outbox")},
        campaigns={"kenali": campaign(["berkas"], _three_recent_slots(), min_gap_days=0)},
        publishing={"horizon_days": 1},
    )
    planned = _plan_due_soon(config, {}, [5.0, 8.0, 11.0])
    daemon = _start(config, tmp_path, "daemon")
    processes.append(daemon)

    ws = workspace(config, datetime.now(UTC))
    published = lambda: ws.store.posts([PostState.PUBLISHED])  # noqa: E731
    _wait_for(lambda: len(published()) >= 3 or daemon.poll() is not None, 25, "three published posts")
    assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
    # Its config was checked by a child process: pydantic (about 8 MB for good) is never loaded in the daemon.
    mapped = Path(f"/proc/{daemon.pid}/maps").read_text()
    assert "_sqlite3" in mapped and "_pydantic_core" not in mapped

    by_id = {post.id: post for post in published()}
    assert set(by_id) == {post.id for post in planned}
    for before in planned:
        after = by_id[before.id]
        assert after.attempts == 1
        # Published at its due time, not at the next 30-second safety tick.
        lateness = (after.published_at - before.due_at).total_seconds()
        assert 0 <= lateness < 10, (before.id, lateness)
    records = journal(tmp_path / "outbox", "berkas")
    assert sorted(record["key"] for record in records) == sorted(post.key for post in planned)

    assert _stop(daemon) == 0
    log = (tmp_path / "daemon.log").read_text()
    assert "received SIGTERM" in log
    assert log.rstrip().endswith("outreach daemon stopped")
    lines = list(status_lines(ws))
    assert lines[0].startswith("daemon: not running (last stopped 20")


def test_a_daemon_killed_mid_publish_neither_duplicates_nor_loses_posts(
    tmp_path: Path, processes: list[subprocess.Popen]
) -> None:
    with FakeServer() as server:
        fake = MastodonFake(server)
        config = project(
            tmp_path,
            ROWS,
            channels={"mastodon": {**fake.channel_settings(), "read_timeout": 10.0}},
            campaigns={"kenali": campaign(["mastodon"], _three_recent_slots(), min_gap_days=0)},
            publishing={"horizon_days": 1},
        )
        planned = _plan_due_soon(config, fake.environ, [4.0, 5.0, 6.0])
        first = planned[0]
        arrived = threading.Event()  # the create request reached the platform
        server.inject(Fault("slow", path=fake.create_path, delay=3.0, on_request=arrived.set))
        daemon = _start(config, tmp_path, "daemon-1", fake.environ)
        processes.append(daemon)

        ws = workspace(config, datetime.now(UTC), fake.environ)

        def sending_first() -> bool:
            post = ws.store.post(first.id)
            return post.state is PostState.PUBLISHING and arrived.is_set()

        _wait_for(lambda: sending_first() or daemon.poll() is not None, 20, "the first post to be in flight")
        assert daemon.poll() is None, (tmp_path / "daemon-1.log").read_text()
        time.sleep(1.0)  # the status request is now inside the fake's 3-second delay
        daemon.send_signal(signal.SIGKILL)
        assert daemon.wait(timeout=10) == -signal.SIGKILL
        assert ws.store.post(first.id).state is PostState.PUBLISHING
        assert fake.created == []

        # The platform finishes the request the dead daemon sent: the status exists, the store does not know.
        _wait_for(lambda: len(fake.created) == 1, 10, "the fake to finish the slow request")

        restarted = _start(config, tmp_path, "daemon-2", fake.environ)
        processes.append(restarted)
        settled = {PostState.PUBLISHED, PostState.UNKNOWN}
        _wait_for(
            lambda: all(ws.store.post(p.id).state in settled for p in planned) or restarted.poll() is not None,
            20,
            "every post to be settled after the restart",
        )
        assert restarted.poll() is None, (tmp_path / "daemon-2.log").read_text()
        assert _stop(restarted) == 0

        keys = [status["idempotency_key"] for status in fake.created]
        assert len(keys) == len(set(keys)), f"a post was published twice: {keys}"
        created_ids = {status["idempotency_key"]: status["id"] for status in fake.created}
        for before in planned:
            after = ws.store.post(before.id)
            if after.state is PostState.UNKNOWN:  # allowed only with a reason a person can act on
                assert f"outreach post resolve {after.id}" in after.reason
                assert keys.count(before.key) <= 1
            else:
                assert after.state is PostState.PUBLISHED
                assert created_ids[before.key] == after.remote_id
        # Within the Idempotency-Key's hour Mastodon can prove what happened, so nothing is left unknown.
        assert [ws.store.post(p.id).state for p in planned] == [PostState.PUBLISHED] * 3
        assert sorted(keys) == sorted(p.key for p in planned)

        recovered = ws.store.events(first.id)
        assert [(e.from_state, e.to_state) for e in recovered][-2:] == [
            ("planned", "publishing"),
            ("publishing", "published"),
        ]
        assert recovered[-1].reason == "interrupted while publishing (restart); reconciled: it was published"
        assert "interrupted at the last stop: now published" in (tmp_path / "daemon-2.log").read_text()


def test_the_daemon_keeps_running_through_platform_faults(tmp_path: Path, processes: list[subprocess.Popen]) -> None:
    """5xx, a proxy's HTML page and a reset connection: the process lives on, retries, and posts once each."""
    with FakeServer() as server:
        fake = MastodonFake(server)
        config = project(
            tmp_path,
            ROWS,
            channels={"mastodon": {**fake.channel_settings(), "read_timeout": 5.0}},
            campaigns={"kenali": campaign(["mastodon"], _three_recent_slots(), min_gap_days=0)},
            publishing={"horizon_days": 1, "backoff_seconds": 1, "max_delay_seconds": 2},
        )
        planned = _plan_due_soon(config, fake.environ, [3.0, 4.0, 5.0])
        server.inject(Fault("status", path=fake.create_path, response=fake.server_error_response()))
        server.inject(Fault("html", path=fake.create_path))
        server.inject(Fault("reset", path=fake.create_path, process=False))
        daemon = _start(config, tmp_path, "daemon", fake.environ)
        processes.append(daemon)

        ws = workspace(config, datetime.now(UTC), fake.environ)
        _wait_for(
            lambda: all(ws.store.post(p.id).state is PostState.PUBLISHED for p in planned) or daemon.poll() is not None,
            25,
            "every post to be published despite the faults",
        )
        assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
        keys = [status["idempotency_key"] for status in fake.created]
        assert sorted(keys) == sorted(post.key for post in planned)  # each exactly once
        assert max(ws.store.post(p.id).attempts for p in planned) >= 2  # the faults were really met
        assert _stop(daemon) == 0


def test_sigterm_during_start_up_stops_the_daemon(tmp_path: Path, processes: list[subprocess.Popen]) -> None:
    """A stop asked for while the daemon is still importing and planning is honoured, not lost."""
    rows = [innovation(f"inovasi-{n:04d}", f"Dinas {n % 40}") for n in range(3000)]
    config = project(
        tmp_path,
        rows,
        channels={"berkas": file_channel("facebook", "outbox")},
        campaigns={"kenali": campaign(["berkas"], ["setiap hari 09.00"], min_gap_days=0)},
    )
    daemon = _start(config, tmp_path, "daemon")
    processes.append(daemon)
    lock = tmp_path / "outreach.sqlite3.daemon.lock"
    _wait_for(
        lambda: (lock.exists() and f"pid {daemon.pid}" in lock.read_text()) or daemon.poll() is not None,
        20,
        "the daemon to take its lock",
    )
    assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
    assert _stop(daemon) == 0
    log = (tmp_path / "daemon.log").read_text()
    assert "received SIGTERM" in log and log.rstrip().endswith("outreach daemon stopped"), log
    assert "outreach daemon started" not in log  # it stopped before the scheduler ever ran


def test_sigterm_during_a_slow_publish_settles_the_post_then_exits_0(
    tmp_path: Path, processes: list[subprocess.Popen]
) -> None:
    """systemd's stop while a request is in flight: the post is finished and recorded, then the daemon exits 0."""
    with FakeServer() as server:
        fake = MastodonFake(server)
        config = project(
            tmp_path,
            ROWS,
            channels={"mastodon": {**fake.channel_settings(), "read_timeout": 10.0}},
            campaigns={"kenali": campaign(["mastodon"], _three_recent_slots(), min_gap_days=0)},
            publishing={"horizon_days": 1},
        )
        # The later posts are due in a minute: after the publish, the daemon sets timers for them.
        planned = _plan_due_soon(config, fake.environ, [3.0, 60.0, 61.0])
        first = planned[0]
        arrived = threading.Event()  # the create request reached the platform
        server.inject(Fault("slow", path=fake.create_path, delay=3.0, on_request=arrived.set))
        daemon = _start(config, tmp_path, "daemon", fake.environ)
        processes.append(daemon)

        ws = workspace(config, datetime.now(UTC), fake.environ)

        def sending_first() -> bool:
            post = ws.store.post(first.id)
            return post.state is PostState.PUBLISHING and arrived.is_set()

        _wait_for(lambda: sending_first() or daemon.poll() is not None, 20, "the first post to be in flight")
        assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
        time.sleep(0.5)  # the request is now inside the fake's 3-second delay
        daemon.send_signal(signal.SIGTERM)
        try:
            code = daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                "the daemon did not exit after SIGTERM:\n" + (tmp_path / "daemon.log").read_text()
            ) from None
        log = (tmp_path / "daemon.log").read_text()
        assert code == 0, log
        assert "received SIGTERM" in log and log.rstrip().endswith("outreach daemon stopped"), log

        settled = ws.store.post(first.id)
        assert settled.state is PostState.PUBLISHED, (settled.state, settled.reason)
        assert [status["idempotency_key"] for status in fake.created] == [first.key]
        assert settled.remote_id == fake.created[0]["id"]
        assert [ws.store.post(post.id).state for post in planned[1:]] == [PostState.PLANNED] * 2
