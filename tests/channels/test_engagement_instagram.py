"""Reading an Instagram post's engagement: likes and comments always, reach and views only with the
insights permission — without it the reading keeps the public figures and says which permission to grant."""

from __future__ import annotations

from pathlib import Path

import pytest

from outreach.channels.instagram import InstagramChannel
from outreach.errors import ContentRejected, RateLimited
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.graph_common import published_post, throttled
from tests.fakeplatform.instagram import InstagramFake
from tests.fakeplatform.server import FakeServer, Fault

MEDIA_INSIGHTS = r"/v26\.0/\d+/insights"


@pytest.fixture
def instagram(server: FakeServer) -> InstagramFake:
    return InstagramFake(server)


def _publish(instagram: InstagramFake, **settings: str) -> tuple[InstagramChannel, str]:
    channel = make_channel(instagram, **settings)
    assert isinstance(channel, InstagramChannel)
    return channel, channel.publish(make_post(image=SAMPLE_IMAGE), Checkpoints()).remote_id


def test_likes_comments_reach_and_views(instagram: InstagramFake) -> None:
    channel, media = _publish(instagram)
    instagram.engage(media, likes=120, comments=14, insights={"reach": 2300, "views": 3100, "saved": 9})

    reading = channel.engagement(published_post(media))

    assert reading.counts == {"likes": 120, "replies": 14, "reach": 2300, "views": 3100}
    asked = instagram.server.requests("GET", MEDIA_INSIGHTS)[-1]
    assert asked.args["metric"] == "reach,views"  # not impressions, withdrawn in 2025


def test_without_the_insights_permission_likes_and_comments_stand(instagram: InstagramFake) -> None:
    channel, media = _publish(instagram)
    instagram.engage(media, likes=5, comments=1, insights={"reach": 50})
    instagram.manage_insights = False

    reading = channel.engagement(published_post(media))

    assert reading.counts == {"likes": 5, "replies": 1}


def test_too_few_viewers_is_no_figure_and_no_permission_problem(instagram: InstagramFake) -> None:
    """Meta answers code 10 "Not enough viewers" — a permission code that is not about permissions."""
    channel, media = _publish(instagram)
    instagram.engage(media, likes=1, insights=None)

    reading = channel.engagement(published_post(media))

    assert reading.counts == {"likes": 1, "replies": 0}
    assert channel.engagement_access() == []


@pytest.mark.parametrize(
    ("login", "permission"),
    [("facebook", "instagram_manage_insights"), ("instagram", "instagram_business_manage_insights")],
)
def test_engagement_access_names_the_permission_of_the_token_s_login(
    instagram: InstagramFake, tmp_path: Path, login: str, permission: str
) -> None:
    settings = {"login": login, "token_state_file": str(tmp_path / "token.json")}
    assert make_channel(instagram, **settings).engagement_access() == []

    instagram.manage_insights = False
    lines = make_channel(instagram, **settings).engagement_access()

    assert len(lines) == 1
    assert f"lacks the {permission} permission" in lines[0] and "likes and comments" in lines[0]


def test_a_deleted_media_is_a_clear_permanent_error(instagram: InstagramFake) -> None:
    channel, media = _publish(instagram)
    instagram.delete(media)
    with pytest.raises(ContentRejected, match="not found: deleted"):
        channel.engagement(published_post(media))


def test_a_business_use_case_throttle_waits_as_meta_estimates(instagram: InstagramFake) -> None:
    channel, media = _publish(instagram)
    instagram.server.inject(
        Fault(
            "status",
            method="GET",
            path=r"/v26\.0/\d+",
            response=throttled(80002, instagram.ig_user_id, "instagram", 240),
        )
    )
    with pytest.raises(RateLimited) as caught:
        channel.engagement(published_post(media))
    assert caught.value.retry_after == pytest.approx(240)
