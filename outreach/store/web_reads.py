"""Reads for the office's web page that answer from aggregates and small batches instead of every row.

A month of the calendar holds ~8,300 posts and a year's report ~100,000: loaded as objects they cost the
server hundreds of megabytes and most of a second. These queries count and sum in SQL (per slot, per agency)
and fetch only the rows a page shows, in batches, so the server stays small whatever the store holds.
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, or_, select

from ..model import Post, PostState, Status
from ..outbox import ANNOUNCEMENT_ID
from .base import StoreBase
from .catalogue import _status_sql as status_sql
from .claims import post_of_row
from .reach import _newest as newest_readings
from .schema import decisions, innovation_field, innovations, moment_of, posts, press_coverage, to_text

#: Posts per batch of a long read (the calendar feed): bounded memory, few round trips.
BATCH = 500


class DaySlots(NamedTuple):
    """The calendar's day cells: each day's number of posts, and each day's first slots (a campaign's moment), in
    time order."""

    posts: list[int]
    first_slots: list[tuple[datetime, str]]


@dataclass
class AgencyTally:
    """One agency's figures for a report period, counted in SQL (``evidence.summarise`` reads them)."""

    name: str
    posts: int = 0
    #: Innovations that went out or were covered by the press in the period.
    innovations: int = 0
    press: int = 0
    gaps: int = 0
    #: Each engagement figure summed over the latest readings of the period's published posts.
    counts: Counter[str] = field(default_factory=Counter)
    #: (mulai, selesai) of each approved innovation with no post published in the period (ISO days or None).
    idle: list[tuple[str | None, str | None]] = field(default_factory=list)


#: ``report_tallies``' marks of an innovation: a post of it published in the period (whatever its agency) …
_WENT_OUT = 1
#: … and counted for its agency (published or covered by the press).
_COUNTED = 2


def _field(name: str) -> Any:
    return innovation_field(name)


def _opd() -> Any:
    return _field("opd")


def _shown_innovations(connection: Connection, agency: str | None) -> list[str] | None:
    """The innovations whose posts an ``agency``'s view shows (None: every one): the agency's, case aside, read
    from the index ``innovations_agency``, and the office's announcements (no agency). Read once per store call,
    for all its statements: comparing each post's innovation's agency from its JSON costs ~130 ms a month of 8,000
    posts."""
    if agency is None:
        return None
    own = connection.scalars(select(innovations.c.id).where(func.lower(_opd()) == func.lower(agency)))
    return [*own, ANNOUNCEMENT_ID]


def _by_schedule(query: Any, shown: list[str] | None) -> Any:
    """``query`` over ``posts`` by time, narrowed to the ``shown`` innovations' posts. The innovation is compared
    as an expression (``|| ''``), which no index serves, so that SQLite reads the schedule index: offered the
    list on ``posts_innovation`` it reads every post of each listed innovation instead (~25 ms a day)."""
    if shown is None:
        return query
    return query.where(posts.c.innovation_id.concat("").in_(shown))


class WebReadsStore(StoreBase):
    """Aggregates and batched reads for the calendar and the report pages."""

    def day_slots(self, bounds: Sequence[datetime], per_day: int, agency: str | None = None) -> DaySlots:
        """The days from ``bounds[0]`` to ``bounds[-1]``, day ``i`` being ``[bounds[i], bounds[i + 1])`` (the
        office's midnights, so the days are its own whatever the zone's rules): each day's number of posts and
        its first ``per_day`` slots (``agency``: only its innovations' posts and the announcements).

        The whole office's month is read a day at a time, two short reads of the schedule index each: a month of
        8,000 posts, each in a slot of its own, sends ~150 rows. An agency's month is read in one statement, one
        row per slot of its own posts (its list of innovations would cost each of 62 statements ~2 ms)."""
        days = [to_text(moment) for moment in bounds]
        counts = [0] * (len(days) - 1)
        first: list[tuple[str, str]] = []
        with self.transaction() as connection:
            shown = _shown_innovations(connection, agency)
            if shown is None:
                for index, (begin, end) in enumerate(itertools.pairwise(days)):
                    in_day = (posts.c.scheduled_at >= begin, posts.c.scheduled_at < end)
                    counts[index] = connection.scalar(select(func.count()).where(*in_day)) or 0
                    first += [
                        (when, campaign)
                        for when, campaign in connection.execute(
                            select(posts.c.scheduled_at, posts.c.campaign)
                            .distinct()
                            .where(*in_day)
                            .order_by(posts.c.scheduled_at, posts.c.campaign)
                            .limit(per_day)
                        )
                    ]
            else:
                slots = (
                    select(posts.c.scheduled_at, posts.c.campaign, func.count())
                    .where(posts.c.scheduled_at >= days[0], posts.c.scheduled_at < days[-1])
                    .group_by(posts.c.scheduled_at, posts.c.campaign)
                    .order_by(posts.c.scheduled_at, posts.c.campaign)
                )
                taken = [0] * len(counts)
                for when, campaign, count in connection.execute(_by_schedule(slots, shown)):
                    index = bisect.bisect_right(days, when) - 1
                    counts[index] += count
                    if taken[index] < per_day:
                        taken[index] += 1
                        first.append((when, campaign))
        return DaySlots(counts, [(moment_of(when), campaign) for when, campaign in first])

    def slot_posts(self, slots: Iterable[tuple[datetime, str]], agency: str | None = None) -> list[Post]:
        """The posts of the given (moment, campaign) slots, in schedule order (``agency`` as ``day_slots``)."""
        wanted = {(to_text(when), campaign) for when, campaign in slots}
        moments = sorted({when for when, _campaign in wanted})
        found: list[Post] = []
        with self.transaction() as connection:
            shown = _shown_innovations(connection, agency)
            for start in range(0, len(moments), BATCH):
                query = (
                    select(posts)
                    .where(posts.c.scheduled_at.in_(moments[start : start + BATCH]))
                    .order_by(posts.c.scheduled_at, posts.c.id)
                )
                rows = connection.execute(_by_schedule(query, shown))
                found.extend(post_of_row(row) for row in rows if (row.scheduled_at, row.campaign) in wanted)
        return found

    def posts_in_batches(
        self, begin: datetime, end: datetime, agency: str | None = None
    ) -> Iterator[list[tuple[Post, datetime]]]:
        """Posts scheduled in ``[begin, end)`` with when each last changed, in schedule order, ``BATCH`` at a
        time (keyset paging on (scheduled_at, id)); a batch never ends inside a slot, so each slot is whole."""
        with self.transaction() as connection:
            shown = _shown_innovations(connection, agency)
        after: tuple[str, int] | None = None
        while True:
            query = (
                select(posts)
                .where(posts.c.scheduled_at >= to_text(begin), posts.c.scheduled_at < to_text(end))
                .order_by(posts.c.scheduled_at, posts.c.id)
                .limit(BATCH)
            )
            if after is not None:
                query = query.where(
                    or_(posts.c.scheduled_at > after[0], (posts.c.scheduled_at == after[0]) & (posts.c.id > after[1]))
                )
            with self.transaction() as connection:
                rows = list(connection.execute(_by_schedule(query, shown)))
                if len(rows) == BATCH:  # finish the last moment, so that no slot is cut in two
                    last = rows[-1].scheduled_at
                    rest = _by_schedule(
                        select(posts)
                        .where(posts.c.scheduled_at == last, posts.c.id > rows[-1].id)
                        .order_by(posts.c.id),
                        shown,
                    )
                    rows += list(connection.execute(rest))
            if not rows:
                return
            yield [(post_of_row(row), moment_of(row.updated_at)) for row in rows]
            after = (rows[-1].scheduled_at, rows[-1].id)

    def report_tallies(
        self, begin: datetime, until: datetime, period: tuple[date, date], gap_states: Iterable[PostState],
        agency: str | None = None,
    ) -> list[AgencyTally]:  # fmt: skip
        """Per agency, for posts published or scheduled in ``[begin, until)`` and press of the ``period``'s days:
        posts published, innovations out or covered, press, gaps (posts in ``gap_states``), summed figures, and
        the approved innovations that did not go out. Counted in SQL per innovation (no JSON read per post: a
        year is ~100,000 posts), then per agency through the catalogue's facts, kept per catalogue revision."""
        facts = self._catalogue_facts()
        wanted = None if agency is None else agency.casefold()
        tallies: dict[str, AgencyTally] = {}

        def tally(innovation_id: str) -> AgencyTally | None:
            fact = facts.get(innovation_id)
            if fact is None or (wanted is not None and fact[0].casefold() != wanted):
                return None
            found = tallies.get(fact[0])
            if found is None:
                found = tallies[fact[0]] = AgencyTally(fact[0])
            return found

        published = (
            (posts.c.state == PostState.PUBLISHED.value)
            & (posts.c.published_at >= to_text(begin))
            & (posts.c.published_at < to_text(until))
        )
        scheduled = (posts.c.scheduled_at >= to_text(begin)) & (posts.c.scheduled_at < to_text(until))
        gaps = posts.c.state.in_([state.value for state in gap_states]) & scheduled
        # Per innovation, marks of what it did in the period (``_WENT_OUT``, ``_COUNTED``), keyed by the facts' own
        # id strings: a set of the ids the rows bring would hold 10,000 more strings for the length of the page.
        marks = dict.fromkeys(facts, 0)
        with self.transaction() as connection:
            for column, query in _counts(published, gaps, period):
                for innovation_id, count in connection.execute(query):
                    if column == "posts" and innovation_id in marks:
                        marks[innovation_id] |= _WENT_OUT
                    if (found := tally(innovation_id)) is not None:
                        setattr(found, column, getattr(found, column) + count)
                        if column in ("posts", "press"):
                            marks[innovation_id] |= _COUNTED
            latest = newest_readings().subquery()
            readings = select(posts.c.innovation_id, latest.c.counts).select_from(
                latest.join(posts, posts.c.id == latest.c.post_id)
            )
            for innovation_id, counts in connection.execute(readings.where(published)):
                if (found := tally(innovation_id)) is not None:
                    found.counts.update(json.loads(counts))
        for innovation_id, (_opd_name, approved, mulai, selesai) in facts.items():
            mark = marks[innovation_id]
            idle = approved and not mark & _WENT_OUT
            if not (mark & _COUNTED or idle) or (found := tally(innovation_id)) is None:
                continue
            if mark & _COUNTED:
                found.innovations += 1
            if idle:
                found.idle.append((mulai, selesai))
        return sorted(tallies.values(), key=lambda each: each.name.casefold())

    def _catalogue_facts(self) -> dict[str, tuple[str, bool, str | None, str | None]]:
        """Each innovation's (agency, approved, mulai, selesai), read once per catalogue revision (one cheap
        read tells): decoding 10,000 innovations' JSON is the slow part of a report's counts."""
        revision = self.catalogue_revision()  # type: ignore[attr-defined]  # CatalogueStore, joined in Store
        cached = getattr(self, "_facts_cache", None)
        if cached is not None and cached[0] == revision:
            return cached[1]
        latest = (
            select(decisions.c.innovation_id, func.max(decisions.c.id).label("id"))
            .group_by(decisions.c.innovation_id)
            .subquery()
        )
        query = select(
            innovations.c.id, _opd(), status_sql() == Status.APPROVED.value, _field("mulai"), _field("selesai")
        ).select_from(
            innovations.outerjoin(latest, latest.c.innovation_id == innovations.c.id).outerjoin(
                decisions, decisions.c.id == latest.c.id
            )
        )
        # One copy of each agency's name, each date and each whole fact (innovations of an agency often share their
        # dates, or have none): read row by row, 10,000 innovations would each hold their own, 2 MB of a server
        # meant to stay under 80 MB.
        shared: dict[Any, Any] = {}
        one = shared.setdefault
        facts: dict[str, tuple[str, bool, str | None, str | None]] = {}
        with self.transaction() as connection:
            for innovation_id, opd_name, approved, mulai, selesai in connection.execute(query):
                fact = (one(opd_name, opd_name), bool(approved), one(mulai, mulai), one(selesai, selesai))
                facts[innovation_id] = one(fact, fact)
        self._facts_cache = (revision, facts)
        return facts


def _counts(published: Any, gaps: Any, period: tuple[date, date]) -> list[tuple[str, Any]]:
    """(``AgencyTally`` field, a query of (innovation id, count) rows) for each count of the report's summary."""
    covered = (press_coverage.c.published_on >= period[0].isoformat()) & (
        press_coverage.c.published_on <= period[1].isoformat()
    )
    return [
        ("posts", select(posts.c.innovation_id, func.count()).where(published).group_by(posts.c.innovation_id)),
        (
            "press",
            select(press_coverage.c.innovation_id, func.count())
            .where(covered)
            .group_by(press_coverage.c.innovation_id),
        ),
        ("gaps", select(posts.c.innovation_id, func.count()).where(gaps).group_by(posts.c.innovation_id)),
    ]
