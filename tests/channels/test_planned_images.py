"""`channels check` asks Instagram's question early: is every planned image on the office's website?

Instagram fetches each image itself from ``public_media_base_url``; a missing or wrong file is found
only when the post fails with 9004. `outreach channels check` looks at the images of the posts
already planned on the channel, against the fake's loopback website.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from outreach.cli import cli
from tests.channels.conftest import SAMPLE_IMAGE
from tests.engine_helpers import at, campaign, innovation, project, workspace
from tests.fakeplatform.instagram import InstagramFake
from tests.fakeplatform.server import FakeServer


@pytest.fixture
def instagram(server: FakeServer) -> InstagramFake:
    return InstagramFake(server)


def _planned_with_image(folder: Path, instagram: InstagramFake) -> Path:
    config = project(
        folder,
        [innovation("ktp-sehari-jadi", gambar="poster.jpg", alt_gambar="Petugas melayani warga di loket KTP-el")],
        channels={"ig": instagram.channel_settings()},
        campaigns={"kenali": campaign(["ig"], ["setiap hari 09.00"], min_gap_days=0)},
    )
    shutil.copy(SAMPLE_IMAGE, folder / "poster.jpg")
    ws = workspace(config, at(2026, 11, 30, 20, 0), instagram.environ)
    assert ws.planning.apply_plan(2)[0] >= 1
    ws.close()
    return config


def _check(config: Path, instagram: InstagramFake) -> tuple[int, str]:
    result = CliRunner(env=instagram.environ).invoke(cli, ["--config", str(config), "channels", "check", "ig"])
    return result.exit_code, result.output


def test_a_planned_image_missing_from_the_website_fails_the_check(tmp_path: Path, instagram: InstagramFake) -> None:
    config = _planned_with_image(tmp_path, instagram)
    code, output = _check(config, instagram)
    assert code == 1, output
    [line] = [line for line in output.splitlines() if "FAIL" in line]
    assert line.startswith("ig") and "poster.jpg" in line


def test_a_planned_image_served_as_instagram_takes_it_passes(tmp_path: Path, instagram: InstagramFake) -> None:
    config = _planned_with_image(tmp_path, instagram)
    instagram.publish_file(tmp_path / "poster.jpg")
    code, output = _check(config, instagram)
    assert code == 0, output
    assert "FAIL" not in output


def test_a_planned_image_served_as_png_fails_with_the_reason(tmp_path: Path, instagram: InstagramFake) -> None:
    config = _planned_with_image(tmp_path, instagram)
    png = tmp_path / "site" / "poster.jpg"
    png.parent.mkdir()
    Image.new("RGB", (1080, 1080), "navy").save(png, format="PNG")
    instagram.publish_file(png, content_type="image/png")
    code, output = _check(config, instagram)
    assert code == 1 and "image/png" in output, output


def test_check_online_asks_instagram_about_every_image_it_would_carry(tmp_path: Path, instagram: InstagramFake) -> None:
    """`check` stays offline; `check --online` also asks whether each image is on the website."""
    config = _planned_with_image(tmp_path, instagram)
    runner = CliRunner(env=instagram.environ)
    offline = runner.invoke(cli, ["--config", str(config), "check"])
    assert offline.exit_code == 0, offline.output
    online = runner.invoke(cli, ["--config", str(config), "check", "--online"])
    assert online.exit_code == 1, online.output
    assert any(line.startswith("ig: ") and "poster.jpg" in line for line in online.output.splitlines()), online.output

    instagram.publish_file(tmp_path / "poster.jpg")
    again = runner.invoke(cli, ["--config", str(config), "check", "--online"])
    assert again.exit_code == 0, again.output
