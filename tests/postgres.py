"""A real PostgreSQL server for the tests: a fresh database per test, dropped afterwards.

The server is ``$OUTREACH_TEST_POSTGRES`` (a SQLAlchemy URL of a database the tests may create others
from), by default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres`` (the project's machines run
one there, trust auth). Without a reachable server the tests that need one are skipped with the reason;
``.ci/run`` sets ``OUTREACH_REQUIRE_POSTGRES=1``, which turns that skip into a failure, so CI always runs them.

Each test's database is copied from a template migrated once per run (``CREATE DATABASE … TEMPLATE``):
about 60 ms instead of a migration per test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from outreach.store import Store

#: The server the tests use, as a SQLAlchemy URL of a database they may connect to.
SERVER_VARIABLE = "OUTREACH_TEST_POSTGRES"
#: Set by .ci/run: a missing PostgreSQL fails the run instead of skipping.
REQUIRE_VARIABLE = "OUTREACH_REQUIRE_POSTGRES"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: Every database a test run creates starts with this, so a crashed run's leftovers are recognisable.
PREFIX = "outreach_test_"
#: The engines every store/outbox test runs on.
ENGINES = ("sqlite", "postgresql")


def server_url() -> URL:
    return make_url(os.environ.get(SERVER_VARIABLE, DEFAULT_SERVER))


def _unavailable(reason: str) -> None:
    message = (
        f"PostgreSQL is not available ({reason}); start one at 127.0.0.1:5432 or set "
        f"{SERVER_VARIABLE} to a server's URL (CI sets {REQUIRE_VARIABLE}=1 and fails here)"
    )
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(message)
    pytest.skip(message)


@cache
def _probe() -> str | None:
    """Why the server cannot be used, or None; asked once per run."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    try:
        with psycopg.connect(_libpq(server_url()), connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


def _libpq(url: URL) -> str:
    """A SQLAlchemy URL as psycopg's connection string."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(server_url()), autocommit=True) as connection:
        connection.execute(statement.encode())  # our own names (uuid hex), never user input


def create_database(template: str | None = None) -> str:
    """A new, empty (or ``template``-copied) database on the server; returns its URL."""
    reason = _probe()
    if reason is not None:
        _unavailable(reason)
    name = PREFIX + uuid.uuid4().hex[:16]
    _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return server_url().set(database=name).render_as_string(hide_password=False)


def _for_tests(url: str) -> str:
    """Commit without waiting for the server's disk (``synchronous_commit = off``): a test's database need not
    survive a crash of the PostgreSQL server itself, and a commit is then a fraction of a millisecond. What the
    tests prove is unchanged: a committed transaction is visible to every other session at once, and a client
    killed with SIGKILL (the crash suites kill outreach, never the server) loses nothing it committed."""
    _admin(f'ALTER DATABASE "{make_url(url).database}" SET synchronous_commit = off')
    return url


def drop_database(url: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


#: When the template's store says it began (migration 3 records it). The planner fills no slot before a store
#: began, so a template migrated at the wall clock's time would hide every slot the tests' fixed clocks put
#: earlier than the day the suite runs. A SQLite test store begins at its workspace's clock, which lies after this.
TEMPLATE_CREATED = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def _migrated_template() -> Iterator[str]:
    url = create_database()
    Store(url, now=TEMPLATE_CREATED).close()
    try:
        yield str(make_url(url).database)
    finally:
        drop_database(url)


@pytest.fixture
def postgres_url(_migrated_template: str) -> Iterator[str]:
    """The URL of a fresh database holding a migrated, empty store; dropped after the test."""
    url = _for_tests(create_database(template=_migrated_template))
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """The URL of a fresh, empty database (no tables): for migrations and copies into PostgreSQL."""
    url = _for_tests(create_database())
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new store on each engine in turn: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "s.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def any_store(store_url: str) -> Iterator[Store]:
    """A store on each engine in turn (see ``store_url``)."""
    opened = Store(store_url)
    try:
        yield opened
    finally:
        opened.close()
