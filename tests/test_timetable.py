"""Timetables as an office writes them, and cron (outreach.timetable)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from outreach.timetable import TimetableError, parse_cron, parse_slot, slot_times

WIB = ZoneInfo("Asia/Jakarta")
# 2026-12-07 is a Monday; the week runs Monday 7th to Sunday 13th.
MONDAY = date(2026, 12, 7)
WEEK = [MONDAY + timedelta(days=offset) for offset in range(7)]
SENIN, SELASA, RABU, KAMIS, JUMAT, SABTU, MINGGU = WEEK


def test_the_calendar_assumption() -> None:
    assert [day.weekday() for day in WEEK] == list(range(7))


# ---- office slots ------------------------------------------------------------------------------


def test_weekday_range_with_two_times() -> None:
    slot = parse_slot("senin-jumat 09.00, 15.30")
    assert slot.weekdays == frozenset({0, 1, 2, 3, 4})
    assert slot.times == (time(9, 0), time(15, 30))
    for day in (SENIN, SELASA, RABU, KAMIS, JUMAT):
        assert slot.times_on(day) == [time(9, 0), time(15, 30)]
    assert slot.times_on(SABTU) == []
    assert slot.times_on(MINGGU) == []


def test_single_day() -> None:
    slot = parse_slot("sabtu 10.00")
    assert slot.weekdays == frozenset({5})
    assert slot.times_on(SABTU) == [time(10, 0)]
    assert all(slot.times_on(day) == [] for day in WEEK if day != SABTU)


@pytest.mark.parametrize("words", ["setiap hari", "tiap hari", "harian"])
def test_every_day(words: str) -> None:
    slot = parse_slot(f"{words} 07.30")
    assert slot.weekdays == frozenset(range(7))
    assert all(slot.times_on(day) == [time(7, 30)] for day in WEEK)


def test_wrap_around_range_goes_through_the_weekend() -> None:
    slot = parse_slot("jumat-senin 08.00")
    assert slot.weekdays == frozenset({4, 5, 6, 0})
    assert slot.times_on(JUMAT) == [time(8, 0)]
    assert slot.times_on(MINGGU) == [time(8, 0)]
    assert slot.times_on(SENIN) == [time(8, 0)]
    assert slot.times_on(SELASA) == []
    assert slot.times_on(KAMIS) == []


def test_times_are_sorted_and_deduplicated_and_colons_work() -> None:
    slot = parse_slot("rabu 15:30, 9.00, 09.00")
    assert slot.times == (time(9, 0), time(15, 30))


def test_day_list_and_case_and_alternative_names() -> None:
    slot = parse_slot("Senin, Rabu, Jum'at 09.00")
    assert slot.weekdays == frozenset({0, 2, 4})
    assert parse_slot("ahad 06.00").weekdays == frozenset({6})


@pytest.mark.parametrize("text", ["senin 25.00", "senin 24.00", "senin 09.75", "senin 09.60"])
def test_impossible_times_are_refused(text: str) -> None:
    with pytest.raises(TimetableError) as caught:
        parse_slot(text)
    assert text.split()[1] in str(caught.value)
    assert "not a time" in str(caught.value)


def test_edge_times_are_accepted() -> None:
    assert parse_slot("senin 00.00, 23.59").times == (time(0, 0), time(23, 59))


@pytest.mark.parametrize(
    ("text", "bad"), [("senen 09.00", "senen"), ("senin-jumad 09.00", "jumad"), ("monday 09.00", "monday")]
)
def test_unknown_day_names_are_named_in_the_error(text: str, bad: str) -> None:
    with pytest.raises(TimetableError) as caught:
        parse_slot(text)
    message = str(caught.value)
    assert f"'{bad}'" in message
    assert "senin" in message  # tells the user the valid names


@pytest.mark.parametrize("text", ["senin", "09.00", "senin jam sembilan", ""])
def test_a_slot_needs_days_and_times(text: str) -> None:
    with pytest.raises(TimetableError):
        parse_slot(text)


def test_timetable_error_is_a_value_error() -> None:
    # Pydantic validators turn ValueError into a validation error.
    assert issubclass(TimetableError, ValueError)


# ---- cron --------------------------------------------------------------------------------------


def test_cron_weekdays_half_past_nine() -> None:
    cron = parse_cron("30 9 * * 1-5")
    for day in (SENIN, SELASA, RABU, KAMIS, JUMAT):
        assert cron.times_on(day) == [time(9, 30)]
    assert cron.times_on(SABTU) == []
    assert cron.times_on(MINGGU) == []


def test_cron_hour_list_every_day() -> None:
    cron = parse_cron("0 8,16 * * *")
    assert all(cron.times_on(day) == [time(8, 0), time(16, 0)] for day in WEEK)


def test_cron_minute_step() -> None:
    cron = parse_cron("*/15 9 * * *")
    assert cron.times_on(RABU) == [time(9, 0), time(9, 15), time(9, 30), time(9, 45)]


def test_cron_range_with_step() -> None:
    assert parse_cron("0 8-16/4 * * *").times_on(RABU) == [time(8, 0), time(12, 0), time(16, 0)]


@pytest.mark.parametrize("sunday", ["0", "7", "sun", "SUN"])
def test_cron_sunday_as_0_or_7_or_name(sunday: str) -> None:
    cron = parse_cron(f"0 10 * * {sunday}")
    assert cron.times_on(MINGGU) == [time(10, 0)]
    assert all(cron.times_on(day) == [] for day in WEEK if day != MINGGU)


def test_cron_range_ending_in_7_includes_sunday() -> None:
    cron = parse_cron("0 10 * * 5-7")
    assert [day for day in WEEK if cron.times_on(day)] == [JUMAT, SABTU, MINGGU]


def test_cron_day_of_month_only() -> None:
    cron = parse_cron("0 9 1,15 * *")
    assert cron.times_on(date(2026, 12, 1)) == [time(9, 0)]
    assert cron.times_on(date(2026, 12, 15)) == [time(9, 0)]
    assert cron.times_on(date(2026, 12, 2)) == []


def test_cron_both_day_fields_restricted_means_either() -> None:
    cron = parse_cron("0 9 1 * 1")  # the 1st of the month OR any Monday
    assert cron.times_on(date(2026, 12, 1)) == [time(9, 0)]  # a Tuesday, the 1st
    assert cron.times_on(SENIN) == [time(9, 0)]  # Monday the 7th
    assert cron.times_on(date(2026, 12, 14)) == [time(9, 0)]  # Monday the 14th
    assert cron.times_on(date(2026, 12, 2)) == []  # Wednesday the 2nd


def test_cron_month_field() -> None:
    cron = parse_cron("0 9 * 12 *")
    assert cron.times_on(date(2026, 12, 3)) == [time(9, 0)]
    assert cron.times_on(date(2026, 11, 3)) == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("30 9 * *", "5 fields"),
        ("30 9 * * * *", "5 fields"),
        ("60 9 * * *", "minute"),
        ("0 24 * * *", "hour"),
        ("0 9 0 * *", "day of month"),
        ("0 9 * 13 *", "month"),
        ("0 9 * * 8", "day of week"),
        ("0 9 * * 5-1", "day of week"),
        ("*/0 9 * * *", "step"),
        ("x 9 * * *", "minute"),
    ],
)
def test_bad_cron_is_refused_with_the_field_named(text: str, needle: str) -> None:
    with pytest.raises(TimetableError) as caught:
        parse_cron(text)
    assert needle in str(caught.value)


# ---- slot_times --------------------------------------------------------------------------------


def test_slot_times_are_ordered_aware_and_inclusive() -> None:
    schedules = [parse_slot("senin-jumat 09.00, 15.30"), parse_slot("sabtu 10.00")]
    moments = list(slot_times(schedules, SENIN, MINGGU, WIB))
    expected = [
        datetime.combine(day, moment, tzinfo=WIB)
        for day in (SENIN, SELASA, RABU, KAMIS, JUMAT)
        for moment in (time(9, 0), time(15, 30))
    ] + [datetime.combine(SABTU, time(10, 0), tzinfo=WIB)]
    assert moments == expected
    assert all(moment.tzinfo is WIB for moment in moments)


def test_slot_times_merge_schedules_in_order_without_repeats() -> None:
    schedules = [
        parse_slot("senin-jumat 15.30, 09.00"),
        parse_cron("30 15 * * 1-5"),  # same as a slot above: once only
        parse_slot("setiap hari 07.30"),
        parse_cron("0 9 * * 1"),  # Monday 09.00 again
    ]
    moments = list(slot_times(schedules, SENIN, SELASA, WIB))
    assert [(moment.date(), moment.time()) for moment in moments] == [
        (SENIN, time(7, 30)),
        (SENIN, time(9, 0)),
        (SENIN, time(15, 30)),
        (SELASA, time(7, 30)),
        (SELASA, time(9, 0)),
        (SELASA, time(15, 30)),
    ]
    assert len(moments) == len(set(moments))
    assert moments == sorted(moments)


def test_slot_times_single_day_and_empty_range() -> None:
    schedules = [parse_slot("sabtu 10.00")]
    assert list(slot_times(schedules, SABTU, SABTU, WIB)) == [datetime.combine(SABTU, time(10, 0), tzinfo=WIB)]
    assert list(slot_times(schedules, MINGGU, SABTU, WIB)) == []
    assert list(slot_times([], SENIN, MINGGU, WIB)) == []


def test_slot_times_are_local_time_in_the_given_zone() -> None:
    moments = list(slot_times([parse_slot("senin 09.00")], SENIN, SENIN, WIB))
    assert moments[0].utcoffset() == timedelta(hours=7)
    assert moments[0].astimezone(ZoneInfo("UTC")).hour == 2


def test_a_starred_step_in_a_day_field_does_not_restrict_the_other_field() -> None:
    """Vixie cron: '0 9 */2 * 1' runs on Mondays that are also odd days, not on every odd day or Monday."""
    cron = parse_cron("0 9 */2 * 1")
    assert cron.times_on(date(2026, 12, 7)) == [time(9, 0)]  # Monday the 7th
    assert cron.times_on(date(2026, 12, 14)) == []  # Monday the 14th: an even day
    assert cron.times_on(date(2026, 12, 3)) == []  # odd, but a Thursday
