"""Checking channels: each platform asked who we post as, or why we cannot — for the command and the page alike.

``outreach channels check`` and the page's Kanal call ``check_channel``; the network is reached only through
the adapters (``channels/``). A passing check lifts the channel's hold and keeps the limits its platform
states (``learn_limits``); the result also says what the engagement figures and the replies inbox will lack,
and which planned images the platform would refuse. Everything in a result is redacted.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, LocalIOError, PublishError
from .i18n import _
from .model import PostState
from .redaction import redact
from .vocabulary import platform_label

if TYPE_CHECKING:
    from .app import Workspace


@dataclass
class ChannelResult:
    """What one channel's check found (the page keeps it in a setting, as a dict of these fields)."""

    channel: str
    platform: str
    ok: bool
    #: Who the channel posts as (ok), or why it cannot (not ok), in the platform's or our words.
    answer: str
    #: The reason of the hold the check lifted, if the channel was held.
    lifted: str | None = None
    #: What the engagement figures and the replies inbox will lack, one line each.
    lines: list[str] = field(default_factory=list)
    #: Images of planned posts the platform would refuse.
    problems: list[str] = field(default_factory=list)


def check_channel(
    workspace: Workspace, name: str, writing: AbstractContextManager[object] | None = None
) -> ChannelResult:
    """Ask one channel's platform who we post as; never raises for what a platform or the configuration
    answers (the answer is the result). ``writing``: held while the store is written (the page's lock)."""
    settings = workspace.channel_settings(name)
    platform = platform_label(workspace.channel_view(name).platform)
    try:
        adapter = workspace.adapter(name)
        identity = adapter.check()
    except (PublishError, ConfigError, LocalIOError) as error:  # the platform's own words, which it chose
        return ChannelResult(name, platform, False, redact(str(error)))
    with writing or nullcontext():
        workspace.learn_limits(name)
        lifted = workspace.holds.lift(name)
    answer = identity.handle + (f"  ({identity.detail})" if identity.detail else "")
    result = ChannelResult(name, platform, True, redact(answer), lifted.reason if lifted else None)
    if adapter.outbox_for(settings) is None:  # a local folder: nobody sees its posts, nothing to say
        result.lines = _access_lines(workspace, name)
    images = [
        Path(post.image) for post in workspace.store.posts([PostState.PLANNED]) if post.channel == name and post.image
    ]
    result.problems = [redact(problem) for problem in adapter.planned_image_problems(images)]
    return result


def _access_lines(workspace: Workspace, name: str) -> list[str]:
    """What the channel's engagement readings and replies inbox will lack, one line each; never a failure."""
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
