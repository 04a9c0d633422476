"""Commands that publish or stop publishing: run, rehearse, status, pause, resume."""

from __future__ import annotations

from datetime import datetime

import click

from ..i18n import N_, _, ngettext, number
from . import _ws, cli, config_checked_elsewhere, live_config
from .common import (
    _actor,
    _day_in_years,
    _day_start,
    _local,
    _not_blank,
    _zoned,
    state_counts,
)


@cli.command()
@click.option("--once", is_flag=True, help=N_("Publish what is due now, then exit (cron, systemd timers)."))
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("How the daemon writes its log (json for log collectors)."),
)
def run(once: bool, log_format: str) -> None:
    """Run the publishing daemon (or one pass with --once).

    Example: outreach --now 2026-12-01T09:00+07:00 run --once
    """
    from .. import daemon
    from ..logs import configure_logging

    if not once:
        config_checked_elsewhere()
    ws = _ws()
    configure_logging(log_format, debug=click.get_current_context().find_root().obj["debug"], zone=ws.zone)
    if once:
        summary = daemon.run_once(ws)
        click.echo(summary)
    else:
        daemon.run_forever(ws)


@cli.command()
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), callback=_day_in_years, help=N_("First day (default: today).")
)
@click.option("--days", type=click.IntRange(1, 60), default=7, show_default=True, help=N_("How many days to rehearse."))
def rehearse(start: datetime | None, days: int) -> None:
    """Publish DAYS of posts to the local file channels in seconds, moving the clock slot by slot.

    A rehearsal keeps its own store and folders (a `rehearsal` folder beside the live ones) and
    starts empty each time; the live store is never touched. Read it with `outreach --rehearsal
    history`. Refuses to run when any channel is a real platform.

    Example: outreach rehearse --from 2026-12-01 --days 7
    """
    from .. import rehearsal

    ws = _ws()
    config = live_config(click.get_current_context().find_root())
    begin = _day_start(start.date(), ws) if start else ws.now()
    counts = rehearsal.rehearse(config, begin, days)
    done = state_counts(counts) or _("nothing was due")
    rehearsal_of = ngettext(
        "rehearsal of {days} day from {start}: {done}", "rehearsal of {days} days from {start}: {done}", days
    )
    click.echo(rehearsal_of.format(days=number(days), start=_local(begin, ws), done=done))
    rehearsed = rehearsal.rehearsal_config(config)
    click.echo(
        _("rehearsal store: {store} (apart from the live store, which is unchanged)").format(
            store=rehearsal.rehearsal_store(config)
        )
    )
    folders = ", ".join(str(folder) for folder in rehearsal.outbox_folders(rehearsed))
    click.echo(_("posts written to: {folders}").format(folders=folders))
    click.echo(_("see them with `outreach --rehearsal history`, or read the .txt files there"))


@cli.command()
def status() -> None:
    """Is the daemon alive, when did it last tick, how many posts in each state, paused or not.

    Example: outreach status
    """
    from ..status import status_lines

    ws = _ws()
    for line in status_lines(ws):
        click.echo(line)
    line = _("store: {location}, created {created}").format(
        location=ws.store.location, created=_zoned(ws.store.created_at(), ws)
    )
    restored = ws.store.restored()
    if restored:
        line += _(", restored {time} from {backup}").format(time=_zoned(restored[0], ws), backup=restored[1])
    click.echo(line)


@cli.command()
@click.option("--reason", required=True, callback=_not_blank, help=N_("Why (shown in status and logs)."))
def pause(reason: str) -> None:
    """Stop every publication at once (kill switch), until `outreach resume`.

    Example: outreach pause --reason "Hari berkabung"
    """
    _ws().operations.pause(reason, _actor())
    click.echo(_("paused: {reason}").format(reason=reason))


@cli.command()
def resume() -> None:
    """Lift the kill switch; overdue posts follow the catch-up rule.

    Example: outreach resume
    """
    _ws().operations.resume(_actor())
    click.echo(_("resumed"))
