"""Replies commands: citizens' replies to the office's posts, collected, sorted, answered and erased in time."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from ..i18n import N_, _, ngettext, number
from ..model import REPLY_KINDS
from ..textsafety import is_hidden, visible
from ..vocabulary import platform_label, reply_kind_label, reply_status_label
from . import _ws, cli, live_config
from .common import POST_ID, _iso, _not_blank, _print_table, _zoned, format_option, print_sweep

if TYPE_CHECKING:
    from ..app import Workspace
    from ..model import Reply

#: A table shows this many characters of a reply's text, and of its author's handle: a row stays one line.
TEXT_WIDTH = 80
AUTHOR_WIDTH = 24
#: What may need escaping in JSON that ``json.dumps`` leaves as it is: anything beyond printable ASCII.
_NOT_PLAIN = re.compile(r"[^\x20-\x7e\n]")


@cli.group()
def replies() -> None:
    """Citizens' replies and comments under the office's posts (Balasan warga).

    Example: outreach replies list --unanswered
    """


@replies.command("collect")
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    help=N_("Collect under posts published this many days back (default: `[replies] days` in the configuration, 30)."),
)
def replies_collect(days: int | None) -> None:
    """Collect citizens' replies under recently published posts now, sort them and keep each once.

    The daemon does this by itself every `[replies] collect_every_minutes` (30). A platform that refuses
    or asks to wait is asked again next time; nothing already kept is lost. A reply the office's own
    account wrote in the thread marks the citizen's reply it answers as answered.

    Example: outreach replies collect --days 7
    """
    from ..replies import reply_collector_for

    root = click.get_current_context().find_root()
    if root.obj["rehearsal"]:
        raise click.ClickException(
            _("a rehearsal publishes nothing on a platform, so no citizen replied to it; run without --rehearsal")
        )
    ws = _ws()
    summary = reply_collector_for(ws).collect(days or ws.config.replies.days)
    headline = _("replies collected under {read} posts of the last {days} days ({failed} failed, {skipped} skipped)")
    if not print_sweep(summary, headline):
        return
    click.echo(_("`outreach replies list --unanswered` shows what waits for an answer"))


@replies.command("list")
@click.option("--unanswered", is_flag=True, help=N_("Only replies nobody has answered or set aside yet."))
@click.option(
    "--opd", "agency", metavar="NAME", help=N_("Only replies to this agency's posts (its name as in the catalogue).")
)
@click.option("--kind", type=click.Choice(REPLY_KINDS), help=N_("Only replies sorted as this kind."))
@click.option("--urgent", is_flag=True, help=N_("Only replies marked urgent (safety words such as banjir, kebakaran)."))
@format_option
def replies_list(unanswered: bool, agency: str | None, kind: str | None, urgent: bool, output_format: str) -> None:
    """Citizens' replies kept so far, oldest first, with the agency whose innovation the post was about.

    A table shows each text shortened to one line, with hidden and control characters shown as escapes
    (such as <U+202E>); `--format json` gives each reply whole, for programs.

    Example: outreach replies list --unanswered --opd "Dinas Kesehatan" --kind question
    """
    from ..evidence import agency_named
    from ..model import ReplyStatus

    ws = _ws()
    innovations = {entry.innovation.id: entry.innovation for entry in ws.planning.catalogue()}
    agency_of = {key: innovation.opd for key, innovation in innovations.items()}
    wanted = None
    if agency is not None:
        chosen = agency_named(agency, agency_of.values())
        wanted = [key for key, name in agency_of.items() if name == chosen]
    found = ws.store.replies(
        statuses=[ReplyStatus.OPEN] if unanswered else None,
        kinds=[kind] if kind else None,
        innovation_ids=wanted,
        urgent=True if urgent else None,
    )
    platforms = {name: ws.channel_view(name).platform for name in ws.config.channels}
    if output_format == "json":
        shapes = [_reply_json(reply, ws, agency_of, platforms) for reply in found]
        click.echo(_json_escaped(json.dumps(shapes, ensure_ascii=False, indent=2)))
        return
    if not found:
        click.echo(_("no reply matches; `outreach replies collect` collects new ones"))
        return
    erased = _("(erased)")
    rows = [
        [
            str(reply.id),
            _zoned(reply.written_at, ws),
            agency_of.get(reply.innovation_id, "-"),
            reply.innovation_id,
            platform_label(platforms.get(reply.channel, reply.channel)),
            reply_kind_label(reply.kind),
            "!" if reply.urgent else "",
            reply_status_label(reply.status.value),
            shortened(reply.author, AUTHOR_WIDTH) if reply.author is not None else "-",
            shortened(reply.text, TEXT_WIDTH) if reply.text is not None else erased,
        ]
        for reply in found
    ]
    headers = [_("id"), _("when"), _("agency"), _("innovation"), _("platform"), _("kind"), _("urgent"),
               _("status"), _("author"), _("text")]  # fmt: skip
    _print_table(rows, headers)
    click.echo(ngettext("{count} reply", "{count} replies", len(found)).format(count=number(len(found))))


def shortened(text: str, width: int) -> str:
    """``text`` on one line, hidden characters shown as escapes, at most ``width`` characters (… when cut).

    A megabyte text is cut before it is escaped, so a table of them costs no more than of short ones."""
    head = text[: width * 2]
    shown = visible(head, line_breaks=False)
    return shown if len(shown) <= width and len(head) == len(text) else shown[: width - 1] + "…"


def _json_escaped(dumped: str) -> str:
    """JSON whose strings carry every hidden character as a ``\\uXXXX`` escape: it reads back the same,
    and a terminal showing it is not driven by a reply's escape sequence or bidirectional override.
    (``json.dumps`` escapes C0 controls itself, but not DEL, C1 controls or Unicode format characters.)"""
    return _NOT_PLAIN.sub(lambda found: _escape_json(found.group()), dumped)


def _escape_json(character: str) -> str:
    return json.dumps(character)[1:-1] if is_hidden(character) else character


def _reply_json(reply: Reply, ws: Workspace, agency_of: dict[str, str], platforms: dict[str, str]) -> dict[str, Any]:
    """The documented JSON shape of a reply: English keys and values, the full text."""
    wait = reply.response_time
    return {
        "id": reply.id,
        "post_id": reply.post_id,
        "channel": reply.channel,
        "platform": platforms.get(reply.channel, reply.channel),
        "innovation_id": reply.innovation_id,
        "agency": agency_of.get(reply.innovation_id),
        "kind": reply.kind,
        "urgent": reply.urgent,
        "status": reply.status.value,
        "author": reply.author,
        "text": reply.text,
        "url": reply.url,
        "written_at": _iso(reply.written_at, ws),
        "answered_at": _iso(reply.answered_at, ws),
        "response_seconds": int(wait.total_seconds()) if wait is not None else None,
        "decided_by": reply.decided_by,
        "note": reply.note,
        "erased_at": _iso(reply.erased_at, ws),
    }


@replies.command("mark")
@click.argument("reply_id", metavar="ID", type=POST_ID)
@click.argument("decision", type=click.Choice(["answered", "ignored"]))
@click.option("--by", required=True, callback=_not_blank, help=N_("Who answered it or decided to set it aside."))
@click.option("--note", callback=_not_blank, help=N_("Why, or how it was answered (e.g. answered by telephone)."))
def replies_mark(reply_id: int, decision: str, by: str, note: str | None) -> None:
    """Mark a reply answered (now, e.g. by telephone or in a direct message) or set it aside (no answer needed).

    An answer the office's own account writes under the reply on the platform is found by
    `outreach replies collect` without this. Marking again replaces the earlier decision.

    Example: outreach replies mark 12 answered --by "Sari" --note "dijawab lewat telepon"
    """
    from ..model import ReplyStatus

    ws = _ws()
    reply = ws.store.decide_reply(reply_id, ReplyStatus(decision), by, ws.now(), note)
    click.echo(
        _("reply {id}: {status} (by {by})").format(
            id=reply.id, status=reply_status_label(reply.status.value), by=reply.decided_by
        )
    )


@replies.command("explain")
@click.argument("text")
def replies_explain(text: str) -> None:
    """Show how a reply with this text would be sorted, and by which rules.

    For an office writing its own rules (`[replies] rules`): try a citizen's words before and after
    adding a word. The rules in force are the built-in ones and the office's file.

    Example: outreach replies explain "tolong, banjir di Way Halim"
    """
    from ..reply_rules import load_rules

    config = live_config(click.get_current_context().find_root())  # the rules only: no store is opened
    sorting = load_rules(config.reply_rules_path).sort(text)
    click.echo(_("kind: {kind}").format(kind=reply_kind_label(sorting.kind)))
    click.echo(_("urgent: {answer}").format(answer=_("yes") if sorting.urgent else _("no")))
    click.echo(_("rules that decided: {rules}").format(rules="; ".join(sorting.matched) or _("none")))


@replies.command("purge")
def replies_purge() -> None:
    """Erase the text, author and link of every reply older than `[replies] retention_days` (180).

    Personal data is kept only as long as the office needs it (UU 27/2022); the kind, the times and
    whether it was answered stay, for the response-time figures. The daemon does this daily by itself.

    Example: outreach replies purge
    """
    from ..replies import purge_replies

    ws = _ws()
    retention = ws.config.replies.retention_days
    before = ws.now() - timedelta(days=retention)
    erased = purge_replies(ws)
    click.echo(
        ngettext(
            "erased the text, author and link of {count} reply written before {time} (kept {days} days)",
            "erased the text, author and link of {count} replies written before {time} (kept {days} days)",
            erased,
        ).format(count=number(erased), time=_zoned(before, ws), days=number(retention))
    )
