"""How each platform counts the length of a post.

A channel adapter declares a ``TextLimit``; the renderer measures with the same object, so the
limit the renderer enforces is exactly the one the adapter declares. The numbers are defaults
that a channel's config may override (platforms change them); the counting rules are code.
twitter-text's modules are loaded by the first counter that uses them (``_twitter_text``), which commands that only
need the platforms' names (``outreach --help``) should not pay for.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .i18n import N_, _

if TYPE_CHECKING:
    import regex

Counter = Literal["characters", "x_weighted", "mastodon", "graphemes", "utf16"]

#: X and Mastodon count every URL as this many characters.
URL_LENGTH = 23


@cache
def _pattern(expression: str) -> regex.Pattern[str]:
    """Compiled on first use: ``outreach --help`` pays nothing for the counters it never runs."""
    import regex  # the `regex` module (grapheme clusters), imported with its first pattern

    return regex.compile(expression)


#: The private name twitter-text-parser's modules are loaded under (``_twitter_text``).
_TWITTER_TEXT = "outreach._twitter_text"
#: Held while a module is first loaded: two lanes may count their first posts at once (``cache`` does not lock).
_loading_twitter_text = threading.Lock()


@cache
def _twitter_text(module: str) -> ModuleType:
    """One of twitter-text-parser's modules (``extract_urls``, ``config``), loaded without its package's ``__init__``.

    That ``__init__`` imports ``parse_tweet``, whose emoji table is read at import through setuptools'
    ``pkg_resources``: twitter-text does not require it, a Python 3.12+ venv has no setuptools and setuptools 81
    removed it, so every X, Mastodon or Bluesky count failed there with ModuleNotFoundError. The table also costs
    11 MB (``pkg_resources`` 5, the table's one expression 6) in the server and the daemon. The URL extractor and
    the weights are plain modules: they are loaded under a private name (the package's own, ``twitter_text``, is
    left alone), and X's length is summed here from them and the same emoji list (``_emoji_table``).
    """
    with _loading_twitter_text:
        if _TWITTER_TEXT not in sys.modules:
            folder = _twitter_text_folder()
            package = importlib.util.spec_from_file_location(
                _TWITTER_TEXT, folder / "__init__.py", submodule_search_locations=[str(folder)]
            )
            if package is None:
                raise ModuleNotFoundError(f"twitter-text-parser is incomplete: {folder}", name="twitter_text")
            sys.modules[_TWITTER_TEXT] = importlib.util.module_from_spec(package)  # not executed: the point
        return importlib.import_module(f"{_TWITTER_TEXT}.{module}")


def _twitter_text_folder() -> Path:
    """Where twitter-text-parser is installed: found, not imported (importing its package is what is avoided)."""
    found = importlib.util.find_spec("twitter_text")
    folders = found.submodule_search_locations if found is not None else None
    if not folders:
        raise ModuleNotFoundError("twitter-text-parser is not installed", name="twitter_text")
    return Path(folders[0])


def find_urls(text: str, without_protocol: bool = True) -> list[dict[str, Any]]:
    """The URLs X finds in ``text``, each a dict with its ``url`` and code-point ``indices``: twitter-text's own
    extractor, bare domains included unless ``without_protocol`` is False (Mastodon links only a scheme)."""
    return _twitter_text("extract_urls").extract_urls_with_indices(text, without_protocol)


def load_url_rules() -> None:
    """Load X's URL extractor now rather than at the first count (a long-running process, before its big reads)."""
    _twitter_text("extract_urls")


class _EmojiTable(NamedTuple):
    sequences: frozenset[str]
    singles: frozenset[str]
    #: The first code point of every sequence: most characters start none and cost one look-up.
    starts: frozenset[str]
    longest: int


@cache
def _emoji_table() -> _EmojiTable:
    """X's emoji as twitter-text finds them, read once from the Unicode list it ships (``regexp/emoji-test.txt``):
    every entry but the components (skin tones, hair), as sequences of several code points and single ones.
    Sets of strings: 0.6 MB, where twitter-text's one expression of them takes 6 MB."""
    sequences: set[str] = set()
    singles: set[str] = set()
    group = ""
    # 400 kB read a line at a time: the whole text and its lines would peak at 3.4 MB.
    with (_twitter_text_folder() / "regexp" / "emoji-test.txt").open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("# Status Counts"):  # the statistics after the list
                break
            if line.startswith("# group:"):
                group = line.split(":")[-1].strip()
            elif group != "Component" and _pattern(r"[0-9A-F]{3,}").match(line):
                emoji = "".join(chr(int(point, 16)) for point in line.split(";")[0].split())
                (sequences if len(emoji) > 1 else singles).add(emoji)
    return _EmojiTable(
        frozenset(sequences), frozenset(singles), frozenset(each[0] for each in sequences), max(map(len, sequences))
    )


def _emoji_ends(text: str) -> dict[int, int]:
    """Where each emoji of ``text`` starts → where it ends, left to right without overlap, the longest sequence first
    (as twitter-text's expression finds them: sequences by decreasing length, then single code points)."""
    table = _emoji_table()
    ends, index = {}, 0
    while index < len(text):
        end = index + 1
        if text[index] in table.starts:
            end = next(
                (
                    index + size
                    for size in range(min(table.longest, len(text) - index), 1, -1)
                    if text[index : index + size] in table.sequences
                ),
                end,
            )
        if end > index + 1 or text[index] in table.singles:
            ends[index] = end
        index = end
    return ends


def _x_weighted_in_full(text: str) -> int:
    """twitter-text's ``parse_tweet(text).weightedLength``, step for step: NFC, every line ending one ``\\n``, then
    each URL weighs the transformed length, each emoji the default weight, any other code point its range's."""
    options = _twitter_text("config").config["defaults"]
    scale = options["scale"]
    normalized = _pattern(r"\r\n|\r|\n").sub("\n", unicodedata.normalize("NFC", text))
    urls = {url["indices"][0]: url["indices"][1] for url in find_urls(normalized)}
    emoji = _emoji_ends(normalized) if options["emoji_parsing_enabled"] else {}
    weight, index = 0, 0
    while index < len(normalized):
        if index in urls:
            weight += options["transformed_url_length"] * scale
            index = urls[index]
        elif index in emoji:
            weight += options["default_weight"]
            index = emoji[index]
        else:
            point = ord(normalized[index])
            weight += next(
                (each["weight"] for each in options["ranges"] if each["start"] <= point <= each["end"]),
                options["default_weight"],
            )
            index += 1
    return int(weight / scale)


_GRAPHEME = r"\X"


def count_characters(text: str) -> int:
    """Unicode code points (Facebook, Instagram, webhook, WhatsApp)."""
    return len(text)


#: twitter-text v3: code points in these ranges weigh 1, every other one 2 — except emoji,
#: which count 2 wherever they are (© and ® are emoji inside the light range).
_X_LIGHT = r"^[\u0000-\u00A8\u00AA-\u00AD\u00AF-\u10FF\u2000-\u200D\u2010-\u201F\u2032-\u2037]*$"


def count_x_weighted(text: str) -> int:
    """X's weighted length (twitter-text v3): NFC, CJK and emoji weigh 2, every URL 23.

    Most posts are Latin text: when every character weighs 1, the length is the code points with
    URLs counted as 23, which is much cheaper than the full parse (its emoji scan dominates a render). Anything
    heavier is parsed in full as twitter-text does (``_x_weighted_in_full``).
    """
    if "\r" not in text and _pattern(_X_LIGHT).match(text):  # X makes \r\n one character: the full count does
        urls = find_urls(text)
        url_chars = sum(end - start for start, end in (url["indices"] for url in urls))
        return len(text) - url_chars + URL_LENGTH * len(urls)
    return _x_weighted_in_full(text)


#: A mention as Mastodon finds one (``Account::MENTION_RE``): ``@user`` or ``@user@domain``.
_MASTODON_MENTION = r"(?<![=/\w])@((?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*))(?:@\w+(?:[.-]+\w+)*)?"


@lru_cache(maxsize=256)
def count_mastodon(text: str, url_length: int = URL_LENGTH) -> int:
    """As Mastodon's ``StatusLengthValidator`` counts: grapheme clusters, once every URL with a scheme
    (Mastodon does not link bare domains) stands for ``url_length`` characters and every
    ``@user@domain`` mention for ``@user``.

    Kept for the last texts counted: a post is counted against the configured limit, then against the
    instance's own, and finding its links is most of a publication's own CPU."""
    replacements = [(*url["indices"], "x" * url_length) for url in find_urls(text, without_protocol=False)]
    for mention in _pattern(_MASTODON_MENTION).finditer(text):
        if not any(start < mention.end() and mention.start() < end for start, end, _ in replacements):
            replacements.append((mention.start(), mention.end(), "@" + mention.group(1)))
    countable, position = [], 0
    for start, end, replacement in sorted(replacements):
        countable += [text[position:start], replacement]
        position = end
    countable.append(text[position:])
    return count_graphemes("".join(countable))


def count_graphemes(text: str) -> int:
    """User-perceived characters (Bluesky): an emoji sequence is one."""
    return len(_pattern(_GRAPHEME).findall(text))


def count_utf16(text: str) -> int:
    """UTF-16 code units (Telegram): characters outside the BMP count twice."""
    return len(text.encode("utf-16-le")) // 2


#: What each counter counts, in words (translated where shown).
_UNITS: dict[Counter, str] = {
    "characters": N_("characters"),
    "x_weighted": N_("weighted characters (links count 23)"),
    "mastodon": N_("characters (links count as the instance says)"),
    "graphemes": N_("characters as the reader sees them"),
    "utf16": N_("UTF-16 units"),
}

COUNTERS: dict[Counter, Callable[[str], int]] = {
    "characters": count_characters,
    "x_weighted": count_x_weighted,
    "mastodon": count_mastodon,
    "graphemes": count_graphemes,
    "utf16": count_utf16,
}


@dataclass(frozen=True)
class TextLimit:
    """A maximum length under one counting rule, optionally with a byte cap (Bluesky: 3000 UTF-8 bytes)."""

    counter: Counter
    maximum: int
    maximum_utf8_bytes: int | None = None
    #: What a link counts under the ``mastodon`` counter: each instance states its own.
    url_length: int = URL_LENGTH

    def measure(self, text: str) -> int:
        """The length of ``text`` as the platform counts it (after NFC, as platforms store text)."""
        return self._count(unicodedata.normalize("NFC", text))

    def excess(self, text: str) -> int:
        """How far ``text`` is over the limit (0 or less when it fits), in the counter's units."""
        text = unicodedata.normalize("NFC", text)
        over = self._count(text) - self.maximum
        if self.maximum_utf8_bytes is not None:
            over_bytes = len(text.encode("utf-8")) - self.maximum_utf8_bytes
            if over_bytes > 0:
                over = max(over, 1)
        return over

    def fits(self, text: str) -> bool:
        """Whether ``text`` is within the limit."""
        return self.excess(text) <= 0

    def _count(self, text: str) -> int:
        if self.counter == "mastodon":
            return count_mastodon(text, self.url_length)
        return COUNTERS[self.counter](text)

    def describe(self, text: str) -> str:
        """``213/280`` — the measured length against the limit (digits only: the same in every language)."""
        return f"{self.measure(text)}/{self.maximum}"

    def unit(self) -> str:
        """What the counter counts, as a person reads it after ``describe`` ("213/280 weighted characters")."""
        return _(_UNITS[self.counter])
