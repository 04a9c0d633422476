"""Plain-Indonesian checker for public-service posts.

Why relative checks and not a readability score: there is no Flesch or Fog formula calibrated
for Indonesian. The English constants (as in ``textstat``) give meaningless numbers for
Indonesian text, and ``pyphen``'s id_ID dictionary is a hyphenator that miscounts syllables
(ibu -> 1, inovasi -> 3). So the checker measures things a writer can act on:

- sentence length: a sentence over 25 words is an error, over 20 a warning, an average over 15
  a warning;
- the share of long words (more than 6 letters, LIX-style) and a syllable count by vowel
  nuclei, as trend figures in :class:`Stats`, not as rules;
- words by category, each with a plain rewrite (:mod:`outreach.plainwords`): press-release framing,
  nominal style, English words, officialese, abbreviations and acronyms not spelled out (unless
  everyone knows them: the allow-list), office shorthand; no sentences in capitals;
- post-level checks: hashtag count, alt text for images, and whether a how-to post
  ("cara_pakai") says where to go or how to do it.

The word lists live in ``outreach/data/glossary.toml`` (an office may extend it, see
:meth:`outreach.glossary.Glossary.load`). Each list is compiled once per glossary into one trie-shaped
regex, and links, tags and mentions are masked out once per post, so checking a post costs a few regex
passes and no per-word dictionary look-ups. Pieces that posts rendered from templates repeat (a
sentence, the lines between sure sentence breaks, a hashtag) are split, masked and counted once, in
bounded caches (10,000 posts in under 2 s, see ``bench/bench_plainlang.py``).

Counting conventions (also used by :func:`split_words` and :class:`Stats`):

- a URL, an e-mail address, a @mention, a #hashtag, a number (``09.00``, ``1.234.567,5``,
  ``10%``, ``1/12/2026``) and an amount (``Rp10.000``) each count as one word; emoji and
  punctuation are not words; a dotted abbreviation (``S.H.``, ``a.n.``) is one word;
- a line made only of hashtags, mentions, links or emoji is not a sentence, and its tokens are
  not counted in ``Stats.words``; hashtags inside a sentence do count;
- long-word share and syllables are measured on prose words only (not on links, tags,
  mentions or numbers). A word without vowels (``KTP``) has no vowel nucleus and counts 0.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import regex

from .glossary import LETTER_RE, Glossary, default_glossary
from .i18n import _
from .plainwords import ERROR, WARNING, Finding, Sentences, opening_finding, scan

MAX_SENTENCE_WORDS = 20  # longer: a warning
MAX_SENTENCE_WORDS_ERROR = 25  # longer: an error
MAX_AVERAGE_WORDS = 15
LONG_WORD_LETTERS = 6
MAX_HASHTAGS = 5

# --- links, tags and masking ----------------------------------------------------------------
#
# Links, e-mail addresses, @mentions and #hashtags are found once and replaced by _LINK_MASK
# characters (keycap emoji by _KEYCAP_MASK) in a copy of the text of the same length. Every
# later pass runs on that copy: offsets stay valid, a link is one word, and nothing inside a
# link can end a sentence or look like an acronym or a jargon word.

_LINK_MASK = "\ue000"  # private-use characters: neither letters, digits, spaces nor emoji
_KEYCAP_MASK = "\ue001"
_URL_TAIL = r"[^\s<>\"'“”‘’]*[^\s<>\"'“”‘’.,;:!?)\]]"
_TLD = r"id|com|net|org|info|io|co|app|me|ly|gov|go|web|site|online|xyz|biz|edu|ac|or|my|sch"
_LINK_RE = re.compile(
    r"(?<![\w.\-@/#+&])(?:"
    rf"(?P<url>(?i:https?://|www\.){_URL_TAIL})"  # HTTP:// and WWW. too
    r"|(?=[\w.+\-]*[.@]\w)(?:"  # e-mail addresses and domains have a "." or "@" inside
    r"(?P<email>[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+)"
    rf"|(?P<domain>(?i:(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+(?:{_TLD}))(?![\w\-])(?:/{_URL_TAIL})?))"
    r"|(?P<mention>@\w+(?:[.\-]\w+)*)"
    r"|(?P<tag>#\w+))"
    r"|(?P<keycap>[0-9#*]\ufe0f?\u20e3)"
)
_LINK_KINDS = frozenset(("url", "email", "domain"))
# _LINK_RE has no literal to search for, so the regex engine tries it at every character. But every
# match holds a ".", "@", "#" or ":" before another non-blank character ("://", "www.x", "a@b", "#x"),
# or a keycap's U+20E3, and no match spans a blank: a fast character-class search finds these hints,
# and _LINK_RE runs only on the whitespace-free chunks that hold one (most of a post has none).
_LINK_HINT_RE = re.compile(r"[.@#:\u20e3](?:(?<=\u20e3)|(?=\S))")
_BLANK_RE = re.compile(r"\s")


def _link_matches(text: str) -> Iterator[tuple[int, int, str | None]]:
    """(start, end, kind) of each match of ``_LINK_RE.finditer(text)``, found only in the chunks that
    can hold one."""
    pos = 0
    while hint := _LINK_HINT_RE.search(text, pos):
        at = hint.start()
        pos = at + 1 - len(text[pos : at + 1].rsplit(None, 1)[-1])  # the start of the hint's chunk
        blank = _BLANK_RE.search(text, at)
        chunk_end = blank.start() if blank else len(text)
        for start, end, kind in _chunk_links(text[pos:chunk_end]):
            yield start + pos, end + pos, kind
        pos = chunk_end


@lru_cache(maxsize=2048)
def _chunk_links(chunk: str) -> tuple[tuple[int, int, str | None], ...]:
    """(start, end, kind) of the links, tags and keycaps in a whitespace-free chunk. What stands before
    a chunk is blank, which the lookbehind of _LINK_RE treats like the start of a text, so a chunk
    that posts repeat (a hashtag, the office's site) is searched once."""
    return tuple((m.start(), m.end(), m.lastgroup) for m in _LINK_RE.finditer(chunk))


def _mask(text: str) -> tuple[str, list[tuple[int, int]], bool]:
    """(masked copy of ``text``, hashtag spans, whether it has a link or e-mail address)."""
    parts: list[str] = []
    hashtags: list[tuple[int, int]] = []
    has_link = False
    last = 0
    for start, end, kind in _link_matches(text):
        if kind == "tag":
            hashtags.append((start, end))
        elif kind in _LINK_KINDS:
            has_link = True
        parts.append(text[last:start])
        parts.append((_KEYCAP_MASK if kind == "keycap" else _LINK_MASK) * (end - start))
        last = end
    if not parts:
        return text, hashtags, has_link
    parts.append(text[last:])
    return "".join(parts), hashtags, has_link


# --- words and syllables --------------------------------------------------------------------

# Group 1 captures prose words; masked links, amounts and numbers match without capturing.
_WORD_RE = re.compile(
    f"{_LINK_MASK}+"
    r"|R[pP]\.?[ \t]?\d+(?:[.,]\d+)*(?:,-)?"
    r"|((?<![^\W_])(?:[^\W\d_]{1,4}\.){2,}|\d*+[^\W\d_]\w*+(?:[\-'’]\w++)*+)"
    r"|\d++(?:[.,:/\-–]\d++)*+%?"
)

# Vowel nuclei: "ai", "au", "oi" at the end of a word are one nucleus (pan-tai, ker-bau, se-poi);
# elsewhere every vowel is one (a-ir, ma-in).
_FINAL_DIPHTHONG_RE = re.compile(r"(?:ai|au|oi)(?![^\W\d_])")


class _Words(NamedTuple):
    """The words of one sentence, and its share of the post's trend figures (all add up over sentences)."""

    total: int
    prose: tuple[str, ...]
    long: int  # prose words of more than LONG_WORD_LETTERS letters
    syllables: int


@lru_cache(maxsize=4096)
def _sentence_words(context: str, start: int) -> _Words:
    """The words of ``context[start:]``, whose one character before ``start`` is what the word regex's
    lookbehind sees. Posts rendered from templates repeat most of their sentences (steps, footers,
    opening lines), so a cache spares most of the word splitting and counting."""
    tokens = _WORD_RE.findall(context, start)
    prose = tuple(filter(None, tokens))
    long_words = sum(
        1 for w in prose if len(w) > LONG_WORD_LETTERS and (w.isalpha() or _letters(w) > LONG_WORD_LETTERS)
    )
    return _Words(len(tokens), prose, long_words, count_syllables(" ".join(prose)))


def split_words(text: str) -> list[tuple[int, int]]:
    """Word spans of ``text``: words, numbers, amounts, URLs, e-mails, mentions and hashtags.

    Emoji and punctuation are not words; ``Rp10.000``, ``1.234.567,5``, ``KTP-el``, ``S.H.``
    and a whole URL are one word each.
    """
    return [m.span() for m in _WORD_RE.finditer(_mask(text)[0])]


def count_syllables(word: str) -> int:
    """Vowel nuclei of ``word``: ibu 2, inovasi 4, pantai 2, kerbau 2, sepoi 2, air 2.

    Also counts a whole text: every vowel, less one for each word-final "ai", "au" or "oi".
    """
    lower = word.lower()
    return sum(map(lower.count, "aiueo")) - len(_FINAL_DIPHTHONG_RE.findall(lower))


# --- sentence splitting ---------------------------------------------------------------------

_EMOJI = (
    r"(?:\p{Extended_Pictographic}|\p{Regional_Indicator})"
    r"(?:[\uFE0F\u200D\p{Emoji_Modifier}]|\p{Extended_Pictographic}|\p{Regional_Indicator})*"
)
# A line break starts at its "\n" (blanks before it stay with the line and are stripped there): a
# pattern that opens with "\n" or a terminator lets the regex engine skip the rest of the text fast.
_BREAK_RE = regex.compile(
    r"(?P<nl>\n(?:[ \t\r]*\n)*)"
    r"|(?P<run>[.!?…]++)(?P<close>[\"'”’)\]»]++)?(?:[ \t]*+" + _EMOJI + r")*+(?=\s|\Z)"
)
_LIST_MARKER_RE = regex.compile(
    r"[ \t]*+(?:(?:[\-–—•*▪►·→✓]|\(?\d{1,2}[.)]|[a-z][.)])[ \t]++"
    r"|\d{1,2}[.)](?=\p{Lu})|(?:" + _KEYCAP_MASK + "|" + _EMOJI + r")++[^\S\n]*+)"
)
_PREVIOUS_CHUNK_RE = regex.compile(r"(?r)\S+")
_LINE_BREAK_RE = re.compile("\n")
_DOTTED_CHUNK_RE = re.compile(r"(?:[^\W\d_]{1,4}\.)+[^\W\d_]{1,4}")
_LIST_NUMBER_CHUNK_RE = re.compile(r"\(?(?:\d{1,2}|[a-z])")

# A full stop after these never ends a sentence: titles, street and place words, "s.d." ...
_NEVER_FINAL = frozenset(
    """jl jln no dr drs dra ir prof h hj kh moh muh mhd bpk bp sdr sdri yth kec kel kab kp gg
    perum tn ny pkl tgl telp tlp hal prov ds jend kol rp plt a.n s.d u.p d.a u.b a.l cq qq""".split()
)
# A full stop after these ends a sentence only when a capital letter follows: "KTP, KK, dll.
# Datang ..." ends, "dll. dan" does not. Dotted abbreviations (S.H., M.Kes.) behave the same.
_MAYBE_FINAL = frozenset("dll dsb dst dkk tsb sbb".split())
_OPENING_BRACKETS = "([{\"'“‘«"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text``, trimmed, without list markers.

    Indonesian abbreviations (``Jl.``, ``No.``, ``a.n.``, ``s.d.``, initials), numbers
    (``09.00``, ``Rp10.000``), URLs and emoji do not end a sentence. A blank line always does;
    a single line break does unless the next line continues the sentence in lower case after
    a line that is neither a list item nor a heading (ending in ``:``). ``1.`` at the start of
    a line is a list marker, so each numbered step is its own sentence. A line made only of
    hashtags, mentions, links or emoji is not a sentence.
    """
    spans = _split_sentences(_mask(text)[0], default_glossary().bang_names)
    return [(start, end) for start, end, _ in spans]


class _Lines:
    """Whether an offset opens its line, answered without scanning back to the line's start
    (many sentences on one very long line must not each rescan it)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._breaks = [m.start() for m in _LINE_BREAK_RE.finditer(text)]

    def opens_line(self, offset: int) -> bool:
        """Whether only blanks stand between the start of the line and ``offset``."""
        before = bisect_left(self._breaks, offset)
        line_start = self._breaks[before - 1] + 1 if before else 0
        return _PREVIOUS_CHUNK_RE.search(self._text, line_start, offset) is None


# Where a sentence surely ends: a blank line, or a line break before a character that is not lower
# case (ASCII other than a-z, the mask characters, arrows, symbols and emoji; none of them is lower
# case, which tests/test_plainlang.py checks), both line breaks that _BREAK_RE's "nl" group matches
# and _newline_ends_sentence takes as the end of a sentence.
_SURE_BREAK_RE = re.compile(
    r"\n(?:[ \t\r]*\n)+|\n(?=[\x00-\x60\x7b-\x7f\ue000\ue001\u2190-\u24cf\u24ea-\u2bff\U0001f000-\U0001faff])"
)


def _split_sentences(masked: str, bang_names: frozenset[str]) -> list[tuple[int, int, int]]:
    """(start, end, offset of the first letter) of each sentence of a masked text.

    Every decision of :func:`_split_piece` looks no further than the next line, so the text is
    split at the line breaks that surely end a sentence, piece by piece; posts rendered from
    templates repeat many lines (steps, footers), whose split is cached.
    """
    spans: list[tuple[int, int, int]] = []
    start = 0
    for m in _SURE_BREAK_RE.finditer(masked):
        spans += _shifted(_split_piece(masked[start : m.start()], bang_names), start)
        start = m.end()
    spans += _shifted(_split_piece(masked[start:], bang_names), start)
    return spans


def _shifted(spans: tuple[tuple[int, int, int], ...], offset: int) -> list[tuple[int, int, int]]:
    """``spans`` of a paragraph moved to where the paragraph starts in its text."""
    if not offset:
        return list(spans)
    return [(start + offset, end + offset, first + offset) for start, end, first in spans]


@lru_cache(maxsize=4096)
def _split_piece(masked: str, bang_names: frozenset[str]) -> tuple[tuple[int, int, int], ...]:
    """(start, end, offset of the first letter) of each sentence of a piece of masked text."""
    spans: list[tuple[int, int, int]] = []
    lines = _Lines(masked)
    start = 0
    for m in _BREAK_RE.finditer(masked):
        if masked[m.start()] not in ".!?…":  # a line break
            if _newline_ends_sentence(masked, m):
                _add_segment(masked, start, m.start(), spans, lines)
                start = m.end()
        elif _terminator_ends_sentence(masked, m, bang_names, lines):
            _add_segment(masked, start, m.end(), spans, lines)
            start = m.end()
    _add_segment(masked, start, len(masked), spans, lines)
    return tuple(spans)


def _newline_ends_sentence(text: str, m: regex.Match[str]) -> bool:
    """Whether the line break(s) ``m`` end a sentence (see :func:`split_sentences`)."""
    nxt = m.end()
    if nxt == len(text) or not text[nxt].islower() or m.group().count("\n") > 1:
        return True
    line_start = text.rfind("\n", 0, m.start()) + 1
    line = text[line_start : m.start()].rstrip()
    return (
        not line
        or line.endswith(":")
        or _LIST_MARKER_RE.match(text, line_start) is not None
        or _LIST_MARKER_RE.match(text, nxt) is not None
    )


def _terminator_ends_sentence(text: str, m: regex.Match[str], bang_names: frozenset[str], lines: _Lines) -> bool:
    """Whether the ".", "!", "?" or "…" of ``m`` ends a sentence, given the word before it."""
    after = m.end()
    while after < len(text) and text[after] in " \t":
        after += 1
    if after == len(text) or text[after] in "\r\n":
        return True
    following = text[after]
    if m.group("close") and following.islower():
        return False  # "Ayo daftar!" ajak Wali Kota.
    run = m.group("run")
    if run != "." and run != "!":
        return True
    start = m.start()
    chunk_match = _PREVIOUS_CHUNK_RE.search(text, 0, start)
    if chunk_match is None or chunk_match.end() != start:
        return True
    chunk = chunk_match.group().lstrip(_OPENING_BRACKETS)
    key = chunk.lower()
    if run == "!":
        return key not in bang_names  # the "!" of SP4N-LAPOR! is part of the name
    if key in _NEVER_FINAL or (len(chunk) == 1 and chunk.isupper()):
        return False
    if _LIST_NUMBER_CHUNK_RE.fullmatch(chunk) and lines.opens_line(chunk_match.start()):
        return False  # "1." opening a list item
    if key in _MAYBE_FINAL or _DOTTED_CHUNK_RE.fullmatch(chunk):
        return following.isupper()
    return True


def _add_segment(text: str, start: int, end: int, spans: list[tuple[int, int, int]], lines: _Lines) -> None:
    """Trim ``text[start:end]`` and its list marker; keep it as a sentence if it has a letter."""
    segment = text[start:end]
    stripped = segment.strip()
    if not stripped:
        return
    start += len(segment) - len(segment.lstrip())
    end = start + len(stripped)
    if not text[start].isupper() and lines.opens_line(start):
        marker = _LIST_MARKER_RE.match(text, start, end)
        if marker:
            start = marker.end()
    letter = LETTER_RE.search(text, start, end)
    if letter:
        spans.append((start, end, letter.start()))


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Trend figures of a text (see the module docstring for what counts as a word)."""

    sentences: int
    words: int
    average_sentence_words: float
    long_word_share: float
    syllables: int


@dataclass(frozen=True)
class Report:
    """All findings of one text, in text order, and its figures."""

    findings: tuple[Finding, ...]
    stats: Stats

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Findings that must be fixed before publishing."""
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Findings worth a second look."""
        return tuple(f for f in self.findings if f.severity == WARNING)


# --- the checker ----------------------------------------------------------------------------


def _letters(word: str) -> int:
    """Number of letters in ``word`` (hyphens and digits do not count)."""
    return sum(ch.isalpha() for ch in word)


def check_text(
    text: str,
    *,
    glossary: Glossary | None = None,
    kind: str | None = None,
    platform: str | None = None,
    image: str | None = None,
    alt_text: str | None = None,
) -> Report:
    """Check ``text`` against the plain-language rules and measure it.

    ``kind`` is the post kind (``"cara_pakai"`` adds the where/how check); ``platform`` the
    channel (more than 5 hashtags is flagged except on ``"instagram"``); ``image`` with an empty
    ``alt_text`` is flagged. Findings about the post as a whole (``long_average``,
    ``missing_alt_text``, ``cara_pakai_missing_where_how``) have the empty span (0, 0) and an
    empty excerpt; every other finding points at the exact text it is about.
    """
    g = glossary or default_glossary()
    masked, hashtags, has_link = _mask(text)
    spans = _split_sentences(masked, g.bang_names)
    sentences = _check_sentences(text, masked, spans, g)
    findings = sentences.findings
    average = sentences.words / len(spans) if spans else 0.0
    if average > MAX_AVERAGE_WORDS:
        findings.append(
            Finding(
                "long_average",
                WARNING,
                0,
                0,
                "",
                _("sentences average more than {limit} words ({words} words in {sentences} sentences)").format(
                    limit=MAX_AVERAGE_WORDS, words=sentences.words, sentences=len(spans)
                ),
                _("use shorter sentences: aim for {limit} words or fewer on average").format(limit=MAX_AVERAGE_WORDS),
            )
        )
    findings += scan(text, masked, g, sentences)
    findings += _post_findings(text, masked, g, hashtags, has_link, kind, platform, image, alt_text)
    findings.sort(key=lambda f: (f.start, f.end, f.code))
    return Report(tuple(findings), _stats(len(spans), average, sentences))


def _check_sentences(text: str, masked: str, spans: list[tuple[int, int, int]], g: Glossary) -> Sentences:
    """Long sentences, bureaucratic openings and sentences in capitals; words counted on the way."""
    seen = Sentences()
    for start, end, first in spans:
        words = _sentence_words(masked[start - 1 : end], 1) if start else _sentence_words(masked[:end], 0)
        count = words.total
        seen.words += count
        seen.prose += words.prose
        seen.long_words += words.long
        seen.syllables += words.syllables
        if count > MAX_SENTENCE_WORDS:
            severe = count > MAX_SENTENCE_WORDS_ERROR
            seen.findings.append(
                Finding(
                    "long_sentence",
                    ERROR if severe else WARNING,
                    start,
                    end,
                    text[start:end],
                    _("sentence has {words} words (more than {limit})").format(
                        words=count, limit=MAX_SENTENCE_WORDS_ERROR if severe else MAX_SENTENCE_WORDS
                    ),
                    _("split it into shorter sentences of {limit} words or fewer").format(limit=MAX_AVERAGE_WORDS),
                )
            )
        seen.first_words.add(first)
        if masked[first].lower() in g.opening_initials:
            opening = g.opening_re.match(masked, first, end)
            if opening:
                seen.opening_spans.append(opening.span())
                seen.findings.append(opening_finding(g, text, *opening.span()))
        if masked[start:end].isupper() and _is_shouting(list(words.prose), g):
            seen.shouting_spans.append((start, end))
            seen.findings.append(
                Finding(
                    "shouting",
                    ERROR,
                    start,
                    end,
                    text[start:end],
                    _("sentence is written in capitals"),
                    _("write it in normal sentence case"),
                )
            )
    return seen


def _post_findings(
    text: str,
    masked: str,
    g: Glossary,
    hashtags: list[tuple[int, int]],
    has_link: bool,
    kind: str | None,
    platform: str | None,
    image: str | None,
    alt_text: str | None,
) -> list[Finding]:
    """Findings about the post as a whole: too many hashtags, no alt text, a how-to that says neither where nor how."""
    findings: list[Finding] = []
    if len(hashtags) > MAX_HASHTAGS and platform != "instagram":
        start, end = hashtags[MAX_HASHTAGS][0], hashtags[-1][1]
        findings.append(
            Finding(
                "too_many_hashtags",
                WARNING,
                start,
                end,
                text[start:end],
                _("{count} hashtags (more than {limit})").format(count=len(hashtags), limit=MAX_HASHTAGS),
                _("keep at most {limit} hashtags (Instagram allows more)").format(limit=MAX_HASHTAGS),
            )
        )
    if image and not (alt_text and alt_text.strip()):
        findings.append(
            Finding(
                "missing_alt_text",
                ERROR,
                0,
                0,
                "",
                _("the image has no alt text"),
                _("describe the image in one short sentence for readers who cannot see it"),
            )
        )
    if kind == "cara_pakai" and not has_link and not g.says_where_or_how(masked):
        findings.append(
            Finding(
                "cara_pakai_missing_where_how",
                WARNING,
                0,
                0,
                "",
                _("a how-to post says neither where to go nor how to do it"),
                _(
                    "add the place (e.g. 'Datang ke ...', 'Jl. ...', a link) or the steps "
                    "(e.g. '1. Buka ...', 'Bawa KTP')"
                ),
            )
        )
    return findings


def _stats(sentences: int, average: float, seen: Sentences) -> Stats:
    """The trend figures of a post, added up over its sentences (syllables count alike in a whole text)."""
    return Stats(
        sentences=sentences,
        words=seen.words,
        average_sentence_words=average,
        long_word_share=seen.long_words / len(seen.prose) if seen.prose else 0.0,
        syllables=seen.syllables,
    )


def _is_shouting(sentence_prose: list[str], g: Glossary) -> bool:
    """3+ words, 2+ of them not known acronyms (the caller checked there is no lower case)."""
    lettered = [w for w in sentence_prose if LETTER_RE.search(w)]
    unknown = [w for w in lettered if len(w) > 1 and not g.is_known(w)]
    return len(lettered) >= 3 and len(unknown) >= 2
