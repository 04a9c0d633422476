"""Collecting engagement: read every recently published post's public figures and keep each reading.

A collection never delays publishing and is never fatal. Each channel is read by one thread with
an adapter of its own (adapters keep one HTTP client, and the publisher's stay the publisher's);
a few channels are read at once. Readings are kept in small batches, each a short write
transaction, so a crash loses little and the publisher never waits long for the store. A failure
stops at most that channel for this run; the next run reads again. Posts that have waited longest
since their last reading are read first, so a run cut short still spreads the readings fairly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .channels import adapter_class, build_channel
from .channels.base import Channel
from .clock import Clock
from .errors import AuthError, ChannelHeld, ConfigError, PermanentError, RateLimited
from .i18n import _
from .model import MetricReading, Post, PostState

if TYPE_CHECKING:
    from .app import Workspace
    from .store import Store

log = logging.getLogger("outreach.metrics")

#: Channels read at once: each thread mostly waits on its platform; enough for one of each platform.
WORKERS = 8
#: Readings kept per write transaction: a crash loses at most this many per channel.
BATCH = 20
#: Sorts before every real reading time: a post never read is the longest unread.
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass
class ChannelReading:
    """What one run did on one channel."""

    channel: str
    read: int = 0
    failed: int = 0
    skipped: int = 0
    #: Why posts were skipped or failed or the channel stopped, each once, for a person (in the reader's language).
    reasons: list[str] = field(default_factory=list)

    def note(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)


@dataclass
class CollectionSummary:
    """What ``collect`` did: posts read, and per channel what was read, failed or skipped and why."""

    days: int
    channels: dict[str, ChannelReading] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return sum(result.read for result in self.channels.values())

    @property
    def failed(self) -> int:
        return sum(result.failed for result in self.channels.values())

    @property
    def skipped(self) -> int:
        return sum(result.skipped for result in self.channels.values())


class Collector:
    """Reads engagement of published posts into the store; see the module's docstring.

    ``adapter_for`` makes a *new* adapter for a channel name (never the publisher's), closed when
    that channel's reading ends; ``configured`` maps each configured channel to why it reads no engagement
    (``Channel.engagement_unavailable_for``, in the reader's language), or None when it reads it.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        configured: Mapping[str, str | None],
        adapter_for: Callable[[str], Channel],
        *,
        stop: threading.Event | None = None,
        workers: int = WORKERS,
        batch: int = BATCH,
    ) -> None:
        self.store = store
        self.clock = clock
        self.configured = configured
        self.adapter_for = adapter_for
        self.stop = stop or threading.Event()
        self.workers = workers
        self.batch = batch

    def collect(self, days: int) -> CollectionSummary:
        """Read every post published in the last ``days`` days once; never raises for a platform's failure."""
        summary = CollectionSummary(days)
        queues = self._queues(self.clock.now() - timedelta(days=days))
        for name, posts in queues.items():
            summary.channels[name] = ChannelReading(name)
            reason = self._unreadable(name)
            if reason is not None:
                log.info("channel %s: engagement not read: %s", name, reason)
                summary.channels[name].skipped = len(posts)
                summary.channels[name].note(reason)
        readable = [name for name in queues if not summary.channels[name].skipped]
        if readable:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(readable)), thread_name_prefix="metrics") as pool:
                for future in [pool.submit(self._read_channel, queues[n], summary.channels[n]) for n in readable]:
                    future.result()
        log.info(
            "engagement collected: %s posts read, %s failed, %s skipped", summary.read, summary.failed, summary.skipped
        )
        return summary

    def _queues(self, since: datetime) -> dict[str, list[Post]]:
        """Each channel's posts to read, longest unread first; channels in the same order by their first post."""
        last_read = self.store.last_read_at()
        recent = self.store.posts([PostState.PUBLISHED], published_from=since)
        recent.sort(key=lambda post: (last_read.get(post.id, _NEVER), post.published_at or _NEVER, post.id))
        queues: dict[str, list[Post]] = {}
        for post in recent:
            queues.setdefault(post.channel, []).append(post)
        return queues

    def _unreadable(self, name: str) -> str | None:
        """Why a channel's engagement is not read (in the reader's language), or None when it is."""
        if name not in self.configured:
            return _("the channel is no longer in the configuration")
        return self.configured[name]

    def _read_channel(self, posts: list[Post], result: ChannelReading) -> None:
        """Read one channel's posts in order until done, stopped, or the channel cannot be read now."""
        try:
            adapter = self.adapter_for(result.channel)
        except Exception as error:  # the adapter cannot even be made (a missing token): never fatal
            log.warning("channel %s: engagement not read: %s", result.channel, error)
            result.skipped = len(posts)
            result.note(str(error))
            return
        pending: list[MetricReading] = []
        try:
            for index, post in enumerate(posts):
                if self.stop.is_set():
                    result.skipped += len(posts) - index
                    result.note(_("the daemon was stopping"))
                    break
                reading, halt = self._read_post(adapter, post, result)
                if reading is not None:
                    pending.append(reading)
                    result.read += 1
                if len(pending) >= self.batch:
                    self._keep(pending, result)
                if halt:
                    result.skipped += len(posts) - index - 1
                    break
        finally:
            self._keep(pending, result)
            adapter.close()

    def _read_post(self, adapter: Channel, post: Post, result: ChannelReading) -> tuple[MetricReading | None, bool]:
        """One post's reading, or None; and whether the channel must stop for this run."""
        name = result.channel
        try:
            counts = adapter.engagement(post).counts
        except RateLimited as error:
            log.warning(
                "channel %s: rate limited, stopped for this run (retry after %s s): %s", name, _secs(error), error
            )
            result.failed += 1
            result.note(_("rate limited; the platform asks to wait {seconds} s").format(seconds=_secs(error)))
            return None, True
        except (AuthError, ChannelHeld, ConfigError) as error:
            log.warning("channel %s: engagement cannot be read now, stopped for this run: %s", name, error)
            result.failed += 1
            result.note(str(error))
            return None, True
        except PermanentError as error:  # the post is gone (deleted) or the platform refuses to show it
            log.info("post %s on %s: engagement not read (deleted?): %s", post.id, name, error)
            result.failed += 1
            result.note(_("post {id}: {error}").format(id=post.id, error=error))
            return None, False
        except Exception as error:  # transient (TransientError, AmbiguousError), or a bug in one adapter: never fatal
            log.warning("post %s on %s: engagement not read, read again next time: %s", post.id, name, error)
            result.failed += 1
            result.note(_("post {id}: {error}").format(id=post.id, error=error))
            return None, False
        return MetricReading(post.id, self.clock.now(), dict(counts)), False

    def _keep(self, pending: list[MetricReading], result: ChannelReading) -> None:
        """Write the pending readings in one short transaction; a store failure loses only them."""
        if not pending:
            return
        try:
            self.store.add_readings(pending)
        except Exception as error:  # a busy or broken store: log; the next run reads again
            log.error("channel %s: %s readings could not be kept: %s", result.channel, len(pending), error)
            result.read -= len(pending)
            result.failed += len(pending)
            result.note(str(error))
        pending.clear()


def _secs(error: RateLimited) -> str:
    return "?" if error.retry_after is None else f"{error.retry_after:.0f}"


def collector_for(workspace: Workspace, stop: threading.Event | None = None) -> Collector:
    """A collector over ``workspace``'s store and channels, with adapters of its own (not the publisher's)."""
    config = workspace.config

    def adapter_for(name: str) -> Channel:
        return build_channel(name, config.channels[name], config.environ, workspace.clock)

    configured = {
        name: adapter_class(settings.type).engagement_unavailable_for(name, settings)
        for name, settings in config.channels.items()
    }
    return Collector(workspace.store, workspace.clock, configured, adapter_for, stop=stop)
