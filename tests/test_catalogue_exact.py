"""Issue #11, the catalogue side: data kept exactly, problems found where they are written, no silent withdrawals."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from outreach.catalogue import CatalogueErrors, import_files, read_catalogue
from outreach.cli import cli
from outreach.model import Innovation, Status
from outreach.store import Store
from tests.engine_helpers import campaign, file_channel, innovation, project, write_catalogue
from tests.test_catalogue import BASE_HEADER, innovation_row, write_csv


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every store test here runs on SQLite and on PostgreSQL (``any_store``)."""
    return any_store


NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def problems_of(paths: list[Path]) -> list[str]:
    with pytest.raises(CatalogueErrors) as caught:
        read_catalogue(paths)
    return caught.value.problems


def xlsx_with_kontak(path: Path, value: Any, number_format: str | None = None) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([*BASE_HEADER, "kontak"])
    sheet.append([*innovation_row("satu").values(), value])
    if number_format is not None:
        sheet.cell(row=2, column=len(BASE_HEADER) + 1).number_format = number_format
    workbook.save(path)
    return path


# ---- 3. data kept exactly ----------------------------------------------------------------------------------


def test_a_number_cell_formatted_with_leading_zeros_keeps_them(folder: Path) -> None:
    path = xlsx_with_kontak(folder / "inovasi.xlsx", 81200008822, "000000000000")
    [row] = read_catalogue([path])
    assert row.innovation.kontak == "081200008822"


def test_a_phone_number_that_lost_its_leading_zero_is_an_error_with_the_fix(folder: Path) -> None:
    path = xlsx_with_kontak(folder / "inovasi.xlsx", 81200008822)
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:2:kontak: ")
    assert "81200008822" in problem and "081200008822" in problem and "Text" in problem


def test_a_text_formatted_number_cell_is_read_as_the_sheet_shows_it(folder: Path) -> None:
    path = xlsx_with_kontak(folder / "inovasi.xlsx", 112, "@")
    [row] = read_catalogue([path])
    assert row.innovation.kontak == "112"


@pytest.mark.parametrize(
    "kontak",
    [
        "WhatsApp 0812-0000-1234",
        "081200008822",
        "+62 812 0000 1234",
        "(0721) 123456",
        "0721-123456",
        "Call centre 1500-123",
        "Darurat 112",
        "Kantor kelurahan, Jl. Sudirman No. 12",
    ],
)
def test_indonesian_phone_formats_are_accepted_without_warning(folder: Path, store: Store, kontak: str) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", kontak=kontak)])
    summary = import_files(store, [path], NOW)
    assert summary.warnings == ()


def test_a_csv_phone_number_without_its_leading_zero_is_an_error(folder: Path) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", kontak="WA 812-0000-1234")])
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:2:kontak: ")


def test_an_unusual_phone_number_is_a_warning_not_an_error(folder: Path, store: Store) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", kontak="Telepon 5551234567")])
    summary = import_files(store, [path], NOW)
    assert summary.added == ("satu",)
    [warning] = summary.warnings
    assert warning.startswith(f"{path}:2:kontak: ") and "5551234567" in warning


# ---- 5. plain-language problems where they are written ----------------------------------------------------------

JARGON = "Layanan ini mengoptimalkan sinergi dalam rangka akselerasi pelayanan."


def test_plain_language_problems_are_reported_at_import_once_per_cell(folder: Path, store: Store) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", ringkasan=JARGON), innovation_row("dua")])
    summary = import_files(store, [path], NOW)
    assert summary.added == ("satu", "dua")  # warnings never block the import
    [warning] = summary.warnings
    assert warning.startswith(f"{path}:2:ringkasan: ")
    assert "sinergi" in warning and "akselerasi" in warning


# ---- 6. never withdraw approvals silently ------------------------------------------------------------------------


def test_a_whitespace_or_unicode_form_edit_keeps_the_approval(folder: Path, store: Store) -> None:
    tidy = "Cepat dan gratis untuk warga kafé."
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", manfaat=tidy)])
    import_files(store, [path], NOW)
    store.decide(["satu"], "approved", "Rina", NOW)
    for cosmetic in ("Cepat  dan gratis untuk  warga kafé.", unicodedata.normalize("NFD", tidy)):
        write_csv(folder / "inovasi.csv", [innovation_row("satu", manfaat=cosmetic)])
        summary = import_files(store, [path], NOW)
        assert summary.changed == () and summary.approvals_withdrawn == (), cosmetic
        [entry] = store.catalogue()
        assert entry.status is Status.APPROVED
        assert entry.innovation.manfaat == tidy


def test_an_approval_made_before_the_upgrade_stays_valid_for_unchanged_content(folder: Path, store: Store) -> None:
    manfaat = "Cepat  dan gratis."  # stored as the old importer kept it: double space and all
    old = Innovation(**{**innovation_row("satu", manfaat=manfaat), "tagar": ()})
    store.import_innovations([(old, f"{folder}/inovasi.csv:2", None)], NOW)
    store.decide(["satu"], "approved", "Rina", NOW)
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", manfaat=manfaat)])
    summary = import_files(store, [path], NOW)
    assert summary.approvals_withdrawn == ()
    [entry] = store.catalogue()
    assert entry.status is Status.APPROVED
    assert entry.innovation.manfaat == "Cepat dan gratis."
    assert store.decisions_of("satu")[-1]["content_hash"] == entry.innovation.content_hash


def test_hashes_of_already_tidy_content_are_what_they_were() -> None:
    """Stores hold hashes made as sha256 of the canonical JSON: tidy content must hash exactly as before."""
    tidy = Innovation(**{**innovation_row("satu"), "tagar": ("BandarLampung",)})
    before = {key: value for key, value in tidy.to_json().items() if key != "jenis"}  # the default kind is left out
    canonical = json.dumps(before, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert tidy.content_hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def cli_project(tmp_path: Path, manfaat: str = "Anda tidak perlu datang dua kali. Layanan ini gratis.") -> Path:
    return project(
        tmp_path,
        [innovation("satu", manfaat=manfaat), innovation("dua")],
        channels={"fb": file_channel()},
        campaigns={"kenali": campaign(["fb"])},
    )


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--config", str(config), "--now", "2026-12-01T08:00+07:00", *args], catch_exceptions=False
    )


def test_a_withdrawal_is_announced_once_by_the_command_that_syncs_and_queue_marks_the_posts(tmp_path: Path) -> None:
    config = cli_project(tmp_path)
    assert run(config, "plan", "--days", "3").exit_code == 0
    write_catalogue(tmp_path, [innovation("satu", manfaat="Anda cukup datang sekali. Gratis."), innovation("dua")])
    queued = run(config, "queue")
    assert queued.exit_code == 0
    assert queued.stderr.count("lost its approval") == 1
    assert "satu" in queued.stderr and "outreach catalogue approve satu" in queued.stderr
    lines = [line for line in queued.stdout.splitlines() if " satu " in f" {line} "]
    assert lines and all("cancel" in line for line in lines)
    assert not any("cancel" in line for line in queued.stdout.splitlines() if " dua " in f" {line} ")
    again = run(config, "preview", "--days", "1")
    assert "lost its approval" not in again.stderr


def test_sync_reports_plain_language_warnings_on_stderr(tmp_path: Path) -> None:
    config = cli_project(tmp_path, manfaat=JARGON)
    result = run(config, "preview", "--days", "1")
    assert result.exit_code == 0
    assert result.stderr.count(":manfaat: ") == 1 and "sinergi" in result.stderr


# ---- 7. spreadsheet row numbers are Excel's ------------------------------------------------------------------


def test_a_line_break_in_a_cell_does_not_shift_later_rows(folder: Path) -> None:
    path = write_csv(
        folder / "inovasi.csv",
        [innovation_row("satu", cara_akses="Datang ke kantor\nBawa KTP"), innovation_row("Salah")],
    )
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:3:id: ")


# ---- 8. Indonesian Excel's plain CSV save ------------------------------------------------------------------


def test_a_windows_1252_csv_with_semicolons_is_read_with_a_notice(folder: Path, store: Store) -> None:
    path = write_csv(
        folder / "inovasi.csv",
        [innovation_row("satu", ringkasan="Layanan di kafé “Kota”.")],
        delimiter=";",
        encoding="cp1252",
    )
    summary = import_files(store, [path], NOW)
    assert summary.added == ("satu",)
    assert store.catalogue()[0].innovation.ringkasan == "Layanan di kafé “Kota”."
    assert any(warning.startswith(f"{path}: ") and "Windows-1252" in warning for warning in summary.warnings)


def test_a_csv_in_neither_encoding_names_the_indonesian_menu(folder: Path) -> None:
    path = folder / "inovasi.csv"
    path.write_bytes(",".join(BASE_HEADER).encode() + b"\nsatu,Caf\x81,a,b,c,d\n")
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:2: ")
    assert "Simpan Sebagai" in problem and "CSV UTF-8" in problem


# ---- 9. blank rows, double spaces, tags --------------------------------------------------------------------


def test_an_xlsx_row_of_only_spaces_is_a_blank_row(folder: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(BASE_HEADER)
    sheet.append(list(innovation_row("satu").values()))
    sheet.append(["  ", " ", None, "\u00a0", "", " "])
    path = folder / "inovasi.xlsx"
    workbook.save(path)
    assert [row.innovation.id for row in read_catalogue([path])] == ["satu"]


def test_double_spaces_inside_cells_are_collapsed(folder: Path) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", nama="Layanan  KTP   Cepat")])
    [row] = read_catalogue([path])
    assert row.innovation.nama == "Layanan KTP Cepat"


def test_catalogue_show_prints_tags_as_hashtags(tmp_path: Path) -> None:
    config = cli_project(tmp_path)
    shown = run(config, "catalogue", "show", "satu")
    assert shown.exit_code == 0
    [line] = [line for line in shown.stdout.splitlines() if line.startswith("tagar")]
    assert line.split(maxsplit=1)[1] == "#BandarLampung #LayananPublik"


def test_catalogue_import_says_each_warning_once_even_for_the_configured_file(tmp_path: Path) -> None:
    config = cli_project(tmp_path, manfaat=JARGON)
    imported = run(config, "catalogue", "import", str(tmp_path / "inovasi.csv"))
    assert imported.exit_code == 0
    assert imported.stderr.count(":manfaat: ") == 1


def test_the_steps_of_cara_akses_are_checked_as_the_sentences_citizens_read(tmp_path: Path) -> None:
    """Steps separated by ``|`` are short sentences in the post: the import must not call them one long one.

    The bundled example's catalogue writes every cara_akses as steps; none may be reported as too long.
    It names puskesmas and posyandu without spelling them out (words every reader knows), which an
    office that agrees says in its glossary.
    """
    from outreach.catalogue import plain_language_warnings
    from outreach.glossary import Glossary

    office = tmp_path / "glosarium.toml"
    office.write_text('allow = ["puskesmas", "posyandu"]\n', encoding="utf-8")
    bundled = Path(__file__).resolve().parents[1] / "config" / "catalogue" / "inovasi.csv"
    rows = read_catalogue([bundled], media_folder=bundled.parent)
    assert all("|" in row.innovation.cara_akses for row in rows)
    warnings = plain_language_warnings(rows, Glossary.load(extra=office))
    assert [warning for warning in warnings if ":cara_akses:" in warning] == []
