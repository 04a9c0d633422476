"""An operator changes a post before it goes out (`post edit`) or adds a one-off announcement (`post add`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli

REPO = Path(__file__).parent.parent
NOW = "2026-12-01T08:00+07:00"
NEW_TEXT = "Jam layanan Mal Pelayanan Publik berubah hari ini. Buka pukul 10.00 WIB."
WARNING = "Peringatan banjir: warga di Kecamatan Panjang diminta waspada. Hubungi 112 bila perlu bantuan."


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    monkeypatch.setenv("USER", "siti")
    config = tmp_path / "config" / "outreach.toml"
    assert run(config, "plan", "--days", "3").exit_code == 0
    return config


def run(config: Path, *args: str, now: str = NOW) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])


def text_file(config: Path, text: str) -> str:
    path = config.parent / "teks.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def shown(config: Path, post_id: int) -> dict:
    [post] = [p for p in json.loads(run(config, "queue", "--format", "json").stdout) if p["id"] == post_id]
    return post


def x_post(config: Path) -> int:
    return next(p["id"] for p in json.loads(run(config, "queue", "--format", "json").stdout) if p["channel"] == "x")


def test_an_edit_is_recorded_with_who_and_why_and_survives_a_replan(config: Path) -> None:
    post_id = x_post(config)
    edited = run(config, "post", "edit", str(post_id), "--text-file", text_file(config, NEW_TEXT), "--reason", "Jam")
    assert edited.exit_code == 0, edited.output
    assert shown(config, post_id)["text"] == NEW_TEXT
    assert "text edited by an operator: Jam (siti)" in run(config, "post", "show", str(post_id)).output

    # The x channel's tracking changes: every planned x post is re-rendered, the edited one is kept.
    config.write_text(config.read_text(encoding="utf-8").replace('utm = { source = "x" }', 'utm = { source = "tw" }'))
    replanned = run(config, "plan", "--days", "3")
    assert "refreshed 0" not in replanned.output, replanned.output
    assert shown(config, post_id)["text"] == NEW_TEXT
    others = [p for p in json.loads(run(config, "queue", "--format", "json").stdout) if p["channel"] == "x"]
    assert any("utm_source=tw" in p["text"] for p in others)


def test_an_overlong_edit_is_refused_with_the_count(config: Path) -> None:
    post_id = x_post(config)
    before = shown(config, post_id)["text"]
    result = run(config, "post", "edit", str(post_id), "--text-file", text_file(config, "kata " * 80), "--reason", "x")
    assert result.exit_code == 1
    assert "too long for channel x: 399/280" in result.output and "shorten it by 119" in result.output
    assert "Traceback" not in result.output
    assert shown(config, post_id)["text"] == before


def test_an_edit_in_bureaucratic_language_is_refused(config: Path) -> None:
    post_id = x_post(config)
    text = "Warga dapat memakai aplikasi ini untuk optimalisasi layanan."
    result = run(config, "post", "edit", str(post_id), "--text-file", text_file(config, text), "--reason", "x")
    assert result.exit_code == 1 and "not plain language" in result.output and "optimalisasi" in result.output


def test_only_a_planned_post_can_be_edited(config: Path) -> None:
    assert run(config, "run", "--once", now="2026-12-01T09:01+07:00").exit_code == 0
    result = run(config, "post", "edit", "1", "--text-file", text_file(config, NEW_TEXT), "--reason", "x")
    assert result.exit_code == 1 and "post 1 is published; this (edit) works only for: planned" in result.output


def test_an_announcement_goes_out_through_the_outbox_and_replanning_keeps_it(config: Path) -> None:
    added = run(
        config,
        "post",
        "add",
        "--channel",
        "x",
        "--at",
        "2026-12-01T10:30",
        "--text-file",
        text_file(config, WARNING),
        "--link",
        "https://bandarlampungkota.go.id/banjir",
    )
    assert added.exit_code == 0, added.output
    assert "announcement planned for 2026-12-01 10:30 WIB" in added.output
    assert "planned 0 new posts, refreshed 0, cancelled 0" in run(config, "plan", "--days", "3").output

    assert run(config, "run", "--once", now="2026-12-01T10:31+07:00").exit_code == 0
    history = json.loads(run(config, "history", "--format", "json").stdout)
    [announcement] = [post for post in history if post["kind"] == "pengumuman"]
    assert announcement["state"] == "published" and announcement["innovation_id"] == "-"
    assert announcement["text"] == WARNING + "\n\nhttps://bandarlampungkota.go.id/banjir"
    journal = (config.parent.parent / "var" / "outbox" / "x.jsonl").read_text(encoding="utf-8")
    assert WARNING in journal
    again = run(
        config, "post", "add", "--channel", "x", "--at", "2026-12-01T10:30", "--text-file", text_file(config, WARNING)
    )
    assert again.exit_code == 0  # another text (no link): another post


@pytest.mark.parametrize(
    "args,message",
    [
        (["--channel", "x", "--at", "2026-12-01T07:00"], "has passed; give a time from now on"),
        (["--channel", "tiktok", "--at", "2026-12-01T10:00"], "no channel named 'tiktok'"),
        (["--channel", "x", "--at", "besok"], "use ISO 8601"),
    ],
)
def test_a_wrong_announcement_is_one_clear_line(config: Path, args: list[str], message: str) -> None:
    result = run(config, "post", "add", *args, "--text-file", text_file(config, WARNING))
    assert result.exit_code in (1, 2) and message in result.output and "Traceback" not in result.output
    assert not [p for p in json.loads(run(config, "queue", "--format", "json").stdout) if p["kind"] == "pengumuman"]
