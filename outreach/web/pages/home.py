"""Beranda: today's posts and what needs a person."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Blueprint

from ...i18n import N_
from ...model import PostState
from ..routes import page, render, services

blueprint = Blueprint("home", __name__)

#: The states in which a post waits for a person (``outreach queue`` shows the same).
NEEDS_A_PERSON = (PostState.FAILED, PostState.UNKNOWN, PostState.HANDED_OFF)


@page(blueprint, "/", permission="view", menu=N_("Home"), menu_order=10)
def index() -> Any:
    workspace = services().workspace
    now = workspace.now()
    today = datetime.combine(now.astimezone(workspace.zone).date(), time(), workspace.zone)
    todays = workspace.store.posts(scheduled_from=today, scheduled_to=today + timedelta(days=1))
    counts = workspace.store.counts_by_state()
    waiting = {state.value: counts.get(state.value, 0) for state in NEEDS_A_PERSON}
    return render("home.html.j2", now=now, zone=workspace.zone, todays=todays, waiting=waiting)
