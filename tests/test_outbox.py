"""The outbox table is the only way a post changes state: random operation sequences over a real store.

Hypothesis draws sequences of (post, operation) against a real store, on SQLite and on PostgreSQL (the
``store_url`` fixture). Whatever the order, a
post is only ever in a state the table can reach, an allowed operation lands exactly on the
table's target with exactly one event, and a refused one (``StateConflict``) changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach import outbox
from outreach.errors import NotFound, StateConflict
from outreach.model import PostState
from outreach.outbox import Operation
from outreach.store import Store

START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"

#: The values an operation brings, as its real caller would give them.
VALUES: dict[Operation, dict[str, object]] = {
    Operation.CLAIM: {},
    Operation.PUBLISHED: {"remote_id": "1", "remote_url": "https://example.test/1", "published_at": START},
    Operation.HAND_OFF: {"remote_id": "wa-1"},
    Operation.DEFER: {"due_at": START + timedelta(minutes=5)},
    Operation.REVIVE: {"due_at": START, "attempts": 0, "text": "Teks baru."},
    Operation.REFRESH: {"text": "Teks yang diperbarui."},
    Operation.RESCHEDULE: {"due_at": START + timedelta(hours=1)},
    Operation.RETRY: {"due_at": START, "attempts": 0},
    Operation.RESOLVE_PUBLISHED: {"remote_url": "https://example.test/2", "published_at": START},
    Operation.CONFIRM: {"remote_url": None, "published_at": START},
    Operation.RESTORE_PUBLISHED: {"remote_id": "3", "published_at": START},
}


def _new_store(url: str, posts: int) -> Store:
    store = Store(url, START - timedelta(days=1))
    _add_posts(store, posts)
    return store


def _add_posts(store: Store, posts: int) -> list[int]:
    """``posts`` new planned posts of their own (a fresh key each time); their ids."""
    batch = uuid.uuid4().hex[:8]
    rows = [
        {
            "key": f"kampanye|kanal|inovasi-{index}|kenalan|2026-12-0{index + 1}|{batch}",
            "campaign": "kampanye",
            "channel": "kanal",
            "innovation_id": f"inovasi-{index}",
            "kind": "kenalan",
            "scheduled_at": START + timedelta(days=index),
            "content_hash": "h",
            "text": "Teks.",
            "link": None,
            "image": None,
            "alt_text": None,
        }
        for index in range(posts)
    ]
    store.apply_plan(rows, [], START)
    return [post.id for post in store.posts() if post.key.endswith(batch)]


def _snapshot(store: Store, post_id: int) -> tuple[object, int]:
    return store.post(post_id), len(store.events(post_id))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(list(Operation))), max_size=40))
def test_no_sequence_leaves_the_table(store_url: str, steps: list) -> None:
    """Each example works on three new posts of one store per engine (a database per example would cost
    60 PostgreSQL databases)."""
    store = Store(store_url, START - timedelta(days=1))
    ids = _add_posts(store, 3)
    reachable = outbox.reachable()
    try:
        for index, operation in steps:
            post_id = ids[index]
            before, events_before = _snapshot(store, post_id)
            try:
                after = store.transition(
                    post_id, operation, START, f"test: {operation.value}", **VALUES.get(operation, {})
                )
            except StateConflict as conflict:
                assert not outbox.allows(operation, before.state)
                assert conflict.state == before.state.value and conflict.operation == operation.value
                assert _snapshot(store, post_id) == (before, events_before), "a refused operation changed the post"
                continue
            assert outbox.allows(operation, before.state), f"{operation} was allowed from {before.state}"
            assert after is outbox.target(operation)
            assert store.post(post_id).state is after
            events = store.events(post_id)
            assert len(events) == events_before + 1, "one transition, one event"
            last = events[-1]
            assert (last.from_state, last.operation, last.to_state) == (
                before.state.value,
                operation.value,
                after.value,
            )
        for post_id in ids:
            assert store.post(post_id).state in reachable
            for event in store.events(post_id):
                if event.operation is None:  # the post's creation
                    assert event.from_state is None and PostState(event.to_state) in outbox.CREATION_STATES
                    continue
                row = outbox.row(Operation(event.operation))
                assert PostState(event.from_state) in row.sources and PostState(event.to_state) is row.target
    finally:
        store.close()


def test_a_refused_operation_names_the_state_and_what_it_needs(store_url: str) -> None:
    store = _new_store(store_url, 1)
    [post] = store.posts()
    with pytest.raises(StateConflict) as refused:
        store.transition(post.id, Operation.CONFIRM, START, "confirmed by staff", published_at=START)
    message = str(refused.value)
    assert f"post {post.id} is planned" in message and "handed_off" in message
    assert store.post(post.id).state is PostState.PLANNED
    store.close()


def test_a_stale_expectation_is_refused_even_where_the_table_allows(store_url: str) -> None:
    """Compare and set: a caller that read the post as ``publishing`` does not move a post since settled."""
    store = _new_store(store_url, 1)
    [post] = store.posts()
    with pytest.raises(StateConflict):
        store.transition(post.id, Operation.WITHDRAW, START, "planner: no longer approved", expect=PostState.PUBLISHING)
    assert store.post(post.id).state is PostState.PLANNED
    store.close()


def test_columns_an_operation_does_not_own_are_a_programming_error(store_url: str) -> None:
    store = _new_store(store_url, 1)
    [post] = store.posts()
    with pytest.raises(ValueError, match="remote_url"):
        store.transition(post.id, Operation.MISS, START, "missed", remote_url="https://example.test")
    assert store.post(post.id).state is PostState.PLANNED
    store.close()


def test_an_unknown_post_is_not_found(store_url: str) -> None:
    store = _new_store(store_url, 1)
    with pytest.raises(NotFound, match="no post with id 999"):
        store.transition(999, Operation.CANCEL, START, "cancelled by an operator: test")
    with pytest.raises(NotFound):
        store.post(999)
    store.close()


def test_the_operator_records_who_acted(store_url: str) -> None:
    store = _new_store(store_url, 1)
    [post] = store.posts()
    store.transition(post.id, Operation.CANCEL, START, "cancelled by an operator: acara ditunda", actor="siti")
    assert store.events(post.id)[-1].actor == "siti"
    store.close()


def test_the_docs_draw_every_row_of_the_table() -> None:
    """docs/architecture.md has the table as a Markdown table: one line per operation, same states."""
    drawn = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] in {operation.value for operation in Operation}:
            drawn[cells[0]] = (frozenset(part.strip().strip("`") for part in cells[1].split(",")), cells[2])
    expected = {
        row.operation.value: (frozenset(state.value for state in row.sources), row.target.value) for row in outbox.TABLE
    }
    assert drawn == expected
