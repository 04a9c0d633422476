"""No surprises from the planner (#11): no post twice on a channel across campaigns, every silent skip
announced, and a series that cycles only when the campaign says so."""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from outreach.errors import ConfigError
from outreach.model import PlannedPost, PostState
from tests.engine_helpers import (
    ZONE,
    at,
    campaign,
    file_channel,
    innovation,
    load,
    project,
    workspace,
    write_config,
)

SOSIAL = "Dinas Sosial"
KESEHATAN = "Dinas Kesehatan"
ROWS = [innovation("ktp-sehari-jadi"), innovation("bank-sampah", SOSIAL), innovation("antre-puskesmas", KESEHATAN)]


def _day(planned: PlannedPost) -> date:
    return planned.when.astimezone(ZONE).date()


def _duplicates(posts: list[PlannedPost], gap: int) -> list[tuple[PlannedPost, PlannedPost]]:
    """Pairs of posts of different campaigns with the same channel, innovation and kind within ``gap`` days."""
    by_key: dict[tuple[str, str, str], list[PlannedPost]] = defaultdict(list)
    for post in posts:
        by_key[(post.channel, post.innovation_id, post.kind)].append(post)
    return [
        (first, second)
        for group in by_key.values()
        for first, second in itertools.combinations(group, 2)
        if first.campaign != second.campaign and abs((_day(first) - _day(second)).days) < max(gap, 1)
    ]


# ---- 2. not the same post twice on one channel ---------------------------------------------------

TWO_CAMPAIGNS = {
    "kenali": campaign(["fb", "x"], ["setiap hari 09.00"], min_gap_days=2),
    "sehat": campaign(["fb"], ["setiap hari 10.00"], min_gap_days=2),
}


def test_two_campaigns_never_post_the_same_innovation_and_kind_to_one_channel_within_the_gap(tmp_path: Path) -> None:
    config = project(
        tmp_path, ROWS, channels={"fb": file_channel("facebook"), "x": file_channel("x")}, campaigns=TWO_CAMPAIGNS
    )
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    planned = list(ws.planning.plan(ws.now(), 21).new)
    assert not _duplicates(planned, 2)
    assert {post.campaign for post in planned if post.channel == "fb"} == {"kenali", "sehat"}, "both still post"


def test_posts_already_in_the_store_count_against_a_campaign_added_later(tmp_path: Path) -> None:
    channels = {"fb": file_channel("facebook"), "x": file_channel("x")}
    config = project(tmp_path, ROWS, channels=channels, campaigns={"kenali": TWO_CAMPAIGNS["kenali"]})
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    ws.planning.apply_plan(14)
    ws.close()
    # "zz-sehat" sorts after "kenali", "a-sehat" before it: the store decides, not the name order.
    for name in ("a-sehat", "zz-sehat"):
        write_config(
            tmp_path, channels=channels, campaigns={"kenali": TWO_CAMPAIGNS["kenali"], name: TWO_CAMPAIGNS["sehat"]}
        )
        later = workspace(config, at(2026, 11, 30, 21, 0))
        stored = [
            PlannedPost(post.campaign, post.channel, post.innovation_id, post.kind, post.scheduled_at)
            for post in later.store.posts()
        ]
        assert not _duplicates(stored + list(later.planning.plan(later.now(), 14).new), 2), name
        later.close()


def test_a_repeat_planned_before_the_fix_is_withdrawn_and_its_slot_refilled(tmp_path: Path) -> None:
    channels = {"fb": file_channel("facebook"), "x": file_channel("x")}
    config = project(tmp_path, ROWS, channels=channels, campaigns={"kenali": TWO_CAMPAIGNS["kenali"]})
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    ws.planning.apply_plan(3)
    ws.close()
    write_config(tmp_path, channels=channels, campaigns=TWO_CAMPAIGNS)
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    first = min(ws.store.posts(), key=lambda post: post.scheduled_at)
    # What an earlier version planned: "sehat" gives fb the very same post an hour later.
    repeat = PlannedPost("sehat", "fb", first.innovation_id, first.kind, at(2026, 12, 1, 10, 0))
    ws.store.apply_plan([ws.planning._row(repeat, ws.planning.entry(first.innovation_id))], [], ws.now())
    _inserted, _refreshed, cancelled = ws.planning.apply_plan(3)
    assert cancelled == 1
    withdrawn = [post for post in ws.store.posts() if post.state is PostState.CANCELLED]
    assert [post.key for post in withdrawn] == [repeat.key]
    assert "campaign 'kenali' already gives 'fb'" in (withdrawn[0].reason or "")
    planned = [post for post in ws.store.posts() if post.state is PostState.PLANNED]
    assert not _duplicates(
        [PlannedPost(p.campaign, p.channel, p.innovation_id, p.kind, p.scheduled_at) for p in planned], 2
    )
    refill = [post for post in planned if post.scheduled_at == repeat.when]
    assert len(refill) == 1 and refill[0].innovation_id != first.innovation_id, "the slot goes to another innovation"


def _cli(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", "2026-11-30T20:00+07:00", *args])


def test_check_and_preview_name_campaigns_that_share_channels_and_innovations(tmp_path: Path) -> None:
    config = project(
        tmp_path, ROWS, channels={"fb": file_channel("facebook"), "x": file_channel("x")}, campaigns=TWO_CAMPAIGNS
    )
    for args in (("check",), ("preview", "--days", "2")):
        output = _cli(config, *args).output
        lines = [line for line in output.splitlines() if "kenali" in line and "sehat" in line and "share" in line]
        assert len(lines) == 1, output
        assert "fb" in lines[0] and "3 innovations" in lines[0] and "apart" in lines[0], lines[0]


# ---- 4. say what will not happen -----------------------------------------------------------------


def _image_project(folder: Path) -> Path:
    (folder / "gambar").mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "data" / "sample.jpg", folder / "gambar" / "poster.jpg")
    rows = [
        innovation("ktp-sehari-jadi", gambar="gambar/poster.jpg", alt_gambar="Poster biru bertuliskan nama layanan."),
        innovation("bank-sampah", SOSIAL),
        innovation("antre-puskesmas", KESEHATAN),
    ]
    return project(
        folder,
        rows,
        channels={"ig": file_channel("instagram"), "fb": file_channel("facebook")},
        campaigns={
            "kenali": campaign(["ig", "fb"], ["setiap hari 09.00"], min_gap_days=0),
            "daftar": campaign(["fb"], ["setiap hari 12.00"], innovations=["ktp-sehari-jadi", "ktp-sehari-jad"]),
        },
    )


@pytest.mark.parametrize("args", [("check",), ("preview", "--days", "2"), ("plan", "--days", "2")])
def test_check_preview_and_plan_say_which_innovations_a_channel_skips_and_why(tmp_path: Path, args: tuple) -> None:
    result = _cli(_image_project(tmp_path), *args)
    assert result.exit_code == 0, result.output
    assert "ig: 2 innovations skipped, no gambar: antre-puskesmas, bank-sampah" in result.output
    assert not [line for line in result.output.splitlines() if line.startswith("fb:")], "fb skips nothing"
    assert "daftar: 1 listed innovations never planned, not approved or not in the catalogue: ktp-sehari-jad" in (
        result.output
    )


# ---- 11. the series: cycling, once, or with a rest ------------------------------------------------


def _series_project(folder: Path, **settings: object) -> Path:
    return project(
        folder,
        ROWS[:2],
        channels={"fb": file_channel("facebook")},
        campaigns={"kenali": campaign(["fb"], ["setiap hari 09.00"], min_gap_days=1, **settings)},
    )


def _kinds(config: Path, days: int = 40) -> dict[str, list[PlannedPost]]:
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    per_innovation: dict[str, list[PlannedPost]] = defaultdict(list)
    for post in sorted(ws.planning.plan(ws.now(), days).new, key=lambda post: post.when):
        per_innovation[post.innovation_id].append(post)
    return per_innovation


def test_the_series_cycles_by_default(tmp_path: Path) -> None:
    posts = _kinds(_series_project(tmp_path))
    assert [post.kind for post in posts["bank-sampah"]].count("perkenalan") == 5


def test_repeat_false_gives_each_innovation_the_series_once(tmp_path: Path) -> None:
    posts = _kinds(_series_project(tmp_path, repeat=False))
    for identifier in ("bank-sampah", "ktp-sehari-jadi"):
        assert [post.kind for post in posts[identifier]] == ["perkenalan", "cara_pakai", "manfaat", "pengingat"]


def test_repeat_false_counts_the_posts_already_in_the_store(tmp_path: Path) -> None:
    config = _series_project(tmp_path, repeat=False)
    ws = workspace(config, at(2026, 11, 30, 20, 0))
    ws.planning.apply_plan(20)
    ws.close()
    later = workspace(config, at(2026, 12, 25, 20, 0))
    assert later.planning.plan(later.now(), 20).new == ()


def test_rest_days_pause_before_the_series_starts_over(tmp_path: Path) -> None:
    posts = _kinds(_series_project(tmp_path, rest_days=10), days=60)
    for identifier, sequence in posts.items():
        kinds = [post.kind for post in sequence]
        assert kinds[:5] == ["perkenalan", "cara_pakai", "manfaat", "pengingat", "perkenalan"], identifier
        for earlier, later in itertools.pairwise(sequence):
            gap = (_day(later) - _day(earlier)).days
            assert gap >= (10 if later.kind == "perkenalan" else 1), (identifier, earlier, later)


@pytest.mark.parametrize(
    "settings,expected",
    [
        ({"repeat": "ya"}, ["campaigns.kenali.repeat", "repeat = false"]),
        ({"rest_days": -3}, ["campaigns.kenali.rest_days", "rest_days = 14"]),
        ({"repeat": False, "rest_days": 7}, ["campaigns.kenali.rest_days", "repeat = false", "remove"]),
    ],
)
def test_bad_repeat_or_rest_days_is_one_clear_error(tmp_path: Path, settings: dict, expected: list[str]) -> None:
    config = _series_project(tmp_path, **settings)
    with pytest.raises(ConfigError) as raised:
        load(config)
    message = str(raised.value)
    key = expected[0].rsplit(".", 1)[1]
    line = next(n for n, text in enumerate(config.read_text().splitlines(), start=1) if text.startswith(key))
    assert message.startswith(f"{config}:{line}: "), message
    for part in expected:
        assert part in message, message


def test_preview_says_how_the_series_goes(tmp_path: Path) -> None:
    cycling = _cli(_series_project(tmp_path / "a"), "preview", "--days", "2").output
    assert "kenali: the series perkenalan → cara_pakai → manfaat → pengingat starts over" in cycling
    assert "repeat = false" in cycling
    once = _cli(_series_project(tmp_path / "b", repeat=False), "preview", "--days", "2").output
    assert "kenali: each innovation gets the series perkenalan → cara_pakai → manfaat → pengingat once" in once


def test_check_says_when_a_campaign_selects_no_approved_innovation(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        ROWS,
        channels={"fb": file_channel("facebook")},
        campaigns={
            "kenali": campaign(["fb"]),
            "pendidikan": campaign(["fb"], opd=["Dinas Pendidikan"]),
        },
    )
    output = _cli(config, "check").output
    assert "pendidikan: no approved innovation matches its innovations/opd/tagar, so it posts nothing" in output
    assert "kenali: no approved" not in output
