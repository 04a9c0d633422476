"""The innovation catalogue: spreadsheets, CSV and YAML files validated into ``Innovation`` records.

Agencies fill in spreadsheets, so the importer accepts what Indonesian offices actually save:
CSV with commas or semicolons (Indonesian-locale Excel), UTF-8 with or without BOM, XLSX with
real date cells, and YAML. Everything is validated before anything is written: a file with one
bad row imports nothing, and every problem is reported as ``file:row:column: reason``.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from . import media
from .errors import ConfigError
from .model import ALL_FIELDS, REQUIRED_FIELDS, Innovation
from .store import ImportSummary, SignOff, Store
from .textsafety import describe, hidden_characters

MAX_CELL_CHARACTERS = 5000
#: A catalogue file larger than this is refused unread. 10,000 innovations (the scale the benchmarks
#: use) take 9 MB as CSV and 11 MB as YAML; a city's real catalogue is a few hundred kB.
MAX_FILE_BYTES = 20 * 1024 * 1024
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_URL = re.compile(r"^(https?://)?[\w.-]+\.[a-z]{2,}(?:[/?#]\S*)?$", re.IGNORECASE)
_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
_TAG = re.compile(r"^\w+$")
_STATUS_WORDS = {
    "draf": None,
    "draft": None,
    "disetujui": "approved",
    "setuju": "approved",
    "approved": "approved",
    "ditolak": "rejected",
    "tolak": "rejected",
    "rejected": "rejected",
}
#: Columns whose header starts like this are the office's own notes and are ignored.
NOTE_PREFIXES = ("#", "catatan", "keterangan", "no")
_EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class CatalogueRow:
    """One validated row: the innovation, where it came from, and a sign-off recorded in the file."""

    innovation: Innovation
    source: str  # "file:row"
    signoff: SignOff | None


@dataclass(frozen=True)
class _RawRow:
    number: int  # spreadsheet row or YAML line, as the user sees it
    cells: dict[str, Any]
    formulas: frozenset[str] = frozenset()
    keyed: bool = False  # YAML: every row names its own keys
    refused: frozenset[str] = frozenset()  # cells the reader already reported


class CatalogueErrors(ConfigError):
    """Every problem found in the files, one ``file:row:column: reason`` per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = len(problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in the catalogue; nothing was imported:"
        super().__init__("\n".join([heading, *problems]))


def fingerprint(path: Path) -> str:
    """The file's sha256, read in chunks: ``sync`` compares it with the last import's."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _read_once(path: Path, problems: list[str]) -> bytes | None:
    """The file's bytes, read once: exactly these are parsed and fingerprinted, so an edit saved
    meanwhile is not marked as imported. A file over ``MAX_FILE_BYTES`` is refused unread."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        problems.append(f"{path}:1: cannot read the file ({error.strerror}); check that you may open it")
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.append(
            f"{path}:1: the file is over {MAX_FILE_BYTES // (1024 * 1024)} MB, too large for a catalogue; "
            f"split it into several files, or delete pictures pasted into the sheet"
        )
        return None
    return data


def _note_column(header: str) -> bool:
    lowered = header.lower()
    return lowered == "no" or any(lowered.startswith(prefix) for prefix in NOTE_PREFIXES if prefix != "no")


def _read_csv(path: Path, data: bytes, problems: list[str]) -> list[_RawRow]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.append(
            f"{path}:{line}: the file is not UTF-8 (byte 0x{data[error.start]:02x}); "
            f"in Excel choose 'Save as' → 'CSV UTF-8 (Comma delimited)'"
        )
        return []
    if not text.strip():
        problems.append(f"{path}:1: the file is empty; it needs a header row: {';'.join(ALL_FIELDS[:6])};…")
        return []
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # long cells get a clear message below
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip() for cell in next(reader)]
    rows = []
    while True:
        number = reader.line_num + 1  # where the row starts, even if a cell spans lines
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(f"{path}:{number}: cannot read this row ({error}); check its quotes")
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            problems.append(
                f"{path}:{number}: the row has {len(cells)} cells but the header has {len(header)}; "
                f"a '{delimiter}' inside a cell needs the cell in double quotes"
            )
            continue
        cells += [""] * (len(header) - len(cells))  # a short row leaves its last cells empty, not unchecked
        rows.append(_RawRow(number, dict(zip(header, cells))))
    _check_header(path, header, problems)
    return rows


def _read_xlsx(
    path: Path, data: bytes, sheet: str | None, problems: list[str], sheets_read: dict[Path, str] | None
) -> list[_RawRow]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        problems.append(f"{path}:1: cannot read the workbook ({error}); save it again as .xlsx")
        return []
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            problems.append(f"{path}: no sheet named '{sheet}' (sheets: {', '.join(workbook.sheetnames)})")
            return []
        if sheet:
            worksheet = workbook[sheet]
        else:
            # A hidden sheet is an old copy or a lookup list, never the one the office means.
            visible_sheets = [candidate for candidate in workbook.worksheets if candidate.sheet_state == "visible"]
            if not visible_sheets:
                problems.append(f"{path}:1: every sheet is hidden; unhide the sheet with the innovations")
                return []
            worksheet = visible_sheets[0]
            if worksheet is not workbook.worksheets[0] and sheets_read is not None:
                sheets_read[path] = worksheet.title
        iterator = worksheet.iter_rows()
        header_cells = next(iterator, None)
        if header_cells is None:
            problems.append(f"{path}:1: the sheet '{worksheet.title}' is empty; it needs a header row")
            return []
        header = [str(cell.value).strip() if cell.value is not None else "" for cell in header_cells]
        rows = []
        for number, cells in enumerate(iterator, start=2):
            values: dict[str, Any] = {}
            formulas = set()
            for name, cell in zip(header, cells):
                if not name:
                    continue
                values[name] = cell.value
                if cell.data_type == "f":
                    formulas.add(name)
            if not any(value not in (None, "") for value in values.values()):
                continue
            rows.append(_RawRow(number, values, frozenset(formulas)))
    finally:
        workbook.close()
    _check_header(path, header, problems)
    return rows


def _read_yaml(path: Path, data: bytes, problems: list[str]) -> list[_RawRow]:
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
        problems.append(f"{path}:{line}: the file is not UTF-8; save it as UTF-8")
        return []
    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as error:  # a control character typed into the file itself
        line = text.count("\n", 0, error.position) + 1
        problems.append(f"{path}:{line}: {_hidden_character_problem(chr(error.character), 1)}")
        return []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problems.append(f"{path}:{line}: not valid YAML ({getattr(error, 'problem', error)})")
        return []
    if document is None:
        problems.append(f"{path}:1: the file is empty; it needs a list of innovations")
        return []
    if isinstance(document, yaml.MappingNode):
        items = [value for key, value in document.value if isinstance(key, yaml.ScalarNode) and key.value == "inovasi"]
        document = items[0] if items else document
    if not isinstance(document, yaml.SequenceNode):
        problems.append(f"{path}:1: expected a list of innovations (or 'inovasi:' followed by a list)")
        return []
    reader = _YamlCells(path, problems)
    rows = []
    seen_items: set[int] = set()
    for item in document.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append(f"{path}:{line}: each innovation must be a set of 'key: value' lines")
            continue
        if id(item) in seen_items:
            problems.append(
                f"{path}:{line}: this innovation repeats an earlier one through an alias (*name); "
                f"write each innovation out in full"
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

    def row(self, line: int, item: Any) -> _RawRow:
        import yaml

        cells: dict[str, Any] = {}
        refused: set[str] = set()
        key_lines: dict[str, int] = {}
        for key, value in item.value:
            if not isinstance(key, yaml.ScalarNode):
                self.problems.append(
                    f"{self.path}:{key.start_mark.line + 1}: a key must be a column name, e.g. 'nama:'"
                )
                continue
            name = str(key.value)
            if name in key_lines:
                if name not in refused:
                    self.problems.append(
                        f"{self.path}:{line}:{name}: the key appears twice in this innovation "
                        f"(lines {key_lines[name]} and {key.start_mark.line + 1}); keep only one"
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
        return _RawRow(line, cells, keyed=True, refused=frozenset(refused))

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
        return "a set of 'key: value' lines where text belongs; write the text itself after the key"
    if isinstance(node, yaml.SequenceNode):
        if name != "tagar":
            return "a list where text belongs; write the text on one line (only tagar may be a list)"
        if not all(isinstance(item, yaml.ScalarNode) for item in node.value):
            return "a list inside the list of hashtags; write one list of words, e.g. [BandarLampung, LayananPublik]"
        unknown = next((item.tag for item in node.value if item.tag not in yaml.SafeLoader.yaml_constructors), None)
        if unknown is not None:
            return _tag_problem(unknown)
        size = sum(len(item.value) for item in node.value) + max(len(node.value) - 1, 0)
        if size > MAX_CELL_CHARACTERS:
            return _too_long(size)
    return None


def _yaml_value_problem(node: Any, error: Exception) -> str:
    import yaml

    detail = getattr(error, "problem", None) or error
    if not isinstance(node, yaml.ScalarNode):
        return f"cannot read a hashtag in the list ({detail}); write plain words, e.g. [BandarLampung, LayananPublik]"
    value = _excerpt(node.value)
    if node.tag.endswith(":timestamp"):
        return f"'{value}' looks like a date but is not one; write a real date, e.g. 2026-12-01"
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return f"cannot read '{value}' as {tag} ({detail}); delete the tag or put the value in quotes"


def _tag_problem(tag: str) -> str:
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    return f"the YAML tag '{shown}' is not allowed in a catalogue; delete it and write the value as plain text"


def _excerpt(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[:size] + "…"


def _too_long(size: int) -> str:
    return f"the cell has {size:,} characters; at most {MAX_CELL_CHARACTERS:,} fit a post"


def _hidden_character_problem(character: str, count: int, before: str | None = None) -> str:
    """Names the character and where it is: it is invisible, so the person needs the text just before it."""
    if before is None:
        place = ""
    elif before:
        place = f" right after '{_excerpt(before[::-1], 20)[::-1]}'"
    else:
        place = " at the start"
    more = f" (and {count - 1} more)" if count > 1 else ""
    return (
        f"the invisible character {describe(character)}{place}{more} can hide or disguise text; "
        f"delete it (retype the text around it, or paste it as plain text)"
    )


def _check_header(path: Path, header: list[str], problems: list[str], row: int = 1, require: bool = True) -> None:
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        if name in ALL_FIELDS:
            positions.setdefault(name, []).append(index)
    for name, indexes in positions.items():
        if len(indexes) > 1:
            from openpyxl.utils import get_column_letter

            letters = [get_column_letter(index + 1) for index in indexes]
            listed = " and ".join([", ".join(letters[:-1]), letters[-1]])
            problems.append(
                f"{path}:{row}:{name}: the column appears {_times(len(indexes))} (columns {listed}); "
                f"delete {'one' if len(indexes) == 2 else 'all but one'}"
            )
    for name in dict.fromkeys(header):
        if name and name not in ALL_FIELDS and not _note_column(name):
            close = difflib.get_close_matches(name, ALL_FIELDS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known columns: {', '.join(ALL_FIELDS)}"
            problems.append(f"{path}:{row}:{name}: unknown column; {hint}")
    if require:
        for name in REQUIRED_FIELDS:
            if name not in header:
                problems.append(f"{path}:{row}:{name}: required column is missing; add a column headed '{name}'")


def _times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def parse_date(value: Any) -> date | None:
    """Dates as offices write them: Excel date cells, ``2026-12-01``, ``1/12/2026`` (day first)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return _EXCEL_EPOCH + timedelta(days=int(value))  # an Excel serial number that lost its format
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date; write 2026-12-01 or 1/12/2026 (day/month/year)")


def _validate(path: Path, raw: _RawRow, problems: list[str]) -> CatalogueRow | None:
    where = f"{path}:{raw.number}"
    before = len(problems)
    cells: dict[str, Any] = {}
    refused: set[str] = set(raw.refused)
    for name, value in raw.cells.items():
        if not name or _note_column(name) or name not in ALL_FIELDS or name in refused:
            continue
        if name in raw.formulas:
            problems.append(f"{where}:{name}: the cell holds a formula; type the value itself")
            refused.add(name)
            continue
        value, problem = _cell_value(name, value)
        if problem is not None:
            problems.append(f"{where}:{name}: {problem}")
            refused.add(name)
            continue
        cells[name] = value
    values: dict[str, Any] = {}
    for name in (
        "id",
        "nama",
        "opd",
        "ringkasan",
        "manfaat",
        "cara_akses",
        "lokasi",
        "jam_layanan",
        "kontak",
        "tautan",
        "gambar",
        "alt_gambar",
    ):
        values[name] = _text(cells.get(name))
    for name in REQUIRED_FIELDS:
        # A column missing from a sheet's header is reported once, not on every row.
        if values[name] is None and name not in refused and (name in raw.cells or raw.keyed):
            problems.append(f"{where}:{name}: required; fill in this cell")
    identifier = values["id"]
    if identifier is not None and not _SLUG.match(identifier):
        problems.append(
            f"{where}:id: '{identifier}' is not a valid id; use lowercase letters, digits and hyphens, "
            f"e.g. 'ktp-sehari-jadi'"
        )
    if values["tautan"] and not _URL.match(values["tautan"]):
        problems.append(
            f"{where}:tautan: '{values['tautan']}' is not a web address, e.g. layanan.bandarlampungkota.go.id/ktp"
        )
    elif values["tautan"]:
        values["tautan"] = _SCHEME.sub(lambda match: match.group().lower(), values["tautan"])  # HTTP:// → http://
    tags_text = _text(cells.get("tagar")) or ""
    tags = tuple(tag.lstrip("#") for tag in re.split(r"[\s,;]+", tags_text) if tag.lstrip("#"))
    for tag in tags:
        if not _TAG.match(tag):
            problems.append(f"{where}:tagar: '{tag}' is not a hashtag; use letters and digits only, e.g. BandarLampung")
    dates: dict[str, date | None] = {}
    for name in ("mulai", "selesai"):
        try:
            dates[name] = parse_date(cells.get(name))
        except ValueError as error:
            problems.append(f"{where}:{name}: {error}")
            dates[name] = None
    if dates["mulai"] and dates["selesai"] and dates["selesai"] < dates["mulai"]:
        problems.append(f"{where}:selesai: {dates['selesai']} is before mulai {dates['mulai']}")
    signoff = _signoff(where, cells, problems)
    if len(problems) > before:
        return None
    innovation = Innovation(**values, tagar=tags, mulai=dates["mulai"], selesai=dates["selesai"])
    return CatalogueRow(innovation, f"{path}:{raw.number}", signoff)


def _cell_value(name: str, value: Any) -> tuple[Any, str | None]:
    """The cell's value ready to validate, or why it cannot be one: wrong kind, too long, hidden characters."""
    if isinstance(value, str):
        return _text_cell(value)
    if name == "tagar" and isinstance(value, list):  # YAML may list the hashtags
        if not all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in value):
            return None, "each hashtag in the list must be a word, e.g. [BandarLampung, LayananPublik]"
        return _text_cell(" ".join(str(item) for item in value))
    if isinstance(value, bool):
        return None, f"'{str(value).lower()}' is a yes/no value, not text; write the text itself (in YAML, in quotes)"
    if isinstance(value, bytes):
        return None, "the cell holds binary data; write the text itself"
    if value is not None and not isinstance(value, (int, float, date, time)):
        return None, f"the cell holds a {type(value).__name__} value; write the text itself"
    return value, None  # empty, a number, a date or a time: short, with no characters to hide


def _text_cell(value: str) -> tuple[str | None, str | None]:
    if len(value) > MAX_CELL_CHARACTERS:
        return None, _too_long(len(value))
    value = value.replace("\r\n", "\n").replace("\r", "\n")  # line breaks from Windows and old Macs
    hidden = hidden_characters(value)
    if hidden:
        position, character = hidden[0]
        return None, _hidden_character_problem(character, len(hidden), value[:position])
    return value, None


def _signoff(where: str, cells: dict[str, Any], problems: list[str]) -> SignOff | None:
    status_text = (_text(cells.get("status")) or "draf").lower()
    if status_text not in _STATUS_WORDS:
        problems.append(f"{where}:status: '{status_text}' is not a status; use draf, disetujui or ditolak")
        return None
    decision = _STATUS_WORDS[status_text]
    if decision is None:
        return None
    by = _text(cells.get("disetujui_oleh"))
    try:
        on = parse_date(cells.get("disetujui_pada"))
    except ValueError as error:
        problems.append(f"{where}:disetujui_pada: {error}")
        return None
    if decision == "rejected":
        # A rejection needs no signature in the sheet: nothing gets published because of it.
        return SignOff(decision, by or "catalogue file", datetime.combine(on, time(0, 0), UTC) if on else None)
    if by is None:
        problems.append(f"{where}:disetujui_oleh: who approved it? write a name, e.g. 'Rina Kusuma (Diskominfo)'")
    if on is None:
        problems.append(f"{where}:disetujui_pada: when was it approved? write a date, e.g. 2026-11-20")
    if by is None or on is None:
        return None
    return SignOff(decision, by, datetime.combine(on, time(0, 0), UTC))


def read_catalogue(
    paths: Iterable[Path],
    sheet: str | None = None,
    sheets_read: dict[Path, str] | None = None,
    media_folder: Path | None = None,
) -> list[CatalogueRow]:
    """Read and validate every file; raise ``CatalogueErrors`` listing every problem, or return all rows.

    ``sheets_read`` collects, for a workbook whose first sheet is hidden, the name of the sheet read instead.
    A row's image must be a real image inside its file's folder or ``media_folder`` (``outreach.media``).
    """
    return _read_sources(paths, sheet, sheets_read, media_folder)[0]


def _read_sources(
    paths: Iterable[Path], sheet: str | None, sheets_read: dict[Path, str] | None, media_folder: Path | None
) -> tuple[list[CatalogueRow], dict[Path, str]]:
    """The validated rows, and the fingerprint of the very bytes each file's rows were parsed from."""
    problems: list[str] = []
    rows: list[CatalogueRow] = []
    fingerprints: dict[Path, str] = {}
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        if not path.is_file():
            problems.append(f"{path}: file not found")
            continue
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".xlsx", ".xlsm", ".yaml", ".yml"):
            problems.append(f"{path}: unsupported file type '{suffix}'; use .csv, .xlsx or .yaml")
            continue
        data = _read_once(path, problems)
        if data is None:
            continue
        fingerprints[path] = hashlib.sha256(data).hexdigest()
        if suffix == ".csv":
            raw_rows = _read_csv(path, data, problems)
        elif suffix in (".xlsx", ".xlsm"):
            raw_rows = _read_xlsx(path, data, sheet, problems, sheets_read)
        else:
            raw_rows = _read_yaml(path, data, problems)
        if not raw_rows and not any(problem.startswith(str(path)) for problem in problems):
            problems.append(f"{path}:2: no innovations in the file; fill in at least one row under the header")
        for raw in raw_rows:
            row = _validate(path, raw, problems)
            if row is None:
                continue
            image = image_path(row.source, row.innovation.gambar)
            if image is not None:
                try:
                    media.read_image(image, media.allowed_roots(row.source, media_folder))
                except media.ImageRefused as error:
                    problems.append(f"{row.source}:gambar: {error}")
            identifier = row.innovation.id
            if identifier in seen:
                problems.append(
                    f"{row.source}:id: '{identifier}' is used twice (first at {seen[identifier]}); ids must be unique"
                )
                continue
            seen[identifier] = row.source
            rows.append(row)
    if problems:
        raise CatalogueErrors(problems)
    return rows, fingerprints


def import_files(
    store: Store,
    paths: Iterable[Path],
    now: datetime,
    sheet: str | None = None,
    sheets_read: dict[Path, str] | None = None,
    media_folder: Path | None = None,
) -> ImportSummary:
    """Validate every file, then upsert all rows in one transaction (nothing on any error)."""
    paths = [Path(path).resolve() for path in paths]
    rows, fingerprints = _read_sources(paths, sheet, sheets_read, media_folder)
    return store.import_innovations(
        ((row.innovation, row.source, row.signoff) for row in rows),
        now,
        sources=fingerprints,
    )


def sync(store: Store, paths: Iterable[Path], now: datetime, media_folder: Path | None = None) -> ImportSummary | None:
    """Re-import the configured files when any of them changed since the last sync."""
    paths = [Path(path) for path in paths]
    for path in paths:
        if not path.is_file():
            raise ConfigError(
                f"{path}: catalogue file named in the config does not exist; fix 'catalogue' in the config"
            )
    changed = [path for path in paths if store.source_fingerprint(path.resolve()) != fingerprint(path)]
    if not changed:
        return None
    return import_files(store, paths, now, media_folder=media_folder)


def image_path(source: str | None, image: str | None) -> Path | None:
    """An innovation's image file, resolved against the folder of the catalogue file it came from."""
    if not image:
        return None
    path = Path(image)
    if path.is_absolute() or not source:
        return path
    return Path(source.rsplit(":", 1)[0]).parent / path
