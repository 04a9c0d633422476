"""Timetables as an office writes them, and cron for power users, expanded to concrete times.

``senin-jumat 09.00, 15.30`` and ``sabtu 10.00`` are parsed into weekday sets and local times;
a five-field cron expression (``30 9 * * 1-5``) is expanded by a small evaluator here so that the
planner stays a pure function (APScheduler lives only in the daemon).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from .i18n import _

DAY_NAMES: dict[str, int] = {
    "senin": 0,
    "selasa": 1,
    "rabu": 2,
    "kamis": 3,
    "jumat": 4,
    "jum'at": 4,
    "sabtu": 5,
    "minggu": 6,
    "ahad": 6,
}
EVERY_DAY = ("setiap hari", "tiap hari", "harian")

_TIME = re.compile(r"^(\d{1,2})[.:](\d{2})$")


class TimetableError(ValueError):
    """A slot or cron expression that cannot be understood; the message says how to write it."""


@dataclass(frozen=True)
class WeeklySlots:
    """Local times on a set of weekdays (0 = Monday)."""

    weekdays: frozenset[int]
    times: tuple[time, ...]

    def times_on(self, day: date) -> list[time]:
        return list(self.times) if day.weekday() in self.weekdays else []


def _parse_time(text: str) -> time:
    match = _TIME.match(text.strip())
    if not match:
        raise TimetableError(_("'{text}' is not a time; write it like 09.00 or 15.30").format(text=text.strip()))
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise TimetableError(_("'{text}' is not a time of day (hours 00–23, minutes 00–59)").format(text=text.strip()))
    return time(hour, minute)


def _parse_days(text: str) -> frozenset[int]:
    text = text.strip().lower()
    if text in EVERY_DAY:
        return frozenset(range(7))
    days: set[int] = set()
    for part in re.split(r"\s*,\s*", text):
        first, dash, last = part.partition("-")
        try:
            start = DAY_NAMES[first.strip()]
            end = DAY_NAMES[last.strip()] if dash else start
        except KeyError as error:
            raise TimetableError(
                _("'{day}' is not a day; use senin, selasa, rabu, kamis, jumat, sabtu, minggu").format(
                    day=error.args[0]
                )
            ) from None
        day = start
        days.add(day)
        while day != end:
            day = (day + 1) % 7
            days.add(day)
    return frozenset(days)


def parse_slot(text: str) -> WeeklySlots:
    """Parse ``senin-jumat 09.00, 15.30`` (days, then one or more times)."""
    match = re.match(r"^\s*(.*?)\s+(\d{1,2}[.:]\d{2}(?:\s*,\s*\d{1,2}[.:]\d{2})*)\s*$", text)
    if not match:
        raise TimetableError(
            _("'{text}' is not a slot; write days then times, e.g. 'senin-jumat 09.00, 15.30' or 'sabtu 10.00'").format(
                text=text
            )
        )
    weekdays = _parse_days(match.group(1))
    times = tuple(sorted({_parse_time(part) for part in match.group(2).split(",")}))
    return WeeklySlots(weekdays, times)


_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _cron_field(index: int) -> str:
    """The name of a cron field, as a person reads it."""
    return (_("minute"), _("hour"), _("day of month"), _("month"), _("day of week"))[index]


_CRON_NAMES = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


@dataclass(frozen=True)
class Cron:
    """A five-field cron expression in local time (day of week 0 or 7 = Sunday)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # cron numbering: 0 = Sunday
    any_day: bool
    any_weekday: bool

    def times_on(self, day: date) -> list[time]:
        if day.month not in self.months:
            return []
        cron_weekday = (day.weekday() + 1) % 7
        day_ok = day.day in self.days
        weekday_ok = cron_weekday in self.weekdays
        # Vixie cron: when both day fields are restricted (neither starts with "*"), either may
        # match; otherwise both must (a plain "*" matches every day anyway).
        matches = day_ok and weekday_ok if self.any_day or self.any_weekday else day_ok or weekday_ok
        if not matches:
            return []
        return [time(hour, minute) for hour in sorted(self.hours) for minute in sorted(self.minutes)]


def _parse_cron_field(text: str, index: int) -> frozenset[int]:
    low, high = _CRON_RANGES[index]
    values: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) > 0):
            raise TimetableError(_("cron {field}: bad step in '{part}'").format(field=_cron_field(index), part=part))
        step = int(step_text) if slash else 1
        if base == "*":
            start, end = low, high
        else:
            first, dash, last = base.partition("-")
            try:
                start = int(_CRON_NAMES.get(first.lower(), first))
                end = int(_CRON_NAMES.get(last.lower(), last)) if dash else (high if slash else start)
            except ValueError:
                raise TimetableError(
                    _("cron {field}: '{part}' is not a number or range").format(field=_cron_field(index), part=part)
                ) from None
        if not (low <= start <= high and low <= end <= high and start <= end):
            raise TimetableError(
                _("cron {field}: '{part}' is outside {low}–{high}").format(
                    field=_cron_field(index), part=part, low=low, high=high
                )
            )
        values.update(range(start, end + 1, step))
    if index == 4 and 7 in values:  # both 0 and 7 mean Sunday
        values = (values - {7}) | {0}
    return frozenset(values)


def parse_cron(text: str) -> Cron:
    """Parse a five-field cron expression such as ``30 9 * * 1-5``."""
    fields = text.split()
    if len(fields) != 5:
        raise TimetableError(
            _("'{text}' is not a cron expression; it needs 5 fields, e.g. '30 9 * * 1-5'").format(text=text)
        )
    minutes, hours, days, months, weekdays = (_parse_cron_field(field, index) for index, field in enumerate(fields))
    # Vixie cron: a day field that starts with "*" (even "*/2") does not restrict on its own.
    return Cron(
        minutes, hours, days, months, weekdays, any_day=fields[2].startswith("*"), any_weekday=fields[4].startswith("*")
    )


Schedule = WeeklySlots | Cron


def slot_times(schedules: list[Schedule], start: date, end: date, zone: tzinfo) -> Iterator[datetime]:
    """Every slot from ``start`` to ``end`` inclusive as aware local datetimes, in order, without repeats."""
    day = start
    while day <= end:
        times = sorted({moment for schedule in schedules for moment in schedule.times_on(day)})
        for moment in times:
            yield datetime.combine(day, moment, tzinfo=zone)
        day += timedelta(days=1)
