"""The daemon: APScheduler 3.x as an alarm clock that wakes the publisher; the store is the truth.

At start-up it takes a lock (one daemon per SQLite store), settles posts a crash left in ``publishing``,
plans the horizon, and rebuilds its in-memory jobs from the store: one job at each due time,
a safety tick at most every 60 s that sweeps whatever is due, and a daily re-plan. Jobs are
never persisted: after a restart they are derived again from the posts in the store.

The daily engagement reading (``[metrics] collect_at``) runs on an executor of its own, with
adapters of its own and never under the publish lock: a publishing wake never queues behind it.
The citizens' replies are collected the same way, every ``[replies] collect_every_minutes``, on a
thread of their own; the daily digest (``[replies.digest] at``) and the daily purge of reply texts
past ``[replies] retention_days`` share another, so neither waits behind a slow collection.

On a PostgreSQL store many daemons ("workers", on one machine or several) share the store and no file
lock is taken: every worker publishes (each claim is its own, with a lease), and only the leader — the
holder of the store's advisory lock, see ``lock.Leadership`` — plans and runs the daily jobs. The others
try to take the lead every ``LEADERSHIP_SECONDS``, so one takes over well within 30 s of the leader's
death, and plans at once. Posts left in ``publishing`` are settled only once their lease has expired.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .app import Workspace
from .errors import OutreachError
from .i18n import _
from .limits import load_url_rules
from .lock import Leadership, StoreLock, try_leading_once
from .model import PostState
from .status import HEARTBEAT_SETTING
from .store import ImportSummary, sqlite_file
from .vocabulary import state_label

# The counters load X's URL rules on first use, so `outreach --help` does not pay for them. The daemon loads them
# with its own imports instead: loaded later, after the catalogue was read and freed, they would land in a
# fragmented heap (bench_memory.py).
load_url_rules()

if TYPE_CHECKING:
    from .publisher import Publisher, Transition

log = logging.getLogger("outreach.daemon")

#: The safety tick: even if a due-time job were lost, nothing waits longer than this.
TICK_SECONDS = 30
#: How far ahead due-time jobs are kept in APScheduler (the tick covers anything beyond).
JOB_LOOKAHEAD = timedelta(hours=36)
#: The executor of the daily engagement reading, apart from the publisher's.
METRICS_EXECUTOR = "metrics"
#: The executor of the replies collection, apart from the publisher's and the engagement reading's.
REPLIES_EXECUTOR = "replies"
#: The executor of the daily digest and purge: quick jobs that must not queue behind a collection.
DIGEST_EXECUTOR = "digest"
#: A daemon (re)started collects replies this soon, not a whole interval later.
FIRST_COLLECTION_AFTER = timedelta(minutes=1)
#: How often a worker tries to take the lead (and the leader checks it still holds it), and beats.
LEADERSHIP_SECONDS = 5
#: The executor of the leadership check: never queued behind a publish run or a collection.
LEADERSHIP_EXECUTOR = "leadership"
#: Office time of the daily purge of reply texts past their retention: a quiet hour.
PURGE_AT = (0, 20)


def _private(error: Exception) -> str:
    """What the log may say about a failure in the replies jobs: outreach's own errors are written to be shown
    (redacted, no reply in them); any other exception's text may quote a reply (a database error quotes the
    row's values), so only its kind is logged."""
    return str(error) if isinstance(error, OutreachError) else type(error).__name__


def _beat(workspace: Workspace, **values: Any) -> None:
    current = workspace.store.get_setting(HEARTBEAT_SETTING) or {}
    current.update(values)
    workspace.store.set_setting(HEARTBEAT_SETTING, current)


def _plan(workspace: Workspace) -> None:
    try:
        inserted, refreshed, cancelled = workspace.planning.apply_plan(workspace.config.publishing.horizon_days)
    finally:
        workspace.planning.release_catalogue()  # a day between re-plans: no need to hold every innovation
    log.info("planned %s new posts, refreshed %s, cancelled %s", inserted, refreshed, cancelled)


def run_once(workspace: Workspace) -> str:
    """Settle interrupted posts, plan, publish what is due now; a one-line summary."""
    publisher = workspace.publisher()
    if sqlite_file(workspace.config.store_url) is None:
        outcomes = _run_once_shared(workspace, publisher)
    else:
        lock = StoreLock(workspace)
        lock.acquire()
        try:
            publisher.recover()
            _plan(workspace)
            outcomes = publisher.publish_due()
        finally:
            lock.release()
    counts: dict[PostState, int] = {}
    for outcome in outcomes:
        counts[outcome.state] = counts.get(outcome.state, 0) + 1
    paused = publisher.paused()
    if paused:
        return _("paused ({reason}): nothing published; `outreach resume` to continue").format(
            reason=paused.get("reason")
        )
    done = ", ".join(
        f"{count} {state_label(state.value)}" for state, count in sorted(counts.items(), key=lambda item: item[0].value)
    )
    return _("{done}; see `outreach history` and `outreach queue`").format(done=done or _("nothing was due"))


def _run_once_shared(workspace: Workspace, publisher: Publisher) -> list[Transition]:
    """One pass of many started at once (cron) on PostgreSQL: the one that gets the leadership lock plans
    (one after another, never two at once), each publishes what it claims."""
    publisher.settle_orphans()
    leading = try_leading_once(workspace)
    if leading is not None:
        try:
            _plan(workspace)
        finally:
            leading.release()
    return publisher.publish_due()


def run_forever(workspace: Workspace) -> None:
    """The daemon loop. Returns after SIGTERM/SIGINT once the post in flight is finished."""
    # A long-running daemon tells what a catalogue sync changed through its log, as records.
    workspace.planning.on_sync = _log_sync
    _Daemon(workspace).run()


def _log_sync(summary: ImportSummary) -> None:
    for warning in summary.warnings:
        log.warning("catalogue: %s", warning)
    if summary.approvals_withdrawn:
        ids = " ".join(summary.approvals_withdrawn)
        log.warning(
            "%d innovation(s) lost their approval (their content changed): %s; approve again with "
            '`outreach catalogue approve %s --by "NAME"`',
            len(summary.approvals_withdrawn),
            ids,
            ids,
        )


class _Daemon:
    """One daemon run: the scheduler, its jobs, and the stop protocol around the post in flight."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.stop = threading.Event()
        self.publisher = workspace.publisher(stop=self.stop)
        # One worker thread: publish runs never overlap, so two jobs cannot claim in parallel. The
        # engagement reading has its own thread, so a slow platform never delays a publishing wake.
        self.scheduler = BlockingScheduler(
            executors={
                "default": ThreadPoolExecutor(max_workers=1),
                METRICS_EXECUTOR: ThreadPoolExecutor(max_workers=1),
                REPLIES_EXECUTOR: ThreadPoolExecutor(max_workers=1),
                DIGEST_EXECUTOR: ThreadPoolExecutor(max_workers=1),
                LEADERSHIP_EXECUTOR: ThreadPoolExecutor(max_workers=1),
            },
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
        self.in_flight = threading.Lock()
        #: Start-up settles what the last stop left in ``publishing``; after that, only a publish run
        #: that failed half-way (the store refusing to record an outcome) can leave a post there.
        self.orphans_possible = False
        self.leadership = Leadership(workspace)

    def run(self) -> None:
        # The handlers are in place before the lock shows this process as the daemon: a stop sent as
        # soon as the lock names it is honoured. They are put back when this returns (or is refused).
        previous = {number: signal.signal(number, self.shutdown) for number in (signal.SIGTERM, signal.SIGINT)}
        # Several workers share a PostgreSQL store; a SQLite store has one daemon, held by the file lock.
        lock = None if self.leadership.shared else StoreLock(self.workspace)
        try:
            if lock is not None:
                lock.acquire()
            try:
                self.start_up()
                if self.stop.is_set():
                    return
                log.info(
                    "outreach daemon started (pid %s); next post due %s", os.getpid(), self.workspace.store.next_due()
                )
                self.scheduler.start()
            finally:
                self.leave(lock)
                log.info("outreach daemon stopped")
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def leave(self, lock: StoreLock | None) -> None:
        """Record the stop and let go: the file lock (SQLite), or the lead and the list of workers (PostgreSQL)."""
        if lock is None:
            self.leadership.leave()
            return
        try:
            _beat(self.workspace, stopped_at=self.workspace.now().isoformat())
        finally:
            lock.release()

    def start_up(self) -> None:
        """Settle what the last stop left in flight, plan (if this worker leads), and set the jobs."""
        workspace = self.workspace
        if self.leadership.shared:
            self.settle_orphans()
            self.leadership.check()  # a lone worker, or the first to start, leads (and plans) at once
            self.leadership.beat()
            self.scheduler.add_job(
                self.check_leadership,
                IntervalTrigger(seconds=LEADERSHIP_SECONDS),
                id="leadership",
                executor=LEADERSHIP_EXECUTOR,
            )
        else:
            for outcome in self.publisher.recover():
                log.warning("post %s was interrupted at the last stop: now %s", outcome.post_id, outcome.state.value)
            _beat(
                workspace,
                pid=os.getpid(),
                host=socket.gethostname(),
                started_at=workspace.now().isoformat(),
                stopped_at=None,
            )
        if self.leadership.leading:
            _plan(workspace)
        # A first sweep at once (no trigger: APScheduler runs it as soon as it starts), then the tick.
        self.scheduler.add_job(self.wake, id="start")
        self.scheduler.add_job(self.wake, IntervalTrigger(seconds=TICK_SECONDS), id="tick")
        self.scheduler.add_job(self.replan, CronTrigger(hour=0, minute=5, timezone=workspace.zone), id="replan")
        metrics = workspace.config.metrics
        if metrics.enabled:
            at = metrics.collect_time
            self.scheduler.add_job(
                self.collect_metrics,
                CronTrigger(hour=at.hour, minute=at.minute, timezone=workspace.zone),
                id="metrics",
                executor=METRICS_EXECUTOR,
            )
        self.add_replies_jobs()
        self.schedule_due_jobs()

    def add_replies_jobs(self) -> None:
        """Collection every few minutes (the first a minute after start, once the start-up sweep is done),
        the daily digest, the daily purge."""
        zone = self.workspace.zone
        replies = self.workspace.config.replies
        if replies.enabled:
            self.scheduler.add_job(
                self.collect_replies,
                IntervalTrigger(minutes=replies.collect_every_minutes, timezone=zone),
                id="replies",
                executor=REPLIES_EXECUTOR,
                next_run_time=datetime.now(zone) + FIRST_COLLECTION_AFTER,
            )
        if replies.digest is not None:
            at = replies.digest.send_time
            self.scheduler.add_job(
                self.send_digest,
                CronTrigger(hour=at.hour, minute=at.minute, timezone=zone),
                id="digest",
                executor=DIGEST_EXECUTOR,
            )
        # The purge runs whether or not replies are still collected: what was kept must still be erased in time.
        self.scheduler.add_job(
            self.purge_replies,
            CronTrigger(hour=PURGE_AT[0], minute=PURGE_AT[1], timezone=zone),
            id="purge",
            executor=DIGEST_EXECUTOR,
        )

    def wake(self) -> None:
        with self.in_flight:
            if self.stop.is_set():  # a stop asked for while the scheduler was still starting
                self.request_shutdown()
                return
            try:
                self.settle_orphans()
                for outcome in self.publisher.publish_due():
                    log.debug("post %s settled as %s", outcome.post_id, outcome.state.value)
                if not self.leadership.shared:  # workers beat in ``check_leadership``
                    _beat(self.workspace, last_tick=self.workspace.now().isoformat())
                self.schedule_due_jobs()
            except Exception:  # the daemon must outlive any single bad run
                self.orphans_possible = True
                log.exception("publish run failed; the next tick retries")

    def settle_orphans(self) -> None:
        """Settle posts left in ``publishing``: on SQLite only after a failed run (the one daemon's own);
        on PostgreSQL on every run, but only those whose worker's lease expired (it died)."""
        if self.leadership.shared:
            for outcome in self.publisher.settle_orphans():
                log.warning(
                    "post %s: the worker publishing it stopped (its claim expired): now %s",
                    outcome.post_id,
                    outcome.state.value,
                )
        elif self.orphans_possible:
            for outcome in self.publisher.recover():
                log.warning("post %s was interrupted by a failed run: now %s", outcome.post_id, outcome.state.value)
            self.orphans_possible = False

    def check_leadership(self) -> None:
        """Take the lead when it is free (planning at once: the new leader resumes it), notice its loss, beat."""
        try:
            if self.leadership.check():
                self.scheduler.add_job(self.replan, id="takeover-plan", replace_existing=True)
            self.leadership.beat()
        except Exception as error:  # the database may be away for a while; the next check tries again
            log.error("leadership check failed: %s; the next check tries again", _private(error))

    def schedule_due_jobs(self) -> None:
        now = self.workspace.now()
        for due in self.workspace.store.planned_due_times(now, now + JOB_LOOKAHEAD):
            job_id = f"due-{due.isoformat()}"
            if self.scheduler.get_job(job_id) is None:
                self.scheduler.add_job(self.wake, DateTrigger(run_date=due), id=job_id)

    def replan(self) -> None:
        if not self.leadership.confirm():
            return
        with self.in_flight:
            try:
                _plan(self.workspace)
                self.schedule_due_jobs()
            except Exception:
                log.exception("re-planning failed; the next daily re-plan retries")

    def collect_metrics(self) -> None:
        """Read the engagement of recent posts; outside ``in_flight``, and a stop cuts it short."""
        if not self.leadership.confirm():
            return
        from .metrics import collector_for

        try:
            collector_for(self.workspace, stop=self.stop).collect(self.workspace.config.metrics.days)
        except Exception:  # the daemon must outlive a failed reading; tomorrow's reads again
            log.exception("reading engagement failed; the next daily run reads again")

    def collect_replies(self) -> None:
        """Collect the replies under recent posts; outside ``in_flight``, and a stop cuts it short."""
        if not self.leadership.confirm():
            return
        from .replies import reply_collector_for

        try:
            reply_collector_for(self.workspace, stop=self.stop).collect(self.workspace.config.replies.days)
        except Exception as error:  # the daemon must outlive a failed collection; the next one collects again
            log.error("collecting replies failed: %s; the next run collects again", _private(error))

    def send_digest(self) -> None:
        """Send the daily digest to the staff channel; only counts reach the log, never a reply."""
        if not self.leadership.confirm():
            return
        from .digest import send_digest

        try:
            digest, where = send_digest(self.workspace)
        except Exception as error:  # a failed send must not stop the daemon; tomorrow's is sent
            log.error("sending the replies digest failed: %s; tomorrow's is sent as usual", _private(error))
            return
        urgent, waiting = len(digest.urgent), digest.waiting
        log.info("replies digest sent (%s): %s urgent, %s waiting for an answer", where, urgent, waiting)

    def purge_replies(self) -> None:
        """Erase reply texts and handles past ``[replies] retention_days``."""
        if not self.leadership.confirm():
            return
        from .replies import purge_replies

        try:
            erased = purge_replies(self.workspace)
        except Exception:
            log.exception("erasing old replies failed; the next daily run erases them")
            return
        if erased:
            log.info("erased the text and author of %s replies past their retention period", erased)

    def stop_scheduler(self) -> None:
        """Let the run in flight settle its post, then stop the scheduler.

        Never ``shutdown(wait=True)`` while a run may be going: APScheduler holds its job-store lock
        while it waits for the run, and the run needs that lock to set its next timers — a deadlock.
        Waiting for ``in_flight`` first leaves nothing for ``shutdown`` to wait for.
        """
        with self.in_flight:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)

    def request_shutdown(self) -> None:
        threading.Thread(target=self.stop_scheduler, daemon=True).start()

    def shutdown(self, signum: int, _frame: Any) -> None:
        log.info("received %s: finishing the post in flight, then stopping", signal.Signals(signum).name)
        self.stop.set()
        if self.scheduler.running:
            self.request_shutdown()
        # Otherwise start-up is still running: it checks the flag before starting the
        # scheduler, and the first tick checks it again for a signal that lands in between.
