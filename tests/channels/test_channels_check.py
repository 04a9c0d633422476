"""`outreach channels check` against every fake platform names each account, or says why not."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from outreach.cli import cli
from tests.channels.conftest import ALL_FAKES
from tests.engine_helpers import toml_value
from tests.fakeplatform.server import FakeServer


def _config(tmp_path: Path, fakes: list[Any]) -> Path:
    lines = [f'store = "{tmp_path / "store.sqlite3"}"']
    for fake in fakes:
        lines.append(f"\n[channels.{fake.channel_type}]")
        for key, value in fake.channel_settings().items():
            lines.append(f"{key} = {toml_value(str(value) if isinstance(value, Path) else value)}")
    path = tmp_path / "outreach.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fakes(stack: ExitStack, http_only: bool = False) -> list[Any]:
    """Each platform on its own loopback server, as each is its own host in production."""
    return [
        fake_class(stack.enter_context(FakeServer()))
        for fake_class in ALL_FAKES
        if fake_class.http_faults or not http_only
    ]


def test_channels_check_names_every_account(tmp_path: Path) -> None:
    with ExitStack() as stack:
        fakes = _fakes(stack)
        config = _config(tmp_path, fakes)
        environ = {key: value for fake in fakes for key, value in fake.environ.items()}
        result = CliRunner(env=environ).invoke(cli, ["--config", str(config), "channels", "check"])
    assert result.exit_code == 0, result.output
    for fake in fakes:
        line = next(line for line in result.output.splitlines() if line.startswith(fake.channel_type))
        assert " ok " in line, line
    for secret in environ.values():
        assert secret not in result.output


def test_channels_check_says_why_a_channel_cannot_post(tmp_path: Path) -> None:
    with ExitStack() as stack:
        fakes = _fakes(stack, http_only=True)
        config = _config(tmp_path, fakes)
        environ = {key: value for fake in fakes for key, value in fake.environ.items()}
        for fake in fakes:
            fake.expire_token()
        result = CliRunner(env=environ).invoke(cli, ["--config", str(config), "channels", "check"])
    assert result.exit_code == 1
    for fake in fakes:
        line = next(line for line in result.output.splitlines() if line.startswith(fake.channel_type))
        assert "FAIL" in line, line
    for secret in environ.values():
        assert secret not in result.output


def test_channels_check_reports_a_missing_environment_variable(tmp_path: Path) -> None:
    with FakeServer() as server:
        fake = next(fake_class(server) for fake_class in ALL_FAKES if fake_class.channel_type == "mastodon")
        config = _config(tmp_path, [fake])
        result = CliRunner(env=dict.fromkeys(fake.environ, "")).invoke(
            cli, ["--config", str(config), "channels", "check"]
        )
    assert result.exit_code == 1
    variable = next(iter(fake.environ))
    assert f"environment variable {variable}" in result.output and ".env" in result.output


def test_channels_check_reports_each_warning_when_provoked(tmp_path: Path) -> None:
    """Every platform in one config (as config/all-channels.toml has them), each provoked: an old Graph API
    version, a Mastodon limit the instance contradicts, an X channel held for used-up credits."""
    from outreach.app import Workspace
    from outreach.clock import SystemClock
    from outreach.config import load_config

    with ExitStack() as stack:
        fakes = _fakes(stack)
        by_type = {fake.channel_type: fake for fake in fakes}
        config = _config(tmp_path, fakes)
        text = config.read_text(encoding="utf-8")
        text = text.replace("[channels.facebook]\n", '[channels.facebook]\ngraph_version = "v22.0"\n')
        text = text.replace("[channels.mastodon]\n", "[channels.mastodon]\ntext_limit = 1000\n")
        config.write_text(text, encoding="utf-8")
        environ = {key: value for fake in fakes for key, value in fake.environ.items()}
        ws = Workspace(load_config(config, environ=environ), SystemClock())
        ws.holds.hold("x", "x: POST /2/tweets: HTTP 402; X's API credits are used up: top up the app's credits")
        ws.close()
        by_type["mastodon"].max_characters = 500

        result = CliRunner(env=environ).invoke(cli, ["--config", str(config), "channels", "check"])

    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "v22.0" in lines["facebook"] and "warning" in lines["facebook"]
    assert "text_limit is 1000 but the instance allows 500" in lines["mastodon"]
    assert "it was held" in lines["x"] and "credits" in lines["x"] and "hold lifted" in lines["x"]
