"""The store: the only package that speaks SQL, and the source of truth for approvals and posts.

SQLAlchemy Core over SQLite by default (WAL so readers never wait for the daemon, ``synchronous=FULL``
so a committed claim survives power loss, a busy timeout so two commands queue instead of failing).
Every transaction starts with ``BEGIN IMMEDIATE`` on SQLite, taking the write lock up front: a claim
can never interleave with another claim. The claim query also carries ``FOR UPDATE SKIP LOCKED``,
which SQLite ignores and PostgreSQL uses, so a PostgreSQL store can slot in.

Migrations are an ordered list in ``schema.py``, each recorded in ``schema_migrations`` when applied
at start-up. We chose that over Alembic: the schema is small, it ships inside the package, it must
migrate unattended on an office PC, and a list needs no extra tool or script folder to get right.

The package is split by concern: ``schema`` (tables, migrations, timestamps), ``base`` (engine,
transactions, settings), ``catalogue``, ``posts`` (the outbox), ``reach`` (engagement readings, press coverage),
``replies`` (citizens' replies), ``lanes`` (channel lanes and claim leases, for many workers),
``accounts`` (the web page's users and sessions), ``coordination`` (many workers on PostgreSQL: the leader's
lock, heartbeats) and ``files`` (backup and restore).
"""

from .accounts import AccountsStore
from .base import sqlite_file
from .catalogue import About, CatalogueStore, ImportSummary, SignOff
from .coordination import CoordinationStore, LeaderLock
from .files import BackupStore, restore_backup
from .lanes import LanesStore, Lease, worker_spread
from .posts import OutboxStore
from .reach import ReachStore
from .replies import RepliesStore
from .schema import MIGRATIONS
from .web_pages import WebPagesStore
from .web_reads import WebReadsStore

__all__ = [
    "MIGRATIONS",
    "About",
    "ImportSummary",
    "LeaderLock",
    "Lease",
    "SignOff",
    "Store",
    "restore_backup",
    "sqlite_file",
    "worker_spread",
]


class Store(
    CatalogueStore,
    OutboxStore,
    LanesStore,
    ReachStore,
    RepliesStore,
    AccountsStore,
    BackupStore,
    CoordinationStore,
    WebReadsStore,
    WebPagesStore,
):
    """Typed queries over the database at ``url``; migrates it on open.

    ``now`` is the opening command's clock: a store created by this open records it as the moment
    its record begins (``is_new`` tells the caller, who announces it).
    """
