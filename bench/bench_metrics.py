"""Benchmark 8: reading the engagement of 1,000 published posts, and the daemon's punctuality meanwhile.

Run:  python bench/bench_metrics.py [--posts N] [--latency L] [--spaced K] [--spacing S]

The store holds ``--posts`` published posts spread evenly over five channels, one per platform that
gives engagement figures: Mastodon, Bluesky, X (``read_metrics = true``, a daily budget that covers
them), Facebook and Instagram (with their insights permissions). Each platform is its loopback fake
(tests/fakeplatform/, the ones the adapters are tested against), each on a server that answers every
request ``--latency`` seconds late; the posts are on the platforms with likes, shares and views.
The collector comes from ``collector_for(workspace)`` over the bench's config, as `outreach metrics
collect` and the daemon make it, and reads through the real adapters: Facebook and Instagram ask
two requests a post (the post, then its insights), the others one.

Meanwhile ``outreach run`` (a subprocess, as in bench_punctuality.py, whose machinery this reuses)
publishes ``--spaced`` posts ``--spacing`` seconds apart to another Mastodon fake on the same store:
the reading starts a second before the first is due. Lateness = the time the fake received the
post − its scheduled time. Targets: the reading ≤ 30 s; the lateness p99 ≤ 1 s while it runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
import bench_punctuality as punctuality

TARGET_SECONDS = 30.0
READ_CHANNELS = ("mastodon", "bluesky", "x", "facebook", "instagram")
#: The channel the daemon publishes on meanwhile (a Mastodon fake).
PUBLISHER = "mastodon-kominfo"


def published_posts(store: Any, platforms: Any, count: int, now: datetime) -> None:
    """``count`` posts published over the last 25 days, round-robin over the platforms, on each platform too."""
    from outreach.model import PostState
    from tests.engine_helpers import settle_as

    for index in range(count):
        channel = READ_CHANNELS[index % len(READ_CHANNELS)]
        when = now - timedelta(days=25) + timedelta(minutes=36 * index)
        text = f"Urus KTP kini bisa selesai dalam sehari. ({index})"
        remote_id = platforms.seed(channel, text, when)
        platforms.engage(channel, remote_id, likes=index % 40, reposts=index % 7, replies=index % 5, seen=index * 3)
        values = {
            "key": f"kenali/{channel}/post-{index:05d}",
            "campaign": "kenali",
            "channel": channel,
            "innovation_id": f"inovasi-{index % 200:03d}",
            "kind": "perkenalan",
            "scheduled_at": when,
            "text": text,
            "link": None,
        }
        post_id = store.add_post(values, when, "planned", "bench")
        settle_as(store, post_id, PostState.PUBLISHED, when, "published", remote_id=remote_id, published_at=when)


def collect(ws: Any) -> tuple[Any, float, float, float]:
    """One collection as the daemon runs it; the summary, its wall time, and its start and end (epoch s)."""
    from outreach.metrics import collector_for

    collector = collector_for(ws)
    started, began = time.perf_counter(), time.time()
    summary = collector.collect(30)
    return summary, time.perf_counter() - started, began, time.time()


def start_daemon(config_path: Path, environ: dict[str, str]) -> tuple[subprocess.Popen, Path]:
    """``outreach run`` as a subprocess, its output in ``daemon.log`` beside the config."""
    log_path = config_path.parent / "daemon.log"
    with log_path.open("w") as log:
        daemon = subprocess.Popen(
            [str(common.OUTREACH), "--config", str(config_path), "run"],
            cwd=config_path.parent,
            env=common.subprocess_env(**environ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return daemon, log_path


def stop_daemon(daemon: subprocess.Popen) -> None:
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait(timeout=10)


def schedule_posts(ws: Any, entries: list[Any], first_tick: datetime, args: argparse.Namespace) -> list[dict[str, Any]]:
    """A warm-up post, then ``--spaced`` posts: the first row is the warm-up.

    The daemon's first publish is slow on a loaded machine whatever else runs (its adapter and HTTP
    client are made then; bench_punctuality's first post shows it too): the warm-up goes first and
    is reported apart, 3 s before the measured posts.
    """
    first_due = (first_tick + timedelta(seconds=punctuality.TICK_SECONDS + 3)).replace(microsecond=0)
    spaced_from = first_due + timedelta(seconds=3)
    schedule = [(PUBLISHER, first_due.astimezone(common.ZONE))] + [
        (PUBLISHER, (spaced_from + timedelta(seconds=args.spacing * n)).astimezone(common.ZONE))
        for n in range(args.spaced)
    ]
    return punctuality.write_posts(ws, schedule, entries[: len(schedule)])


def read_while_publishing(
    ws: Any, fake: Any, config_path: Path, environ: dict[str, str], args: argparse.Namespace
) -> Any:
    """Start the daemon, give it posts, start the reading a second before the first measured one; the
    reading's (summary, seconds, start, end) and the posts' rows."""
    entries = ws.planning.catalogue()
    daemon, log_path = start_daemon(config_path, environ)
    try:

        def beat() -> str | None:
            return (ws.store.get_setting("daemon") or {}).get("last_tick")

        punctuality.wait_for(lambda: beat() is not None, 120, "the daemon's first tick", daemon, log_path)
        rows = schedule_posts(ws, entries, datetime.fromisoformat(beat() or ""), args)
        first_measured = rows[1]["scheduled_at"] if len(rows) > 1 else rows[0]["scheduled_at"]
        time.sleep(max(0.0, (first_measured - datetime.now(UTC)).total_seconds() - 1.0))
        result: list[Any] = []
        reader = threading.Thread(target=lambda: result.extend(collect(ws)))
        reader.start()
        punctuality.wait_for(
            lambda: len(fake.arrivals) >= len(rows),
            (rows[-1]["scheduled_at"] - datetime.now(UTC)).total_seconds() + 60,
            "every post to arrive",
            daemon,
            log_path,
        )
        reader.join()
    finally:
        stop_daemon(daemon)
    return result, rows


def report(
    result: list[Any],
    rows: list[dict[str, Any]],
    arrivals: dict[str, float],
    kept: int,
    requests: dict[str, int],
    latency: float,
) -> None:
    summary, seconds, began, ended = result
    warm_up = arrivals[rows[0]["key"]] - rows[0]["scheduled_at"].timestamp()
    measured = rows[1:]
    lateness = [arrivals[row["key"]] - row["scheduled_at"].timestamp() for row in measured]
    during = [
        late for late, row in zip(lateness, measured, strict=True) if began <= row["scheduled_at"].timestamp() <= ended
    ]
    per_channel = ", ".join(
        f"{name} {item.read} ({requests[name]} requests)" for name, item in summary.channels.items() if name in requests
    )
    on_platforms = sum(summary.channels[name].read for name in READ_CHANNELS)
    print(
        f"read: {on_platforms:,} posts on the platforms ({summary.failed} failed, {summary.skipped} skipped) and "
        f"{summary.read - on_platforms} the daemon had just published on its own fake; {kept:,} readings kept; "
        f"per channel: {per_channel}; every request to the platforms answered {latency * 1000:.0f} ms late"
    )
    print(
        f"published meanwhile: {len(arrivals) - 1}/{len(measured)}, {len(during)} of them due while the reading ran; "
        f"the warm-up post before them (the daemon's first publish): {warm_up * 1000:.0f} ms late"
    )
    p50, p99, worst, _best = punctuality.summary(during or lateness)
    common.print_table(
        ["measure", "measured", "target", "verdict"],
        [
            [
                f"reading {on_platforms:,} posts ({len(READ_CHANNELS)} platforms, real adapters)",
                f"{seconds:.1f} s",
                f"≤ {TARGET_SECONDS:.0f} s",
                common.verdict(seconds, TARGET_SECONDS),
            ],
            [f"lateness while reading ({len(during)} posts): p50", f"{p50 * 1000:.0f} ms", "", ""],
            [
                f"lateness while reading ({len(during)} posts): p99",
                f"{p99 * 1000:.0f} ms",
                "≤ 1000 ms",
                common.verdict(p99, punctuality.TARGET_P99),
            ],
            ["lateness while reading: max", f"{worst * 1000:.0f} ms", "", ""],
            ["lateness in schedule order", " ".join(f"{late * 1000:.0f}" for late in lateness) + " ms", "", ""],
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000, help="published posts to read")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds the fake takes per reading")
    parser.add_argument("--spaced", type=int, default=16, help="posts the daemon publishes meanwhile")
    parser.add_argument("--spacing", type=float, default=1.25, help="seconds between them")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
    common.quiet_fake_server()

    from outreach.app import Workspace
    from outreach.config import load_config
    from tests.engagement_probe import EngagementPlatforms
    from tests.fakeplatform.mastodon import MastodonFake
    from tests.fakeplatform.server import FakeServer

    common.print_machine("bench_metrics: reading engagement of published posts while `outreach run` publishes")
    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as temporary, FakeServer() as server:
        folder = Path(temporary)
        fake = punctuality.timed_fake(server, 0.05)
        platforms = EngagementPlatforms(folder, latency=0.0)  # no latency while the posts are put there
        try:
            channels = {
                PUBLISHER: {"type": "mastodon", "base_url": server.url},
                **platforms.channels(metric_reads_per_day=max(args.posts, 200)),
            }
            config_path = common.project(
                folder,
                200,
                channels=channels,
                campaigns={
                    punctuality.CAMPAIGN: common.campaign_block([PUBLISHER], date(2099, 1, 1), date(2099, 12, 31))
                },
                images=False,
            )
            environ = {"MASTODON_ACCESS_TOKEN": MastodonFake.TOKEN, **platforms.environ}
            ws = Workspace(load_config(config_path, environ=environ))
            t0 = time.perf_counter()
            published_posts(ws.store, platforms, args.posts, datetime.now(UTC))
            print(f"store and platforms: {args.posts:,} published posts put there in {time.perf_counter() - t0:.1f} s")
            for reading_server in platforms.servers.values():
                reading_server.latency = args.latency
            result, rows = read_while_publishing(ws, fake, config_path, environ, args)
            kept = len(ws.store.readings())
            requests = {name: platforms.requests(name) for name in READ_CHANNELS}
            ws.close()
        finally:
            platforms.close()
    report(result, rows, fake.arrivals, kept, requests, args.latency)


if __name__ == "__main__":
    main()
