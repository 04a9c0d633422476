"""Engagement readings and press coverage in a real SQLite store: a time series, never overwritten."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from outreach.errors import NotFound
from outreach.model import MetricReading
from outreach.store import MIGRATIONS, Store
from tests.engine_helpers import campaign, file_channel, innovation, project, workspace


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every store test here runs on SQLite and on PostgreSQL (``any_store``)."""
    return any_store


START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _planned(store: Store, count: int) -> list[int]:
    store.apply_plan(
        [
            {
                "key": f"k{number}",
                "campaign": "c",
                "channel": "mastodon",
                "innovation_id": "i",
                "kind": "perkenalan",
                "scheduled_at": START + timedelta(days=number),
                "text": "Halo",
            }
            for number in range(count)
        ],
        [],
        START,
    )
    return [post.id for post in store.posts()]


def test_every_reading_is_kept_and_the_latest_is_the_newest(store: Store) -> None:
    first, second = _planned(store, 2)
    store.add_readings(
        [
            MetricReading(first, START + timedelta(hours=2), {"likes": 3}),
            MetricReading(first, START + timedelta(hours=1), {"likes": 1, "reposts": 0}),
            MetricReading(second, START + timedelta(hours=1), {"replies": 4}),
        ]
    )
    store.add_readings([MetricReading(first, START + timedelta(hours=3), {"likes": 7, "reach": 120})])

    series = [(reading.read_at, reading.counts) for reading in store.readings(post_ids=[first])]
    assert series == [
        (START + timedelta(hours=1), {"likes": 1, "reposts": 0}),
        (START + timedelta(hours=2), {"likes": 3}),
        (START + timedelta(hours=3), {"likes": 7, "reach": 120}),
    ]
    latest = store.latest_readings()
    assert latest[first].counts == {"likes": 7, "reach": 120}
    assert latest[second].counts == {"replies": 4}
    assert store.last_read_at() == {first: START + timedelta(hours=3), second: START + timedelta(hours=1)}
    assert len(store.readings(read_from=START + timedelta(hours=2))) == 2


def test_a_figure_no_report_could_show_is_refused_and_nothing_is_kept(store: Store) -> None:
    (post_id,) = _planned(store, 1)
    with pytest.raises(ValueError, match="clicks"):
        store.add_readings([MetricReading(post_id, START, {"likes": 1}), MetricReading(post_id, START, {"clicks": 2})])
    assert store.readings() == []


def test_press_coverage_is_recorded_once_per_article(folder: Path) -> None:
    config = project(
        folder,
        [innovation("ktp-sehari")],
        channels={"berkas": file_channel("facebook", "outbox")},
        campaigns={"kenali": campaign(["berkas"])},
    )
    ws = workspace(config, START)
    assert [entry.innovation.id for entry in ws.planning.catalogue()] == ["ktp-sehari"]  # imported on first read
    store = ws.store
    url = "https://lampung.example.id/berita/ktp-sehari"
    added = store.add_press("ktp-sehari", url, "Lampung Post", date(2026, 11, 20), START, "rina")
    assert (added.outlet, added.published_on, added.added_by) == ("Lampung Post", date(2026, 11, 20), "rina")
    with pytest.raises(ValueError, match="already recorded"):
        store.add_press("ktp-sehari", url, "Lampung Post", date(2026, 11, 20), START, "rina")
    with pytest.raises(NotFound, match="catalogue list"):
        store.add_press("tidak-ada", url, "Tribun", date(2026, 11, 20), START, None)
    assert [item.url for item in store.press(published_from=date(2026, 11, 1), published_to=date(2026, 11, 20))] == [
        url
    ]
    assert store.press(published_from=date(2026, 11, 21)) == []


def test_migration_5_adds_the_tables_to_an_existing_store(tmp_path: Path) -> None:
    opened = Store(f"sqlite:///{tmp_path / 's.sqlite3'}", START)
    assert opened.schema_version() == max(version for version, _name, _migrate in MIGRATIONS) >= 5
    opened.close()
