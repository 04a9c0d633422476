"""Citizens' replies in the store: each kept once per channel and platform id, sorted, answered or set aside."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from ..errors import NotFound
from ..i18n import _
from ..model import IncomingReply, Post, Reply, ReplyStatus
from .base import StoreBase, serialised
from .schema import from_text, moment_of, replies, to_text

#: The setting where the last collection records when it ended and what it did (``outreach status``); kept
#: here, beside the replies, so the status (and the web page) read it without importing the collector and its
#: rules (the ``regex`` module, ~4 MB the server would keep for good).
REPLIES_COLLECTED_SETTING = "replies_collected"
#: Remote ids per ``IN (...)``, far below SQLite's limit on bound values.
_CHUNK = 5000
#: An answer dated before the reply it answers (clocks differ) counts as no wait, as ``Reply.response_time``.
_NO_WAIT = timedelta(0)


class RepliesStore(StoreBase):
    """The replies inbox: what adapters found under the office's posts, and what the office did about it."""

    def add_replies(self, post: Post, found: Sequence[tuple[IncomingReply, str, bool]], now: datetime) -> list[Reply]:
        """Keep the replies found under ``post`` with their sorting (kind, urgent); a reply kept before
        (same channel and platform id) is left as it is. Returns the replies new to the store."""
        if not found:
            return []
        with self.transaction() as connection:
            serialised(connection, "replies:" + post.channel)  # two collections of a channel keep each reply once
            known = set(_known_remote_ids(connection, post.channel, [reply.remote_id for reply, _k, _u in found]))
            rows = []
            for reply, kind, urgent in found:
                if reply.remote_id in known:
                    continue
                known.add(reply.remote_id)
                rows.append(
                    {
                        "post_id": post.id,
                        "channel": post.channel,
                        "innovation_id": post.innovation_id,
                        "remote_id": reply.remote_id,
                        "parent_id": reply.parent_id,
                        "author": reply.author,
                        "text": reply.text,
                        "url": reply.url,
                        "written_at": to_text(reply.written_at),
                        "from_office": int(reply.from_office),
                        "kind": kind,
                        "urgent": int(urgent),
                        "status": ReplyStatus.OPEN.value,
                        "collected_at": to_text(now),
                    }
                )
            if not rows:
                return []
            connection.execute(insert(replies), rows)
            new_ids = [row["remote_id"] for row in rows]
            query = select(replies).where(replies.c.channel == post.channel, replies.c.remote_id.in_(new_ids))
            return sorted((_reply(row) for row in connection.execute(query)), key=lambda reply: reply.id)

    def replies(
        self,
        *,
        statuses: Iterable[ReplyStatus] | None = None,
        kinds: Iterable[str] | None = None,
        innovation_ids: Iterable[str] | None = None,
        post_ids: Iterable[int] | None = None,
        urgent: bool | None = None,
        written_from: datetime | None = None,
        written_to: datetime | None = None,
        from_office: bool | None = False,
    ) -> list[Reply]:
        """Replies matching every filter given, oldest first. By default the citizens' only
        (``from_office=None``: the office's own answers too)."""
        query = select(replies).order_by(replies.c.written_at, replies.c.id)
        if statuses is not None:
            query = query.where(replies.c.status.in_([status.value for status in statuses]))
        if kinds is not None:
            query = query.where(replies.c.kind.in_(list(kinds)))
        if innovation_ids is not None:
            query = query.where(replies.c.innovation_id.in_(list(innovation_ids)))
        if post_ids is not None:
            query = query.where(replies.c.post_id.in_(list(post_ids)))
        if urgent is not None:
            query = query.where(replies.c.urgent == int(urgent))
        if written_from is not None:
            query = query.where(replies.c.written_at >= to_text(written_from))
        if written_to is not None:
            query = query.where(replies.c.written_at < to_text(written_to))
        if from_office is not None:
            query = query.where(replies.c.from_office == int(from_office))
        with self.transaction() as connection:
            return [_reply(row) for row in connection.execute(query)]

    def reply(self, reply_id: int) -> Reply:
        """One reply by its id; ``NotFound`` saying where the ids are listed."""
        with self.transaction() as connection:
            row = connection.execute(select(replies).where(replies.c.id == reply_id)).first()
        if row is None:
            raise NotFound(_("reply {id}: no such reply; `outreach replies list` shows the ids").format(id=reply_id))
        return _reply(row)

    def decide_reply(self, reply_id: int, status: ReplyStatus, by: str, at: datetime, note: str | None = None) -> Reply:
        """A person marks a reply answered (now) or ignored; deciding again replaces the earlier decision."""
        if status is ReplyStatus.OPEN:
            raise ValueError("a reply is opened only by being found")
        values: dict[str, Any] = {"status": status.value, "decided_by": by, "note": note}
        values["answered_at"] = to_text(at) if status is ReplyStatus.ANSWERED else None
        with self.transaction() as connection:
            done = connection.execute(update(replies).where(replies.c.id == reply_id).values(**values))
        if done.rowcount == 0:
            self.reply(reply_id)  # raises NotFound
        return self.reply(reply_id)

    def mark_answered(self, answers: Iterable[tuple[int, datetime]]) -> int:
        """Record the office's answers found on the platform: (reply id, when it answered). Only open
        replies change; the earliest answer is kept. Returns how many replies became answered."""
        changed = 0
        with self.transaction() as connection:
            for reply_id, at in answers:
                done = connection.execute(
                    update(replies)
                    .where(replies.c.id == reply_id, replies.c.status == ReplyStatus.OPEN.value)
                    .values(status=ReplyStatus.ANSWERED.value, answered_at=to_text(at))
                )
                changed += done.rowcount
        return changed

    def erase_replies(self, written_before: datetime, now: datetime) -> int:
        """Erase the author, text and link of every reply written before ``written_before`` (personal
        data past its retention period); kind, times and status stay for the figures. Returns how many."""
        with self.transaction() as connection:
            done = connection.execute(
                update(replies)
                .where(
                    replies.c.written_at < to_text(written_before),
                    replies.c.erased_at.is_(None),
                )
                .values(author=None, text=None, url=None, erased_at=to_text(now))
            )
        return done.rowcount

    def reply_threads(self, post_ids: Iterable[int]) -> list[Reply]:
        """Every kept reply under these posts, the office's own answers included, oldest first."""
        wanted = sorted(set(post_ids))
        found: list[Reply] = []
        with self.transaction() as connection:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                query = select(replies).where(replies.c.post_id.in_(chunk))
                found.extend(_reply(row) for row in connection.execute(query))
        found.sort(key=lambda reply: (reply.written_at, reply.id))
        return found

    def open_reply_counts(self) -> dict[tuple[str, bool], int]:
        """Citizens' replies still open, counted by (kind, urgent): what waits for the office (``status``)."""
        query = (
            select(replies.c.kind, replies.c.urgent, func.count())
            .where(replies.c.status == ReplyStatus.OPEN.value, replies.c.from_office == 0)
            .group_by(replies.c.kind, replies.c.urgent)
        )
        with self.transaction() as connection:
            return {(kind, bool(urgent)): count for kind, urgent, count in connection.execute(query)}

    def reply_outcomes(self, written_from: datetime, written_to: datetime) -> list[tuple[str, str, timedelta | None]]:
        """(innovation id, status, how long the citizen waited for the answer, or None) of every citizen reply
        written in the period: one query for the report's responsiveness figures; only answered replies'
        times are parsed (the same wait as ``Reply.response_time``)."""
        answered = ReplyStatus.ANSWERED.value
        query = select(replies.c.innovation_id, replies.c.status, replies.c.written_at, replies.c.answered_at).where(
            replies.c.from_office == 0,
            replies.c.written_at >= to_text(written_from),
            replies.c.written_at < to_text(written_to),
        )
        with self.transaction() as connection:
            rows = connection.execute(query).all()
        return [
            (
                innovation_id,
                status,
                max(moment_of(answered_at) - moment_of(written), _NO_WAIT)
                if status == answered and answered_at
                else None,
            )
            for innovation_id, status, written, answered_at in rows
        ]

    # ---- the web page's inbox (issue #16) --------------------------------------------------------

    def reply_page(
        self,
        *,
        statuses: Iterable[ReplyStatus] | None = None,
        kinds: Iterable[str] | None = None,
        innovation_ids: Iterable[str] | None = None,
        urgent: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Reply], int]:
        """One page of citizens' replies matching every filter given, newest first, and how many match in all:
        the inbox pages in SQL (LIMIT/OFFSET), so a long backlog costs one page, not every reply."""
        conditions: list[Any] = [replies.c.from_office == 0]
        if statuses is not None:
            conditions.append(replies.c.status.in_([status.value for status in statuses]))
        if kinds is not None:
            conditions.append(replies.c.kind.in_(list(kinds)))
        if innovation_ids is not None:
            conditions.append(replies.c.innovation_id.in_(list(innovation_ids)))
        if urgent is not None:
            conditions.append(replies.c.urgent == int(urgent))
        query = (
            select(replies)
            .where(*conditions)
            .order_by(replies.c.written_at.desc(), replies.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.transaction() as connection:
            total = connection.scalar(select(func.count()).select_from(replies).where(*conditions)) or 0
            return [_reply(row) for row in connection.execute(query)], int(total)


def _known_remote_ids(connection: Any, channel: str, remote_ids: list[str]) -> list[str]:
    known: list[str] = []
    for start in range(0, len(remote_ids), _CHUNK):
        chunk = remote_ids[start : start + _CHUNK]
        query = select(replies.c.remote_id).where(replies.c.channel == channel, replies.c.remote_id.in_(chunk))
        known.extend(connection.scalars(query))
    return known


def _reply(row: Any) -> Reply:
    return Reply(
        id=row.id,
        post_id=row.post_id,
        channel=row.channel,
        innovation_id=row.innovation_id,
        remote_id=row.remote_id,
        parent_id=row.parent_id,
        author=row.author,
        text=row.text,
        written_at=moment_of(row.written_at),
        url=row.url,
        from_office=bool(row.from_office),
        kind=row.kind,
        urgent=bool(row.urgent),
        status=ReplyStatus(row.status),
        collected_at=moment_of(row.collected_at),
        answered_at=from_text(row.answered_at),
        decided_by=row.decided_by,
        note=row.note,
        erased_at=from_text(row.erased_at),
    )
