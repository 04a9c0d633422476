"""The replies digest: urgent first, then questions and complaints by agency (oldest first), then figures.

A known data set in a real store, built through the store's public methods, and the digest read back
from ``build_digest`` and both renderings. Hostile replies (markup, a megabyte, controls, bidi,
zero-width) come out cleaned and bounded in the text and escaped in the HTML.
"""

from __future__ import annotations

import re
import statistics
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from outreach.cli import cli
from outreach.digest import (
    AGENCY_SHOWN,
    TEXT_LIMIT,
    URGENT_SHOWN,
    build_digest,
    clean,
    render_html,
    render_text,
    response_quantiles,
    web_link,
)
from outreach.model import IncomingReply, Innovation, PostState, ReplyStatus
from outreach.store import Store
from tests.browser import PHONE, Browser
from tests.engine_helpers import ZONE, at, settle_as

NOW = at(2026, 12, 20, 7, 0)
DISDUK = "Dinas Kependudukan dan Pencatatan Sipil"
DINKES = "Dinas Kesehatan"

HOSTILE = [
    '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "a" * 1_000_000,
    "jalan \x1b[2J\x1b[31mrusak\x07 parah\x00",
    "tagihan \u202egpj.exe\u202c salah \u2066isolasi\u2069",
    "to\u200blong\u200e \ufeffbantu\u2028sekarang",
]


def _innovations(store: Store) -> None:
    records = [
        Innovation("ktp-sehari", "KTP Sehari Jadi", DISDUK, "r", "m", "c", kontak="WhatsApp 0812-1111-2222"),
        Innovation("posyandu", "Posyandu Keliling", DINKES, "r", "m", "c", kontak="Telp. (0721) 555-123"),
    ]
    store.import_innovations([(innovation, "katalog.csv", None) for innovation in records], NOW)


def _post(store: Store, innovation_id: str, remote_id: str) -> int:
    when = NOW - timedelta(days=40)
    post_id = store.add_post(
        {
            "key": f"kenali/mastodon/{innovation_id}/{remote_id}",
            "campaign": "kenali",
            "channel": "mastodon",
            "innovation_id": innovation_id,
            "kind": "perkenalan",
            "scheduled_at": when,
            "text": "Kenali layanan ini.",
            "link": None,
        },
        when - timedelta(days=1),
        "planned",
        "test",
    )
    url = f"https://mastodon.example/@kominfo/{remote_id}"
    settle_as(store, post_id, PostState.PUBLISHED, when, "done", remote_id=remote_id, remote_url=url, published_at=when)
    return post_id


def _reply(
    store: Store, post_id: int, remote_id: str, text: str, kind: str, hours_ago: float, urgent: bool = False
) -> int:
    post = store.post(post_id)
    written = NOW - timedelta(hours=hours_ago)
    found = IncomingReply(
        remote_id, f"@warga{remote_id}", text, written, f"https://mastodon.example/r/{remote_id}", post.remote_id
    )
    [kept] = store.add_replies(post, [(found, kind, urgent)], written)
    return kept.id


#: Answered questions of the Disdukcapil in the period: response times in hours.
DISDUK_TIMES = [1, 2, 3, 4, 10]
#: The Dinkes answered these.
DINKES_TIMES = [0.5, 6]


@pytest.fixture
def known(store: Store) -> dict[str, int]:
    """A known inbox: two agencies, open and answered replies, an urgent one, an old one, an announcement."""
    _innovations(store)
    ktp = _post(store, "ktp-sehari", "m1")
    posyandu = _post(store, "posyandu", "m2")
    announcement = _post(store, "-", "m3")
    ids = {
        "ktp-question-new": _reply(store, ktp, "q1", "syaratnya apa aja?", "question", 5),
        "ktp-complaint-old": _reply(store, ktp, "c1", "antri lama bgt", "complaint", 24 * 50),
        "ktp-thanks": _reply(store, ktp, "t1", "mantap", "thanks", 3),
        "posyandu-question": _reply(store, posyandu, "q2", "jadwal di Kedaton kapan?", "question", 24 * 3),
        "urgent-new": _reply(store, posyandu, "u1", "tolong ada banjir", "other", 1, urgent=True),
        "urgent-old": _reply(store, ktp, "u2", "darurat kebakaran", "complaint", 30, urgent=True),
        "announcement-question": _reply(store, announcement, "q3", "tutup sampai kapan?", "question", 2),
        "ignored": _reply(store, ktp, "i1", "spam", "question", 4),
    }
    store.decide_reply(ids["ignored"], ReplyStatus.IGNORED, "Sari", NOW)
    for n, hours in enumerate(DISDUK_TIMES):
        reply_id = _reply(store, ktp, f"a{n}", "kapan buka?", "question", 24 * 5 + n)
        written = store.reply(reply_id).written_at
        store.mark_answered([(reply_id, written + timedelta(hours=hours))])
    for n, hours in enumerate(DINKES_TIMES):
        reply_id = _reply(store, posyandu, f"b{n}", "di mana?", "question", 24 * 6 + n)
        written = store.reply(reply_id).written_at
        store.mark_answered([(reply_id, written + timedelta(hours=hours))])
    return ids


def test_urgent_first_then_by_agency_oldest_first(store: Store, known: dict[str, int]) -> None:
    digest = build_digest(store, NOW, ZONE)
    assert [item.reply_id for item in digest.urgent] == [known["urgent-old"], known["urgent-new"]]
    assert [item.agency for item in digest.urgent] == [DISDUK, DINKES]
    # the agency that has waited longest first; each agency's oldest first; thanks and ignored left out
    assert [(group.agency, [item.reply_id for item in group.items]) for group in digest.groups] == [
        (DISDUK, [known["ktp-complaint-old"], known["ktp-question-new"]]),
        (DINKES, [known["posyandu-question"]]),
        ("Other posts (no innovation)", [known["announcement-question"]]),
    ]
    assert [group.contact for group in digest.groups] == ["WhatsApp 0812-1111-2222", "Telp. (0721) 555-123", ""]
    first = digest.groups[0].items[0]
    assert first.link == "https://mastodon.example/r/c1"
    assert first.post_link == "https://mastodon.example/@kominfo/m1"
    assert first.innovation == "KTP Sehari Jadi"
    assert digest.waiting == 4


def test_figures_per_agency_on_a_known_data_set(store: Store, known: dict[str, int]) -> None:
    digest = build_digest(store, NOW, ZONE)
    figures = {row.agency: row for row in digest.figures}
    disduk = figures[DISDUK]
    # in the 30 days: q1, t1, u2, i1 and the five answered (the 50-day-old complaint is outside)
    assert disduk.received == 9
    # asking: q1, u2 and the five answered (thanks and the ignored one left out)
    assert (disduk.asking, disduk.answered_asking, disduk.answered) == (7, 5, 5)
    assert disduk.share_answered == pytest.approx(5 / 7)
    assert disduk.median == timedelta(hours=3)
    # inclusive method on 1, 2, 3, 4, 10 h: rank 0.9 × 4 = 3.6 → 4 + 0.6 × (10 − 4) = 7.6 h
    assert disduk.p90 == timedelta(hours=7.6)
    assert statistics.quantiles(DISDUK_TIMES, n=10, method="inclusive")[8] == pytest.approx(7.6)
    dinkes = figures[DINKES]
    assert (dinkes.received, dinkes.asking, dinkes.answered) == (4, 4, 2)
    assert dinkes.median == timedelta(hours=3.25)
    assert dinkes.p90 == timedelta(hours=0.5 + 0.9 * 5.5)
    other = figures["Other posts (no innovation)"]
    assert (other.received, other.answered, other.median, other.p90, other.share_answered) == (1, 0, None, None, 0.0)


def test_quantiles_of_none_and_of_one() -> None:
    assert response_quantiles([]) == (None, None)
    assert response_quantiles([timedelta(minutes=7)]) == (timedelta(minutes=7), timedelta(minutes=7))


def test_the_text_says_it_in_order_with_links(store: Store, known: dict[str, int]) -> None:
    text = render_text(build_digest(store, NOW, ZONE, office="Diskominfo Kota Bandar Lampung"))
    order = [
        "URGENT (2)",
        "darurat kebakaran",
        "tolong ada banjir",
        "WAITING FOR AN ANSWER, BY AGENCY (4)",
        f"▸ {DISDUK} (2) — contact: WhatsApp 0812-1111-2222",
        "antri lama bgt",
        "Answer: https://mastodon.example/r/c1",
        "About: KTP Sehari Jadi — https://mastodon.example/@kominfo/m1",
        "syaratnya apa aja?",
        f"▸ {DINKES} (1)",
        "RESPONSE TIMES BY AGENCY",
        f"{DISDUK}: 9 received, 71% answered, median 3 hours, 90th percentile 8 hours",
        "PERCENTILE.INC",
    ]
    position = 0
    for piece in order:  # each after the one before
        position = text.index(piece, position) + len(piece)
    assert "mantap" not in text and "spam" not in text
    assert "Diskominfo Kota Bandar Lampung" in text


def test_an_empty_inbox_says_so(store: Store) -> None:
    digest = build_digest(store, NOW, ZONE)
    assert digest.urgent == digest.groups == digest.figures == ()
    text = render_text(digest)
    assert "Nothing waits for an answer." in text and "No replies in this period." in text
    assert "Nothing waits for an answer." in render_html(digest)


def test_clean_strips_hidden_characters_and_bounds() -> None:
    assert clean("jalan \x1b[2Jrusak\x07") == "jalan [2Jrusak"
    assert clean("a\u202eb\u200bc\ufeffd\u2066e") == "abcde"
    assert clean("baris satu\n\n  baris\tdua\r\n") == "baris satu baris dua"
    assert clean("👨\u200d👩\u200d👧") == "👨\u200d👩\u200d👧"  # the joiners emoji need stay
    long = clean("kata " * 1000)
    assert len(long) == TEXT_LIMIT and long.endswith("…")
    assert clean("\u200b" * 5000 + "isi") == "…"  # past what is scanned: cut, never slow
    assert clean(None) == ""


def test_only_web_addresses_become_links() -> None:
    assert web_link("https://mastodon.example/r/1") == "https://mastodon.example/r/1"
    for bad in (
        "javascript:alert(1)",
        "data:text/html,x",
        'https://x.test/"onmouseover=',
        "https://x.test/\u202e",
        None,
    ):
        assert web_link(bad) is None


def _hostile(store: Store) -> None:
    _innovations(store)
    post = _post(store, "ktp-sehari", "m1")
    for n, text in enumerate(HOSTILE):
        _reply(store, post, f"h{n}", text, "question", 10 - n, urgent=n == 0)
    # a hostile handle and link too
    found = IncomingReply("h9", "<b>@x</b>\u202e", "<i>x</i>", NOW - timedelta(hours=1), "javascript:alert(1)", "m1")
    store.add_replies(store.post(post), [(found, "complaint", False)], NOW)


def test_hostile_replies_are_cleaned_and_bounded_in_the_text(store: Store) -> None:
    _hostile(store)
    text = render_text(build_digest(store, NOW, ZONE))
    assert len(text) < 10_000
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u200b\u200e\u202a-\u202e\u2066-\u2069\ufeff\u2028]", text)
    assert "a" * (TEXT_LIMIT - 1) + "…" in text and "a" * TEXT_LIMIT not in text
    assert "jalan [2J[31mrusak parah" in text
    assert "tagihan gpj.exe salah isolasi" in text
    assert "tolong bantu sekarang" in text
    assert "javascript:" not in text


def test_hostile_replies_are_escaped_in_the_html(store: Store) -> None:
    _hostile(store)
    page = render_html(build_digest(store, NOW, ZONE))
    assert len(page) < 40_000
    assert "<script>" not in page and "<img" not in page and "<b>@x" not in page and "<i>x</i>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "javascript:" not in page
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u200b\u200e\u202a-\u202e\u2066-\u2069\ufeff\u2028]", page)


def test_the_html_digest_in_a_browser(store: Store, known: dict[str, int], tmp_path: Path, browser: Browser) -> None:
    hostile_post = _post(store, "posyandu", "m9")
    _reply(store, hostile_post, "x1", HOSTILE[0] + " " + HOSTILE[3], "question", 2)
    _reply(store, hostile_post, "x2", "panjang" * 500, "complaint", 3)
    path = tmp_path / "digest.html"
    path.write_text(render_html(build_digest(store, NOW, ZONE)), encoding="utf-8")
    opened = browser.open(path, viewport=PHONE)
    dialogs: list[str] = []
    opened.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    assert opened.console_errors == [] and opened.outside_requests == [] and dialogs == []
    assert opened.page.locator("h2").all_inner_texts()[:2] == ["URGENT (2)", "WAITING FOR AN ANSWER, BY AGENCY (6)"]
    assert opened.page.locator(".dg-urgent").count() == 2
    assert opened.page.locator("table tbody tr").count() == 3
    assert '<script>alert("x")</script>' in opened.text()  # shown as text, never run
    assert opened.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    # the figures too: on a phone each agency's row is a small card, every figure with its label
    assert opened.page.evaluate(
        "(() => { const s = document.querySelector('.scroll'); return s.scrollWidth <= s.clientWidth; })()"
    )
    labels = opened.page.evaluate(
        "[...document.querySelectorAll('.dg-figures tbody tr:first-child td[data-label]')]"
        ".map(cell => getComputedStyle(cell, '::before').content)"
    )
    assert labels == ['"Received"', '"Answered"', '"Median"', '"90th percentile"']
    shot = opened.screenshot("replies-digest-phone")
    assert shot.stat().st_size > 10_000


def test_the_cli_prints_text_and_writes_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.engine_helpers import innovation, project

    config = project(tmp_path, [innovation("ktp-sehari")], channels={"x": {"type": "file", "as": "x"}}, campaigns={})
    runner = CliRunner()
    base = ["--config", str(config), "--now", NOW.isoformat()]
    shown = runner.invoke(cli, [*base, "replies", "digest"])
    assert shown.exit_code == 0, shown.output
    assert "Nothing waits for an answer." in shown.output
    monkeypatch.chdir(tmp_path)
    written = runner.invoke(cli, [*base, "replies", "digest", "--format", "html"])
    assert written.exit_code == 0, written.output
    page = tmp_path / "balasan-2026-12-20.html"
    assert str(page) in written.output and page.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_a_long_backlog_shows_the_oldest_and_says_how_many_more(store: Store) -> None:
    _innovations(store)
    post = store.post(_post(store, "ktp-sehari", "m1"))
    found = [
        (
            IncomingReply(f"r{n}", f"@w{n}", f"isi {n}", NOW - timedelta(hours=500 - n), None, "m1"),
            "question",
            n < URGENT_SHOWN + 20,
        )
        for n in range(URGENT_SHOWN + 20 + AGENCY_SHOWN + 10)
    ]
    store.add_replies(post, found, NOW)
    digest = build_digest(store, NOW, ZONE)
    assert (len(digest.urgent), digest.urgent_more, digest.urgent_count) == (URGENT_SHOWN, 20, URGENT_SHOWN + 20)
    [group] = digest.groups
    assert (len(group.items), group.more, digest.waiting) == (AGENCY_SHOWN, 10, AGENCY_SHOWN + 10)
    assert group.items[0].text == f"isi {URGENT_SHOWN + 20}"  # the oldest shown, the newest left out
    text = render_text(digest)
    assert f"URGENT ({URGENT_SHOWN + 20})" in text and f"▸ {DISDUK} ({AGENCY_SHOWN + 10})" in text
    assert "… and 20 more, the newest; all of them: `outreach replies list --unanswered`" in text
    assert "… and 10 more, the newest" in text
    assert "… and 10 more, the newest" in render_html(digest)
