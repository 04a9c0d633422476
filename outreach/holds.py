"""Channel holds: a channel whose account cannot post now is held, not failed post by post.

When a platform answers that the account itself cannot post (no API credits, the app suspended, a
permission revoked: ``ChannelHeld``), every post on that channel would fail the same way. Instead
the channel is held: none of its posts is attempted, none fails, and one post is tried again
after ``probe_minutes``; a success, or ``outreach channels check``, lifts the hold. Holds live in
the store's settings (``hold:<channel>``), so the daemon, ``status`` and ``channels check`` share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import Clock
from .store import Store

PREFIX = "hold:"


@dataclass(frozen=True)
class Hold:
    """One held channel: why, since when, and when one post is tried again."""

    channel: str
    reason: str
    since: datetime
    probe_at: datetime


class Holds:
    """The holds of one store, read and changed with one clock."""

    def __init__(self, store: Store, clock: Clock, probe_minutes: float) -> None:
        self.store = store
        self.clock = clock
        self.probe_after = timedelta(minutes=probe_minutes)

    def all(self) -> dict[str, Hold]:
        return {
            key.removeprefix(PREFIX): _hold_of(key.removeprefix(PREFIX), value)
            for key, value in self.store.settings_with_prefix(PREFIX).items()
        }

    def waiting(self) -> set[str]:
        """Channels whose posts must not be claimed now (held, and not yet time to try one again)."""
        now = self.clock.now()
        return {name for name, hold in self.all().items() if hold.probe_at > now}

    def hold(self, channel: str, reason: str) -> Hold:
        """Hold ``channel`` (or keep holding it, from when it began) until the next try.

        Read and written in one store transaction, so two workers holding the same channel keep its first
        ``since``, whatever the order of their writes."""
        now = self.clock.now()

        def held(earlier: dict | None) -> dict:
            since = earlier["since"] if earlier else now.isoformat()
            return {"reason": reason, "since": since, "probe_at": (now + self.probe_after).isoformat()}

        _before, after = self.store.update_setting(PREFIX + channel, held)
        return _hold_of(channel, after)

    def lift(self, channel: str) -> Hold | None:
        """Lift the hold on ``channel``; the hold that was lifted, if there was one."""
        before, _after = self.store.update_setting(PREFIX + channel, lambda _earlier: None)
        return _hold_of(channel, before) if before else None


def _hold_of(channel: str, value: dict) -> Hold:
    return Hold(
        channel, value["reason"], datetime.fromisoformat(value["since"]), datetime.fromisoformat(value["probe_at"])
    )
