"""A published post as the store hands it to ``Channel.engagement``, for the engagement tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from outreach.channels.base import OutgoingPost, PublishResult
from outreach.model import Post, PostState


def published(
    outgoing: OutgoingPost,
    result: PublishResult,
    *,
    channel: str = "test",
    published_at: datetime | None = None,
    channel_state: dict[str, Any] | None = None,
) -> Post:
    """The stored post after ``result`` came back from publishing ``outgoing`` (now, unless said)."""
    return Post(
        id=outgoing.id,
        key=outgoing.key,
        campaign=outgoing.campaign,
        channel=channel,
        innovation_id=str(outgoing.innovation["id"]),
        kind=outgoing.kind,
        scheduled_at=outgoing.scheduled_at,
        due_at=outgoing.scheduled_at,
        state=PostState.PUBLISHED,
        attempts=1,
        text=outgoing.text,
        link=outgoing.link,
        image=None,
        alt_text=None,
        content_hash=None,
        remote_id=result.remote_id,
        remote_url=result.url,
        published_at=published_at or datetime.now(UTC),
        reason=None,
        channel_state=channel_state if channel_state is not None else dict(outgoing.channel_state),
    )
