"""`outreach preview --format html`: every draft as a card in its platform's shape, for approving by looking."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from outreach.cli import cli
from outreach.preview_cards import text_parts
from tests.browser import A4, PHONE, Browser
from tests.engine_helpers import campaign, file_channel, innovation, project

NOW = "2026-12-01T08:00+07:00"
PLATFORMS = ("x", "facebook", "instagram", "telegram", "mastodon", "bluesky", "whatsapp", "webhook")
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def office(tmp_path: Path) -> Path:
    """One local file channel per platform, and an innovation with a large photo and markup in its name."""
    folder = tmp_path / "kantor"
    (folder / "gambar").mkdir(parents=True)
    photo = Image.effect_noise((2400, 1600), 80).convert("RGB")
    photo.save(folder / "gambar" / "ktp.jpg", "JPEG", quality=95)
    rows = [
        innovation(
            "ktp-sehari-jadi",
            nama=f"KTP Sehari Jadi {SCRIPT}",
            gambar="gambar/ktp.jpg",
            alt_gambar="Petugas menyerahkan KTP kepada warga di loket",
        )
    ]
    channels = {name: file_channel(name) for name in PLATFORMS}
    # Two real platforms' channels: their accounts come from the config (nothing is sent by a preview).
    channels["bluesky"] = {"type": "bluesky", "handle": "kominfo.bandarlampungkota.go.id"}
    channels["telegram"] = {"type": "telegram", "chat_id": "@infobandarlampung"}
    return project(
        folder,
        rows,
        channels=channels,
        campaigns={"kenali": campaign(list(PLATFORMS), ["setiap hari 09.00"], start="2026-12-01")},
    )


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", NOW, *args], catch_exceptions=False)


@pytest.fixture
def page(office: Path, tmp_path: Path) -> Path:
    target = tmp_path / "pratinjau.html"
    result = run(office, "--language", "id", "preview", "--days", "1", "--format", "html", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert f"Pratinjau ditulis ke {target}" in result.output
    return target


def _drafts(office: Path) -> list[dict[str, object]]:
    result = run(office, "preview", "--days", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    drafts: list[dict[str, object]] = json.loads(result.stdout)
    return drafts


def test_each_platform_has_its_own_shape_and_the_text_previews_counter(office: Path, page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    drafts = _drafts(office)
    assert sorted(draft["channel"] for draft in drafts) == sorted(PLATFORMS)
    for name in PLATFORMS:
        assert f'class="shape shape-{name}"' in text
    counters = re.findall(r'class="pv-count">(\d+/\d+) ', text)
    assert sorted(counters) == sorted(f"{draft['length']}/{draft['limit']}" for draft in drafts)
    assert "kominfo.bandarlampungkota.go.id" in text and "@infobandarlampung" in text  # accounts from the config
    shown = html.unescape(text)
    for draft in drafts:
        for warning in draft["warnings"]:
            assert f"⚠ {warning}" in shown


def test_links_and_hashtags_are_marked_and_markup_in_the_data_stays_text(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert '<span class="tx-link">https://bandarlampungkota.go.id/inovasi/ktp-sehari-jadi</span>' in text
    assert '<span class="tx-tag">#BandarLampung</span>' in text
    assert "<script" not in text
    assert "KTP Sehari Jadi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text


def test_the_image_is_embedded_smaller_with_its_description(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    images = re.findall(r'<img src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"', text)
    assert images, "an embedded JPEG"
    content, alt = images[0]
    embedded = base64.b64decode(content)
    with Image.open(io.BytesIO(embedded)) as picture:
        assert max(picture.size) == 1080
    original = (page.parent / "kantor" / "gambar" / "ktp.jpg").stat().st_size
    assert len(embedded) < original / 3
    assert alt == "Petugas menyerahkan KTP kepada warga di loket"
    assert "Keterangan gambar untuk pembaca tunanetra: Petugas menyerahkan KTP" in text


def test_output_belongs_to_the_html_format(office: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(office), "preview", "--output", str(tmp_path / "p.html")])
    assert result.exit_code == 2
    assert "--output works with --format html only" in result.output


@pytest.mark.parametrize(
    "text, marked",
    [
        ("Info: https://a.go.id/x. Tanya?", [("link", "https://a.go.id/x")]),
        ("(lihat https://a.go.id/x)", [("link", "https://a.go.id/x")]),
        ("#BandarLampung #Layanan_Publik", [("tag", "#BandarLampung"), ("tag", "#Layanan_Publik")]),
        ("Surel info@kota.go.id atau @kominfo_bdl.", [("mention", "@kominfo_bdl")]),
        ("Nomor 1 & #2 &amp;", [("tag", "#2")]),
        ("<b>tebal</b>", []),
    ],
)
def test_text_parts_mark_links_tags_and_mentions_and_lose_nothing(text: str, marked: list[tuple[str, str]]) -> None:
    parts = text_parts(text)
    assert "".join(part for _kind, part in parts) == text
    assert [(kind, part) for kind, part in parts if kind != "text"] == marked


def test_whatsapp_stars_are_bold_there_only() -> None:
    text = "*Dari:* Dinas Kesehatan\n2 * 3 = 6"
    assert [part for part in text_parts(text, bold_stars=True) if part[0] == "bold"] == [("bold", "*Dari:*")]
    assert all(kind == "text" for kind, _part in text_parts(text))


def test_on_whatsapp_the_stars_make_bold_text(page: Path) -> None:
    assert '<strong class="tx-bold">Dari:</strong>' in page.read_text(encoding="utf-8")


# ---- in the browser ----------------------------------------------------------------------------


def test_on_a_phone_every_card_reads_without_sideways_scrolling(browser: Browser, page: Path) -> None:
    opened = browser.open(page, PHONE)
    text = opened.text()
    assert "Unggahan untuk disetujui" in text
    assert f"KTP Sehari Jadi {SCRIPT}" in text
    assert re.search(r"\d+/280", text) and re.search(r"\d+/500", text)  # X's and Mastodon's counters
    assert "Keterangan gambar untuk pembaca tunanetra" in text
    assert opened.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    loaded = opened.page.eval_on_selector_all("img", "images => images.map(image => image.naturalWidth)")
    assert loaded and all(width == 1080 for width in loaded)
    assert (opened.console_errors, opened.outside_requests) == ([], [])
    opened.screenshot("preview-phone")


def test_on_a4_the_cards_stand_side_by_side(browser: Browser, page: Path) -> None:
    opened = browser.open(page, A4, media="print")
    assert opened.text().count("09.00 WIB") == len(PLATFORMS)
    tops = opened.page.eval_on_selector_all(".pv", "cards => cards.map(card => card.getBoundingClientRect().top)")
    assert len(tops) == len(PLATFORMS) and len(set(tops)) < len(tops), "two cards a row"
    assert (opened.console_errors, opened.outside_requests) == ([], [])
    opened.screenshot("preview-a4")
