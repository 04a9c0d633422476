"""Limits on the code that ruff and mypy do not check: sizes, and reasons for each `# type: ignore`.

A module over 600 lines or a function over 60 lines is hard to read and review in one go; a function may be
longer only when its `def` line says why, as `# long: <reason>`. Every `# type: ignore[code]` that mypy sees
carries a reason after it, as `# type: ignore[code]  # reason`, so the next reader knows whether it may go.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "outreach"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60
LONG_REASON = re.compile(r"#\s*long:\s*\S")
TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)")


def _modules(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.py") if ".venv" not in path.parts)


def _long_functions(source: str) -> list[tuple[str, int, int]]:
    """(name, def line, length in lines) of each function over the limit whose def line gives no reason."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length > MAX_FUNCTION_LINES and not LONG_REASON.search(lines[node.lineno - 1]):
            found.append((node.name, node.lineno, length))
    return found


def _unexplained_ignores(source: str) -> list[tuple[int, str]]:
    """(line, comment) of each `# type: ignore` without an error code or without a reason after it."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        match = TYPE_IGNORE.search(token.string)
        if match and (not match["codes"] or not match["rest"].strip().lstrip("#").strip()):
            found.append((token.start[0], token.string))
    return found


def test_no_module_is_over_the_line_limit() -> None:
    too_long = {
        str(path.relative_to(REPO)): count
        for path in _modules(PACKAGE)
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split them by concern): {too_long}"


def test_no_function_is_over_the_line_limit_without_a_reason() -> None:
    too_long = [
        f"{path.relative_to(REPO)}:{line} {name}() has {length} lines"
        for path in _modules(PACKAGE)
        for name, line, length in _long_functions(path.read_text(encoding="utf-8"))
    ]
    assert not too_long, (
        f"functions over {MAX_FUNCTION_LINES} lines; split them, or say why on the def line as "
        f"'# long: <reason>':\n" + "\n".join(too_long)
    )


def test_every_type_ignore_that_mypy_sees_names_its_code_and_a_reason() -> None:
    checked = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["files"]
    unexplained = [
        f"{path.relative_to(REPO)}:{line}: {comment}"
        for root in checked
        for path in _modules(REPO / root)
        for line, comment in _unexplained_ignores(path.read_text(encoding="utf-8"))
    ]
    assert not unexplained, "write each as '# type: ignore[code]  # why it is needed':\n" + "\n".join(unexplained)


def test_the_checks_catch_what_they_are_for() -> None:
    body = "\n".join(f"    x = {n}" for n in range(MAX_FUNCTION_LINES))
    assert [name for name, _, _ in _long_functions(f"def long():\n{body}\n")] == ["long"]
    assert _long_functions(f"def long():  # long: one table, read top to bottom\n{body}\n") == []
    assert _long_functions("def short():\n    return 1\n") == []
    assert [line for line, _ in _unexplained_ignores("x = f()  # type: ignore\n")] == [1]
    assert [line for line, _ in _unexplained_ignores("x = f()  # type: ignore[misc]\n")] == [1]
    assert _unexplained_ignores("x = f()  # type: ignore[misc]  # a mixin: the next class has it\n") == []
    assert _unexplained_ignores("x = '# type: ignore'\n") == []
