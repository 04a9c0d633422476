"""Laporan: the evidence report for a period (and an agency) as a summary on the page, and the whole report
to download as HTML, XLSX or CSV — the same report ``outreach report`` writes (``outreach.evidence``,
``outreach.reports``). An agency head gets their own agency's report only: the agency is fixed to theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, request, url_for

from ...errors import NotFound
from ...evidence import ReportSummary, agency_named, default_period, summarise
from ...i18n import N_, _
from ..report_files import ReportJob, send_made
from ..routes import page, render, services, signed_in

blueprint = Blueprint("reports", __name__)

#: Each download: its media type.
FORMATS = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Asked:
    """The report the form asks for: its period, and its agency (None: every agency)."""

    start: date
    end: date
    agency: str | None
    #: The agency is the user's own and cannot be changed (an approver).
    fixed: bool


class Mistake(Exception):
    """A form the report cannot be made from, with the one message to show."""


def _asked() -> Asked:
    """The period and agency from the query; an approver's agency is always their own."""
    workspace = services().workspace
    user = signed_in().user
    first, last = default_period(workspace.now().astimezone(workspace.zone).date())
    try:
        start = date.fromisoformat(request.args["dari"]) if request.args.get("dari") else first
        end = date.fromisoformat(request.args["sampai"]) if request.args.get("sampai") else last
    except ValueError:
        raise Mistake(_("Write the days as year-month-day, e.g. 2026-01-31.")) from None
    if end < start:
        raise Mistake(_("The period ends before it starts: choose a last day on or after the first."))
    if user.role == "approver":
        return Asked(start, end, user.opd, True)
    return Asked(start, end, request.args.get("opd", "").strip() or None, False)


def _summary(asked: Asked) -> ReportSummary:
    workspace = services().workspace
    try:
        return summarise(workspace.store, start=asked.start, end=asked.end, zone=workspace.zone, agency=asked.agency)
    except NotFound as error:
        raise Mistake(str(error)) from None


def _query(asked: Asked) -> dict[str, str]:
    query = {"dari": asked.start.isoformat(), "sampai": asked.end.isoformat()}
    if asked.agency and not asked.fixed:
        query["opd"] = asked.agency
    return query


@page(blueprint, "/laporan", permission="view", menu=N_("Reports"), menu_order=50)
def index() -> Any:
    """The form, and the report's summary with its three downloads."""
    workspace = services().workspace
    user = signed_in().user
    agencies = [] if user.role == "approver" else workspace.store.agencies()
    try:
        asked = _asked()
        report = _summary(asked)
    except Mistake as mistake:
        form = {key: request.args.get(key, "") for key in ("dari", "sampai", "opd")}
        return render(
            "reports.html.j2", status=400, problem=str(mistake), form=form, agencies=agencies,
            own_agency=user.opd if user.role == "approver" else None, report=None, downloads=[],
        )  # fmt: skip
    downloads = [
        (label, url_for("reports.download") + "?" + urlencode({**_query(asked), "format": name}))
        for name, label in (("html", N_("Web page (HTML)")), ("xlsx", N_("Spreadsheet (XLSX)")), ("csv", N_("CSV")))
    ]
    form = {"dari": asked.start.isoformat(), "sampai": asked.end.isoformat(), "opd": asked.agency or ""}
    return render(
        "reports.html.j2", problem=None, form=form, agencies=agencies,
        own_agency=asked.agency if asked.fixed else None, report=report, downloads=downloads,
    )  # fmt: skip


@page(blueprint, "/laporan/unduh", permission="view")
def download() -> Any:
    """The whole report as a file: ``format=html|xlsx|csv``, with a file name safe on every system.

    ``outreach report`` writes it in a child process (``report_files``) and the file is sent back: a year's
    report peaks at ~140 MB while it is made, which the server itself must not hold."""
    kind = request.args.get("format", "")
    if kind not in FORMATS:
        abort(404)
    workspace = services().workspace
    try:
        asked = _asked()
        agency = agency_named(asked.agency, workspace.store.agencies()) if asked.agency else None
    except (Mistake, NotFound) as mistake:
        abort(400, description=str(mistake))
    job = ReportJob(workspace.config.path, workspace.now(), asked.start, asked.end, agency, kind)
    name = f"laporan-inovasi-{asked.start.isoformat()}-{asked.end.isoformat()}.{kind}"
    return send_made(job, workspace.config.environ, name, FORMATS[kind])
