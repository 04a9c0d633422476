"""Reasons recorded with a post: stored in English, shown in the interface's language.

A post's reason (``failed``, ``unknown``, a retry) is written once and read later by ``history``,
``status``, ``queue`` and ``--format json``, maybe in another language than the one it was written in.
So the store keeps the English text (stable data, the same in JSON) and ``shown`` translates it when
a person reads it: each ``; ``-separated part that matches a template marked with ``N_`` is
translated with its fields kept (a field may itself be a reason). Text that matches no template —
a platform's own words, a reason a person typed — is shown as it was stored.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path

from .i18n import _, current_language
from .vocabulary import state_label

#: Each template's pattern, and the literal text it starts with (a cheap first test: ``queue`` shows many reasons).
_TEMPLATES: dict[str, tuple[str, re.Pattern[str]]] = {}
_FIELD = re.compile(r"\{(\w+)(?:[:!][^}]*)?\}")


def N_(template: str) -> str:  # the gettext convention for "translate later"
    """Mark an English reason template: the store keeps it formatted in English, ``shown`` translates it."""
    pattern, seen, position = "", set(), 0
    for match in _FIELD.finditer(template):
        pattern += re.escape(template[position : match.start()])
        name = match.group(1)
        pattern += f"(?P={name})" if name in seen else f"(?P<{name}>.+?)"
        seen.add(name)
        position = match.end()
    prefix = template.split("{", 1)[0]
    _TEMPLATES[template] = (prefix, re.compile(pattern + re.escape(template[position:]), re.DOTALL))
    return template


def _translated(part: str) -> str | None:
    for template, (prefix, pattern) in _TEMPLATES.items():
        if part.startswith(prefix) and (match := pattern.fullmatch(part)) is not None:
            fields = {name: shown(value) for name, value in match.groupdict().items()}
            return _FIELD.sub(lambda field: "{" + field.group(1) + "}", _(template)).format(**fields)
    return None


#: Every reason template the package marks with ``N_``, as data: ``shown`` learns them from it, so a command that
#: never published (``history``, ``report``) reads every reason in its language without importing the modules
#: that record them. tests/test_reason_templates.py keeps it in step with the code (and rewrites it when run).
TEMPLATES_FILE = Path(__file__).parent / "data" / "reason_templates.json"


@cache
def _learn_recorded_templates() -> None:
    for template in json.loads(TEMPLATES_FILE.read_text(encoding="utf-8")):
        N_(template)


def shown(reason: str) -> str:
    """``reason`` as a person should read it now: its known English parts in the interface's language."""
    _learn_recorded_templates()
    return _shown(reason, current_language(), len(_TEMPLATES))


@lru_cache(maxsize=4096)
def _shown(reason: str, _language: str, _templates: int) -> str:
    """``shown``, kept per language and set of templates: a calendar feed or a queue shows the same few reasons
    thousands of times, and matching one against every template costs ~60 µs."""
    parts = reason.split("; ")
    out: list[str] = []
    start = 0
    while start < len(parts):
        for end in range(len(parts), start, -1):  # the longest run of parts that is one template
            if (text := _translated("; ".join(parts[start:end]))) is not None:
                out.append(text)
                start = end
                break
        else:
            out.append(state_label(parts[start]))  # a reason may be a state's name ("planned")
            start += 1
    return "; ".join(out)
