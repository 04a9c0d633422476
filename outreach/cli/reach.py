"""Reach commands: `metrics collect` reads engagement now; `press add`/`press list` keep news coverage."""

from __future__ import annotations

import json
from datetime import datetime

import click

from ..i18n import N_, _
from . import _ws, cli
from .common import _actor, _day_in_years, _iso, _not_blank, _print_table, _web_address, format_option, print_sweep


@cli.group()
def metrics() -> None:
    """Engagement figures of published posts (likes, reposts, replies …).

    Example: outreach metrics collect --days 7
    """


@metrics.command("collect")
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    help=N_("Read posts published this many days back (default: `[metrics] days` in the configuration, 30)."),
)
def metrics_collect(days: int | None) -> None:
    """Read the engagement of recently published posts now and keep each reading.

    The daemon does this once a day by itself (`[metrics] collect_at`). A platform that refuses or
    asks to wait is read again next time; nothing already kept is lost.

    Example: outreach metrics collect --days 7
    """
    from ..metrics import collector_for

    root = click.get_current_context().find_root()
    if root.obj["rehearsal"]:
        raise click.ClickException(
            _("a rehearsal publishes nothing on a platform, so it has no engagement to read; run without --rehearsal")
        )
    ws = _ws()
    summary = collector_for(ws).collect(days or ws.config.metrics.days)
    print_sweep(
        summary,
        _("engagement read for {read} posts published in the last {days} days ({failed} failed, {skipped} skipped)"),
    )


@cli.group()
def press() -> None:
    """News coverage of innovations (independent articles count as evidence for the innovation index).

    Example: outreach press list
    """


def _article_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The article's web address: http(s) with a host, like a post's."""
    try:
        return _web_address(ctx, param, value)
    except click.BadParameter:
        raise click.BadParameter(
            _("give the article's web address, e.g. https://lampung.antaranews.com/berita/123456")
        ) from None


@press.command("add")
@click.option("--innovation", "innovation_id", required=True, callback=_not_blank, help=N_("The innovation's id."))
@click.option("--url", required=True, callback=_article_address, help=N_("The article's web address."))
@click.option("--outlet", required=True, callback=_not_blank, help=N_("The news outlet, e.g. Antara Lampung."))
@click.option(
    "--date",
    "published",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    callback=_day_in_years,
    help=N_("The day the article appeared (YYYY-MM-DD)."),
)
def press_add(innovation_id: str, url: str, outlet: str, published: datetime) -> None:
    """Record a news article about an innovation.

    Example: outreach press add --innovation antre-puskesmas-wa --outlet "Antara Lampung"
    --url https://lampung.antaranews.com/berita/123456 --date 2026-12-03
    """
    ws = _ws()
    ws.planning.catalogue()  # the innovation as the files say now
    now = ws.now()
    if published.date() > now.astimezone(ws.zone).date():
        raise click.BadParameter(_("the day is in the future; give the day the article appeared"), param_hint="--date")
    try:
        coverage = ws.store.add_press(innovation_id, url, outlet, published.date(), now, _actor())
    except ValueError as error:  # the same article recorded before
        raise click.ClickException(_("{problem}; `outreach press list` shows it").format(problem=error)) from None
    click.echo(
        _("recorded: {outlet}, {day}, about {innovation} ({url})").format(
            outlet=coverage.outlet,
            day=coverage.published_on.isoformat(),
            innovation=coverage.innovation_id,
            url=coverage.url,
        )
    )


@press.command("list")
@format_option
def press_list(output_format: str) -> None:
    """News coverage recorded so far, oldest first.

    Example: outreach press list --format json
    """
    ws = _ws()
    found = ws.store.press()
    if output_format == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": item.id,
                        "innovation_id": item.innovation_id,
                        "outlet": item.outlet,
                        "url": item.url,
                        "published_on": item.published_on.isoformat(),
                        "added_at": _iso(item.added_at, ws),
                        "added_by": item.added_by,
                    }
                    for item in found
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not found:
        click.echo(_("no news coverage recorded yet; add it with `outreach press add`"))
        return
    rows = [
        [item.published_on.isoformat(), item.innovation_id, item.outlet, item.url, item.added_by or "-"]
        for item in found
    ]
    _print_table(rows, [_("day"), _("innovation"), _("outlet"), _("address"), _("recorded by")])
