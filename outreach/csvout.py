"""Every CSV outreach writes goes through here, so that opening it in a spreadsheet never runs a formula.

Excel, LibreOffice and Google Sheets read a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(…)`` leaks data, ``=cmd|' /C calc'!A0`` runs a program), and a leading tab
or carriage return can hide such a start. Post texts, reasons and platform answers come from
people and platforms outreach does not control, so, following OWASP's advice on CSV injection,
such a cell is written with a single quote in front: the spreadsheet shows it as text.

Only text is neutralised. A real number (a post's id or attempts, an ``int``) is written as the
number it is: a spreadsheet reads ``-5`` as minus five, never as a formula, and a report's sums
must keep working. Text that merely looks like a number (``"-5"``) is quoted like any other text.

Every CSV starts with a UTF-8 byte-order mark: without it Excel reads UTF-8 as the local code page and
"Dinas Kependudukan – Sipil" or "Rp10.000 • WIB" come out garbled (Python reads it back with
``encoding="utf-8-sig"``). Excel set to Indonesian splits columns at ``;``, not ``,`` (the comma is the
decimal separator there), so the separator is a choice: ``SEPARATORS``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TextIO

#: The separators a person may choose: "," (the standard) and ";" (Excel in an Indonesian locale).
SEPARATORS = (",", ";")
#: The UTF-8 byte-order mark, by which Excel knows the file is UTF-8.
BOM = "\ufeff"
#: What a spreadsheet may take as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """The cell as it is written: numbers and empty cells unchanged, text never able to start a formula."""
    if value is None or isinstance(value, (int, float, Decimal)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(
    stream: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, object]], separator: str = ","
) -> None:
    """A byte-order mark, a header of ``columns`` (outreach's own names), then one line per row; a key that is
    not a column is an error."""
    if separator not in SEPARATORS:
        raise ValueError(f"separator must be one of {SEPARATORS}, not {separator!r}")
    stream.write(BOM)
    writer = csv.DictWriter(stream, fieldnames=list(columns), delimiter=separator)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: neutralise(value) for key, value in row.items()})


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]], separator: str = ",") -> str:
    """``write_csv`` into a string, for commands that print the CSV."""
    buffer = io.StringIO()
    write_csv(buffer, columns, rows, separator)
    return buffer.getvalue()
