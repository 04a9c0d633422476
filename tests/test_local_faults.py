"""Faults on this machine, not on a platform: backups, a damaged store, a folder that cannot be
written, a closed pipe, templates that cannot render. Each ends in one clear line, and nothing is
lost or left half-written. Everything runs the real CLI on a private copy of the bundled example."""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli

REPO = Path(__file__).parent.parent
OUTREACH = Path(sys.executable).parent / "outreach"
NOW = "2026-12-01T08:00+07:00"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "outreach.toml"


def run(config: Path, *args: str, now: str = NOW) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])


def store_of(config: Path) -> Path:
    return config.parent.parent / "var" / "outreach.sqlite3"


def one_line_error(result: Result) -> str:
    """The output, checked to be a single error line without a traceback or SQL."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1, result.output
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and "Traceback" not in result.output, result.output
    assert "report it" not in result.output and "SQL" not in result.output, result.output
    return lines[0]


# ---- db backup ------------------------------------------------------------------------------------


def test_backup_refuses_to_overwrite_a_file_that_is_not_an_outreach_backup(config: Path, tmp_path: Path) -> None:
    run(config, "plan")
    notes = tmp_path / "catatan.txt"
    notes.write_text("catatan rapat\n", encoding="utf-8")
    foreign = tmp_path / "lain.sqlite3"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE kontak (nama TEXT)")
    foreign_bytes = foreign.read_bytes()
    for target in (notes, foreign):
        line = one_line_error(run(config, "db", "backup", str(target)))
        assert target.name in line and "not an outreach backup" in line
    assert notes.read_text(encoding="utf-8") == "catatan rapat\n"
    assert foreign.read_bytes() == foreign_bytes


def test_backup_replaces_an_earlier_backup_and_leaves_no_temporary_file(config: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cadangan"
    folder.mkdir()
    target = folder / "outreach.sqlite3"
    run(config, "plan", "--days", "1")
    assert run(config, "db", "backup", str(target)).exit_code == 0
    run(config, "plan", "--days", "14")
    assert run(config, "db", "backup", str(target)).exit_code == 0
    assert sorted(path.name for path in folder.iterdir()) == ["outreach.sqlite3"]
    with sqlite3.connect(target) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT count(*) FROM posts").fetchone() == (109,)


def _limit_file_size() -> None:
    # Writes past 64 KiB fail with EFBIG, as on a full disk; the store itself is only read.
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_backup_that_cannot_be_written_leaves_nothing_behind(config: Path, tmp_path: Path) -> None:
    assert run(config, "plan").exit_code == 0
    assert store_of(config).stat().st_size > 64 * 1024
    folder = tmp_path / "penuh"
    folder.mkdir()
    done = subprocess.run(
        [str(OUTREACH), "--config", str(config), "db", "backup", str(folder / "cadangan.sqlite3")],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_file_size,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cadangan.sqlite3" in lines[0] and "nothing was written" in lines[0], done.stderr
    assert "Traceback" not in done.stderr and "report it" not in done.stderr
    assert list(folder.iterdir()) == []


# ---- a damaged store -------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "overwritten", "not-a-database", "another-program"])
def test_a_damaged_store_is_one_line_pointing_to_the_backup(config: Path, tmp_path: Path, damage: str) -> None:
    assert run(config, "plan").exit_code == 0
    backup = tmp_path / "cadangan.sqlite3"
    assert run(config, "db", "backup", str(backup)).exit_code == 0
    store = store_of(config)
    data = store.read_bytes()
    if damage == "truncated":
        store.write_bytes(data[: len(data) // 2])
    elif damage == "overwritten":
        # Keep the header and the schema page, spoil the pages holding the posts.
        store.write_bytes(data[:8192] + bytes([0x41]) * (len(data) - 8192))
    elif damage == "not-a-database":
        store.write_text("ini bukan basis data\n", encoding="utf-8")
    else:
        store.unlink()
        with sqlite3.connect(store) as connection:
            connection.execute("CREATE TABLE kontak (nama TEXT)")
    damaged = store.read_bytes()
    for command in (("status",), ("queue",), ("plan",), ("history", "--format", "json")):
        line = one_line_error(run(config, *command))
        assert str(store) in line, line
        assert "docs/operations.md" in line, line
        if damage == "another-program":
            assert "not an outreach store" in line and "kontak" in line, line
        else:
            assert "damaged" in line, line
    assert store.read_bytes() == damaged

    # The advice works: the backup is restored, and a store too damaged to copy over is kept aside.
    restored = run(config, "db", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    kept = sorted(store.parent.glob(store.name + ".damaged-*"))
    if damage in ("truncated", "not-a-database"):
        assert len(kept) == 1 and kept[0].read_bytes() == damaged and str(kept[0]) in restored.output
    assert "planned 109" in run(config, "status").output


# ---- a file channel whose folder cannot be written --------------------------------------------------


def test_a_file_channel_that_cannot_create_its_folder_fails_the_post_not_unknown(config: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "bukan-folder"
    blocker.write_text("a file where the outbox folder should be\n", encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('directory = "../var/outbox"', f'directory = "{blocker}/outbox"'), encoding="utf-8")
    assert run(config, "plan").exit_code == 0
    done = subprocess.run(
        [str(OUTREACH), "--config", str(config), "--now", "2026-12-01T09:00:30+07:00", "run", "--once"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert "5 failed" in done.stdout, (done.stdout, done.stderr)
    history = json.loads(run(config, "history", "--format", "json").output)
    assert [post["state"] for post in history] == ["failed"] * 5
    for post in history:
        assert f"{blocker}/outbox" in post["reason"] and "nothing was published" in post["reason"], post["reason"]

    check = run(config, "channels", "check", "x")
    assert check.exit_code == 1 and "Traceback" not in check.output
    lines = check.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("x ") and "FAIL" in lines[0] and f"{blocker}/outbox" in lines[0]


# ---- a closed pipe ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("queue",), ("preview", "--days", "7")])
def test_a_closed_pipe_ends_the_command_quietly(config: Path, command: tuple[str, ...]) -> None:
    assert run(config, "plan").exit_code == 0
    reader, writer = os.pipe()
    os.close(reader)  # like `outreach queue | head -1` once head has gone
    try:
        done = subprocess.run(
            [str(OUTREACH), "--config", str(config), "--now", NOW, *command],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(writer)
    assert done.stderr == "", done.stderr
    assert done.returncode in (0, 1)


# ---- templates that cannot render ---------------------------------------------------------------------


def _break_template(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text('templates = "tpl"\n' + text, encoding="utf-8")
    (config.parent / "tpl").mkdir()
    (config.parent / "tpl" / "perkenalan.j2").write_text("Halo\n{{ innovation.tidak_ada }}\n", encoding="utf-8")


def test_plan_reports_posts_it_could_not_render_and_fails(config: Path) -> None:
    _break_template(config)
    result = run(config, "plan")
    assert result.exit_code == 1, result.output
    assert "planned 109 new posts" in result.output
    history = json.loads(run(config, "history", "--format", "json").output)
    assert history and all(post["state"] == "failed" and post["kind"] == "perkenalan" for post in history)
    problem = result.output.strip().splitlines()[-1]
    assert f"{len(history)} posts could not be rendered" in problem, problem
    assert "perkenalan.j2" in problem and "line 2" in problem, problem


def test_plan_reports_planned_posts_it_could_not_render_again(config: Path) -> None:
    assert run(config, "plan").exit_code == 0
    _break_template(config)
    result = run(config, "plan")
    assert result.exit_code == 1, result.output
    assert "could not be rendered" in result.output and "perkenalan.j2" in result.output


# ---- lint-text ----------------------------------------------------------------------------------------


def test_lint_text_names_the_line_of_each_finding(config: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draf.txt"
    draft.write_text(
        "Urus KTP di kelurahan.\n\nDalam rangka ulang tahun kota, layanan buka.\nBawa berkas ke OPD.\n",
        encoding="utf-8-sig",
    )
    result = run(config, "lint-text", str(draft))
    lines = result.output.splitlines()
    assert any(line.startswith("3: error: press-release framing: 'Dalam rangka'") for line in lines), result.output
    assert any(line.startswith("4: ") and "OPD" in line for line in lines), result.output


# ---- an empty config ----------------------------------------------------------------------------------


def test_check_of_an_empty_config_says_so_and_creates_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "outreach.toml"
    empty.write_text("", encoding="utf-8")
    line = one_line_error(run(empty, "check"))
    assert "nothing to check" in line and "config/outreach.toml" in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["outreach.toml"]
