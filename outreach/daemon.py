"""The daemon: APScheduler 3.x as an alarm clock that wakes the publisher; the store is the truth.

At start-up it takes a lock (one daemon per store), settles posts a crash left in ``publishing``,
plans the horizon, and rebuilds its in-memory jobs from the store: one job at each due time,
a safety tick at most every 60 s that sweeps whatever is due, and a daily re-plan. Jobs are
never persisted: after a restart they are derived again from the posts in the store.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import socket
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Iterator

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .app import Workspace
from .channels import adapter_class
from .errors import ConfigError
from .model import PostState
from .publisher import PAUSE_SETTING, Publisher, Transition
from .redaction import redact
from .render import ZONE_ABBREVIATIONS
from .store import restore_backup, sqlite_file

log = logging.getLogger("outreach.daemon")

HEARTBEAT_SETTING = "daemon"
#: The safety tick: even if a due-time job were lost, nothing waits longer than this.
TICK_SECONDS = 30
#: How far ahead due-time jobs are kept in APScheduler (the tick covers anything beyond).
JOB_LOOKAHEAD = timedelta(hours=36)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("post_id", "from_state", "to_state", "channel", "innovation_id"):
            if hasattr(record, key):
                document[key] = getattr(record, key)
        if record.exc_info:
            document["traceback"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole formatted record, tracebacks included (a URL in an exception may hold a token)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def configure_logging(log_format: str, debug: bool = False) -> None:
    handler = logging.StreamHandler()
    inner = JsonFormatter() if log_format == "json" else logging.Formatter("%(asctime)s %(levelname)-7s %(message)s")
    handler.setFormatter(RedactingFormatter(inner))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


class StoreLock:
    """An exclusive lock file beside the store: a second daemon on the same store refuses to start."""

    def __init__(self, workspace: Workspace) -> None:
        # From the config alone: taking the lock must not open (or create) the store.
        store_path = sqlite_file(workspace.config.store_url)
        folder = store_path.parent if store_path else workspace.config.folder
        name = (store_path.name if store_path else "outreach") + ".daemon.lock"
        self.path = folder / name
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ConfigError(
                f"another outreach daemon is already running on this store ({holder}); "
                f"stop it first (lock file {self.path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def _beat(workspace: Workspace, **values: Any) -> None:
    current = workspace.store.get_setting(HEARTBEAT_SETTING) or {}
    current.update(values)
    workspace.store.set_setting(HEARTBEAT_SETTING, current)


def _plan(workspace: Workspace) -> None:
    try:
        inserted, refreshed, cancelled = workspace.apply_plan(workspace.config.publishing.horizon_days)
    finally:
        workspace.release_catalogue()  # a day between re-plans: no need to hold every innovation
    log.info("planned %s new posts, refreshed %s, cancelled %s", inserted, refreshed, cancelled)


def run_once(workspace: Workspace) -> str:
    """Settle interrupted posts, plan, publish what is due now; a one-line summary."""
    lock = StoreLock(workspace)
    lock.acquire()
    try:
        publisher = Publisher(workspace)
        publisher.recover()
        _plan(workspace)
        outcomes = publisher.publish_due()
    finally:
        lock.release()
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.state.value] = counts.get(outcome.state.value, 0) + 1
    paused = publisher.paused()
    if paused:
        return f"paused ({paused.get('reason')}): nothing published; `outreach resume` to continue"
    done = ", ".join(f"{count} {state}" for state, count in sorted(counts.items())) or "nothing was due"
    return f"{done}; see `outreach history` and `outreach queue`"


def run_forever(workspace: Workspace) -> None:
    """The daemon loop. Returns after SIGTERM/SIGINT once the post in flight is finished."""
    stop = threading.Event()
    publisher = Publisher(workspace, stop=stop)
    # One worker thread: publish runs never overlap, so two jobs cannot claim in parallel.
    scheduler = BlockingScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            # coalesce: a backlog of missed wake-ups is one run — each run sweeps everything due.
            "coalesce": True,
            # max_instances=1: a slow publish run is never doubled by the next wake-up.
            "max_instances": 1,
            # misfire_grace_time=None: always run a late job; the store's catch_up rule, not
            # APScheduler, decides whether a late post still goes out or becomes missed.
            "misfire_grace_time": None,
        },
        timezone=workspace.zone,
    )

    #: Held for the whole of a publish or re-plan run; a stop waits for it (see ``stop_scheduler``).
    in_flight = threading.Lock()

    def wake() -> None:
        with in_flight:
            if stop.is_set():  # a stop asked for while the scheduler was still starting
                request_shutdown()
                return
            try:
                for outcome in publisher.publish_due():
                    log.debug("post %s settled as %s", outcome.post_id, outcome.state.value)
                _beat(workspace, last_tick=datetime.now(timezone.utc).isoformat())
                schedule_due_jobs()
            except Exception:  # the daemon must outlive any single bad run
                log.exception("publish run failed; the next tick retries")

    def schedule_due_jobs() -> None:
        now = datetime.now(timezone.utc)
        for due in workspace.store.planned_due_times(now, now + JOB_LOOKAHEAD):
            job_id = f"due-{due.isoformat()}"
            if scheduler.get_job(job_id) is None:
                scheduler.add_job(wake, DateTrigger(run_date=due), id=job_id)

    def replan() -> None:
        with in_flight:
            try:
                _plan(workspace)
                schedule_due_jobs()
            except Exception:
                log.exception("re-planning failed; the next daily re-plan retries")

    def stop_scheduler() -> None:
        """Let the run in flight settle its post, then stop the scheduler.

        Never ``shutdown(wait=True)`` while a run may be going: APScheduler holds its job-store lock
        while it waits for the run, and the run needs that lock to set its next timers — a deadlock.
        Waiting for ``in_flight`` first leaves nothing for ``shutdown`` to wait for.
        """
        with in_flight:
            if scheduler.running:
                scheduler.shutdown(wait=False)

    def request_shutdown() -> None:
        threading.Thread(target=stop_scheduler, daemon=True).start()

    def shutdown(signum: int, _frame: Any) -> None:
        log.info("received %s: finishing the post in flight, then stopping", signal.Signals(signum).name)
        stop.set()
        if scheduler.running:
            request_shutdown()
        # Otherwise start-up is still running: it checks the flag before starting the
        # scheduler, and the first tick checks it again for a signal that lands in between.

    # The handlers are in place before the lock shows this process as the daemon: a stop sent as
    # soon as the lock names it is honoured. They are put back when this returns (or is refused).
    previous = {number: signal.signal(number, shutdown) for number in (signal.SIGTERM, signal.SIGINT)}
    lock = StoreLock(workspace)
    try:
        lock.acquire()
        try:
            for outcome in publisher.recover():
                log.warning("post %s was interrupted at the last stop: now %s", outcome.post_id, outcome.state.value)
            _plan(workspace)
            _beat(workspace, pid=os.getpid(), host=socket.gethostname(),
                  started_at=datetime.now(timezone.utc).isoformat(), stopped_at=None)
            scheduler.add_job(wake, IntervalTrigger(seconds=TICK_SECONDS), id="tick",
                              next_run_time=datetime.now(timezone.utc))
            scheduler.add_job(replan, CronTrigger(hour=0, minute=5, timezone=workspace.zone), id="replan")
            schedule_due_jobs()
            if stop.is_set():
                return
            log.info("outreach daemon started (pid %s); next post due %s", os.getpid(), workspace.store.next_due())
            scheduler.start()
        finally:
            _beat(workspace, stopped_at=datetime.now(timezone.utc).isoformat())
            lock.release()
            log.info("outreach daemon stopped")
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def status_lines(workspace: Workspace) -> Iterator[str]:
    """Human-readable daemon, kill-switch and outbox status."""
    lock = StoreLock(workspace)
    heartbeat = workspace.store.get_setting(HEARTBEAT_SETTING) or {}
    alive = _lock_held(lock.path)
    if alive:
        yield f"daemon: running ({heartbeat.get('host', '?')} pid {heartbeat.get('pid', '?')}), last tick {heartbeat.get('last_tick', 'not yet')}"
    else:
        yield f"daemon: not running (last stop {heartbeat.get('stopped_at') or 'never started'})"
    paused = workspace.store.get_setting(PAUSE_SETTING)
    yield f"publishing: PAUSED since {paused['at']}: {paused['reason']}" if paused else "publishing: active"
    counts = workspace.store.counts_by_state()
    yield "posts: " + (", ".join(f"{state.value} {counts.get(state.value, 0)}" for state in PostState if counts.get(state.value)) or "none yet")
    next_due = workspace.store.next_due()
    if next_due:
        zone = ZONE_ABBREVIATIONS.get(workspace.zone.key, workspace.zone.key)
        yield f"next due: {next_due.astimezone(workspace.zone):%Y-%m-%d %H:%M} {zone}"
    attention = counts.get(PostState.UNKNOWN.value, 0) + counts.get(PostState.FAILED.value, 0)
    if attention:
        yield f"needs a person: {attention} failed/unknown posts — see `outreach history` and `outreach post show ID`"


def _lock_held(path: Path) -> bool:
    if not path.exists():
        return False
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def rehearse(workspace: Workspace, start: datetime, days: int) -> dict[str, int]:
    """Publish ``days`` of posts in seconds by moving the clock from one due time to the next.

    Only for configs whose channels are all local ``file`` channels: fast-forwarding must never
    reach a real platform.
    """
    real = [
        name for name, settings in workspace.config.channels.items()
        if adapter_class(settings.type).outbox_for(settings) is None
    ]
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


def restore(workspace: Workspace, backup: Path) -> tuple[list[Transition], Path | None]:
    """Put a backup in place of the store, then settle every post that may have gone out since.

    Takes the daemon's lock (a running daemon must be stopped first). The restored store's record
    begins again now: slots up to this moment are never planned, since the backup cannot know
    which of them the lost store published. Also returns where a damaged store was set aside.
    """
    lock = StoreLock(workspace)
    lock.acquire()
    try:
        kept = restore_backup(workspace.config.store_url, backup)
        workspace.store.mark_restored(backup, workspace.now())
        return Publisher(workspace).settle_after_restore(), kept
    finally:
        lock.release()
