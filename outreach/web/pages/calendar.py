"""Kalender: the month grid of ``outreach calendar`` (``/kalender?bulan=2026-12``), the month before and
after, and the same month as an ICS file for Google Calendar or Outlook (``/kalender.ics?bulan=…``).

The grid and its CSS are the self-contained calendar's own (``html/templates/calendar_month.*``): the CSS is
served as a file (``/gaya/calendar_month.css``), since the page's Content-Security-Policy allows no inline
style; the preview cards' CSS is served the same way for the innovation's page.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, request, url_for

from ...accounts import sees_agency
from ...calendar_view import Month, month_for, parse_month
from ...i18n import N_
from ..report_files import FeedJob, send_made
from ..routes import page, render, services, signed_in

blueprint = Blueprint("calendar", __name__)

#: The stylesheets of ``outreach/html/templates`` a page may load: the month grid and the preview cards.
SHARED_STYLES = frozenset({"calendar_month", "preview_cards"})
#: Slots a day's cell shows; "+N more" links to the rest in the queue (a day holds ~30 slots, ~280 posts).
DAY_SLOTS = 4
#: The feed without a month: from this many days ago to the last planned day, at most this far ahead.
FEED_DAYS_BEFORE = 7
FEED_DAYS_AHEAD = 31


def _style(name: str) -> Response:
    """A stylesheet the self-contained pages inline, served as a file (public, like ``/static``)."""
    if name not in SHARED_STYLES:
        abort(404)
    text = resources.files("outreach").joinpath("html", "templates", f"{name}.css").read_text(encoding="utf-8")
    return Response(text, mimetype="text/css", headers={"Cache-Control": "public, max-age=3600"})


blueprint.add_url_rule("/gaya/<name>.css", endpoint="style", view_func=_style)


def _month() -> date:
    """The month asked for (``bulan=2026-12``), this month without one; 400 saying how to write it."""
    workspace = services().workspace
    asked = request.args.get("bulan", "").strip()
    if not asked:
        return workspace.now().astimezone(workspace.zone).date().replace(day=1)
    try:
        return parse_month(asked)
    except ValueError as error:
        abort(400, description=str(error))


def _seen(month: Month) -> Month:
    """The month as the signed-in user may see it: an agency head only their own agency's innovations
    (``sees_agency``) and the office's announcements, which belong to no agency."""
    user = signed_in().user
    if user.role != "approver":
        return month

    def shown(slot_agencies: tuple[str, ...]) -> bool:
        return not slot_agencies or any(sees_agency(user, agency) for agency in slot_agencies)

    weeks = tuple(
        tuple(replace(day, slots=tuple(slot for slot in day.slots if shown(slot.agencies))) for day in week)
        for week in month.weeks
    )
    return replace(month, weeks=weeks)


def _day_link(day: date) -> str:
    """The queue of that one day: where a busy day's posts beyond the first few are listed."""
    return url_for("queue.index") + "?" + urlencode({"from": day.isoformat(), "to": day.isoformat()})


@page(blueprint, "/kalender", permission="view", menu=N_("Calendar"), menu_order=20)
def month() -> Any:
    """The month's grid, with links to the month before and after and to its ICS file."""
    workspace = services().workspace
    first = _month()
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    now = workspace.now().astimezone(workspace.zone)
    user = signed_in().user
    agency = (user.opd or "") if user.role == "approver" else None  # an approver with no agency: none of them
    return render(
        "calendar_page.html.j2",
        month=_seen(month_for(workspace, first, per_day=DAY_SLOTS, agency=agency)),
        day_link=_day_link,
        previous_link=url_for("calendar.month", bulan=f"{previous:%Y-%m}"),
        next_link=url_for("calendar.month", bulan=f"{following:%Y-%m}"),
        ics_link=url_for("calendar.ics", bulan=f"{first:%Y-%m}"),
        previous=previous,
        following=following,
        zone_name=now.tzname() or str(workspace.zone),
    )


def _window() -> tuple[date, date, str]:
    """The days the feed holds (both included) and its file's name: the month asked for (``bulan=2026-12``),
    else from a week ago to the last planned day (at most ``FEED_DAYS_AHEAD`` days ahead)."""
    workspace = services().workspace
    if request.args.get("bulan", "").strip():
        first = _month()
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1), f"kalender-{first:%Y-%m}.ics"
    today = workspace.now().astimezone(workspace.zone).date()
    midnight = datetime.combine(today, time(0), tzinfo=workspace.zone)
    last = workspace.store.last_scheduled_at(midnight, midnight + timedelta(days=FEED_DAYS_AHEAD + 1))
    until = last.astimezone(workspace.zone).date() if last is not None else today
    return today - timedelta(days=FEED_DAYS_BEFORE), until, "kalender.ics"


@page(blueprint, "/kalender.ics", permission="view")
def ics() -> Any:
    """The posts of a window as an iCalendar feed: importing a newer one updates its events instead of adding
    them twice. The window is written in the feed's description. ``outreach calendar --format ics`` writes it
    in a child process (``report_files``): a month's feed holds ~8,000 posts' events, which the server would
    otherwise build itself (+11 MB each, more with several at once)."""
    workspace = services().workspace
    first, last, filename = _window()
    user = signed_in().user
    agency = (user.opd or "") if user.role == "approver" else None
    month = first if filename != "kalender.ics" else None
    job = FeedJob(workspace.config.path, workspace.now(), month, first, last, agency)
    return send_made(job, workspace.config.environ, filename, "text/calendar")
