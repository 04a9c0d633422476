"""Collecting citizens' replies: every recent post's replies and comments, kept once, sorted, answers found.

A ``PostSweep`` (see ``outreach.sweep``) like the engagement reading: never delays publishing, never
fatal, each channel asked by a few lanes of adapters of its own. Each reply found is kept once (its
channel and platform id) with the post and innovation it answers, and sorted by the office's rules
(``reply_rules``). The office's own replies are kept too: one that answers a citizen's reply (it
replies to it, or replies to the post naming the citizen's handle after the citizen wrote) marks that
reply answered at the moment the office wrote.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .channels import adapter_class, build_channel
from .channels.base import Channel
from .clock import Clock
from .i18n import N_
from .model import IncomingReply, Post, Reply, ReplyStatus
from .reply_rules import ReplyRules, load_rules
from .store.replies import REPLIES_COLLECTED_SETTING
from .sweep import LANES, CollectionSummary, PostSweep

if TYPE_CHECKING:
    from .app import Workspace
    from .store import Store


class ReplyCollector(PostSweep[list[IncomingReply]]):
    """Collects the replies under recently published posts into the store; see the module's docstring.

    ``per_channel``: the channels whose platform delivers replies for the whole account at once.
    """

    summary_setting = REPLIES_COLLECTED_SETTING
    subject = N_("replies")

    def __init__(
        self,
        store: Store,
        clock: Clock,
        configured: Mapping[str, str | None],
        adapter_for: Callable[[str], Channel],
        rules: ReplyRules,
        *,
        whole_channel: Iterable[str] = (),
        **options: Any,
    ) -> None:
        super().__init__(store, clock, configured, adapter_for, **options)
        self.rules = rules
        self.whole_channel = frozenset(whole_channel)

    def collect(self, days: int) -> CollectionSummary:
        """Collect the replies of every post published in the last ``days`` days; never raises for a platform."""
        return self.run(days)

    def ask(self, adapter: Channel, post: Post) -> list[IncomingReply]:
        return adapter.replies(post)

    def ask_channel(self, adapter: Channel, posts: list[Post]) -> Mapping[int, list[IncomingReply]]:
        return adapter.channel_replies(posts)

    def per_channel(self, name: str) -> bool:
        return name in self.whole_channel

    def last_asked(self) -> Mapping[int, datetime]:
        return {}  # every run asks about every recent post; the oldest first

    def keep(self, answers: list[tuple[Post, list[IncomingReply]]]) -> None:
        now = self.clock.now()
        for post, found in answers:
            sorted_found = []
            for reply in found:
                if reply.from_office:
                    sorted_found.append((reply, "other", False))
                else:
                    sorting = self.rules.sort(reply.text)
                    sorted_found.append((reply, sorting.kind, sorting.urgent))
            self.store.add_replies(post, sorted_found, now)
        posts = {post.id: post for post, _found in answers}
        self.store.mark_answered(answers_in(self.store.reply_threads(posts), posts))


def answers_in(thread: list[Reply], posts: Mapping[int, Post]) -> list[tuple[int, datetime]]:
    """(citizen reply id, when the office answered it) for every open citizen reply the office answered.

    An office reply answers the citizen reply it replies to; an office reply to the post itself answers
    the earlier open replies of the citizens it names (``@handle``).
    """
    by_remote = {(reply.channel, reply.remote_id): reply for reply in thread}
    answered: dict[int, datetime] = {}
    for office in (reply for reply in thread if reply.from_office):
        parent = by_remote.get((office.channel, office.parent_id or ""))
        if parent is not None and not parent.from_office:
            answered[parent.id] = min(office.written_at, answered.get(parent.id, office.written_at))
            continue
        post = posts.get(office.post_id)
        if post is None or office.parent_id != post.remote_id or not office.text:
            continue
        named = office.text.casefold()
        for citizen in thread:
            if (
                not citizen.from_office
                and citizen.post_id == office.post_id
                and citizen.author
                and citizen.written_at <= office.written_at
                and f"@{citizen.author.lstrip('@').casefold()}" in named
            ):
                answered[citizen.id] = min(office.written_at, answered.get(citizen.id, office.written_at))
    still_open = {reply.id for reply in thread if reply.status is ReplyStatus.OPEN}
    return sorted((reply_id, at) for reply_id, at in answered.items() if reply_id in still_open)


def reply_collector_for(workspace: Workspace, stop: threading.Event | None = None) -> ReplyCollector:
    """A collector over ``workspace``'s store and channels, with adapters of its own (not the publisher's)."""
    config = workspace.config

    def adapter_for(name: str) -> Channel:
        return build_channel(name, config.channels[name], config.environ, workspace.clock)

    classes = {name: adapter_class(settings.type) for name, settings in config.channels.items()}
    configured = {
        name: classes[name].replies_unavailable_for(name, settings) for name, settings in config.channels.items()
    }
    return ReplyCollector(
        workspace.store,
        workspace.clock,
        configured,
        adapter_for,
        load_rules(config.reply_rules_path),
        whole_channel=[name for name, cls in classes.items() if cls.replies_per_channel],
        stop=stop,
        lanes=LANES,
    )


def purge_replies(workspace: Workspace) -> int:
    """Erase the text, author and link of every reply written more than ``[replies] retention_days`` ago
    (UU 27/2022: personal data no longer needed); kind, times and status stay for the figures. Returns how many."""
    now = workspace.now()
    return workspace.store.erase_replies(now - timedelta(days=workspace.config.replies.retention_days), now)
