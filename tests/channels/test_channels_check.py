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
