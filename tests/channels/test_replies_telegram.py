"""Collecting a Telegram channel's comments from the bot's updates (its linked discussion group): comments
mapped to their posts through the automatic forwards, the channel's own answers, paging through the
updates, a confirmation scheme that no crash can make lose a comment, and what the Bot API refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from outreach.channels.telegram import KEEP_COMMENTS, TelegramChannel
from outreach.clock import FixedClock
from outreach.errors import AuthError, PublishError, RateLimited
from outreach.model import Post, ReplyStatus
from outreach.replies import ReplyCollector
from outreach.reply_rules import load_rules
from outreach.store import Store
from tests.channels.conftest import Checkpoints, make_channel, make_post
from tests.fakeplatform.graph_common import published_post
from tests.fakeplatform.server import FakeServer, Fault
from tests.fakeplatform.telegram import TelegramFake
from tests.test_metrics import published

GET_UPDATES = r"/bot[^/]+/getUpdates"


@pytest.fixture
def telegram(server: FakeServer) -> TelegramFake:
    return TelegramFake(server)


def _channel(telegram: TelegramFake, tmp_path: Path, **overrides: Any) -> TelegramChannel:
    channel = make_channel(telegram, updates_state_file=str(tmp_path / "updates.json"), **overrides)
    assert isinstance(channel, TelegramChannel)
    return channel


def _publish(telegram: TelegramFake, tmp_path: Path, count: int = 1) -> list[Post]:
    channel = _channel(telegram, tmp_path)
    return [
        published_post(
            channel.publish(make_post(f"Unggahan {number}", post_id=number), Checkpoints()).remote_id, number
        )
        for number in range(1, count + 1)
    ]


def test_comments_map_to_their_posts_with_parents_and_the_channel_s_answers(
    telegram: TelegramFake, tmp_path: Path
) -> None:
    first, second = _publish(telegram, tmp_path, 2)
    first_message, second_message = int(first.remote_id or 0), int(second.remote_id or 0)
    question = telegram.comment(first_message, "syaratnya apa aja min?")
    answer = telegram.comment(first_message, "Bawa KK asli.", sender="channel", reply_to=question)
    thanks = telegram.comment(first_message, "makasih min", reply_to=answer)
    other = telegram.comment(second_message, "mantap")
    group = str(telegram.GROUP["id"])

    found = _channel(telegram, tmp_path).channel_replies([first, second])

    assert {post_id: [reply.remote_id for reply in replies] for post_id, replies in found.items()} == {
        1: [f"{group}/{question}", f"{group}/{answer}", f"{group}/{thanks}"],
        2: [f"{group}/{other}"],
    }
    ask, reply, again = found[1]
    assert (ask.author, ask.text, ask.parent_id, ask.from_office) == (
        "@rinakdt",
        "syaratnya apa aja min?",
        first.remote_id,
        False,
    )
    assert ask.url == f"https://t.me/kominfobdl/{first_message}?comment={question}"
    assert (reply.author, reply.parent_id, reply.from_office) == ("@kominfobdl", ask.remote_id, True)
    assert (again.parent_id, again.from_office) == (reply.remote_id, False)
    assert abs(ask.written_at - datetime.now(UTC)) < timedelta(minutes=1)
    asked = telegram.server.requests("POST", GET_UPDATES)[0].get_json()
    assert asked["allowed_updates"] == ["message"] and "offset" not in asked


def test_updates_are_confirmed_only_after_they_are_kept_on_disk_and_a_crash_loses_nothing(
    telegram: TelegramFake, tmp_path: Path
) -> None:
    [post] = _publish(telegram, tmp_path)
    comment = telegram.comment(int(post.remote_id or 0), "jam buka?")

    # The first collection reads the updates and confirms none of them ...
    first = _channel(telegram, tmp_path).channel_replies([post])
    assert [reply.remote_id for reply in first[1]] == [f"{telegram.GROUP['id']}/{comment}"]
    assert len(telegram.updates) == 2  # the automatic forward and the comment, both unconfirmed
    kept = tmp_path / "updates.json"
    assert kept.stat().st_mode & 0o077 == 0  # owner-only: it holds comments until the store has them
    assert telegram.TOKEN.split(":")[1] not in kept.read_text()
    # ... and then "crashes" before the store kept them: the next collection hands them again, though it
    # now confirms them at Telegram (they are in the state file).
    second = _channel(telegram, tmp_path).channel_replies([post])
    assert second == first
    assert telegram.updates == []
    offsets = [request.get_json().get("offset") for request in telegram.server.requests("POST", GET_UPDATES)]
    assert offsets[0] is None and offsets[-1] == int(telegram._next_update_id) + 1

    # After KEEP_COMMENTS the file forgets them: the store has had them many times by then.
    later = _channel(telegram, tmp_path)
    later.wall_clock = FixedClock(datetime.now(UTC) + KEEP_COMMENTS + timedelta(minutes=1))
    assert later.channel_replies([post]) == {}


def test_a_failure_while_reading_confirms_nothing(telegram: TelegramFake, tmp_path: Path) -> None:
    [post] = _publish(telegram, tmp_path)
    telegram.comment(int(post.remote_id or 0), "kok antri lama?")
    telegram.server.inject(Fault("reset", method="POST", path=GET_UPDATES))

    with pytest.raises(PublishError):
        _channel(telegram, tmp_path).channel_replies([post])

    assert [reply.text for reply in _channel(telegram, tmp_path).channel_replies([post])[1]] == ["kok antri lama?"]


def test_many_updates_are_read_in_calls_of_a_hundred(telegram: TelegramFake, tmp_path: Path) -> None:
    [post] = _publish(telegram, tmp_path)
    for number in range(250):
        telegram.comment(int(post.remote_id or 0), f"komentar {number}")

    found = _channel(telegram, tmp_path).channel_replies([post])

    assert [reply.text for reply in found[1]] == [f"komentar {number}" for number in range(250)]
    offsets = [request.get_json().get("offset") for request in telegram.server.requests("POST", GET_UPDATES)]
    assert len(offsets) == 3 and offsets[0] is None and offsets[1] < offsets[2]


def test_comments_on_posts_not_asked_about_and_group_talk_are_left_out(telegram: TelegramFake, tmp_path: Path) -> None:
    """A post deleted, or older than the collection's days, is not among ``posts``: its comments are left out."""
    first, second = _publish(telegram, tmp_path, 2)
    telegram.comment(int(second.remote_id or 0), "kapan lagi?")

    assert _channel(telegram, tmp_path).channel_replies([first]) == {}


def test_a_webhook_is_a_clear_error(telegram: TelegramFake, tmp_path: Path) -> None:
    [post] = _publish(telegram, tmp_path)
    telegram.webhook_url = "https://bot.example.go.id/hook"

    with pytest.raises(AuthError, match="a webhook is set for this bot.*deleteWebhook"):
        _channel(telegram, tmp_path).channel_replies([post])


def test_a_bot_in_privacy_mode_that_is_no_admin_sees_no_comments(telegram: TelegramFake, tmp_path: Path) -> None:
    telegram.group_status, telegram.privacy_mode = "member", True
    [post] = _publish(telegram, tmp_path)
    telegram.comment(int(post.remote_id or 0), "halo")
    assert _channel(telegram, tmp_path).channel_replies([post]) == {}

    telegram.privacy_mode = False  # /setprivacy Disable at @BotFather
    [later] = [
        published_post(_channel(telegram, tmp_path).publish(make_post("Lagi", post_id=2), Checkpoints()).remote_id, 2)
    ]
    telegram.comment(int(later.remote_id or 0), "halo lagi")
    assert [reply.text for reply in _channel(telegram, tmp_path).channel_replies([later])[2]] == ["halo lagi"]


def test_comments_older_than_a_day_unread_are_gone(telegram: TelegramFake, tmp_path: Path) -> None:
    """Telegram keeps an update 24 hours: the collection must run more often than that."""
    [post] = _publish(telegram, tmp_path)
    telegram.comment(int(post.remote_id or 0), "tolong dibantu")
    telegram.now = lambda: datetime.now(UTC) + timedelta(hours=25)

    assert _channel(telegram, tmp_path).channel_replies([post]) == {}


def test_a_429_is_a_rate_limit(telegram: TelegramFake, tmp_path: Path) -> None:
    [post] = _publish(telegram, tmp_path)
    telegram.server.inject(Fault("status", method="POST", path=GET_UPDATES, response=telegram.rate_limit_response(17)))
    with pytest.raises(RateLimited) as caught:
        _channel(telegram, tmp_path).channel_replies([post])
    assert caught.value.retry_after == 17


def test_markup_in_a_comment_stays_plain_text(telegram: TelegramFake, tmp_path: Path) -> None:
    [post] = _publish(telegram, tmp_path)
    hostile = "<b>banjir</b> *darurat* [klik](javascript:alert(1)) \u202e"
    telegram.comment(int(post.remote_id or 0), hostile)
    assert [reply.text for reply in _channel(telegram, tmp_path).channel_replies([post])[1]] == [hostile]


def test_the_channel_s_answer_marks_the_citizen_s_comment_answered_in_the_store(
    telegram: TelegramFake, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    [post] = _publish(telegram, tmp_path)
    message = int(post.remote_id or 0)
    question = telegram.comment(message, "brp lama jadinya?", at=now - timedelta(hours=4))
    telegram.comment(message, "Satu hari, Kak.", sender="channel", reply_to=question, at=now - timedelta(hours=1))
    telegram.comment(message, "kalau hilang gimana?", at=now - timedelta(minutes=20))
    store = Store("sqlite:///" + str(tmp_path / "s.sqlite3"))
    try:
        published(store, "tg", str(message), now - timedelta(days=1))
        clock = FixedClock(now)
        collector = ReplyCollector(
            store,
            clock,
            {"tg": None},
            lambda name: _channel(telegram, tmp_path, name=name, clock=clock),
            load_rules(),
            whole_channel=["tg"],
        )

        summary = collector.collect(30)
        collector.collect(30)  # handed again from the state file: kept once

        assert summary.read == 1 and summary.failed == 0
        citizens = {reply.text: reply for reply in store.replies()}
        assert set(citizens) == {"brp lama jadinya?", "kalau hilang gimana?"}
        assert citizens["brp lama jadinya?"].status is ReplyStatus.ANSWERED
        assert citizens["brp lama jadinya?"].response_time == timedelta(hours=3)
        assert citizens["kalau hilang gimana?"].status is ReplyStatus.OPEN
        assert citizens["kalau hilang gimana?"].author == "@rinakdt"
    finally:
        store.close()


def test_check_warns_when_no_discussion_group_is_linked(telegram: TelegramFake, tmp_path: Path) -> None:
    assert _channel(telegram, tmp_path).check().detail == "posts to @kominfobdl as administrator"

    telegram.discussion_linked = False

    detail = _channel(telegram, tmp_path).check().detail
    assert detail == (
        "posts to @kominfobdl as administrator; warning: no discussion group is linked to @kominfobdl, so there "
        "are no comments to collect (Manage channel → Discussion)"
    )


def test_another_channel_of_the_same_bot_reading_first_takes_nothing_away(
    telegram: TelegramFake, tmp_path: Path
) -> None:
    """Updates are the bot's: the other channel's collection confirms them, and this one still gets its comments."""
    [post] = _publish(telegram, tmp_path)
    telegram.comment(int(post.remote_id or 0), "min, syaratnya?")
    other = _channel(telegram, tmp_path, name="dinkes", chat_id="@dinkesbdl")

    assert other.channel_replies([published_post(str(post.remote_id), 7)]) == {}
    _channel(telegram, tmp_path).channel_replies([])  # confirms everything at Telegram
    assert telegram.updates == []

    found = _channel(telegram, tmp_path).channel_replies([post])
    assert [reply.text for reply in found[1]] == ["min, syaratnya?"]
