"""Replies commands: citizens' replies to the office's posts, collected, sorted, answered and erased in time."""

from __future__ import annotations

from . import cli


@cli.group()
def replies() -> None:
    """Citizens' replies and comments under the office's posts (Balasan warga).

    Example: outreach replies list --unanswered
    """
