"""The publisher: the outbox life cycle against the file channel and loopback platform fakes.

Every test uses a real SQLite store and a fixed clock that the test moves; failures come from a
real adapter (Mastodon, Telegram) talking HTTP to a fake platform on 127.0.0.1 with injected
faults, so the adapter's own error mapping is part of what is tested.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outreach.model import PostState
from outreach.outbox import Operation
from outreach.publisher import PAUSE_SETTING
from outreach.status import status_lines
from tests.engine_helpers import (
    at,
    campaign,
    claim_as_a_dead_worker,
    file_channel,
    innovation,
    journal,
    local_day,
    outgoing,
    project,
    set_now,
    workspace,
    write_catalogue,
    write_config,
)
from tests.fakeplatform.mastodon import MastodonFake
from tests.fakeplatform.server import FakeServer, Fault
from tests.fakeplatform.telegram import TelegramFake

PLAN_AT = at(2026, 11, 30, 20, 0)
SLOT = at(2026, 12, 1, 9, 0)
ROWS = [innovation("ktp-sehari-jadi"), innovation("bank-sampah", "Dinas Sosial")]


@pytest.fixture(autouse=True)
def _each_engine(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every project written here keeps its store on each engine in turn: the outbox's tests run on SQLite and
    PostgreSQL (a test that names a store of its own keeps it)."""
    monkeypatch.setitem(write_config.__kwdefaults__, "store", store_url)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _file_project(folder: Path, publishing: dict | None = None, **campaign_settings: object) -> Path:
    return project(
        folder,
        ROWS,
        channels={"berkas": file_channel("facebook", "outbox")},
        campaigns={"kenali": campaign(["berkas"], ["setiap hari 09.00"], min_gap_days=0, **campaign_settings)},
        publishing=publishing,
    )


def _planned(config: Path, days: int = 3, environ: dict | None = None):
    """Plan ``days`` ahead at PLAN_AT; return a workspace on the same store (clock still PLAN_AT)."""
    ws = workspace(config, PLAN_AT, environ)
    inserted, _refreshed, _cancelled = ws.planning.apply_plan(days)
    assert inserted >= 1
    return ws


def _first(ws):
    return ws.store.posts()[0]


# ---- the happy path ------------------------------------------------------------------------------


def test_publish_to_the_file_channel(tmp_path: Path) -> None:
    ws = _planned(_file_project(tmp_path))
    post = _first(ws)
    assert post.state is PostState.PLANNED and post.text
    publisher = ws.publisher()

    set_now(ws, SLOT - timedelta(seconds=1))
    assert publisher.publish_due() == []
    assert ws.store.post(post.id).state is PostState.PLANNED

    set_now(ws, SLOT + timedelta(seconds=5))
    outcomes = publisher.publish_due()
    assert [(o.post_id, o.state) for o in outcomes] == [(post.id, PostState.PUBLISHED)]

    done = ws.store.post(post.id)
    assert done.state is PostState.PUBLISHED
    assert done.attempts == 1
    assert done.remote_id == f"berkas-{post.id}"
    assert done.remote_url == (tmp_path / "outbox" / "berkas.jsonl").resolve().as_uri() + f"#berkas-{post.id}"
    assert done.published_at == SLOT + timedelta(seconds=5)
    assert done.text == post.text  # the text stored is the text that went out
    [record] = journal(tmp_path / "outbox", "berkas")
    assert record["key"] == post.key and record["text"] == post.text and record["remote_id"] == done.remote_id

    events = ws.store.events(post.id)
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, "planned"),
        ("planned", "publishing"),
        ("publishing", "published"),
    ]
    assert [e.attempt for e in events] == [0, 1, 1]
    assert events[-1].remote_id == done.remote_id and events[-1].remote_url == done.remote_url

    # Nothing else is due: publishing again does nothing and the post is not sent twice.
    assert ws.publisher().publish_due() == []
    assert len(journal(tmp_path / "outbox", "berkas")) == 1


# ---- pause / resume ------------------------------------------------------------------------------


def test_pause_holds_everything_and_resume_publishes(tmp_path: Path) -> None:
    ws = _planned(_file_project(tmp_path))
    post = _first(ws)
    set_now(ws, SLOT + timedelta(minutes=1))
    ws.store.set_setting(PAUSE_SETTING, {"reason": "Hari berkabung", "at": ws.now().isoformat(), "by": "test"})

    publisher = ws.publisher()
    assert publisher.publish_due() == []
    assert ws.store.post(post.id).state is PostState.PLANNED
    assert journal(tmp_path / "outbox", "berkas") == []
    lines = list(status_lines(ws))
    assert any(line.startswith("publishing: PAUSED since") and "Hari berkabung" in line for line in lines), lines

    set_now(ws, SLOT + timedelta(minutes=30))  # still inside the catch-up window
    ws.store.set_setting(PAUSE_SETTING, None)
    assert "publishing: active" in list(status_lines(ws))
    assert [o.state for o in publisher.publish_due()] == [PostState.PUBLISHED]
    assert len(journal(tmp_path / "outbox", "berkas")) == 1


# ---- catch-up and missed -------------------------------------------------------------------------


def test_late_posts_go_out_within_catch_up_and_are_missed_after(tmp_path: Path) -> None:
    ws = _planned(_file_project(tmp_path, publishing={"catch_up_minutes": 120}))
    first, second = ws.store.posts()[:2]
    publisher = ws.publisher()

    set_now(ws, SLOT + timedelta(minutes=119))  # the daemon was down for almost two hours
    assert [o.state for o in publisher.publish_due()] == [PostState.PUBLISHED]
    assert ws.store.post(first.id).state is PostState.PUBLISHED

    set_now(ws, second.scheduled_at + timedelta(minutes=121))
    outcomes = publisher.publish_due()
    assert [(o.post_id, o.state) for o in outcomes] == [(second.id, PostState.MISSED)]
    missed = ws.store.post(second.id)
    assert missed.state is PostState.MISSED
    assert missed.reason == "missed: 121 min late, over the 120-minute catch-up window"
    assert missed.text == second.text and missed.attempts == 0  # kept, never sent
    assert len(journal(tmp_path / "outbox", "berkas")) == 1
    assert missed in ws.store.posts([PostState.MISSED])


def test_a_missed_post_is_planned_again_in_the_next_free_slot_when_asked(tmp_path: Path) -> None:
    ws = _planned(_file_project(tmp_path, publishing={"catch_up_minutes": 60, "replan_missed": True}))
    first = ws.store.posts()[0]
    set_now(ws, first.scheduled_at + timedelta(minutes=61))
    assert [o.state for o in ws.publisher().publish_due()] == [PostState.MISSED]
    inserted, _, _ = ws.planning.apply_plan(7)
    make_up = [
        p
        for p in ws.store.posts([PostState.PLANNED])
        if (p.innovation_id, p.kind, p.channel) == (first.innovation_id, first.kind, first.channel)
    ]
    assert len(make_up) == 1 and make_up[0].scheduled_at > ws.now()
    # It took the very next free slot: every daily slot before it already had a post.
    taken = {local_day(p) for p in ws.store.posts() if p.id != make_up[0].id}
    day = local_day(first) + timedelta(days=1)
    while day < local_day(make_up[0]):
        assert day in taken, day
        day += timedelta(days=1)
    assert ws.planning.apply_plan(7) == (0, 0, 0)  # and only once


# ---- transient failures: retry with backoff ------------------------------------------------------


def _mastodon_project(folder: Path, fake: MastodonFake, publishing: dict) -> Path:
    return project(
        folder,
        ROWS,
        channels={"mastodon": {**fake.channel_settings(), "read_timeout": 2.0}},
        campaigns={"kenali": campaign(["mastodon"], ["setiap hari 09.00"], min_gap_days=0)},
        publishing=publishing,
    )


def test_rate_limit_waits_at_least_as_long_as_the_platform_asks(tmp_path: Path, server: FakeServer) -> None:
    fake = MastodonFake(server)
    ws = _planned(_mastodon_project(tmp_path, fake, {"backoff_seconds": 1}), environ=fake.environ)
    post = _first(ws)
    set_now(ws, SLOT + timedelta(seconds=10))
    now = ws.now()
    answer = fake.rate_limit_response(120)
    reset = datetime.fromisoformat(answer.headers["X-RateLimit-Reset"])
    server.inject(Fault("status", path=fake.create_path, response=answer))

    before = datetime.now(UTC)
    outcomes = ws.publisher(jitter=lambda: 1.0).publish_due()
    after = datetime.now(UTC)
    assert [o.state for o in outcomes] == [PostState.PLANNED]
    waiting = ws.store.post(post.id)
    assert waiting.state is PostState.PLANNED and waiting.attempts == 1
    # The platform said "not before <reset>" (120 s after it answered); our own backoff (1 s) is far
    # shorter, so the wait is exactly what remains until the reset when the answer was read.
    wait = waiting.due_at - now
    assert reset - after <= wait <= reset - before
    assert wait > timedelta(seconds=119)
    assert waiting.reason.startswith("retry in 120 s:") and "429" in waiting.reason
    assert fake.created == []

    set_now(ws, waiting.due_at - timedelta(seconds=1))
    assert ws.publisher().publish_due() == []
    set_now(ws, waiting.due_at)
    assert [o.state for o in ws.publisher().publish_due()] == [PostState.PUBLISHED]
    done = ws.store.post(post.id)
    assert done.attempts == 2
    assert [status["id"] for status in fake.created] == [done.remote_id]
    assert [status["idempotency_key"] for status in fake.created] == [post.key]


def test_server_errors_back_off_with_jitter_then_fail(tmp_path: Path, server: FakeServer) -> None:
    fake = MastodonFake(server)
    settings = {"backoff_seconds": 60, "max_attempts": 3, "max_delay_seconds": 3600}
    ws = _planned(_mastodon_project(tmp_path, fake, settings), environ=fake.environ)
    post = _first(ws)
    server.inject(Fault("status", path=fake.create_path, response=fake.server_error_response(), times=3))
    jitters = iter([0.0, 1.0])
    publisher = ws.publisher(jitter=lambda: next(jitters))

    set_now(ws, SLOT)
    for attempt, expected in ((1, 30.0), (2, 120.0)):
        now = ws.now()
        [outcome] = publisher.publish_due()
        assert outcome.state is PostState.PLANNED
        waiting = ws.store.post(post.id)
        assert waiting.attempts == attempt
        delay = (waiting.due_at - now).total_seconds()
        nominal = 60 * 2 ** (attempt - 1)
        assert 0.5 * nominal <= delay <= 1.0 * nominal
        assert delay == pytest.approx(expected)
        assert "503" in waiting.reason
        set_now(ws, waiting.due_at)

    [outcome] = publisher.publish_due()
    assert outcome.state is PostState.FAILED
    failed = ws.store.post(post.id)
    assert failed.attempts == 3
    assert failed.reason.startswith("gave up after 3 attempts:") and "503" in failed.reason
    assert fake.created == []
    transitions = [(e.from_state, e.to_state) for e in ws.store.events(post.id)]
    assert transitions == [(None, "planned")] + [("planned", "publishing"), ("publishing", "planned")] * 2 + [
        ("planned", "publishing"),
        ("publishing", "failed"),
    ]
    # A failed post is not picked up again.
    set_now(ws, ws.now() + timedelta(hours=1))
    assert all(o.post_id != post.id for o in publisher.publish_due())


def test_a_post_waiting_for_a_retry_is_cancelled_when_its_approval_is_withdrawn(
    tmp_path: Path, server: FakeServer
) -> None:
    fake = MastodonFake(server)
    config = _mastodon_project(tmp_path, fake, {"backoff_seconds": 1, "max_retry_after_seconds": 4 * 3600})
    ws = _planned(config, environ=fake.environ)
    post = _first(ws)
    set_now(ws, SLOT)
    server.inject(Fault("status", path=fake.create_path, response=fake.rate_limit_response(3 * 3600)))
    [outcome] = ws.publisher().publish_due()
    assert outcome.state is PostState.PLANNED and ws.store.post(post.id).due_at > SLOT + timedelta(hours=2)
    ws.close()

    # Two and a half hours later — past the catch-up window of the slot — the office edits the row.
    write_catalogue(
        tmp_path,
        [
            {**row, "manfaat": "Sekarang juga buka hari Sabtu."} if row["id"] == post.innovation_id else row
            for row in ROWS
        ],
    )
    later = workspace(config, SLOT + timedelta(hours=2, minutes=30), fake.environ)
    later.planning.apply_plan(3)
    cancelled = later.store.post(post.id)
    assert cancelled.state is PostState.CANCELLED
    assert cancelled.reason == f"innovation '{post.innovation_id}' is no longer approved (changed)"
    set_now(later, SLOT + timedelta(hours=3, minutes=1))
    assert all(o.post_id != post.id for o in later.publisher().publish_due())
    assert fake.created == []


# ---- permanent errors ----------------------------------------------------------------------------


def test_an_expired_token_fails_the_post_without_retrying(tmp_path: Path, server: FakeServer) -> None:
    fake = MastodonFake(server)
    ws = _planned(_mastodon_project(tmp_path, fake, {}), environ=fake.environ)
    post = _first(ws)
    fake.expire_token()
    set_now(ws, SLOT)
    [outcome] = ws.publisher().publish_due()
    assert outcome.state is PostState.FAILED
    failed = ws.store.post(post.id)
    assert failed.attempts == 1
    assert failed.reason.startswith("AuthError:") and "401" in failed.reason
    assert fake.TOKEN not in failed.reason
    set_now(ws, SLOT + timedelta(minutes=30))
    assert ws.publisher().publish_due() == []
    assert fake.created == []


# ---- ambiguous outcomes --------------------------------------------------------------------------


def _telegram_project(folder: Path, fake: TelegramFake) -> Path:
    return project(
        folder,
        ROWS,
        channels={"telegram": {**fake.channel_settings(), "read_timeout": 0.5}},
        campaigns={"kenali": campaign(["telegram"], ["setiap hari 09.00"], min_gap_days=0)},
    )


def test_a_timeout_on_a_channel_that_cannot_reconcile_becomes_unknown(tmp_path: Path, server: FakeServer) -> None:
    fake = TelegramFake(server)
    ws = _planned(_telegram_project(tmp_path, fake), environ=fake.environ)
    post = _first(ws)
    assert ws.adapter("telegram").capabilities.can_reconcile is False
    server.inject(Fault("slow", path=fake.create_path, delay=1.5))

    set_now(ws, SLOT)
    [outcome] = ws.publisher().publish_due()
    assert outcome.state is PostState.UNKNOWN
    unknown = ws.store.post(post.id)
    assert unknown.state is PostState.UNKNOWN
    assert unknown.reason.startswith("ambiguous:")
    assert f"`outreach post resolve {post.id}`" in unknown.reason
    assert fake.TOKEN not in unknown.reason

    # The platform did act on the request after our timeout — which is why nobody may retry it.
    deadline = time.monotonic() + 5
    while not fake.created and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fake.created) == 1
    set_now(ws, SLOT + timedelta(minutes=10))
    assert all(o.post_id != post.id for o in ws.publisher().publish_due())
    assert len(fake.created) == 1


# ---- start-up recovery ---------------------------------------------------------------------------


def _orphan_retry_wait(ws) -> timedelta:
    """How long an orphan proven unpublished waits: on a shared store its worker may only have stalled, its
    request still on the way; SQLite's single daemon settles its own dead life's orphans and retries at once."""
    return timedelta(seconds=0 if ws.store.is_sqlite else ws.config.publishing.backoff_seconds)


def test_recovery_on_the_file_channel_uses_its_journal(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        ROWS,
        channels={"berkas": file_channel("facebook", "outbox")},
        campaigns={"kenali": campaign(["berkas"], ["setiap hari 09.00, 09.30"], min_gap_days=0)},
    )
    ws = _planned(config, days=1)
    set_now(ws, at(2026, 12, 1, 9, 30, 10))
    went_out = claim_as_a_dead_worker(ws.store, ws.now())
    never_sent = claim_as_a_dead_worker(ws.store, ws.now())
    assert (went_out.state, never_sent.state) == (PostState.PUBLISHING, PostState.PUBLISHING)
    # The crash: the first post reached the journal, the process died before recording it.
    ws.adapter("berkas").publish(outgoing(ws, went_out), lambda state: None)
    ws.close()

    restarted = workspace(config, at(2026, 12, 1, 9, 31))
    outcomes = {o.post_id: o for o in restarted.publisher().recover()}
    assert outcomes[went_out.id].state is PostState.PUBLISHED
    assert outcomes[never_sent.id].state is PostState.PLANNED

    published = restarted.store.post(went_out.id)
    assert published.remote_id == f"berkas-{went_out.id}"
    assert "reconciled: it was published" in published.reason
    retried = restarted.store.post(never_sent.id)
    assert retried.state is PostState.PLANNED
    wait = _orphan_retry_wait(restarted)
    assert retried.due_at == restarted.now() + wait
    assert "reconciled: it was not published" in retried.reason

    set_now(restarted, restarted.now() + wait)
    assert [o.post_id for o in restarted.publisher().publish_due()] == [never_sent.id]
    keys = [record["key"] for record in journal(tmp_path / "outbox", "berkas")]
    assert sorted(keys) == sorted([went_out.key, never_sent.key])  # each exactly once


def test_recovery_on_a_channel_that_cannot_reconcile_marks_unknown(tmp_path: Path, server: FakeServer) -> None:
    fake = TelegramFake(server)
    config = _telegram_project(tmp_path, fake)
    ws = _planned(config, environ=fake.environ)
    set_now(ws, SLOT)
    claimed = claim_as_a_dead_worker(ws.store, ws.now())
    ws.close()

    restarted = workspace(config, SLOT + timedelta(minutes=1), fake.environ)
    [outcome] = restarted.publisher().recover()
    assert (outcome.post_id, outcome.state) == (claimed.id, PostState.UNKNOWN)
    unknown = restarted.store.post(claimed.id)
    assert unknown.reason.startswith("interrupted while publishing (restart)")
    assert f"`outreach post resolve {claimed.id}`" in unknown.reason
    assert fake.created == []  # recovery never re-sends on a platform that cannot be asked
    assert restarted.publisher().publish_due() == []


# ---- plain language ------------------------------------------------------------------------------

JARGON_TEMPLATE = """\
Dalam rangka optimalisasi pelayanan, {{ innovation.nama }} kini tersedia.

{{ innovation.ringkasan }}
"""


@pytest.mark.parametrize("mode", ["block", "warn"])
def test_plain_language_block_skips_a_post_with_errors(tmp_path: Path, mode: str) -> None:
    templates = tmp_path / "templat"
    templates.mkdir()
    (templates / "perkenalan.j2").write_text(JARGON_TEMPLATE, encoding="utf-8")
    config = project(
        tmp_path,
        ROWS,
        channels={"berkas": file_channel("facebook", "outbox")},
        campaigns={
            "kenali": campaign(
                ["berkas"], ["setiap hari 09.00"], min_gap_days=0, series=["perkenalan"], plain_language=mode
            )
        },
        templates="templat",
    )
    ws = _planned(config)
    post = _first(ws)
    assert post.text.startswith("Dalam rangka optimalisasi")
    set_now(ws, SLOT)
    [outcome] = ws.publisher().publish_due()
    if mode == "warn":
        assert outcome.state is PostState.PUBLISHED
        assert len(journal(tmp_path / "outbox", "berkas")) == 1
        return
    assert outcome.state is PostState.SKIPPED
    skipped = ws.store.post(post.id)
    assert skipped.reason.startswith("plain language (campaign blocks errors): error: ")
    assert "Dalam rangka" in skipped.reason and "optimalisasi" in skipped.reason
    assert journal(tmp_path / "outbox", "berkas") == []


# ---- hardening: what must never leave a post stuck or retried without end --------------------------


def _ambiguous_deliver(*_args: object, **_kwargs: object) -> None:
    from outreach.errors import AmbiguousError

    raise AmbiguousError("no answer within 30 s; it may have been posted")


def test_an_ambiguous_attempt_proven_unpublished_is_retried_at_most_max_attempts(tmp_path: Path) -> None:
    ws = _planned(_file_project(tmp_path, publishing={"max_attempts": 3, "backoff_seconds": 10}))
    post = _first(ws)
    ws.adapter("berkas").deliver = _ambiguous_deliver  # type: ignore[method-assign]
    publisher = ws.publisher(jitter=lambda: 0.0)
    moment = SLOT
    for attempt in range(1, 4):
        set_now(ws, moment)
        publisher.publish_due()
        current = ws.store.post(post.id)
        assert current.attempts == attempt
        if attempt < 3:
            assert current.state is PostState.PLANNED and "reconciled: it was not published" in current.reason
            assert current.due_at == moment + timedelta(seconds=10)  # time for a request in flight to land
            moment = current.due_at
    assert current.state is PostState.FAILED and current.reason.startswith("gave up after 3 attempts")


def test_a_post_orphaned_in_publishing_is_settled_by_recover_without_a_restart(tmp_path: Path) -> None:
    ws = _planned(_file_project(tmp_path))
    set_now(ws, SLOT + timedelta(seconds=5))
    orphan = claim_as_a_dead_worker(ws.store, ws.now())  # claimed by a run that failed before recording
    assert orphan.state is PostState.PUBLISHING
    publisher = ws.publisher()
    assert publisher.publish_due() == []  # a publish run leaves the orphan to recover: it claims nothing else
    assert ws.store.post(orphan.id).state is PostState.PUBLISHING
    outcomes = publisher.recover()
    set_now(ws, ws.now() + _orphan_retry_wait(ws))
    outcomes += publisher.publish_due()
    assert [(o.post_id, o.state) for o in outcomes][:1] == [(orphan.id, PostState.PLANNED)]
    assert [o.state for o in outcomes][1:] == [PostState.PUBLISHED]  # and then it went out, once
    assert len(journal(tmp_path / "outbox", "berkas")) == 1


def test_an_error_while_settling_an_attempt_leaves_the_post_unknown_not_publishing(tmp_path: Path) -> None:
    ws = _planned(_file_project(tmp_path))
    post = _first(ws)
    adapter = ws.adapter("berkas")
    adapter.deliver = _ambiguous_deliver  # type: ignore[method-assign]

    def broken_reconcile(_post: object) -> None:
        raise ValueError("bug in a look-up")

    adapter.reconcile = broken_reconcile  # type: ignore[method-assign]
    set_now(ws, SLOT)
    [outcome] = ws.publisher().publish_due()
    settled = ws.store.post(post.id)
    assert outcome.state is settled.state is PostState.UNKNOWN
    assert "unexpected ValueError: bug in a look-up" in settled.reason and "post resolve" in settled.reason


def test_pausing_during_a_backlog_stops_before_the_next_post(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        ROWS,
        channels={"satu": file_channel("facebook", "outbox"), "dua": file_channel("x", "outbox")},
        campaigns={"kenali": campaign(["satu", "dua"], ["setiap hari 09.00"], min_gap_days=0)},
        publishing={"parallel_channels": 1},  # one lane: the backlog goes one post after another
    )
    ws = _planned(config)
    for name in ("satu", "dua"):  # whichever channel goes first (a shared store's worker has its own order)
        adapter = ws.adapter(name)

        def deliver_then_pause(post, checkpoint, deliver=adapter.deliver):  # type: ignore[no-untyped-def]
            result = deliver(post, checkpoint)
            ws.store.set_setting(PAUSE_SETTING, {"reason": "Hari berkabung", "at": "now", "by": "test"})
            return result

        adapter.deliver = deliver_then_pause  # type: ignore[method-assign]
    set_now(ws, SLOT)
    outcomes = ws.publisher().publish_due()
    assert [o.state for o in outcomes] == [PostState.PUBLISHED]
    assert len(ws.store.posts([PostState.PLANNED], scheduled_to=SLOT + timedelta(seconds=1))) == 1


def test_a_retry_that_falls_past_the_catch_up_window_becomes_missed(tmp_path: Path, server: FakeServer) -> None:
    fake = MastodonFake(server)
    settings = {"catch_up_minutes": 120, "max_retry_after_seconds": 4 * 3600}
    ws = _planned(_mastodon_project(tmp_path, fake, settings), environ=fake.environ)
    post = _first(ws)
    server.inject(Fault("status", path=fake.create_path, response=fake.rate_limit_response(3 * 3600)))
    set_now(ws, SLOT)
    ws.publisher().publish_due()
    waiting = ws.store.post(post.id)
    assert waiting.state is PostState.PLANNED and waiting.due_at >= SLOT + timedelta(hours=2, minutes=59)
    set_now(ws, waiting.due_at + timedelta(seconds=1))
    ws.publisher().publish_due()
    missed = ws.store.post(post.id)
    assert missed.state is PostState.MISSED
    assert "over the 120-minute catch-up window after 1 attempts" in missed.reason
    assert fake.created == []


def test_a_spreadsheet_typo_does_not_fail_posts_already_planned(tmp_path: Path) -> None:
    """Publishing reads the last good import; the broken file is reported by the next plan instead."""
    from outreach.errors import ConfigError

    config = _file_project(tmp_path)
    _planned(config)
    catalogue = tmp_path / "inovasi.csv"
    catalogue.write_text(
        catalogue.read_text(encoding="utf-8").replace("ktp-sehari-jadi", "KTP Sehari!"), encoding="utf-8"
    )
    publisher_ws = workspace(config, SLOT)
    assert [o.state for o in publisher_ws.publisher().publish_due()] == [PostState.PUBLISHED]
    with pytest.raises(ConfigError, match="is not a valid id"):
        publisher_ws.planning.apply_plan(3)


def test_no_secret_reaches_the_database(tmp_path: Path, server: FakeServer) -> None:
    """Reasons are redacted where the store writes them, whatever exception text they carry."""
    fake = TelegramFake(server)
    config = project(
        tmp_path,
        ROWS,
        channels={"telegram": {**fake.channel_settings(), "read_timeout": 2.0}},
        campaigns={"kenali": campaign(["telegram"], ["setiap hari 09.00"], min_gap_days=0)},
    )
    ws = _planned(config, environ=fake.environ)
    token = next(iter(fake.environ.values()))
    fake.expire_token()
    set_now(ws, SLOT)
    ws.publisher().publish_due()
    post = _first(ws)
    assert ws.store.post(post.id).state is PostState.FAILED
    second = ws.store.posts([PostState.PLANNED])[0]
    ws.store.transition(second.id, Operation.CANCEL, ws.now(), f"operator pasted https://api.telegram.org/bot{token}/x")
    ws.close()
    for path in tmp_path.glob("outreach.sqlite3*"):
        assert token.encode() not in path.read_bytes(), path


# ---- hostile platform answers and slow failures ----------------------------------------------------


@pytest.mark.parametrize(("publishing", "cap"), [({}, 3600), ({"max_retry_after_seconds": 900}, 900)])
def test_a_huge_retry_after_is_capped_and_the_reason_says_so(
    tmp_path: Path, server: FakeServer, publishing: dict, cap: int
) -> None:
    """Telegram asking to wait two hours does not park a post for two hours (default cap: one hour)."""
    fake = TelegramFake(server)
    config = project(
        tmp_path,
        ROWS,
        channels={"telegram": {**fake.channel_settings(), "read_timeout": 2.0}},
        campaigns={"kenali": campaign(["telegram"], ["setiap hari 09.00"], min_gap_days=0)},
        publishing={"backoff_seconds": 60, **publishing},
    )
    ws = _planned(config, environ=fake.environ)
    post = _first(ws)
    server.inject(Fault("status", path=fake.create_path, response=fake.rate_limit_response(7200)))
    set_now(ws, SLOT)

    [outcome] = ws.publisher(jitter=lambda: 0.0).publish_due()

    waiting = ws.store.post(post.id)
    assert outcome.state is PostState.PLANNED and waiting.state is PostState.PLANNED
    assert waiting.due_at == SLOT + timedelta(seconds=cap)
    assert waiting.reason.startswith(f"retry in {cap} s:") and "Too Many Requests" in waiting.reason
    assert f"the platform asked to wait 7200 s; waiting {cap} s (publishing.max_retry_after_seconds)" in waiting.reason
    assert fake.created == []


def test_a_retry_is_measured_from_when_the_failure_was_seen_not_from_the_claim(
    tmp_path: Path, server: FakeServer
) -> None:
    """A slow failure: the clock moves on while the request is in flight; backoff and event time follow it."""
    fake = MastodonFake(server)
    ws = _planned(_mastodon_project(tmp_path, fake, {"backoff_seconds": 60}), environ=fake.environ)
    post = _first(ws)
    failed_at = SLOT + timedelta(seconds=40)
    server.inject(
        Fault(
            "status",
            path=fake.create_path,
            response=fake.server_error_response(),
            on_request=lambda: set_now(ws, failed_at),
        )
    )
    set_now(ws, SLOT)

    [outcome] = ws.publisher(jitter=lambda: 0.0).publish_due()

    assert outcome.state is PostState.PLANNED
    waiting = ws.store.post(post.id)
    assert waiting.due_at == failed_at + timedelta(seconds=30)  # backoff 60 s × (0.5 + jitter 0)
    claim, failure = ws.store.events(post.id)[-2:]
    assert (claim.to_state, claim.at) == ("publishing", SLOT)
    assert (failure.from_state, failure.to_state, failure.at) == ("publishing", "planned", failed_at)
    assert fake.created == []


def test_a_rejection_is_recorded_at_the_time_it_was_seen(tmp_path: Path, server: FakeServer) -> None:
    fake = TelegramFake(server)
    ws = _planned(_telegram_project(tmp_path, fake), environ=fake.environ)
    post = _first(ws)
    failed_at = SLOT + timedelta(seconds=25)
    fake.expire_token()
    server.inject(Fault("slow", path=fake.create_path, on_request=lambda: set_now(ws, failed_at)))
    set_now(ws, SLOT)

    [outcome] = ws.publisher().publish_due()

    assert outcome.state is PostState.FAILED
    assert ws.store.events(post.id)[-1].at == failed_at
