"""Backups of a SQLite store and restoring one, written whole or not at all."""

from __future__ import annotations

import os
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

from ..errors import ConfigError, LocalIOError
from ..i18n import _
from ..storeurl import printable
from .base import StoreBase, _is_damage, sqlite_file
from .schema import posts, schema_migrations


class BackupStore(StoreBase):
    """The online backup of a live SQLite store."""

    def backup(self, destination: Path) -> None:
        """A consistent copy of a live SQLite store (the online backup API), written whole or not at all.

        The copy is made in a temporary file beside ``destination`` and renamed over it only once
        it is complete and on disk, so a failed backup (a full disk, a pulled USB drive) leaves no
        half file, and an earlier backup of the same name survives until the new one is whole.
        """
        if self.sqlite_path is None:
            raise ConfigError(_postgres_backups(self.location))
        target = _backup_target(Path(destination), self.sqlite_path)
        temporary = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            with closing(sqlite3.connect(self.sqlite_path)) as source, closing(sqlite3.connect(temporary)) as copy:
                source.backup(copy)
            _fsync(temporary)
            os.replace(temporary, target)
            _fsync(target.parent)
        except (OSError, sqlite3.Error) as error:
            for leftover in ("", "-journal", "-wal", "-shm"):
                Path(f"{temporary}{leftover}").unlink(missing_ok=True)
            if _is_damage(error):  # the copy is a fresh file: only the live store can be unreadable
                raise self._damaged(error) from None
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise LocalIOError(
                _(
                    "cannot write the backup {backup}: {reason}; nothing was written "
                    "(check the free space on that disk and that the folder is writable)"
                ).format(backup=destination, reason=reason)
            ) from None


def _postgres_backups(location: str) -> str:
    """Why `db backup`/`db restore` leave a PostgreSQL store to its database, and what to use instead."""
    return _(
        "the store {store} is PostgreSQL: its backups are the database's own, not outreach's; use pg_dump and "
        "pg_restore, or your managed PostgreSQL's backups with point-in-time recovery (docs/scaling.md)"
    ).format(store=location)


def _is_outreach_database(path: Path) -> bool:
    """Whether the file at ``path`` is an SQLite database made by outreach (read as it is, unchanged)."""
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)
        try:
            found = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (schema_migrations.name,)
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return found is not None


def _backup_target(destination: Path, live: Path) -> Path:
    """The real file a backup to ``destination`` would replace, or ConfigError saying why it must not."""
    target = destination.resolve()
    store = live.resolve()
    if target in {store, *(store.with_name(store.name + suffix) for suffix in ("-wal", "-shm", "-journal"))}:
        raise ConfigError(
            _("db backup {backup}: that is the live store itself; give the backup another name, e.g. {example}").format(
                backup=destination, example=store.with_name("cadangan-" + store.name)
            )
        )
    if not target.parent.is_dir():
        raise ConfigError(
            _(
                "db backup {backup}: the folder {folder} does not exist; create it first, "
                "or give a path in an existing folder"
            ).format(backup=destination, folder=target.parent)
        )
    if target.exists():
        if not target.is_file():
            raise ConfigError(
                _(
                    "db backup {backup}: not a regular file (a device or another special file); "
                    "give the path of a file such as var/cadangan.sqlite3"
                ).format(backup=destination)
            )
        if not _is_outreach_database(target):
            raise ConfigError(
                _(
                    "db backup {backup}: the file exists and is not an outreach backup; it was left as it "
                    "is: choose another name, or move that file away first"
                ).format(backup=destination)
            )
    return target


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def restore_backup(url: str, backup: Path) -> Path | None:
    """Copy a backup made by ``Store.backup`` over the SQLite store at ``url`` (created if it was lost).

    The backup is checked first: a file that is not an outreach store leaves the store untouched.
    Nothing else may use the store meanwhile (the caller holds the daemon's lock). A store too
    damaged to be copied over is renamed, never deleted; the new name is returned.
    """
    target_path = sqlite_file(url)
    if target_path is None:
        raise ConfigError(_postgres_backups(printable(url)))
    if not backup.is_file():
        raise ConfigError(
            _("{backup}: no such file; give the path of a copy made by `outreach db backup`").format(backup=backup)
        )
    if target_path.exists() and backup.resolve() == target_path.resolve():
        raise ConfigError(
            _("{backup} is the store itself; give the path of a copy made by `outreach db backup`").format(
                backup=backup
            )
        )
    try:
        source = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise ConfigError(_("{backup}: cannot open it ({error})").format(backup=backup, error=error)) from None
    try:
        try:
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            tables = set()
            detail = str(error)
        else:
            detail = _("it has no outbox")
        if not {schema_migrations.name, posts.name} <= tables:
            raise ConfigError(
                _(
                    "{backup}: not a backup of an outreach store ({detail}); give a copy made by `outreach db backup`"
                ).format(backup=backup, detail=detail)
            )
        target_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with closing(sqlite3.connect(target_path)) as target:
                source.backup(target)
            return None
        except sqlite3.DatabaseError as error:
            if not _is_damage(error):
                raise
        kept = _set_aside(target_path)
        with closing(sqlite3.connect(target_path)) as target:
            source.backup(target)
        return kept
    finally:
        source.close()


def _set_aside(store: Path) -> Path:
    """Rename a damaged store (and its -wal and -shm, which belong to it) out of the way; the new name."""
    kept = store.with_name(f"{store.name}.damaged-{uuid.uuid4().hex[:8]}")
    for suffix in ("-wal", "-shm"):
        companion = store.with_name(store.name + suffix)
        if companion.exists():
            companion.rename(kept.with_name(kept.name + suffix))
    store.rename(kept)
    return kept
