"""Benchmark: a burst of 16,384 channels due at one minute, on PostgreSQL, with 1, 2 and 4 worker processes.

Run:  python bench/bench_burst.py [--channels 16384] [--workers 1,2,4] [--parallel-channels 32]
                                  [--latency 0.5] [--budget 1200] [--keep]

The national case of docs/scaling.md in small: 16,384 ``webhook`` channels (one per account), one
post each, all due at the same moment. The receiver is a loopback fake in a process of its own
(asyncio: thousands of requests at once cost it one thread) that answers every post after
``--latency`` s, as a platform across the internet would, counts each ``Idempotency-Key`` it
receives and says ``Connection: close`` (each channel posts once; no socket is kept per channel).

For each worker count: a fresh PostgreSQL database (created on the test server as tests/postgres.py
does, dropped after unless ``--keep``), the generated config (its load time is printed: 16,384
channel blocks), the workers started (``outreach run``) and waited for until each has beaten its
heartbeat; then the posts are written straight into the outbox (as bench_report.py does, not
planned: planning 16,384 channels is another benchmark) due ``--lead`` s ahead, so that every worker's
next tick has set its alarm for that moment. From the due moment until every post is settled:

- throughput: posts per second from the due moment to the last publication;
- lateness: published_at − due, p50 / p99 / max (target p99 ≤ 120 s with 4 workers);
- CPU seconds of the workers, of the database's server processes serving this database (sampled from
  /proc every half second; a connection that closes between two samples loses its last half second),
  of the fake, and how busy the machine's cores were (from /proc/stat: the other engineers' work on
  this shared machine included, so this is the ceiling, not our share);
- where the limit is: the latency floor of ``workers × parallel_channels`` lanes (each lane one post
  per ``--latency`` s: ``channels × latency / lanes`` s in all) against the CPU floor (CPU seconds per
  post, workers + database, over the machine's cores).

At the end every post must be published exactly once: the store says ``published`` with the fake's
id, and the fake received its key once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.request import urlopen

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

TARGET_P99 = 120.0
SECRET = "bench-burst-secret-5d1f"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


# ---- the receiver: a loopback fake that answers after the latency ------------------------------------


def serve_fake(latency: float, ready: Connection) -> None:
    """Run the receiver until killed; sends its port through ``ready``."""
    received: Counter[str] = Counter()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            headers = {
                name.strip().lower(): value.strip()
                for name, value in (line.split(":", 1) for line in lines[1:] if ":" in line)
            }
            length = int(headers.get("content-length", "0"))
            if length:
                await reader.readexactly(length)
            if method == "GET" and path == "/log":
                status, body = "200 OK", json.dumps(received).encode()
            else:
                key = headers.get("idempotency-key", "")
                received[key] += 1
                number = sum(received.values())
                await asyncio.sleep(latency)
                status, body = (
                    "201 Created",
                    json.dumps({"id": f"berita-{number}", "url": f"/berita/{number}"}).encode(),
                )
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"Connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=8192)
        ready.send(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class Fake:
    """The receiver's process: its URL, what it received, its CPU seconds."""

    def __init__(self, latency: float) -> None:
        receive, send = multiprocessing.Pipe(duplex=False)
        self.process = multiprocessing.Process(target=serve_fake, args=(latency, send), daemon=True)
        self.process.start()
        self.url = f"http://127.0.0.1:{receive.recv()}"

    def received(self) -> Counter[str]:
        with urlopen(self.url + "/log", timeout=30) as answer:  # our own loopback fake
            return Counter(json.loads(answer.read()))

    def stop(self) -> None:
        self.process.kill()
        self.process.join()


# ---- the project --------------------------------------------------------------------------------------


def write_project(folder: Path, channels: int, fake_url: str, parallel: int, store: str) -> Path:
    """A small catalogue, ``channels`` webhook channels and no campaign (the posts are written, not planned)."""
    common.write_catalogue(folder / "catalogue", common.innovation_rows(19, images=False))
    blocks = {name: {"type": "webhook", "url": f"{fake_url}/hooks/{name}"} for name in channel_names(channels)}
    return common.write_config(
        folder,
        channels=blocks,
        campaigns={},
        # A slow burst must not turn into "missed": the whole burst is within the catch-up window.
        publishing={"parallel_channels": parallel, "catch_up_minutes": 240},
        store=store,
    )


def channel_names(count: int) -> list[str]:
    return [f"kanal-{index:05d}" for index in range(1, count + 1)]


def write_posts(store: Any, innovations: list[Any], channels: int, due: datetime, run: str) -> None:
    """One planned post per channel, all due at ``due``, straight into the outbox in one transaction; the
    keys name the ``run`` (the receiver serves every run and counts keys)."""
    from sqlalchemy import insert

    from outreach.store.schema import posts, to_text

    stamp, when = to_text(datetime.now(UTC)), to_text(due)
    rows = []
    for index, channel in enumerate(channel_names(channels)):
        innovation = innovations[index % len(innovations)]
        rows.append({
            "key": f"burst-{run}/{channel}/{innovation.id}", "campaign": "burst", "channel": channel,
            "innovation_id": innovation.id, "kind": "perkenalan", "scheduled_at": when, "due_at": when,
            "state": "planned", "attempts": 0, "channel_state": "{}", "created_at": stamp, "updated_at": stamp,
            "text": f"{innovation.ringkasan}\n\nInfo: {innovation.tautan}\n#BandarLampung #{index}",
        })  # fmt: skip
    with store.transaction() as connection:
        connection.execute(insert(posts), rows)


# ---- CPU from /proc -------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class CpuSampler:
    """CPU seconds of the workers and of this database's server processes over a window, sampled every 0.5 s."""

    store: Any
    workers: list[int]
    fake: int
    first: dict[int, float] = field(default_factory=dict)
    last: dict[int, float] = field(default_factory=dict)
    database: set[int] = field(default_factory=set)
    machine: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuSampler:
        self.machine = machine_ticks()
        self.sample(baseline=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.sample()
        busy, total = machine_ticks()
        self.machine = (busy - self.machine[0], total - self.machine[1])

    def _run(self) -> None:
        while not self._done.wait(0.5):
            self.sample()

    def backends(self) -> list[int]:
        from sqlalchemy import text

        with self.store.transaction() as connection:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            return [int(pid) for pid in connection.scalars(text(query))]

    def sample(self, baseline: bool = False) -> None:
        backends = self.backends()
        self.database.update(backends)
        for pid in [*self.workers, self.fake, *backends]:
            seconds = cpu_seconds(pid)
            if seconds is None:
                continue
            # A server process first seen after the start was born during the window: all of its CPU counts.
            self.first.setdefault(pid, seconds if baseline or pid in self.workers or pid == self.fake else 0.0)
            self.last[pid] = seconds

    def used(self, pids: set[int] | list[int]) -> float:
        return sum(self.last.get(pid, 0.0) - self.first.get(pid, 0.0) for pid in pids)

    def busy_share(self) -> float:
        busy, total = self.machine
        return busy / total if total else 0.0


# ---- one run ------------------------------------------------------------------------------------------


@dataclass
class Result:
    workers: int
    lanes: int
    posts: int
    published_once: int
    seconds: float
    lateness: list[float]
    worker_cpu: float
    database_cpu: float
    fake_cpu: float
    busy: float
    problems: list[str]
    #: The machine's 1-minute load average at the end of the burst (other engineers' work included).
    load: float = 0.0

    @property
    def throughput(self) -> float:
        return self.posts / self.seconds if self.seconds else 0.0


def start_workers(config: Path, folder: Path, count: int, environ: dict[str, str]) -> list[subprocess.Popen]:
    processes = []
    for number in range(count):
        with (folder / f"worker-{number}.log").open("w") as log:
            processes.append(
                subprocess.Popen(
                    [str(common.OUTREACH), "--config", str(config), "run"],
                    cwd=folder,
                    env=common.subprocess_env(**environ),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    return processes


def wait_until_up(store: Any, processes: list[subprocess.Popen], folder: Path, deadline: float) -> None:
    """Until every worker's heartbeat (``worker:…``, or the one daemon's) names its pid."""
    waiting = {process.pid for process in processes}
    while waiting:
        beats = [*store.settings_with_prefix("worker:").values(), store.get_setting("daemon") or {}]
        waiting -= {beat.get("pid") for beat in beats if isinstance(beat, dict)}
        for number, process in enumerate(processes):
            if process.poll() is not None:
                tail = (folder / f"worker-{number}.log").read_text()[-3000:]
                raise RuntimeError(f"worker {number} exited ({process.returncode}):\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers {waiting} did not start in time")
        time.sleep(0.2)


def unsettled(store: Any) -> int:
    """Posts still planned or publishing (one GROUP BY: cheap enough to ask every half second)."""
    counts = store.counts_by_state()
    return counts.get("planned", 0) + counts.get("publishing", 0)


def run(args: argparse.Namespace, count: int, fake: Fake, database: str) -> Result:  # long: set up → burst → check
    """One burst with ``count`` workers on a fresh database; the workers are stopped before it returns."""
    from outreach.app import Workspace
    from outreach.config import load_config

    folder = Path(tempfile.mkdtemp(prefix=f"outreach-burst-{count}-"))
    config = write_project(folder, args.channels, fake.url, args.parallel_channels, database)
    began = time.perf_counter()
    settings = load_config(config)
    print(f"  config with {args.channels:,} channels ({config.stat().st_size / 1e6:.1f} MB) loaded in "
          f"{time.perf_counter() - began:.2f} s")  # fmt: skip
    workspace = Workspace(settings)
    innovations = [entry.innovation for entry in workspace.planning.catalogue()]
    workspace.planning.release_catalogue()
    store = workspace.store
    environ = {"OUTREACH_WEBHOOK_SECRET": SECRET}
    processes = start_workers(config, folder, count, environ)
    result: Result | None = None
    try:
        launched = time.monotonic()
        wait_until_up(store, processes, folder, launched + 300)
        print(f"  {count} worker(s) up in {time.monotonic() - launched:.1f} s")
        due = (datetime.now(UTC) + timedelta(seconds=args.lead)).replace(microsecond=0)
        write_posts(store, innovations, args.channels, due, f"{count}w")
        print(f"  {args.channels:,} posts written, due {due:%H:%M:%S} UTC ({args.lead:.0f} s ahead: every worker's "
              "next tick sets its alarm for it)")  # fmt: skip
        while datetime.now(UTC) < due:
            time.sleep(0.05)
        deadline = time.monotonic() + args.budget
        with CpuSampler(store, [process.pid for process in processes], fake.process.pid or 0) as sampler:
            while unsettled(store) and time.monotonic() < deadline:
                for process in processes:
                    if process.poll() is not None:
                        raise RuntimeError(f"a worker exited ({process.returncode}); see {folder}")
                time.sleep(0.5)
        result = check(args, count, store, fake, due, sampler, folder)
        return result
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        workspace.close()
        if result is not None and not (args.keep or result.problems):
            shutil.rmtree(folder, ignore_errors=True)


def check(
    args: argparse.Namespace, count: int, store: Any, fake: Fake, due: datetime, sampler: CpuSampler, folder: Path
) -> Result:
    """Exactly once (store and receiver), lateness and throughput of one burst."""
    from outreach.model import PostState

    posts = store.posts()
    received = fake.received()
    problems = []
    published = [post for post in posts if post.state is PostState.PUBLISHED and post.published_at is not None]
    once = sum(1 for post in published if received.get(post.key) == 1 and (post.remote_id or "").startswith("berita-"))
    twice = [key for key, times in received.items() if times > 1]
    if twice:
        problems.append(f"{len(twice)} posts reached the receiver more than once, e.g. {twice[:3]}")
    if once != args.channels:
        states = Counter(post.state.value for post in posts)
        problems.append(
            f"{args.channels - once} posts not published exactly once (states {dict(states)}; see {folder})"
        )
    lateness = sorted((post.published_at - due).total_seconds() for post in published)
    last = lateness[-1] if lateness else 0.0
    return Result(
        count,
        args.parallel_channels,
        len(published),
        once,
        last,
        lateness,
        sampler.used(sampler.workers),
        sampler.used(sampler.database),
        sampler.used([sampler.fake]),
        sampler.busy_share(),
        problems,
        os.getloadavg()[0],
    )


# ---- the report ----------------------------------------------------------------------------------------


def report(results: list[Result], channels: int, latency: float) -> None:
    cores = os.cpu_count() or 1
    rows = []
    for result in results:
        late = result.lateness or [0.0]
        floor = channels * latency / (result.workers * result.lanes)
        per_post = (result.worker_cpu + result.database_cpu) / max(result.posts, 1)
        cpu_floor = channels * per_post / cores
        limit = "CPU" if cpu_floor > floor else "lanes (latency)"
        target = f" {common.verdict(common.percentile(late, 0.99), TARGET_P99)}" if result.workers == 4 else ""
        rows.append([
            str(result.workers), str(result.lanes), f"{result.throughput:.0f}/s",
            f"{common.percentile(late, 0.5):.1f} s", f"{common.percentile(late, 0.99):.1f} s{target}",
            f"{late[-1]:.1f} s",
            f"{result.worker_cpu:.0f} s", f"{result.database_cpu:.0f} s", f"{result.fake_cpu:.0f} s",
            f"{result.busy * 100:.0f} % (load {result.load:.1f})", f"{per_post * 1000:.1f} ms", f"{floor:.0f} s",
            f"{cpu_floor:.0f} s", limit,
            f"{result.published_once:,}/{channels:,}",
        ])  # fmt: skip
    common.print_table(
        ["workers", "lanes each", "throughput", "p50 late", "p99 late (≤ 120 s @4)", "max late", "CPU workers",
         "CPU database", "CPU fake", "machine busy", "CPU per post", "latency floor", "CPU floor", "limit",
         "published once"],
        rows,
    )  # fmt: skip
    print(
        f"latency floor = {channels:,} × {latency:g} s / (workers × lanes); CPU floor = {channels:,} × (CPU per post: "
        f"workers + database) / {cores} cores. The burst is CPU-bound where the CPU floor exceeds the latency floor."
    )
    for result in results:
        for problem in result.problems:
            print(f"PROBLEM ({result.workers} workers): {problem}")


def databases() -> Iterator[str]:
    from tests import postgres

    reason = postgres._probe()
    if reason is not None:
        raise SystemExit(f"PostgreSQL is not available at {postgres.server_url()}: {reason}")
    while True:
        yield postgres.create_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=16_384, help="channels, one post each (1024 to iterate)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated")
    parser.add_argument("--parallel-channels", type=int, default=32, help="[publishing] parallel_channels")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the receiver takes to answer")
    parser.add_argument("--lead", type=float, default=40.0, help="posts are due this many s after written")
    parser.add_argument("--budget", type=float, default=1200.0, help="give up a burst after this many s")
    parser.add_argument("--keep", action="store_true", help="keep the databases and folders")
    args = parser.parse_args()
    common.print_machine(f"burst: {args.channels:,} channels due at one moment, PostgreSQL, {args.latency:g} s latency")
    print(f"[publishing] parallel_channels = {args.parallel_channels} (lanes per worker)")
    from tests import postgres

    fake = Fake(args.latency)
    results = []
    made = databases()
    try:
        for count in (int(value) for value in args.workers.split(",")):
            database = next(made)
            print(f"-- {count} worker(s)")
            try:
                results.append(run(args, count, fake, database))
            finally:
                if not args.keep:
                    postgres.drop_database(database)
    finally:
        fake.stop()
    report(results, args.channels, args.latency)
    sys.exit(1 if any(result.problems for result in results) else 0)


if __name__ == "__main__":
    main()
