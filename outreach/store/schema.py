"""The store's schema: the tables, the ordered list of migrations, and how timestamps are stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    inspect,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.functions import FunctionElement

from ..reasons import N_

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


class _JsonText(FunctionElement[str]):
    """A text field of a JSON object kept in a TEXT column, on either engine: SQLite's ``json_extract`` reads
    text as JSON; PostgreSQL needs the text cast to ``jsonb`` first (``->>`` on text does not exist)."""

    type = String()
    name = "json_text"
    inherit_cache = True


@compiles(_JsonText)
def _json_text_sqlite(element: _JsonText, compiler: Any, **options: Any) -> str:
    column, key = list(element.clauses)
    return f"json_extract({compiler.process(column, **options)}, '$.' || {compiler.process(key, **options)})"


@compiles(_JsonText, "postgresql")
def _json_text_postgresql(element: _JsonText, compiler: Any, **options: Any) -> str:
    column, key = list(element.clauses)
    return f"(CAST({compiler.process(column, **options)} AS JSONB) ->> {compiler.process(key, **options)})"


def innovation_field(name: str) -> Any:
    """The innovation's catalogue field ``name`` (``nama``, ``opd``, ``mulai`` …) as text, in SQL on either engine.

    The name is written into the SQL (one of ours, never a user's), so that GROUP BY repeats the very
    expression PostgreSQL saw in SELECT.
    """
    if not name.isidentifier():
        raise ValueError(name)
    return _JsonText(innovations.c.data, literal_column(f"'{name}'", String()))


#: The catalogue page's order and its agency filter, read from these indexes instead of every innovation's JSON
#: (10,000 innovations: 50 ms a page → under 1 ms; migration 11). Queries must repeat these expressions exactly.
Index("innovations_name", func.lower(innovation_field("nama")), innovations.c.id)
Index("innovations_agency", func.lower(innovation_field("opd")))

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
    Column("claimed_by", Text),  # the worker publishing it (host:pid:id), while ``publishing`` (migration 9)
    Column("lease_until", Text),  # its worker renews this while it lives; past it, the post is an orphan
    Index("posts_state_due", "state", "due_at"),
    Index("posts_innovation", "innovation_id"),
    Index("posts_channel_scheduled", "channel", "scheduled_at"),
    Index("posts_scheduled", "scheduled_at", "id"),  # the queue's pages, in schedule order (migration 8)
    # the report's counts: a year's published posts per innovation from the index alone (migration 10)
    Index("posts_published", "state", "published_at", "innovation_id"),
    # … and counted per innovation in its order, no sort of a year's ~85,000 posts (migration 12)
    Index("posts_published_innovation", "state", "innovation_id", "published_at"),
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
    Column("operation", Text),  # the outbox operation; NULL for a post's creation (and events before migration 4)
    Column("actor", Text),  # who asked, when a person did
)
metric_readings = Table(
    "metric_readings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False),
    Column("read_at", Text, nullable=False),
    Column("counts", Text, nullable=False),  # JSON object: figure name (model.METRIC_NAMES) -> count
    Index("metric_readings_post_read", "post_id", "read_at"),
    Index("metric_readings_read", "read_at"),
)
press_coverage = Table(
    "press_coverage",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("innovation_id", Text, ForeignKey("innovations.id"), nullable=False),
    Column("url", Text, nullable=False),
    Column("outlet", Text, nullable=False),
    Column("published_on", Text, nullable=False),  # ISO date, the article's own date
    Column("added_at", Text, nullable=False),
    Column("added_by", Text),
    UniqueConstraint("innovation_id", "url", name="press_coverage_once"),
    Index("press_coverage_published", "published_on"),
)
replies = Table(
    "replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False),
    Column("channel", Text, nullable=False),
    Column("innovation_id", Text, nullable=False),
    Column("remote_id", Text, nullable=False),
    Column("parent_id", Text),
    Column("author", Text),  # erased (NULL) after the retention period
    Column("text", Text),  # erased (NULL) after the retention period
    Column("url", Text),  # erased too: a permalink names its author on most platforms
    Column("written_at", Text, nullable=False),
    Column("from_office", Integer, nullable=False, default=0),
    Column("kind", Text, nullable=False),  # model.REPLY_KINDS
    Column("urgent", Integer, nullable=False, default=0),
    Column("status", Text, nullable=False),  # model.ReplyStatus
    Column("answered_at", Text),
    Column("decided_by", Text),
    Column("note", Text),
    Column("collected_at", Text, nullable=False),
    Column("erased_at", Text),
    UniqueConstraint("channel", "remote_id", name="replies_once"),
    Index("replies_post", "post_id"),
    Index("replies_status_written", "status", "written_at"),
    Index("replies_written", "written_at"),
)
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False, unique=True),  # the name casefolded: "Sari" and "sari" are one user
    Column("role", Text, nullable=False),  # model.ROLES
    Column("opd", Text),  # an approver's agency (the catalogue's `opd`); None for the others
    Column("password_hash", Text, nullable=False),  # Argon2id, never the password
    Column("created_at", Text, nullable=False),
    Column("password_changed_at", Text, nullable=False),
    Column("disabled_at", Text),
)
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),  # SHA-256 of the cookie's token: a stolen database holds no session
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("last_seen_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
)
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name_key", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("at", Text, nullable=False),
    Index("login_failures_name", "name_key", "at"),
    Index("login_failures_address", "address", "at"),
)
account_events = Table(
    "account_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),
    Column("actor", Text, nullable=False),  # who did it: a user's name, or the operator's login for the CLI
    Column("user_name", Text, nullable=False),  # whose account
    Column("action", Text, nullable=False),  # added | password changed | disabled | signed in | signed out
    Column("detail", Text),
)
#: Which worker publishes a channel's posts now: one post of a channel in flight at a time, across
#: workers and machines; the holder renews ``lease_until``, and anyone may take a lane whose lease is past.
channel_lanes = Table(
    "channel_lanes",
    metadata,
    Column("channel", Text, primary_key=True),
    Column("worker", Text, nullable=False),
    Column("lease_until", Text, nullable=False),
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
SIGNOFF_REASON = N_("signed off in the catalogue file")  # stored in English, shown translated


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
def _add_columns(table: Table, *names: str) -> Migration:
    """Add columns to an existing table; a store created after they joined the table already has them."""

    def migrate(connection: Connection, _now: datetime) -> None:
        present = {column["name"] for column in inspect(connection).get_columns(table.name)}
        for name in names:
            if name not in present:
                column = table.c[name]
                connection.execute(
                    text(f'ALTER TABLE {table.name} ADD COLUMN "{name}" {column.type.compile(connection.dialect)}')
                )

    return migrate


def _index(table: Table, *names: str) -> Migration:
    """Create some of ``table``'s indexes; a store created after they joined the table already has them."""
    indexes = [index for index in table.indexes if index.name in names]
    if len(indexes) != len(names):
        raise LookupError(names)

    def migrate(connection: Connection, _now: datetime) -> None:
        for index in indexes:  # IF NOT EXISTS: SQLite's reflection does not see indexes on expressions
            connection.execute(CreateIndex(index, if_not_exists=True))

    return migrate


def _leases(connection: Connection, now: datetime) -> None:
    """Posts name the worker that claimed them and its lease; channels get their lanes."""
    _add_columns(posts, "claimed_by", "lease_until")(connection, now)
    _create(channel_lanes)(connection, now)


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "catalogue and approvals", _create(innovations, decisions, catalogue_sources)),
    (2, "outbox", _create(posts, post_events, settings)),
    (3, "store creation time", _record_creation),
    (4, "event operation and actor", _add_columns(post_events, "operation", "actor")),
    (5, "engagement readings and press coverage", _create(metric_readings, press_coverage)),
    (6, "citizens' replies", _create(replies)),
    (7, "accounts of the office's web page", _create(users, web_sessions, login_failures, account_events)),
    (8, "posts by schedule, for the queue's pages", _index(posts, "posts_scheduled")),
    (9, "channel lanes and claim leases", _leases),
    (10, "published posts by time, for the report's counts", _index(posts, "posts_published")),
    (11, "innovations by name and by agency, for the catalogue's pages",
     _index(innovations, "innovations_name", "innovations_agency")),
    (12, "published posts by innovation, for the report's counts", _index(posts, "posts_published_innovation")),
]  # fmt: skip


def to_text(moment: datetime) -> str:
    """Timestamps are stored as fixed-width UTC text, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_text(text: str | None) -> datetime | None:
    """A nullable timestamp column's value."""
    return None if text is None else moment_of(text)


def moment_of(text: str) -> datetime:
    """A NOT NULL timestamp column's value."""
    return datetime.fromisoformat(text)  # Python 3.11 reads the trailing Z as UTC


def _put_setting(connection: Connection, key: str, value: Any) -> None:
    encoded = json.dumps(value, ensure_ascii=False)
    if connection.scalar(select(settings.c.key).where(settings.c.key == key)):
        connection.execute(update(settings).where(settings.c.key == key).values(value=encoded))
    else:
        connection.execute(insert(settings).values(key=key, value=encoded))
