"""CLI messages go through gettext, and the Indonesian catalogue covers every one of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo

PACKAGE = Path(__file__).parent.parent / "outreach"
CATALOGUE = PACKAGE / "locale" / "id" / "LC_MESSAGES" / "outreach.mo"


def test_every_cli_message_has_an_indonesian_translation() -> None:
    messages = {
        message
        for module in [*sorted((PACKAGE / "cli").glob("*.py")), PACKAGE / "checks.py", PACKAGE / "status.py"]
        for _line, message, _comments, _context in extract_from_file("python", module, keywords={"_": None})
    }
    with CATALOGUE.open("rb") as handle:
        translated = {
            message.id if isinstance(message.id, str) else message.id[0]  # a plural: its singular msgid
            for message in read_mo(handle)
            if message.id and message.string
        }
    assert messages and not messages - translated, sorted(messages - translated)


def test_the_cli_speaks_indonesian_when_asked(tmp_path: Path) -> None:
    shutil.copytree(Path(__file__).parent.parent / "config", tmp_path / "config")
    outreach = Path(sys.executable).parent / "outreach"
    env = {**os.environ, "LANGUAGE": "id"}
    result = subprocess.run(
        [str(outreach), "--config", str(tmp_path / "config" / "outreach.toml"), "resume"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "dilanjutkan"
