"""A PostgreSQL store put back by the database's own tools: `outreach db settle-restored` never publishes twice.

The database's backup is a real copy taken by PostgreSQL itself (``CREATE DATABASE … TEMPLATE``, a snapshot
of the store as it was), and the "restore" points the config at that copy, as a point-in-time recovery puts
the database back as it was then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from outreach.cli import cli
from outreach.model import PostState
from outreach.store import LeaderLock
from outreach.store.coordination import WORKER_PREFIX
from tests.engine_helpers import at, campaign, file_channel, innovation, journal, project, workspace
from tests.postgres import create_database, drop_database

ROWS = [innovation("ktp-sehari-jadi"), innovation("bank-sampah", "Dinas Sosial")]


def _config(folder: Path, store: str) -> Path:
    return project(
        folder,
        ROWS,
        channels={"x": file_channel("x", "outbox"), "facebook": file_channel("facebook", "outbox")},
        campaigns={"kenali": campaign(["x", "facebook"], ["setiap hari 09.00"], min_gap_days=0)},
        publishing={"horizon_days": 1},
        store=store,
    )


def _cli(config: Path, now: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])


def _sent(folder: Path) -> dict[str, list[str]]:
    return {channel: [line["key"] for line in journal(folder / "outbox", channel)] for channel in ("x", "facebook")}


def test_posts_due_since_the_moment_restored_to_are_settled_never_sent_again(tmp_path: Path, postgres_url: str) -> None:
    live = _config(tmp_path, postgres_url)
    assert _cli(live, "2026-12-01T08:00+07:00", "run", "--once").exit_code == 0
    snapshot = create_database(template=str(postgres_url.rsplit("/", 1)[1]))  # the database's backup at 08.30
    try:
        assert "2 published" in _cli(live, "2026-12-01T09:00+07:00", "run", "--once").output
        sent = _sent(tmp_path)
        assert all(len(keys) == 1 for keys in sent.values()), sent

        restored = _config(tmp_path, snapshot)  # the database as it was at 08.30, its 09.00 posts still planned
        settled = _cli(restored, "2026-12-01T09:20+07:00", "db", "settle-restored", "--source", "PITR 08.30")

        assert settled.exit_code == 0, settled.output
        assert "settled" in settled.output and "PITR 08.30" in settled.output
        assert "2 posts due since the backup: 2 published" in settled.output, settled.output
        ws = workspace(restored, at(2026, 12, 1, 9, 20))
        published = ws.store.posts([PostState.PUBLISHED])
        assert {post.key for post in published} == {key for keys in sent.values() for key in keys}
        assert all("restored from a backup" in post.reason for post in published)
        assert ws.store.restored() is not None and ws.store.restored()[1] == "PITR 08.30"  # type: ignore[index]  # checked just before
        ws.close()
        after = _cli(restored, "2026-12-01T09:25+07:00", "run", "--once")
        assert after.exit_code == 0 and "nothing was due" in after.output, after.output
        assert _sent(tmp_path) == sent
    finally:
        drop_database(snapshot)


def test_settling_refuses_while_a_worker_leads_and_changes_nothing(tmp_path: Path, postgres_url: str) -> None:
    config = _config(tmp_path, postgres_url)
    assert _cli(config, "2026-12-01T08:00+07:00", "run", "--once").exit_code == 0
    worker = LeaderLock(postgres_url)
    assert worker.try_acquire()
    try:
        refused = _cli(config, "2026-12-01T09:20+07:00", "db", "settle-restored", "--source", "PITR 08.30")
    finally:
        worker.release()
    assert refused.exit_code != 0
    assert "stop every worker first" in refused.output and "Traceback" not in refused.output
    ws = workspace(config, at(2026, 12, 1, 9, 20))
    assert ws.store.restored() is None
    assert len(ws.store.posts([PostState.PLANNED])) == 2
    ws.close()


def test_settling_refuses_while_a_worker_beat_in_the_last_30_s_though_none_leads(
    tmp_path: Path, postgres_url: str
) -> None:
    """A follower, or a ``run --once`` started while the leader was gone, publishes without the lock."""
    config = _config(tmp_path, postgres_url)
    assert _cli(config, "2026-12-01T08:00+07:00", "run", "--once").exit_code == 0
    ws = workspace(config, at(2026, 12, 1, 9, 20))
    beat = {"host": "mesin-2", "pid": 4242, "started_at": "x", "beat": datetime.now(UTC).isoformat(), "leader": False}
    ws.store.set_setting(f"{WORKER_PREFIX}mesin-2:4242", beat)
    refused = _cli(config, "2026-12-01T09:20+07:00", "db", "settle-restored", "--source", "PITR 08.30")
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "(mesin-2:4242)" in refused.output and "stop every worker first" in refused.output
    assert ws.store.restored() is None and len(ws.store.posts([PostState.PLANNED])) == 2

    beat["beat"] = (datetime.now(UTC) - timedelta(seconds=31)).isoformat()  # it stopped beating: dead
    ws.store.set_setting(f"{WORKER_PREFIX}mesin-2:4242", beat)
    settled = _cli(config, "2026-12-01T09:20+07:00", "db", "settle-restored", "--source", "PITR 08.30")
    assert settled.exit_code == 0, settled.output
    assert ws.store.restored() is not None
    ws.close()


def test_a_sqlite_store_is_pointed_to_db_restore(tmp_path: Path) -> None:
    config = _config(tmp_path, "var/outreach.sqlite3")
    refused = _cli(config, "2026-12-01T09:20+07:00", "db", "settle-restored", "--source", "PITR")
    assert refused.exit_code != 0 and "outreach db restore" in refused.output
