"""`outreach status`: is the daemon alive, is publishing paused, and what the outbox holds."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

from .app import Workspace
from .lock import StoreLock
from .model import PostState
from .publisher import PAUSE_SETTING
from .render import ZONE_ABBREVIATIONS

#: The setting where the daemon records its pid, host, start, last tick and stop.
HEARTBEAT_SETTING = "daemon"


def status_lines(workspace: Workspace) -> Iterator[str]:
    """Human-readable daemon, kill-switch and outbox status."""
    lock = StoreLock(workspace)
    heartbeat = workspace.store.get_setting(HEARTBEAT_SETTING) or {}
    alive = _lock_held(lock.path)
    if alive:
        host, pid, tick = heartbeat.get("host", "?"), heartbeat.get("pid", "?"), heartbeat.get("last_tick", "not yet")
        yield f"daemon: running ({host} pid {pid}), last tick {tick}"
    else:
        yield f"daemon: not running (last stop {heartbeat.get('stopped_at') or 'never started'})"
    paused = workspace.store.get_setting(PAUSE_SETTING)
    yield f"publishing: PAUSED since {paused['at']}: {paused['reason']}" if paused else "publishing: active"
    zone = ZONE_ABBREVIATIONS.get(workspace.zone.key, workspace.zone.key)
    for name, hold in sorted(workspace.holds.all().items()):
        since = f"{hold.since.astimezone(workspace.zone):%Y-%m-%d %H:%M} {zone}"
        retry = f"{hold.probe_at.astimezone(workspace.zone):%Y-%m-%d %H:%M} {zone}"
        yield f"channel {name}: HELD since {since}, its posts wait (one is tried again at {retry}): {hold.reason}"
    counts = workspace.store.counts_by_state()
    yield "posts: " + (
        ", ".join(f"{state.value} {counts.get(state.value, 0)}" for state in PostState if counts.get(state.value))
        or "none yet"
    )
    next_due = workspace.store.next_due()
    if next_due:
        yield f"next due: {next_due.astimezone(workspace.zone):%Y-%m-%d %H:%M} {zone}"
    attention = counts.get(PostState.UNKNOWN.value, 0) + counts.get(PostState.FAILED.value, 0)
    if attention:
        yield f"needs a person: {attention} failed/unknown posts — see `outreach history` and `outreach post show ID`"


def _lock_held(path: Path) -> bool:
    """Whether a live process holds the lock file (the file alone outlives a stopped daemon)."""
    if not path.exists():
        return False
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
