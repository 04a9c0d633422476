"""The review checklist of templates/README.md, as tests over every bundled post.

Every approved innovation of the bundled example × every kind × every platform is rendered the way
`outreach preview` renders it (``Planning.draft`` on a workspace of the bundled config, with one
``file`` channel per platform, each asking for UTM tracking). Each rule has a detector, and each
detector is shown to catch a bad sample, so no rule passes because it looks at nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from outreach.app import Workspace
from outreach.clock import FixedClock
from outreach.config import load_config
from outreach.model import Innovation, PlannedPost
from outreach.planning import Draft
from outreach.render import LINK_UNTRACKED
from outreach.vocabulary import PLATFORMS, POST_KINDS

REPO = Path(__file__).resolve().parent.parent
WIB = ZoneInfo("Asia/Jakarta")
SLOTS = (datetime(2026, 12, 7, 9, 0, tzinfo=WIB), datetime(2026, 12, 7, 19, 0, tzinfo=WIB))
#: A link a reader sees in full is at most this long.
MAX_VISIBLE_LINK = 80
#: Openings a kind of post must use across the example, at least.
MIN_OPENINGS = 3

# ---- detectors ---------------------------------------------------------------------------------------------

_URL = re.compile(r"https?://\S+")
_HASHTAG = re.compile(r"(?<![\w/])#\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_PHONE = re.compile(r"(?:\+62|\(?0)\d[\d ()-]{5,}\d")
#: Words that send the reader to a number: the post must show one. "… Anda" is the reader's own.
_NUMBER_CUE = re.compile(
    r"\b(?:hubungi|telepon|telpon|whatsapp|wa|sms|simpan nomor|ke nomor)\b(?!\s+Anda)", re.IGNORECASE
)
_GREETING = re.compile(r"^Selamat (?:pagi|siang|sore|malam)\b[^.!?]*!$")
#: The verbs ``jenis`` chooses (outreach.phrasing): one opening with another verb is the same opening.
_VERBS = re.compile(r"\b(?:mengurus|memakai layanan|memakai|ikut|datang ke|meminta)\b")
#: Words every reader knows, and the expansions a post need not add ("puskesmas (pusat kesehatan masyarakat)").
KNOWN_WORDS = {
    "puskesmas": "pusat kesehatan masyarakat",
    "posyandu": "pos pelayanan terpadu",
    "KTP": "kartu tanda penduduk",
    "KK": "kartu keluarga",
    "RT": "rukun tetangga",
    "RW": "rukun warga",
    "HP": "handphone",
    "SIM": "surat izin mengemudi",
    "WIB": "waktu indonesia barat",
    "SD": "sekolah dasar",
    "SMP": "sekolah menengah pertama",
    "lansia": "lanjut usia",
    "balita": "bawah lima tahun",
}


def prose(text: str) -> str:
    """The text a reader reads as sentences: without links, hashtags and WhatsApp's ``*bold*`` marks."""
    return _HASHTAG.sub("", _URL.sub("", text)).replace("*", "")


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(prose(text)) if part.strip(" :")]


def repeated_name(text: str, name: str) -> tuple[str, str] | None:
    """Two sentences in a row that both name the innovation ("Sudah tahu X? X di minimarket …")."""
    found = [name.casefold() in sentence.casefold() for sentence in sentences(text)]
    parts = sentences(text)
    for index in range(len(parts) - 1):
        if found[index] and found[index + 1]:
            return parts[index], parts[index + 1]
    return None


def doubled_word(text: str) -> str | None:
    """A title prefix doubled ("Pengingat: Pengingat …") or a word written twice ("ada ada").

    Indonesian doubles words with a hyphen (anak-anak), never with a space or a colon.
    """
    match = re.search(r"\b(\w+)(?:[ \t]*:[ \t]*|[ \t]+)\1\b", prose(text), re.IGNORECASE)
    return match.group() if match else None


def unnamed_sender(text: str, agency: str) -> str | None:
    """A "kami" whose sentence does not name the agency, or a "hubungi" in a post that never names it."""
    for sentence in sentences(text):
        if re.search(r"\bkami\b", sentence, re.IGNORECASE) and agency not in sentence:
            return sentence
    if re.search(r"\bhubungi\b", prose(text), re.IGNORECASE) and agency not in text:
        return "hubungi … without " + agency
    return None


def number_missing(text: str) -> str | None:
    """A post that sends the reader to a number (contact, save, send to) but shows none."""
    cue = _NUMBER_CUE.search(prose(text))
    if cue and not _PHONE.search(text):
        return cue.group()
    return None


def opening(text: str, name: str) -> str:
    """The post's first sentence after any greeting, with the name and the verb taken out."""
    for sentence in sentences(text):
        if not _GREETING.match(sentence):
            return _VERBS.sub("{kerja}", sentence.replace(name, "{nama}"))
    return ""


def needless_expansions(text: str) -> list[str]:
    """Known words written with their expansion, either way round: "puskesmas (pusat …)", "pusat … (puskesmas)"."""
    found = []
    for word, expansion in KNOWN_WORDS.items():
        flags = 0 if word.isupper() else re.IGNORECASE
        for match in re.finditer(rf"\b{re.escape(word)}\s*\(([^)]*)\)", text, flags):
            inside = match.group(1).strip().casefold()
            initials = "".join(part[0] for part in re.split(r"[\s-]+", inside) if part)
            if inside == expansion or initials == word.casefold():
                found.append(match.group())
        pattern = rf"{re.escape(expansion)}\s*\(\s*{re.escape(word)}\s*\)"
        found += [match.group() for match in re.finditer(pattern, text, flags | re.IGNORECASE)]
    return found


def long_visible_links(text: str, limit: int = MAX_VISIBLE_LINK) -> list[str]:
    return [url for url in _URL.findall(text) if len(url) > limit]


# ---- every bundled post ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    innovation: Innovation
    kind: str
    platform: str
    when: datetime
    draft: Draft
    card: bool  # the platform shows this post's link as a card
    shortens_links: bool  # the platform shows a long link shortened

    @property
    def text(self) -> str:
        assert self.draft.rendered is not None, f"{self.where}: {self.draft.error}"
        return self.draft.rendered.text

    @property
    def where(self) -> str:
        return f"{self.innovation.id} · {self.kind} · {self.platform} · {self.when:%H.%M}"


def bundled_workspace(folder: Path) -> Workspace:
    """The bundled example with one `file` channel per platform, each asking for UTM tracking."""
    shutil.copytree(REPO / "config", folder / "config")
    config = folder / "config" / "outreach.toml"
    channels = "".join(
        f'\n[channels.semua-{platform}]\ntype = "file"\nas = "{platform}"\ndirectory = "../var/outbox"\n'
        f'utm = {{ source = "{platform}" }}\n'
        for platform in PLATFORMS
    )
    text = config.read_text(encoding="utf-8").replace(
        "[campaigns.kenali-inovasi]", channels + "\n[campaigns.kenali-inovasi]"
    )
    config.write_text(text, encoding="utf-8")
    return Workspace(load_config(config, environ={}), FixedClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC)))


def render_all(ws: Workspace) -> list[Sample]:
    samples = []
    for entry in ws.planning.catalogue():
        if not entry.publishable:
            continue
        for kind in POST_KINDS:
            for platform in PLATFORMS:
                channel = f"semua-{platform}"
                for when in SLOTS:
                    planned = PlannedPost("kenali-inovasi", channel, entry.innovation.id, kind, when)
                    draft = ws.planning.draft(planned, entry.innovation, entry.source)
                    image = draft.rendered is not None and draft.rendered.image is not None
                    capabilities = ws.channel_view(channel).capabilities
                    card = capabilities.shows_link_card(image)
                    samples.append(
                        Sample(entry.innovation, kind, platform, when, draft, card, capabilities.shortens_links)
                    )
    return samples


@pytest.fixture(scope="module")
def posts(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    ws = bundled_workspace(tmp_path_factory.mktemp("rules"))
    try:
        samples = render_all(ws)
    finally:
        ws.close()
    assert len({sample.innovation.id for sample in samples}) >= 15
    assert len(samples) >= 15 * len(POST_KINDS) * len(PLATFORMS) * len(SLOTS)
    return samples


def test_every_bundled_post_renders_within_its_limit_and_passes_the_checker(posts: list[Sample]) -> None:
    for sample in posts:
        assert sample.draft.rendered is not None, f"{sample.where}: {sample.draft.error}"
        assert not sample.draft.errors, f"{sample.where}: {[finding.label() for finding in sample.draft.errors]}"
        assert sample.innovation.nama.casefold() in sample.text.casefold(), sample.where


def test_no_post_names_the_innovation_in_two_sentences_in_a_row(posts: list[Sample]) -> None:
    found = [(sample.where, pair) for sample in posts if (pair := repeated_name(sample.text, sample.innovation.nama))]
    assert not found


def test_no_post_doubles_a_title_prefix_or_a_word(posts: list[Sample]) -> None:
    found = [(sample.where, double) for sample in posts if (double := doubled_word(sample.text))]
    assert not found


def test_every_kami_or_hubungi_names_the_agency(posts: list[Sample]) -> None:
    found = [(sample.where, hit) for sample in posts if (hit := unnamed_sender(sample.text, sample.innovation.opd))]
    assert not found


def test_a_post_that_sends_readers_to_a_number_shows_it_on_every_platform(posts: list[Sample]) -> None:
    found = [(sample.where, cue) for sample in posts if (cue := number_missing(sample.text))]
    assert not found
    # Not vacuous: most example posts do send readers to a number (WhatsApp, hubungi, simpan nomor).
    assert sum(bool(_NUMBER_CUE.search(prose(sample.text))) for sample in posts) > len(posts) // 2
    assert {sample.platform for sample in posts if _NUMBER_CUE.search(prose(sample.text))} == set(PLATFORMS)


def test_each_kind_opens_in_several_ways_on_every_platform(posts: list[Sample]) -> None:
    """A channel's followers see one platform: each kind opens in at least three ways on each."""
    for kind in POST_KINDS:
        for platform in PLATFORMS:
            used = Counter(
                opening(sample.text, sample.innovation.nama)
                for sample in posts
                if sample.kind == kind and sample.platform == platform
            )
            assert len(used) >= MIN_OPENINGS, (kind, platform, used)
            assert used.most_common(1)[0][1] < 0.6 * sum(used.values()), (kind, platform, used)


def test_no_post_expands_a_word_everyone_knows(posts: list[Sample]) -> None:
    found = [(sample.where, hits) for sample in posts if (hits := needless_expansions(sample.text))]
    assert not found


def test_no_post_shows_a_long_link_and_the_tracking_stays_where_it_can(posts: list[Sample]) -> None:
    linked = [sample for sample in posts if sample.innovation.tautan and sample.platform != "instagram"]
    assert {sample.platform for sample in linked if sample.card} >= {"facebook", "telegram", "bluesky"}
    for sample in linked:
        rendered = sample.draft.rendered
        assert rendered is not None and rendered.link is not None
        assert "utm_source=" + sample.platform in rendered.link, sample.where  # what a card or the text carries
        if sample.shortens_links:  # X and Mastodon show a link shortened: the text keeps the tracking
            assert rendered.link in sample.text, sample.where
        else:
            assert not long_visible_links(sample.text), sample.where
        if sample.card:
            assert "utm_" not in sample.text, sample.where  # the card has it; the reader needs no tail
        untracked = not sample.card and "utm_" not in sample.text
        assert (LINK_UNTRACKED in rendered.notes) == untracked, sample.where  # preview says so
    assert any(LINK_UNTRACKED in sample.draft.warnings() for sample in linked)


def test_a_re_render_is_identical_whatever_the_hash_seed(posts: list[Sample], tmp_path: Path) -> None:
    """Openings come from a stable hash: two fresh processes with different ``PYTHONHASHSEED`` agree."""
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from tests.test_post_rules import bundled_workspace, render_all\n"
        "ws = bundled_workspace(Path(sys.argv[1]))\n"
        "print(json.dumps({s.where: s.text for s in render_all(ws)}))\n"
        "ws.close()\n"
    )
    runs = []
    for seed in ("1", "2"):
        folder = tmp_path / seed
        folder.mkdir()
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(folder), str(REPO)],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        )
        runs.append(json.loads(done.stdout))
    assert runs[0] == runs[1]
    assert runs[0] == {sample.where: sample.text for sample in posts}


# ---- each detector catches a bad sample --------------------------------------------------------------------


def test_the_repeated_name_detector_catches_the_reviewed_fault() -> None:
    name = "Bayar Pajak Bumi dan Bangunan di Minimarket"
    bad = f"Sudah tahu {name}? Bayar Pajak Bumi dan Bangunan di minimarket atau lewat aplikasi bank."
    assert repeated_name(bad, name) is not None
    assert repeated_name(f"*{name}*\n\n{name.lower()} itu mudah.", name) is not None
    assert repeated_name(f"Sudah tahu layanan ini? {name} memudahkan Anda.", name) is None


def test_the_doubled_word_detector_catches_a_doubled_prefix() -> None:
    assert doubled_word("*Pengingat: Pengingat Imunisasi Anak*") == "Pengingat: Pengingat"
    assert doubled_word("Jangan lupa, ada ada layanan ini.") == "ada ada"
    assert doubled_word("Pengingat: Imunisasi Anak untuk anak-anak.") is None
    assert doubled_word("Dokter Datang ke Rumah Lansia\nLansia diperiksa di rumah.") is None  # two lines


def test_the_unnamed_sender_detector_catches_kami_and_hubungi() -> None:
    agency = "Dinas Kesehatan"
    assert unnamed_sender("Ada pertanyaan? Silakan hubungi kami.\nKontak: WhatsApp 0812-0000-1234", agency)
    assert unnamed_sender("Info lengkap: tautan ada di bio kami.", agency)
    assert unnamed_sender("1. Hubungi puskesmas terdekat", agency)
    assert unnamed_sender(f"Ada pertanyaan? Hubungi {agency} lewat WhatsApp 0812-0000-1234.", agency) is None


def test_the_number_detector_catches_a_step_without_the_number() -> None:
    assert number_missing("1. Simpan nomor WhatsApp peringatan banjir di HP Anda") is not None
    assert number_missing("Hubungi puskesmas terdekat.") == "Hubungi"
    assert number_missing("Kirim foto ke nomor pengaduan.") == "ke nomor"
    assert number_missing("Simpan nomor WhatsApp ini.\nKontak: WhatsApp 0812-0000-5566") is None
    assert number_missing("Kontak: telepon (0721) 000-789") is None
    assert number_missing("Minta petugas mencatat nomor WhatsApp Anda.") is None  # the reader's own number


def test_the_opening_count_catches_one_opening_for_every_post() -> None:
    names = ["KTP Sehari Jadi", "Bus Sekolah Gratis", "Lapor Pipa Air Bocor"]
    same = {opening(f"Selamat pagi, warga! Jangan lupa, ada {name}.\nJam layanan: …", name) for name in names}
    assert same == {"Jangan lupa, ada {nama}."}
    verbs = {opening(f"Cara {verb} {name}:\n1. …", name) for verb, name in zip(["mengurus", "ikut"], names)}
    assert len(verbs) == 1


def test_the_expansion_detector_catches_known_words_spelled_out() -> None:
    assert needless_expansions("Datang ke puskesmas (pusat kesehatan masyarakat) terdekat.") == [
        "puskesmas (pusat kesehatan masyarakat)"
    ]
    assert needless_expansions("Bawa KTP (Kartu Tanda Penduduk).") == ["KTP (Kartu Tanda Penduduk)"]
    assert needless_expansions("Datang ke Pusat Kesehatan Masyarakat (puskesmas).") != []
    assert needless_expansions("Datang ke posyandu (pos pelayanan terpadu) di RT (rukun tetangga) Anda.") == [
        "posyandu (pos pelayanan terpadu)",
        "RT (rukun tetangga)",
    ]
    assert needless_expansions("Datang ke puskesmas (buka pukul 08.00).") == []


def test_the_link_detector_catches_a_long_tracked_link() -> None:
    tracked = (
        "https://bandarlampungkota.go.id/inovasi/ktp-sehari-jadi"
        "?utm_source=facebook&utm_medium=social&utm_campaign=kenali-inovasi-2026"
    )
    assert long_visible_links(f"Info lengkap: {tracked}") == [tracked]
    assert long_visible_links("Info lengkap: https://bandarlampungkota.go.id/inovasi/ktp-sehari-jadi") == []
    assert long_visible_links(f"Info lengkap: {tracked}", limit=len(tracked)) == []


def test_the_re_render_comparison_catches_a_random_choice(tmp_path: Path) -> None:
    """A template that picks at random (Jinja's ``random``) differs between renders; ``frasa.choose`` does not."""
    folder = tmp_path / "templat"
    folder.mkdir()
    (folder / "perkenalan.j2").write_text(
        "{{ range(1000) | random }} {{ frasa.choose(['satu', 'dua', 'tiga']) }}\n", encoding="utf-8"
    )
    from outreach.render import CampaignView, ChannelView, Renderer

    from .test_render import CAPABILITIES, innovation

    view = ChannelView("x", "x", CAPABILITIES["x"])
    texts = [
        Renderer(WIB, folder).render(innovation(), "perkenalan", view, CampaignView("c"), SLOTS[0]).text
        for _ in range(5)
    ]
    assert len(set(texts)) > 1
    assert len({text.split()[1] for text in texts}) == 1
