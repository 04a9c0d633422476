"""Jeda: pause and resume publishing with a reason (``outreach pause`` / ``resume`` as a page; admins only).

The kill switch is the same setting the daemon reads inside each claim, so a pause takes effect at the
next post; the page shows why it was paused, by whom and since when, and who last resumed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, redirect, request, url_for

from ...i18n import N_, _
from ...operations import PAUSE_SETTING, RESUMED_SETTING
from ...textsafety import hidden_characters, visible
from ..routes import actor, page, render, services, writing

blueprint = Blueprint("pause", __name__)

#: A reason is a sentence ("Hari berkabung nasional"); longer is a mistake.
REASON_LIMIT = 300


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(services().workspace.zone)


def _state(problem: str | None = None, status: int = 200, reason: str = "") -> Any:
    store = services().workspace.store
    paused = store.get_setting(PAUSE_SETTING)
    resumed = store.get_setting(RESUMED_SETTING)
    return render(
        "pause.html.j2",
        status=status,
        paused=paused
        and {"reason": visible(paused["reason"]), "by": visible(paused["by"]), "at": _moment(paused["at"])},
        resumed=resumed
        and {
            "by": visible(resumed["by"]),
            "at": _moment(resumed["at"]),
            "reason": visible(resumed["paused"]["reason"]),
        },
        zone=services().workspace.zone,
        problem=problem,
        reason=reason,
        done=request.args.get("selesai") if request.args.get("selesai") in ("jeda", "lanjut") else None,
    )


@page(blueprint, "/jeda", permission="pause", menu=N_("Pause"), menu_order=80)
def state() -> Any:
    """Whether publishing is paused, why, by whom and since when; the form to pause or resume."""
    return _state()


@page(blueprint, "/jeda/hentikan", permission="pause", methods=("POST",))
def pause() -> Any:
    """Stop every publication at once, with a reason; the event names who paused."""
    reason = request.form.get("alasan", "").strip()
    problem = None
    if not reason:
        problem = _("Write why publishing stops (e.g. a day of mourning).")
    elif len(reason) > REASON_LIMIT:
        problem = _("The reason is too long: at most {count} characters.").format(count=REASON_LIMIT)
    elif hidden_characters(reason):
        problem = _("The reason holds a hidden or control character; type it again.")
    elif services().workspace.store.get_setting(PAUSE_SETTING):
        problem = _("Publishing is already paused.")
    if problem is not None:
        return _state(problem, 400, reason)
    with writing():
        services().workspace.operations.pause(reason, actor())
    return redirect(url_for("pause.state", selesai="jeda"), code=303)


@page(blueprint, "/jeda/lanjutkan", permission="pause", methods=("POST",))
def resume() -> Any:
    """Lift the kill switch; overdue posts follow the catch-up rule, as after ``outreach resume``."""
    if not services().workspace.store.get_setting(PAUSE_SETTING):
        return _state(_("Publishing is not paused."), 400)
    with writing():
        services().workspace.operations.resume(actor())
    return redirect(url_for("pause.state", selesai="lanjut"), code=303)
