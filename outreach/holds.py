"""Channel holds: a channel whose account cannot post now is held, not failed post by post.

When a platform answers that the account itself cannot post (no API credits, the app suspended, a
permission revoked: ``ChannelHeld``), every post on that channel would fail the same way. Instead
the channel is held: none of its posts is attempted, none fails, and one post is tried again
after ``probe_minutes``; a success, or ``outreach channels check``, lifts the hold. Holds live in
the store's settings (``hold:<channel>``), so the daemon, ``status`` and ``channels check`` share them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import Clock
from .store import Store

PREFIX = "hold:"
#: Holding and lifting read a hold, then write it: one at a time in this process, whatever lane asks.
_CHANGING = threading.Lock()


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
            key.removeprefix(PREFIX): Hold(
                key.removeprefix(PREFIX),
                value["reason"],
                datetime.fromisoformat(value["since"]),
                datetime.fromisoformat(value["probe_at"]),
            )
            for key, value in self.store.settings_with_prefix(PREFIX).items()
        }

    def waiting(self) -> set[str]:
        """Channels whose posts must not be claimed now (held, and not yet time to try one again)."""
        now = self.clock.now()
        return {name for name, hold in self.all().items() if hold.probe_at > now}

    def hold(self, channel: str, reason: str) -> Hold:
        """Hold ``channel`` (or keep holding it, from when it began) until the next try."""
        with _CHANGING:
            now = self.clock.now()
            earlier = self.all().get(channel)
            held = Hold(channel, reason, earlier.since if earlier else now, now + self.probe_after)
            self.store.set_setting(
                PREFIX + channel,
                {"reason": reason, "since": held.since.isoformat(), "probe_at": held.probe_at.isoformat()},
            )
            return held

    def lift(self, channel: str) -> Hold | None:
        """Lift the hold on ``channel``; the hold that was lifted, if there was one."""
        with _CHANGING:
            earlier = self.all().get(channel)
            if earlier is not None:
                self.store.set_setting(PREFIX + channel, None)
            return earlier
