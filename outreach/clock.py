"""The one clock for business time: when a post is due, claimed, published or retried.

Every module that needs "now" for a decision or a record gets a ``Clock`` passed in, so a
rehearsal, ``--now`` and the tests can move time without touching the system clock, and nothing
disagrees about what time it is. Durations that only bound waiting (HTTP deadlines, polling)
use ``time.monotonic()`` and are not business time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: ``--now``, rehearsals and tests."""

    def __init__(self, moment: datetime) -> None:
        self._moment = _aware(moment)

    def now(self) -> datetime:
        return self._moment

    def set(self, moment: datetime) -> None:
        self._moment = _aware(moment)

    def advance(self, delta: timedelta) -> None:
        self._moment += delta


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a clock needs an aware datetime")
    return moment
