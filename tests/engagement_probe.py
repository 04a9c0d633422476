"""A test-only channel that reads engagement over real HTTP from a loopback fake, for the collector's tests and bench.

The platforms' own ``engagement`` implementations are tested per adapter; the collector is tested
against this probe so that its rules (order, batches, typed errors, threads) do not depend on one
platform. The probe goes through the adapters' HTTP choke point (``Channel.new_http_client``), so
a 429, 401 or 404 from the fake becomes the same typed error a real adapter raises.
"""

from __future__ import annotations

import re
import threading
import time
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
from tests.fakeplatform.server import FakeServer, json_response


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
