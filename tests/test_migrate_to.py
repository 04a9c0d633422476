"""`outreach db migrate-to URL`: a SQLite store with every table filled, copied into an empty PostgreSQL database.

The copy is compared through the Store API (the same posts, events, readings, replies, accounts ...) and by
the command's own per-table counts and checksums; a copy changed afterwards is caught, a database already
in use is refused, and an unreachable server is one line naming the fix, without the password.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from outreach.model import IncomingReply, Innovation, MetricReading, PostState
from outreach.outbox import Operation
from outreach.store import Lease, SignOff, Store
from outreach.store.copying import copy_store, verify_copy
from tests.engine_helpers import campaign, file_channel, project

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _fill(store: Store, posts: int = 30) -> None:
    """Every table of the schema holds rows, written the way the commands write them."""
    ktp = Innovation("ktp", "KTP Sehari", "Disdukcapil", "KTP jadi sehari.", "Cepat.", "Datang ke kantor.")
    pasar = Innovation("pasar", "Pasar Daring", "Disperindag", "Belanja dari rumah.", "Mudah.", "Buka situsnya.")
    store.import_innovations(
        [(ktp, "inovasi.csv", SignOff("approved", "Bu Sari", NOW)), (pasar, "inovasi.csv", None)],
        NOW,
        sources={Path("/data/inovasi.csv"): "sidik-1"},
    )
    store.decide(["pasar"], "rejected", "Pak Budi", NOW, "belum siap")
    store.apply_plan(
        [
            {
                "key": f"kenali|mastodon|ktp|{number}",
                "campaign": "kenali",
                "channel": "mastodon",
                "innovation_id": "ktp",
                "kind": "perkenalan",
                "scheduled_at": NOW + timedelta(hours=number),
                "text": f"KTP jadi sehari — ke-{number}. Ayo datang! 🙂",
            }
            for number in range(posts)
        ],
        [],
        NOW,
    )
    first, second, *_rest = [post.id for post in store.posts()]
    store.transition(first, Operation.CLAIM, NOW, "claimed", attempts=1)
    store.transition(first, Operation.PUBLISHED, NOW, "done", remote_id="m-1", published_at=NOW)
    store.transition(second, Operation.CANCEL, NOW, "cancelled by an operator: acara ditunda", actor="siti")
    # A post in flight: a worker's lane and claim, under its lease.
    assert store.claim_to_publish(
        NOW + timedelta(hours=2), "pause", "mastodon", Lease("vm1:4242:a1", NOW + timedelta(hours=3))
    )
    store.set_setting("pause", {"reason": "Hari berkabung", "by": "siti"})
    store.add_readings([MetricReading(first, NOW + timedelta(hours=h), {"likes": h}) for h in (1, 2)])
    store.add_press("ktp", "https://berita.example.id/ktp", "Lampung Post", date(2026, 11, 30), NOW, "rina")
    reply = IncomingReply("r1", "warga1", "syaratnya apa?", NOW, "https://x.test/r1", "m-1", False)
    store.add_replies(store.post(first), [(reply, "question", True)], NOW)
    sari = store.add_user("Sari", "operator", "Diskominfo", "hash-1", NOW, "admin")
    store.add_session(sari, "token-hash", "csrf", NOW, NOW + timedelta(hours=8))
    store.add_login_failure("budi", "10.0.0.9", NOW)


def _everything(store: Store) -> tuple[object, ...]:
    """What the store says through its API, table by table."""
    posts = store.posts()
    return (
        store.catalogue(),
        [store.decisions_of(entry.innovation.id) for entry in store.catalogue()],
        store.source_fingerprint(Path("/data/inovasi.csv")),
        posts,
        [store.events(post.id) for post in posts],
        store.get_setting("pause"),
        store.catalogue_revision(),
        store.created_at(),
        store.readings(),
        store.press(),
        store.replies(from_office=None),
        store.users(),
        store.session_user("token-hash", NOW),
        store.login_failures_since("budi", "10.0.0.9", NOW - timedelta(days=1)),
        store.account_events(),
        store.schema_version(),
    )


@pytest.fixture
def source(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    store = Store(url, NOW - timedelta(days=1))
    _fill(store)
    store.close()
    return url


def test_every_table_is_copied_with_its_ids_and_the_source_is_not_changed(source: str, empty_postgres_url: str) -> None:
    path = Path(source.removeprefix("sqlite:///"))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    copied: dict[str, int] = {}
    checks = copy_store(source, empty_postgres_url, batch=7, copied=copied.__setitem__)  # several batches a table
    assert all(check.same for check in checks), checks
    assert all(check.source_rows > 0 for check in checks), "a table the fill left empty proves nothing"
    assert copied == {check.table: check.source_rows for check in checks}
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "the source store was written to"
    original, copy = Store(source), Store(empty_postgres_url)
    assert _everything(copy) == _everything(original)
    newest = max(post.id for post in copy.posts())
    added = copy.add_post({**_a_post(), "key": "pengumuman"}, NOW, "announced", "siti")
    assert added == newest + 1, "the sequence continues after the copied ids"
    original.close()
    copy.close()


def _a_post() -> dict[str, object]:
    return {
        "campaign": "pengumuman",
        "channel": "mastodon",
        "innovation_id": "ktp",
        "kind": "pengumuman",
        "scheduled_at": NOW,
        "text": "Kantor tutup.",
    }


def test_a_copy_changed_afterwards_is_reported_by_table(source: str, empty_postgres_url: str) -> None:
    copy_store(source, empty_postgres_url)
    copy = Store(empty_postgres_url)
    [post] = [post for post in copy.posts() if post.state is PostState.PLANNED][:1]
    copy.transition(post.id, Operation.CANCEL, NOW, "changed on the copy")
    copy.close()
    different = [check.table for check in verify_copy(source, empty_postgres_url) if not check.same]
    assert different == ["posts", "post_events"]


def _config(folder: Path) -> Path:
    return project(
        folder, [], channels={"berkas": file_channel("facebook", "outbox")}, campaigns={"c": campaign(["berkas"])}
    )


def _migrate(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "db", "migrate-to", *args], env=env)


def test_the_command_prints_each_table_and_fails_on_a_difference(tmp_path: Path, empty_postgres_url: str) -> None:
    config = _config(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'outreach.sqlite3'}", NOW)
    _fill(store, posts=3)
    store.close()
    done = _migrate(config, empty_postgres_url)
    assert done.exit_code == 0, done.output
    assert "posts" in done.output and "DIFFERENT" not in done.output and "every table matches" in done.output
    again = _migrate(config, empty_postgres_url)
    assert again.exit_code != 0 and "already holds an outreach store with data" in again.output
    copy = Store(empty_postgres_url)
    copy.set_setting("pause", None)
    copy.close()
    verified = _migrate(config, "--verify-only", empty_postgres_url)
    assert verified.exit_code == 1
    assert [line.split()[0] for line in verified.output.splitlines() if "DIFFERENT" in line] == ["settings"]


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    config = _config(tmp_path)
    Store(f"sqlite:///{tmp_path / 'outreach.sqlite3'}", NOW).close()
    failed = _migrate(
        config, "postgresql+psycopg://outreach@127.0.0.1:1/outreach", env={"PGPASSWORD": "rahasia-sekali"}
    )
    assert failed.exit_code == 1
    assert "cannot connect to PostgreSQL" in failed.output and "PGPASSWORD" in failed.output
    assert "rahasia" not in failed.output and "Traceback" not in failed.output
    assert len(failed.output.strip().splitlines()) == 1
    for url in (
        "postgresql+psycopg://outreach:rahasia@127.0.0.1:1/outreach",
        "postgresql+psycopg://outreach@127.0.0.1:1/outreach?password=rahasia",
    ):
        in_url = _migrate(config, url)
        assert in_url.exit_code == 2 and "rahasia" not in in_url.output and "PGPASSWORD" in in_url.output


def test_a_database_of_another_program_is_refused(tmp_path: Path, empty_postgres_url: str) -> None:
    config = _config(tmp_path)
    Store(f"sqlite:///{tmp_path / 'outreach.sqlite3'}", NOW).close()
    from sqlalchemy import create_engine, text  # the other program's table, made by the test as that program

    engine = create_engine(empty_postgres_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE pelanggan (id integer)"))
    engine.dispose()
    refused = _migrate(config, empty_postgres_url)
    assert refused.exit_code == 1 and "holds other tables (pelanggan)" in refused.output
