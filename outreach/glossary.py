"""The plain-language glossary: acronyms, jargon, openings and how-to words, compiled into a few regexes.

The word lists live in ``outreach/data/glossary.toml``; an office may lay its own file of the same shape
over them (:meth:`Glossary.load`). Each list is compiled once per glossary into one trie-shaped regex, so
the checker in :mod:`outreach.plainlang` makes a few regex passes per post and no per-word look-ups.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .i18n import _

#: One letter, in any script (not a digit, not "_").
LETTER_RE = re.compile(r"[^\W\d_]")

_TERM_SECTIONS = ("acronyms", "common", "internal", "framing", "nominal", "english", "jargon", "vague")
_SECTIONS = frozenset(("allow", "openings", "cara_pakai", *_TERM_SECTIONS))
_EMPTY_ALLOWED = frozenset(("framing", "jargon"))
#: The category each section's words are reported under ("vague" is the former name of "nominal");
#: abbreviation sections are reported by the shape of the key (see :attr:`Entry.category`).
_SECTION_CATEGORY = {"framing": "framing", "nominal": "nominal", "vague": "nominal", "english": "english"}
#: Indonesian affixes an English word takes: "di-download", "mengupload", "klik-nya", "linknya".
#: The prefixed forms are spelled out into the glossary's one trie (one branch per character is
#: much cheaper than trying each prefix at every word); the suffixes follow any key, and
#: :meth:`Glossary.lookup` accepts them on English keys only ("gunakan" is not "guna").
_ENGLISH_PREFIXES = tuple(p + h for p in ("di", "me", "men", "meng", "mem", "nge", "ng", "ter") for h in ("", "-"))
_SUFFIXES = ("-nya", "nya", "-kan", "kan", "-an", "an", "-in", "in")
_SUFFIX = r"(?:-?(?:nya|kan|an|in))?"
#: A part written in capitals (2+ characters, a letter first) of a hyphen-joined word; not "-nya".
_CAPS_PART = r"[A-Z][A-Z0-9]*[A-Z0-9]"
_OTHER_PART = r"-(?!(?:nya|ku|mu|lah|kah|an)\b)[^\W_]+"
_CAPS_RUN = re.compile(r"[A-Z]{2}")
_ROMAN_RE = re.compile(r"[IVX]+")
#: A hyphen that may join a short first part to a part in capitals (found with a fast literal search).
HYPHEN_BEFORE_CAPS_RE = re.compile(rf"-(?={_CAPS_PART})")
_PREFIXED_RE = re.compile(rf"(?<![\w-])[^\W\d_]{{1,6}}-{_CAPS_PART}(?:{_OTHER_PART})*(?!\w|-\w)")
_DEFAULT_SOURCE = "outreach/data/glossary.toml"
#: Where tomllib says it stopped: "… (at line 3, column 7)".
TOML_PLACE = re.compile(r"\(at line (?P<line>\d+), column (?P<column>\d+)\)")
#: A phone number: +62 8.., 62 8.., 08.. (not after a digit), or (0721) 123456. Each branch opens with a
#: literal and checks for a digit before it afterwards, so the regex engine skips to a "+", "6", "0" or "(".
_PHONE_RE = re.compile(
    r"(?:\+62(?<!\d\+62)|62(?<!\d62)|0(?<!\d0))8\d{1,3}[\- ]?\d{3,4}[\- ]?\d{3,5}(?!\d)|\(0\d{2,3}\)[ ]?\d{5,8}"
)
_NUMBERED_LINE_RE = re.compile(r"(?m:^[ \t]*\d{1,2}[.)][ \t])")
_ACRONYM_SECTIONS = frozenset(("acronyms", "common", "internal"))


@dataclass(frozen=True)
class Entry:
    """One glossary word: the section it is listed in, the key as written, its values."""

    section: str
    key: str
    values: tuple[str, ...]

    @property
    def category(self) -> str:
        """What a finding about this word is reported as: framing, nominal, english, jargon, or — for
        an abbreviation — "acronym" when the key has two capitals in a row (OPD, KTP-el), else
        "abbreviation" (Pemkot, nakes)."""
        if self.section in _SECTION_CATEGORY:
            return _SECTION_CATEGORY[self.section]
        if self.section == "jargon":
            return "jargon"
        return "acronym" if _CAPS_RUN.search(self.key) else "abbreviation"


def _identity(key: str) -> str:
    """How a key is compared: capitals exactly, anything with lower case in lower case."""
    key = " ".join(key.split())
    return key if key == key.upper() else key.lower()


def _trie_pattern(phrases: Iterable[str]) -> str:
    """One case-insensitive alternation of ``phrases``, factored into a trie.

    A flat alternation of a hundred words makes the regex engine try every word at every
    position; the trie tries one branch per character, several times faster. A space in a
    phrase matches any run of whitespace. Use it inside ``(?i:...)``.
    """
    trie: dict[str, dict] = {}
    for phrase in phrases:
        node = trie
        for ch in " ".join(phrase.lower().split()):
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [(r"\s+" if ch == " " else re.escape(ch)) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie) or "(?!)"


def _expansion_pattern(expansion: str) -> str:
    """An expansion in any spacing and punctuation: "Usaha Mikro Kecil dan Menengah" matches too."""
    return r"(?<!\w)" + r"[\W_]+".join(re.findall(r"[^\W_]+", expansion)) + r"(?!\w)"


class _Data:
    """Glossary content while files are being merged."""

    def __init__(self) -> None:
        self.terms: dict[str, Entry] = {}
        self.allow: dict[str, str] = {}
        self.openings: dict[str, str] = {}
        self.where: set[str] = set()
        self.how: set[str] = set()

    def merge(self, raw: dict[str, Any], source: str) -> None:
        """Validate ``raw`` (one parsed TOML file) and lay it over the current content."""
        for section in raw:
            if section not in _SECTIONS:
                expected = ", ".join(sorted(_SECTIONS))
                raise ConfigError(
                    _("{file}: unknown key '{key}'; use one of: {expected}").format(
                        file=source, key=section, expected=expected
                    )
                )
        for section in _TERM_SECTIONS:
            for key, value in _table(raw.get(section, {}), source, section).items():
                values = _values(value, source, section, key)
                self.terms[_identity(key)] = Entry(section, " ".join(key.split()), values)
                self.allow.pop(_identity(key), None)  # a later file's table entry wins over an earlier allow
        for word in _string_list(raw.get("allow", []), source, "allow"):
            self.allow[_identity(word)] = word
        for key, value in _table(raw.get("openings", {}), source, "openings").items():
            advice = _values(value, source, "openings", key, single=True)[0]
            self.openings[" ".join(key.lower().split())] = advice
        cara = _table(raw.get("cara_pakai", {}), source, "cara_pakai")
        for name in cara:
            if name not in ("where", "how"):
                raise ConfigError(
                    _("{file}: [cara_pakai] unknown key '{key}'; use 'where' or 'how'").format(file=source, key=name)
                )
        for word in _string_list(cara.get("where", []), source, "cara_pakai.where"):
            self.where.add(word)
        for word in _string_list(cara.get("how", []), source, "cara_pakai.how"):
            self.how.add(word)


def _table(value: Any, source: str, section: str) -> dict[str, Any]:
    """``value`` checked to be a TOML table whose keys contain a letter."""
    if not isinstance(value, dict):
        raise ConfigError(
            _("{file}: '{section}' must be a table; write it as a section headed [{section}]").format(
                file=source, section=section
            )
        )
    for key in value:
        if not LETTER_RE.search(key):
            raise ConfigError(
                _("{file}: [{section}] key '{key}' must contain a letter; write the word itself").format(
                    file=source, section=section, key=key
                )
            )
    return value


def _string_list(value: Any, source: str, name: str) -> list[str]:
    """``value`` checked to be a list of non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            _('{file}: \'{key}\' must be a list of non-empty strings, such as ["KTP", "KK"]').format(
                file=source, key=name
            )
        )
    return value


def _values(value: Any, source: str, section: str, key: str, single: bool = False) -> tuple[str, ...]:
    """The text (or texts) of a table entry, checked; only [jargon] may have an empty one."""
    items = [value] if isinstance(value, str) else value
    valid = (
        isinstance(items, list)
        and items
        and all(isinstance(v, str) for v in items)
        and (not single or len(items) == 1)
        and (section in _EMPTY_ALLOWED or all(v.strip() for v in items))
    )
    if not valid:
        empty_allowed = section in _EMPTY_ALLOWED
        if single:
            kind = _("a string") if empty_allowed else _("a non-empty string")
        else:
            kind = _("a string or a list of strings") if empty_allowed else _("a non-empty string or a list of strings")
        raise ConfigError(
            _("{file}: [{section}] '{key}' must be {kind}; write the text in quotes").format(
                file=source, section=section, key=key, kind=kind
            )
        )
    return tuple(v.strip() for v in items)


def _parse(text: str, source: str) -> dict[str, Any]:
    """Parsed TOML, or ConfigError naming ``source``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        place = TOML_PLACE.search(str(exc))
        if place is None:  # the parser reached the end of the file with something still open
            message = _("{file}: not valid TOML at the end of the file; check that every quote and bracket is closed")
        else:
            message = _(
                "{file}: not valid TOML at line {line}, column {column}; check quotes, brackets and '=' on that line"
            )
        raise ConfigError(message.format(file=source, **(place.groupdict() if place else {}))) from exc


class Glossary:
    """Acronyms, jargon and openings to check against, compiled into a few regexes.

    Build it with :meth:`Glossary.load`; the TOML shape is described in
    ``outreach/data/glossary.toml``.
    """

    def __init__(self, data: _Data) -> None:
        allowed = set(data.allow)
        terms = {k: e for k, e in data.terms.items() if k not in allowed}
        english = {e.key.lower(): e for e in terms.values() if e.section == "english"}
        self._english = english
        self._allowed = frozenset(allowed)
        self._exact = {k: e for k, e in terms.items() if k == k.upper()}
        self._folded = {k: e for k, e in terms.items() if k != k.upper()}
        # Bureaucratic openings (lower case, single spaces) and the advice for each; their first letters
        # let the checker skip the opening regex for most sentences.
        self.openings = dict(data.openings)
        self.opening_initials = frozenset(k[0] for k in self.openings)
        # Lower-cased names that end in "!" (SP4N-LAPOR!), without it: their "!" ends no sentence.
        self.bang_names = frozenset(e.key[:-1].lower() for e in terms.values() if e.key.endswith("!"))
        # Glossary keys, English keys with Indonesian affixes too, matched on the lower-cased text
        # (a case-sensitive trie is about three times faster than one under (?i)); :meth:`lookup`
        # checks the case rule on the original word. The prefixes stay a trie of their own before the
        # English keys' trie: spelled out for every key (16 x 300) they made the pattern five times
        # longer, and compiling it left ~5 MB of freed memory scattered in every process that checks text.
        keys = _trie_pattern(e.key for e in terms.values())
        prefixed = f"(?:{_trie_pattern(_ENGLISH_PREFIXES)})(?:{_trie_pattern(english)})" if english else "(?!)"
        self.term_re = re.compile(rf"\b(?<!-)(?:{keys}|{prefixed}){_SUFFIX}(?!\w|-\w)")
        # On the text as written, from each capital that opens a word (a pattern that starts with a
        # character class lets the regex engine skip the lower-case letters): a hyphen-joined word
        # with a first part in capitals (SIMPEL-PBG), or a word in capitals with 2+ letters. Words
        # with a shorter first part (e-PBB, antar-OPD) start at a hyphen: see :meth:`prefixed_at`.
        self.caps_re = re.compile(
            rf"[A-Z](?<![\w-][A-Z])(?:(?P<hyphen>[A-Z0-9]*[A-Z0-9](?:{_OTHER_PART})+)"
            r"|(?P<caps>\d*[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*))(?!\w|-\w)"
        )
        self._allowed_folded = frozenset(word.lower() for word in data.allow.values())
        self.opening_re = re.compile(rf"(?i:{_trie_pattern(self.openings)})(?!\w)")
        # Anything that tells a reader of a how-to post where to go or what to do: a place or action word,
        # a phone number, a numbered step.
        # (Three searches, not one alternation: the engine would try every branch at every character.)
        self._cara_res = (
            re.compile(rf"(?<!\w)(?i:{_trie_pattern(data.where | data.how)})(?!\w)"),
            _PHONE_RE,
            _NUMBERED_LINE_RE,
        )
        self._expansion_cache: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {}

    @classmethod
    def load(cls, extra: Path | None = None) -> Glossary:
        """The package glossary, with the office glossary ``extra`` (same TOML shape) laid over it.

        Raises ConfigError naming the file (and the key) when ``extra`` cannot be read or is
        malformed.
        """
        data = _Data()
        default = resources.files("outreach").joinpath("data/glossary.toml").read_text(encoding="utf-8")
        data.merge(_parse(default, _DEFAULT_SOURCE), _DEFAULT_SOURCE)
        if extra is not None:
            try:
                text = Path(extra).read_text(encoding="utf-8")
            except FileNotFoundError:
                raise ConfigError(
                    _("{file}: the office glossary does not exist; fix 'glossary' in the config").format(file=extra)
                ) from None
            except UnicodeDecodeError:
                raise ConfigError(_("{file}: not UTF-8 text; save the glossary as UTF-8").format(file=extra)) from None
            except OSError as exc:
                raise ConfigError(
                    _("{file}: cannot read the office glossary ({reason}); fix 'glossary' in the config").format(
                        file=extra, reason=exc.strerror
                    )
                ) from exc
            data.merge(_parse(text, str(extra)), str(extra))
        return cls(data)

    def lookup(self, matched: str) -> Entry | None:
        """The entry of a word that :attr:`term_re` matched; None when its case does not fit,
        or when it carries an affix and is not an English word."""
        normal = " ".join(matched.split())
        entry = self._exact.get(normal) or self._folded.get(normal.lower())
        if entry is not None or not self._english:
            return entry
        lower = normal.lower()
        for suffix in ("", *_SUFFIXES):
            if suffix and not lower.endswith(suffix):
                continue
            stem = lower[: len(lower) - len(suffix)]
            for prefix in ("", *_ENGLISH_PREFIXES):
                if stem.startswith(prefix) and stem[len(prefix) :] in self._english:
                    return self._english[stem[len(prefix) :]]
        return None

    def says_where_or_how(self, text: str) -> bool:
        """Whether a how-to post ``text`` names a place or an action word, a phone number or a numbered step."""
        return any(pattern.search(text) for pattern in self._cara_res)

    def allows(self, word: str) -> bool:
        """Whether ``word`` is an allowed word in any case, or a Roman numeral (II, IV)."""
        return word.lower() in self._allowed_folded or _ROMAN_RE.fullmatch(word) is not None

    @staticmethod
    def prefixed_at(text: str, hyphen: int) -> re.Match[str] | None:
        """The hyphen-joined word whose first part (1-6 letters) ends at ``hyphen`` and whose next part
        is in capitals (e-PBB, antar-OPD, Kota-PBB), or None."""
        for start in range(max(0, hyphen - 6), hyphen):
            found = _PREFIXED_RE.match(text, start)
            if found:
                return found
        return None

    def known_parts(self, word: str) -> bool:
        """Whether a hyphen-joined word is allowed as a whole (e-KTP) or all its parts in capitals are
        (KTP-KK, COVID-19)."""
        if _identity(word) in self._allowed:
            return True
        return all(_identity(part) in self._allowed for part in word.split("-") if _CAPS_RUN.search(part))

    def is_known(self, word: str) -> bool:
        """Whether ``word`` is an allowed word or an acronym of the glossary."""
        if _identity(word) in self._allowed:
            return True
        entry = self.lookup(word)
        return entry is not None and entry.section in _ACRONYM_SECTIONS

    def _expansion_res(self, entry: Entry) -> tuple[re.Pattern[str], re.Pattern[str]]:
        """(expansion anywhere, expansion right after the acronym) patterns for ``entry``."""
        cached = self._expansion_cache.get(entry.key)
        if cached is None:
            any_expansion = "|".join(_expansion_pattern(v) for v in entry.values)
            gap = r"[\s(\[,:=–—\-]*(?:(?:atau|yaitu|alias)\s+)?[(\[]?\s*"  # "OPD (", "MPP atau "
            cached = (re.compile(f"(?i:{any_expansion})"), re.compile(f"(?i:{gap}(?:{any_expansion}))"))
            self._expansion_cache[entry.key] = cached
        return cached

    def spelled_out(self, text: str, entry: Entry, start: int, end: int) -> bool:
        """Whether the acronym at ``text[start:end]`` is spelled out before it or right after it."""
        anywhere, right_after = self._expansion_res(entry)
        return bool(anywhere.search(text, 0, start) or right_after.match(text, end))


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    """The package glossary, loaded and compiled once."""
    return Glossary.load()
