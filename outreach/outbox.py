"""The outbox's transition table: the only way a post changes state.

Every change of a post's state is a named :class:`Operation`. The table below lists, for each
operation, the states it may start from, the state it leads to, and the columns it may set. The
store refuses anything else with :class:`~outreach.errors.StateConflict`, so the publisher, the
planner and the operator's commands (CLI or web page) all speak the same few verbs, and a
command's allowed start states are read from here rather than repeated where it is defined.

Creating a post is not a transition: the planner inserts it as ``planned`` (or ``failed`` when it
cannot be rendered, so nothing is dropped silently), and an operator may add an announcement
(``planned``); every later change is one of these rows.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from .model import PostState

P = PostState


class Operation(str, enum.Enum):
    """A named change of a post's state; the value is what events and logs record."""

    CLAIM = "claim"  # the publisher takes a due post; committed before any network call
    PUBLISHED = "published"  # the platform took it
    HAND_OFF = "hand_off"  # a hand-off channel (WhatsApp) gave it to staff to send
    DEFER = "defer"  # a transient failure: try again later
    HOLD = "hold"  # the channel cannot post now: the post waits, its attempt not counted
    FAIL = "fail"  # the platform refused it, or retries ran out: a person must look
    UNKNOWN = "unknown"  # it may or may not have gone out: reconcile or ask a person
    SKIP = "skip"  # not sent on purpose (the campaign blocks plain-language errors)
    MISS = "miss"  # overdue beyond the catch-up window
    WITHDRAW = "withdraw"  # the planner no longer wants it (approval withdrawn, campaign changed)
    REVIVE = "revive"  # the planner wants a withdrawn or skipped post again
    REFRESH = "refresh"  # the planner re-rendered a planned post's text (the innovation changed)
    RESCHEDULE = "reschedule"  # make a planned post due at another time (rehearsals, tests)
    EDIT = "edit"  # an operator changes a planned post's text; re-planning keeps the edit
    CANCEL = "cancel"  # an operator cancels it; re-planning leaves its slot empty
    RETRY = "retry"  # an operator plans a failed, unknown or missed post again, due now
    RESOLVE_PUBLISHED = "resolve_published"  # an operator saw it on the platform
    RESOLVE_UNPUBLISHED = "resolve_unpublished"  # an operator saw it did not go out
    CONFIRM = "confirm"  # staff confirm they sent a handed-off post
    RESTORE_PUBLISHED = "restore_published"  # after a restore, a look-up found it published
    RESTORE_UNKNOWN = "restore_unknown"  # after a restore, a due post may have gone out: ask a person


@dataclass(frozen=True)
class Row:
    """One line of the table: ``operation`` moves a post from any of ``sources`` to ``target``."""

    operation: Operation
    sources: frozenset[PostState]
    target: PostState
    fields: frozenset[str] = frozenset()


_PUBLISHED_FIELDS = frozenset({"remote_id", "remote_url", "published_at"})
_CONTENT_FIELDS = frozenset({"text", "link", "image", "alt_text", "content_hash"})


def _row(operation: Operation, sources: Iterable[PostState], target: PostState, fields: Iterable[str] = ()) -> Row:
    return Row(operation, frozenset(sources), target, frozenset(fields))


#: The complete table. Read it as: OPERATION: from-states → to-state (columns it may set).
TABLE: tuple[Row, ...] = (
    _row(Operation.CLAIM, [P.PLANNED], P.PUBLISHING, ["attempts"]),
    _row(Operation.PUBLISHED, [P.PUBLISHING], P.PUBLISHED, _PUBLISHED_FIELDS),
    _row(Operation.HAND_OFF, [P.PUBLISHING], P.HANDED_OFF, ["remote_id", "remote_url"]),
    _row(Operation.DEFER, [P.PUBLISHING], P.PLANNED, ["due_at"]),
    _row(Operation.HOLD, [P.PUBLISHING], P.PLANNED, ["attempts"]),
    _row(Operation.FAIL, [P.PUBLISHING], P.FAILED),
    _row(Operation.UNKNOWN, [P.PUBLISHING], P.UNKNOWN),
    _row(Operation.SKIP, [P.PUBLISHING], P.SKIPPED),
    _row(Operation.MISS, [P.PLANNED], P.MISSED),
    _row(Operation.WITHDRAW, [P.PLANNED], P.CANCELLED),
    _row(Operation.REVIVE, [P.CANCELLED, P.SKIPPED], P.PLANNED, {"due_at", "attempts", *_CONTENT_FIELDS}),
    _row(Operation.REFRESH, [P.PLANNED], P.PLANNED, _CONTENT_FIELDS),
    _row(Operation.RESCHEDULE, [P.PLANNED], P.PLANNED, ["due_at"]),
    _row(Operation.EDIT, [P.PLANNED], P.PLANNED, ["text"]),
    _row(Operation.CANCEL, [P.PLANNED, P.FAILED, P.MISSED], P.CANCELLED),
    _row(Operation.RETRY, [P.FAILED, P.UNKNOWN, P.MISSED], P.PLANNED, ["due_at", "attempts"]),
    _row(Operation.RESOLVE_PUBLISHED, [P.UNKNOWN], P.PUBLISHED, _PUBLISHED_FIELDS),
    _row(Operation.RESOLVE_UNPUBLISHED, [P.UNKNOWN], P.FAILED),
    _row(Operation.CONFIRM, [P.HANDED_OFF], P.PUBLISHED, _PUBLISHED_FIELDS),
    _row(Operation.RESTORE_PUBLISHED, [P.PLANNED], P.PUBLISHED, _PUBLISHED_FIELDS),
    _row(Operation.RESTORE_UNKNOWN, [P.PLANNED], P.UNKNOWN),
)

_BY_OPERATION: dict[Operation, Row] = {row.operation: row for row in TABLE}

#: The states a new post may be created in (by the planner, never by a transition).
CREATION_STATES: frozenset[PostState] = frozenset({P.PLANNED, P.FAILED})

#: An announcement (a one-off post an operator writes, outside the catalogue: a flood warning, a
#: changed opening hour) is stored with this reserved innovation id — never a catalogue id, which is
#: a slug of letters and digits — and this campaign and kind. The planner never withdraws one.
ANNOUNCEMENT_ID = "-"
ANNOUNCEMENT_CAMPAIGN = "-"
ANNOUNCEMENT_KIND = "pengumuman"


def row(operation: Operation) -> Row:
    """The table's line for ``operation``."""
    return _BY_OPERATION[operation]


def sources(operation: Operation) -> frozenset[PostState]:
    """The states ``operation`` may start from (what an operator command accepts)."""
    return _BY_OPERATION[operation].sources


def target(operation: Operation) -> PostState:
    return _BY_OPERATION[operation].target


def allows(operation: Operation, state: PostState) -> bool:
    return state in _BY_OPERATION[operation].sources


def unknown_fields(operation: Operation, names: Iterable[str]) -> list[str]:
    """Columns a caller tried to set that ``operation`` does not own (a programming error)."""
    return sorted(set(names) - _BY_OPERATION[operation].fields)


def reachable() -> frozenset[PostState]:
    """Every state a post can be in: where it is created, and where the table leads from there."""
    seen = set(CREATION_STATES)
    frontier = list(seen)
    while frontier:
        state = frontier.pop()
        for item in TABLE:
            if state in item.sources and item.target not in seen:
                seen.add(item.target)
                frontier.append(item.target)
    return frozenset(seen)
