"""The replies inbox in a real SQLite store: kept once, decided by a person, answered from the thread, erased."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.errors import NotFound
from outreach.model import IncomingReply, ReplyStatus
from outreach.replies import answers_in
from outreach.store import Store
from tests.test_metrics import NOW, published


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every store test here runs on SQLite and on PostgreSQL (``any_store``)."""
    return any_store


def incoming(
    remote_id: str, text: str, minutes: int, parent: str | None = "m-1", office: bool = False
) -> IncomingReply:
    author = "dinas" if office else f"warga{remote_id}"
    return IncomingReply(
        remote_id, author, text, NOW + timedelta(minutes=minutes), f"https://x.test/{remote_id}", parent, office
    )


def test_a_reply_is_kept_once_per_channel_and_platform_id(store: Store) -> None:
    post = store.post(published(store, "mastodon", "m-1", NOW))
    first = store.add_replies(post, [(incoming("r1", "syaratnya apa?", 5), "question", False)], NOW)
    again = store.add_replies(
        post,
        [(incoming("r1", "syaratnya apa?", 5), "question", False), (incoming("r2", "mantap", 6), "thanks", False)],
        NOW,
    )
    assert [reply.remote_id for reply in first] == ["r1"]
    assert [reply.remote_id for reply in again] == ["r2"]
    kept = store.replies()
    assert [(reply.remote_id, reply.kind, reply.status, reply.innovation_id) for reply in kept] == [
        ("r1", "question", ReplyStatus.OPEN, "ktp-sehari-jadi"),
        ("r2", "thanks", ReplyStatus.OPEN, "ktp-sehari-jadi"),
    ]


def test_the_office_answer_in_the_thread_marks_the_citizen_reply_answered(store: Store) -> None:
    post = store.post(published(store, "mastodon", "m-1", NOW))
    found = [
        (incoming("r1", "buka hari Sabtu?", 5), "question", False),
        (incoming("r2", "brp biayanya?", 7), "question", False),
        (incoming("o1", "Buka, Sabtu 08.00-12.00.", 65, parent="r1", office=True), "other", False),
        (incoming("o2", "@wargar2 gratis.", 127, parent="m-1", office=True), "other", False),
    ]
    store.add_replies(post, found, NOW)
    thread = store.reply_threads([post.id])
    assert store.mark_answered(answers_in(thread, {post.id: post})) == 2
    answered = {reply.remote_id: reply for reply in store.replies()}
    assert answered["r1"].response_time == timedelta(hours=1)
    assert answered["r2"].response_time == timedelta(hours=2)
    assert store.replies(from_office=True)[0].remote_id == "o1"
    # found again next run: nothing changes, the earliest answer stays
    assert store.mark_answered(answers_in(store.reply_threads([post.id]), {post.id: post})) == 0


def test_a_person_decides_and_a_missing_reply_is_named(store: Store) -> None:
    post = store.post(published(store, "mastodon", "m-1", NOW))
    [reply] = store.add_replies(post, [(incoming("r1", "jalan rusak", 5), "complaint", False)], NOW)
    decided = store.decide_reply(reply.id, ReplyStatus.IGNORED, "Sari", NOW + timedelta(hours=1), "spam")
    assert (decided.status, decided.decided_by, decided.note, decided.answered_at) == (
        ReplyStatus.IGNORED,
        "Sari",
        "spam",
        None,
    )
    with pytest.raises(NotFound, match="replies list"):
        store.decide_reply(reply.id + 99, ReplyStatus.ANSWERED, "Sari", NOW)


def test_erasing_keeps_the_figures_but_not_the_person(store: Store) -> None:
    post = store.post(published(store, "mastodon", "m-1", NOW))
    store.add_replies(
        post,
        [
            (incoming("old", "tolong banjir", -60 * 24 * 200), "question", True),
            (incoming("new", "mantap", 5), "thanks", False),
        ],
        NOW,
    )
    assert store.erase_replies(NOW - timedelta(days=180), NOW) == 1
    old, new = store.replies()
    assert (old.author, old.text, old.url, old.kind, old.urgent, old.erased_at) == (
        None,
        None,
        None,
        "question",
        True,
        NOW,
    )
    assert (new.author, new.text) == ("warganew", "mantap")
    assert store.erase_replies(NOW - timedelta(days=180), NOW) == 0
