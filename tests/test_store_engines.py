"""The store under concurrency on PostgreSQL, the accounts' store on both engines, a PostgreSQL store's config.

SQLite serialises every transaction (``BEGIN IMMEDIATE``); PostgreSQL's READ COMMITTED does not, so each
read-then-write in the store holds a row lock or an advisory lock there. Each race below starts several
threads, each with a Store (its own connections) of its own, at one barrier on the same transition; without
the lock a run loses updates or moves a post twice.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from outreach.cli import cli
from outreach.config import load_config
from outreach.errors import ConfigError, StateConflict
from outreach.model import IncomingReply, Innovation, PostState
from outreach.outbox import Operation
from outreach.store import Lease, Store
from outreach.store.claims import apply_transition
from outreach.store.lanes import take_lane
from outreach.store.posts import PostFilter
from outreach.store.schema import MIGRATIONS, to_text
from outreach.storeurl import printable
from tests.engine_helpers import campaign, file_channel, project, round_trips, trace_connections
from tests.test_metrics import published

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
RACERS = 6


def _race(url: str, action: Callable[[Store, int], Any], racers: int = RACERS) -> list[Any]:
    """Run ``action`` in ``racers`` threads at once, each with a Store of its own; each result or exception."""
    stores = [Store(url) for _ in range(racers)]
    barrier = threading.Barrier(racers)
    results: list[Any] = [None] * racers

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = action(stores[index], index)
        except Exception as error:  # the outcome under test: which racer was refused, and how
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    return results


def _rows(numbers: range, text: str = "Halo") -> list[dict[str, Any]]:
    """Plan rows of one campaign, channel and innovation, the ``number``-th an hour after ``NOW``."""
    return [
        {
            "key": f"kenali|mastodon|ktp|{number}",
            "campaign": "kenali",
            "channel": "mastodon",
            "innovation_id": "ktp",
            "kind": "perkenalan",
            "scheduled_at": NOW + timedelta(hours=number),
            "text": text,
        }
        for number in numbers
    ]


def _planned(store: Store, count: int) -> list[int]:
    store.apply_plan(_rows(range(count)), [], NOW)
    return [post.id for post in store.posts()]


def test_racing_claims_of_one_post_on_postgresql_exactly_one_wins(postgres_url: str) -> None:
    store = Store(postgres_url)
    for post_id in _planned(store, 5):
        results = _race(
            postgres_url, lambda racer, _i, post_id=post_id: racer.transition(post_id, Operation.CLAIM, NOW, "claimed")
        )
        assert results.count(PostState.PUBLISHING) == 1, results
        assert all(isinstance(result, StateConflict) for result in results if result is not PostState.PUBLISHING)
        events = store.events(post_id)
        assert [event.operation for event in events].count(Operation.CLAIM.value) == 1
    store.close()


def test_racing_approvals_on_postgresql_lose_no_catalogue_revision(postgres_url: str) -> None:
    """Each decision bumps the revision the planner watches: read, add one, write, under the catalogue's lock."""
    store = Store(postgres_url)
    store.import_innovations(
        [(Innovation("ktp", "KTP Sehari", "Disdukcapil", "KTP jadi.", "Cepat.", "Datang."), "test", None)], NOW
    )
    before = store.catalogue_revision()
    results = _race(postgres_url, lambda racer, index: racer.decide(["ktp"], "approved", f"staf{index}", NOW))
    assert results == [["ktp"]] * RACERS
    assert store.catalogue_revision() == before + RACERS
    assert len(store.decisions_of("ktp")) == RACERS
    store.close()


def test_racing_first_writes_of_a_setting_on_postgresql_all_succeed(postgres_url: str) -> None:
    results = _race(postgres_url, lambda racer, index: racer.set_setting("jeda-baru", {"oleh": index}))
    assert results == [None] * RACERS
    store = Store(postgres_url)
    assert store.get_setting("jeda-baru")["oleh"] in range(RACERS)
    store.close()


def test_racing_collections_on_postgresql_keep_each_reply_once(postgres_url: str) -> None:
    store = Store(postgres_url)
    post = store.post(published(store, "mastodon", "m-1", NOW))
    found = [
        (IncomingReply(f"r{n}", f"warga{n}", "syaratnya?", NOW, f"https://x.test/{n}", "m-1", False), "question", False)
        for n in range(20)
    ]
    results = _race(postgres_url, lambda racer, _i: racer.add_replies(post, found, NOW))
    assert not [result for result in results if isinstance(result, Exception)], results
    assert sum(len(result) for result in results) == 20
    assert sorted(reply.remote_id for reply in store.replies()) == sorted(f"r{n}" for n in range(20))
    store.close()


def test_racing_planners_on_postgresql_create_each_post_once(postgres_url: str) -> None:
    results = _race(postgres_url, lambda racer, _i: len(_planned(racer, 10)))
    assert results == [10] * RACERS, results
    store = Store(postgres_url)
    assert len(store.posts()) == 10
    assert all(len(store.events(post.id)) == 1 for post in store.posts())
    store.close()


def test_accounts_sessions_and_failures_on_each_engine(any_store: Store) -> None:
    store = any_store
    sari = store.add_user("Sari", "operator", "Diskominfo", "hash-1", NOW, "admin")
    with pytest.raises(ValueError, match="taken"):
        store.add_user(" sari ", "viewer", None, "hash-2", NOW, "admin")  # the refused insert leaves the rest usable
    store.add_session(sari, "token-1", "csrf-1", NOW, NOW + timedelta(hours=8))
    with store.reading():  # a page that reads, then slides the session's expiry
        user, csrf, _seen = store.session_user("token-1", NOW) or (None, "", NOW)
        store.touch_session("token-1", NOW + timedelta(minutes=5), NOW + timedelta(hours=9))
    assert (user, csrf) == (sari, "csrf-1")
    store.add_login_failure("Sari", "10.0.0.9", NOW)
    store.add_login_failure("budi", "10.0.0.9", NOW)
    assert store.login_failures_since("SARI", "10.0.0.9", NOW - timedelta(minutes=1)) == (1, 2)
    store.set_password_hash("Sari", "hash-3", NOW, "admin")
    assert store.session_user("token-1", NOW) is None, "a changed password signs everyone out"
    assert store.password_hash("sari") == (sari, "hash-3")
    store.disable_user("Sari", NOW, "admin")
    assert store.user_named("Sari").disabled_at == NOW
    assert [event.action for event in store.account_events()] == ["added", "signed in", "password changed", "disabled"]


def _postgres_project(folder: Path, store: str) -> Path:
    return project(
        folder,
        [],
        channels={"berkas": file_channel("facebook", "outbox")},
        campaigns={"c": campaign(["berkas"])},
        store=store,
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://outreach:rahasia@db.example.go.id:5432/outreach",
        "postgresql+psycopg://outreach@db.example.go.id:5432/outreach?sslmode=require&password=rahasia",
        "postgresql+psycopg://outreach@db.example.go.id/outreach?sslpassword=rahasia",
    ],
)
def test_a_password_in_the_config_store_url_is_refused_naming_the_line(tmp_path: Path, url: str) -> None:
    """libpq takes a password after the user name and as a query parameter: both are refused."""
    config = _postgres_project(tmp_path, url)
    with pytest.raises(ConfigError) as refused:
        load_config(config, environ={})
    message = str(refused.value)
    assert message.startswith(f"{config}:2: store: the URL holds a password") and "PGPASSWORD" in message
    assert "rahasia" not in message


def test_a_postgresql_store_takes_its_password_from_env_and_its_backups_are_the_databases(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "")  # recorded, so the test's export is undone afterwards
    monkeypatch.delenv("PGPASSWORD")
    config = _postgres_project(tmp_path, postgres_url)
    (tmp_path / ".env").write_text("PGPASSWORD=sandi-uji\n", encoding="utf-8")
    load_config(config)
    assert os.environ["PGPASSWORD"] == "sandi-uji"  # what libpq reads; the trusted test server ignores it
    for command in (["db", "backup", str(tmp_path / "cadangan.sqlite3")], ["db", "restore", str(tmp_path / "x")]):
        result = CliRunner().invoke(cli, ["--config", str(config), *command])
        assert result.exit_code == 1, result.output
        assert "is PostgreSQL: its backups are the database's own" in result.output and "pg_dump" in result.output
        assert "Traceback" not in result.output


def test_a_store_url_is_printed_without_any_password() -> None:
    assert printable("postgresql+psycopg://outreach:rahasia@db:5432/outreach?sslmode=require&password=rahasia") == (
        "postgresql+psycopg://outreach:***@db:5432/outreach?sslmode=require"
    )
    assert printable("postgresql+psycopg://outreach@db/outreach?sslpassword=rahasia") == (
        "postgresql+psycopg://outreach@db/outreach"
    )
    assert printable("bukan url:rahasia@db") == "db"


def test_an_unreachable_postgresql_store_is_one_line_with_the_fix(tmp_path: Path) -> None:
    config = _postgres_project(tmp_path, "postgresql+psycopg://outreach@127.0.0.1:1/outreach")
    result = CliRunner().invoke(cli, ["--config", str(config), "status"], env={"PGPASSWORD": "rahasia-sekali"})
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "cannot connect to PostgreSQL" in result.output and "PGPASSWORD" in result.output
    assert "rahasia" not in result.output and "Traceback" not in result.output


def test_names_and_agencies_are_read_in_sql_on_both_engines(any_store: Store) -> None:
    """The web page's lean reads take an innovation's name and agency from its stored JSON in SQL; PostgreSQL
    has no ``->>`` on text, so each engine gets its own JSON function (``store.schema.innovation_field``)."""
    any_store.import_innovations(
        [
            (Innovation("ktp", "KTP Sehari", "Disdukcapil", "KTP jadi.", "Cepat.", "Datang."), "test", None),
            (Innovation("sampah", "Bank Sampah", "Dinas Sosial", "Tabung.", "Bersih.", "Datang."), "test", None),
        ],
        NOW,
    )
    any_store.apply_plan(
        [
            {
                "key": f"kenali|x|{innovation}",
                "campaign": "kenali",
                "channel": "x",
                "innovation_id": innovation,
                "kind": "perkenalan",
                "scheduled_at": NOW + timedelta(hours=hour),
                "text": "Ayo datang!",
            }
            for hour, innovation in enumerate(("ktp", "sampah"))
        ],
        [],
        NOW,
    )
    assert any_store.agencies() == ["Dinas Sosial", "Disdukcapil"]
    assert any_store.innovation_labels(["ktp", "sampah", "tidak-ada"]) == {
        "ktp": ("KTP Sehari", "Disdukcapil"),
        "sampah": ("Bank Sampah", "Dinas Sosial"),
    }
    entries, total = any_store.catalogue_page(agency="Dinas Sosial")
    assert [entry.innovation.id for entry in entries] == ["sampah"] and total == 1
    assert any_store.innovation_ids_of("disdukcapil") == ["ktp"]
    queue = any_store.post_page(PostFilter(opd="Disdukcapil"), limit=10)
    assert [(row.post.innovation_id, row.innovation_name, row.agency) for row in queue] == [
        ("ktp", "KTP Sehari", "Disdukcapil")
    ]


def test_a_plan_over_many_keys_creates_the_new_revives_the_withdrawn_and_leaves_the_rest(any_store: Store) -> None:
    """``apply_plan`` looks up only the plan's own keys, in batches (more keys than one batch here): a key that
    exists and is live is left as it is, a withdrawn one is planned again, the rest are created."""
    ids = _planned(any_store, 600)
    withdrawn = ids[:3]
    any_store.apply_plan([], [(post_id, "test: the innovation was withdrawn") for post_id in withdrawn], NOW)
    again = _rows(range(590, 610), "Halo lagi")
    revived = [{**row, "key": f"kenali|mastodon|ktp|{number}"} for number, row in zip(range(3), again, strict=False)]
    assert any_store.apply_plan([*revived, *again], [], NOW + timedelta(minutes=1)) == (3 + 10, 0)
    found = {post.key: post for post in any_store.posts()}
    assert len(found) == 610
    assert all(found[f"kenali|mastodon|ktp|{number}"].state is PostState.PLANNED for number in range(3))
    assert found["kenali|mastodon|ktp|0"].text == "Halo lagi"
    assert found["kenali|mastodon|ktp|595"].text == "Halo"  # live already: left as it was
    assert found["kenali|mastodon|ktp|605"].text == "Halo lagi"


def test_the_agencies_follow_each_import_on_both_engines(any_store: Store) -> None:
    """``agencies`` is kept per catalogue revision: an import (a new revision) is seen by the next read."""
    any_store.import_innovations(
        [(Innovation("ktp", "KTP Sehari", "Disdukcapil", "KTP jadi.", "Cepat.", "Datang."), "test", None)], NOW
    )
    assert any_store.agencies() == ["Disdukcapil"]
    assert any_store.agencies() == ["Disdukcapil"]  # the kept answer
    any_store.import_innovations(
        [(Innovation("sampah", "Bank Sampah", "Dinas Sosial", "Tabung.", "Bersih.", "Datang."), "test", None)],
        NOW + timedelta(minutes=1),
    )
    assert any_store.agencies() == ["Dinas Sosial", "Disdukcapil"]


def test_a_limited_page_cache_applies_to_each_new_connection(any_store: Store) -> None:
    """The web server keeps SQLite's page cache small on each thread's connection; PostgreSQL is left alone."""
    any_store.limit_page_cache(256)
    if any_store.is_sqlite:
        with any_store.transaction() as connection:
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == -256
    any_store.import_innovations(
        [(Innovation("ktp", "KTP Sehari", "Disdukcapil", "KTP jadi.", "Cepat.", "Datang."), "test", None)], NOW
    )
    assert any_store.agencies() == ["Disdukcapil"]  # and it reads and writes as before


def test_a_settings_read_then_write_is_serialised_across_connections(store_url: str) -> None:
    """Two workers (stores of their own) count in one setting at once: no update is lost (a channel's hold is
    read and written this way)."""
    workers = [Store(store_url), Store(store_url)]

    def count(store: Store) -> None:
        for _ in range(40):
            store.update_setting("hitung", lambda value: (value or 0) + 1)

    threads = [threading.Thread(target=count, args=(store,)) for store in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert workers[0].get_setting("hitung") == 80
    assert workers[1].update_setting("hitung", lambda _value: None) == (80, None)
    for store in workers:
        store.close()


def test_about_post_reads_the_innovation_and_the_first_attempt_in_one_go_on_both_engines(any_store: Store) -> None:
    """What a post's adapter is shown: its innovation as last imported, and when it was first claimed (a later
    claim after a retry does not move it: the look-ups search from the first attempt)."""
    ktp = Innovation("ktp", "KTP Sehari", "Disdukcapil", "KTP jadi.", "Cepat.", "Datang.")
    any_store.import_innovations([(ktp, "test", None)], NOW)
    any_store.apply_plan(
        [{"key": "kenali|x|ktp", "campaign": "kenali", "channel": "x", "innovation_id": "ktp", "kind": "perkenalan",
          "scheduled_at": NOW, "text": "Ayo datang!"}],
        [],
        NOW,
    )  # fmt: skip
    [post] = any_store.posts()
    assert any_store.about_post(post)[1] is None  # never claimed
    claimed = any_store.claim_to_publish(NOW + timedelta(minutes=1), "jeda", "x", Lease("w1", NOW + timedelta(hours=1)))
    assert claimed is not None
    any_store.transition(post.id, Operation.DEFER, NOW + timedelta(minutes=2), "retry", due_at=NOW)
    again = any_store.claim_to_publish(NOW + timedelta(minutes=3), "jeda", "x", Lease("w1", NOW + timedelta(hours=1)))
    assert again is not None
    again_post, about_claim = again
    assert again_post.id == post.id and again_post.attempts == 2
    entry, first_attempt = any_store.about_post(post)
    assert entry is not None and entry.innovation == ktp and entry.source == "test"
    assert first_attempt == NOW + timedelta(minutes=1)
    assert about_claim == (entry, first_attempt)  # the claim's own read: the same
    assert entry == any_store.catalogue(["ktp"])[0]  # as the catalogue shows it: never decided
    any_store.decide(["ktp"], "rejected", "Kepala Dinas", NOW, "belum jelas")
    any_store.decide(["ktp"], "approved", "Kepala Dinas", NOW + timedelta(minutes=4))
    decided, _first = any_store.about_post(post)
    assert decided == any_store.catalogue(["ktp"])[0]  # its latest decision, as the catalogue shows it
    assert decided is not None and decided.decided_at == NOW + timedelta(minutes=4) and decided.reason is None
    assert any_store.about_post(replace(post, innovation_id="tidak-ada")) == (None, NOW + timedelta(minutes=1))


def test_thirty_two_lanes_on_postgresql_reuse_the_pools_connections(postgres_url: str) -> None:
    """A worker's 32 lanes share at most 15 server connections, and keep them: a pool that closed its
    overflow connections when idle started a server process every few dozen transactions of a burst."""
    store = Store(postgres_url)
    backends: set[int] = set()
    lock = threading.Lock()

    def lane() -> None:
        for round_ in range(25):
            with store.transaction() as connection:
                backend = int(connection.scalar(text("SELECT pg_backend_pid()")))
            with lock:
                backends.add(backend)
            time.sleep(0.01 * (round_ % 4))  # the platform's answer: the lanes' transactions come and go

    threads = [threading.Thread(target=lane) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    store.close()
    assert 1 <= len(backends) <= 15


@pytest.mark.parametrize(
    ("version", "name", "columns"),
    [
        (10, "posts_published", ["state", "published_at", "innovation_id"]),
        (12, "posts_published_innovation", ["state", "innovation_id", "published_at"]),
    ],
)
def test_a_store_of_the_previous_version_gets_the_report_counts_indexes(
    store_url: str, version: int, name: str, columns: list[str]
) -> None:
    """Migrations 10 and 12 add the indexes the report's summary counts from to a store that lacks them: a year's
    published posts per innovation, read from the index alone and in the innovations' order."""
    from sqlalchemy import inspect, text

    first = Store(store_url, NOW)
    with first.transaction() as connection:  # as the previous version left it
        connection.execute(text(f"DROP INDEX {name}"))
        connection.execute(text(f"DELETE FROM schema_migrations WHERE version = {version}"))
        assert name not in {index["name"] for index in inspect(connection).get_indexes("posts")}
    first.close()
    upgraded = Store(store_url, NOW)
    try:
        assert upgraded.schema_version() == MIGRATIONS[-1][0]
        with upgraded.transaction() as connection:
            indexes = {index["name"]: index["column_names"] for index in inspect(connection).get_indexes("posts")}
        assert indexes[name] == columns
    finally:
        upgraded.close()


def test_a_store_of_the_previous_version_gets_the_catalogue_indexes(store_url: str) -> None:
    """Migration 11 adds the indexes on the innovations' lowered name and agency (expressions over the JSON)
    to a store that lacks them; the catalogue's pages are ordered and filtered from them, on either engine."""
    listing = (
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'innovations'"
        if store_url.startswith("postgresql")
        else "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'innovations' AND sql IS NOT NULL"
    )
    first = Store(store_url, NOW)
    with first.transaction() as connection:  # as the previous version left it
        connection.execute(text("DROP INDEX innovations_name"))
        connection.execute(text("DROP INDEX innovations_agency"))
        connection.execute(text("DELETE FROM schema_migrations WHERE version = 11"))
        assert not [row for row in connection.execute(text(listing)).scalars() if "lower" in row.lower()]
    first.close()
    upgraded = Store(store_url, NOW)
    try:
        assert upgraded.schema_version() == MIGRATIONS[-1][0]
        with upgraded.transaction() as connection:
            made = sorted(row.lower() for row in connection.execute(text(listing)).scalars() if "lower" in row.lower())
        assert len(made) == 2 and "innovations_agency" in made[0] and "'opd'" in made[0], made
        assert "innovations_name" in made[1] and "'nama'" in made[1] and made[1].rstrip(")").endswith("id"), made
    finally:
        upgraded.close()


def test_a_renewal_never_waits_in_a_cycle_with_a_lanes_outcome_on_postgresql(postgres_url: str) -> None:
    """A lane records its post's outcome (the post's row locked), then takes its lane again to claim the next post
    in the same transaction, while its worker's renewal extends the lanes and claims. A renewal that held the lanes
    while it waited for that post would close a cycle, and PostgreSQL would fail one of the two (a burst of 16,384
    posts lost 21 to ``unknown`` that way)."""
    store = Store(postgres_url)
    store.apply_plan(_rows(range(2)), [], NOW)
    lease = Lease("w:1:a", NOW + timedelta(minutes=1))
    claimed = store.claim_to_publish(NOW, "jeda", "mastodon", lease)
    assert claimed is not None
    first, _about = claimed
    renewer = Store(postgres_url)
    renewed: list[Any] = []
    watcher = create_engine(postgres_url)
    renewal = threading.Thread(target=lambda: renewed.append(renewer.renew(lease)))
    with store.transaction() as connection:  # the lane's outcome transaction, as far as its post's row
        outcome = apply_transition(connection, first.id, Operation.PUBLISHED, to_text(NOW), "published",
                                   expect=PostState.PUBLISHING, owner=lease.worker, published_at=NOW)  # fmt: skip
        renewal.start()
        deadline = time.monotonic() + 30
        with watcher.connect() as watching:  # until the renewal waits for the post's row lock
            waiting = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")  # fmt: skip
            while not watching.scalar(waiting) and time.monotonic() < deadline:
                time.sleep(0.05)
        assert take_lane(connection, "mastodon", lease, to_text(NOW))  # the lane again, for the next claim
    renewal.join(timeout=30)
    watcher.dispose()
    renewer.close()
    store.close()
    assert outcome is PostState.PUBLISHED
    assert renewed == [1]  # the lane; the claim was settled by the time the renewal could read it


def test_a_pooled_connection_the_server_ended_is_replaced_and_a_live_one_costs_no_ping(
    postgres_url: str, tmp_path: Path
) -> None:
    """A database restart (here: the server ending every connection of the store's database) costs the daemon a
    reconnect, not a failed claim or outcome; a live pooled connection goes straight to work, with no round trip
    to test it first (SQLAlchemy's pre-ping was one in ten of a post's)."""
    store = Store(postgres_url)
    trace = tmp_path / "libpq.trace"
    trace_connections(store, trace)
    with store.transaction() as connection:
        first_backend = int(connection.scalar(text("SELECT pg_backend_pid()")))
    before = len(round_trips(trace))
    store.set_setting("probe", 1)
    trips = round_trips(trace)[before:]
    assert trips[0] == "BEGIN" and trips[-1] == "COMMIT", trips  # no ping before the BEGIN
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        ended = connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()
    assert ended >= 1
    time.sleep(0.2)  # the server's goodbye reaches the pooled connection's socket
    store.set_setting("probe", 2)  # on a fresh connection, without an error
    assert store.get_setting("probe") == 2
    with store.transaction() as connection:
        assert int(connection.scalar(text("SELECT pg_backend_pid()"))) != first_backend
    store.close()
