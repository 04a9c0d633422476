"""What the command modules share: option types and callbacks, time formatting, tables, JSON shapes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import click

from ..i18n import N_, _, number
from ..textsafety import visible
from ..vocabulary import state_label

if TYPE_CHECKING:
    from ..app import Workspace
    from ..model import Post
    from ..operations import Move
    from ..planning import Draft
    from ..sweep import CollectionSummary


#: Years a clock or a date option may name: far enough from the ends of Python's calendar
#: (years 1 and 9999) that time zones, horizons and look-backs never run off it.
YEARS = range(2000, 2201)

#: Post ids are SQLite integers: 64-bit.
POST_ID = click.IntRange(1, 2**63 - 1)


def _out_of_years() -> str:
    return _("use a date between the years {first} and {last}").format(first=YEARS[0], last=YEARS[-1])


def _parse_now(value: str | None, option: str = "--now") -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("use ISO 8601, e.g. 2026-12-01T09:00+07:00"), param_hint=option) from None
    if moment.year not in YEARS:
        raise click.BadParameter(_out_of_years(), param_hint=option)
    return moment


def _day_in_years(_ctx: click.Context, _param: click.Parameter, value: datetime | None) -> datetime | None:
    """A --from/--to day, refused when it lies outside ``YEARS``."""
    if value is not None and value.year not in YEARS:
        raise click.BadParameter(_out_of_years())
    return value


def _not_blank(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A name or reason that is recorded: it must say something."""
    if value is not None and not value.strip():
        raise click.BadParameter(_("must not be empty"))
    return value.strip() if value is not None else None


def _web_address(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A post's public URL, as shown in reports: only an http(s) address with a host."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or any(ch.isspace() for ch in value.strip()):
        raise click.BadParameter(_("give the post's web address, e.g. https://x.com/kominfobdl/status/1234"))
    return value.strip()


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help=N_("Output format (json stays in English, for programs)."),
)


def _local(moment: datetime | None, ws: Workspace) -> str:
    return moment.astimezone(ws.zone).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _zoned(moment: datetime, ws: Workspace) -> str:
    """A moment in local time with the zone's abbreviation (WIB)."""
    from ..render import ZONE_ABBREVIATIONS

    return f"{_local(moment, ws)} {ZONE_ABBREVIATIONS.get(ws.zone.key, ws.zone.key)}"


def _iso(moment: datetime | None, ws: Workspace) -> str | None:
    return moment.astimezone(ws.zone).isoformat() if moment else None


def _day_start(value: date, ws: Workspace) -> datetime:
    return datetime.combine(value, time(0, 0), tzinfo=ws.zone)


def _print_table(rows: list[list[str]], headers: list[str]) -> None:
    rows = [[visible(str(cell), line_breaks=False) for cell in row] for row in rows]
    widths = (
        [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
        if rows
        else [len(h) for h in headers]
    )
    for row in [headers, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def post_json(post: Post, ws: Workspace) -> dict[str, Any]:
    """The documented JSON shape of a post in the outbox (same keys as preview's, plus state)."""
    return {
        "id": post.id,
        "when": _iso(post.scheduled_at, ws),
        "campaign": post.campaign,
        "channel": post.channel,
        "innovation_id": post.innovation_id,
        "kind": post.kind,
        "text": post.text,
        "link": post.link,
        "image": post.image,
        "state": post.state.value,
        "attempts": post.attempts,
        "reason": post.reason,
        "remote_id": post.remote_id,
        "remote_url": post.remote_url,
        "published_at": _iso(post.published_at, ws),
    }


def draft_json(draft: Draft, ws: Workspace) -> dict[str, Any]:
    rendered = draft.rendered
    return {
        "id": draft.post_id,
        "when": _iso(draft.planned.when, ws),
        "campaign": draft.planned.campaign,
        "channel": draft.planned.channel,
        "innovation_id": draft.planned.innovation_id,
        "kind": draft.planned.kind,
        "text": rendered.text if rendered else None,
        "link": rendered.link if rendered else None,
        "image": str(rendered.image) if rendered and rendered.image else None,
        "length": rendered.length if rendered else None,
        "limit": rendered.limit if rendered else None,
        "warnings": draft.warnings(),
        "errors": [finding.label() for finding in draft.errors] + ([draft.error] if draft.error else []),
    }


def _actor() -> str:
    """Who acts, for the post's events: the login name of whoever runs the command."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or "operator"


def state_counts(counts: Mapping[str, int]) -> str:
    """``10 published, 1 failed`` as a person reads it, states in a stable order ("" when there are none)."""
    return ", ".join(f"{number(count)} {state_label(state)}" for state, count in sorted(counts.items()))


def _report(move: Move) -> None:
    click.echo(
        _("post {id}: {before} → {after}").format(
            id=move.post_id, before=state_label(move.before.value), after=state_label(move.after.value)
        )
    )


def print_sweep(summary: CollectionSummary, headline: str) -> bool:
    """A collection's outcome as people read it: ``headline`` (formatted with read, days, failed, skipped), then a
    table per channel; False when no post was published in the period (only that is said)."""
    click.echo(
        headline.format(
            read=number(summary.read),
            days=number(summary.days),
            failed=number(summary.failed),
            skipped=number(summary.skipped),
        )
    )
    if not summary.channels:
        click.echo(_("no post was published in that period"))
        return False
    rows = [
        [name, number(result.read), number(result.failed), number(result.skipped), "; ".join(result.reasons[:3]) or "-"]
        for name, result in sorted(summary.channels.items())
    ]
    _print_table(rows, [_("channel"), _("read"), _("failed"), _("skipped"), _("why")])
    return True
