"""`outreach db restore`: put a backup in place of the store without publishing anything twice."""

from __future__ import annotations

from pathlib import Path

from .app import Workspace
from .lock import StoreLock
from .publisher import Transition
from .store import restore_backup


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
