"""Bluesky engagement: likes, reposts, replies and quotes from the public AppView, read without the session."""

from __future__ import annotations

from typing import Any

import pytest

from outreach.channels.base import Channel, PublishResult
from outreach.errors import AuthError, ContentRejected, RateLimited, ServerError
from outreach.model import Post
from tests.channels.conftest import Checkpoints, make_channel, make_post
from tests.channels.engagement_helpers import published
from tests.fakeplatform.bluesky import APPVIEW, BlueskyFake
from tests.fakeplatform.server import FakeServer, Fault

GET_POSTS = APPVIEW + r"/xrpc/app\.bsky\.feed\.getPosts"
LOGINS = r"/xrpc/com\.atproto\.server\.(createSession|refreshSession)"


@pytest.fixture
def bluesky(server: FakeServer) -> BlueskyFake:
    return BlueskyFake(server)


def _publish(channel: Channel, **kwargs: Any) -> Post:
    outgoing = make_post(**kwargs)
    checkpoints = Checkpoints()
    return published(outgoing, channel.publish(outgoing, checkpoints), channel_state=checkpoints.state)


def test_the_post_views_counts_are_likes_reposts_replies_and_quotes(bluesky: BlueskyFake) -> None:
    post = _publish(make_channel(bluesky))
    other = _publish(make_channel(bluesky), post_id=2, text="Layanan KTP-el keliling hadir di kecamatan Anda.")
    bluesky.engage(post.remote_id or "", likes=21, reposts=4, replies=2, quotes=1)
    bluesky.engage(other.remote_id or "", likes=3)

    channel = make_channel(bluesky)
    assert channel.engagement(post).counts == {"likes": 21, "reposts": 4, "replies": 2, "quotes": 1}
    assert channel.engagement(other).counts == {"likes": 3, "reposts": 0, "replies": 0, "quotes": 0}
    [first, second] = bluesky.server.requests("GET", GET_POSTS)
    assert first.args.getlist("uris") == [post.remote_id]
    assert second.args.getlist("uris") == [other.remote_id]


def test_reading_needs_no_login_and_sends_no_token(bluesky: BlueskyFake) -> None:
    post = _publish(make_channel(bluesky))
    logins = len(bluesky.server.requests("POST", LOGINS))
    bluesky.expire_access_tokens(refresh_too=True)  # a session that would have to be renewed

    assert make_channel(bluesky).engagement(post).counts["likes"] == 0

    assert len(bluesky.server.requests("POST", LOGINS)) == logins
    assert all("Authorization" not in request.headers for request in bluesky.server.requests("GET", GET_POSTS))


def test_a_deleted_post_left_out_of_the_answer_is_content_rejected(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    post = _publish(channel)
    bluesky.delete_record(post.remote_id.rsplit("/", 1)[-1] if post.remote_id else "")
    with pytest.raises(ContentRejected) as caught:
        channel.engagement(post)
    assert f"{post.remote_id} is not in Bluesky's public view any more" in str(caught.value)


def test_an_appview_that_wants_a_session_is_an_auth_error(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    post = _publish(channel)
    bluesky.appview_requires_auth = True
    with pytest.raises(AuthError, match="HTTP 401: Authentication Required"):
        channel.engagement(post)


def test_rate_limit_carries_retry_after(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    post = _publish(channel)
    bluesky.server.inject(Fault("status", method="GET", path=GET_POSTS, response=bluesky.rate_limit_response(90)))
    with pytest.raises(RateLimited) as caught:
        channel.engagement(post)
    assert caught.value.retry_after == pytest.approx(90, abs=2)


def test_a_server_failure_is_transient(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    post = _publish(channel)
    bluesky.server.inject(Fault("status", method="GET", path=GET_POSTS, response=bluesky.server_error_response()))
    with pytest.raises(ServerError):
        channel.engagement(post)


def test_a_uri_the_appview_refuses_is_content_rejected(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    post = _publish(channel)
    broken = published(make_post(), PublishResult("https://bsky.app/profile/x/post/1"))
    with pytest.raises(ContentRejected, match="must be a valid at-uri"):
        channel.engagement(broken)
    assert channel.engagement(post).counts["likes"] == 0


def test_bluesky_reads_engagement_and_needs_no_extra_permission(bluesky: BlueskyFake) -> None:
    channel = make_channel(bluesky)
    assert channel.engagement_unavailable is None
    assert channel.engagement_access() == []
