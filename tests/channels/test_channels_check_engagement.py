"""`outreach channels check` says, one line under each channel, which engagement figures its readings will
lack and why — a token without the insights permission is a line to act on, never a failed check."""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path

from click.testing import CliRunner, Result

from outreach.cli import cli
from tests.channels.test_channels_check import _config
from tests.fakeplatform.base import PlatformFake
from tests.fakeplatform.facebook import FacebookFake
from tests.fakeplatform.instagram import InstagramFake
from tests.fakeplatform.server import FakeServer
from tests.fakeplatform.whatsapp_manual import WhatsAppManualFake

INDENT = " " * 17


def _check(tmp_path: Path, fakes: list[PlatformFake], *, language: str = "en") -> Result:
    config = _config(tmp_path, fakes)
    environ = {key: value for fake in fakes for key, value in fake.environ.items()}
    return CliRunner(env=environ).invoke(cli, ["--config", str(config), "--language", language, "channels", "check"])


def _meta(stack: ExitStack) -> tuple[FacebookFake, InstagramFake]:
    return FacebookFake(stack.enter_context(FakeServer())), InstagramFake(stack.enter_context(FakeServer()))


def test_tokens_with_the_insights_permissions_add_no_line(tmp_path: Path) -> None:
    with ExitStack() as stack:
        fakes = _meta(stack)
        result = _check(tmp_path, list(fakes))

    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["facebook", "instagram"]


def test_a_missing_insights_permission_is_one_line_under_its_channel_and_no_failure(tmp_path: Path) -> None:
    with ExitStack() as stack:
        facebook, instagram = _meta(stack)
        facebook.read_insights = False
        instagram.manage_insights = False
        result = _check(tmp_path, [facebook, instagram])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("facebook ") and " ok " in lines[0]
    assert lines[1] == (
        f"{INDENT}engagement: reach and views are not read: the token lacks the read_insights permission; "
        "issue a new token that includes it (reactions, comments and shares are read without it)"
    )
    assert lines[2].startswith("instagram ") and " ok " in lines[2]
    assert lines[3].startswith(f"{INDENT}engagement: ") and "lacks the instagram_manage_insights permission" in lines[3]
    for fake in (facebook, instagram):
        assert fake.token not in result.output


def test_the_line_reads_in_indonesian(tmp_path: Path) -> None:
    with ExitStack() as stack:
        facebook, _instagram = _meta(stack)
        facebook.read_insights = False
        result = _check(tmp_path, [facebook], language="id")

    assert result.exit_code == 0, result.output
    assert (
        f"{INDENT}interaksi: jangkauan dan tayangan tidak dibaca: token belum punya izin read_insights" in result.stdout
    )


def test_a_failed_channel_gets_no_engagement_line(tmp_path: Path) -> None:
    """The failure is the news; whether insights could be read is asked only of a channel that works."""
    with ExitStack() as stack:
        facebook, _instagram = _meta(stack)
        facebook.read_insights = False
        facebook.expire_token()
        result = _check(tmp_path, [facebook])

    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert "FAIL" in line and "token expired" in line


def test_the_whatsapp_hand_off_says_how_its_one_figure_is_recorded(tmp_path: Path) -> None:
    with FakeServer() as server:
        result = _check(tmp_path, [WhatsAppManualFake(server)])

    assert result.exit_code == 0, result.output
    channel, engagement, replies = result.stdout.splitlines()
    assert channel.startswith("whatsapp_manual") and " ok " in channel
    assert replies == f"{INDENT}replies: this channel offers no replies to collect"
    assert engagement == (
        f"{INDENT}engagement: WhatsApp gives no figures; staff record how many groups or chats they forwarded a "
        "post to with `outreach post confirm ID --groups N`"
    )


def test_local_folder_channels_get_no_engagement_line(tmp_path: Path) -> None:
    """The bundled example writes every post to a local folder: nobody sees them, so nothing is said of figures."""
    shutil.copytree(Path(__file__).parent.parent.parent / "config", tmp_path / "config")
    config = tmp_path / "config" / "outreach.toml"
    result = CliRunner().invoke(cli, ["--config", str(config), "--language", "en", "channels", "check"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["x", "facebook", "instagram", "telegram", "whatsapp"]
    assert "engagement" not in result.stdout
