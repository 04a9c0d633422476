"""The evidence report's responsiveness figures: replies received per agency, the share answered, the median wait."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from outreach.evidence import assemble
from outreach.model import IncomingReply, PostState, ReplyStatus
from outreach.store import Store
from tests.engine_helpers import at, workspace
from tests.test_metrics import NOW, published
from tests.test_report import DINKES, DUKCAPIL, KTP, POSYANDU, build_office, evidence, run


def reply(remote_id: str, when: datetime, office: bool = False, parent: str | None = None) -> IncomingReply:
    author = "dinas" if office else f"warga{remote_id}"
    return IncomingReply(remote_id, author, "syaratnya apa?", when, None, parent, office)


@pytest.fixture
def office(tmp_path: Path) -> Path:
    """``build_office`` with replies: Dukcapil answered two of three (after 1 and 3 hours), Dinkes none of two.

    Left out: a reply written before the period, and the office's own answers."""
    config = build_office(tmp_path)
    ws = workspace(config, at(2026, 12, 10, 10))
    published = {post.innovation_id: post for post in ws.store.posts([PostState.PUBLISHED])}
    ktp, posyandu = published[KTP], published[POSYANDU]
    written = at(2026, 12, 5, 8)
    ws.store.add_replies(
        ktp,
        [
            (reply("k1", written), "question", False),
            (reply("k2", written), "question", False),
            (reply("k3", written), "complaint", True),
            (reply("k-old", at(2026, 11, 30, 23)), "question", False),  # before the period
            (reply("o1", written + timedelta(hours=1), office=True, parent="k1"), "other", False),
        ],
        ws.now(),
    )
    ws.store.add_replies(
        posyandu, [(reply("p1", written), "question", False), (reply("p2", written), "thanks", False)], ws.now()
    )
    ids = {each.remote_id: each.id for each in ws.store.replies()}
    ws.store.mark_answered([(ids["k1"], written + timedelta(hours=1)), (ids["k-old"], written)])
    ws.store.decide_reply(ids["k2"], ReplyStatus.ANSWERED, "Sari", written + timedelta(hours=3))
    ws.store.decide_reply(ids["p2"], ReplyStatus.IGNORED, "Sari", written)
    ws.close()
    return config


def test_each_agency_shows_replies_received_in_the_period_the_share_answered_and_the_median_wait(
    office: Path,
) -> None:
    report = evidence(office)
    figures = {agency.name: agency.responsiveness for agency in report.agencies}
    dukcapil, dinkes = figures[DUKCAPIL], figures[DINKES]
    assert (dukcapil.received, dukcapil.answered, dukcapil.median_wait) == (3, 2, timedelta(hours=2))
    assert dukcapil.share_answered == pytest.approx(2 / 3)
    assert (dinkes.received, dinkes.answered, dinkes.median_wait, dinkes.share_answered) == (2, 0, None, 0.0)
    overall = report.responsiveness
    assert (overall.received, overall.answered, overall.median_wait) == (5, 2, timedelta(hours=2))
    assert figures["Dinas Perpustakaan dan Kearsipan"].received == 0
    alone = evidence(office, agency=DINKES)
    assert (alone.responsiveness.received, [agency.name for agency in alone.agencies]) == (2, [DINKES])


def test_an_agency_whose_only_news_in_the_period_is_replies_appears_with_them(tmp_path: Path) -> None:
    config = build_office(tmp_path)
    ws = workspace(config, at(2026, 12, 10, 10))
    post = next(p for p in ws.store.posts([PostState.PUBLISHED]) if p.innovation_id == POSYANDU)
    ws.store.add_replies(post, [(reply("late", at(2027, 1, 3, 9)), "question", False)], ws.now())
    ws.close()
    ws = workspace(config, at(2027, 1, 10, 10))
    report = assemble(ws.store, start=date(2027, 1, 1), end=date(2027, 1, 31), zone=ws.zone, now=ws.now(), platforms={})
    ws.close()
    [dinkes] = [agency for agency in report.agencies if agency.name == DINKES]
    assert (dinkes.posts, dinkes.responsiveness.received) == ([], 1)


def test_the_page_and_the_workbook_show_the_figures_in_indonesian(office: Path) -> None:
    page_file = office.parent / "laporan.html"
    result = run(office, "--language", "id", "report", "--from", "2026-12-01", "--output", str(page_file))
    assert result.exit_code == 0, result.output
    page = page_file.read_text(encoding="utf-8")
    assert "Menjawab warga" in page and "Semua OPD" in page
    assert "<b>40%</b><span>balasan warga sudah dijawab</span>" in page  # on the cover
    assert "Balasan warga pada periode ini: 3, 67% di antaranya sudah dijawab; waktu tunggu tengah 2 jam." in page
    assert "syaratnya apa?" not in page and "wargak1" not in page  # figures only: no citizen's words or name
    workbook_file = office.parent / "laporan.xlsx"
    result = run(
        office, "--language", "id", "report", "--from", "2026-12-01", "--format", "xlsx", "--output", str(workbook_file)
    )
    assert result.exit_code == 0, result.output
    workbook = load_workbook(workbook_file)
    sheet = workbook["Balasan warga"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        ["OPD", "Balasan masuk", "Dijawab", "Bagian dijawab (%)", "Waktu tunggu tengah (jam)"],
        [DUKCAPIL, 3, 2, 66.7, 2],
        [DINKES, 2, 0, 0, None],
        ["Semua OPD", 5, 2, 40, 2],
    ]
    summary = {row[0].value: row[1].value for row in workbook["Ringkasan"].iter_rows(min_row=2)}
    assert (summary["Balasan masuk"], summary["Bagian dijawab"]) == (5, "40%")


def test_the_store_gives_each_citizen_reply_of_the_period_with_its_wait_in_one_list(store: Store) -> None:
    post = store.post(published(store, "mastodon", "m-1", NOW))
    store.add_replies(
        post,
        [
            (reply("a", NOW), "question", False),
            (reply("b", NOW + timedelta(minutes=1)), "question", False),
            (reply("c", NOW - timedelta(days=1)), "question", False),  # before the period
            (reply("o", NOW + timedelta(hours=1), office=True, parent="a"), "other", False),
        ],
        NOW,
    )
    ids = {each.remote_id: each.id for each in store.replies()}
    store.mark_answered([(ids["a"], NOW + timedelta(hours=1))])
    store.decide_reply(ids["b"], ReplyStatus.ANSWERED, "Sari", NOW - timedelta(minutes=5))  # clocks differ: no wait
    outcomes = store.reply_outcomes(NOW, NOW + timedelta(days=1))
    assert sorted(outcomes) == [
        ("ktp-sehari-jadi", "answered", timedelta(0)),
        ("ktp-sehari-jadi", "answered", timedelta(hours=1)),
    ]
    assert store.reply_outcomes(NOW - timedelta(days=1), NOW) == [("ktp-sehari-jadi", "open", None)]
