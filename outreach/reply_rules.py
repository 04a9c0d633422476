"""Sorting citizens' replies by transparent Indonesian rules: question, complaint, thanks or other, and urgent.

The rules are word lists a person can read, in ``outreach/data/reply_rules.toml``; an office adds its
own in a file of the same shape (``[replies] rules`` in the config). No model is trained: every
decision names the rules that made it (:attr:`Sorting.matched`), so staff can see why a reply was
sorted as it was and add a word when it was not.

How a reply is read (the data file says the same, with the word lists):

1. **Normalised**: NFKC and casefold (bold or full-width letters read as plain ones), invisible
   format characters removed (zero-width, bidirectional controls), controls read as spaces, only the first
   :data:`MAX_CHARS` characters read; cut into words, "?"/"!"/emoji and other signs; a letter
   written three or more times, or twice at the end of a word, once ("tolongggg", "makasihh");
   "anak2" → "anak anak"; short forms and slang spelled out (``[normalise.words]``: gmn →
   bagaimana, gak → tidak).
2. **Matched**: each group of rules (``[question.ask_words]``…) has phrases; a phrase matches whole
   words, and a word may carry the clitics -nya, -kah, -lah, -pun, -ku, -mu, -in ("syaratnya"
   matches "syarat"). ``#`` in a phrase stands for a number, ``*`` for any one word, ``word*`` for a
   word that starts so. ``except`` phrases hide the group's matches inside them ("kereta api"),
   ``unless`` cancels the group when the reply says it anywhere ("simulasi"), ``with`` makes the
   group count only when the reply also says one of them ("hilang" only with "anak", "nenek"…).
3. **Decided**, in this order: spam wins when it scores at least as much as any other kind; a
   complaint scoring ``[decide] strong_complaint`` or more wins (a complaint phrased as a question is
   still a complaint: something must be fixed, not only answered); then any question; then any
   complaint (a thank-you that names a problem is a complaint); then an urgent reply is a complaint
   (a report of a danger goes to someone who acts, even when it ends with 🙏); then thanks; anything
   else is other. Urgent is decided apart from the kind.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import regex

from .config_errors import line_of
from .errors import ConfigError
from .glossary import TOML_PLACE
from .i18n import _
from .model import REPLY_KINDS

#: A reply is sorted on this many characters at most: the longest reply a platform allows is about
#: 8,000 (a Facebook comment), and a longer text must not cost the collector more than a normal one.
MAX_CHARS = 10_000
#: The kinds a reply is sorted into, and the urgent mark's rules: the classes a rule group belongs to.
CLASSES = (*REPLY_KINDS, "urgent")
_GROUP_KEYS = ("phrases", "except", "unless", "with", "weight")
_LIST_KEYS = ("phrases", "except", "unless", "with")
_DECIDE_KEYS = ("strong_complaint",)
_SECTIONS = (*CLASSES, "normalise", "decide")
_DEFAULT_SOURCE = "outreach/data/reply_rules.toml"
#: Clitics a word may carry and still match the plain word; the stem must keep 3 letters ("tanya" stays).
_SUFFIXES = ("nya", "kah", "lah", "pun", "ku", "mu", "in")
#: Invisible format characters (zero-width, bidirectional controls, soft hyphen), variation selectors and
#: skin-tone modifiers: dropped, so "ban\u200bjir" is "banjir" and 👍🏽 is 👍.
_INVISIBLE = regex.compile(r"[\p{Cf}\p{Cs}\uFE00-\uFE0F\U0001F3FB-\U0001F3FF]+")
#: Controls and line/paragraph separators: read as spaces.
_SPACE_LIKE = regex.compile(r"[\p{Cc}\p{Zl}\p{Zp}]+")
#: A word (letters and digits), or one sign that is neither (?, !, an emoji, a full stop); controls are gaps.
_TOKEN = re.compile(r"[^\W_]+|[^\w\s\x00-\x1f\x7f-\x9f]")
_RUN_OF_THREE = re.compile(r"([^\W\d_])\1{2,}")
_DOUBLE_AT_END = re.compile(r"([^\W\d_])\1$")
#: "anak2", "langkah2nya": a word written twice with the digit 2.
_REDUPLICATED = re.compile(r"([^\W\d_]{2,})2([^\W\d_]*)")
_SENTENCE_END = "."
_CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class Sorting:
    """How one reply was sorted, and which rules decided it (so a person can see why).

    ``matched`` holds ``class.group: phrase`` for each rule group of the chosen kind and of urgent
    that matched, e.g. ``("question.ask_words: berapa", "urgent.flood: banjir")``.
    """

    kind: str
    urgent: bool
    matched: tuple[str, ...] = ()


@dataclass
class _Group:
    """One named group of phrases of a class, while files are merged."""

    weight: int = 1
    lists: dict[str, list[str]] = field(default_factory=lambda: {key: [] for key in _LIST_KEYS})


#: One phrase in the index: its words after the first, its group's number, its role ("phrases", "except",
#: "unless", "with"), and the phrase as it reads.
_Entry = tuple[tuple[str, ...], int, str, str]


@dataclass(frozen=True)
class _Word:
    """One word of a normalised reply: its text, the forms a phrase may match, whether it is a number,
    and the phrases that start with it (looked up once per distinct word, not once per reply)."""

    text: str
    forms: frozenset[str]
    number: bool
    starts: tuple[_Entry, ...]


class ReplyRules:
    """The rules in force: the built-in ones and the office's own, compiled into one word index."""

    def __init__(
        self,
        groups: Mapping[tuple[str, str], _Group],
        words: Mapping[str, str],
        strong_complaint: int,
    ) -> None:
        self._words = dict(words)
        self._strong_complaint = strong_complaint
        self._groups = sorted(groups)
        self._cache: dict[str, tuple[_Word, ...]] = {}
        self._weights = [groups[key].weight for key in self._groups]
        self._index: dict[str, list[_Entry]] = {}  # a phrase's first word → the phrases
        for number, key in enumerate(self._groups):
            for role, phrases in groups[key].lists.items():
                for phrase in phrases:
                    tokens = self._phrase_tokens(phrase)
                    if not tokens:
                        continue  # a phrase of clitics only ("nya") can match nothing
                    self._index.setdefault(tokens[0], []).append((tokens[1:], number, role, " ".join(tokens)))
        self._needs_with = frozenset(n for n, key in enumerate(self._groups) if groups[key].lists["with"])
        self._cache.clear()  # the words read while the index was incomplete
        self._end = self._word(_SENTENCE_END)

    def phrases(self, group: str) -> frozenset[str]:
        """The phrases of ``group`` ("urgent.flood") as they match (normalised); empty for no such group."""
        found = set()
        for entries in self._index.values():
            for _rest, number, role, phrase in entries:
                if role == "phrases" and ".".join(self._groups[number]) == group:
                    found.add(phrase)
        return frozenset(found)

    def normalise(self, text: str) -> list[str]:
        """The words and signs of ``text`` as the rules read them (see the module's docstring)."""
        return [word.text for word in self._read(text)]

    def _phrase_tokens(self, phrase: str) -> tuple[str, ...]:
        """A rule's phrase in the words the rules read (abbreviations spelled out); ``#``, ``*``, ``x*`` kept."""
        tokens: list[str] = []
        for part in phrase.split():
            if part in ("#", "*") or (part.endswith("*") and len(part) > 1 and tokens):
                tokens.append(unicodedata.normalize("NFKC", part).casefold())
            else:
                tokens.extend(word.text for word in self._read(part, end=False))
        return tuple(tokens)

    def _read(self, text: str, end: bool = True) -> list[_Word]:
        text = text[:MAX_CHARS]
        if not text.isascii():
            text = _SPACE_LIKE.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)))
        words: list[_Word] = []
        previous = ""
        for token in _TOKEN.findall(text.casefold()):
            if token == previous and not token[0].isalnum():
                continue  # "!!!" reads as "!"
            previous = token
            words.extend(self._spelled_out(token))
        if end and words and words[-1].text not in ("?", "!", _SENTENCE_END):
            words.append(self._end)
        return words

    def _spelled_out(self, token: str) -> tuple[_Word, ...]:
        """The words one token stands for, cached (a city's replies repeat a few thousand words)."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        if token[0].isdigit():
            texts = [token]
        else:
            text = _DOUBLE_AT_END.sub(r"\1", _RUN_OF_THREE.sub(r"\1", token))
            twice = _REDUPLICATED.fullmatch(text)
            parts = [twice[1], twice[1] + twice[2]] if twice else [text]
            texts = [word for part in parts for word in self._words.get(part, part).split()]
        if texts == ["nya"] or texts == ["ny"]:
            texts = []  # "BPJS nya": the clitic written apart belongs to the word before
        result = tuple(self._word(word) for word in texts)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = result
        return result

    def _word(self, text: str) -> _Word:
        forms = _forms(text)
        starts = tuple(entry for form in forms for entry in self._index.get(form, ()))
        return _Word(text, forms, text[0].isdigit(), starts)

    def sort(self, text: str) -> Sorting:
        """The kind of ``text`` and whether it is urgent, with the rules that decided."""
        words = self._read(text)
        hits: dict[tuple[int, str], list[tuple[int, int, str]]] = {}
        for start, word in enumerate(words):
            for rest, group, role, phrase in word.starts:
                stop = _match_rest(words, start + 1, rest) if rest else start + 1
                if stop is not None:
                    hits.setdefault((group, role), []).append((start, stop, phrase))
        found: dict[int, str] = {}
        for (group, role), spans in hits.items():
            if role != "phrases" or (group, "unless") in hits:
                continue
            if group in self._needs_with and (group, "with") not in hits:
                continue
            hidden = hits.get((group, "except"), [])
            kept = [p for s, e, p in spans if not any(hs <= s and e <= he for hs, he, _p in hidden)]
            if kept:
                found[group] = kept[0]
        return self._decide(found)

    def _decide(self, found: Mapping[int, str]) -> Sorting:
        scores = dict.fromkeys(CLASSES, 0)
        reasons: dict[str, list[str]] = {name: [] for name in CLASSES}
        for group, phrase in sorted(found.items()):
            name, label = self._groups[group]
            scores[name] += self._weights[group]
            reasons[name].append(f"{name}.{label}: {phrase}")
        urgent = scores["urgent"] > 0
        best_other = max(scores["question"], scores["complaint"], scores["thanks"])
        if scores["other"] and scores["other"] >= best_other:
            kind = "other"
        elif scores["complaint"] >= self._strong_complaint:
            kind = "complaint"
        elif scores["question"]:
            kind = "question"
        elif scores["complaint"]:
            kind = "complaint"
        elif urgent:
            return Sorting("complaint", True, ("decide.urgent_report", *reasons["urgent"]))
        elif scores["thanks"]:
            kind = "thanks"
        else:
            kind = "other"
        return Sorting(kind, urgent, (*reasons[kind], *reasons["urgent"]))


def _forms(word: str) -> frozenset[str]:
    """``word`` and its stem without a clitic ("syaratnya" → "syarat"), when 3 letters or more remain."""
    stems = {word[: -len(s)] for s in _SUFFIXES if word.endswith(s) and len(word) - len(s) >= 3}
    return frozenset({word, *stems})


def _match_rest(words: list[_Word], at: int, rest: tuple[str, ...]) -> int | None:
    """Where a phrase whose first word matched ends, when its other words follow from ``at``; else None."""
    for offset, wanted in enumerate(rest):
        if at + offset >= len(words):
            return None
        word = words[at + offset]
        if wanted == "*":
            continue
        if wanted == "#":
            if not word.number:
                return None
        elif wanted.endswith("*") and len(wanted) > 1:
            if not word.text.startswith(wanted[:-1]):
                return None
        elif wanted not in word.forms:
            return None
    return at + len(rest)


class _Data:
    """Rules while the built-in file and the office's file are merged."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], _Group] = {}
        self.words: dict[str, str] = {}
        self.strong_complaint = 3

    def merge(self, raw: dict[str, Any], text: str, source: str) -> None:
        """Check ``raw`` (one parsed file whose text is ``text``) and add it to the rules."""
        for section, value in raw.items():
            if section not in _SECTIONS:
                close = difflib.get_close_matches(section, _SECTIONS, n=1)
                hint = " " + _("(did you mean [{name}]?)").format(name=close[0]) if close else ""
                raise _error(
                    text,
                    source,
                    (section,),
                    _("unknown section [{key}]{hint}; the sections are {expected}").format(
                        key=section, expected=", ".join(_SECTIONS), hint=hint
                    ),
                )
            table = _table(value, text, source, (section,))
            if section == "normalise":
                self._merge_normalise(table, text, source)
            elif section == "decide":
                self._merge_decide(table, text, source)
            else:
                for name, group in table.items():
                    self._merge_group(section, name, group, text, source)

    def _merge_group(self, section: str, name: str, raw: Any, text: str, source: str) -> None:
        where = (section, name)
        if not isinstance(raw, dict):
            raise _error(
                text,
                source,
                where,
                _(
                    "'{key}' must be a group of rules, written as a section [{section}.{key}] with phrases = [...]"
                ).format(key=name, section=section),
            )
        group = self.groups.setdefault(where, _Group())
        for key, value in raw.items():
            if key not in _GROUP_KEYS:
                raise _error(
                    text,
                    source,
                    (*where, key),
                    _("[{group}] unknown key '{key}'; use {expected}").format(
                        group=f"{section}.{name}", key=key, expected=", ".join(_GROUP_KEYS)
                    ),
                )
            if key == "weight":
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9:
                    raise _error(
                        text,
                        source,
                        (*where, key),
                        _("[{group}] 'weight' must be a whole number from 1 to 9, such as weight = 2").format(
                            group=f"{section}.{name}"
                        ),
                    )
                group.weight = value
                continue
            for phrase in _phrases(value, text, source, (*where, key)):
                group.lists[key].append(phrase)
        if not group.lists["phrases"]:
            raise _error(
                text,
                source,
                where,
                _('[{group}] has no phrases; add phrases = ["word", "two words"]').format(group=f"{section}.{name}"),
            )

    def _merge_normalise(self, table: dict[str, Any], text: str, source: str) -> None:
        for key, value in table.items():
            if key != "words":
                raise _error(
                    text, source, ("normalise", key), _("[normalise] unknown key '{key}'; use words").format(key=key)
                )
            for short, full in _table(value, text, source, ("normalise", "words")).items():
                if not isinstance(full, str) or not full.strip() or len(short.split()) != 1:
                    raise _error(
                        text,
                        source,
                        ("normalise", "words", short),
                        _(
                            "[normalise.words] '{key}' must be one word set to the full word(s) in quotes, "
                            'such as gmn = "bagaimana"'
                        ).format(key=short),
                    )
                self.words[unicodedata.normalize("NFKC", short).casefold()] = " ".join(
                    unicodedata.normalize("NFKC", full).casefold().split()
                )

    def _merge_decide(self, table: dict[str, Any], text: str, source: str) -> None:
        for key, value in table.items():
            if key not in _DECIDE_KEYS:
                raise _error(
                    text,
                    source,
                    ("decide", key),
                    _("[decide] unknown key '{key}'; use strong_complaint").format(key=key),
                )
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 99:
                raise _error(
                    text,
                    source,
                    ("decide", key),
                    _("[decide] 'strong_complaint' must be a whole number from 1 to 99, such as 3"),
                )
            self.strong_complaint = value


def _table(value: Any, text: str, source: str, where: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _error(
            text,
            source,
            where,
            _("'{key}' must be a section, written [{key}] on a line of its own").format(key=".".join(where)),
        )
    return value


def _phrases(value: Any, text: str, source: str, where: tuple[str, ...]) -> list[str]:
    """``value`` checked to be a list of phrases that each start with a word or a sign."""
    group, key = ".".join(where[:2]), where[2]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _error(
            text,
            source,
            where,
            _(
                '[{group}] \'{key}\' must be a list of words or phrases in quotes, such as ["banjir", "pohon tumbang"]'
            ).format(group=group, key=key),
        )
    for phrase in value:
        first = phrase.split()[0] if phrase.split() else ""
        if not first or first in ("#", "*") or first.endswith("*") or not _TOKEN.search(first):
            raise _error(
                text,
                source,
                where,
                _(
                    "[{group}] '{key}': the phrase \"{phrase}\" must start with a word or a sign (not #, * or empty)"
                ).format(group=group, key=key, phrase=phrase),
            )
    return value


def _error(text: str, source: str, where: tuple[str, ...], message: str) -> ConfigError:
    """A ConfigError naming the file, the line of ``where`` (when found) and the message."""
    line = line_of(text, where) or _header_starting(text, where[0])
    return ConfigError(f"{source}:{line}: {message}" if line else f"{source}: {message}")


def _header_starting(text: str, section: str) -> int | None:
    """The line of the first table header under ``section`` ("[questions.mine]" for "questions")."""
    for number, line in enumerate(text.splitlines(), start=1):
        header = line.split("#", 1)[0].strip().lstrip("[").split(".", 1)[0].split("]", 1)[0].strip().strip('"')
        if line.lstrip().startswith("[") and header == section:
            return number
    return None


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        place = TOML_PLACE.search(str(exc))
        if place is None:
            message = _("{file}: not valid TOML at the end of the file; check that every quote and bracket is closed")
        else:
            message = _(
                "{file}: not valid TOML at line {line}, column {column}; check quotes, brackets and '=' on that line"
            )
        raise ConfigError(message.format(file=source, **(place.groupdict() if place else {}))) from None


def _read_office_file(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            _("{file}: the office's reply rules do not exist; fix [replies] rules in the config").format(file=path)
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(_("{file}: not UTF-8 text; save the reply rules as UTF-8").format(file=path)) from None
    except OSError as exc:
        raise ConfigError(
            _("{file}: cannot read the office's reply rules ({reason}); fix [replies] rules in the config").format(
                file=path, reason=exc.strerror
            )
        ) from None


def load_rules(office_rules: Path | None = None) -> ReplyRules:
    """The built-in rules, with the office's file (``[replies] rules``) added when it has one.

    Raises ConfigError naming the file, line and key when the office's file is malformed.
    """
    data = _Data()
    default = resources.files("outreach").joinpath("data/reply_rules.toml").read_text(encoding="utf-8")
    data.merge(_parse(default, _DEFAULT_SOURCE), default, _DEFAULT_SOURCE)
    if office_rules is not None:
        text = _read_office_file(office_rules)
        data.merge(_parse(text, str(office_rules)), text, str(office_rules))
    return ReplyRules(data.groups, data.words, data.strong_complaint)
