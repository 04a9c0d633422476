"""Word-level findings of the plain-language checker, each naming its category and a plain rewrite.

:mod:`outreach.plainlang` splits a post into sentences and checks them; this module reports the
words: glossary words by the category their section gives them (framing, nominal, english, jargon,
abbreviation, acronym), code names joined by hyphens, capitals no one can say, bureaucratic
openings — and the platform's length limit for ``outreach lint-text --platform``. Messages are
translated when a finding is made, never at import time.
"""

from __future__ import annotations

import itertools
import operator
import re
import string
import sys
from bisect import bisect_right
from dataclasses import dataclass, field

from .glossary import HYPHEN_BEFORE_CAPS_RE, Entry, Glossary
from .i18n import N_, _

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

#: "melakukan" and a noun made from a verb (pe-...-an): "melakukan pendataan", "melakukan penertiban".
#: (A literal first lets the regex engine search fast; the lookbehind then asks for a whole word.)
_MELAKUKAN_RE = re.compile(r"melakukan(?<!\wmelakukan)\s+pe[a-z]{3,}an\b")
#: A noun made from a verb (pe-...-an) that something "is done" to, in the same clause: "Pengawasan ...
#: dilakukan melalui ...", "Penyerahan bantuan dilaksanakan ..." (say who does it, with the verb).
#: Not after "bisa"/"dapat"/"boleh": "Pendaftaran bisa dilakukan di sekolah" tells the reader what they may do.
_DONE_TO_NOUN_RE = re.compile(
    r"pe(?<![a-z]pe)[a-z]{3,}an\b[^.!?;\n]{0,80}?(?<!bisa )(?<!dapat )(?<!boleh )\bdi(?:lakukan|laksanakan)\b"
)
#: A word with the prefix "e-" and an ordinary (lower-case) word after it: e-catalog, e-budgeting.
#: (Code names with capitals, e-PBB and e-KTP, are the acronym rules'.)
_E_PREFIXED_RE = re.compile(r"(?<![\w-])[eE]-[a-z]{3,}\b")
#: The end of a noun in -isasi or -ifikasi (found by its literal ending; the caller finds the word's start).
_ISASI_RE = re.compile(r"(?:isasi|ifikasi)(?:nya)?\b")
#: Three or more nouns made from verbs (pe-...-an) in a row, "dan"/"serta" between them allowed:
#: "pengendalian dan pencegahan penyebaran penyakit". Two are often plain ("pemeriksaan kesehatan").
_NOUN_CHAIN_RE = re.compile(r"pe(?<![a-z]pe)[a-z]{3,}an\b(?:\s+(?:(?:dan|serta)\s+)?pe[a-z]{3,}an\b){2,}")
#: Verbs that tag a quotation in a press release: '"...," ujarnya.', '"...," kata Kepala Dinas.'
#: Some of them are everyday words elsewhere (katanya, jelasnya), so only right after a closing quote;
#: without "-nya" only before an official's title ('"...," kata Bu Siti, warga Sukarame.' is plain).
QUOTE_TAG_VERBS = (
    "kata", "ujar", "ungkap", "jelas", "tutur", "tambah", "imbuh", "pungkas", "terang", "sebut", "papar",
    "tegas", "ucap", "tandas", "urai", "lanjut", "harap", "pinta", "ajak", "pesan",
)  # fmt: skip
OFFICIAL_TITLES = (
    "kepala", "wali", "wakil", "camat", "lurah", "sekretaris", "direktur", "ketua", "asisten", "kabid", "kasi",
    "plt", "sekda", "beliau", "pejabat",
)  # fmt: skip
_QUOTE_TAG_RE = re.compile(
    rf"[\"”’'](?<=[,.!?…].)\s*((?:{'|'.join(QUOTE_TAG_VERBS)})(?:nya\b|(?=\s+(?:{'|'.join(OFFICIAL_TITLES)})\b)))"
)
#: Titles shortened as "Ka" + the unit (Kadishub, Kadisdik, Kadinkes, Kabid, Kasi, Kasubag, Kasatpol,
#: Kapolsek, Kaban, Kabag, Kaur, Kades, Kaling) and ministries as "Kemen" + the field (Kemendagri,
#: Kemenag): "Kepala ..." and "Kementerian ..." written out are what readers say.
_KA_TITLE_RE = re.compile(
    r"K(?<!\wK)(?:a(?:dis[a-z]*|din[a-z]+|bid|bag|ban|sie?|sub(?:b?ag|dit|b?id)|sat[a-z]+|ur|pus|lak"
    r"|kanwil|des|ling|pol[a-z]+|div)|emen(?!ang|teri)[a-z]{2,})\b(?!-)"
)
#: Word endings that Indonesian spelling never has but English words do (engagement, evaluation,
#: leadership, checking, planning, timeline, review, network, progress): a word with one is English.
ENGLISH_ENDINGS = (
    "ment", "ments", "tion", "tions", "sion", "sions", "ness", "ship", "ships", "ity", "ful", "less", "ss",
    "ck", "cking", "ying", "ving", "ware", "work", "works", "line", "lines", "view", "views",
)  # fmt: skip
#: The last four letters a word with one of those endings can have: one set look-up per word tells
#: whether a post needs the search at all (most posts do not).
_ENGLISH_TAILS = frozenset(
    "".join(letters) + ending if len(ending) < 4 else ending[-4:]
    for ending in ENGLISH_ENDINGS
    for letters in itertools.product(string.ascii_lowercase, repeat=max(0, 4 - len(ending)))
)
_TAIL = operator.itemgetter(slice(-4, None))
_ENGLISH_SHAPE_RE = re.compile(rf"(?<![\w\-])[A-Za-z][a-z]+(?:{'|'.join(ENGLISH_ENDINGS)})(?![\w\-])")
#: Short words in capitals that are emphasis (any other word of 3 letters or fewer in capitals is
#: taken as an acronym: BOS, KUR).
_SHORT_EMPHASIS = frozenset(("OK", "YA", "YUK", "AYO", "DAN", "LHO", "NIH", "KOK", "DEH", "SIH", "YES", "NO"))
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

#: Sections whose words, capitalised in the middle of a sentence, are taken as part of a name.
_NAME_PART_SECTIONS = frozenset(("framing", "nominal", "vague", "jargon"))


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


@dataclass
class Sentences:
    """What one pass over the sentences of a post found, for the checks that follow."""

    findings: list[Finding] = field(default_factory=list)
    words: int = 0
    prose: list[str] = field(default_factory=list)  # the prose words of every sentence, in order
    long_words: int = 0  # prose words of more than 6 letters
    syllables: int = 0  # vowel nuclei of the prose words
    first_words: set[int] = field(default_factory=set)  # offset of each sentence's first letter
    opening_spans: list[tuple[int, int]] = field(default_factory=list)
    shouting_spans: list[tuple[int, int]] = field(default_factory=list)


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


#: The message of a glossary word's finding, by category ("internal": a word of the [internal] section).
_TERM_MESSAGES = {
    "internal": N_("'{word}' is office shorthand that readers do not use"),
    "framing": N_("'{word}' talks about the office, not about what changes for the reader"),
    "nominal": N_("'{word}' is an abstract word that hides the action"),
    "english": N_("'{word}' is English; there is a plain Indonesian word"),
    "jargon": N_("'{word}' is officialese that citizens do not speak"),
}


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
    key = "internal" if entry.section == "internal" else category
    message = _(_TERM_MESSAGES[key]).format(word=excerpt)  # only the one message translated, per finding
    return Finding(category, ERROR, start, end, excerpt, message, _rewrite(entry.values, excerpt))


def _finding(code: str, text: str, start: int, end: int, message: str, advice: str) -> Finding:
    """An error on ``text[start:end]``; ``message`` and ``advice`` (translated) may name it as ``{word}``."""
    excerpt = text[start:end]
    return Finding(code, ERROR, start, end, excerpt, message.format(word=excerpt), advice.format(word=excerpt))


def _english_finding(text: str, start: int, end: int) -> Finding:
    """The finding for an English word the glossary does not list (found by its shape or its "e-")."""
    advice = _("write it in plain Indonesian (e.g. 'tinjauan', not 'review')")
    return _finding("english", text, start, end, _(_TERM_MESSAGES["english"]), advice)


def _unlisted_acronym_finding(text: str, start: int, end: int) -> Finding:
    """The finding for a word in capitals the glossary does not list but no reader can say (DTKS, PJU)."""
    return _finding(
        "acronym",
        text,
        start,
        end,
        _("'{word}' is not spelled out at its first use"),
        _("write what it stands for in plain words, or '... ({word})' if it comes again"),
    )


def _hyphen_finding(text: str, start: int, end: int) -> Finding:
    """The finding for a code name joined with hyphens (SIMPEL-PBG, e-PBB) the glossary does not list."""
    return _finding(
        "acronym",
        text,
        start,
        end,
        _("'{word}' is a system's code name that readers cannot say"),
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

    limit = PLATFORM_CAPABILITIES[platform].text_limit  # type: ignore[index]  # a platform name, checked by the caller
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


def opening_finding(g: Glossary, text: str, start: int, end: int) -> Finding:
    """The finding for a bureaucratic opening at ``text[start:end]``."""
    excerpt = text[start:end]
    advice = g.openings[" ".join(excerpt.lower().split())]
    message = _("'{words}' opens like an official letter").format(words=excerpt)
    return Finding("framing", ERROR, start, end, excerpt, message, _(advice))


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``position`` lies in one of ``spans`` (sorted, not overlapping: one per sentence at most).

    A binary search, so a long text with many sentences costs log(sentences) per look-up, not
    a pass over all of them.
    """
    index = bisect_right(spans, (position, _END)) - 1
    return index >= 0 and position < spans[index][1]


def scan(text: str, masked: str, g: Glossary, sentences: Sentences) -> list[Finding]:
    """Glossary, code-name and all-caps findings, from one pass over the lower-cased text for the
    glossary's words and one over the text as written for capitals.

    Words inside an opening or a sentence in capitals were reported with it; a capitalised framing,
    nominal or jargon word is a finding only where it opens a sentence (elsewhere it is part of a
    name). English words and abbreviations are findings in any case.
    """
    lowered = masked.lower()
    if len(lowered) != len(masked):  # a few letters lower-case to two characters ("İ"): keep offsets
        lowered = masked.translate(_ASCII_LOWER)
    findings: list[Finding] = []
    term_spans: list[tuple[int, int]] = []
    seen_acronyms: set[str] = set()
    for m in g.term_re.finditer(lowered):
        start, end = m.span()
        term_spans.append((start, end))
        entry = g.lookup(masked[start:end])
        if entry is None or _inside(start, sentences.opening_spans):
            continue  # wrong case for an all-caps key ("sop"), or reported as an opening
        if entry.section in ("acronyms", "common"):
            if entry.key in seen_acronyms:
                continue
            seen_acronyms.add(entry.key)
            if g.spelled_out(masked, entry, start, end):
                continue
        elif entry.section in _NAME_PART_SECTIONS and _name_part(masked[start:end], start, sentences):
            continue
        findings.append(_term_finding(entry, text, start, end))
    findings += _hidden_verbs(text, lowered, g, term_spans)
    findings += _shapes(text, masked, lowered, g, sentences, term_spans)
    findings += _e_prefixed(text, masked, g, term_spans)
    return findings + _capitals(text, masked, g, sentences, term_spans)


#: Phrases that hide the action, each with the rewrite advice (a gettext message id).
_HIDDEN_VERB_PHRASES = (
    (_MELAKUKAN_RE, N_("write the verb instead (e.g. 'mendaftar', not 'melakukan pendaftaran')")),
    (_DONE_TO_NOUN_RE, N_("say who does what with verbs (e.g. 'mencegah demam berdarah menyebar')")),
    (_NOUN_CHAIN_RE, N_("say who does what with verbs (e.g. 'mencegah demam berdarah menyebar')")),
)


def _hidden_verbs(text: str, lowered: str, g: Glossary, term_spans: list[tuple[int, int]]) -> list[Finding]:
    """Nominal style the glossary does not list word by word: "melakukan" with a noun made from a verb
    (melakukan pendataan), such a noun that "is done", chains of them, and nouns in -isasi (normalisasi)."""
    hides = _(_TERM_MESSAGES["nominal"])
    findings = [
        _finding("nominal", text, m.start(), m.end(), hides, _(advice))
        for pattern, advice in _HIDDEN_VERB_PHRASES
        for m in pattern.finditer(lowered)
        if not (_inside(m.start(), term_spans) or _inside(m.end() - 1, term_spans))  # once per phrase
    ]
    for m in _ISASI_RE.finditer(lowered):
        start = m.start()
        while start > 0 and lowered[start - 1].isalpha():
            start -= 1
        word = text[start : m.end()]
        word = word[:-3] if word.lower().endswith("nya") else word
        if m.start() - start >= 3 and not _inside(start, term_spans) and not g.allows(word):
            advice = _("write what is done instead (e.g. 'memperbaiki pasar', not 'revitalisasi pasar')")
            findings.append(_finding("nominal", text, start, m.end(), hides, advice))
    return findings


def _shapes(
    text: str, masked: str, lowered: str, g: Glossary, sentences: Sentences, term_spans: list[tuple[int, int]]
) -> list[Finding]:
    """Findings of rule families rather than listed words: quote tags of a press release, titles
    shortened with "Ka" (Kadishub), and words with an ending only English has (engagement)."""
    findings = []
    for m in _QUOTE_TAG_RE.finditer(lowered):
        start, end = m.span(1)
        if not _inside(start, term_spans):
            advice = _("tell the reader the news in your own words instead of quoting an official")
            findings.append(_finding("framing", text, start, end, _(_TERM_MESSAGES["framing"]), advice))
    for m in _KA_TITLE_RE.finditer(masked):
        if not _inside(m.start(), term_spans):
            advice = _("write the title in full, e.g. 'Kepala Dinas Perhubungan'")
            findings.append(_finding("abbreviation", text, m.start(), m.end(), _(_TERM_MESSAGES["internal"]), advice))
    if _ENGLISH_TAILS.isdisjoint(map(_TAIL, sentences.prose)):
        return findings  # most posts: no need to search the text for them
    for m in _ENGLISH_SHAPE_RE.finditer(masked):
        start, end = m.span()
        word = masked[start:end]
        if not (_inside(start, term_spans) or g.allows(word) or _name_part(word, start, sentences)):
            findings.append(_english_finding(text, start, end))
    return findings


def _e_prefixed(text: str, masked: str, g: Glossary, term_spans: list[tuple[int, int]]) -> list[Finding]:
    """English words behind an "e-" the glossary does not list (e-catalog); "e-mail" is everyday."""
    findings: list[Finding] = []
    if "e-" not in masked and "E-" not in masked:
        return findings
    for m in _E_PREFIXED_RE.finditer(masked):
        start, end = m.span()
        word = masked[start:end]
        if not (_inside(start, term_spans) or g.allows(word) or word.lower() == "e-mail"):
            findings.append(_english_finding(text, start, end))
    return findings


def _name_part(word: str, start: int, sentences: Sentences) -> bool:
    """Capitalised in the middle of a sentence: part of a name ("Badan ... Pembangunan Daerah")."""
    return word[0].isupper() and not word.isupper() and start not in sentences.first_words


def _capitals(
    text: str, masked: str, g: Glossary, sentences: Sentences, term_spans: list[tuple[int, int]]
) -> list[Finding]:
    """Code names joined by hyphens and words in capitals that are not glossary words (``term_spans``)."""
    findings: list[Finding] = []
    seen_caps: set[str] = set()
    for start, end, hyphen in _capital_words(masked, g):
        word = masked[start:end]
        if word in seen_caps or _inside(start, term_spans) or _inside(start, sentences.shouting_spans):
            continue
        seen_caps.add(word)
        if hyphen:
            if not g.known_parts(word):
                findings.append(_hyphen_finding(text, start, end))
        elif (
            (_ACRONYM_SHAPE_RE.match(word) or (len(word) <= 3 and word not in _SHORT_EMPHASIS))
            and not _EXPLAINED_RE.match(masked, end)
            and masked[start - 1 : start] != "("
        ):
            findings.append(_unlisted_acronym_finding(text, start, end))
        else:
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


def _capital_words(masked: str, g: Glossary) -> list[tuple[int, int, bool]]:
    """(start, end, joined by a hyphen) of each word in capitals that is not allowed, in text order."""
    words: dict[int, tuple[int, int, bool]] = {}
    for m in g.caps_re.finditer(masked):
        if m.lastgroup == "hyphen" or not g.allows(m.group()):
            words[m.start()] = (m.start(), m.end(), m.lastgroup == "hyphen")
    for hyphen in HYPHEN_BEFORE_CAPS_RE.finditer(masked):
        prefixed = g.prefixed_at(masked, hyphen.start())
        if prefixed is not None and prefixed.start() not in words:
            words[prefixed.start()] = (prefixed.start(), prefixed.end(), True)
    return [words[start] for start in sorted(words)]
