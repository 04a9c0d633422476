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
