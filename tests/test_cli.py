"""The command line as a user meets it: help with examples, clear one-line errors, preview and check."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from outreach.cli import cli
from outreach.platforms import PLATFORM_CAPABILITIES

REPO = Path(__file__).parent.parent


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}".strip()
        found.append((path, command))
        if isinstance(command, click.Group):
            found += _commands(command, path)
    return found


COMMANDS = _commands(cli)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A private copy of the bundled example, so tests never touch the repository's var/."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "outreach.toml"


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("path,command", COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_command_has_help_with_an_example(path: str, command: click.Command) -> None:
    assert command.help, f"`outreach {path}` has no help text"
    assert "Example: outreach" in command.help, f"`outreach {path}` help has no 'Example:' line"


@pytest.mark.parametrize("path,command", COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_command_is_in_the_readme(path: str, command: click.Command) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    words = path.split()
    if isinstance(command, click.Group):
        assert f"outreach {path}" in readme
    else:
        pattern = r"outreach " + r"[ |\\a-z]*".join(re.escape(word) for word in words)
        assert re.search(pattern, readme), f"`outreach {path}` is not in the README's CLI reference"


def test_check_passes_on_the_bundled_example(example: Path) -> None:
    result = invoke("--config", str(example), "check")
    assert result.exit_code == 0, result.output
    assert re.search(r"17 approved innovations .* 0 problems", result.output)


def test_preview_json_shows_indonesian_posts_within_each_platforms_limit(example: Path) -> None:
    result = invoke(
        "--config", str(example), "--now", "2026-12-01T08:00+07:00", "preview", "--days", "7", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    posts = json.loads(result.stdout)  # stderr announces the store this first command creates
    assert posts
    required = {"when", "campaign", "channel", "innovation_id", "kind", "text", "length", "limit", "warnings"}
    assert all(required <= set(post) for post in posts)
    platforms = {
        "x": "x",
        "facebook": "facebook",
        "instagram": "instagram",
        "telegram": "telegram",
        "whatsapp": "whatsapp",
    }
    seen_limits = set()
    for post in posts:
        capabilities = PLATFORM_CAPABILITIES[platforms[post["channel"]]]
        limit = capabilities.limit_for(post["image"] is not None)
        assert post["length"] == limit.measure(post["text"]) <= post["limit"] == limit.maximum
        assert post["when"].endswith("+07:00")
        seen_limits.add((limit.counter, limit.maximum))
    assert len({post["channel"] for post in posts}) >= 3
    assert len(seen_limits) >= 3, "posts follow at least three different platforms' rules"
    words = " ".join(post["text"] for post in posts)
    assert "Bandar Lampung" in words and re.search(r"\b(warga|Anda|layanan)\b", words)


def test_a_config_typo_is_one_clear_line_without_traceback(example: Path) -> None:
    text = example.read_text(encoding="utf-8").replace("min_gap_days = 2", "min_gap_dayz = 2")
    example.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(example), "check"])
    assert result.exit_code == 1
    assert "campaigns.kenali-inovasi.min_gap_dayz: unknown key" in result.output
    assert f"{example}:" in result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(example: Path) -> None:
    example.write_text(
        example.read_text(encoding="utf-8").replace('timezone = "Asia/Jakarta"', 'timezone = "Asia/Jkt"')
    )
    plain = CliRunner().invoke(cli, ["--config", str(example), "check"])
    debug = CliRunner().invoke(cli, ["--config", str(example), "--debug", "check"])
    assert plain.exit_code == debug.exit_code == 1
    assert "unknown time zone 'Asia/Jkt'" in plain.output and "Traceback" not in plain.output
    assert "Traceback" in debug.output


def test_rehearse_publishes_a_week_to_the_file_channels(example: Path) -> None:
    result = invoke("--config", str(example), "rehearse", "--from", "2026-12-01", "--days", "7")
    assert result.exit_code == 0, result.output
    published = int(re.search(r"(\d+) published", result.output).group(1))
    assert published >= 5 * 10
    journal = example.parent.parent / "var" / "rehearsal" / "outbox" / "x.jsonl"
    lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len({line["key"] for line in lines}) >= 10
    history = json.loads(invoke("--config", str(example), "--rehearsal", "history", "--format", "json").output)
    assert sum(post["state"] == "published" for post in history) == published
    again = invoke("--config", str(example), "rehearse", "--from", "2026-12-01", "--days", "7")
    assert f"{published} published" in again.output  # a new rehearsal starts afresh
    assert len(journal.read_text(encoding="utf-8").splitlines()) == len(lines)
