"""The outbox in the store: posts, their events, and the atomic claim of the next due one.

Every change of state goes through :func:`claims.apply_transition`, which checks the outbox table
(``outreach.outbox``) inside the transaction that reads the post: a move the table does not list,
or from a state other than the one the caller read, raises ``StateConflict`` and writes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, insert, select, update

from .. import outbox
from ..errors import NotFound, StateConflict
from ..i18n import _
from ..model import Post, PostEvent, PostState
from ..outbox import Operation
from ..reasons import N_
from ..redaction import redact
from .base import StoreBase, serialised
from .catalogue import About, about
from .claims import apply_transition, claim, due_post, missing, post_of_row, record_event
from .lanes import Lease, release, take_lane
from .schema import from_text, innovation_field, innovations, moment_of, post_events, posts, to_text

#: The reason a new post is recorded with: English in the store, shown translated (``reasons.shown``).
PLANNED = N_("planned")
#: Writing plans and announcements holds this lock on PostgreSQL: each reads which keys exist, then creates the rest.
POST_KEYS_LOCK = "posts:keys"
#: Keys per query when a plan looks up which of its posts exist (below SQLite's limit of bound parameters).
KEY_BATCH = 500


class PublishedPost(NamedTuple):
    """A published post as the evidence report shows it (``published_between``)."""

    id: int
    innovation_id: str
    channel: str
    published_at: datetime
    remote_url: str | None
    text: str


@dataclass(frozen=True)
class PostFilter:
    """Which posts the queue shows: any of ``states``, on ``channel``, about an innovation of agency ``opd``,
    scheduled in ``[scheduled_from, scheduled_to)``; None means any."""

    states: tuple[PostState, ...] | None = None
    channel: str | None = None
    opd: str | None = None
    scheduled_from: datetime | None = None
    scheduled_to: datetime | None = None


class QueueRow(NamedTuple):
    """A post as the queue lists it: with its innovation's name and agency (None: an announcement)."""

    post: Post
    innovation_name: str | None
    agency: str | None


class OutboxStore(StoreBase):
    """Queries over the outbox: planning posts, claiming due ones, and moving them between states."""

    def posts(
        self,
        states: Iterable[PostState] | None = None,
        scheduled_from: datetime | None = None,
        scheduled_to: datetime | None = None,
        ids: Iterable[int] | None = None,
        published_from: datetime | None = None,
    ) -> list[Post]:
        """Posts matching the filters, in schedule order."""
        query = select(posts).order_by(posts.c.scheduled_at, posts.c.id)
        if states is not None:
            query = query.where(posts.c.state.in_([state.value for state in states]))
        if scheduled_from is not None:
            query = query.where(posts.c.scheduled_at >= to_text(scheduled_from))
        if scheduled_to is not None:
            query = query.where(posts.c.scheduled_at < to_text(scheduled_to))
        if ids is not None:
            query = query.where(posts.c.id.in_(list(ids)))
        if published_from is not None:
            query = query.where(posts.c.published_at >= to_text(published_from))
        with self.transaction() as connection:
            return [post_of_row(row) for row in connection.execute(query)]

    def published_between(self, start: datetime, end: datetime) -> list[PublishedPost]:
        """Posts published in ``[start, end)`` by when they went out (a late catch-up counts on its real day),
        oldest first: a period's evidence, so only the columns it shows (a year is 10,000 rows), and only posts
        about an innovation (an operator's announcement is no innovation's evidence)."""
        query = (
            select(posts.c.id, posts.c.innovation_id, posts.c.channel, posts.c.published_at, posts.c.remote_url,
                   posts.c.text)
            .where(posts.c.state == PostState.PUBLISHED.value, posts.c.innovation_id.is_not(None))
            .where(posts.c.published_at >= to_text(start), posts.c.published_at < to_text(end))
            .order_by(posts.c.published_at, posts.c.id)
        )  # fmt: skip
        with self.transaction() as connection:
            return [
                PublishedPost(post_id, innovation_id, channel, moment_of(published_at), url, text or "")
                for post_id, innovation_id, channel, published_at, url, text in connection.execute(query)
            ]

    def changed_at(self, scheduled_from: datetime, scheduled_to: datetime) -> dict[int, datetime]:
        """When each post scheduled in the window last changed (its state, text or time): a calendar
        export numbers its events' revisions by it, so calendar programs take an update."""
        query = select(posts.c.id, posts.c.updated_at).where(
            posts.c.scheduled_at >= to_text(scheduled_from), posts.c.scheduled_at < to_text(scheduled_to)
        )
        with self.transaction() as connection:
            return {row.id: moment_of(row.updated_at) for row in connection.execute(query)}

    def post(self, post_id: int) -> Post:
        found = self.posts(ids=[post_id])
        if not found:
            raise NotFound(missing(post_id))
        return found[0]

    def events(self, post_id: int) -> list[PostEvent]:
        with self.transaction() as connection:
            return [
                PostEvent(
                    post_id=row.post_id,
                    at=moment_of(row.at),
                    from_state=row.from_state,
                    to_state=row.to_state,
                    attempt=row.attempt,
                    reason=row.reason,
                    remote_id=row.remote_id,
                    remote_url=row.remote_url,
                    operation=row.operation,
                    actor=row.actor,
                )
                for row in connection.execute(
                    select(post_events).where(post_events.c.post_id == post_id).order_by(post_events.c.id)
                )
            ]

    def counts_by_state(self) -> dict[str, int]:
        with self.transaction() as connection:
            return dict(
                Counter(
                    {
                        row.state: row.count
                        for row in connection.execute(
                            select(posts.c.state, func.count().label("count")).group_by(posts.c.state)
                        )
                    }
                )
            )

    def apply_plan(
        self,
        new_posts: Iterable[dict[str, Any]],
        withdrawals: Iterable[tuple[int, str]],
        now: datetime,
        refreshed: Iterable[tuple[int, dict[str, Any]]] = (),
    ) -> tuple[int, int]:
        """Write a plan in one transaction: create new posts, revive, refresh and withdraw through the table.

        A key that exists is revived when the table allows it (withdrawn or skipped: wanted again,
        e.g. re-approved), else left as it is. Refreshing and withdrawing apply only to posts
        still ``planned``: one someone claimed meanwhile is left alone. Returns (added or revived,
        withdrawn).
        """
        stamp = to_text(now)
        inserted = withdrawn = 0
        with self.transaction() as connection:
            serialised(connection, POST_KEYS_LOCK)
            new_posts = list(new_posts)
            existing = _existing_keys(connection, [values["key"] for values in new_posts])
            for values in new_posts:
                earlier = existing.get(values["key"])
                if earlier is None:
                    _create(connection, dict(values), stamp)
                    inserted += 1
                elif outbox.allows(Operation.REVIVE, PostState(earlier.state)):
                    content = {key: values[key] for key in _CONTENT if key in values}
                    apply_transition(
                        connection,
                        earlier.id,
                        Operation.REVIVE,
                        stamp,
                        "planned again",
                        due_at=values["scheduled_at"],
                        attempts=0,
                        **content,
                    )
                    inserted += 1
            for post_id, content in refreshed:
                _quietly(
                    connection, post_id, Operation.REFRESH, stamp, "text refreshed: the innovation changed", **content
                )
            announcements = set(connection.scalars(select(posts.c.id).where(_is_announcement())))
            for post_id, reason in withdrawals:
                if post_id not in announcements:  # an operator's announcement is never the planner's to withdraw
                    withdrawn += _quietly(connection, post_id, Operation.WITHDRAW, stamp, reason)
        return inserted, withdrawn

    def add_post(self, values: dict[str, Any], now: datetime, reason: str, actor: str) -> int:
        """Create a post an operator wrote (an announcement), ``planned``, with an event naming who; its id.

        Refused with ``StateConflict`` when a post with the same key exists: the same text on the
        same channel at the same time was already added.
        """
        stamp = to_text(now)
        with self.transaction() as connection:
            serialised(connection, POST_KEYS_LOCK)
            earlier = connection.scalar(select(posts.c.id).where(posts.c.key == values["key"]))
            if earlier is not None:
                raise StateConflict(
                    _(
                        "post {id} already has this text on this channel at this time; see `outreach post show {id}`"
                    ).format(id=earlier),
                    earlier,
                    "exists",
                    "add",
                )
            return _create(connection, {**values, "reason": reason}, stamp, actor)

    def edited_post_ids(self) -> set[int]:
        """Posts whose text an operator edited since it was last rendered: re-planning keeps their text."""
        changes = (Operation.EDIT.value, Operation.REFRESH.value, Operation.REVIVE.value)
        with self.transaction() as connection:
            last: dict[int, str] = {}
            for row in connection.execute(
                select(post_events.c.post_id, post_events.c.operation)
                .where(post_events.c.operation.in_(changes))
                .order_by(post_events.c.id)
            ):
                last[row.post_id] = row.operation
        return {post_id for post_id, operation in last.items() if operation == Operation.EDIT.value}

    def claim_to_publish(self, now: datetime, unless_set: str, channel: str, lease: Lease) -> tuple[Post, About] | None:
        """Atomically move ``channel``'s earliest due ``planned`` post to ``publishing``, count the attempt, and read
        what its adapter is shown (``about_post``): one transaction per post claimed.

        The claim is committed before this returns, so the network call that follows happens only for a post whose
        claim is durable. Nothing is claimed while the setting ``unless_set`` (the kill switch) holds a value —
        checked in the same transaction as the claim. Only while ``lease.worker`` holds the channel's lane, taken in
        the same transaction (free, its own, or past its lease) and given back in it when nothing is claimed: a lane
        costs its posts' claims and no transaction of its own. The post carries the lease: no other worker settles
        it while renewed.
        """
        with self.transaction() as connection:
            post = self._claim(connection, to_text(now), unless_set, channel, lease)
            return None if post is None else (post, about(connection, post))

    def _claim(self, connection: Connection, stamp: str, unless_set: str, channel: str, lease: Lease) -> Post | None:
        # The post is found (and locked) before the lane is taken: a lane's last claim finds nothing and
        # only gives the lane back. A claim skips posts locked and waits only for a lane; after an outcome
        # (``transition_and_claim``) it waits holding that post, so nothing may hold a lane while it waits for
        # a post (``LanesStore.renew`` takes lanes and claims in transactions of their own).
        found = due_post(connection, stamp, channel, unless_set)
        if found is None or not take_lane(connection, channel, lease, stamp):
            release(connection, channel, lease.worker)  # the lane's last claim (nothing due, paused, or lost)
            return None
        return claim(connection, found, stamp, lease.worker, to_text(lease.until))

    def next_due(self) -> datetime | None:
        """When the earliest planned post is due, for the daemon's alarm clock."""
        with self.transaction() as connection:
            return from_text(
                connection.scalar(select(func.min(posts.c.due_at)).where(posts.c.state == PostState.PLANNED.value))
            )

    def planned_due_times(self, after: datetime, until: datetime) -> list[datetime]:
        with self.transaction() as connection:
            values = connection.scalars(
                select(posts.c.due_at)
                .where(
                    posts.c.state == PostState.PLANNED.value,
                    posts.c.due_at > to_text(after),
                    posts.c.due_at <= to_text(until),
                )
                .distinct()
                .order_by(posts.c.due_at)
            )
            return [moment_of(value) for value in values]

    def save_channel_state(self, post_id: int, state: dict[str, Any]) -> None:
        """Durably merge adapter state (e.g. a Bluesky rkey) into the post, before the adapter goes on."""
        with self.transaction() as connection:
            query = select(posts.c.channel_state).where(posts.c.id == post_id).with_for_update()
            current = json.loads(connection.scalar(query) or "{}")
            current.update(state)
            connection.execute(
                update(posts).where(posts.c.id == post_id).values(channel_state=json.dumps(current, ensure_ascii=False))
            )

    def transition(
        self,
        post_id: int,
        operation: Operation,
        now: datetime,
        reason: str,
        *,
        expect: PostState | None = None,
        actor: str | None = None,
        owner: str | None = None,
        **values: Any,
    ) -> PostState:
        """Apply one row of the outbox table to a post, with a reason and the columns the row owns.

        ``expect`` is the state the caller read (compare and set); ``actor`` who asked, when a
        person did; ``owner`` the worker whose claim this settles: a ``publishing`` post another worker
        claimed again (this one's lease ran out while it stalled) is refused. Returns the new state;
        raises ``StateConflict`` (nothing written) when the table does not allow it, ``NotFound`` for
        an unknown post.
        """
        with self.transaction() as connection:
            return apply_transition(
                connection, post_id, operation, to_text(now), reason, expect=expect, actor=actor, owner=owner, **values
            )

    def transition_and_claim(
        self,
        post_id: int,
        operation: Operation,
        now: datetime,
        reason: str,
        *,
        expect: PostState,
        owner: str | None,
        unless_set: str,
        channel: str,
        lease: Lease,
        **values: Any,
    ) -> tuple[PostState, tuple[Post, About] | None]:
        """``transition``, then ``claim_to_publish`` on ``channel`` in the same transaction: a lane records a
        post's outcome and claims its next post with one commit (the outcome durable before anything else
        happens, the claim before its network call, as apart). Nothing is written if the transition is
        refused; None for the claim when nothing is due (or paused): the lane then went back in it."""
        stamp = to_text(now)
        with self.transaction() as connection:
            state = apply_transition(
                connection, post_id, operation, stamp, reason, expect=expect, owner=owner, **values
            )
            post = self._claim(connection, stamp, unless_set, channel, lease)
            return state, None if post is None else (post, about(connection, post))

    # ---- the office's web page: the queue in pages ------------------------------------------------

    def post_page(self, wanted: PostFilter, limit: int, offset: int = 0) -> list[QueueRow]:
        """One page of the posts ``wanted`` picks, in schedule order, each with its innovation's name and
        agency (one query: the page never loads every post to show fifty)."""
        query = (
            _filtered(
                select(posts, innovation_field("nama").label("nama"), innovation_field("opd").label("opd")).select_from(
                    posts.outerjoin(innovations, innovations.c.id == posts.c.innovation_id)
                ),
                wanted,
            )
            .order_by(posts.c.scheduled_at, posts.c.id)
            .limit(limit)
            .offset(offset)
        )
        with self.transaction() as connection:
            return [QueueRow(post_of_row(row), row.nama, row.opd) for row in connection.execute(query)]

    def post_count(self, wanted: PostFilter) -> int:
        """How many posts ``wanted`` picks (the queue's pages and the home page's counts)."""
        with self.transaction() as connection:
            return int(connection.scalar(_filtered(select(func.count()).select_from(posts), wanted)) or 0)

    # ---- web-perf: how far ahead posts are planned, without loading them ---------------------------

    def last_scheduled_at(self, scheduled_from: datetime, scheduled_to: datetime) -> datetime | None:
        """The latest scheduled time of a post in ``[scheduled_from, scheduled_to)``, None when there is none:
        how far ahead the calendar is planned, in one query instead of every post of the weeks ahead."""
        query = select(func.max(posts.c.scheduled_at)).where(
            posts.c.scheduled_at >= to_text(scheduled_from), posts.c.scheduled_at < to_text(scheduled_to)
        )
        with self.transaction() as connection:
            return from_text(connection.scalar(query))


#: The columns that carry a post's rendered content.
_CONTENT = ("text", "link", "image", "alt_text", "content_hash")


def _is_announcement() -> Any:
    return posts.c.innovation_id == outbox.ANNOUNCEMENT_ID


def _existing_keys(connection: Connection, keys: list[str]) -> dict[str, Any]:
    """The posts (key, id, state) of ``keys`` that exist, by key: a plan for one innovation reads its own few
    keys, not the whole outbox's (~0.6 s at 100,000 posts)."""
    found: dict[str, Any] = {}
    for start in range(0, len(keys), KEY_BATCH):
        query = select(posts.c.key, posts.c.id, posts.c.state).where(posts.c.key.in_(keys[start : start + KEY_BATCH]))
        found.update((row.key, row) for row in connection.execute(query))
    return found


def _create(connection: Connection, values: dict[str, Any], stamp: str, actor: str | None = None) -> int:
    """A new post, as the planner decided it (``planned``, or ``failed`` with the reason it cannot
    render) or as an operator wrote it; its id."""
    state = PostState(values.pop("state", PostState.PLANNED))
    if state not in outbox.CREATION_STATES:
        raise ValueError(f"a post cannot be created {state.value}")
    reason = values.pop("reason", PLANNED)
    created = connection.execute(
        insert(posts).values(
            **{
                **values,
                "scheduled_at": to_text(values["scheduled_at"]),
                "due_at": to_text(values["scheduled_at"]),
            },
            state=state.value,
            reason=redact(reason),
            attempts=0,
            channel_state="{}",
            created_at=stamp,
            updated_at=stamp,
        )
    ).inserted_primary_key
    assert created is not None  # an INSERT always has one
    post_id: int = created[0]
    record_event(connection, post_id, stamp, None, state, 0, reason, None, {}, actor)
    return post_id


def _quietly(
    connection: Connection, post_id: int, operation: Operation, stamp: str, reason: str, **values: Any
) -> bool:
    """Apply ``operation`` if the post is still where the table allows it; whether it was applied."""
    try:
        apply_transition(connection, post_id, operation, stamp, reason, **values)
    except (StateConflict, NotFound):
        return False
    return True


def _filtered(query: Any, wanted: PostFilter) -> Any:
    """``query`` over ``posts`` narrowed by ``wanted``; the agency through the innovations it names."""
    if wanted.states is not None:
        query = query.where(posts.c.state.in_([state.value for state in wanted.states]))
    if wanted.channel is not None:
        query = query.where(posts.c.channel == wanted.channel)
    if wanted.opd is not None:  # the lowered name finds the agency's innovations in ``innovations_agency``
        opd = innovation_field("opd")
        own = select(innovations.c.id).where(func.lower(opd) == func.lower(wanted.opd), opd == wanted.opd)
        query = query.where(posts.c.innovation_id.in_(own))
    if wanted.scheduled_from is not None:
        query = query.where(posts.c.scheduled_at >= to_text(wanted.scheduled_from))
    if wanted.scheduled_to is not None:
        query = query.where(posts.c.scheduled_at < to_text(wanted.scheduled_to))
    return query
