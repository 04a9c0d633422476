"""Reading a Facebook Page post's engagement over the Graph API: public figures always, views and reach
only with read_insights — a token without it still gives a reading, and says which permission is missing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from outreach.channels.facebook import FacebookChannel
from outreach.clock import FixedClock
from outreach.errors import ContentRejected, RateLimited
from tests.channels.conftest import Checkpoints, make_channel, make_post
from tests.fakeplatform.facebook import FacebookFake
from tests.fakeplatform.graph_common import published_post, throttled
from tests.fakeplatform.server import FakeServer, Fault

POST_NODE = r"/v26\.0/\d+_\d+"
INSIGHTS = r"/v26\.0/\d+_\d+/insights"


@pytest.fixture
def facebook(server: FakeServer) -> FacebookFake:
    return FacebookFake(server)


def _publish(
    facebook: FacebookFake, text: str = "Urus KTP-el kini selesai dalam satu hari."
) -> tuple[FacebookChannel, str]:
    channel = make_channel(facebook)
    assert isinstance(channel, FacebookChannel)
    return channel, channel.publish(make_post(text), Checkpoints()).remote_id


def test_reactions_comments_with_replies_shares_views_and_reach(facebook: FacebookFake) -> None:
    channel, post_id = _publish(facebook)
    facebook.engage(
        post_id,
        reactions=41,
        comments=7,
        replies=5,
        shares=3,
        insights={"post_media_view": 1520, "post_total_media_view_unique": 980},
    )

    reading = channel.engagement(published_post(post_id))

    # Comments count with their replies, as the Page shows them (filter(stream)).
    assert reading.counts == {"likes": 41, "replies": 12, "reposts": 3, "views": 1520, "reach": 980}
    node = facebook.server.requests("GET", POST_NODE)[-1]
    assert "reactions.summary(total_count).limit(0)" in node.args["fields"]
    insights = facebook.server.requests("GET", INSIGHTS)[-1]
    assert insights.args["metric"] == "post_media_view,post_total_media_view_unique"


def test_no_shares_is_zero_shares_and_no_insights_yet_is_no_figure(facebook: FacebookFake) -> None:
    """Graph leaves ``shares`` out until someone shares; insights it has no figures for are not zeros."""
    channel, post_id = _publish(facebook)
    facebook.engage(post_id, reactions=2)

    reading = channel.engagement(published_post(post_id))

    assert reading.counts == {"likes": 2, "replies": 0, "reposts": 0}


def test_without_read_insights_the_public_figures_stand_and_insights_are_asked_once(
    facebook: FacebookFake, caplog: pytest.LogCaptureFixture
) -> None:
    channel, first = _publish(facebook)
    second = channel.publish(make_post("Bayar PBB kini bisa lewat aplikasi.", post_id=2), Checkpoints()).remote_id
    facebook.engage(first, reactions=9, comments=1, shares=1, insights={"post_media_view": 100})
    facebook.engage(second, reactions=4)
    facebook.read_insights = False

    with caplog.at_level(logging.INFO):
        readings = [channel.engagement(published_post(post_id)) for post_id in (first, second)]

    assert [reading.counts for reading in readings] == [
        {"likes": 9, "replies": 1, "reposts": 1},
        {"likes": 4, "replies": 0, "reposts": 0},
    ]
    assert len(facebook.server.requests("GET", INSIGHTS)) == 1  # refused once: not asked again this run
    assert "read_insights" in caplog.text


def test_a_permission_granted_later_is_used_after_an_hour_without_a_restart(facebook: FacebookFake) -> None:
    clock = FixedClock(datetime(2026, 12, 2, 20, 0, tzinfo=UTC))
    channel = make_channel(facebook, clock=clock)
    post_id = channel.publish(make_post(), Checkpoints()).remote_id
    facebook.engage(post_id, reactions=1, insights={"post_total_media_view_unique": 77})
    facebook.read_insights = False
    assert "reach" not in channel.engagement(published_post(post_id)).counts

    facebook.read_insights = True  # the office issued a token with read_insights
    clock.advance(timedelta(minutes=59))
    assert "reach" not in channel.engagement(published_post(post_id)).counts
    clock.advance(timedelta(minutes=1))
    assert channel.engagement(published_post(post_id)).counts["reach"] == 77


def test_engagement_access_names_read_insights_only_when_it_is_missing(facebook: FacebookFake) -> None:
    channel = make_channel(facebook)
    assert channel.engagement_access() == []

    facebook.read_insights = False
    lines = make_channel(facebook).engagement_access()

    assert len(lines) == 1
    assert "read_insights" in lines[0] and "reactions, comments and shares" in lines[0]


def test_a_deleted_post_is_a_clear_permanent_error(facebook: FacebookFake) -> None:
    channel, post_id = _publish(facebook)
    facebook.delete(post_id)

    with pytest.raises(ContentRejected) as caught:
        channel.engagement(published_post(post_id))

    assert "not found: deleted, or not visible to this token" in str(caught.value)
    assert "Graph error 100/33" in str(caught.value)


def test_a_post_without_a_platform_id_is_refused_before_any_request(facebook: FacebookFake) -> None:
    channel = make_channel(facebook)
    with pytest.raises(ContentRejected, match="has no id on the platform"):
        channel.engagement(published_post(None))
    assert facebook.server.requests("GET", POST_NODE) == []


@pytest.mark.parametrize(("code", "wait"), [(4, 900.0), (17, 900.0), (32, 120.0)])
def test_throttles_are_rate_limits_with_meta_s_wait_or_the_configured_one(
    facebook: FacebookFake, code: int, wait: float
) -> None:
    """App (4) and user (17) limits give no estimate: the configured wait; a Page limit (32) gives its own."""
    channel, post_id = _publish(facebook)
    facebook.server.inject(
        Fault("status", method="GET", path=POST_NODE, response=throttled(code, facebook.page_id, "pages", 120))
    )

    with pytest.raises(RateLimited) as caught:
        channel.engagement(published_post(post_id))

    assert caught.value.retry_after == pytest.approx(wait)
    assert f"Graph error {code}" in str(caught.value)


def test_a_throttle_on_the_insights_call_is_a_rate_limit_not_a_reading_without_them(facebook: FacebookFake) -> None:
    channel, post_id = _publish(facebook)
    facebook.server.inject(
        Fault("status", method="GET", path=INSIGHTS, response=throttled(32, facebook.page_id, "pages", 300))
    )
    with pytest.raises(RateLimited):
        channel.engagement(published_post(post_id))


def test_reading_stops_while_meta_reports_the_app_near_its_limit(facebook: FacebookFake) -> None:
    """Readings leave the last quarter of the hourly limit to the posts still to go out."""
    channel, post_id = _publish(facebook)
    facebook.app_usage = {"call_count": 80, "total_cputime": 10, "total_time": 20}
    channel.engagement(published_post(post_id))  # this answer tells the usage

    calls = len(facebook.server.requests("GET", POST_NODE))
    with pytest.raises(RateLimited, match="leaving the rest for posting"):
        channel.engagement(published_post(post_id))
    assert len(facebook.server.requests("GET", POST_NODE)) == calls


def test_withdrawn_metrics_are_refused_by_the_fake_as_by_meta(facebook: FacebookFake) -> None:
    """The fake answers the 2025 withdrawal of post_impressions as Meta does, so asking for it cannot pass."""
    channel, post_id = _publish(facebook)
    with pytest.raises(ContentRejected, match="valid insights metric"):
        channel.http.request("GET", f"{post_id}/insights", params={"metric": "post_impressions"})


def test_the_fake_answers_field_expansion_like_graph(facebook: FacebookFake) -> None:
    channel, post_id = _publish(facebook)
    facebook.engage(post_id, reactions=3, comments=2, replies=1)

    body = channel.http.request(
        "GET", post_id, params={"fields": "reactions.limit(1).summary(true),comments.summary(total_count)"}
    ).body

    assert body["id"] == post_id
    assert body["reactions"] == {
        "data": [{"id": f"{post_id}_0"}],
        "summary": {"total_count": 3, "viewer_reaction": "NONE"},
    }
    assert body["comments"]["summary"] == {"total_count": 2}  # top-level only without filter(stream)
    assert "shares" not in body
    with pytest.raises(ContentRejected, match="nonexisting field"):
        channel.http.request("GET", post_id, params={"fields": "reach"})
