"""Text that could drive the terminal is never printed raw (outreach.textsafety, the CLI's printouts).

The importer refuses such characters (tests/test_catalogue.py); these tests plant them in the
store the way an import made before that check would have, then read every printout.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from outreach.cli import cli
from outreach.model import Innovation
from outreach.store import Store
from outreach.textsafety import describe, hidden_characters, is_hidden, visible

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
#: Clear the screen, set the window title, reverse the text that follows, a C1 CSI, an isolate.
HOSTILE = "\x1b[2J\x1b]0;diretas\x07\u202egpj.exe\u202c\x9b31m\u2066"


def test_visible_escapes_what_acts_on_the_screen_and_keeps_ordinary_text() -> None:
    assert visible("KTP\x1b[2J") == "KTP\\x1b[2J"
    assert visible("a\u202eb\u2066c") == "a<U+202E>b<U+2066>c"
    assert visible("a\x9bb\x00c\x7fd\re") == "a\\x9bb\\x00c\\x7fd\\re"
    assert visible("baris\nbaru\tkolom") == "baris\nbaru\tkolom"
    assert visible("baris\nbaru\tkolom", line_breaks=False) == "baris\\nbaru\\tkolom"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    ordinary = f"Rp10.000\u00a0· Senin–Jumat · {family} · Kota Bandar Lampung"
    assert visible(ordinary) == ordinary


def test_hidden_characters_and_their_names() -> None:
    assert hidden_characters("ok\u202eok\x1b") == [(2, "\u202e"), (5, "\x1b")]
    assert hidden_characters("baris\nbaru\tkolom") == []
    assert describe("\u202e") == "U+202E RIGHT-TO-LEFT OVERRIDE"
    assert describe("\x1b") == "U+001B ESCAPE"
    assert describe("\x85") == "U+0085 (a control character)"
    assert all(is_hidden(character) for character in "\u200b\u2028\u2029\ufeff\u00ad\U000e0041")
    assert not any(is_hidden(character) for character in "a \u00a0\u200d\u200c\ufe0f")


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A workspace whose store holds an approved innovation full of hostile characters."""
    config = tmp_path / "outreach.toml"
    config.write_text(
        'timezone = "Asia/Jakarta"\nstore = "outreach.sqlite3"\n\n'
        '[channels.telegram]\ntype = "file"\nas = "telegram"\ndirectory = "outbox"\n\n'
        '[campaigns.uji]\nchannels = ["telegram"]\nstart = 2026-12-01\nslots = ["setiap hari 09.00"]\n'
        'series = ["perkenalan"]\nmin_gap_days = 0\n',
        encoding="utf-8",
    )
    store = Store("sqlite:///" + str(tmp_path / "outreach.sqlite3"), now=NOW)
    innovation = Innovation(
        id="impor-lama",
        nama=f"KTP {HOSTILE} Sehari",
        opd=f"Dinas {HOSTILE}",
        ringkasan=f"Cetak KTP {HOSTILE}.",
        manfaat="Tidak perlu datang dua kali.",
        cara_akses=f"Datang ke kantor | Bawa KK {HOSTILE}",
        kontak=f"WhatsApp {HOSTILE}",
        gambar=f"gambar/{HOSTILE}.jpg",
        alt_gambar="Petugas menyerahkan KTP.",
    )
    try:
        store.import_innovations([(innovation, f"{tmp_path}/lama.csv:2", None)], NOW)
        store.decide(["impor-lama"], "approved", f"Rina {HOSTILE}", NOW, reason=f"oke {HOSTILE}")
    finally:
        store.close()
    return config


def run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", "2026-12-01T08:00+07:00", *args])
    assert "Traceback" not in result.output
    return result.output


def assert_harmless(output: str) -> None:
    raw = sorted({describe(character) for character in output if is_hidden(character)})
    assert not raw, f"printed raw: {raw}\n{output}"
    assert "\\x1b" in output and "<U+202E>" in output, output


@pytest.mark.parametrize(
    "command",
    [
        ("catalogue", "list"),
        ("catalogue", "show", "impor-lama"),
        ("preview", "--days", "1"),
        ("check",),
    ],
)
def test_no_printout_of_the_catalogue_drives_the_terminal(planted: Path, command: tuple[str, ...]) -> None:
    assert_harmless(run(planted, *command))


def test_no_printout_of_a_post_drives_the_terminal(planted: Path) -> None:
    assert "planned 1 new post," in run(planted, "plan", "--days", "1")
    queue = run(planted, "queue")
    assert "impor-lama" in queue
    assert_harmless(run(planted, "post", "show", "1"))


def test_an_error_line_quoting_the_file_does_not_drive_the_terminal(planted: Path, tmp_path: Path) -> None:
    bad = tmp_path / "kiriman.csv"
    bad.write_text(
        f"id;nama;opd;ringkasan;manfaat;cara_akses;warna{HOSTILE}\nsatu;Satu;Dinas;Ringkasan.;Manfaat.;Datang;biru\n",
        encoding="utf-8",
    )
    output = run(planted, "catalogue", "import", str(bad))
    assert f"{bad}:1:warna" in output
    assert_harmless(output)


def test_lint_text_shows_an_excerpt_without_its_escape_sequences(planted: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draf.txt"
    long_sentence = " ".join(["warga"] * 15 + [HOSTILE] + ["datang"] * 15) + "."
    draft.write_text(long_sentence + "\n", encoding="utf-8")
    output = run(planted, "lint-text", str(draft))
    assert "long_sentence" in output or "words (more than" in output, output
    assert_harmless(output)
