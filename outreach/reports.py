"""The evidence report's files: one self-contained HTML page, an XLSX workbook, a CSV of the posts.

Each writer lays out an ``EvidenceReport`` (``outreach.evidence``) and adds nothing to it. What a
person reads goes through ``_()``, stored reasons through ``reasons.shown``; the CSV keeps English
column names and ISO times like every CSV outreach writes (``history``), for programs and sums.
XlsxWriter and pygal are imported inside the writers, so the command line stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .evidence import EvidenceReport, Figures, GapPost, PostEvidence, Responsiveness
from .i18n import N_, _, babel_locale, current_language, number, percent
from .model import METRIC_NAMES
from .reasons import shown
from .vocabulary import platform_label, state_label

if TYPE_CHECKING:
    from .charts import Chart

#: Each engagement figure as a reader calls it (in the order of ``METRIC_NAMES``).
METRIC_LABELS = {
    "likes": N_("likes"),
    "reposts": N_("shares"),
    "replies": N_("replies"),
    "quotes": N_("quotes"),
    "impressions": N_("impressions"),
    "reach": N_("reach"),
    "views": N_("views"),
    "forwards": N_("forwarded to groups"),
}
#: Said in every format: the report cannot count link clicks, the office's web analytics can.
CLICKS_NOTE = N_(
    "Link clicks are not in this report: every link in a post carries UTM tags (utm_source = the "
    "channel, utm_campaign = the campaign), so the office's own web analytics counts the visits each "
    "post brought."
)
#: Said when the report is made from a rehearsal's store.
REHEARSAL_NOTE = N_("REHEARSAL — these posts were never published; this is not evidence.")
#: Said wherever the responsiveness figures are: what they count.
REPLIES_NOTE = N_(
    "Citizens' replies and comments written in the period under the agency's posts (the office's own "
    "answers not counted), the share the office answered (on the platform, or marked answered by staff) "
    "and the median time citizens waited for that answer."
)


def platform_list(platforms: list[str]) -> str:
    return ", ".join(map(platform_label, platforms))


def figures_text(
    figures: Figures | None, count: Callable[[int], str] = number, labels: Mapping[str, str] | None = None
) -> str:
    """``12 likes · 3 shares · 540 views`` for the figures a platform gave ("" when never read); ``labels``:
    each figure's name, translated once for a whole page."""
    if figures is None:
        return ""
    named = labels or metric_labels()
    return " · ".join(f"{count(figures.counts[name])} {named[name]}" for name in METRIC_NAMES if name in figures.counts)


def metric_labels() -> dict[str, str]:
    """Each figure's name in the reader's language."""
    return {name: _(label) for name, label in METRIC_LABELS.items()}


class _Labels:
    """Numbers and days as the reader writes them, each worked out once per page: a year of posts repeats
    the same few hundred days and counts, and Babel's formatting is the page's slowest part."""

    def __init__(self, zone: tzinfo) -> None:
        from .html import clock_label, day_label

        self.count = cache(number)
        self._day = cache(day_label)
        self._clock = cache(clock_label)  # engagement is read for many posts at the same moment
        self._zone = zone
        self._metrics = metric_labels()

    def day(self, moment: date, pattern: str = "EEEE, d MMMM y") -> str:
        return self._day(moment.date() if isinstance(moment, datetime) else moment, pattern)

    def clock(self, moment: datetime) -> str:
        return self._clock(moment, self._zone)

    def when(self, moment: datetime, pattern: str) -> str:
        """``Senin, 7 Desember 2026, 09.00 WIB``: the day (in ``pattern``) and the time in the office's zone."""
        return f"{self.day(moment, pattern)}, {self.clock(moment)}"

    def figures(self, figures: Figures | None) -> str:
        return figures_text(figures, self.count, self._metrics)


@dataclass(frozen=True, slots=True)
class _PostLines:
    """A published post as the page shows it, its strings made once in Python: for a year of posts, calling
    the labels from the template is the page's slowest part."""

    platform: str
    when: str
    permalink: str | None
    text: str
    figures: str


def _post_lines(report: EvidenceReport, labels: _Labels) -> dict[str, list[_PostLines]]:
    """Each innovation's posts (by innovation id), as the page shows them."""
    read_line, not_given, not_read = _("read {day} {time}"), _("no figures given"), _("engagement not read yet")
    lines: dict[str, list[_PostLines]] = {}
    for innovation in report.innovations:
        posts = lines.setdefault(innovation.innovation.id, [])
        for post in innovation.posts:
            if post.figures is None or post.read_at is None:
                figures = not_read
            else:
                read = read_line.format(day=labels.day(post.read_at, "d MMM y"), time=labels.clock(post.read_at))
                figures = f"{labels.figures(post.figures) or not_given} · {read}"
            published = labels.when(post.published_at, "EEEE, d MMMM y")
            posts.append(_PostLines(platform_label(post.platform), published, post.permalink, post.text, figures))
    return lines


def wait_text(wait: timedelta | None) -> str:
    """A wait as a person says it (``3 jam``, ``2 hari``); "–" when nothing was answered."""
    if wait is None:
        return "–"
    from babel.dates import format_timedelta

    return format_timedelta(wait, locale=babel_locale(current_language()))


def share_text(responsiveness: Responsiveness) -> str:
    """The share answered (``85%``); "–" when nothing was received."""
    share = responsiveness.share_answered
    return "–" if share is None else percent(share)


# ---- HTML --------------------------------------------------------------------------------------


def charts_of(report: EvidenceReport) -> list[Chart]:
    """The report's three charts; none when nothing went out in the period."""
    from babel.dates import format_date

    from .charts import MOST_BARS, bar_chart
    from .i18n import current_language

    if not report.posts:
        return []
    months = [
        (format_date(month, "MMM y", locale=babel_locale(current_language())), p, i)
        for month, p, i in report.by_month()
    ]
    platforms = [(platform_label(name), p, i) for name, p, i in report.by_platform()]
    agencies = report.by_agency()
    per_agency = _("Posts and interactions per agency")
    if len(agencies) > MOST_BARS:  # the tables below name them all
        per_agency = _("Posts and interactions of the {count} agencies with the most posts").format(count=MOST_BARS)
    return [
        bar_chart(_("Posts and interactions per month"), months, by_name=False, key="month"),
        bar_chart(per_agency, agencies, by_name=True, key="agency"),
        bar_chart(_("Posts and interactions per platform"), platforms, by_name=True, key="platform"),
    ]


def html_report(report: EvidenceReport) -> str:
    """The report as one HTML page that opens offline and prints on A4, an agency per page."""
    from .html import render_page

    labels = _Labels(report.zone)
    return render_page(
        "report.html.j2",
        report=report,
        charts=charts_of(report),
        post_lines=_post_lines(report, labels),
        count=labels.count,
        day=labels.day,
        figures_text=labels.figures,
        platform_name=platform_label,
        platform_list=platform_list,
        reason=shown,
        state=state_label,
        clicks_note=_(CLICKS_NOTE),
        rehearsal_note=_(REHEARSAL_NOTE),
        replies_note=_(REPLIES_NOTE),
        wait=wait_text,
        share=share_text,
    )


# ---- XLSX --------------------------------------------------------------------------------------

#: Excel number formats for the date and time cells (the cell holds a real date; Excel shows it so).
DATE_FORMAT = "dd/mm/yyyy"
TIME_FORMAT = "dd/mm/yyyy hh:mm"


def zone_name(report: EvidenceReport) -> str:
    """The office zone's short name (WIB), which the headers of time columns carry."""
    return report.generated_at.astimezone(report.zone).tzname() or str(report.zone)


def _local(moment: datetime) -> datetime:
    """A spreadsheet cell holds no zone: the office's local time (the column header names the zone)."""
    return moment.replace(tzinfo=None)


#: One view of the workbook: its sheet name (a msgid), its headers, its rows.
Sheet = tuple[str, list[str], list[list[Any]]]


def _sheets(report: EvidenceReport) -> Iterator[Sheet]:
    """Each view of the workbook; sheet names are the Indonesian ones the office knows (Ringkasan, Per OPD …)."""
    metrics = [label.capitalize() for label in metric_labels().values()]
    zone = zone_name(report)
    yield N_("Summary"), [_("Item"), _("Value")], _summary_rows(report, zone)
    yield (
        N_("Per agency"),
        [_("Agency"), _("Innovations published"), _("Posts"), _("Platforms reached"), _("Platforms"),
         _("Interactions"), _("Seen by"), _("Press coverage"), _("Approved, not published"), _("Posts not published")],
        [[agency.name, len(agency.innovations), len(agency.posts), len(agency.platforms),
          platform_list(agency.platforms), agency.figures.interactions, agency.figures.seen,
          len(agency.press), len(agency.unpublished), len(agency.gaps)] for agency in report.agencies],
    )  # fmt: skip
    first, last = _("First post ({zone})").format(zone=zone), _("Last post ({zone})").format(zone=zone)
    yield (
        N_("Per innovation"),
        [_("Agency"), _("Innovation"), _("Innovation id"), _("Posts"), _("Platforms reached"), _("Platforms"),
         *metrics, _("Interactions"), _("Press coverage"), first, last],
        [[i.innovation.opd, i.innovation.nama, i.innovation.id, len(i.posts), len(i.platforms),
          platform_list(i.platforms), *(i.figures.counts.get(name) for name in METRIC_NAMES),
          i.figures.interactions, len(i.press),
          _local(i.posts[0].published_at) if i.posts else None, _local(i.posts[-1].published_at) if i.posts else None]
         for i in report.innovations],
    )  # fmt: skip
    published, read = _("Published ({zone})").format(zone=zone), _("Last read ({zone})").format(zone=zone)
    yield (
        N_("Posts"),
        [_("Post id"), _("Agency"), _("Innovation"), _("Platform"), _("Channel"), published, _("Link"), _("Text"),
         *metrics, _("Interactions"), read],
        [[p.post_id, p.agency, p.innovation_name, platform_label(p.platform), p.channel, _local(p.published_at),
          p.permalink, p.text, *((p.figures.counts.get(name) if p.figures else None) for name in METRIC_NAMES),
          p.interactions if p.figures else None, _local(p.read_at) if p.read_at else None] for p in report.posts],
    )  # fmt: skip
    yield (
        N_("Press coverage"),
        [_("Date"), _("Agency"), _("Innovation"), _("Outlet"), _("Link")],
        [[item.published_on, i.innovation.opd, i.innovation.nama, item.outlet, item.url] for i, item in report.press],
    )
    yield (
        N_("Citizens' replies"),
        [_("Agency"), _("Replies received"), _("Answered"), _("Share answered (%)"), _("Median wait (hours)")],
        [*(_responsiveness_row(agency.name, agency.responsiveness) for agency in report.agencies
           if agency.responsiveness.received),
         _responsiveness_row(_("All agencies"), report.responsiveness)],
    )  # fmt: skip
    scheduled = _("Scheduled ({zone})").format(zone=zone)
    yield N_("Gaps"), [_("Gap"), _("Agency"), _("Innovation"), _("Platform"), scheduled, _("Reason")], [
        *([_("approved, not published in the period"), agency, innovation.nama, None, None, None]
          for agency, innovation in report.unpublished),
        *(_gap_row(gap) for gap in report.gaps),
    ]  # fmt: skip


def _gap_row(gap: GapPost) -> list[Any]:
    return [state_label(gap.state), gap.agency, gap.innovation_name, platform_label(gap.platform),
            _local(gap.scheduled_at), shown(gap.reason)]  # fmt: skip


def _responsiveness_row(name: str, figures: Responsiveness) -> list[Any]:
    """Numbers a spreadsheet can sum and sort: the share in percent, the median wait in hours (one decimal)."""
    share = figures.share_answered
    wait = figures.median_wait
    return [
        name,
        figures.received,
        figures.answered,
        None if share is None else round(share * 100, 1),
        None if wait is None else round(wait / timedelta(hours=1), 1),
    ]


def _summary_rows(report: EvidenceReport, zone: str) -> list[list[Any]]:
    figures = report.figures
    rows: list[list[Any]] = [
        [_("Office"), report.office or ""],
        [_("Period from"), report.start],
        [_("Period to"), report.end],
        [_("Agency"), report.agency_filter or _("all agencies")],
        [_("Made at ({zone})").format(zone=zone), _local(report.generated_at.astimezone(report.zone))],
        [_("Posts published"), len(report.posts)],
        [_("Innovations published"), len(report.innovations)],
        [_("Platforms reached"), len(report.platforms)],
        [_("Interactions"), figures.interactions],
        [_("Press coverage"), len(report.press)],
        [_("Approved, not published"), len(report.unpublished)],
        [_("Posts not published"), len(report.gaps)],
        [_("Replies received"), report.responsiveness.received],
        [_("Share answered"), share_text(report.responsiveness)],
        [_("Median wait for an answer"), wait_text(report.responsiveness.median_wait)],
        [_("Note"), _(CLICKS_NOTE)],
        [_("Note"), _(REPLIES_NOTE)],
    ]
    if report.rehearsal:
        rows.insert(0, [_("Note"), _(REHEARSAL_NOTE)])
    return rows


def write_xlsx(report: EvidenceReport, path: Path) -> None:
    """One sheet per view: a frozen header row with a filter, real date cells, columns wide enough to read.

    XlsxWriter writes each cell by its type (a string, a number, a date) with no object per cell: a year of
    posts (about 124,000 cells) takes under two seconds. Text goes in as text, never as a formula or a link.
    """
    from xlsxwriter import Workbook
    from xlsxwriter.exceptions import FileCreateError

    wide = {_("Text"), _("Reason"), _("Value")}
    try:
        with Workbook(str(path), {"strings_to_numbers": False}) as workbook:
            header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
            formats = _CellFormats(
                wrapped=workbook.add_format({"text_wrap": True, "valign": "top"}),
                moment=workbook.add_format({"num_format": TIME_FORMAT}),
                day=workbook.add_format({"num_format": DATE_FORMAT}),
            )
            for title, headers, rows in _sheets(report):
                sheet = workbook.add_worksheet(_(title))
                for index, name in enumerate(headers):
                    sheet.set_column(index, index, 70 if name in wide else min(max(len(name) + 2, 12), 40))
                sheet.freeze_panes(1, 0)
                sheet.autofilter(0, 0, len(rows), len(headers) - 1)
                for column, name in enumerate(headers):
                    sheet.write_string(0, column, name, header)
                for line, row in enumerate(rows, start=1):
                    _write_row(sheet, line, row, formats)
    except FileCreateError as error:  # XlsxWriter wraps the OSError of writing the file: the caller handles that
        cause = error.args[0] if error.args else None
        raise cause if isinstance(cause, OSError) else OSError(str(error)) from None


@dataclass(frozen=True, slots=True)
class _CellFormats:
    wrapped: Any  # text of several lines
    moment: Any  # a date and time
    day: Any  # a date


def _write_row(sheet: Any, row: int, values: list[Any], formats: _CellFormats) -> None:
    """Each cell as Excel should show it: a day or a moment as a real date cell, text of several lines wrapped;
    an empty value (None or "") leaves the cell empty."""
    for column, value in enumerate(values):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            sheet.write_string(row, column, value, formats.wrapped if "\n" in value else None)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, column, value, formats.moment)
        elif isinstance(value, date):
            sheet.write_datetime(row, column, datetime.combine(value, time()), formats.day)
        else:
            sheet.write_number(row, column, value)


# ---- CSV ---------------------------------------------------------------------------------------

#: The report's CSV: one line per post of the period, published or not, with its innovation and figures.
CSV_COLUMNS = (
    "agency", "innovation_id", "innovation_name", "platform", "channel", "post_id", "state", "when", "permalink",
    "text", "reason", *METRIC_NAMES, "interactions", "read_at", "platforms_reached",
)  # fmt: skip


def _csv_rows(report: EvidenceReport) -> Iterator[dict[str, Any]]:
    reached = {innovation.innovation.id: len(innovation.platforms) for innovation in report.innovations}
    for post in report.posts:
        yield _csv_post(post, reached.get(post.innovation_id, 0))
    for gap in report.gaps:
        yield {
            "agency": gap.agency, "innovation_id": gap.innovation_id, "innovation_name": gap.innovation_name,
            "platform": gap.platform, "channel": gap.channel, "post_id": gap.post_id, "state": gap.state,
            "when": gap.scheduled_at.isoformat(), "reason": gap.reason,
            "platforms_reached": reached.get(gap.innovation_id, 0),
        }  # fmt: skip


def _csv_post(post: PostEvidence, reached: int) -> dict[str, Any]:
    counts = post.figures.counts if post.figures else {}
    return {
        "agency": post.agency, "innovation_id": post.innovation_id, "innovation_name": post.innovation_name,
        "platform": post.platform, "channel": post.channel, "post_id": post.post_id, "state": "published",
        "when": post.published_at.isoformat(), "permalink": post.permalink, "text": post.text,
        **{name: counts.get(name) for name in METRIC_NAMES},
        "interactions": post.interactions if post.figures else None,
        "read_at": post.read_at.isoformat() if post.read_at else None, "platforms_reached": reached,
    }  # fmt: skip


def write_csv(report: EvidenceReport, stream: TextIO, separator: str = ",") -> None:
    """Through ``csvout``: a byte-order mark, the chosen separator, no cell a spreadsheet could run."""
    from . import csvout

    csvout.write_csv(stream, CSV_COLUMNS, _csv_rows(report), separator)
