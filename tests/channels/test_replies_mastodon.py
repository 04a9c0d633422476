"""Mastodon replies: the status's descendants from its context, read over HTTP from the fake instance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from outreach.channels.base import Channel
from outreach.errors import ChannelHeld, PermanentError, RateLimited
from outreach.model import Post, ReplyStatus
from outreach.store import Store
from tests.channels.conftest import Checkpoints, make_channel, make_post
from tests.channels.engagement_helpers import published
from tests.channels.replies_helpers import HOSTILE, by_remote_id, collect, stored_post
from tests.fakeplatform.mastodon import CONTEXT_LIMIT_PUBLIC, MastodonFake
from tests.fakeplatform.server import FakeServer, Fault

CONTEXT = r"/api/v1/statuses/\d+/context"


@pytest.fixture
def mastodon(server: FakeServer) -> MastodonFake:
    return MastodonFake(server)


def _publish(channel: Channel, **kwargs: Any) -> Post:
    outgoing = make_post(**kwargs)
    return published(outgoing, channel.publish(outgoing, Checkpoints()))


def test_replies_at_any_depth_with_what_they_answer_and_the_office_answers_known(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    status_id = post.remote_id or ""
    asked = mastodon.reply(status_id, "Syaratnya apa saja?", "warga@mastodon.social")
    answer = mastodon.reply(asked["id"], "@warga@mastodon.social Cukup bawa KK.", mastodon.USERNAME)
    thanks = mastodon.reply(answer["id"], "Terima kasih!", "warga@mastodon.social")
    local = mastodon.reply(status_id, "Buka hari Sabtu?", "tetangga")

    replies = channel.replies(post)

    assert [(r.remote_id, r.parent_id, r.author, r.text, r.from_office) for r in replies] == [
        (asked["id"], status_id, "@warga@mastodon.social", "Syaratnya apa saja?", False),
        (answer["id"], asked["id"], "@kominfo_bdl@127.0.0.1", "@warga@mastodon.social Cukup bawa KK.", True),
        (thanks["id"], answer["id"], "@warga@mastodon.social", "Terima kasih!", False),
        (local["id"], status_id, "@tetangga@127.0.0.1", "Buka hari Sabtu?", False),
    ]
    assert replies[0].url == f"https://mastodon.social/@warga/{asked['id']}"
    assert replies[0].written_at == datetime.fromisoformat(asked["created_at"])
    assert replies[0].written_at.tzinfo is not None
    [request] = mastodon.server.requests("GET", CONTEXT)
    assert request.headers["Authorization"] == f"Bearer {mastodon.TOKEN}"


def test_markup_a_citizen_typed_arrives_as_the_text_they_typed(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    mastodon.reply(post.remote_id or "", f"{HOSTILE}\nbaris dua\n\nparagraf https://contoh.go.id/a/very/long/path/x")

    [reply] = channel.replies(post)

    assert "&lt;script&gt;" in mastodon.statuses[-1]["content"]  # the instance escaped it in its HTML
    assert reply.text == f"{HOSTILE}\nbaris dua\n\nparagraf https://contoh.go.id/a/very/long/path/x"


def test_only_public_and_unlisted_replies_are_kept(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    kept = [mastodon.reply(post.remote_id or "", "publik", visibility=v)["id"] for v in ("public", "unlisted")]
    mastodon.reply(post.remote_id or "", "hanya pengikut", visibility="private")
    mastodon.reply(post.remote_id or "", "pesan langsung", visibility="direct")

    assert [reply.remote_id for reply in channel.replies(post)] == kept


def test_the_token_gets_every_descendant_not_just_the_public_sixty(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    for number in range(CONTEXT_LIMIT_PUBLIC + 15):
        mastodon.reply(post.remote_id or "", f"balasan {number}", f"warga{number}@mastodon.social")
    assert len(channel.replies(post)) == CONTEXT_LIMIT_PUBLIC + 15


def test_the_account_is_asked_once_per_adapter(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    first, second = _publish(channel), _publish(channel, post_id=2, text="Layanan KTP-el keliling hadir.")
    mastodon.reply(second.remote_id or "", "mantap", mastodon.USERNAME)
    channel.replies(first)
    assert channel.replies(second)[0].from_office
    assert len(mastodon.server.requests("GET", r"/api/v1/accounts/verify_credentials")) == 1


def test_a_deleted_status_is_a_permanent_error_naming_it(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    mastodon.delete_status(post.remote_id or "")
    with pytest.raises(PermanentError) as caught:
        channel.replies(post)
    assert str(caught.value) == (
        f"test: status {post.remote_id} is no longer on the instance (deleted?), so its replies cannot be read"
    )
    assert "HTTP 404: Record not found" in str(caught.value.__cause__)


def test_a_token_without_the_read_scope_holds_the_channel(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    mastodon.scopes = frozenset({"write"})
    with pytest.raises(ChannelHeld, match="outside the authorized scopes"):
        channel.replies(post)


def test_rate_limit_gives_retry_after_from_the_iso_reset(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    mastodon.server.inject(Fault("status", method="GET", path=CONTEXT, response=mastodon.rate_limit_response(90)))
    with pytest.raises(RateLimited) as caught:
        channel.replies(post)
    assert caught.value.retry_after == pytest.approx(90, abs=2)


def test_collected_into_the_store_the_office_answer_marks_the_citizen_reply_answered(
    store: Store, mastodon: MastodonFake
) -> None:
    now = datetime.now(UTC)
    root = _publish(make_channel(mastodon))
    post_id = stored_post(store, "test", root.remote_id or "", now - timedelta(hours=3))
    asked = mastodon.reply(root.remote_id or "", "Brp biayanya?", created_at=now - timedelta(hours=2))
    other = mastodon.reply(root.remote_id or "", "Di mana tempatnya?", "tetangga", created_at=now - timedelta(hours=2))
    mastodon.reply(
        asked["id"], "@warga@mastodon.social Gratis.", mastodon.USERNAME, created_at=now - timedelta(hours=1)
    )

    summary = collect(store, now, lambda name: make_channel(mastodon, name))

    assert (summary.read, summary.failed) == (1, 0)
    kept = by_remote_id(store)
    assert kept[asked["id"]].status is ReplyStatus.ANSWERED
    assert kept[asked["id"]].response_time == timedelta(hours=1)
    assert kept[asked["id"]].post_id == post_id
    assert kept[other["id"]].status is ReplyStatus.OPEN
    assert [reply.text for reply in store.replies(from_office=True)] == ["@warga@mastodon.social Gratis."]
    assert collect(store, now, lambda name: make_channel(mastodon, name)).read == 1  # again: kept once
    assert len(store.replies(from_office=None)) == 3
