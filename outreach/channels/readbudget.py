"""A daily budget of paid reads: which posts a channel read today, kept in a file between runs.

A platform that bills reading (X's pay-per-use bills each post read, once a day however often it
is read) must not be read without bound. The count lives in a small file, not in memory, so that
the budget holds across runs (``metrics collect`` by hand and the daemon's job) and restarts. A
post already counted today is read again without counting: the platform does not bill it again.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import ChannelHeld, RateLimited
from ..i18n import _, number
from .http import seconds_until
from .statefile import load_private_json, save_private_json


class DailyReadBudget:
    """At most ``budget`` distinct posts read by one channel per day (UTC); several channels may share the file."""

    #: One writer at a time in this process.
    _lock = threading.Lock()

    def __init__(self, path: Path, channel: str, budget: int) -> None:
        self.path = path
        self.channel = channel
        self.budget = budget

    def spend(self, post_id: str, now: datetime) -> None:
        """Count a read of ``post_id`` today, before it is made.

        ``RateLimited`` until midnight UTC once today's budget is spent on other posts; ``ChannelHeld``
        when the count cannot be kept, because a read that cannot be counted is not made.
        """
        day = now.astimezone(UTC).date()
        with self._lock:
            kept = load_private_json(self.path, "count of today's post reads") or {}
            reads = kept.get("reads") if kept.get("day") == day.isoformat() else None
            reads = reads if isinstance(reads, dict) else {}
            listed = reads.get(self.channel)
            today = [str(read) for read in listed] if isinstance(listed, list) else []
            if post_id in today:
                return
            if len(today) >= self.budget:
                midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
                raise RateLimited(
                    _(
                        "{name}: today's {budget} post reads are spent (metric_reads_per_day in "
                        "[channels.{name}]); reading goes on after 00.00 UTC"
                    ).format(name=self.channel, budget=number(self.budget)),
                    retry_after=seconds_until(midnight, now),
                )
            try:
                save_private_json(
                    self.path, {"day": day.isoformat(), "reads": {**reads, self.channel: [*today, post_id]}}
                )
            except OSError as error:
                raise ChannelHeld(
                    _(
                        "{name}: cannot count today's post reads in {file} ({error}); nothing is read until it can"
                    ).format(name=self.channel, file=self.path, error=error.strerror or error)
                ) from error
