"""`outreach rehearse`: days of publishing in seconds, on local file channels only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from .app import Workspace
from .channels import adapter_class
from .clock import FixedClock
from .config import Config
from .errors import ConfigError
from .lock import StoreLock
from .store import Store


def rehearse(
    config: Config, start: datetime, days: int, on_new_store: Callable[[Store], None] | None = None
) -> dict[str, int]:
    """Publish ``days`` of posts in seconds on a clock of its own, moved from one due time to the next.

    Only for configs whose channels are all local: fast-forwarding must never reach a real
    platform. Returns how many posts ended in each state.
    """
    real = [
        name for name, settings in config.channels.items() if adapter_class(settings.type).outbox_for(settings) is None
    ]
    if real:
        raise ConfigError(
            f"rehearse only runs when every channel is a local file channel; {', '.join(real)} would "
            f"publish for real — use `outreach preview` instead"
        )
    # The clock starts at ``start`` before the store is opened: a store this creates begins its
    # record then, so the rehearsal works whatever the real date is.
    clock = FixedClock(start)
    workspace = Workspace(config, clock, on_new_store)
    lock = StoreLock(workspace)
    lock.acquire()
    counts: dict[str, int] = {}
    try:
        publisher = workspace.publisher()
        publisher.recover()
        workspace.planning.apply_plan(days)
        end = start + timedelta(days=days)
        for due in workspace.store.planned_due_times(start - timedelta(seconds=1), end):
            clock.set(due)
            for outcome in publisher.publish_due():
                counts[outcome.state.value] = counts.get(outcome.state.value, 0) + 1
    finally:
        lock.release()
        workspace.close()
    return counts
