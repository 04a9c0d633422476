"""Reply texts are untrusted: HTML and script, a megabyte, terminal controls, bidirectional overrides and
zero-width characters arrive from strangers, and must act on nothing wherever outreach shows them."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import pytest
from openpyxl import load_workbook

from outreach.model import IncomingReply, PostState
from tests.browser import A4, PHONE, Browser, artefacts_folder
from tests.engine_helpers import at, workspace
from tests.test_report import build_office, run

SCRIPT = '<script>window.pwned = 1; document.title = "pwned"</script><img src=x onerror="window.pwned = 2">'
TERMINAL = "antre \x1b[2J\x1b]0;pwned\x07 lama\x9b31m\x7f sekali\r\rbaris\u2028baru"
BIDI = "bayar di \u202egpj.exe\u202c loket \u2066isolat\u2069"
ZERO_WIDTH = "pro\u200bmo gra\u2060tis \ufeffklik"
FORMULA = '=HYPERLINK("https://contoh.invalid/?d="&A1,"klik")'
MEGABYTE = "syaratnya apa? " * 70_000  # about a megabyte
#: The hostile replies (remote id → text), one author also hostile.
HOSTILE = {"h-script": SCRIPT, "h-term": TERMINAL, "h-bidi": BIDI, "h-zw": ZERO_WIDTH, "h-formula": FORMULA,
           "h-mega": MEGABYTE}  # fmt: skip
AUTHOR = "<b>x</b>\u202e\x1b[31m"
#: What must never reach a terminal raw: every one of these is a control or an invisible format character.
ACTING = "\x1b\x07\x9b\x7f\r\u2028\u202e\u202c\u2066\u2069\u200b\u2060\ufeff"


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report's office, with the hostile replies under one of its published posts."""
    config = build_office(tmp_path_factory.mktemp("hostile"))
    ws = workspace(config, at(2026, 12, 10, 10))
    post = ws.store.posts([PostState.PUBLISHED])[0]
    found = [
        (IncomingReply(remote_id, AUTHOR, text, at(2026, 12, 5, 8), f"https://contoh.invalid/{remote_id}", None),
         "question", remote_id == "h-term")
        for remote_id, text in HOSTILE.items()
    ]  # fmt: skip
    ws.store.add_replies(post, found, ws.now())
    ws.close()
    return config


def test_the_table_shows_every_hostile_text_escaped_on_one_bounded_line(office: Path) -> None:
    result = run(office, "replies", "list")
    assert result.exit_code == 0
    out = result.output
    assert not set(out) & set(ACTING), sorted({f"U+{ord(c):04X}" for c in set(out) & set(ACTING)})
    lines = out.splitlines()
    assert len(lines) == 1 + len(HOSTILE) + 1  # the header, one line per reply, the count
    assert max(len(line) for line in lines) < 400  # the megabyte is cut, not printed
    rows = {line.split()[0]: line for line in lines[1:-1]}
    by_text = dict(zip(HOSTILE.values(), rows.values(), strict=True))  # ids follow the order kept
    assert "\\x1b[2J\\x1b]0;pwned\\x07" in by_text[TERMINAL] and "!" in by_text[TERMINAL]
    assert "<U+202E>gpj.exe<U+202C>" in by_text[BIDI]
    assert "pro<U+200B>mo" in by_text[ZERO_WIDTH]
    assert by_text[MEGABYTE].endswith("…") and by_text[SCRIPT].endswith("…")
    assert "<b>x</b><U+202E>\\x1b[31m" in by_text[SCRIPT]  # the author, escaped too


def test_json_gives_back_every_text_whole_with_nothing_raw_that_acts_on_a_terminal(office: Path) -> None:
    result = run(office, "replies", "list", "--format", "json")
    assert result.exit_code == 0
    assert not set(result.output) & set(ACTING)
    texts = {item["text"]: item for item in json.loads(result.output)}
    assert set(texts) == set(HOSTILE.values())  # read back exactly, the megabyte whole
    assert {item["author"] for item in texts.values()} == {AUTHOR}
    assert "\\u202e" in result.output and "\\u001b" in result.output


def test_no_reply_text_or_author_reaches_the_report_files(office: Path, tmp_path: Path) -> None:
    """The report shows figures only (personal data stays in the inbox); the hostile replies are counted."""
    page = tmp_path / "laporan.html"
    assert run(office, "report", "--from", "2026-12-01", "--output", str(page)).exit_code == 0
    html = page.read_text(encoding="utf-8")
    workbook_file = tmp_path / "laporan.xlsx"
    assert (
        run(office, "report", "--from", "2026-12-01", "--format", "xlsx", "--output", str(workbook_file)).exit_code == 0
    )
    report_csv = run(office, "report", "--from", "2026-12-01", "--format", "csv").output
    cells = [cell for sheet in load_workbook(workbook_file).worksheets for row in sheet.iter_rows() for cell in row]
    cell_texts = "\n".join(str(cell.value) for cell in cells if cell.value is not None)
    for text in (*HOSTILE.values(), AUTHOR):
        for fragment in (text[:20], text[-20:]):
            assert fragment not in html and fragment not in cell_texts and fragment not in report_csv, fragment
    assert "<script" not in html and "onerror" not in html
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]  # no formula anywhere
    for row in csv.reader(io.StringIO(report_csv.removeprefix("\ufeff"))):
        assert not [cell for cell in row if cell[:1] in ("=", "+", "@")], row
    counted = f"Citizens&#39; replies in this period: {len(HOSTILE)}, of which 0% answered"
    assert counted in html, "the hostile replies are counted all the same"


def test_the_report_page_runs_no_script_and_logs_no_error_in_chromium(
    browser: Browser, office: Path, tmp_path: Path
) -> None:
    page = tmp_path / "laporan.html"
    assert run(office, "--language", "id", "report", "--from", "2026-12-01", "--output", str(page)).exit_code == 0
    opened = browser.open(page, A4)
    assert opened.page.evaluate("window.pwned === undefined && document.title !== 'pwned'")
    assert opened.page.locator("script").count() == 0
    assert (opened.console_errors, opened.outside_requests) == ([], [])
    assert "Menjawab warga" in opened.text()
    opened.page.locator(".responsiveness").screenshot(path=str(artefacts_folder() / "report-responsiveness.png"))
    phone = browser.open(page, PHONE)
    widest = phone.page.evaluate("document.documentElement.scrollWidth")
    assert widest <= PHONE["width"], f"the page scrolls sideways on a phone: {widest}px"


def test_every_hostile_character_is_a_hidden_one_so_the_checks_above_mean_something() -> None:
    assert all(unicodedata.category(character) in ("Cc", "Cf", "Zl") for character in ACTING)
    assert all(any(character in text for text in (*HOSTILE.values(), AUTHOR)) for character in ACTING)
