"""What the adapters that read engagement share: the post's id there, and its figures by our names.

Each platform names its counts its own way (Mastodon's ``favourites_count``, Bluesky's ``likeCount``,
X's ``like_count``); ``figures`` maps them to ``model.METRIC_NAMES`` and keeps only real counts, so a
figure a platform did not give stays absent instead of becoming 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ContentRejected
from ..i18n import _
from ..model import Post
from .base import Engagement


def published_id(channel: str, post: Post) -> str:
    """The platform's id of a published post; ``ContentRejected`` when the store has none for it."""
    if not post.remote_id:
        raise ContentRejected(
            _("{name}: post {id} has no id on the platform, so its figures cannot be read").format(
                name=channel, id=post.id
            )
        )
    return post.remote_id


def figures(source: Any, names: Mapping[str, str]) -> Engagement:
    """The counts in ``source`` under the platform's keys (``names``: its key -> our figure name).

    A key that is missing, or holds anything but a whole number of at least 0, gives no figure.
    """
    if not isinstance(source, dict):
        return Engagement({})
    counts = {}
    for key, name in names.items():
        value = source.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            counts[name] = value
    return Engagement(counts)
