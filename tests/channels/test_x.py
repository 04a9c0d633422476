"""What is special about X: tweepy against the fake, duplicate content, 24-hour quotas, media, reconcile."""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from requests_oauthlib import OAuth1

from outreach.channels.base import Channel, Outcome
from outreach.channels.http import HttpClient
from outreach.clock import SystemClock
from outreach.errors import (
    AmbiguousError,
    AuthError,
    ChannelHeld,
    ContentRejected,
    NetworkError,
    PublishError,
    RateLimited,
    ServerError,
)
from outreach.redaction import mask, register_secret
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.server import FakeServer, Fault, json_response
from tests.fakeplatform.x import XFake, problem


@pytest.fixture
def fake(server: FakeServer) -> XFake:
    return XFake(server)


def test_tweepy_sends_the_post_to_the_fake_with_oauth1(fake: XFake) -> None:
    channel = make_channel(fake)
    channel.publish(make_post(), Checkpoints())

    (sent,) = fake.server.requests("POST", "/2/tweets")
    assert "Tweepy/" in sent.headers["User-Agent"] and "outreach/" in sent.headers["User-Agent"]
    assert sent.headers["Authorization"].startswith("OAuth ")
    assert sent.get_json() == {"text": make_post().text}
    oauth = fake.authorizations()[-1]
    assert oauth["oauth_consumer_key"] == XFake.CONSUMER_KEY
    assert oauth["oauth_token"] == XFake.ACCESS_TOKEN
    assert oauth["oauth_signature_method"] == "HMAC-SHA1"


def test_the_fake_refuses_a_signature_made_for_another_host(fake: XFake) -> None:
    """Why the adapter re-signs after rewriting: an OAuth1 signature covers the host."""
    signed_for_x = requests.Request(
        "GET",
        "https://api.twitter.com/2/users/me",
        auth=OAuth1(XFake.CONSUMER_KEY, XFake.CONSUMER_SECRET, XFake.ACCESS_TOKEN, XFake.ACCESS_TOKEN_SECRET),
    ).prepare()
    response = requests.get(fake.server.url + "/2/users/me", headers=dict(signed_for_x.headers), timeout=5)
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


def test_url_uses_the_accounts_username(fake: XFake) -> None:
    channel = make_channel(fake)
    result = channel.publish(make_post(), Checkpoints())
    assert result.remote_id == fake.created[0]["id"]
    assert result.url == f"https://x.com/kominfobdl/status/{result.remote_id}"


def test_username_is_asked_once_and_before_the_post(fake: XFake) -> None:
    channel = make_channel(fake)
    channel.publish(make_post(post_id=1, text="Pertama"), Checkpoints())
    channel.publish(make_post(post_id=2, text="Kedua"), Checkpoints())
    paths = [request.path for request in fake.server.requests()]
    assert paths == ["/2/users/me", "/2/tweets", "/2/tweets"]


def test_image_is_uploaded_with_alt_text_then_attached(fake: XFake) -> None:
    channel = make_channel(fake)
    post = make_post(image=SAMPLE_IMAGE)
    channel.publish(post, Checkpoints())

    paths = [request.path for request in fake.server.requests("POST")]
    assert paths == ["/2/media/upload", "/2/media/metadata", "/2/tweets"]
    (upload,) = fake.server.requests("POST", "/2/media/upload")
    assert upload.headers["Authorization"].startswith("OAuth ")
    (media_id,) = fake.media
    assert fake.media[media_id]["category"] == "tweet_image"
    assert fake.media[media_id]["size"] == SAMPLE_IMAGE.stat().st_size
    (tweet,) = fake.server.requests("POST", "/2/tweets")
    assert tweet.get_json()["media"] == {"media_ids": [media_id]}
    assert fake.created[0]["media"] == [{"media_id": media_id, "alt_text": post.alt_text}]


def test_duplicate_content_is_flagged_and_reconcile_finds_the_earlier_post(fake: XFake) -> None:
    """A reply lost after X posted; the retry hears "duplicate"; reconcile finds the first post."""
    fake.server.inject(Fault("reset", path="/2/tweets"))
    channel = make_channel(fake)
    first_attempt_at = datetime.now(UTC)  # what the publisher records before the attempt
    with pytest.raises(AmbiguousError):
        channel.publish(make_post(first_attempt_at=first_attempt_at), Checkpoints())
    assert len(fake.created) == 1

    retry = make_post(first_attempt_at=first_attempt_at)
    with pytest.raises(ContentRejected) as caught:
        channel.publish(retry, Checkpoints())
    assert caught.value.duplicate is True
    assert len(fake.created) == 1

    found = channel.reconcile(retry)
    assert found.outcome is Outcome.PUBLISHED
    assert found.result is not None
    assert found.result.remote_id == fake.created[0]["id"]
    assert found.result.url == f"https://x.com/kominfobdl/status/{fake.created[0]['id']}"


def test_reconcile_sees_through_tco_links_bare_domains_and_escaping(fake: XFake) -> None:
    text = (
        "Antre <5 menit & tanpa calo: layanan.bandarlampungkota.go.id/antrean — info https://bandarlampungkota.go.id/"
    )
    channel = make_channel(fake)
    result = channel.publish(make_post(text=text), Checkpoints())
    shown = fake.tweets[-1]["text"]
    assert "https://t.co/" in shown and "&amp;" in shown and "&lt;" in shown  # what X gives back

    found = channel.reconcile(make_post(text=text))
    assert found.outcome is Outcome.PUBLISHED
    assert found.result is not None and found.result.remote_id == result.remote_id


def test_reconcile_ignores_the_same_text_posted_before_the_first_attempt(fake: XFake) -> None:
    old = fake.seed_tweet(make_post().text, created_at=time.time() - 30 * 24 * 3600)
    channel = make_channel(fake)
    post = make_post(first_attempt_at=datetime.now(UTC))

    answer = channel.reconcile(post)

    assert answer.outcome is Outcome.CANNOT_TELL
    (lookup,) = fake.server.requests("GET", r"/2/users/\d+/tweets")
    assert "start_time" in lookup.args and "entities" in lookup.args["tweet.fields"]

    # Without a recorded first attempt nothing bounds the search, and the old post matches.
    unbounded = channel.reconcile(make_post())
    assert unbounded.outcome is Outcome.PUBLISHED
    assert unbounded.result is not None and unbounded.result.remote_id == old["id"]


def test_reconcile_cannot_tell_when_the_post_is_not_listed(fake: XFake) -> None:
    channel = make_channel(fake)
    channel.publish(make_post(text="Posting lain"), Checkpoints())
    answer = channel.reconcile(make_post())
    assert answer.outcome is Outcome.CANNOT_TELL
    assert answer.result is None


def test_reconcile_cannot_tell_when_the_tier_may_not_read_timelines(fake: XFake) -> None:
    forbidden = problem(
        403,
        "Client Forbidden",
        "You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints only.",
        "https://api.twitter.com/2/problems/client-forbidden",
        reason="client-not-enrolled",
    )
    response = json_response(forbidden, status=403)
    fake.server.inject(Fault("status", method="GET", path=r"/2/users/\d+/tweets", response=response))
    answer = make_channel(fake).reconcile(make_post())
    assert answer.outcome is Outcome.CANNOT_TELL
    assert "subset of X API V2 endpoints" in answer.detail


def test_used_up_daily_quota_is_honoured_without_a_request(fake: XFake) -> None:
    fake.daily_limit = 1
    channel = make_channel(fake)
    channel.publish(make_post(post_id=1, text="Satu-satunya hari ini"), Checkpoints())
    before = len(fake.server.requests())

    with pytest.raises(RateLimited) as caught:
        channel.publish(make_post(post_id=2, text="Besok saja"), Checkpoints())

    assert len(fake.server.requests()) == before
    assert caught.value.retry_after == pytest.approx(fake.daily_reset - time.time(), abs=5)
    assert len(fake.created) == 1


def test_429_with_daily_quota_used_up_waits_for_the_24_hour_reset(fake: XFake) -> None:
    fake.daily_used = fake.daily_limit
    channel = make_channel(fake)
    with pytest.raises(RateLimited) as caught:
        channel.publish(make_post(), Checkpoints())
    assert caught.value.retry_after == pytest.approx(fake.daily_reset - time.time(), abs=5)
    assert caught.value.retry_after > 15 * 60  # not the 15-minute window's reset

    before = len(fake.server.requests())
    with pytest.raises(RateLimited):
        channel.publish(make_post(post_id=2), Checkpoints())
    assert len(fake.server.requests()) == before


def test_quota_block_lifts_after_the_reset(fake: XFake) -> None:
    fake.daily_limit = 1
    fake.daily_reset = int(time.time()) + 2
    channel = make_channel(fake)
    channel.publish(make_post(post_id=1, text="Hari pertama"), Checkpoints())
    with pytest.raises(RateLimited):
        channel.publish(make_post(post_id=2, text="Hari kedua"), Checkpoints())
    time.sleep(max(0.0, fake.daily_reset - time.time()) + 0.2)
    channel.publish(make_post(post_id=2, text="Hari kedua"), Checkpoints())
    assert len(fake.created) == 2


@pytest.mark.parametrize(
    ("body", "expected", "duplicate"),
    [
        (
            problem(
                403,
                "Forbidden",
                "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint.",
                "https://api.twitter.com/2/problems/oauth1-permissions",
            ),
            ChannelHeld,
            False,
        ),
        (problem(403, "Forbidden", "You are not permitted to perform this action."), AuthError, False),
        (
            problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you."),
            ContentRejected,
            False,
        ),
        (
            problem(400, "Invalid Request", "You are not allowed to create a Tweet with duplicate content."),
            ContentRejected,
            True,
        ),
    ],
)
def test_403_is_about_credentials_or_about_the_post(
    fake: XFake, body: dict[str, object], expected: type[Exception], duplicate: bool
) -> None:
    fake.server.inject(Fault("status", path="/2/tweets", response=json_response(body, status=body["status"])))
    channel = make_channel(fake)
    with pytest.raises(expected) as caught:
        channel.publish(make_post(), Checkpoints())
    assert type(caught.value) is expected
    assert getattr(caught.value, "duplicate", False) is duplicate
    assert "test: POST /2/tweets" in str(caught.value)


def test_malformed_success_body_is_ambiguous(fake: XFake) -> None:
    fake.server.inject(Fault("malformed_json", path="/2/tweets"))
    channel = make_channel(fake)
    with pytest.raises(AmbiguousError):
        channel.publish(make_post(), Checkpoints())
    assert len(fake.created) == 1


def test_unreachable_api_is_a_network_error(fake: XFake) -> None:
    channel = make_channel(fake, base_url="http://127.0.0.1:9")
    with pytest.raises(NetworkError):
        channel.publish(make_post(), Checkpoints())


@pytest.mark.parametrize("during", ["headers", "body"])
def test_a_trickled_answer_through_tweepy_hits_the_deadline(fake: XFake, during: str) -> None:
    """tweepy's own session gets the same whole-request deadline (0.3 + 0.5 s) as outreach's client."""
    channel = make_channel(fake, connect_timeout=0.3, read_timeout=0.5)
    account = Fault("trickle", "/2/users/me", method="GET", during=during, delay=0.2, pieces=30)
    fake.server.inject(account)
    with pytest.raises(ServerError, match="GET /2/users/me: no complete answer within 0.8 s"):
        channel.check()
    assert account.wait_delivered() is False

    create = Fault("trickle", "/2/tweets", during=during, delay=0.2, pieces=30)
    fake.server.inject(create)
    with pytest.raises(AmbiguousError, match="it may have been posted"):
        channel.publish(make_post(), Checkpoints())
    assert create.wait_delivered() is False
    assert len(fake.created) == 1


def test_check_names_the_account_and_reports_a_dead_token(fake: XFake) -> None:
    channel = make_channel(fake)
    identity = channel.check()
    assert identity.handle == "@kominfobdl"
    assert XFake.USER["id"] in identity.detail

    fake.expire_token()
    with pytest.raises(AuthError):
        channel.check()


# --- transport failures: the same table as every other channel ----------------------------------


def _closed_port() -> int:
    """A loopback port nothing listens on: a connection there is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _secret_channel_name() -> str:
    """A channel name registered as a secret, so that its place in a message shows redaction."""
    name = f"x-{secrets.token_hex(8)}"
    register_secret(name)
    return name


def _same_request_by_http_client(name: str, base_url: str, method: str, path: str, **options: Any) -> PublishError:
    """What ``HttpClient`` raises for the same request and the same failure."""
    http = HttpClient(name, base_url, clock=SystemClock(), **options)
    try:
        with pytest.raises(PublishError) as caught:
            http.request(method, path, idempotent=method == "GET")
    finally:
        http.close()
    return caught.value


def test_a_refused_connection_through_tweepy_reads_as_in_http_client(fake: XFake) -> None:
    name = _secret_channel_name()
    base_url = f"http://127.0.0.1:{_closed_port()}"
    channel = make_channel(fake, name=name, base_url=base_url)

    with pytest.raises(NetworkError) as caught:
        channel.check()  # tweepy's GET /2/users/me

    message = str(caught.value)
    assert name not in message and mask(name) in message  # redacted like every other channel's
    expected = _same_request_by_http_client(name, base_url, "GET", "/2/users/me")
    assert type(caught.value) is type(expected) is NetworkError
    assert message == str(expected) == f"{mask(name)}: GET /2/users/me: could not connect (ConnectionError)"


@pytest.mark.parametrize(
    ("method", "path", "expected_type", "read"),
    [
        ("GET", "/2/users/me", ServerError, lambda channel: channel.check()),
        ("POST", "/2/tweets", AmbiguousError, lambda channel: channel.publish(make_post(), Checkpoints())),
    ],
    ids=["get", "post"],
)
def test_a_read_timeout_through_tweepy_reads_as_in_http_client(
    fake: XFake, method: str, path: str, expected_type: type[PublishError], read: Callable[[Channel], object]
) -> None:
    name = _secret_channel_name()
    fake.server.inject(Fault("slow", path=path, method=method, delay=1.5, times=2))
    channel = make_channel(fake, name=name, read_timeout=0.5)

    with pytest.raises(PublishError) as caught:
        read(channel)

    message = str(caught.value)
    assert name not in message and mask(name) in message
    expected = _same_request_by_http_client(name, fake.server.url, method, path, read_timeout=0.5)
    assert type(caught.value) is type(expected) is expected_type
    assert message == str(expected)
    assert f"{method} {path}: no answer within 0.5 s" in message


def test_used_up_credits_hold_the_channel_and_say_how_to_top_up(fake: XFake) -> None:
    """Pay-per-use: an empty balance answers 402 CreditsDepleted; the account, not the post, is the problem."""
    fake.credits = 0.0
    with pytest.raises(ChannelHeld) as held:
        make_channel(fake).publish(make_post(), Checkpoints())
    assert "402" in str(held.value) and "credits" in str(held.value) and "console.x.com" in str(held.value)
    assert fake.created == []


def test_a_post_with_a_link_costs_more_credits_than_one_without(fake: XFake) -> None:
    """The fake charges as the pricing page does: a post with a URL at $0.20, one without at $0.015."""
    fake.credits = 0.10
    channel = make_channel(fake)
    channel.publish(make_post(post_id=1, text="Tanpa tautan, cukup untuk satu posting."), Checkpoints())
    with pytest.raises(ChannelHeld):
        channel.publish(
            make_post(post_id=2, text="Dengan tautan: https://layanan.bandarlampungkota.go.id"), Checkpoints()
        )
    assert fake.credits == pytest.approx(0.085)


def test_reconcile_finds_a_post_with_an_image_despite_the_media_link_x_appends(fake: XFake) -> None:
    channel = make_channel(fake)
    post = make_post(image=SAMPLE_IMAGE)
    channel.publish(post, Checkpoints())
    listed = fake.tweets[-1]["text"]
    assert listed.rsplit(" ", 1)[-1].startswith("https://t.co/")  # as X lists it

    answer = channel.reconcile(post)

    assert answer.outcome is Outcome.PUBLISHED
    assert answer.result is not None and answer.result.remote_id == fake.tweets[-1]["id"]


def test_a_gif_is_refused_before_anything_is_uploaded(fake: XFake, tmp_path: Path) -> None:
    """The one-shot upload takes JPEG, PNG and WebP as tweet_image; a GIF needs the chunked flow."""
    gif = tmp_path / "animasi.gif"
    Image.new("RGB", (64, 64), "red").save(gif, format="GIF")
    post = replace(make_post(image=gif), image_roots=(tmp_path,))
    with pytest.raises(ContentRejected, match="GIF"):
        make_channel(fake).publish(post, Checkpoints())
    assert fake.server.requests("POST", "/2/media/upload") == []


def test_the_fake_refuses_a_gif_sent_as_tweet_image(fake: XFake, tmp_path: Path) -> None:
    """So a test cannot pass by uploading what X's one-shot upload refuses."""
    gif = tmp_path / "animasi.gif"
    Image.new("RGB", (64, 64), "red").save(gif, format="GIF")
    auth = OAuth1(XFake.CONSUMER_KEY, XFake.CONSUMER_SECRET, XFake.ACCESS_TOKEN, XFake.ACCESS_TOKEN_SECRET)
    answer = requests.post(
        fake.server.url + "/2/media/upload",
        files={"media": gif.read_bytes()},
        data={"media_category": "tweet_image"},
        auth=auth,
        timeout=5,
    )
    assert answer.status_code == 400 and "Unsupported media type" in answer.text
