"""Maintenance commands: the `db` group (backup, restore) and the `channels` group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..i18n import _, ngettext, number
from ..textsafety import visible
from . import _ws, cli
from .common import state_counts

if TYPE_CHECKING:
    pass


def _verdict(ok: bool) -> str:
    """The word ``channels check`` puts beside a channel (outside f-strings, where extraction finds it)."""
    return _("ok") if ok else _("FAIL")


@cli.group()
def db() -> None:
    """Database maintenance.

    Example: outreach db backup var/cadangan-2026-12-01.sqlite3
    """


@db.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(destination: Path) -> None:
    """Copy the live store safely (SQLite online backup), even while the daemon runs.

    Example: outreach db backup var/cadangan.sqlite3
    """
    ws = _ws()
    ws.store.backup(destination)
    click.echo(_("backup written to {path}").format(path=destination))


@db.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
def db_restore(backup: Path) -> None:
    """Put a backup in place of the store (stop the daemon first); posts that fell due since are checked.

    A post due by now may have gone out after the backup was taken: it is recorded as published
    when the channel can prove it, else as unknown for a person to check. Slots up to now are
    never planned again.

    Example: outreach db restore /backup/outreach-2026-12-01.sqlite3
    """
    from ..restore import restore

    ws = _ws()
    outcomes, kept = restore(ws, backup)
    if kept is not None:
        click.echo(_("the damaged store was kept as {path}").format(path=kept))
    click.echo(_("restored {location} from {backup}").format(location=ws.store.location, backup=backup))
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.state.value] = counts.get(outcome.state.value, 0) + 1
    done = state_counts(counts) or "-"
    due = ngettext(
        "{count} post due since the backup: {done}", "{count} posts due since the backup: {done}", len(outcomes)
    )
    click.echo(due.format(count=number(len(outcomes)), done=done))
    if counts.get("unknown"):
        click.echo(
            _(
                "check each unknown post on its platform, then `outreach post resolve ID` "
                "(list them with `outreach history`)"
            )
        )


@cli.group()
def channels() -> None:
    """Channel operations.

    Example: outreach channels check
    """


@channels.command("check")
@click.argument("name", required=False)
def channels_check(name: str | None) -> None:
    """Ask each channel's platform who we post as, or why we cannot post.

    Example: outreach channels check telegram
    """
    from ..channel_checks import check_channel

    ws = _ws()
    names = [name] if name else list(ws.config.channels)
    failed = 0
    for channel_name in names:
        result = check_channel(ws, channel_name)
        if not result.ok:
            failed += 1
            click.echo(visible(f"{channel_name:16} {_verdict(False):5} {result.answer}"))
            continue
        held = (
            _("; it was held ({reason}); hold lifted: its posts go out again, or hold it anew").format(
                reason=result.lifted
            )
            if result.lifted
            else ""
        )
        click.echo(visible(f"{channel_name:16} {_verdict(True):5} {result.answer}{held}"))
        for line in result.lines:
            click.echo(visible(" " * 17 + line))
        for problem in result.problems:
            click.echo(visible(f"{channel_name:16} {_verdict(False):5} {problem}"))
        failed += 1 if result.problems else 0
    if failed:
        sys.exit(1)
