"""Lanes: a slot's channels go out at once, each channel one post at a time, on both engines.

Webhook channels, each on its own loopback receiver with a delay, which counts the requests it
answers at once (tests/lanes_helpers.py); the store is a real SQLite file or PostgreSQL database.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from outreach.clock import FixedClock
from outreach.config import load_config
from outreach.errors import ConfigError
from outreach.model import PostState
from outreach.operations import PAUSE_SETTING
from tests.engine_helpers import round_trips, set_now, trace_connections
from tests.fakeplatform.server import Fault
from tests.lanes_helpers import lanes_project, open_workspace, timed, webhook_channels, write_due_posts

EIGHT = [f"kanal{number}" for number in range(1, 9)]


def _now() -> datetime:
    """The real time: the webhook receiver refuses a signature stamped far from it."""
    return datetime.now(UTC).replace(microsecond=0)


def test_eight_slow_channels_take_about_the_slowest_not_the_sum(tmp_path: Path, store_url: str) -> None:
    latencies = dict.fromkeys(EIGHT, 1.0)
    with webhook_channels(latencies) as channels:
        ws = open_workspace(lanes_project(tmp_path, channels, store_url), channels, FixedClock(_now()))
        write_due_posts(ws, EIGHT, 1, ws.now())
        outcomes, seconds = timed(ws.publisher().publish_due)
        ws.close()
    assert sorted(outcome.state.value for outcome in outcomes) == ["published"] * 8
    assert channels.created() == dict.fromkeys(EIGHT, 1)
    # One after another this is 8 s at least; side by side about 1 s (a shared, noisy 2-core machine: 4 s).
    assert seconds < 4.0, f"8 channels of 1 s took {seconds:.1f} s"
    assert channels.overlap.most_total >= 2


def test_no_two_posts_of_one_channel_are_ever_in_flight_at_once(tmp_path: Path, store_url: str) -> None:
    names = EIGHT[:4]
    with webhook_channels(dict.fromkeys(names, 0.2)) as channels:
        ws = open_workspace(lanes_project(tmp_path, channels, store_url), channels, FixedClock(_now()))
        write_due_posts(ws, names, 4, ws.now())
        outcomes = ws.publisher().publish_due()
        ws.close()
    assert [outcome.state for outcome in outcomes] == [PostState.PUBLISHED] * 16
    assert channels.created() == dict.fromkeys(names, 4)
    assert channels.overlap.most == dict.fromkeys(names, 1)
    assert channels.overlap.most_total >= 2  # the channels did run side by side


def test_pause_mid_slot_stops_every_lane_before_its_next_claim(tmp_path: Path, store_url: str) -> None:
    names = EIGHT[:4]
    with webhook_channels(dict.fromkeys(names, 0.3)) as channels:
        ws = open_workspace(lanes_project(tmp_path, channels, store_url), channels, FixedClock(_now()))
        write_due_posts(ws, names, 3, ws.now())

        paused = threading.Lock()

        def pause() -> None:
            if paused.acquire(blocking=False):  # once: the operator's one `outreach pause`
                ws.store.set_setting(PAUSE_SETTING, {"reason": "Hari berkabung", "at": "now", "by": "test"})

        channels.overlap.on_arrival = pause  # the first post to arrive pauses: every lane has one in flight at most
        outcomes = ws.publisher().publish_due()
        posts = ws.store.posts()
        lanes_free = ws.store.due_channels(ws.now())  # a channel whose lane is still held is not listed
        ws.close()
    published = [post for post in posts if post.state is PostState.PUBLISHED]
    assert 1 <= len(published) == len(outcomes) <= len(names)  # at most the post each lane had in flight
    assert max(channels.created().values()) == 1
    assert len([post for post in posts if post.state is PostState.PLANNED]) == 12 - len(published)
    assert sorted(lanes_free) == names  # every lane given back (with the outcome that found the pause)


def test_stop_stops_every_lane_after_its_post_in_flight(tmp_path: Path, store_url: str) -> None:
    names = EIGHT[:4]
    with webhook_channels(dict.fromkeys(names, 0.3)) as channels:
        ws = open_workspace(lanes_project(tmp_path, channels, store_url), channels, FixedClock(_now()))
        write_due_posts(ws, names, 3, ws.now())
        publisher = ws.publisher()
        channels.overlap.on_arrival = publisher.stop.set
        outcomes = publisher.publish_due()
        posts = ws.store.posts()
        lanes_free = ws.store.due_channels(ws.now())
        ws.close()
    assert 1 <= len(outcomes) <= len(names)
    assert {outcome.state for outcome in outcomes} == {PostState.PUBLISHED}
    assert max(channels.created().values()) == 1
    assert not [post for post in posts if post.state is PostState.PUBLISHING]  # no next post claimed and left
    assert sorted(lanes_free) == names


def test_a_lane_records_each_outcome_and_its_next_claim_in_one_transaction(tmp_path: Path, store_url: str) -> None:
    """Five posts on one channel: the first claim, then each outcome with the next claim (the last finding none
    and giving the lane back): six transactions write events, not ten — and each claim is still committed
    before its post goes out (the receiver is asked only for posts whose claim the store already holds)."""
    with webhook_channels({"kanal1": 0.0}) as channels:
        ws = open_workspace(lanes_project(tmp_path, channels, store_url), channels, FixedClock(_now()))
        written = write_due_posts(ws, ["kanal1"], 5, ws.now())
        writing: dict[int, bool] = {}
        committed_events = []

        def executed(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "INSERT INTO POST_EVENTS" in statement.upper():  # alone, or with its move (PostgreSQL)
                writing[id(connection)] = True

        def committed(connection: Any) -> None:
            if writing.pop(id(connection), False):
                committed_events.append(1)

        event.listen(ws.store.engine, "before_cursor_execute", executed)
        event.listen(ws.store.engine, "commit", committed)
        claimed_when_sent = []
        channels.overlap.on_arrival = lambda: claimed_when_sent.append(
            sorted(post.id for post in ws.store.posts([PostState.PUBLISHING]))
        )
        outcomes = ws.publisher().publish_due()
        ws.close()
    assert [outcome.state for outcome in outcomes] == [PostState.PUBLISHED] * 5
    assert len(committed_events) == 6
    assert claimed_when_sent == [[post.id] for post in written]  # each one claimed (committed) as it went out


def test_a_rate_limited_channel_does_not_hold_up_the_others(tmp_path: Path, store_url: str) -> None:
    with webhook_channels(dict.fromkeys(EIGHT, 0.3)) as channels:
        ws = open_workspace(lanes_project(tmp_path, channels, store_url), channels, FixedClock(_now()))
        write_due_posts(ws, EIGHT, 2, ws.now())
        limited = channels.fakes["kanal3"]
        limited.server.inject(Fault("status", path=".*", times=10, response=limited.rate_limit_response(600)))
        outcomes, seconds = timed(ws.publisher().publish_due)
        posts = {post.id: post for post in ws.store.posts()}
        ws.close()
    assert channels.created() == {name: 0 if name == "kanal3" else 2 for name in EIGHT}
    waiting = [posts[outcome.post_id] for outcome in outcomes if outcome.state is PostState.PLANNED]
    assert {post.channel for post in waiting} == {"kanal3"}
    assert all(post.due_at >= ws.now() + timedelta(seconds=600) for post in waiting)
    assert seconds < 3.0, f"two posts on 8 channels of 0.3 s took {seconds:.1f} s"


def test_a_held_channel_waits_while_the_others_go_out(tmp_path: Path, store_url: str) -> None:
    with webhook_channels(dict.fromkeys(EIGHT[:3], 0.1)) as channels:
        ws = open_workspace(lanes_project(tmp_path, channels, store_url), channels, FixedClock(_now()))
        write_due_posts(ws, EIGHT[:3], 2, ws.now())
        channels.fakes["kanal2"].expire_token()  # the receiver's secret was rotated: every post refused
        ws.holds.hold("kanal2", "the receiver's secret changed")
        outcomes = ws.publisher().publish_due()
        set_now(ws, ws.now() + timedelta(minutes=1))
        again = ws.publisher().publish_due()
        ws.close()
    assert channels.created() == {"kanal1": 2, "kanal2": 0, "kanal3": 2}
    assert len(outcomes) == 4 and again == []


def test_parallel_channels_is_checked_like_the_other_publishing_settings(tmp_path: Path) -> None:
    with webhook_channels({"kanal1": 0.0}) as channels:
        config = lanes_project(tmp_path, channels, "outreach.sqlite3", parallel_channels=0)
        with pytest.raises(ConfigError, match="parallel_channels"):
            load_config(config, environ={})


def test_a_lanes_posts_cost_few_round_trips_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    """On PostgreSQL a round trip is most of what the store costs a post, so they are counted (libpq's trace):
    a post in a lane takes seven — BEGIN, its outcome with its event, the next due post, the lane, the next
    claim with its event, what its adapter is shown, COMMIT — with no test of the connection first."""
    with webhook_channels({"kanal1": 0.0}) as channels:
        ws = open_workspace(lanes_project(tmp_path, channels, postgres_url), channels, FixedClock(_now()))
        write_due_posts(ws, ["kanal1"], 5, ws.now())
        trace = tmp_path / "libpq.trace"
        trace_connections(ws.store, trace)
        outcomes = ws.publisher().publish_due()
        ws.close()
    assert [outcome.state for outcome in outcomes] == [PostState.PUBLISHED] * 5
    trips = [trip for trip in round_trips(trace) if not trip.startswith("prepare: ")]
    first_claim = trips.index("SELECT posts.id ") - 1  # its BEGIN
    lane_given_back = next(i for i, trip in enumerate(trips) if trip.startswith("DELETE FROM channel_lanes"))
    lane = trips[first_claim : lane_given_back + 2]  # to its COMMIT
    assert lane.count("BEGIN") == 6 and lane[-1] == "COMMIT", lane
    assert len(lane) <= 6 + 4 * 7 + 6, lane  # the first claim; four outcomes with a claim each; the last outcome
    assert not [trip for trip in trips if trip in {";", "SELECT 1"} or trip.startswith("INSERT INTO post_events")]
