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
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from .app import Workspace
from .channels.base import Channel, OutgoingPost, Outcome, PublishResult
from .errors import (
    AmbiguousError,
    ConfigError,
    ContentRejected,
    LocalIOError,
    PermanentError,
    PublishError,
    TransientError,
)
from .model import Post, PostState

log = logging.getLogger("outreach.publisher")

PAUSE_SETTING = "pause"


@dataclass(frozen=True)
class Transition:
    """What happened to one post."""

    post_id: int
    state: PostState
    reason: str


class Publisher:
    """Publishes due posts of one workspace; safe to call repeatedly from any clock."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        jitter: Callable[[], float] = random.random,
        stop: threading.Event | None = None,
    ) -> None:
        self.workspace = workspace
        self.store = workspace.store
        self.settings = workspace.config.publishing
        self._jitter = jitter
        self.stop = stop or threading.Event()

    # ---- the kill switch ------------------------------------------------------------------------

    def paused(self) -> dict | None:
        return self.store.get_setting(PAUSE_SETTING)

    # ---- recovery -------------------------------------------------------------------------------

    def recover(self) -> list[Transition]:
        """Settle posts left in ``publishing`` by a crash: proven outcome, else ``unknown``.

        Only one publisher works on a store at a time (the daemon's lock, one worker thread), so a
        post found in ``publishing`` before a claim is always an orphan.
        """
        outcomes = []
        for post in self.store.posts([PostState.PUBLISHING]):
            outcomes.append(self._guarded(post, lambda p=post: self._settle_interrupted(p, "interrupted while publishing (restart)")))
        return outcomes

    def _settle_interrupted(self, post: Post, why: str, retry_delay: float = 0.0) -> Transition:
        """Reconcile an attempt whose outcome is not known; ``retry_delay`` gives a request that may
        still be in flight on the platform's side time to land before a proven-safe retry."""
        now = self.workspace.now()
        resolve = f"check the platform, then `outreach post resolve {post.id}`"
        try:
            adapter = self.workspace.adapter(post.channel)
            if not adapter.capabilities.can_reconcile:
                raise LookupError(f"{adapter.platform} cannot look up what was posted")
            reconciliation = adapter.reconcile(self._outgoing(post))
        except TransientError as error:
            if adapter.capabilities.idempotent_retry and post.attempts < self.settings.max_attempts:
                # The platform makes a repeat harmless, so "ask again later" beats a person's time.
                return self._retry_later(post, error, now)
            return self._move(post, PostState.UNKNOWN, now, f"{why}; the look-up failed too: {error}; {resolve}")
        except (PublishError, ConfigError, LocalIOError, LookupError) as error:
            return self._move(post, PostState.UNKNOWN, now, f"{why}; cannot tell if it went out: {error}; {resolve}")
        if reconciliation.outcome is Outcome.PUBLISHED and reconciliation.result is not None:
            return self._record_success(post, reconciliation.result, now, f"{why}; reconciled: it was published")
        if reconciliation.outcome is Outcome.NOT_PUBLISHED:
            if post.attempts >= self.settings.max_attempts:
                return self._move(post, PostState.FAILED, now,
                                  f"gave up after {post.attempts} attempts: {why}; reconciled: it was not published")
            return self._move(post, PostState.PLANNED, now, f"{why}; reconciled: it was not published, retrying",
                              due_at=now + timedelta(seconds=retry_delay))
        return self._move(post, PostState.UNKNOWN, now, f"{why}; {reconciliation.detail or 'cannot tell'}; {resolve}")

    def settle_after_restore(self) -> list[Transition]:
        """After a backup is restored: every post in flight or already due may have gone out after the backup.

        An adapter's look-up that finds the post records it as published; anything else — including
        "not published", which adapters conclude from attempts the restored store may not know
        about — makes it ``unknown`` for a person, never a second publication.
        """
        now = self.workspace.now()
        return [
            self._settle_restored(post, now)
            for post in self.store.posts([PostState.PUBLISHING, PostState.PLANNED])
            if post.state is PostState.PUBLISHING or post.due_at <= now
        ]

    def _settle_restored(self, post: Post, now: datetime) -> Transition:
        why = "restored from a backup: it was due by the time of the restore and may have gone out after the backup was taken"
        resolve = f"check the platform, then `outreach post resolve {post.id}`"
        try:
            adapter = self.workspace.adapter(post.channel)
            if not adapter.capabilities.can_reconcile:
                raise LookupError(f"{adapter.platform} cannot look up what was posted")
            reconciliation = adapter.reconcile(self._outgoing(post))
        except (PublishError, ConfigError, LookupError) as error:
            return self._move(post, PostState.UNKNOWN, now, f"{why}; cannot tell: {error}; {resolve}")
        if reconciliation.outcome is Outcome.PUBLISHED and reconciliation.result is not None:
            return self._record_success(post, reconciliation.result, now, f"{why}; reconciled: it was published")
        return self._move(post, PostState.UNKNOWN, now,
                          f"{why}; the look-up did not prove it: {reconciliation.detail or 'cannot tell'}; {resolve}")

    # ---- the main loop ----------------------------------------------------------------------------

    def sweep_overdue(self) -> list[Transition]:
        """Posts overdue beyond the catch-up window become ``missed`` (kept and reported).

        A post never tried is missed when its due time is past the window (an operator's retry
        makes it due now); one that is being retried is missed once its slot is past the window.
        """
        now = self.workspace.now()
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
                        PostState.MISSED,
                        now,
                        f"missed: {int(late.total_seconds() // 60)} min late, over the "
                        f"{self.settings.catch_up_minutes}-minute catch-up window"
                        + (f" after {post.attempts} attempts ({post.reason})" if post.attempts else ""),
                        only_from=[PostState.PLANNED],
                    )
                )
        return outcomes

    def publish_due(self) -> list[Transition]:
        """Publish every post that is due now, one at a time, until none is left or we are asked to stop.

        The kill switch is read again before every claim, so `outreach pause` stops a backlog at once.
        Posts a crash left in ``publishing`` are not touched here: call ``recover`` once per run first.
        """
        if self.paused():
            return []
        outcomes = self.sweep_overdue()
        while not self.stop.is_set():
            post = self.store.claim_due(self.workspace.now(), unless_set=PAUSE_SETTING)
            if post is None:
                break
            log.info("post %s: planned → publishing (attempt %s) %s on %s", post.id, post.attempts, post.innovation_id, post.channel)
            outcomes.append(self._guarded(post, lambda claimed=post: self.attempt(claimed)))
        return outcomes

    def _guarded(self, post: Post, step: Callable[[], Transition]) -> Transition:
        """Run one step on a claimed post; whatever goes wrong, the post must not stay ``publishing``."""
        try:
            return step()
        except Exception as error:
            log.exception("post %s: unexpected error while settling it", post.id)
            return self._move(
                post, PostState.UNKNOWN, self.workspace.now(),
                f"unexpected {error.__class__.__name__}: {error}; check the platform, then "
                f"`outreach post resolve {post.id}`",
                only_from=[PostState.PUBLISHING],
            )

    def attempt(self, post: Post) -> Transition:
        """One attempt at a claimed post; records and returns the outcome.

        Every outcome is stamped with the clock read after the adapter returned or failed: a slow
        failure's backoff counts from when the failure was seen, not from the claim.
        """
        try:
            adapter = self.workspace.adapter(post.channel)
            blocked = self._blocked_by_language(post, adapter)
            if blocked:
                return self._move(post, PostState.SKIPPED, self.workspace.now(), blocked)
            outgoing = self._outgoing(post, fresh=False)
            result = adapter.publish(outgoing, lambda state: self.store.save_channel_state(post.id, state))
        except ContentRejected as error:
            if error.duplicate:
                return self._settle_interrupted(post, f"the platform says duplicate content ({error})")
            return self._move(post, PostState.FAILED, self.workspace.now(), f"rejected: {error}")
        except PermanentError as error:
            return self._move(post, PostState.FAILED, self.workspace.now(), f"{error.__class__.__name__}: {error}")
        except ConfigError as error:
            return self._move(post, PostState.FAILED, self.workspace.now(), f"configuration: {error}")
        except LocalIOError as error:
            # Nothing left this machine, so the post certainly did not go out.
            return self._move(post, PostState.FAILED, self.workspace.now(), f"{error}; nothing was published")
        except AmbiguousError as error:
            return self._settle_interrupted(post, f"ambiguous: {error}", retry_delay=self.settings.backoff_seconds)
        except TransientError as error:
            return self._retry_later(post, error, self.workspace.now())
        return self._record_success(post, result, self.workspace.now(), "published")

    # ---- helpers ----------------------------------------------------------------------------------

    def _blocked_by_language(self, post: Post, adapter: Channel) -> str | None:
        campaign = self.workspace.config.campaigns.get(post.campaign)
        if campaign is None or campaign.plain_language != "block" or not post.text:
            return None
        findings = self.workspace.check_language(
            post.text, post.kind, adapter.platform, Path(post.image) if post.image else None, post.alt_text
        )
        errors = [finding.label() for finding in findings if finding.severity == "error"]
        if not errors:
            return None
        return "plain language (campaign blocks errors): " + "; ".join(errors)

    def _outgoing(self, post: Post, fresh: bool = True) -> OutgoingPost:
        """The adapter's view of a post; ``fresh`` re-reads what the adapter checkpointed since the claim."""
        if post.text is None:
            raise ConfigError(f"post {post.id} has no rendered text; run `outreach plan` to render it")
        entry = self.workspace.entry(post.innovation_id)
        return OutgoingPost(
            id=post.id,
            key=post.key,
            text=post.text,
            link=post.link,
            image=Path(post.image) if post.image else None,
            alt_text=post.alt_text,
            campaign=post.campaign,
            kind=post.kind,
            innovation=entry.innovation.to_json(),
            scheduled_at=post.scheduled_at.astimezone(self.workspace.zone),
            channel_state=self.store.post(post.id).channel_state if fresh else post.channel_state,  # type: ignore[union-attr]
            image_roots=self.workspace.image_roots(entry.source),
        )

    def _retry_later(self, post: Post, error: TransientError, now: datetime) -> Transition:
        if post.attempts >= self.settings.max_attempts:
            return self._move(post, PostState.FAILED, now, f"gave up after {post.attempts} attempts: {error}")
        backoff = self.settings.backoff_seconds * 2 ** (post.attempts - 1)
        delay = min(backoff, self.settings.max_delay_seconds) * (0.5 + self._jitter() / 2)
        capped = ""
        if error.retry_after is not None:
            # The platform's word wins over our guess, up to a cap: a bogus or hostile answer
            # must not park a post for hours (the next attempt asks again).
            asked = error.retry_after
            cap = self.settings.max_retry_after_seconds
            if asked > cap:
                capped = f"; the platform asked to wait {asked:.0f} s; waiting {cap:.0f} s (publishing.max_retry_after_seconds)"
            delay = max(delay, min(asked, cap))
        due = now + timedelta(seconds=delay)
        return self._move(
            post, PostState.PLANNED, now, f"retry in {delay:.0f} s: {error}{capped}", due_at=due
        )

    def _record_success(self, post: Post, result: PublishResult, now: datetime, reason: str) -> Transition:
        state = PostState.HANDED_OFF if result.handed_off else PostState.PUBLISHED
        return self._move(
            post,
            state,
            now,
            "handed off to staff; confirm with `outreach post confirm`" if result.handed_off else reason,
            remote_id=result.remote_id,
            remote_url=result.url,
            published_at=None if result.handed_off else now,
        )

    def _move(
        self,
        post: Post,
        state: PostState,
        now: datetime,
        reason: str,
        only_from: list[PostState] | None = None,
        **values: Any,
    ) -> Transition:
        """Record a transition, only if the post is still where we read it (compare and set)."""
        moved = self.store.transition(post.id, state, now, reason, only_from=only_from or [post.state], **values)
        if moved:
            level = logging.WARNING if state in (PostState.FAILED, PostState.UNKNOWN, PostState.MISSED) else logging.INFO
            log.log(level, "post %s: %s → %s: %s", post.id, post.state.value, state.value, reason,
                    extra={"post_id": post.id, "from_state": post.state.value, "to_state": state.value,
                           "channel": post.channel, "innovation_id": post.innovation_id})
        return Transition(post.id, state, reason)
