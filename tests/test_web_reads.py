"""The web page's aggregate reads (``outreach/store/web_reads.py``) on SQLite and PostgreSQL: the counted
summary equals the assembled report, and the calendar's counts and batches equal the month read whole."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from outreach.app import Workspace
from outreach.calendar_view import month_bounds, month_for, slots_in_batches
from outreach.evidence import GAP_STATES, assemble, summarise
from outreach.model import MetricReading, PostState
from outreach.outbox import Operation
from outreach.store import web_reads
from tests.engine_helpers import advance, campaign, file_channel, project, workspace
from tests.web_helpers import DINKES, DUKCAPIL, NOW, ROWS


def published_office(folder: Path, store: str | None = None) -> Workspace:
    """Two days published, a reading, an article, a missed post: every count of the summary is non-zero."""
    channels = {"facebook": file_channel("facebook", "outbox"), "x": file_channel("x", "outbox")}
    extra = {"store": store} if store else {}
    config = project(folder, ROWS, channels=channels, campaigns={"kenali": campaign(list(channels))}, **extra)
    ws = workspace(config, NOW)
    ws.planning.apply_plan(7)
    for _day in range(2):
        advance(ws, hours=1, minutes=5)
        ws.publisher().publish_due()
        advance(ws, hours=22, minutes=55)
    store_ = ws.store
    out = store_.posts([PostState.PUBLISHED])
    store_.add_readings([MetricReading(out[0].id, ws.now(), {"likes": 3, "replies": 1})])
    store_.add_press(out[-1].innovation_id, "https://berita.example/b", "Kabar", date(2026, 12, 3), ws.now(), None)
    store_.transition(store_.posts([PostState.PLANNED])[0].id, Operation.MISS, ws.now(), "overdue")
    return ws


def test_the_counts_equal_what_is_read_whole(tmp_path: Path, monkeypatch) -> None:
    ws = published_office(tmp_path)
    store = ws.store
    start, end = date(2026, 12, 1), date(2026, 12, 31)
    for agency in (None, DINKES, DUKCAPIL):
        report = assemble(store, start=start, end=end, zone=ws.zone, now=ws.now(), platforms={}, agency=agency)
        summary = summarise(store, start=start, end=end, zone=ws.zone, agency=agency)
        assert [(a.name, a.posts, a.innovations, a.unpublished, a.gaps, a.press, a.figures) for a in summary.agencies] == [
            (a.name, len(a.posts), len(a.innovations), len(a.unpublished), len(a.gaps), len(a.press), a.figures)
            for a in report.agencies
        ]  # fmt: skip
    assert summarise(store, start=start, end=end, zone=ws.zone).figures.interactions == 4
    whole = month_for(ws, date(2026, 12, 1))
    first_only = month_for(ws, date(2026, 12, 1), per_day=1)
    counts = [(day.date, day.post_count) for day in whole.days]
    assert [(day.date, day.post_count) for day in first_only.days] == counts and sum(n for _d, n in counts) > 4
    assert all(day.more == day.post_count - sum(len(slot.marks) for slot in day.slots) for day in first_only.days)
    monkeypatch.setattr(web_reads, "BATCH", 1)
    batches = list(slots_in_batches(ws, *month_bounds(date(2026, 12, 1), ws.zone), None))
    assert [slot for batch in batches for slot in batch] == [slot for day in whole.days for slot in day.slots]
    assert len(batches) > 1
    only = list(slots_in_batches(ws, *month_bounds(date(2026, 12, 1), ws.zone), DINKES.upper()))
    assert {agency for batch in only for slot in batch for agency in slot.agencies} == {DINKES}
    ws.close()


def test_the_aggregate_reads_on_either_engine(store_url: str, tmp_path: Path, monkeypatch) -> None:
    """The store's reads alone (the pages around them also read names, see notes/web1.md) on SQLite and PostgreSQL."""
    ws = published_office(tmp_path, store_url)
    store = ws.store
    begin, end = month_bounds(date(2026, 12, 1), ws.zone)
    report = assemble(store, start=date(2026, 12, 1), end=date(2026, 12, 31), zone=ws.zone, now=ws.now(), platforms={})
    for agency in (None, DINKES):
        tallies = store.report_tallies(begin, end, (date(2026, 12, 1), date(2026, 12, 31)), GAP_STATES, agency)
        expected = [a for a in report.agencies if agency in (None, a.name)]
        assert [(t.name, t.posts, t.innovations, t.gaps, t.press) for t in tallies] == [
            (a.name, len(a.posts), len(a.innovations), len(a.gaps), len(a.press)) for a in expected
        ]
    assert (
        sum(sum(t.counts.values()) for t in store.report_tallies(begin, end, (begin.date(), end.date()), (), None)) == 4
    )
    [read] = store.readings()  # the collection runs again within the same moment: one reading, the last written
    store.add_readings([MetricReading(read.post_id, read.read_at, {"likes": 5, "replies": 1})])
    assert (
        sum(sum(t.counts.values()) for t in store.report_tallies(begin, end, (begin.date(), end.date()), (), None)) == 6
    )
    assert store.latest_readings()[read.post_id].counts == {"likes": 5, "replies": 1}
    every = store.posts(None, begin, end)
    assert len(every) > 4
    monkeypatch.setattr(web_reads, "BATCH", 1)
    batched = [post.id for batch in store.posts_in_batches(begin, end) for post, _changed in batch]
    assert batched == [post.id for post in every]
    ws.close()


def test_the_calendars_day_cells_equal_the_month_read_whole(store_url: str, tmp_path: Path) -> None:
    """Each day's number of posts and its first slots, read per day (the office) or in one pass (an agency),
    equal what the month's posts give when read whole, on either engine: a post at midnight opens its day."""
    from collections import Counter
    from datetime import datetime, time, timedelta
    from itertools import pairwise

    from outreach.outbox import ANNOUNCEMENT_ID

    ws = published_office(tmp_path, store_url)
    store = ws.store
    channel = next(iter(ws.config.channels))
    moments = [(12, 0, 0), (12, 23, 59), (13, 0, 0), (12, 10, 0), (12, 10, 0), (12, 11, 30), (31, 23, 0)]
    for number, (day, hour, minute) in enumerate(moments):
        moment = datetime(2026, 12, day, hour, minute, tzinfo=ws.zone)
        ws.operations.announce(channel, moment, f"Pengumuman nomor {number}", None, "editor", "web")
    days = [date(2026, 12, 1) + timedelta(days=offset) for offset in range(31)]
    bounds = [datetime.combine(day, time(0), tzinfo=ws.zone) for day in days]
    bounds.append(datetime.combine(date(2027, 1, 1), time(0), tzinfo=ws.zone))
    agency_of = {entry.innovation.id: entry.innovation.opd.lower() for entry in store.catalogue()}
    every = store.posts(None, bounds[0], bounds[-1])
    views = 0
    for agency in (None, DINKES, DUKCAPIL.upper()):
        shown = [
            post
            for post in every
            if agency is None
            or post.innovation_id == ANNOUNCEMENT_ID
            or agency_of[post.innovation_id] == agency.lower()
        ]
        per_day = Counter(post.scheduled_at.astimezone(ws.zone).date() for post in shown)
        slots = sorted({(post.scheduled_at, post.campaign) for post in shown})
        first = [
            slot for begin, end in pairwise(bounds) for slot in [slot for slot in slots if begin <= slot[0] < end][:2]
        ]
        found = store.day_slots(bounds, 2, agency)
        assert found.posts == [per_day[day] for day in days], agency
        assert found.first_slots == first, agency
        assert [post.id for post in store.slot_posts(found.first_slots, agency)] == [
            post.id for post in sorted(shown, key=lambda post: (post.scheduled_at, post.id))
            if (post.scheduled_at, post.campaign) in set(first)
        ], agency  # fmt: skip
        views += bool(shown)
    assert views == 3 and found.posts[11] >= 5 and found.posts[12] >= 1  # the 12th: more slots than shown
    ws.close()


def test_the_summary_counts_each_innovations_posts_in_the_order_of_an_index(tmp_path: Path) -> None:
    """The report's summary counts a period's published posts per innovation from ``posts_published_innovation``
    (migration 12), in the innovations' order: sorting a year's ~85,000 posts by innovation took ~30 ms more."""
    from tests.web_helpers import sqlite_plans

    ws = published_office(tmp_path)
    begin, end = month_bounds(date(2026, 12, 1), ws.zone)
    plans = sqlite_plans(
        ws.store,
        lambda: ws.store.report_tallies(begin, end, (date(2026, 12, 1), date(2026, 12, 31)), GAP_STATES, None),
    )
    counting = [plan for sql, plan in plans if "published_at >=" in sql and "count(" in sql]
    assert len(counting) == 1 and "posts_published_innovation" in counting[0], plans
    assert "TEMP B-TREE" not in counting[0], counting
    ws.close()
