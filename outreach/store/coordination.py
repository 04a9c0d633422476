"""Many workers on one PostgreSQL store: who leads planning, and who was seen lately.

The leader is whoever holds a session-level advisory lock on a connection of its own, opened for that
alone and kept for the leader's life. PostgreSQL lets go of the lock when that session ends — the
process exits, is killed, or its connection drops — so a lock is never left stale. The connection asks
the server to probe the client with TCP keepalives (and the client the server), so a half-open
connection after a network partition ends within about ``KEEPALIVE_DEADLINE_SECONDS`` on both sides.

Each worker's heartbeat is a setting ``worker:<host>:<pid>``: no table of its own, the same on both engines.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlalchemy import Connection, create_engine, delete, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from .base import StoreBase
from .schema import settings

#: The advisory-lock key of planning's leadership ("outr" in ASCII); advisory locks are per database,
#: so two stores on one server each have a leader of their own.
LEADER_LOCK_KEY = 0x6F757472
#: Setting keys of the workers' heartbeats.
WORKER_PREFIX = "worker:"
#: TCP keepalive: first probe after this many idle seconds, then every ``_INTERVAL``, given up after ``_COUNT``.
_KEEPALIVE_IDLE, _KEEPALIVE_INTERVAL, _KEEPALIVE_COUNT = 5, 5, 3
#: A partitioned leader's connection is declared dead by then, on the worker's side and the server's.
KEEPALIVE_DEADLINE_SECONDS = _KEEPALIVE_IDLE + _KEEPALIVE_INTERVAL * _KEEPALIVE_COUNT


class LeaderLock:
    """Planning's leadership on a PostgreSQL store: try to take it, check it is still held, give it up."""

    def __init__(self, url: str) -> None:
        deadline_ms = KEEPALIVE_DEADLINE_SECONDS * 1000
        self._engine = create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "connect_timeout": 5,
                "keepalives": 1,
                "keepalives_idle": _KEEPALIVE_IDLE,
                "keepalives_interval": _KEEPALIVE_INTERVAL,
                "keepalives_count": _KEEPALIVE_COUNT,
                # An unanswered write (the check below) fails by then instead of waiting for TCP's minutes.
                "tcp_user_timeout": deadline_ms,
                # The server probes us too: a leader cut off by a partition loses the lock within the deadline.
                "options": (
                    f"-c tcp_keepalives_idle={_KEEPALIVE_IDLE} -c tcp_keepalives_interval={_KEEPALIVE_INTERVAL}"
                    f" -c tcp_keepalives_count={_KEEPALIVE_COUNT}"
                ),
            },
        )
        self._connection: Connection | None = None
        #: The server process of the lock's session: ``status`` matches it against the lock's holder.
        self.backend_pid: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; False (not an error) when another worker leads or the server
        cannot be reached now."""
        try:
            connection = self._engine.connect()
        except DBAPIError:
            return False
        try:
            row = connection.execute(
                text("SELECT pg_try_advisory_lock(:key), pg_backend_pid()"), {"key": LEADER_LOCK_KEY}
            ).one()
        except DBAPIError:
            connection.close()
            return False
        taken, backend = row
        if not taken:
            connection.close()
            return False
        self._connection, self.backend_pid = connection, int(backend)
        return True

    def still_held(self) -> bool:
        """Whether the lock's session is alive and still holds it; a broken connection means it is gone."""
        if self._connection is None:
            return False
        try:
            held = self._connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()"
                    " AND classid = 0 AND objid = :key AND objsubid = 1"
                ),
                {"key": LEADER_LOCK_KEY},
            )
        except DBAPIError:
            self._drop()
            return False
        if not held:
            self._drop()
        return bool(held)

    def release(self) -> None:
        """Give the lock up (closing its session does), and let the next worker take it at once."""
        self._drop()
        self._engine.dispose()

    def _drop(self) -> None:
        connection, self._connection, self.backend_pid = self._connection, None, None
        if connection is not None:
            # Closing ends the session, and the lock with it; a broken one the server ends on its own.
            with suppress(DBAPIError):
                connection.close()


class CoordinationStore(StoreBase):
    """The workers' heartbeats, and who holds the leadership lock now (for ``status``)."""

    def workers(self) -> dict[str, dict[str, Any]]:
        """Every worker's last heartbeat, by its setting key."""
        return self.settings_with_prefix(WORKER_PREFIX)

    def forget_worker(self, key: str) -> None:
        """A worker that stopped (or was long silent) leaves the list."""
        with self.transaction() as connection:
            connection.execute(delete(settings).where(settings.c.key == key))

    def leader_backend_pid(self) -> int | None:
        """The server process that holds the leadership lock now, or None (nobody leads, or SQLite)."""
        if self.is_sqlite:
            return None
        with self.transaction() as connection:
            pid = connection.scalar(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    " AND classid = 0 AND objid = :key AND objsubid = 1"
                ),
                {"key": LEADER_LOCK_KEY},
            )
        return int(pid) if pid is not None else None
