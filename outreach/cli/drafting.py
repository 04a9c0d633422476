"""Commands that show, check and plan drafts: preview, check, lint-text, plan."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from ..i18n import N_, _, ngettext, number, percent
from ..textsafety import visible
from ..vocabulary import PLATFORMS, POST_KINDS
from . import _ws, cli
from .pages import output_option, write_output

if TYPE_CHECKING:
    from ..app import Workspace
    from ..planning import Draft

from .common import (
    _day_in_years,
    _day_start,
    _local,
    draft_json,
)


@cli.command()
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), callback=_day_in_years, help=N_("First day (default: now).")
)
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True, help=N_("How many days to show."))
@click.option("--campaign", help=N_("Only this campaign."))
@click.option("--channel", help=N_("Only this channel."))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help=N_("Output format (json stays in English, for programs)."),
)
@output_option
def preview(
    start: datetime | None,
    days: int,
    campaign: str | None,
    channel: str | None,
    output_format: str,
    output: Path | None,
) -> None:
    """Show every post that would go out, with its exact text and length; plans and publishes nothing.

    With --format html, each post is drawn as it will appear on its platform, in one page to open or print.

    Example: outreach --now 2026-12-01T08:00+07:00 preview --days 7 --format html
    """
    from ..checks import notices

    if output is not None and output_format != "html":
        raise click.UsageError(_("--output works with --format html only"))
    ws = _ws()
    begin = _day_start(start.date(), ws) if start else ws.now()
    drafts = ws.planning.drafts(begin, days, campaign, channel)
    if output_format == "html":
        _write_preview_page(ws, drafts, begin, days, output)
        return
    if output_format == "json":
        click.echo(json.dumps([draft_json(draft, ws) for draft in drafts], ensure_ascii=False, indent=2))
        return
    if not drafts:
        click.echo(
            _("No posts in this window. Check the campaign dates, slots and approvals (`outreach catalogue list`).")
        )
    for notice in notices(ws.planning, series=True):
        click.echo(visible(notice))
    _echo_x_costs(ws, [(d.planned.channel, d.rendered.text) for d in drafts if d.rendered is not None], days)
    if drafts:
        click.echo("")
    for draft in drafts:
        planned = draft.planned
        length = draft.rendered.length_label if draft.rendered else "?"
        click.echo(
            visible(
                f"── {_local(planned.when, ws)} WIB · {planned.campaign} · {planned.channel} · "
                f"{planned.innovation_id} · {planned.kind} · {length}"
            )
        )
        click.echo(visible(draft.rendered.text if draft.rendered else _("ERROR: {error}").format(error=draft.error)))
        for warning in draft.warnings():
            click.echo(visible(f"  ! {warning}"))
        click.echo("")


@cli.command()
@click.option("--online", is_flag=True, help=N_("Also ask the platforms what only they can tell (Instagram's images)."))
def check(online: bool) -> None:
    """Validate config, catalogue and templates by rendering every approved innovation × kind × channel.

    Exit status 0 only when there is no problem.

    Example: outreach check --online
    """
    from ..checks import check, notices, online_problems

    ws = _ws()
    planning = ws.planning
    report = check(planning)
    if online:
        report = replace(report, problems=report.problems + online_problems(planning, ws.adapter))
    for problem in report.problems:
        click.echo(visible(str(problem)))
    if not report.problems:  # a problem is the one message to act on; what is left out comes once it is fixed
        for notice in notices(planning):
            click.echo(visible(notice))
    click.echo(
        _("{innovations} × {kinds} checked on {channels}: {problems}").format(
            innovations=ngettext(
                "{count} approved innovation", "{count} approved innovations", report.innovations
            ).format(count=number(report.innovations)),
            kinds=ngettext("{count} kind", "{count} kinds", report.kinds).format(count=number(report.kinds)),
            channels=ngettext("{count} channel", "{count} channels", report.channels).format(
                count=number(report.channels)
            ),
            problems=ngettext("{count} problem", "{count} problems", len(report.problems)).format(
                count=number(len(report.problems))
            ),
        )
    )
    if report.problems:
        sys.exit(1)


@cli.command("lint-text")
@click.argument("source", type=click.File("rb"))
@click.option("--kind", type=click.Choice(POST_KINDS), help=N_("The kind of post the text is, for its own rules."))
@click.option("--platform", type=click.Choice(PLATFORMS), help=N_("The platform the text is meant for."))
def lint_text(source: BinaryIO, kind: str | None, platform: str | None) -> None:
    """Check a draft text for plain Indonesian (FILE, or - for standard input); exit 1 on errors.

    Example: outreach lint-text draf-unggahan.txt   (or: echo "Dalam rangka ..." | outreach lint-text -)
    """
    from ..plainlang import Glossary, check_text
    from ..plainwords import ERROR, category_label, check_length

    raw = source.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(
            _(
                "{file}:{line}: not UTF-8 text (byte {byte} cannot be read); save the file as UTF-8, "
                "e.g. in Notepad: File → Save As → Encoding: UTF-8"
            ).format(
                file=visible(str(source.name)),
                line=raw.count(b"\n", 0, error.start) + 1,
                byte=f"0x{raw[error.start]:02X}",
            )
        ) from None
    glossary_path = None
    config_path = click.get_current_context().find_root().obj["config_path"]
    if Path(config_path).is_file():
        glossary_path = _ws().config.glossary_path
    report = check_text(text, glossary=Glossary.load(glossary_path), kind=kind, platform=platform)
    too_long = check_length(text, platform) if platform else None
    findings = ((too_long,) if too_long else ()) + report.findings
    severities = {ERROR: _("error"), "warning": _("warning")}
    line, counted = 1, 0
    for finding in findings:  # in text order: count each line break once
        line += text.count("\n", counted, finding.start)
        counted = finding.start
        quoted = finding.excerpt and f"'{finding.excerpt}'" not in finding.message
        excerpt = f" «{finding.excerpt}»" if quoted else ""
        click.echo(
            visible(
                f"{line}: {severities[finding.severity]}: {category_label(finding.code)}: {finding.message}{excerpt}"
                + (f" — {finding.suggestion}" if finding.suggestion else "")
            )
        )
    stats = report.stats
    counts = [
        ngettext("{count} sentence", "{count} sentences", stats.sentences),
        ngettext("{count} word", "{count} words", stats.words),
        _("{count} words per sentence"),
        _("{count} long words"),
        ngettext("{count} syllable", "{count} syllables", stats.syllables),
    ]
    values = [
        number(stats.sentences),
        number(stats.words),
        number(stats.average_sentence_words, decimals=1),
        percent(stats.long_word_share),
        number(stats.syllables),
    ]
    click.echo(", ".join(text.format(count=value) for text, value in zip(counts, values, strict=True)))
    if report.errors or too_long:
        sys.exit(1)


@cli.command()
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=None,
    help=N_("How many days ahead to plan (default: publishing.horizon_days)."),
)
def plan(days: int | None) -> None:
    """Write the planned posts for the coming days; running it twice changes nothing.

    Example: outreach plan --days 14
    """
    from ..checks import notices
    from ..model import PostState

    ws = _ws()
    outcome = ws.planning.write_plan(days or ws.config.publishing.horizon_days)
    click.echo(
        ngettext(
            "planned {inserted} new post, refreshed {refreshed}, cancelled {cancelled}",
            "planned {inserted} new posts, refreshed {refreshed}, cancelled {cancelled}",
            outcome.inserted,
        ).format(
            inserted=number(outcome.inserted), refreshed=number(outcome.refreshed), cancelled=number(outcome.cancelled)
        )
    )
    for notice in notices(ws.planning, overlaps=False):
        click.echo(visible(notice))
    horizon = days or ws.config.publishing.horizon_days
    ahead = ws.store.posts([PostState.PLANNED], ws.now(), ws.now() + timedelta(days=horizon))
    _echo_x_costs(ws, [(post.channel, post.text) for post in ahead if post.text], horizon)
    problems = outcome.unrendered + outcome.stale
    if problems:
        raise click.ClickException(
            _(
                "{count} posts could not be rendered ({new} new ones stored as failed, {kept} planned ones keep "
                "their earlier text); first: {reason}. Fix the template (`outreach check` shows every problem), "
                "then run `outreach plan` again"
            ).format(
                count=len(problems), new=len(outcome.unrendered), kept=len(outcome.stale), reason=visible(problems[0])
            )
        )


def _write_preview_page(ws: Workspace, drafts: list[Draft], begin: datetime, days: int, output: Path | None) -> None:
    """The drafts as cards in their platforms' shapes, in one self-contained page."""
    from ..checks import notices
    from ..html import render_page
    from ..preview_cards import card_for, days_of

    local = begin.astimezone(ws.zone)
    page = render_page(
        "preview.html.j2",
        days_cards=days_of([card_for(ws, draft) for draft in drafts]),
        notices=list(notices(ws.planning, series=True)),
        count=len(drafts),
        first=local,
        days=days,
        made=ws.now().astimezone(ws.zone),
    )
    message = _("Preview written to {path}; open it in a web browser")
    write_output(page.encode("utf-8"), output, f"pratinjau-{local:%Y-%m-%d}.html", message)


def _echo_x_costs(ws: Workspace, posts: list[tuple[str, str]], days: int) -> None:
    """One line per channel that renders as X: what its posts in the window will cost in API credits."""
    for cost in ws.planning.x_costs(posts):
        click.echo(
            _(
                "{channel}: expected X API cost of these {days} days: {plain} posts × ${per_post} + "
                "{linked} with a link × ${per_link} = ${total} (prices: price_per_post, "
                "price_per_post_with_link in [channels.{channel}])"
            ).format(
                channel=cost.channel,
                days=number(days),
                plain=number(cost.without_link),
                per_post=number(cost.prices.per_post, decimals=3),
                linked=number(cost.with_link),
                per_link=number(cost.prices.per_post_with_link, decimals=3),
                total=number(cost.total, decimals=2),
            )
        )
