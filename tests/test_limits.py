"""How each platform counts a post's length (outreach.limits)."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from outreach.limits import (
    URL_LENGTH,
    TextLimit,
    count_characters,
    count_graphemes,
    count_mastodon,
    count_utf16,
    count_x_weighted,
)

GRINNING = "\U0001f600"  # 😀, outside the BMP
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦: 7 code points
LONG_URL = "https://bandarlampungkota.go.id/inovasi/ktp-sehari-jadi/dengan/jalur/yang/sangat/panjang"
BARE_URL = "bandarlampungkota.go.id/inovasi/ktp-sehari-jadi"


# ---- X (weighted, twitter-text v3) -------------------------------------------------------------


def test_x_counts_plain_latin_as_one_each() -> None:
    assert count_x_weighted("Halo warga") == 10


def test_x_counts_an_emoji_as_two() -> None:
    assert count_x_weighted(GRINNING) == 2
    assert count_x_weighted("a" + GRINNING + "b") == 4


def test_x_counts_a_zwj_family_sequence_as_two() -> None:
    assert len(FAMILY) == 7
    assert count_x_weighted(FAMILY) == 2


@pytest.mark.parametrize("url", [LONG_URL, BARE_URL, "https://a.co"])
def test_x_counts_every_url_as_23_with_or_without_scheme(url: str) -> None:
    assert count_x_weighted(url) == URL_LENGTH == 23
    assert count_x_weighted(f"Info: {url}") == len("Info: ") + 23


def test_x_counts_cjk_as_two_per_character() -> None:
    assert count_x_weighted("日本語") == 6
    assert count_x_weighted("한국") == 4


def test_x_counts_a_300_letter_word_as_300() -> None:
    assert count_x_weighted("a" * 300) == 300


def test_x_counts_accented_latin_as_one() -> None:
    assert count_x_weighted("Jum'at é ñ ü") == 12
    assert count_x_weighted("ééééé") == 5


def test_x_counts_decomposed_accent_as_one_after_normalisation() -> None:
    # "e" + COMBINING ACUTE is NFC-normalised to "é" before counting.
    assert TextLimit("x_weighted", 280).measure("e\u0301") == 1


# ---- Mastodon ----------------------------------------------------------------------------------


def test_mastodon_counts_a_url_with_scheme_as_23() -> None:
    assert len(LONG_URL) > 23
    assert count_mastodon(LONG_URL) == 23
    assert count_mastodon(f"Info lengkap: {LONG_URL}") == len("Info lengkap: ") + 23


def test_mastodon_counts_a_short_url_with_scheme_as_23_too() -> None:
    assert count_mastodon("http://a.co") == 23


def test_mastodon_counts_a_bare_domain_as_characters() -> None:
    assert count_mastodon(BARE_URL) == len(BARE_URL)
    assert count_mastodon(f"Info: {BARE_URL}") == len("Info: ") + len(BARE_URL)


def test_mastodon_counts_two_urls_as_23_each() -> None:
    text = f"{LONG_URL} dan {LONG_URL}/lagi"
    assert count_mastodon(text) == 23 + len(" dan ") + 23


def test_mastodon_counts_emoji_as_code_points() -> None:
    assert count_mastodon(GRINNING) == 1
    assert count_mastodon("halo") == 4


# ---- Bluesky (graphemes, 3000-byte cap) --------------------------------------------------------


def test_bluesky_counts_an_emoji_sequence_as_one_grapheme() -> None:
    assert count_graphemes(FAMILY) == 1
    assert count_graphemes(GRINNING) == 1
    assert count_graphemes("a" + FAMILY + "b") == 3


def test_bluesky_counts_a_letter_with_combining_marks_as_one_grapheme() -> None:
    # "x" + COMBINING ACUTE has no precomposed form, so it stays two code points.
    text = "x\u0301"
    assert count_characters(text) == 2
    assert count_graphemes(text) == 1
    assert TextLimit("graphemes", 300).measure("x\u0301y\u0323\u0302") == 2


def test_bluesky_byte_cap_applies_even_when_graphemes_fit() -> None:
    limit = TextLimit("graphemes", 300, maximum_utf8_bytes=3000)
    family_bytes = len(FAMILY.encode("utf-8"))
    assert family_bytes == 25
    exactly = FAMILY * 120  # 3000 bytes, 120 graphemes
    assert len(exactly.encode("utf-8")) == 3000
    assert limit.measure(exactly) == 120
    assert limit.fits(exactly)
    over = FAMILY * 121  # 3025 bytes, still only 121 graphemes
    assert limit.measure(over) == 121
    assert not limit.fits(over)
    assert limit.excess(over) >= 1


def test_bluesky_without_byte_cap_ignores_bytes() -> None:
    limit = TextLimit("graphemes", 300)
    assert limit.fits(FAMILY * 121)


def test_bluesky_grapheme_limit_still_applies_with_byte_cap() -> None:
    limit = TextLimit("graphemes", 300, maximum_utf8_bytes=3000)
    assert limit.fits("a" * 300)
    assert not limit.fits("a" * 301)
    assert limit.excess("a" * 305) == 5


# ---- Telegram (UTF-16 code units) ---------------------------------------------------------------


def test_telegram_counts_an_emoji_outside_the_bmp_as_two() -> None:
    assert count_utf16(GRINNING) == 2


def test_telegram_counts_bmp_characters_as_one() -> None:
    assert count_utf16("Halo é 日") == 8
    assert count_utf16("\u2764") == 1  # ❤ is inside the BMP


def test_telegram_counts_a_family_sequence_by_code_units() -> None:
    # 4 astral people (2 each) + 3 ZWJ (1 each)
    assert count_utf16(FAMILY) == 11


# ---- characters (Facebook, Instagram, WhatsApp, webhook) -----------------------------------------


def test_characters_counts_code_points() -> None:
    assert count_characters(GRINNING) == 1
    assert count_characters(FAMILY) == 7
    assert count_characters(LONG_URL) == len(LONG_URL)
    assert count_characters("日本語") == 3


# ---- TextLimit at the boundary -------------------------------------------------------------------

BOUNDARY_CASES = [
    (TextLimit("characters", 10), "a" * 10, "a" * 11),
    (TextLimit("x_weighted", 280), "a" * 280, "a" * 281),
    (TextLimit("x_weighted", 280), GRINNING * 140, GRINNING * 140 + "a"),
    (TextLimit("mastodon", 500), "a" * 476 + " " + LONG_URL, "a" * 477 + " " + LONG_URL),
    (TextLimit("graphemes", 300), FAMILY * 300, FAMILY * 301),
    (TextLimit("utf16", 4096), GRINNING * 2048, GRINNING * 2048 + "a"),
    (TextLimit("utf16", 1024), "a" * 1024, "a" * 1023 + GRINNING),
]


@pytest.mark.parametrize(("limit", "at_limit", "one_over"), BOUNDARY_CASES)
def test_fits_at_the_limit_and_not_one_over(limit: TextLimit, at_limit: str, one_over: str) -> None:
    assert limit.measure(at_limit) == limit.maximum
    assert limit.fits(at_limit)
    assert limit.excess(at_limit) == 0
    assert limit.describe(at_limit) == f"{limit.maximum}/{limit.maximum}"

    assert limit.measure(one_over) == limit.maximum + 1
    assert not limit.fits(one_over)
    assert limit.excess(one_over) == 1
    assert limit.describe(one_over) == f"{limit.maximum + 1}/{limit.maximum}"


def test_excess_is_negative_room_when_under() -> None:
    limit = TextLimit("characters", 10)
    assert limit.excess("abc") == -7
    assert limit.fits("")
    assert limit.describe("abc") == "3/10"


def test_describe_uses_the_platform_count_not_code_points() -> None:
    limit = TextLimit("x_weighted", 280)
    text = f"Info {LONG_URL} {GRINNING}"
    assert limit.describe(text) == f"{5 + 23 + 1 + 2}/280"


_PIECES = st.sampled_from(
    [
        "Layanan ",
        "KTP-el ",
        "layanan.bandarlampungkota.go.id/ktp ",
        "https://x.com/a?b=c ",
        "😀",
        "中文",
        "“kutip” ",
        "– ",
        "…",
        "\n",
        "#BandarLampung ",
        "pukul 09.00 WIB ",
        "é",
        "Rp10.000 ",
        "👨‍👩‍👧",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=30))
def test_x_fast_path_agrees_with_twitter_text(pieces: list[str]) -> None:
    """The cheap path for light text must give exactly twitter-text's weighted length."""
    text = unicodedata.normalize("NFC", "".join(pieces))
    assert count_x_weighted(text) == parse_tweet(text).weightedLength


def test_x_fast_path_agrees_for_every_light_code_point() -> None:
    """Exhaustive over the code points the cheap path accepts, each between two letters."""
    import regex

    from outreach.limits import _X_LIGHT

    for code_point in range(0x2040):
        character = chr(code_point)
        if not regex.match(r"\p{Cs}", character) and regex.match(_X_LIGHT, character):
            text = unicodedata.normalize("NFC", f"a{character}b")
            assert count_x_weighted(text) == parse_tweet(text).weightedLength, hex(code_point)


#: A ``pkg_resources`` as a Python 3.12+ venv or setuptools 81 has it: none.
_NO_PKG_RESOURCES = 'raise ModuleNotFoundError("No module named \'pkg_resources\'", name="pkg_resources")\n'


def test_x_mastodon_and_bluesky_counts_need_no_pkg_resources(tmp_path: Path) -> None:
    """twitter-text's package imports ``pkg_resources`` (which it does not require): where there is none, every
    X, Mastodon and Bluesky count failed with ModuleNotFoundError. outreach loads only the parts it uses."""
    (tmp_path / "pkg_resources").mkdir()
    (tmp_path / "pkg_resources" / "__init__.py").write_text(_NO_PKG_RESOURCES)
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}

    def run(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True)

    bare = run("import twitter_text")
    assert bare.returncode != 0 and "No module named 'pkg_resources'" in bare.stderr  # the stand-in bites
    counted = run(
        "import sys\n"
        "from outreach.limits import count_mastodon, count_x_weighted, find_urls\n"
        "import outreach.channels.bluesky, outreach.channels.x, outreach.costs, outreach.daemon, outreach.web\n"
        "print(count_x_weighted('Halo 😀 cek layanan.bandarlampungkota.go.id'), count_mastodon('a https://b.id/c'),"
        " len(find_urls('lihat example.com')), 'twitter_text' in sys.modules)"
    )
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.split() == ["35", "25", "1", "False"]  # 35: as parse_tweet counts it (the tests above)
    assert counted.stderr == ""


#: Texts heavy enough for the full count: emoji from every part of X's list (sequences with joiners, skin tones,
#: flags, keycaps, variation selectors), CJK, URLs, line endings of every kind, decomposed accents.
_HEAVY_PIECES = st.sampled_from(
    [
        "👨‍👩‍👧", "🙋🏽", "👨‍🎤", "🇮🇩", "🏴‍☠️", "#️⃣", "1️⃣", "*⃣", "❤️", "❤", "©", "©️", "®", "™️", "☺", "☺️",
        "👍🏿", "🧑🏻‍🤝‍🧑🏿", "🫶", "🥲", "日本語", "한국", " ", "\r\n", "\r", "\n", "e\u0301", "Rp10.000",
        "https://bandarlampungkota.go.id/inovasi?x=1", "layanan.go.id", "@pemkot", "#BandarLampung", "\u200d",
        "\ufe0f", "\U0001f3fd", "—", "…", "•",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_HEAVY_PIECES, st.text(max_size=6)), max_size=40))
def test_x_full_count_agrees_with_twitter_text(pieces: list[str]) -> None:
    """X's count of any text, normalised or not, is exactly twitter-text's own weighted length."""
    text = "".join(pieces)
    assert TextLimit("x_weighted", 280).measure(text) == parse_tweet(text).weightedLength


def test_x_full_count_agrees_for_every_emoji_twitter_text_knows() -> None:
    """Every entry of twitter-text's emoji list, alone and between words, weighs what parse_tweet says."""
    from twitter_text.regexp.emoji import emoji_list

    assert len(emoji_list) > 3000
    for entry in emoji_list:
        for text in (entry.emoji, f"a {entry.emoji}b{entry.emoji}"):
            assert TextLimit("x_weighted", 280).measure(text) == parse_tweet(text).weightedLength, entry.codepoint
