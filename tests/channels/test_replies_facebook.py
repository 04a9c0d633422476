"""Collecting a Facebook Page post's comments over the Graph API: every level with its parent, the Page's own
answers, hidden authors, paging, a token without pages_read_user_content, throttles, and into the store."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outreach.channels.facebook import FacebookChannel
from outreach.clock import FixedClock
from outreach.errors import ContentRejected, RateLimited
from outreach.model import ReplyStatus
from outreach.replies import ReplyCollector
from outreach.reply_rules import load_rules
from outreach.store import Store
from tests.channels.conftest import Checkpoints, make_channel, make_post
from tests.fakeplatform.facebook import FacebookFake
from tests.fakeplatform.graph_common import graph_error, published_post, throttled
from tests.fakeplatform.server import FakeServer, Fault
from tests.test_metrics import published

COMMENTS = r"/v26\.0/\d+_\d+/comments"
WRITTEN = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def facebook(server: FakeServer) -> FacebookFake:
    return FacebookFake(server)


def _publish(facebook: FacebookFake) -> tuple[FacebookChannel, str]:
    channel = make_channel(facebook)
    assert isinstance(channel, FacebookChannel)
    return channel, channel.publish(make_post(), Checkpoints()).remote_id


def test_comments_and_replies_come_with_their_parents_and_the_page_s_answer_is_the_office_s(
    facebook: FacebookFake,
) -> None:
    channel, post_id = _publish(facebook)
    question = facebook.comment(post_id, "Syaratnya apa aja min?", WRITTEN, author=("Rina Kedaton", "100089000000007"))
    answer = facebook.comment(
        post_id, "Cukup bawa KK asli.", WRITTEN + timedelta(hours=1), author="page", parent=question
    )
    hidden = facebook.comment(post_id, "buka hari sabtu?", WRITTEN + timedelta(hours=2), author=None)

    found = channel.replies(published_post(post_id))

    assert [(reply.remote_id, reply.author, reply.text, reply.parent_id, reply.from_office) for reply in found] == [
        (question, "Rina Kedaton", "Syaratnya apa aja min?", post_id, False),
        (answer, facebook.page_name, "Cukup bawa KK asli.", question, True),
        (hidden, "", "buka hari sabtu?", post_id, False),  # Meta hides who: kept, author unknown
    ]
    assert found[0].written_at == WRITTEN
    assert found[0].url is not None and found[0].url.startswith("https://www.facebook.com/")
    asked = facebook.server.requests("GET", COMMENTS)[-1].args
    assert asked["filter"] == "stream"
    assert asked["fields"] == "id,message,created_time,from,parent{id},permalink_url"


def test_many_comments_are_read_page_by_page_with_the_cursor(facebook: FacebookFake) -> None:
    channel, post_id = _publish(facebook)
    for number in range(230):
        facebook.comment(post_id, f"mantap {number}", WRITTEN + timedelta(minutes=number))

    found = channel.replies(published_post(post_id))

    assert [reply.text for reply in found] == [f"mantap {number}" for number in range(230)]
    requests = facebook.server.requests("GET", COMMENTS)
    assert len(requests) == 3
    assert "after" not in requests[0].args and requests[1].args["after"] and requests[2].args["after"]
    assert all("access_token" not in request.args for request in requests)  # the cursor, not paging.next


def test_paging_stops_at_its_bound(facebook: FacebookFake) -> None:
    channel, post_id = _publish(facebook)
    for number in range(1005):
        facebook.comment(post_id, f"ok {number}", WRITTEN)

    assert len(channel.replies(published_post(post_id))) == 1000
    assert len(facebook.server.requests("GET", COMMENTS)) == 10


def test_without_pages_read_user_content_nothing_fails_and_check_says_what_to_grant(
    facebook: FacebookFake, caplog: pytest.LogCaptureFixture
) -> None:
    channel, first = _publish(facebook)
    second = channel.publish(make_post("Bayar PBB kini bisa lewat aplikasi.", post_id=2), Checkpoints()).remote_id
    facebook.comment(first, "tolong dibantu", WRITTEN)
    facebook.read_user_content = False

    with caplog.at_level(logging.INFO):
        assert channel.replies(published_post(first)) == []
        assert channel.replies(published_post(second)) == []

    assert len(facebook.server.requests("GET", COMMENTS)) == 1  # refused once: not asked again this run
    assert "pages_read_user_content" in caplog.text and "tolong" not in caplog.text
    lines = make_channel(facebook).engagement_access()
    assert lines == [
        "replies (comments) are not collected: the token lacks the pages_read_engagement + pages_read_user_content "
        "permission; issue a new token that includes it"
    ]
    facebook.read_user_content = True
    assert make_channel(facebook).engagement_access() == []


def test_meta_s_code_200_shape_of_a_missing_permission_is_no_failure_either(facebook: FacebookFake) -> None:
    channel, post_id = _publish(facebook)
    refusal = graph_error(200, "(#200) Requires pages_read_user_content permission to manage the object", status=403)
    facebook.server.inject(Fault("status", method="GET", path=COMMENTS, response=refusal))

    assert channel.replies(published_post(post_id)) == []


def test_a_deleted_post_is_a_clear_permanent_error(facebook: FacebookFake) -> None:
    channel, post_id = _publish(facebook)
    facebook.delete(post_id)

    with pytest.raises(ContentRejected, match="not found: deleted, or not visible to this token"):
        channel.replies(published_post(post_id))


def test_a_throttle_is_a_rate_limit_with_meta_s_wait(facebook: FacebookFake) -> None:
    channel, post_id = _publish(facebook)
    facebook.server.inject(
        Fault("status", method="GET", path=COMMENTS, response=throttled(32, facebook.page_id, "pages", 240))
    )
    with pytest.raises(RateLimited) as caught:
        channel.replies(published_post(post_id))
    assert caught.value.retry_after == pytest.approx(240)


def test_collecting_stops_while_meta_reports_the_app_near_its_limit(facebook: FacebookFake) -> None:
    """The reading usage limit that engagement honours holds for replies too: the rest is left for posting."""
    channel, post_id = _publish(facebook)
    facebook.app_usage = {"call_count": 80, "total_cputime": 10, "total_time": 20}
    channel.replies(published_post(post_id))  # this answer reports 80 %

    with pytest.raises(RateLimited, match="replies are collected again"):
        channel.replies(published_post(post_id))
    assert len(facebook.server.requests("GET", COMMENTS)) == 1


def test_markup_in_a_comment_stays_plain_text(facebook: FacebookFake) -> None:
    channel, post_id = _publish(facebook)
    hostile = "<script>alert(1)</script> <b>banjir</b> &amp; \u202egnp.exe"
    facebook.comment(post_id, hostile, WRITTEN)

    assert [reply.text for reply in channel.replies(published_post(post_id))] == [hostile]


def test_the_page_s_answer_marks_the_citizen_s_comment_answered_in_the_store(
    facebook: FacebookFake, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    channel, remote_id = _publish(facebook)
    question = facebook.comment(remote_id, "brp biayanya?", now - timedelta(hours=3))
    facebook.comment(remote_id, "Gratis, Kak.", now - timedelta(hours=1), author="page", parent=question)
    facebook.comment(remote_id, "jam buka?", now - timedelta(minutes=30))
    store = Store("sqlite:///" + str(tmp_path / "s.sqlite3"))
    try:
        published(store, "fb", remote_id, now - timedelta(days=1))
        clock = FixedClock(now)
        collector = ReplyCollector(
            store, clock, {"fb": None}, lambda name: make_channel(facebook, name, clock), load_rules()
        )

        summary = collector.collect(30)
        collector.collect(30)  # found again: kept once

        assert summary.read == 1 and summary.failed == 0
        citizens = {reply.text: reply for reply in store.replies()}
        assert set(citizens) == {"brp biayanya?", "jam buka?"}
        assert citizens["brp biayanya?"].status is ReplyStatus.ANSWERED
        assert citizens["brp biayanya?"].response_time == timedelta(hours=2)
        assert citizens["jam buka?"].status is ReplyStatus.OPEN
        assert [reply.text for reply in store.replies(from_office=True)] == ["Gratis, Kak."]
    finally:
        store.close()
