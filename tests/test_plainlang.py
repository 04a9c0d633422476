"""Unit tests of the plain-Indonesian checker: splitting, counting, each rule, the glossary."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import pytest
import regex
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from outreach.cli import cli
from outreach.errors import ConfigError
from outreach.plainlang import (
    Finding,
    Glossary,
    Report,
    check_text,
    count_syllables,
    split_sentences,
    split_words,
)
from outreach.platforms import PLATFORM_CAPABILITIES

GLOSSARY_FILE = Path(__file__).parent.parent / "outreach" / "data" / "glossary.toml"
#: The glossary's sections of words to flag.
TERM_SECTIONS = ("acronyms", "common", "internal", "framing", "nominal", "english", "jargon", "vague")


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def words(text: str) -> list[str]:
    return [text[s:e] for s, e in split_words(text)]


def codes(report: Report) -> list[str]:
    return [f.code for f in report.findings]


def only(report: Report, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, report.findings
    return found[0]


# --- sentence splitting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Datang ke Jl. Raden Intan No. 5 pukul 09.00 WIB. Bawa KTP.",
            ["Datang ke Jl. Raden Intan No. 5 pukul 09.00 WIB.", "Bawa KTP."],
        ),
        ("Bawa KTP, KK, dll. Datang pagi.", ["Bawa KTP, KK, dll.", "Datang pagi."]),
        ("Bawa KTP, KK, dll. dan datang pagi.", ["Bawa KTP, KK, dll. dan datang pagi."]),
        ("Sampah plastik, kertas, dsb. Pilah dari rumah.", ["Sampah plastik, kertas, dsb.", "Pilah dari rumah."]),
        ("Surat ditulis a.n. Bpk. Ahmad di Kec. Kedaton.", ["Surat ditulis a.n. Bpk. Ahmad di Kec. Kedaton."]),
        ("Buka Senin s.d. Jumat di Kel. Sukarame.", ["Buka Senin s.d. Jumat di Kel. Sukarame."]),
        ("Yth. Bpk./Ibu warga Way Halim.", ["Yth. Bpk./Ibu warga Way Halim."]),
        ("Dibuka oleh Dr. H. Eva Dwiana hari ini.", ["Dibuka oleh Dr. H. Eva Dwiana hari ini."]),
        ("Narasumber Budi, S.H. dari kantor hukum.", ["Narasumber Budi, S.H. dari kantor hukum."]),
        ("Narasumber Budi, S.H. Beliau menjawab.", ["Narasumber Budi, S.H.", "Beliau menjawab."]),
        ("Biaya Rp10.000. Gratis untuk lansia.", ["Biaya Rp10.000.", "Gratis untuk lansia."]),
        (
            "Dana Rp1.234.567,5 juta cair 1/12/2026. Naik 10%.",
            ["Dana Rp1.234.567,5 juta cair 1/12/2026.", "Naik 10%."],
        ),
        ("Loket tutup pukul 15.00. Datang lebih awal.", ["Loket tutup pukul 15.00.", "Datang lebih awal."]),
        (
            "Cek https://x.id/a.b?c=d sekarang. Atau buka layanan.bandarlampungkota.go.id. Mudah!",
            ["Cek https://x.id/a.b?c=d sekarang.", "Atau buka layanan.bandarlampungkota.go.id.", "Mudah!"],
        ),
        ("Gratis! 🎉 Datang ke kelurahan.", ["Gratis! 🎉", "Datang ke kelurahan."]),
        ("Layanan 🎉 gratis untuk warga.", ["Layanan 🎉 gratis untuk warga."]),
        ("Mau cepat? Daftar di kelurahan.", ["Mau cepat?", "Daftar di kelurahan."]),
        ('"Ayo daftar!" ajak Wali Kota.', ['"Ayo daftar!" ajak Wali Kota.']),
        ("Lapor lewat SP4N-LAPOR! kapan saja.", ["Lapor lewat SP4N-LAPOR! kapan saja."]),
        ("Hubungi @pemkot.bandarlampung. Kami siap.", ["Hubungi @pemkot.bandarlampung.", "Kami siap."]),
    ],
)
def test_split_sentences_abbreviations_numbers_links(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_a_line_break_before_a_lower_case_character_of_any_script_continues_the_sentence() -> None:
    """The splitter cuts a text at the line breaks that surely end a sentence, judged by the next
    character without asking it: a lower-case one in any script (é, ß, ª, ⓐ) must keep the sentence going
    (unless it is an emoji such as U+2139, which opens a list item)."""
    emoji = regex.compile(r"\p{Extended_Pictographic}")
    for ch in (chr(code) for code in range(0x110000) if chr(code).islower() and not emoji.match(chr(code))):
        text = f"Warga datang ke kantor\n{ch} lalu pulang."
        assert sentences(text) == [text], repr(ch)
    assert sentences("Warga datang ke kantor\nⒶ lalu pulang.") == ["Warga datang ke kantor", "Ⓐ lalu pulang."]


def test_numbered_list_items_are_sentences_without_their_markers() -> None:
    text = "Caranya:\n1. Buka aplikasi\n2. Isi nama dan NIK\n3. Tekan kirim"
    assert sentences(text) == ["Caranya:", "Buka aplikasi", "Isi nama dan NIK", "Tekan kirim"]


def test_bullets_emoji_markers_and_blank_lines_end_sentences() -> None:
    text = "Yang perlu dibawa\n- KTP asli\n• Kartu Keluarga\n\n📍 Kantor Kelurahan Way Halim\n1️⃣ Ambil nomor antrean"
    assert sentences(text) == [
        "Yang perlu dibawa",
        "KTP asli",
        "Kartu Keluarga",
        "Kantor Kelurahan Way Halim",
        "Ambil nomor antrean",
    ]


def test_lower_case_next_line_continues_the_sentence() -> None:
    text = "Warga bisa datang ke kantor\nkelurahan setiap hari kerja."
    assert sentences(text) == [text]


def test_heading_line_ends_a_sentence_even_before_lower_case() -> None:
    assert sentences("Syarat:\nbawa KTP asli") == ["Syarat:", "bawa KTP asli"]


def test_lines_of_only_tags_links_or_emoji_are_not_sentences() -> None:
    text = "Ayo daftar sekarang!\n#BandarLampung #LayananPublik\nhttps://x.id/daftar\n🎉🎉"
    assert sentences(text) == ["Ayo daftar sekarang!"]


def test_no_text_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n 🎉 ") == []


# --- words and syllables --------------------------------------------------------------------


def test_split_words_keeps_numbers_amounts_links_and_names_whole() -> None:
    text = "Bayar Rp10.000 pukul 09.00 WIB, 10% dari 1.234.567,5 pada 1/12/2026 di https://x.id/a.b?c=d."
    assert words(text) == [
        "Bayar",
        "Rp10.000",
        "pukul",
        "09.00",
        "WIB",
        "10%",
        "dari",
        "1.234.567,5",
        "pada",
        "1/12/2026",
        "di",
        "https://x.id/a.b?c=d",
    ]


def test_split_words_hyphens_abbreviations_tags_mentions_and_emoji() -> None:
    text = "Bawa KTP-el, bayar PBB-P2 a.n. Budi, S.H. 🙏 #BandarLampung @pemkot.bandarlampung anak-anak👨‍👩‍👧senang"
    assert words(text) == [
        "Bawa",
        "KTP-el",
        "bayar",
        "PBB-P2",
        "a.n.",
        "Budi",
        "S.H.",
        "#BandarLampung",
        "@pemkot.bandarlampung",
        "anak-anak",
        "senang",
    ]


def test_keycap_emoji_is_not_a_number_word() -> None:
    assert words("1️⃣ Buka aplikasi") == ["Buka", "aplikasi"]


@pytest.mark.parametrize(
    "word, expected",
    [
        ("ibu", 2),
        ("inovasi", 4),
        ("pantai", 2),
        ("kerbau", 2),
        ("sepoi", 2),
        ("air", 2),
        ("main", 2),
        ("Puskesmas", 3),
        ("sampai-sampai", 4),
        ("KTP", 0),
    ],
)
def test_count_syllables_by_vowel_nuclei(word: str, expected: int) -> None:
    assert count_syllables(word) == expected


def test_stats() -> None:
    stats = check_text("Ibu datang. Anak pergi ke sekolah.\n#BandarLampung #Sekolah").stats
    assert stats.sentences == 2
    assert stats.words == 6
    assert stats.average_sentence_words == 3.0
    assert stats.long_word_share == pytest.approx(1 / 6)  # "sekolah"
    assert stats.syllables == 12


def test_stats_of_empty_text() -> None:
    report = check_text("")
    assert report.findings == ()
    assert report.stats.sentences == 0 and report.stats.words == 0
    assert report.stats.average_sentence_words == 0.0 and report.stats.long_word_share == 0.0


# --- acronyms and abbreviations ---------------------------------------------------------------


def test_unexpanded_acronym_is_an_error_at_its_first_use_only() -> None:
    text = "Layanan OPD buka hari ini. Semua OPD ikut."
    finding = only(check_text(text), "acronym")
    assert (finding.severity, finding.start, finding.end, finding.excerpt) == ("error", 8, 11, "OPD")
    assert finding.message == "'OPD' is not spelled out at its first use"
    assert (
        finding.suggestion
        == "write 'Organisasi Perangkat Daerah', or 'Organisasi Perangkat Daerah (OPD)' if it comes again"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Dinas Kependudukan dan Pencatatan Sipil (Disdukcapil) buka hari Sabtu.",
        "Disdukcapil (Dinas Kependudukan dan Pencatatan Sipil) buka hari Sabtu.",
        "Dinas kependudukan dan pencatatan sipil (Disdukcapil) buka hari Sabtu.",
        "Dinas Kependudukan dan Pencatatan Sipil buka hari Sabtu. Disdukcapil juga buka Minggu.",
        "Pajak Bumi dan Bangunan (PBB) bisa dibayar di minimarket.",
        "Lapor lewat SP4N-LAPOR! (kanal pengaduan nasional) kapan saja.",
        "Datang ke MPP atau Mal Pelayanan Publik di Jl. Raden Intan.",
        "Peraturan Wali Kota (Perwali) yang baru mengatur jam buka pasar.",
    ],
)
def test_spelled_out_acronym_is_fine(text: str) -> None:
    assert check_text(text).findings == ()


def test_expansion_far_after_the_first_use_does_not_count() -> None:
    text = "Datang ke MPP hari ini. Mal Pelayanan Publik buka pukul 08.00 WIB."
    assert only(check_text(text), "acronym").excerpt == "MPP"


@pytest.mark.parametrize(
    "text, word, category",
    [
        ("Pemkot menambah bus sekolah.", "Pemkot", "abbreviation"),
        ("Layanan pemkot kini lewat HP.", "pemkot", "abbreviation"),
        ("Cek penerima bansos di kelurahan.", "bansos", "abbreviation"),
        ("Aturan ini ada di Perwali Nomor 5.", "Perwali", "abbreviation"),
        ("Rekam KTP-el di kecamatan.", "KTP-el", "acronym"),
        ("Bayar PBB-P2 sebelum Agustus.", "PBB-P2", "acronym"),
        ("Adukan lewat SP4N-LAPOR! sekarang.", "SP4N-LAPOR!", "acronym"),
        ("Urus Satpol  PP untuk izin keramaian.", "Satpol  PP", "acronym"),
        ("Bayar lewat e-PBB sekarang.", "e-PBB", "acronym"),
    ],
)
def test_mixed_case_hyphenated_and_spaced_abbreviations_are_recognised(text: str, word: str, category: str) -> None:
    finding = only(check_text(text), category)
    assert finding.excerpt == word == text[finding.start : finding.end]
    assert finding.severity == "error"


@pytest.mark.parametrize(
    "text, word",
    [
        ("Daftar lewat aplikasi SIMPEL-PBG milik kota.", "SIMPEL-PBG"),
        ("Izin usaha kini terhubung dengan OSS-RBA.", "OSS-RBA"),
        ("Rapat antar-OPD membahas banjir.", "antar-OPD"),
        ("Unduh aplikasi m-SAMSAT di HP Anda.", "m-SAMSAT"),
        ("Pakai e-RETRIBUSI untuk bayar sampah.", "e-RETRIBUSI"),
    ],
)
def test_code_names_joined_by_hyphens_are_acronyms(text: str, word: str) -> None:
    finding = only(check_text(text), "acronym")
    assert (finding.excerpt, finding.severity) == (word, "error")
    assert finding.suggestion


@pytest.mark.parametrize(
    "text",
    [
        "Bawa e-KTP dan KK asli.",
        "Foto KTP-nya lalu kirim lewat WA.",
        "Vaksin COVID-19 gratis di puskesmas.",
        "Tulis NIK dan nomor BPJS Anda di formulir.",
        "Punya SIM? Perpanjang di Samsat keliling pukul 08.00 WIB.",
        "Timbang balita di posyandu, periksa gratis di Puskesmas Kedaton.",
        "Pelaku UMKM bisa bayar pakai QRIS.",
    ],
)
def test_what_every_citizen_knows_is_not_flagged(text: str) -> None:
    assert check_text(text).findings == ()


def test_allowed_acronyms_are_not_flagged() -> None:
    report = check_text("Bawa KTP ke kantor RT atau RW. Kirim foto lewat WA dari HP pukul 09.00 WIB.")
    assert report.findings == ()


def test_unknown_all_caps_word_is_a_warning_once() -> None:
    text = "Hubungi SIKAP sekarang. SIKAP siap membantu."
    finding = only(check_text(text), "unknown_acronym")
    assert (finding.severity, finding.start, finding.end, finding.excerpt) == ("warning", 8, 13, "SIKAP")


@pytest.mark.parametrize("word", ["BPKAD", "SIMBG", "BUMD", "XYZ", "LPSE"])
def test_unlisted_word_in_capitals_no_one_can_say_is_an_acronym_error(word: str) -> None:
    finding = only(check_text(f"Cek data Anda di {word} sekarang."), "acronym")
    assert (finding.excerpt, finding.severity) == (word, "error")
    assert check_text(f"Cek data Anda di Lembaga Contoh ({word}) sekarang.").errors == ()
    assert check_text(f"Cek data Anda di {word} (Lembaga Contoh) sekarang.").errors == ()


@pytest.mark.parametrize(
    "text", ["PENTING: layanan tutup besok.", "Layanan ini GRATIS untuk warga.", "INFO jadwal ada di bio."]
)
def test_a_word_in_capitals_for_emphasis_is_no_acronym_error(text: str) -> None:
    assert check_text(text).errors == ()


@pytest.mark.parametrize(
    "text",
    [
        "Bantuan tahap II dan tahap IV sudah cair.",
        "Lihat #OPDKeren dan @DLHBalam atau https://x.id/ABC/DEF hari ini.",
        "Kirim surel ke LAYANAN@bandarlampungkota.go.id sekarang.",
        "Kode A1 tertera di kartu.",
        "Daftar di HTTP://layanan.bandarlampungkota.go.id/daftar atau WWW.lapor.go.id sekarang.",
    ],
)
def test_no_unknown_acronym_in_roman_numerals_links_tags_and_codes(text: str) -> None:
    assert check_text(text).findings == ()


# --- framing, nominal style, English, jargon, openings --------------------------------------


def test_framing_word_with_span_and_rewrite() -> None:
    text = "Info terkait jadwal ada di kelurahan."
    finding = only(check_text(text), "framing")
    assert (finding.start, finding.end, finding.excerpt, finding.severity) == (5, 12, "terkait", "error")
    assert finding.suggestion == "write 'tentang' instead of 'terkait'"


@pytest.mark.parametrize(
    "text",
    [
        "Pengguna aplikasi bisa memilih jadwal.",
        "Aplikasi ini berguna bagi warga.",
        "Warga cukup menggunakan HP.",
        "Gunakan HP untuk mendaftar.",
        "Keterkaitan data membuat layanan cepat.",
        "Hari ini ada sop dan bakso di pasar.",
        "Badan Perencanaan Pembangunan Daerah membuka rapat warga.",
        "Isi formulir lalu kirim lewat WhatsApp atau email.",
        "Informasi lengkap ada di internet dan di kantor kelurahan.",
    ],
)
def test_no_finding_inside_other_words_or_names(text: str) -> None:
    assert check_text(text).findings == ()


@pytest.mark.parametrize(
    "text, category, excerpt, suggestion",
    [
        ("Dana dipakai guna memperbaiki jalan.", "framing", "guna", "write 'untuk' instead of 'guna'"),
        (
            "Layanan hadir dalam  rangka ulang tahun kota.",
            "framing",
            "dalam  rangka",
            "write 'untuk' instead of 'dalam  rangka'",
        ),
        (
            "Kepala dinas menyampaikan bahwa loket buka.",
            "framing",
            "menyampaikan bahwa",
            "write 'berkata' instead of 'menyampaikan bahwa'",
        ),
        ("Kami senantiasa siap.", "framing", "senantiasa", "write 'selalu' instead of 'senantiasa'"),
        ("Warga diimbau membawa KTP.", "framing", "diimbau", "write 'diajak' or 'diminta' instead of 'diimbau'"),
        ("Jadwal, adapun, bisa berubah.", "framing", "adapun", "leave out 'adapun'"),
        (
            "Kami mengimplementasikan antrean tanpa kertas.",
            "nominal",
            "mengimplementasikan",
            "write 'menjalankan' instead of 'mengimplementasikan'",
        ),
        ("Warga difasilitasi petugas.", "nominal", "difasilitasi", "write 'dibantu' instead of 'difasilitasi'"),
        (
            "Ada pengelolaan sampah baru.",
            "nominal",
            "pengelolaan",
            "write 'mengurus' or 'menjaga' instead of 'pengelolaan'",
        ),
        ("Demi tata  kelola yang baik.", "nominal", "tata  kelola", "write 'cara mengurus' instead of 'tata  kelola'"),
        ("Ikuti SOP layanan.", "acronym", "SOP", "write 'langkah layanan' instead of 'SOP'"),
        (
            "Hasil Musrenbang sudah diumumkan.",
            "abbreviation",
            "Musrenbang",
            "write 'rapat warga membahas usulan untuk kota' instead of 'Musrenbang'",
        ),
        (
            "Para nakes siap melayani.",
            "abbreviation",
            "nakes",
            "write 'tenaga kesehatan' or 'petugas kesehatan' instead of 'nakes'",
        ),
        ("Pemohon cukup membawa KTP.", "jargon", "Pemohon", "write 'warga' or 'Anda' instead of 'Pemohon'"),
        ("Bisa diurus secara luring.", "jargon", "secara luring", "write 'datang langsung' instead of 'secara luring'"),
    ],
)
def test_categories_and_rewrites(text: str, category: str, excerpt: str, suggestion: str) -> None:
    finding = only(check_text(text), category)
    assert finding.excerpt == excerpt == text[finding.start : finding.end]
    assert finding.suggestion == suggestion


@pytest.mark.parametrize(
    "text, excerpt, plain",
    [
        ("Silakan download aplikasinya.", "download", "unduh"),
        ("Aplikasinya bisa di-download gratis.", "di-download", "unduh"),
        ("Aplikasinya bisa didownload gratis.", "didownload", "unduh"),
        ("Warga cukup mengupload foto KTP.", "mengupload", "unggah"),
        ("Lalu klik-nya dua kali.", "klik-nya", "tekan"),
        ("Tautan ada di bio, KLIK sekarang.", "KLIK", "tekan"),
        ("Buka linknya di bio.", "linknya", "tautan"),
        ("Data terupdate setiap hari.", "terupdate", "perbarui"),
        ("Daftar Online di kelurahan.", "Online", "lewat internet"),
        ("Hubungi Call Center 112 kapan saja.", "Call Center", "layanan telepon"),
        ("Pantau lewat dashboard kota.", "dashboard", "papan data"),
        ("Data diperbarui real-time.", "real-time", "saat itu juga"),
    ],
)
def test_english_words_in_any_case_and_with_indonesian_affixes(text: str, excerpt: str, plain: str) -> None:
    finding = only(check_text(text), "english")
    assert finding.excerpt == excerpt == text[finding.start : finding.end]
    assert f"'{plain}'" in finding.suggestion


def test_internal_acronym_is_an_error_even_when_spelled_out() -> None:
    report = check_text("Aparatur Sipil Negara (ASN) ikut kerja bakti.")
    finding = only(report, "acronym")
    assert (finding.excerpt, finding.suggestion) == ("ASN", "write 'petugas' or 'pegawai pemerintah' instead of 'ASN'")


def test_opening_is_reported_once_as_framing() -> None:
    text = "Sehubungan dengan perbaikan jaringan, loket tutup."
    report = check_text(text)
    assert codes(report) == ["framing"]
    finding = report.findings[0]
    assert (finding.start, finding.end, finding.excerpt) == (0, 17, "Sehubungan dengan")
    assert finding.message == "'Sehubungan dengan' opens like an official letter"


def test_opening_after_emoji_and_in_a_later_sentence() -> None:
    text = "Halo warga! 📢 Dalam rangka hari jadi kota, museum gratis."
    finding = only(check_text(text), "framing")
    assert finding.excerpt == "Dalam rangka" == text[finding.start : finding.end]
    assert finding.suggestion == "start with what happens, then say why with 'untuk ...'"


def test_opening_phrase_mid_sentence_is_framing_with_a_rewrite() -> None:
    finding = only(check_text("Museum gratis dalam rangka hari jadi kota."), "framing")
    assert finding.suggestion == "write 'untuk' instead of 'dalam rangka'"


def test_every_rewrite_in_the_glossary_is_itself_plain() -> None:
    raw = tomllib.loads(GLOSSARY_FILE.read_text(encoding="utf-8"))
    rewrites = []
    for section in ("framing", "nominal", "english", "jargon", "internal", "acronyms"):
        for key, value in raw[section].items():
            values = [value] if isinstance(value, str) else value
            suggested = values[:1] if section == "acronyms" else values  # an acronym suggests its first expansion
            rewrites += [(section, key, plain) for plain in suggested if plain]
    assert len(rewrites) > 200
    for section, key, plain in rewrites:
        errors = check_text(f"Warga bisa {plain}.").errors
        assert not errors, (section, key, plain, errors)


# --- length, capitals, hashtags, images, how-to posts ---------------------------------------


def test_sentence_of_20_words_is_fine_21_a_warning_26_an_error() -> None:
    twenty = " ".join(["kata"] * 20) + "."
    assert "long_sentence" not in codes(check_text(twenty))
    text = "Halo. " + " ".join(["kata"] * 21) + "."
    finding = only(check_text(text), "long_sentence")
    assert (finding.severity, finding.start, finding.end) == ("warning", 6, len(text))
    assert finding.excerpt == text[6:]
    assert finding.message == "sentence has 21 words (more than 20)"
    assert only(check_text(" ".join(["kata"] * 25) + "."), "long_sentence").severity == "warning"
    finding = only(check_text(" ".join(["kata"] * 26) + "."), "long_sentence")
    assert (finding.severity, finding.message) == ("error", "sentence has 26 words (more than 25)")


def test_long_average_is_a_warning() -> None:
    text = " ".join(["kata"] * 16) + ". " + " ".join(["kata"] * 16) + "."
    finding = only(check_text(text), "long_average")
    assert (finding.severity, finding.start, finding.end, finding.excerpt) == ("warning", 0, 0, "")
    assert "long_sentence" not in codes(check_text(text))


def test_shouting_sentence_is_an_error_and_its_words_are_not_unknown_acronyms() -> None:
    text = "Layanan buka. JANGAN LUPA BAWA KARTU ANTREAN!"
    report = check_text(text)
    assert codes(report) == ["shouting"]
    assert report.findings[0].excerpt == "JANGAN LUPA BAWA KARTU ANTREAN!"


@pytest.mark.parametrize("text", ["PENTING: layanan tutup.", "KTP, KK, NIK.", "GRATIS!", "Daftar di MPP."])
def test_short_capitals_and_acronym_lists_are_not_shouting(text: str) -> None:
    assert "shouting" not in codes(check_text(text))


def test_more_than_five_hashtags_except_on_instagram() -> None:
    text = "Ayo daftar! #a1 #b2 #c3 #d4 #e5 #f6 #g7"
    finding = only(check_text(text, platform="x"), "too_many_hashtags")
    assert (finding.excerpt, finding.severity) == ("#f6 #g7", "warning")
    assert "too_many_hashtags" not in codes(check_text(text, platform="instagram"))
    assert "too_many_hashtags" not in codes(check_text("Ayo! #a #b #c #d #e", platform="x"))


@pytest.mark.parametrize("alt_text", [None, "", "   "])
def test_image_without_alt_text_is_an_error(alt_text: str | None) -> None:
    finding = only(check_text("Layanan baru.", image="poster.jpg", alt_text=alt_text), "missing_alt_text")
    assert (finding.severity, finding.start, finding.end, finding.excerpt) == ("error", 0, 0, "")


def test_image_with_alt_text_or_no_image_is_fine() -> None:
    assert check_text("Layanan baru.", image="poster.jpg", alt_text="Petugas melayani warga.").findings == ()
    assert check_text("Layanan baru.", alt_text="").findings == ()


def test_how_to_post_without_where_or_how_is_flagged() -> None:
    text = "Layanan baru untuk warga di Bandar Lampung. Gratis!"
    finding = only(check_text(text, kind="cara_pakai"), "cara_pakai_missing_where_how")
    assert (finding.severity, finding.start, finding.end, finding.excerpt) == ("warning", 0, 0, "")
    assert check_text(text, kind="pengumuman").findings == ()


@pytest.mark.parametrize(
    "text",
    [
        "Datang ke kantor kelurahan pada hari kerja.",
        "Layanan ada di Jl. Raden Intan.",
        "Info lengkap: layanan.bandarlampungkota.go.id",
        "Info lengkap ada di https://x.id",
        "Tanya lewat 0812-3456-7890.",
        "Bawa surat pengantar dari ketua lingkungan.",
        "Langkahnya mudah:\n1. Siapkan foto\n2. Tunggu balasan",
    ],
)
def test_how_to_post_with_a_place_link_phone_or_steps_is_fine(text: str) -> None:
    assert "cara_pakai_missing_where_how" not in codes(check_text(text, kind="cara_pakai"))


def test_report_partitions_errors_and_warnings() -> None:
    report = check_text("Periksa di Puskesmas SIKAP. Info terkait OPD.")
    assert [f.code for f in report.errors] == ["framing", "acronym"]
    assert [f.code for f in report.warnings] == ["unknown_acronym"]
    assert set(report.errors) | set(report.warnings) == set(report.findings)


def test_findings_are_in_text_order_and_spans_are_exact() -> None:
    text = "Sehubungan dengan HUT kota, OPD membuka SOP baru terkait bansos. JANGAN LUPA DATANG BESOK!"
    report = check_text(text)
    assert [f.start for f in report.findings] == sorted(f.start for f in report.findings)
    for finding in report.findings:
        assert text[finding.start : finding.end] == finding.excerpt


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Jl.",
                "No.",
                "5",
                "OPD",
                "terkait",
                "KTP-el",
                "SP4N-LAPOR!",
                "https://x.id/a.b",
                "#Tag",
                "@akun",
                "🎉",
                "1.",
                "\n",
                "\n\n",
                "- ",
                "dll.",
                "DATANG",
                "pukul 09.00",
                "Rp10.000",
                "guna",
                "Pengguna",
                "Dalam rangka",
                "(",
                ")",
                ",",
                "!",
                "?",
                " ",
            ]
        ),
        max_size=40,
    ).map(" ".join)
    | st.text(max_size=200)
)
def test_any_text_gives_exact_in_range_spans(text: str) -> None:
    report = check_text(text, kind="cara_pakai", platform="x", image="a.jpg")
    for finding in report.findings:
        assert 0 <= finding.start <= finding.end <= len(text)
        assert text[finding.start : finding.end] == finding.excerpt
    for start, end in split_sentences(text):
        assert 0 <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()


# --- glossary -------------------------------------------------------------------------------


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "glossary-kantor.toml"
    path.write_text(content, encoding="utf-8")
    return path


def test_office_glossary_extends_and_overrides_the_default(tmp_path: Path) -> None:
    extra = write(
        tmp_path,
        """
        allow = ["website", "SIPADU"]
        [acronyms]
        Dispusip = "Dinas Perpustakaan dan Kearsipan"
        Puskesmas = "Pusat Kesehatan Masyarakat"
        [english]
        voucher = "kupon"
        [openings]
        "Memperhatikan" = "start with the news itself"
        [cara_pakai]
        how = ["siapkan"]
        """,
    )
    glossary = Glossary.load(extra)
    report = check_text(
        "Memperhatikan cuaca, Dispusip menunda lomba. Periksa di Puskesmas dengan kartu BPJS. "
        "Tukar voucher-nya di website kota atau lewat SIPADU.",
        glossary=glossary,
    )
    found = {(f.code, f.excerpt, f.severity) for f in report.findings}
    assert found == {
        ("framing", "Memperhatikan", "error"),
        ("abbreviation", "Dispusip", "error"),
        ("abbreviation", "Puskesmas", "error"),
        ("english", "voucher-nya", "error"),
    }
    how_to = check_text("Siapkan foto KTP.", glossary=glossary, kind="cara_pakai")
    assert "cara_pakai_missing_where_how" not in codes(how_to)
    # The default glossary is untouched.
    assert codes(check_text("Periksa di Puskesmas. Buka website kota. Hubungi SIPADU.")) == [
        "english",
        "unknown_acronym",
    ]


@pytest.mark.parametrize(
    "content, key",
    [
        ("[acronyms]\nOPD = 5\n", "OPD"),
        ('[acronyms]\nOPD = ""\n', "OPD"),
        ("[jargon]\nterkait = [1, 2]\n", "terkait"),
        ('[openings]\n"bersama ini" = ["a", "b"]\n', "bersama ini"),
        ('allow = "KTP"\n', "allow"),
        ('[kamus]\nOPD = "x"\n', "kamus"),
        ('[cara_pakai]\ndimana = ["kantor"]\n', "dimana"),
        ('acronyms = "OPD"\n', "acronyms"),
        ('[acronyms]\n"123" = "angka"\n', "123"),
    ],
)
def test_malformed_office_glossary_names_file_and_key(tmp_path: Path, content: str, key: str) -> None:
    extra = write(tmp_path, content)
    with pytest.raises(ConfigError) as caught:
        Glossary.load(extra)
    assert str(extra) in str(caught.value)
    assert f"'{key}'" in str(caught.value)


def test_invalid_toml_or_missing_office_glossary_names_the_file(tmp_path: Path) -> None:
    broken = write(tmp_path, "[acronyms\nOPD = 'x'\n")
    with pytest.raises(ConfigError, match="glossary-kantor.toml"):
        Glossary.load(broken)
    with pytest.raises(ConfigError, match="tidak-ada.toml"):
        Glossary.load(tmp_path / "tidak-ada.toml")


def test_default_glossary_lists_each_word_once() -> None:
    raw = tomllib.loads(GLOSSARY_FILE.read_text(encoding="utf-8"))
    seen: dict[str, str] = {}
    for section in ("acronyms", "common", "internal", "framing", "nominal", "english", "jargon"):
        for key in raw[section]:
            ident = key if key == key.upper() else key.lower()
            assert ident not in seen, f"{key} in [{section}] and [{seen[ident]}]"
            seen[ident] = section
    for word in raw["allow"]:
        assert word not in seen, word
    assert {"NIK", "BPJS", "KTP", "WIB", "Puskesmas"} <= set(raw["allow"])


_RAW_GLOSSARY = tomllib.loads(GLOSSARY_FILE.read_text(encoding="utf-8"))
_PREFIXES = [p + h for p in ("di", "me", "men", "meng", "mem", "nge", "ng", "ter") for h in ("", "-")]
_VOCABULARY = sorted({key.lower() for section in TERM_SECTIONS for key in _RAW_GLOSSARY.get(section, {})} | {"a", "ke"})


@cache
def _spelled_out_terms() -> tuple[re.Pattern[str], Glossary]:
    """The oracle beside the default glossary: every key, and every English key after each Indonesian
    prefix, spelled out one by one in a flat alternation (longest first), under the same affix and
    word-end rules."""
    keys = [" ".join(key.lower().split()) for section in TERM_SECTIONS for key in _RAW_GLOSSARY.get(section, {})]
    keys += [prefix + " ".join(key.lower().split()) for key in _RAW_GLOSSARY["english"] for prefix in _PREFIXES]
    spelled = sorted(set(keys), key=len, reverse=True)
    alternation = "|".join(r"\s+".join(re.escape(part) for part in key.split(" ")) for key in spelled)
    oracle = re.compile(rf"\b(?<!-)(?:{alternation})(?:-?(?:nya|kan|an|in))?(?!\w|-\w)")
    return oracle, Glossary.load()


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "", *_PREFIXES]),
            st.sampled_from(_VOCABULARY),
            st.sampled_from(["", "", "", "nya", "-nya", "kan", "an", "in", "x"]),
            st.sampled_from(["", " ", " ", "  ", "-", ". ", ", ", "\n"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_glossary_finds_the_words_a_list_of_every_spelled_out_word_finds(parts: list[tuple[str, ...]]) -> None:
    """The glossary's terms regex, factored into tries (the prefixes apart from the English keys), finds
    the same words at the same places as the plainest form: each word and each prefixed English word
    listed one by one."""
    oracle, glossary = _spelled_out_terms()
    text = "".join("".join(part) for part in parts)
    assert [found.span() for found in glossary.term_re.finditer(text)] == [
        found.span() for found in oracle.finditer(text)
    ]


# --- lint-text --------------------------------------------------------------------------------


def lint(tmp_path: Path, text: str, *options: str) -> Result:
    draft = tmp_path / "draf.txt"
    draft.write_text(text, encoding="utf-8")
    no_config = str(tmp_path / "tidak-ada.toml")  # the bundled glossary
    return CliRunner().invoke(cli, ["--config", no_config, "lint-text", *options, str(draft)], catch_exceptions=False)


def test_lint_text_prints_the_category_and_the_rewrite_of_each_finding(tmp_path: Path) -> None:
    result = lint(tmp_path, "Silakan download aplikasinya.\nPara nakes siap melayani.\n")
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        "1: error: English word: 'download' is English; there is a plain Indonesian word — "
        "write 'unduh' instead of 'download'",
        "2: error: abbreviation: 'nakes' is office shorthand that readers do not use — "
        "write 'tenaga kesehatan' or 'petugas kesehatan' instead of 'nakes'",
    ]


@pytest.mark.parametrize(
    "platform, fits, too_long",
    [
        # X weighs a link as 23 and an emoji as 2: 257 + 23 fits 280, with " 🎉" it is 282.
        ("x", "a" * 256 + " https://layanan.bandarlampungkota.go.id/jadwal-lengkap-panjang-sekali", None),
        ("x", "a" * 256 + " https://layanan.bandarlampungkota.go.id/jadwal-lengkap 🎉", "283 characters as x"),
        # Bluesky counts an emoji as one grapheme.
        ("bluesky", "🎉" * 300, None),
        ("bluesky", "🎉" * 301, "301 characters as bluesky"),
    ],
)
def test_lint_text_checks_the_length_the_way_the_platform_counts(
    tmp_path: Path, platform: str, fits: str, too_long: str | None
) -> None:
    result = lint(tmp_path, fits + "\n", "--platform", platform)
    if too_long is None:
        assert "length" not in result.output and result.exit_code == 0, result.output
        return
    first = result.output.splitlines()[0]
    maximum = PLATFORM_CAPABILITIES[platform].text_limit.maximum  # type: ignore[index]  # a platform name
    assert (
        first == f"1: error: length: {too_long} counts them, more than its {maximum} — shorten it to {maximum} or fewer"
    )
    assert result.exit_code == 1


def test_lint_text_without_a_platform_does_not_check_the_length(tmp_path: Path) -> None:
    result = lint(tmp_path, "Bawa KTP. " * 100)
    assert result.exit_code == 0 and "length" not in result.output, result.output


def test_lint_text_speaks_indonesian_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gettext

    from outreach import i18n

    translation = gettext.translation("outreach", localedir=Path(i18n.__file__).parent / "locale", languages=["id"])
    monkeypatch.setattr(i18n, "_", translation.gettext)
    monkeypatch.setattr("outreach.plainlang._", translation.gettext)
    monkeypatch.setattr("outreach.plainwords._", translation.gettext)
    monkeypatch.setattr("outreach.cli.drafting._", translation.gettext)
    result = lint(tmp_path, "Silakan download aplikasinya. " + "a" * 300 + "\n", "--platform", "x")
    lines = result.output.splitlines()
    assert lines[0].startswith("1: kesalahan: panjang: "), lines
    assert lines[1] == (
        "1: kesalahan: kata Inggris: 'download' adalah kata Inggris; ada kata Indonesia yang sederhana — "
        "tulis 'unduh', bukan 'download'"
    )


def test_melakukan_with_a_noun_made_from_a_verb_is_nominal_once() -> None:
    finding = only(check_text("Petugas melakukan penyemprotan nyamuk di RT 5."), "nominal")
    assert (finding.excerpt, finding.severity) == ("melakukan penyemprotan", "error")
    listed = check_text("Petugas melakukan pendampingan dan kami melakukan pendaftaran ulang.")
    assert [f.excerpt for f in listed.findings] == ["pendampingan", "melakukan pendaftaran"]


def test_an_opening_phrase_is_only_an_opening_at_the_start() -> None:
    assert codes(check_text("Ke depan, loket buka sampai sore.")) == ["framing"]
    assert check_text("Antre di depan loket, lalu maju ke depan saat dipanggil.").findings == ()


def test_an_office_file_with_the_former_vague_section_still_works(tmp_path: Path) -> None:
    glossary = Glossary.load(write(tmp_path, '[vague]\npenataan = "atur, rapikan"\n'))
    finding = only(check_text("Ada penataan pasar.", glossary=glossary), "nominal")
    assert finding.suggestion == "write 'atur, rapikan' instead of 'penataan'"


@pytest.mark.parametrize("word", ["normalisasi", "Modernisasi", "standardisasinya"])
def test_an_unlisted_noun_in_isasi_is_nominal(word: str) -> None:
    finding = only(check_text(f"Kami lanjutkan {word} sungai bulan ini."), "nominal")
    assert (finding.excerpt, finding.severity) == (word, "error")


def test_nouns_in_isasi_that_citizens_use_are_fine() -> None:
    assert check_text("Imunisasi anak gratis. Organisasi warga ikut membantu imunisasinya.").findings == ()


@pytest.mark.parametrize("word", ["Intensifikasi", "diversifikasi", "simplifikasinya"])
def test_an_unlisted_noun_in_ifikasi_is_nominal_but_form_words_are_fine(word: str) -> None:
    finding = only(check_text(f"{word} usaha warga dimulai bulan ini."), "nominal")
    assert finding.excerpt == word
    assert check_text("Tunggu notifikasi di HP setelah verifikasi data.").findings == ()


def test_a_chain_of_three_nouns_made_from_verbs_is_nominal_two_are_fine() -> None:
    text = "Kami fokus pada pengendalian dan pencegahan penyebaran penyakit."
    finding = only(check_text(text), "nominal")
    assert finding.excerpt == "pengendalian dan pencegahan penyebaran"
    assert "nominal" not in codes(check_text("Pemeriksaan kesehatan gratis di puskesmas."))


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("Pengawasan makanan di pasar dilakukan setiap pekan.", "Pengawasan makanan di pasar dilakukan"),
        ("Penyerahan bantuan dilaksanakan di balai kelurahan.", "Penyerahan bantuan dilaksanakan"),
    ],
)
def test_a_noun_made_from_a_verb_that_is_done_is_nominal(text: str, excerpt: str) -> None:
    assert only(check_text(text), "nominal").excerpt == excerpt


def test_what_the_reader_may_do_is_fine() -> None:
    assert check_text("Pendaftaran bisa dilakukan di sekolah atau lewat internet.").errors == ()
    assert check_text("Pembayaran dapat dilakukan di bank terdekat.").errors == ()


@pytest.mark.parametrize("word", ["e-catalog", "e-budgeting", "E-planning"])
def test_an_english_word_behind_e_is_english_but_e_mail_and_code_names_are_not(word: str) -> None:
    assert only(check_text(f"Pembelian barang kini lewat {word} kota."), "english").excerpt == word
    assert "english" not in codes(check_text("Kirim berkas lewat e-mail. Bawa e-KTP Anda."))


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ('"Silakan datang ke kantor kami," jelasnya.', "jelasnya"),
        ('"Pendaftaran dibuka Senin," kata Kepala Dinas.', "kata"),
        ("“Kami siap membantu warga,” tambahnya.", "tambahnya"),
    ],
)
def test_a_quote_tag_of_a_press_release_is_framing(text: str, tag: str) -> None:
    assert only(check_text(text), "framing").excerpt == tag


def test_everyday_words_that_can_tag_quotes_are_fine_elsewhere() -> None:
    assert check_text("Katanya besok hujan, jadi bawa payung. Jelasnya, loket buka pukul 08.00 WIB.").errors == ()
    assert check_text('"Jalan ini sudah lama rusak," kata Bu Siti, warga Sukarame.').errors == ()


@pytest.mark.parametrize("title", ["Kadishub", "Kadisdik", "Kasatpol", "Kasubbag", "Kabag", "Kapolsek", "Kemendagri"])
def test_a_title_shortened_with_ka_is_an_abbreviation(title: str) -> None:
    finding = only(check_text(f"Warga bertemu {title} di kantor."), "abbreviation")
    assert (finding.excerpt, finding.severity) == (title, "error")
    assert check_text("Kasih tahu tetangga: Kabupaten tetangga juga buka.").errors == ()
    assert check_text("Kemenangan tim kota disambut warga. Kasim menerima bantuan Kementerian Sosial.").errors == ()


@pytest.mark.parametrize("word", ["engagement", "checking", "leadership", "timeline", "progress", "planning"])
def test_a_word_with_an_ending_only_english_has_is_english(word: str) -> None:
    finding = only(check_text(f"Sekolah membahas {word} bulan ini."), "english")
    assert finding.excerpt == word


def test_english_endings_do_not_fire_on_indonesian_words_or_names() -> None:
    text = "Kucing dan kambing penting bagi petani. Warga keliling kota bersama Nick Jackson."
    assert check_text(text).errors == ()


def test_a_short_unlisted_word_in_capitals_is_an_acronym_but_emphasis_is_not() -> None:
    assert only(check_text("Dana BOP cair bulan ini."), "acronym").excerpt == "BOP"
    assert check_text("Daftar sekarang, YUK!").errors == ()


def test_every_message_of_the_checker_has_an_indonesian_translation() -> None:
    import ast

    from babel.messages.pofile import read_po

    from outreach import plainwords

    root = Path(__file__).parent.parent / "outreach"
    with (root / "locale" / "id" / "LC_MESSAGES" / "outreach.po").open("rb") as po:
        catalogue = read_po(po)
    messages = list(plainwords._CATEGORY_LABELS.values())
    messages += tomllib.loads(GLOSSARY_FILE.read_text(encoding="utf-8"))["openings"].values()
    for module in ("plainlang.py", "plainwords.py"):
        for node in ast.walk(ast.parse((root / module).read_text(encoding="utf-8"))):
            # _() of a computed text translates a category label or an opening's advice: listed above
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                messages.append(node.args[0].value)
    assert len(messages) > 40
    untranslated = [m for m in messages if not (catalogue.get(m) and catalogue.get(m).string)]
    assert untranslated == []
