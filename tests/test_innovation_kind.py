"""The catalogue's optional ``jenis`` column: validated, bound to approvals without disturbing old
ones, and choosing the verbs of the posts (outreach.model, outreach.catalogue, outreach.phrasing)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from outreach.catalogue import CatalogueErrors, import_files, read_catalogue
from outreach.model import INNOVATION_KINDS, Innovation, Status
from outreach.render import CampaignView, Renderer
from outreach.store import Store
from tests.test_catalogue import LATER, NOW, SIGNOFF_HEADER, signed, statuses, write_csv
from tests.test_render import MORNING, WIB, channel, innovation

#: ``content_hash`` of ``KTP`` below, computed by outreach.model before the column existed.
HASH_BEFORE_THE_COLUMN = "115f5f95cdc62015e4fb606b1879eb5675e719fb80a43159b97b628504f856f4"
KTP = Innovation(
    id="ktp-sehari-jadi",
    nama="KTP Sehari Jadi",
    opd="Dinas Kependudukan dan Pencatatan Sipil",
    ringkasan="KTP elektronik selesai di hari yang sama.",
    manfaat="Anda tidak perlu bolak-balik ke kantor.",
    cara_akses="Datang ke Mal Pelayanan Publik | Bawa Kartu Keluarga",
    kontak="WhatsApp 0812-0000-1234",
    tagar=("BandarLampung",),
    mulai=date(2026, 1, 15),
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store("sqlite:///" + str(tmp_path / "s.sqlite3"))
    yield opened  # type: ignore[misc]
    opened.close()


def test_the_default_kind_hashes_as_before_the_column_existed() -> None:
    assert KTP.jenis == "layanan"
    assert KTP.content_hash == HASH_BEFORE_THE_COLUMN
    assert Innovation.from_json({key: value for key, value in KTP.to_json().items() if key != "jenis"}) == KTP
    others = {kind: replace(KTP, jenis=kind).content_hash for kind in INNOVATION_KINDS}
    assert others.pop("layanan") == HASH_BEFORE_THE_COLUMN
    assert len(set(others.values())) == len(others) and HASH_BEFORE_THE_COLUMN not in others.values()


def test_an_absent_empty_or_default_jenis_keeps_the_approval(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "inovasi.csv"
    write_csv(path, [signed("satu"), signed("dua")], header=SIGNOFF_HEADER)
    import_files(store, [path], NOW)
    assert statuses(store) == {"dua": Status.APPROVED, "satu": Status.APPROVED}
    for cell in ("", "layanan", " Layanan "):
        write_csv(path, [signed("satu", jenis=cell), signed("dua", jenis="")], header=[*SIGNOFF_HEADER, "jenis"])
        summary = import_files(store, [path], LATER)
        assert summary.changed == () and summary.approvals_withdrawn == (), cell
        assert statuses(store) == {"dua": Status.APPROVED, "satu": Status.APPROVED}, cell


def test_another_kind_changes_the_posts_so_it_withdraws_the_approval(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "inovasi.csv"
    write_csv(path, [signed("satu"), signed("dua")], header=SIGNOFF_HEADER)
    import_files(store, [path], NOW)
    write_csv(path, [signed("satu", jenis="program"), signed("dua")], header=[*SIGNOFF_HEADER, "jenis"])
    summary = import_files(store, [path], LATER)
    assert summary.approvals_withdrawn == ("satu",)
    assert statuses(store) == {"dua": Status.APPROVED, "satu": Status.CHANGED}
    write_csv(  # signed again, with a new date: approved again
        path,
        [signed("satu", jenis="program", disetujui_pada="2026-11-30"), signed("dua")],
        header=[*SIGNOFF_HEADER, "jenis"],
    )
    import_files(store, [path], LATER)
    assert statuses(store) == {"dua": Status.APPROVED, "satu": Status.APPROVED}


def test_an_unknown_kind_names_file_row_column_and_the_kinds_there_are(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "inovasi.csv", [signed("satu", jenis="Aplikasi"), signed("dua", jenis="acara")])
    with pytest.raises(CatalogueErrors) as caught:
        read_catalogue([path])
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:3:jenis: 'acara' ")
    assert all(kind in problem for kind in INNOVATION_KINDS)


def test_yaml_reads_the_kind_too(tmp_path: Path) -> None:
    path = tmp_path / "inovasi.yaml"
    path.write_text(
        "- id: satu\n  nama: Lapor Pipa Bocor\n  opd: Perusahaan Daerah Air Minum\n  ringkasan: Lapor lewat HP.\n"
        "  manfaat: Cepat.\n  cara_akses: Kirim foto\n  jenis: Aplikasi\n",
        encoding="utf-8",
    )
    [row] = read_catalogue([path])
    assert row.innovation.jenis == "aplikasi"


@pytest.mark.parametrize(
    ("kind", "verb"),
    [
        ("layanan", "mengurus"),
        ("aplikasi", "memakai layanan"),
        ("program", "ikut"),
        ("tempat", "datang ke"),
        ("kunjungan", "meminta"),
    ],
)
def test_the_kind_chooses_the_verb_on_every_platform(kind: str, verb: str) -> None:
    renderer = Renderer(WIB)
    entry = innovation(jenis=kind)
    for platform in ("x", "mastodon", "bluesky", "telegram", "facebook", "instagram", "whatsapp", "webhook"):
        opening = renderer.render(entry, "cara_pakai", channel(platform), CampaignView("c"), MORNING).text
        first = opening.splitlines()[0]
        assert f"{verb} KTP Sehari Jadi" in first, (platform, first)
        if kind != "aplikasi":
            assert "memakai" not in first, (platform, first)


def test_a_label_is_not_doubled_by_a_value_that_starts_with_it() -> None:
    entry = innovation(lokasi="Tempat bersalin milik pemerintah", jam_layanan="Jam layanan mengikuti jadwal")
    for platform in ("facebook", "whatsapp", "telegram", "webhook"):
        text = Renderer(WIB).render(entry, "cara_pakai", channel(platform), CampaignView("c"), MORNING).text
        assert "Tempat bersalin milik pemerintah" in text and "Tempat:" not in text, platform
        assert "Jam layanan mengikuti jadwal" in text and "Jam layanan:" not in text, platform
    plain = Renderer(WIB).render(
        innovation(lokasi="Mal Pelayanan Publik"), "cara_pakai", channel("whatsapp"), CampaignView("c"), MORNING
    )
    assert "*Tempat:* Mal Pelayanan Publik" in plain.text


def test_an_opening_is_stable_and_differs_between_posts() -> None:
    renderer = Renderer(WIB)
    first_lines = set()
    for identifier in ("satu", "dua", "tiga", "empat", "lima", "enam"):
        entry = innovation(id=identifier)
        text = renderer.render(entry, "perkenalan", channel("facebook"), CampaignView("c"), MORNING).text
        again = Renderer(WIB).render(entry, "perkenalan", channel("facebook"), CampaignView("c"), MORNING).text
        assert text == again
        first_lines.add(text.splitlines()[0])
    assert len(first_lines) >= 2


def test_an_opening_leaves_the_name_out_when_the_next_sentence_names_it() -> None:
    entry = innovation(nama="Bayar Pajak di Minimarket", ringkasan="Bayar pajak di minimarket dekat rumah.")
    for platform in ("x", "facebook", "whatsapp", "mastodon", "bluesky"):
        text = Renderer(WIB).render(entry, "perkenalan", channel(platform), CampaignView("c"), MORNING).text
        assert text.casefold().count("bayar pajak di minimarket") == 1, (platform, text)
