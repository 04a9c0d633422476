"""Sweeping recent posts: ask each channel something about every recently published post, and keep the answers.

What the engagement reading (``metrics``) and the replies collection (``replies``) share. A sweep never
delays publishing and is never fatal. Each channel is read by a few lanes, each a thread with an
adapter of its own (adapters keep one HTTP client, and the publisher's stay the publisher's), taking
the channel's posts in turn; every channel is read at once. Answers are kept in small batches, each a
short write transaction, so a crash loses little and the publisher never waits long for the store. A
failure stops at most that channel for this run; the next run asks again. Posts that have waited
longest since they were last asked come first, so a run cut short still spreads the work fairly. The
last run's summary is kept in a setting for ``outreach status``.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

from .channels.base import Channel
from .clock import Clock
from .errors import AuthError, ChannelHeld, ConfigError, PermanentError, RateLimited
from .i18n import _
from .model import Post, PostState

if TYPE_CHECKING:
    from .store import Store

#: Lanes read at once over all channels: each thread mostly waits on its platform.
WORKERS = 16
#: Posts asked about at once on one channel: at 100 ms a request, 200 posts asked one by one take
#: 20 s, 40 s on Facebook and Instagram (two requests a post). Four requests at once stay far inside
#: every platform's limits, which count requests per window, not at once; a 429 or a spent budget
#: stops every lane of that channel.
LANES = 4
#: A lane more for every this many posts of a channel: a few posts are not worth more adapters.
POSTS_PER_LANE = 25
#: Answers kept per write transaction: a crash loses at most this many per channel.
BATCH = 20
#: Sorts before every real time: a post never asked about is the longest waiting.
_NEVER = datetime.min.replace(tzinfo=UTC)

Answer = TypeVar("Answer")
Result = TypeVar("Result")


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
    """What a run did: posts read, and per channel what was read, failed or skipped and why."""

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


class PostSweep(ABC, Generic[Answer]):
    """Asks every channel about its recently published posts and keeps the answers; see the module's docstring.

    ``adapter_for`` makes a *new* adapter for a channel name (never the publisher's), closed when that
    lane's work ends; ``configured`` maps each configured channel to why it cannot answer (in the
    reader's language), or None when it can. ``lanes``: at most this many posts asked about at once on
    one channel, each lane with an adapter of its own, one lane for every ``posts_per_lane`` posts.
    """

    #: The setting where the last run records when it ended and what it did (``outreach status``).
    summary_setting: str
    #: What the log calls what this sweep reads: a msgid (``N_``), shown in the reader's language.
    subject: str

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
        #: The subclass's own module logger (``outreach.metrics``, ``outreach.replies``), as operators filter by it.
        self.log = logging.getLogger(type(self).__module__)

    # -- what a sweep asks and keeps ------------------------------------------------------------

    @abstractmethod
    def ask(self, adapter: Channel, post: Post) -> Answer:
        """The channel's answer about one post; raises the adapters' typed errors."""

    @abstractmethod
    def keep(self, answers: list[tuple[Post, Answer]]) -> None:
        """Write a batch of answers in one short transaction."""

    @abstractmethod
    def last_asked(self) -> Mapping[int, datetime]:
        """When each post was last asked about, so the longest waiting comes first."""

    def ask_channel(self, adapter: Channel, posts: list[Post]) -> Mapping[int, Answer]:
        """For channels that answer about all their posts at once (``per_channel``): answers by post id."""
        raise NotImplementedError(f"{type(self).__name__} asks per post")

    def per_channel(self, name: str) -> bool:
        """Whether channel ``name`` answers about all its posts in one call (``ask_channel``)."""
        return False

    # -- the run --------------------------------------------------------------------------------

    def run(self, days: int) -> CollectionSummary:
        """Ask about every post published in the last ``days`` days once; never raises for a platform's failure."""
        summary = CollectionSummary(days)
        runs: list[_ChannelRun[Answer]] = []
        for name, posts in self._queues(self.clock.now() - timedelta(days=days)).items():
            result = summary.channels[name] = ChannelReading(name)
            reason = self._unreadable(name)
            if reason is None:
                runs.append(_ChannelRun(result, deque(posts)))
                continue
            self.log.info("channel %s: %s not read: %s", name, self.subject, reason)
            result.skipped = len(posts)
            result.note(reason)
        # Every channel's first lane before any channel's second, so that each channel starts at once.
        lanes = [
            run
            for lane in range(self.lanes)
            for run in runs
            if lane * self.posts_per_lane < len(run.posts) and (lane == 0 or not self.per_channel(run.result.channel))
        ]
        if lanes:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(lanes)), thread_name_prefix="sweep") as pool:
                for future in [pool.submit(self._read_lane, run) for run in lanes]:
                    future.result()
        for run in runs:
            run.result.skipped += len(run.posts)  # never asked: the channel stopped, or the daemon did
            if run.posts and self.stop.is_set():
                run.result.note(_("the daemon was stopping"))
        self.log.info(
            "%s collected: %s posts read, %s failed, %s skipped",
            self.subject,
            summary.read,
            summary.failed,
            summary.skipped,
        )
        self._record(summary)
        return summary

    def _queues(self, since: datetime) -> dict[str, list[Post]]:
        """Each channel's posts, longest waiting first; channels in the same order by their first post."""
        last_asked = self.last_asked()
        recent = self.store.posts([PostState.PUBLISHED], published_from=since)
        recent.sort(key=lambda post: (last_asked.get(post.id, _NEVER), post.published_at or _NEVER, post.id))
        queues: dict[str, list[Post]] = {}
        for post in recent:
            queues.setdefault(post.channel, []).append(post)
        return queues

    def _unreadable(self, name: str) -> str | None:
        """Why a channel is not asked (in the reader's language), or None when it is."""
        if name not in self.configured:
            return _("the channel is no longer in the configuration")
        return self.configured[name]

    def _read_lane(self, run: _ChannelRun[Answer]) -> None:
        """Ask about the channel's next posts with an adapter of its own until none is left or it must stop."""
        try:
            adapter = self.adapter_for(run.result.channel)
        except Exception as error:  # the adapter cannot even be made (a missing token): never fatal
            self.log.warning("channel %s: %s not read: %s", run.result.channel, self.subject, error)
            run.halt(str(error))
            return
        pending: list[tuple[Post, Answer]] = []
        try:
            if self.per_channel(run.result.channel):
                pending.extend(self._ask_whole_channel(adapter, run))
            while not self.stop.is_set() and (post := run.take()) is not None:
                for answer in self._guarded(lambda: self.ask(adapter, post), run, _("post {id}").format(id=post.id), 1):
                    run.count(read=1)
                    pending.append((post, answer))
                if len(pending) >= self.batch:
                    self._keep(pending, run)
        finally:
            self._keep(pending, run)
            adapter.close()

    def _ask_whole_channel(self, adapter: Channel, run: _ChannelRun[Answer]) -> list[tuple[Post, Answer]]:
        posts = run.take_all()
        for answers in self._guarded(lambda: self.ask_channel(adapter, posts), run, _("all posts"), len(posts)):
            run.count(read=len(posts))
            return [(post, answers[post.id]) for post in posts if post.id in answers]
        return []

    def _guarded(self, call: Callable[[], Result], run: _ChannelRun[Answer], what: str, posts: int) -> list[Result]:
        """``[call's answer]``, or ``[]`` when it failed (counted; the channel halted where it must stop for this
        run). A list, because an answer may itself be empty or None."""
        name = run.result.channel
        try:
            return [call()]
        except RateLimited as error:
            self.log.warning(
                "channel %s: rate limited, stopped for this run (retry after %s s): %s", name, _secs(error), error
            )
            run.fail(_("rate limited; the platform asks to wait {seconds} s").format(seconds=_secs(error)), posts, True)
        except (AuthError, ChannelHeld, ConfigError) as error:
            self.log.warning("channel %s: %s cannot be read now, stopped for this run: %s", name, self.subject, error)
            run.fail(str(error), posts, True)
        except PermanentError as error:  # the post is gone (deleted) or the platform refuses to show it
            self.log.info("%s on %s: %s not read (deleted?): %s", what, name, self.subject, error)
            run.fail(_("{what}: {error}").format(what=what, error=error), posts)
        except Exception as error:  # transient (TransientError, AmbiguousError), or a bug in one adapter: never fatal
            self.log.warning("%s on %s: %s not read, read again next time: %s", what, name, self.subject, error)
            run.fail(_("{what}: {error}").format(what=what, error=error), posts)
        return []

    def _keep(self, pending: list[tuple[Post, Answer]], run: _ChannelRun[Answer]) -> None:
        """Keep the pending answers in one short transaction; a store failure loses only them."""
        if not pending:
            return
        try:
            self.keep(pending)
        except Exception as error:  # a busy or broken store: log; the next run asks again
            self.log.error("channel %s: %s answers could not be kept: %s", run.result.channel, len(pending), error)
            run.count(read=-len(pending), failed=len(pending), reason=str(error))
        pending.clear()

    def _record(self, summary: CollectionSummary) -> None:
        """Keep when this run ended and what it did, for ``outreach status``; a store failure only logs."""
        try:
            self.store.set_setting(
                self.summary_setting,
                {
                    "at": self.clock.now().isoformat(),
                    "days": summary.days,
                    "read": summary.read,
                    "failed": summary.failed,
                    "skipped": summary.skipped,
                },
            )
        except Exception as error:  # the answers are kept; only the summary line is missing
            self.log.error("the %s run's summary could not be kept: %s", self.subject, error)


@dataclass
class _ChannelRun(Generic[Answer]):
    """One channel's run shared by its lanes: the posts nobody took yet, whether to stop, what was done."""

    result: ChannelReading
    posts: deque[Post]
    stopped: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> Post | None:
        """The next post to ask about, or None when none is left or the channel must stop."""
        with self.lock:
            return None if self.stopped or not self.posts else self.posts.popleft()

    def take_all(self) -> list[Post]:
        with self.lock:
            taken = [] if self.stopped else list(self.posts)
            if not self.stopped:
                self.posts.clear()
            return taken

    def count(self, read: int = 0, failed: int = 0, reason: str | None = None) -> None:
        with self.lock:
            self.result.read += read
            self.result.failed += failed
            if reason is not None:
                self.result.note(reason)

    def fail(self, reason: str, posts: int = 1, halt: bool = False) -> None:
        """Posts not read, and why; ``halt``: no lane asks the platform anything more this run."""
        self.count(failed=posts, reason=reason)
        if halt:
            self.halt(reason)

    def halt(self, reason: str) -> None:
        with self.lock:
            self.stopped = True
            self.result.note(reason)


def _secs(error: RateLimited) -> str:
    return "?" if error.retry_after is None else f"{error.retry_after:.0f}"
