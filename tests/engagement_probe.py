"""Engagement to read for the collector's tests and bench: a controllable probe, and the real platforms' fakes.

``ProbeChannel`` is a test-only channel whose fake answers slowly or badly on demand, for the
collector's own rules (order, batches, typed errors, threads, a daemon stopping mid-reading); it
goes through the adapters' HTTP choke point (``Channel.new_http_client``), so a 429, 401 or 404
from the fake becomes the same typed error a real adapter raises. ``EngagementPlatforms`` puts the
five platforms that give engagement on their own fakes with posts already published there, for the
collector over the real adapters (tests/test_metrics_adapters.py, bench/bench_metrics.py).
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from werkzeug import Request, Response

from outreach import channels
from outreach.channels.base import (
    AccountIdentity,
    Channel,
    ChannelSettings,
    Checkpoint,
    Engagement,
    OutgoingPost,
    PublishResult,
)
from outreach.channels.http import HttpClient
from outreach.clock import Clock
from outreach.model import Post
from tests.fakeplatform.bluesky import COLLECTION, BlueskyFake
from tests.fakeplatform.bluesky import _new_tid as new_tid
from tests.fakeplatform.facebook import FacebookFake
from tests.fakeplatform.graph_common import graph_time
from tests.fakeplatform.instagram import InstagramFake
from tests.fakeplatform.mastodon import MastodonFake, iso
from tests.fakeplatform.server import FakeServer, json_response
from tests.fakeplatform.x import XFake


class ProbeChannel(Channel):
    """Reads ``GET /engagement/<remote_id>`` from the fake; publishes nothing."""

    platform = "mastodon"
    engagement_unavailable: ClassVar[str | None] = None

    def open_http(self) -> HttpClient:
        assert self.settings.base_url is not None
        return self.new_http_client(self.settings.base_url)

    def engagement(self, post: Post) -> Engagement:
        return Engagement(dict(self.http.request("GET", f"/engagement/{post.remote_id}").body))

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        raise NotImplementedError("the probe publishes nothing")

    def check(self) -> AccountIdentity:
        return AccountIdentity("probe")


class EngagementFake:
    """Serves engagement per remote id after ``latency`` seconds; ``answers[remote_id]`` overrides the answer.

    Records, per request, the remote id and when it arrived (wall time), and how many requests of the same
    ``channel`` query value were in progress at once (one thread per channel's adapter).
    """

    def __init__(self, server: FakeServer, latency: float = 0.0) -> None:
        self.latency = latency
        self.answers: dict[str, Response] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.seen: list[tuple[str, float]] = []
        self.busy: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self._lock = threading.Lock()
        server.route("GET", r"/(\w+)/engagement/([\w-]+)", self._engagement)

    def _engagement(self, request: Request, match: re.Match[str]) -> Response:
        channel, remote_id = match.group(1), match.group(2)
        with self._lock:
            self.seen.append((remote_id, time.time()))
            self.busy[channel] = self.busy.get(channel, 0) + 1
            self.most_at_once[channel] = max(self.most_at_once.get(channel, 0), self.busy[channel])
        try:
            if self.latency:
                time.sleep(self.latency)
            if remote_id in self.answers:
                return self.answers[remote_id]
            return json_response(self.counts.get(remote_id, {"likes": 3, "reposts": 1, "replies": 0}))
        finally:
            with self._lock:
                self.busy[channel] -= 1


def probe_block(server: FakeServer, channel: str) -> dict[str, Any]:
    """A ``[channels.NAME]`` block for the probe: its own path on the fake, so requests say which channel sent them."""
    return {"type": "probe", "base_url": f"{server.url}/{channel}"}


def probe(server: FakeServer, channel: str, clock: Clock) -> ProbeChannel:
    """A probe adapter for ``channel``, as the collector's ``adapter_for`` makes one."""
    return ProbeChannel(channel, ChannelSettings(**probe_block(server, channel)), {}, clock)


def register_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a config name ``type = "probe"`` for the length of one test."""
    monkeypatch.setitem(channels._ADAPTERS, "probe", "tests.engagement_probe:ProbeChannel")
    monkeypatch.setattr(channels, "CHANNEL_TYPES", (*channels.CHANNEL_TYPES, "probe"))


class EngagementPlatforms:
    """Mastodon, Bluesky, X, Facebook and Instagram fakes, one loopback server each (Facebook's and
    Instagram's Graph routes overlap), every answer ``latency`` s late; posts are put straight onto
    the platforms as published, since publishing hundreds through the APIs would spend their quotas.
    """

    NAMES = ("mastodon", "bluesky", "x", "facebook", "instagram")

    def __init__(self, folder: Path, latency: float = 0.0) -> None:
        self.servers = {name: FakeServer(latency).start() for name in self.NAMES}
        self.mastodon = MastodonFake(self.servers["mastodon"])
        self.bluesky = BlueskyFake(self.servers["bluesky"])
        self.x = XFake(self.servers["x"])
        self.facebook = FacebookFake(self.servers["facebook"])
        self.instagram = InstagramFake(self.servers["instagram"])
        self.ledger = folder / "var" / "x-reads.json"

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()

    def channels(self, **x_settings: Any) -> dict[str, dict[str, Any]]:
        """``[channels.*]`` blocks named after their platforms; X reads (200 posts a day) unless ``x_settings`` say."""
        x = {"read_metrics": True, "metric_reads_per_day": 200, "read_ledger_file": str(self.ledger), **x_settings}
        return {
            "mastodon": self.mastodon.channel_settings(),
            "bluesky": self.bluesky.channel_settings(),
            "x": {**self.x.channel_settings(), **x},
            "facebook": self.facebook.channel_settings(),
            "instagram": self.instagram.channel_settings(),
        }

    @property
    def environ(self) -> dict[str, str]:
        fakes = (self.mastodon, self.bluesky, self.x, self.facebook, self.instagram)
        return {key: value for fake in fakes for key, value in fake.environ.items()}

    def requests(self, name: str) -> int:
        """How many requests the platform ``name`` received."""
        return len(self.servers[name].requests())

    def seed(self, name: str, text: str, when: datetime) -> str:
        """A post on platform ``name`` made at ``when``, as outreach published it; its id there."""
        if name == "x":
            return str(self.x.seed_tweet(text, when.timestamp())["id"])
        if name == "facebook":
            return str(self.facebook.seed_post(text, when)["id"])
        if name == "bluesky":
            with self.bluesky._lock:
                rkey = new_tid()
                record = {"$type": COLLECTION, "text": text, "createdAt": when.isoformat()}
                return str(self.bluesky._store(rkey, record)["uri"])
        if name == "instagram":
            with self.instagram.lock:
                media_id = str(17950000000000000 + self.instagram.next_id())
                record = {"id": media_id, "caption": text, "media_type": "IMAGE", "timestamp": graph_time(when)}
                self.instagram.media.append({**record, "like_count": 0, "comments_count": 0, "_insights": {}})
                return media_id
        return self._seed_status(text, when)

    def _seed_status(self, text: str, when: datetime) -> str:
        mastodon = self.mastodon
        with mastodon._lock:
            status_id = str(next(mastodon._ids))
            mastodon.statuses.append(
                {
                    "id": status_id,
                    "created_at": iso(when),
                    "visibility": "public",
                    "url": f"{mastodon.server.url}/@{mastodon.USERNAME}/{status_id}",
                    "content": f"<p>{text}</p>",
                    "account": mastodon._account(),
                    "media_attachments": [],
                    "replies_count": 0,
                    "reblogs_count": 0,
                    "favourites_count": 0,
                }
            )
            return status_id

    def engage(self, name: str, remote_id: str, likes: int, reposts: int, replies: int, seen: int = 0) -> None:
        """People liked, shared and answered a post; ``seen``: its views/impressions (reach is half of them)."""
        if name == "mastodon":
            self.mastodon.engage(remote_id, favourites=likes, reblogs=reposts, replies=replies)
        elif name == "bluesky":
            self.bluesky.engage(remote_id, likes=likes, reposts=reposts, replies=replies)
        elif name == "x":
            self.x.engage(
                remote_id, like_count=likes, retweet_count=reposts, reply_count=replies, impression_count=seen
            )
        elif name == "facebook":
            insights = {"post_media_view": seen, "post_total_media_view_unique": seen // 2}
            self.facebook.engage(remote_id, reactions=likes, comments=replies, shares=reposts, insights=insights)
        else:
            self.instagram.engage(
                remote_id, likes=likes, comments=replies, insights={"reach": seen // 2, "views": seen}
            )

    def delete(self, name: str, remote_id: str) -> None:
        """The office deleted the post on the platform."""
        deleting = {
            "mastodon": self.mastodon.delete_status,
            "bluesky": lambda uri: self.bluesky.delete_record(uri.rsplit("/", 1)[-1]),
            "x": self.x.delete_tweet,
            "facebook": self.facebook.delete,
            "instagram": self.instagram.delete,
        }
        deleting[name](remote_id)
