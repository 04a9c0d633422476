"""Laporan over HTTP: the evidence report's summary for a period and an agency, and the whole report to
download as HTML, XLSX and CSV; an agency head gets their own agency's report only."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from outreach.model import PostState
from tests.web_helpers import DINKES, DUKCAPIL, Office, later, signed_in_client

PERIOD = "dari=2026-12-01&sampai=2026-12-31"


@pytest.fixture
def published(office: Office) -> Office:
    """The office after two days of publishing: posts of both agencies went out."""
    for _day in range(2):
        later(office, hours=1, minutes=5)  # 09:05, just after the daily slot
        office.workspace.publisher().publish_due()
        later(office, hours=22, minutes=55)
    states = {post.innovation_id for post in office.workspace.store.posts([PostState.PUBLISHED])}
    assert len(states) == 2, "both agencies' innovations were published"
    return office


def agencies_in_csv(data: bytes) -> set[str]:
    assert data.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows
    column = next(name for name in rows[0] if name in ("opd", "agency"))
    return {row[column] for row in rows}


def test_the_summary_and_its_three_downloads(published: Office) -> None:
    client = signed_in_client(published, "editor")
    page = client.get(f"/laporan?{PERIOD}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "1 December 2026" in text and DINKES in text and DUKCAPIL in text
    assert 'href="/laporan/unduh?dari=2026-12-01&amp;sampai=2026-12-31&amp;format=xlsx"' in text
    html = client.get(f"/laporan/unduh?{PERIOD}&format=html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert html.headers["Content-Disposition"] == 'attachment; filename="laporan-inovasi-2026-12-01-2026-12-31.html"'
    assert "Ktp Sehari Jadi" in html.get_data(as_text=True)
    xlsx = client.get(f"/laporan/unduh?{PERIOD}&format=xlsx")
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.headers["Content-Disposition"].endswith('filename="laporan-inovasi-2026-12-01-2026-12-31.xlsx"')
    workbook = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    cells = {str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row}
    assert {DINKES, DUKCAPIL} <= cells
    answer = client.get(f"/laporan/unduh?{PERIOD}&format=csv")
    assert answer.mimetype == "text/csv" and answer.headers["Content-Disposition"].endswith('.csv"')
    assert agencies_in_csv(answer.data) == {DINKES, DUKCAPIL}
    assert client.get(f"/laporan/unduh?{PERIOD}&format=exe").status_code == 404
    only = client.get(f"/laporan/unduh?{PERIOD}&opd={DINKES}&format=csv")
    assert agencies_in_csv(only.data) == {DINKES}


def test_an_agency_head_gets_only_their_own_agency(published: Office) -> None:
    client = signed_in_client(published, "kadis-dinkes")
    text = client.get(f"/laporan?{PERIOD}&opd={DUKCAPIL}").get_data(as_text=True)
    assert DINKES in text and DUKCAPIL not in text and 'id="opd"' not in text  # no agency to choose
    answer = client.get(f"/laporan/unduh?{PERIOD}&opd={DUKCAPIL}&format=csv")
    assert agencies_in_csv(answer.data) == {DINKES}
    xlsx = client.get(f"/laporan/unduh?{PERIOD}&opd={DUKCAPIL}&format=xlsx")
    workbook = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    cells = {str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row}
    assert DINKES in cells and DUKCAPIL not in cells and "Ktp Sehari Jadi" not in cells
    html = client.get(f"/laporan/unduh?{PERIOD}&format=html").get_data(as_text=True)
    assert "Posyandu Keliling" in html and "Ktp Sehari Jadi" not in html


def test_a_period_written_wrongly_is_one_message(office: Office) -> None:
    client = signed_in_client(office, "editor")
    backwards = client.get("/laporan?dari=2026-12-31&sampai=2026-12-01")
    assert backwards.status_code == 400
    assert backwards.get_data(as_text=True).count('role="alert"') == 1
    assert client.get("/laporan?dari=31-12-2026").status_code == 400
    assert client.get(f"/laporan?{PERIOD}&opd=Dinas+Tidak+Ada").status_code == 400
    assert client.get("/laporan/unduh?dari=2026-12-31&sampai=2026-12-01&format=csv").status_code == 400


def test_the_summary_counts_what_the_whole_report_holds(published: Office) -> None:
    """The page's summary is counted in the store; it shows the same figures ``assemble`` gathers post by post."""
    from datetime import date

    from outreach.evidence import assemble, summarise
    from outreach.model import MetricReading
    from outreach.outbox import Operation

    ws = published.workspace
    store = ws.store
    out = store.posts([PostState.PUBLISHED])
    store.add_readings([MetricReading(out[0].id, ws.now(), {"likes": 3, "reposts": 2, "views": 40})])
    store.add_readings([MetricReading(out[-1].id, ws.now(), {"likes": 5})])
    store.add_press(out[0].innovation_id, "https://berita.example/a", "Harian Kota", date(2026, 12, 2), ws.now(), None)
    planned = store.posts([PostState.PLANNED])[0]
    store.transition(planned.id, Operation.MISS, ws.now(), "overdue")
    start, end = date(2026, 12, 1), date(2026, 12, 31)
    whole = summarise(store, start=start, end=end, zone=ws.zone)
    assert whole.figures.interactions == 10 and whole.press == 1 and whole.gaps >= 1
    for agency in (None, DINKES, DUKCAPIL):
        report = assemble(store, start=start, end=end, zone=ws.zone, now=ws.now(), platforms={}, agency=agency)
        summary = summarise(store, start=start, end=end, zone=ws.zone, agency=agency)
        assert (summary.posts, summary.innovations, summary.press, summary.gaps, summary.figures.interactions) == (
            len(report.posts), len(report.innovations), len(report.press),
            len(report.gaps) + len(report.unpublished), report.figures.interactions,
        )  # fmt: skip
        assert [(a.name, a.posts, a.innovations, a.unpublished, a.gaps, a.figures) for a in summary.agencies] == [
            (a.name, len(a.posts), len(a.innovations), len(a.unpublished), len(a.gaps), a.figures)
            for a in report.agencies
        ]
    text = signed_in_client(published, "editor").get(f"/laporan?{PERIOD}").get_data(as_text=True)
    assert f"<strong>{len(out)}</strong>" in text


def test_a_download_is_the_file_the_cli_writes(published: Office, tmp_path) -> None:
    """The CSV download is made by ``outreach report`` itself: byte for byte what the CLI writes."""
    from click.testing import CliRunner

    from outreach.cli import cli

    answer = signed_in_client(published, "kadis-dinkes").get(f"/laporan/unduh?{PERIOD}&format=csv")
    assert answer.status_code == 200 and int(answer.headers["Content-Length"]) == len(answer.data)
    written = tmp_path / "cli.csv"
    args = ["--config", str(published.config), "--now", published.workspace.now().isoformat(), "report"]
    args += ["--from", "2026-12-01", "--to", "2026-12-31", "--opd", DINKES, "--format", "csv", "--output", str(written)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert answer.data == written.read_bytes()
    assert agencies_in_csv(answer.data) == {DINKES}
