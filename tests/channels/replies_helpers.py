"""What the replies tests of the three per-post platforms share: a collection into a real store, as the daemon runs it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from outreach.channels.base import Channel
from outreach.clock import FixedClock
from outreach.model import PostState, Reply
from outreach.replies import ReplyCollector
from outreach.reply_rules import load_rules
from outreach.store import Store
from outreach.sweep import CollectionSummary
from tests.engine_helpers import settle_as

#: Markup a citizen typed, and the characters HTML escapes: it must arrive as this very text.
HOSTILE = '<script>alert("x")</script> & <b>tebal</b> 1 < 2'


def stored_post(store: Store, channel: str, remote_id: str, when: datetime, remote_url: str | None = None) -> int:
    """A post published on ``channel`` at ``when`` as ``remote_id``, in the outbox as the publisher leaves it."""
    values = {
        "key": f"kenali/{channel}/{remote_id}",
        "campaign": "kenali",
        "channel": channel,
        "innovation_id": "ktp-sehari-jadi",
        "kind": "perkenalan",
        "scheduled_at": when,
        "text": "KTP bisa jadi dalam sehari.",
        "link": None,
    }
    post_id = store.add_post(values, when - timedelta(days=1), "planned", "test")
    settle_as(
        store, post_id, PostState.PUBLISHED, when, "done", remote_id=remote_id, remote_url=remote_url, published_at=when
    )
    return post_id


def collect(
    store: Store, now: datetime, adapter_for: Callable[[str], Channel], channel: str = "test"
) -> CollectionSummary:
    """One collection of the last 7 days' replies on ``channel``, through the collector the daemon uses."""
    collector = ReplyCollector(store, FixedClock(now), {channel: None}, adapter_for, load_rules(None), lanes=2)
    return collector.collect(7)


def by_remote_id(store: Store) -> dict[str, Reply]:
    """Every kept reply, the office's own too, by its platform id."""
    return {reply.remote_id: reply for reply in store.replies(from_office=None)}
