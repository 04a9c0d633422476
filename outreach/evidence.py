"""The evidence report's data: what went out in a period, per agency and innovation, and what did not.

Local governments are scored yearly in the Indeks Inovasi Daerah; its indicator *Sosialisasi Inovasi
Daerah* takes proof of publication (the government's own posts, and — worth more — independent news),
and a related indicator counts the channels that carry an innovation. ``assemble`` reads the store
once and returns a typed ``EvidenceReport``; the writers (HTML, XLSX, CSV in ``outreach.reports``)
only lay it out. Nothing here formats for a reader: texts, reasons and times stay as stored.

The responsiveness figures (issue #15) count citizens' replies written in the period under the agency's
posts, whenever those went out: how many, the share the office answered, and the median wait for an
answer. They are counted from one query; no reply's text or author reaches the report.

Only the live store is read here, so a rehearsal's posts (kept in a store of their own) never appear.
Operator announcements (``outreach post add``) belong to no innovation and are left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from .errors import NotFound
from .i18n import _
from .model import Innovation, PostState, PressCoverage, ReplyStatus

if TYPE_CHECKING:
    from .model import CatalogueEntry, MetricReading, Post
    from .store import Store
    from .store.posts import PublishedPost

#: Figures that are a person acting on the post (summed into "interactions").
INTERACTIONS = ("likes", "reposts", "replies", "quotes", "forwards")
#: Figures that count people who saw it; platforms overlap in what they mean, so the largest stands for them.
AUDIENCE = ("impressions", "reach", "views")
#: Posts that should have gone out and did not (or are not confirmed): the report's gaps.
GAP_STATES = (PostState.FAILED, PostState.UNKNOWN, PostState.MISSED, PostState.SKIPPED, PostState.HANDED_OFF)
#: How many posts the summary's "top posts" lists.
TOP_POSTS = 10


@dataclass(frozen=True, slots=True)
class Figures:
    """Engagement figures (``METRIC_NAMES`` → count); a figure no platform gave is absent, not 0."""

    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def interactions(self) -> int:
        return sum(self.counts.get(name, 0) for name in INTERACTIONS)

    @property
    def seen(self) -> int | None:
        """How many saw it, where a platform says (None: no platform gave such a figure)."""
        given = [self.counts[name] for name in AUDIENCE if name in self.counts]
        return max(given) if given else None


def total(figures: Iterable[Figures]) -> Figures:
    """Each figure summed over ``figures``; a figure none of them gave stays absent."""
    summed: dict[str, int] = {}
    for each in figures:
        for name, count in each.counts.items():
            summed[name] = summed.get(name, 0) + count
    return Figures(summed)


@dataclass(frozen=True, slots=True)
class PostEvidence:
    """One published post: where, when, its link and its exact text, and its latest engagement reading."""

    post_id: int
    innovation_id: str
    agency: str
    innovation_name: str
    channel: str
    platform: str
    published_at: datetime  # in the office's zone
    permalink: str | None
    text: str
    figures: Figures | None  # None: never read
    read_at: datetime | None

    @property
    def interactions(self) -> int:
        return self.figures.interactions if self.figures else 0


@dataclass(frozen=True, slots=True)
class GapPost:
    """A post of the period that did not go out, or is not known to have gone out, with the stored reason."""

    post_id: int
    innovation_id: str
    agency: str
    innovation_name: str
    channel: str
    platform: str
    scheduled_at: datetime  # in the office's zone
    state: str
    reason: str  # English as stored: writers show it with ``reasons.shown``


@dataclass(frozen=True, slots=True)
class InnovationEvidence:
    innovation: Innovation
    posts: list[PostEvidence]
    press: list[PressCoverage]
    #: The sum of its posts' latest readings (summed once: every view shows it).
    figures: Figures

    @property
    def platforms(self) -> list[str]:
        """The distinct platforms it reached (what the index counts as channels)."""
        return sorted({post.platform for post in self.posts})


@dataclass(frozen=True, slots=True)
class Responsiveness:
    """Citizens' replies written in the period (not the office's own), and how the office answered them."""

    received: int = 0
    answered: int = 0
    #: The median wait from a reply to the office's answer, over the answered ones; None when none was.
    median_wait: timedelta | None = None

    @property
    def share_answered(self) -> float | None:
        """Answered ÷ received (0–1); None when nothing was received."""
        return self.answered / self.received if self.received else None


@dataclass(frozen=True, slots=True)
class AgencyEvidence:
    """One agency (OPD): its innovations that went out, those that did not, posts that failed, and how it
    answered citizens' replies."""

    name: str
    innovations: list[InnovationEvidence]
    unpublished: list[Innovation]
    gaps: list[GapPost]
    responsiveness: Responsiveness = Responsiveness()

    @property
    def posts(self) -> list[PostEvidence]:
        return [post for innovation in self.innovations for post in innovation.posts]

    @property
    def press(self) -> list[PressCoverage]:
        return [item for innovation in self.innovations for item in innovation.press]

    @property
    def platforms(self) -> list[str]:
        return sorted({post.platform for post in self.posts})

    @property
    def figures(self) -> Figures:
        return total(innovation.figures for innovation in self.innovations)


@dataclass(frozen=True, slots=True)
class EvidenceReport:
    """Everything the report shows, for the period ``start``..``end`` (both days included)."""

    start: date
    end: date
    zone: tzinfo
    generated_at: datetime
    office: str | None
    agency_filter: str | None
    agencies: list[AgencyEvidence]
    rehearsal: bool = False
    #: Every agency's replies together.
    responsiveness: Responsiveness = Responsiveness()

    @property
    def posts(self) -> list[PostEvidence]:
        return [post for agency in self.agencies for post in agency.posts]

    @property
    def innovations(self) -> list[InnovationEvidence]:
        return [innovation for agency in self.agencies for innovation in agency.innovations]

    @property
    def press(self) -> list[tuple[InnovationEvidence, PressCoverage]]:
        return [(innovation, item) for innovation in self.innovations for item in innovation.press]

    @property
    def unpublished(self) -> list[tuple[str, Innovation]]:
        return [(agency.name, innovation) for agency in self.agencies for innovation in agency.unpublished]

    @property
    def gaps(self) -> list[GapPost]:
        return sorted((gap for agency in self.agencies for gap in agency.gaps), key=lambda gap: gap.scheduled_at)

    @property
    def platforms(self) -> list[str]:
        return sorted({post.platform for post in self.posts})

    @property
    def figures(self) -> Figures:
        return total(agency.figures for agency in self.agencies)

    def top_posts(self, count: int = TOP_POSTS) -> list[PostEvidence]:
        """The posts with the most interactions (those never read are not ranked)."""
        read = [post for post in self.posts if post.figures and post.interactions > 0]
        return sorted(read, key=lambda post: (-post.interactions, post.published_at))[:count]

    def by_month(self) -> list[tuple[date, int, int]]:
        """(first day of the month, posts, interactions) for every month of the period, empty ones included."""
        counts: dict[date, list[int]] = {}
        month = self.start.replace(day=1)
        while month <= self.end:
            counts[month] = [0, 0]
            month = (month + timedelta(days=32)).replace(day=1)
        for post in self.posts:
            entry = counts.setdefault(post.published_at.date().replace(day=1), [0, 0])
            entry[0] += 1
            entry[1] += post.interactions
        return [(month, posts, interactions) for month, (posts, interactions) in sorted(counts.items())]

    def by_agency(self) -> list[tuple[str, int, int]]:
        """(agency, posts, interactions) for agencies that published, most posts first."""
        rows = [(agency.name, len(agency.posts), agency.figures.interactions) for agency in self.agencies]
        return sorted((row for row in rows if row[1]), key=lambda row: (-row[1], row[0]))

    def by_platform(self) -> list[tuple[str, int, int]]:
        """(platform, posts, interactions), most posts first."""
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for post in self.posts:
            sums[post.platform][0] += 1
            sums[post.platform][1] += post.interactions
        return sorted(((name, p, i) for name, (p, i) in sums.items()), key=lambda row: (-row[1], row[0]))


def default_period(today: date) -> tuple[date, date]:
    """The current year up to today: what an office gathers for the yearly index."""
    return today.replace(month=1, day=1), today


def agency_named(name: str, agencies: Iterable[str]) -> str:
    """The agency ``name`` means (case and spaces aside), or ``NotFound`` listing the agencies there are."""
    known = sorted(set(agencies))
    wanted = " ".join(name.split()).casefold()
    for agency in known:
        if agency.casefold() == wanted:
            return agency
    raise NotFound(
        _("no agency named '{name}' in the catalogue; agencies: {known}").format(
            name=name, known="; ".join(known) or _("none")
        )
    )


def assemble(
    store: Store,
    *,
    start: date,
    end: date,
    zone: tzinfo,
    now: datetime,
    platforms: Mapping[str, str],
    office: str | None = None,
    agency: str | None = None,
    rehearsal: bool = False,
) -> EvidenceReport:
    """The report for ``start``..``end`` (office days, both included); ``platforms``: channel → platform
    (a channel no longer configured is shown by its name); ``agency``: only that agency (see ``agency_named``)."""
    if end < start:
        raise ValueError(_("the period ends ({end}) before it starts ({start})").format(start=start, end=end))
    entries = {entry.innovation.id: entry for entry in store.catalogue()}
    chosen = agency_named(agency, (e.innovation.opd for e in entries.values())) if agency else None
    begin = datetime.combine(start, time(0), tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    published = [post for post in store.published_between(begin, until) if post.innovation_id in entries]
    if chosen is not None:
        published = [post for post in published if entries[post.innovation_id].innovation.opd == chosen]
    latest = store.latest_readings_published(begin, until)
    posts_of: dict[str, list[PostEvidence]] = defaultdict(list)
    for post in published:
        innovation = entries[post.innovation_id].innovation
        posts_of[post.innovation_id].append(_post_evidence(post, innovation, platforms, zone, latest.get(post.id)))
    press_of: dict[str, list[PressCoverage]] = defaultdict(list)
    for item in store.press(start, end):
        if item.innovation_id in entries:
            press_of[item.innovation_id].append(item)
    gaps = [
        _gap(post, entries[post.innovation_id].innovation, platforms, zone)
        for post in store.posts(GAP_STATES, begin, until)
        if post.innovation_id in entries
    ]
    agencies = _by_agency(entries.values(), posts_of, press_of, gaps, (start, end))
    agency_of = {key: entry.innovation.opd for key, entry in entries.items()}
    if chosen is not None:
        agencies = [each for each in agencies if each.name == chosen]
        agency_of = {key: name for key, name in agency_of.items() if name == chosen}
    per_agency, overall = _responsiveness(store.reply_outcomes(begin, until), agency_of)
    agencies = _with_responsiveness(agencies, per_agency)
    return EvidenceReport(start, end, zone, now, office, chosen, agencies, rehearsal, overall)


def _responsiveness(
    outcomes: Iterable[tuple[str, str, timedelta | None]], agency_of: Mapping[str, str]
) -> tuple[dict[str, Responsiveness], Responsiveness]:
    """Per agency and overall, from (innovation id, status, wait) rows; an innovation no longer in the
    catalogue (or of another agency than the one asked for) is left out, as its posts are."""
    received: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    waits: dict[str, list[timedelta]] = defaultdict(list)
    answered_status = ReplyStatus.ANSWERED.value
    for innovation_id, status, wait in outcomes:
        agency = agency_of.get(innovation_id)
        if agency is None:
            continue
        received[agency] += 1
        if status == answered_status:
            answered[agency] += 1
            if wait is not None:
                waits[agency].append(wait)
    every_wait = [wait for each in waits.values() for wait in each]
    per_agency = {
        name: Responsiveness(count, answered[name], _median(waits.get(name, []))) for name, count in received.items()
    }
    return per_agency, Responsiveness(received.total(), answered.total(), _median(every_wait))


def _median(waits: list[timedelta]) -> timedelta | None:
    """The middle wait (the mean of the two middle ones for an even count); None for no wait."""
    if not waits:
        return None
    ordered = sorted(waits)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _with_responsiveness(
    agencies: list[AgencyEvidence], per_agency: Mapping[str, Responsiveness]
) -> list[AgencyEvidence]:
    """Each agency with its replies; an agency whose only news is replies (to posts of an earlier period) joins."""
    listed = {agency.name for agency in agencies}
    joined = [
        *(replace(agency, responsiveness=per_agency.get(agency.name, Responsiveness())) for agency in agencies),
        *(AgencyEvidence(name, [], [], [], figures) for name, figures in per_agency.items() if name not in listed),
    ]
    return sorted(joined, key=lambda agency: agency.name.casefold())


def _offered_during(innovation: Innovation, start: date, end: date) -> bool:
    """Its service window (``mulai``/``selesai``) meets the period: otherwise not publishing it is no gap."""
    return _window_meets(innovation.mulai, innovation.selesai, start, end)


def _window_meets(mulai: date | None, selesai: date | None, start: date, end: date) -> bool:
    return (mulai is None or mulai <= end) and (selesai is None or start <= selesai)


def _post_evidence(
    post: PublishedPost,
    innovation: Innovation,
    platforms: Mapping[str, str],
    zone: tzinfo,
    reading: MetricReading | None,
) -> PostEvidence:
    return PostEvidence(
        post_id=post.id,
        innovation_id=innovation.id,
        agency=innovation.opd,
        innovation_name=innovation.nama,
        channel=post.channel,
        platform=platforms.get(post.channel, post.channel),
        published_at=post.published_at.astimezone(zone),
        permalink=post.remote_url,
        text=post.text,
        figures=Figures(reading.counts) if reading else None,
        read_at=reading.read_at.astimezone(zone) if reading else None,
    )


def _gap(post: Post, innovation: Innovation, platforms: Mapping[str, str], zone: tzinfo) -> GapPost:
    return GapPost(
        post_id=post.id,
        innovation_id=innovation.id,
        agency=innovation.opd,
        innovation_name=innovation.nama,
        channel=post.channel,
        platform=platforms.get(post.channel, post.channel),
        scheduled_at=post.scheduled_at.astimezone(zone),
        state=post.state.value,
        reason=post.reason or "",
    )


def _by_agency(
    entries: Iterable[CatalogueEntry],
    posts_of: Mapping[str, Sequence[PostEvidence]],
    press_of: Mapping[str, Sequence[PressCoverage]],
    gaps: Sequence[GapPost],
    period: tuple[date, date],
) -> list[AgencyEvidence]:
    """Agencies by name; an innovation appears when it went out or was covered, else as a gap when it was
    approved and offered to citizens during the period."""
    shown: dict[str, list[InnovationEvidence]] = defaultdict(list)
    unpublished: dict[str, list[Innovation]] = defaultdict(list)
    for entry in entries:
        innovation = entry.innovation
        posts = list(posts_of.get(innovation.id, ()))
        press = list(press_of.get(innovation.id, ()))
        if posts or press:
            figures = total(post.figures for post in posts if post.figures)
            shown[innovation.opd].append(InnovationEvidence(innovation, posts, press, figures))
        if not posts and entry.publishable and _offered_during(innovation, *period):
            unpublished[innovation.opd].append(innovation)
    gaps_of: dict[str, list[GapPost]] = defaultdict(list)
    for gap in gaps:
        gaps_of[gap.agency].append(gap)
    names = sorted(set(shown) | set(unpublished) | set(gaps_of), key=str.casefold)
    return [
        AgencyEvidence(
            name,
            sorted(shown.get(name, []), key=lambda each: each.innovation.nama.casefold()),
            sorted(unpublished.get(name, []), key=lambda each: each.nama.casefold()),
            gaps_of.get(name, []),
        )
        for name in names
    ]


@dataclass(frozen=True, slots=True)
class AgencySummary:
    """One agency's line of the report's summary (the web page's ``/laporan``)."""

    name: str
    posts: int
    innovations: int
    unpublished: int
    gaps: int
    press: int
    figures: Figures


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """The report's headline figures, counted in the store instead of assembled post by post: the web page
    shows them for a year of ~100,000 posts within a request's time and memory. Same rules as ``assemble``."""

    start: date
    end: date
    agency_filter: str | None
    agencies: list[AgencySummary]

    @property
    def posts(self) -> int:
        return sum(agency.posts for agency in self.agencies)

    @property
    def innovations(self) -> int:
        return sum(agency.innovations for agency in self.agencies)

    @property
    def press(self) -> int:
        return sum(agency.press for agency in self.agencies)

    @property
    def gaps(self) -> int:
        """Posts that did not go out and approved innovations not published: the report's gaps."""
        return sum(agency.gaps + agency.unpublished for agency in self.agencies)

    @property
    def figures(self) -> Figures:
        return total(agency.figures for agency in self.agencies)


def summarise(store: Store, *, start: date, end: date, zone: tzinfo, agency: str | None = None) -> ReportSummary:
    """The summary of ``assemble``'s report for the same period and agency, from the store's counts."""
    if end < start:
        raise ValueError(_("the period ends ({end}) before it starts ({start})").format(start=start, end=end))
    chosen = agency_named(agency, store.agencies()) if agency else None
    begin = datetime.combine(start, time(0), tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    lines = []
    for tally in store.report_tallies(begin, until, (start, end), GAP_STATES, chosen):
        idle = sum(1 for mulai, selesai in tally.idle if _window_meets(_day(mulai), _day(selesai), start, end))
        if tally.posts or tally.innovations or idle or tally.gaps:
            lines.append(
                AgencySummary(tally.name, tally.posts, tally.innovations, idle, tally.gaps, tally.press,
                              Figures(dict(tally.counts)))
            )  # fmt: skip
    return ReportSummary(start, end, chosen, lines)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
