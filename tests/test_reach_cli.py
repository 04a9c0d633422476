"""`outreach metrics collect`, `outreach press add|list` and the ``[metrics]`` table of the config, as a person uses them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, fields
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from outreach.config import load_config
from outreach.errors import ConfigError
from outreach.store import Store
from tests.engagement_probe import EngagementFake, probe_block, register_probe
from tests.engine_helpers import STORE_NAME, campaign, file_channel, innovation, project, workspace
from tests.fakeplatform.server import FakeServer
from tests.test_metrics import NOW, published

ROWS = [innovation("ktp-sehari-jadi")]


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as started:
        yield started


def _config(folder: Path, server: FakeServer | None = None) -> Path:
    channels = {"x": file_channel("x", "outbox")}
    if server is not None:
        channels["mastodon"] = probe_block(server, "mastodon")
    config = project(folder, ROWS, channels=channels, campaigns={"kenali": campaign(list(channels))})
    workspace(config, NOW - timedelta(days=60)).store.close()  # the store exists: no command announces a new one
    return config


def one_line_error(result: Result) -> str:
    """The output: one error line (a usage mistake or a refusal), no traceback."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code in (1, 2) and len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and "Traceback" not in result.output, result.output
    return lines[0]


def _run(config: Path, *args: str, now: str = NOW.isoformat()) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])


def test_metrics_collect_reads_and_prints_a_summary_per_channel(
    tmp_path: Path, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_probe(monkeypatch)
    fake = EngagementFake(server)
    config = _config(tmp_path, server)
    ws = workspace(config, NOW)
    read = [published(ws.store, "mastodon", f"m{n}", NOW - timedelta(days=n + 1)) for n in range(3)]
    published(ws.store, "x", "x1", NOW - timedelta(days=1))
    published(ws.store, "mastodon", "m-old", NOW - timedelta(days=12))
    ws.close()
    result = _run(config, "metrics", "collect", "--days", "10")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "engagement read for 3 posts published in the last 10 days (0 failed, 1 skipped)"
    assert lines[1].split() == ["channel", "read", "failed", "skipped", "why"]
    assert lines[2].split() == ["mastodon", "3", "0", "0", "-"]
    assert lines[3].startswith("x ") and "this channel offers no engagement figures to read" in lines[3]
    assert sorted(remote_id for remote_id, _ in fake.seen) == ["m0", "m1", "m2"]
    store = Store("sqlite:///" + str(tmp_path / STORE_NAME))
    assert sorted(store.latest_readings()) == sorted(read)
    store.close()


def test_metrics_collect_speaks_indonesian_and_defaults_to_the_configured_days(tmp_path: Path) -> None:
    config = _config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8") + "\n[metrics]\ndays = 5\n", encoding="utf-8")
    ws = workspace(config, NOW)
    published(ws.store, "x", "x1", NOW - timedelta(days=4))
    ws.close()
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--language", "id", "--now", NOW.isoformat(), "metrics", "collect"]
    )
    assert result.exit_code == 0, result.output
    first, header, row = result.output.splitlines()
    assert first == "interaksi terbaca untuk 0 unggahan yang terbit dalam 5 hari terakhir (0 gagal, 1 dilewati)"
    assert header.split()[0] == "kanal"
    assert "kanal ini tidak menyediakan angka interaksi" in row


def test_metrics_collect_refuses_the_rehearsal_store_and_bad_days(tmp_path: Path) -> None:
    config = _config(tmp_path)
    rehearsal = CliRunner().invoke(cli, ["--config", str(config), "--rehearsal", "metrics", "collect"])
    assert "a rehearsal publishes nothing on a platform" in one_line_error(rehearsal)
    assert not (tmp_path / "rehearsal").exists()  # the rehearsal store was not even opened
    assert "--days" in one_line_error(_run(config, "metrics", "collect", "--days", "0"))


def test_a_live_collection_leaves_the_rehearsal_store_as_it_was(tmp_path: Path) -> None:
    config = _config(tmp_path)
    rehearsed = _run(config, "rehearse", "--from", "2026-12-18", "--days", "2")
    assert rehearsed.exit_code == 0, rehearsed.output
    rehearsal_store = tmp_path / "rehearsal" / STORE_NAME
    before = rehearsal_store.read_bytes()
    ws = workspace(config, NOW)
    published(ws.store, "x", "x1", NOW - timedelta(days=1))
    ws.close()
    assert _run(config, "metrics", "collect").exit_code == 0
    assert rehearsal_store.read_bytes() == before
    store = Store("sqlite:///" + str(rehearsal_store))
    assert store.posts() and store.readings() == []
    store.close()


def test_press_add_records_the_article_with_who_added_it_and_list_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "rina")
    config = _config(tmp_path)
    added = _run(
        config,
        "press",
        "add",
        "--innovation",
        "ktp-sehari-jadi",
        "--url",
        "https://lampung.antaranews.com/berita/123456",
        "--outlet",
        "Antara Lampung",
        "--date",
        "2026-12-18",
    )
    assert added.exit_code == 0, added.output
    assert added.output.strip() == (
        "recorded: Antara Lampung, 2026-12-18, about ktp-sehari-jadi (https://lampung.antaranews.com/berita/123456)"
    )
    table = _run(config, "press", "list").output.splitlines()
    assert table[0].split() == ["day", "innovation", "outlet", "address", "recorded", "by"]
    assert table[1].split() == [
        "2026-12-18",
        "ktp-sehari-jadi",
        "Antara",
        "Lampung",
        "https://lampung.antaranews.com/berita/123456",
        "rina",
    ]
    [item] = json.loads(_run(config, "press", "list", "--format", "json").output)
    assert item["added_by"] == "rina" and item["published_on"] == "2026-12-18" and item["outlet"] == "Antara Lampung"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"--url": "lampung.antaranews.com/berita/1"}, "give the article's web address"),
        ({"--url": "ftp://lampung.antaranews.com/1"}, "give the article's web address"),
        ({"--date": "2026-02-30"}, "'--date': '2026-02-30' does not match the format"),
        ({"--date": "2026-12-21"}, "the day is in the future"),
        ({"--innovation": "tidak-ada"}, "innovation tidak-ada: not in the catalogue; `outreach catalogue list`"),
        ({"--outlet": "  "}, "must not be empty"),
    ],
)
def test_press_add_refuses_a_mistake_in_one_line_and_records_nothing(
    tmp_path: Path, change: dict[str, str], expected: str
) -> None:
    config = _config(tmp_path)
    options = {
        "--innovation": "ktp-sehari-jadi",
        "--url": "https://lampung.antaranews.com/berita/1",
        "--outlet": "Tribun Lampung",
        "--date": "2026-12-20",
        **change,
    }
    result = _run(config, "press", "add", *[part for pair in options.items() for part in pair])
    assert expected in one_line_error(result)
    assert "no news coverage recorded yet" in _run(config, "press", "list").output


def test_the_same_article_twice_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path)
    args = [
        "press",
        "add",
        "--innovation",
        "ktp-sehari-jadi",
        "--url",
        "https://tribun.example/1",
        "--outlet",
        "Tribun",
    ]
    assert _run(config, *args, "--date", "2026-12-19").exit_code == 0
    line = one_line_error(_run(config, *args, "--date", "2026-12-19"))
    assert line == (
        "Error: innovation ktp-sehari-jadi: https://tribun.example/1 is already recorded; `outreach press list` shows it"
    )


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            'collect_at = "25.00"',
            'metrics.collect_at: must be a time of day in office time, hours.minutes like "03.30"',
        ),
        ('collect_at = "tengah malam"', "metrics.collect_at: must be a time of day"),
        ("days = 0", "metrics.days: must be 1 or more; example: days = 30"),
        ('enabled = "ya"', "metrics.enabled: must be true or false; example: enabled = true"),
        ("collect = true", "metrics.collect: unknown key (a typo?)"),
    ],
)
def test_a_mistake_in_the_metrics_table_names_file_line_and_key(tmp_path: Path, table: str, expected: str) -> None:
    config = _config(tmp_path)
    text = config.read_text(encoding="utf-8") + "\n[metrics]\n" + table + "\n"
    config.write_text(text, encoding="utf-8")
    line = len(text.splitlines())
    with pytest.raises(ConfigError) as error:
        load_config(config, environ={})
    assert str(error.value).startswith(f"{config}:{line}: {expected}")


def test_the_metrics_table_defaults_and_accepts_office_times(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert asdict(load_config(config, environ={}).metrics) == {"enabled": True, "collect_at": "03.30", "days": 30}
    config.write_text(config.read_text(encoding="utf-8") + '\n[metrics]\ncollect_at = "4:05"\n', encoding="utf-8")
    assert load_config(config, environ={}).metrics.collect_time.isoformat() == "04:05:00"


def test_the_readme_and_the_bundled_config_name_every_metrics_key() -> None:
    from outreach.config import MetricsSettings

    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    bundled = (root / "config" / "outreach.toml").read_text(encoding="utf-8")
    for key in (field.name for field in fields(MetricsSettings)):
        assert f"| `[metrics] {key}` |" in readme
        assert f"# {key} = " in bundled
