"""X replies: the post's conversation from recent search through tweepy, opt-in and within a daily budget."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from outreach.channels.base import Channel, PublishResult
from outreach.channels.x import XChannel
from outreach.clock import FixedClock
from outreach.errors import ChannelHeld, RateLimited
from outreach.model import Post, ReplyStatus
from outreach.replies import ReplyCollector
from outreach.reply_rules import load_rules
from outreach.store import Store
from tests.channels.conftest import Checkpoints, make_channel, make_post
from tests.channels.engagement_helpers import published
from tests.channels.replies_helpers import HOSTILE, by_remote_id, collect, stored_post
from tests.fakeplatform.server import FakeServer, Fault
from tests.fakeplatform.x import PRICE_PER_POST_READ, XFake

SEARCH = r"/2/tweets/search/recent"


@pytest.fixture
def x(server: FakeServer) -> XFake:
    return XFake(server)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "var" / "x-reads.json"


def _collecting(x: XFake, ledger: Path, name: str = "test", **overrides: Any) -> Channel:
    return make_channel(x, name, read_replies=True, read_ledger_file=str(ledger), **overrides)


def _publish(channel: Channel, number: int = 1) -> Post:
    outgoing = make_post(f"Pengumuman layanan nomor {number}.", post_id=number)
    return published(outgoing, channel.publish(outgoing, Checkpoints()))


def test_collecting_is_off_until_the_channel_opts_in_and_says_how(x: XFake, ledger: Path) -> None:
    channel = make_channel(x, read_ledger_file=str(ledger))
    post = _publish(channel)
    x.reply(post.remote_id or "", "halo")

    line = type(channel).replies_unavailable_for(channel.name, channel.settings)
    assert line is not None
    assert "X charges $0.005 for each post it returns" in line
    assert "set read_replies = true in [channels.test]" in line
    assert "at most 50 posts' replies a day" in line
    with pytest.raises(ChannelHeld) as caught:
        channel.replies(post)
    assert str(caught.value) == f"test: {line}"
    assert x.server.requests("GET", SEARCH) == []
    assert not ledger.exists()

    collecting = _collecting(x, ledger)
    assert type(collecting).replies_unavailable_for(collecting.name, collecting.settings) is None


def test_the_conversation_with_parents_authors_and_the_office_answers(x: XFake, ledger: Path) -> None:
    channel = _collecting(x, ledger)
    post = _publish(channel)
    tweet_id = post.remote_id or ""
    asked = x.reply(tweet_id, "Syaratnya apa aja?", "warga_bdl", created_at=time.time() - 300)
    answer = x.reply(asked, "@warga_bdl Cukup bawa KK.", x.USER["username"], created_at=time.time() - 200)
    hostile = x.reply(tweet_id, HOSTILE, "iseng", created_at=time.time() - 100)

    replies = channel.replies(post)

    assert [(r.remote_id, r.parent_id, r.author, r.text, r.from_office) for r in replies] == [
        (asked, tweet_id, "@warga_bdl", "Syaratnya apa aja?", False),
        (answer, asked, "@kominfobdl", "@warga_bdl Cukup bawa KK.", True),
        (hostile, tweet_id, "@iseng", HOSTILE, False),  # X escaped it as &lt;script&gt;…; kept as typed
    ]
    assert replies[0].url == f"https://x.com/warga_bdl/status/{asked}"
    assert replies[0].written_at.tzinfo is not None
    [search] = x.server.requests("GET", SEARCH)
    assert search.args["query"] == f"conversation_id:{tweet_id}"
    assert search.args["max_results"] == "100"
    assert search.args["since_id"] == tweet_id  # the post itself is not paid for
    assert set(search.args["tweet.fields"].split(",")) == {
        "author_id",
        "created_at",
        "in_reply_to_user_id",
        "referenced_tweets",
        "conversation_id",
    }
    assert search.args["expansions"] == "author_id"
    assert search.headers["Authorization"].startswith("OAuth ")  # user context, signed (the fake checks it)


def test_pages_are_followed_with_next_token_and_bounded(x: XFake, ledger: Path) -> None:
    channel = _collecting(x, ledger)
    post = _publish(channel)
    for number in range(150):
        x.reply(post.remote_id or "", f"balasan {number}", f"warga{number % 7}", created_at=time.time() - 600 + number)

    replies = channel.replies(post)

    assert [reply.text for reply in replies] == [f"balasan {number}" for number in range(150)]
    searches = x.server.requests("GET", SEARCH)
    assert [request.args.get("next_token") is None for request in searches] == [True, False]

    one_page = _collecting(x, ledger, "x_hemat", reply_pages_per_post=1)
    # One page: the newest hundred; no second page is paid for.
    assert [reply.text for reply in one_page.replies(post)] == [f"balasan {number}" for number in range(50, 150)]


def test_a_post_older_than_recent_search_reaches_is_not_asked_about(x: XFake, ledger: Path) -> None:
    tweet = x.seed_tweet("Pengumuman lama", created_at=time.time() - 9 * 86400)
    old = published(make_post(), PublishResult(tweet["id"]), published_at=datetime.now(UTC) - timedelta(days=9))
    assert _collecting(x, ledger).replies(old) == []
    assert x.server.requests("GET", SEARCH) == []
    assert not ledger.exists()  # nothing spent


def test_the_daily_budget_counts_each_conversation_once_and_x_bills_each_reply_once(x: XFake, ledger: Path) -> None:
    channel = _collecting(x, ledger, reply_reads_per_day=2)
    first, second, third = (_publish(channel, number) for number in (1, 2, 3))
    for post in (first, second, third):
        x.reply(post.remote_id or "", "pertanyaan")
    x.credits = 1.0

    channel.replies(first)
    channel.replies(second)
    channel.replies(first)  # again today: not counted, and X does not bill its reply again
    assert x.credits == pytest.approx(1.0 - 2 * PRICE_PER_POST_READ)

    with pytest.raises(RateLimited) as caught:
        channel.replies(third)
    tomorrow = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)
    assert caught.value.retry_after == pytest.approx((tomorrow - datetime.now(UTC)).total_seconds(), abs=5)
    assert str(caught.value) == (
        "test: today's 2 reply searches are spent (reply_reads_per_day in [channels.test]); "
        "collecting goes on after 00.00 UTC"
    )
    assert len(x.server.requests("GET", SEARCH)) == 3
    assert json.loads(ledger.read_text())["reads"] == {"test:replies": [first.remote_id, second.remote_id]}


def test_the_budget_of_replies_is_apart_from_the_engagement_reads(x: XFake, ledger: Path) -> None:
    channel = _collecting(x, ledger, read_metrics=True, metric_reads_per_day=1, reply_reads_per_day=1)
    post = _publish(channel)
    channel.engagement(post)
    channel.replies(post)
    assert json.loads(ledger.read_text())["reads"] == {"test": [post.remote_id], "test:replies": [post.remote_id]}


def test_rate_limit_carries_retry_after_from_x_rate_limit_reset(x: XFake, ledger: Path) -> None:
    channel = _collecting(x, ledger)
    post = _publish(channel)
    x.server.inject(Fault("status", method="GET", path=SEARCH, response=x.rate_limit_response(75)))
    with pytest.raises(RateLimited) as caught:
        channel.replies(post)
    assert caught.value.retry_after == pytest.approx(75, abs=2)


def test_used_up_credits_hold_the_channel(x: XFake, ledger: Path) -> None:
    channel = _collecting(x, ledger)
    post = _publish(channel)
    x.reply(post.remote_id or "", "halo")
    x.credits = 0.001
    with pytest.raises(ChannelHeld, match="credits are used up"):
        channel.replies(post)


def test_an_app_without_search_access_holds_the_channel(x: XFake, ledger: Path) -> None:
    channel = _collecting(x, ledger)
    post = _publish(channel)
    x.search_access = False
    with pytest.raises(ChannelHeld, match="HTTP 403: When authenticating requests"):
        channel.replies(post)


def test_a_collection_with_collecting_off_asks_x_nothing_and_says_why(store: Store, x: XFake, ledger: Path) -> None:
    now = datetime.now(UTC)
    channel = make_channel(x, read_ledger_file=str(ledger))
    root = _publish(channel)
    stored_post(store, "test", root.remote_id or "", now - timedelta(hours=1))
    reason = XChannel.replies_unavailable_for("test", channel.settings)
    collector = ReplyCollector(store, FixedClock(now), {"test": reason}, lambda name: channel, load_rules(None))

    summary = collector.collect(7)

    assert (summary.read, summary.skipped, summary.channels["test"].reasons) == (0, 1, [reason])
    assert x.server.requests("GET", SEARCH) == []


def test_a_deleted_post_has_an_empty_conversation_not_a_failure(x: XFake, ledger: Path) -> None:
    # Recent search has no error for a deleted post: its conversation is simply found empty (docs/channels/x.md).
    channel = _collecting(x, ledger)
    post = _publish(channel)
    x.delete_tweet(post.remote_id or "")
    assert channel.replies(post) == []


def test_collected_into_the_store_the_office_answer_marks_the_citizen_reply_answered(
    store: Store, x: XFake, ledger: Path
) -> None:
    now = datetime.now(UTC)
    root = _publish(_collecting(x, ledger))
    post_id = stored_post(store, "test", root.remote_id or "", now - timedelta(hours=3))
    asked = x.reply(root.remote_id or "", "Brp biayanya?", created_at=(now - timedelta(hours=2)).timestamp())
    other = x.reply(root.remote_id or "", "Di mana?", "tetangga", created_at=(now - timedelta(hours=2)).timestamp())
    x.reply(asked, "@warga_bdl Gratis.", x.USER["username"], created_at=(now - timedelta(minutes=75)).timestamp())

    looked_up = len(x.server.requests("GET", r"/2/users/me"))

    summary = collect(store, now, lambda name: _collecting(x, ledger, name))

    assert (summary.read, summary.failed) == (1, 0)
    kept = by_remote_id(store)
    assert kept[asked].status is ReplyStatus.ANSWERED
    assert kept[asked].response_time == pytest.approx(timedelta(minutes=45), abs=timedelta(milliseconds=2))
    assert kept[asked].post_id == post_id
    assert kept[other].status is ReplyStatus.OPEN
    assert len(x.server.requests("GET", r"/2/users/me")) == looked_up  # the own id comes from the access token
