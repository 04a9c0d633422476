"""What is special about Telegram: UTF-16 limits, retry_after in the body, check() reasons, the token in the URL."""

from __future__ import annotations

import logging
import traceback

import pytest

from outreach.channels.base import Outcome
from outreach.errors import AuthError, ChannelHeld, ContentRejected, NetworkError, OutreachError, RateLimited
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.server import FakeServer, Fault
from tests.fakeplatform.telegram import TelegramFake, error

EMOJI = "\U0001f3db"  # 🏛: one code point, two UTF-16 code units


@pytest.fixture
def fake(server: FakeServer) -> TelegramFake:
    return TelegramFake(server)


def test_message_goes_to_the_channel_with_a_link_preview_and_a_public_link(fake: TelegramFake) -> None:
    channel = make_channel(fake)
    post = make_post()
    result = channel.publish(post, Checkpoints())

    (sent,) = fake.server.requests("POST", r"/bot[^/]+/sendMessage")
    assert sent.get_json() == {
        "chat_id": "@kominfobdl",
        "text": post.text,
        "link_preview_options": {"url": post.link},
    }
    assert result.remote_id == str(fake.created[0]["message_id"])
    assert result.url == f"https://t.me/kominfobdl/{result.remote_id}"


def test_link_preview_can_be_switched_off(fake: TelegramFake) -> None:
    channel = make_channel(fake, link_preview=False)
    channel.publish(make_post(), Checkpoints())
    assert fake.created[0]["link_preview_options"] == {"is_disabled": True}
    # No card then: the renderer keeps the tracking in the text's link instead.
    assert type(channel).capabilities_for(channel.settings).link_card == "never"
    assert type(channel).capabilities_for(make_channel(fake).settings).link_card == "without_image"


def test_photo_is_uploaded_with_its_caption(fake: TelegramFake) -> None:
    channel = make_channel(fake)
    post = make_post(image=SAMPLE_IMAGE)
    result = channel.publish(post, Checkpoints())

    (sent,) = fake.server.requests("POST", r"/bot[^/]+/sendPhoto")
    assert sent.mimetype == "multipart/form-data"
    assert sent.form["chat_id"] == "@kominfobdl"
    assert fake.created == [
        {"message_id": int(result.remote_id), "caption": post.text, "photo_bytes": SAMPLE_IMAGE.stat().st_size}
    ]


def test_text_limit_counts_utf16_code_units_with_an_emoji_at_the_limit(fake: TelegramFake) -> None:
    channel = make_channel(fake)
    at_limit = "a" * 4094 + EMOJI  # 4095 code points, 4096 UTF-16 units
    channel.publish(make_post(text=at_limit, post_id=1), Checkpoints())
    assert fake.created[0]["text"] == at_limit

    over = "a" * 4095 + EMOJI  # 4096 code points: a code-point count would let it through
    before = len(fake.server.requests())
    with pytest.raises(ContentRejected) as caught:
        channel.publish(make_post(text=over, post_id=2), Checkpoints())
    assert "4097/4096" in str(caught.value)
    assert len(fake.server.requests()) == before


def test_caption_limit_applies_when_the_post_has_a_photo(fake: TelegramFake) -> None:
    channel = make_channel(fake)
    caption = "b" * 1022 + EMOJI  # 1024 units
    channel.publish(make_post(text=caption, image=SAMPLE_IMAGE, post_id=1), Checkpoints())

    too_long = caption + "c"
    before = len(fake.server.requests())
    with pytest.raises(ContentRejected) as caught:
        channel.publish(make_post(text=too_long, image=SAMPLE_IMAGE, post_id=2), Checkpoints())
    assert "1025/1024" in str(caught.value)
    assert len(fake.server.requests()) == before

    # The same text fits as a message without a photo.
    channel.publish(make_post(text=too_long, post_id=3), Checkpoints())
    assert [entry.get("text") for entry in fake.created] == [None, too_long]


def test_caption_limit_is_configurable(fake: TelegramFake) -> None:
    channel = make_channel(fake, caption_limit=2048)
    assert channel.capabilities.caption_limit is not None
    assert channel.capabilities.caption_limit.maximum == 2048
    # Telegram itself still refuses what its own limit does not allow.
    with pytest.raises(ContentRejected, match="caption is too long"):
        channel.publish(make_post(text="d" * 1500, image=SAMPLE_IMAGE), Checkpoints())
    assert fake.created == []


def test_message_too_long_from_telegram_is_content_rejected(fake: TelegramFake) -> None:
    channel = make_channel(fake, text_limit=5000)
    with pytest.raises(ContentRejected, match="message is too long"):
        channel.publish(make_post(text="e" * 4500), Checkpoints())


def test_retry_after_comes_from_the_body(fake: TelegramFake) -> None:
    response = fake.rate_limit_response(12)
    assert "Retry-After" not in response.headers
    fake.server.inject(Fault("status", path=fake.create_path, response=response))
    channel = make_channel(fake)
    with pytest.raises(RateLimited) as caught:
        channel.publish(make_post(), Checkpoints())
    assert caught.value.retry_after == 12
    assert fake.created == []


def test_chat_not_found_needs_a_person(fake: TelegramFake) -> None:
    channel = make_channel(fake, chat_id="@bukan_kanal_kami")
    with pytest.raises(AuthError, match="chat not found") as caught:
        channel.publish(make_post(), Checkpoints())
    assert "chat_id = '@bukan_kanal_kami'" in str(caught.value)


def test_bot_removed_from_the_channel_holds_the_channel(fake: TelegramFake) -> None:
    """Every post would be refused the same way: the channel is held until the bot is added back."""
    fake.bot_status = "left"
    channel = make_channel(fake)
    with pytest.raises(ChannelHeld, match="bot is not a member"):
        channel.publish(make_post(), Checkpoints())


def test_chat_id_must_be_a_username_or_a_number() -> None:
    from outreach.channels import validate_settings

    with pytest.raises(ValueError, match="chat_id"):
        validate_settings({"type": "telegram", "chat_id": "kominfobdl"})
    assert validate_settings({"type": "telegram", "chat_id": "-1001234567890"}).chat_id == "-1001234567890"


def test_check_names_the_bot_and_the_channel(fake: TelegramFake) -> None:
    identity = make_channel(fake).check()
    assert identity.handle == "@kominfobdl_bot"
    assert identity.detail == "posts to @kominfobdl as administrator"


def test_check_says_when_the_bot_is_not_an_admin(fake: TelegramFake) -> None:
    fake.bot_status = "member"
    with pytest.raises(AuthError) as caught:
        make_channel(fake).check()
    assert str(caught.value) == "test: bot is not an admin of @kominfobdl"


def test_check_says_when_the_bot_may_not_post(fake: TelegramFake) -> None:
    fake.can_post_messages = False
    with pytest.raises(AuthError) as caught:
        make_channel(fake).check()
    assert str(caught.value) == "test: bot may not post messages in @kominfobdl"


def test_check_reads_a_refused_membership_lookup_as_not_an_admin(fake: TelegramFake) -> None:
    refused = error(400, "Bad Request: member list is inaccessible")
    fake.server.inject(Fault("status", path=r"/bot[^/]+/getChatMember", response=refused))
    with pytest.raises(AuthError) as caught:
        make_channel(fake).check()
    assert str(caught.value).startswith("test: bot is not an admin of @kominfobdl (")
    assert "member list is inaccessible" in str(caught.value)


def test_check_reports_a_wrong_chat(fake: TelegramFake) -> None:
    with pytest.raises(AuthError, match="chat not found"):
        make_channel(fake, chat_id="-1009999999999").check()


def test_check_reports_a_rejected_token(fake: TelegramFake) -> None:
    fake.expire_token()
    with pytest.raises(AuthError, match="Unauthorized"):
        make_channel(fake).check()


def test_reconcile_cannot_tell(fake: TelegramFake) -> None:
    channel = make_channel(fake)
    assert channel.reconcile(make_post()).outcome is Outcome.CANNOT_TELL
    assert fake.server.requests() == []


def test_token_never_appears_in_logs_or_errors(fake: TelegramFake, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = TelegramFake.TOKEN
    channel = make_channel(fake)
    channel.publish(make_post(post_id=1), Checkpoints())
    channel.check()

    failures: list[OutreachError] = []
    for fault in (Fault("status", path=fake.create_path, response=fake.server_error_response()), Fault("html")):
        fake.server.inject(fault)
        with pytest.raises(OutreachError) as caught:
            channel.publish(make_post(post_id=2), Checkpoints())
        failures.append(caught.value)
    with pytest.raises(NetworkError) as unreachable:
        make_channel(fake, base_url="http://127.0.0.1:9").publish(make_post(post_id=3), Checkpoints())
    failures.append(unreachable.value)
    fake.expire_token()
    with pytest.raises(AuthError) as expired:
        channel.publish(make_post(post_id=4), Checkpoints())
    failures.append(expired.value)

    request_lines = [r.getMessage() for r in caplog.records if r.name == "urllib3.connectionpool"]
    assert any("/bot70****/sendMessage" in line for line in request_lines)  # urllib3 logged it, masked
    printed = "\n".join(
        [record.getMessage() for record in caplog.records]
        + ["".join(traceback.format_exception(error)) for error in failures]
    )
    assert token not in printed
    assert token.split(":")[1] not in printed
