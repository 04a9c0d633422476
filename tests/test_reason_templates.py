"""The reason templates ``reasons.shown`` learns from data are exactly those the code marks with ``reasons.N_``.

Run this file (``python tests/test_reason_templates.py``) to rewrite the data file after adding a template.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from outreach.reasons import TEMPLATES_FILE

PACKAGE = Path(__file__).resolve().parent.parent / "outreach"


def _imports_reason_marker(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and (node.module or "").split(".")[-1] == "reasons"
        and any(alias.name == "N_" for alias in node.names)
        for node in ast.walk(tree)
    )


def recorded_templates() -> Iterator[str]:
    """Each literal marked with ``N_`` in a module that takes ``N_`` from ``outreach.reasons``."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not _imports_reason_marker(tree):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "N_":
                argument = node.args[0] if node.args else None
                assert isinstance(argument, ast.Constant) and isinstance(argument.value, str), (
                    f"{path.name}:{node.lineno}: a reason template must be a literal string, so it can be listed"
                )
                yield argument.value


def test_the_data_file_lists_every_reason_template_the_code_marks() -> None:
    listed = json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))
    marked = sorted(set(recorded_templates()))
    assert len(marked) > 20  # the publisher's, the planner's, the channels' …: the walk found them
    assert listed == marked, "run `python tests/test_reason_templates.py` to rewrite the data file"


def test_a_reason_is_shown_in_indonesian_without_importing_the_module_that_recorded_it() -> None:
    script = (
        "import sys\n"
        "from outreach.i18n import set_language\n"
        "from outreach.reasons import shown\n"
        "set_language('id')\n"
        "print(shown('signed off in the catalogue file'))\n"
        "print(sorted(m for m in ('outreach.publisher', 'outreach.planning', 'outreach.channels.http') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    translated, loaded = result.stdout.splitlines()
    assert translated != "signed off in the catalogue file" and translated.strip()
    assert loaded == "[]"


if __name__ == "__main__":
    TEMPLATES_FILE.write_text(
        json.dumps(sorted(set(recorded_templates())), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {TEMPLATES_FILE}")
