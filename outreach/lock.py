"""The store lock: one daemon (or rehearsal, or restore) works on a store at a time.

A lock file beside the store, held with ``flock`` for as long as the holder lives: a process
that dies, even by SIGKILL, lets go of it, so there is never a stale lock to clean up.
"""

from __future__ import annotations

import fcntl
import os
import socket
from typing import IO

from .app import Workspace
from .errors import AlreadyRunning
from .i18n import _
from .store import sqlite_file


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
