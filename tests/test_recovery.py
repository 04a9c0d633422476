"""A lost store and a restored backup: whatever happens to the database, no post goes out twice.

Each test runs the real CLI (``click.testing.CliRunner``) on a real project in a temporary folder
with a real SQLite store, and deletes or restores the store's files the way an accident or an
operator would. The file channel's journal (and the Telegram fake's log) is the ground truth of
what went out.

SQLite only, on purpose: they lose and restore the store's file, and `outreach db backup/restore` are
SQLite's; a PostgreSQL store is backed up and restored by the database's own tools (pg_dump, PITR).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from outreach.lock import StoreLock
from outreach.model import PostState
from tests.engine_helpers import (
    STORE_NAME,
    at,
    campaign,
    file_channel,
    innovation,
    journal,
    project,
    workspace,
)
from tests.fakeplatform.server import FakeServer
from tests.fakeplatform.telegram import TelegramFake

ROWS = [innovation("ktp-sehari-jadi"), innovation("bank-sampah", "Dinas Sosial")]
NEW_STORE = "created a new, empty store at"


def _config(folder: Path, **publishing: object) -> Path:
    return project(
        folder,
        ROWS,
        channels={"x": file_channel("x", "outbox"), "facebook": file_channel("facebook", "outbox")},
        campaigns={"kenali": campaign(["x", "facebook"], ["setiap hari 09.00"], min_gap_days=0)},
        publishing=publishing or None,
    )


def _cli(config: Path, now: str, *args: str, environ: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args], env=environ, catch_exceptions=False)


def _lose_store(folder: Path) -> None:
    """What `rm var/outreach.sqlite3*` does."""
    lost = list(folder.glob(f"{STORE_NAME}*"))
    assert any(path.name == STORE_NAME for path in lost)
    for path in lost:
        path.unlink()


def _published(folder: Path, channel: str) -> list[str]:
    return [record["key"] for record in journal(folder / "outbox", channel)]


def _announcements(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if NEW_STORE in line]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def test_a_lost_store_does_not_publish_again(tmp_path: Path) -> None:
    config = _config(tmp_path)
    first = _cli(config, "2026-12-01T08:00+07:00", "plan")
    assert first.exit_code == 0, first.output
    [line] = _announcements(first)
    assert f"{tmp_path / STORE_NAME} on 2026-12-01 08:00 WIB" in line and "docs/operations.md" in line

    published = _cli(config, "2026-12-01T09:00+07:00", "run", "--once")
    assert published.exit_code == 0 and "2 published" in published.output, published.output
    assert _announcements(published) == []  # the store exists: nothing to announce
    status = _cli(config, "2026-12-01T09:00+07:00", "status").output
    assert f"store: {tmp_path / STORE_NAME}, created 2026-12-01 08:00 WIB" in status.splitlines()
    sent = {channel: _published(tmp_path, channel) for channel in ("x", "facebook")}
    assert all(len(keys) == 1 for keys in sent.values()), sent

    _lose_store(tmp_path)
    again = _cli(config, "2026-12-01T09:05+07:00", "run", "--once")

    assert again.exit_code == 0, again.output
    assert "nothing was due" in again.stdout
    [line] = _announcements(again)
    assert line == (
        f"{NEW_STORE} {tmp_path / STORE_NAME} on 2026-12-01 09:05 WIB; slots up to this moment are never "
        "planned or caught up — if a store was lost, stop now and restore a backup with "
        "`outreach db restore` (docs/operations.md)"
    )
    assert {channel: _published(tmp_path, channel) for channel in ("x", "facebook")} == sent
    status = _cli(config, "2026-12-01T09:06+07:00", "status")
    assert f"store: {tmp_path / STORE_NAME}, created 2026-12-01 09:05 WIB" in status.output.splitlines()
    assert _announcements(status) == []

    # The new store carries on from its creation: the next day's slot goes out as usual.
    tomorrow = _cli(config, "2026-12-02T09:00+07:00", "run", "--once")
    assert "2 published" in tomorrow.output, tomorrow.output
    assert all(len(_published(tmp_path, channel)) == 2 for channel in ("x", "facebook"))


def test_restoring_a_backup_settles_what_went_out_after_it_and_never_refills_those_slots(tmp_path: Path) -> None:
    config = _config(tmp_path, horizon_days=1)
    backup = tmp_path / "cadangan.sqlite3"
    assert _cli(config, "2026-12-01T08:00+07:00", "run", "--once").exit_code == 0
    assert _cli(config, "2026-12-01T08:30+07:00", "db", "backup", str(backup)).exit_code == 0
    # After the backup: the 1 December post goes out, the next run plans and publishes 2 December's.
    assert "2 published" in _cli(config, "2026-12-01T09:00+07:00", "run", "--once").output
    assert "2 published" in _cli(config, "2026-12-02T09:00+07:00", "run", "--once").output
    sent = {channel: _published(tmp_path, channel) for channel in ("x", "facebook")}
    assert all(len(keys) == 2 for keys in sent.values()), sent

    _lose_store(tmp_path)
    restored = _cli(config, "2026-12-02T09:20+07:00", "db", "restore", str(backup))

    assert restored.exit_code == 0, restored.output
    assert _announcements(restored) == []
    assert f"restored {tmp_path / STORE_NAME} from {backup}" in restored.output
    # The backup had 1 December's posts still planned: the journal proves they went out.
    assert "2 posts due since the backup: 2 published" in restored.output, restored.output
    ws = workspace(config, at(2026, 12, 2, 9, 20))
    settled = ws.store.posts([PostState.PUBLISHED])
    assert {post.key for post in settled} == {key for keys in sent.values() for key in keys[:1]}
    assert all(
        "restored from a backup" in post.reason and "reconciled: it was published" in post.reason for post in settled
    )
    ws.close()

    # 2 December 09.00 is not in the backup and is inside the catch-up window: it must not be planned again.
    after = _cli(config, "2026-12-02T09:25+07:00", "run", "--once")
    assert after.exit_code == 0 and "nothing was due" in after.output, after.output
    assert {channel: _published(tmp_path, channel) for channel in ("x", "facebook")} == sent
    status = _cli(config, "2026-12-02T09:25+07:00", "status").output.splitlines()
    assert (
        f"store: {tmp_path / STORE_NAME}, created 2026-12-01 08:00 WIB, restored 2026-12-02 09:20 WIB from {backup}"
        in status
    )

    assert "2 published" in _cli(config, "2026-12-03T09:00+07:00", "run", "--once").output
    assert all(len(_published(tmp_path, channel)) == 3 for channel in ("x", "facebook"))


def test_after_a_restore_a_post_nobody_can_look_up_waits_for_a_person(tmp_path: Path, server: FakeServer) -> None:
    fake = TelegramFake(server)
    config = project(
        tmp_path,
        ROWS,
        channels={"telegram": {**fake.channel_settings(), "read_timeout": 2.0}},
        campaigns={"kenali": campaign(["telegram"], ["setiap hari 09.00"], min_gap_days=0)},
        publishing={"horizon_days": 1},
    )
    backup = tmp_path / "cadangan.sqlite3"
    assert _cli(config, "2026-12-01T08:00+07:00", "run", "--once", environ=fake.environ).exit_code == 0
    assert _cli(config, "2026-12-01T08:30+07:00", "db", "backup", str(backup)).exit_code == 0
    assert "1 published" in _cli(config, "2026-12-01T09:00+07:00", "run", "--once", environ=fake.environ).output
    assert len(fake.created) == 1

    _lose_store(tmp_path)
    restored = _cli(config, "2026-12-01T09:30+07:00", "db", "restore", str(backup), environ=fake.environ)

    assert restored.exit_code == 0, restored.output
    assert "1 post due since the backup: 1 unknown" in restored.output, restored.output
    ws = workspace(config, at(2026, 12, 1, 9, 30), fake.environ)
    [post] = ws.store.posts([PostState.UNKNOWN])
    assert post.reason.startswith("restored from a backup: it was due by the time of the restore")
    assert f"`outreach post resolve {post.id}`" in post.reason
    ws.close()
    assert "1 unknown" not in _cli(config, "2026-12-01T09:35+07:00", "run", "--once", environ=fake.environ).output
    assert len(fake.created) == 1  # Telegram cannot be asked; the post was not sent a second time


def test_restore_refuses_a_file_that_is_not_a_backup_and_leaves_the_store_alone(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert _cli(config, "2026-12-01T08:00+07:00", "plan").exit_code == 0
    store = tmp_path / STORE_NAME
    before = _digest(store)
    not_a_backup = tmp_path / "inovasi.csv"
    result = CliRunner().invoke(cli, ["--config", str(config), "db", "restore", str(not_a_backup)])
    assert result.exit_code == 1
    assert f"{not_a_backup}: not a backup of an outreach store" in result.output
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(cli, ["--config", str(config), "db", "restore", str(tmp_path / "tidak-ada.sqlite3")])
    assert missing.exit_code == 1 and "tidak-ada.sqlite3: no such file" in missing.output
    assert _digest(store) == before


def test_restore_refuses_while_a_daemon_runs(tmp_path: Path) -> None:
    config = _config(tmp_path)
    backup = tmp_path / "cadangan.sqlite3"
    assert _cli(config, "2026-12-01T08:00+07:00", "db", "backup", str(backup)).exit_code == 0
    holder = workspace(config, at(2026, 12, 1, 8, 0))
    lock = StoreLock(holder)
    lock.acquire()
    try:
        result = CliRunner().invoke(cli, ["--config", str(config), "db", "restore", str(backup)])
        assert result.exit_code == 1 and "another outreach daemon is already running" in result.output
    finally:
        lock.release()
        holder.close()


def test_rehearse_works_whatever_the_real_date(tmp_path: Path) -> None:
    """The quick start on a machine whose clock is past the rehearsal dates: the store starts at --from."""
    config = _config(tmp_path)
    result = _cli(config, "2027-06-01T10:00+07:00", "rehearse", "--from", "2026-12-01", "--days", "3")
    assert result.exit_code == 0, result.output
    assert "6 published" in result.output
    status = _cli(config, "2027-06-01T10:00+07:00", "--rehearsal", "status").output
    assert "created 2026-12-01 00:00 WIB" in status
    history = json.loads(_cli(config, "2027-06-01T10:00+07:00", "--rehearsal", "history", "--format", "json").output)
    assert [post["state"] for post in history] == ["published"] * 6
