"""X engagement: public metrics (and impressions) through tweepy, opt-in and within a daily budget of paid reads."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from outreach.channels.base import Channel, PublishResult
from outreach.errors import AuthError, ChannelHeld, ContentRejected, RateLimited
from outreach.model import Post
from tests.channels.conftest import Checkpoints, make_channel, make_post
from tests.channels.engagement_helpers import published
from tests.fakeplatform.server import FakeServer, Fault
from tests.fakeplatform.x import PRICE_PER_POST_READ, XFake

TWEET = r"/2/tweets/\d+"
DAY = 86400


@pytest.fixture
def x(server: FakeServer) -> XFake:
    return XFake(server)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "var" / "x-reads.json"


def _reading(x: XFake, ledger: Path, **overrides: Any) -> Channel:
    return make_channel(x, read_metrics=True, read_ledger_file=str(ledger), **overrides)


def _publish(channel: Channel, **kwargs: Any) -> Post:
    outgoing = make_post(**kwargs)
    return published(outgoing, channel.publish(outgoing, Checkpoints()))


def _seeded(x: XFake, age_days: float, published_days_ago: float | None = None) -> Post:
    """A post the account made ``age_days`` ago by X's clock, stored as published ``published_days_ago``."""
    tweet = x.seed_tweet(f"Posting lama {age_days} hari", created_at=time.time() - age_days * DAY)
    days = age_days if published_days_ago is None else published_days_ago
    return published(make_post(), PublishResult(tweet["id"]), published_at=datetime.now(UTC) - timedelta(days=days))


def test_public_metrics_are_likes_reposts_replies_quotes_and_impressions(x: XFake, ledger: Path) -> None:
    channel = _reading(x, ledger)
    post = _publish(channel)
    x.engage(post.remote_id or "", like_count=7, retweet_count=2, reply_count=1, quote_count=1, impression_count=345)
    x.engage(post.remote_id or "", bookmark_count=4, url_link_clicks=9)  # figures outreach does not keep

    assert channel.engagement(post).counts == {
        "likes": 7,
        "reposts": 2,
        "replies": 1,
        "quotes": 1,
        "impressions": 345,
    }
    [read] = x.server.requests("GET", TWEET)
    assert read.path == f"/2/tweets/{post.remote_id}"
    assert read.args["tweet.fields"] == "public_metrics,non_public_metrics"  # a young post
    assert read.headers["Authorization"].startswith("OAuth ")  # user context, signed (the fake checks it)


def test_impressions_only_in_non_public_metrics_are_read_for_a_young_post(x: XFake, ledger: Path) -> None:
    x.public_impressions = False  # the API as it was documented before impressions went public
    channel = _reading(x, ledger)
    post = _publish(channel)
    x.engage(post.remote_id or "", like_count=1, impression_count=80)
    assert channel.engagement(post).counts == {"likes": 1, "reposts": 0, "replies": 0, "quotes": 0, "impressions": 80}


def test_a_post_older_than_30_days_is_asked_for_public_metrics_only(x: XFake, ledger: Path) -> None:
    x.public_impressions = False
    old = _seeded(x, age_days=40)
    x.engage(old.remote_id or "", like_count=3, impression_count=999)

    counts = _reading(x, ledger).engagement(old).counts

    assert counts == {"likes": 3, "reposts": 0, "replies": 0, "quotes": 0}  # impressions absent, not 0
    [read] = x.server.requests("GET", TWEET)
    assert read.args["tweet.fields"] == "public_metrics"


def test_non_public_metrics_refused_by_x_are_read_again_as_public_at_no_extra_cost(x: XFake, ledger: Path) -> None:
    x.credits = 1.0
    post = _seeded(x, age_days=31, published_days_ago=29)  # our record says younger than X's does
    x.engage(post.remote_id or "", like_count=5, impression_count=120)

    counts = _reading(x, ledger).engagement(post).counts

    assert counts == {"likes": 5, "reposts": 0, "replies": 0, "quotes": 0, "impressions": 120}
    fields = [request.args["tweet.fields"] for request in x.server.requests("GET", TWEET)]
    assert fields == ["public_metrics,non_public_metrics", "public_metrics"]
    assert x.credits == pytest.approx(1.0 - PRICE_PER_POST_READ)


def test_a_deleted_post_is_content_rejected_naming_it(x: XFake, ledger: Path) -> None:
    channel = _reading(x, ledger)
    post = _publish(channel)
    x.delete_tweet(post.remote_id or "")
    with pytest.raises(ContentRejected) as caught:
        channel.engagement(post)
    assert (
        str(caught.value) == f"test: post {post.remote_id} is no longer on X (deleted?), so its figures cannot be read"
    )


def test_an_invalid_token_is_an_auth_error(x: XFake, ledger: Path) -> None:
    channel = _reading(x, ledger)
    post = _publish(channel)
    x.expire_token()
    with pytest.raises(AuthError, match="HTTP 401"):
        channel.engagement(post)


def test_rate_limit_carries_retry_after_from_x_rate_limit_reset(x: XFake, ledger: Path) -> None:
    channel = _reading(x, ledger)
    post = _publish(channel)
    x.server.inject(Fault("status", method="GET", path=TWEET, response=x.rate_limit_response(75)))
    with pytest.raises(RateLimited) as caught:
        channel.engagement(post)
    assert caught.value.retry_after == pytest.approx(75, abs=2)


def test_used_up_credits_hold_the_channel(x: XFake, ledger: Path) -> None:
    channel = _reading(x, ledger)
    post = _publish(channel)
    x.credits = 0.001
    with pytest.raises(ChannelHeld, match="credits are used up"):
        channel.engagement(post)


def test_reading_is_off_until_the_channel_opts_in_and_check_says_how(x: XFake, ledger: Path) -> None:
    channel = make_channel(x, read_ledger_file=str(ledger))
    post = _publish(channel)

    line = type(channel).engagement_unavailable_for(channel.name, channel.settings)
    assert line is not None
    assert "X charges $0.005 for each post read" in line
    assert "set read_metrics = true in [channels.test]" in line
    assert "at most 50 posts a day, at most $0.25 a day" in line
    with pytest.raises(ChannelHeld) as caught:
        channel.engagement(post)
    assert str(caught.value) == f"test: {line}"
    assert x.server.requests("GET", TWEET) == []
    assert not ledger.exists()

    reading = _reading(x, ledger)
    assert type(reading).engagement_unavailable_for(reading.name, reading.settings) is None


def test_the_daily_budget_counts_each_post_once_and_holds_across_runs(x: XFake, ledger: Path) -> None:
    channel = _reading(x, ledger, metric_reads_per_day=2)
    first, second, third = (_publish(channel, post_id=n, text=f"Pengumuman layanan nomor {n}.") for n in (1, 2, 3))
    x.credits = 1.0  # from here on, only reads are billed

    channel.engagement(first)
    channel.engagement(second)
    channel.engagement(first)  # read again today: X does not bill it again, and the budget does not count it
    assert x.credits == pytest.approx(1.0 - 2 * PRICE_PER_POST_READ)

    with pytest.raises(RateLimited) as caught:
        channel.engagement(third)
    tomorrow = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)
    assert caught.value.retry_after == pytest.approx((tomorrow - datetime.now(UTC)).total_seconds(), abs=5)
    assert "today's 2 post reads are spent (metric_reads_per_day in [channels.test])" in str(caught.value)
    with pytest.raises(RateLimited):
        _reading(x, ledger, metric_reads_per_day=2).engagement(third)  # the next run, the same day
    assert f"/2/tweets/{third.remote_id}" not in [request.path for request in x.server.requests("GET", TWEET)]

    kept = json.loads(ledger.read_text())
    ledger.write_text(json.dumps({**kept, "day": "2020-01-01"}))  # as on the next day
    assert _reading(x, ledger, metric_reads_per_day=2).engagement(third).counts["likes"] == 0
    assert ledger.stat().st_mode & 0o077 == 0


def test_two_channels_keep_their_own_budgets_in_one_file(x: XFake, ledger: Path) -> None:
    post = _publish(_reading(x, ledger))
    _reading(x, ledger, metric_reads_per_day=1).engagement(post)
    make_channel(x, "x_kedua", read_metrics=True, read_ledger_file=str(ledger), metric_reads_per_day=1).engagement(post)
    assert json.loads(ledger.read_text())["reads"] == {"test": [post.remote_id], "x_kedua": [post.remote_id]}


def test_a_budget_that_cannot_be_counted_reads_nothing(x: XFake, tmp_path: Path) -> None:
    (tmp_path / "var").write_text("not a folder")
    channel = _reading(x, tmp_path / "var" / "x-reads.json")
    post = _publish(channel)
    with pytest.raises(ChannelHeld, match="cannot count today's post reads"):
        channel.engagement(post)
    assert x.server.requests("GET", TWEET) == []
