"""The catalogue in the store: innovations, the decisions on their content, and source fingerprints."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, FromClause, bindparam, case, func, insert, or_, select, update

from ..errors import NotFound
from ..i18n import _
from ..model import CatalogueEntry, Innovation, Post, Status
from ..outbox import ANNOUNCEMENT_ID
from .base import StoreBase, serialised
from .claims import FIRST_ATTEMPT, first_attempt, post_of_row
from .schema import (
    CATALOGUE_REVISION,
    SIGNOFF_REASON,
    _put_setting,
    catalogue_sources,
    decisions,
    from_text,
    innovation_field,
    innovations,
    posts,
    settings,
    to_text,
)

#: A post's innovation with its latest decision and the post's first claim, read with every post claimed: one
#: statement (one round trip to PostgreSQL, not three), built once (``claims`` says why).
_LATEST = (
    select(func.max(decisions.c.id))
    .where(decisions.c.innovation_id == innovations.c.id)
    .correlate_except(decisions)
    .scalar_subquery()
)
_ABOUT = (
    select(
        innovations,
        decisions.c.decision,
        decisions.c.content_hash.label("decided_hash"),
        decisions.c.decided_by,
        decisions.c.decided_at,
        decisions.c.reason,
        FIRST_ATTEMPT.scalar_subquery().label("first_attempt"),
    )
    .select_from(innovations.outerjoin(decisions, decisions.c.id == _LATEST))
    .where(innovations.c.id == bindparam("innovation_id"))
)
#: Every change to the catalogue (imports, syncs, decisions, retirements) holds this lock on PostgreSQL: each reads
#: what is stored (an innovation's content, the revision counter) and writes from it, so two must not interleave.
CATALOGUE_LOCK = "catalogue"


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed: ids added, changed (content differs), and left as they were.

    ``warnings`` are the importer's ``file:row:column`` notes that did not block the import.
    """

    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    approvals_withdrawn: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignOff:
    """A decision recorded in the spreadsheet itself (status/disetujui_oleh/disetujui_pada)."""

    decision: str  # approved | rejected
    by: str
    at: datetime | None  # None: record the import time


class CatalogueStore(StoreBase):
    """Queries over the catalogue: importing innovations, approving, rejecting and retiring them."""

    def source_fingerprint(self, path: Path) -> str | None:
        with self.transaction() as connection:
            return connection.scalar(
                select(catalogue_sources.c.fingerprint).where(catalogue_sources.c.path == str(path))
            )

    def import_innovations(
        self,
        records: Iterable[tuple[Innovation, str, SignOff | None]],
        now: datetime,
        sources: dict[Path, str] | None = None,
    ) -> ImportSummary:
        """Upsert innovations by id in one transaction; record sign-offs; remember source fingerprints.

        An innovation whose content changed keeps its history of decisions, but a decision only
        counts for the content hash it was made on, so the change withdraws the approval.
        """
        outcomes: dict[str, list[str]] = {"added": [], "changed": [], "unchanged": [], "withdrawn": []}
        stamp = to_text(now)
        with self.transaction() as connection:
            serialised(connection, CATALOGUE_LOCK)
            for innovation, source, signoff in records:
                for outcome in self._upsert(connection, innovation, source, stamp):
                    outcomes[outcome].append(innovation.id)
                if signoff is not None and not self._signoff_recorded(connection, innovation.id, signoff):
                    # A sign-off is identified by its cells (decision, who, when): the same cells
                    # read again after the content changed are the old sign-off, not a new one.
                    connection.execute(
                        insert(decisions).values(
                            innovation_id=innovation.id,
                            decision=signoff.decision,
                            content_hash=innovation.content_hash,
                            decided_by=signoff.by,
                            decided_at=to_text(signoff.at or now),
                            reason=SIGNOFF_REASON,
                        )
                    )
            for path, fingerprint in (sources or {}).items():
                self._set_fingerprint(connection, path, fingerprint, stamp)
            _bump_catalogue_revision(connection)
        return ImportSummary(*(tuple(outcomes[name]) for name in ("added", "changed", "unchanged", "withdrawn")))

    def _upsert(self, connection: Connection, innovation: Innovation, source: str, stamp: str) -> list[str]:
        """Insert or update one innovation; what happened to it (an edit of an approved one also withdraws it)."""
        digest = innovation.content_hash
        row = connection.execute(
            select(innovations.c.content_hash, innovations.c.data).where(innovations.c.id == innovation.id)
        ).first()
        data = json.dumps(innovation.to_json(), ensure_ascii=False, sort_keys=True)
        if row is None:
            connection.execute(
                insert(innovations).values(
                    id=innovation.id, data=data, content_hash=digest, source=source, imported_at=stamp, updated_at=stamp
                )
            )
            return ["added"]
        if row.content_hash == digest:
            return ["unchanged"]
        connection.execute(
            update(innovations)
            .where(innovations.c.id == innovation.id)
            .values(data=data, content_hash=digest, source=source, updated_at=stamp)
        )
        if Innovation.from_json(json.loads(row.data)).tidied().content_hash == digest:
            # Stored before the importer tidied text (doubled spaces, another Unicode form): the same
            # content to a reader, so its decisions are carried over to the tidied content's hash.
            connection.execute(
                update(decisions)
                .where(decisions.c.innovation_id == innovation.id, decisions.c.content_hash == row.content_hash)
                .values(content_hash=digest)
            )
            return ["unchanged"]
        withdrawn = self._status(connection, innovation.id, row.content_hash) is Status.APPROVED
        return ["changed", "withdrawn"] if withdrawn else ["changed"]

    @staticmethod
    def _set_fingerprint(connection: Connection, path: Path, fingerprint: str, stamp: str) -> None:
        exists = connection.scalar(select(catalogue_sources.c.path).where(catalogue_sources.c.path == str(path)))
        if exists:
            connection.execute(
                update(catalogue_sources)
                .where(catalogue_sources.c.path == str(path))
                .values(fingerprint=fingerprint, synced_at=stamp)
            )
        else:
            connection.execute(
                insert(catalogue_sources).values(path=str(path), fingerprint=fingerprint, synced_at=stamp)
            )

    @staticmethod
    def _signoff_recorded(connection: Connection, innovation_id: str, signoff: SignOff) -> bool:
        query = (
            select(func.count())
            .select_from(decisions)
            .where(
                decisions.c.innovation_id == innovation_id,
                decisions.c.decision == signoff.decision,
                decisions.c.decided_by == signoff.by,
                decisions.c.reason == SIGNOFF_REASON,
            )
        )
        if signoff.at is not None:
            query = query.where(decisions.c.decided_at == to_text(signoff.at))
        return (connection.scalar(query) or 0) > 0

    @staticmethod
    def _status(connection: Connection, innovation_id: str, digest: str) -> Status:
        latest = connection.execute(
            select(decisions.c.decision, decisions.c.content_hash)
            .where(decisions.c.innovation_id == innovation_id)
            .order_by(decisions.c.id.desc())
            .limit(1)
        ).first()
        return _status_of(latest.decision if latest else None, latest.content_hash if latest else None, digest)

    def decide(self, ids: Iterable[str], decision: str, by: str, now: datetime, reason: str | None = None) -> list[str]:
        """Record an approval or rejection of each innovation's current content; unknown ids raise."""
        ids = list(ids)
        with self.transaction() as connection:
            serialised(connection, CATALOGUE_LOCK)  # the content decided on is the content stored
            found = {
                row.id: row
                for row in connection.execute(
                    select(innovations.c.id, innovations.c.content_hash, innovations.c.retired_at).where(
                        innovations.c.id.in_(ids)
                    )
                )
            }
            missing = [identifier for identifier in ids if identifier not in found]
            if missing:
                raise NotFound(
                    _("no innovation with id {id}; see `outreach catalogue list` for the ids").format(
                        id=", ".join(missing)
                    )
                )
            for identifier in ids:
                connection.execute(
                    insert(decisions).values(
                        innovation_id=identifier,
                        decision=decision,
                        content_hash=found[identifier].content_hash,
                        decided_by=by,
                        decided_at=to_text(now),
                        reason=reason,
                    )
                )
                if found[identifier].retired_at and decision == "approved":
                    connection.execute(
                        update(innovations)
                        .where(innovations.c.id == identifier)
                        .values(retired_at=None, retired_by=None)
                    )
            _bump_catalogue_revision(connection)
        return ids

    def retire(self, identifier: str, by: str, now: datetime) -> None:
        with self.transaction() as connection:
            serialised(connection, CATALOGUE_LOCK)
            result = connection.execute(
                update(innovations).where(innovations.c.id == identifier).values(retired_at=to_text(now), retired_by=by)
            )
            if result.rowcount == 0:
                raise NotFound(
                    _("no innovation with id {id}; see `outreach catalogue list` for the ids").format(id=identifier)
                )
            _bump_catalogue_revision(connection)

    def catalogue_revision(self) -> int:
        """A number that changes whenever the catalogue or an approval changes (one cheap read)."""
        with self.transaction() as connection:
            value = connection.scalar(select(settings.c.value).where(settings.c.key == CATALOGUE_REVISION))
        return int(value) if value is not None else 0

    def catalogue(self, ids: Iterable[str] | None = None) -> list[CatalogueEntry]:
        """Every innovation (or those with ``ids``) with its standing, ordered by id."""
        with self.transaction() as connection:
            return _entries(connection, None if ids is None else list(ids))

    def about_post(self, post: Post) -> About:
        """What a post's adapter is shown besides the post, read in one transaction that takes no write lock."""
        with self.reading(), self.transaction() as connection:
            return about(connection, post)

    def decisions_of(self, identifier: str) -> list[dict[str, Any]]:
        with self.transaction() as connection:
            return [
                {**row._asdict(), "decided_at": from_text(row.decided_at)}
                for row in connection.execute(
                    select(decisions).where(decisions.c.innovation_id == identifier).order_by(decisions.c.id)
                )
            ]

    # --- web-catalogue: the office page's catalogue (issue #16) -------------------------------------------

    def catalogue_page(
        self,
        *,
        search: str = "",
        agency: str | None = None,
        status: Status | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[CatalogueEntry], int]:
        """One page of the catalogue, by name, and how many innovations match in all: the web page's list.

        Filtered and paged in SQL, so a page of 50 costs the same with 10,000 innovations. ``search`` looks
        in the name and the id (case aside); ``agency`` is compared case aside (as ``accounts.allowed`` does);
        ``status`` is worked out in SQL by the rules of ``_status_of`` (the entries returned carry it from
        ``catalogue``, the one place that builds an entry).
        """
        name = func.lower(innovation_field("nama"))  # the expressions of the indexes ``innovations_name`` and
        agency_key = func.lower(innovation_field("opd"))  # ``innovations_agency``: a page reads no JSON
        source: FromClause = innovations
        conditions: list[ColumnElement[bool]] = []
        if search.strip():
            pattern = "%" + _like_escaped(search.strip().lower()) + "%"
            conditions.append(
                or_(name.like(pattern, escape="\\"), func.lower(innovations.c.id).like(pattern, escape="\\"))
            )
        if agency:
            conditions.append(agency_key == func.lower(agency))  # the engine's own lower() on both sides
        if status is not None:  # the latest decision is joined only when the status is asked for
            latest = (
                select(decisions.c.innovation_id, func.max(decisions.c.id).label("id"))
                .group_by(decisions.c.innovation_id)
                .subquery()
            )
            source = innovations.outerjoin(latest, latest.c.innovation_id == innovations.c.id).outerjoin(
                decisions, decisions.c.id == latest.c.id
            )
            conditions.append(_status_sql() == status.value)
        with self.transaction() as connection:
            total = connection.scalar(select(func.count()).select_from(source).where(*conditions)) or 0
            ids = list(
                connection.scalars(
                    select(innovations.c.id)
                    .select_from(source)
                    .where(*conditions)
                    .order_by(name, innovations.c.id)
                    .limit(limit)
                    .offset(offset)
                )
            )
        by_id = {entry.innovation.id: entry for entry in self.catalogue(ids)} if ids else {}
        return [by_id[identifier] for identifier in ids if identifier in by_id], total

    def agencies(self) -> list[str]:
        """Every agency with an innovation in the catalogue, by name: the web page's agency filter. Kept per
        catalogue revision (one cheap read tells): reading every innovation's JSON costs ~30 ms a page."""
        revision = self.catalogue_revision()
        cached = getattr(self, "_agencies_cache", None)
        if cached is not None and cached[0] == revision:
            return list(cached[1])
        opd = innovation_field("opd")
        with self.transaction() as connection:
            found = sorted(set(connection.scalars(select(opd).distinct())), key=str.casefold)
        self._agencies_cache = (revision, tuple(found))
        return found

    def innovation_posts(self, innovation_id: str, scheduled_from: datetime, limit: int) -> list[Post]:
        """An innovation's posts from ``scheduled_from`` on, soonest first, at most ``limit`` (by the
        ``posts_innovation`` index): its page shows what is coming without reading every post."""
        query = (
            select(posts)
            .where(posts.c.innovation_id == innovation_id, posts.c.scheduled_at >= to_text(scheduled_from))
            .order_by(posts.c.scheduled_at, posts.c.id)
            .limit(limit)
        )
        with self.transaction() as connection:
            return [post_of_row(row) for row in connection.execute(query)]

    # ---- web-perf: names without decoding the whole catalogue --------------------------------------

    def innovation_labels(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Each existing innovation of ``ids`` → (name, agency), read in SQL: a page that only shows names (the
        calendar, the replies) need not decode and keep the whole catalogue (10,000 entries are ~30 MB)."""
        wanted = sorted(set(ids))
        found: dict[str, tuple[str, str]] = {}
        with self.transaction() as connection:
            for start in range(0, len(wanted), 500):  # below SQLite's limit of bound parameters
                query = select(innovations.c.id, innovation_field("nama"), innovation_field("opd")).where(
                    innovations.c.id.in_(wanted[start : start + 500])
                )
                found.update((row[0], (row[1] or "", row[2] or "")) for row in connection.execute(query))
        return found


def _status_of(decision: str | None, decided_hash: str | None, current_hash: str) -> Status:
    if decision is None:
        return Status.DRAFT
    if decided_hash != current_hash:
        return Status.CHANGED if decision == "approved" else Status.DRAFT
    return Status.APPROVED if decision == "approved" else Status.REJECTED


def _like_escaped(text: str) -> str:
    """``text`` matched literally by LIKE (``%`` and ``_`` in a search are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _bump_catalogue_revision(connection: Connection) -> None:
    current = connection.scalar(select(settings.c.value).where(settings.c.key == CATALOGUE_REVISION))
    _put_setting(connection, CATALOGUE_REVISION, int(current or 0) + 1)


def _status_sql() -> Any:
    """An innovation's status in SQL, by the rules of ``_status_of`` (tests hold the two in step): over the
    innovation joined with its latest decision, so the web page filters 10,000 innovations without loading them."""
    return case(
        (innovations.c.retired_at.is_not(None), Status.RETIRED.value),
        (decisions.c.decision.is_(None), Status.DRAFT.value),
        (
            decisions.c.content_hash != innovations.c.content_hash,
            case((decisions.c.decision == "approved", Status.CHANGED.value), else_=Status.DRAFT.value),
        ),
        (decisions.c.decision == "approved", Status.APPROVED.value),
        else_=Status.REJECTED.value,
    )


class About(NamedTuple):
    """What an adapter is shown besides the post: the innovation it is about (None: gone, or an operator's
    announcement, which has none) and when the post was first claimed (None: never), which bounds the
    adapter's look-up of what it may already have published."""

    innovation: CatalogueEntry | None
    first_attempt: datetime | None


def about(connection: Connection, post: Post) -> About:
    """``About`` a post, read in the caller's transaction: a claim reads it with the post it claims."""
    if post.innovation_id != ANNOUNCEMENT_ID:
        row = connection.execute(_ABOUT, {"innovation_id": post.innovation_id, "post_id": post.id}).first()
        if row is not None:
            decided = row.decision is not None
            decision = Decision(row.decision, row.decided_hash, row.decided_by, row.decided_at, row.reason)
            return About(_entry(row, decision if decided else None), from_text(row.first_attempt))
    return About(None, first_attempt(connection, post.id))


class Decision(NamedTuple):
    """The columns of a ``decisions`` row that an entry shows."""

    decision: str
    content_hash: str
    decided_by: str
    decided_at: str
    reason: str | None


def _entries(connection: Connection, wanted: list[str] | None) -> list[CatalogueEntry]:
    """The catalogue's entries (those with ids ``wanted``, None: all) with their standing, ordered by id."""
    latest_query = select(func.max(decisions.c.id).label("id")).group_by(decisions.c.innovation_id)
    rows_query = select(innovations).order_by(innovations.c.id)
    if wanted is not None:
        latest_query = latest_query.where(decisions.c.innovation_id.in_(wanted))
        rows_query = rows_query.where(innovations.c.id.in_(wanted))
    latest_ids = latest_query.subquery()
    latest = {
        row.innovation_id: row
        for row in connection.execute(select(decisions).where(decisions.c.id.in_(select(latest_ids.c.id))))
    }
    return [_entry(row, latest.get(row.id)) for row in connection.execute(rows_query)]


def _entry(row: Any, decision: Any) -> CatalogueEntry:
    """An ``innovations`` row with its latest decision (None: never decided) as the catalogue's entry."""
    if row.retired_at:
        status = Status.RETIRED
    else:
        status = _status_of(
            decision.decision if decision else None,
            decision.content_hash if decision else None,
            row.content_hash,
        )
    return CatalogueEntry(
        innovation=Innovation.from_json(json.loads(row.data)),
        status=status,
        decided_by=row.retired_by if row.retired_at else (decision.decided_by if decision else None),
        decided_at=from_text(row.retired_at or (decision.decided_at if decision else None)),
        reason=decision.reason if decision and not row.retired_at else None,
        source=row.source,
    )
