"""The README's configuration reference names every value and key a user may write; the docs run anywhere."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from outreach.config import CampaignSettings
from outreach.platforms import PLATFORMS

REPO = Path(__file__).parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _row(key: str) -> str:
    [line] = [line for line in README.splitlines() if line.startswith(f"| `{key}`")]
    return line


def test_the_readme_lists_every_as_value_of_a_file_channel() -> None:
    row = _row("[channels.NAME] as")
    assert "…" not in row
    assert [value for value in PLATFORMS if f"`{value}`" not in row] == []


def test_the_readme_lists_every_campaign_key() -> None:
    documented = {
        key
        for line in README.splitlines()
        for keys in re.findall(r"^\| `\[campaigns\.NAME\] ([^|]+?)` \|", line)
        for key in re.findall(r"[a-z_]+", keys)
    }
    assert {field.name for field in fields(CampaignSettings)} - documented == set()


def test_the_readme_says_when_to_import_and_when_to_list_a_catalogue() -> None:
    assert "**The config's `catalogue` list or `outreach catalogue import`?**" in README


def test_the_benchmark_docs_name_no_path_of_one_machine() -> None:
    text = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert "/work/" not in text
    assert ". .venv/bin/activate" in text
