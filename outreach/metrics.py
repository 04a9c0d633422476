"""Collecting engagement: read every recently published post's public figures and keep each reading.

A collection never delays publishing and is never fatal. Each channel is read by a few lanes, each
a thread with an adapter of its own (adapters keep one HTTP client, and the publisher's stay the
publisher's), taking the channel's posts in turn; every channel is read at once. Readings are
kept in small batches, each a short write transaction, so a crash loses little and the publisher
never waits long for the store. A failure stops at most that channel for this run; the next run
reads again. Posts that have waited longest since their last reading are read first, so a run cut
short still spreads the readings fairly. The last run's summary is kept for ``outreach status``.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
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

#: Lanes read at once over all channels: each thread mostly waits on its platform.
WORKERS = 16
#: Posts read at once on one channel by ``collector_for``: at 100 ms a request, 200 posts read one by
#: one take 20 s, 40 s on Facebook and Instagram (the post, then its insights). Four requests at once
#: stay far inside every platform's limits, which count requests per window, not at once; a 429 or a
#: spent budget stops every lane of that channel.
LANES = 4
#: A lane more for every this many posts of a channel: a few posts are not worth more adapters.
POSTS_PER_LANE = 25
#: Readings kept per write transaction: a crash loses at most this many per channel.
BATCH = 20
#: The setting where the last collection records when it ended and what it read (``outreach status``).
COLLECTED_SETTING = "metrics_collected"
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
    that lane's reading ends; ``configured`` maps each configured channel to why it reads no engagement
    (``Channel.engagement_unavailable_for``, in the reader's language), or None when it reads it.
    ``lanes``: at most this many posts read at once on one channel, each lane with an adapter of its
    own, one lane for every ``posts_per_lane`` posts.
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
        lanes: int = 1,
        posts_per_lane: int = POSTS_PER_LANE,
        batch: int = BATCH,
    ) -> None:
        self.store = store
        self.clock = clock
        self.configured = configured
        self.adapter_for = adapter_for
        self.stop = stop or threading.Event()
        self.workers = workers
        self.lanes = lanes
        self.posts_per_lane = posts_per_lane
        self.batch = batch

    def collect(self, days: int) -> CollectionSummary:
        """Read every post published in the last ``days`` days once; never raises for a platform's failure."""
        summary = CollectionSummary(days)
        runs: list[_ChannelRun] = []
        for name, posts in self._queues(self.clock.now() - timedelta(days=days)).items():
            result = summary.channels[name] = ChannelReading(name)
            reason = self._unreadable(name)
            if reason is None:
                runs.append(_ChannelRun(result, deque(posts)))
                continue
            log.info("channel %s: engagement not read: %s", name, reason)
            result.skipped = len(posts)
            result.note(reason)
        # Every channel's first lane before any channel's second, so that each channel starts at once.
        lanes = [run for lane in range(self.lanes) for run in runs if lane * self.posts_per_lane < len(run.posts)]
        if lanes:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(lanes)), thread_name_prefix="metrics") as pool:
                for future in [pool.submit(self._read_lane, run) for run in lanes]:
                    future.result()
        for run in runs:
            run.result.skipped += len(run.posts)  # never asked: the channel stopped, or the daemon did
            if run.posts and self.stop.is_set():
                run.result.note(_("the daemon was stopping"))
        log.info(
            "engagement collected: %s posts read, %s failed, %s skipped", summary.read, summary.failed, summary.skipped
        )
        self._record(summary)
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

    def _read_lane(self, run: _ChannelRun) -> None:
        """Read the channel's next posts with an adapter of its own until none is left or the channel must stop."""
        try:
            adapter = self.adapter_for(run.result.channel)
        except Exception as error:  # the adapter cannot even be made (a missing token): never fatal
            log.warning("channel %s: engagement not read: %s", run.result.channel, error)
            run.halt(str(error))
            return
        pending: list[MetricReading] = []
        try:
            while not self.stop.is_set() and (post := run.take()) is not None:
                reading = self._read_post(adapter, post, run)
                if reading is not None:
                    pending.append(reading)
                if len(pending) >= self.batch:
                    self._keep(pending, run)
        finally:
            self._keep(pending, run)
            adapter.close()

    def _read_post(self, adapter: Channel, post: Post, run: _ChannelRun) -> MetricReading | None:
        """One post's reading, or None (counted as failed; the channel halted where it must stop for this run)."""
        name = run.result.channel
        try:
            counts = adapter.engagement(post).counts
        except RateLimited as error:
            log.warning(
                "channel %s: rate limited, stopped for this run (retry after %s s): %s", name, _secs(error), error
            )
            run.fail(_("rate limited; the platform asks to wait {seconds} s").format(seconds=_secs(error)), halt=True)
            return None
        except (AuthError, ChannelHeld, ConfigError) as error:
            log.warning("channel %s: engagement cannot be read now, stopped for this run: %s", name, error)
            run.fail(str(error), halt=True)
            return None
        except PermanentError as error:  # the post is gone (deleted) or the platform refuses to show it
            log.info("post %s on %s: engagement not read (deleted?): %s", post.id, name, error)
            run.fail(_("post {id}: {error}").format(id=post.id, error=error))
            return None
        except Exception as error:  # transient (TransientError, AmbiguousError), or a bug in one adapter: never fatal
            log.warning("post %s on %s: engagement not read, read again next time: %s", post.id, name, error)
            run.fail(_("post {id}: {error}").format(id=post.id, error=error))
            return None
        run.count(read=1)
        return MetricReading(post.id, self.clock.now(), dict(counts))

    def _keep(self, pending: list[MetricReading], run: _ChannelRun) -> None:
        """Write the pending readings in one short transaction; a store failure loses only them."""
        if not pending:
            return
        try:
            self.store.add_readings(pending)
        except Exception as error:  # a busy or broken store: log; the next run reads again
            log.error("channel %s: %s readings could not be kept: %s", run.result.channel, len(pending), error)
            run.count(read=-len(pending), failed=len(pending), reason=str(error))
        pending.clear()

    def _record(self, summary: CollectionSummary) -> None:
        """Keep when this run ended and what it read, for ``outreach status``; a store failure only logs."""
        try:
            self.store.set_setting(
                COLLECTED_SETTING,
                {
                    "at": self.clock.now().isoformat(),
                    "days": summary.days,
                    "read": summary.read,
                    "failed": summary.failed,
                    "skipped": summary.skipped,
                },
            )
        except Exception as error:  # the readings are kept; only the summary line is missing
            log.error("the collection's summary could not be kept: %s", error)


@dataclass
class _ChannelRun:
    """One channel's reading shared by its lanes: the posts nobody took yet, whether to stop, what was done."""

    result: ChannelReading
    posts: deque[Post]
    stopped: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> Post | None:
        """The next post to read, or None when none is left or the channel must stop."""
        with self.lock:
            return None if self.stopped or not self.posts else self.posts.popleft()

    def count(self, read: int = 0, failed: int = 0, reason: str | None = None) -> None:
        with self.lock:
            self.result.read += read
            self.result.failed += failed
            if reason is not None:
                self.result.note(reason)

    def fail(self, reason: str, halt: bool = False) -> None:
        """One post not read, and why; ``halt``: no lane asks the platform anything more this run."""
        self.count(failed=1, reason=reason)
        if halt:
            self.halt(reason)

    def halt(self, reason: str) -> None:
        with self.lock:
            self.stopped = True
            self.result.note(reason)


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
    return Collector(workspace.store, workspace.clock, configured, adapter_for, stop=stop, lanes=LANES)
