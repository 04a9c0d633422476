"""Collecting engagement: read every recently published post's public figures and keep each reading.

A ``PostSweep`` (see ``outreach.sweep``): never delays publishing, never fatal, each channel read by a
few lanes of its own adapters, readings kept in small batches, the longest unread first.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from .channels import adapter_class, build_channel
from .channels.base import Channel
from .i18n import N_
from .model import MetricReading, Post
from .sweep import LANES, ChannelReading, CollectionSummary, PostSweep

if TYPE_CHECKING:
    from .app import Workspace

__all__ = ["COLLECTED_SETTING", "ChannelReading", "CollectionSummary", "Collector", "collector_for"]

#: The setting where the last collection records when it ended and what it read (``outreach status``).
COLLECTED_SETTING = "metrics_collected"


class Collector(PostSweep[dict[str, int]]):
    """Reads engagement of published posts into the store, one reading per post and run."""

    summary_setting = COLLECTED_SETTING
    subject = N_("engagement figures")

    def collect(self, days: int) -> CollectionSummary:
        """Read every post published in the last ``days`` days once; never raises for a platform's failure."""
        return self.run(days)

    def ask(self, adapter: Channel, post: Post) -> dict[str, int]:
        return dict(adapter.engagement(post).counts)

    def keep(self, answers: list[tuple[Post, dict[str, int]]]) -> None:
        now = self.clock.now()
        self.store.add_readings([MetricReading(post.id, now, counts) for post, counts in answers])

    def last_asked(self) -> Mapping[int, datetime]:
        return self.store.last_read_at()


def collector_for(workspace: Workspace, stop: threading.Event | None = None) -> Collector:
    """A collector over ``workspace``'s store and channels, with adapters of its own (not the publisher's)."""
    config = workspace.config

    def adapter_for(name: str) -> Channel:
        return build_channel(name, config.channels[name], config.environ, workspace.clock)

    configured = {
        name: adapter_class(settings.type).engagement_unavailable_for(name, settings)
        for name, settings in config.channels.items()
    }
    return Collector(workspace.store, workspace.clock, configured, adapter_for, stop=stop, lanes=LANES)
