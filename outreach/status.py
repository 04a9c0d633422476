"""`outreach status`: is the daemon alive (on PostgreSQL: which workers, and which one leads), is publishing
paused, what the outbox holds, when engagement was read,
when citizens' replies were collected and how many wait for an answer."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .app import Workspace
from .i18n import _, ngettext, number
from .lock import StoreLock
from .metrics import COLLECTED_SETTING
from .model import PostState
from .publisher import PAUSE_SETTING
from .render import ZONE_ABBREVIATIONS
from .store.replies import REPLIES_COLLECTED_SETTING
from .vocabulary import state_label

#: The setting where the daemon records its pid, host, start, last tick and stop.
HEARTBEAT_SETTING = "daemon"
#: ``status`` warns about a channel's token that expires within this long.
TOKEN_WARNING = timedelta(days=7)
#: A PostgreSQL worker not heard from this long is not counted as running (they beat every few seconds).
WORKER_SILENT = timedelta(seconds=30)


def status_lines(workspace: Workspace) -> Iterator[str]:
    """Human-readable daemon, kill-switch and outbox status, every time in the office's zone."""
    zone = workspace.zone
    yield from _daemon_lines(workspace) if workspace.store.is_sqlite else _workers_lines(workspace)
    paused = workspace.store.get_setting(PAUSE_SETTING)
    yield (
        _("publishing: PAUSED since {time}: {reason}").format(time=zoned(paused["at"], zone), reason=paused["reason"])
        if paused
        else _("publishing: active")
    )
    for name, hold in sorted(workspace.holds.all().items()):
        yield _("channel {name}: HELD since {since}, its posts wait (one is tried again at {retry}): {reason}").format(
            name=name, since=zoned(hold.since, zone), retry=zoned(hold.probe_at, zone), reason=hold.reason
        )
    yield from _token_warnings(workspace)
    counts = workspace.store.counts_by_state()
    yield _("posts: ") + (
        ", ".join(
            f"{state_label(state.value)} {number(counts[state.value])}"
            for state in PostState
            if counts.get(state.value)
        )
        or _("none yet")
    )
    next_due = workspace.store.next_due()
    if next_due:
        yield _("next due: {time}").format(time=zoned(next_due, zone))
    yield _engagement_line(workspace)
    yield from _replies_lines(workspace)
    attention = counts.get(PostState.UNKNOWN.value, 0) + counts.get(PostState.FAILED.value, 0)
    if attention:
        yield ngettext(
            "needs a person: {count} failed/unknown post — see `outreach history` and `outreach post show ID`",
            "needs a person: {count} failed/unknown posts — see `outreach history` and `outreach post show ID`",
            attention,
        ).format(count=number(attention))


def _daemon_lines(workspace: Workspace) -> Iterator[str]:
    """The one daemon of a SQLite store: alive while it holds the lock file."""
    lock = StoreLock(workspace)
    zone = workspace.zone
    heartbeat = workspace.store.get_setting(HEARTBEAT_SETTING) or {}
    if _lock_held(lock.path):
        tick = heartbeat.get("last_tick")
        yield _("daemon: running ({host} pid {pid}), last tick {tick}").format(
            host=heartbeat.get("host", "?"),
            pid=heartbeat.get("pid", "?"),
            tick=zoned(tick, zone) if tick else _("not yet"),
        )
    elif heartbeat.get("stopped_at"):
        yield _("daemon: not running (last stopped {time})").format(time=zoned(heartbeat["stopped_at"], zone))
    else:
        yield _("daemon: not running (never started)")


def _workers_lines(workspace: Workspace) -> Iterator[str]:
    """The workers of a PostgreSQL store heard from lately, and which one leads (holds the advisory lock)."""
    now = datetime.now(UTC)  # the workers beat on the wall clock
    alive = sorted(
        (worker for worker in workspace.store.workers().values() if now - _beat_of(worker) <= WORKER_SILENT),
        key=lambda worker: (worker["host"], worker["pid"]),
    )
    if not alive:
        yield _("daemon: no worker running (none heard from in the last {seconds} s)").format(
            seconds=number(int(WORKER_SILENT.total_seconds()))
        )
        return
    holder = workspace.store.leader_backend_pid()
    leader = next((worker for worker in alive if holder is not None and worker.get("backend_pid") == holder), None)
    yield ngettext(
        "daemon: {count} worker running; {leader}", "daemon: {count} workers running; {leader}", len(alive)
    ).format(
        count=number(len(alive)),
        leader=_("{host} pid {pid} leads planning").format(host=leader["host"], pid=leader["pid"])
        if leader
        else _("none leads planning right now (one takes over within seconds)"),
    )
    for worker in alive:
        yield _("  worker {host} pid {pid}: last heard {time}").format(
            host=worker["host"], pid=worker["pid"], time=zoned(worker["beat"], workspace.zone)
        )


def _beat_of(worker: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(worker["beat"])


def _engagement_line(workspace: Workspace) -> str:
    """When engagement was last collected and how many posts it read (kept by the collector)."""
    collected = workspace.store.get_setting(COLLECTED_SETTING)
    if not collected:
        return _("engagement: never collected yet (`outreach metrics collect`, or the daemon's daily reading)")
    read, failed = int(collected.get("read", 0)), int(collected.get("failed", 0))
    line = ngettext(
        "engagement: last collected {time}, {count} post read",
        "engagement: last collected {time}, {count} posts read",
        read,
    ).format(time=zoned(collected["at"], workspace.zone), count=number(read))
    return line + _read_again(failed)


def _replies_lines(workspace: Workspace) -> Iterator[str]:
    """When citizens' replies were last collected, and what waits: open urgent ones, open questions and complaints."""
    collected = workspace.store.get_setting(REPLIES_COLLECTED_SETTING)
    if not collected:
        yield _("replies: never collected yet (`outreach replies collect`, or the daemon every few minutes)")
    else:
        read, failed = int(collected.get("read", 0)), int(collected.get("failed", 0))
        line = ngettext(
            "replies: last collected {time}, under {count} post",
            "replies: last collected {time}, under {count} posts",
            read,
        ).format(time=zoned(collected["at"], workspace.zone), count=number(read))
        yield line + _read_again(failed)
    waiting = workspace.store.open_reply_counts()
    urgent = sum(count for (_kind, is_urgent), count in waiting.items() if is_urgent)
    asking = sum(count for (kind, _urgent), count in waiting.items() if kind in ("question", "complaint"))
    if urgent:
        yield ngettext(
            "URGENT: {count} citizen reply waits for an answer — see `outreach replies list --urgent --unanswered`",
            "URGENT: {count} citizen replies wait for an answer — see `outreach replies list --urgent --unanswered`",
            urgent,
        ).format(count=number(urgent))
    if asking:
        yield ngettext(
            "replies waiting: {count} question or complaint unanswered — see `outreach replies list --unanswered`",
            "replies waiting: {count} questions and complaints unanswered — see `outreach replies list --unanswered`",
            asking,
        ).format(count=number(asking))


def _token_warnings(workspace: Workspace) -> Iterator[str]:
    """One line per channel whose kept token expires within ``TOKEN_WARNING`` (read from files, no network)."""
    for name in sorted(workspace.config.channels):
        adapter = workspace.adapter(name)
        expires = adapter.token_expires_at()
        if expires is None:
            continue
        # The platform's clock decides when a token dies, not the business clock.
        left = expires - adapter.wall_clock.now()
        if left <= timedelta(0):
            yield _(
                "channel {name}: its access token expired {time}: issue a new one and put it in .env "
                "(see the channel's page in docs/channels/)"
            ).format(name=name, time=zoned(expires, workspace.zone))
        elif left < TOKEN_WARNING:
            yield ngettext(
                "channel {name}: its access token expires {time} (in {days} day): outreach renews it when the "
                "channel next posts or `outreach channels check {name}` runs; if that fails, issue a new one "
                "(see the channel's page in docs/channels/)",
                "channel {name}: its access token expires {time} (in {days} days): outreach renews it when the "
                "channel next posts or `outreach channels check {name}` runs; if that fails, issue a new one "
                "(see the channel's page in docs/channels/)",
                left.days,
            ).format(name=name, time=zoned(expires, workspace.zone), days=number(left.days))


def zoned(moment: datetime | str, zone: Any) -> str:
    """A moment (or its stored ISO text) as the office reads it: ``2026-11-30 14:06 WIB``."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    key = zone.key if isinstance(zone, ZoneInfo) else str(zone)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {ZONE_ABBREVIATIONS.get(key, key)}"


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


def _read_again(failed: int) -> str:
    """What a collection's line adds when posts could not be read: they are read again next time."""
    if not failed:
        return ""
    return ngettext(
        "; {count} could not be read and is read again next time",
        "; {count} could not be read and are read again next time",
        failed,
    ).format(count=number(failed))
