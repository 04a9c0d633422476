"""Queries for the web page's pages and decisions that must not read the whole outbox or catalogue.

A page answers in milliseconds and the server holds little memory only if each page reads what it shows:
the agencies' innovations for a filter, the posts a decision on one innovation can touch.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from ..model import Post
from .base import StoreBase
from .claims import post_of_row
from .schema import innovation_field, innovations, posts, to_text


class WebPagesStore(StoreBase):
    """Lean reads for the web page (``outreach.web.pages``)."""

    def innovation_ids_of(self, agency: str) -> list[str]:
        """The ids of ``agency``'s innovations (its name in any case): the replies inbox filtered by agency."""
        opd = innovation_field("opd")
        wanted = agency.casefold()
        with self.transaction() as connection:
            rows = connection.execute(select(innovations.c.id, opd).order_by(innovations.c.id))
            return [row[0] for row in rows if (row[1] or "").casefold() == wanted]

    def posts_for_planning(self, innovation_id: str, window_from: datetime, window_to: datetime) -> list[Post]:
        """What planning one innovation needs (``Planning.write_plan``'s ``only``): every post in
        ``[window_from, window_to)`` (the slots taken, each channel's day), every post of the innovation
        (where its series stands, when it last went out) and every post sharing a slot with one of its posts
        (a slot counts once in the rotation). In schedule order."""
        own_slots = select(posts.c.scheduled_at).where(posts.c.innovation_id == innovation_id)
        query = (
            select(posts)
            .where(
                or_(
                    (posts.c.scheduled_at >= to_text(window_from)) & (posts.c.scheduled_at < to_text(window_to)),
                    posts.c.innovation_id == innovation_id,
                    posts.c.scheduled_at.in_(own_slots),
                )
            )
            .order_by(posts.c.scheduled_at, posts.c.id)
        )
        with self.transaction() as connection:
            return [post_of_row(row) for row in connection.execute(query)]
