"""`outreach db restore`: put a backup in place of the store without publishing anything twice."""

from __future__ import annotations

from pathlib import Path

from .app import Workspace
from .errors import AlreadyRunning
from .i18n import _
from .lock import StoreLock, workers_alive
from .publisher import Transition
from .store import LeaderLock, restore_backup


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
        return workspace.publisher().settle_after_restore(), kept
    finally:
        lock.release()


def settle_restored(workspace: Workspace, source: str) -> list[Transition]:
    """After a PostgreSQL store was put back by the database's own tools (pg_restore, point-in-time recovery):
    settle every post that may have gone out since, as ``restore`` does after a SQLite backup.

    Holds the leadership lock meanwhile, and refuses while a worker holds it or any worker beat in the last
    30 s: every running worker tries for the lock, and a follower or a ``run --once`` publishes without it,
    so either means the workers were not all stopped (they would publish the posts being settled).
    ``source`` is recorded as what the store was restored from.
    """
    if workspace.store.is_sqlite:
        raise AlreadyRunning(
            _("the store is a SQLite file: restore a backup with `outreach db restore FILE`, which also settles it")
        )
    lock = LeaderLock(workspace.config.store_url)
    if not lock.try_acquire():
        raise AlreadyRunning(
            _(
                "a worker is running on this store (it leads planning); stop every worker first "
                "(systemctl stop 'outreach-worker@*' on each machine), then run this again"
            )
        )
    try:
        alive = workers_alive(workspace.store)
        if alive:
            raise AlreadyRunning(
                _(
                    "workers reported in within the last 30 seconds ({workers}); stop every worker first "
                    "(systemctl stop 'outreach-worker@*' on each machine), wait 30 seconds, then run this again"
                ).format(workers=", ".join(alive))
            )
        workspace.store.mark_restored(source, workspace.now())
        return workspace.publisher().settle_after_restore()
    finally:
        lock.release()
