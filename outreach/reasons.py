"""Reasons recorded with a post: stored in English, shown in the interface's language.

A post's reason (``failed``, ``unknown``, a retry) is written once and read later by ``history``,
``status``, ``queue`` and ``--format json``, maybe in another language than the one it was written in.
So the store keeps the English text (stable data, the same in JSON) and ``shown`` translates it when
a person reads it: each ``; ``-separated part that matches a template marked with ``N_`` is
translated with its fields kept (a field may itself be a reason). Text that matches no template —
a platform's own words, a reason a person typed — is shown as it was stored.
"""

from __future__ import annotations

import importlib
import re
import sys

from .i18n import _
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


#: The modules that record reasons (each marks its templates with ``N_`` when imported): ``shown`` loads them
#: first, so a command that never published (``history``) still reads every reason in its language.
_RECORDING_MODULES = (
    "outreach.publisher",
    "outreach.operations",
    "outreach.planning",
    "outreach.planner",
    "outreach.store.posts",
    "outreach.store.schema",
    "outreach.channels.http",
    "outreach.channels.graph",
)


def shown(reason: str) -> str:
    """``reason`` as a person should read it now: its known English parts in the interface's language."""
    for module in _RECORDING_MODULES:
        if module not in sys.modules:
            importlib.import_module(module)
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
