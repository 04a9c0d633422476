"""Maintenance commands: the `db` group (backup, restore) and the `channels` group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..i18n import N_, _, ngettext, number
from ..textsafety import visible
from . import _ws, cli, live_config
from .common import state_counts

if TYPE_CHECKING:
    from ..publisher import Transition


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
    _print_settled(outcomes)


@db.command("settle-restored")
@click.option(
    "--source",
    required=True,
    help=N_('What the database was restored from, kept in the record (e.g. "PITR 2026-12-01 08:30").'),
)
def db_settle_restored(source: str) -> None:
    """After a PostgreSQL store was restored by the database's tools: check every post that fell due since.

    Stop every worker first. As after `outreach db restore`, a post due by now may have gone out after
    the moment restored to: it is recorded as published when the channel can prove it, else as unknown
    for a person to check. Slots up to now are never planned again.

    Example: outreach db settle-restored --source "PITR 2026-12-01 08:30"
    """
    from ..restore import settle_restored

    ws = _ws()
    outcomes = settle_restored(ws, source)
    click.echo(_("settled {location}, restored from {source}").format(location=ws.store.location, source=source))
    _print_settled(outcomes)


def _print_settled(outcomes: list[Transition]) -> None:
    """How the posts due since the backup ended: published where proven, else unknown for a person."""
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


@db.command("migrate-to")
@click.argument("url")
@click.option("--verify-only", is_flag=True, help=N_("Only compare the store with a copy made before."))
def db_migrate_to(url: str, verify_only: bool) -> None:
    """Copy this SQLite store into an empty PostgreSQL database, then compare every table (stop the daemon first).

    The store is only read. Ids are kept; each table's rows are counted and hashed on both sides.
    The password goes in PGPASSWORD (environment or .env), never in the URL.

    Example: outreach db migrate-to postgresql+psycopg://outreach@db.example.go.id:5432/outreach
    """
    from ..store.copying import copy_store, verify_copy
    from ..storeurl import export_store_password, holds_a_password

    if holds_a_password(url):
        raise click.UsageError(
            _(
                "the URL holds a password, which would stay in the shell's history; remove it and put "
                "PGPASSWORD=... in the environment or in .env beside the config"
            )
        )
    config = live_config(click.get_current_context())
    export_store_password(url, dict(config.environ))
    if verify_only:
        checks = verify_copy(config.store_url, url)
    else:
        checks = copy_store(
            config.store_url,
            url,
            copied=lambda table, rows: click.echo(
                ngettext("copied {table}: {count} row", "copied {table}: {count} rows", rows).format(
                    table=table, count=number(rows)
                )
            ),
        )
    heading = (_("table"), _("SQLite"), _("PostgreSQL"), _("check"))
    click.echo(f"{heading[0]:22} {heading[1]:>12} {heading[2]:>12}  {heading[3]}")
    for check in checks:
        verdict = _("OK") if check.same else _("DIFFERENT")
        click.echo(f"{check.table:22} {number(check.source_rows):>12} {number(check.target_rows):>12}  {verdict}")
    different = [check.table for check in checks if not check.same]
    if different:
        click.echo(
            _(
                "the copy differs from the store in: {tables}; do not switch to it: empty the database and "
                "copy again (the store itself was not changed)"
            ).format(tables=", ".join(different))
        )
        sys.exit(1)
    click.echo(_('every table matches; set store = "{url}" in the config, then start outreach again').format(url=url))


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
