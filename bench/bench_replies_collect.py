"""Benchmark 10: collecting the citizens' replies under 1,000 published posts, against a same-run floor.

Run:  python bench/bench_replies_collect.py [--posts N] [--latency L] [--days D]

The store holds ``--posts`` published posts spread evenly over three channels, Mastodon, Bluesky and
X (``read_replies = true``, a daily budget that covers them), published over the last ``--days`` days
(25 by default, inside ``[replies] days`` = 30). Each platform is its loopback fake (tests/fakeplatform/,
the ones the adapters are tested against) on a server that answers every request ``--latency``
seconds late, with the posts already on it and 0–4 citizens' replies under each, a third of them
answered by the office. The collector comes from ``reply_collector_for(workspace)`` over the bench's
config, as `outreach replies collect` and the daemon make it, and reads through the real adapters:
one request a Mastodon post (its context), one a Bluesky post (its thread), and one an X post
published in the last 7 days (recent search reaches no further back; older X posts are not asked).

Baseline, measured in the same run: the same number of requests to the same three servers (same
latency) from bare ``requests`` sessions, with the same concurrency per platform (the collector's
lanes), and nothing else: no adapter, no parsing, no store. It is the floor the latency sets.
Target: the collection ≤ 30 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

TARGET_SECONDS = 30.0
CHANNELS = ("mastodon", "bluesky", "x")


def seed(store: Any, platforms: Any, count: int, now: datetime, days: float) -> int:
    """``count`` posts published over the last ``days`` days, round-robin over the channels, each on its
    platform with 0–4 citizens' replies (the first answered by the office on every third post); the
    number of replies put there."""
    from outreach.model import PostState
    from tests.engine_helpers import settle_as

    replies = 0
    step = timedelta(days=days) / count
    for index in range(count):
        channel = CHANNELS[index % len(CHANNELS)]
        when = now - timedelta(days=days) + step * index
        text = f"Urus KTP kini bisa selesai dalam sehari. ({index})"
        remote_id = platforms.seed(channel, text, when)
        for number in range(index % 5):
            written = when + timedelta(minutes=10 * (number + 1))
            reply_id = _reply(platforms, channel, remote_id, f"Syaratnya apa saja? ({index}.{number})", written)
            replies += 1
            if number == 0 and index % 3 == 0:
                _reply(platforms, channel, reply_id, "Cukup bawa KK.", written + timedelta(hours=1), office=True)
                replies += 1
        values = {
            "key": f"kenali/{channel}/post-{index:05d}",
            "campaign": "kenali",
            "channel": channel,
            "innovation_id": f"inovasi-{index % 20:03d}",
            "kind": "perkenalan",
            "scheduled_at": when,
            "text": text,
            "link": None,
        }
        post_id = store.add_post(values, when, "planned", "bench")
        settle_as(store, post_id, PostState.PUBLISHED, when, "published", remote_id=remote_id, published_at=when)
    return replies


def _reply(platforms: Any, channel: str, parent: str, text: str, when: datetime, office: bool = False) -> str:
    """A reply on ``channel``'s fake to ``parent``, by a citizen or the office; its id there."""
    if channel == "mastodon":
        author = platforms.mastodon.USERNAME if office else "warga@mastodon.social"
        return str(platforms.mastodon.reply(parent, text, author, created_at=when)["id"])
    if channel == "bluesky":
        return str(
            platforms.bluesky.reply(
                parent, text, platforms.bluesky.HANDLE if office else "warga.bsky.social", created_at=when
            )
        )
    author = platforms.x.USER["username"] if office else "warga_bdl"
    return platforms.x.reply(parent, text, author, created_at=when.timestamp())


def baseline(servers: dict[str, Any], requests_made: dict[str, int], lanes: int) -> float:
    """Seconds for bare ``requests`` to make the same requests to the same servers, ``lanes`` at once per platform."""
    import requests

    def lane(url: str, count: int) -> None:
        with requests.Session() as session:
            for _ in range(count):
                session.get(f"{url}/baseline", timeout=10)

    jobs = [
        (servers[name].url, requests_made[name] // lanes + (1 if number < requests_made[name] % lanes else 0))
        for name in CHANNELS
        for number in range(lanes)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for future in [pool.submit(lane, url, count) for url, count in jobs]:
            future.result()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000, help="published posts whose replies are collected")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds each platform takes per request")
    parser.add_argument("--days", type=float, default=25.0, help="the posts were published over this many days")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
    common.quiet_fake_server()

    from outreach.app import Workspace
    from outreach.config import load_config
    from outreach.replies import reply_collector_for
    from outreach.sweep import LANES
    from tests.engagement_probe import EngagementPlatforms

    common.print_machine("bench_replies_collect: collecting the replies under published posts")
    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as temporary:
        folder = Path(temporary)
        platforms = EngagementPlatforms(folder, latency=0.0)  # no latency while the posts are put there
        try:
            every = platforms.channels(read_replies=True, reply_reads_per_day=max(args.posts, 50))
            config_path = common.project(
                folder,
                20,
                channels={name: every[name] for name in CHANNELS},
                campaigns={"kenali": common.campaign_block(["mastodon"], date(2099, 1, 1), date(2099, 12, 31))},
                images=False,
            )
            ws = Workspace(load_config(config_path, environ=platforms.environ))
            now = datetime.now(UTC)
            t0 = time.perf_counter()
            on_platforms = seed(ws.store, platforms, args.posts, now, args.days)
            print(
                f"store and platforms: {args.posts:,} published posts and {on_platforms:,} replies put there "
                f"in {time.perf_counter() - t0:.1f} s"
            )
            before = {name: platforms.requests(name) for name in CHANNELS}
            for name in CHANNELS:
                platforms.servers[name].latency = args.latency
            collector = reply_collector_for(ws)
            started = time.perf_counter()
            summary = collector.collect(30)
            seconds = time.perf_counter() - started
            made = {name: platforms.requests(name) - before[name] for name in CHANNELS}
            kept = ws.store.replies(from_office=None)
            answered = sum(1 for reply in kept if reply.status.value == "answered")
            floor = baseline(platforms.servers, made, LANES)
            ws.close()
        finally:
            platforms.close()

    x_recent = sum(1 for index in range(2, args.posts, 3) if args.days * (1 - index / args.posts) < 7)
    print(
        f"collected: {summary.read:,} posts read ({summary.failed} failed, {summary.skipped} skipped), "
        f"{len(kept):,} replies kept ({answered} citizens' replies marked answered by the office's own); "
        f"requests: " + ", ".join(f"{name} {made[name]}" for name in CHANNELS) + f" (X: {x_recent} posts published "
        f"within the last 7 days, the older ones not asked); each answered {args.latency * 1000:.0f} ms late"
    )
    for name, reading in summary.channels.items():
        if reading.reasons:
            print(f"  {name}: " + "; ".join(reading.reasons))
    total = sum(made.values())
    common.print_table(
        ["measure", "measured", "target", "verdict"],
        [
            [
                f"collecting {args.posts:,} posts on 3 platforms (real adapters, {total:,} requests)",
                f"{seconds:.1f} s",
                f"≤ {TARGET_SECONDS:.0f} s",
                common.verdict(seconds, TARGET_SECONDS),
            ],
            [
                f"baseline: the same {total:,} requests from bare requests, {LANES} at once per platform",
                f"{floor:.1f} s",
                "",
                "",
            ],
            ["ratio collection / baseline", f"{seconds / floor:.2f}×", "(none)", ""],
        ],
    )


if __name__ == "__main__":
    main()
