"""What a template author and an editor read from rendering, in Indonesian when that is the interface's language.

Template errors, the render budget, a post too long, a bad office glossary and the notes a preview shows are
all read by a person; with the language set to Indonesian none of them may keep an English sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from outreach import i18n
from outreach.errors import ConfigError
from outreach.glossary import Glossary
from outreach.limits import TextLimit
from outreach.model import PlannedPost
from outreach.planning import Draft
from outreach.platforms import Capabilities
from outreach.render import LINK_UNTRACKED, CampaignView, PostTooLong, Renderer
from outreach.utm import UtmSettings
from tests.test_i18n import english_words as cli_english_words
from tests.test_messages_id import english_words
from tests.test_render import LONG_RINGKASAN, MORNING, WIB, channel, innovation, user_templates


@pytest.fixture
def indonesian() -> Iterator[None]:
    i18n.set_language("id")
    try:
        yield
    finally:
        i18n.set_language("en")


def assert_indonesian(message: str) -> None:
    assert not english_words(message), (english_words(message), message)
    assert not cli_english_words(message), (cli_english_words(message), message)


def _render_user(tmp_path: Path, body: str) -> str:
    folder = user_templates(tmp_path, {"perkenalan.j2": body})
    return Renderer(WIB, folder).render(innovation(), "perkenalan", channel("x"), CampaignView("c"), MORNING).text


@pytest.mark.parametrize(
    ("body", "indonesian_words"),
    [
        ("Halo {{ innovation.nama }\n", "penulisan templat keliru: '}' tidak pada tempatnya"),
        ("Halo\n{% sebutkan innovation.nama %}\n", "penulisan templat keliru: Tanda 'sebutkan' tidak dikenal."),
        ("Halo\n{% if innovation.nama %}\nya\n", "salah satu tanda berikut: 'elif', 'else', 'endif'. Blok terdalam"),
    ],
    ids=["unexpected-brace", "unknown-tag", "unclosed-if"],
)
def test_a_template_syntax_error_reads_in_indonesian(
    tmp_path: Path, indonesian: None, body: str, indonesian_words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _render_user(tmp_path, body)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "templat" / "perkenalan.j2") + ":")
    assert indonesian_words in message
    assert "periksa tanda {% %} dan {{ }} di baris itu" in message
    assert_indonesian(message)


def test_an_undefined_name_reads_in_indonesian(tmp_path: Path, indonesian: None) -> None:
    with pytest.raises(ConfigError) as caught:
        _render_user(tmp_path, "Halo\n{{ nama }}\n")
    message = str(caught.value)
    assert "baris 2: 'nama' tidak dikenal; pakai hanya `innovation`, `link`, `channel`" in message
    assert_indonesian(message)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Halo\n{{ 2 ** 4000 }}", "baris 2: hasil ** akan terlalu besar (angka dengan lebih dari 1.000 digit)"),
        ("{{ [1] | slice(999999999) | list }}", "baris 1: perulangan berjalan lebih dari 1.000 kali"),
        ("{{ 'x' | center(999999999) }}", "baris 1: sebuah nilai lebih panjang dari 100.000 butir atau karakter"),
    ],
    ids=["huge-power", "endless-slice", "huge-padding"],
)
def test_an_over_budget_template_reads_in_indonesian(tmp_path: Path, indonesian: None, body: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _render_user(tmp_path, body)
    message = str(caught.value)
    assert reason in message
    assert_indonesian(message)


def test_a_filter_given_the_wrong_value_reads_in_indonesian(tmp_path: Path, indonesian: None) -> None:
    with pytest.raises(ConfigError) as caught:
        _render_user(tmp_path, "Halo\n{{ none | date_id }}\n")
    message = str(caught.value)
    assert (
        "date_id memerlukan tanggal, tetapi mendapat None; apit tanggal yang boleh kosong dengan `{% if %}`" in message
    )
    assert_indonesian(message.replace("TypeError", ""))  # the kind of error is Python's name for it


def test_a_post_too_long_reads_in_indonesian(indonesian: None) -> None:
    view = channel("x", capabilities=Capabilities(TextLimit("x_weighted", 60)))
    with pytest.raises(PostTooLong) as caught:
        Renderer(WIB).render(innovation(ringkasan=LONG_RINGKASAN), "perkenalan", view, CampaignView("c"), MORNING)
    message = str(caught.value)
    assert message.startswith("ktp-sehari-jadi · perkenalan · x-kominfo: ")
    assert "/60 karakter berbobot (tautan dihitung 23) meski sudah dipendekkan; pendekkan 'ringkasan'" in message
    assert_indonesian(message)


def test_a_post_too_long_keeps_its_english_with_the_unit() -> None:
    view = channel("x", capabilities=Capabilities(TextLimit("x_weighted", 60)))
    with pytest.raises(PostTooLong) as caught:
        Renderer(WIB).render(innovation(ringkasan=LONG_RINGKASAN), "perkenalan", view, CampaignView("c"), MORNING)
    assert "/60 weighted characters (links count 23) even after shortening" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[acronyms\nOPD = 'x'\n", "TOML tidak sah di baris 1, kolom 10; periksa tanda kutip, kurung, dan '='"),
        ('[acronyms]\nOPD = ""\n', "[acronyms] 'OPD' harus berupa sebuah teks yang tidak kosong atau daftar teks"),
        ('[kamus]\nOPD = "x"\n', "kunci 'kamus' tidak dikenal; pakai salah satu dari: acronyms, allow"),
        ('allow = "KTP"\n', "'allow' harus berupa daftar teks yang tidak kosong"),
        ('acronyms = "OPD"\n', "'acronyms' harus berupa tabel; tulis sebagai bagian berjudul [acronyms]"),
    ],
    ids=["bad-toml", "empty-expansion", "unknown-section", "allow-not-a-list", "section-not-a-table"],
)
def test_a_bad_office_glossary_reads_in_indonesian(
    tmp_path: Path, indonesian: None, content: str, expected: str
) -> None:
    extra = tmp_path / "glosarium-kantor.toml"
    extra.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Glossary.load(extra)
    message = str(caught.value)
    assert message.startswith(f"{extra}: ")
    assert expected in message
    assert_indonesian(message)


def test_a_missing_office_glossary_reads_in_indonesian(tmp_path: Path, indonesian: None) -> None:
    with pytest.raises(ConfigError) as caught:
        Glossary.load(tmp_path / "tidak-ada.toml")
    message = str(caught.value)
    assert (
        message
        == f"{tmp_path / 'tidak-ada.toml'}: glosarium kantor tidak ada; perbaiki 'glossary' di berkas pengaturan"
    )
    assert_indonesian(message)


def _draft_with_notes() -> Draft:
    """A preview's draft of a post that was shortened and shows its link without tracking."""
    view = channel(
        "whatsapp", utm=UtmSettings(source="whatsapp"), capabilities=Capabilities(TextLimit("characters", 500))
    )
    entry = innovation(ringkasan=LONG_RINGKASAN, tautan="https://bandarlampungkota.go.id/" + "inovasi/" * 12)
    rendered = Renderer(WIB).render(entry, "perkenalan", view, CampaignView("c"), MORNING)
    planned = PlannedPost("c", view.name, entry.id, "perkenalan", datetime(2026, 12, 7, 9, tzinfo=WIB))
    return Draft(planned, rendered, notes=rendered.notes)


def test_preview_notes_are_stored_in_english_and_read_in_indonesian(indonesian: None) -> None:
    draft = _draft_with_notes()
    assert draft.notes == ("shortened to fit 500", LINK_UNTRACKED)  # the data stays English
    assert draft.warnings() == [
        "dipendekkan agar muat dalam 500",
        "tautan ditampilkan tanpa kode pelacak: terlalu panjang untuk dibaca, dan tidak ada kartu tautan yang membawanya",
    ]
    for warning in draft.warnings():
        assert_indonesian(warning)


def test_preview_notes_read_in_english_when_english_is_chosen() -> None:
    assert _draft_with_notes().warnings() == ["shortened to fit 500", LINK_UNTRACKED]
