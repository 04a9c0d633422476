"""The store: the only module that speaks SQL, and the source of truth for approvals and posts.

SQLAlchemy Core over SQLite by default (WAL so readers never wait for the daemon, ``synchronous=FULL``
so a committed claim survives power loss, a busy timeout so two commands queue instead of failing).
Every transaction starts with ``BEGIN IMMEDIATE`` on SQLite, taking the write lock up front: a claim
can never interleave with another claim. The claim query also carries ``FOR UPDATE SKIP LOCKED``,
which SQLite ignores and PostgreSQL uses, so a PostgreSQL store can slot in.

Migrations are an ordered list in this module, each recorded in ``schema_migrations`` when applied
at start-up. We chose that over Alembic: the schema is small, it ships inside the package, it must
migrate unattended on an office PC, and a list needs no extra tool or script folder to get right.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections import Counter
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from .errors import ConfigError, LocalIOError
from .redaction import redact
from .model import CatalogueEntry, Innovation, Post, PostEvent, PostState, Status

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("applied_at", Text, nullable=False),
)
innovations = Table(
    "innovations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("data", Text, nullable=False),
    Column("content_hash", Text, nullable=False),
    Column("source", Text),
    Column("imported_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("retired_at", Text),
    Column("retired_by", Text),
)
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("innovation_id", Text, ForeignKey("innovations.id"), nullable=False, index=True),
    Column("decision", Text, nullable=False),  # approved | rejected
    Column("content_hash", Text, nullable=False),
    Column("decided_by", Text, nullable=False),
    Column("decided_at", Text, nullable=False),
    Column("reason", Text),
)
catalogue_sources = Table(
    "catalogue_sources",
    metadata,
    Column("path", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("synced_at", Text, nullable=False),
)
posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False, unique=True),
    Column("campaign", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("innovation_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("scheduled_at", Text, nullable=False),
    Column("due_at", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("text", Text),
    Column("link", Text),
    Column("image", Text),
    Column("alt_text", Text),
    Column("content_hash", Text),
    Column("remote_id", Text),
    Column("remote_url", Text),
    Column("published_at", Text),
    Column("reason", Text),
    Column("channel_state", Text, nullable=False, default="{}"),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Index("posts_state_due", "state", "due_at"),
    Index("posts_innovation", "innovation_id"),
    Index("posts_channel_scheduled", "channel", "scheduled_at"),
)
post_events = Table(
    "post_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False, index=True),
    Column("at", Text, nullable=False),
    Column("from_state", Text),
    Column("to_state", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("reason", Text),
    Column("remote_id", Text),
    Column("remote_url", Text),
)
settings = Table(
    "settings",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

#: A schema step; it gets the opening command's clock, for values a new store starts with.
Migration = Callable[[Connection, datetime], None]

#: Settings key of a counter bumped by every change to the catalogue, so readers can cache it.
CATALOGUE_REVISION = "catalogue_revision"

#: Settings keys: when the store began its record, and the last restore from a backup.
CREATED_SETTING = "store_created_at"
RESTORED_SETTING = "store_restored"

#: The reason recorded for a decision read from the catalogue file's sign-off columns.
SIGNOFF_REASON = "signed off in the catalogue file"

#: SQLite's primary result codes for a file that is damaged or is not a database at all.
_SQLITE_DAMAGED = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB

#: Where an operator reads how to restore a backup.
_RESTORE_ADVICE = "restore the latest backup with `outreach db restore` (docs/operations.md)"


def _create(*tables: Table) -> Migration:
    return lambda connection, _now: metadata.create_all(connection, tables=list(tables))


def _record_creation(connection: Connection, now: datetime) -> None:
    """When the store began its record: now for a new store, else when it planned its first post.

    The planner never fills a slot up to this moment, so a store that was lost and created again
    cannot publish a second time what the lost one had already published.
    """
    first_post = connection.scalar(select(func.min(posts.c.created_at)))
    _put_setting(connection, CREATED_SETTING, first_post or to_text(now))


#: Ordered, append-only. Never edit an applied migration; add a new one.
MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "catalogue and approvals", _create(innovations, decisions, catalogue_sources)),
    (2, "outbox", _create(posts, post_events, settings)),
    (3, "store creation time", _record_creation),
]


def to_text(moment: datetime) -> str:
    """Timestamps are stored as fixed-width UTC text, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_text(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text)  # Python 3.11 reads the trailing Z as UTC


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed: ids added, changed (content differs), and left as they were."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    approvals_withdrawn: tuple[str, ...]


@dataclass(frozen=True)
class SignOff:
    """A decision recorded in the spreadsheet itself (status/disetujui_oleh/disetujui_pada)."""

    decision: str  # approved | rejected
    by: str
    at: datetime | None  # None: record the import time


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite store URL (None for another database), without opening it."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None


class Store:
    """Typed queries over the database at ``url``; migrates it on open.

    ``now`` is the opening command's clock: a store created by this open records it as the moment
    its record begins (``is_new`` tells the caller, who announces it).
    """

    def __init__(self, url: str, now: datetime | None = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.is_new = False
        if self.is_sqlite:
            database = url.removeprefix("sqlite:///")
            if database and database != ":memory:":
                try:
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise ConfigError(
                        f"store {database}: cannot create its folder ({error.strerror}); set 'store' in the "
                        f"config to a writable SQLite file such as \"var/outreach.sqlite3\""
                    ) from None
        try:
            # A pooled connection keeps its PRAGMAs; each transaction does not pay for a new one.
            self.engine: Engine = create_engine(url)
            if self.is_sqlite:
                event.listen(self.engine, "connect", self._configure_sqlite)
                event.listen(self.engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
            self._migrate(now or _now())
        except (ArgumentError, ImportError, OperationalError) as error:
            try:
                shown = make_url(url).render_as_string(hide_password=True)
            except ArgumentError:
                shown = redact(url)
            raise ConfigError(
                f"store {shown}: cannot open it ({error.__class__.__name__}: {str(error).splitlines()[0]}); "
                f"set 'store' in the config to a writable SQLite file such as \"var/outreach.sqlite3\""
            ) from None

    @property
    def sqlite_path(self) -> Path | None:
        return sqlite_file(self.url)

    @property
    def location(self) -> str:
        """Where the store is, fit to print: the SQLite file, or the URL without its password."""
        return str(self.sqlite_path) if self.sqlite_path else make_url(self.url).render_as_string(hide_password=True)

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
                f"store {self.sqlite_path}: not an outreach store (it holds another program's tables: "
                f"{', '.join(sorted(tables)[:5])}); set 'store' in the config to outreach's own file, "
                f"or {_RESTORE_ADVICE}"
            )
        _configure_sqlite(dbapi_connection)

    def _damaged(self, error: BaseException) -> ConfigError:
        """The one-line error for a store file that SQLite cannot read as a database."""
        reason = str(error).splitlines()[0]
        return ConfigError(
            f"store {self.sqlite_path}: the file is damaged or is not an outreach store ({reason}); "
            f"{_RESTORE_ADVICE}, or set 'store' in the config to another file"
        )

    def _migrate(self, now: datetime) -> None:
        with self.transaction() as connection:
            metadata.create_all(connection, tables=[schema_migrations])
            applied = set(connection.scalars(select(schema_migrations.c.version)))
            for version, name, migrate in MIGRATIONS:
                if version not in applied:
                    migrate(connection, now)
                    connection.execute(
                        insert(schema_migrations).values(version=version, name=name, applied_at=to_text(_now()))
                    )
        self.is_new = not applied

    def schema_version(self) -> int:
        with self.transaction() as connection:
            return connection.scalar(select(func.max(schema_migrations.c.version))) or 0

    def close(self) -> None:
        self.engine.dispose()

    # ---- catalogue ---------------------------------------------------------------------------

    def source_fingerprint(self, path: Path) -> str | None:
        with self.transaction() as connection:
            return connection.scalar(
                select(catalogue_sources.c.fingerprint).where(catalogue_sources.c.path == str(path))
            )

    def import_innovations(
        self,
        records: Iterable[tuple[Innovation, str, SignOff | None]],
        now: datetime,
        sources: dict[Path, str] | None = None,
    ) -> ImportSummary:
        """Upsert innovations by id in one transaction; record sign-offs; remember source fingerprints.

        An innovation whose content changed keeps its history of decisions, but a decision only
        counts for the content hash it was made on, so the change withdraws the approval.
        """
        added: list[str] = []
        changed: list[str] = []
        unchanged: list[str] = []
        withdrawn: list[str] = []
        stamp = to_text(now)
        with self.transaction() as connection:
            for innovation, source, signoff in records:
                digest = innovation.content_hash
                row = connection.execute(
                    select(innovations.c.content_hash).where(innovations.c.id == innovation.id)
                ).first()
                data = json.dumps(innovation.to_json(), ensure_ascii=False, sort_keys=True)
                if row is None:
                    connection.execute(
                        insert(innovations).values(
                            id=innovation.id,
                            data=data,
                            content_hash=digest,
                            source=source,
                            imported_at=stamp,
                            updated_at=stamp,
                        )
                    )
                    added.append(innovation.id)
                elif row.content_hash != digest:
                    if self._status(connection, innovation.id, row.content_hash) is Status.APPROVED:
                        withdrawn.append(innovation.id)
                    connection.execute(
                        update(innovations)
                        .where(innovations.c.id == innovation.id)
                        .values(data=data, content_hash=digest, source=source, updated_at=stamp)
                    )
                    changed.append(innovation.id)
                else:
                    unchanged.append(innovation.id)
                if signoff is not None and not self._signoff_recorded(connection, innovation.id, signoff):
                    # A sign-off is identified by its cells (decision, who, when): the same cells
                    # read again after the content changed are the old sign-off, not a new one.
                    connection.execute(
                        insert(decisions).values(
                            innovation_id=innovation.id,
                            decision=signoff.decision,
                            content_hash=digest,
                            decided_by=signoff.by,
                            decided_at=to_text(signoff.at or now),
                            reason=SIGNOFF_REASON,
                        )
                    )
            for path, fingerprint in (sources or {}).items():
                self._set_fingerprint(connection, path, fingerprint, stamp)
            _bump_catalogue_revision(connection)
        return ImportSummary(tuple(added), tuple(changed), tuple(unchanged), tuple(withdrawn))

    @staticmethod
    def _set_fingerprint(connection: Connection, path: Path, fingerprint: str, stamp: str) -> None:
        exists = connection.scalar(select(catalogue_sources.c.path).where(catalogue_sources.c.path == str(path)))
        if exists:
            connection.execute(
                update(catalogue_sources)
                .where(catalogue_sources.c.path == str(path))
                .values(fingerprint=fingerprint, synced_at=stamp)
            )
        else:
            connection.execute(insert(catalogue_sources).values(path=str(path), fingerprint=fingerprint, synced_at=stamp))

    @staticmethod
    def _signoff_recorded(connection: Connection, innovation_id: str, signoff: SignOff) -> bool:
        query = (
            select(func.count())
            .select_from(decisions)
            .where(
                decisions.c.innovation_id == innovation_id,
                decisions.c.decision == signoff.decision,
                decisions.c.decided_by == signoff.by,
                decisions.c.reason == SIGNOFF_REASON,
            )
        )
        if signoff.at is not None:
            query = query.where(decisions.c.decided_at == to_text(signoff.at))
        return (connection.scalar(query) or 0) > 0

    @staticmethod
    def _status(connection: Connection, innovation_id: str, digest: str) -> Status:
        latest = connection.execute(
            select(decisions.c.decision, decisions.c.content_hash)
            .where(decisions.c.innovation_id == innovation_id)
            .order_by(decisions.c.id.desc())
            .limit(1)
        ).first()
        return _status_of(latest.decision if latest else None, latest.content_hash if latest else None, digest)

    def decide(
        self, ids: Iterable[str], decision: str, by: str, now: datetime, reason: str | None = None
    ) -> list[str]:
        """Record an approval or rejection of each innovation's current content; unknown ids raise."""
        ids = list(ids)
        with self.transaction() as connection:
            found = {
                row.id: row
                for row in connection.execute(
                    select(innovations.c.id, innovations.c.content_hash, innovations.c.retired_at).where(
                        innovations.c.id.in_(ids)
                    )
                )
            }
            missing = [identifier for identifier in ids if identifier not in found]
            if missing:
                raise ConfigError(
                    f"no innovation with id {', '.join(missing)}; see `outreach catalogue list` for the ids"
                )
            for identifier in ids:
                connection.execute(
                    insert(decisions).values(
                        innovation_id=identifier,
                        decision=decision,
                        content_hash=found[identifier].content_hash,
                        decided_by=by,
                        decided_at=to_text(now),
                        reason=reason,
                    )
                )
                if found[identifier].retired_at and decision == "approved":
                    connection.execute(
                        update(innovations)
                        .where(innovations.c.id == identifier)
                        .values(retired_at=None, retired_by=None)
                    )
            _bump_catalogue_revision(connection)
        return ids

    def retire(self, identifier: str, by: str, now: datetime) -> None:
        with self.transaction() as connection:
            result = connection.execute(
                update(innovations)
                .where(innovations.c.id == identifier)
                .values(retired_at=to_text(now), retired_by=by)
            )
            if result.rowcount == 0:
                raise ConfigError(f"no innovation with id {identifier}; see `outreach catalogue list` for the ids")
            _bump_catalogue_revision(connection)

    def catalogue_revision(self) -> int:
        """A number that changes whenever the catalogue or an approval changes (one cheap read)."""
        with self.transaction() as connection:
            value = connection.scalar(select(settings.c.value).where(settings.c.key == CATALOGUE_REVISION))
        return int(value) if value is not None else 0

    def catalogue(self, ids: Iterable[str] | None = None) -> list[CatalogueEntry]:
        """Every innovation (or those with ``ids``) with its standing, ordered by id."""
        wanted = None if ids is None else list(ids)
        with self.transaction() as connection:
            latest_query = select(func.max(decisions.c.id).label("id")).group_by(decisions.c.innovation_id)
            rows_query = select(innovations).order_by(innovations.c.id)
            if wanted is not None:
                latest_query = latest_query.where(decisions.c.innovation_id.in_(wanted))
                rows_query = rows_query.where(innovations.c.id.in_(wanted))
            latest_ids = latest_query.subquery()
            latest = {
                row.innovation_id: row
                for row in connection.execute(select(decisions).where(decisions.c.id.in_(select(latest_ids.c.id))))
            }
            entries = []
            for row in connection.execute(rows_query):
                decision = latest.get(row.id)
                if row.retired_at:
                    status = Status.RETIRED
                else:
                    status = _status_of(
                        decision.decision if decision else None,
                        decision.content_hash if decision else None,
                        row.content_hash,
                    )
                entries.append(
                    CatalogueEntry(
                        innovation=Innovation.from_json(json.loads(row.data)),
                        status=status,
                        decided_by=row.retired_by if row.retired_at else (decision.decided_by if decision else None),
                        decided_at=from_text(row.retired_at or (decision.decided_at if decision else None)),
                        reason=decision.reason if decision and not row.retired_at else None,
                        source=row.source,
                    )
                )
            return entries

    def decisions_of(self, identifier: str) -> list[dict[str, Any]]:
        with self.transaction() as connection:
            return [
                {**row._asdict(), "decided_at": from_text(row.decided_at)}
                for row in connection.execute(
                    select(decisions).where(decisions.c.innovation_id == identifier).order_by(decisions.c.id)
                )
            ]

    # ---- settings (kill switch, heartbeat) -----------------------------------------------------

    def get_setting(self, key: str) -> Any:
        with self.transaction() as connection:
            value = connection.scalar(select(settings.c.value).where(settings.c.key == key))
        return json.loads(value) if value is not None else None

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as connection:
            _put_setting(connection, key, value)

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

    def mark_restored(self, backup: Path, now: datetime) -> None:
        self.set_setting(RESTORED_SETTING, {"at": to_text(now), "from": str(backup)})

    # ---- outbox ------------------------------------------------------------------------------

    def posts(
        self,
        states: Iterable[PostState] | None = None,
        scheduled_from: datetime | None = None,
        scheduled_to: datetime | None = None,
        ids: Iterable[int] | None = None,
    ) -> list[Post]:
        """Posts matching the filters, in schedule order."""
        query = select(posts).order_by(posts.c.scheduled_at, posts.c.id)
        if states is not None:
            query = query.where(posts.c.state.in_([state.value for state in states]))
        if scheduled_from is not None:
            query = query.where(posts.c.scheduled_at >= to_text(scheduled_from))
        if scheduled_to is not None:
            query = query.where(posts.c.scheduled_at < to_text(scheduled_to))
        if ids is not None:
            query = query.where(posts.c.id.in_(list(ids)))
        with self.transaction() as connection:
            return [_post(row) for row in connection.execute(query)]

    def post(self, post_id: int) -> Post | None:
        found = self.posts(ids=[post_id])
        return found[0] if found else None

    def events(self, post_id: int) -> list[PostEvent]:
        with self.transaction() as connection:
            return [
                PostEvent(
                    post_id=row.post_id,
                    at=from_text(row.at),  # type: ignore[arg-type]
                    from_state=row.from_state,
                    to_state=row.to_state,
                    attempt=row.attempt,
                    reason=row.reason,
                    remote_id=row.remote_id,
                    remote_url=row.remote_url,
                )
                for row in connection.execute(
                    select(post_events).where(post_events.c.post_id == post_id).order_by(post_events.c.id)
                )
            ]

    def counts_by_state(self) -> dict[str, int]:
        with self.transaction() as connection:
            return dict(
                Counter(
                    {row.state: row.count for row in connection.execute(
                        select(posts.c.state, func.count().label("count")).group_by(posts.c.state)
                    )}
                )
            )

    def apply_plan(
        self,
        new_posts: Iterable[dict[str, Any]],
        cancellations: Iterable[tuple[int, str]],
        now: datetime,
        refreshed: Iterable[tuple[int, dict[str, Any]]] = (),
    ) -> tuple[int, int]:
        """Insert new posts (skipping keys that exist), refresh the text of planned ones, cancel others.

        Only rows still ``planned`` are refreshed or cancelled: a post someone claimed meanwhile is
        left alone. All of it is one transaction.
        """
        stamp = to_text(now)
        inserted = cancelled = 0
        with self.transaction() as connection:
            existing = {row.key: row for row in connection.execute(select(posts.c.key, posts.c.id, posts.c.state))}
            for values in new_posts:
                if values["key"] in existing:
                    earlier = existing[values["key"]]
                    if earlier.state in (PostState.CANCELLED.value, PostState.SKIPPED.value):
                        # The same post is wanted again (e.g. re-approved): revive it, keeping its history.
                        revived = {k: v for k, v in values.items() if k in ("text", "link", "image", "alt_text", "content_hash")}
                        _transition(connection, earlier.id, PostState.PLANNED, stamp, "planned again",
                                    due_at=values["scheduled_at"], attempts=0, **revived)
                        inserted += 1
                    continue
                state = PostState(values.pop("state", PostState.PLANNED))
                reason = values.pop("reason", "planned")
                post_id = connection.execute(
                    insert(posts).values(
                        **{
                            **values,
                            "scheduled_at": to_text(values["scheduled_at"]),
                            "due_at": to_text(values["scheduled_at"]),
                            "state": state.value,
                            "reason": reason,
                            "attempts": 0,
                            "channel_state": "{}",
                            "created_at": stamp,
                            "updated_at": stamp,
                        }
                    )
                ).inserted_primary_key[0]
                _event(connection, post_id, stamp, None, state, 0, reason)
                inserted += 1
            for post_id, values in refreshed:
                connection.execute(
                    update(posts)
                    .where(posts.c.id == post_id, posts.c.state == PostState.PLANNED.value)
                    .values(**values, updated_at=stamp)
                )
            for post_id, reason in cancellations:
                if _transition(connection, post_id, PostState.CANCELLED, stamp, reason, only_from=[PostState.PLANNED]):
                    cancelled += 1
        return inserted, cancelled

    def claim_due(self, now: datetime, unless_set: str | None = None) -> Post | None:
        """Atomically move the earliest due ``planned`` post to ``publishing`` and count the attempt.

        The claim is committed before this returns, so the network call that follows happens
        only for a post whose claim is durable. With ``unless_set``, nothing is claimed while that
        setting (the kill switch) holds a value — checked in the same transaction as the claim.
        """
        stamp = to_text(now)
        query = (
            select(posts.c.id)
            .where(posts.c.state == PostState.PLANNED.value, posts.c.due_at <= stamp)
            .order_by(posts.c.due_at, posts.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with self.transaction() as connection:
            if unless_set is not None:
                value = connection.scalar(select(settings.c.value).where(settings.c.key == unless_set))
                if value is not None and json.loads(value) is not None:
                    return None
            post_id = connection.scalar(query)
            if post_id is None:
                return None
            row = connection.execute(select(posts).where(posts.c.id == post_id)).one()
            attempt = row.attempts + 1
            connection.execute(
                update(posts)
                .where(posts.c.id == post_id)
                .values(state=PostState.PUBLISHING.value, attempts=attempt, updated_at=stamp)
            )
            _event(connection, post_id, stamp, PostState.PLANNED, PostState.PUBLISHING, attempt, "claimed")
            return _post(connection.execute(select(posts).where(posts.c.id == post_id)).one())

    def next_due(self) -> datetime | None:
        """When the earliest planned post is due, for the daemon's alarm clock."""
        with self.transaction() as connection:
            return from_text(
                connection.scalar(select(func.min(posts.c.due_at)).where(posts.c.state == PostState.PLANNED.value))
            )

    def planned_due_times(self, after: datetime, until: datetime) -> list[datetime]:
        with self.transaction() as connection:
            values = connection.scalars(
                select(posts.c.due_at)
                .where(
                    posts.c.state == PostState.PLANNED.value,
                    posts.c.due_at > to_text(after),
                    posts.c.due_at <= to_text(until),
                )
                .distinct()
                .order_by(posts.c.due_at)
            )
            return [from_text(value) for value in values]  # type: ignore[misc]

    def save_channel_state(self, post_id: int, state: dict[str, Any]) -> None:
        """Durably merge adapter state (e.g. a Bluesky rkey) into the post, before the adapter goes on."""
        with self.transaction() as connection:
            current = json.loads(connection.scalar(select(posts.c.channel_state).where(posts.c.id == post_id)) or "{}")
            current.update(state)
            connection.execute(
                update(posts).where(posts.c.id == post_id).values(channel_state=json.dumps(current, ensure_ascii=False))
            )

    def transition(
        self,
        post_id: int,
        to_state: PostState,
        now: datetime,
        reason: str,
        *,
        only_from: Iterable[PostState] | None = None,
        **values: Any,
    ) -> bool:
        """Move a post to ``to_state`` with a reason (and extra columns); False if it was not in ``only_from``."""
        with self.transaction() as connection:
            return _transition(connection, post_id, to_state, to_text(now), reason, only_from=only_from, **values)

    def reschedule(self, post_id: int, due_at: datetime, now: datetime, reason: str) -> bool:
        """Make a planned post due at another time (rehearsals, tests, an operator's nudge), with an event."""
        with self.transaction() as connection:
            return _transition(connection, post_id, PostState.PLANNED, to_text(now), reason,
                               only_from=[PostState.PLANNED], due_at=to_text(due_at))

    def backup(self, destination: Path) -> None:
        """A consistent copy of a live SQLite store (the online backup API), written whole or not at all.

        The copy is made in a temporary file beside ``destination`` and renamed over it only once
        it is complete and on disk, so a failed backup (a full disk, a pulled USB drive) leaves no
        half file, and an earlier backup of the same name survives until the new one is whole.
        """
        if self.sqlite_path is None:
            raise ConfigError("db backup works on SQLite stores; use your database's own tools for others")
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
                f"cannot write the backup {destination}: {reason}; nothing was written "
                f"(check the free space on that disk and that the folder is writable)"
            ) from None


def _is_damage(error: BaseException | None) -> bool:
    """Whether SQLite reported a damaged file, or a file that is not a database at all."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _SQLITE_DAMAGED


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
            f"db backup {destination}: that is the live store itself; give the backup another name, "
            f"e.g. {store.with_name('cadangan-' + store.name)}"
        )
    if not target.parent.is_dir():
        raise ConfigError(
            f"db backup {destination}: the folder {target.parent} does not exist; create it first, "
            f"or give a path in an existing folder"
        )
    if target.exists():
        if not target.is_file():
            raise ConfigError(
                f"db backup {destination}: not a regular file (a device or another special file); "
                f"give the path of a file such as var/cadangan.sqlite3"
            )
        if not _is_outreach_database(target):
            raise ConfigError(
                f"db backup {destination}: the file exists and is not an outreach backup; it was left as it "
                f"is: choose another name, or move that file away first"
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
        raise ConfigError("db restore works on SQLite stores; use your database's own tools for others")
    if not backup.is_file():
        raise ConfigError(f"{backup}: no such file; give the path of a copy made by `outreach db backup`")
    if target_path.exists() and backup.resolve() == target_path.resolve():
        raise ConfigError(f"{backup} is the store itself; give the path of a copy made by `outreach db backup`")
    try:
        source = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise ConfigError(f"{backup}: cannot open it ({error})") from None
    try:
        try:
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            tables = set()
            detail = str(error)
        else:
            detail = "it has no outbox"
        if not {schema_migrations.name, posts.name} <= tables:
            raise ConfigError(
                f"{backup}: not a backup of an outreach store ({detail}); give a copy made by `outreach db backup`"
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


def _configure_sqlite(dbapi_connection: sqlite3.Connection) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN IMMEDIATE ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _status_of(decision: str | None, decided_hash: str | None, current_hash: str) -> Status:
    if decision is None:
        return Status.DRAFT
    if decided_hash != current_hash:
        return Status.CHANGED if decision == "approved" else Status.DRAFT
    return Status.APPROVED if decision == "approved" else Status.REJECTED


def _bump_catalogue_revision(connection: Connection) -> None:
    current = connection.scalar(select(settings.c.value).where(settings.c.key == CATALOGUE_REVISION))
    _put_setting(connection, CATALOGUE_REVISION, int(current or 0) + 1)


def _put_setting(connection: Connection, key: str, value: Any) -> None:
    encoded = json.dumps(value, ensure_ascii=False)
    if connection.scalar(select(settings.c.key).where(settings.c.key == key)):
        connection.execute(update(settings).where(settings.c.key == key).values(value=encoded))
    else:
        connection.execute(insert(settings).values(key=key, value=encoded))


def _event(
    connection: Connection,
    post_id: int,
    stamp: str,
    from_state: PostState | None,
    to_state: PostState,
    attempt: int,
    reason: str | None,
    remote_id: str | None = None,
    remote_url: str | None = None,
) -> None:
    connection.execute(
        insert(post_events).values(
            post_id=post_id,
            at=stamp,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value,
            attempt=attempt,
            reason=redact(reason) if reason else reason,
            remote_id=remote_id,
            remote_url=remote_url,
        )
    )


def _transition(
    connection: Connection,
    post_id: int,
    to_state: PostState,
    stamp: str,
    reason: str,
    *,
    only_from: Iterable[PostState] | None = None,
    **values: Any,
) -> bool:
    row = connection.execute(select(posts.c.state, posts.c.attempts).where(posts.c.id == post_id)).first()
    if row is None:
        return False
    if only_from is not None and row.state not in {state.value for state in only_from}:
        return False
    converted = {key: to_text(value) if isinstance(value, datetime) else value for key, value in values.items()}
    if "channel_state" in converted and isinstance(converted["channel_state"], dict):
        converted["channel_state"] = json.dumps(converted["channel_state"], ensure_ascii=False)
    connection.execute(
        update(posts)
        .where(posts.c.id == post_id)
        .values(state=to_state.value, reason=redact(reason), updated_at=stamp, **converted)
    )
    _event(
        connection,
        post_id,
        stamp,
        PostState(row.state),
        to_state,
        converted.get("attempts", row.attempts),
        reason,
        converted.get("remote_id"),
        converted.get("remote_url"),
    )
    return True


def _post(row: Any) -> Post:
    return Post(
        id=row.id,
        key=row.key,
        campaign=row.campaign,
        channel=row.channel,
        innovation_id=row.innovation_id,
        kind=row.kind,
        scheduled_at=from_text(row.scheduled_at),  # type: ignore[arg-type]
        due_at=from_text(row.due_at),  # type: ignore[arg-type]
        state=PostState(row.state),
        attempts=row.attempts,
        text=row.text,
        link=row.link,
        image=row.image,
        alt_text=row.alt_text,
        content_hash=row.content_hash,
        remote_id=row.remote_id,
        remote_url=row.remote_url,
        published_at=from_text(row.published_at),
        reason=row.reason,
        channel_state=json.loads(row.channel_state or "{}"),
    )
