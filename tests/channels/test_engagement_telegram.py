"""Telegram gives a bot no engagement figures for channel posts: the channel says so plainly, in its own words."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from outreach.channels.base import Channel
from outreach.channels.telegram import TelegramChannel
from outreach.cli import cli
from outreach.i18n import _, set_language
from tests.channels.test_channels_check import _config
from tests.fakeplatform.server import FakeServer
from tests.fakeplatform.telegram import TelegramFake


def test_telegram_says_what_the_bot_api_does_not_give_and_where_the_office_sees_views() -> None:
    message = TelegramChannel.engagement_unavailable
    assert message is not None and message != Channel.engagement_unavailable
    assert "Bot API" in message and "view" in message and "reaction" in message
    assert "Telegram app" in message and "Statistics" in message
    set_language("id")
    try:
        assert "Statistik" in _(message) and _(message) != message
    finally:
        set_language("en")


def test_channels_check_prints_it_under_the_channel_and_asks_telegram_nothing_more(tmp_path: Path) -> None:
    with FakeServer() as server:
        fake = TelegramFake(server)
        config = _config(tmp_path, [fake])
        result = CliRunner(env=fake.environ).invoke(cli, ["--config", str(config), "channels", "check"])
        methods = [request.path.rsplit("/", 1)[-1] for request in server.requests()]

    assert result.exit_code == 0, result.output
    channel_line, engagement_line = result.stdout.splitlines()
    assert channel_line.startswith("telegram") and " ok " in channel_line
    assert engagement_line == " " * 17 + "engagement: " + str(TelegramChannel.engagement_unavailable)
    assert methods == ["getMe", "getChat", "getChatMember"]
