"""Plain-Indonesian checker for public-service posts.

Why relative checks and not a readability score: there is no Flesch or Fog formula calibrated
for Indonesian. The English constants (as in ``textstat``) give meaningless numbers for
Indonesian text, and ``pyphen``'s id_ID dictionary is a hyphenator that miscounts syllables
(ibu -> 1, inovasi -> 3). So the checker measures things a writer can act on:

- sentence length: a sentence over 20 words is an error, an average over 15 a warning;
- the share of long words (more than 6 letters, LIX-style) and a syllable count by vowel
  nuclei, as trend figures in :class:`Stats`, not as rules;
- every acronym spelled out at its first use, unless everyone knows it (allow-list);
- no bureaucratic words or openings, no internal jargon, no sentences in capitals;
- post-level checks: hashtag count, alt text for images, and whether a how-to post
  ("cara_pakai") says where to go or how to do it.

The word lists live in ``outreach/data/glossary.toml`` (an office may extend it, see
:meth:`outreach.glossary.Glossary.load`). Each list is compiled once per glossary into one trie-shaped
regex, and links, tags and mentions are masked out once per post, so checking a post costs a few regex
passes and no per-word dictionary look-ups (10,000 posts in well under 2 s, see
``bench/bench_plainlang.py``).

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
import sys
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import regex

from .glossary import LETTER_RE, Entry, Glossary, default_glossary
from .i18n import _

MAX_SENTENCE_WORDS = 20
MAX_AVERAGE_WORDS = 15
LONG_WORD_LETTERS = 6
MAX_HASHTAGS = 5

_END = sys.maxsize  # sorts after every end offset

ERROR = "error"
WARNING = "warning"

#: A word in capitals no one can say as a word: no vowel (PJU has one: two consonants open it, not
#: a "pr"/"kl" cluster), or two consonants at its end (SIMBG, BUMD) other than "ng"/"ny". GRATIS,
#: PENTING, INFO and JANGAN do not match: those are emphasis, a warning at most.
_ACRONYM_SHAPE_RE = re.compile(
    r"(?=.*[A-Z])(?:[^AEIOU]*$|[B-DF-HJ-NP-TV-Z\d](?![RL])[B-DF-HJ-NP-TV-Z\d]|.*(?!NG|NY)[B-DF-HJ-NP-TV-Z][B-DF-HJ-NP-TV-Z]$)"
)
#: An acronym explained right after it: "DTKS (Data Terpadu ...)".
_EXPLAINED_RE = re.compile(r"\s*[(\[]")

#: Sections whose words, capitalised in the middle of a sentence, are taken as part of a name.
_NAME_PART_SECTIONS = frozenset(("framing", "nominal", "vague", "jargon"))

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


def _mask(text: str) -> tuple[str, list[tuple[int, int]], bool]:
    """(masked copy of ``text``, hashtag spans, whether it has a link or e-mail address)."""
    parts: list[str] = []
    hashtags: list[tuple[int, int]] = []
    has_link = False
    last = 0
    for m in _LINK_RE.finditer(text):
        kind = m.lastgroup
        start, end = m.span()
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
_BREAK_RE = regex.compile(
    r"(?P<nl>[ \t\r]*\n(?:[ \t\r]*\n)*)"
    r"|(?P<run>[.!?…]++)(?P<close>[\"'”’)\]»]++)?(?:[ \t]*+" + _EMOJI + r")*+(?=\s|\Z)"
)
_LIST_MARKER_RE = regex.compile(
    r"[ \t]*+(?:(?:[\-–—•*▪►·→✓]|\(?\d{1,2}[.)]|[a-z][.)])[ \t]++"
    r"|\d{1,2}[.)](?=\p{Lu})|(?:" + _KEYCAP_MASK + "|" + _EMOJI + r")++[ \t]*+)"
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


def _split_sentences(masked: str, bang_names: frozenset[str]) -> list[tuple[int, int, int]]:
    """(start, end, offset of the first letter) of each sentence of a masked text."""
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
    return spans


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
class Finding:
    """One problem, located by exact character offsets into the checked text."""

    code: str
    severity: str
    start: int
    end: int
    excerpt: str
    message: str
    suggestion: str


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


def _quoted_choices(values: tuple[str, ...]) -> str:
    """'a', 'b' or 'c' (the "or" in the reader's language)."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) == 1:
        return quoted[0]
    return _("{choices} or {last}").format(choices=", ".join(quoted[:-1]), last=quoted[-1])


def _rewrite(values: tuple[str, ...], excerpt: str) -> str:
    """The suggested plain rewrite: the plain word(s) to write instead, or leave it out."""
    choices = tuple(v for v in values if v)
    if not choices:
        return _("leave out '{word}'").format(word=excerpt)
    return _("write {choices} instead of '{word}'").format(choices=_quoted_choices(choices), word=excerpt)


def _term_finding(entry: Entry, text: str, start: int, end: int) -> Finding:
    """The finding for a glossary word at ``text[start:end]``: its category and the plain rewrite."""
    excerpt = text[start:end]
    category = entry.category
    if entry.section in ("acronyms", "common"):
        suggestion = _("write '{expansion}', or '{expansion} ({word})' if it comes again").format(
            expansion=entry.values[0], word=excerpt
        )
        if entry.section == "common":
            message = _("'{word}' is widely known, but spelling it out at its first use helps").format(word=excerpt)
            return Finding(category, WARNING, start, end, excerpt, message, suggestion)
        message = _("'{word}' is not spelled out at its first use").format(word=excerpt)
        return Finding(category, ERROR, start, end, excerpt, message, suggestion)
    messages = {
        "internal": _("'{word}' is office shorthand that readers do not use"),
        "framing": _("'{word}' talks about the office, not about what changes for the reader"),
        "nominal": _("'{word}' is an abstract word that hides the action"),
        "english": _("'{word}' is English; there is a plain Indonesian word"),
        "jargon": _("'{word}' is officialese that citizens do not speak"),
    }
    key = "internal" if entry.section == "internal" else category
    message = messages[key].format(word=excerpt)
    return Finding(category, ERROR, start, end, excerpt, message, _rewrite(entry.values, excerpt))


def _unlisted_acronym_finding(text: str, start: int, end: int) -> Finding:
    """The finding for a word in capitals the glossary does not list but no reader can say (DTKS, PJU)."""
    excerpt = text[start:end]
    return Finding(
        "acronym",
        ERROR,
        start,
        end,
        excerpt,
        _("'{word}' is not spelled out at its first use").format(word=excerpt),
        _("write what it stands for in plain words, or '... ({word})' if it comes again").format(word=excerpt),
    )


def _hyphen_finding(text: str, start: int, end: int) -> Finding:
    """The finding for a code name joined with hyphens (SIMPEL-PBG, e-PBB) the glossary does not list."""
    excerpt = text[start:end]
    return Finding(
        "acronym",
        ERROR,
        start,
        end,
        excerpt,
        _("'{word}' is a system's code name that readers cannot say").format(word=excerpt),
        _("say in plain words what it is or what the reader does with it, e.g. 'aplikasi izin bangunan'"),
    )


#: What each finding's code is called for a person (the code itself stays English in machine output).
_CATEGORY_LABELS = {
    "framing": "press-release framing",
    "nominal": "nominal style",
    "english": "English word",
    "jargon": "officialese",
    "abbreviation": "abbreviation",
    "acronym": "acronym",
    "unknown_acronym": "capitals",
    "long_sentence": "long sentence",
    "long_average": "long sentences",
    "shouting": "capitals",
    "too_many_hashtags": "hashtags",
    "missing_alt_text": "alt text",
    "cara_pakai_missing_where_how": "how-to",
    "length": "length",
}


def category_label(code: str) -> str:
    """The category of a finding in the reader's language ("kata Inggris" for ``english``)."""
    return _(_CATEGORY_LABELS[code]) if code in _CATEGORY_LABELS else code


def check_length(text: str, platform: str) -> Finding | None:
    """A finding when ``text`` is longer than ``platform`` takes, counted the platform's way (X weighs
    links as 23 and emoji as 2; Bluesky counts graphemes; see :mod:`outreach.limits`); None when it fits.

    The limit is the platform's default; a channel's config may set another, which ``outreach check``
    applies to the rendered posts.
    """
    from .platforms import PLATFORM_CAPABILITIES

    limit = PLATFORM_CAPABILITIES[platform].text_limit  # type: ignore[index]
    post = text.strip()
    if limit.fits(post):
        return None
    return Finding(
        "length",
        ERROR,
        0,
        0,
        "",
        _("{length} characters as {platform} counts them, more than its {maximum}").format(
            length=limit.measure(post), platform=platform, maximum=limit.maximum
        ),
        _("shorten it to {maximum} or fewer").format(maximum=limit.maximum),
    )


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
    findings += _scan(text, masked, g, sentences)
    findings += _post_findings(text, masked, g, hashtags, has_link, kind, platform, image, alt_text)
    findings.sort(key=lambda f: (f.start, f.end, f.code))
    return Report(tuple(findings), _stats(len(spans), sentences.words, average, sentences.prose))


@dataclass
class _Sentences:
    """What one pass over the sentences of a post found, for the checks that follow."""

    findings: list[Finding] = field(default_factory=list)
    words: int = 0
    prose: list[str] = field(default_factory=list)  # the prose words of every sentence, in order
    first_words: set[int] = field(default_factory=set)  # offset of each sentence's first letter
    opening_spans: list[tuple[int, int]] = field(default_factory=list)
    shouting_spans: list[tuple[int, int]] = field(default_factory=list)


def _check_sentences(text: str, masked: str, spans: list[tuple[int, int, int]], g: Glossary) -> _Sentences:
    """Long sentences, bureaucratic openings and sentences in capitals; words counted on the way."""
    seen = _Sentences()
    for start, end, first in spans:
        tokens = _WORD_RE.findall(masked, start, end)
        seen.words += len(tokens)
        seen.prose += filter(None, tokens)
        if len(tokens) > MAX_SENTENCE_WORDS:
            seen.findings.append(
                Finding(
                    "long_sentence",
                    ERROR,
                    start,
                    end,
                    text[start:end],
                    _("sentence has {words} words (more than {limit})").format(
                        words=len(tokens), limit=MAX_SENTENCE_WORDS
                    ),
                    _("split it into shorter sentences of {limit} words or fewer").format(limit=MAX_AVERAGE_WORDS),
                )
            )
        seen.first_words.add(first)
        if masked[first].lower() in g.opening_initials:
            opening = g.opening_re.match(masked, first, end)
            if opening:
                seen.opening_spans.append(opening.span())
                seen.findings.append(_opening_finding(g, text, *opening.span()))
        if masked[start:end].isupper() and _is_shouting(list(filter(None, tokens)), g):
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
    if kind == "cara_pakai" and not has_link and not g.cara_re.search(masked):
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


def _stats(sentences: int, words: int, average: float, prose: list[str]) -> Stats:
    """The trend figures of a post whose sentences were counted and whose prose words were collected."""
    long_words = sum(
        1 for w in prose if len(w) > LONG_WORD_LETTERS and (w.isalpha() or _letters(w) > LONG_WORD_LETTERS)
    )
    return Stats(
        sentences=sentences,
        words=words,
        average_sentence_words=average,
        long_word_share=long_words / len(prose) if prose else 0.0,
        syllables=count_syllables(" ".join(prose)),
    )


def _opening_finding(g: Glossary, text: str, start: int, end: int) -> Finding:
    """The finding for a bureaucratic opening at ``text[start:end]``."""
    excerpt = text[start:end]
    advice = g.openings[" ".join(excerpt.lower().split())]
    message = _("'{words}' opens like an official letter").format(words=excerpt)
    return Finding("framing", ERROR, start, end, excerpt, message, _(advice))


def _is_shouting(sentence_prose: list[str], g: Glossary) -> bool:
    """3+ words, 2+ of them not known acronyms (the caller checked there is no lower case)."""
    lettered = [w for w in sentence_prose if LETTER_RE.search(w)]
    unknown = [w for w in lettered if len(w) > 1 and not g.is_known(w)]
    return len(lettered) >= 3 and len(unknown) >= 2


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``position`` lies in one of ``spans`` (sorted, not overlapping: one per sentence at most).

    A binary search, so a long text with many sentences costs log(sentences) per look-up, not
    a pass over all of them.
    """
    index = bisect_right(spans, (position, _END)) - 1
    return index >= 0 and position < spans[index][1]


def _scan(text: str, masked: str, g: Glossary, sentences: _Sentences) -> list[Finding]:
    """Glossary, code-name and all-caps findings from one pass of the glossary regex.

    Words inside an opening or a sentence in capitals were reported with it; a capitalised framing,
    nominal or jargon word is a finding only where it opens a sentence (elsewhere it is part of a
    name). English words and abbreviations are findings in any case.
    """
    findings: list[Finding] = []
    seen_acronyms: set[str] = set()
    seen_caps: set[str] = set()
    for m in g.scan_re.finditer(masked):
        start, end = m.span()
        word = m.group()
        kind = m.lastgroup
        if kind == "term":
            entry = g.lookup(word)
            if entry is None or _inside(start, sentences.opening_spans):
                continue  # wrong case for an all-caps key ("sop"), or reported as an opening
            if entry.section in ("acronyms", "common"):
                if entry.key in seen_acronyms:
                    continue
                seen_acronyms.add(entry.key)
                if g.spelled_out(masked, entry, start, end):
                    continue
            elif (
                entry.section in _NAME_PART_SECTIONS
                and word[0].isupper()
                and not word.isupper()
                and start not in sentences.first_words
            ):
                continue  # capitalised mid-sentence: part of a name ("Badan ... Pembangunan Daerah")
            findings.append(_term_finding(entry, text, start, end))
        elif kind == "hyphen":
            if word not in seen_caps and not g.known_parts(word) and not _inside(start, sentences.shouting_spans):
                seen_caps.add(word)
                findings.append(_hyphen_finding(text, start, end))
        elif word not in seen_caps and not _inside(start, sentences.shouting_spans):
            seen_caps.add(word)
            if (
                _ACRONYM_SHAPE_RE.match(word)
                and not _EXPLAINED_RE.match(masked, end)
                and masked[start - 1 : start] != "("
            ):
                findings.append(_unlisted_acronym_finding(text, start, end))
                continue
            findings.append(
                Finding(
                    "unknown_acronym",
                    WARNING,
                    start,
                    end,
                    word,
                    _("all-caps word '{word}' is not in the glossary").format(word=word),
                    _("spell it out at its first use if it is an acronym, or write it in normal case"),
                )
            )
    return findings
