"""The evidence report as a workbook, opened back with openpyxl as Excel would read it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from tests.test_report import DUKCAPIL, KTP, REFUSED, build_office, run

SHEETS = ["Ringkasan", "Per OPD", "Per inovasi", "Unggahan", "Liputan media", "Balasan warga", "Celah"]


def test_the_workbook_has_a_sheet_per_view_with_indonesian_headers_dates_frozen_headers_and_filters(
    tmp_path: Path,
) -> None:
    office = build_office(tmp_path)
    target = tmp_path / "laporan.xlsx"
    result = run(
        office, "--language", "id", "report", "--from", "2026-12-01", "--format", "xlsx", "--output", str(target)
    )
    assert result.exit_code == 0, result.output
    workbook = load_workbook(target)
    assert workbook.sheetnames == SHEETS
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
    posts = workbook["Unggahan"]
    headers = [cell.value for cell in posts[1]]
    assert headers[:8] == ["ID unggahan", "OPD", "Inovasi", "Platform", "Kanal", "Terbit (WIB)", "Tautan", "Teks"]
    assert "Suka" in headers and "Interaksi" in headers
    rows = [dict(zip(headers, (cell.value for cell in row), strict=True)) for row in posts.iter_rows(min_row=2)]
    ktp = next(row for row in rows if row["Inovasi"] == "KTP Sehari Jadi")
    assert isinstance(ktp["Terbit (WIB)"], datetime) and ktp["Terbit (WIB)"].strftime("%H:%M") == "09:01"  # WIB
    assert posts.cell(row=2, column=6).number_format == "dd/mm/yyyy hh:mm"
    assert ktp["OPD"] == DUKCAPIL and ktp["Tautan"].startswith("https://") and "kabar baik" in ktp["Teks"]
    press = workbook["Liputan media"]
    assert [cell.value for cell in press[1]] == ["Tanggal", "OPD", "Inovasi", "Media", "Tautan"]
    assert press.cell(row=2, column=1).value == datetime(2026, 12, 2)  # a real date cell
    assert press.cell(row=2, column=1).number_format == "dd/mm/yyyy"
    per_innovation = {row[2].value: row for row in workbook["Per inovasi"].iter_rows(min_row=2)}
    assert per_innovation[KTP][4].value == 2  # platforms reached
    summary = {row[0].value: row[1].value for row in workbook["Ringkasan"].iter_rows(min_row=2)}
    assert summary["Periode dari"] == datetime.combine(date(2026, 12, 1), datetime.min.time())
    assert summary["Unggahan terbit"] == len(rows)
    gaps = [[cell.value for cell in row] for row in workbook["Celah"].iter_rows(min_row=2)]
    failed = next(row for row in gaps if row[0] == "gagal")  # the state as the reader calls it
    assert failed[-1] == REFUSED and isinstance(failed[4], datetime)
    assert ["disetujui, belum diunggah pada periode ini", "Dinas Perpustakaan dan Kearsipan", "Arsip Digital"] in [
        row[:3] for row in gaps
    ]


def test_a_workbook_in_a_folder_that_does_not_exist_is_one_clear_line_and_leaves_nothing(tmp_path: Path) -> None:
    office = build_office(tmp_path)
    target = tmp_path / "tidak-ada" / "laporan.xlsx"
    result = run(office, "report", "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"cannot write {target}" in result.output and not target.parent.exists()
