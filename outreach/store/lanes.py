"""Channel lanes and claim leases: how many workers share one store, each channel one post at a time.

A worker publishes a channel's posts only while it holds the channel's lane (a row of
``channel_lanes``) with a lease it renews; the posts it claims carry the same lease. Taking a lane
is one conditional write (insert when free, else take it over only if ours or expired), so two
workers never both hold one: on PostgreSQL the second writer waits for the first's row lock and
then finds the lease no longer past; on SQLite every transaction holds the one write lock.
Times are the workers' clocks (``to_text``), so the machines must keep time (NTP): a lease of a
minute tolerates seconds of skew.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Connection, bindparam, cast, delete, func, or_, select, update

from ..model import Post, PostState
from .base import StoreBase
from .claims import post_of_row
from .schema import channel_lanes, posts, to_text

#: A prime above every post id: ``(id × spread) mod`` it orders a worker's channels due at one moment.
SPREAD_MODULUS = 2_147_483_647


def worker_spread(worker: str) -> int:
    """A worker's own order of the channels due at one moment (``due_channels``), from its name."""
    return 1 + zlib.crc32(worker.encode()) % (SPREAD_MODULUS - 1)


class Lease(NamedTuple):
    """Who holds a lane or a claim, and until when it counts as alive without a renewal."""

    worker: str
    until: datetime


class LanesStore(StoreBase):
    """Lanes of channels and leases of claims, over both engines with one code path."""

    def due_channels(
        self, now: datetime, skip: Iterable[str] = (), limit: int | None = None, spread: int = 1
    ) -> list[str]:
        """Channels with a post due now that no other worker's live lane holds, earliest due first; the first
        ``limit`` of them.

        Among channels due at the same moment, ``spread`` picks the order: 1 is the order planned; a worker
        sharing the store passes a number of its own (``worker_spread``), so that workers reading at once
        start on different channels of a burst instead of all on the same few, each taking what another
        already holds.
        """
        stamp = to_text(now)
        taken = select(channel_lanes.c.channel).where(channel_lanes.c.lease_until >= stamp)
        query = (
            select(posts.c.channel)
            .where(
                posts.c.state == PostState.PLANNED.value,
                posts.c.due_at <= stamp,
                posts.c.channel.not_in(list(skip)),
                posts.c.channel.not_in(taken),
            )
            .group_by(posts.c.channel)
            .order_by(func.min(posts.c.due_at), (cast(func.min(posts.c.id), BigInteger) * spread) % SPREAD_MODULUS)
            .limit(limit)
        )
        with self.transaction() as connection:
            return list(connection.scalars(query))

    def release_lane(self, channel: str, worker: str) -> None:
        """Give a lane back (nothing left due on it), if it is still ours."""
        with self.transaction() as connection:
            release(connection, channel, worker)

    def release_lanes_of_others(self, worker: str) -> int:
        """Free every lane not ``worker``'s: at the start of a store's only worker (SQLite's file lock),
        the others are its own earlier life's, and its channels need not wait for their leases to run out."""
        with self.transaction() as connection:
            return int(connection.execute(delete(channel_lanes).where(channel_lanes.c.worker != worker)).rowcount or 0)

    def renew(self, lease: Lease) -> int:
        """Extend every lane and every ``publishing`` claim of ``lease.worker`` to ``lease.until``; how many.

        Lanes and claims in transactions of their own: a lane's outcome holds its post and then takes its lane
        again to claim the next post, so a renewal that held the lanes while it waited for that post's row would
        close a cycle (PostgreSQL's deadlock detector then fails one of the two).
        """
        until = to_text(lease.until)
        with self.transaction() as connection:
            lanes = connection.execute(_RENEW_LANES, {"holder": lease.worker, "until": until}).rowcount
        with self.transaction() as connection:
            claims = connection.execute(_RENEW_CLAIMS, {"holder": lease.worker, "until": until}).rowcount
        return int(lanes or 0) + int(claims or 0)

    def take_orphans(self, lease: Lease, now: datetime, every: bool = False) -> list[Post]:
        """Take over the posts in ``publishing`` whose lease is past (their worker stopped renewing: it died),
        or that carry none (claimed without one), under ``lease``; with ``every``, all of them (one worker per
        store, at its start).

        Taken, not just read: two workers never settle one orphan, and a settlement that outlives its own
        lease is refused once another worker has taken the post since (the outcome's owner check). Rows
        another transaction holds are skipped (they are being claimed or settled right now).
        """
        found = select(posts.c.id).where(posts.c.state == PostState.PUBLISHING.value)
        if not every:
            found = found.where(or_(posts.c.lease_until.is_(None), posts.c.lease_until < to_text(now)))
        with self.transaction() as connection:
            ids = list(connection.scalars(found.with_for_update(skip_locked=True)))
            if not ids:
                return []
            connection.execute(
                update(posts)
                .where(posts.c.id.in_(ids))
                .values(claimed_by=lease.worker, lease_until=to_text(lease.until))
            )
            return [
                post_of_row(row)
                for row in connection.execute(select(posts).where(posts.c.id.in_(ids)).order_by(posts.c.id))
            ]


@cache
def _take_statement(engine: str) -> Any:
    """A lane taken in one statement, which both engines speak: inserted if free, else taken over if ours or past its
    lease (INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING: a row back means taken).

    Built once per engine, from that engine's own dialect: the other's module is never imported (PostgreSQL's
    costs a SQLite process 1.9 MB)."""
    dialect = importlib.import_module(f"sqlalchemy.dialects.{engine}")
    inserted = dialect.insert(channel_lanes).values(
        channel=bindparam("lane"), worker=bindparam("holder"), lease_until=bindparam("until")
    )
    return inserted.on_conflict_do_update(
        index_elements=["channel"],
        set_={"worker": inserted.excluded.worker, "lease_until": inserted.excluded.lease_until},
        where=or_(channel_lanes.c.worker == bindparam("holder"), channel_lanes.c.lease_until < bindparam("now")),
    ).returning(channel_lanes.c.channel)


#: The lane statements of every claim, built once (``claims`` says why): take (above), renew, give back.
_RENEW_LANES = (
    update(channel_lanes).where(channel_lanes.c.worker == bindparam("holder")).values(lease_until=bindparam("until"))
)
_RENEW_CLAIMS = (
    update(posts)
    .where(posts.c.claimed_by == bindparam("holder"), posts.c.state == PostState.PUBLISHING.value)
    .values(lease_until=bindparam("until"))
)
_RELEASE = delete(channel_lanes).where(
    channel_lanes.c.channel == bindparam("lane"), channel_lanes.c.worker == bindparam("holder")
)


def take_lane(connection: Connection, channel: str, lease: Lease, stamp: str) -> bool:
    """Take ``channel``'s lane for ``lease`` if it is already ours, its holder's lease is past, or it is free.

    A conditional write, not a read: a takeover racing with another worker's claim waits for its row
    lock, then sees the lease that claim extended and gives up (ON CONFLICT DO UPDATE judges its WHERE on the
    row's latest version; on PostgreSQL a lane not taken stays locked until this transaction ends).
    """
    values = {"lane": channel, "holder": lease.worker, "until": to_text(lease.until), "now": stamp}
    return connection.execute(_take_statement(connection.dialect.name), values).first() is not None


def release(connection: Connection, channel: str, worker: str) -> None:
    """Delete ``channel``'s lane if ``worker`` holds it (a lane another worker took over is not ours to free)."""
    connection.execute(_RELEASE, {"lane": channel, "holder": worker})
