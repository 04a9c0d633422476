"""Helpers of the lanes and leases tests: webhook channels on loopback fakes that count requests in flight,
and posts written straight into the store, due now.

Each channel has its own fake server, so the server's count of requests it is answering at once is the
channel's: more than one means two posts of one channel were in flight together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from outreach.app import Workspace
from outreach.clock import Clock
from outreach.model import PlannedPost, Post, PostState
from tests.engine_helpers import campaign, innovation, load, project
from tests.fakeplatform.server import FakeServer
from tests.fakeplatform.webhook import WebhookFake

CAMPAIGN = "kenali"
ROWS = [innovation("ktp-sehari-jadi"), innovation("bank-sampah", "Dinas Sosial"), innovation("posyandu-keliling")]


@dataclass
class Overlap:
    """Requests in flight, per channel and over all channels, at most ever."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: dict[str, int] = field(default_factory=dict)
    most: dict[str, int] = field(default_factory=dict)
    now_total: int = 0
    most_total: int = 0
    #: Called as each request arrives, before the server's delay (a test pauses or stops there).
    on_arrival: Callable[[], None] | None = None

    def enter(self, channel: str) -> None:
        if self.on_arrival is not None:
            self.on_arrival()
        with self.lock:
            self.in_flight[channel] = self.in_flight.get(channel, 0) + 1
            self.most[channel] = max(self.most.get(channel, 0), self.in_flight[channel])
            self.now_total += 1
            self.most_total = max(self.most_total, self.now_total)

    def leave(self, channel: str) -> None:
        with self.lock:
            self.in_flight[channel] -= 1
            self.now_total -= 1


class CountingServer(FakeServer):
    """A fake server that records how many requests it answers at once (``overlap``), after ``latency``."""

    def __init__(self, channel: str, overlap: Overlap, latency: float) -> None:
        super().__init__(latency)
        self.channel = channel
        self.overlap = overlap

    def _dispatch(self, request: Request) -> Response:
        self.overlap.enter(self.channel)
        try:
            return super()._dispatch(request)
        finally:
            self.overlap.leave(self.channel)


@dataclass
class Channels:
    """The webhook channels of a test: name → its fake, and the shared overlap record."""

    fakes: dict[str, WebhookFake]
    overlap: Overlap

    @property
    def names(self) -> list[str]:
        return list(self.fakes)

    def created(self) -> dict[str, int]:
        return {name: len(fake.created) for name, fake in self.fakes.items()}


@contextmanager
def webhook_channels(latencies: dict[str, float]) -> Iterator[Channels]:
    """One loopback webhook receiver per channel, each answering after its latency."""
    overlap = Overlap()
    with ExitStack() as stack:
        fakes = {}
        for name, latency in latencies.items():
            server = stack.enter_context(CountingServer(name, overlap, latency))
            fakes[name] = WebhookFake(server)
        yield Channels(fakes, overlap)


def lanes_project(folder: Path, channels: Channels, store: str, **publishing: Any) -> Path:
    return project(
        folder,
        ROWS,
        channels={name: fake.channel_settings() for name, fake in channels.fakes.items()},
        campaigns={CAMPAIGN: campaign(channels.names, ["setiap hari 09.00"], min_gap_days=0)},
        publishing=publishing or None,
        store=store,
    )


def open_workspace(config: Path, channels: Channels, clock: Clock) -> Workspace:
    """A workspace (its own Store object: a worker of its own) on ``clock``."""
    environ = next(iter(channels.fakes.values())).environ
    return Workspace(load(config, environ), clock)


def write_due_posts(ws: Workspace, channels: list[str], per_channel: int, due: datetime) -> list[Post]:
    """``per_channel`` posts on each channel, rendered and planned, the last due at ``due`` (a minute apart)."""
    entries = ws.planning.catalogue()
    series = ws.config.campaigns[CAMPAIGN].series
    rows = []
    for channel in channels:
        for number in range(per_channel):
            entry = entries[number % len(entries)]
            when = due - timedelta(minutes=number)
            planned = PlannedPost(CAMPAIGN, channel, entry.innovation.id, series[number % len(series)], when)
            draft = ws.planning.draft(planned, entry.innovation, entry.source)
            assert draft.rendered is not None, draft.error
            rows.append(
                {
                    "key": planned.key,
                    "campaign": CAMPAIGN,
                    "channel": channel,
                    "innovation_id": planned.innovation_id,
                    "kind": planned.kind,
                    "scheduled_at": when,
                    "content_hash": entry.innovation.content_hash,
                    "text": draft.rendered.text,
                    "link": draft.rendered.link,
                    "image": None,
                    "alt_text": None,
                }
            )
    ws.store.apply_plan(rows, [], due)
    return ws.store.posts([PostState.PLANNED])


def timed(step: Any) -> tuple[Any, float]:
    """``step()``'s result and its wall time in seconds."""
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started
