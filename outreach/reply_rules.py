"""Sorting citizens' replies by transparent Indonesian rules: question, complaint, thanks or other, and urgent.

FOUNDATION PLACEHOLDER: the rules, their file and the corpus arrive with the sorting work of #15.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sorting:
    """How one reply was sorted, and which rules decided it (so a person can see why)."""

    kind: str
    urgent: bool
    matched: tuple[str, ...] = ()


class ReplyRules:
    """The rules in force: the built-in ones and the office's own."""

    def sort(self, text: str) -> Sorting:
        return Sorting("other", False)


def load_rules(office_rules: Path | None = None) -> ReplyRules:
    """The built-in rules, with the office's file (``[replies] rules``) added when it has one."""
    return ReplyRules()
