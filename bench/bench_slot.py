"""Benchmark: one node, one 8-channel slot through the real adapters — the last post out against the slowest channel.

Run:  python bench/bench_slot.py [--store sqlite|postgresql] [--rounds N] [--parallel-channels N]

Eight channels, each on its own loopback fake (``tests/fakeplatform``) that answers every request after the
platform's latency: X 600 ms, Facebook 800 ms, Instagram a container that takes 3 s to create (then the
status poll and the publish), Bluesky 300 ms per request (a post is two: the session, then the record), Mastodon
400 ms, Telegram 300 ms, a webhook 100 ms, and the local file channel. Text posts, except Instagram's, which
needs its image (served from the fake's "city website").

First a warm-up post on every channel (connections opened, Bluesky's session made, as in a running daemon),
then, for ``--rounds`` rounds: each channel alone (one post due on it only: that channel's own time), then
the slot (one post due on every channel at once) through ``Publisher.publish_due`` on one Workspace. The
slot's time is until its last post was recorded ``published``. Target: ≤ 1.5 × the slowest channel's own
time (one post after another it was the sum). ``--store postgresql`` uses a fresh database on the test
server (``$OUTREACH_TEST_POSTGRES``, default 127.0.0.1:5432), dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

TARGET_RATIO = 1.5
CAMPAIGN = "kenali-inovasi"
#: Seconds every request to the channel's fake waits before it is answered.
LATENCIES = {
    "x": 0.6,
    "facebook": 0.8,
    "instagram": 0.0,
    "bluesky": 0.3,
    "mastodon": 0.4,
    "telegram": 0.3,
    "webhook": 0.1,
    "file": 0.0,
}
#: Seconds Instagram takes to create a media container.
CONTAINER_SECONDS = 3.0


def start_fakes() -> dict[str, Any]:
    """One started fake per platform channel, each on its own loopback server with its latency."""
    from tests.fakeplatform.bluesky import BlueskyFake
    from tests.fakeplatform.facebook import FacebookFake
    from tests.fakeplatform.instagram import InstagramFake
    from tests.fakeplatform.mastodon import MastodonFake
    from tests.fakeplatform.server import FakeServer, Fault
    from tests.fakeplatform.telegram import TelegramFake
    from tests.fakeplatform.webhook import WebhookFake
    from tests.fakeplatform.x import XFake

    kinds: dict[str, Callable[[FakeServer], Any]] = {
        "x": XFake,
        "facebook": FacebookFake,
        "instagram": InstagramFake,
        "bluesky": BlueskyFake,
        "mastodon": MastodonFake,
        "telegram": TelegramFake,
        "webhook": WebhookFake,
    }
    fakes = {}
    for name, kind in kinds.items():
        server = FakeServer(LATENCIES[name]).start()
        fakes[name] = kind(server)
    instagram = fakes["instagram"]
    instagram.server.inject(Fault("slow", path=r".*/\d+/media", method="POST", times=10_000, delay=CONTAINER_SECONDS))
    return fakes


def build(folder: Path, fakes: dict[str, Any], store: str, parallel: int) -> Any:
    """A Workspace (real clock) with the eight channels, on ``store``."""
    from outreach.app import Workspace
    from outreach.config import load_config

    channels = {name: {**fake.channel_settings(), "read_timeout": 15.0} for name, fake in fakes.items()}
    channels["file"] = {"type": "file", "as": "facebook", "directory": "outbox"}
    today = datetime.now(common.ZONE).date()
    config = common.project(
        folder,
        40,
        channels=channels,
        campaigns={CAMPAIGN: common.campaign_block(list(channels), today, today + timedelta(days=90))},
        publishing={"parallel_channels": parallel, "catch_up_minutes": 600},
    )
    if store:  # common.project writes the SQLite file's name
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace(f'store = "{common.STORE_NAME}"', f'store = "{store}"'), encoding="utf-8")
    environ: dict[str, str] = {}
    for fake in fakes.values():
        environ.update(fake.environ)
    return Workspace(load_config(config, environ=environ))


class Posts:
    """Posts written straight into the store, due now, each with a key of its own (one minute apart)."""

    def __init__(self, ws: Any, fakes: dict[str, Any]) -> None:
        self.ws = ws
        self.entries = ws.planning.catalogue()
        self.instagram = fakes["instagram"]
        self.used = 0

    def due_now(self, channels: list[str]) -> list[int]:
        from outreach.model import PlannedPost

        now = datetime.now(UTC)
        rows = []
        series = self.ws.config.campaigns[CAMPAIGN].series
        for channel in channels:
            self.used += 1
            entry = self.entries[self.used % len(self.entries)]
            when = (now - timedelta(minutes=self.used)).astimezone(common.ZONE)
            planned = PlannedPost(CAMPAIGN, channel, entry.innovation.id, series[0], when)
            draft = self.ws.planning.draft(planned, entry.innovation, entry.source)
            if draft.rendered is None:
                raise RuntimeError(f"{planned.key} does not render: {draft.error}")
            image = draft.rendered.image if channel == "instagram" else None
            if image is not None:
                self.instagram.publish_file(Path(image))
            rows.append(
                {
                    "key": planned.key,
                    "campaign": CAMPAIGN,
                    "channel": channel,
                    "innovation_id": entry.innovation.id,
                    "kind": planned.kind,
                    "scheduled_at": when,
                    "content_hash": entry.innovation.content_hash,
                    "text": draft.rendered.text,
                    "link": draft.rendered.link,
                    "image": str(image) if image else None,
                    "alt_text": draft.rendered.alt_text if image else None,
                }
            )
        self.ws.store.apply_plan(rows, [], now)
        keys = {row["key"] for row in rows}
        return [post.id for post in self.ws.store.posts() if post.key in keys]


def publish(ws: Any, posts: Posts, channels: list[str]) -> float:
    """Seconds from the start of ``publish_due`` until the last of the posts was recorded published."""
    from outreach.model import PostState

    ids = posts.due_now(channels)
    publisher = ws.publisher()
    started = datetime.now(UTC)
    publisher.publish_due()
    done = ws.store.posts(ids=ids)
    wrong = [
        f"{post.channel}: {post.state.value} ({post.reason})" for post in done if post.state is not PostState.PUBLISHED
    ]
    if wrong:
        raise RuntimeError("not published: " + "; ".join(wrong))
    return max((post.published_at - started).total_seconds() for post in done if post.published_at)


def run(store: str, rounds: int, parallel: int) -> list[list[str]]:
    with tempfile.TemporaryDirectory(prefix="outreach-bench-slot-") as temporary:
        folder = Path(temporary)
        fakes = start_fakes()
        try:
            ws = build(folder, fakes, store, parallel)
            posts = Posts(ws, fakes)
            channels = list(ws.config.channels)
            publish(ws, posts, channels)  # warm-up: connections, sessions
            alone: dict[str, list[float]] = {name: [] for name in channels}
            slots: list[float] = []
            for _round in range(rounds):
                for name in channels:
                    alone[name].append(publish(ws, posts, [name]))
                slots.append(publish(ws, posts, channels))
            ws.close()
        finally:
            for fake in fakes.values():
                fake.server.stop()
    own = {name: common.median(times) for name, times in alone.items()}
    common.print_table(
        ["channel", "own time alone s (median)", "rounds (s)"],
        [[name, f"{own[name]:.2f}", " ".join(f"{t:.2f}" for t in alone[name])] for name in channels],
    )
    slowest = max(own.values())
    slot = common.median(slots)
    ratio = slot / slowest
    print()
    print(f"slowest channel alone: {slowest:.2f} s; sum of the channels alone: {sum(own.values()):.2f} s")
    print(f"slot's last post out (median of {rounds}): {slot:.2f} s; rounds: {' '.join(f'{t:.2f}' for t in slots)}")
    return [
        [
            "last post out / slowest channel",
            f"{ratio:.2f}×",
            f"≤ {TARGET_RATIO:.1f}×",
            common.verdict(ratio, TARGET_RATIO),
        ]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--parallel-channels", type=int, default=8, help="[publishing] parallel_channels (1: the old way)"
    )
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
    common.quiet_fake_server()
    common.print_machine(
        f"bench_slot: one 8-channel slot, {args.store} store, parallel_channels = {args.parallel_channels}"
    )
    database = None
    if args.store == "postgresql":
        from tests.postgres import create_database

        database = create_database()
    try:
        rows = run(database or "", args.rounds, args.parallel_channels)
    finally:
        if database:
            from tests.postgres import drop_database

            drop_database(database)
    print()
    common.print_table(["measure", "measured", "target", "verdict"], rows)


if __name__ == "__main__":
    main()
