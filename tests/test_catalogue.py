"""Importing the innovation catalogue and binding approvals to content (outreach.catalogue, outreach.store)."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from outreach.catalogue import MAX_FILE_BYTES, CatalogueErrors, image_path, import_files, read_catalogue, sync
from outreach.errors import ConfigError, NotFound
from outreach.model import ALL_FIELDS, Innovation, Status
from outreach.store import Store
from outreach.store.copying import table_digests


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every store test here runs on SQLite and on PostgreSQL (``any_store``)."""
    return any_store


REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config" / "catalogue" / "inovasi.csv"
TEMPLATE_CSV = REPO / "config" / "catalogue" / "templat-inovasi.csv"
TEMPLATE_XLSX = REPO / "config" / "catalogue" / "templat-inovasi.xlsx"

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)

BASE_HEADER = ["id", "nama", "opd", "ringkasan", "manfaat", "cara_akses"]


def innovation_row(identifier: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": identifier,
        "nama": f"Layanan {identifier}",
        "opd": "Dinas Kependudukan dan Pencatatan Sipil",
        "ringkasan": f"Ringkasan {identifier}.",
        "manfaat": "Cepat dan gratis.",
        "cara_akses": "Datang ke kantor | Bawa KTP",
    }
    row.update(overrides)
    return row


def csv_text(rows: list[dict[str, Any]], header: list[str] | None = None, delimiter: str = ",") -> str:
    if header is None:
        header = list(BASE_HEADER)
        for row in rows:
            header += [key for key in row if key not in header]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name in header])
    return buffer.getvalue()


def write_csv(
    path: Path,
    rows: list[dict[str, Any]],
    header: list[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    path.write_bytes(csv_text(rows, header, delimiter).encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def database_digest(store: Store) -> dict[str, tuple[int, str]]:
    """Every table's rows and their SHA-256, i.e. everything stored, on either engine."""
    return table_digests(store.url)


def statuses(store: Store) -> dict[str, Status]:
    return {entry.innovation.id: entry.status for entry in store.catalogue()}


def entry(store: Store, identifier: str):  # type: ignore[no-untyped-def]
    return next(item for item in store.catalogue() if item.innovation.id == identifier)


def problems_of(paths: list[Path], sheet: str | None = None) -> list[str]:
    with pytest.raises(CatalogueErrors) as caught:
        read_catalogue(paths, sheet)
    return caught.value.problems


# ---- formats -------------------------------------------------------------------------------------------


def test_csv_with_commas_imports_every_field(folder: Path, store: Store) -> None:
    (folder / "gambar").mkdir()
    shutil.copy(REPO / "tests" / "data" / "sample.jpg", folder / "gambar" / "ktp.jpg")
    path = write_csv(
        folder / "inovasi.csv",
        [
            innovation_row(
                "ktp-sehari-jadi",
                ringkasan="KTP selesai hari itu juga, tanpa calo.",
                lokasi="Mal Pelayanan Publik, Jl. Pemuda No. 15",
                jam_layanan="Senin–Jumat pukul 08.00–15.00 WIB",
                kontak="WhatsApp 0812-0000-1234",
                tautan="https://bandarlampungkota.go.id/inovasi/ktp",
                gambar="gambar/ktp.jpg",
                alt_gambar="Poster biru.",
                tagar="#BandarLampung, LayananPublik KTP",
                mulai="2026-01-15",
                selesai="31/12/2027",
            )
        ],
    )
    summary = import_files(store, [path], NOW)
    assert summary.added == ("ktp-sehari-jadi",)
    [item] = store.catalogue()
    assert item.status is Status.DRAFT
    assert item.source == f"{path}:2"
    assert item.innovation == Innovation(
        id="ktp-sehari-jadi",
        nama="Layanan ktp-sehari-jadi",
        opd="Dinas Kependudukan dan Pencatatan Sipil",
        ringkasan="KTP selesai hari itu juga, tanpa calo.",
        manfaat="Cepat dan gratis.",
        cara_akses="Datang ke kantor | Bawa KTP",
        lokasi="Mal Pelayanan Publik, Jl. Pemuda No. 15",
        jam_layanan="Senin–Jumat pukul 08.00–15.00 WIB",
        kontak="WhatsApp 0812-0000-1234",
        tautan="https://bandarlampungkota.go.id/inovasi/ktp",
        gambar="gambar/ktp.jpg",
        alt_gambar="Poster biru.",
        tagar=("BandarLampung", "LayananPublik", "KTP"),
        mulai=date(2026, 1, 15),
        selesai=date(2027, 12, 31),
    )


def test_csv_with_semicolons_as_indonesian_excel_saves_it(folder: Path, store: Store) -> None:
    text = (
        "id;nama;opd;ringkasan;manfaat;cara_akses;mulai\n"
        "bank-sampah;Bank Sampah;Dinas Lingkungan Hidup;Sampah plastik, kertas, dan kaleng dijemput.;Rumah bersih;Kirim pesan;1/4/2026\n"
    )
    path = folder / "inovasi.csv"
    path.write_text(text, encoding="utf-8")
    import_files(store, [path], NOW)
    [item] = store.catalogue()
    assert item.innovation.ringkasan == "Sampah plastik, kertas, dan kaleng dijemput."
    assert item.innovation.mulai == date(2026, 4, 1)


def test_csv_with_utf8_bom_reads_the_first_column(folder: Path, store: Store) -> None:
    path = write_csv(
        folder / "inovasi.csv",
        [innovation_row("dengan-bom", nama="Akta Kelahiran — cepat")],
        delimiter=";",
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    import_files(store, [path], NOW)
    [item] = store.catalogue()
    assert item.innovation.id == "dengan-bom"
    assert item.innovation.nama == "Akta Kelahiran — cepat"


def test_note_columns_are_ignored(folder: Path, store: Store) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", No="1", catatan="cek lagi", keterangan="-")])
    import_files(store, [path], NOW)
    assert [item.innovation.id for item in store.catalogue()] == ["satu"]


def test_xlsx_with_real_date_cells_and_text_dates(folder: Path, store: Store) -> None:
    header = BASE_HEADER + ["mulai", "selesai"]
    path = write_xlsx(
        folder / "inovasi.xlsx",
        {
            "Inovasi": [
                header,
                list(innovation_row("sel-tanggal").values()) + [datetime(2026, 12, 1), date(2027, 1, 31)],
                list(innovation_row("teks-tanggal").values()) + ["1/12/2026", "2027-01-31"],
            ]
        },
    )
    import_files(store, [path], NOW)
    items = {item.innovation.id: item.innovation for item in store.catalogue()}
    assert items["sel-tanggal"].mulai == date(2026, 12, 1)
    assert items["teks-tanggal"].mulai == date(2026, 12, 1)  # day first: 1 December, not 12 January
    assert items["sel-tanggal"].selesai == items["teks-tanggal"].selesai == date(2027, 1, 31)


def test_xlsx_reads_the_first_sheet_or_a_named_sheet(folder: Path, tmp_path: Path) -> None:
    path = write_xlsx(
        folder / "inovasi.xlsx",
        {
            "Inovasi": [BASE_HEADER, list(innovation_row("di-lembar-pertama").values())],
            "Arsip": [BASE_HEADER, list(innovation_row("di-lembar-arsip").values())],
        },
    )
    first = Store("sqlite:///" + str(tmp_path / "pertama.sqlite3"))
    named = Store("sqlite:///" + str(tmp_path / "bernama.sqlite3"))
    try:
        import_files(first, [path], NOW)
        import_files(named, [path], NOW, sheet="Arsip")
        assert list(statuses(first)) == ["di-lembar-pertama"]
        assert list(statuses(named)) == ["di-lembar-arsip"]
    finally:
        first.close()
        named.close()


def test_xlsx_missing_sheet_names_the_sheets(folder: Path) -> None:
    path = write_xlsx(folder / "inovasi.xlsx", {"Inovasi": [BASE_HEADER, list(innovation_row("a").values())]})
    [problem] = problems_of([path], sheet="Tidak Ada")
    assert str(path) in problem
    assert "Tidak Ada" in problem and "Inovasi" in problem


def test_xlsx_row_numbers_count_blank_rows(folder: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(BASE_HEADER + ["mulai"])
    sheet.append(list(innovation_row("baik").values()) + ["2026-12-01"])
    for column, value in zip("ABCDEFG", list(innovation_row("buruk").values()) + ["32/13/2026"]):
        sheet[f"{column}5"] = value
    path = folder / "inovasi.xlsx"
    workbook.save(path)
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:5:mulai: ")
    assert "32/13/2026" in problem


def test_xlsx_formula_cell_is_refused(folder: Path) -> None:
    path = write_xlsx(
        folder / "inovasi.xlsx",
        {"Inovasi": [BASE_HEADER, list(innovation_row("rumus", manfaat='=CONCAT("Cepat", " dan gratis")').values())]},
    )
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:2:manfaat: ")
    assert "formula" in problem


def test_yaml_list_form(folder: Path, store: Store) -> None:
    path = folder / "inovasi.yaml"
    path.write_text(
        "- id: satu\n"
        "  nama: Satu\n"
        "  opd: Dinas Sosial\n"
        "  ringkasan: Ringkasan satu.\n"
        "  manfaat: Gratis.\n"
        "  cara_akses: Datang | Bawa KTP\n"
        "  mulai: 2026-12-01\n"
        "  tagar: '#BandarLampung #Sosial'\n"
        "- id: dua\n"
        "  nama: Dua\n"
        "  opd: Dinas Sosial\n"
        "  ringkasan: Ringkasan dua.\n"
        "  manfaat: Cepat.\n"
        "  cara_akses: Kirim pesan\n",
        encoding="utf-8",
    )
    summary = import_files(store, [path], NOW)
    assert summary.added == ("satu", "dua")
    items = {item.innovation.id: item for item in store.catalogue()}
    assert items["satu"].innovation.mulai == date(2026, 12, 1)
    assert items["satu"].innovation.tagar == ("BandarLampung", "Sosial")
    assert items["dua"].source == f"{path}:9"


def test_yaml_inovasi_form(folder: Path, store: Store) -> None:
    path = folder / "inovasi.yml"
    path.write_text(
        "# Katalog inovasi\n"
        "inovasi:\n"
        "  - id: satu\n"
        "    nama: Satu\n"
        "    opd: Dinas Sosial\n"
        "    ringkasan: Ringkasan satu.\n"
        "    manfaat: Gratis.\n"
        "    cara_akses: Datang\n"
        "    status: disetujui\n"
        "    disetujui_oleh: Rina Kusuma\n"
        "    disetujui_pada: 2026-11-20\n",
        encoding="utf-8",
    )
    import_files(store, [path], NOW)
    [item] = store.catalogue()
    assert item.innovation.id == "satu"
    assert item.status is Status.APPROVED
    assert item.decided_by == "Rina Kusuma"
    assert item.source == f"{path}:3"


def test_yaml_bad_item_is_reported_at_its_line(folder: Path) -> None:
    path = folder / "inovasi.yaml"
    path.write_text(
        "inovasi:\n"
        "  - id: satu\n"
        "    nama: Satu\n"
        "    opd: D\n"
        "    ringkasan: R\n"
        "    manfaat: M\n"
        "    cara_akses: C\n"
        "  - id: dua\n"
        "    nama: Dua\n"
        "    opd: D\n"
        "    manfaat: M\n"
        "    cara_akses: C\n",
        encoding="utf-8",
    )
    assert problems_of([path]) == [f"{path}:8:ringkasan: required; fill in this cell"]


def test_yaml_tagar_as_a_list(folder: Path) -> None:
    path = folder / "inovasi.yaml"
    path.write_text(
        "- id: satu\n  nama: Satu\n  opd: D\n  ringkasan: R\n  manfaat: M\n  cara_akses: C\n"
        "  tagar: [BandarLampung, LayananPublik]\n",
        encoding="utf-8",
    )
    [row] = read_catalogue([path])
    assert row.innovation.tagar == ("BandarLampung", "LayananPublik")


def test_unsupported_file_type_and_missing_file(folder: Path) -> None:
    (folder / "inovasi.txt").write_text("id\n", encoding="utf-8")
    problems = problems_of([folder / "inovasi.txt", folder / "tidak-ada.csv"])
    assert any(".txt" in problem and "unsupported" in problem for problem in problems)
    assert any("tidak-ada.csv" in problem and "not found" in problem for problem in problems)


# ---- problems: reported precisely, nothing imported ------------------------------------------------------


def test_bad_rows_are_reported_by_file_row_and_column_and_nothing_is_imported(folder: Path, store: Store) -> None:
    earlier = write_csv(folder / "awal.csv", [innovation_row("sudah-ada")])
    import_files(store, [earlier], NOW)
    store.decide(["sudah-ada"], "approved", "Rina", NOW)
    before_entries = store.catalogue()
    before_digest = database_digest(store)

    good = write_csv(folder / "baik.csv", [innovation_row("baru-baik")])
    header = BASE_HEADER + ["tautan", "tagar", "mulai", "selesai"]
    bad = write_csv(
        folder / "buruk.csv",
        [
            innovation_row("baris-dua-baik"),  # row 2
            innovation_row("baris-tiga", nama=""),  # row 3: nama missing
            {},  # row 4: blank, skipped but counted
            innovation_row("baris-lima", mulai="2026-02-30"),  # row 5: impossible date
            innovation_row("Baris_Enam"),  # row 6: bad id
            innovation_row("baris-tujuh", tautan="bukan alamat"),  # row 7
            innovation_row("baris-delapan", tagar="#Baik #tidak-baik"),  # row 8
            innovation_row("baris-sembilan", mulai="2026-12-10", selesai="2026-12-01"),  # row 9
        ],
        header=header,
    )
    with pytest.raises(CatalogueErrors) as caught:
        import_files(store, [good, earlier, bad], LATER)
    problems = caught.value.problems
    assert [problem.split(": ", 1)[0] for problem in problems] == [
        f"{bad}:3:nama",
        f"{bad}:5:mulai",
        f"{bad}:6:id",
        f"{bad}:7:tautan",
        f"{bad}:8:tagar",
        f"{bad}:9:selesai",
    ]
    assert "2026-02-30" in problems[1]
    assert "Baris_Enam" in problems[2]
    assert "tidak-baik" in problems[4]
    message = str(caught.value)
    assert message.startswith("6 problems in the catalogue; nothing was imported:")
    assert isinstance(caught.value, ConfigError)

    assert store.catalogue() == before_entries
    assert database_digest(store) == before_digest
    assert "baru-baik" not in statuses(store)


def test_duplicate_ids_in_one_file(folder: Path, store: Store) -> None:
    path = write_csv(
        folder / "inovasi.csv", [innovation_row("kembar"), innovation_row("lain"), innovation_row("kembar")]
    )
    with pytest.raises(CatalogueErrors) as caught:
        import_files(store, [path], NOW)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:4:id: ")
    assert f"first at {path}:2" in problem
    assert store.catalogue() == []


def test_duplicate_ids_across_files(folder: Path) -> None:
    first = write_csv(folder / "a.csv", [innovation_row("kembar")])
    second = write_csv(folder / "b.csv", [innovation_row("kembar")])
    [problem] = problems_of([first, second])
    assert problem.startswith(f"{second}:2:id: ")
    assert f"first at {first}:2" in problem


def test_a_csv_in_neither_utf8_nor_windows_1252_is_refused_with_the_line_and_advice(folder: Path, store: Store) -> None:
    path = folder / "inovasi.csv"
    text = csv_text([innovation_row("satu"), innovation_row("dua", ringkasan="Layanan di kafé kota.")])
    path.write_bytes(text.encode("latin-1").replace(b"\xe9", b"\x81"))  # a byte Windows-1252 leaves undefined
    with pytest.raises(CatalogueErrors) as caught:
        import_files(store, [path], NOW)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:3: ")
    assert "UTF-8" in problem
    assert store.catalogue() == []


def test_empty_file_is_refused(folder: Path) -> None:
    path = folder / "inovasi.csv"
    path.write_bytes(b"")
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1: ")
    assert "empty" in problem


def test_header_only_file_is_refused(folder: Path) -> None:
    path = write_csv(folder / "inovasi.csv", [])
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:2: ")
    assert "no innovations" in problem


def test_missing_required_column_is_reported_once(folder: Path) -> None:
    header = [name for name in BASE_HEADER if name != "manfaat"]
    path = write_csv(folder / "inovasi.csv", [innovation_row("a"), innovation_row("b")], header=header)
    assert problems_of([path]) == [f"{path}:1:manfaat: required column is missing; add a column headed 'manfaat'"]


def test_unknown_column_gets_a_did_you_mean_hint(folder: Path) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", tautn="layanan.go.id")])
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1:tautn: unknown column")
    assert "did you mean 'tautan'?" in problem


def test_unknown_column_without_a_close_match_lists_the_columns(folder: Path) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", zzzz="x")])
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1:zzzz: unknown column")
    assert "known columns: " + ", ".join(ALL_FIELDS) in problem


def test_a_huge_xlsx_cell_is_refused(folder: Path) -> None:
    path = write_xlsx(
        folder / "inovasi.xlsx",
        {"Inovasi": [BASE_HEADER, list(innovation_row("besar", manfaat="x" * 1_000_000).values())]},
    )
    problems = problems_of([path])
    assert any(problem.startswith(f"{path}:2:manfaat: ") and "5,000" in problem for problem in problems)


def test_a_1mb_yaml_cell_is_refused(folder: Path) -> None:
    path = folder / "inovasi.yaml"
    path.write_text(
        f"- id: besar\n  nama: B\n  opd: D\n  ringkasan: R\n  manfaat: {'x' * 1_000_000}\n  cara_akses: C\n",
        encoding="utf-8",
    )
    problems = problems_of([path])
    assert any(problem.startswith(f"{path}:1:manfaat: ") and "1,000,000 characters" in problem for problem in problems)


def test_a_cell_just_over_the_maximum_is_refused_and_at_the_maximum_accepted(folder: Path) -> None:
    ok = write_csv(folder / "ok.csv", [innovation_row("pas", manfaat="x" * 5000)])
    assert len(read_catalogue([ok])) == 1
    over = write_csv(folder / "over.csv", [innovation_row("lebih", manfaat="x" * 5001)])
    problems = problems_of([over])
    assert any(problem.startswith(f"{over}:2:manfaat: ") and "5,001 characters" in problem for problem in problems)


def test_a_1mb_csv_cell_is_refused_as_a_catalogue_problem(folder: Path, store: Store) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("besar", manfaat="x" * 1_000_000)])
    with pytest.raises(CatalogueErrors) as caught:
        import_files(store, [path], NOW)
    assert any(problem.startswith(f"{path}:2:manfaat: ") for problem in caught.value.problems)
    assert store.catalogue() == []


def test_row_with_a_multiline_cell_is_numbered_from_where_it_starts(folder: Path) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("Salah", cara_akses="Datang ke kantor\nBawa KTP")])
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:2:id: ")


def test_a_too_long_required_cell_is_reported(folder: Path) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("panjang", ringkasan="kata " * 1200)])
    problems = problems_of([path])
    assert any(problem.startswith(f"{path}:2:ringkasan: the cell has 6,000 characters") for problem in problems)


def test_a_too_long_required_cell_is_not_also_called_empty(folder: Path) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("panjang", ringkasan="kata " * 1200)])
    assert [problem.split(": ", 1)[0] for problem in problems_of([path])] == [f"{path}:2:ringkasan"]


# ---- re-import: upsert by id ------------------------------------------------------------------------------


def test_reimport_upserts_by_id_and_leaves_unchanged_rows_alone(folder: Path, store: Store) -> None:
    path = folder / "inovasi.csv"
    write_csv(path, [innovation_row("satu"), innovation_row("dua"), innovation_row("tiga")])
    first = import_files(store, [path], NOW)
    assert first.added == ("satu", "dua", "tiga")
    assert first.changed == first.unchanged == first.approvals_withdrawn == ()
    before = {item.innovation.id: item for item in store.catalogue()}

    write_csv(
        path,
        [
            innovation_row("satu"),
            innovation_row("dua", manfaat="Lebih cepat."),
            innovation_row("tiga"),
            innovation_row("empat"),
        ],
    )
    second = import_files(store, [path], LATER)
    assert second.added == ("empat",)
    assert second.changed == ("dua",)
    assert second.unchanged == ("satu", "tiga")
    assert second.approvals_withdrawn == ()

    after = {item.innovation.id: item for item in store.catalogue()}
    assert after["satu"] == before["satu"]
    assert after["tiga"] == before["tiga"]
    assert after["dua"].innovation.manfaat == "Lebih cepat."
    assert sorted(after) == ["dua", "empat", "satu", "tiga"]


def test_a_row_dropped_from_the_file_is_kept_in_the_store(folder: Path, store: Store) -> None:
    path = folder / "inovasi.csv"
    write_csv(path, [innovation_row("satu"), innovation_row("dua")])
    import_files(store, [path], NOW)
    write_csv(path, [innovation_row("satu")])
    summary = import_files(store, [path], LATER)
    assert summary.unchanged == ("satu",)
    assert sorted(statuses(store)) == ["dua", "satu"]


# ---- approval is bound to content ---------------------------------------------------------------------------


def test_approval_via_decide_is_withdrawn_when_the_content_changes(folder: Path, store: Store) -> None:
    path = folder / "inovasi.csv"
    write_csv(path, [innovation_row("satu"), innovation_row("dua")])
    import_files(store, [path], NOW)
    assert store.decide(["satu", "dua"], "approved", "Rina Kusuma", NOW, reason="sudah dicek") == ["satu", "dua"]
    assert statuses(store) == {"dua": Status.APPROVED, "satu": Status.APPROVED}
    assert entry(store, "satu").publishable
    assert entry(store, "satu").decided_by == "Rina Kusuma"
    assert entry(store, "satu").reason == "sudah dicek"

    same = import_files(store, [path], LATER)
    assert same.unchanged == ("satu", "dua")
    assert same.approvals_withdrawn == ()
    assert statuses(store)["satu"] is Status.APPROVED

    write_csv(path, [innovation_row("satu", kontak="WhatsApp 0812-0000-9999"), innovation_row("dua")])
    summary = import_files(store, [path], LATER)
    assert summary.changed == ("satu",)
    assert summary.approvals_withdrawn == ("satu",)
    assert statuses(store) == {"dua": Status.APPROVED, "satu": Status.CHANGED}
    assert not entry(store, "satu").publishable

    store.decide(["satu"], "approved", "Agus Santoso", LATER)
    assert statuses(store)["satu"] is Status.APPROVED
    assert entry(store, "satu").decided_by == "Agus Santoso"


def test_a_change_to_a_draft_withdraws_nothing(folder: Path, store: Store) -> None:
    path = folder / "inovasi.csv"
    write_csv(path, [innovation_row("satu")])
    import_files(store, [path], NOW)
    write_csv(path, [innovation_row("satu", manfaat="Beda.")])
    summary = import_files(store, [path], LATER)
    assert summary.changed == ("satu",)
    assert summary.approvals_withdrawn == ()
    assert statuses(store)["satu"] is Status.DRAFT


def test_rejection_via_decide(folder: Path, store: Store) -> None:
    import_files(store, [write_csv(folder / "inovasi.csv", [innovation_row("satu")])], NOW)
    store.decide(["satu"], "rejected", "Rina", NOW, reason="belum siap")
    item = entry(store, "satu")
    assert item.status is Status.REJECTED
    assert item.reason == "belum siap"
    assert not item.publishable


def test_decide_on_an_unknown_id_raises_and_records_nothing(folder: Path, store: Store) -> None:
    import_files(store, [write_csv(folder / "inovasi.csv", [innovation_row("satu")])], NOW)
    before = database_digest(store)
    with pytest.raises(NotFound) as caught:
        store.decide(["satu", "tidak-ada"], "approved", "Rina", NOW)
    assert "tidak-ada" in str(caught.value)
    assert statuses(store) == {"satu": Status.DRAFT}
    assert store.decisions_of("satu") == []
    assert database_digest(store) == before


def test_retire_and_bring_back(folder: Path, store: Store) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu")])
    import_files(store, [path], NOW)
    store.decide(["satu"], "approved", "Rina", NOW)
    store.retire("satu", "Agus", LATER)
    item = entry(store, "satu")
    assert item.status is Status.RETIRED
    assert item.decided_by == "Agus"
    assert item.decided_at == LATER
    assert not item.publishable

    import_files(store, [path], LATER + timedelta(hours=1))  # re-import does not revive it
    assert statuses(store)["satu"] is Status.RETIRED

    store.decide(["satu"], "approved", "Rina", LATER + timedelta(hours=2))
    assert statuses(store)["satu"] is Status.APPROVED

    with pytest.raises(NotFound):
        store.retire("tidak-ada", "Agus", LATER)


# ---- sign-off in the spreadsheet ----------------------------------------------------------------------------

SIGNOFF_HEADER = BASE_HEADER + ["status", "disetujui_oleh", "disetujui_pada"]


def signed(identifier: str, **overrides: Any) -> dict[str, Any]:
    signoff = {"status": "disetujui", "disetujui_oleh": "Rina Kusuma (Diskominfo)", "disetujui_pada": "2026-11-20"}
    return innovation_row(identifier, **{**signoff, **overrides})


def test_a_spreadsheet_signoff_records_an_approval(folder: Path, store: Store) -> None:
    path = write_csv(
        folder / "inovasi.csv",
        [signed("satu"), innovation_row("dua", status="draf"), innovation_row("tiga", status="Ditolak")],
        header=SIGNOFF_HEADER,
    )
    import_files(store, [path], NOW)
    assert statuses(store) == {"dua": Status.DRAFT, "satu": Status.APPROVED, "tiga": Status.REJECTED}
    item = entry(store, "satu")
    assert item.decided_by == "Rina Kusuma (Diskominfo)"
    assert item.decided_at is not None
    assert item.decided_at.astimezone().date() == date(2026, 11, 20)
    assert "catalogue file" in (item.reason or "")
    [decision] = store.decisions_of("satu")
    assert decision["decision"] == "approved"

    import_files(store, [path], LATER)  # importing the same sheet again records nothing new
    assert len(store.decisions_of("satu")) == 1


def test_a_signoff_needs_a_name_and_a_date(folder: Path, store: Store) -> None:
    path = write_csv(
        folder / "inovasi.csv",
        [
            innovation_row("satu", status="disetujui"),
            innovation_row("dua", status="disetujui", disetujui_oleh="Rina", disetujui_pada="kemarin"),
            innovation_row("tiga", status="oke"),
        ],
        header=SIGNOFF_HEADER,
    )
    with pytest.raises(CatalogueErrors) as caught:
        import_files(store, [path], NOW)
    heads = [problem.split(": ", 1)[0] for problem in caught.value.problems]
    assert heads == [
        f"{path}:2:disetujui_oleh",
        f"{path}:2:disetujui_pada",
        f"{path}:3:disetujui_pada",
        f"{path}:4:status",
    ]
    assert store.catalogue() == []


def test_changed_content_with_the_same_signoff_cells_is_not_reapproved(folder: Path, store: Store) -> None:
    path = folder / "inovasi.csv"
    write_csv(path, [signed("satu"), signed("dua")], header=SIGNOFF_HEADER)
    import_files(store, [path], NOW)
    assert statuses(store) == {"dua": Status.APPROVED, "satu": Status.APPROVED}

    write_csv(path, [signed("satu", ringkasan="Teks baru yang belum dicek."), signed("dua")], header=SIGNOFF_HEADER)
    summary = import_files(store, [path], LATER)
    assert summary.changed == ("satu",)
    assert summary.approvals_withdrawn == ("satu",)
    assert statuses(store) == {"dua": Status.APPROVED, "satu": Status.CHANGED}


def test_changed_content_with_a_new_signoff_is_approved(folder: Path, store: Store) -> None:
    path = folder / "inovasi.csv"
    write_csv(path, [signed("satu")], header=SIGNOFF_HEADER)
    import_files(store, [path], NOW)
    write_csv(
        path,
        [signed("satu", ringkasan="Teks baru.", disetujui_oleh="Agus Santoso", disetujui_pada="2026-11-26")],
        header=SIGNOFF_HEADER,
    )
    summary = import_files(store, [path], LATER)
    assert summary.approvals_withdrawn == ("satu",)
    item = entry(store, "satu")
    assert item.status is Status.APPROVED
    assert item.decided_by == "Agus Santoso"


def test_stale_signoff_does_not_reapprove_on_a_later_import(folder: Path, store: Store) -> None:
    path = folder / "inovasi.csv"
    write_csv(path, [signed("satu"), innovation_row("dua")], header=SIGNOFF_HEADER)
    import_files(store, [path], NOW)
    write_csv(
        path, [signed("satu", ringkasan="Teks baru yang belum dicek."), innovation_row("dua")], header=SIGNOFF_HEADER
    )
    import_files(store, [path], LATER)
    assert statuses(store)["satu"] is Status.CHANGED
    # Someone edits another row; the sheet is synced again with satu's text and sign-off cells untouched.
    write_csv(
        path,
        [signed("satu", ringkasan="Teks baru yang belum dicek."), innovation_row("dua", manfaat="Beda.")],
        header=SIGNOFF_HEADER,
    )
    summary = sync(store, [path], LATER + timedelta(hours=1))
    assert summary is not None and summary.unchanged == ("satu",)
    assert statuses(store)["satu"] is Status.CHANGED


def test_stale_signoff_does_not_approve_a_second_edit(folder: Path, store: Store) -> None:
    path = folder / "inovasi.csv"
    write_csv(path, [signed("satu")], header=SIGNOFF_HEADER)
    import_files(store, [path], NOW)
    write_csv(path, [signed("satu", ringkasan="Edit pertama.")], header=SIGNOFF_HEADER)
    import_files(store, [path], LATER)
    write_csv(path, [signed("satu", ringkasan="Edit kedua.")], header=SIGNOFF_HEADER)
    import_files(store, [path], LATER + timedelta(hours=1))
    assert statuses(store)["satu"] is Status.CHANGED


# ---- sync ------------------------------------------------------------------------------------------------------


def test_sync_imports_only_when_a_file_changes(folder: Path, store: Store) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu")])
    first = sync(store, [path], NOW)
    assert first is not None and first.added == ("satu",)
    assert store.source_fingerprint(path.resolve()) == hashlib.sha256(path.read_bytes()).hexdigest()
    before = database_digest(store)

    assert sync(store, [path], LATER) is None
    path.touch()  # a new modification time with the same bytes is not a change
    assert sync(store, [path], LATER) is None
    assert database_digest(store) == before

    write_csv(path, [innovation_row("satu"), innovation_row("dua")])
    second = sync(store, [path], LATER)
    assert second is not None
    assert second.added == ("dua",)
    assert second.unchanged == ("satu",)
    assert store.source_fingerprint(path.resolve()) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert database_digest(store) != before  # the digest does see writes


def test_sync_reimports_all_files_when_one_changes(folder: Path, store: Store) -> None:
    first = write_csv(folder / "a.csv", [innovation_row("satu")])
    second = write_csv(folder / "b.csv", [innovation_row("dua")])
    assert sync(store, [first, second], NOW) is not None
    write_csv(second, [innovation_row("dua", manfaat="Baru.")])
    summary = sync(store, [first, second], LATER)
    assert summary is not None
    assert summary.changed == ("dua",)
    assert summary.unchanged == ("satu",)


def test_sync_with_a_missing_file_is_a_config_error(folder: Path, store: Store) -> None:
    with pytest.raises(ConfigError) as caught:
        sync(store, [folder / "tidak-ada.csv"], NOW)
    assert "tidak-ada.csv" in str(caught.value)


def test_a_failed_sync_does_not_remember_the_fingerprint(folder: Path, store: Store) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu")])
    sync(store, [path], NOW)
    remembered = store.source_fingerprint(path.resolve())
    write_csv(path, [innovation_row("Salah")])
    with pytest.raises(CatalogueErrors):
        sync(store, [path], LATER)
    assert store.source_fingerprint(path.resolve()) == remembered
    with pytest.raises(CatalogueErrors):  # still seen as changed: the error is reported again
        sync(store, [path], LATER)


# ---- the bundled example catalogue and templates -------------------------------------------------------------


def test_the_example_catalogue_imports(store: Store) -> None:
    summary = import_files(store, [EXAMPLE], NOW)
    entries = store.catalogue()
    assert len(summary.added) == len(entries) >= 12
    by_status: dict[Status, list[str]] = {}
    for item in entries:
        by_status.setdefault(item.status, []).append(item.innovation.id)
    assert len(by_status.get(Status.DRAFT, [])) == 1
    assert len(by_status.get(Status.REJECTED, [])) == 1
    assert len(by_status[Status.APPROVED]) == len(entries) - 2
    assert len({item.innovation.opd for item in entries}) >= 3


def test_the_example_catalogue_matches_its_status_column() -> None:
    with EXAMPLE.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    rows = [row for row in rows if any(value.strip() for value in row.values() if value)]
    words = [row["status"].strip().lower() for row in rows]
    assert len(rows) >= 12
    assert words.count("draf") == 1
    assert words.count("ditolak") == 1
    assert set(words) <= {"draf", "ditolak", "disetujui"}


def test_the_example_catalogue_images_exist(store: Store) -> None:
    import_files(store, [EXAMPLE], NOW)
    for item in store.catalogue():
        image = image_path(item.source, item.innovation.gambar)
        if image is not None:
            assert image.is_file(), f"{item.innovation.id}: {image} is missing"
            assert item.innovation.alt_gambar, f"{item.innovation.id}: an image needs alt_gambar"


def test_the_empty_csv_template_has_exactly_the_catalogue_header() -> None:
    text = TEMPLATE_CSV.read_bytes().decode("utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    assert next(csv.reader([lines[0]], delimiter=delimiter)) == list(ALL_FIELDS)


def test_the_empty_xlsx_template_has_exactly_the_catalogue_header() -> None:
    workbook = load_workbook(TEMPLATE_XLSX, read_only=True)
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    header = [value for value in rows[0] if value is not None]
    assert header == list(ALL_FIELDS)
    assert all(all(value in (None, "") for value in row) for row in rows[1:])


def test_the_empty_templates_import_nothing_and_say_so() -> None:
    for template in (TEMPLATE_CSV, TEMPLATE_XLSX):
        [problem] = problems_of([template])
        assert "no innovations" in problem


# ---- hostile input: YAML aliases and tags, cell types, file size ------------------------------------------------

YAML_ROW = "- id: satu\n  nama: Satu\n  opd: D\n  ringkasan: R\n  manfaat: M\n  cara_akses: C\n"


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def alias_bomb(levels: int, fan_out: int = 9) -> str:
    """The "billion laughs": each level lists the previous one ``fan_out`` times (``fan_out ** levels`` leaves)."""
    lines = ["- id: bom", f"  catatan0: &l0 [{', '.join(['lol'] * fan_out)}]"]
    for level in range(1, levels):
        lines.append(f"  catatan{level}: &l{level} [{', '.join([f'*l{level - 1}'] * fan_out)}]")
    lines += [f"  nama: *l{levels - 1}", "  opd: D", "  ringkasan: R", "  manfaat: M", "  cara_akses: C"]
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_without_expanding_it(folder: Path, store: Store) -> None:
    # 9**5 leaves: small enough to expand quickly if the importer still did (into a 290 kB name).
    path = write_yaml(folder / "bom.yaml", alias_bomb(5))
    with pytest.raises(CatalogueErrors) as caught:
        import_files(store, [path], NOW)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:1:nama: ") and "a list where text belongs" in problem
    assert store.catalogue() == []


def test_a_full_size_yaml_alias_bomb_is_refused(folder: Path) -> None:
    path = write_yaml(folder / "bom.yaml", alias_bomb(10))  # 9**10 leaves if anything expanded it
    assert len(path.read_bytes()) < 1000
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1:nama: ")


def test_yaml_tagar_made_of_aliases_is_capped_before_it_is_joined(folder: Path) -> None:
    long_word = "a" * 4000
    path = write_yaml(folder / "tagar.yaml", YAML_ROW + f"  catatan: &t {long_word}\n  tagar: [*t, *t, *t]\n")
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1:tagar: the cell has 12,00")  # three words and the spaces between them


def test_yaml_aliases_of_plain_values_still_work(folder: Path) -> None:
    path = write_yaml(
        folder / "alias.yaml",
        YAML_ROW.replace("opd: D", "opd: &dinas Dinas Sosial")
        + YAML_ROW.replace("satu", "dua").replace("opd: D", "opd: *dinas"),
    )
    rows = read_catalogue([path])
    assert [row.innovation.opd for row in rows] == ["Dinas Sosial", "Dinas Sosial"]


def test_a_yaml_innovation_repeated_by_alias_is_one_problem(folder: Path) -> None:
    item = "".join(f"    {line.strip()}\n" for line in YAML_ROW[2:].splitlines())
    path = write_yaml(folder / "ulang.yaml", "inovasi:\n  - &satu\n" + item + "  - *satu\n" * 5000)
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:") and "alias" in problem


def test_a_python_object_tag_is_a_catalogue_problem_at_the_cell(folder: Path) -> None:
    path = write_yaml(folder / "tag.yaml", YAML_ROW.replace("nama: Satu", "nama: !!python/object:os.system ls"))
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1:nama: ")
    assert "'!!python/object:os.system'" in problem and "not allowed" in problem


def test_an_impossible_yaml_date_is_a_catalogue_problem(folder: Path) -> None:
    path = write_yaml(folder / "tanggal.yaml", YAML_ROW + "  mulai: 2026-02-31\n")
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1:mulai: ") and "2026-02-31" in problem


@pytest.mark.parametrize(
    "value, expected",
    [
        ("{kata: KTP}", "a set of 'key: value' lines where text belongs"),
        ("\n    kata: KTP", "a set of 'key: value' lines where text belongs"),
        ("[KTP, Sehari]", "a list where text belongs"),
        ("yes", "a yes/no value"),
        ("!!binary aGFsbw==", "binary data"),
    ],
)
def test_yaml_cells_must_hold_text(folder: Path, value: str, expected: str) -> None:
    path = write_yaml(folder / "jenis.yaml", YAML_ROW.replace("nama: Satu", f"nama: {value}"))
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1:nama: ") and expected in problem


def test_yaml_tagar_may_be_a_list_of_words_but_not_of_lists(folder: Path) -> None:
    path = write_yaml(folder / "tagar.yaml", YAML_ROW + "  tagar: [BandarLampung, [Satu, Dua]]\n")
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1:tagar: ")


def test_a_yaml_key_written_twice_is_refused(folder: Path) -> None:
    path = write_yaml(folder / "kembar.yaml", YAML_ROW + "  nama: Dua\n")
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1:nama: ") and "lines 2 and 7" in problem


def test_an_xlsx_yes_no_cell_is_not_text(folder: Path) -> None:
    path = write_xlsx(
        folder / "inovasi.xlsx", {"Inovasi": [BASE_HEADER, list(innovation_row("a", nama=True).values())]}
    )
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:2:nama: ") and "a yes/no value" in problem


@pytest.mark.parametrize("suffix", [".csv", ".yaml", ".xlsx"])
def test_a_file_over_the_size_cap_is_refused_before_it_is_parsed(folder: Path, suffix: str) -> None:
    path = folder / f"besar{suffix}"
    path.write_bytes(b"id,nama\n" + b"x" * MAX_FILE_BYTES)
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1: ") and "over 20 MB" in problem


# ---- hostile input: characters that hide or disguise text -------------------------------------------------------


@pytest.mark.parametrize(
    "value, named",
    [
        ("KTP\x1b[2J Sehari", "U+001B"),
        ("KTP Sehari\u202egpj.exe", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("KTP\u2066Sehari\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("KTP\x9b31m", "U+009B"),
        ("KTP\x00", "U+0000"),
        ("KTP\u200bSehari", "U+200B ZERO WIDTH SPACE"),
    ],
)
def test_a_cell_with_a_hidden_control_character_is_refused(folder: Path, store: Store, value: str, named: str) -> None:
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", nama=value)])
    with pytest.raises(CatalogueErrors) as caught:
        import_files(store, [path], NOW)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:2:nama: ") and named in problem
    assert value not in problem
    assert store.catalogue() == []


def test_a_yaml_escape_that_makes_a_control_character_is_refused(folder: Path) -> None:
    path = write_yaml(folder / "esc.yaml", YAML_ROW.replace("nama: Satu", 'nama: "Sa\\etu"'))
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:1:nama: ") and "U+001B" in problem


def test_a_control_character_typed_into_a_yaml_file_is_reported_at_its_line(folder: Path) -> None:
    path = write_yaml(folder / "esc.yaml", YAML_ROW.replace("ringkasan: R", "ringkasan: R\x1b[2J"))
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:4: ") and "U+001B" in problem and "\n" not in problem


def test_an_xlsx_cell_with_a_bidi_override_is_refused(folder: Path) -> None:
    path = write_xlsx(
        folder / "inovasi.xlsx",
        {"Inovasi": [BASE_HEADER, list(innovation_row("a", opd="Dinas \u202eSosial").values())]},
    )
    [problem] = problems_of([path])
    assert problem.startswith(f"{path}:2:opd: ") and "U+202E" in problem


def test_line_breaks_tabs_and_emoji_joiners_are_kept_and_carriage_returns_normalised(folder: Path) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    path = write_csv(
        folder / "inovasi.csv",
        [
            innovation_row(
                "satu", cara_akses="Datang ke kantor\r\nBawa KTP\rAmbil\tnomor", manfaat=f"Untuk keluarga {family}"
            )
        ],
    )
    [row] = read_catalogue([path])
    assert row.innovation.cara_akses == "Datang ke kantor\nBawa KTP\nAmbil\tnomor"
    assert row.innovation.manfaat == f"Untuk keluarga {family}"


# ---- a file saved while it is being imported --------------------------------------------------------------------


def _write_any(path: Path, manfaat: str) -> None:
    rows = [innovation_row("satu", manfaat=manfaat)]
    if path.suffix == ".csv":
        write_csv(path, rows)
    elif path.suffix == ".xlsx":
        write_xlsx(path, {"Inovasi": [BASE_HEADER, list(rows[0].values())]})
    else:
        write_yaml(
            path,
            "".join(
                f"{'- ' if index == 0 else '  '}{key}: {value}\n" for index, (key, value) in enumerate(rows[0].items())
            ),
        )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".yaml"])
def test_an_edit_saved_while_the_file_is_imported_is_synced_next_time(
    folder: Path, store: Store, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """An editor saves (write a new file, rename it over the old one) just after the importer opened the file."""
    path = folder / f"inovasi{suffix}"
    _write_any(path, "Versi lama.")
    edited = folder / f"simpanan{suffix}"
    _write_any(edited, "Versi baru.")
    real_open = io.open
    saved = []

    def open_then_save_an_edit(file: Any, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, *args, **kwargs)
        if not saved and isinstance(file, (str, Path)) and Path(file) == path:
            edited.replace(path)  # the open handle keeps reading the old version, as on a real disk
            saved.append(True)
        return handle

    monkeypatch.setattr(io, "open", open_then_save_an_edit)
    import_files(store, [path], NOW)
    monkeypatch.undo()
    assert saved
    assert entry(store, "satu").innovation.manfaat == "Versi lama."
    assert store.source_fingerprint(path.resolve()) != hashlib.sha256(path.read_bytes()).hexdigest()

    summary = sync(store, [path], LATER)
    assert summary is not None and summary.changed == ("satu",)
    assert entry(store, "satu").innovation.manfaat == "Versi baru."


# ---- two columns with one name, hidden sheets, link schemes -----------------------------------------------------


def test_a_csv_column_written_twice_is_refused_with_both_columns(folder: Path) -> None:
    header = BASE_HEADER + ["kontak", "lokasi", "kontak"]
    path = write_csv(folder / "inovasi.csv", [innovation_row("satu", kontak="0812", lokasi="Kantor")], header=header)
    [problem] = problems_of([path])
    assert problem == f"{path}:1:kontak: the column appears twice (columns G and I); delete one"


def test_an_xlsx_column_written_twice_is_refused_with_both_columns(folder: Path) -> None:
    header = ["nama", *BASE_HEADER]
    path = write_xlsx(folder / "inovasi.xlsx", {"Inovasi": [header, ["Lama", *innovation_row("satu").values()]]})
    [problem] = problems_of([path])
    assert problem == f"{path}:1:nama: the column appears twice (columns A and C); delete one"


def test_a_hidden_first_sheet_is_skipped_and_the_sheet_read_is_named(folder: Path, store: Store) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, identifier in (("Lama", "dari-lembar-tersembunyi"), ("Inovasi", "dari-lembar-terlihat")):
        sheet = workbook.create_sheet(title)
        sheet.append(BASE_HEADER)
        sheet.append(list(innovation_row(identifier).values()))
    workbook["Lama"].sheet_state = "hidden"
    path = folder / "inovasi.xlsx"
    workbook.save(path)
    import_files(store, [path], NOW)
    assert list(statuses(store)) == ["dari-lembar-terlihat"]
    sheets_read: dict[Path, str] = {}
    read_catalogue([path], sheets_read=sheets_read)
    assert sheets_read == {path: "Inovasi"}


def test_catalogue_import_says_which_sheet_it_read_when_the_first_is_hidden(folder: Path) -> None:
    from click.testing import CliRunner

    from outreach.cli import cli

    workbook = Workbook()
    workbook.active.title = "Petunjuk"
    workbook.active.sheet_state = "hidden"
    sheet = workbook.create_sheet("Inovasi")
    sheet.append(BASE_HEADER)
    sheet.append(list(innovation_row("satu").values()))
    path = folder / "inovasi.xlsx"
    workbook.save(path)
    config = folder / "outreach.toml"
    config.write_text('store = "outreach.sqlite3"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "catalogue", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: read the sheet 'Inovasi', because the sheets before it are hidden" in result.output
    assert "imported: 1 new" in result.output


def test_the_first_sheet_when_it_is_visible_is_not_announced(folder: Path, store: Store) -> None:
    path = write_xlsx(folder / "inovasi.xlsx", {"Inovasi": [BASE_HEADER, list(innovation_row("satu").values())]})
    sheets_read: dict[Path, str] = {}
    import_files(store, [path], NOW, sheets_read=sheets_read)
    assert list(statuses(store)) == ["satu"] and sheets_read == {}


@pytest.mark.parametrize(
    "written, stored",
    [
        ("HTTP://layanan.bandarlampungkota.go.id/ktp", "http://layanan.bandarlampungkota.go.id/ktp"),
        ("Https://layanan.bandarlampungkota.go.id/KTP", "https://layanan.bandarlampungkota.go.id/KTP"),
        ("layanan.bandarlampungkota.go.id/ktp", "layanan.bandarlampungkota.go.id/ktp"),
    ],
)
def test_a_link_scheme_in_capitals_is_normalised(folder: Path, written: str, stored: str) -> None:
    [row] = read_catalogue([write_csv(folder / "inovasi.csv", [innovation_row("satu", tautan=written)])])
    assert row.innovation.tautan == stored
