"""Loading and validating outreach.toml (outreach.config)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from dataclasses import fields
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from outreach.channels import build_channel
from outreach.clock import SystemClock
from outreach.config import load_config, load_environment
from outreach.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
BUNDLED_CONFIG = REPO / "config" / "outreach.toml"

MINIMAL = """\
timezone = "Asia/Jakarta"
store = "var/outreach.sqlite3"
catalogue = ["katalog/inovasi.csv"]

[channels.berkas]
type = "file"
as = "x"
directory = "keluar"

[campaigns.kenali]
channels = ["berkas"]
slots = ["senin-jumat 09.00, 15.30", "sabtu 10.00"]
"""


def write(folder: Path, text: str, name: str = "outreach.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from a working directory that is not the config's folder and holds no .env."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def config_error(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ if environ is not None else {})
    return str(caught.value)


# ---- the bundled example -------------------------------------------------------------------------


def test_the_bundled_example_config_loads(tmp_path: Path, elsewhere: Path) -> None:
    path = BUNDLED_CONFIG if BUNDLED_CONFIG.exists() else write(tmp_path / "cfg", MINIMAL)
    config = load_config(path, environ={})
    assert config.path == path.resolve()
    assert isinstance(config.timezone, ZoneInfo)
    assert config.store_url.startswith(("sqlite:///", "postgresql"))
    assert all(file.is_absolute() for file in config.catalogue_files)
    for campaign in config.campaigns.values():
        assert set(campaign.channels) <= set(config.channels)
        assert campaign.schedules()


def test_a_minimal_config_loads_with_typed_settings(tmp_path: Path, elsewhere: Path) -> None:
    config = load_config(write(tmp_path / "cfg", MINIMAL), environ={})
    assert config.timezone == ZoneInfo("Asia/Jakarta")
    assert list(config.channels) == ["berkas"]
    assert config.channels["berkas"].as_ == "x"
    assert config.campaigns["kenali"].channels == ["berkas"]
    assert len(config.campaigns["kenali"].schedules()) == 2


# ---- mistakes name file, line and key path -----------------------------------------------------------


def test_a_typo_key_is_reported_with_key_path_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [channels.berkas]
        type = "file"
        as = "x"

        [campaigns.x]
        channels = ["berkas"]
        slot = ["senin 09.00"]
        """,
    )
    message = config_error(path)
    assert "campaigns.x.slot" in message
    assert "outreach.toml" in message
    assert f"{path}:7:" in message
    assert "unknown key" in message


def test_a_typo_at_the_top_level_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'timezone = "Asia/Jakarta"\ntimzone = "Asia/Jakarta"\n')
    message = config_error(path)
    assert f"{path}:2:" in message
    assert "timzone" in message


def test_an_unknown_channel_type_is_refused_and_the_types_listed(tmp_path: Path) -> None:
    path = write(tmp_path, '[channels.lama]\ntype = "myspace"\n')
    message = config_error(path)
    assert f"{path}:2:" in message
    assert "channels.lama.type" in message
    assert "myspace" in message
    assert "file" in message and "mastodon" in message  # the valid choices


def test_a_bad_time_zone_is_refused_with_an_example(tmp_path: Path) -> None:
    path = write(tmp_path, 'timezone = "Asia/Bandung"\n')
    message = config_error(path)
    assert f"{path}:1:" in message
    assert "Asia/Bandung" in message
    assert "Asia/Jakarta" in message  # the example


@pytest.mark.parametrize("slot", ["senin 25.00", "senin 09.75", "senen 09.00"])
def test_an_impossible_slot_is_refused(tmp_path: Path, slot: str) -> None:
    path = write(
        tmp_path,
        f"""\
        [channels.berkas]
        type = "file"
        as = "x"

        [campaigns.c]
        channels = ["berkas"]
        slots = ["{slot}"]
        """,
    )
    message = config_error(path)
    assert "campaigns.c.slots" in message
    assert f"{path}:7:" in message


def test_a_bad_cron_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [channels.berkas]
        type = "file"
        as = "x"

        [campaigns.c]
        channels = ["berkas"]
        cron = "30 25 * * 1-5"
        """,
    )
    message = config_error(path)
    assert "campaigns.c.cron" in message
    assert "hour" in message


def test_a_campaign_naming_a_missing_channel_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [channels.berkas]
        type = "file"
        as = "x"

        [campaigns.c]
        channels = ["berkas", "facebook-kominfo"]
        slots = ["senin 09.00"]
        """,
    )
    message = config_error(path)
    assert f"{path}:6:" in message
    assert "campaigns.c.channels" in message
    assert "facebook-kominfo" in message
    assert "berkas" in message  # the channels that do exist


def test_a_missing_config_file_says_so(tmp_path: Path) -> None:
    message = config_error(tmp_path / "tidak-ada.toml")
    assert "tidak-ada.toml" in message
    assert "not found" in message


def test_broken_toml_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'timezone = "Asia/Jakarta\n')
    message = config_error(path)
    assert str(path) in message
    assert "line 1" in message


# ---- channel blocks --------------------------------------------------------------------------------


def test_a_file_channel_with_as_validates(tmp_path: Path) -> None:
    path = write(tmp_path, '[channels.lokal]\ntype = "file"\nas = "x"\n')
    config = load_config(path, environ={})
    settings = config.channels["lokal"]
    assert settings.type == "file"
    assert settings.as_ == "x"


def test_a_file_channel_with_an_unknown_platform_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[channels.lokal]\ntype = "file"\nas = "myspace"\n')
    message = config_error(path)
    assert "channels.lokal.as" in message
    assert f"{path}:3:" in message


def test_an_unknown_key_in_a_channel_block_lists_the_valid_keys(tmp_path: Path) -> None:
    path = write(tmp_path, '[channels.lokal]\ntype = "file"\nas = "x"\nfolder = "keluar"\n')
    message = config_error(path)
    assert "channels.lokal.folder" in message
    assert f"{path}:4:" in message
    assert "valid keys" in message
    match = re.search(r"valid keys here: (.*)$", message)
    assert match is not None
    keys = {key.strip() for key in match.group(1).split(",")}
    assert {"as", "directory", "type", "daily_cap", "utm"} <= keys
    assert "folder" not in keys


# ---- secrets come from the environment, and only when read -----------------------------------------

WEBHOOK = """\
[channels.kabar]
type = "webhook"
url = "https://cms.example.go.id/hooks/outreach"
secret_env = "OUTREACH_TEST_WEBHOOK_SECRET"
"""


def test_a_missing_environment_variable_is_not_an_error_at_load(
    tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OUTREACH_TEST_WEBHOOK_SECRET", raising=False)
    config = load_config(write(tmp_path / "cfg", WEBHOOK))
    assert "OUTREACH_TEST_WEBHOOK_SECRET" not in config.environ
    channel = build_channel("kabar", config.channels["kabar"], config.environ, SystemClock())
    with pytest.raises(ConfigError) as caught:
        channel.secret("secret")
    message = str(caught.value)
    assert "OUTREACH_TEST_WEBHOOK_SECRET" in message
    assert "channels.kabar.secret_env" in message


def test_a_set_environment_variable_is_read_as_the_secret(
    tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTREACH_TEST_WEBHOOK_SECRET", "rahasia-dari-lingkungan")
    config = load_config(write(tmp_path / "cfg", WEBHOOK))
    channel = build_channel("kabar", config.channels["kabar"], config.environ, SystemClock())
    assert channel.secret("secret") == "rahasia-dari-lingkungan"


# ---- a `*_env` key names a variable: a secret pasted there is refused, and never repeated ------------

ALL_CHANNELS = REPO / "config" / "all-channels.toml"
#: What people paste where the variable's name belongs: a bot token, a Page token (letters and
#: digits only, so a name pattern that allowed mixed case would let it through), a webhook address.
PASTED_SECRETS = {
    "bot-token": "7000111222:AAHpastedTheBotTokenInsteadOfItsName",
    "page-token": "EAAGm0PX4ZCpsBAKZAZBl4ZBvZCZAq0ZDpasted",
    "webhook-address": "https://hooks.slack.com/services/T0STAFF01/B0HANDOFF/q7Xk2mZ9pLw4",
}


def _env_keys() -> list[tuple[str, str, str | None]]:
    """(channel in all-channels.toml, ``*_env`` key, the variable its message gives as an example: the
    default, else the field's first documented example) for every adapter's every such key."""
    from outreach.channels import settings_model

    blocks = tomllib.loads(ALL_CHANNELS.read_text(encoding="utf-8"))["channels"]
    return [
        (name, each.name, each.default if isinstance(each.default, str) else each.metadata.get("example"))
        for name, block in blocks.items()
        for each in fields(settings_model(block["type"]))
        if each.name.endswith("_env")
    ]


ENV_KEYS = _env_keys()


def test_every_adapter_with_credentials_is_in_the_env_key_cases() -> None:
    from outreach.channels import CHANNEL_TYPES, settings_model

    blocks = tomllib.loads(ALL_CHANNELS.read_text(encoding="utf-8"))["channels"]
    with_credentials = {
        kind for kind in CHANNEL_TYPES if any(each.name.endswith("_env") for each in fields(settings_model(kind)))
    }
    assert with_credentials == {blocks[name]["type"] for name, _key, _default in ENV_KEYS}
    assert len(ENV_KEYS) >= 12


@pytest.mark.parametrize("pasted", list(PASTED_SECRETS.values()), ids=list(PASTED_SECRETS))
@pytest.mark.parametrize(("channel", "key", "default"), ENV_KEYS, ids=[f"{c}.{k}" for c, k, _d in ENV_KEYS])
def test_a_secret_pasted_where_a_variable_name_belongs_is_refused_without_repeating_it(
    tmp_path: Path, elsewhere: Path, channel: str, key: str, default: str | None, pasted: str
) -> None:
    text = ALL_CHANNELS.read_text(encoding="utf-8")
    header = f"[channels.{channel}]"
    path = write(tmp_path, text.replace(header + "\n", f'{header}\n{key} = "{pasted}"\n', 1))
    line = text.splitlines().index(header) + 2

    message = config_error(path)

    assert message.startswith(f"{path}:{line}: channels.{channel}.{key}: must be the name of an environment variable")
    assert "\n" not in message and ".env" in message
    assert default is not None and default in message  # an example of what belongs there
    for fragment in (pasted, pasted[:10], pasted[-10:]):
        assert fragment not in message


@pytest.mark.parametrize("name", ["TELEGRAM_BOT_TOKEN_HUMAS2", "_HUMAS_TOKEN"])
def test_a_variable_name_of_the_office_s_own_choosing_is_accepted(tmp_path: Path, elsewhere: Path, name: str) -> None:
    path = write(tmp_path, f'[channels.telegram]\ntype = "telegram"\nchat_id = "@humas"\ntoken_env = "{name}"\n')
    assert load_config(path, environ={}).channels["telegram"].token_env == name


# ---- paths and .env ------------------------------------------------------------------------------------


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path, elsewhere: Path) -> None:
    folder = tmp_path / "cfg"
    path = write(
        folder,
        MINIMAL.replace(
            'catalogue = ["katalog/inovasi.csv"]',
            'catalogue = ["katalog/inovasi.csv"]\ntemplates = "tmpl"\nglossary = "glosarium.toml"',
        ),
    )
    (folder / "tmpl").mkdir()
    config = load_config(path, environ={})
    root = folder.resolve()
    assert Path.cwd() == elsewhere.resolve()
    assert config.store_url == "sqlite:///" + str(root / "var" / "outreach.sqlite3")
    assert config.catalogue_files == (root / "katalog" / "inovasi.csv",)
    assert config.templates_dir == root / "tmpl"
    assert config.glossary_path == root / "glosarium.toml"
    assert config.channels["berkas"].directory == root / "keluar"
    assert config.folder == root


def test_a_relative_sqlite_url_resolves_against_the_config_folder(tmp_path: Path, elsewhere: Path) -> None:
    path = write(tmp_path / "cfg", 'store = "sqlite:///data/s.sqlite3"\n')
    config = load_config(path, environ={})
    assert config.store_url == "sqlite:///" + str((tmp_path / "cfg").resolve() / "data" / "s.sqlite3")


def test_absolute_paths_are_kept(tmp_path: Path, elsewhere: Path) -> None:
    absolute = tmp_path / "absolut" / "s.sqlite3"
    path = write(tmp_path / "cfg", f'store = "{absolute}"\ncatalogue = ["{tmp_path / "k.csv"}"]\n')
    config = load_config(path, environ={})
    assert config.store_url == "sqlite:///" + str(absolute)
    assert config.catalogue_files == (tmp_path / "k.csv",)


def test_a_dot_env_next_to_the_config_is_loaded_and_the_real_environment_wins(
    tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cfg"
    path = write(folder, WEBHOOK)
    (folder / ".env").write_text(
        "OUTREACH_TEST_ONLY_IN_FILE=dari-berkas\nOUTREACH_TEST_WEBHOOK_SECRET=rahasia-berkas\n", encoding="utf-8"
    )
    monkeypatch.delenv("OUTREACH_TEST_ONLY_IN_FILE", raising=False)
    monkeypatch.setenv("OUTREACH_TEST_WEBHOOK_SECRET", "rahasia-lingkungan")
    config = load_config(path)
    assert config.environ["OUTREACH_TEST_ONLY_IN_FILE"] == "dari-berkas"
    assert config.environ["OUTREACH_TEST_WEBHOOK_SECRET"] == "rahasia-lingkungan"
    channel = build_channel("kabar", config.channels["kabar"], config.environ, SystemClock())
    assert channel.secret("secret") == "rahasia-lingkungan"


def test_a_dot_env_alone_provides_the_secret(tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cfg"
    path = write(folder, WEBHOOK)
    (folder / ".env").write_text("OUTREACH_TEST_WEBHOOK_SECRET=rahasia-berkas\n", encoding="utf-8")
    monkeypatch.delenv("OUTREACH_TEST_WEBHOOK_SECRET", raising=False)
    config = load_config(path)
    channel = build_channel("kabar", config.channels["kabar"], config.environ, SystemClock())
    assert channel.secret("secret") == "rahasia-berkas"


def test_load_environment_reads_only_the_given_folder_and_cwd(
    tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lain").mkdir()
    (tmp_path / "lain" / ".env").write_text("OUTREACH_TEST_OTHER=x\n", encoding="utf-8")
    monkeypatch.delenv("OUTREACH_TEST_OTHER", raising=False)
    (tmp_path / "cfg").mkdir()
    assert "OUTREACH_TEST_OTHER" not in load_environment(tmp_path / "cfg")
    assert load_environment(tmp_path / "lain")["OUTREACH_TEST_OTHER"] == "x"


def test_an_explicit_environ_replaces_the_process_environment(
    tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTREACH_TEST_WEBHOOK_SECRET", "rahasia-lingkungan")
    config = load_config(write(tmp_path / "cfg", WEBHOOK), environ={"OUTREACH_TEST_WEBHOOK_SECRET": "diberikan"})
    assert dict(config.environ) == {"OUTREACH_TEST_WEBHOOK_SECRET": "diberikan"}


def test_an_error_about_a_whole_table_names_its_header_line(tmp_path: Path) -> None:
    path = tmp_path / "outreach.toml"
    path.write_text(
        'timezone = "Asia/Jakarta"\n\n[channels.x]\ntype = "file"\nas = "x"\n\n[campaigns.c]\nchannels = ["x"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:7: campaigns.c: a campaign needs slots or cron")


def test_the_settings_are_plain_dataclasses_that_import_without_pydantic() -> None:
    """pydantic checks a config where it is read; the settings it gives are frozen dataclasses, whose module
    does not import pydantic (about 8 MB that a process holding a read config need not keep)."""
    script = (
        "import dataclasses, sys; from outreach.config import CampaignSettings, DigestSettings, MetricsSettings; "
        "print('pydantic' in sys.modules, all(dataclasses.is_dataclass(kind) for kind in "
        "(CampaignSettings, DigestSettings, MetricsSettings)))"
    )
    imported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert imported.stdout.split() == ["False", "True"]


def test_a_settings_rule_across_keys_names_the_key_it_is_about(tmp_path: Path) -> None:
    """A rule of two keys (``rest_days`` needs ``repeat``) is checked once both are read, and still names its key
    and line."""
    config = tmp_path / "outreach.toml"
    config.write_text(
        '[channels.arsip]\ntype = "file"\n\n[campaigns.utama]\nchannels = ["arsip"]\nslots = ["senin 09.00"]\n'
        "repeat = false\nrest_days = 7\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_config(config, environ={})
    assert str(raised.value).startswith(f"{config}:8: campaigns.utama.rest_days: rest_days has no effect")


@pytest.mark.parametrize("bundled", [BUNDLED_CONFIG, ALL_CHANNELS], ids=["bundled", "every-channel-type"])
def test_a_config_checked_in_a_child_process_is_the_config_checked_here(
    bundled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``outreach serve`` has its config checked by a child process (the server then never imports pydantic):
    what comes back equals what ``load_config`` gives here, settings of every channel type included, with the
    environment and the ``.env`` beside the config read as ``load_config`` reads them."""
    from dataclasses import replace

    from outreach.config import load_config_in_child

    config = tmp_path / bundled.name
    config.write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / ".env").write_text("OUTREACH_FROM_DOTENV=beside the config\n", encoding="utf-8")
    monkeypatch.setenv("OUTREACH_FROM_ENVIRONMENT", "set by the office")
    there, here = load_config_in_child(config), load_config(config)
    assert replace(there, environ={}) == replace(here, environ={})
    assert there.environ["OUTREACH_FROM_DOTENV"] == "beside the config"
    assert there.environ["OUTREACH_FROM_ENVIRONMENT"] == "set by the office"


def test_a_mistake_found_by_the_child_process_reads_as_the_same_message_in_the_same_language(tmp_path: Path) -> None:
    from outreach.config import load_config_in_child
    from outreach.i18n import current_language, set_language

    config = tmp_path / "outreach.toml"
    config.write_text('[channels.arsip]\ntype = "file"\nas = "x"\ndirectori = "keluar"\n', encoding="utf-8")
    before = current_language()
    set_language("id")
    try:
        with pytest.raises(ConfigError) as here:
            load_config(config, environ={})
        with pytest.raises(ConfigError) as there:
            load_config_in_child(config)
    finally:
        set_language(before)
    assert str(there.value) == str(here.value)
    assert str(here.value).startswith(f"{config}:4: channels.arsip.directori: kunci tidak dikenal")
    assert "as, " in str(here.value)  # the valid keys name the config's ``as``, not the field ``as_``


def test_a_child_that_cannot_check_the_config_is_an_error_not_a_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that dies (no interpreter, killed) is not a mistake in the file: the caller gets an error that says
    so, never an empty or half-read config."""
    from outreach.config import load_config_in_child

    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(RuntimeError, match="exit status 1"):
        load_config_in_child(BUNDLED_CONFIG)
