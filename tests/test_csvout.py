"""The one CSV writer: text can never start a spreadsheet formula; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from outreach.csvout import BOM, csv_text

PACKAGE = Path(__file__).parent.parent / "outreach"


def _read(text: str, separator: str = ",") -> list[list[str]]:
    assert text.startswith(BOM)  # Excel reads the file as UTF-8 only with it
    return list(csv.reader(io.StringIO(text.removeprefix(BOM), newline=""), delimiter=separator))


def test_numbers_are_written_as_numbers_and_text_that_looks_like_one_is_quoted() -> None:
    """A report's sums keep working; a text cell "-5" could be the start of "-5+cmd|…" and is quoted."""
    row = {"attempts": -5, "text": "-5", "share": -2.5, "amount": Decimal("-1.50"), "empty": None, "path": Path("-x")}
    assert _read(csv_text(list(row), [row])) == [list(row), ["-5", "'-5", "-2.5", "-1.50", "", "'-x"]]


def test_a_separator_or_quote_inside_a_cell_cannot_start_another_cell() -> None:
    row = {"reason": "aman,=1+1", "text": 'kata "kutip";=2+2\n=3+3'}
    [header, cells] = _read(csv_text(list(row), [row]))
    assert cells == ["aman,=1+1", 'kata "kutip";=2+2\n=3+3']


def test_a_semicolon_separates_columns_for_excel_in_an_indonesian_locale() -> None:
    row = {"agency": "Dinas Kependudukan dan Pencatatan Sipil", "amount": 10.5, "text": "Rp10.000; gratis, ya"}
    written = csv_text(list(row), [row], ";")
    assert written.splitlines()[0] == BOM + "agency;amount;text"
    assert _read(written, ";") == [
        list(row),
        ["Dinas Kependudukan dan Pencatatan Sipil", "10.5", "Rp10.000; gratis, ya"],
    ]
    with pytest.raises(ValueError, match="separator"):
        csv_text(list(row), [row], "\t")


def test_a_key_that_is_not_a_column_is_an_error_not_a_lost_value() -> None:
    with pytest.raises(ValueError, match="text"):
        csv_text(["id"], [{"id": 1, "text": "hilang"}])


def test_no_other_module_writes_csv_by_itself() -> None:
    """Every CSV output, today's and the next report's, goes through outreach/csvout.py."""
    writers = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "csvout.py"
        and any(call in path.read_text(encoding="utf-8") for call in ("csv.writer", "csv.DictWriter"))
    ]
    assert writers == []
