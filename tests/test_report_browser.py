"""The evidence report as a person sees it in Chromium: on a phone, and on A4 on screen and in print."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import A4, PHONE, Browser
from tests.test_report import OFFICE, build_office, run


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("laporan")
    office = build_office(folder)
    target = folder / "laporan.html"
    result = run(office, "--language", "id", "report", "--from", "2026-12-01", "--output", str(target))
    assert result.exit_code == 0, result.output
    return target


@pytest.mark.parametrize(
    ("name", "viewport", "media"), [("phone", PHONE, "screen"), ("a4", A4, "screen"), ("a4-print", A4, "print")]
)
def test_the_report_reads_as_indonesian_evidence_with_charts_and_loads_nothing(
    browser: Browser, page_file: Path, name: str, viewport: dict[str, int], media: str
) -> None:
    opened = browser.open(page_file, viewport, media=media)
    text = opened.text()
    for expected in (
        "Bukti sosialisasi inovasi",
        OFFICE,
        "Periode",
        "Dinas Kependudukan dan Pencatatan Sipil",
        "KTP Sehari Jadi",
        "WIB",
        "Lampung Post",
        "Arsip Digital",  # approved, never published: a gap
        "UTM",
    ):
        assert expected in text, expected
    assert opened.page.locator("figure svg[role=img]").count() == 6  # three charts, posts above interactions
    assert opened.page.locator("svg").first.is_visible()
    assert (opened.console_errors, opened.outside_requests) == ([], [])
    if media == "print":  # each agency starts on a new A4 sheet
        breaks = opened.page.eval_on_selector_all(".agency", "all => all.map(e => getComputedStyle(e).breakBefore)")
        assert breaks and set(breaks) == {"page"}, breaks
    widest = opened.page.evaluate("document.documentElement.scrollWidth")
    assert widest <= viewport["width"], f"the page scrolls sideways: {widest}px"
    assert opened.screenshot(f"report-{name}").stat().st_size > 0
    if name == "a4":  # the first screen, as the README shows it (docs/images/report-a4.png)
        assert opened.screenshot("report-a4-first-screen", full_page=False).stat().st_size > 0
