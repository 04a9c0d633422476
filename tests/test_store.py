"""The store's own promises: recorded migrations, durable settings, and consistent backups."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from outreach.store import MIGRATIONS, Store


def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
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


def test_settings_survive_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outreach.sqlite3'}"
    store = Store(url)
    store.set_setting("pause", {"reason": "Hari berkabung"})
    store.close()
    assert Store(url).get_setting("pause") == {"reason": "Hari berkabung"}


def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'outreach.sqlite3'}")
    store.set_setting("daemon", {"last_tick": datetime(2026, 12, 1, tzinfo=timezone.utc).isoformat()})
    store.backup(tmp_path / "backup.sqlite3")
    copy = Store(f"sqlite:///{tmp_path / 'backup.sqlite3'}")
    assert copy.get_setting("daemon") == store.get_setting("daemon")
    with sqlite3.connect(tmp_path / "backup.sqlite3") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
