"""Everything a person reads exists in Indonesian: every help text, click's own words, the CLI's output.

The bundled example office says ``bahasa = "id"``; ``tests/conftest.py`` pins English for the other tests
(as a person would, with OUTREACH_LANGUAGE), and the tests here unset that where Indonesian is the subject.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from click.testing import CliRunner

from outreach import i18n
from outreach.cli import cli, language_for

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "outreach"
CATALOGUE = PACKAGE / "locale" / "id" / "LC_MESSAGES" / "outreach.mo"
OUTREACH = Path(sys.executable).parent / "outreach"

#: The variables that choose a language; a test that means to start from nothing removes them all.
LANGUAGE_VARIABLES = ("OUTREACH_LANGUAGE", "OUTREACH_CONFIG", *i18n.LOCALE_VARIABLES)

# English words that no Indonesian sentence uses: function words, and the words the CLI's own English used most.
ENGLISH_WORDS = frozenset(
    """the and of to is are for with this that these show shows when from by or in on at be been it its not each
    every will can if as all you your an was were has have into than then there what which who why how only
    does do after before until also again any one but would could should must may posts days error errors
    yet here where whose them they their our we us used using use""".split()
)


def english_words(text: str) -> list[str]:
    """The English words in ``text``, outside what is not a sentence: `code`, options, metavars, choices,
    command names, configuration keys and the command of an example (``Contoh: outreach …``)."""
    text = re.sub(r"`[^`]*`", " ", text)  # code spans, even wrapped over two lines
    text = re.sub(r"\S*/\S*", " ", text)  # paths and web addresses
    text = re.sub(r"(?m)(Contoh:|Cara pakai:)\s+outreach\b.*$", " ", text)  # the commands themselves
    text = re.sub(r"\[[^\]\s]*\|[^\]]*\]", " ", text)  # [table|json]
    text = re.sub(r"(?<![\w-])--?[\w-]+", " ", text)  # --option, -
    text = re.sub(r"(?m)^  [a-z][\w-]*(?=  )", " ", text)  # a group's list of its commands' names
    text = re.sub(r"\b\w+(?:\.\w+)+\b", " ", text)  # configuration keys and file names: publishing.horizon_days
    text = re.sub(r"\b[A-Z][A-Z_\.]+\b", " ", text)  # metavars, variables: FILES..., LANGUAGE
    return [word for word in re.findall(r"[\w']+", text) if word.lower() in ENGLISH_WORDS]  # price_per_post: a key


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


COMMAND_PATHS = [path for path, _command in _commands(cli)]


def _translated() -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_mo(handle)
    found: dict[str | tuple[str, ...], str | tuple[str, ...]] = {}
    for message in catalogue:
        key = tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
        value = tuple(message.string) if isinstance(message.string, (list, tuple)) else message.string
        if key and value and all(value if isinstance(value, tuple) else [value]):
            found[key] = value
    return found


def _untranslated(messages: set[str | tuple[str, ...]]) -> list[str]:
    translated = _translated()
    return sorted(str(message) for message in messages if message not in translated)


def _clean_environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in LANGUAGE_VARIABLES}
    return {**env, **extra}


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled example office (it says bahasa = "id"), with no personal language choice."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    for variable in LANGUAGE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "config" / "outreach.toml"


# --- (a) the catalogue covers every help text, click's own words and every marked message ---


def test_every_help_text_and_click_string_has_an_indonesian_translation() -> None:
    needed: set[str | tuple[str, ...]] = set()
    for _path, command in _commands(cli):
        needed |= {inspect.cleandoc(command.help)} if command.help else set()
        for param in command.params:
            help_text = getattr(param, "help", None)
            needed |= {inspect.cleandoc(help_text)} if help_text else set()
            shown_default = getattr(param, "show_default", None)
            needed |= {shown_default} if isinstance(shown_default, str) else set()
        assert command.help, f"`outreach {' '.join(_path)}` has no description"
    click_folder = Path(click.__file__).parent
    click_messages = {
        tuple(message) if isinstance(message, tuple) else message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(click_folder), keywords={"_": None, "ngettext": (1, 2)}
        )
    }
    assert "Show this message and exit." in click_messages and ("Usage:") in click_messages
    needed |= click_messages | {"required"}  # click translates a variable holding "required"
    assert not _untranslated(needed), _untranslated(needed)


def test_every_message_of_the_package_has_an_indonesian_translation() -> None:
    messages = {
        tuple(message) if isinstance(message, tuple) else message
        for file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE),
            method_map=[
                ("**.py", "python"),
                ("html/templates/**.j2", "jinja2.ext:babel_extract"),
                ("web/templates/**.j2", "jinja2.ext:babel_extract"),
            ],
            keywords={"_": None, "N_": None, "ngettext": (1, 2)},
        )
    }
    assert len(messages) > 500  # the CLI, errors, findings, logs, channels: the extraction found them all
    assert not _untranslated(messages), _untranslated(messages)


def test_a_message_is_looked_up_when_shown_so_a_later_choice_is_followed() -> None:
    i18n.set_language("id")
    assert i18n._("Show this message and exit.") == "Tampilkan pesan ini lalu keluar."
    i18n.set_language("en")
    assert i18n._("Show this message and exit.") == "Show this message and exit."


def _translated_at_import(node: ast.AST) -> Iterator[int]:
    """Lines where ``_()``/``ngettext()`` runs when the module is imported: in its body, a class body, a
    decorator or a default value (a function's body and a lambda run later)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            for part in [*child.decorator_list, *child.args.defaults]:
                yield from _translated_at_import(ast.Module(body=[ast.Expr(part)], type_ignores=[]))
            continue
        if isinstance(child, ast.Lambda):
            continue
        if isinstance(child, ast.Call) and getattr(child.func, "id", None) in ("_", "ngettext"):
            yield child.lineno
        yield from _translated_at_import(child)


def test_nothing_is_translated_at_import_time() -> None:
    """A translation made at import would freeze the language before the command line and config are read."""
    frozen = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in _translated_at_import(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert frozen == [], "mark it with N_() and call _() where it is shown: " + ", ".join(frozen)
    planted = ast.parse('@click.option("--x", help=_("Frozen."))\ndef f() -> None:\n    return _("fine")\n')
    assert list(_translated_at_import(planted)) == [1]


# --- (b) the help of every command and group, in Indonesian, has no English sentence left ---


def test_the_english_detector_catches_english_help() -> None:
    runner = CliRunner()
    for path in [(), ("post", "resolve"), ("rehearse",)]:
        english = runner.invoke(cli, ["--language", "en", *path, "--help"], prog_name="outreach").output
        assert len(english_words(english)) >= 5, english
    assert english_words("Tampilkan unggahan. Contoh: outreach queue --format json") == []
    assert english_words("Jalankan `outreach --rehearsal history` dengan --days N [table|json] FILES...") == []
    assert english_words("Tampilkan unggahan when it is due") == ["when", "it", "is"]


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda path: " ".join(path) or "outreach")
def test_every_help_is_indonesian(path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OUTREACH_LANGUAGE")
    result = CliRunner().invoke(cli, ["--language", "id", *path, "--help"], prog_name="outreach")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Cara pakai: outreach")
    assert "Pilihan:" in result.output and "Tampilkan pesan ini lalu keluar." in result.output
    assert english_words(result.output) == [], result.output


@pytest.mark.parametrize(
    "args, expected",
    [
        (["queue", "--bogus"], "Kesalahan: Tidak ada pilihan '--bogus'."),
        (["catalogue", "show"], "Kesalahan: Argumen belum diberikan 'INNOVATION_ID'."),
        (["history", "--format", "xml"], "Kesalahan: Nilai tidak sah untuk '--format': 'xml' bukan salah satu dari"),
        (["plan", "--days", "0"], "Kesalahan: Nilai tidak sah untuk '--days': 0 di luar rentang 1<=x<=366."),
        (["bogus"], "Kesalahan: Tidak ada perintah 'bogus'."),
    ],
)
def test_click_s_own_errors_are_indonesian(args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OUTREACH_LANGUAGE")
    result = CliRunner().invoke(cli, ["--language", "id", *args], prog_name="outreach")
    assert result.exit_code == 2 and expected in result.output, result.output
    assert english_words(result.output) == [], result.output


def test_the_root_help_of_the_installed_command_is_indonesian_from_the_config_alone(office: Path) -> None:
    for args in (["--help"], ["--config", str(office), "--help"], ["--config", str(office), "post", "add", "--help"]):
        config = ["--config", str(office)] if args[0] == "--help" else []
        env = _clean_environment(OUTREACH_CONFIG=str(office)) if config else _clean_environment()
        result = subprocess.run([str(OUTREACH), *args], capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Cara pakai: outreach"), result.stdout
        assert english_words(result.stdout) == [], result.stdout


# --- (c) the bundled example office speaks Indonesian with no LANGUAGE set ---


def _run(office: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OUTREACH), "--config", str(office), *args],
        capture_output=True,
        text=True,
        env=_clean_environment(),
        cwd=office.parent.parent,
        timeout=120,
    )


def test_the_bundled_office_prints_indonesian_only(office: Path) -> None:
    checked = _run(office, "--now", "2026-12-01T07:00+07:00", "check")  # the store begins before the day planned
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "inovasi disetujui × 4 jenis unggahan diperiksa di 5 kanal: 0 masalah" in checked.stdout
    planned = _run(office, "--now", "2026-12-01T08:00+07:00", "plan", "--days", "2")
    assert planned.returncode == 0, planned.stderr
    published = _run(office, "--now", "2026-12-01T09:05+07:00", "run", "--once")
    assert published.returncode == 0, published.stderr
    status = _run(office, "--now", "2026-12-01T09:06+07:00", "status")
    queue = _run(office, "--now", "2026-12-01T09:06+07:00", "queue")
    history = _run(office, "history")
    shown = _run(office, "post", "show", "1")
    assert "mulai dikirim" in shown.stdout and "claimed" not in shown.stdout, shown.stdout  # the events' reasons
    assert "penerbitan: aktif" in status.stdout and "diterbitkan" in status.stdout, status.stdout
    assert "waktu (WIB)" in queue.stdout and "terjadwal" in queue.stdout, queue.stdout
    assert "diterbitkan" in history.stdout and "published" not in history.stdout, history.stdout
    for result in (checked, planned, status, queue, history, shown):
        assert english_words(result.stdout + result.stderr) == [], result.stdout + result.stderr


def test_a_reason_stored_in_english_is_read_in_indonesian(office: Path) -> None:
    planned = _run(office, "--now", "2026-12-01T08:00+07:00", "plan", "--days", "1")
    assert planned.returncode == 0, planned.stderr
    cancelled = _run(office, "--now", "2026-12-01T08:01+07:00", "post", "cancel", "1", "--reason", "Acara ditunda")
    assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
    as_json = json.loads(_run(office, "history", "--format", "json").stdout)
    stored = next(post["reason"] for post in as_json if post["id"] == 1)
    assert stored.startswith("cancelled by an operator"), stored  # the data stays English
    for shown in (_run(office, "history").stdout, _run(office, "post", "show", "1").stdout):
        assert "dibatalkan oleh operator" in shown and "Acara ditunda" in shown, shown
        assert "cancelled by" not in shown, shown


def test_a_failing_import_of_the_bundled_office_is_indonesian(office: Path) -> None:
    bad = office.parent / "kiriman.csv"
    bad.write_text("id,nama\nbaru,\n", encoding="utf-8")
    result = _run(office, "catalogue", "import", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(r"(?m)^Kesalahan: ", result.stderr), result.stderr
    shown = result.stdout + result.stderr
    assert english_words(shown) == [], shown


def test_machine_output_stays_english_in_an_indonesian_office(office: Path) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["--config", str(office), "--now", "2026-12-01T08:00+07:00", "plan", "--days", "1"])
    as_json = runner.invoke(cli, ["--config", str(office), "queue", "--format", "json"])
    assert '"state": "planned"' in as_json.output and "terjadwal" not in as_json.output
    table = runner.invoke(cli, ["--config", str(office), "queue"])
    assert "terjadwal" in table.output and "planned" not in table.output
    runner.invoke(cli, ["--config", str(office), "post", "cancel", "1"])
    as_csv = runner.invoke(cli, ["--config", str(office), "history", "--format", "csv"])
    assert as_csv.output.splitlines()[0].startswith(
        "\ufeffid,when,campaign,channel,innovation_id,innovation_name,agency,"
    )
    assert ",cancelled," in as_csv.output and "dibatalkan" not in as_csv.output


# --- (d) who chooses the language ---


def test_the_person_beats_the_office_which_beats_the_environment() -> None:
    assert i18n.choose_language("en", "id", {"LANGUAGE": "id"}) == "en"
    assert i18n.choose_language(None, "id", {"OUTREACH_LANGUAGE": "en", "LANGUAGE": "id"}) == "en"
    assert i18n.choose_language("id", "en", {"OUTREACH_LANGUAGE": "en"}) == "id"  # the option beats the variable
    assert i18n.choose_language(None, "en", {"LANGUAGE": "id"}) == "en"
    assert i18n.choose_language(None, None, {"LANGUAGE": "fr:id", "LANG": "en_US.UTF-8"}) == "id"
    assert i18n.choose_language(None, None, {"LANG": "id_ID.UTF-8"}) == "id"
    assert (
        i18n.choose_language(None, None, {"LC_ALL": "C", "LANG": "id_ID.UTF-8"}) == "en"
    )  # LC_ALL wins, as in gettext
    assert i18n.choose_language(None, None, {}) == "en"


def test_the_command_line_reads_the_config_before_click_does(tmp_path: Path) -> None:
    config = tmp_path / "kantor.toml"
    config.write_text('bahasa = "id"\n', encoding="utf-8")
    assert language_for(["--config", str(config), "queue"], {}) == "id"
    assert language_for([f"--config={config}", "--now", "2026-12-01T08:00", "queue"], {}) == "id"
    assert language_for(["--config", str(config), "--language", "en", "queue", "--help"], {}) == "en"
    assert language_for(["--config", str(config), "queue"], {"OUTREACH_LANGUAGE": "en"}) == "en"
    assert language_for([], {"OUTREACH_CONFIG": str(config)}) == "id"
    elsewhere = {"OUTREACH_CONFIG": str(tmp_path / "missing.toml")}
    assert language_for(["queue", "--config", str(config)], elsewhere) == "en"  # a subcommand's words are its own
    config.write_text('bahasa = "id"\n[channels\n', encoding="utf-8")  # broken: --help still works, in LANG's
    assert language_for(["--config", str(config), "--help"], {"LANG": "id_ID.UTF-8"}) == "id"
    assert language_for([], elsewhere) == "en"


def test_precedence_seen_from_the_command_line(office: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    config = ["--config", str(office)]
    assert runner.invoke(cli, [*config, "resume"]).stdout.strip() == "dilanjutkan"  # the office's bahasa
    assert runner.invoke(cli, [*config, "--language", "en", "resume"]).stdout.strip() == "resumed"
    monkeypatch.setenv("OUTREACH_LANGUAGE", "en")
    assert runner.invoke(cli, [*config, "resume"]).stdout.strip() == "resumed"
    assert runner.invoke(cli, [*config, "--language", "id", "resume"]).stdout.strip() == "dilanjutkan"
    monkeypatch.setenv("OUTREACH_LANGUAGE", "fr")
    refused = runner.invoke(cli, [*config, "resume"])
    assert refused.exit_code == 2 and "OUTREACH_LANGUAGE" in refused.output and "'fr'" in refused.output
    monkeypatch.delenv("OUTREACH_LANGUAGE")
    silent = office.parent / "diam.toml"
    silent.write_text(office.read_text(encoding="utf-8").replace('bahasa = "id"', ""), encoding="utf-8")
    monkeypatch.setenv("LANGUAGE", "id")
    assert runner.invoke(cli, ["--config", str(silent), "resume"]).stdout.strip() == "dilanjutkan"
    monkeypatch.delenv("LANGUAGE")
    assert runner.invoke(cli, ["--config", str(silent), "resume"]).stdout.strip() == "resumed"


def test_a_wrong_bahasa_is_a_clear_config_error_and_does_not_stop_help(office: Path) -> None:
    office.write_text(office.read_text(encoding="utf-8").replace('bahasa = "id"', 'bahasa = "jawa"'), "utf-8")
    result = _run(office, "status")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{office}:" in result.stderr and "bahasa" in result.stderr and 'bahasa = "id"' in result.stderr
    helped = _run(office, "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: outreach")


# --- (e) numbers and plurals ---


def test_numbers_are_written_as_the_language_writes_them() -> None:
    i18n.set_language("id")
    assert (i18n.number(11, decimals=1), i18n.number(1234), i18n.number(1234.5, decimals=2)) == (
        "11,0",
        "1.234",
        "1.234,50",
    )
    assert i18n.percent(0.125) == "12%" or i18n.percent(0.125) == "13%"
    i18n.set_language("en")
    assert (i18n.number(11, decimals=1), i18n.number(1234), i18n.number(0.2, decimals=3)) == ("11.0", "1,234", "0.200")


def test_english_plurals_are_right_and_indonesian_has_one_form() -> None:
    i18n.set_language("en")
    assert [i18n.ngettext("{count} sentence", "{count} sentences", n).format(count=n) for n in (1, 2)] == [
        "1 sentence",
        "2 sentences",
    ]
    i18n.set_language("id")
    assert [i18n.ngettext("{count} sentence", "{count} sentences", n).format(count=n) for n in (1, 2)] == [
        "1 kalimat",
        "2 kalimat",
    ]


def test_lint_text_counts_in_words_and_numbers_of_the_reader(tmp_path: Path) -> None:
    text = tmp_path / "draf.txt"
    text.write_text("Datang ke kantor kelurahan pada hari Senin sampai Jumat pagi.\n", encoding="utf-8")
    missing = ["--config", str(tmp_path / "tidak-ada.toml")]
    english = CliRunner().invoke(cli, [*missing, "--language", "en", "lint-text", str(text)]).output
    assert "1 sentence, 10 words, 10.0 words per sentence" in english
    indonesian = CliRunner().invoke(cli, [*missing, "--language", "id", "lint-text", str(text)]).output
    assert "1 kalimat, 10 kata, 10,0 kata per kalimat" in indonesian


def test_a_rehearsal_summary_is_indonesian(office: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(office), "rehearse", "--from", "2026-12-01", "--days", "1"])
    assert result.exit_code == 0, result.output
    summary = result.output.splitlines()[0]
    assert re.fullmatch(r"gladi 1 hari mulai 2026-12-01 00:00: \d+ diterbitkan(, \d+ diserahkan ke staf)?", summary), (
        summary
    )
    assert english_words(result.output) == [], result.output


def test_the_readme_names_each_state_as_the_catalogue_does() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"(?m)^\| `([a-z_]+)` \| ([a-z ]+) \|$", readme.split("## Language / Bahasa")[1])
    i18n.set_language("id")
    assert len(rows) == 9 and all(i18n._(state) == shown for state, shown in rows), rows
