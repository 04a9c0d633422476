"""The catalogue's file formats: CSV, XLSX and YAML bytes read into raw rows, every problem located.

A reader checks what the format decides (encoding, quoting, header, sheet, YAML shape) and leaves the
values to :mod:`outreach.catalogue`, which validates every row the same way whatever file it came from.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .i18n import _, number
from .model import ALL_FIELDS, REQUIRED_FIELDS
from .textsafety import describe

#: A cell longer than this fits no post; it is refused before anything else is checked.
MAX_CELL_CHARACTERS = 5000
#: Columns read as dates; every other column is text (a number cell in one is shown as the sheet shows it).
DATE_FIELDS = ("mulai", "selesai", "disetujui_pada")
_ZEROS_FORMAT = re.compile(r"^0+$")
#: Columns whose header starts like this are the office's own notes and are ignored.
NOTE_PREFIXES = ("#", "catatan", "keterangan", "no")


@dataclass(frozen=True)
class RawRow:
    """One row or YAML item as read: its cells by column name, not yet validated."""

    number: int  # spreadsheet row or YAML line, as the user sees it
    cells: dict[str, Any]
    formulas: frozenset[str] = frozenset()
    keyed: bool = False  # YAML: every row names its own keys
    refused: frozenset[str] = frozenset()  # cells the reader already reported


def is_note_column(header: str) -> bool:
    """Whether the column holds the office's own notes (see ``NOTE_PREFIXES``)."""
    lowered = header.lower()
    return lowered == "no" or any(lowered.startswith(prefix) for prefix in NOTE_PREFIXES if prefix != "no")


def read_csv(path: Path, data: bytes, problems: list[str], notices: list[str]) -> list[RawRow]:
    """The rows of a CSV file, its delimiter (``,`` or ``;``) taken from the header line.

    UTF-8 (with or without BOM) is what Excel's "CSV UTF-8" writes; its plain "CSV" writes the
    Windows code page (Windows-1252 on Indonesian Windows), which is read too, with a notice.
    Rows are numbered as the spreadsheet numbers them: a cell with a line break is still one row.
    """
    text = _decode_csv(path, data, problems, notices)
    if text is None:
        return []
    if not text.strip():
        problems.append(
            f"{path}:1: "
            + _("the file is empty; it needs a header row: {header};…").format(header=";".join(ALL_FIELDS[:6]))
        )
        return []
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # long cells get a clear message below
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip() for cell in next(reader)]
    rows = []
    number = 1  # the header's row
    while True:
        number += 1  # a blank line is a blank row, as in the spreadsheet
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(
                f"{path}:{number}: " + _("cannot read this row ({error}); check its quotes").format(error=error)
            )
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            problems.append(
                f"{path}:{number}: "
                + _(
                    "the row has {cells} cells but the header has {header}; "
                    "a '{delimiter}' inside a cell needs the cell in double quotes"
                ).format(cells=len(cells), header=len(header), delimiter=delimiter)
            )
            continue
        cells += [""] * (len(header) - len(cells))  # a short row leaves its last cells empty, not unchecked
        rows.append(RawRow(number, dict(zip(header, cells, strict=True))))
    _check_header(path, header, problems)
    return rows


def _decode_csv(path: Path, data: bytes, problems: list[str], notices: list[str]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            line = data[: min(error.start, utf8_error.start)].count(b"\n") + 1
            problems.append(
                f"{path}:{line}: "
                + _(
                    "the file is neither UTF-8 nor Windows-1252 (byte 0x{byte}); "
                    "in Excel choose 'Save As' → 'CSV UTF-8 (Comma delimited)' "
                    "(Indonesian Excel: 'Simpan Sebagai' → 'CSV UTF-8 (Dibatasi koma)')"
                ).format(byte=f"{data[error.start]:02x}")
            )
            return None
    notices.append(
        f"{path}: "
        + _(
            "read as Windows-1252 (Excel's plain 'CSV' save); to be sure of every letter, save it as "
            "'CSV UTF-8 (Comma delimited)' (Indonesian Excel: 'CSV UTF-8 (Dibatasi koma)')"
        )
    )
    return text


def read_xlsx(
    path: Path, data: bytes, sheet: str | None, problems: list[str], sheets_read: dict[Path, str] | None
) -> list[RawRow]:
    """The rows of a workbook's named sheet, or of its first visible sheet; formulas are marked, not run."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        problems.append(
            f"{path}:1: " + _("cannot read the workbook ({error}); save it again as .xlsx").format(error=error)
        )
        return []
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            problems.append(
                f"{path}: "
                + _("no sheet named '{sheet}' (sheets: {sheets})").format(
                    sheet=sheet, sheets=", ".join(workbook.sheetnames)
                )
            )
            return []
        if not sheet:
            # A hidden sheet is an old copy or a lookup list, never the one the office means.
            visible_sheets = [candidate for candidate in workbook.worksheets if candidate.sheet_state == "visible"]
            if not visible_sheets:
                problems.append(f"{path}:1: " + _("every sheet is hidden; unhide the sheet with the innovations"))
                return []
            worksheet = visible_sheets[0]
            if worksheet is not workbook.worksheets[0] and sheets_read is not None:
                sheets_read[path] = worksheet.title
        else:
            worksheet = workbook[sheet]
        iterator = worksheet.iter_rows()
        header_cells = next(iterator, None)
        if header_cells is None:
            problems.append(
                f"{path}:1: " + _("the sheet '{sheet}' is empty; it needs a header row").format(sheet=worksheet.title)
            )
            return []
        header = [str(cell.value).strip() if cell.value is not None else "" for cell in header_cells]
        rows = []
        for number, cells in enumerate(iterator, start=2):
            values: dict[str, Any] = {}
            formulas = set()
            for name, cell in zip(header, cells, strict=False):  # a row may be shorter or longer than the header
                if not name:
                    continue
                values[name] = shown_value(name, cell.value, cell.number_format)
                if cell.data_type == "f":
                    formulas.add(name)
            if not any(value is not None and str(value).strip() for value in values.values()):
                continue  # a row of only spaces is a blank row
            rows.append(RawRow(number, values, frozenset(formulas)))
    finally:
        workbook.close()
    _check_header(path, header, problems)
    return rows


def shown_value(name: str, value: Any, number_format: str) -> Any:
    """A number in a text column as the sheet shows it: a ``0000`` format keeps its leading zeros.

    Dates and booleans keep their own types; a number under ``General`` or ``@`` shows its digits.
    """
    if name in DATE_FIELDS or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float) and not value.is_integer():
        return str(value)
    digits = str(int(value))
    if _ZEROS_FORMAT.match(number_format):
        return digits.zfill(len(number_format))
    return digits


def read_yaml(path: Path, data: bytes, problems: list[str]) -> list[RawRow]:
    """Read YAML without ever expanding it: only the cells' own nodes are constructed.

    Composing builds the node graph with each alias pointing at its anchor's node, in time and
    memory linear in the file. A cell must be a single value (``tagar`` may be a flat list of
    words), so a nested structure, which is what an alias bomb needs, is refused before it is
    built; notes and unknown keys are never built at all.
    """
    import yaml

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.append(f"{path}:{line}: " + _("the file is not UTF-8; save it as UTF-8"))
        return []
    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as error:  # a control character typed into the file itself
        line = text.count("\n", 0, error.position) + 1
        problems.append(f"{path}:{line}: {hidden_character_problem(chr(error.character), 1)}")
        return []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problems.append(
            f"{path}:{line}: " + _("not valid YAML ({error})").format(error=getattr(error, "problem", error))
        )
        return []
    if document is None:
        problems.append(f"{path}:1: " + _("the file is empty; it needs a list of innovations"))
        return []
    if isinstance(document, yaml.MappingNode):
        items = [value for key, value in document.value if isinstance(key, yaml.ScalarNode) and key.value == "inovasi"]
        document = items[0] if items else document
    if not isinstance(document, yaml.SequenceNode):
        problems.append(f"{path}:1: " + _("expected a list of innovations (or 'inovasi:' followed by a list)"))
        return []
    reader = _YamlCells(path, problems)
    rows = []
    seen_items: set[int] = set()
    for item in document.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append(f"{path}:{line}: " + _("each innovation must be a set of 'key: value' lines"))
            continue
        if id(item) in seen_items:
            problems.append(
                f"{path}:{line}: "
                + _(
                    "this innovation repeats an earlier one through an alias (*name); write each innovation out in full"
                )
            )
            break  # one repeat is enough to say; a file of thousands of aliases must not make thousands of lines
        seen_items.add(id(item))
        rows.append(reader.row(line, item))
    for row in rows:
        _check_header(path, list(row.cells), problems, row.number, require=False)
    return rows


class _YamlCells:
    """Turns one YAML innovation (a mapping node) into cells, checking each value's shape first."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        import yaml

        self.path = path
        self.problems = problems
        self.constructor = yaml.SafeLoader(io.StringIO(""))

    def row(self, line: int, item: Any) -> RawRow:
        import yaml

        cells: dict[str, Any] = {}
        refused: set[str] = set()
        key_lines: dict[str, int] = {}
        for key, value in item.value:
            if not isinstance(key, yaml.ScalarNode):
                self.problems.append(
                    f"{self.path}:{key.start_mark.line + 1}: " + _("a key must be a column name, e.g. 'nama:'")
                )
                continue
            name = str(key.value)
            if name in key_lines:
                if name not in refused:
                    self.problems.append(
                        f"{self.path}:{line}:{name}: "
                        + _(
                            "the key appears twice in this innovation (lines {first} and {second}); keep only one"
                        ).format(first=key_lines[name], second=key.start_mark.line + 1)
                    )
                refused.add(name)
                continue
            key_lines[name] = key.start_mark.line + 1
            if name not in ALL_FIELDS:
                cells[name] = None  # a note is ignored and an unknown key reported: neither is read
                continue
            problem = _yaml_shape_problem(name, value)
            if problem is None:
                cells[name], problem = self._construct(value)
            if problem is not None:
                self.problems.append(f"{self.path}:{line}:{name}: {problem}")
                refused.add(name)
        return RawRow(line, cells, keyed=True, refused=frozenset(refused))

    def _construct(self, node: Any) -> tuple[Any, str | None]:
        import yaml

        try:
            return self.constructor.construct_object(node, deep=True), None
        except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError) as error:
            # A failed construction leaves the constructor half-way through a node: start afresh.
            self.constructor = yaml.SafeLoader(io.StringIO(""))
            return None, _yaml_value_problem(node, error)


def _yaml_shape_problem(name: str, node: Any) -> str | None:
    """Why a YAML value cannot be a cell, judged on the node before anything is built."""
    import yaml

    if node.tag not in yaml.SafeLoader.yaml_constructors:
        return _tag_problem(node.tag)
    if isinstance(node, yaml.MappingNode):
        return _("a set of 'key: value' lines where text belongs; write the text itself after the key")
    if isinstance(node, yaml.SequenceNode):
        if name != "tagar":
            return _("a list where text belongs; write the text on one line (only tagar may be a list)")
        if not all(isinstance(item, yaml.ScalarNode) for item in node.value):
            return _("a list inside the list of hashtags; write one list of words, e.g. [BandarLampung, LayananPublik]")
        unknown = next((item.tag for item in node.value if item.tag not in yaml.SafeLoader.yaml_constructors), None)
        if unknown is not None:
            return _tag_problem(unknown)
        size = sum(len(item.value) for item in node.value) + max(len(node.value) - 1, 0)
        if size > MAX_CELL_CHARACTERS:
            return too_long(size)
    return None


def _yaml_value_problem(node: Any, error: Exception) -> str:
    import yaml

    detail = getattr(error, "problem", None) or error
    if not isinstance(node, yaml.ScalarNode):
        return _(
            "cannot read a hashtag in the list ({detail}); write plain words, e.g. [BandarLampung, LayananPublik]"
        ).format(detail=detail)
    value = _excerpt(node.value)
    if node.tag.endswith(":timestamp"):
        return _("'{value}' looks like a date but is not one; write a real date, e.g. 2026-12-01").format(value=value)
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return _("cannot read '{value}' as {tag} ({detail}); delete the tag or put the value in quotes").format(
        value=value, tag=tag, detail=detail
    )


def _tag_problem(tag: str) -> str:
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    return _("the YAML tag '{tag}' is not allowed in a catalogue; delete it and write the value as plain text").format(
        tag=shown
    )


def _excerpt(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[:size] + "…"


def too_long(size: int) -> str:
    """Why a cell of ``size`` characters is refused."""
    return _("the cell has {size} characters; at most {limit} fit a post").format(
        size=number(size, 0), limit=number(MAX_CELL_CHARACTERS, 0)
    )


def hidden_character_problem(character: str, count: int, before: str | None = None) -> str:
    """Names the character and where it is: it is invisible, so the person needs the text just before it."""
    if before is None:
        place = ""
    elif before:
        place = " " + _("right after '{text}'").format(text=_excerpt(before[::-1], 20)[::-1])
    else:
        place = " " + _("at the start")
    more = " " + _("(and {count} more)").format(count=count - 1) if count > 1 else ""
    return _(
        "the invisible character {character}{place}{more} can hide or disguise text; "
        "delete it (retype the text around it, or paste it as plain text)"
    ).format(character=describe(character), place=place, more=more)


def _check_header(path: Path, header: list[str], problems: list[str], row: int = 1, require: bool = True) -> None:
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        if name in ALL_FIELDS:
            positions.setdefault(name, []).append(index)
    for name, indexes in positions.items():
        if len(indexes) > 1:
            from openpyxl.utils import get_column_letter

            letters = [get_column_letter(index + 1) for index in indexes]
            listed = _("{first} and {last}").format(first=", ".join(letters[:-1]), last=letters[-1])
            if len(indexes) == 2:
                message = _("the column appears twice (columns {columns}); delete one")
            else:
                message = _("the column appears {count} times (columns {columns}); delete all but one")
            problems.append(f"{path}:{row}:{name}: " + message.format(count=len(indexes), columns=listed))
    for name in dict.fromkeys(header):
        if name and name not in ALL_FIELDS and not is_note_column(name):
            close = difflib.get_close_matches(name, ALL_FIELDS, n=1)
            if close:
                hint = _("did you mean '{name}'?").format(name=close[0])
            else:
                hint = _("known columns: {names}").format(names=", ".join(ALL_FIELDS))
            problems.append(f"{path}:{row}:{name}: " + _("unknown column; {hint}").format(hint=hint))
    if require:
        problems.extend(
            f"{path}:{row}:{name}: " + _("required column is missing; add a column headed '{name}'").format(name=name)
            for name in REQUIRED_FIELDS
            if name not in header
        )
