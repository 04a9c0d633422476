"""A month of posts as an iCalendar file that Google Calendar and Outlook import, and import again.

Each slot is one event whose UID comes from the campaign and the moment (``Slot.uid``): importing
a later export updates the event instead of adding a second one. SEQUENCE and LAST-MODIFIED grow
with the posts' last change, which Outlook needs to accept an update; a slot whose posts were all
cancelled is exported as a cancelled event, so the copy a program imported before is withdrawn.
Holidays, cuti bersama and blackouts are all-day events that do not block time (TRANSP:TRANSPARENT).
The icalendar library is imported here only, so ``outreach --help`` never loads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from .calendar_view import DayNote, Slot, day_notes, slots_in_batches
from .i18n import _

if TYPE_CHECKING:
    from icalendar import Calendar, Event

    from .app import Workspace

#: How long a slot's event lasts in a calendar program: a post is a moment, this makes it visible.
SLOT_MINUTES = 30
PRODUCT = "-//outreach//kalender unggahan//ID"


def slot_summary(slot: Slot) -> str:
    """``KTP Sehari Jadi — Dinas Kependudukan …``: what the office sees in its calendar at a glance."""
    summary = " · ".join(slot.innovations)
    if slot.agencies:
        summary += " — " + ", ".join(slot.agencies)
    return _("Cancelled: {summary}").format(summary=summary) if slot.cancelled else summary


def slot_description(slot: Slot) -> str:
    """Each channel's post: its state (and reason, when it did not go out), its address once out, its exact text."""
    parts = [_("Campaign: {campaign}").format(campaign=slot.campaign)]
    for mark in slot.marks:
        heading = f"{mark.channel} ({mark.short}): {mark.symbol} {mark.label}"
        if why := mark.why:
            heading += f" — {why}"
        if mark.url:
            heading += f"\n{mark.url}"
        parts.append(heading + "\n" + (mark.text or _("(no text)")))
    return "\n\n".join(parts)


def _day_events(day: date, notes: Iterable[DayNote], stamp: datetime) -> list[Event]:
    from icalendar import Event

    events = []
    for note in notes:
        event = Event()
        event.add("uid", note.uid(day))
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", f"{note.name} ({note.label})")
        event.add("transp", "TRANSPARENT")
        event.add("categories", [note.label])
        events.append(event)
    return events


def _calendar(name: str, description: str | None = None) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if description:
        calendar.add("x-wr-caldesc", description)
    return calendar


def feed_ics(
    name: str, description: str, zone: tzinfo, stamp: datetime, slots: Iterable[list[Slot]],
    notes: Iterable[tuple[date, tuple[DayNote, ...]]],
) -> Iterator[bytes]:  # fmt: skip
    """The events of a window's slots and days, written as they come: the calendar's head with the
    office's time zone, each batch of slots' events, the days' notes, the end. The server streams it, so a
    feed of many weeks never sits whole in memory."""
    from icalendar import Event

    head = _calendar(name, description)
    probe = _calendar(name)  # an event in the zone, for the library to write the zone's VTIMEZONE
    marker = Event()
    marker.add("dtstart", stamp.astimezone(zone))
    probe.add_component(marker)
    probe.add_missing_timezones()
    for timezone in probe.walk("VTIMEZONE"):
        head.add_component(timezone)
    opening = bytes(head.to_ical())
    closing = b"END:VCALENDAR\r\n"
    yield opening.removesuffix(closing)
    for batch in slots:
        yield b"".join(slot_lines(slot, stamp) for slot in batch)
    for day, notes_of_day in notes:
        yield b"".join(bytes(event.to_ical()) for event in _day_events(day, notes_of_day, stamp))
    yield closing


def window_feed(
    ws: Workspace, first: date, last: date, agency: str | None, name: str, description: str
) -> Iterator[bytes]:
    """``feed_ics`` of the posts scheduled from ``first`` to ``last`` (both included), in the office's zone;
    ``agency``: only its innovations' posts and the office's announcements."""
    zone = ws.zone
    begin = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    stamp = ws.now().astimezone(zone)
    return feed_ics(
        name, description, zone, stamp, slots_in_batches(ws, begin, end, agency), day_notes(ws, first, last)
    )


# ---- the feed's events, written directly ---------------------------------------------------------------
# The icalendar library takes ~3 ms an event (its line folding most of it); a feed of weeks holds thousands.
# ``slot_lines`` writes the very properties the library would (tests/test_web_calendar.py compares the two).


def _escaped(text: str) -> str:
    """A TEXT value as RFC 5545 writes it: backslash, semicolon and comma escaped, line breaks as ``\\n``."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _folded(line: str) -> bytes:
    """One content line folded at 75 octets (never inside a UTF-8 character), ending in CRLF."""
    raw = line.encode("utf-8")
    parts: list[bytes] = []
    width = 75
    while len(raw) > width:
        cut = width
        while raw[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: fold before its character
            cut -= 1
        parts.append(raw[:cut])
        raw = raw[cut:]
        width = 74  # a continuation line starts with a space
    parts.append(raw)
    return b"\r\n ".join(parts) + b"\r\n"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(moment: datetime) -> str:
    zone = moment.tzinfo
    return f";TZID={getattr(zone, 'key', str(zone))}:{moment.strftime('%Y%m%dT%H%M%S')}"


def slot_lines(slot: Slot, stamp: datetime) -> bytes:
    """A slot's VEVENT, as the library would write it, without building the library's objects."""
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{_escaped(slot_summary(slot))}",
        f"DTSTART{_local(slot.when)}",
        f"DTEND{_local(slot.when + timedelta(minutes=SLOT_MINUTES))}",
        f"DTSTAMP:{_utc(stamp)}",
        f"UID:{slot.uid}",
        f"SEQUENCE:{slot.sequence}",
        "CATEGORIES:" + ",".join(_escaped(agency) for agency in slot.agencies) if slot.agencies else "",
        f"DESCRIPTION:{_escaped(slot_description(slot))}",
        f"LAST-MODIFIED:{_utc(slot.changed_at)}" if slot.changed_at is not None else "",
        "STATUS:" + ("CANCELLED" if slot.cancelled else "CONFIRMED"),
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]
    return b"".join(_folded(line) for line in lines if line)
