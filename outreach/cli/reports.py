"""``outreach report``: the evidence of publication for the innovation index, as HTML, XLSX or CSV."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..i18n import N_, _, number
from . import _ws, cli
from .common import _day_in_years
from .pages import write_whole

if TYPE_CHECKING:
    from ..evidence import EvidenceReport


@cli.command()
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), callback=_day_in_years,
    help=N_("First day of the period (default: 1 January of this year)."),
)  # fmt: skip
@click.option(
    "--to", "end", type=click.DateTime(["%Y-%m-%d"]), callback=_day_in_years,
    help=N_("Last day of the period, inclusive (default: today)."),
)  # fmt: skip
@click.option("--opd", "agency", metavar="NAME", help=N_("Only this agency (its name as in the catalogue)."))
@click.option(
    "--format", "output_format", type=click.Choice(["html", "xlsx", "csv"]), default="html", show_default=True,
    help=N_("html: a page to read and print; xlsx: a workbook, one sheet per view; csv: the posts, one per line."),
)  # fmt: skip
@click.option(
    "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help=N_("Where to write it (default: a file named after the period here; csv: standard output)."),
)  # fmt: skip
@click.option(
    "--delimiter", type=click.Choice([",", ";"]), default=",", show_default=True,
    help=N_("The CSV's column separator: ';' for Excel set to Indonesian, which splits columns there."),
)  # fmt: skip
def report(
    start: datetime | None, end: datetime | None, agency: str | None, output_format: str, output: Path | None,
    delimiter: str,
) -> None:  # fmt: skip
    """Evidence of publication for the Regional Innovation Index: every post per agency and innovation,
    the channels each reached, engagement, news coverage, and what did not go out.

    Example: outreach report --from 2026-01-01 --to 2026-12-31 --opd "Dinas Kesehatan" --format xlsx
    """
    from ..evidence import assemble, default_period

    ws = _ws()
    today = ws.now().astimezone(ws.zone).date()
    first, last = default_period(today)
    period = (start.date() if start else first, end.date() if end else last)
    if period[1] < period[0]:
        raise click.BadParameter(_("the period ends before it starts; give --to on or after --from"), param_hint="--to")
    rehearsal = bool(click.get_current_context().find_root().obj.get("rehearsal"))
    platforms = {name: ws.channel_view(name).platform for name in ws.config.channels}
    with ws.store.reading():  # seconds of reads that must not keep the daemon's claims waiting (SQLite's lock)
        evidence = assemble(
            ws.store, start=period[0], end=period[1], zone=ws.zone, now=ws.now(), platforms=platforms,
            office=ws.config.office, agency=agency, rehearsal=rehearsal,
        )  # fmt: skip
    if rehearsal:  # the page and the workbook say so too; a CSV has no place for it but this line
        click.echo(_("this is a rehearsal's report, marked as such: it is not evidence"), err=True)
    if output_format == "csv" and output is None:
        from ..reports import write_csv

        write_csv(evidence, sys.stdout, delimiter)
        return
    path = output or _default_name(period[0], period[1], output_format, rehearsal)
    _write(evidence, output_format, path, delimiter)
    click.echo(
        _("wrote {path}: {posts} posts, {gaps} gaps, {press} news articles").format(
            path=path, posts=number(len(evidence.posts)), gaps=number(len(evidence.gaps) + len(evidence.unpublished)),
            press=number(len(evidence.press)),
        )
    )  # fmt: skip


def _default_name(start: date, end: date, output_format: str, rehearsal: bool) -> Path:
    prefix = "gladi-" if rehearsal else ""
    return Path(f"{prefix}laporan-inovasi-{start.isoformat()}-{end.isoformat()}.{output_format}")


def _write(evidence: EvidenceReport, output_format: str, path: Path, delimiter: str) -> None:
    from ..reports import html_report, write_csv, write_xlsx

    def write(partial: Path) -> None:
        if output_format == "html":
            partial.write_text(html_report(evidence), encoding="utf-8")
        elif output_format == "xlsx":
            write_xlsx(evidence, partial)
        else:
            with partial.open("w", encoding="utf-8", newline="") as stream:
                write_csv(evidence, stream, delimiter)

    write_whole(path, write)
