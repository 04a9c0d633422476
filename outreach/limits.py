"""How each platform counts the length of a post.

A channel adapter declares a ``TextLimit``; the renderer measures with the same object, so the
limit the renderer enforces is exactly the one the adapter declares. The numbers are defaults
that a channel's config may override (platforms change them); the counting rules are code.
twitter-text is imported by the first counter that uses it (``_twitter_text``): loading it takes a fifth of a
second, which commands that only need the platforms' names (``outreach --help``) should not pay.
"""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

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


@cache
def _twitter_text() -> ModuleType:
    """twitter-text-parser, imported once and quietly.

    It reads its emoji table through setuptools' ``pkg_resources`` without declaring it: a Python 3.12+ venv has no
    setuptools, and setuptools 81 dropped ``pkg_resources``, so pyproject.toml requires a setuptools below 81 (else
    every X, Mastodon or Bluesky post failed with ModuleNotFoundError). Those versions warn on the import; the warning
    is setuptools' advice to twitter-text's authors, not to an officer reading a preview.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import twitter_text
    return twitter_text


def find_urls(text: str, without_protocol: bool = True) -> list[dict[str, Any]]:
    """The URLs X finds in ``text``, each a dict with its ``url`` and code-point ``indices``: twitter-text's own
    extractor, bare domains included unless ``without_protocol`` is False (Mastodon links only a scheme)."""
    return _twitter_text().extract_urls_with_indices(text, without_protocol)


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
    URLs counted as 23, which is much cheaper than twitter-text's full parse (its emoji scan
    dominates a render). Anything heavier goes through twitter-text itself.
    """
    if _pattern(_X_LIGHT).match(text):
        urls = find_urls(text)
        url_chars = sum(end - start for start, end in (url["indices"] for url in urls))
        return len(text) - url_chars + URL_LENGTH * len(urls)
    return _twitter_text().parse_tweet(text).weightedLength


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
