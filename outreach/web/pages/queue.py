"""Antrean (``/antrean``): the outbox as a list with filters, a page at a time (paged in SQL: the store holds
100,000 posts), each row linking to the post's own page (``post.py``).

What the pages about posts share lives here too: how a channel, a state and an agency's posts are shown, and
which posts an approver sees (their own agency's: the innovations they decide on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, request, url_for

from ...accounts import SignedIn
from ...channels import adapter_class
from ...i18n import N_, _
from ...model import PostState
from ...store.posts import PostFilter
from ...vocabulary import platform_label, state_label
from ..routes import page, render, services, shown_reason, signed_in

blueprint = Blueprint("queue", __name__)

#: Posts on one page of the queue.
PAGE_SIZE = 50


def channel_platforms() -> dict[str, str]:
    """Each configured channel's platform as people name it (``x`` → ``X``), read from the config alone."""
    config = services().workspace.config
    return {
        name: platform_label(adapter_class(settings.type).platform_for(settings))
        for name, settings in config.channels.items()
    }


def channel_label(channel: str, platforms: dict[str, str]) -> str:
    """``x (X)``: the channel's name with its platform's, so an officer knows where a post goes."""
    platform = platforms.get(channel)
    return f"{channel} ({platform})" if platform and platform != channel else channel


def own_agency(user: SignedIn) -> str | None:
    """The agency whose posts alone ``user`` sees: an approver's own; None (every agency) for the others."""
    return user.user.opd if user.user.role == "approver" else None


def office_day(moment: datetime) -> datetime:
    """The start of ``moment``'s day in the office's zone."""
    zone = services().workspace.zone
    return datetime.combine(moment.astimezone(zone).date(), time(), zone)


@dataclass(frozen=True)
class Filters:
    """The queue's filters as the form sends them (empty: any), and the page asked for."""

    state: str = ""
    channel: str = ""
    agency: str = ""
    start: str = ""
    end: str = ""
    page: int = 1

    def query(self, **changed: Any) -> dict[str, Any]:
        """The query string of these filters (with ``changed``), without the empty ones: for links."""
        values = {
            "state": self.state,
            "channel": self.channel,
            "agency": self.agency,
            "from": self.start,
            "to": self.end,
            "page": self.page,
        }
        values.update(changed)
        return {key: value for key, value in values.items() if value not in ("", None, 1)}


def _day(text: str) -> date | None:
    """A ``YYYY-MM-DD`` from the form, or None; ValueError when it is not a date."""
    return date.fromisoformat(text) if text else None


@page(blueprint, "/antrean", permission="view", menu=N_("Queue"), menu_order=30)
def index() -> Any:
    """The queue: today onwards by default; a filter or a link from the home page narrows it."""
    workspace = services().workspace
    user = signed_in()
    args = request.args
    today = office_day(workspace.now()).date().isoformat()
    try:
        number = max(1, int(args.get("page", "1")))
    except ValueError:
        number = 1
    filters = Filters(
        state=args.get("state", ""),
        channel=args.get("channel", ""),
        agency=args.get("agency", ""),
        start=args.get("from", today if not args else ""),
        end=args.get("to", ""),
        page=number,
    )
    agencies = workspace.store.agencies()
    forced = own_agency(user)
    if forced is not None:
        agencies = [name for name in agencies if name.casefold() == forced.casefold()] or [forced]
    problem = None
    try:
        wanted = _post_filter(filters, forced)
    except ValueError as error:
        problem, wanted = str(error), None
    rows: list[Any] = []
    total = workspace.store.post_count(wanted) if wanted is not None else 0
    pages = max(1, -(-total // PAGE_SIZE))
    if wanted is not None:
        if filters.page > pages:
            abort(404)
        rows = workspace.store.post_page(wanted, PAGE_SIZE, (filters.page - 1) * PAGE_SIZE)
    platforms = channel_platforms()
    return render(
        "queue.html.j2",
        status=400 if problem else 200,
        filters=filters,
        rows=rows,
        total=total,
        pages=pages,
        first=(filters.page - 1) * PAGE_SIZE + 1,
        states=[(state.value, state_label(state.value)) for state in PostState],
        channels=[(name, channel_label(name, platforms)) for name in workspace.config.channels],
        agencies=agencies,
        platforms=platforms,
        channel_label=channel_label,
        state_label=state_label,
        reason_shown=shown_reason,
        zone=workspace.zone,
        problem=problem,
        page_url=lambda number: url_for("queue.index", **filters.query(page=number)),
    )


def _post_filter(filters: Filters, forced_agency: str | None) -> PostFilter:
    """The store's filter for the form's values; ValueError with a message a person reads for a wrong one."""
    if filters.state and filters.state not in {state.value for state in PostState}:
        raise ValueError(_("there is no state called {state}").format(state=filters.state))
    try:
        start, end = _day(filters.start), _day(filters.end)
    except ValueError:
        raise ValueError(_("write the dates as year-month-day, e.g. 2026-12-07")) from None
    if start and end and end < start:
        raise ValueError(_("the last day comes before the first day"))
    zone = services().workspace.zone
    return PostFilter(
        states=(PostState(filters.state),) if filters.state else None,
        channel=filters.channel or None,
        opd=forced_agency or filters.agency or None,
        scheduled_from=datetime.combine(start, time(), zone) if start else None,
        scheduled_to=datetime.combine(end, time(), zone) + timedelta(days=1) if end else None,
    )
