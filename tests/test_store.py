"""The store's own promises: recorded migrations, durable settings, and consistent backups.

Promises of every store run on SQLite and PostgreSQL; the WAL and the backup file are SQLite's own.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from outreach.errors import ConfigError
from outreach.store import MIGRATIONS, Store


@pytest.fixture(params=("sqlite", "postgresql"))
def new_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where no store is yet, on each engine: a new SQLite file, an empty PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'outreach.sqlite3'}"
    return str(request.getfixturevalue("empty_postgres_url"))


def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    """SQLite only: it reads the file itself, and its journal mode (PostgreSQL's twin is in test_store_engines)."""
    url = f"sqlite:///{tmp_path / 'outreach.sqlite3'}"
    first = Store(url)
    assert first.schema_version() == MIGRATIONS[-1][0]
    first.close()
    again = Store(url)  # a second start must not re-run anything
    again.close()
    with sqlite3.connect(tmp_path / "outreach.sqlite3") as connection:
        rows = connection.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
        assert rows == [(version, name) for version, name, _ in MIGRATIONS]
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_settings_survive_a_restart(new_store_url: str) -> None:
    url = new_store_url
    store = Store(url)
    store.set_setting("pause", {"reason": "Hari berkabung"})
    store.close()
    assert Store(url).get_setting("pause") == {"reason": "Hari berkabung"}


def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    """SQLite only: PostgreSQL's backups are the database's own (pg_dump, point-in-time recovery)."""
    store = Store(f"sqlite:///{tmp_path / 'outreach.sqlite3'}")
    store.set_setting("daemon", {"last_tick": datetime(2026, 12, 1, tzinfo=UTC).isoformat()})
    store.backup(tmp_path / "backup.sqlite3")
    copy = Store(f"sqlite:///{tmp_path / 'backup.sqlite3'}")
    assert copy.get_setting("daemon") == store.get_setting("daemon")
    with sqlite3.connect(tmp_path / "backup.sqlite3") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_store_records_when_its_record_begins(new_store_url: str, tmp_path: Path) -> None:
    url = new_store_url
    created = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    store = Store(url, created)
    assert store.is_new and store.created_at() == created == store.record_start()
    store.close()
    reopened = Store(url, created.replace(hour=5))
    assert not reopened.is_new and reopened.created_at() == created
    reopened.mark_restored(tmp_path / "cadangan.sqlite3", created.replace(hour=6))
    assert reopened.restored() == (created.replace(hour=6), str(tmp_path / "cadangan.sqlite3"))
    assert reopened.record_start() == created.replace(hour=6)


def test_a_store_from_before_creation_times_begins_with_its_first_post(tmp_path: Path) -> None:
    """SQLite only: the stores made before creation times were all SQLite files.

    The upgrade: an existing store's record began when it planned its first post, not at the upgrade."""
    path = tmp_path / "outreach.sqlite3"
    first_plan = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    old = Store(f"sqlite:///{path}", first_plan)
    old.apply_plan(
        [
            {
                "key": "k",
                "campaign": "c",
                "channel": "x",
                "innovation_id": "i",
                "kind": "perkenalan",
                "scheduled_at": datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
                "text": "Halo",
            }
        ],
        [],
        first_plan,
    )
    old.close()
    with sqlite3.connect(path) as connection:  # as the previous version left it: no migration 3
        connection.execute("DELETE FROM schema_migrations WHERE version = 3")
        connection.execute("DELETE FROM settings WHERE key = 'store_created_at'")
    upgraded = Store(f"sqlite:///{path}", datetime(2026, 12, 5, tzinfo=UTC))
    assert not upgraded.is_new
    assert upgraded.created_at() == first_plan
    assert upgraded.schema_version() == MIGRATIONS[-1][0]


def test_a_sqlite_library_too_old_for_the_stores_sql_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RHEL 9's and Ubuntu 20.04's SQLite (3.34, 3.31) lack INSERT … RETURNING: said at opening, not at a claim."""
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    with pytest.raises(ConfigError, match=r"SQLite library is 3\.34\.1, and the store needs 3\.35 or newer"):
        Store(f"sqlite:///{tmp_path / 'lama.sqlite3'}")
    assert not (tmp_path / "lama.sqlite3").exists()
