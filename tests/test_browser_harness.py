"""The browser harness itself: it must see what a page asks of the network and what it logs as errors,
or the page tests built on it could not fail."""

from __future__ import annotations

from pathlib import Path

from tests.browser import PHONE, Browser


def test_the_harness_records_requests_leaving_the_file_and_console_errors(browser: Browser, tmp_path: Path) -> None:
    page_file = tmp_path / "leaky.html"
    page_file.write_text(
        '<!doctype html><html><body><p>Halo</p><img src="https://cdn.example.org/x.png" alt="">'
        "<script>console.error('rusak')</script></body></html>",
        encoding="utf-8",
    )
    opened = browser.open(page_file, PHONE)
    assert opened.text().strip() == "Halo"
    assert opened.outside_requests == ["https://cdn.example.org/x.png"]
    assert "rusak" in opened.console_errors  # beside the refused request's own "Failed to load resource"
    assert opened.screenshot("harness-phone").stat().st_size > 0


def test_a_self_contained_page_leaves_nothing_behind(browser: Browser, tmp_path: Path) -> None:
    page_file = tmp_path / "clean.html"
    page_file.write_text("<!doctype html><html><body><h1>Kalender</h1></body></html>", encoding="utf-8")
    opened = browser.open(page_file)
    assert (opened.outside_requests, opened.console_errors) == ([], [])
