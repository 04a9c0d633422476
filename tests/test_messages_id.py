"""Errors, findings, reasons and logs outside the CLI read in Indonesian when asked, in English otherwise.

The language is chosen when ``outreach.i18n`` is imported, so each Indonesian case runs in a child
Python with ``LANGUAGE=id`` and prints what a person would read; the parent checks it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from outreach.catalogue import CatalogueErrors, read_catalogue
from outreach.logs import JsonFormatter
from outreach.publisher import GAVE_UP, INTERRUPTED, RECONCILED_NOT_PUBLISHED
from outreach.reasons import shown
from tests.engine_helpers import innovation, write_catalogue

ROOT = Path(__file__).parent.parent

#: Words of an English sentence that Indonesian prose never uses; a file name or key is split apart
#: by the word pattern below, so ``inovasi.csv`` or ``max_attempts`` cannot trip it.
ENGLISH = {"the", "is", "not", "use", "write", "fill", "must", "cannot", "this", "with", "and", "or", "of", "in"}
ENGLISH |= {"a", "an", "no", "file", "found", "required", "missing", "unknown", "key", "post", "see", "for", "it"}


def english_words(text: str) -> set[str]:
    """The English words left in ``text`` outside quotes, back-ticks, paths and dotted keys (names, not prose)."""
    prose = re.sub(r"'[^']*'|`[^`]*`|\"[^\"]*\"|\S*[/._\[]\S*", " ", text)
    return {word for word in re.findall(r"[A-Za-z]+", prose) if word.lower() in ENGLISH}


def in_indonesian(code: str, *args: str) -> str:
    """What ``code`` prints when the interface language is Indonesian."""
    # The suite pins English through OUTREACH_LANGUAGE (tests/conftest.py): the child asks through LANGUAGE.
    env = {name: value for name, value in os.environ.items() if name != "OUTREACH_LANGUAGE"}
    env.update(LANGUAGE="id", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _bad_catalogue(folder: Path) -> Path:
    return write_catalogue(
        folder,
        [
            innovation("KTP Sehari", tautan="https://bandarlampungkota.go.id/ktp"),
            innovation("akta-kilat", mulai="besok"),
            innovation("kia-keliling", nama=""),
        ],
    )


def test_a_failing_catalogue_import_reads_in_indonesian(folder: Path) -> None:
    path = _bad_catalogue(folder)
    shown_text = in_indonesian(
        """
        import sys
        from outreach.catalogue import CatalogueErrors, read_catalogue
        try:
            read_catalogue([sys.argv[1]])
        except CatalogueErrors as error:
            print(error)
        """,
        str(path),
    )
    assert "3 masalah di katalog; tidak ada yang diimpor:" in shown_text
    assert f"{path}:2:id: 'KTP Sehari' bukan id yang sah" in shown_text  # the place stays file:row:column
    assert f"{path}:3:mulai: 'besok' bukan tanggal" in shown_text
    assert f"{path}:4:nama: wajib diisi; isi sel ini" in shown_text
    assert not english_words(shown_text), english_words(shown_text)


def test_a_catalogue_counts_its_problems_in_english_plurals(folder: Path) -> None:
    with pytest.raises(CatalogueErrors) as one:
        read_catalogue([write_catalogue(folder, [innovation("Satu Saja", tautan="bandarlampungkota.go.id")])])
    assert str(one.value).startswith("1 problem in the catalogue; nothing was imported:")
    with pytest.raises(CatalogueErrors) as three:
        read_catalogue([_bad_catalogue(folder)])
    assert str(three.value).startswith("3 problems in the catalogue; nothing was imported:")
    assert "is not a valid id; use lowercase letters" in str(three.value)  # English stays the default


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("[publishing]\nmax_attemps = 3\n", "publishing.max_attemps: kunci tidak dikenal (salah ketik?)"),
        ("[publishing]\nmax_attempts = 0\n", "publishing.max_attempts: harus 1 atau lebih; contoh: max_attempts = 5"),
        ('timezone = "Asia/Jakartaa"\n', "timezone: zona waktu 'Asia/Jakartaa' tidak dikenal; contoh: timezone ="),
        (
            '[campaigns.a]\nchannels = ["x"]\nslots = ["senin 09.00"]\n',
            "campaigns.a.channels: tidak ada kanal bernama 'x' (kanal yang ada: belum ada)",
        ),
    ],
)
def test_a_config_error_reads_in_indonesian(tmp_path: Path, config: str, expected: str) -> None:
    path = tmp_path / "outreach.toml"
    path.write_text(config, encoding="utf-8")
    message = in_indonesian(
        """
        import sys
        from pathlib import Path
        from outreach.config import load_config
        from outreach.errors import ConfigError
        try:
            load_config(Path(sys.argv[1]), environ={})
        except ConfigError as error:
            print(error)
        """,
        str(path),
    )
    assert message.startswith(f"{path}:"), message  # file and line first, as in English
    assert expected in message
    assert not english_words(message), english_words(message)


def test_check_findings_read_in_indonesian(tmp_path: Path) -> None:
    from PIL import Image

    from tests.engine_helpers import campaign, file_channel, project

    folder = tmp_path / "kantor"
    folder.mkdir()
    Image.new("RGB", (40, 40), "red").save(folder / "poster.gif", format="GIF")
    config = project(
        folder,
        [innovation("ktp-sehari-jadi", gambar="poster.gif", alt_gambar="Poster layanan KTP sehari jadi")],
        channels={"x-kominfo": file_channel("x")},
        campaigns={"kenalan": campaign(["x-kominfo"], series=["perkenalan"])},
    )
    printed = in_indonesian(
        """
        import sys
        from pathlib import Path
        from outreach.checks import check
        from tests.engine_helpers import at, workspace
        report = check(workspace(Path(sys.argv[1]), at(2026, 12, 1, 8)).planning)
        print("\\n".join(map(str, report.problems)))
        """,
        str(config),
    )
    assert "ktp-sehari-jadi · x-kominfo" in printed
    assert "gambar berformat GIF, yang tidak diterima x (hanya JPEG, PNG atau WebP); simpan sebagai JPEG" in printed
    assert not english_words(printed), english_words(printed)


def test_not_found_and_a_state_conflict_read_in_indonesian(tmp_path: Path) -> None:
    printed = in_indonesian(
        """
        import sys
        from outreach.errors import NotFound, StateConflict
        from outreach.model import PostState
        from outreach.outbox import Operation
        from outreach.store import Store
        from tests.engine_helpers import at
        store = Store("sqlite:///" + sys.argv[1])
        try:
            store.post(41)
        except NotFound as error:
            print(error)
        values = {"key": "k/1", "campaign": "c", "channel": "x-kominfo", "innovation_id": "ktp", "kind": "perkenalan",
                  "scheduled_at": at(2026, 12, 1, 9), "text": "Halo", "link": None}
        post_id = store.add_post(values, at(2026, 12, 1), "planned", "test")
        store.transition(post_id, Operation.CANCEL, at(2026, 12, 1), "cancelled by an operator: uji", actor="uji")
        try:
            store.transition(post_id, Operation.CONFIRM, at(2026, 12, 1), "confirmed by staff", actor="uji")
        except StateConflict as error:
            print(error)
            print(error.state)
        """,
        str(tmp_path / "s.sqlite3"),
    )
    missing, conflict, state = printed.splitlines()
    assert missing == "tidak ada unggahan dengan id 41; lihat daftar id dengan `outreach queue` atau `outreach history`"
    assert conflict.startswith("unggahan 1 berstatus dibatalkan; tindakan ini (confirm) hanya berlaku untuk: ")
    assert "diserahkan ke staf" in conflict
    assert state == "cancelled"  # what programs read stays English
    assert not english_words(missing + conflict), english_words(missing + conflict)


def test_a_stored_reason_stays_english_and_is_shown_in_indonesian() -> None:
    stored = GAVE_UP.format(attempts=3, error=INTERRUPTED) + f"; {RECONCILED_NOT_PUBLISHED}"
    assert (
        stored == "gave up after 3 attempts: interrupted while publishing (restart); reconciled: it was not published"
    )
    assert shown(stored) == stored  # English: shown as stored
    printed = in_indonesian(
        """
        import sys
        from outreach.reasons import shown
        import outreach.publisher, outreach.operations, outreach.planner
        for reason in sys.argv[1:]:
            print(shown(reason))
        """,
        stored,
        "retry in 120 s: HTTP 503 Service Unavailable",
        "cancelled by an operator: Acara ditunda",
        "Acara ditunda",
    )
    assert printed.splitlines() == [
        "berhenti mencoba setelah 3 percobaan: terputus saat sedang dikirim (dinyalakan ulang); "
        "sudah dicocokkan: unggahan tidak diterbitkan",
        "dicoba lagi dalam 120 detik: HTTP 503 Service Unavailable",  # the platform's words stay as sent
        "dibatalkan oleh operator: Acara ditunda",
        "Acara ditunda",  # a reason a person typed is shown as typed
    ]


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("outreach.publisher", logging.WARNING, __file__, 1, message, args, None)


def test_a_json_log_record_keeps_an_english_event_and_its_keys() -> None:
    record = _record("post %s: %s → %s: %s", 7, "publishing", "failed", "rejected: too long")
    document = json.loads(JsonFormatter().format(record))
    assert document["event"] == document["message"] == "post 7: publishing → failed: rejected: too long"
    assert set(document) == {"time", "level", "logger", "event", "message"}


def test_log_messages_read_in_indonesian_and_the_event_stays_english() -> None:
    printed = in_indonesian(
        """
        import logging
        from outreach.logs import JsonFormatter
        import outreach.publisher
        record = logging.LogRecord("outreach.publisher", logging.WARNING, "x.py", 1, "post %s: %s → %s: %s",
                                   (7, "publishing", "failed", "rejected: Status is over 500 characters"), None)
        print(JsonFormatter().format(record))
        """
    )
    document = json.loads(printed)
    assert document["event"] == "post 7: publishing → failed: rejected: Status is over 500 characters"
    assert document["message"] == "unggahan 7: sedang dikirim → gagal: ditolak: Status is over 500 characters"
    assert document["level"] == "warning" and document["logger"] == "outreach.publisher"


def test_the_english_detector_finds_english_prose_and_skips_names() -> None:
    assert english_words("katalog/inovasi.csv:4:nama: required; fill in this cell") == {
        "required",
        "fill",
        "in",
        "this",
    }
    assert not english_words("katalog/inovasi.csv:4:nama: wajib diisi; isi `outreach check` 'the id'")


def test_a_channels_check_finding_reads_in_indonesian() -> None:
    printed = in_indonesian(
        """
        from tests.channels.conftest import make_channel
        from tests.fakeplatform.mastodon import MastodonFake
        from tests.fakeplatform.server import FakeServer
        with FakeServer() as server:
            fake = MastodonFake(server)
            fake.max_characters = 400
            print(make_channel(fake, name="mastodon-kominfo", text_limit=500).check().detail)
        """
    )
    assert "server mengizinkan 400 karakter, satu tautan dihitung 23" in printed
    assert (
        "peringatan: text_limit 500 tetapi server mengizinkan 400: unggahan yang lebih panjang akan ditolak; "
        "isi text_limit = 400"
    ) in printed
    assert not english_words(printed), english_words(printed)


def test_a_hold_reason_reads_in_indonesian(tmp_path: Path) -> None:
    printed = in_indonesian(
        """
        import sys
        from pathlib import Path
        from tests.fakeplatform.server import FakeServer
        from tests.fakeplatform.x import XFake
        from tests.test_holds import _held
        with FakeServer() as server:
            ws = _held(Path(sys.argv[1]), XFake(server))
            print(ws.holds.all()["x"].reason)
            print(ws.store.posts()[0].reason)
            from outreach.reasons import shown
            print(shown(ws.store.posts()[0].reason))
        """,
        str(tmp_path),
    )
    hold, post_reason, post_reason_shown = printed.splitlines()
    platform_says, ours = hold.split("; ", 1)
    assert platform_says.startswith("x: POST /2/tweets: HTTP 402")  # the platform's own words, as sent
    assert ours == (
        "kredit API X sudah habis: isi ulang kredit aplikasi di X Developer Console (console.x.com), "
        "lalu jalankan `outreach channels check`"
    )
    assert not english_words(ours), english_words(ours)
    # The post's reason is stored in English (stable data) around the adapter's words of the moment.
    assert post_reason == f"channel held, the post waits: {hold}"
    assert post_reason_shown == f"kanal ditahan, unggahan menunggu: {hold}"


def _is_logger(node: object) -> bool:
    """``log`` (a module's logger) or ``self.log`` (a class's, as in ``outreach.sweep``)."""
    import ast

    if isinstance(node, ast.Name):
        return node.id == "log"
    return isinstance(node, ast.Attribute) and node.attr == "log" and isinstance(node.value, ast.Name)


def _log_messages() -> set[str]:
    """The English message of every ``log.<level>("…", …)`` (or ``self.log``) call outside the command line."""
    import ast

    package = ROOT / "outreach"
    found = set()
    for module in sorted(package.rglob("*.py")):
        if "cli" in module.relative_to(package).parts:
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and _is_logger(node.func.value)
                and node.func.attr in ("debug", "info", "warning", "error", "exception")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_log_message_has_an_indonesian_translation() -> None:
    from babel.messages.mofile import read_mo

    with (ROOT / "outreach" / "locale" / "id" / "LC_MESSAGES" / "outreach.mo").open("rb") as handle:
        translated = {message.id for message in read_mo(handle) if isinstance(message.id, str) and message.string}
    messages = _log_messages()
    assert len(messages) > 20 and not messages - translated, sorted(messages - translated)
