"""`outreach rehearse`: days of publishing in seconds, on local file channels only."""

from __future__ import annotations

from datetime import datetime, timedelta

from .app import Workspace
from .errors import ConfigError
from .lock import StoreLock
from .publisher import Publisher


def rehearse(workspace: Workspace, start: datetime, days: int) -> dict[str, int]:
    """Publish ``days`` of posts in seconds by moving the clock from one due time to the next.

    Only for configs whose channels are all local ``file`` channels: fast-forwarding must never
    reach a real platform. Returns how many posts ended in each state.
    """
    real = [name for name, settings in workspace.config.channels.items() if settings.type != "file"]
    if real:
        raise ConfigError(
            f"rehearse only runs when every channel is a local file channel; {', '.join(real)} would "
            f"publish for real — use `outreach preview` instead"
        )
    # The clock moves before the store is opened: a store this creates begins its record at
    # ``start``, so the rehearsal works whatever the real date is.
    workspace.set_clock(start)
    lock = StoreLock(workspace)
    lock.acquire()
    counts: dict[str, int] = {}
    try:
        publisher = Publisher(workspace)
        publisher.recover()
        workspace.apply_plan(days)
        end = start + timedelta(days=days)
        for due in workspace.store.planned_due_times(start - timedelta(seconds=1), end):
            workspace.set_clock(due)
            for outcome in publisher.publish_due():
                counts[outcome.state.value] = counts.get(outcome.state.value, 0) + 1
    finally:
        lock.release()
    return counts
