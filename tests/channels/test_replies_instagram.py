"""Collecting an Instagram media's comments over the Graph API: comments with their replies, the account's own
answers, paging, a token without instagram_manage_comments, throttles, and into the store."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outreach.channels.instagram import InstagramChannel
from outreach.clock import FixedClock
from outreach.errors import ContentRejected, RateLimited
from outreach.model import ReplyStatus
from outreach.replies import ReplyCollector
from outreach.reply_rules import load_rules
from outreach.store import Store
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.graph_common import published_post, throttled
from tests.fakeplatform.instagram import InstagramFake
from tests.fakeplatform.server import FakeServer, Fault
from tests.test_metrics import published

COMMENTS = r"/v26\.0/\d+/comments"
WRITTEN = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def instagram(server: FakeServer) -> InstagramFake:
    return InstagramFake(server)


def _publish(instagram: InstagramFake) -> tuple[InstagramChannel, str]:
    channel = make_channel(instagram)
    assert isinstance(channel, InstagramChannel)
    return channel, channel.publish(make_post(image=SAMPLE_IMAGE), Checkpoints()).remote_id


def test_comments_with_their_replies_and_the_account_s_own_answers(instagram: InstagramFake) -> None:
    channel, media = _publish(instagram)
    question = instagram.comment(media, "sy hrs bawa apa aja?", WRITTEN, username="rina.kedaton")
    answer = instagram.comment(
        media,
        "@rina.kedaton bawa KK asli ya",
        WRITTEN + timedelta(hours=1),
        username=instagram.username,
        parent=question,
    )
    other = instagram.comment(media, "mantap pak", WRITTEN + timedelta(hours=2), username="budi_tbk")

    found = channel.replies(published_post(media))

    by_id = {reply.remote_id: reply for reply in found}
    assert set(by_id) == {question, answer, other}
    assert (by_id[question].author, by_id[question].parent_id, by_id[question].from_office) == (
        "rina.kedaton",
        media,
        False,
    )
    assert (by_id[answer].parent_id, by_id[answer].from_office) == (question, True)
    assert by_id[other].written_at == WRITTEN + timedelta(hours=2)
    fields = instagram.server.requests("GET", COMMENTS)[-1].args["fields"]
    assert fields == "id,text,timestamp,username,from,replies{id,text,timestamp,username,from}"


def test_many_comments_are_read_page_by_page(instagram: InstagramFake) -> None:
    channel, media = _publish(instagram)
    for number in range(120):
        instagram.comment(media, f"keren {number}", WRITTEN + timedelta(minutes=number))

    found = channel.replies(published_post(media))

    assert sorted(reply.text for reply in found) == sorted(f"keren {number}" for number in range(120))
    requests = instagram.server.requests("GET", COMMENTS)
    assert len(requests) == 3 and requests[2].args["after"]


def test_without_manage_comments_nothing_fails_and_check_says_what_to_grant(
    instagram: InstagramFake, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    channel, media = _publish(instagram)
    instagram.comment(media, "tolong", WRITTEN)
    instagram.manage_comments = False

    with caplog.at_level(logging.INFO):
        assert channel.replies(published_post(media)) == []
    assert "Graph error 10" in caplog.text and "tolong" not in caplog.text

    lines = make_channel(instagram).engagement_access()
    assert lines == [
        "replies (comments) are not collected: the token lacks the instagram_basic + instagram_manage_comments "
        "+ pages_read_engagement permission; issue a new token that includes it"
    ]
    lines = make_channel(
        instagram, login="instagram", base_url=instagram.server.url, token_state_file=str(tmp_path / "token.json")
    ).engagement_access()
    assert "instagram_business_manage_comments" in lines[-1]


def test_a_deleted_media_is_a_clear_permanent_error(instagram: InstagramFake) -> None:
    channel, media = _publish(instagram)
    instagram.delete(media)
    with pytest.raises(ContentRejected, match="not found"):
        channel.replies(published_post(media))


def test_a_throttle_is_a_rate_limit(instagram: InstagramFake) -> None:
    channel, media = _publish(instagram)
    instagram.server.inject(
        Fault("status", method="GET", path=COMMENTS, response=throttled(80002, instagram.ig_user_id, "instagram", 300))
    )
    with pytest.raises(RateLimited) as caught:
        channel.replies(published_post(media))
    assert caught.value.retry_after == pytest.approx(300)


def test_collecting_stops_while_meta_reports_the_app_near_its_limit(instagram: InstagramFake) -> None:
    channel, media = _publish(instagram)
    instagram.app_usage = {"call_count": 90, "total_cputime": 10, "total_time": 20}
    channel.replies(published_post(media))
    with pytest.raises(RateLimited, match="replies are collected again"):
        channel.replies(published_post(media))


def test_markup_in_a_comment_stays_plain_text(instagram: InstagramFake) -> None:
    channel, media = _publish(instagram)
    hostile = '<img src=x onerror="alert(1)"> **darurat** \u200b'
    instagram.comment(media, hostile, WRITTEN)
    assert [reply.text for reply in channel.replies(published_post(media))] == [hostile]


def test_the_account_s_answer_marks_the_citizen_s_comment_answered_in_the_store(
    instagram: InstagramFake, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    channel, media = _publish(instagram)
    question = instagram.comment(media, "buka hari sabtu gk?", now - timedelta(hours=5), username="warga.way.halim")
    instagram.comment(media, "Buka, Kak.", now - timedelta(hours=2), username=instagram.username, parent=question)
    store = Store("sqlite:///" + str(tmp_path / "s.sqlite3"))
    try:
        published(store, "ig", media, now - timedelta(days=2))
        clock = FixedClock(now)
        collector = ReplyCollector(
            store, clock, {"ig": None}, lambda name: make_channel(instagram, name, clock), load_rules()
        )

        summary = collector.collect(30)

        assert summary.read == 1 and summary.failed == 0
        [citizen] = store.replies()
        assert (citizen.author, citizen.status) == ("warga.way.halim", ReplyStatus.ANSWERED)
        assert citizen.response_time == timedelta(hours=3)
    finally:
        store.close()
