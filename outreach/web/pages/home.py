"""Beranda: today's and the next posts, whether publishing is paused, and what needs a person — the web page's
``outreach status`` and ``outreach queue``, each count linking to the list that shows those posts or replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, url_for

from ...accounts import allowed
from ...i18n import N_
from ...model import PostState
from ...operations import PAUSE_SETTING
from ...status import status_lines
from ...store.posts import PostFilter
from ...vocabulary import state_label
from ..routes import page, render, services, signed_in
from .queue import channel_label, channel_platforms, office_day, own_agency

blueprint = Blueprint("home", __name__)

#: The states in which a post waits for a person, and what the person does (the queue filtered to them).
NEEDS_A_PERSON = (
    (PostState.FAILED, N_("failed: retry or cancel")),
    (PostState.UNKNOWN, N_("unknown: look on the platform and say whether it went out")),
    (PostState.MISSED, N_("missed: retry or cancel")),
    (PostState.HANDED_OFF, N_("handed off to staff: confirm once sent")),
)
#: How many of the next days' posts the home page lists.
NEXT_POSTS = 10


@dataclass(frozen=True)
class Waiting:
    """One kind of thing that needs a person: how many, what to do, and the page that lists them."""

    count: int
    label: str
    link: str


@page(blueprint, "/", permission="view", menu=N_("Home"), menu_order=10)
def index() -> Any:
    workspace = services().workspace
    store = workspace.store
    agency = own_agency(signed_in())
    now = workspace.now()
    today = office_day(now)
    tomorrow = today + timedelta(days=1)
    todays = store.post_page(PostFilter(opd=agency, scheduled_from=today, scheduled_to=tomorrow), 100)
    upcoming = store.post_page(PostFilter(states=(PostState.PLANNED,), opd=agency, scheduled_from=tomorrow), NEXT_POSTS)
    waiting = [
        Waiting(
            store.post_count(PostFilter(states=(state,), opd=agency)),
            label,
            url_for("queue.index", state=state.value),
        )
        for state, label in NEEDS_A_PERSON
    ]
    user = signed_in()
    urgent = (
        sum(count for (_kind, is_urgent), count in store.open_reply_counts().items() if is_urgent)
        if allowed(user.user, "answer_replies")
        else 0
    )
    paused = store.get_setting(PAUSE_SETTING)
    return render(
        "home.html.j2",
        now=now,
        zone=workspace.zone,
        todays=todays,
        upcoming=upcoming,
        paused=paused,
        daemon=next(status_lines(workspace)),
        paused_at=datetime.fromisoformat(paused["at"]) if paused else None,
        holds=sorted(workspace.holds.all().values(), key=lambda hold: hold.channel),
        waiting=[item for item in waiting if item.count],
        urgent=urgent,
        platforms=channel_platforms(),
        channel_label=channel_label,
        state_label=state_label,
        replies_link=url_for("replies.inbox", belum=1, mendesak=1),
    )
