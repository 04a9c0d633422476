"""Commands that write a page or a file to look at: the calendar (HTML or ICS); the writing preview shares."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from ..errors import LocalIOError
from ..i18n import N_, _
from ..textsafety import visible
from . import _ws, cli


def _month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    from ..calendar_view import parse_month

    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


output_option = click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    help=N_("Where to write it (default: a file in this folder; - for standard output)."),
)


def write_whole(path: Path, write: Callable[[Path], object]) -> None:
    """Have ``write`` fill a ``.part`` file beside ``path``, then rename it over ``path``: a reader (or Excel)
    never opens half a file, and a failed write leaves the old one. A file that cannot be written is one line."""
    partial = path.with_name(path.name + ".part")
    try:
        write(partial)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise LocalIOError(
            _("cannot write {path}: {error}; choose another place with --output").format(
                path=visible(str(path)), error=error.strerror or error
            )
        ) from None


def write_output(content: bytes, output: Path | None, default: str, written: str) -> None:
    """Write what a command made to ``output`` (``-``: standard output; none: ``default`` in this folder),
    then say where with ``written`` (a message with ``{path}``)."""
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    path = output or Path(default)
    write_whole(path, lambda partial: partial.write_bytes(content))
    click.echo(written.format(path=visible(str(path.resolve()))))


@cli.command("calendar")
@click.option("--month", callback=_month, metavar="YYYY-MM", help=N_("The month, e.g. 2026-12 (default: this month)."))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["html", "ics"]),
    default="html",
    show_default=True,
    help=N_("html: a page to open in a browser or print; ics: a file for Google Calendar or Outlook."),
)
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help=N_("ics: the first day, instead of a month."))
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help=N_("ics: the last day, with --from."))
@click.option("--opd", "agency", help=N_("ics: only this agency's posts and the office's announcements."))
@output_option
def calendar_command(
    month: date | None,
    output_format: str,
    first: datetime | None,
    last: datetime | None,
    agency: str | None,
    output: Path | None,
) -> None:
    """Show a month of posts as a calendar: each day's posts, holidays and days without posts.

    Importing a newer ICS file into a calendar program updates its events instead of adding them twice.

    Example: outreach calendar --month 2026-12 --format ics --output kalender.ics
    """
    from ..calendar_view import month_for

    ws = _ws()
    now = ws.now().astimezone(ws.zone)
    if output_format == "ics":
        _write_feed(month or now.date().replace(day=1), first, last, agency, output)
        return
    if first or last or agency is not None:
        raise click.UsageError(_("--from, --to and --opd are for --format ics"))
    month = month or now.date().replace(day=1)
    view = month_for(ws, month)
    from ..html import render_page

    page = render_page("calendar.html.j2", month=view, made=now, zone_name=now.tzname() or str(ws.zone))
    message = _("Calendar written to {path}; open it in a web browser")
    write_output(page.encode("utf-8"), output, f"kalender-{month:%Y-%m}.html", message)


def _write_feed(
    month: date, first: datetime | None, last: datetime | None, agency: str | None, output: Path | None
) -> None:
    """The ICS file of ``month``, or of the days from ``first`` to ``last``; the web page's ``/kalender.ics`` is
    this very file, written in a child process (``outreach.web.report_files``). ``agency`` "": an agency head
    without one, who sees only the office's announcements."""
    from ..calendar_ics import window_feed
    from ..html import day_label

    if (first is None) != (last is None) or (first and last and last < first):
        raise click.UsageError(_("--from and --to go together, --to not before --from"))
    if first and last:
        start, end = first.date(), last.date()
        start_label, end_label = day_label(start, "d MMMM y"), day_label(end, "d MMMM y")
        name = _("Posts {start} to {end}").format(start=start_label, end=end_label)
        default = "kalender.ics"
    else:
        start, end = month, (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        start_label, end_label = day_label(start, "d MMMM y"), day_label(end, "d MMMM y")
        name = _("Posts {month}").format(month=day_label(month, "MMMM y"))
        default = f"kalender-{month:%Y-%m}.ics"
    description = _("Posts from {start} to {end}; earlier and later posts are not in this file.").format(
        start=start_label, end=end_label
    )
    feed = window_feed(_ws(), start, end, agency, name, description)
    message = _("Calendar file written to {path}; import it in Google Calendar or Outlook")
    write_output(b"".join(feed), output, default, message)
