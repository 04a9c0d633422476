"""What an operator may do to posts and to publishing as a whole, whichever surface asks.

The command line today and the web page later call these, so an action has one meaning: the
same start states (read from the outbox table), the same reason text, and one event naming who
did it. Nothing here prints; the caller says what happened.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import outbox
from .clock import Clock
from .errors import ConfigError
from .i18n import _
from .model import OPERATOR_CANCELLED, MetricReading, Post, PostState
from .outbox import Operation
from .reasons import N_
from .store import Store
from .textsafety import describe, hidden_characters

if TYPE_CHECKING:
    from .limits import TextLimit
    from .planning import Finding
    from .render import ChannelView

#: Settings key of the kill switch: while it holds a value, nothing is claimed.
PAUSE_SETTING = "pause"

# The reasons recorded with a post: English in the store, shown translated (``reasons.shown``).
RETRY_REQUESTED = N_("retry requested by an operator")
RESOLVED_PUBLISHED = N_("resolved by an operator: published")
RESOLVED_UNPUBLISHED = N_("resolved by an operator: not published")
CONFIRMED = N_("confirmed by staff")
EDITED = N_("text edited by an operator: {reason}")
ANNOUNCED = N_("announcement added by an operator")


def announcement_text(text: str, link: str | None) -> str:
    """An announcement's text as it goes out: its link added at the end unless the text already shows it."""
    if link and link not in text:
        return f"{text.rstrip()}\n\n{link}"
    return text


@dataclass(frozen=True)
class Move:
    """One post moved by an operator: from which state to which."""

    post_id: int
    before: PostState
    after: PostState


@dataclass(frozen=True)
class Pause:
    """The kill switch while it is on: why, since when, and who set it."""

    reason: str
    at: datetime
    by: str


@dataclass(frozen=True)
class Written:
    """A text an operator wrote, as stored: the post, and the plain-language warnings it still has."""

    post_id: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class TextRules:
    """What a text an operator writes must pass, like a rendered one: the channel's length limit
    (as its platform counts) and plain language (errors refuse it, warnings are reported)."""

    channel_view: Callable[[str], ChannelView]
    check_language: Callable[[str, str | None, str | None, Path | None, str | None], tuple[Finding, ...]]

    def warnings(
        self, text: str, channel: str, source: str, kind: str | None = None, post: Post | None = None
    ) -> tuple[str, ...]:
        """The warnings ``text`` leaves; raises ``ConfigError`` naming ``source`` when it must not go out."""
        if not text.strip():
            raise ConfigError(_("{source}: the text is empty; write the post's text").format(source=source))
        hidden = hidden_characters(text)
        if hidden:
            position, character = hidden[0]
            raise ConfigError(
                _("{source}: character {position} is {character}, which can hide or disguise text; remove it").format(
                    source=source, position=position + 1, character=describe(character)
                )
            )
        view, limit = self.limit(channel, post)
        excess = limit.excess(text)
        if excess > 0:
            raise ConfigError(
                _(
                    "{source}: the text is too long for channel {channel}: {length} as {platform} counts it; "
                    "shorten it by {excess}"
                ).format(
                    source=source, channel=channel, length=limit.describe(text), platform=view.platform, excess=excess
                )
            )
        findings = self.findings(text, channel, kind, post)
        errors = [finding.label() for finding in findings if finding.severity == "error"]
        if errors:
            raise ConfigError(
                _("{source}: not plain language — {findings}").format(source=source, findings="; ".join(errors))
            )
        return tuple(finding.label() for finding in findings)

    def limit(self, channel: str, post: Post | None = None) -> tuple[ChannelView, TextLimit]:
        """The channel as it renders, and the limit a text for ``post`` (a caption when it has an image) must fit:
        the web page's live counter measures with it too."""
        view = self.channel_view(channel)
        image = post.image if post else None
        return view, view.capabilities.limit_for(image is not None and view.capabilities.image != "none")

    def findings(
        self, text: str, channel: str, kind: str | None = None, post: Post | None = None
    ) -> tuple[Finding, ...]:
        """Every finding of the plain-language checker on ``text`` for ``channel`` (errors and warnings)."""
        image = post.image if post else None
        platform = self.channel_view(channel).platform
        return self.check_language(
            text, kind, platform, Path(image) if image else None, post.alt_text if post else None
        )


class Operations:
    """Operator actions on one store, stamped with one clock; ``rules`` check the texts operators write."""

    def __init__(self, store: Store, clock: Clock, rules: TextRules | None = None) -> None:
        self.store = store
        self.clock = clock
        self.rules = rules

    # ---- posts ----------------------------------------------------------------------------------

    def cancel(self, post_id: int, reason: str, actor: str) -> Move:
        """Cancel a post; re-planning leaves its slot empty (the reason's prefix says an operator did it)."""
        return self._move(post_id, Operation.CANCEL, OPERATOR_CANCELLED.format(reason=reason), actor)

    def retry(self, post_id: int, actor: str) -> Move:
        """Plan a failed, unknown or missed post again, due now, with a fresh count of attempts."""
        return self._move(post_id, Operation.RETRY, RETRY_REQUESTED, actor, due_at=self.clock.now(), attempts=0)

    def resolve_published(self, post_id: int, url: str, actor: str) -> Move:
        """An operator saw an ``unknown`` post on the platform."""
        return self._move(
            post_id,
            Operation.RESOLVE_PUBLISHED,
            RESOLVED_PUBLISHED,
            actor,
            remote_url=url,
            published_at=self.clock.now(),
        )

    def resolve_unpublished(self, post_id: int, actor: str) -> Move:
        """An operator saw an ``unknown`` post did not go out; it stays failed until retried."""
        return self._move(post_id, Operation.RESOLVE_UNPUBLISHED, RESOLVED_UNPUBLISHED, actor)

    def confirm(self, post_id: int, url: str | None, actor: str, groups: int | None = None) -> Move:
        """Staff sent a handed-off post (WhatsApp) themselves; ``groups``: to how many groups or chats.

        The count is the post's one engagement reading (``forwards``), kept only once the post is confirmed.
        """
        now = self.clock.now()
        move = self._move(post_id, Operation.CONFIRM, CONFIRMED, actor, remote_url=url, published_at=now)
        if groups is not None:
            self.store.add_readings([MetricReading(post_id, now, {"forwards": groups})])
        return move

    def edit(self, post_id: int, text: str, reason: str, actor: str, source: str) -> Written:
        """Change a planned post's text before it goes out; re-planning keeps the edit.

        ``source`` names where the text came from, for the message when it is refused.
        """
        post = self.store.post(post_id)
        kind = None if post.innovation_id == outbox.ANNOUNCEMENT_ID else post.kind
        warnings = self._rules().warnings(text, post.channel, source, kind, post)
        self._move(post_id, Operation.EDIT, EDITED.format(reason=reason), actor, text=text)
        return Written(post_id, warnings)

    def announce(self, channel: str, at: datetime, text: str, link: str | None, actor: str, source: str) -> Written:
        """Add a one-off post outside the catalogue (a flood warning, a changed opening hour), planned at ``at``.

        It goes out through the outbox like every other post; the planner never withdraws it.
        """
        if at < self.clock.now():
            raise ConfigError(_("--at {at} has passed; give a time from now on").format(at=at.isoformat()))
        text = announcement_text(text, link)
        warnings = self._rules().warnings(text, channel, source)
        moment = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        values = {
            "key": f"{outbox.ANNOUNCEMENT_CAMPAIGN}/{channel}/{outbox.ANNOUNCEMENT_ID}/{outbox.ANNOUNCEMENT_KIND}/"
            f"{moment}/{digest}",
            "campaign": outbox.ANNOUNCEMENT_CAMPAIGN,
            "channel": channel,
            "innovation_id": outbox.ANNOUNCEMENT_ID,
            "kind": outbox.ANNOUNCEMENT_KIND,
            "scheduled_at": at,
            "text": text,
            "link": link,
        }
        post_id = self.store.add_post(values, self.clock.now(), ANNOUNCED, actor)
        return Written(post_id, warnings)

    def _rules(self) -> TextRules:
        if self.rules is None:
            raise RuntimeError("Operations was built without TextRules; the workspace provides them")
        return self.rules

    def _move(self, post_id: int, operation: Operation, reason: str, actor: str, **values: Any) -> Move:
        before = self.store.post(post_id).state
        after = self.store.transition(
            post_id, operation, self.clock.now(), reason, expect=before, actor=actor, **values
        )
        return Move(post_id, before, after)

    # ---- the kill switch ----------------------------------------------------------------------

    def pause(self, reason: str, actor: str) -> Pause:
        """Stop every publication at once; the publisher reads this inside each claim."""
        pause = Pause(reason, self.clock.now(), actor)
        self.store.set_setting(PAUSE_SETTING, {"reason": reason, "at": pause.at.isoformat(), "by": actor})
        return pause

    def resume(self) -> None:
        self.store.set_setting(PAUSE_SETTING, None)
