"""The store lock: one daemon (or rehearsal, or restore) works on a SQLite store at a time; and on a
PostgreSQL store, which of many workers leads planning and the daily jobs.

A lock file beside the store, held with ``flock`` for as long as the holder lives: a process
that dies, even by SIGKILL, lets go of it, so there is never a stale lock to clean up. PostgreSQL's
session-level advisory lock (``store.coordination``) has the same property across machines.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import IO

from .app import Workspace
from .errors import AlreadyRunning
from .i18n import _
from .store import LeaderLock, Store, sqlite_file
from .store.coordination import WORKER_PREFIX

log = logging.getLogger("outreach.daemon")

#: The leader removes a worker's heartbeat silent this long (a worker killed without a clean stop).
FORGET_WORKER_AFTER = timedelta(days=1)
#: A worker whose heartbeat is younger than this may be publishing (it beats every few seconds).
ALIVE_WITHIN = timedelta(seconds=30)


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
        """Take the lock, or raise ``AlreadyRunning`` naming the process that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or _("another process")
            handle.close()
            raise AlreadyRunning(
                _(
                    "another outreach daemon is already running on this store ({holder}); "
                    "stop it first (lock file {file})"
                ).format(holder=holder, file=self.path)
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


class Leadership:
    """Who plans and runs the daily jobs: on SQLite the one daemon (it holds the file lock); on PostgreSQL
    the worker holding the store's advisory lock, while every worker publishes.

    Not APScheduler's business: the daemon calls ``check`` every few seconds and asks ``confirm`` before a
    leader-only job. Each check also writes this worker's heartbeat, which ``outreach status`` lists.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        #: Several workers may share the store (PostgreSQL); decided from the config, without opening it.
        self.shared = sqlite_file(workspace.config.store_url) is None
        self.leading = not self.shared
        self.key = f"{WORKER_PREFIX}{socket.gethostname()}:{os.getpid()}"
        self.started_at = datetime.now(UTC)
        self._lock = LeaderLock(workspace.config.store_url) if self.shared else None
        #: The lock's connection serves one thread at a time (the check, or a job's confirmation).
        self._guard = threading.Lock()
        #: Whether this worker has seen another one lead: taking the lead then is a takeover.
        self._followed = False
        #: Set by a clean stop: a check still running on its thread must not take the lead (or beat) again.
        self._left = False

    def check(self) -> bool:
        """Take the lead if nobody holds it, or notice it was lost; True when this worker has just taken it."""
        if self._lock is None:
            return False
        with self._guard:
            if self._left:
                return False
            if self.leading:
                if not self._lock.still_held():
                    self.leading = False
                    log.error("this worker no longer leads planning (its database connection broke)")
                return False
            if not self._lock.try_acquire():
                self._followed = True
                return False
            self.leading = True
        if self._followed:
            log.warning("this worker took over planning and the daily jobs (pid %s)", os.getpid())
        else:
            log.info("this worker leads planning and the daily jobs (pid %s)", os.getpid())
        return True

    def confirm(self) -> bool:
        """Whether this worker leads right now: asked of the database, not of the last check."""
        if self._lock is None:
            return True
        with self._guard:
            if self.leading and not self._lock.still_held():
                self.leading = False
                log.error("this worker no longer leads planning (its database connection broke)")
            return self.leading

    def beat(self) -> None:
        """Record that this worker is alive (and whether it leads); the leader forgets long-silent workers."""
        store = self.workspace.store
        now = datetime.now(UTC)  # liveness is about real processes: the wall clock, never ``--now``
        with self._guard:  # never after ``leave`` removed this worker from the list
            if self._left:
                return
            store.set_setting(
                self.key,
                {
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "started_at": self.started_at.isoformat(),
                    "beat": now.isoformat(),
                    "leader": self.leading,
                    "backend_pid": self._lock.backend_pid if self._lock else None,
                },
            )
        if self.leading:
            for key, worker in store.workers().items():
                if _silent_for(worker, now) > FORGET_WORKER_AFTER:
                    store.forget_worker(key)

    def leave(self) -> None:
        """A clean stop: give the lead up at once and leave the list of workers."""
        if self._lock is None:
            return
        with self._guard:
            self._left = True
            self._lock.release()
            self.leading = False
        try:
            self.workspace.store.forget_worker(self.key)
        except Exception:  # the database may be what stopped us; a silent worker is forgotten later
            log.warning("could not remove worker %s from the list of workers", self.key)


def try_leading_once(workspace: Workspace) -> LeaderLock | None:
    """For one ``run --once`` on PostgreSQL: the leadership lock if free (plan, then release it), else None."""
    lock = LeaderLock(workspace.config.store_url)
    if lock.try_acquire():
        return lock
    lock.release()
    return None


def workers_alive(store: Store) -> list[str]:
    """The workers that beat within ``ALIVE_WITHIN`` of the wall clock (their hosts and pids): a follower, or
    a ``run --once`` started while the leader was gone, publishes without holding the leadership lock."""
    now = datetime.now(UTC)  # liveness is about real processes: the wall clock, never ``--now``
    return sorted(
        f"{worker['host']}:{worker['pid']}"
        for worker in store.workers().values()
        if _silent_for(worker, now) < ALIVE_WITHIN
    )


def _silent_for(worker: dict, now: datetime) -> timedelta:
    """How long since a worker's last heartbeat (``Leadership.beat``)."""
    return now - datetime.fromisoformat(worker["beat"])
