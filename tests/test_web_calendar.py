"""Kalender over HTTP: the month grid of `outreach calendar`, the months around it, and its ICS file."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from icalendar import Calendar, Event

from outreach import i18n
from outreach.calendar_ics import SLOT_MINUTES, _calendar, _day_events, slot_description, slot_summary
from outreach.calendar_view import Month
from outreach.web import report_files
from tests.web_helpers import DINKES, Office, signed_in_client, sqlite_plans


def test_the_month_grid_shows_the_planned_posts_and_moves_between_months(office: Office) -> None:
    client = signed_in_client(office, "editor")
    page = client.get("/kalender?bulan=2026-12")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "December 2026" in text and 'class="cal-grid"' in text
    assert "Ktp Sehari Jadi" in text and "Posyandu Keliling" in text  # the office's calendar: every agency
    assert 'href="/kalender?bulan=2026-11"' in text and 'href="/kalender?bulan=2027-01"' in text
    assert 'href="/kalender.ics?bulan=2026-12"' in text
    assert 'href="/gaya/calendar_month.css"' in text and "<style" not in text  # no inline style (CSP)
    january = client.get("/kalender?bulan=2027-01").get_data(as_text=True)
    assert "January 2027" in january and 'href="/kalender?bulan=2026-12"' in january
    assert "Ktp Sehari Jadi" not in january  # the plan covers seven days of December
    this_month = client.get("/kalender").get_data(as_text=True)
    assert "December 2026" in this_month  # the office's clock is on 7 December 2026
    css = client.get("/gaya/calendar_month.css")
    assert css.status_code == 200 and css.mimetype == "text/css" and ".cal-grid" in css.get_data(as_text=True)


def test_a_month_written_wrongly_is_one_message(office: Office) -> None:
    client = signed_in_client(office, "editor")
    for wrong in ("2026-13", "desember", "1999-01"):
        answer = client.get(f"/kalender?bulan={wrong}")
        assert answer.status_code == 400, wrong
        assert "e.g. 2026-12" in answer.get_data(as_text=True)
    assert client.get("/kalender.ics?bulan=2026-13").status_code == 400


def test_the_month_downloads_as_an_ics_file_a_calendar_program_reads(office: Office) -> None:
    client = signed_in_client(office, "editor")
    answer = client.get("/kalender.ics?bulan=2026-12")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="kalender-2026-12.ics"'
    calendar = Calendar.from_ical(answer.data)
    events = list(calendar.walk("VEVENT"))
    summaries = " ".join(str(event["SUMMARY"]) for event in events)
    assert events and "Ktp Sehari Jadi" in summaries and "Posyandu Keliling" in summaries
    assert all(re.fullmatch(r"[0-9a-f]{32}@outreach", str(event["UID"])) for event in events)
    assert calendar.walk("VTIMEZONE")  # the office's zone travels with the file
    assert office.app.test_client().get("/kalender.ics?bulan=2026-12").status_code == 302  # signed in only


def test_an_agency_head_sees_only_their_agency_in_the_calendar_and_its_file(office: Office) -> None:
    client = signed_in_client(office, "kadis-dinkes")
    text = client.get("/kalender?bulan=2026-12").get_data(as_text=True)
    assert "Posyandu Keliling" in text and "Ktp Sehari Jadi" not in text
    calendar = Calendar.from_ical(client.get("/kalender.ics?bulan=2026-12").data)
    summaries = " ".join(str(event["SUMMARY"]) for event in calendar.walk("VEVENT"))
    assert "Posyandu Keliling" in summaries and "Ktp Sehari Jadi" not in summaries


def test_an_agencys_month_is_read_on_the_schedule_index(office: Office) -> None:
    """An agency head's calendar reads the month by time, its innovations' posts picked from a list: offered the
    list on ``posts_innovation``, SQLite would read every post of each innovation instead (~25 ms a day with
    100,000 posts), so the store compares the innovation as an expression no index serves."""
    from datetime import date, time

    ws = office.workspace
    bounds = [datetime.combine(date(2026, 12, day), time(0), tzinfo=ws.zone) for day in (1, 2, 3)]
    plans = sqlite_plans(ws.store, lambda: ws.store.day_slots(bounds, 4, DINKES))
    reading = [plan for sql, plan in plans if "FROM posts" in sql]
    assert len(reading) == 1 and "posts_scheduled" in reading[0] and "posts_innovation" not in reading[0], plans


def test_a_busy_day_shows_its_count_and_first_slots_and_links_to_the_rest(office: Office) -> None:
    """A day cell shows how many posts the day has and its first four slots; "+N more" leads to that day's queue."""
    from collections import Counter
    from datetime import date, datetime, time, timedelta

    ws = office.workspace
    channel = next(iter(ws.config.channels))
    for hour in range(10, 16):
        moment = datetime(2026, 12, 9, hour, tzinfo=ws.zone)
        ws.operations.announce(channel, moment, f"Pengumuman jam {hour}", None, "editor", "web")
    begin = datetime.combine(date(2026, 12, 9), time(0), tzinfo=ws.zone)
    day_posts = ws.store.posts(None, begin, begin + timedelta(days=1))
    slots = Counter((post.scheduled_at, post.campaign) for post in day_posts)
    assert len(slots) > 4
    shown = sum(count for _slot, count in sorted(slots.items())[:4])
    client = signed_in_client(office, "editor")
    text = client.get("/kalender?bulan=2026-12").get_data(as_text=True)
    cell = next(part for part in text.split('<div class="cal-day') if ">Wednesday, 9 December<" in part)
    assert f"{len(day_posts)} posts" in cell
    assert cell.count('<div class="cal-slot') == 4
    link = "/antrean?from=2026-12-09&amp;to=2026-12-09"
    assert f'href="{link}"' in cell and f">+{len(day_posts) - shown} more</a>" in cell
    queue = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f"{len(day_posts)} posts" in queue  # the queue of that day lists every one
    quiet = next(part for part in text.split('<div class="cal-day') if ">Thursday, 10 December<" in part)
    assert "cal-more" not in quiet  # a day with few slots shows them all


def test_the_feed_holds_a_bounded_window_streamed_and_says_which(office: Office) -> None:
    """Without a month, the feed runs from a week ago to the last planned day (at most a month ahead), is
    streamed, stays a valid iCalendar, and names its window; a post beyond it is in its own month's file."""
    from datetime import date, datetime

    ws = office.workspace
    channel = next(iter(ws.config.channels))
    ws.operations.announce(channel, datetime(2027, 3, 1, 9, tzinfo=ws.zone), "Jauh di depan", None, "editor", "web")
    client = signed_in_client(office, "editor")
    answer = client.get("/kalender.ics")
    assert answer.status_code == 200 and answer.is_streamed
    assert answer.headers["Content-Disposition"] == 'attachment; filename="kalender.ics"'
    calendar = Calendar.from_ical(answer.data)
    assert "30 November 2026" in str(calendar["X-WR-CALDESC"])  # a week before 7 December
    events = list(calendar.walk("VEVENT"))
    starts = [event.decoded("DTSTART") for event in events]
    days = [start.date() if isinstance(start, datetime) else start for start in starts]
    assert events and all(date(2026, 11, 30) <= day <= date(2026, 12, 31) for day in days)
    summaries = " ".join(str(event["SUMMARY"]) for event in events)
    assert "Ktp Sehari Jadi" in summaries and "Announcement" not in summaries
    assert calendar.walk("VTIMEZONE") and answer.data.endswith(b"END:VCALENDAR\r\n")
    march = Calendar.from_ical(client.get("/kalender.ics?bulan=2027-03").data)
    assert "Announcement" in [str(event["SUMMARY"]) for event in march.walk("VEVENT")]


def test_the_feed_read_in_small_batches_has_the_events_of_the_whole_month(office: Office, monkeypatch) -> None:
    """Batches never cut a slot in two: the streamed month, read three posts at a time and written without the
    icalendar library's objects, has the same events (every property) as ``outreach calendar --format ics``."""
    from datetime import date, datetime

    from outreach.calendar_ics import window_feed
    from outreach.calendar_view import month_for
    from outreach.store import web_reads

    monkeypatch.setattr(web_reads, "BATCH", 3)
    ws = office.workspace
    awkward = "Banjir; jalan Merdeka, Sudirman ditutup \\ hindari ☔ — " + "ñ€😀. " * 30 + "\nbaris kedua"
    channel = next(iter(ws.config.channels))
    ws.operations.announce(channel, datetime(2026, 12, 10, 14, tzinfo=ws.zone), awkward, None, "editor", "web")
    whole = Calendar.from_ical(_library_month(month_for(ws, date(2026, 12, 1)), ws.now()))
    # in this process, where the batches are 3 posts: the page's child process reads the store's own batches
    streamed = Calendar.from_ical(b"".join(window_feed(ws, date(2026, 12, 1), date(2026, 12, 31), None, "x", "y")))
    served = Calendar.from_ical(signed_in_client(office, "editor").get("/kalender.ics?bulan=2026-12").data)

    def events(calendar: Calendar) -> list[tuple[str, ...]]:
        found = []
        for event in calendar.walk("VEVENT"):
            values = [str(event.get(name)) for name in ("UID", "SEQUENCE", "DESCRIPTION", "SUMMARY", "STATUS")]
            values += [str(event.decoded(name, None)) for name in ("DTSTART", "DTEND", "LAST-MODIFIED")]
            categories = event.get("CATEGORIES")
            values.append(str(categories.cats if categories is not None else None))
            found.append(tuple(values))
        return sorted(found)

    assert len(events(whole)) > 3 and events(streamed) == events(whole) == events(served)


def test_the_feed_is_written_by_a_child_process_and_its_failure_is_a_clear_error_page_in_indonesian(
    office: Office, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The server starts ``outreach calendar-feed`` for each feed: a child that fails is the server's error (500)
    at once, in the reader's language, with the child's words in the server's log — not a hang, not half a file."""
    client = signed_in_client(office, "editor")
    monkeypatch.setattr(report_files, "_ENTRY", "import sys; sys.exit('the child could not read the store')")
    i18n.set_language("id")
    try:
        started = time.monotonic()
        failed = client.get("/kalender.ics?bulan=2026-12")
        assert time.monotonic() - started < 10
    finally:
        i18n.set_language("en")
    assert failed.status_code == 500 and failed.mimetype == "text/html"
    assert "Berkas kalender tidak dapat dibuat; catatan server menyebutkan sebabnya." in failed.get_data(as_text=True)
    assert "outreach calendar failed (1): the child could not read the store" in caplog.text
    monkeypatch.undo()
    assert client.get("/kalender.ics?bulan=2026-12").status_code == 200  # its slot was given back


def test_a_feed_beyond_the_two_being_made_is_told_to_come_back(office: Office) -> None:
    """Two feeds in the making take both slots: a third answers 503 with Retry-After at once, not waiting."""
    client = signed_in_client(office, "editor")
    for _slot in range(2):
        assert report_files.FEEDS_AT_ONCE.acquire(blocking=False)
    try:
        busy = client.get("/kalender.ics?bulan=2026-12")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == str(report_files.RETRY_AFTER_SECONDS)
        text = busy.get_data(as_text=True)
        assert "Calendar files are being made for others right now. Please try again in a minute." in text
        assert client.get("/laporan/unduh?dari=2026-12-01&sampai=2026-12-31&format=csv").status_code == 200
    finally:
        report_files.FEEDS_AT_ONCE.release()
        report_files.FEEDS_AT_ONCE.release()


def _library_month(month: Month, stamp: datetime) -> bytes:
    """The month's slots and days built with the icalendar library's objects: the reference that the feed's
    direct writer (``calendar_ics.slot_lines``, ~3 ms an event faster) is compared to."""
    calendar = _calendar("x")
    for day in month.days:
        for event in _day_events(day.date, day.notes, stamp):
            calendar.add_component(event)
        for slot in day.slots:
            event = Event()
            event.add("uid", slot.uid)
            event.add("dtstamp", stamp)
            event.add("dtstart", slot.when)
            event.add("dtend", slot.when + timedelta(minutes=SLOT_MINUTES))
            event.add("summary", slot_summary(slot))
            event.add("description", slot_description(slot))
            event.add("sequence", slot.sequence)
            if slot.changed_at is not None:
                event.add("last-modified", slot.changed_at)
            event.add("status", "CANCELLED" if slot.cancelled else "CONFIRMED")
            event.add("transp", "TRANSPARENT")
            if slot.agencies:
                event.add("categories", list(slot.agencies))
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
