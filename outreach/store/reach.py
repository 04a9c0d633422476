"""Reach in the store: every engagement reading of a published post, and news coverage of innovations."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..errors import NotFound
from ..i18n import _
from ..model import METRIC_NAMES, MetricReading, PostState, PressCoverage
from .base import StoreBase
from .schema import innovations, metric_readings, moment_of, posts, press_coverage, to_text

#: Ids per ``IN (...)``: SQLite allows 32,766 bound values, and a year of posts stays far below in chunks.
_CHUNK = 5000


class ReachStore(StoreBase):
    """Engagement readings (kept as a time series, never overwritten) and press coverage."""

    def add_readings(self, readings: Iterable[MetricReading]) -> int:
        """Keep readings; a figure outside ``METRIC_NAMES`` is refused, as no report could show it."""
        rows = []
        for reading in readings:
            unknown = set(reading.counts) - set(METRIC_NAMES)
            if unknown:
                raise ValueError(f"unknown engagement figures {sorted(unknown)} for post {reading.post_id}")
            rows.append(
                {
                    "post_id": reading.post_id,
                    "read_at": to_text(reading.read_at),
                    "counts": json.dumps(reading.counts, sort_keys=True),
                }
            )
        if rows:
            with self.transaction() as connection:
                connection.execute(insert(metric_readings), rows)
        return len(rows)

    def readings(
        self,
        post_ids: Iterable[int] | None = None,
        read_from: datetime | None = None,
        read_to: datetime | None = None,
    ) -> list[MetricReading]:
        """Readings matching the filters, by post then time."""
        query = select(metric_readings).order_by(metric_readings.c.post_id, metric_readings.c.read_at)
        if read_from is not None:
            query = query.where(metric_readings.c.read_at >= to_text(read_from))
        if read_to is not None:
            query = query.where(metric_readings.c.read_at < to_text(read_to))
        with self.transaction() as connection:
            if post_ids is None:
                return [_reading(row) for row in connection.execute(query)]
            found: list[MetricReading] = []
            wanted = sorted(set(post_ids))
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                chunked = query.where(metric_readings.c.post_id.in_(chunk))
                found.extend(_reading(row) for row in connection.execute(chunked))
            return found

    def latest_readings(self, post_ids: Iterable[int] | None = None) -> dict[int, MetricReading]:
        """Each post's newest reading (its current figures), by post id."""
        query = _newest()
        with self.transaction() as connection:
            if post_ids is None:
                return {row.post_id: _reading(row) for row in connection.execute(query)}
            latest: dict[int, MetricReading] = {}
            wanted = sorted(set(post_ids))
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                for row in connection.execute(query.where(metric_readings.c.post_id.in_(chunk))):
                    latest[row.post_id] = _reading(row)
            return latest

    def latest_readings_published(self, start: datetime, end: datetime) -> dict[int, MetricReading]:
        """The newest reading of each post published in ``[start, end)`` (``published_between``'s posts)."""
        query = (
            _newest()
            .join(posts, posts.c.id == metric_readings.c.post_id)
            .where(posts.c.state == PostState.PUBLISHED.value)
            .where(posts.c.published_at >= to_text(start), posts.c.published_at < to_text(end))
        )
        with self.transaction() as connection:
            return {row.post_id: _reading(row) for row in connection.execute(query)}

    def last_read_at(self) -> Mapping[int, datetime]:
        """When each post was last read, so a collection can start with the longest unread."""
        query = select(metric_readings.c.post_id, func.max(metric_readings.c.read_at)).group_by(
            metric_readings.c.post_id
        )
        with self.transaction() as connection:
            return {post_id: moment_of(read_at) for post_id, read_at in connection.execute(query)}

    # ---- press coverage ------------------------------------------------------------------------

    def add_press(
        self, innovation_id: str, url: str, outlet: str, published_on: date, now: datetime, actor: str | None
    ) -> PressCoverage:
        """Record an article about an innovation; the same article twice is refused (``ValueError``)."""
        with self.transaction() as connection:
            _require_innovation(connection, innovation_id)
            try:
                with connection.begin_nested():
                    inserted = connection.execute(
                        insert(press_coverage).values(
                            innovation_id=innovation_id,
                            url=url,
                            outlet=outlet,
                            published_on=published_on.isoformat(),
                            added_at=to_text(now),
                            added_by=actor,
                        )
                    )
            except IntegrityError:
                raise ValueError(
                    _("innovation {innovation}: {url} is already recorded").format(innovation=innovation_id, url=url)
                ) from None
        return self.press(ids=inserted.inserted_primary_key)[0]

    def press(
        self,
        published_from: date | None = None,
        published_to: date | None = None,
        ids: Iterable[int] | None = None,
    ) -> list[PressCoverage]:
        """Coverage published in ``[published_from, published_to]`` (both days included), by date."""
        query = select(press_coverage).order_by(press_coverage.c.published_on, press_coverage.c.id)
        if published_from is not None:
            query = query.where(press_coverage.c.published_on >= published_from.isoformat())
        if published_to is not None:
            query = query.where(press_coverage.c.published_on <= published_to.isoformat())
        if ids is not None:
            query = query.where(press_coverage.c.id.in_(list(ids)))
        with self.transaction() as connection:
            return [_press(row) for row in connection.execute(query)]


def _require_innovation(connection: Connection, innovation_id: str) -> None:
    if connection.scalar(select(innovations.c.id).where(innovations.c.id == innovation_id)) is None:
        raise NotFound(
            _("innovation {innovation}: not in the catalogue; `outreach catalogue list` shows the ids").format(
                innovation=innovation_id
            )
        )


def _newest() -> Select[Any]:
    """Each post's newest reading: the last one written at its latest moment.

    Portable SQL (SQLite's bare column beside ``max()`` is refused by PostgreSQL); the index on
    ``(post_id, read_at)`` serves both the grouping and the join. Two readings of one moment (a collection
    run twice within the clock's resolution) are one reading, else a sum over posts counts it twice.
    """
    latest = (
        select(metric_readings.c.post_id, func.max(metric_readings.c.read_at).label("read_at"))
        .group_by(metric_readings.c.post_id)
        .subquery()
    )
    last_written = (
        select(func.max(metric_readings.c.id).label("id"))
        .join(
            latest,
            and_(latest.c.post_id == metric_readings.c.post_id, latest.c.read_at == metric_readings.c.read_at),
        )
        .group_by(metric_readings.c.post_id)
        .subquery()
    )
    return select(metric_readings.c.post_id, metric_readings.c.read_at, metric_readings.c.counts).join(
        last_written, last_written.c.id == metric_readings.c.id
    )


def _reading(row: Any) -> MetricReading:
    return MetricReading(
        post_id=row.post_id,
        read_at=moment_of(row.read_at),
        counts=json.loads(row.counts),
    )


def _press(row: Any) -> PressCoverage:
    return PressCoverage(
        id=row.id,
        innovation_id=row.innovation_id,
        url=row.url,
        outlet=row.outlet,
        published_on=date.fromisoformat(row.published_on),
        added_at=moment_of(row.added_at),
        added_by=row.added_by,
    )
