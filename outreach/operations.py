"""What an operator may do to posts and to publishing as a whole, whichever surface asks.

The command line today and the web page later call these, so an action has one meaning: the
same start states (read from the outbox table), the same reason text, and one event naming who
did it. Nothing here prints; the caller says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .clock import Clock
from .model import OPERATOR_CANCEL_PREFIX, PostState
from .outbox import Operation
from .store import Store

#: Settings key of the kill switch: while it holds a value, nothing is claimed.
PAUSE_SETTING = "pause"


@dataclass(frozen=True)
class Move:
    """One post moved by an operator: from which state to which."""

    post_id: int
    before: PostState
    after: PostState


@dataclass(frozen=True)
class Pause:
    """The kill switch while it is on: why, since when, and who set it."""

    reason: str
    at: datetime
    by: str


class Operations:
    """Operator actions on one store, stamped with one clock."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # ---- posts ----------------------------------------------------------------------------------

    def cancel(self, post_id: int, reason: str, actor: str) -> Move:
        """Cancel a post; re-planning leaves its slot empty (the reason's prefix says an operator did it)."""
        return self._move(post_id, Operation.CANCEL, f"{OPERATOR_CANCEL_PREFIX}: {reason}", actor)

    def retry(self, post_id: int, actor: str) -> Move:
        """Plan a failed, unknown or missed post again, due now, with a fresh count of attempts."""
        return self._move(
            post_id, Operation.RETRY, "retry requested by an operator", actor, due_at=self.clock.now(), attempts=0
        )

    def resolve_published(self, post_id: int, url: str, actor: str) -> Move:
        """An operator saw an ``unknown`` post on the platform."""
        return self._move(
            post_id,
            Operation.RESOLVE_PUBLISHED,
            "resolved by an operator: published",
            actor,
            remote_url=url,
            published_at=self.clock.now(),
        )

    def resolve_unpublished(self, post_id: int, actor: str) -> Move:
        """An operator saw an ``unknown`` post did not go out; it stays failed until retried."""
        return self._move(post_id, Operation.RESOLVE_UNPUBLISHED, "resolved by an operator: not published", actor)

    def confirm(self, post_id: int, url: str | None, actor: str) -> Move:
        """Staff sent a handed-off post (WhatsApp) themselves."""
        return self._move(
            post_id, Operation.CONFIRM, "confirmed by staff", actor, remote_url=url, published_at=self.clock.now()
        )

    def _move(self, post_id: int, operation: Operation, reason: str, actor: str, **values: Any) -> Move:
        before = self.store.post(post_id).state
        after = self.store.transition(
            post_id, operation, self.clock.now(), reason, expect=before, actor=actor, **values
        )
        return Move(post_id, before, after)

    # ---- the kill switch ----------------------------------------------------------------------

    def pause(self, reason: str, actor: str) -> Pause:
        """Stop every publication at once; the publisher reads this inside each claim."""
        pause = Pause(reason, self.clock.now(), actor)
        self.store.set_setting(PAUSE_SETTING, {"reason": reason, "at": pause.at.isoformat(), "by": actor})
        return pause

    def resume(self) -> None:
        self.store.set_setting(PAUSE_SETTING, None)

    def paused(self) -> Pause | None:
        value = self.store.get_setting(PAUSE_SETTING)
        if not value:
            return None
        return Pause(value["reason"], datetime.fromisoformat(value["at"]), value.get("by", "operator"))
