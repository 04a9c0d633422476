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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

from . import media
from .errors import ConfigError
from .model import ALL_FIELDS, REQUIRED_FIELDS, Innovation
from .store import ImportSummary, SignOff, Store

MAX_CELL_CHARACTERS = 5000
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_URL = re.compile(r"^(https?://)?[\w.-]+\.[a-z]{2,}(?:[/?#]\S*)?$", re.IGNORECASE)
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


class CatalogueErrors(ConfigError):
    """Every problem found in the files, one ``file:row:column: reason`` per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = len(problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in the catalogue; nothing was imported:"
        super().__init__("\n".join([heading, *problems]))


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _note_column(header: str) -> bool:
    lowered = header.lower()
    return lowered == "no" or any(lowered.startswith(prefix) for prefix in NOTE_PREFIXES if prefix != "no")


def _read_csv(path: Path, problems: list[str]) -> list[_RawRow]:
    data = path.read_bytes()
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


def _read_xlsx(path: Path, sheet: str | None, problems: list[str]) -> list[_RawRow]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        problems.append(f"{path}:1: cannot read the workbook ({error}); save it again as .xlsx")
        return []
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            problems.append(f"{path}: no sheet named '{sheet}' (sheets: {', '.join(workbook.sheetnames)})")
            return []
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
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


def _read_yaml(path: Path, problems: list[str]) -> list[_RawRow]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8-sig")
        document = yaml.compose(text, Loader=yaml.SafeLoader)
    except UnicodeDecodeError:
        problems.append(f"{path}:1: the file is not UTF-8; save it as UTF-8")
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
        items = [value for key, value in document.value if key.value == "inovasi"]
        document = items[0] if items else document
    if not isinstance(document, yaml.SequenceNode):
        problems.append(f"{path}:1: expected a list of innovations (or 'inovasi:' followed by a list)")
        return []
    constructor = yaml.SafeLoader(io.StringIO(""))
    rows = []
    for item in document.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append(f"{path}:{line}: each innovation must be a set of 'key: value' lines")
            continue
        cells = {str(key.value): constructor.construct_object(value, deep=True) for key, value in item.value}
        rows.append(_RawRow(line, cells, keyed=True))
    for row in rows:
        _check_header(path, list(row.cells), problems, row.number, require=False)
    return rows


def _check_header(
    path: Path, header: list[str], problems: list[str], row: int = 1, require: bool = True
) -> None:
    for name in header:
        if name and name not in ALL_FIELDS and not _note_column(name):
            close = difflib.get_close_matches(name, ALL_FIELDS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known columns: {', '.join(ALL_FIELDS)}"
            problems.append(f"{path}:{row}:{name}: unknown column; {hint}")
    if require:
        for name in REQUIRED_FIELDS:
            if name not in header:
                problems.append(f"{path}:{row}:{name}: required column is missing; add a column headed '{name}'")


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
    refused: set[str] = set()
    for name, value in raw.cells.items():
        if not name or _note_column(name) or name not in ALL_FIELDS:
            continue
        if isinstance(value, (list, tuple)) and name == "tagar":
            value = " ".join(str(item) for item in value)
        if name in raw.formulas:
            problems.append(f"{where}:{name}: the cell holds a formula; type the value itself")
            refused.add(name)
            continue
        if isinstance(value, str) and len(value) > MAX_CELL_CHARACTERS:
            problems.append(
                f"{where}:{name}: the cell has {len(value):,} characters; at most {MAX_CELL_CHARACTERS:,} fit a post"
            )
            refused.add(name)
            continue
        cells[name] = value
    values: dict[str, Any] = {}
    for name in ("id", "nama", "opd", "ringkasan", "manfaat", "cara_akses", "lokasi", "jam_layanan",
                 "kontak", "tautan", "gambar", "alt_gambar"):
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
        problems.append(f"{where}:tautan: '{values['tautan']}' is not a web address, e.g. layanan.bandarlampungkota.go.id/ktp")
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
        return SignOff(decision, by or "catalogue file", datetime.combine(on, time(0, 0), timezone.utc) if on else None)
    if by is None:
        problems.append(f"{where}:disetujui_oleh: who approved it? write a name, e.g. 'Rina Kusuma (Diskominfo)'")
    if on is None:
        problems.append(f"{where}:disetujui_pada: when was it approved? write a date, e.g. 2026-11-20")
    if by is None or on is None:
        return None
    return SignOff(decision, by, datetime.combine(on, time(0, 0), timezone.utc))


def read_catalogue(
    paths: Iterable[Path], sheet: str | None = None, media_folder: Path | None = None
) -> list[CatalogueRow]:
    """Read and validate every file; raise ``CatalogueErrors`` listing every problem, or return all rows.

    A row's image must be a real image inside its file's folder or ``media_folder`` (``outreach.media``).
    """
    problems: list[str] = []
    rows: list[CatalogueRow] = []
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        if not path.is_file():
            problems.append(f"{path}: file not found")
            continue
        suffix = path.suffix.lower()
        if suffix == ".csv":
            raw_rows = _read_csv(path, problems)
        elif suffix in (".xlsx", ".xlsm"):
            raw_rows = _read_xlsx(path, sheet, problems)
        elif suffix in (".yaml", ".yml"):
            raw_rows = _read_yaml(path, problems)
        else:
            problems.append(f"{path}: unsupported file type '{suffix}'; use .csv, .xlsx or .yaml")
            continue
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
                problems.append(f"{row.source}:id: '{identifier}' is used twice (first at {seen[identifier]}); ids must be unique")
                continue
            seen[identifier] = row.source
            rows.append(row)
    if problems:
        raise CatalogueErrors(problems)
    return rows


def import_files(
    store: Store, paths: Iterable[Path], now: datetime, sheet: str | None = None, media_folder: Path | None = None
) -> ImportSummary:
    """Validate every file, then upsert all rows in one transaction (nothing on any error)."""
    paths = [Path(path).resolve() for path in paths]
    rows = read_catalogue(paths, sheet, media_folder)
    return store.import_innovations(
        ((row.innovation, row.source, row.signoff) for row in rows),
        now,
        sources={path: fingerprint(path) for path in paths},
    )


def sync(store: Store, paths: Iterable[Path], now: datetime, media_folder: Path | None = None) -> ImportSummary | None:
    """Re-import the configured files when any of them changed since the last sync."""
    paths = [Path(path) for path in paths]
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"{path}: catalogue file named in the config does not exist; fix 'catalogue' in the config")
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

