"""Kanal: ``outreach channels check`` as a page — a button asks each channel's platform who we post as, or why we
cannot; the last results are kept (with when and by whom), so the page shows them without asking again.

The checking itself is ``outreach.channel_checks``, the same as the command's. Held channels are read live.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from flask import Blueprint, redirect, url_for

from ...channel_checks import ChannelResult, check_channel
from ...i18n import N_, _
from ...textsafety import visible
from .. import waiting_elsewhere
from ..routes import actor, page, render, services, writing

blueprint = Blueprint("channels", __name__)

#: Settings key of the last check's results: when, by whom, and each channel's outcome.
CHECK_SETTING = "web:channels_check"
#: One check at a time: each asks every platform, which takes seconds.
_CHECKING = threading.Lock()


def _last_check() -> dict[str, Any] | None:
    found = services().workspace.store.get_setting(CHECK_SETTING)
    if not found:
        return None
    return {
        "at": datetime.fromisoformat(found["at"]).astimezone(services().workspace.zone),
        "by": visible(found["by"], line_breaks=False),
        "results": [ChannelResult(**result) for result in found["results"]],
    }


def _page(problem: str | None = None, status: int = 200) -> Any:
    workspace = services().workspace
    held = sorted(workspace.holds.all().values(), key=lambda hold: hold.channel)
    return render(
        "channels.html.j2",
        status=status,
        channels=list(workspace.config.channels),
        last=_last_check(),
        held=held,
        zone=workspace.zone,
        shown=visible,
        problem=problem,
    )


@page(blueprint, "/kanal", permission="check_channels", menu=N_("Channels"), menu_order=70)
def index() -> Any:
    """The last check's results, the held channels, and the button to check again."""
    return _page()


@page(blueprint, "/kanal/periksa", permission="check_channels", methods=("POST",))
def check() -> Any:
    """Ask every channel's platform now; keep the results with when and by whom."""
    if not _CHECKING.acquire(blocking=False):
        return _page(_("A check is already running; wait a moment and open the page again."), 409)
    try:
        workspace = services().workspace
        with waiting_elsewhere():  # seconds of waiting on the platforms: the pages are served meanwhile
            results = [check_channel(workspace, name, writing()) for name in workspace.config.channels]
        with writing():
            workspace.store.set_setting(
                CHECK_SETTING,
                {"at": workspace.now().isoformat(), "by": actor(), "results": [vars(result) for result in results]},
            )
    finally:
        _CHECKING.release()
    return redirect(url_for("channels.index"), code=303)
