"""Bluesky replies: the post's thread from the public AppView (no session), read over HTTP from the fake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from outreach.channels.base import Channel
from outreach.errors import PermanentError, RateLimited
from outreach.model import Post, ReplyStatus
from outreach.store import Store
from tests.channels.conftest import Checkpoints, make_channel, make_post
from tests.channels.engagement_helpers import published
from tests.channels.replies_helpers import HOSTILE, by_remote_id, collect, stored_post
from tests.fakeplatform.bluesky import APPVIEW, BlueskyFake
from tests.fakeplatform.server import FakeServer, Fault

THREAD = APPVIEW + r"/xrpc/app\.bsky\.feed\.getPostThread"


@pytest.fixture
def bluesky(server: FakeServer) -> BlueskyFake:
    return BlueskyFake(server)


def _publish(channel: Channel, **kwargs: Any) -> Post:
    outgoing = make_post(**kwargs)
    checkpoints = Checkpoints()
    return published(outgoing, channel.publish(outgoing, checkpoints), channel_state=checkpoints.state)


def _rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def test_replies_at_any_depth_with_their_parents_and_the_office_answers_known(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    post = _publish(channel)
    uri = post.remote_id or ""
    asked = bluesky.reply(uri, "Syaratnya apa aja min?")
    answer = bluesky.reply(asked, "Cukup bawa KK dan KTP lama.", bluesky.HANDLE)
    thanks = bluesky.reply(answer, "Makasih!")
    other = bluesky.reply(uri, "Buka Sabtu?", "tetangga.bsky.social")
    logins_before = len(bluesky.server.requests("POST", r"/xrpc/com\.atproto\.server\.createSession"))

    replies = channel.replies(post)

    assert [(r.remote_id, r.parent_id, r.author, r.text, r.from_office) for r in replies] == [
        (asked, uri, "warga.bsky.social", "Syaratnya apa aja min?", False),
        (answer, asked, bluesky.HANDLE, "Cukup bawa KK dan KTP lama.", True),
        (thanks, answer, "warga.bsky.social", "Makasih!", False),
        (other, uri, "tetangga.bsky.social", "Buka Sabtu?", False),
    ]
    assert replies[0].url == f"https://bsky.app/profile/warga.bsky.social/post/{_rkey(asked)}"
    assert replies[0].written_at.tzinfo is not None
    [request] = bluesky.server.requests("GET", THREAD)
    assert "Authorization" not in request.headers  # the public AppView: no session spent or renewed
    assert len(bluesky.server.requests("POST", r"/xrpc/com\.atproto\.server\.createSession")) == logins_before


def test_markup_in_a_reply_arrives_as_the_text_written(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    post = _publish(channel)
    bluesky.reply(post.remote_id or "", f"{HOSTILE}\nbaris dua")
    assert [reply.text for reply in channel.replies(post)] == [f"{HOSTILE}\nbaris dua"]


def test_a_branch_deeper_than_one_call_goes_is_asked_again_from_its_deepest_post(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky, reply_depth=2)
    post = _publish(channel)
    chain = [post.remote_id or ""]
    for level in range(5):
        chain.append(bluesky.reply(chain[-1], f"level {level}", ("warga.bsky.social", bluesky.HANDLE)[level % 2]))

    replies = channel.replies(post)

    assert [(reply.remote_id, reply.parent_id) for reply in replies] == list(zip(chain[1:], chain[:-1], strict=True))
    asked = [request.args["uri"] for request in bluesky.server.requests("GET", THREAD)]
    assert asked == [chain[0], chain[2], chain[4]]
    assert {request.args["depth"] for request in bluesky.server.requests("GET", THREAD)} == {"2"}


def test_taken_down_and_blocked_replies_are_left_out(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    post = _publish(channel)
    gone = bluesky.reply(post.remote_id or "", "ini akan diturunkan")
    bluesky.reply(gone, "balasan di bawahnya")
    blocker = bluesky.reply(post.remote_id or "", "saya memblokir kantor", "pemblokir.bsky.social")
    kept = bluesky.reply(post.remote_id or "", "pertanyaan biasa")
    bluesky.taken_down.add(gone)
    bluesky.blocking.add(blocker.removeprefix("at://").split("/", 1)[0])

    assert [reply.remote_id for reply in channel.replies(post)] == [kept]


def test_a_deleted_post_is_a_permanent_error_naming_it(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    post = _publish(channel)
    bluesky.delete_record(_rkey(post.remote_id or ""))
    with pytest.raises(PermanentError) as caught:
        channel.replies(post)
    assert str(caught.value) == (
        f"test: {post.remote_id} is not in Bluesky's public view any more (deleted or taken down), "
        "so its replies cannot be read"
    )


def test_rate_limit_gives_retry_after(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    post = _publish(channel)
    bluesky.server.inject(Fault("status", method="GET", path=THREAD, response=bluesky.rate_limit_response(42)))
    with pytest.raises(RateLimited) as caught:
        channel.replies(post)
    assert caught.value.retry_after == pytest.approx(42, abs=2)


def test_collected_into_the_store_the_office_answer_marks_the_citizen_reply_answered(
    store: Store, bluesky: BlueskyFake
) -> None:
    now = datetime.now(UTC)
    root = _publish(make_channel(bluesky))
    post_id = stored_post(store, "test", root.remote_id or "", now - timedelta(hours=3))
    asked = bluesky.reply(root.remote_id or "", "Brp biayanya?", created_at=now - timedelta(hours=2))
    other = bluesky.reply(root.remote_id or "", "Di mana?", "tetangga.bsky.social", created_at=now - timedelta(hours=2))
    bluesky.reply(asked, "Gratis.", bluesky.HANDLE, created_at=now - timedelta(minutes=90))

    summary = collect(store, now, lambda name: make_channel(bluesky, name))

    assert (summary.read, summary.failed) == (1, 0)
    kept = by_remote_id(store)
    assert kept[asked].status is ReplyStatus.ANSWERED
    assert kept[asked].response_time == timedelta(minutes=30)
    assert kept[asked].post_id == post_id
    assert kept[other].status is ReplyStatus.OPEN
