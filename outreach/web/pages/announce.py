"""Pengumuman (``/pengumuman``): a one-off announcement outside the catalogue (a flood warning, changed office
hours) — written once, checked on each chosen channel (its length as the platform counts it, plain language),
and scheduled through ``workspace.operations.announce``, as ``outreach post add`` does, one post per channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, jsonify, redirect, request, url_for

from ...errors import ConfigError, OutreachError, StateConflict
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


@page(blueprint, "/pengumuman/periksa", permission="edit_posts", methods=("POST",))
def check() -> Any:
    """Each chosen channel's count and findings for the text as typed: JSON for the page's script (asked as the
    officer types), else the page with them (the "Check" button without JavaScript). Nothing is stored."""
    form = Form.from_request()
    wants_json = request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    try:
        if not wants_json and not form.channels:
            raise ConfigError(_("choose at least one channel"))
        checks = _checks(form)
    except OutreachError as error:
        if wants_json:
            return jsonify({"problem": str(error), "channels": []})
        return _page(form, 400, str(error))
    if wants_json:
        platforms = channel_platforms()
        return jsonify(
            {
                "problem": None,
                "channels": [
                    {"label": channel_label(channel, platforms), **result.as_json()} for channel, result in checks
                ],
            }
        )
    return _page(form, checks=checks)


@page(blueprint, "/pengumuman", permission="edit_posts", methods=("POST",))
def submit() -> Any:
    """Check every channel first, then plan one
    post per channel — a mistake on any channel leaves every one unplanned. Sent twice (a double click, the
    browser's back button), it plans nothing new: the page lists the posts the first time made."""
    form = Form.from_request()
    try:
        if not form.channels:
            raise ConfigError(_("choose at least one channel"))
        if not form.text:
            raise ConfigError(_("write the announcement's text"))
        link = web_address(form.link, required=False)
        checks = _checks(form)
        at = _when(form)
        refused = next((check.problem for _channel, check in checks if check.problem), None)
        if refused:
            return _page(form, 400, refused, checks)
        ids = _schedule(form, at, link)
    except OutreachError as error:
        return _page(form, 400, str(error))
    return redirect(url_for("announce.index", dijadwalkan=ids), code=303)


def _schedule(form: Form, at: datetime, link: str | None) -> list[int]:
    """One post per chosen channel; a channel that already has this announcement keeps the one it has."""
    operations = services().workspace.operations
    ids = []
    with writing():
        for channel in form.channels:
            try:
                ids.append(operations.announce(channel, at, form.text, link, actor(), channel).post_id)
            except StateConflict as same:  # the same text, channel and time: scheduled before
                ids.append(same.post_id)
    return ids
