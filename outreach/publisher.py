"""The publisher: the only code that moves a post between states.

For each due post it claims (committed before any network call), calls the channel adapter, and
records the outcome right after. The adapter's typed error alone decides what happens next:

- transient → back to ``planned`` with exponential backoff and jitter (at least the platform's
  retry-after, capped by ``max_retry_after_seconds``), until ``max_attempts``, then ``failed``;
- ambiguous or a duplicate-content answer → ask the adapter to reconcile; ``unknown`` if it cannot tell;
- permanent, or a local file that cannot be written (nothing was sent) → ``failed`` with the
  reason, for a person to act on.

A post overdue by more than ``catch_up_minutes`` becomes ``missed`` instead of going out late.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from .channels.base import Channel, Outcome, OutgoingPost, PublishResult, Reconciliation
from .clock import Clock
from .config import PublishingSettings
from .errors import (
    AmbiguousError,
    ChannelHeld,
    ConfigError,
    ContentRejected,
    LocalIOError,
    NotFound,
    PermanentError,
    PublishError,
    StateConflict,
    TransientError,
)
from .holds import Hold, Holds
from .lanes import Renewer, run_lanes, worker_id
from .model import Post, PostState
from .operations import PAUSE_SETTING
from .outbox import Operation
from .reasons import N_
from .store import About, Lease, Store, worker_spread

log = logging.getLogger("outreach.publisher")

#: How many channels due are read from the store at once, to be handed out to lanes as they free up.
LOOK_AHEAD = 256
#: Seconds between two reads of the kill switch before handing out lanes (every claim reads it too): with
#: several workers, lanes that find their channel claimed by another are common and must not each cost one.
PAUSE_READ_EVERY = 1.0

# The reasons recorded with a post: English in the store, shown translated (``reasons.shown``).
INTERRUPTED = N_("interrupted while publishing (restart)")
RESTORED = N_(
    "restored from a backup: it was due by the time of the restore and may have gone out after the backup was taken"
)
RESOLVE = N_("check the platform, then `outreach post resolve {id}`")
NO_LOOK_UP = N_("cannot tell if it went out: {platform} cannot look up what was posted")
LOOK_UP_FAILED = N_("the look-up failed too: {error}")
CANNOT_TELL_IF = N_("cannot tell if it went out: {error}")
CANNOT_TELL = N_("cannot tell")
CANNOT_TELL_BECAUSE = N_("cannot tell: {error}")
NOT_PROVEN = N_("the look-up did not prove it: {detail}")
RECONCILED_PUBLISHED = N_("reconciled: it was published")
RECONCILED_NOT_PUBLISHED = N_("reconciled: it was not published")
RECONCILED_RETRYING = N_("reconciled: it was not published, retrying")
GAVE_UP = N_("gave up after {attempts} attempts: {error}")
MISSED = N_("missed: {minutes} min late, over the {window}-minute catch-up window")
MISSED_AFTER = N_(
    "missed: {minutes} min late, over the {window}-minute catch-up window after {attempts} attempts ({reason})"
)
UNEXPECTED = N_("unexpected {kind}: {error}")
DUPLICATE = N_("the platform says duplicate content ({error})")
REJECTED = N_("rejected: {error}")
CONFIGURATION = N_("configuration: {error}")
NOTHING_PUBLISHED = N_("nothing was published")
AMBIGUOUS = N_("ambiguous: {error}")
PUBLISHED = N_("published")
ASKED_TO_WAIT = N_("the platform asked to wait {asked} s")
WAITING_CAP = N_("waiting {cap} s (publishing.max_retry_after_seconds)")
RETRY_IN = N_("retry in {delay} s: {error}")
HELD = N_("channel held, the post waits: {error}")
HANDED_OFF = N_("handed off to staff")
CONFIRM = N_("confirm with `outreach post confirm`")


@dataclass
class _Handout:
    """One ``publish_due``'s hand-out of channels to lanes."""

    #: Channels whose lane claimed nothing in this call: not handed out again.
    idle: set[str] = field(default_factory=set)
    #: Channels found due, not yet handed out.
    ahead: deque[str] = field(default_factory=deque)
    #: How many channels were idle when the kill switch was last read here (idle only grows), and when.
    idle_seen: int = 0
    pause_read_at: float = -PAUSE_READ_EVERY


@dataclass
class _Turn:
    """A lane's post in flight, and the next one claimed in the transaction that recorded its outcome."""

    channel: str
    post_id: int | None = None
    #: Whether the outcome's transaction claimed: ``next`` is then the post, or None (the lane went back in it).
    claimed: bool = False
    next: tuple[Post, About] | None = None


@dataclass(frozen=True)
class Transition:
    """What happened to one post."""

    post_id: int
    state: PostState
    reason: str


class Publisher:
    """Publishes the due posts of one store; safe to call repeatedly from any clock.

    It sees only what it needs: the store, a look-up from channel name to adapter, the clock, its
    settings, how a stored post looks to an adapter (``outgoing``) and the plain-language gate
    (``language_gate``: why a post must not go out on a platform, or None).
    """

    def __init__(
        self,
        store: Store,
        adapters: Callable[[str], Channel],
        clock: Clock,
        settings: PublishingSettings,
        *,
        outgoing: Callable[[Post, About | None], OutgoingPost],
        language_gate: Callable[[Post, str], str | None],
        jitter: Callable[[], float] = random.random,
        stop: threading.Event | None = None,
        worker: str | None = None,
        lease: timedelta | None = None,
    ) -> None:
        self.store = store
        self.adapters = adapters
        self.clock = clock
        self.settings = settings
        self._outgoing_of = outgoing
        self._language_gate = language_gate
        self._jitter = jitter
        self.stop = stop or threading.Event()
        self.holds = Holds(store, clock, settings.hold_probe_minutes)
        #: This worker's name on its lanes and claims; ``lease``: how long they live without a renewal.
        self.worker = worker or worker_id()
        self.lease = lease if lease is not None else timedelta(seconds=settings.lease_seconds)
        #: The order this worker reads a burst's channels in: its own on a shared store (workers reading at
        #: once then start on different channels), the order planned on SQLite's single worker.
        self._spread = 1 if store.is_sqlite else worker_spread(self.worker)
        #: The holds as read at the start of each ``publish_due``, and the lock the lanes share them under (and
        #: the adapter look-up, a cache that is not thread-safe).
        self._held: dict[str, Hold] = {}
        self._lock = threading.Lock()
        #: Posts this worker claimed and is settling now: their outcome is recorded only while the claim is ours.
        self._claimed: set[int] = set()
        #: The lane this thread runs (``_lane``): a post's outcome there claims the channel's next post with it.
        self._turn = threading.local()

    def paused(self) -> dict | None:
        """The kill switch (``outreach pause``): why publishing is paused, None while it is not."""
        return self.store.get_setting(PAUSE_SETTING)

    # ---- recovery -------------------------------------------------------------------------------

    def recover(self) -> list[Transition]:
        """At a worker's start, settle posts left in ``publishing`` by a crash: proven outcome, else ``unknown``.

        On SQLite one daemon works on a store at a time (its file lock), so every post found in
        ``publishing`` before its first claim is an orphan of its earlier life, and so is every lane;
        on a shared store only those whose lease has run out (``settle_orphans``): the others' workers live.
        """
        if self.store.is_sqlite:
            self.store.release_lanes_of_others(self.worker)
        return self._settle_orphans(every=self.store.is_sqlite)

    def settle_orphans(self) -> list[Transition]:
        """Settle the ``publishing`` posts whose lease has run out (their worker died): proven outcome,
        else ``unknown``. Never one whose worker still renews it; call it on every tick."""
        return self._settle_orphans(every=False)

    def _settle_orphans(self, every: bool) -> list[Transition]:
        """Take the orphans over under this worker's lease (renewed while their platforms are asked), then
        settle each as this worker's own claim.

        On a shared store the orphan's worker may only have stalled, its request still on the way: a post
        proven not published is tried again after ``backoff_seconds``, not at once, as after an ambiguous
        answer. At a SQLite daemon's start (``every``) the earlier life is dead and the retry is immediate.
        """
        orphans = self.store.take_orphans(self._lease(), self.clock.now(), every=every)
        if not orphans:
            return []
        retry_delay = 0.0 if every else self.settings.backoff_seconds
        outcomes = []
        with Renewer(self._renew, self.lease.total_seconds() / 3):
            for post in orphans:
                self._claimed.add(post.id)
                try:
                    outcomes.append(
                        self._guarded(post, partial(self._settle_interrupted, post, INTERRUPTED, retry_delay))
                    )
                finally:
                    self._claimed.discard(post.id)
        return outcomes

    def _adapter(self, channel: str) -> Channel:
        with self._lock:
            return self.adapters(channel)

    def _reconcile(self, post: Post) -> Reconciliation:
        """Ask the post's channel what became of it; CANNOT_TELL when the platform offers no look-up."""
        adapter = self._adapter(post.channel)
        if not adapter.capabilities.can_reconcile:
            return Reconciliation(
                Outcome.CANNOT_TELL,
                detail=NO_LOOK_UP.format(platform=adapter.platform),
            )
        return adapter.reconcile(self._outgoing(post))

    def _settle_interrupted(self, post: Post, why: str, retry_delay: float = 0.0) -> Transition:
        """Reconcile an attempt whose outcome is not known; ``retry_delay`` gives a request that may
        still be in flight on the platform's side time to land before a proven-safe retry."""
        now = self.clock.now()
        resolve = RESOLVE.format(id=post.id)
        try:
            reconciliation = self._reconcile(post)
        except TransientError as error:
            adapter = self._adapter(post.channel)
            if adapter.capabilities.idempotent_retry and post.attempts < self.settings.max_attempts:
                # The platform makes a repeat harmless, so "ask again later" beats a person's time.
                return self._retry_later(post, error, now)
            return self._move(post, Operation.UNKNOWN, now, f"{why}; {LOOK_UP_FAILED.format(error=error)}; {resolve}")
        except (PublishError, ConfigError, LocalIOError, NotFound) as error:
            return self._move(post, Operation.UNKNOWN, now, f"{why}; {CANNOT_TELL_IF.format(error=error)}; {resolve}")
        if reconciliation.outcome is Outcome.PUBLISHED and reconciliation.result is not None:
            return self._record_success(post, reconciliation.result, now, f"{why}; {RECONCILED_PUBLISHED}")
        if reconciliation.outcome is Outcome.NOT_PUBLISHED:
            if post.attempts >= self.settings.max_attempts:
                return self._move(
                    post,
                    Operation.FAIL,
                    now,
                    GAVE_UP.format(attempts=post.attempts, error=why) + f"; {RECONCILED_NOT_PUBLISHED}",
                )
            return self._move(
                post,
                Operation.DEFER,
                now,
                f"{why}; {RECONCILED_RETRYING}",
                due_at=now + timedelta(seconds=retry_delay),
            )
        return self._move(post, Operation.UNKNOWN, now, f"{why}; {reconciliation.detail or CANNOT_TELL}; {resolve}")

    def settle_after_restore(self) -> list[Transition]:
        """After a backup is restored: every post in flight or already due may have gone out after the backup.

        An adapter's look-up that finds the post records it as published; anything else — including
        "not published", which adapters conclude from attempts the restored store may not know
        about — makes it ``unknown`` for a person, never a second publication.
        """
        now = self.clock.now()
        return [
            self._settle_restored(post, now)
            for post in self.store.posts([PostState.PUBLISHING, PostState.PLANNED])
            if post.state is PostState.PUBLISHING or post.due_at <= now
        ]

    def _settle_restored(self, post: Post, now: datetime) -> Transition:
        why = RESTORED
        resolve = RESOLVE.format(id=post.id)
        in_flight = post.state is PostState.PUBLISHING
        unknown = Operation.UNKNOWN if in_flight else Operation.RESTORE_UNKNOWN
        try:
            reconciliation = self._reconcile(post)
        except (PublishError, ConfigError, NotFound) as error:
            return self._move(post, unknown, now, f"{why}; {CANNOT_TELL_BECAUSE.format(error=error)}; {resolve}")
        if reconciliation.outcome is Outcome.PUBLISHED and reconciliation.result is not None:
            return self._record_success(
                post,
                reconciliation.result,
                now,
                f"{why}; {RECONCILED_PUBLISHED}",
                operation=None if in_flight else Operation.RESTORE_PUBLISHED,
            )
        return self._move(
            post,
            unknown,
            now,
            f"{why}; {NOT_PROVEN.format(detail=reconciliation.detail or CANNOT_TELL)}; {resolve}",
        )

    # ---- the main loop ----------------------------------------------------------------------------

    def sweep_overdue(self) -> list[Transition]:
        """Posts overdue beyond the catch-up window become ``missed`` (kept and reported).

        A post never tried is missed when its due time is past the window (an operator's retry
        makes it due now); one that is being retried is missed once its slot is past the window.
        """
        now = self.clock.now()
        cutoff = now - timedelta(minutes=self.settings.catch_up_minutes)
        outcomes = []
        for post in self.store.posts([PostState.PLANNED], scheduled_to=cutoff):
            never_tried = post.attempts == 0 and post.due_at < cutoff
            retry_too_late = post.attempts > 0 and post.due_at <= now
            if never_tried or retry_too_late:
                late = now - post.scheduled_at
                outcomes.append(
                    self._move(
                        post,
                        Operation.MISS,
                        now,
                        (MISSED_AFTER if post.attempts else MISSED).format(
                            minutes=int(late.total_seconds() // 60),
                            window=self.settings.catch_up_minutes,
                            attempts=post.attempts,
                            reason=post.reason,
                        ),
                    )
                )
        return outcomes

    def publish_due(self) -> list[Transition]:
        """Publish every post that is due now, until none is left or we are asked to stop.

        Channels go out at once, up to ``parallel_channels`` lanes; each lane claims its channel's
        due posts one at a time, and only while this worker holds the channel's lane. The kill switch
        is read again inside every claim, so `outreach pause` stops every lane before its next post.
        Posts a crash left in ``publishing`` are not touched here: ``recover``/``settle_orphans`` do that.
        """
        if self.paused():
            return []
        outcomes = self.sweep_overdue()
        with self._lock:
            self._held = self.holds.all()
        handout = _Handout()
        with Renewer(self._renew, self.lease.total_seconds() / 3):
            outcomes += run_lanes(
                partial(self._take_lanes, handout),
                partial(self._lane, idle=handout.idle),
                self.settings.parallel_channels,
                self.stop,
            )
        return outcomes

    def _lease(self) -> Lease:
        return Lease(self.worker, self.clock.now() + self.lease)

    def _renew(self) -> None:
        self.store.renew(self._lease())

    def _waiting(self, now: datetime) -> set[str]:
        """Held channels whose next try is not yet due."""
        with self._lock:
            return self._waiting_unlocked(now)

    def _waiting_unlocked(self, now: datetime) -> set[str]:
        return {name for name, hold in self._held.items() if hold.probe_at > now}

    def _take_lanes(self, handout: _Handout, free: int) -> list[str]:
        """Up to ``free`` channels with posts due, neither held nor idle, for lanes to start on.

        The channels due are read ``LOOK_AHEAD`` at a time into ``handout.ahead`` (a burst of 16,384 channels
        costs 64 reads, not one per lane). A lane's first claim takes the channel's lane in the store; one
        taken meanwhile by another worker, or drained, claims nothing and joins ``handout.idle`` (workers read
        a burst in orders of their own, ``due_channels``' spread, so few do). The kill switch is read here too,
        once a lane claimed nothing (a pause shows so first), at most every ``PAUSE_READ_EVERY`` s.
        """
        with self._lock:
            skip = self._waiting_unlocked(self.clock.now()) | handout.idle
        if len(handout.idle) > handout.idle_seen and time.monotonic() >= handout.pause_read_at + PAUSE_READ_EVERY:
            handout.idle_seen, handout.pause_read_at = len(handout.idle), time.monotonic()
            if self.paused():
                return []
        if not handout.ahead:
            handout.ahead.extend(
                self.store.due_channels(self.clock.now(), skip=skip, limit=max(free, LOOK_AHEAD), spread=self._spread)
            )
        wanted: list[str] = []
        while handout.ahead and len(wanted) < free:
            channel = handout.ahead.popleft()
            if channel not in skip:
                wanted.append(channel)
        return wanted

    def _lane(self, channel: str, idle: set[str]) -> list[Transition]:
        """Publish ``channel``'s due posts one at a time while the lane is ours; then give the lane back.

        Each claim holds the store's lane (taking it back if it ran out and no one took it); the claim that finds
        nothing gives it back in its transaction, a lane that ends otherwise (stopped, held, an error) itself.
        A lane that claimed nothing adds its channel to ``idle``: this call does not hand it out again.
        """
        outcomes: list[Transition] = []
        released = False
        turn = _Turn(channel)
        self._turn.value = turn
        try:
            while True:
                if turn.claimed:  # with the last post's outcome: committed, so it goes out even if stopped since
                    claimed, turn.claimed, turn.next = turn.next, False, None
                else:
                    now = self.clock.now()
                    if self.stop.is_set() or channel in self._waiting(now):
                        break
                    claimed = self.store.claim_to_publish(now, PAUSE_SETTING, channel, self._lease())
                if claimed is None:
                    released = True
                    break
                post, about = claimed
                claimed_as = (post.id, post.attempts, post.innovation_id, post.channel)
                log.info("post %s: planned → publishing (attempt %s) %s on %s", *claimed_as)
                self._claimed.add(post.id)
                turn.post_id = post.id
                try:
                    outcomes.append(self._guarded(post, partial(self.attempt, post, about)))
                finally:
                    self._claimed.discard(post.id)
                    turn.post_id = None
        finally:
            self._turn.value = None
            if not released:
                self.store.release_lane(channel, self.worker)
            if not outcomes:
                with self._lock:
                    idle.add(channel)
        return outcomes

    def _guarded(self, post: Post, step: Callable[[], Transition]) -> Transition:
        """Run one step on a claimed post; whatever goes wrong, the post must not stay ``publishing``."""
        try:
            return step()
        except Exception as error:
            log.exception("post %s: unexpected error while settling it", post.id)
            return self._move(
                post,
                Operation.UNKNOWN,
                self.clock.now(),
                UNEXPECTED.format(kind=error.__class__.__name__, error=error) + "; " + RESOLVE.format(id=post.id),
            )

    def attempt(self, post: Post, about: About | None = None) -> Transition:
        """One attempt at a claimed post (``about``: what its adapter is shown, as read with the claim);
        records and returns the outcome.

        Every outcome is stamped with the clock read after the adapter returned or failed: a slow
        failure's backoff counts from when the failure was seen, not from the claim.
        """
        try:
            adapter = self._adapter(post.channel)
            blocked = self._language_gate(post, adapter.platform)
            if blocked:
                return self._move(post, Operation.SKIP, self.clock.now(), blocked)
            outgoing = self._outgoing_of(post, about)
            result = adapter.publish(outgoing, lambda state: self.store.save_channel_state(post.id, state))
        except ContentRejected as error:
            if error.duplicate:
                return self._settle_interrupted(post, DUPLICATE.format(error=error))
            return self._move(post, Operation.FAIL, self.clock.now(), REJECTED.format(error=error))
        except ChannelHeld as error:
            return self._hold(post, error)
        except PermanentError as error:
            return self._move(post, Operation.FAIL, self.clock.now(), f"{error.__class__.__name__}: {error}")
        except (ConfigError, NotFound) as error:
            return self._move(post, Operation.FAIL, self.clock.now(), CONFIGURATION.format(error=error))
        except LocalIOError as error:
            # Nothing left this machine, so the post certainly did not go out.
            return self._move(post, Operation.FAIL, self.clock.now(), f"{error}; {NOTHING_PUBLISHED}")
        except AmbiguousError as error:
            return self._settle_interrupted(
                post, AMBIGUOUS.format(error=error), retry_delay=self.settings.backoff_seconds
            )
        except TransientError as error:
            return self._retry_later(post, error, self.clock.now())
        return self._record_success(post, result, self.clock.now(), PUBLISHED)

    # ---- helpers ----------------------------------------------------------------------------------

    def _outgoing(self, post: Post) -> OutgoingPost:
        """The adapter's view of a post, re-read with what the adapter checkpointed since the claim."""
        return self._outgoing_of(self.store.post(post.id), None)

    def _retry_later(self, post: Post, error: TransientError, now: datetime) -> Transition:
        if post.attempts >= self.settings.max_attempts:
            return self._move(post, Operation.FAIL, now, GAVE_UP.format(attempts=post.attempts, error=error))
        backoff = self.settings.backoff_seconds * 2 ** (post.attempts - 1)
        delay = min(backoff, self.settings.max_delay_seconds) * (0.5 + self._jitter() / 2)
        capped = ""
        if error.retry_after is not None:
            # The platform's word wins over our guess, up to a cap: a bogus or hostile answer
            # must not park a post for hours (the next attempt asks again).
            asked = error.retry_after
            cap = self.settings.max_retry_after_seconds
            if asked > cap:
                capped = f"; {ASKED_TO_WAIT.format(asked=f'{asked:.0f}')}; {WAITING_CAP.format(cap=f'{cap:.0f}')}"
            delay = max(delay, min(asked, cap))
        due = now + timedelta(seconds=delay)
        return self._move(
            post, Operation.DEFER, now, RETRY_IN.format(delay=f"{delay:.0f}", error=error) + capped, due_at=due
        )

    def _hold(self, post: Post, error: ChannelHeld) -> Transition:
        """The account cannot post now: hold the channel, and put the post back as it was (attempt not counted)."""
        hold = self.holds.hold(post.channel, str(error))
        with self._lock:
            first = post.channel not in self._held
            self._held[post.channel] = hold
        if first:
            log.warning(
                "channel %s held: %s; its posts wait, one is tried again at %s",
                post.channel,
                error,
                hold.probe_at.isoformat(timespec="minutes"),
                extra={"channel": post.channel},
            )
        return self._move(
            post,
            Operation.HOLD,
            self.clock.now(),
            HELD.format(error=error),
            attempts=post.attempts - 1,
        )

    def _record_success(
        self, post: Post, result: PublishResult, now: datetime, reason: str, operation: Operation | None = None
    ) -> Transition:
        with self._lock:
            lifted = self._held.pop(post.channel, None) is not None and self.holds.lift(post.channel) is not None
        if lifted:
            log.info("channel %s: hold lifted, a post went out", post.channel, extra={"channel": post.channel})
        if result.handed_off:
            return self._move(
                post,
                Operation.HAND_OFF,
                now,
                f"{HANDED_OFF}; {CONFIRM}",
                remote_id=result.remote_id,
                remote_url=result.url,
            )
        return self._move(
            post,
            operation or Operation.PUBLISHED,
            now,
            reason,
            remote_id=result.remote_id,
            remote_url=result.url,
            published_at=now,
        )

    def _move(self, post: Post, operation: Operation, now: datetime, reason: str, **values: Any) -> Transition:
        """Record a transition, only if the post is still where we read it (compare and set). A lane's outcome
        claims its channel's next post in the same transaction (one commit a post), unless stopping or held."""
        try:
            owner = self.worker if post.id in self._claimed else None
            turn: _Turn | None = getattr(self._turn, "value", None)
            if (
                turn is not None
                and turn.post_id == post.id
                and not self.stop.is_set()
                and turn.channel not in self._waiting(now)
            ):
                state, turn.next = self.store.transition_and_claim(
                    post.id, operation, now, reason, expect=post.state, owner=owner, unless_set=PAUSE_SETTING,
                    channel=turn.channel, lease=self._lease(), **values,
                )  # fmt: skip
                turn.claimed = True
            else:
                state = self.store.transition(post.id, operation, now, reason, expect=post.state, owner=owner, **values)
        except StateConflict as conflict:
            log.warning("post %s: left alone: %s", post.id, conflict)
            return Transition(post.id, PostState(conflict.state), str(conflict))
        level = logging.WARNING if state in (PostState.FAILED, PostState.UNKNOWN, PostState.MISSED) else logging.INFO
        log.log(
            level,
            "post %s: %s → %s: %s",
            post.id,
            post.state.value,
            state.value,
            reason,
            extra={
                "post_id": post.id,
                "from_state": post.state.value,
                "to_state": state.value,
                "channel": post.channel,
                "innovation_id": post.innovation_id,
            },
        )
        return Transition(post.id, state, reason)
