"""Mastodon engagement: the status's favourites, boosts and replies, read over HTTP from the fake instance."""

from __future__ import annotations

from typing import Any

import pytest

from outreach.channels.base import Channel, PublishResult
from outreach.errors import AuthError, ChannelHeld, ContentRejected, RateLimited, ServerError
from outreach.model import Post
from tests.channels.conftest import Checkpoints, make_channel, make_post
from tests.channels.engagement_helpers import published
from tests.fakeplatform.mastodon import MastodonFake
from tests.fakeplatform.server import FakeServer, Fault

STATUS = r"/api/v1/statuses/\d+"


@pytest.fixture
def mastodon(server: FakeServer) -> MastodonFake:
    return MastodonFake(server)


def _publish(channel: Channel, **kwargs: Any) -> Post:
    outgoing = make_post(**kwargs)
    return published(outgoing, channel.publish(outgoing, Checkpoints()))


def test_favourites_boosts_and_replies_are_likes_reposts_and_replies(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    assert channel.engagement(post).counts == {"likes": 0, "reposts": 0, "replies": 0}

    mastodon.engage(post.remote_id or "", favourites=12, reblogs=5, replies=3)
    other = _publish(channel, post_id=2, text="Layanan KTP-el keliling hadir di kecamatan Anda.")
    mastodon.engage(other.remote_id or "", favourites=1)

    assert channel.engagement(post).counts == {"likes": 12, "reposts": 5, "replies": 3}
    assert channel.engagement(other).counts == {"likes": 1, "reposts": 0, "replies": 0}
    reads = mastodon.server.requests("GET", STATUS)
    assert [request.path for request in reads][-2:] == [
        f"/api/v1/statuses/{post.remote_id}",
        f"/api/v1/statuses/{other.remote_id}",
    ]
    assert all(request.headers["Authorization"] == f"Bearer {mastodon.TOKEN}" for request in reads)


def test_a_private_status_is_read_with_the_token(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon, visibility="private")
    post = _publish(channel)
    mastodon.engage(post.remote_id or "", favourites=2)
    assert channel.engagement(post).counts["likes"] == 2


def test_a_deleted_status_is_content_rejected_naming_it(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    mastodon.delete_status(post.remote_id or "")
    with pytest.raises(ContentRejected) as caught:
        channel.engagement(post)
    assert str(caught.value) == (
        f"test: status {post.remote_id} is no longer on the instance (deleted?), so its figures cannot be read"
    )
    assert "HTTP 404: Record not found" in str(caught.value.__cause__)


def test_an_invalid_token_is_an_auth_error(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    mastodon.expire_token()
    with pytest.raises(AuthError) as caught:
        channel.engagement(post)
    assert "HTTP 401: The access token is invalid" in str(caught.value)
    assert mastodon.TOKEN not in str(caught.value)


def test_a_token_without_the_read_scope_holds_the_channel(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    mastodon.scopes = frozenset({"write"})
    with pytest.raises(ChannelHeld, match="outside the authorized scopes"):
        channel.engagement(post)


def test_rate_limit_gives_retry_after_from_the_iso_reset(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    mastodon.server.inject(Fault("status", method="GET", path=STATUS, response=mastodon.rate_limit_response(120)))
    with pytest.raises(RateLimited) as caught:
        channel.engagement(post)
    assert caught.value.retry_after == pytest.approx(120, abs=2)


def test_a_server_failure_is_transient(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    post = _publish(channel)
    mastodon.server.inject(Fault("status", method="GET", path=STATUS, response=mastodon.server_error_response()))
    with pytest.raises(ServerError):
        channel.engagement(post)
    assert channel.engagement(post).counts["likes"] == 0  # read again next time


def test_a_post_without_a_status_id_is_refused_before_any_request(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    with pytest.raises(ContentRejected, match="post 1 has no id on the platform"):
        channel.engagement(published(make_post(), PublishResult(remote_id="")))
    assert mastodon.server.requests() == []


def test_mastodon_reads_engagement_and_needs_no_extra_permission(mastodon: MastodonFake) -> None:
    channel = make_channel(mastodon)
    assert channel.engagement_unavailable is None
    assert channel.engagement_access() == []
