"""Opening a store: the engine, SQLite's configuration, transactions, migrations and settings."""

from __future__ import annotations

import json
import select as os_select
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Integer, create_engine, event, func, insert, inspect, literal, select
from sqlalchemy.exc import ArgumentError, DatabaseError, DisconnectionError, OperationalError

from ..clock import SystemClock
from ..errors import ConfigError
from ..i18n import _
from ..redaction import redact
from ..storeurl import printable
from .schema import (
    CREATED_SETTING,
    MIGRATIONS,
    RESTORED_SETTING,
    _put_setting,
    metadata,
    schema_migrations,
    settings,
    to_text,
)

#: True inside ``StoreBase.reading()``: transactions begun there are deferred (no write lock taken to read).
_READING: ContextVar[bool] = ContextVar("outreach_store_reading", default=False)

#: The first key of every advisory lock the store takes (two-key form: apart from any one-key lock).
_LOCK_SPACE = 0x6F72  # "or"

#: The oldest SQLite library the store's SQL runs on: claims take a channel's lane with INSERT … RETURNING (3.35).
OLDEST_SQLITE = (3, 35)
#: SQLite's primary result codes for a file that is damaged or is not a database at all.
_SQLITE_DAMAGED = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


def _restore_advice() -> str:
    """Where an operator reads how to restore a backup."""
    return _("restore the latest backup with `outreach db restore` (docs/operations.md)")


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite store URL (None for another database), without opening it."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None


class StoreBase:
    """The connection to the database at ``url``, migrated on open, and its settings.

    The query mixins (catalogue, outbox, backup) build on it; ``Store`` joins them.
    """

    def __init__(self, url: str, now: datetime | None = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.is_new = False
        if self.is_sqlite:
            _refuse_an_old_sqlite()
            database = url.removeprefix("sqlite:///")
            if database and database != ":memory:":
                try:
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise ConfigError(
                        _(
                            "store {store}: cannot create its folder ({reason}); set 'store' in the "
                            'config to a writable SQLite file such as "var/outreach.sqlite3"'
                        ).format(store=database, reason=error.strerror)
                    ) from None
        try:
            # A pooled connection keeps its PRAGMAs; each transaction does not pay for a new one.
            self.engine: Engine = create_engine(url, **_engine_options(url))
            if not self.is_sqlite:
                event.listen(self.engine, "checkout", _replace_if_dead)
            if self.is_sqlite:
                event.listen(self.engine, "connect", self._configure_sqlite)
                event.listen(
                    self.engine,
                    "begin",
                    lambda connection: connection.exec_driver_sql("BEGIN" if _READING.get() else "BEGIN IMMEDIATE"),
                )
            self._migrate(now or SystemClock().now())
        except (ArgumentError, ImportError, OperationalError) as error:
            raise self._unopenable(error) from None

    def _unopenable(self, error: Exception) -> ConfigError:
        """The one-line error for a store that cannot be opened: where it is (never its password) and the fix."""
        shown = printable(self.url)
        cause = getattr(error, "orig", None) or error
        reason = redact(f"{cause.__class__.__name__}: {str(cause).strip().splitlines()[0] if str(cause) else ''}")
        if self.url.startswith("postgresql"):
            return ConfigError(
                _(
                    "store {store}: cannot connect to PostgreSQL ({reason}); check that the server runs and "
                    "accepts this user and database, and put the password in .env as PGPASSWORD if it needs one"
                ).format(store=shown, reason=reason)
            )
        return ConfigError(
            _(
                "store {store}: cannot open it ({reason}); "
                "set 'store' in the config to a writable SQLite file such as \"var/outreach.sqlite3\""
            ).format(store=shown, reason=reason)
        )

    @property
    def sqlite_path(self) -> Path | None:
        return sqlite_file(self.url)

    @property
    def location(self) -> str:
        """Where the store is, fit to print: the SQLite file, or the URL without its password."""
        return str(self.sqlite_path) if self.sqlite_path else printable(self.url)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except DatabaseError as error:
            if _is_damage(error.orig):
                raise self._damaged(error.orig) from None
            raise

    def _configure_sqlite(self, dbapi_connection: sqlite3.Connection, _record: object) -> None:
        """Refuse another program's database before anything is written to it, then set our PRAGMAs."""
        tables = [row[0] for row in dbapi_connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if tables and schema_migrations.name not in tables:
            raise ConfigError(
                _(
                    "store {store}: not an outreach store (it holds another program's tables: {tables}); "
                    "set 'store' in the config to outreach's own file, or {advice}"
                ).format(store=self.sqlite_path, tables=", ".join(sorted(tables)[:5]), advice=_restore_advice())
            )
        _configure_sqlite(dbapi_connection)

    def _damaged(self, error: BaseException | None) -> ConfigError:
        """The one-line error for a store file that SQLite cannot read as a database."""
        reason = str(error).splitlines()[0]
        return ConfigError(
            _(
                "store {store}: the file is damaged or is not an outreach store ({reason}); "
                "{advice}, or set 'store' in the config to another file"
            ).format(store=self.sqlite_path, reason=reason, advice=_restore_advice())
        )

    def _migrate(self, now: datetime) -> None:
        if self._up_to_date():
            return
        with self.transaction() as connection:
            metadata.create_all(connection, tables=[schema_migrations])
            applied = set(connection.scalars(select(schema_migrations.c.version)))
            for version, name, migrate in MIGRATIONS:
                if version not in applied:
                    migrate(connection, now)
                    connection.execute(
                        insert(schema_migrations).values(version=version, name=name, applied_at=to_text(now))
                    )
        self.is_new = not applied

    def limit_page_cache(self, kib: int) -> None:
        """Each SQLite connection opened from now on caches at most ``kib`` KiB of the file (SQLite's default is
        2 MiB): a server's eight threads each keep a connection, 16 MiB of a process meant to stay under 80 MB;
        the operating system caches the file anyway. Nothing to do on PostgreSQL (its cache is the server's)."""
        if not self.is_sqlite:
            return
        event.listen(
            self.engine, "connect", lambda connection, _record: connection.execute(f"PRAGMA cache_size=-{int(kib)}")
        )
        self.engine.dispose()  # the connections opened before keep the default

    def _up_to_date(self) -> bool:
        """Every migration is applied, as read without SQLite's write lock: a command that only reads (``outreach
        report``, the web's download) opens the store without waiting for the daemon's claims."""
        with self.reading(), self.transaction() as connection:
            if not inspect(connection).has_table(schema_migrations.name):
                return False
            applied = set(connection.scalars(select(schema_migrations.c.version)))
        return all(version in applied for version, _name, _migrate in MIGRATIONS)

    def schema_version(self) -> int:
        with self.transaction() as connection:
            return connection.scalar(select(func.max(schema_migrations.c.version))) or 0

    def close(self) -> None:
        self.engine.dispose()

    # ---- settings (kill switch, heartbeat) -----------------------------------------------------

    def get_setting(self, key: str) -> Any:
        with self.transaction() as connection:
            return _setting(connection, key)

    def update_setting(self, key: str, change: Callable[[Any], Any]) -> tuple[Any, Any]:
        """Write ``change(value)`` over a setting's value in one transaction, serialised with every other writer
        of the key, for a read-then-write that two workers must not interleave (a channel's hold); returns the
        value before and after."""
        with self.transaction() as connection:
            serialised(connection, "setting:" + key)
            before = _setting(connection, key)
            after = change(before)
            _put_setting(connection, key, after)
        return before, after

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as connection:
            serialised(connection, "setting:" + key)  # two first writes of a key must not both insert
            _put_setting(connection, key, value)

    def settings_with_prefix(self, prefix: str) -> dict[str, Any]:
        """Every setting whose key starts with ``prefix`` and holds a value (e.g. the channel holds)."""
        with self.transaction() as connection:
            rows = connection.execute(select(settings.c.key, settings.c.value).where(settings.c.key.startswith(prefix)))
            values = {row.key: json.loads(row.value) for row in rows}
        return {key: value for key, value in values.items() if value is not None}

    # ---- the record's beginning (creation, restores) -------------------------------------------

    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.get_setting(CREATED_SETTING))  # recorded by migration 3

    def restored(self) -> tuple[datetime, str] | None:
        """When the store was last restored from a backup, and from which file."""
        restored = self.get_setting(RESTORED_SETTING)
        return (datetime.fromisoformat(restored["at"]), restored["from"]) if restored else None

    def record_start(self) -> datetime:
        """Slots up to this moment are never planned: the store was created or restored then, and
        cannot know what went out before it."""
        restored = self.restored()
        return max(self.created_at(), restored[0]) if restored else self.created_at()

    def mark_restored(self, backup: Path | str, now: datetime) -> None:
        """``backup``: the file restored, or (PostgreSQL) what the database was restored from, in words."""
        self.set_setting(RESTORED_SETTING, {"at": to_text(now), "from": str(backup)})

    # ---- web-perf: reads that hold up no writer ----------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Transactions begun inside (in this thread) are deferred on SQLite, not ``BEGIN IMMEDIATE``.

        Every SQLite transaction otherwise takes its one write lock, even to read: twenty people browsing
        the web page would keep the daemon waiting for it, seconds late. Under WAL a deferred reader
        neither waits for a writer nor holds one up. A transaction whose first statement writes still
        waits for the lock as before; only one that reads and then writes can fail at once ("database is
        locked") when another process wrote in between, so wrap what mostly reads (the web's GET pages).

        On PostgreSQL it changes nothing: its readers never wait for writers nor hold them up, and a page
        that reads and then writes (a session's sliding expiry) must still be able to write.
        """
        token = _READING.set(True)
        try:
            yield
        finally:
            _READING.reset(token)


def _setting(connection: Connection, key: str) -> Any:
    value = connection.scalar(select(settings.c.value).where(settings.c.key == key))
    return json.loads(value) if value is not None else None


def serialised(connection: Connection, name: str) -> None:
    """Hold the lock named ``name`` until this transaction ends, waiting for whoever holds it (PostgreSQL).

    For a read-then-write that a row lock cannot cover, because the rows may not exist yet (a first
    setting, a catalogue import, replies kept once). SQLite needs none: every transaction there begins
    with ``BEGIN IMMEDIATE``, which already serialises them all.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(literal(_LOCK_SPACE, Integer), func.hashtext(name))))


def _engine_options(url: str) -> dict[str, Any]:
    """PostgreSQL: give up on an unreachable server within seconds (one line, not a hang); a pooled connection
    is tested before use by ``_replace_if_dead``.

    The pool keeps every connection it opens, up to the 15 that SQLAlchemy's default (5 kept, 10 more at
    a time) allowed at once: with those 10 closed as soon as they were idle, a worker's lanes opened a
    server connection every ~60 transactions of a burst (a server process started each time).
    """
    if url.startswith("postgresql"):
        return {"connect_args": {"connect_timeout": 10}, "pool_size": 15, "max_overflow": 0}
    return {}


def _replace_if_dead(dbapi_connection: Any, _record: object, _proxy: object) -> None:
    """Test a pooled PostgreSQL connection before use, so a database restart costs the daemon only a reconnect.

    A round trip before every transaction (SQLAlchemy's ``pool_pre_ping``) was one in ten of a post's. An idle
    connection has nothing to read: a server that ended it (a restart, ``pg_terminate_backend``, an idle
    timeout) sent its goodbye or closed the socket, which makes the socket readable. So the socket is polled,
    without waiting, and only a readable one is pinged; a failed ping makes the pool open a fresh connection.
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("connection closed")
    readable, _writable, _failed = os_select.select([dbapi_connection.fileno()], [], [], 0)
    if not readable:
        return
    try:
        with dbapi_connection.cursor() as cursor:  # reads what the server sent, then answers, or raises
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as error:  # any failure here means: not this connection
        raise DisconnectionError(f"connection lost: {error.__class__.__name__}") from error


def _is_damage(error: BaseException | None) -> bool:
    """Whether SQLite reported a damaged file, or a file that is not a database at all."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _SQLITE_DAMAGED


def _configure_sqlite(dbapi_connection: sqlite3.Connection) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN IMMEDIATE ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _refuse_an_old_sqlite() -> None:
    """Before any claim could fail on it: the SQLite library Python was built with must speak the store's SQL."""
    if sqlite3.sqlite_version_info < OLDEST_SQLITE:
        raise ConfigError(
            _(
                "this Python's SQLite library is {version}, and the store needs {oldest} or newer; run outreach "
                "with a newer Python (3.11 from python.org, or a system from 2021 on), or set 'store' to a "
                "PostgreSQL database"
            ).format(version=sqlite3.sqlite_version, oldest=".".join(map(str, OLDEST_SQLITE)))
        )
