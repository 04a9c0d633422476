"""Commands about posts in the outbox: queue, history and the `post` group."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING, Any

import click

from ..i18n import N_, _
from ..reasons import shown as reason_shown
from ..textsafety import visible
from ..vocabulary import state_label
from . import _ws, cli
from .common import (
    POST_ID,
    _actor,
    _day_in_years,
    _day_start,
    _local,
    _not_blank,
    _parse_now,
    _print_table,
    _report,
    _web_address,
    _zoned,
    format_option,
    post_json,
)

if TYPE_CHECKING:
    from ..app import Workspace
    from ..model import Post
    from ..operations import Written


def _posts_output(
    posts: Iterable[Post],
    ws: Workspace,
    output_format: str,
    to_cancel: Mapping[int, str] | None = None,
    delimiter: str = ",",
) -> None:
    """``to_cancel``: why the next plan cancels a post, shown with it in the table (``queue``)."""
    posts = list(posts)
    if output_format == "json":
        click.echo(json.dumps([post_json(post, ws) for post in posts], ensure_ascii=False, indent=2))
    elif output_format == "csv":
        from ..csvout import csv_text

        click.echo(csv_text(EVIDENCE_COLUMNS, _evidence_rows(posts, ws), delimiter), nl=False)
    else:
        _print_table(
            [
                [
                    str(post.id),
                    _local(post.scheduled_at, ws),
                    state_label(post.state.value),
                    post.channel,
                    post.innovation_id,
                    post.kind,
                    _("will be cancelled: {reason}").format(reason=reason_shown(to_cancel[post.id]))
                    if to_cancel and post.id in to_cancel
                    else (post.remote_url or reason_shown(post.reason or ""))[:60],
                ]
                for post in posts
            ],
            [_("id"), _("when (WIB)"), _("state"), _("channel"), _("innovation"), _("kind"), _("url / reason")],
        )


@cli.command()
@format_option
def queue(output_format: str) -> None:
    """Upcoming posts (planned, being published, or handed off to staff).

    Example: outreach queue --format json
    """
    from ..model import PostState

    ws = _ws()
    posts = ws.store.posts([PostState.PLANNED, PostState.PUBLISHING, PostState.HANDED_OFF])
    _posts_output(posts, ws, output_format, _to_be_cancelled(ws) if output_format == "table" else None)


def _to_be_cancelled(ws: Workspace) -> dict[int, str]:
    """The posts the next plan cancels (an approval withdrawn, a campaign changed), with the reason.

    Looking syncs the catalogue files; a file that cannot be read is said on stderr, not in the way of the queue.
    """
    from ..errors import ConfigError

    try:
        return dict(ws.planning.plan(ws.now(), 0).cancel)
    except ConfigError as error:
        click.echo(visible(_("cannot tell which posts the next plan cancels: {error}").format(error=error)), err=True)
        return {}


#: The CSV of ``history``: a post's JSON fields, with the innovation's name and its agency after its id, so a
#: spreadsheet made for a report needs no second file.
EVIDENCE_COLUMNS = (
    "id", "when", "campaign", "channel", "innovation_id", "innovation_name", "agency", "kind", "text", "link",
    "image", "state", "attempts", "reason", "remote_id", "remote_url", "published_at",
)  # fmt: skip


def _evidence_rows(posts: list[Post], ws: Workspace) -> Iterator[dict[str, Any]]:
    """Each post as a CSV row; an innovation no longer in the store leaves its name and agency empty."""
    known = {entry.innovation.id: entry.innovation for entry in ws.store.catalogue({p.innovation_id for p in posts})}
    for post in posts:
        innovation = known.get(post.innovation_id)
        row = post_json(post, ws)
        row["innovation_name"] = innovation.nama if innovation else None
        row["agency"] = innovation.opd if innovation else None
        yield row


@cli.command()
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), callback=_day_in_years, help=N_("First day."))
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), callback=_day_in_years, help=N_("Last day, inclusive."))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help=N_("Output format (json and csv stay in English, for programs and spreadsheets)."),
)
@click.option(
    "--delimiter",
    type=click.Choice([",", ";"]),
    default=",",
    show_default=True,
    help=N_("The CSV's column separator: ';' for Excel set to Indonesian, which splits columns there."),
)
def history(start: datetime | None, end: datetime | None, output_format: str, delimiter: str) -> None:
    """What happened to posts: published (with links), failed, missed, unknown — evidence for reports.

    Example: outreach history --from 2026-12-01 --to 2026-12-31 --format csv > laporan-desember.csv
    """
    from ..model import PostState

    ws = _ws()
    finished = [state for state in PostState if state not in (PostState.PLANNED, PostState.PUBLISHING)]
    posts = ws.store.posts(
        finished,
        _day_start(start.date(), ws) if start else None,
        _day_start(end.date(), ws) + timedelta(days=1) if end else None,
    )
    _posts_output(posts, ws, output_format, delimiter=delimiter)


#: What ``post show`` calls each of a post's fields (the keys of its JSON, which stay English).
POST_FIELDS = {
    "id": N_("id"),
    "when": N_("when"),
    "campaign": N_("campaign"),
    "channel": N_("channel"),
    "innovation_id": N_("innovation"),
    "kind": N_("kind"),
    "link": N_("link"),
    "image": N_("image"),
    "state": N_("state"),
    "attempts": N_("attempts"),
    "reason": N_("reason"),
    "remote_id": N_("id on the platform"),
    "remote_url": N_("public URL"),
    "published_at": N_("published at"),
}


@cli.group()
def post() -> None:
    """Look at and act on one post.

    Example: outreach post show 12
    """


@post.command("show")
@click.argument("post_id", type=POST_ID)
def post_show(post_id: int) -> None:
    """Show a post, its exact text and every transition it went through.

    Example: outreach post show 12
    """
    ws = _ws()
    found = ws.store.post(post_id)
    width = max(len(_(label)) for label in POST_FIELDS.values()) + 1
    for key, value in post_json(found, ws).items():
        shown = _zoned(datetime.fromisoformat(value), ws) if key in ("when", "published_at") and value else value
        if key == "state" and value:
            shown = state_label(str(value))
        if key == "reason" and value:
            shown = reason_shown(str(value))
        if key != "text":
            label = _(POST_FIELDS.get(key, key))
            click.echo(visible(f"{label:{width}} {shown if shown is not None else '-'}"))
    click.echo(visible(_("text:") + f"\n{found.text}\n"))
    for event in ws.store.events(post_id):
        by = f" ({event.actor})" if event.actor else ""
        moved = f"{state_label(event.from_state) if event.from_state else '·'} → {state_label(event.to_state)}"
        attempt = _("attempt {number}").format(number=event.attempt)
        click.echo(visible(f"  {_zoned(event.at, ws)}  {moved}  {attempt}  {reason_shown(event.reason or '')}{by}"))


@post.command("cancel")
@click.argument("post_id", type=POST_ID)
@click.option(
    "--reason",
    default=lambda: _("no reason given"),
    show_default=N_("no reason given"),
    callback=_not_blank,
    help=N_("Why (kept in the post's events)."),
)
def post_cancel(post_id: int, reason: str) -> None:
    """Cancel a planned, failed or missed post; re-planning leaves its slot empty.

    Example: outreach post cancel 12 --reason "Acara ditunda"
    """
    _report(_ws().operations.cancel(post_id, reason, _actor()))


@post.command("retry")
@click.argument("post_id", type=POST_ID)
def post_retry(post_id: int) -> None:
    """Plan a failed, unknown or missed post again, due now.

    Example: outreach post retry 12
    """
    _report(_ws().operations.retry(post_id, _actor()))


@post.command("resolve")
@click.argument("post_id", type=POST_ID)
@click.option("--published", "url", callback=_web_address, help=N_("It did go out: its public URL."))
@click.option("--not-published", is_flag=True, help=N_("It did not go out (it stays failed, retry it if you wish)."))
def post_resolve(post_id: int, url: str | None, not_published: bool) -> None:
    """Settle an unknown post after looking at the platform.

    Example: outreach post resolve 12 --published https://x.com/kominfobdl/status/1234
    """
    if bool(url) == not_published:
        raise click.UsageError(_("give exactly one of --published URL or --not-published"))
    operations = _ws().operations
    if url:
        _report(operations.resolve_published(post_id, url, _actor()))
    else:
        _report(operations.resolve_unpublished(post_id, _actor()))


@post.command("confirm")
@click.argument("post_id", type=POST_ID)
@click.option("--url", callback=_web_address, help=N_("Link to the forwarded message, if there is one."))
@click.option(
    "--groups",
    type=click.IntRange(min=0),
    help=N_("How many WhatsApp groups or chats it was forwarded to (kept with the post's figures)."),
)
def post_confirm(post_id: int, url: str | None, groups: int | None) -> None:
    """Confirm that staff sent a handed-off post (WhatsApp).

    Example: outreach post confirm 12 --url https://whatsapp.com/channel/... --groups 14
    """
    from ..i18n import ngettext, number

    _report(_ws().operations.confirm(post_id, url, _actor(), groups))
    if groups is not None:
        forwarded = ngettext(
            "forwarded to {count} group or chat: recorded", "forwarded to {count} groups or chats: recorded", groups
        )
        click.echo(forwarded.format(count=number(groups)))


def _text_from(text_file: IO[str] | None, current: str | None) -> tuple[str, str] | None:
    """The new text and where it came from: the file given, else ``$EDITOR`` on ``current`` (None: unchanged)."""
    if text_file is not None:
        return text_file.read().strip(), text_file.name
    edited = click.edit(current or "", require_save=True)
    if edited is None or edited.strip() == (current or "").strip():
        return None
    return edited.strip(), "$EDITOR"


def _written(written: Written, what: str) -> None:
    click.echo(what)
    for warning in written.warnings:
        click.echo(visible(f"  {warning}"))


_text_file_option = click.option(
    "--text-file",
    type=click.File("r", encoding="utf-8"),
    help=N_("File with the post's exact text (`-` reads standard input)."),
)


@post.command("edit")
@click.argument("post_id", type=POST_ID)
@_text_file_option
@click.option("--reason", required=True, callback=_not_blank, help=N_("Why (kept in the post's events)."))
def post_edit(post_id: int, text_file: IO[str] | None, reason: str) -> None:
    """Change a planned post's text before it goes out (from --text-file, else in $EDITOR).

    The text is checked like a rendered one: the channel's length limit and plain language.
    Re-planning keeps the edited text.

    Example: outreach post edit 12 --text-file teks-baru.txt --reason "Jam layanan berubah"
    """
    ws = _ws()
    found = _text_from(text_file, ws.store.post(post_id).text)
    if found is None:
        click.echo(_("post {id}: text unchanged, nothing edited").format(id=post_id))
        return
    text, source = found
    written = ws.operations.edit(post_id, text, reason, _actor(), source)
    _written(written, _("post {id}: text edited").format(id=post_id))


@post.command("add")
@click.option("--channel", required=True, help=N_("The channel to post on."))
@click.option("--at", "at_text", required=True, metavar="WHEN", help=N_("When, e.g. 2026-12-03T07:30 (office time)."))
@_text_file_option
@click.option("--link", callback=_web_address, help=N_("A web address to add to the post."))
def post_add(channel: str, at_text: str, text_file: IO[str] | None, link: str | None) -> None:
    """Add a one-off announcement outside the catalogue (a flood warning, a changed opening hour).

    It is checked like every post (length, plain language), goes out through the outbox, and
    re-planning never withdraws it.

    Example: outreach post add --channel x --at 2026-12-03T07:30 --text-file peringatan-banjir.txt
    """
    ws = _ws()
    at = _parse_now(at_text, "--at")
    assert at is not None  # --at is required
    if at.tzinfo is None:
        at = at.replace(tzinfo=ws.zone)
    if text_file is None:
        raise click.UsageError(_("give the announcement's text with --text-file FILE"))
    written = ws.operations.announce(channel, at, text_file.read().strip(), link, _actor(), text_file.name)
    _written(written, _("post {id}: announcement planned for {time}").format(id=written.post_id, time=_zoned(at, ws)))
