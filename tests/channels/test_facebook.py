"""What is special about the Facebook Page channel: Graph error codes, photos, reconcile by listing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from outreach.channels.base import Outcome
from outreach.errors import AmbiguousError, AuthError, ChannelHeld, ContentRejected, RateLimited, ServerError
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.facebook import FacebookFake
from tests.fakeplatform.graph_common import business_use_case_header, graph_error
from tests.fakeplatform.server import FakeServer, Fault

FEED = r"/v26\.0/\d+/feed"


@pytest.fixture
def facebook(server: FakeServer) -> FacebookFake:
    return FacebookFake(server)


def _fail_next_post(facebook: FacebookFake, **error: Any) -> None:
    facebook.server.inject(Fault("status", path=FEED, response=graph_error(**error)))


@pytest.mark.parametrize(
    ("subcode", "words"),
    [(463, "token expired"), (460, "password change"), (467, "logged out or revoked"), (458, "app was removed")],
)
def test_dead_token_says_why(facebook: FacebookFake, subcode: int, words: str) -> None:
    _fail_next_post(facebook, code=190, message="Error validating access token", subcode=subcode)
    with pytest.raises(AuthError) as caught:
        make_channel(facebook).publish(make_post(), Checkpoints())
    assert words in str(caught.value)
    assert str(subcode) in str(caught.value)
    assert str(caught.value).startswith("test: ")


def test_expired_token_from_the_fake_itself(facebook: FacebookFake) -> None:
    facebook.expire_token()
    with pytest.raises(AuthError, match="token expired"):
        make_channel(facebook).publish(make_post(), Checkpoints())


@pytest.mark.parametrize(
    ("code", "meta_message", "named"),
    [
        (
            10,
            "(#10) Application does not have permission for this action",
            "one of pages_manage_posts, pages_read_engagement",
        ),
        (
            200,
            "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin "
            "with sufficient administrative permission",
            "pages_manage_posts, pages_read_engagement",
        ),
        (230, "(#230) Requires pages_manage_posts permission to manage the object", "pages_manage_posts"),
    ],
)
def test_permission_errors_name_the_permission(
    facebook: FacebookFake, code: int, meta_message: str, named: str
) -> None:
    """A missing or revoked permission stops every post: the channel is held, naming what to grant."""
    # Meta sends some permission errors with HTTP 403 and some with 400; the code decides.
    _fail_next_post(facebook, code=code, message=meta_message, status=403)
    with pytest.raises(ChannelHeld) as caught:
        make_channel(facebook).publish(make_post(), Checkpoints())
    assert f"permission missing: {named} (Graph error {code}" in str(caught.value)


@pytest.mark.parametrize(("code", "status"), [(4, 403), (17, 400), (32, 400), (613, 400), (341, 400)])
def test_throttles_wait_as_long_as_meta_estimates(facebook: FacebookFake, code: int, status: int) -> None:
    headers = business_use_case_header(facebook.page_id, "pages", 3 * 60)
    _fail_next_post(facebook, code=code, message=f"(#{code}) request limit reached", status=status, headers=headers)
    with pytest.raises(RateLimited) as caught:
        make_channel(facebook).publish(make_post(), Checkpoints())
    assert caught.value.retry_after == 180
    assert "Meta estimates" in str(caught.value)


def test_throttle_without_estimate_uses_the_configured_default(facebook: FacebookFake) -> None:
    _fail_next_post(facebook, code=4, message="(#4) Application request limit reached")
    channel = make_channel(facebook, rate_limit_retry_after=1200)
    with pytest.raises(RateLimited) as caught:
        channel.publish(make_post(), Checkpoints())
    assert caught.value.retry_after == 1200
    assert "no estimate" in str(caught.value)


def test_duplicate_message_is_a_duplicate(facebook: FacebookFake) -> None:
    channel = make_channel(facebook)
    channel.publish(make_post(), Checkpoints())
    with pytest.raises(ContentRejected) as caught:
        channel.publish(make_post(post_id=2), Checkpoints())
    assert caught.value.duplicate is True
    assert len(facebook.created) == 1


@pytest.mark.parametrize(
    "error",
    [
        {"code": 1, "message": "An unknown error occurred", "status": 500},
        {"code": 2, "message": "Service temporarily unavailable", "status": 503, "is_transient": True},
        {"code": 100, "message": "(#100) Please retry", "status": 400, "is_transient": True},
    ],
)
def test_transient_meta_failures(facebook: FacebookFake, error: dict[str, Any]) -> None:
    _fail_next_post(facebook, **error)
    with pytest.raises(ServerError):
        make_channel(facebook).publish(make_post(), Checkpoints())


def test_temporary_block_needs_a_person(facebook: FacebookFake) -> None:
    _fail_next_post(
        facebook, code=368, message="The action attempted has been deemed abusive or is otherwise disallowed"
    )
    with pytest.raises(ContentRejected) as caught:
        make_channel(facebook).publish(make_post(), Checkpoints())
    assert caught.value.duplicate is False
    assert "blocked" in str(caught.value)


def test_other_graph_errors_are_rejections(facebook: FacebookFake) -> None:
    _fail_next_post(facebook, code=100, message="(#100) Invalid parameter")
    with pytest.raises(ContentRejected, match="Graph error 100"):
        make_channel(facebook).publish(make_post(), Checkpoints())


def test_text_post_sends_message_and_link_with_a_bearer_token(facebook: FacebookFake) -> None:
    post = make_post()
    result = make_channel(facebook).publish(post, Checkpoints())
    record = facebook.created[0]
    assert record["message"] == post.text and record["link"] == post.link
    assert result.remote_id == record["id"]
    assert result.url == record["permalink_url"]
    for request in facebook.server.requests():
        assert request.headers["Authorization"] == f"Bearer {facebook.token}"
        assert facebook.token not in request.query_string.decode()
        assert "access_token" not in request.values


def test_photo_post_uploads_the_file_with_its_caption(facebook: FacebookFake) -> None:
    post = make_post(image=SAMPLE_IMAGE)
    result = make_channel(facebook).publish(post, Checkpoints())
    record = facebook.created[0]
    assert record["kind"] == "photo"
    assert record["message"] == post.text
    assert record["image"] == SAMPLE_IMAGE.read_bytes()
    assert record["upload_name"] == "sample.jpg"
    assert result.remote_id == record["id"]  # the feed post, not the photo object
    assert result.url == record["permalink_url"]


def test_photo_post_by_public_url(facebook: FacebookFake) -> None:
    post = make_post(image=SAMPLE_IMAGE)
    make_channel(facebook, public_media_base_url="https://bandarlampungkota.go.id/media/").publish(post, Checkpoints())
    record = facebook.created[0]
    assert record["image"] is None
    assert record["image_url"] == "https://bandarlampungkota.go.id/media/sample.jpg"


def test_oversized_image_is_refused_before_any_request(facebook: FacebookFake) -> None:
    channel = make_channel(facebook, max_image_bytes=1000)
    with pytest.raises(ContentRejected, match=r"(?i)over facebook's 1,?000"):
        channel.publish(make_post(image=SAMPLE_IMAGE), Checkpoints())
    assert facebook.server.requests() == []


def test_permalink_failure_falls_back_to_the_id_url(facebook: FacebookFake) -> None:
    facebook.server.inject(
        Fault("status", method="GET", path=r"/v26\.0/\d+_\d+", response=facebook.server_error_response())
    )
    result = make_channel(facebook).publish(make_post(), Checkpoints())
    assert result.url == f"https://www.facebook.com/{facebook.created[0]['id']}"


# --- reconcile ---------------------------------------------------------------------------------


def _post_now(**kwargs: Any) -> Any:
    """A post scheduled a minute ago and first attempted now, as the publisher hands it over."""
    now = datetime.now(UTC)
    return replace(make_post(**kwargs), scheduled_at=now - timedelta(minutes=1), first_attempt_at=now)


def test_reconcile_finds_a_post_whose_answer_was_lost(facebook: FacebookFake) -> None:
    facebook.server.inject(Fault("reset", path=FEED))
    channel = make_channel(facebook)
    checkpoints = Checkpoints()
    post = _post_now()
    with pytest.raises(AmbiguousError):
        channel.publish(post, checkpoints)
    found = channel.reconcile(replace(post, channel_state=checkpoints.state))
    assert found.outcome is Outcome.PUBLISHED
    assert found.result is not None and found.result.remote_id == facebook.created[0]["id"]
    assert found.result.url == facebook.created[0]["permalink_url"]


def test_reconcile_after_duplicate_answer_finds_the_earlier_post(facebook: FacebookFake) -> None:
    facebook.server.inject(Fault("reset", path=FEED))
    channel = make_channel(facebook)
    checkpoints = Checkpoints()
    post = _post_now()
    with pytest.raises(AmbiguousError):
        channel.publish(post, checkpoints)
    retried = replace(post, channel_state=checkpoints.state)
    with pytest.raises(ContentRejected) as caught:
        channel.publish(retried, checkpoints)
    assert caught.value.duplicate
    assert channel.reconcile(replace(post, channel_state=checkpoints.state)).outcome is Outcome.PUBLISHED
    assert len(facebook.created) == 1


def test_reconcile_not_published_when_the_listing_covers_the_window(facebook: FacebookFake) -> None:
    facebook.seed_post("Postingan lama", datetime.now(UTC) - timedelta(days=2))
    facebook.server.inject(Fault("reset", path=FEED, process=False))
    channel = make_channel(facebook, reconcile_settle_seconds=0)
    checkpoints = Checkpoints()
    post = _post_now()
    with pytest.raises(AmbiguousError):
        channel.publish(post, checkpoints)
    verdict = channel.reconcile(replace(post, channel_state=checkpoints.state))
    assert verdict.outcome is Outcome.NOT_PUBLISHED
    assert facebook.created == []


def test_reconcile_cannot_tell_while_the_attempt_may_be_in_flight(facebook: FacebookFake) -> None:
    facebook.server.inject(Fault("reset", path=FEED, process=False))
    channel = make_channel(facebook)  # default: 120 s to settle
    checkpoints = Checkpoints()
    post = _post_now()
    with pytest.raises(AmbiguousError):
        channel.publish(post, checkpoints)
    verdict = channel.reconcile(replace(post, channel_state=checkpoints.state))
    assert verdict.outcome is Outcome.CANNOT_TELL
    assert "may still be processed" in verdict.detail


def test_reconcile_cannot_tell_when_the_listing_does_not_reach_back(facebook: FacebookFake) -> None:
    now = datetime.now(UTC)
    for minute in range(30):  # a busy Page: 30 newer posts than the window start
        facebook.seed_post(f"Info layanan {minute}", now - timedelta(seconds=minute))
    facebook.seed_post("Lebih lama", now - timedelta(days=1))
    channel = make_channel(facebook, reconcile_pages=1, reconcile_settle_seconds=0)
    post = replace(make_post(), scheduled_at=now - timedelta(hours=1))
    assert channel.reconcile(post).outcome is Outcome.CANNOT_TELL
    # Reading further back (2 pages of 25) covers the window: now it is provably not there.
    deeper = make_channel(facebook, reconcile_pages=2, reconcile_settle_seconds=0)
    assert deeper.reconcile(post).outcome is Outcome.NOT_PUBLISHED


def test_reconcile_ignores_the_same_text_posted_before_the_window(facebook: FacebookFake) -> None:
    post = _post_now()
    facebook.seed_post(post.text, datetime.now(UTC) - timedelta(days=30))
    verdict = make_channel(facebook, reconcile_settle_seconds=0).reconcile(post)
    assert verdict.outcome is Outcome.NOT_PUBLISHED


# --- check -------------------------------------------------------------------------------------


def test_check_names_the_page(facebook: FacebookFake) -> None:
    identity = make_channel(facebook).check()
    assert identity.handle == facebook.page_name
    assert facebook.page_id in identity.detail


def test_check_refuses_a_token_of_another_page(facebook: FacebookFake) -> None:
    with pytest.raises(AuthError, match="not Page 999"):
        make_channel(facebook, page_id="999").check()


def test_check_names_the_missing_read_permission(facebook: FacebookFake) -> None:
    facebook.server.inject(
        Fault(
            "status",
            method="GET",
            path=r"/v26\.0/\d+/published_posts",
            response=graph_error(10, "(#10) This endpoint requires the 'pages_read_engagement' permission", status=403),
        )
    )
    with pytest.raises(ChannelHeld, match="permission missing: pages_read_engagement"):
        make_channel(facebook).check()


def test_graph_version_is_configurable(facebook: FacebookFake) -> None:
    make_channel(facebook, graph_version="v23.0").publish(make_post(), Checkpoints())
    assert facebook.server.requests("POST")[0].path.startswith("/v23.0/")


def test_reconcile_with_a_dead_token_cannot_tell(facebook: FacebookFake) -> None:
    facebook.expire_token()
    verdict = make_channel(facebook).reconcile(_post_now())
    assert verdict.outcome is Outcome.CANNOT_TELL
    assert "token expired" in verdict.detail
