"""Kanal: ``outreach channels check`` as a page — a button asks each channel's platform who we post as, or why we
cannot; the last results are kept (with when and by whom), so the page shows them without asking again.

The network is reached only through the adapters (``channels/``), as the command does: ``check`` lifts a
channel's hold when it passes and keeps the limits its platform states (``learn_limits``). The engagement and
replies lines say what the figures and the replies inbox will lack. Held channels are read live.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, redirect, url_for

from ...errors import ConfigError, LocalIOError, PublishError
from ...i18n import N_, _
from ...model import PostState
from ...redaction import redact
from ...textsafety import visible
from ...vocabulary import platform_label
from ..routes import actor, page, render, services, writing

if TYPE_CHECKING:
    from ...app import Workspace

blueprint = Blueprint("channels", __name__)

#: Settings key of the last check's results: when, by whom, and each channel's outcome.
CHECK_SETTING = "web:channels_check"
#: One check at a time: each asks every platform, which takes seconds.
_CHECKING = threading.Lock()


@dataclass
class ChannelResult:
    """What one channel's check found, as kept in ``CHECK_SETTING`` (redacted; shown through ``visible``)."""

    channel: str
    platform: str
    ok: bool
    #: Who the channel posts as (ok), or why it cannot (not ok), in the platform's or our words.
    answer: str
    #: The hold the check lifted, if the channel was held.
    lifted: str | None = None
    #: What the engagement figures and the replies inbox will lack; images the platform would refuse.
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_channel(workspace: Workspace, name: str) -> ChannelResult:
    """Ask one channel's platform who we post as (as ``outreach channels check NAME``); never raises for
    what a platform or the configuration answers: the answer is the result."""
    settings = workspace.channel_settings(name)
    platform = platform_label(workspace.channel_view(name).platform)
    try:
        adapter = workspace.adapter(name)
        identity = adapter.check()
    except (PublishError, ConfigError, LocalIOError) as error:  # the platform's own words, which it chose
        return ChannelResult(name, platform, False, redact(str(error)))
    with writing():
        workspace.learn_limits(name)
        lifted = workspace.holds.lift(name)
    answer = identity.handle + (f" ({identity.detail})" if identity.detail else "")
    result = ChannelResult(name, platform, True, redact(answer), lifted.reason if lifted else None)
    if adapter.outbox_for(settings) is None:  # a local folder: nobody sees its posts, nothing to say
        result.lines = _access_lines(workspace, name)
    images = [
        Path(post.image) for post in workspace.store.posts([PostState.PLANNED]) if post.channel == name and post.image
    ]
    result.problems = [redact(problem) for problem in adapter.planned_image_problems(images)]
    return result


def _access_lines(workspace: Workspace, name: str) -> list[str]:
    """What the channel's engagement readings and replies inbox will lack, one line each."""
    adapter = workspace.adapter(name)
    lines: list[str] = []
    unavailable = adapter.engagement_unavailable_for(name, adapter.settings)
    if unavailable is not None:
        lines.append(_("engagement: {reason}").format(reason=unavailable))
    else:
        try:
            found = adapter.engagement_access()
        except PublishError as error:
            found = [_("could not ask which engagement figures the token may read: {error}").format(error=error)]
        lines.extend(_("engagement: {reason}").format(reason=line) for line in found)
    no_replies = adapter.replies_unavailable_for(name, adapter.settings)
    if no_replies is not None:
        lines.append(_("replies: {reason}").format(reason=no_replies))
    return [redact(line) for line in lines]


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
        results = [check_channel(workspace, name) for name in workspace.config.channels]
        with writing():
            workspace.store.set_setting(
                CHECK_SETTING,
                {"at": workspace.now().isoformat(), "by": actor(), "results": [vars(result) for result in results]},
            )
    finally:
        _CHECKING.release()
    return redirect(url_for("channels.index"), code=303)
