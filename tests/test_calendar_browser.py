"""The calendar page in a real Chromium, as the office sees it on a phone, on a screen and on an A4 sheet."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from outreach.model import PostState
from tests.browser import A4, PHONE, Browser, OpenedPage
from tests.engine_helpers import at, settle_as, workspace
from tests.test_calendar import SCRIPT_NAME, office, run

__all__ = ["office"]  # the fixture, shared with the calendar's other tests

WIDE = {"width": 1280, "height": 900}
#: An A4 sheet on its side at 96 dpi, less the page's margins.
LANDSCAPE = {"width": 1070, "height": 750}
REPO = Path(__file__).parent.parent


@pytest.fixture
def page_file(office: Path, tmp_path: Path) -> Path:
    """December 2026 in Indonesian, seen on Monday 14 December: Friday's posts went out, one of them failed."""
    ws = workspace(office, at(2026, 12, 10, 8))
    try:
        for post in ws.store.posts():
            if post.scheduled_at == at(2026, 12, 10, 9):
                settle_as(ws.store, post.id, PostState.PUBLISHED, at(2026, 12, 10, 9), "published", remote_id="1")
            if post.scheduled_at == at(2026, 12, 11, 9):
                if post.channel == "x":
                    settle_as(ws.store, post.id, PostState.FAILED, at(2026, 12, 11, 9), "the platform refused")
                else:
                    settle_as(ws.store, post.id, PostState.PUBLISHED, at(2026, 12, 11, 9), "published", remote_id="2")
    finally:
        ws.close()
    target = tmp_path / "kalender.html"
    result = run(office, "--language", "id", "calendar", "--output", str(target), now="2026-12-14T07:00+07:00")
    assert result.exit_code == 0, result.output
    return target


def _names(office: Path) -> list[str]:
    ws = workspace(office, at(2026, 12, 10, 8))
    try:
        return sorted({entry.innovation.nama for entry in ws.planning.catalogue()})
    finally:
        ws.close()


def test_on_a_wide_screen_the_month_is_a_grid_with_indonesian_day_names(browser: Browser, page_file: Path) -> None:
    opened = browser.open(page_file, WIDE)
    text = opened.text()
    for name in ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"):
        assert name in text
    assert "Kalender unggahan: Desember 2026" in text
    assert "hari ini" in text and "09.00 WIB" in text
    assert "Hari Raya Natal" in text and "Cuti Bersama Hari Raya Natal" in text and "Masa tenang pilkada" in text
    assert "✓ FB" in text and "✗ X" in text and "○ X" in text
    assert "belum direncanakan" in text
    assert SCRIPT_NAME in text  # the markup in a name is shown as text, never run
    columns = opened.page.eval_on_selector(".cal-grid", "grid => getComputedStyle(grid).gridTemplateColumns")
    assert len(columns.split()) == 7
    today = opened.page.inner_text(".cal-day.today")
    assert today.startswith("14") and "hari ini" in today
    assert (opened.console_errors, opened.outside_requests) == ([], [])
    opened.screenshot("calendar-wide")


def test_on_a_phone_the_grid_becomes_a_list_of_the_days_with_something(
    browser: Browser, page_file: Path, office: Path
) -> None:
    opened = browser.open(page_file, PHONE)
    text = opened.text()
    assert "Senin, 14 Desember" in text and "Jumat, 11 Desember" in text
    assert "Jumat, 25 Desember" in text and "Hari Raya Natal" in text
    assert "Sabtu, 12 Desember" not in text  # an empty weekend day is left out of the list
    assert any(name in text for name in _names(office))
    width = opened.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "nothing wider than the phone: no sideways scrolling"
    assert opened.page.is_hidden(".cal-head")
    assert (opened.console_errors, opened.outside_requests) == ([], [])
    opened.screenshot("calendar-phone")


def test_printed_on_a4_the_month_keeps_its_grid(browser: Browser, page_file: Path) -> None:
    opened = browser.open(page_file, A4, media="print")
    text = opened.text()
    assert "Desember 2026" in text and "Hari Raya Natal" in text and "Senin" in text
    width = opened.page.evaluate("document.documentElement.scrollWidth")
    assert width <= A4["width"]
    assert (opened.console_errors, opened.outside_requests) == ([], [])
    opened.screenshot("calendar-a4-print")
    assert _sheets(opened, page_file.with_suffix(".pdf")) == 1


def test_a_busy_month_of_the_bundled_example_prints_on_one_a4_landscape_sheet(browser: Browser, tmp_path: Path) -> None:
    shutil.copytree(REPO / "config", tmp_path / "config")
    config = tmp_path / "config" / "outreach.toml"
    assert run(config, "plan", "--days", "14").exit_code == 0
    target = tmp_path / "kalender.html"
    assert run(config, "--language", "id", "calendar", "--output", str(target)).exit_code == 0
    opened = browser.open(target, LANDSCAPE, media="print")
    assert opened.text().count("09.00 WIB") >= 8  # two slots a weekday, five channels each
    opened.screenshot("calendar-example-a4-landscape-print")
    assert _sheets(opened, target.with_suffix(".pdf")) == 1


def _sheets(opened: OpenedPage, pdf: Path) -> int:
    """How many A4 landscape sheets the page prints on (every sheet must be one)."""
    opened.page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf.read_bytes())
    assert {(round(float(width)), round(float(height))) for width, height in boxes} == {(842, 595)}, "A4 landscape"
    return len(boxes)
