"""The outbox's hot path: claiming a due post, moving a post between states, and the events both write.

A burst moves thousands of posts a minute through these few statements. SQLAlchemy builds a Core statement
and works out its cache key on every call: about 0.15 ms of Python per statement, most of a SQLite claim's
time and a fifth of a worker's CPU in a PostgreSQL burst. A statement built once, with bound parameters,
has its key worked out once and its SQL compiled once per engine (0.04 ms a call, as much as the driver's own
SQL), and the same SQL text lets psycopg prepare it on the server. So the statements here are module
constants; what varies is a parameter.

Every change of state goes through ``apply_transition``, which checks the outbox table (``outreach.outbox``)
inside the transaction that reads the post: a move the table does not list, or from a state other than
the one the caller read, raises ``StateConflict`` and writes nothing. A claim (``claim``) is the one move
made without that read: it updates only a row its caller found ``planned`` and locked in the same transaction.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, Text, bindparam, exists, func, insert, literal, null, select, update

from .. import outbox
from ..errors import NotFound, StateConflict
from ..i18n import _
from ..model import Post, PostState
from ..outbox import Operation
from ..reasons import N_
from ..redaction import redact
from ..vocabulary import state_label
from .schema import from_text, moment_of, post_events, posts, settings, to_text

#: The reason a claim is recorded with (the attempt has begun).
CLAIMED = N_("claimed")

#: No post is due while the setting named ``unless`` (the kill switch) holds a value (JSON ``null``: cleared).
_UNLESS_SET = ~exists().where(settings.c.key == bindparam("unless"), settings.c.value != "null")


#: A channel's earliest ``planned`` post due by ``now``, unless the kill switch is set; locked on PostgreSQL (rows
#: another claim holds are skipped).
_DUE = (
    select(posts.c.id)
    .where(
        posts.c.state == PostState.PLANNED.value,
        posts.c.due_at <= bindparam("now"),
        posts.c.channel == bindparam("channel"),
        _UNLESS_SET,
    )
    .order_by(posts.c.due_at, posts.c.id)
    .limit(1)
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    update(posts)
    .where(posts.c.id == bindparam("post_id"), posts.c.state == PostState.PLANNED.value)
    .values(
        state=PostState.PUBLISHING.value,
        attempts=posts.c.attempts + 1,
        reason=redact(CLAIMED),
        updated_at=bindparam("stamp"),
        claimed_by=bindparam("worker"),
        lease_until=bindparam("until"),
    )
    .returning(*posts.c)
)
_STATE = (
    select(posts.c.state, posts.c.attempts, posts.c.claimed_by)
    .where(posts.c.id == bindparam("post_id"))
    .with_for_update()
)
#: The columns set are the parameters' keys besides the WHERE's (SQLAlchemy builds one SET per set of keys).
_UPDATE = update(posts).where(posts.c.id == bindparam("post_id"))
#: Compare and set: the move written only if the post is still in the state its caller read (and, for a claim
#: being settled, still its worker's), so the usual outcome costs no read first.
_UPDATE_IF = _UPDATE.where(posts.c.state == bindparam("expected")).returning(posts.c.attempts)
_UPDATE_IF_OWNED = _UPDATE_IF.where(posts.c.claimed_by == bindparam("owner"))
_EVENT = insert(post_events)
#: An event's columns in the order the one-statement forms below give their values.
_EVENT_COLUMNS = "post_id at from_state to_state attempt reason remote_id remote_url operation actor".split()


def _text(name: str) -> Any:
    """A text parameter: in a ``SELECT`` list PostgreSQL cannot tell a parameter's type from a column."""
    return bindparam(name, type_=Text)


#: PostgreSQL: the claim and its event in one statement (a data-modifying WITH), one round trip less a claim.
_CLAIMED = _CLAIM.cte("claimed")
_CLAIM_NOTED = select(_CLAIMED).add_cte(
    insert(post_events)
    .from_select(
        _EVENT_COLUMNS,
        select(
            _CLAIMED.c.id,
            _text("stamp"),
            literal(PostState.PLANNED.value, Text),
            literal(PostState.PUBLISHING.value, Text),
            _CLAIMED.c.attempts,
            literal(redact(CLAIMED), Text),
            null(),
            null(),
            literal(Operation.CLAIM.value, Text),
            null(),
        ),
    )
    .cte("claim_noted")
)


@cache
def _moved_noted(columns: frozenset[str], owned: bool) -> Select[Any]:
    """PostgreSQL: ``_UPDATE_IF`` (``_UPDATE_IF_OWNED``) setting ``columns``, and its event, in one statement."""
    moved = _UPDATE.where(posts.c.state == bindparam("expected"))
    if owned:
        moved = moved.where(posts.c.claimed_by == bindparam("owner"))
    written = moved.values({name: bindparam(name, type_=posts.c[name].type) for name in sorted(columns)})
    cte = written.returning(posts.c.id, posts.c.attempts).cte("moved")
    event_values = [_text(name) for name in ("updated_at", "expected", "state")]
    event_values += [cte.c.attempts, _text("reason"), _text("event_remote_id"), _text("event_remote_url")]
    event_values += [_text("operation"), _text("actor")]
    noted = insert(post_events).from_select(_EVENT_COLUMNS, select(cte.c.id, *event_values)).cte("moved_noted")
    return select(cte.c.attempts).add_cte(noted)


#: When a post was first claimed (its first event into ``publishing``); ``about`` reads it as a subquery.
FIRST_ATTEMPT = select(func.min(post_events.c.at)).where(
    post_events.c.post_id == bindparam("post_id"), post_events.c.to_state == PostState.PUBLISHING.value
)


def due_post(connection: Connection, stamp: str, channel: str, unless_set: str) -> int | None:
    """The earliest ``planned`` post of ``channel`` due by ``stamp``, locked for this transaction on PostgreSQL (rows
    another claim holds are skipped); None when none is, or while the setting ``unless_set`` (the kill switch) holds
    a value — read in the same statement, so every claim sees a pause."""
    found: int | None = connection.scalar(_DUE, {"now": stamp, "channel": channel, "unless": unless_set})
    return found


def claim(connection: Connection, post_id: int, stamp: str, worker: str, until: str) -> Post:
    """Move post ``post_id``, found ``planned`` and locked by ``due_post`` in this transaction, to
    ``publishing``: one attempt more, carrying its worker's lease; the post as claimed."""
    values = {"post_id": post_id, "stamp": stamp, "worker": worker, "until": until}
    if connection.dialect.name == "postgresql":
        return post_of_row(connection.execute(_CLAIM_NOTED, values).one())
    row = connection.execute(_CLAIM, values).one()
    planned, publishing = PostState.PLANNED, PostState.PUBLISHING
    record_event(connection, post_id, stamp, planned, publishing, row.attempts, CLAIMED, Operation.CLAIM, {})
    return post_of_row(row)


def first_attempt(connection: Connection, post_id: int) -> datetime | None:
    """When the post was first claimed (its first event into ``publishing``), None if never."""
    return from_text(connection.scalar(FIRST_ATTEMPT, {"post_id": post_id}))


def apply_transition(
    connection: Connection,
    post_id: int,
    operation: Operation,
    stamp: str,
    reason: str,
    *,
    expect: PostState | None = None,
    actor: str | None = None,
    owner: str | None = None,
    **values: Any,
) -> PostState:
    """Apply one row of the outbox table to a post inside the caller's transaction (``Store.transition``)."""
    stray = outbox.unknown_fields(operation, values)
    if stray:
        raise ValueError(f"{operation.value} does not set {', '.join(stray)}")
    target = outbox.target(operation)
    converted = {key: to_stamp(value) for key, value in values.items()}
    changes = {"post_id": post_id, "state": target.value, "reason": redact(reason), "updated_at": stamp, **converted}
    if expect is not None and outbox.allows(operation, expect):
        owned = owner is not None and expect is PostState.PUBLISHING
        compared = {**changes, "expected": expect.value, "owner": owner}
        if connection.dialect.name == "postgresql":  # the move and its event in one statement
            compared |= {"operation": operation.value, "actor": actor}
            compared |= {"event_remote_id": converted.get("remote_id"), "event_remote_url": converted.get("remote_url")}
            if connection.execute(_moved_noted(frozenset(changes) - {"post_id"}, owned), compared).first():
                return target
        else:
            written = connection.execute(_UPDATE_IF_OWNED if owned else _UPDATE_IF, compared).first()
            if written is not None:
                record_event(
                    connection, post_id, stamp, expect, target, written.attempts, reason, operation, converted, actor
                )
                return target
        # Not where the caller read it: the read below says why (gone, taken over, moved meanwhile).
    # FOR UPDATE: on PostgreSQL a second transition of this post waits here and then reads the state the
    # first one wrote (SQLite ignores it; BEGIN IMMEDIATE already serialises every transaction).
    row = connection.execute(_STATE, {"post_id": post_id}).first()
    if row is None:
        raise NotFound(missing(post_id))
    state = PostState(row.state)
    if owner is not None and state is PostState.PUBLISHING and row.claimed_by != owner:
        raise _taken_over(post_id, row.claimed_by, operation)
    if not outbox.allows(operation, state) or (expect is not None and state is not expect):
        allowed = ", ".join(state_label(source.value) for source in PostState if source in outbox.sources(operation))
        raise StateConflict(
            _("post {id} is {state}; this ({operation}) works only for: {allowed}").format(
                id=post_id, state=state_label(state.value), operation=operation.value, allowed=allowed
            ),
            post_id,
            state.value,
            operation.value,
        )
    connection.execute(_UPDATE, changes)
    attempt = converted.get("attempts", row.attempts)
    record_event(connection, post_id, stamp, state, target, attempt, reason, operation, converted, actor)
    return target


def record_event(
    connection: Connection,
    post_id: int,
    stamp: str,
    from_state: PostState | None,
    to_state: PostState,
    attempt: int,
    reason: str | None,
    operation: Operation | None,
    values: dict[str, Any],
    actor: str | None = None,
) -> None:
    """One row of a post's history: what moved it where, why, and who asked (when a person did)."""
    connection.execute(
        _EVENT,
        {
            "post_id": post_id,
            "at": stamp,
            "from_state": from_state.value if from_state else None,
            "to_state": to_state.value,
            "attempt": attempt,
            "reason": redact(reason) if reason else reason,
            "remote_id": values.get("remote_id"),
            "remote_url": values.get("remote_url"),
            "operation": operation.value if operation else None,
            "actor": actor,
        },
    )


def to_stamp(value: Any) -> Any:
    """A column's value as stored: a moment as its text, anything else as it is."""
    return to_text(value) if isinstance(value, datetime) else value


def missing(post_id: int) -> str:
    return _("no post with id {id}; see `outreach queue` or `outreach history` for the ids").format(id=post_id)


def _taken_over(post_id: int, worker: str, operation: Operation) -> StateConflict:
    """A stalled worker's outcome, once another worker claimed the post again after its lease ran out."""
    return StateConflict(
        _(
            "post {id}: another worker ({worker}) claimed it again after this worker's lease ran out; "
            "this worker's outcome is not recorded"
        ).format(id=post_id, worker=worker),
        post_id,
        PostState.PUBLISHING.value,
        operation.value,
    )


def post_of_row(row: Any) -> Post:
    """A ``posts`` row as the rest of outreach sees it."""
    return Post(
        id=row.id,
        key=row.key,
        campaign=row.campaign,
        channel=row.channel,
        innovation_id=row.innovation_id,
        kind=row.kind,
        scheduled_at=moment_of(row.scheduled_at),
        due_at=moment_of(row.due_at),
        state=PostState(row.state),
        attempts=row.attempts,
        text=row.text,
        link=row.link,
        image=row.image,
        alt_text=row.alt_text,
        content_hash=row.content_hash,
        remote_id=row.remote_id,
        remote_url=row.remote_url,
        published_at=from_text(row.published_at),
        reason=row.reason,
        channel_state=json.loads(row.channel_state or "{}"),
    )
