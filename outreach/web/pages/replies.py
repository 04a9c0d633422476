"""Balasan: the citizens' replies inbox (``outreach replies list`` as a page), and marking one answered or set aside.

Reply texts and handles are hostile input: autoescape keeps markup inert, and every text shown here is
bounded and has its hidden characters (controls, bidirectional overrides, zero-width) shown as escapes
such as ``<U+202E>`` (``outreach.textsafety.visible``), so a reply cannot disguise itself or flood the page.
An approver sees only their own agency's replies, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, request, url_for

from ...accounts import allowed
from ...digest import web_link
from ...errors import NotFound
from ...i18n import N_, _
from ...model import REPLY_KINDS, Reply, ReplyStatus
from ...textsafety import hidden_characters, visible
from ...vocabulary import platform_label, reply_kind_label, reply_status_label
from ..routes import actor, page, render, services, signed_in, writing

blueprint = Blueprint("replies", __name__)

#: Replies per page of the inbox.
PAGE_SIZE = 50
#: A reply's text is shown at most this long (characters), a handle or a name this long: a megabyte reply
#: costs the page no more than a short one.
TEXT_SHOWN = 1000
NAME_SHOWN = 80
#: A person's note on a decision: enough for "answered by telephone, 12 Dec"; longer is a mistake.
NOTE_LIMIT = 500
#: What a person may mark a reply as (``outreach replies mark``).
DECISIONS = (ReplyStatus.ANSWERED.value, ReplyStatus.IGNORED.value)
#: The inbox's filters (query parameters): unanswered, urgent, kind, agency.
FILTERS = ("belum", "mendesak", "jenis", "dinas")


@dataclass(frozen=True)
class Shown:
    """One reply as the page shows it: every text bounded and its hidden characters made visible."""

    reply: Reply
    written_at: datetime
    platform: str
    agency: str
    innovation: str
    author: str
    text: str
    #: Characters of the text not shown (0 when shown whole).
    cut: int
    #: The reply on its platform, only when it is an http(s) address.
    link: str | None
    note: str
    decided_by: str


def bounded(text: str | None, limit: int, line_breaks: bool = True) -> tuple[str, int]:
    """``text`` cut to ``limit`` characters before its hidden characters are made visible; and how many were cut."""
    if not text:
        return "", 0
    head = text[:limit]
    return visible(head, line_breaks=line_breaks), len(text) - len(head)


def _filters() -> dict[str, str]:
    """The inbox's filters as the request gives them; unknown values are dropped (the page shows everything)."""
    args = request.args
    chosen = {
        "belum": "1" if args.get("belum") == "1" else "",
        "mendesak": "1" if args.get("mendesak") == "1" else "",
        "jenis": args.get("jenis", "") if args.get("jenis") in REPLY_KINDS else "",
        "dinas": args.get("dinas", "")[: NAME_SHOWN * 2],
    }
    return {key: value for key, value in chosen.items() if value}


def _inbox(problem: str | None = None, status: int = 200) -> Any:
    workspace = services().workspace
    user = signed_in().user
    filters = _filters()
    workspace.planning.sync()  # the agencies as the files say now
    agencies = workspace.store.agencies()
    if user.role == "approver":
        filters.pop("dinas", None)
        agency = user.opd or ""
    else:
        agency = filters.get("dinas", "")
        if agency and agency not in agencies:
            filters.pop("dinas")
            agency = ""
    wanted = workspace.store.innovation_ids_of(agency) if agency else None
    number_ = _page_number()
    found, total = workspace.store.reply_page(
        statuses=[ReplyStatus.OPEN] if filters.get("belum") else None,
        kinds=[filters["jenis"]] if "jenis" in filters else None,
        innovation_ids=wanted,
        urgent=True if filters.get("mendesak") else None,
        limit=PAGE_SIZE,
        offset=(number_ - 1) * PAGE_SIZE,
    )
    platforms = {name: platform_label(workspace.channel_view(name).platform) for name in workspace.config.channels}
    labels = workspace.store.innovation_labels(reply.innovation_id for reply in found)
    shown = [_shown(reply, labels.get(reply.innovation_id), platforms, workspace.zone) for reply in found]
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        "replies.html.j2",
        status=status,
        replies=shown,
        total=total,
        page_number=number_,
        pages=pages,
        filters=filters,
        query=urlencode(filters),
        agencies=[] if user.role == "approver" else agencies,
        own_agency=agency if user.role == "approver" else None,
        kinds=[(kind, reply_kind_label(kind)) for kind in REPLY_KINDS],
        may_answer=allowed(user, "answer_replies"),
        status_label=reply_status_label,
        kind_label=reply_kind_label,
        problem=problem,
        done=_done_message(),
        zone=workspace.zone,
    )


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("halaman", "1")))
    except ValueError:
        return 1


def _shown(reply: Reply, label: tuple[str, str] | None, platforms: dict[str, str], zone: tzinfo) -> Shown:
    """One reply as the page shows it: its texts bounded, hidden characters visible, its link only if http(s).
    ``label`` is its innovation's (name, agency), None when the catalogue no longer has it."""
    name, agency = label or (reply.innovation_id, "")
    text, cut = bounded(reply.text, TEXT_SHOWN)
    return Shown(
        reply=reply,
        written_at=reply.written_at.astimezone(zone),
        platform=platforms.get(reply.channel, reply.channel),
        agency=bounded(agency, NAME_SHOWN, False)[0],
        innovation=bounded(name, NAME_SHOWN, False)[0],
        author=bounded(reply.author, NAME_SHOWN, False)[0],
        text=text,
        cut=cut,
        link=web_link(reply.url),
        note=bounded(reply.note, NOTE_LIMIT)[0],
        decided_by=bounded(reply.decided_by, NAME_SHOWN, False)[0],
    )


def _done_message() -> str | None:
    """What the last action did, read back from the store (the redirect names only the reply)."""
    try:
        reply_id = int(request.args.get("selesai", ""))
        reply = services().workspace.store.reply(reply_id)
    except (ValueError, NotFound):
        return None
    if reply.status is ReplyStatus.OPEN:
        return None
    return _("Reply {id}: {status} (by {by}).").format(
        id=reply.id, status=reply_status_label(reply.status.value), by=visible(reply.decided_by or "-")
    )


@page(blueprint, "/balasan", permission="view", menu=N_("Replies"), menu_order=60)
def inbox() -> Any:
    """The inbox with its filters, one page at a time (newest first)."""
    return _inbox()


@page(blueprint, "/balasan/<int:reply_id>", permission="answer_replies", methods=("POST",))
def decide(reply_id: int) -> Any:
    """Mark a reply answered (e.g. by telephone) or set it aside, with a note; the decision names who made it."""
    workspace = services().workspace
    decision = request.form.get("keputusan", "")
    note = request.form.get("catatan", "").strip()
    problem = None
    if decision not in DECISIONS:
        problem = _("Choose answered or set aside.")
    elif len(note) > NOTE_LIMIT:
        problem = _("The note is too long: at most {count} characters.").format(count=NOTE_LIMIT)
    elif hidden_characters(note):
        problem = _("The note holds a hidden or control character; type it again.")
    if problem is not None:
        return _inbox(problem, 400)
    try:
        workspace.store.reply(reply_id)
    except NotFound:
        abort(404)
    with writing():
        workspace.store.decide_reply(reply_id, ReplyStatus(decision), actor(), workspace.now(), note or None)
    back: dict[str, Any] = {key: value for key, value in request.args.items() if key in (*FILTERS, "halaman")}
    return redirect(url_for("replies.inbox", **back, selesai=reply_id), code=303)
