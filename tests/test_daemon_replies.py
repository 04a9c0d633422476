"""The daemon's replies jobs: collection every ``[replies] collect_every_minutes`` on a thread of its own (a slow
collection never delays a publishing wake), the daily digest at ``[replies.digest] at``, the daily purge; none fatal,
and nothing of a reply in the log."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from werkzeug import Request, Response

from outreach import channels, daemon
from outreach.app import Workspace
from outreach.channels.base import AccountIdentity, Channel, Checkpoint, OutgoingPost, PublishResult
from outreach.channels.http import HttpClient
from outreach.clock import FixedClock
from outreach.model import IncomingReply, Post, PostState
from outreach.replies import purge_replies
from tests.engine_helpers import announce, campaign, file_channel, innovation, load, project
from tests.fakeplatform.server import FakeServer, json_response
from tests.test_digest_delivery import WEBHOOK_SECRET, DigestReceiver
from tests.test_metrics import published

SECRET_TEXT = "rumah sy kebanjiran tolong"  # a reply's words: must never reach the log
HANDLE = "@warga.rahasia"


class RepliesProbe(Channel):
    """Collects ``GET /replies/<remote_id>`` from the fake: one citizen's reply per post; publishes nothing."""

    platform = "mastodon"
    replies_unavailable: ClassVar[str | None] = None

    def open_http(self) -> HttpClient:
        assert self.settings.base_url is not None
        return self.new_http_client(self.settings.base_url)

    def replies(self, post: Post) -> list[IncomingReply]:
        found = self.http.request("GET", f"/replies/{post.remote_id}").body
        return [
            IncomingReply(
                str(item["id"]),
                item["author"],
                item["text"],
                datetime.fromisoformat(item["at"]),
                None,
                post.remote_id,
            )
            for item in found
        ]

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        raise NotImplementedError("the probe publishes nothing")

    def check(self) -> AccountIdentity:
        return AccountIdentity("probe")


class RepliesFake:
    """Answers each post's replies after ``latency`` s; records when each request arrived (wall time)."""

    def __init__(self, server: FakeServer, latency: float = 0.0) -> None:
        self.latency = latency
        self.seen: list[float] = []
        server.route("GET", r"/\w+/replies/([\w-]+)", self._replies)

    def _replies(self, request: Request, match: Any) -> Response:
        self.seen.append(time.time())
        time.sleep(self.latency)
        at = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
        return json_response([{"id": f"r-{match.group(1)}", "author": HANDLE, "text": SECRET_TEXT, "at": at}])


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


@pytest.fixture(autouse=True)
def replies_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(channels._ADAPTERS, "replyprobe", "tests.test_daemon_replies:RepliesProbe")
    monkeypatch.setattr(channels, "CHANNEL_TYPES", (*channels.CHANNEL_TYPES, "replyprobe"))


def _config(folder: Path, server: FakeServer, replies: str = "", digest: str = "") -> Path:
    config = project(
        folder,
        [innovation("ktp-sehari-jadi")],
        channels={
            "x": file_channel("x", "outbox"),
            "mastodon": {"type": "replyprobe", "base_url": f"{server.url}/mastodon"},
        },
        # The campaign lies in 2099: the daemon plans nothing of its own during the test.
        campaigns={"kenali": campaign(["x"], start=date(2099, 1, 1), end=date(2099, 12, 31))},
    )
    extra = "\n[metrics]\nenabled = false\n"
    if replies:
        extra += f"\n[replies]\n{replies}\n"
    if digest:
        extra += f"\n[replies.digest]\n{digest}\n"
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return config


def test_the_jobs_each_on_its_own_executor_at_their_times(tmp_path: Path, server: FakeServer) -> None:
    digest = f'via = "webhook"\nurl = "{server.url}/hooks/digest"\nat = "06.45"'
    ws = Workspace(load(_config(tmp_path, server, "collect_every_minutes = 15", digest)))
    runner = daemon._Daemon(ws)
    runner.start_up()
    collect, send, purge = (runner.scheduler.get_job(name) for name in ("replies", "digest", "purge"))
    assert collect.executor == daemon.REPLIES_EXECUTOR and collect.trigger.interval == timedelta(minutes=15)
    first = collect.next_run_time - datetime.now(ws.zone)
    assert timedelta(seconds=30) < first <= daemon.FIRST_COLLECTION_AFTER  # soon after start, not 15 minutes later
    assert send.executor == purge.executor == daemon.DIGEST_EXECUTOR
    assert len({daemon.REPLIES_EXECUTOR, daemon.DIGEST_EXECUTOR, daemon.METRICS_EXECUTOR, "default"}) == 4
    assert str(send.trigger) == "cron[hour='6', minute='45']" and send.trigger.timezone == ws.zone
    assert str(purge.trigger) == "cron[hour='0', minute='20']"
    ws.close()
    off = Workspace(load(_config(tmp_path / "off", server, "enabled = false")))
    stopped = daemon._Daemon(off)
    stopped.start_up()
    # no collection and no digest, but what was kept is still erased in time
    assert [stopped.scheduler.get_job(name) is None for name in ("replies", "digest", "purge")] == [True, True, False]
    off.close()


def test_a_publishing_wake_is_not_delayed_while_a_slow_collection_runs(
    tmp_path: Path, server: FakeServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake = RepliesFake(server, latency=0.4)  # 8 posts, one channel's lane: a collection of about 3.2 s
    ws = Workspace(load(_config(tmp_path, server)))  # the real clock, as the daemon runs
    now = datetime.now(UTC)
    for n in range(8):
        published(ws.store, "mastodon", f"m{n}", now - timedelta(days=1, minutes=n))

    real_start_up = daemon._Daemon.start_up

    due = datetime.now(UTC)
    announcement = 0

    def start_up_collecting_at_once(self: daemon._Daemon) -> None:
        nonlocal due, announcement
        real_start_up(self)
        self.scheduler.modify_job("replies", next_run_time=datetime.now(ws.zone))
        # Due 1.5 s after the start, however long the machine took to get here: inside the run just set.
        due = datetime.now(UTC) + timedelta(seconds=1.5)
        announcement = announce(ws.store, due)
        self.schedule_due_jobs()

    monkeypatch.setattr(daemon._Daemon, "start_up", start_up_collecting_at_once)

    def done() -> bool:
        return (
            announcement > 0
            and ws.store.post(announcement).state is PostState.PUBLISHED
            and len(ws.store.replies()) == 8
        )

    def stop_when_done() -> None:
        deadline = time.monotonic() + 30
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=stop_when_done, daemon=True).start()
    caplog.set_level(logging.DEBUG)
    daemon.run_forever(ws)
    post = ws.store.post(announcement)
    assert post.state is PostState.PUBLISHED and post.published_at is not None
    lateness = (post.published_at - due).total_seconds()
    assert lateness < 1.0, f"published {lateness:.2f} s late behind the collection"
    assert min(fake.seen) < post.published_at.timestamp() < max(fake.seen) + 0.4, "no overlap with the collection"
    kept = ws.store.replies()
    assert len(kept) == 8 and {reply.text for reply in kept} == {SECRET_TEXT}
    assert SECRET_TEXT not in caplog.text and HANDLE not in caplog.text
    ws.close()


def _inbox(ws: Workspace) -> None:
    post = ws.store.post(published(ws.store, "mastodon", "m1", ws.now() - timedelta(days=1)))
    found = IncomingReply("q1", HANDLE, SECRET_TEXT, ws.now() - timedelta(hours=3), None, "m1")
    ws.store.add_replies(post, [(found, "question", True)], ws.now())


def test_the_digest_job_sends_and_logs_only_counts(
    tmp_path: Path, server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = DigestReceiver(server, WEBHOOK_SECRET)
    digest = f'via = "webhook"\nurl = "{receiver.url}"\nsecret_env = "DIGEST_SECRET"'
    ws = Workspace(load(_config(tmp_path, server, digest=digest), {"DIGEST_SECRET": WEBHOOK_SECRET}))
    _inbox(ws)
    runner = daemon._Daemon(ws)
    caplog.set_level(logging.INFO)
    runner.send_digest()
    [event] = receiver.received
    assert SECRET_TEXT in event["text"] and "URGENT (1)" in event["text"]
    assert "replies digest sent (webhook): 1 urgent, 0 waiting for an answer" in caplog.text
    # the receiver refuses (a rotated secret): logged, not raised, and tomorrow's is sent as usual
    receiver.secret = "rotated"
    runner.send_digest()
    assert "sending the replies digest failed" in caplog.text and "HTTP 401" in caplog.text
    assert SECRET_TEXT not in caplog.text and HANDLE not in caplog.text
    ws.close()


def test_a_failed_collection_is_logged_and_the_daemon_goes_on(
    tmp_path: Path, server: FakeServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ws = Workspace(load(_config(tmp_path, server)))
    runner = daemon._Daemon(ws)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        # a database error quotes the row it could not write: a reply's text and author
        raise sqlite3.IntegrityError(f"UNIQUE constraint failed; parameters: ({SECRET_TEXT!r}, {HANDLE!r})")

    monkeypatch.setattr("outreach.replies.reply_collector_for", broken)
    runner.collect_replies()
    assert "collecting replies failed: IntegrityError; the next run collects again" in caplog.text
    assert SECRET_TEXT not in caplog.text and HANDLE not in caplog.text
    ws.close()


def test_the_purge_erases_what_is_past_retention(
    tmp_path: Path, server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)
    ws = Workspace(load(_config(tmp_path, server, "retention_days = 90")), FixedClock(now))
    post = ws.store.post(published(ws.store, "mastodon", "m1", now - timedelta(days=120)))
    old = IncomingReply("old", HANDLE, SECRET_TEXT, now - timedelta(days=91), "https://m.example/old", "m1")
    young = IncomingReply("young", HANDLE, "jam buka?", now - timedelta(days=89), "https://m.example/young", "m1")
    ws.store.add_replies(post, [(old, "question", False), (young, "question", False)], now)
    caplog.set_level(logging.INFO)
    daemon._Daemon(ws).purge_replies()
    erased, kept = ws.store.replies()
    assert (erased.text, erased.author, erased.url, erased.erased_at) == (None, None, None, now)
    assert (erased.kind, erased.written_at) == ("question", now - timedelta(days=91))  # the figures stay
    assert (kept.text, kept.author, kept.erased_at) == ("jam buka?", HANDLE, None)
    assert "erased the text and author of 1 replies past their retention period" in caplog.text
    assert purge_replies(ws) == 0  # once only
    ws.close()
