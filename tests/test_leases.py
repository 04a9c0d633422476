"""Leases: many workers on one store, each post claimed once, each channel one post at a time, and a
``publishing`` post settled as an orphan only once its worker stopped renewing it.

Each worker is a Workspace of its own (its own Store object, its own worker id) on the same database;
the channels are loopback webhook receivers that count requests in flight (tests/lanes_helpers.py).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outreach.app import Workspace
from outreach.clock import FixedClock, SystemClock
from outreach.errors import StateConflict
from outreach.model import PostState
from outreach.operations import PAUSE_SETTING
from outreach.outbox import Operation
from outreach.publisher import Publisher
from outreach.store import Lease, Store, worker_spread
from tests.lanes_helpers import lanes_project, open_workspace, webhook_channels, write_due_posts

EIGHT = [f"kanal{number}" for number in range(1, 9)]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_two_workers_publish_200_posts_over_8_channels_each_exactly_once(tmp_path: Path, store_url: str) -> None:
    with webhook_channels(dict.fromkeys(EIGHT, 0.01)) as channels:
        config = lanes_project(tmp_path, channels, store_url)
        first, second = (open_workspace(config, channels, SystemClock()) for _ in range(2))
        posts = write_due_posts(first, EIGHT, 25, _now())
        assert len(posts) == 200
        workers = [first.publisher(), second.publisher()]
        assert workers[0].worker != workers[1].worker
        outcomes: dict[str, list] = {}
        threads = [
            threading.Thread(target=lambda w=worker: outcomes.setdefault(w.worker, w.publish_due()))
            for worker in workers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        settled = first.store.posts()
        first.close()
        second.close()
    assert len(outcomes) == 2
    ids = Counter(outcome.post_id for run in outcomes.values() for outcome in run)
    assert set(ids.values()) == {1} and len(ids) == 200  # every post settled once, by one worker
    assert {post.state for post in settled} == {PostState.PUBLISHED}
    assert channels.created() == dict.fromkeys(EIGHT, 25)  # each post went out once
    keys = Counter(event["post_key"] for fake in channels.fakes.values() for event in fake.created)
    assert set(keys.values()) == {1}
    assert channels.overlap.most == dict.fromkeys(EIGHT, 1)  # never two posts of a channel at once


def test_a_post_whose_worker_renews_its_lease_is_never_settled_by_another(tmp_path: Path, store_url: str) -> None:
    with webhook_channels({"kanal1": 2.5}) as channels:
        config = lanes_project(tmp_path, channels, store_url)
        alive, other = (open_workspace(config, channels, SystemClock()) for _ in range(2))
        [post] = write_due_posts(alive, ["kanal1"], 1, _now())
        short = timedelta(seconds=0.6)  # without renewals it would run out four times during the call
        publishing = _publisher(alive, short)
        running = threading.Thread(target=publishing.publish_due)
        running.start()
        settled_by_other = []
        seen_publishing = False
        while running.is_alive():
            seen_publishing |= other.store.post(post.id).state is PostState.PUBLISHING
            settled_by_other += _publisher(other, short).settle_orphans()
            running.join(timeout=0.1)
        final = other.store.post(post.id)
        alive.close()
        other.close()
    assert seen_publishing
    assert settled_by_other == []
    assert final.state is PostState.PUBLISHED and channels.created() == {"kanal1": 1}


def test_a_post_whose_worker_stopped_renewing_is_settled_after_its_lease(tmp_path: Path, store_url: str) -> None:
    with webhook_channels({"kanal1": 0.0}) as channels:
        config = lanes_project(tmp_path, channels, store_url)
        clock = FixedClock(_now())
        ws = open_workspace(config, channels, clock)
        write_due_posts(ws, ["kanal1"], 2, clock.now())
        # A worker takes the lane and claims a post, then dies (SIGKILL: no renewal, no outcome).
        dead = Lease("elsewhere:4242:dead", clock.now() + timedelta(seconds=60))
        taken = ws.store.claim_to_publish(clock.now(), PAUSE_SETTING, "kanal1", dead)
        assert taken is not None
        claimed, _about = taken
        survivor = ws.publisher()
        assert survivor.settle_orphans() == []  # its lease still runs
        assert survivor.publish_due() == []  # and so does its lane: nobody else publishes on the channel
        assert ws.store.post(claimed.id).state is PostState.PUBLISHING

        clock.advance(timedelta(seconds=61))
        [orphan] = survivor.settle_orphans()
        after = survivor.publish_due()
        settled = ws.store.post(claimed.id)
        ws.close()
    assert orphan.post_id == claimed.id and orphan.state is settled.state
    assert settled.state is PostState.UNKNOWN and "interrupted" in settled.reason  # a webhook cannot look it up
    assert [outcome.state for outcome in after] == [PostState.PUBLISHED]  # the lane was taken over
    assert channels.created() == {"kanal1": 1}


def test_a_lane_is_one_workers_until_its_lease_runs_out(any_store: Store) -> None:
    now = _now()
    _due(any_store, "kanal1", 5, now)
    _due(any_store, "kanal2", 1, now)
    first = Lease("a:1:one", now + timedelta(seconds=60))
    second = Lease("b:2:two", now + timedelta(seconds=60))
    assert _claims(any_store, now, "kanal1", first)
    assert not _claims(any_store, now, "kanal1", second)  # the first worker's lane
    assert _claims(any_store, now, "kanal2", second)
    assert _claims(any_store, now, "kanal1", first)  # its own, taken again
    later = now + timedelta(seconds=61)
    first, second = (Lease(lease.worker, later + timedelta(seconds=60)) for lease in (first, second))
    assert _claims(any_store, later, "kanal1", second)  # the first's lease ran out: the lane goes to the second
    assert not _claims(any_store, later, "kanal1", first)  # the first worker lost it: it claims nothing more there
    any_store.release_lane("kanal1", first.worker)  # not its lane any more: nothing changes
    assert not _claims(any_store, later, "kanal1", first)
    any_store.release_lane("kanal1", second.worker)
    assert _claims(any_store, later, "kanal1", first)


def _claims(store: Store, now: datetime, channel: str, lease: Lease) -> bool:
    """Whether ``lease``'s worker claims a post of ``channel`` (taking its lane) at ``now``."""
    return store.claim_to_publish(now, PAUSE_SETTING, channel, lease) is not None


def _publisher(ws: Workspace, lease: timedelta) -> Publisher:
    return Publisher(
        ws.store,
        ws.adapter,
        ws.clock,
        ws.config.publishing,
        outgoing=ws.planning.outgoing,
        language_gate=ws.planning.blocked_by_language,
        lease=lease,
    )


def test_a_stalled_workers_late_outcome_is_refused_once_another_claimed_the_post(any_store: Store) -> None:
    """A worker that stalled past its lease comes back after another worker took the post over: its
    outcome must not land on the other's claim (that claim's own outcome is the one to record)."""
    now = _now()
    _due(any_store, "kanal1", 1, now)
    stalled = Lease("a:1:stalled", now + timedelta(seconds=60))
    taken = any_store.claim_to_publish(now, PAUSE_SETTING, "kanal1", stalled)
    assert taken is not None
    post, _about = taken
    later = now + timedelta(seconds=61)  # the lease ran out: another worker settled it (not published) and retries
    settler = Lease("c:3:settler", later + timedelta(seconds=60))
    [orphan] = any_store.take_orphans(settler, later)
    any_store.transition(
        orphan.id, Operation.DEFER, later, "reconciled: not published", due_at=later, owner=settler.worker
    )
    taker = Lease("b:2:taker", later + timedelta(seconds=60))
    assert _claims(any_store, later, "kanal1", taker)

    with pytest.raises(StateConflict, match="another worker"):
        any_store.transition(post.id, Operation.PUBLISHED, later, "published", expect=PostState.PUBLISHING,
                             owner=stalled.worker)  # fmt: skip
    assert any_store.transition(post.id, Operation.PUBLISHED, later, "published", owner=taker.worker) is (
        PostState.PUBLISHED
    )


def test_an_orphan_is_settled_by_one_worker_and_a_stalled_settlement_cannot_undo_a_new_claim(any_store: Store) -> None:
    """Two workers find the same orphan: the first takes it over under its own lease, the second finds
    nothing. If the first then stalls past that lease while asking the platform, a third settles the post
    and a fourth claims it again; the first's late settlement must not move the fourth's live claim."""
    now = _now()
    _due(any_store, "kanal1", 1, now)
    dead = Lease("a:1:dead", now + timedelta(seconds=60))
    assert _claims(any_store, now, "kanal1", dead)
    later = now + timedelta(seconds=61)
    slow = Lease("b:2:slow", later + timedelta(seconds=60))
    [orphan] = any_store.take_orphans(slow, later)
    assert any_store.take_orphans(Lease("c:3:other", later + timedelta(seconds=60)), later) == []
    assert any_store.post(orphan.id).state is PostState.PUBLISHING  # still, and now under the slow settler's lease

    much_later = later + timedelta(seconds=61)  # the slow settler stalled past its own lease
    quick = Lease("c:3:quick", much_later + timedelta(seconds=60))
    [again] = any_store.take_orphans(quick, much_later)
    any_store.transition(again.id, Operation.DEFER, much_later, "not published", due_at=much_later, owner=quick.worker)
    claimer = Lease("d:4:claimer", much_later + timedelta(seconds=60))
    assert _claims(any_store, much_later, "kanal1", claimer)

    with pytest.raises(StateConflict, match="another worker"):
        any_store.transition(orphan.id, Operation.DEFER, much_later, "not published", due_at=much_later,
                             expect=PostState.PUBLISHING, owner=slow.worker)  # fmt: skip
    assert any_store.post(orphan.id).state is PostState.PUBLISHING  # the claimer's claim stands


def _due(store: Store, channel: str, count: int, now: datetime, first: int = 0) -> list[int]:
    """``count`` posts of ``channel`` due before ``now``, in order, numbered from ``first``; the channel's posts' ids."""
    store.apply_plan(
        [{"key": f"k-{channel}-{number}", "campaign": "c", "channel": channel, "innovation_id": "i",
          "kind": "perkenalan", "scheduled_at": now - timedelta(minutes=first + count - number),
          "text": f"Halo {number}"}
         for number in range(first, first + count)],
        [],
        now,
    )  # fmt: skip
    return [post.id for post in store.posts() if post.channel == channel]


def test_a_claim_takes_the_lane_and_the_claim_that_finds_nothing_gives_it_back(any_store: Store) -> None:
    """One transaction takes a channel's lane and claims its post; the lane's last claim releases it."""
    now = _now()
    first_id, second_id = _due(any_store, "kanal1", 2, now)
    one = Lease("a:1:one", now + timedelta(seconds=60))
    other = Lease("b:2:two", now + timedelta(seconds=60))
    first = any_store.claim_to_publish(now, PAUSE_SETTING, "kanal1", one)  # the claim took the lane
    assert first is not None and first[0].id == first_id
    assert not _claims(any_store, now, "kanal1", other)  # a post is due, but the lane is one's
    any_store.transition(first_id, Operation.PUBLISHED, now, "published", owner=one.worker)
    second = any_store.claim_to_publish(now, PAUSE_SETTING, "kanal1", one)
    assert second is not None and second[0].id == second_id and second[0].attempts == 1
    any_store.transition(second_id, Operation.PUBLISHED, now, "published", owner=one.worker)
    assert not _claims(any_store, now, "kanal1", one)  # nothing left: the lane goes back
    _due(any_store, "kanal1", 1, now, first=2)
    assert _claims(any_store, now, "kanal1", other)  # within one's lease: the lane was given back, not lost


def test_a_paused_store_claims_nothing_and_the_lane_goes_back_with_the_post_left_planned(any_store: Store) -> None:
    now = _now()
    first_id, second_id = _due(any_store, "kanal1", 2, now)
    one = Lease("a:1:one", now + timedelta(seconds=60))
    assert _claims(any_store, now, "kanal1", one)
    any_store.transition(first_id, Operation.PUBLISHED, now, "published", owner=one.worker)
    any_store.set_setting(PAUSE_SETTING, {"reason": "Hari berkabung", "at": "now", "by": "test"})
    assert not _claims(any_store, now, "kanal1", one)
    left = any_store.post(second_id)
    assert left.state is PostState.PLANNED and left.attempts == 0
    any_store.set_setting(PAUSE_SETTING, None)
    assert _claims(any_store, now, "kanal1", Lease("b:2:two", now + timedelta(seconds=60)))  # the lane went back
    _due(any_store, "kanal1", 1, now, first=2)
    assert not _claims(any_store, now, "kanal1", one)  # a post is due, but the lane is b's now


def test_a_claim_on_a_lane_past_its_lease_takes_it_over_and_the_posts_carry_the_new_lease(any_store: Store) -> None:
    now = _now()
    first_id, post_id = _due(any_store, "kanal1", 2, now)
    dead = Lease("a:1:dead", now + timedelta(seconds=60))
    assert _claims(any_store, now, "kanal1", dead)  # the lane taken with the first post, then its worker died
    any_store.transition(first_id, Operation.PUBLISHED, now, "published", owner=dead.worker)
    later = now + timedelta(seconds=61)
    taker = Lease("b:2:taker", later + timedelta(seconds=60))
    taken = any_store.claim_to_publish(later, PAUSE_SETTING, "kanal1", taker)
    assert taken is not None
    claimed, _about = taken
    assert claimed.id == post_id and claimed.state is PostState.PUBLISHING
    assert (
        any_store.take_orphans(Lease("c:3:other", later + timedelta(seconds=120)), later + timedelta(seconds=59)) == []
    )  # the claim carries the taker's lease
    _due(any_store, "kanal1", 1, later, first=2)
    assert not _claims(any_store, later, "kanal1", Lease(dead.worker, later + timedelta(seconds=60)))  # and the lane


def test_workers_read_a_bursts_channels_in_orders_of_their_own_earliest_due_still_first(any_store: Store) -> None:
    """Workers that read the channels due at once must not all start on the same few (each would try to
    take what another already holds); the order planned stays for spread 1, and an earlier post comes first."""
    now = _now()
    burst = [f"kanal{number:03}" for number in range(200)]
    for channel in burst:
        _due(any_store, channel, 1, now)
    _due(any_store, "dulu", 2, now - timedelta(minutes=5))  # due earlier than the burst
    planned = any_store.due_channels(now, limit=33)
    assert planned == ["dulu", *burst[:32]]
    firsts = [any_store.due_channels(now, limit=33, spread=worker_spread(f"mesin-{n}:1:abc")) for n in range(4)]
    assert all(first[0] == "dulu" for first in firsts)
    overlap = max(len(set(a[1:]) & set(b[1:])) for i, a in enumerate(firsts) for b in firsts[i + 1 :])
    assert overlap <= 16, overlap  # four workers' first 32: far apart (the same 32 each without a spread)
