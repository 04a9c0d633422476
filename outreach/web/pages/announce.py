"""Pengumuman (``/pengumuman``): a one-off announcement outside the catalogue (a flood warning, changed office
hours) — written once, checked on each chosen channel (its length as the platform counts it, plain language),
and scheduled through ``workspace.operations.announce``, as ``outreach post add`` does, one post per channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, redirect, request, url_for

from ...errors import ConfigError, OutreachError
from ...i18n import N_, _
from ...operations import announcement_text
from ..routes import actor, page, render, services, writing
from .post import Check, measure, typed_text, web_address
from .queue import channel_label, channel_platforms

blueprint = Blueprint("announce", __name__)


@dataclass(frozen=True)
class Form:
    """The announcement as the officer typed it."""

    text: str = ""
    link: str = ""
    channels: tuple[str, ...] = ()
    day: str = ""
    clock: str = ""

    @classmethod
    def from_request(cls) -> Form:
        form = request.form
        return cls(
            typed_text().strip(),
            form.get("link", "").strip(),
            tuple(form.getlist("channel")),
            form.get("day", "").strip(),
            form.get("time", "").strip(),
        )


def _when(form: Form) -> datetime:
    """The moment the form names, in the office's zone; ConfigError when it is missing, unreadable or past."""
    workspace = services().workspace
    try:
        moment = datetime.combine(date.fromisoformat(form.day), time.fromisoformat(form.clock), workspace.zone)
    except ValueError:
        example = _("give the day (year-month-day) and the time (hours:minutes), e.g. 2026-12-07 and 07:30")
        raise ConfigError(example) from None
    if moment < workspace.now():
        raise ConfigError(_("that time has passed; choose a time from now on"))
    return moment


def _checks(form: Form) -> list[tuple[str, Check]]:
    """Each chosen channel's verdict on the text as it would go out there (the link added as ``announce`` adds it)."""
    text = announcement_text(form.text, form.link or None)
    return [(channel, measure(text, channel, channel)) for channel in form.channels]


def _page(form: Form, status: int = 200, problem: str | None = None, checks: Any = ()) -> Any:
    workspace = services().workspace
    platforms = channel_platforms()
    scheduled = []
    for value in request.args.getlist("dijadwalkan"):
        if value.isdigit():
            scheduled.extend(workspace.store.posts(ids=[int(value)]))
    body, code = render(
        "announce.html.j2",
        status=status,
        form=form,
        channels=[(name, channel_label(name, platforms)) for name in workspace.config.channels],
        checks=[(channel_label(channel, platforms), check) for channel, check in checks],
        problem=problem,
        scheduled=scheduled,
        platforms=platforms,
        channel_label=channel_label,
        zone=workspace.zone,
        today=workspace.now().astimezone(workspace.zone).date().isoformat(),
    )
    return body, code


@page(blueprint, "/pengumuman", permission="edit_posts", menu=N_("Announcement"), menu_order=35)
def index() -> Any:
    return _page(Form())


@page(blueprint, "/pengumuman", permission="edit_posts", methods=("POST",))
def submit() -> Any:
    """ "Check" shows each channel's count and findings; "Schedule" checks every channel first, then plans one
    post per channel — a mistake on any channel leaves every one unplanned."""
    form = Form.from_request()
    try:
        if not form.channels:
            raise ConfigError(_("choose at least one channel"))
        if not form.text:
            raise ConfigError(_("write the announcement's text"))
        link = web_address(form.link, required=False)
        checks = _checks(form)
        if request.form.get("action") != "schedule":
            return _page(form, checks=checks)
        at = _when(form)
        refused = next((check.problem for _channel, check in checks if check.problem), None)
        if refused:
            return _page(form, 400, refused, checks)
        operations = services().workspace.operations
        with writing():
            ids = [
                operations.announce(channel, at, form.text, link, actor(), channel).post_id for channel in form.channels
            ]
    except OutreachError as error:
        return _page(form, 400, str(error))
    return redirect(url_for("announce.index", dijadwalkan=ids), code=303)
