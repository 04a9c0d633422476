"""The innovation catalogue: spreadsheets, CSV and YAML files validated into ``Innovation`` records.

Agencies fill in spreadsheets, so the importer accepts what Indonesian offices actually save:
CSV with commas or semicolons (Indonesian-locale Excel), UTF-8 with or without BOM, XLSX with
real date cells, and YAML. Everything is validated before anything is written: a file with one
bad row imports nothing, and every problem is reported as ``file:row:column: reason``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import media
from .catalogue_formats import (
    MAX_CELL_CHARACTERS,
    RawRow,
    hidden_character_problem,
    is_note_column,
    read_csv,
    read_xlsx,
    read_yaml,
    too_long,
)
from .errors import ConfigError
from .i18n import _, ngettext
from .model import ALL_FIELDS, OPTIONAL_FIELDS, REQUIRED_FIELDS, Innovation, parse_innovation_kind, tidy_text
from .store import ImportSummary, SignOff, Store
from .textsafety import hidden_characters

if TYPE_CHECKING:
    from .glossary import Glossary

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
_EXCEL_EPOCH = date(1899, 12, 30)
#: The columns read as plain text; hashtags and dates have their own readers.
_TEXT_FIELDS = tuple(
    name for name in REQUIRED_FIELDS + OPTIONAL_FIELDS if name not in ("jenis", "tagar", "mulai", "selesai")
)
#: The free-text columns a citizen reads as sentences: checked for plain language at import.
PLAIN_LANGUAGE_FIELDS = ("ringkasan", "manfaat", "cara_akses", "jam_layanan", "alt_gambar")
#: A run of digits written as a phone number: 0812-0000-1234, +62 812 0000 1234, (0721) 123456, 1500-123.
_PHONE_LIKE = re.compile(r"\+?\(?\d[\d ().-]*\d")
_PHONE_FORMATS = "08…, +62…, (0721) …, 0721-…, 1500-xxx, 112"


@dataclass(frozen=True)
class CatalogueRow:
    """One validated row: the innovation, where it came from, and a sign-off recorded in the file."""

    innovation: Innovation
    source: str  # "file:row"
    signoff: SignOff | None


class CatalogueErrors(ConfigError):
    """Every problem found in the files, one ``file:row:column: reason`` per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = len(problems)
        heading = ngettext(
            "{count} problem in the catalogue; nothing was imported:",
            "{count} problems in the catalogue; nothing was imported:",
            count,
        ).format(count=count)
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
        problems.append(
            _("{path}:1: cannot read the file ({reason}); check that you may open it").format(
                path=path, reason=error.strerror
            )
        )
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.append(
            _(
                "{path}:1: the file is over {size} MB, too large for a catalogue; "
                "split it into several files, or delete pictures pasted into the sheet"
            ).format(path=path, size=MAX_FILE_BYTES // (1024 * 1024))
        )
        return None
    return data


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = tidy_text(str(value))
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
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007  # only the date is kept: no time, no zone
        except ValueError:
            continue
    raise ValueError(_("'{text}' is not a date; write 2026-12-01 or 1/12/2026 (day/month/year)").format(text=text))


def _validate(  # long: every column of a row, in the sheet's order
    path: Path, raw: RawRow, problems: list[str], warnings: list[str]
) -> CatalogueRow | None:
    where = f"{path}:{raw.number}"
    before = len(problems)
    cells: dict[str, Any] = {}
    refused: set[str] = set(raw.refused)
    for name, value in raw.cells.items():
        if not name or is_note_column(name) or name not in ALL_FIELDS or name in refused:
            continue
        if name in raw.formulas:
            problems.append(f"{where}:{name}: " + _("the cell holds a formula; type the value itself"))
            refused.add(name)
            continue
        cell, problem = _cell_value(name, value)
        if problem is not None:
            problems.append(f"{where}:{name}: {problem}")
            refused.add(name)
            continue
        cells[name] = cell
    values: dict[str, Any] = {name: _text(cells.get(name)) for name in _TEXT_FIELDS}
    problems.extend(
        f"{where}:{name}: " + _("required; fill in this cell")
        for name in REQUIRED_FIELDS
        # A column missing from a sheet's header is reported once, not on every row.
        if values[name] is None and name not in refused and (name in raw.cells or raw.keyed)
    )
    _check_id_and_link(where, values, problems)
    kind = _innovation_kind(f"{where}:jenis", cells.get("jenis"), problems)
    if values["kontak"]:
        _check_phone_numbers(f"{where}:kontak", values["kontak"], problems, warnings)
    tags_text = _text(cells.get("tagar")) or ""
    tags = tuple(tag.lstrip("#") for tag in re.split(r"[\s,;]+", tags_text) if tag.lstrip("#"))
    problems.extend(
        f"{where}:tagar: "
        + _("'{tag}' is not a hashtag; use letters and digits only, e.g. BandarLampung").format(tag=tag)
        for tag in tags
        if not _TAG.match(tag)
    )
    dates: dict[str, date | None] = {}
    for name in ("mulai", "selesai"):
        try:
            dates[name] = parse_date(cells.get(name))
        except ValueError as error:
            problems.append(f"{where}:{name}: {error}")
            dates[name] = None
    if dates["mulai"] and dates["selesai"] and dates["selesai"] < dates["mulai"]:
        problems.append(
            f"{where}:selesai: " + _("{end} is before mulai {start}").format(end=dates["selesai"], start=dates["mulai"])
        )
    signoff = _signoff(where, cells, problems)
    if len(problems) > before:
        return None
    innovation = Innovation(**values, tagar=tags, mulai=dates["mulai"], selesai=dates["selesai"], jenis=kind)
    return CatalogueRow(innovation, f"{path}:{raw.number}", signoff)


def _check_id_and_link(where: str, values: dict[str, Any], problems: list[str]) -> None:
    """The id must be a slug and the link a web address (its scheme lowercased in ``values``)."""
    identifier = values["id"]
    if identifier is not None and not _SLUG.match(identifier):
        problems.append(
            f"{where}:id: "
            + _("'{id}' is not a valid id; use lowercase letters, digits and hyphens, e.g. 'ktp-sehari-jadi'").format(
                id=identifier
            )
        )
    if values["tautan"] and not _URL.match(values["tautan"]):
        problems.append(
            f"{where}:tautan: "
            + _("'{link}' is not a web address, e.g. layanan.bandarlampungkota.go.id/ktp").format(link=values["tautan"])
        )
    elif values["tautan"]:
        values["tautan"] = _SCHEME.sub(lambda match: match.group().lower(), values["tautan"])  # HTTP:// → http://


def _innovation_kind(where: str, cell: Any, problems: list[str]) -> str:
    """The ``jenis`` cell as a kind (empty: the default); a problem, and "", for an unknown one."""
    try:
        return parse_innovation_kind(_text(cell))
    except ValueError as error:
        problems.append(f"{where}: {error}")
        return ""


def _check_phone_numbers(where: str, text: str, problems: list[str], warnings: list[str]) -> None:
    """A mobile number that lost its leading 0 (a number cell in Excel) is an error; an unusual one a warning."""
    for match in _PHONE_LIKE.finditer(text):
        written = match.group()
        digits = re.sub(r"\D", "", written)
        if len(digits) < 5 or _is_indonesian_phone(written, digits):
            continue  # short numbers are house numbers or emergency lines (112)
        if digits.startswith("8") and 9 <= len(digits) <= 12:
            problems.append(
                f"{where}: "
                + _(
                    "'{written}' looks like a phone number that lost its leading 0 (0{digits}); "
                    "format the column as Text in Excel and type the number again with its 0"
                ).format(written=written, digits=digits)
            )
        else:
            warnings.append(
                f"{where}: "
                + _("'{written}' is not written like an Indonesian phone number ({formats})").format(
                    written=written, formats=_PHONE_FORMATS
                )
            )


def _is_indonesian_phone(written: str, digits: str) -> bool:
    if written.startswith("+") or digits.startswith("62"):
        return digits.startswith("62") and 10 <= len(digits) <= 15
    if digits.startswith("0"):
        return 9 <= len(digits) <= 13
    return digits.startswith("1500") and len(digits) <= 8  # call centres: 1500-123, 1500 4567


def _cell_value(name: str, value: Any) -> tuple[Any, str | None]:
    """The cell's value ready to validate, or why it cannot be one: wrong kind, too long, hidden characters."""
    if isinstance(value, str):
        return _text_cell(value)
    if name == "tagar" and isinstance(value, list):  # YAML may list the hashtags
        if not all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in value):
            return None, _("each hashtag in the list must be a word, e.g. [BandarLampung, LayananPublik]")
        return _text_cell(" ".join(str(item) for item in value))
    if isinstance(value, bool):
        return None, _("'{value}' is a yes/no value, not text; write the text itself (in YAML, in quotes)").format(
            value=str(value).lower()
        )
    if isinstance(value, bytes):
        return None, _("the cell holds binary data; write the text itself")
    if value is not None and not isinstance(value, (int, float, date, time)):
        return None, _("the cell holds a {type} value; write the text itself").format(type=type(value).__name__)
    return value, None  # empty, a number, a date or a time: short, with no characters to hide


def _text_cell(value: str) -> tuple[str | None, str | None]:
    if len(value) > MAX_CELL_CHARACTERS:
        return None, too_long(len(value))
    value = value.replace("\r\n", "\n").replace("\r", "\n")  # line breaks from Windows and old Macs
    hidden = hidden_characters(value)
    if hidden:
        position, character = hidden[0]
        return None, hidden_character_problem(character, len(hidden), value[:position])
    return value, None


def _signoff(where: str, cells: dict[str, Any], problems: list[str]) -> SignOff | None:
    status_text = (_text(cells.get("status")) or "draf").lower()
    if status_text not in _STATUS_WORDS:
        problems.append(
            f"{where}:status: "
            + _("'{status}' is not a status; use draf, disetujui or ditolak").format(status=status_text)
        )
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
        problems.append(
            f"{where}:disetujui_oleh: " + _("who approved it? write a name, e.g. 'Rina Kusuma (Diskominfo)'")
        )
    if on is None:
        problems.append(f"{where}:disetujui_pada: " + _("when was it approved? write a date, e.g. 2026-11-20"))
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
    return _read_sources(paths, sheet, sheets_read, media_folder, [])[0]


def _read_sources(
    paths: Iterable[Path],
    sheet: str | None,
    sheets_read: dict[Path, str] | None,
    media_folder: Path | None,
    warnings: list[str],
) -> tuple[list[CatalogueRow], dict[Path, str]]:
    """The validated rows, and the fingerprint of the very bytes each file's rows were parsed from.

    ``warnings`` collects what does not block the import (a file read as Windows-1252, an unusual phone number).
    """
    problems: list[str] = []
    rows: list[CatalogueRow] = []
    fingerprints: dict[Path, str] = {}
    seen: dict[str, str] = {}
    for path in map(Path, paths):
        if not path.is_file():
            problems.append(f"{path}: " + _("file not found"))
            continue
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".xlsx", ".xlsm", ".yaml", ".yml"):
            message = _("unsupported file type '{suffix}'; use .csv, .xlsx or .yaml").format(suffix=suffix)
            problems.append(f"{path}: {message}")
            continue
        data = _read_once(path, problems)
        if data is None:
            continue
        fingerprints[path] = hashlib.sha256(data).hexdigest()
        if suffix == ".csv":
            raw_rows = read_csv(path, data, problems, warnings)
        elif suffix in (".xlsx", ".xlsm"):
            raw_rows = read_xlsx(path, data, sheet, problems, sheets_read)
        else:
            raw_rows = read_yaml(path, data, problems)
        if not raw_rows and not any(problem.startswith(str(path)) for problem in problems):
            problems.append(f"{path}:2: " + _("no innovations in the file; fill in at least one row under the header"))
        for raw in raw_rows:
            row = _validate(path, raw, problems, warnings)
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
                message = _("'{id}' is used twice (first at {first}); ids must be unique")
                problems.append(f"{row.source}:id: " + message.format(id=identifier, first=seen[identifier]))
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
    glossary: Callable[[], Glossary] | None = None,
) -> ImportSummary:
    """Validate every file, then upsert all rows in one transaction (nothing on any error).

    The summary's warnings name each cell whose text is not plain language (checked with ``glossary``,
    the default one if None), once per cell, before anyone approves it; they never block the import.
    """
    paths = [Path(path).resolve() for path in paths]
    warnings: list[str] = []
    rows, fingerprints = _read_sources(paths, sheet, sheets_read, media_folder, warnings)
    warnings += plain_language_warnings(rows, glossary() if glossary else None)
    summary = store.import_innovations(
        ((row.innovation, row.source, row.signoff) for row in rows),
        now,
        sources=fingerprints,
    )
    return replace(summary, warnings=tuple(warnings))


def plain_language_warnings(rows: Iterable[CatalogueRow], glossary: Glossary | None) -> list[str]:
    """One ``file:row:column`` line per free-text cell with plain-language findings."""
    from .plainlang import check_text

    warnings = []
    for row in rows:
        for name in PLAIN_LANGUAGE_FIELDS:
            text = _as_read(name, getattr(row.innovation, name))
            findings = check_text(text, glossary=glossary).findings if text else ()
            if findings:
                labels = "; ".join(
                    finding.message + (f" — {finding.suggestion}" if finding.suggestion else "") for finding in findings
                )
                warnings.append(f"{row.source}:{name}: " + _("plain language: {findings}").format(findings=labels))
    return warnings


def _as_read(column: str, text: str | None) -> str | None:
    """A cell as citizens will read it: ``cara_akses`` becomes its steps, each a sentence of its own."""
    if column != "cara_akses" or not text:
        return text
    from .render import steps

    return "\n".join(step if step[-1] in ".!?" else f"{step}." for step in steps(text))


def sync(
    store: Store,
    paths: Iterable[Path],
    now: datetime,
    media_folder: Path | None = None,
    glossary: Callable[[], Glossary] | None = None,
) -> ImportSummary | None:
    """Re-import the configured files when any of them changed since the last sync."""
    paths = [Path(path) for path in paths]
    for path in paths:
        if not path.is_file():
            raise ConfigError(
                f"{path}: " + _("catalogue file named in the config does not exist; fix 'catalogue' in the config")
            )
    changed = [path for path in paths if store.source_fingerprint(path.resolve()) != fingerprint(path)]
    if not changed:
        return None
    return import_files(store, paths, now, media_folder=media_folder, glossary=glossary)


def image_path(source: str | None, image: str | None) -> Path | None:
    """An innovation's image file, resolved against the folder of the catalogue file it came from."""
    if not image:
        return None
    path = Path(image)
    if path.is_absolute() or not source:
        return path
    return Path(source.rsplit(":", 1)[0]).parent / path
