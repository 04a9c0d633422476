"""What is special about the WhatsApp hand-off: the file staff paste from, the staff notices, reconcile."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from outreach.channels import build_channel, validate_settings
from outreach.channels.base import Channel, Outcome
from outreach.clock import SystemClock
from outreach.errors import AuthError, ConfigError, ContentRejected, LocalIOError
from tests.channels.conftest import SAMPLE_IMAGE, Checkpoints, make_channel, make_post
from tests.fakeplatform.server import FakeServer, Fault
from tests.fakeplatform.whatsapp_manual import STAFF_CHAT, STAFF_HOOK_PATH, TOKEN, WhatsAppManualFake

#: WhatsApp formatting, emoji, blank lines and a trailing space: all must reach the file untouched.
WHATSAPP_TEXT = (
    "*KTP Sehari Jadi* 🪪\n\n"
    "Urus KTP-el kini _selesai dalam satu hari_.\r\n"
    "• Bawa Kartu Keluarga asli\n"
    "Info: https://layanan.bandarlampungkota.go.id/ktp \n"
)
#: 01:00 WIB on 1 December: the file is dated by the city's calendar, not by UTC's 30 November.
LATE_EVENING_UTC = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
FILE_NAME = "2026-12-01_1_ktp-sehari-jadi.txt"


@pytest.fixture
def fake(server: FakeServer) -> WhatsAppManualFake:
    return WhatsAppManualFake(server)


def handoff_post(**kwargs: Any) -> Any:
    return replace(make_post(text=WHATSAPP_TEXT, **kwargs), scheduled_at=LATE_EVENING_UTC)


def notifying(fake: WhatsAppManualFake) -> Channel:
    return make_channel(fake, **fake.notify_settings())


def test_handoff_file_holds_the_text_exactly_under_a_sortable_name(fake: WhatsAppManualFake) -> None:
    result = make_channel(fake).publish(handoff_post(), Checkpoints())

    assert result.remote_id == FILE_NAME
    assert result.url is None and result.handed_off
    assert (fake.directory / FILE_NAME).read_bytes() == WHATSAPP_TEXT.encode("utf-8")
    assert sorted(p.name for p in fake.directory.iterdir()) == [FILE_NAME]


def test_image_is_copied_next_to_the_text(fake: WhatsAppManualFake) -> None:
    make_channel(fake).publish(handoff_post(image=SAMPLE_IMAGE), Checkpoints())

    image = fake.directory / "2026-12-01_1_ktp-sehari-jadi.jpg"
    assert image.read_bytes() == SAMPLE_IMAGE.read_bytes()
    assert fake.created == [{"file": FILE_NAME, "text": WHATSAPP_TEXT, "images": [image.name]}]


def test_handing_off_again_replaces_the_same_file(fake: WhatsAppManualFake) -> None:
    channel = make_channel(fake)
    channel.publish(handoff_post(), Checkpoints())
    channel.publish(handoff_post(), Checkpoints())
    assert [entry["file"] for entry in fake.created] == [FILE_NAME]


def test_staff_are_notified_in_telegram_and_the_chat_tool(fake: WhatsAppManualFake) -> None:
    notifying(fake).publish(handoff_post(image=SAMPLE_IMAGE), Checkpoints())

    notice, photo, text = fake.staff_messages
    assert notice["method"] == "sendMessage"
    assert FILE_NAME in notice["text"] and "outreach post confirm 1" in notice["text"]
    assert "2026-12-01 01:00" in notice["text"]
    image_name = "2026-12-01_1_ktp-sehari-jadi.jpg"
    assert photo == {"method": "sendPhoto", "photo": SAMPLE_IMAGE.read_bytes(), "file_name": image_name}
    assert text == {"method": "sendMessage", "text": WHATSAPP_TEXT, "parse_mode": None}
    [hook] = fake.staff_hooks
    assert hook["event"] == "post.handed_off"
    assert hook["file"] == FILE_NAME and hook["post_id"] == 1 and hook["text"] == notice["text"]


def test_expired_staff_bot_token_does_not_lose_the_handoff(
    fake: WhatsAppManualFake, caplog: pytest.LogCaptureFixture
) -> None:
    fake.expire_token()
    caplog.set_level(logging.WARNING)
    result = notifying(fake).publish(handoff_post(), Checkpoints())

    assert result.handed_off and result.remote_id == FILE_NAME
    assert (fake.directory / FILE_NAME).read_bytes() == WHATSAPP_TEXT.encode("utf-8")
    [warning] = [r.getMessage() for r in caplog.records if "Telegram" in r.getMessage()]
    assert FILE_NAME in warning and "Unauthorized" in warning
    assert TOKEN not in caplog.text
    assert len(fake.staff_hooks) == 1  # the other notification still went out


@pytest.mark.parametrize(
    ("fault_path", "text", "reason"),
    [
        (r"/bot[^/]+/sendMessage", WHATSAPP_TEXT, "Bad Gateway"),
        (None, "🪪" * 4000, "message is too long"),  # 4000 characters for WhatsApp, 8000 UTF-16 units for Telegram
        (STAFF_HOOK_PATH, WHATSAPP_TEXT, "HTTP 502"),
    ],
    ids=["telegram-down", "too-long-for-telegram", "chat-tool-down"],
)
def test_a_failed_notice_is_a_warning_and_the_file_stays(
    fake: WhatsAppManualFake, caplog: pytest.LogCaptureFixture, fault_path: str | None, text: str, reason: str
) -> None:
    if fault_path is not None:
        fake.server.inject(Fault("status", path=fault_path, response=fake.server_error_response()))
    caplog.set_level(logging.WARNING)
    post = replace(handoff_post(), text=text)
    result = notifying(fake).publish(post, Checkpoints())

    assert result.handed_off
    assert (fake.directory / FILE_NAME).read_bytes() == text.encode("utf-8")
    assert any(reason in record.getMessage() and FILE_NAME in record.getMessage() for record in caplog.records)
    for secret in (*fake.environ.values(), STAFF_HOOK_PATH):  # the error names the address without its query
        assert secret not in caplog.text


def test_missing_staff_bot_token_fails_before_anything_is_handed_off(fake: WhatsAppManualFake) -> None:
    block = {**fake.channel_settings(), **fake.notify_settings()}
    channel = build_channel("test", validate_settings(block), {}, SystemClock())
    with pytest.raises(ConfigError, match="HANDOFF_TELEGRAM_BOT_TOKEN"):
        channel.publish(handoff_post(), Checkpoints())
    assert fake.created == []


def test_unreadable_image_is_rejected_and_nothing_is_handed_off(fake: WhatsAppManualFake, tmp_path: Path) -> None:
    with pytest.raises(ContentRejected, match="image file .*hilang.jpg' not found"):
        make_channel(fake).publish(handoff_post(image=tmp_path / "hilang.jpg"), Checkpoints())
    assert fake.created == []


def test_reconcile_finds_the_handoff_file(fake: WhatsAppManualFake) -> None:
    channel = make_channel(fake)
    post = handoff_post()
    assert channel.reconcile(post).outcome is Outcome.NOT_PUBLISHED

    # A crash before the rename leaves only the hidden temporary file: not handed off.
    (fake.directory / f".{FILE_NAME}.tmp").write_text(WHATSAPP_TEXT[:10], encoding="utf-8")
    assert channel.reconcile(post).outcome is Outcome.NOT_PUBLISHED

    channel.publish(post, Checkpoints())
    found = channel.reconcile(post)
    assert found.outcome is Outcome.PUBLISHED
    assert found.result is not None
    assert found.result.remote_id == FILE_NAME and found.result.handed_off and found.result.url is None


def test_check_finds_the_folder_writable(fake: WhatsAppManualFake) -> None:
    identity = make_channel(fake).check()
    assert identity.handle == str(fake.directory.resolve())
    assert fake.server.requests() == []


def test_check_asks_telegram_for_the_bot_and_the_staff_chat(fake: WhatsAppManualFake) -> None:
    identity = notifying(fake).check()
    assert "@humas_serah_bot" in identity.detail and "Staf Humas" in identity.detail
    assert [request.path.rsplit("/", 1)[1] for request in fake.server.requests("GET")] == ["getMe", "getChat"]
    assert fake.staff_messages == [] and fake.staff_hooks == []


def test_check_reports_a_chat_the_bot_cannot_reach(fake: WhatsAppManualFake) -> None:
    channel = make_channel(fake, **{**fake.notify_settings(), "notify_telegram_chat": STAFF_CHAT + 1})
    with pytest.raises(AuthError, match="chat not found"):
        channel.check()


def test_check_reports_an_unusable_folder(fake: WhatsAppManualFake, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "handoff"
    not_a_folder.write_text("", encoding="utf-8")
    with pytest.raises(LocalIOError, match="cannot write"):
        make_channel(fake, handoff_directory=str(not_a_folder)).check()


@pytest.mark.parametrize("block", [{"timezone": "Asia/Bandar_Lampung"}, {"base_url": "https://example.org"}])
def test_config_refuses_unknown_zones_and_a_base_url(block: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        validate_settings({"type": "whatsapp_manual", **block})
