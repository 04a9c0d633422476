"""Copying a SQLite store into an empty PostgreSQL database, and proving the copy whole (``db migrate-to``).

Every table of the schema moves, ids kept, in batches (bounded memory for a year of posts), inside one
transaction on PostgreSQL: a failed copy leaves the target as empty as it was. The source is opened
read-only and read in one snapshot, so a copy is consistent even if something writes meanwhile (stop the
daemon all the same: what it writes after the snapshot is not copied). Then each table's rows are counted
and hashed on both sides the same way (SHA-256 over the rows in primary-key order, values normalised).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Integer, Table, create_engine, delete, event, func, insert, inspect, select
from sqlalchemy.exc import DatabaseError

from ..errors import ConfigError, LocalIOError
from ..i18n import _
from ..storeurl import printable
from .base import sqlite_file
from .schema import MIGRATIONS, metadata, schema_migrations, settings

#: Rows per batch: read from SQLite, then sent to PostgreSQL in one round of inserts.
BATCH = 5000
#: Tables an outreach store fills as it is created: a target holding rows only there is still empty.
_CREATED_WITH_THE_SCHEMA = {schema_migrations.name, settings.name}


@dataclass(frozen=True)
class TableCheck:
    """One table on both sides: its rows and their SHA-256, in the source and in the copy."""

    table: str
    source_rows: int
    target_rows: int
    source_digest: str
    target_digest: str

    @property
    def same(self) -> bool:
        return (self.source_rows, self.source_digest) == (self.target_rows, self.target_digest)


def copy_store(
    source_url: str, target_url: str, batch: int = BATCH, copied: Callable[[str, int], None] | None = None
) -> list[TableCheck]:
    """Copy the SQLite store at ``source_url`` into the empty PostgreSQL database at ``target_url``; the checks.

    ``copied(table, rows)`` is told as each table is done. The target's schema is made by opening a Store
    on it (one schema and one migration history for both engines); sequences go past the copied ids.
    """
    from . import Store  # the package's Store joins every mixin; importing it at the top would be circular

    source = _read_only(source_url)
    try:
        _refuse_an_old_schema(source)
        target_engine = _target_engine(target_url)
        try:
            _refuse_a_used_target(target_engine, target_url)
        finally:
            target_engine.dispose()
        Store(target_url).close()
        target = _target_engine(target_url)
        try:
            with source.connect() as reading, reading.begin():
                _copy_tables(reading, target, target_url, batch, copied)
                with target.connect() as checking:
                    return _checks(reading, checking)
        finally:
            target.dispose()
    finally:
        source.dispose()


def verify_copy(source_url: str, target_url: str) -> list[TableCheck]:
    """Count and hash every table in the SQLite store and in its copy, without changing either."""
    source = _read_only(source_url)
    target = _target_engine(target_url)
    try:
        with source.connect() as reading, reading.begin(), target.connect() as checking:
            return _checks(reading, checking)
    finally:
        source.dispose()
        target.dispose()


def table_digests(url: str) -> dict[str, tuple[int, str]]:
    """Each table of the store at ``url`` (either engine): its rows and their SHA-256, as the copy is checked."""
    engine = _read_only(url) if url.startswith("sqlite") else _target_engine(url)
    try:
        with engine.connect() as connection, connection.begin():
            return {table.name: _digest(connection, table) for table in metadata.sorted_tables}
    finally:
        engine.dispose()


def _read_only(url: str) -> Engine:
    """The SQLite store at ``url``, opened so that nothing can change it; its reads share one snapshot."""
    path = sqlite_file(url)
    if path is None:
        raise ConfigError(
            _("db migrate-to copies a SQLite store; the config's store is {store}").format(store=printable(url))
        )
    if not path.is_file():
        raise ConfigError(
            _("db migrate-to: there is no store at {path}; check 'store' in the config").format(path=path)
        )
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")

    @event.listens_for(engine, "connect")
    def _manual(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None  # we begin ourselves, so every read is in one transaction

    @event.listens_for(engine, "begin")
    def _snapshot(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def _target_engine(url: str) -> Engine:
    if not url.startswith("postgresql"):
        raise ConfigError(
            _(
                "db migrate-to {url}: not a PostgreSQL URL; give one such as "
                "postgresql+psycopg://outreach@db.example.go.id:5432/outreach"
            ).format(url=printable(url))
        )
    return create_engine(url, connect_args={"connect_timeout": 10})


def _refuse_an_old_schema(source: Engine) -> None:
    latest = MIGRATIONS[-1][0]
    with source.connect() as connection:
        version = connection.scalar(select(func.max(schema_migrations.c.version)))
    if version != latest:
        raise ConfigError(
            _(
                "the store is at schema version {version}, this outreach at {latest}; run `outreach status` "
                "once to bring the store up to date, then migrate"
            ).format(version=version, latest=latest)
        )


def _refuse_a_used_target(engine: Engine, url: str) -> None:
    """A database with another program's tables, or with any outreach data, is never written to."""
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            if tables and schema_migrations.name not in tables:
                raise ConfigError(
                    _(
                        "db migrate-to {url}: the database holds other tables ({tables}); "
                        "create an empty database for outreach (createdb outreach) and give its URL"
                    ).format(url=printable(url), tables=", ".join(sorted(tables)[:5]))
                )
            filled = [
                table.name
                for table in metadata.sorted_tables
                if table.name in tables
                and table.name not in _CREATED_WITH_THE_SCHEMA
                and connection.scalar(select(func.count()).select_from(table))
            ]
    except DatabaseError as error:
        raise _unreachable(url, error) from None
    if filled:
        raise ConfigError(
            _(
                "db migrate-to {url}: the database already holds an outreach store with data ({tables}); "
                "nothing was copied: give an empty database"
            ).format(url=printable(url), tables=", ".join(filled[:5]))
        )


def _unreachable(url: str, error: DatabaseError) -> ConfigError:
    reason = str(error.orig or error).strip().splitlines()[0]
    return ConfigError(
        _(
            "db migrate-to {url}: cannot connect to PostgreSQL ({reason}); check that the server runs and "
            "accepts this user and database, and put the password in the environment as PGPASSWORD"
        ).format(url=printable(url), reason=reason)
    )


def _copy_tables(
    reading: Connection, target: Engine, url: str, batch: int, copied: Callable[[str, int], None] | None
) -> None:
    """Every table, parents before children, in one transaction on the target: all of it or nothing."""
    table: Table | None = None
    try:
        with target.begin() as writing:
            for table in reversed(metadata.sorted_tables):
                writing.execute(delete(table))  # what opening the Store wrote there: the source's own replaces it
            for table in metadata.sorted_tables:
                rows = 0
                for chunk in _batches(reading, table, batch):
                    writing.execute(insert(table), chunk)
                    rows += len(chunk)
                _move_sequence(writing, table)
                if copied is not None:
                    copied(table.name, rows)
    except DatabaseError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        raise LocalIOError(
            _(
                "db migrate-to {url}: copying the table {table} failed ({reason}); nothing was copied, "
                "the database is as empty as before"
            ).format(url=printable(url), table=table.name if table is not None else "-", reason=reason)
        ) from None


def _batches(connection: Connection, table: Table, size: int) -> Iterator[list[dict[str, Any]]]:
    result = connection.execution_options(yield_per=size).execute(select(table).order_by(*_order(connection, table)))
    for partition in result.mappings().partitions(size):
        yield [dict(row) for row in partition]


def _order(connection: Connection, table: Table) -> list[Any]:
    """The primary key, text compared byte by byte on both engines (PostgreSQL's "C" collation is SQLite's)."""
    postgres = connection.dialect.name == "postgresql"
    return [
        column.collate("C") if postgres and not isinstance(column.type, Integer) else column
        for column in table.primary_key.columns
    ]


def _move_sequence(connection: Connection, table: Table) -> None:
    """Point an integer id's sequence past the copied ids, so the next row PostgreSQL numbers is new."""
    if table.autoincrement_column is None:
        return
    column = table.autoincrement_column
    sequence = func.pg_get_serial_sequence(table.name, column.name)
    highest = select(func.coalesce(func.max(column), 0)).scalar_subquery()
    connection.execute(select(func.setval(sequence, highest + 1, False)))


def _checks(source: Connection, target: Connection) -> list[TableCheck]:
    checks = []
    for table in metadata.sorted_tables:
        source_rows, source_digest = _digest(source, table)
        target_rows, target_digest = _digest(target, table)
        checks.append(TableCheck(table.name, source_rows, target_rows, source_digest, target_digest))
    return checks


def _digest(connection: Connection, table: Table) -> tuple[int, str]:
    """How many rows ``table`` holds and the SHA-256 of their values, one JSON line per row by primary key."""
    digest = hashlib.sha256()
    rows = 0
    query = select(*table.columns).order_by(*_order(connection, table))
    for row in connection.execution_options(yield_per=BATCH).execute(query):
        values = [_normal(value) for value in row]
        digest.update(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        rows += 1
    return rows, digest.hexdigest()


def _normal(value: Any) -> Any:
    """A value as both engines give it back: the schema holds only text and integers (a bool is an integer)."""
    return int(value) if isinstance(value, bool) else value
