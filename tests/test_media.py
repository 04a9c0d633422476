"""Image safety: a catalogue's ``gambar`` may only ever name a real image inside the catalogue's
folder (or the configured media folder), after following links.

Import and ``outreach check`` refuse anything else as ``file:row:gambar``; the publisher refuses it
again at publish time (a store row written by an older version or edited by hand), proven against
the loopback fakes: nothing is uploaded, nothing is copied into the WhatsApp hand-off folder.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from outreach.checks import Problem, check
from outreach.cli import cli
from outreach.model import PostState
from tests.engine_helpers import at, campaign, innovation, project, set_now, workspace
from tests.fakeplatform.base import PlatformFake
from tests.fakeplatform.mastodon import MastodonFake
from tests.fakeplatform.server import FakeServer
from tests.fakeplatform.telegram import TelegramFake
from tests.fakeplatform.whatsapp_manual import WhatsAppManualFake
from tests.test_bad_input import edit_cell, good_rows, store_digest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "data" / "sample.jpg"
BUNDLED_IMAGE = REPO / "config" / "catalogue" / "gambar" / "ktp-sehari-jadi.jpg"
PLAN_AT = at(2026, 11, 30, 20, 0)
SLOT = at(2026, 12, 1, 9, 0)


# ---- helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A private copy of the bundled example, not synced yet (the sheet's sign-offs still apply)."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path


@pytest.fixture
def example(fresh: Path) -> Path:
    """A private copy of the bundled example, synced once into its store."""
    result = run(fresh, "check")
    assert result.exit_code == 0, result.output
    return fresh


def run(d: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(d / "config" / "outreach.toml"), *args])


def write_one_row(d: Path, target: Path, gambar: str) -> Path:
    """``target`` as a one-row catalogue: the bundled first row with ``gambar`` replaced."""
    header, rows = good_rows(d)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(header + "\n" + edit_cell(rows[0], header, "gambar", gambar) + "\n", encoding="utf-8")
    return target


def set_bundled_gambar(d: Path, gambar: str) -> None:
    """Give the bundled catalogue's first row (ktp-sehari-jadi, row 2) another ``gambar``."""
    header, rows = good_rows(d)
    rows[0] = edit_cell(rows[0], header, "gambar", gambar)
    (d / "config" / "catalogue" / "inovasi.csv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


def add_to_config(d: Path, line: str) -> None:
    path = d / "config" / "outreach.toml"
    path.write_text(line + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")


def save_image(path: Path, image_format: str, colour: str = "navy", size: tuple[int, int] = (64, 36)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, format=image_format)
    return path


def problem_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if ":gambar:" in line]


# ---- import refuses what is outside, or not an image ----------------------------------------------------


def _traversal(d: Path) -> str:
    return "../" * (len(d.parts) + 2) + "etc/passwd"


def _absolute(d: Path) -> str:
    return "/etc/passwd"


def _symlink_out(d: Path) -> str:
    # A real JPEG, so only the folder rule can refuse it.
    (d / "poster.jpg").symlink_to(BUNDLED_IMAGE)
    return "poster.jpg"


def _symlinked_folder_out(d: Path) -> str:
    (d / "gambar").symlink_to(BUNDLED_IMAGE.parent, target_is_directory=True)
    return "gambar/ktp-sehari-jadi.jpg"


@pytest.mark.parametrize(
    "make_gambar",
    [_traversal, _absolute, _symlink_out, _symlinked_folder_out],
    ids=["parent-traversal", "absolute", "symlink-to-a-file-outside", "symlinked-folder-outside"],
)
def test_import_refuses_an_image_outside_the_catalogue_folder(
    example: Path, make_gambar: Callable[[Path], str]
) -> None:
    gambar = make_gambar(example)
    catalogue = write_one_row(example, example / "f.csv", gambar)
    before = store_digest(example)
    result = run(example, "catalogue", "import", str(catalogue))
    assert result.exit_code == 1, result.output
    [line] = problem_lines(result.output)
    assert line.startswith(f"{catalogue}:2:gambar: ")
    assert "outside" in line and str(example) in line  # names the folder the image must be in
    assert "root:" not in result.output  # nothing of the file is shown either
    assert store_digest(example) == before


def _text_named_jpg(d: Path) -> str:
    (d / "x.jpg").write_text("id;nama\nini bukan gambar\n", encoding="utf-8")
    return "x.jpg"


def _empty(d: Path) -> str:
    (d / "kosong.jpg").write_bytes(b"")
    return "kosong.jpg"


def _jpeg_magic_then_text(d: Path) -> str:
    (d / "palsu.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"bukan gambar sama sekali" * 10)
    return "palsu.jpg"


def _folder(d: Path) -> str:
    (d / "folder.jpg").mkdir()
    return "folder.jpg"


def _fifo(d: Path) -> str:
    os.mkfifo(d / "pipa.jpg")  # reading it would block forever
    return "pipa.jpg"


def _missing(d: Path) -> str:
    return "gambar/tidak-ada.jpg"


@pytest.mark.parametrize(
    ("make_gambar", "reason"),
    [
        (_text_named_jpg, "not a JPEG, PNG, GIF or WebP image"),
        (_empty, "empty"),
        (_jpeg_magic_then_text, "not a JPEG, PNG, GIF or WebP image"),
        (_folder, "not a regular file"),
        (_fifo, "not a regular file"),
        (_missing, "not found"),
    ],
    ids=["text-named-jpg", "empty", "jpeg-magic-then-text", "folder", "fifo", "missing"],
)
def test_import_refuses_a_gambar_that_is_not_an_image_file(
    example: Path, make_gambar: Callable[[Path], str], reason: str
) -> None:
    catalogue = write_one_row(example, example / "f.csv", make_gambar(example))
    before = store_digest(example)
    result = run(example, "catalogue", "import", str(catalogue))
    assert result.exit_code == 1, result.output
    [line] = problem_lines(result.output)
    assert line.startswith(f"{catalogue}:2:gambar: ") and reason in line, line
    assert store_digest(example) == before


def _bmp(d: Path) -> str:
    save_image(d / "poster.bmp", "BMP")
    return "poster.bmp"


def _pixel_bomb(d: Path) -> str:
    # Small on disk, 144 million pixels once decoded.
    Image.new("1", (12000, 12000)).save(d / "bom.png")
    return "bom.png"


@pytest.mark.parametrize(
    ("make_gambar", "reason"),
    [
        (_bmp, "not a JPEG, PNG, GIF or WebP image"),
        (_pixel_bomb, "far more pixels than any platform shows"),
    ],
    ids=["bmp", "pixel-bomb"],
)
def test_import_refuses_other_image_types_and_pixel_bombs(
    example: Path, make_gambar: Callable[[Path], str], reason: str
) -> None:
    catalogue = write_one_row(example, example / "f.csv", make_gambar(example))
    result = run(example, "catalogue", "import", str(catalogue))
    assert result.exit_code == 1, result.output
    [line] = problem_lines(result.output)
    assert line.startswith(f"{catalogue}:2:gambar: ") and reason in line, line


@pytest.mark.parametrize("image_format", ["PNG", "GIF", "WEBP", "MPO"])
def test_import_accepts_every_allowed_type_whatever_its_name(example: Path, image_format: str) -> None:
    path = example / "gambar" / "poster.jpg"
    path.parent.mkdir()
    # MPO: the multi-picture JPEG many phones save.
    Image.new("RGB", (64, 36), "navy").save(
        path, format=image_format, save_all=image_format == "MPO", append_images=[Image.new("RGB", (64, 36), "red")]
    )
    catalogue = write_one_row(example, example / "f.csv", "gambar/poster.jpg")
    result = run(example, "catalogue", "import", str(catalogue))
    assert result.exit_code == 0, result.output


def test_import_accepts_a_png_and_a_symlink_that_stays_inside(example: Path) -> None:
    save_image(example / "gambar" / "poster.png", "PNG")
    (example / "gambar" / "alias.jpg").symlink_to(example / "gambar" / "poster.png")
    for gambar in ("gambar/poster.png", "gambar/alias.jpg", str(example / "gambar" / "poster.png")):
        catalogue = write_one_row(example, example / "f.csv", gambar)
        result = run(example, "catalogue", "import", str(catalogue))
        assert result.exit_code == 0, (gambar, result.output)


def test_the_configured_catalogue_is_refused_on_sync_and_nothing_is_imported(example: Path) -> None:
    set_bundled_gambar(example, "../../../../../../../../../../etc/passwd")
    before = store_digest(example)
    result = run(example, "check")
    assert result.exit_code == 1
    assert "catalogue/inovasi.csv:2:gambar: " in result.output and "outside" in result.output
    assert store_digest(example) == before


# ---- the configured media folder ---------------------------------------------------------------------------


def test_an_image_in_the_configured_media_folder_is_accepted(fresh: Path) -> None:
    example = fresh
    (example / "config" / "media").mkdir()
    shutil.copy(SAMPLE, example / "config" / "media" / "ktp.jpg")
    set_bundled_gambar(example, "../media/ktp.jpg")  # beside the catalogue's folder, not inside it

    refused = run(example, "check")
    assert refused.exit_code == 1
    assert "inovasi.csv:2:gambar: " in refused.output and "outside" in refused.output

    add_to_config(example, 'media = "media"')
    accepted = run(example, "check")
    assert accepted.exit_code == 0, accepted.output
    listed = run(example, "catalogue", "show", "ktp-sehari-jadi")
    assert "../media/ktp.jpg" in listed.output

    elsewhere = write_one_row(example, example / "lain" / "f.csv", str(example / "config" / "media" / "ktp.jpg"))
    assert run(example, "catalogue", "import", str(elsewhere)).exit_code == 0


# ---- check: what each platform takes ---------------------------------------------------------------------------


def test_check_reports_an_image_type_a_platform_does_not_take(fresh: Path) -> None:
    example = fresh
    # A PNG saved under a .jpg name: the bytes decide, not the name.
    save_image(example / "config" / "catalogue" / "gambar" / "ktp-sehari-jadi.jpg", "PNG")
    result = run(example, "check")
    assert result.exit_code == 1
    # Instagram takes JPEG only; x, facebook, telegram and whatsapp take a PNG.
    [line] = problem_lines(result.output)
    assert line.startswith(str(example / "config" / "catalogue" / "inovasi.csv") + ":2:gambar: ")
    assert "ktp-sehari-jadi · instagram" in line and "PNG" in line and "JPEG" in line


def test_check_refuses_a_gif_for_x_whose_one_shot_upload_does_not_take_it(fresh: Path) -> None:
    """X's one-shot upload takes JPEG, PNG and WebP as tweet_image; a GIF would need the chunked flow."""
    save_image(fresh / "config" / "catalogue" / "gambar" / "ktp-sehari-jadi.jpg", "GIF")
    result = run(fresh, "check")
    assert result.exit_code == 1
    x_lines = [line for line in problem_lines(result.output) if "ktp-sehari-jadi · x:" in line]
    assert len(x_lines) == 1 and "GIF" in x_lines[0], result.output


def test_check_gives_the_refused_image_as_a_problem_with_its_place(fresh: Path) -> None:
    save_image(fresh / "config" / "catalogue" / "gambar" / "ktp-sehari-jadi.jpg", "PNG")
    report = check(workspace(fresh / "config" / "outreach.toml", PLAN_AT).planning)
    catalogue = fresh / "config" / "catalogue" / "inovasi.csv"
    assert report.problems == (
        Problem(
            f"{catalogue}:2:gambar: ktp-sehari-jadi · instagram",
            "image is PNG, which instagram does not take (only JPEG); save it as JPEG",
        ),
    )
    assert report.innovations == 17


def test_check_reports_an_image_over_a_channels_size(example: Path) -> None:
    config = example / "config" / "outreach.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("daily_cap = 4", "daily_cap = 4\nmax_image_bytes = 9000"),
        encoding="utf-8",
    )
    result = run(example, "check")
    assert result.exit_code == 1
    size = BUNDLED_IMAGE.stat().st_size
    assert f"inovasi.csv:2:gambar: ktp-sehari-jadi · x: image is {size:,} bytes, over x's 9,000" in result.output


def test_check_notices_an_image_replaced_after_import(example: Path) -> None:
    image = example / "config" / "catalogue" / "gambar" / "ktp-sehari-jadi.jpg"
    image.write_text("bukan gambar lagi", encoding="utf-8")  # the catalogue file itself is unchanged
    result = run(example, "check")
    assert result.exit_code == 1
    lines = problem_lines(result.output)
    assert lines and all(
        line.startswith(str(example / "config" / "catalogue" / "inovasi.csv") + ":2:gambar: ")
        and "not a JPEG, PNG, GIF or WebP image" in line
        for line in lines
    )


# ---- publish time: defence in depth ------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _image_bytes_sent(fake: PlatformFake, content: bytes) -> bool:
    return any(content in request.get_data() for request in fake.server.requests())


def _point_outside_by_symlink(office: Path, secret: Path, post_id: int, store: Path) -> None:
    """The planned image file is swapped for a link to a file outside the catalogue's folder."""
    (office / "poster.jpg").unlink()
    (office / "poster.jpg").symlink_to(secret)


def _point_outside_by_hand_edit(office: Path, secret: Path, post_id: int, store: Path) -> None:
    """The store row names another file (an older version's import, or an edit by hand)."""
    with sqlite3.connect(store) as connection:
        connection.execute("UPDATE posts SET image = ? WHERE id = ?", (str(secret), post_id))
    connection.close()


def _swap_for_text(office: Path, secret: Path, post_id: int, store: Path) -> None:
    """Inside the folder, but not an image any more."""
    (office / "poster.jpg").write_bytes(b"SECRET=" + secret.read_bytes()[:64])


@pytest.mark.parametrize(
    "fake_type", [TelegramFake, MastodonFake, WhatsAppManualFake], ids=["telegram", "mastodon", "whatsapp_manual"]
)
@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_point_outside_by_symlink, "outside"),
        (_point_outside_by_hand_edit, "outside"),
        (_swap_for_text, "not a JPEG, PNG, GIF or WebP image"),
    ],
    ids=["symlink-out", "row-edited", "not-an-image"],
)
def test_the_publisher_sends_no_image_from_outside_the_allowed_folders(
    tmp_path: Path,
    server: FakeServer,
    fake_type: type[PlatformFake],
    tamper: Callable[[Path, Path, int, Path], None],
    reason: str,
) -> None:
    fake = fake_type(server)
    office = tmp_path / "kantor"
    office.mkdir()
    shutil.copy(SAMPLE, office / "poster.jpg")
    secret = save_image(tmp_path / "rahasia" / "bukan-untuk-umum.jpg", "JPEG", colour="red", size=(48, 48))
    config = project(
        office,
        [innovation("ktp-sehari-jadi", gambar="poster.jpg", alt_gambar="Petugas melayani warga di loket KTP-el")],
        channels={"kanal": {**fake.channel_settings(), "read_timeout": 2.0}},
        campaigns={"kenali": campaign(["kanal"], ["setiap hari 09.00"], min_gap_days=0)},
    )
    ws = workspace(config, PLAN_AT, fake.environ)
    ws.planning.apply_plan(1)
    [post] = ws.store.posts()
    assert post.image and Path(post.image).name == "poster.jpg"
    tamper(office, secret, post.id, office / "outreach.sqlite3")

    set_now(ws, SLOT)
    [outcome] = ws.publisher().publish_due()
    failed = ws.store.post(post.id)
    assert outcome.state is failed.state is PostState.FAILED
    assert reason in failed.reason and "kanal" in failed.reason
    assert fake.created == []
    assert not _image_bytes_sent(fake, secret.read_bytes())
    assert server.requests("POST") == []  # not even an upload that creates no post
    if isinstance(fake, WhatsAppManualFake):
        assert list(fake.directory.iterdir()) == []  # no copy in the hand-off folder
    ws.close()


@pytest.mark.parametrize(
    "fake_type", [TelegramFake, MastodonFake, WhatsAppManualFake], ids=["telegram", "mastodon", "whatsapp_manual"]
)
def test_the_publisher_still_sends_an_image_inside_the_folder(
    tmp_path: Path, server: FakeServer, fake_type: type[PlatformFake]
) -> None:
    fake = fake_type(server)
    shutil.copy(SAMPLE, tmp_path / "poster.jpg")
    config = project(
        tmp_path,
        [innovation("ktp-sehari-jadi", gambar="poster.jpg", alt_gambar="Petugas melayani warga di loket KTP-el")],
        channels={"kanal": {**fake.channel_settings(), "read_timeout": 2.0}},
        campaigns={"kenali": campaign(["kanal"], ["setiap hari 09.00"], min_gap_days=0)},
    )
    ws = workspace(config, PLAN_AT, fake.environ)
    ws.planning.apply_plan(1)
    set_now(ws, SLOT)
    [outcome] = ws.publisher().publish_due()
    assert outcome.state in (PostState.PUBLISHED, PostState.HANDED_OFF), outcome.reason
    assert len(fake.created) == 1
    if isinstance(fake, WhatsAppManualFake):
        [copy] = [path for path in fake.directory.iterdir() if path.suffix == ".jpg"]
        assert copy.read_bytes() == SAMPLE.read_bytes()
    else:
        assert _image_bytes_sent(fake, SAMPLE.read_bytes())
    ws.close()
