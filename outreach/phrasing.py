"""The words of a post that depend on what the innovation is and on which post it is.

An innovation's ``jenis`` picks the verb: one *mengurus* a KTP service, *memakai* an app, *ikut* a
programme, *datang ke* a place and *meminta* a home visit. Each kind of post has several openings;
one is chosen from a stable hash of the post (innovation, kind, platform), never from Python's
salted ``hash()``, so a re-render of the same post says the same. An opening leaves the name out
when the sentence right after it names the innovation too ("Sudah tahu X? X di …").
Templates read all of this as ``frasa`` (see templates/README.md).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from .model import Innovation

T = TypeVar("T")


@dataclass(frozen=True)
class KindWords:
    """How posts speak of one ``jenis``: the verb phrase before the name, and what to call it."""

    verb: str  # "Cara mengurus KTP Sehari Jadi"
    noun: str  # "Layanan ini dari …"


KIND_WORDS: dict[str, KindWords] = {
    "layanan": KindWords("mengurus", "layanan"),
    "aplikasi": KindWords("memakai layanan", "layanan"),  # "memakai layanan Lapor Pipa Air Bocor"
    "program": KindWords("ikut", "program"),
    "tempat": KindWords("datang ke", "layanan"),
    "kunjungan": KindWords("meminta", "layanan"),
}

#: Openings per kind of post: ``named`` mention the innovation, ``nameless`` are for when the next
#: sentence already starts with its name. ``{nama}``, ``{kerja}`` (the verb), ``{sebutan}`` (the noun)
#: and, for ``pengingat``, ``{sapaan}`` (the greeting for the hour) are filled in.
OPENINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "perkenalan": {
        "named": ("Sudah tahu {nama}?", "Mari kenali {nama}.", "Ada {nama} untuk Anda.", "Kabar baik: ada {nama}."),
        "nameless": ("Sudah tahu {sebutan} ini?", "Mari kenali {sebutan} ini.", "Ada kabar baik untuk Anda."),
    },
    "cara_pakai": {
        "named": (
            "Begini cara {kerja} {nama}.",
            "Ingin {kerja} {nama}? Ikuti langkah ini.",
            "Cara {kerja} {nama} mudah saja.",
        ),
        "nameless": ("Begini caranya.", "Ikuti langkah ini.", "Caranya mudah saja."),
    },
    "manfaat": {
        "named": ("Apa manfaat {nama} bagi Anda?", "Apa untungnya {kerja} {nama}?", "Ini manfaat {nama} untuk Anda."),
        "nameless": ("Apa manfaatnya bagi Anda?", "Apa untungnya bagi Anda?", "Ini manfaatnya untuk Anda."),
    },
    "pengingat": {
        "named": (
            "{sapaan}, warga! Jangan lupa, ada {nama}.",
            "{sapaan}! Masih ingat {nama}?",
            "{sapaan}, Bapak dan Ibu! Ada {nama} untuk Anda.",
        ),
        "nameless": (
            "{sapaan}, warga! Jangan lupa, ada {sebutan} ini.",
            "{sapaan}! Masih ingat {sebutan} ini?",
            "{sapaan}, Bapak dan Ibu! Ini pengingat untuk Anda.",
        ),
    },
}

_FIRST_SENTENCE = re.compile(r"^.*?(?:[.!?](?=\s)|(?=\n)|$)", re.DOTALL)


def greeting(when: datetime) -> str:
    """*Selamat pagi/siang/sore/malam* for the local hour of the slot."""
    hour = when.hour
    part = "pagi" if hour < 11 else "siang" if hour < 15 else "sore" if hour < 18 else "malam"
    return f"Selamat {part}"


def stable_index(seed: str, count: int) -> int:
    """An index in ``range(count)`` that depends only on ``seed``: the same on every run and machine."""
    return int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big") % count


def names_in_first_sentence(name: str, text: str | None) -> bool:
    """Whether the first sentence of ``text`` names ``name`` (in any case)."""
    if not text:
        return False
    match = _FIRST_SENTENCE.match(text.strip())
    return name.casefold() in (match.group() if match else text).casefold()


@dataclass(frozen=True)
class Phrasing:
    """What a template reads as ``frasa``: the verb, ``Layanan ini``/``Program ini``, the opening."""

    nama: str
    kind: str
    kerja: str
    sebutan: str
    sapaan: str
    seed: str

    @property
    def ini(self) -> str:
        """``Layanan ini`` or ``Program ini``, to start a sentence."""
        return f"{self.sebutan.capitalize()} ini"

    def pembuka(self, next_text: str | None = None) -> str:
        """The opening of this post; ``next_text`` is what the template puts right after it, so an
        opening that names the innovation is not followed by a sentence that names it again."""
        openings = OPENINGS.get(self.kind)
        if openings is None:
            return self.nama
        choices = openings["nameless" if names_in_first_sentence(self.nama, next_text) else "named"]
        template = choices[stable_index(self.seed, len(choices))]
        return template.format(nama=self.nama, kerja=self.kerja, sebutan=self.sebutan, sapaan=self.sapaan)

    def choose(self, options: Sequence[T]) -> T:
        """One of ``options``, chosen by the post (not at random), for a template's own variations."""
        return options[stable_index(self.seed + "/" + "|".join(map(str, options)), len(options))]


def phrasing(innovation: Innovation, kind: str, platform: str, when: datetime) -> Phrasing:
    """The words for one post of ``kind`` about ``innovation`` on ``platform`` at local time ``when``."""
    words = KIND_WORDS.get(innovation.jenis, KIND_WORDS["layanan"])
    return Phrasing(
        nama=innovation.nama,
        kind=kind,
        kerja=words.verb,
        sebutan=words.noun,
        sapaan=greeting(when),
        seed=f"{innovation.id}/{kind}/{platform}",
    )


def labelled(value: str, label: str, bold: bool = False) -> str:
    """``Tempat: …`` (or WhatsApp's ``*Tempat:* …``), without the label when the value already starts
    with it: "Tempat bersalin milik pemerintah", never "Tempat: Tempat bersalin …"."""
    if re.match(rf"{re.escape(label)}\b", value, re.IGNORECASE):
        return value
    return f"*{label}:* {value}" if bold else f"{label}: {value}"
