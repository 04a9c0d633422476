"""Benchmark 3: punctuality of the real daemon — how late does a post reach the platform?

Run:  python bench/bench_punctuality.py [--innovations N] [--spaced K] [--spacing S] [--burst B] [--latency L]

The bench starts a loopback Mastodon fake, writes a config with ``--burst`` ``mastodon`` channels
pointing at it (the token in ``MASTODON_ACCESS_TOKEN``) and a generated catalogue (imported by
the bench, so the daemon does not import it), then starts ``outreach run`` as a subprocess.

The posts are written with the store API (``Store.apply_plan``, texts rendered by
``Workspace.draft``) once the daemon is running: ``--spaced`` posts ``--spacing`` seconds apart
on one channel, then one *slot burst*: ``--burst`` posts due at the same second, one per channel,
as a real slot on seven channels produces. Why the store API and not a campaign: slots are whole
minutes and the daemon cancels, at start-up, planned posts that are not on its timetable, so
posts a few seconds apart can only be added while it runs. A running daemon notices posts added
by another process at its next safety tick (every 30 s), so the first post is due 33 s after
the daemon's first tick; from then on it wakes for each due time (APScheduler date jobs).
The campaign's own dates lie in 2099, so the daemon plans nothing itself.

Lateness = the time the fake received ``POST /api/v1/statuses`` (recorded on entry to its handler,
before the ``--latency`` delay it then adds to imitate the network) − the post's scheduled time.
The target (p99 ≤ 1 s) applies to the spaced posts; the burst is reported beside it.
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

TARGET_P99 = 1.0
CAMPAIGN = "kenali-inovasi"
TICK_SECONDS = 30  # outreach.daemon.TICK_SECONDS


def timed_fake(server: Any, latency: float) -> Any:
    """A Mastodon fake that records when each create request arrived, then waits ``latency`` s."""
    from tests.fakeplatform.mastodon import MastodonFake

    class TimedMastodonFake(MastodonFake):
        def __init__(self, server: Any) -> None:
            self.arrivals: dict[str, float] = {}
            self._arrival_lock = threading.Lock()
            super().__init__(server)

        def _post_status(self, request: Any, match: Any) -> Any:
            arrived = time.time()
            with self._arrival_lock:
                self.arrivals.setdefault(request.headers.get("Idempotency-Key", ""), arrived)
            if latency > 0:
                time.sleep(latency)
            return super()._post_status(request, match)

    return TimedMastodonFake(server)


def wait_for(condition: Any, timeout: float, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise RuntimeError(f"the daemon exited ({process.returncode}) while waiting for {what}:\n{log.read_text()}")
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}:\n{log.read_text()[-3000:]}")


def write_posts(ws: Any, schedule: list[tuple[str, datetime]], entries: list[Any]) -> list[dict[str, Any]]:
    """Render and insert one planned post per (channel, moment), each about a different innovation."""
    from outreach.model import PlannedPost

    series = ws.config.campaigns[CAMPAIGN].series
    rows = []
    for index, ((channel, moment), entry) in enumerate(
        zip(schedule, entries, strict=False)
    ):  # fewer entries: fewer posts
        planned = PlannedPost(CAMPAIGN, channel, entry.innovation.id, series[index % len(series)], moment)
        draft = ws.planning.draft(planned, entry.innovation, entry.source)
        if draft.rendered is None or draft.errors:
            raise RuntimeError(f"{planned.key} would not publish: {draft.error or draft.warnings()}")
        rows.append(
            {
                # PlannedPost.key has minute resolution; these posts are seconds apart.
                "key": f"{CAMPAIGN}/{channel}/{entry.innovation.id}/{planned.kind}/"
                f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}",
                "campaign": CAMPAIGN,
                "channel": channel,
                "innovation_id": entry.innovation.id,
                "kind": planned.kind,
                "scheduled_at": moment,
                "content_hash": entry.innovation.content_hash,
                "text": draft.rendered.text,
                "link": draft.rendered.link,
                "image": None,
                "alt_text": None,
            }
        )
    ws.store.apply_plan([dict(row) for row in rows], [], datetime.now(UTC))
    return rows


def summary(latenesses: list[float]) -> tuple[float, float, float, float]:
    return (
        common.percentile(latenesses, 0.50),
        common.percentile(latenesses, 0.99),
        max(latenesses),
        min(latenesses),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--innovations", type=int, default=10_000, help="catalogue size")
    parser.add_argument("--spaced", type=int, default=24, help="posts a few seconds apart")
    parser.add_argument("--spacing", type=float, default=1.5, help="seconds between spaced posts")
    parser.add_argument("--burst", type=int, default=7, help="channels (and posts) of the final slot burst")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake takes per create")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
    common.quiet_fake_server()

    from outreach.app import Workspace
    from outreach.config import load_config
    from outreach.model import PostState
    from tests.fakeplatform.mastodon import MastodonFake
    from tests.fakeplatform.server import FakeServer

    common.print_machine("bench_punctuality: lateness of posts under `outreach run`")
    local_now = datetime.now(common.ZONE)
    if local_now.hour == 0 and 2 <= local_now.minute <= 9:
        print("warning: the daemon's daily re-plan (00:05 WIB) falls in this run; it would cancel the bench's posts")
    channels = [f"mastodon-{number}" for number in range(1, args.burst + 1)]
    environ = {"MASTODON_ACCESS_TOKEN": MastodonFake.TOKEN}
    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as temporary, FakeServer() as server:
        folder = Path(temporary)
        fake = timed_fake(server, args.latency)
        config_path = common.project(
            folder,
            args.innovations,
            channels={name: {"type": "mastodon", "base_url": server.url} for name in channels},
            campaigns={CAMPAIGN: common.campaign_block(channels, date(2099, 1, 1), date(2099, 12, 31))},
            publishing={"horizon_days": 14},
            images=False,
        )
        ws = Workspace(load_config(config_path, environ=environ))
        t0 = time.perf_counter()
        entries = ws.planning.catalogue()
        print(f"catalogue: {len(entries):,} innovations, imported by the bench in {time.perf_counter() - t0:.2f} s")

        log_path = folder / "daemon.log"
        with log_path.open("w") as log:
            started = time.monotonic()
            daemon = subprocess.Popen(
                [str(common.OUTREACH), "--config", str(config_path), "run"],
                cwd=folder,
                env=common.subprocess_env(**environ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:

            def beat() -> str | None:
                return (ws.store.get_setting("daemon") or {}).get("last_tick")

            wait_for(lambda: beat() is not None, 120, "the daemon's first tick", daemon, log_path)
            first_tick_text = beat()
            assert first_tick_text is not None  # wait_for returned: the daemon has ticked
            first_tick = datetime.fromisoformat(first_tick_text)
            print(f"daemon: first tick {time.monotonic() - started:.1f} s after launch")

            first_due = first_tick + timedelta(seconds=TICK_SECONDS + 3)
            first_due = first_due.replace(microsecond=0) + timedelta(seconds=1)
            schedule = [
                (channels[0], (first_due + timedelta(seconds=args.spacing * n)).astimezone(common.ZONE))
                for n in range(args.spaced)
            ]
            burst_at = schedule[-1][1] + timedelta(seconds=4) if schedule else first_due.astimezone(common.ZONE)
            schedule += [(channel, burst_at) for channel in channels]
            rows = write_posts(ws, schedule, entries[: len(schedule)])
            wait_seconds = (burst_at - datetime.now(UTC)).total_seconds()
            print(
                f"posts written: {args.spaced} spaced {args.spacing:g} s apart from "
                f"{first_due.astimezone(common.ZONE):%H:%M:%S} WIB, then {args.burst} at "
                f"{burst_at:%H:%M:%S} WIB; the last is due in {wait_seconds:.0f} s"
            )
            wait_for(
                lambda: len(fake.arrivals) >= len(rows), wait_seconds + 60, "every post to arrive", daemon, log_path
            )
            time.sleep(0.5)
        finally:
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
                try:
                    daemon.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait(timeout=10)

        published = {post.key for post in ws.store.posts([PostState.PUBLISHED])}
        lateness = {row["key"]: fake.arrivals[row["key"]] - row["scheduled_at"].timestamp() for row in rows}
        spaced = [lateness[row["key"]] for row in rows[: args.spaced]]
        burst = sorted(lateness[row["key"]] for row in rows[args.spaced :])
        duplicates = len(fake.created) - len(fake.arrivals)
        print(
            f"published: {len(published & set(lateness))}/{len(rows)}; statuses created: {len(fake.created)} "
            f"({duplicates} repeated requests); daemon exit code {daemon.returncode}; "
            f"fake latency per create {args.latency * 1000:.0f} ms"
        )
        ws.close()

    rows_out = []
    if spaced:
        p50, p99, worst, best = summary(spaced)
        rows_out += [
            [f"spaced posts ({len(spaced)}): p50", f"{p50 * 1000:.0f} ms", "", ""],
            [
                f"spaced posts ({len(spaced)}): p99",
                f"{p99 * 1000:.0f} ms",
                f"≤ {TARGET_P99 * 1000:.0f} ms",
                common.verdict(p99, TARGET_P99),
            ],
            [f"spaced posts ({len(spaced)}): max (min)", f"{worst * 1000:.0f} ms ({best * 1000:.0f} ms)", "", ""],
        ]
    if burst:
        p50, p99, worst, best = summary(burst)
        rows_out += [
            [f"slot burst ({len(burst)} channels at once): p50", f"{p50 * 1000:.0f} ms", "", ""],
            [
                f"slot burst ({len(burst)} channels at once): p99 = max",
                f"{p99 * 1000:.0f} ms",
                f"≤ {TARGET_P99 * 1000:.0f} ms",
                common.verdict(p99, TARGET_P99) + " (not the target)",
            ],
            ["slot burst: lateness in order", " ".join(f"{value * 1000:.0f}" for value in burst) + " ms", "", ""],
        ]
    common.print_table(["lateness (fake received − scheduled)", "measured", "target", "verdict"], rows_out)


if __name__ == "__main__":
    main()
