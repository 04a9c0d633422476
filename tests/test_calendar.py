"""`outreach calendar`: a month of posts as the office reads it (HTML) and as calendar programs import it (ICS)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.calendar_view import Month, month_for, parse_month
from outreach.cli import cli
from outreach.model import PostState
from tests.engine_helpers import at, campaign, file_channel, innovation, project, settle_as, workspace

NOW = "2026-12-10T08:00+07:00"
SCRIPT_NAME = "<script>alert(1)</script> Layanan"


@pytest.fixture
def office(tmp_path: Path) -> Path:
    """Two agencies, X and Facebook, weekday slots at 09.00 planned two weeks ahead from Thursday 10 December 2026."""
    rows = [
        innovation("ktp-sehari-jadi", nama="KTP Sehari Jadi"),
        innovation("posyandu-keliling", "Dinas Kesehatan", nama="Posyandu Keliling"),
        innovation("layanan-aneh", "Dinas Komunikasi dan Informatika", nama=SCRIPT_NAME),
    ]
    blackout = {"start": "2026-12-15", "end": "2026-12-16", "reason": "Masa tenang pilkada"}
    config = project(
        tmp_path / "kantor",
        rows,
        channels={"x": file_channel("x"), "facebook": file_channel("facebook")},
        campaigns={
            "kenali": campaign(
                ["x", "facebook"],
                ["senin-jumat 09.00"],
                start="2026-12-01",
                holidays="skip",
                blackouts=[blackout],
            )
        },
    )
    assert run(config, "plan", "--days", "14").exit_code == 0
    return config


def run(config: Path, *args: str, now: str = NOW) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args], catch_exceptions=False)


def month(config: Path, first: date = date(2026, 12, 1)) -> Month:
    ws = workspace(config, at(2026, 12, 10, 8))
    try:
        return month_for(ws, first)
    finally:
        ws.close()


def test_the_grid_is_weeks_from_monday_with_each_days_slots(office: Path) -> None:
    view = month(office)
    assert all(len(week) == 7 for week in view.weeks)
    assert [day.date.weekday() for day in view.weeks[0]] == list(range(7))
    assert view.weeks[0][0].date == date(2026, 11, 30) and not view.weeks[0][0].in_month
    assert view.weeks[-1][-1].date == date(2027, 1, 3)
    days = {day.date.day: day for day in view.days}
    assert len(days) == 31 and [day.date.day for day in view.days if day.today] == [10]
    friday = days[11]
    assert [slot.when.strftime("%H:%M") for slot in friday.slots] == ["09:00"]
    slot = friday.slots[0]
    assert slot.innovations[0] in {"KTP Sehari Jadi", "Posyandu Keliling", SCRIPT_NAME}
    assert slot.agencies and slot.campaign == "kenali"
    assert [(mark.channel, mark.short, mark.state) for mark in slot.marks] == [
        ("facebook", "FB", PostState.PLANNED),
        ("x", "X", PostState.PLANNED),
    ]
    assert not days[12].slots and not days[13].slots  # the weekend has no slot
    assert [slot.when.day for slot in days[10].slots] == [10]  # today's 09.00 is still ahead


def test_holidays_cuti_bersama_and_blackouts_are_named_and_have_no_posts(office: Path) -> None:
    days = {day.date.day: day for day in month(office).days}
    assert [(note.kind, note.name) for note in days[15].notes] == [("blackout", "Masa tenang pilkada")]
    assert [(note.kind, note.name) for note in days[24].notes] == [("cuti_bersama", "Cuti Bersama Hari Raya Natal")]
    assert [(note.kind, note.name) for note in days[25].notes] == [("holiday", "Hari Raya Natal")]
    assert days[15].slots == days[16].slots == days[24].slots == ()
    assert days[14].slots and days[17].slots


def test_days_beyond_the_planned_horizon_are_said_to_be_not_planned_yet(office: Path) -> None:
    view = month(office)
    assert view.planned_until == date(2026, 12, 23)  # the last post planned: 14 days ahead ends on the 24th, cuti
    assert [day.date.day for day in view.days if day.beyond_horizon] == list(range(24, 32))
    page = _html(office)
    assert "Posts are planned up to Wednesday, 23 December 2026" in page
    assert page.count('class="cal-later"') == 6  # the 24th and the 25th say why instead


def test_a_month_planned_to_its_end_and_a_month_never_planned(office: Path) -> None:
    assert month(office, date(2026, 11, 1)).planned_until is None  # December has posts: November is complete
    january = month(office, date(2027, 1, 1))
    assert january.planned_until == date(2026, 12, 23)
    assert all(day.beyond_horizon and not day.slots for day in january.days)


def test_states_show_and_a_cancelled_slot_is_struck_while_a_replaced_post_is_left_out(office: Path) -> None:
    ws = workspace(office, at(2026, 12, 10, 8))
    try:
        friday = {post.channel: post for post in ws.store.posts() if post.scheduled_at == at(2026, 12, 11, 9)}
        first, second = friday["facebook"], friday["x"]
        url = "https://www.facebook.com/100/posts/1"
        settle_as(
            ws.store, first.id, PostState.PUBLISHED, at(2026, 12, 11, 9), "published", remote_id="1", remote_url=url
        )
        settle_as(ws.store, second.id, PostState.FAILED, at(2026, 12, 11, 9), "the platform refused the token")
        thursday = [post for post in ws.store.posts() if post.scheduled_at == at(2026, 12, 10, 9)]
        settle_as(
            ws.store,
            thursday[0].id,
            PostState.PUBLISHED,
            at(2026, 12, 10, 9),
            "published",
            remote_id="2",
            remote_url="javascript:alert(1)",
        )
        for post in ws.store.posts():
            if post.scheduled_at != at(2026, 12, 14, 9):
                continue
            ws.operations.cancel(post.id, "Acara ditunda", "rina")
    finally:
        ws.close()
    days = {day.date.day: day for day in month(office).days}
    friday = days[11].slots[0]
    assert {mark.state for mark in friday.marks} == {PostState.PUBLISHED, PostState.FAILED}
    failed = next(mark for mark in friday.marks if mark.state is PostState.FAILED)
    assert failed.why == "the platform refused the token" and failed.symbol == "✗"
    published = next(mark for mark in friday.marks if mark.state is PostState.PUBLISHED)
    assert published.url == "https://www.facebook.com/100/posts/1"
    assert [mark.url for mark in days[10].slots[0].marks if mark.state is PostState.PUBLISHED] == [None]
    assert days[14].slots[0].cancelled
    page = _html(office)
    assert re.search(r'class="cal-slot cancelled">\s*<div class="cal-time">09:00 WIB · cancelled', page)
    assert "javascript:" not in page
    assert f'<a class="cal-mark st-published" href="{url}" title="facebook: published">✓ FB</a>' in page
    ics = next(e for e in _events(_ics(office)).values() if e.decoded("dtstart") == at(2026, 12, 11, 9))
    assert f"facebook (FB): ✓ published\n{url}\n" in str(ics["description"])


def test_html_is_one_page_in_indonesian_that_escapes_the_catalogues_text(office: Path, tmp_path: Path) -> None:
    target = tmp_path / "kalender.html"
    result = run(office, "--language", "id", "calendar", "--month", "2026-12", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert f"Kalender ditulis ke {target}" in result.output
    page = target.read_text(encoding="utf-8")
    for name in ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu", "Desember 2026", "hari ini"):
        assert name in page
    assert "Hari Raya Natal" in page and "Masa tenang pilkada" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Layanan" in page
    assert "http://" not in page and "https://" not in page  # nothing to load from anywhere


def test_the_default_file_is_named_after_the_month_in_the_current_folder(
    office: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(office, "calendar")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "kalender-2026-12.html").is_file()
    assert str(tmp_path / "kalender-2026-12.html") in result.output


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "Desember", "12-2026", "1999-12"])
def test_a_month_that_is_not_one_is_one_clear_line(office: Path, text: str) -> None:
    result = run(office, "calendar", "--month", text)
    assert result.exit_code == 2
    assert f"'--month': '{text}' is not a month; write the year and the month, e.g. 2026-12" in result.output
    assert "Traceback" not in result.output


def test_parse_month_reads_a_single_digit_month() -> None:
    assert parse_month(" 2027-1 ") == date(2027, 1, 1)


def test_an_unwritable_output_is_one_clear_line(office: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--config", str(office), "--now", NOW, "calendar", "--output", str(tmp_path / "no" / "k.html")]
    )
    assert result.exit_code == 1
    assert "cannot write" in result.output and "choose another place with --output" in result.output


# ---- ICS ---------------------------------------------------------------------------------------


def _ics(config: Path, now: str = NOW) -> object:
    from icalendar import Calendar

    result = run(config, "calendar", "--month", "2026-12", "--format", "ics", "--output", "-", now=now)
    assert result.exit_code == 0, result.output
    return Calendar.from_ical(result.stdout_bytes)


def _events(calendar: object) -> dict[str, object]:
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_ics_has_one_event_per_slot_with_every_channels_post_and_the_days_all_day(office: Path) -> None:
    calendar = _ics(office)
    assert str(calendar["version"]) == "2.0" and calendar["prodid"]
    assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["Asia/Jakarta"]
    events = _events(calendar)
    slots = [event for event in events.values() if "Campaign: kenali" in str(event.get("description", ""))]
    days = [event for event in events.values() if event not in slots]
    assert len(slots) == 8  # 10, 11, 14, 17, 18, 21, 22 and 23 December
    for event in events.values():
        for required in ("uid", "dtstamp", "dtstart", "summary"):
            assert required in event, (required, event)
    friday = next(event for event in slots if event.decoded("dtstart") == at(2026, 12, 11, 9))
    assert str(friday.decoded("dtstart").tzinfo) == "Asia/Jakarta"
    description = str(friday["description"])
    assert "facebook (FB): ○ planned" in description and "x (X): ○ planned" in description
    assert "Bandar Lampung" in description  # the posts' exact text
    names = {str(event["summary"]) for event in days}
    assert {"Hari Raya Natal (public holiday)", "Masa tenang pilkada (no posts)"} <= names
    assert all(str(event["transp"]) == "TRANSPARENT" for event in days)
    assert all(not hasattr(event.decoded("dtstart"), "hour") for event in days)  # all day


def test_ics_uids_stay_while_a_replan_and_an_edit_change_the_content(office: Path, tmp_path: Path) -> None:
    before = _events(_ics(office))
    ws = workspace(office, at(2026, 12, 10, 8))
    try:
        monday = [post for post in ws.store.posts() if post.scheduled_at == at(2026, 12, 14, 9)]
    finally:
        ws.close()
    text = tmp_path / "teks.txt"
    text.write_text("Kantor tutup hari ini. Layanan KTP buka lagi besok pukul 08.00 WIB.", encoding="utf-8")
    edit = ("post", "edit", str(monday[0].id), "--text-file", str(text), "--reason", "Jadwal berubah")
    edited = run(office, *edit, now="2026-12-10T13:00+07:00")
    assert edited.exit_code == 0, edited.output
    # A later re-plan: the same slots, from a later moment, with the same store.
    assert run(office, "plan", "--days", "14", now="2026-12-11T08:00+07:00").exit_code == 0
    after = _events(_ics(office, now="2026-12-11T08:00+07:00"))
    assert set(before) == set(after)  # nothing re-created under a new identity (the 24th is cuti bersama)
    changed = next(uid for uid, event in after.items() if event.decoded("dtstart") == at(2026, 12, 14, 9))
    assert "Kantor tutup hari ini" in str(after[changed]["description"])
    assert "Kantor tutup hari ini" not in str(before[changed]["description"])
    assert int(after[changed]["sequence"]) > int(before[changed]["sequence"])
    assert after[changed].decoded("last-modified") > before[changed].decoded("last-modified")
    same = next(uid for uid, event in after.items() if event.decoded("dtstart") == at(2026, 12, 17, 9))
    assert int(after[same]["sequence"]) == int(before[same]["sequence"])


def test_ics_marks_a_slot_whose_posts_were_all_cancelled_as_cancelled(office: Path) -> None:
    ws = workspace(office, at(2026, 12, 10, 8))
    try:
        for post in ws.store.posts():
            if post.scheduled_at == at(2026, 12, 14, 9):
                ws.operations.cancel(post.id, "Acara ditunda", "rina")
    finally:
        ws.close()
    monday = next(event for event in _events(_ics(office)).values() if event.decoded("dtstart") == at(2026, 12, 14, 9))
    assert str(monday["status"]) == "CANCELLED"
    assert str(monday["summary"]).startswith("Cancelled: ")
    assert "Acara ditunda" in str(monday["description"])


def _html(config: Path) -> str:
    result = run(config, "calendar", "--month", "2026-12", "--output", "-")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_an_announcement_is_a_slot_of_its_own(office: Path, tmp_path: Path) -> None:
    text = tmp_path / "pengumuman.txt"
    text.write_text("Banjir di Jalan Teuku Umar. Hindari jalan ini sampai pukul 15.00 WIB.", encoding="utf-8")
    added = run(office, "post", "add", "--channel", "x", "--at", "2026-12-17T12:00", "--text-file", str(text))
    assert added.exit_code == 0, added.output
    thursday = {day.date.day: day for day in month(office).days}[17]
    assert [(slot.when.hour, slot.innovations) for slot in thursday.slots] == [
        (9, thursday.slots[0].innovations),
        (12, ("Announcement",)),
    ]
    assert [mark.channel for mark in thursday.slots[1].marks] == ["x"]


def test_a_blackout_of_one_campaign_names_it_since_the_other_still_posts(tmp_path: Path) -> None:
    quiet = {"start": "2026-12-15", "end": "2026-12-15", "reason": "Rapat paripurna"}
    config = project(
        tmp_path / "dua",
        [innovation("ktp-sehari-jadi", nama="KTP Sehari Jadi")],
        channels={"x": file_channel("x"), "facebook": file_channel("facebook")},
        campaigns={
            "kenali": campaign(["x"], ["setiap hari 09.00"], blackouts=[quiet], min_gap_days=0),
            "pengingat": campaign(["facebook"], ["setiap hari 15.00"], min_gap_days=0),
        },
    )
    assert run(config, "plan", "--days", "7").exit_code == 0
    tuesday = {day.date.day: day for day in month(config).days}[15]
    assert [(note.kind, note.name) for note in tuesday.notes] == [("blackout", "Rapat paripurna (kenali)")]
    assert [slot.campaign for slot in tuesday.slots] == ["pengingat"]


def test_one_cancelled_channel_shows_struck_and_a_replaced_post_is_left_out(office: Path) -> None:
    ws = workspace(office, at(2026, 12, 10, 8))
    try:
        thursday = [post for post in ws.store.posts() if post.scheduled_at == at(2026, 12, 17, 9)]
        ws.operations.cancel(next(post.id for post in thursday if post.channel == "x"), "Akun X diperbaiki", "rina")
    finally:
        ws.close()
    marks = {day.date.day: day for day in month(office).days}[17].slots[0].marks
    assert [(mark.channel, mark.state, mark.symbol) for mark in marks] == [
        ("facebook", PostState.PLANNED, "○"),
        ("x", PostState.CANCELLED, "⊘"),
    ]
    assert marks[1].why == "cancelled by an operator: Akun X diperbaiki"
    # Retiring an innovation withdraws its planned posts; the planner fills what slots it can with another.
    assert run(office, "catalogue", "retire", "posyandu-keliling").exit_code == 0
    assert run(office, "plan", "--days", "14").exit_code == 0
    ws = workspace(office, at(2026, 12, 10, 8))
    try:
        withdrawn = {post.scheduled_at for post in ws.store.posts([PostState.CANCELLED])} - {at(2026, 12, 17, 9)}
    finally:
        ws.close()
    slots = [slot for day in month(office).days for slot in day.slots if slot.when in withdrawn]
    replaced = [slot for slot in slots if not any(mark.state is PostState.CANCELLED for mark in slot.marks)]
    emptied = [slot for slot in slots if slot.cancelled]
    assert replaced and emptied and len(replaced) + len(emptied) == len(slots) == len(withdrawn)
    assert all(len(slot.innovations) == 1 and len(slot.marks) == 2 for slot in slots)
