"""The planner: fair rotation, calendars, series, caps, images, windows, filters, and re-planning.

Planning is exercised through the ``Workspace`` (config and catalogue written to a temporary
folder, a real SQLite store, a fixed clock), because that is how every command plans.
"""

from __future__ import annotations

import itertools
import shutil
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

from outreach.model import PlannedPost, PostState
from outreach.planner import Calendar, day_excluded
from tests.engine_helpers import (
    ZONE,
    at,
    campaign,
    file_channel,
    innovation,
    local_day,
    project,
    workspace,
    write_catalogue,
    write_config,
)

KESEHATAN = "Dinas Kesehatan"
PENDIDIKAN = "Dinas Pendidikan"
SOSIAL = "Dinas Sosial"


def _by_time(posts: tuple[PlannedPost, ...] | list[PlannedPost]) -> list[PlannedPost]:
    return sorted(posts, key=lambda planned: (planned.when, planned.channel))


def _days(posts: list[PlannedPost]) -> set[date]:
    return {planned.when.astimezone(ZONE).date() for planned in posts}


# ---- fair rotation -------------------------------------------------------------------------------

FAIR_ROWS = [
    innovation("antre-puskesmas", KESEHATAN),
    innovation("dokter-ke-rumah", KESEHATAN),
    innovation("cek-kamar-rs", KESEHATAN),
    innovation("bus-sekolah", PENDIDIKAN),
    innovation("perpustakaan-keliling", PENDIDIKAN),
    innovation("bank-sampah", SOSIAL),
    innovation("surat-tidak-mampu", SOSIAL),
]


def _fair_project(folder: Path, rows: list[dict[str, str]] = FAIR_ROWS) -> Path:
    return project(
        folder,
        rows,
        channels={"berkas": file_channel()},
        campaigns={"kenali": campaign(["berkas"], ["setiap hari 09.00, 15.00"], min_gap_days=0)},
    )


def test_rotation_is_fair_across_innovations_and_agencies(tmp_path: Path) -> None:
    ws = workspace(_fair_project(tmp_path), at(2026, 11, 30, 20, 0))
    planned = _by_time(ws.planning.plan(ws.now(), 15).new)
    assert len(planned) == 30  # 15 days × 2 slots, one channel

    agency = {row["id"]: row["opd"] for row in FAIR_ROWS}
    counts = Counter(p.innovation_id for p in planned)
    assert set(counts) == set(agency), "every approved innovation is featured"
    assert max(counts.values()) - min(counts.values()) <= 1

    running = dict.fromkeys(agency, 0)
    previous_agency = None
    for index, post in enumerate(planned):
        lowest = min(running.values())
        assert running[post.innovation_id] == lowest, (
            f"slot {index}: {post.innovation_id} featured {running[post.innovation_id]}× while another has {lowest}×"
        )
        if agency[post.innovation_id] == previous_agency:
            waiting = [i for i, n in running.items() if n == lowest and agency[i] != previous_agency]
            assert not waiting, (
                f"slot {index}: {previous_agency} twice in a row although {waiting} of other agencies were waiting"
            )
        running[post.innovation_id] += 1
        previous_agency = agency[post.innovation_id]


def test_same_inputs_give_the_same_plan(tmp_path: Path) -> None:
    now = at(2026, 11, 30, 20, 0)
    first = workspace(_fair_project(tmp_path / "a"), now)
    again = [p.key for p in first.planning.plan(first.now(), 15).new]
    assert again == [p.key for p in first.planning.plan(first.now(), 15).new]
    # A second project with the same content — rows in another order — plans exactly the same.
    second = workspace(_fair_project(tmp_path / "b", list(reversed(FAIR_ROWS))), now)
    assert [p.key for p in second.planning.plan(second.now(), 15).new] == again
    assert [(p.innovation_id, p.kind, p.when) for p in second.planning.plan(second.now(), 15).new] == [
        (p.innovation_id, p.kind, p.when) for p in first.planning.plan(first.now(), 15).new
    ]


# ---- holidays and blackouts ----------------------------------------------------------------------


def _daily_project(folder: Path, **campaign_settings: object) -> Path:
    settings = {"min_gap_days": 0, **campaign_settings}
    return project(
        folder,
        [innovation("ktp-sehari-jadi"), innovation("bank-sampah", SOSIAL)],
        channels={"berkas": file_channel()},
        campaigns={"kenali": campaign(["berkas"], ["setiap hari 09.00"], **settings)},
    )


def test_national_holiday_and_cuti_bersama_are_skipped(tmp_path: Path) -> None:
    ws = workspace(_daily_project(tmp_path, holidays="skip"), at(2026, 8, 14, 20, 0))
    august = _days(list(ws.planning.plan(ws.now(), 5).new))
    assert august == {date(2026, 8, 15), date(2026, 8, 16), date(2026, 8, 18), date(2026, 8, 19)}
    december = _days(list(ws.planning.plan(at(2026, 12, 21, 20, 0), 6).new))
    assert date(2026, 12, 24) not in december  # cuti bersama Natal
    assert date(2026, 12, 25) not in december
    assert {date(2026, 12, 22), date(2026, 12, 23), date(2026, 12, 26), date(2026, 12, 27)} <= december

    kenali = ws.config.campaigns["kenali"]
    calendar = Calendar()
    assert day_excluded(kenali, date(2026, 8, 17), calendar).startswith("holiday: Hari Kemerdekaan")
    assert "Cuti Bersama" in day_excluded(kenali, date(2026, 12, 24), calendar)
    assert day_excluded(kenali, date(2026, 8, 18), calendar) is None


def test_holidays_allow_publishes_on_holidays(tmp_path: Path) -> None:
    ws = workspace(_daily_project(tmp_path, holidays="allow"), at(2026, 8, 14, 20, 0))
    assert date(2026, 8, 17) in _days(list(ws.planning.plan(ws.now(), 5).new))
    assert date(2026, 12, 24) in _days(list(ws.planning.plan(at(2026, 12, 21, 20, 0), 6).new))


def test_blackout_days_get_no_posts(tmp_path: Path) -> None:
    blackout = {"start": date(2026, 12, 3), "end": date(2026, 12, 4), "reason": "Masa tenang pilkada"}
    ws = workspace(_daily_project(tmp_path, blackouts=[blackout]), at(2026, 11, 30, 20, 0))
    days = _days(list(ws.planning.plan(ws.now(), 7).new))
    assert days == {date(2026, 12, d) for d in (1, 2, 5, 6, 7)}


def test_a_blackout_added_later_cancels_planned_future_posts(tmp_path: Path) -> None:
    config = _daily_project(tmp_path)
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    assert ws.planning.apply_plan(7)[0] == 7
    ws.close()

    blackout = {"start": date(2026, 12, 3), "end": date(2026, 12, 4), "reason": "Hari berkabung daerah"}
    write_config(
        tmp_path,
        channels={"berkas": file_channel()},
        campaigns={"kenali": campaign(["berkas"], ["setiap hari 09.00"], min_gap_days=0, blackouts=[blackout])},
    )
    later = workspace(config, at(2026, 12, 1, 12, 0))
    inserted, _refreshed, cancelled = later.planning.apply_plan(7)
    assert cancelled == 2
    posts = later.store.posts()
    by_day = defaultdict(list)
    for post in posts:
        by_day[local_day(post)].append(post)
    for day in (date(2026, 12, 3), date(2026, 12, 4)):
        assert [post.state for post in by_day[day]] == [PostState.CANCELLED]
        assert by_day[day][0].reason == "blackout: Hari berkabung daerah"
        # The cancellation is part of the post's history.
        assert later.store.events(by_day[day][0].id)[-1].to_state == "cancelled"
    for day in (date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 5)):
        assert [post.state for post in by_day[day]] == [PostState.PLANNED]
    # The new horizon day (8 December) was planned, nothing on the blackout days.
    assert inserted == 1 and [post.state for post in by_day[date(2026, 12, 8)]] == [PostState.PLANNED]


# ---- series and gaps -----------------------------------------------------------------------------


def test_series_order_and_minimum_gap(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        [innovation("ktp-sehari-jadi"), innovation("antre-puskesmas", KESEHATAN), innovation("bank-sampah", SOSIAL)],
        channels={"berkas": file_channel()},
        campaigns={"kenali": campaign(["berkas"], ["setiap hari 09.00, 15.00"], min_gap_days=2)},
    )
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    planned = _by_time(ws.planning.plan(ws.now(), 20).new)
    series = ["perkenalan", "cara_pakai", "manfaat", "pengingat"]
    per_innovation: dict[str, list[PlannedPost]] = defaultdict(list)
    for post in planned:
        per_innovation[post.innovation_id].append(post)
    assert len(per_innovation) == 3
    for identifier, posts in per_innovation.items():
        assert [p.kind for p in posts] == [series[i % 4] for i in range(len(posts))], identifier
        days = [p.when.astimezone(ZONE).date() for p in posts]
        gaps = [(later - earlier).days for earlier, later in itertools.pairwise(days)]
        assert gaps and min(gaps) >= 2, (identifier, gaps)
    # The gap leaves slots empty: three innovations can fill only three of every four slots.
    assert len(planned) < 40


def test_series_continues_where_the_outbox_left_off(tmp_path: Path) -> None:
    config = _daily_project(tmp_path)
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    ws.planning.apply_plan(4)  # two posts each: perkenalan, cara_pakai
    ws.close()
    later = workspace(config, at(2026, 12, 4, 20, 0))
    later.planning.apply_plan(4)
    kinds: dict[str, list[str]] = defaultdict(list)
    for post in later.store.posts():
        kinds[post.innovation_id].append(post.kind)
    for identifier, sequence in kinds.items():
        assert sequence == ["perkenalan", "cara_pakai", "manfaat", "pengingat"], identifier


# ---- channel rules -------------------------------------------------------------------------------


def test_daily_cap_per_channel(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        [innovation(f"inovasi-{n}", opd) for n, opd in enumerate([KESEHATAN, SOSIAL, PENDIDIKAN, SOSIAL])],
        channels={"x": file_channel("x", daily_cap=1), "fb": file_channel("facebook")},
        campaigns={"kenali": campaign(["x", "fb"], ["setiap hari 09.00, 12.00, 15.00"], min_gap_days=0)},
    )
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    per_day = Counter((p.channel, p.when.astimezone(ZONE).date()) for p in ws.planning.plan(ws.now(), 5).new)
    for offset in range(5):
        day = date(2026, 12, 1) + timedelta(days=offset)
        assert per_day[("x", day)] == 1
        assert per_day[("fb", day)] == 3


def test_daily_cap_is_shared_by_campaigns_and_counts_posts_already_planned(tmp_path: Path) -> None:
    rows = [innovation("ktp-sehari-jadi"), innovation("antre-puskesmas", KESEHATAN), innovation("bank-sampah", SOSIAL)]
    channels = {"x": file_channel("x", daily_cap=2)}
    config = project(
        tmp_path,
        rows,
        channels=channels,
        campaigns={
            "pagi": campaign(["x"], ["setiap hari 08.00, 10.00"], min_gap_days=0),
            "sore": campaign(["x"], ["setiap hari 16.00, 18.00"], min_gap_days=0),
        },
    )
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    ws.planning.apply_plan(3)
    ws.planning.apply_plan(5)  # re-planning must count what the store already holds
    per_day = Counter(local_day(post) for post in ws.store.posts())
    assert set(per_day.values()) == {2}
    assert len(per_day) == 5


def test_image_required_channel_gets_only_innovations_with_an_image(tmp_path: Path) -> None:
    (tmp_path / "gambar").mkdir()
    shutil.copy(Path(__file__).parent / "data" / "sample.jpg", tmp_path / "gambar" / "poster.jpg")
    with_image = {"gambar": "gambar/poster.jpg", "alt_gambar": "Poster biru bertuliskan nama layanan."}
    rows = [
        innovation("ktp-sehari-jadi", **with_image),
        innovation("antre-puskesmas", KESEHATAN),
        innovation("bank-sampah", SOSIAL, **with_image),
        innovation("bus-sekolah", PENDIDIKAN),
    ]
    config = project(
        tmp_path,
        rows,
        channels={"ig": file_channel("instagram"), "fb": file_channel("facebook"), "ig2": file_channel("instagram")},
        campaigns={
            "kenali": campaign(["ig", "fb"], ["setiap hari 09.00"], min_gap_days=0),
            "foto": campaign(
                ["ig2"], ["setiap hari 12.00"], min_gap_days=0, innovations=["antre-puskesmas", "bus-sekolah"]
            ),
        },
    )
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    planned = ws.planning.plan(ws.now(), 12).new
    on = defaultdict(set)
    for post in planned:
        on[post.channel].add(post.innovation_id)
    assert on["ig"] == {"ktp-sehari-jadi", "bank-sampah"}
    assert on["fb"] == {"ktp-sehari-jadi", "antre-puskesmas", "bank-sampah", "bus-sekolah"}
    assert "ig2" not in on  # nothing in that campaign has an image
    # Written to the store, every Instagram post carries its image.
    ws.planning.apply_plan(12)
    for post in ws.store.posts():
        if post.channel == "ig":
            assert post.image and post.image.endswith("gambar/poster.jpg")


# ---- innovation windows and campaign filters -----------------------------------------------------


def test_mulai_and_selesai_windows(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        [
            innovation("baru-mulai", mulai="2026-12-10"),
            innovation("segera-selesai", SOSIAL, selesai="2026-12-05"),
            innovation("sepanjang-tahun", KESEHATAN),
        ],
        channels={"berkas": file_channel()},
        campaigns={"kenali": campaign(["berkas"], ["setiap hari 09.00"], min_gap_days=0)},
    )
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    planned = ws.planning.plan(ws.now(), 15).new
    days = defaultdict(list)
    for post in planned:
        days[post.innovation_id].append(post.when.astimezone(ZONE).date())
    assert days["baru-mulai"] and min(days["baru-mulai"]) >= date(2026, 12, 10)
    assert days["segera-selesai"] and max(days["segera-selesai"]) <= date(2026, 12, 5)
    assert len(planned) == 15  # the third innovation fills the days the others cannot


def test_campaign_filters_by_agency_hashtag_and_explicit_list(tmp_path: Path) -> None:
    rows = [
        innovation("antre-puskesmas", KESEHATAN, tagar="BandarLampung Sehat"),
        innovation("dokter-ke-rumah", KESEHATAN, tagar="Lansia"),
        innovation("bus-sekolah", PENDIDIKAN, tagar="sehat Sekolah"),
        innovation("bank-sampah", SOSIAL, tagar="Lingkungan"),
        innovation("ktp-sehari-jadi", tagar="KTP"),
    ]
    config = project(
        tmp_path,
        rows,
        channels={name: file_channel() for name in ("a", "b", "c", "d")},
        campaigns={
            "dinkes": campaign(["a"], min_gap_days=0, opd=[KESEHATAN]),
            "sehat": campaign(["b"], min_gap_days=0, tagar=["#SEHAT"]),
            "pilihan": campaign(["c"], min_gap_days=0, innovations=["bank-sampah", "ktp-sehari-jadi"]),
            "gabungan": campaign(["d"], min_gap_days=0, opd=[KESEHATAN, PENDIDIKAN], tagar=["sehat"]),
        },
    )
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    featured = defaultdict(set)
    for post in ws.planning.plan(ws.now(), 10).new:
        featured[post.campaign].add(post.innovation_id)
    assert featured["dinkes"] == {"antre-puskesmas", "dokter-ke-rumah"}
    assert featured["sehat"] == {"antre-puskesmas", "bus-sekolah"}
    assert featured["pilihan"] == {"bank-sampah", "ktp-sehari-jadi"}
    assert featured["gabungan"] == {"antre-puskesmas", "bus-sekolah"}


def test_only_approved_innovations_are_planned(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        [
            innovation("ktp-sehari-jadi"),
            innovation("masih-draf", SOSIAL, status="draf"),
            innovation("ditolak-saja", KESEHATAN, status="ditolak"),
        ],
        channels={"berkas": file_channel()},
        campaigns={"kenali": campaign(["berkas"], min_gap_days=0)},
    )
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    assert {post.innovation_id for post in ws.planning.plan(ws.now(), 7).new} == {"ktp-sehari-jadi"}


# ---- writing the plan ----------------------------------------------------------------------------


def test_apply_plan_twice_changes_nothing(tmp_path: Path) -> None:
    config = _fair_project(tmp_path)
    now = at(2026, 11, 30, 20, 0)
    ws = workspace(config, now)
    inserted, refreshed, cancelled = ws.planning.apply_plan(14)
    assert inserted == 28 and (refreshed, cancelled) == (0, 0)
    before = ws.store.posts()
    events_before = [ws.store.events(post.id) for post in before]

    assert ws.planning.apply_plan(14) == (0, 0, 0)
    again = workspace(config, now)  # a second command, as `outreach plan` run twice
    assert again.planning.apply_plan(14) == (0, 0, 0)
    assert again.store.posts() == before
    assert [again.store.events(post.id) for post in before] == events_before


def test_a_newly_approved_innovation_is_featured_in_the_next_free_slot(tmp_path: Path) -> None:
    rows = [innovation("ktp-sehari-jadi"), innovation("bank-sampah", SOSIAL)]
    config = _daily_project(tmp_path)
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    ws.planning.apply_plan(7)
    before = ws.store.posts()
    ws.close()

    write_catalogue(tmp_path, [*rows, innovation("antre-puskesmas", KESEHATAN)])
    later = workspace(config, at(2026, 12, 1, 20, 0))
    inserted, _refreshed, cancelled = later.planning.apply_plan(7)
    assert (inserted, cancelled) == (1, 0)
    new = [post for post in later.store.posts() if post.id not in {p.id for p in before}]
    assert [(post.innovation_id, post.kind, local_day(post)) for post in new] == [
        ("antre-puskesmas", "perkenalan", date(2026, 12, 8))
    ]
    assert [p for p in later.store.posts() if p.id in {b.id for b in before}] == before


def _published_first(config: Path) -> tuple[str, int]:
    """Plan a week, publish the first post; return its innovation and id."""
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    ws.planning.apply_plan(7)
    ws.close()
    ws = workspace(config, at(2026, 12, 1, 9, 1))
    outcomes = ws.publisher().publish_due()
    assert [outcome.state for outcome in outcomes] == [PostState.PUBLISHED]
    post = ws.store.post(outcomes[0].post_id)
    ws.close()
    return post.innovation_id, post.id


def _future_posts_of(ws, identifier: str) -> list:
    return [p for p in ws.store.posts() if p.innovation_id == identifier and p.scheduled_at > ws.now()]


def test_editing_an_approved_innovation_withdraws_it_from_the_plan(tmp_path: Path) -> None:
    rows = [innovation("ktp-sehari-jadi"), innovation("bank-sampah", SOSIAL)]
    config = _daily_project(tmp_path)
    edited_id, published_id = _published_first(config)

    changed = [
        {**row, "ringkasan": row["ringkasan"] + " Sekarang juga hari Sabtu."} if row["id"] == edited_id else row
        for row in rows
    ]
    write_catalogue(tmp_path, changed)
    ws = workspace(config, at(2026, 12, 1, 12, 0))
    _inserted, _refreshed, cancelled = ws.planning.apply_plan(7)
    status = {entry.innovation.id: entry.status.value for entry in ws.planning.catalogue()}
    assert status[edited_id] == "changed"

    future = _future_posts_of(ws, edited_id)
    assert cancelled >= 1 and future
    for post in future:
        assert post.state is PostState.CANCELLED
        assert post.reason == f"innovation '{edited_id}' is no longer approved (changed)"
    published = ws.store.post(published_id)
    assert published.state is PostState.PUBLISHED and published.remote_id


def test_rejecting_or_retiring_an_innovation_cancels_its_future_posts(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        [innovation("ktp-sehari-jadi"), innovation("bank-sampah", SOSIAL), innovation("antre-puskesmas", KESEHATAN)],
        channels={"berkas": file_channel()},
        campaigns={"kenali": campaign(["berkas"], ["setiap hari 09.00"], min_gap_days=0)},
    )
    first_id, published_id = _published_first(config)
    others = sorted({"ktp-sehari-jadi", "bank-sampah", "antre-puskesmas"} - {first_id})
    now = at(2026, 12, 1, 12, 0)
    ws = workspace(config, now)
    ws.planning.catalogue()
    ws.store.decide([first_id], "rejected", "Rina (Diskominfo)", now, "Layanan belum siap")
    ws.store.retire(others[0], "Agus (Diskominfo)", now)
    ws.planning.apply_plan(7)

    for identifier, standing in ((first_id, "rejected"), (others[0], "retired")):
        future = _future_posts_of(ws, identifier)
        assert future, identifier
        assert {post.state for post in future} == {PostState.CANCELLED}
        assert {post.reason for post in future} == {f"innovation '{identifier}' is no longer approved ({standing})"}
    # Only the remaining innovation is planned from now on, and the published post stays published.
    planned = ws.store.posts([PostState.PLANNED], scheduled_from=now)
    assert planned and {post.innovation_id for post in planned} == {others[1]}
    assert ws.store.post(published_id).state is PostState.PUBLISHED


def test_an_operator_cancellation_is_not_undone_by_replanning(tmp_path: Path) -> None:
    """Cancelled by a person: the slot stays empty when the horizon is planned again."""
    from click.testing import CliRunner

    from outreach.cli import cli

    project = _daily_project(tmp_path, holidays="allow")
    ws = workspace(project, at(2026, 12, 1, 6, 0))
    ws.planning.apply_plan(7)
    first = ws.store.posts()[0]
    result = CliRunner().invoke(
        cli, ["--config", str(project), "post", "cancel", str(first.id), "--reason", "Acara ditunda"]
    )
    assert result.exit_code == 0, result.output
    again = workspace(project, at(2026, 12, 1, 6, 5))
    assert again.planning.apply_plan(7) == (0, 0, 0)
    cancelled = again.store.post(first.id)
    assert cancelled is not None and cancelled.state.value == "cancelled"
    assert cancelled.reason == "cancelled by an operator: Acara ditunda"
    assert not [post for post in again.store.posts() if post.scheduled_at == first.scheduled_at and post.id != first.id]


def test_a_slot_freed_mid_horizon_is_filled_by_an_innovation_not_featured_later(tmp_path: Path) -> None:
    """After a blackout is lifted, its day is planned again, keeping every series in order."""
    rows = [innovation(f"inovasi-{n}", [SOSIAL, KESEHATAN][n % 2]) for n in range(6)]

    def write(blackouts: list[dict[str, object]]) -> Path:
        return project(
            tmp_path,
            rows,
            channels={"berkas": file_channel()},
            campaigns={"kenali": campaign(["berkas"], min_gap_days=0, blackouts=blackouts)},
        )

    config = write([])
    first = workspace(config, at(2026, 12, 1, 6, 0))
    first.planning.apply_plan(4)
    planned_days = {local_day(post) for post in first.store.posts()}
    assert len(planned_days) == 4
    write([{"start": date(2026, 12, 2), "end": date(2026, 12, 2), "reason": "Hari berkabung"}])
    second = workspace(config, at(2026, 12, 1, 6, 5))
    assert second.planning.apply_plan(4)[2] == 1
    write([])
    third = workspace(config, at(2026, 12, 1, 6, 10))
    inserted, _, cancelled = third.planning.apply_plan(4)
    assert (inserted, cancelled) == (1, 0)
    live = [post for post in third.store.posts() if post.state is PostState.PLANNED]
    assert {local_day(post) for post in live} == planned_days
    series = ["perkenalan", "cara_pakai", "manfaat", "pengingat"]
    by_innovation: dict[str, list[str]] = defaultdict(list)
    for post in sorted(live, key=lambda p: p.scheduled_at):
        by_innovation[post.innovation_id].append(post.kind)
    assert all(kinds == series[: len(kinds)] for kinds in by_innovation.values())


def test_a_cached_catalogue_sees_a_decision_made_by_another_process(tmp_path: Path) -> None:
    """The daemon caches the decoded catalogue; an approval change from `outreach catalogue` must reach it."""
    config = _daily_project(tmp_path)
    daemon_view = workspace(config, at(2026, 12, 1, 6, 0))
    assert {entry.innovation.id for entry in daemon_view.planning.catalogue() if entry.publishable} == {
        "ktp-sehari-jadi",
        "bank-sampah",
    }
    operator = workspace(config, at(2026, 12, 1, 6, 1))
    operator.store.decide(["bank-sampah"], "rejected", "Rina", operator.now(), "Belum siap")
    assert {entry.innovation.id for entry in daemon_view.planning.catalogue() if entry.publishable} == {
        "ktp-sehari-jadi"
    }
    assert daemon_view.planning.entry("bank-sampah").status.value == "rejected"
