"""Crash suite: SIGKILL the real daemon at random moments and check that no post is lost or doubled.

Run:  python bench/crash_suite.py [--posts 200] [--kills 20] [--seed S] [--latency 0.4] [--kill-window 5]
                                  [--launch-share 0.2] [--budget 170] [--keep]
      python bench/crash_suite.py --store postgresql --workers 3 --kills 15 [--channels-per-platform 3]
                                  [--leader-share 0.3] [--busy-share 0.3] [--spacing 0.5] [--budget 480] [--keep]

Three loopback fakes run in this process (so they outlive every daemon): Mastodon and Bluesky,
whose retries are idempotent (Idempotency-Key; checkpointed rkey + putRecord), and Telegram,
which has no idempotency key and no way to look a message up. Every request that creates a post
takes a random 0–``--latency`` s on the fake, split at random between before the post is created
and after (the answer travelling back), so a kill can land with the request not yet processed or
processed but unanswered. With ``--channels-per-platform`` N each platform has N channels (``mastodon``,
``mastodon-2``, …), each on a fake of its own: more channels publish side by side.

The posts are planned honestly: one campaign per channel whose timetable ("setiap hari HH.MM, …")
holds one slot per post, in consecutive minutes ending ten minutes ago, inside the catch-up window.
``Workspace.apply_plan`` at the real time writes them (rendered), then ``Store.reschedule``
moves their due times to ``start + i × --spacing`` s so they fall due within seconds. Because the
slots are in the campaigns' timetables, the start-up planning of every restarted daemon keeps them
(it only cancels planned posts that left the timetable); the campaigns end today, so the daemon
plans nothing for tomorrow either.

**SQLite** (the default): one ``outreach run`` is started as a subprocess; after each start it is killed
with SIGKILL at a random moment (``random.Random(seed)``, the seed is printed) and restarted at once,
``--kills`` times. A ``--launch-share`` of the kills land 0–1.5 s after launch (during start-up, recovery of
the post the previous kill interrupted, or planning), the others 0–``--kill-window`` s after the
daemon's heartbeat shows it started (among the publishing); that window narrows as the unsettled
posts run out, so that the kills are spread over the whole run rather than used up early or late.
The last daemon runs until every post is settled (nothing planned or publishing), then it is
stopped with SIGTERM.

**PostgreSQL** (``--store postgresql``): a new database on the server of tests/postgres.py (dropped at the
end unless ``--keep`` or a violation), ``--workers`` processes of ``outreach run`` on it, 3 channels per
platform. The kills are spread at random over the publishing period; each lands on a random worker, on
the leader (``--leader-share``, read from the workers' heartbeats), on a worker with a claim in flight
(``--busy-share``), or on the worker restarted by the previous kill, 0–1.5 s after its launch
(``--launch-share``); the victim is restarted at once in its slot. A killed worker's claims are
orphans: the others settle them once their lease (a minute) has run out, so the run lasts at least
that long after the last kill. ``_crash_workers`` keeps which
worker (``claimed_by``) held each post in ``publishing`` and when each worker was confirmed dead,
and audits every settlement of an orphan against that; it also times how soon a live worker led
again after each kill of the leader (target ≤ 30 s). At the end every worker is stopped with SIGTERM.

The counts come from the fakes' own logs (``created``: what each platform
accepted) matched to the store's posts by text (unique per channel), cross-checked by
Idempotency-Key (Mastodon), rkey (Bluesky) and the remote id the store recorded.

Invariants (the script exits 1 if one fails): no post appears twice on a platform; every post is
published exactly once (store ``published`` and on the platform once, with the store's remote id)
or is ``unknown``/``failed`` with a reason; no post is unaccounted for; no platform post matches no
post of the store; zero ``unknown`` on Mastodon and Bluesky; on PostgreSQL, no post settled while
the worker that claimed it was alive. The suite also requires the final daemons, once their
schedulers run, to stop with exit 0 on SIGTERM, and every post to settle within ``--budget`` seconds.

``tests/test_crash_suite.py`` runs the SQLite mode with 30 posts and 3 kills;
``tests/test_crash_suite_postgres.py`` the PostgreSQL mode with 30 posts, 3 workers and 4 kills.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
import _crash_workers as workers_mod

CHANNELS = ("mastodon", "bluesky", "telegram")
#: Channels whose retries are idempotent and whose adapters can reconcile: no post may end unknown.
IDEMPOTENT = ("mastodon", "bluesky")
SETTLED = ("published", "unknown", "failed")
#: Innovations in the generated catalogue; about 1 in 19 is outside its mulai/selesai window.
INNOVATIONS_PER_POST = 1.3
#: Seconds one worker takes to start on this 2-core machine, several at once (measured: 3 in 10–20 s).
START_SECONDS = 6.0


# ---- the fakes, with random latency on the requests that create a post ----------------------------


class Latency:
    """Random latency for one create request: part before the fake acts, the rest before it answers."""

    def __init__(self, seed: int, maximum: float) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.maximum = maximum

    def around(self, handler: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            total = self._random.uniform(0.0, self.maximum)
            before = total * self._random.random()
        time.sleep(before)
        response = handler(*args)
        time.sleep(total - before)
        return response


def channel_names(per_platform: int = 1) -> list[str]:
    """The suite's channels: each platform once (named after it), then ``-2``, ``-3``… for more lanes."""
    return [
        platform if number == 1 else f"{platform}-{number}"
        for number in range(1, per_platform + 1)
        for platform in CHANNELS
    ]


def platform_of(channel: str) -> str:
    return channel.split("-", 1)[0]


def make_fakes(latency: Latency, names: list[str]) -> tuple[dict[str, Any], list[Any]]:
    """A fake per channel (Mastodon, Bluesky or Telegram), each on its own loopback server (started)."""
    from tests.fakeplatform.bluesky import BlueskyFake
    from tests.fakeplatform.mastodon import MastodonFake
    from tests.fakeplatform.server import FakeServer
    from tests.fakeplatform.telegram import TelegramFake

    class SlowMastodon(MastodonFake):
        def _post_status(self, request: Any, match: Any) -> Any:
            return latency.around(super()._post_status, request, match)

    class SlowBluesky(BlueskyFake):
        def _create_record(self, request: Any, match: Any) -> Any:
            return latency.around(super()._create_record, request, match)

        def _put_record(self, request: Any, match: Any) -> Any:
            return latency.around(super()._put_record, request, match)

    class SlowTelegram(TelegramFake):
        def _dispatch(self, request: Any, match: Any) -> Any:
            if match.group("method") in ("sendMessage", "sendPhoto"):
                return latency.around(super()._dispatch, request, match)
            return super()._dispatch(request, match)

    kinds: dict[str, Callable[[Any], Any]] = {
        "mastodon": SlowMastodon,
        "bluesky": SlowBluesky,
        "telegram": SlowTelegram,
    }
    servers = [FakeServer().start() for _ in names]
    fakes = {name: kinds[platform_of(name)](server) for name, server in zip(names, servers, strict=True)}
    return fakes, servers


# ---- planning ---------------------------------------------------------------------------------------


def split_posts(total: int, names: list[str] | None = None) -> dict[str, int]:
    """``total`` posts spread over the channels (the first ones get any remainder)."""
    names = names or list(CHANNELS)
    base, extra = divmod(total, len(names))
    return {channel: base + (1 if index < extra else 0) for index, channel in enumerate(names)}


def recent_minutes(count: int, now: datetime) -> list[datetime]:
    """``count`` consecutive local minutes ending ten minutes before ``now`` (oldest first)."""
    last = now.astimezone(common.ZONE).replace(second=0, microsecond=0) - timedelta(minutes=10)
    return [last - timedelta(minutes=back) for back in range(count - 1, -1, -1)]


def write_project(
    folder: Path,
    fakes: dict[str, Any],
    per_channel: dict[str, int],
    now: datetime,
    store: str = common.STORE_NAME,
    lease_seconds: float = 60.0,
) -> Path:
    longest = max(per_channel.values())
    minutes = recent_minutes(longest, now)
    if (now - minutes[0]).total_seconds() > 110 * 60:
        raise SystemExit(f"{longest} posts per channel need more than the 120-minute catch-up window")
    settings = {name: {**fake.channel_settings(), "read_timeout": 10.0} for name, fake in fakes.items()}
    today = now.astimezone(common.ZONE).date()
    campaigns = {}
    for channel, count in per_channel.items():
        times = ", ".join(f"{moment:%H.%M}" for moment in minutes[-count:])
        campaigns[f"crash-{channel}"] = {
            "title": f"Crash suite on {channel}",
            "channels": [channel],
            "slots": [f"setiap hari {times}"],
            "end": today,  # nothing for tomorrow: only the suite's posts exist
            "min_gap_days": 0,
            "holidays": "allow",
        }
    innovations = int(longest * INNOVATIONS_PER_POST) + 10
    common.write_catalogue(folder / "catalogue", common.innovation_rows(innovations, images=False))
    return common.write_config(
        folder,
        channels=settings,
        campaigns=campaigns,
        # A short backoff keeps a transient error (none is injected) from outlasting the suite.
        publishing={"horizon_days": 1, "backoff_seconds": 5.0, "lease_seconds": lease_seconds},
        store=store,
    )


def plan_posts(workspace: Any, per_channel: dict[str, int], first_due: datetime, spacing: float) -> list[Any]:
    """Plan the suite's posts at the real time and make them due ``spacing`` s apart from ``first_due``."""
    from outreach.model import PostState
    from outreach.outbox import Operation

    inserted, _refreshed, _cancelled = workspace.planning.apply_plan(1)
    posts = workspace.store.posts([PostState.PLANNED])
    counts = Counter(post.channel for post in posts)
    if inserted != len(posts) or dict(counts) != per_channel:
        raise RuntimeError(f"planning wrote {dict(counts)} (inserted {inserted}), wanted {per_channel}")
    names = list(per_channel)
    for channel in names:
        texts = [post.text for post in posts if post.channel == channel]
        if None in texts or len(set(texts)) != len(texts):
            raise RuntimeError(f"the {channel} posts' texts are not all rendered and distinct")
    # Interleave the channels so that all of them publish throughout the run.
    ordered = sorted(posts, key=lambda post: (post.scheduled_at, names.index(post.channel), post.id))
    by_channel: dict[str, list[Any]] = {channel: [] for channel in names}
    for post in ordered:
        by_channel[post.channel].append(post)
    interleaved = [
        by_channel[channel][index]
        for index in range(max(per_channel.values()))
        for channel in names
        if index < len(by_channel[channel])
    ]
    for index, post in enumerate(interleaved):
        workspace.store.transition(
            post.id,
            Operation.RESCHEDULE,
            first_due,
            "crash suite: due in a burst",
            due_at=first_due + timedelta(seconds=index * spacing),
        )
    return workspace.store.posts(ids=[post.id for post in interleaved])


# ---- the daemon ---------------------------------------------------------------------------------------


class Daemons:
    """Starts ``outreach run`` generations, each logging to its own file; kills them by their own pid."""

    def __init__(self, config: Path, folder: Path, environ: dict[str, str]) -> None:
        self.config = config
        self.folder = folder
        self.environ = environ
        self.current: subprocess.Popen | None = None
        self.generation = 0
        self.started_at = 0.0

    def start(self) -> subprocess.Popen:
        self.generation += 1
        with self.log_path(self.generation).open("w") as log:
            self.current = subprocess.Popen(
                [str(common.OUTREACH), "--config", str(self.config), "run"],
                cwd=self.folder,
                env=common.subprocess_env(**self.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.started_at = time.monotonic()
        return self.current

    def log_path(self, generation: int) -> Path:
        return self.folder / f"daemon-{generation:02d}.log"

    def kill(self) -> None:
        assert self.current is not None
        self.current.send_signal(signal.SIGKILL)
        self.current.wait(timeout=10)

    def stop(self) -> int | None:
        if self.current is None or self.current.poll() is not None:
            return self.current.returncode if self.current else None
        self.current.send_signal(signal.SIGTERM)
        try:
            return self.current.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.current.kill()
            self.current.wait(timeout=10)
            return None

    def check_alive(self) -> None:
        if self.current is not None and self.current.poll() is not None:
            log = self.log_path(self.generation).read_text()[-3000:]
            raise RuntimeError(f"daemon {self.generation} exited by itself ({self.current.returncode}):\n{log}")


def wait_for_start_up(daemons: Daemons, store: Any, deadline: float, ticked: bool = False) -> None:
    """Until the current daemon's heartbeat names its pid (recovery and planning are done) and, with
    ``ticked``, records a tick after that (its scheduler is running)."""
    process = daemons.current
    assert process is not None

    def up() -> bool:
        beat = store.get_setting("daemon") or {}
        if beat.get("pid") != process.pid:
            return False
        return not ticked or (beat.get("last_tick") or "") > (beat.get("started_at") or "")

    while not up():
        daemons.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"daemon {daemons.generation} did not start within the budget")
        time.sleep(0.02)


# ---- the report ----------------------------------------------------------------------------------------


@dataclass
class ChannelCounts:
    posts: int = 0
    published_once: int = 0
    unknown: int = 0
    unknown_on_platform: int = 0
    failed: int = 0
    duplicated: int = 0
    unaccounted: int = 0
    orphans: int = 0


@dataclass
class Report:
    seed: int
    posts: int
    kills: int
    kills_mid_publish: int
    restarts: int
    seconds: float
    channels: dict[str, ChannelCounts]
    recoveries: Counter
    problems: list[str] = field(default_factory=list)
    folder: Path | None = None
    #: Shared-store runs only: worker processes, kills that hit the leader, seconds until a live worker
    #: led again after each, and the audit of every orphan settlement against the kills.
    workers: int = 1
    leader_kills: int = 0
    takeovers: list[float] = field(default_factory=list)
    audit: workers_mod.Audit | None = None

    def total(self, name: str) -> int:
        return sum(getattr(counts, name) for counts in self.channels.values())

    def violations(self) -> list[str]:
        found = []
        if self.total("duplicated"):
            found.append(f"{self.total('duplicated')} posts appear more than once on their platform")
        if self.total("unaccounted"):
            found.append(f"{self.total('unaccounted')} posts are unaccounted for")
        if self.total("orphans"):
            found.append(f"{self.total('orphans')} platform posts match no post of the store")
        unknown = sum(self.channels[channel].unknown for channel in IDEMPOTENT)
        if unknown:
            found.append(f"{unknown} Mastodon/Bluesky posts are unknown despite idempotent retries")
        if self.audit is not None:
            found += self.audit.problems()
        return found + self.problems

    def table(self) -> list[list[str]]:
        names = [
            ("posts", "posts"),
            ("published exactly once", "published_once"),
            ("unknown (with a reason)", "unknown"),
            ("  of which on the platform", "unknown_on_platform"),
            ("failed (with a reason)", "failed"),
            ("duplicated on the platform", "duplicated"),
            ("unaccounted for", "unaccounted"),
            ("platform posts matching no post", "orphans"),
        ]
        targets = {"duplicated": "0", "unaccounted": "0", "orphans": "0"}
        rows = []
        for label, name in names:
            cells = [str(getattr(self.channels[channel], name)) for channel in CHANNELS]
            target = targets.get(name, "")
            if name == "unknown":
                target = "0 on mastodon+bluesky"
            rows.append([label, *cells, str(self.total(name)), target])
        return rows


def count(posts: list[Any], fakes: dict[str, Any]) -> tuple[dict[str, ChannelCounts], list[str]]:
    """Match each platform's own log to the store's posts of its channel; counts per platform and problems found."""
    problems: list[str] = []
    result = {platform: ChannelCounts() for platform in CHANNELS}
    for channel, fake in fakes.items():
        mine = [post for post in posts if post.channel == channel]
        count_channel(channel, mine, fake, result[platform_of(channel)], problems)
    return result, problems


def platform_log(platform: str, fake: Any) -> list[tuple[str, dict[str, Any]]]:
    """(text, entry) of every post the platform accepted."""
    if platform == "mastodon":
        return [(entry["status"], entry) for entry in list(fake.created)]
    if platform == "bluesky":
        return [(entry["record"]["text"], entry) for entry in list(fake.created)]
    return [(entry.get("text") or entry.get("caption") or "", entry) for entry in list(fake.created)]


def count_channel(channel: str, mine: list[Any], fake: Any, counts: ChannelCounts, problems: list[str]) -> None:
    platform = platform_of(channel)
    by_text = {(post.text or "").strip(): post for post in mine}
    found: dict[int, list[dict[str, Any]]] = {post.id: [] for post in mine}
    counts.posts += len(mine)
    for text, entry in platform_log(platform, fake):
        post = by_text.get(text.strip())
        if post is None:
            counts.orphans += 1
            problems.append(f"{channel}: a platform post matches no post of the store: {entry}")
            continue
        found[post.id].append(entry)
    for post in mine:
        entries = found[post.id]
        if len(entries) > 1:
            counts.duplicated += 1
            problems.append(f"{channel}: post {post.id} ({post.key}) is on the platform {len(entries)} times")
        if platform == "mastodon" and any(entry["idempotency_key"] != post.key for entry in entries):
            problems.append(f"{channel}: post {post.id} was created with another Idempotency-Key: {entries}")
        if platform == "bluesky" and any(entry["rkey"] != post.channel_state.get("rkey") for entry in entries):
            problems.append(f"{channel}: post {post.id} was created at an rkey the store does not hold: {entries}")
        state = post.state.value
        if state == "published" and len(entries) == 1 and post.remote_id == remote_id(platform, entries[0]):
            counts.published_once += 1
        elif state in ("unknown", "failed") and (post.reason or "").strip():
            if state == "unknown":
                counts.unknown += 1
                counts.unknown_on_platform += len(entries) == 1
            else:
                counts.failed += 1
        else:
            counts.unaccounted += 1
            problems.append(
                f"{channel}: post {post.id} ({post.key}) is unaccounted for: state {state}, "
                f"{len(entries)} on the platform, remote id {post.remote_id}, reason {post.reason!r}"
            )


def remote_id(channel: str, entry: dict[str, Any]) -> str:
    if channel == "mastodon":
        return str(entry["id"])
    if channel == "bluesky":
        return str(entry["uri"])
    return str(entry["message_id"])


# ---- the suite -----------------------------------------------------------------------------------------


def run_suite(
    folder: Path,
    *,
    posts: int = 200,
    kills: int = 20,
    seed: int | None = None,
    latency: float = 0.4,
    spacing: float = 0.15,
    kill_window: float = 5.0,
    launch_share: float = 0.2,
    budget: float = 170.0,
    say: Callable[[str], None] = print,
    store_url: str | None = None,
    workers: int = 1,
    per_platform: int = 1,
    leader_share: float = 0.3,
    busy_share: float = 0.3,
    lease_seconds: float = 60.0,
) -> Report:
    """Plan ``posts``, run and SIGKILL the daemon ``kills`` times, settle, and count; never raises on a
    violated invariant (see ``Report.violations``).

    With ``store_url`` (a PostgreSQL database, empty: the store is created here) ``workers`` processes
    share it and each kill lands on one of them (see ``_crash_workers``); otherwise one daemon on a
    SQLite file in ``folder``."""
    from outreach.app import Workspace
    from outreach.clock import FixedClock
    from outreach.config import load_config

    common.quiet_fake_server()
    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    rng = random.Random(seed)
    shared = store_url is not None
    say(
        f"seed {seed} (repeat with --seed {seed}); {posts} posts, {kills} kills, fake latency 0–{latency * 1000:.0f} ms"
        + (f"; {workers} workers on one PostgreSQL store" if shared else "; one daemon on a SQLite store")
    )
    started = time.monotonic()
    names = channel_names(per_platform)
    fakes, servers = make_fakes(Latency(seed + 1, latency), names)
    workspace = None
    try:
        environ: dict[str, str] = {}
        for fake in fakes.values():
            environ.update(fake.environ)
        per_channel = split_posts(posts, names)
        now = datetime.now(UTC)
        config = write_project(
            folder, fakes, per_channel, now, store=store_url or common.STORE_NAME, lease_seconds=lease_seconds
        )
        # The store is created before the recent slots it plans (a store never fills slots from before
        # its creation), then the clock is the real one again.
        clock = FixedClock(now - timedelta(hours=2))
        workspace = Workspace(load_config(config, environ=environ), clock)
        workspace.store  # noqa: B018  # touching the property creates the store, now
        clock.set(now)
        # Shared: the first post falls due once the workers are likely up (each takes seconds to start on 2 cores).
        lead = 2.0 + (START_SECONDS * workers if shared else 0.0)
        planned = plan_posts(workspace, per_channel, datetime.now(UTC) + timedelta(seconds=lead), spacing)
        first_due = time.monotonic() + lead
        clock.set(datetime.now(UTC))
        say(
            f"planned {len(planned)} posts on {len(names)} channels, due {spacing:g} s apart over "
            f"{len(planned) * spacing:.0f} s"
        )
        ids = [post.id for post in planned]
        run = Run(folder, config, environ, workspace.store, ids, rng, started, budget, say, first_due)
        if shared:
            report = run_shared(run, kills, workers, spacing, kill_window, Aim(launch_share, leader_share, busy_share))
        else:
            report = run_single(run, kills, latency, kill_window, launch_share)
        time.sleep(latency + 0.5)  # requests the killed daemons left on the fakes finish
        final = workspace.store.posts(ids=run.ids)
        report.channels, problems = count(final, fakes)
        report.problems[:0] = problems
        report.posts, report.seed, report.seconds = len(final), seed, time.monotonic() - started
        for post_id in run.ids:
            for event in workspace.store.events(post_id):
                if is_orphan_settlement(event.reason or ""):
                    report.recoveries[event.to_state] += 1
        return report
    finally:
        if workspace is not None:
            workspace.close()
        for server in servers:
            server.stop()


def is_orphan_settlement(reason: str) -> bool:
    """Whether an event's reason is the publisher's settlement of a post interrupted while publishing."""
    from outreach.publisher import INTERRUPTED

    return reason.startswith(INTERRUPTED)


@dataclass
class Run:
    """What both modes share: the project, the store, the posts, the dice, the clock, the printer."""

    folder: Path
    config: Path
    environ: dict[str, str]
    store: Any
    ids: list[int]
    rng: random.Random
    started: float
    budget: float
    say: Callable[[str], None]
    #: When the first post falls due (``time.monotonic``).
    first_due: float

    @property
    def deadline(self) -> float:
        return self.started + self.budget

    def unsettled(self) -> int:
        return sum(1 for post in self.store.posts(ids=self.ids) if post.state.value not in SETTLED)

    def in_flight(self) -> list[int]:
        from outreach.model import PostState

        wanted = set(self.ids)
        return [post.id for post in self.store.posts([PostState.PUBLISHING]) if post.id in wanted]

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def report(self, kills: int, kills_mid_publish: int, restarts: int) -> Report:
        return Report(0, 0, kills, kills_mid_publish, restarts, 0.0, {}, Counter(), [], self.folder)


def run_single(run: Run, kills: int, latency: float, kill_window: float, launch_share: float) -> Report:
    """One daemon on a SQLite store: SIGKILL it ``kills`` times, restarting it at once each time."""
    daemons = Daemons(run.config, run.folder, run.environ)
    store, rng = run.store, run.rng
    try:
        daemons.start()
        kills_mid_publish = 0
        left = len(run.ids)
        per_post = latency / 2 + 0.06  # seconds one publish takes on average (fake latency + our work)
        for number in range(1, kills + 1):
            if rng.random() < launch_share:
                # Anywhere from start-up on: the kill may interrupt the import, recovery or planning.
                delay = rng.uniform(0.0, 1.5)
                when = "after launch"
                anchor = daemons.started_at
            else:
                # Once the daemon is up (its heartbeat names it): the kill lands among the publishing.
                # The window shrinks as the posts run out, so that every kill finds work in progress.
                window = min(kill_window, max(0.3, 2 * left * per_post / (kills - number + 2)))
                delay = rng.uniform(0.0, window)
                when = "after start-up"
                wait_for_start_up(daemons, store, run.deadline)
                anchor = time.monotonic()
            while time.monotonic() < anchor + delay:
                daemons.check_alive()
                time.sleep(0.01)
            daemons.kill()
            publishing = run.in_flight()
            kills_mid_publish += bool(publishing)
            left = run.unsettled()
            run.say(
                f"kill {number:2d}: daemon {daemons.generation} SIGKILLed {delay:.2f} s {when}, "
                f"{run.elapsed():5.1f} s into the run; in flight: {publishing or 'none'}; "
                f"{left} posts not yet settled"
            )
            daemons.start()
            if left == 0 and not publishing and number < kills:
                run.say("every post settled before the kills ran out; the remaining kills are skipped")
                kills = number
                break

        while run.unsettled() and time.monotonic() < run.deadline:
            daemons.check_alive()
            time.sleep(0.1)
        # Stop a daemon whose scheduler runs (it has ticked): a SIGTERM during start-up is another story
        # (before the handlers exist it ends the interpreter; after, it is lost — see the report).
        wait_for_start_up(daemons, store, run.deadline + 20, ticked=True)
        code = daemons.stop()
        left = run.unsettled()
        run.say(
            f"final daemon {daemons.generation} stopped with SIGTERM (exit {code}); "
            f"{left} posts unsettled at {run.elapsed():.1f} s"
        )
        report = run.report(kills, kills_mid_publish, daemons.generation - 1)
        if left:
            report.problems.append(f"the budget of {run.budget:.0f} s ran out with {left} posts unsettled")
        if code != 0:
            report.problems.append(f"the final daemon did not stop cleanly on SIGTERM (exit {code})")
        return report
    finally:
        if daemons.current is not None and daemons.current.poll() is None:
            daemons.current.kill()
            daemons.current.wait(timeout=10)


def kill_moments(rng: random.Random, kills: int, period: float) -> list[float]:
    """When each kill lands, in s after the first post fell due: spread at random over the publishing period."""
    return sorted(rng.uniform(0.0, period) for _ in range(kills))


@dataclass(frozen=True)
class Aim:
    """How the kills choose their victim: shares of start-up kills, of the leader, of a worker with a claim in
    flight; the rest hit a worker at random."""

    launch: float = 0.2
    leader: float = 0.3
    busy: float = 0.3


def kill_next(
    run: Run, pool: workers_mod.Workers, last: workers_mod.Worker | None, aim: Aim, moment: float
) -> tuple[workers_mod.Worker, str]:
    """Wait for the kill's moment, then choose its victim (and why): the worker the last kill restarted,
    0–1.5 s after its launch; or, at ``moment``, the leader, a worker with a claim in flight, or any."""
    roll = run.rng.random()
    if last is not None and roll < aim.launch:
        wait_until(pool, last.started + run.rng.uniform(0.0, 1.5))
        return last, "during its start-up"
    wait_until(pool, moment)
    if roll < aim.launch + aim.leader:
        leading = workers_mod.leader(pool, run.store)
        if leading is not None:
            return leading, "the leader"
    if roll < aim.launch + aim.leader + aim.busy:
        busy = {workers_mod.pid_of(worker) for _post, _attempt, worker in workers_mod.claims(run.store)}
        candidates = [worker for worker in pool.current.values() if worker.pid in busy]
        if candidates:
            return run.rng.choice(candidates), "with a claim in flight"
    return pool.current[run.rng.randrange(pool.count)], "at random"


def wait_until(pool: workers_mod.Workers, moment: float) -> None:
    while time.monotonic() < moment:
        pool.check_alive()
        time.sleep(0.01)


def run_shared(  # long: one story, start → kills → settle → stop, told in order
    run: Run, kills: int, count: int, spacing: float, kill_window: float, aim: Aim
) -> Report:
    """``count`` workers on one shared store; ``kills`` SIGKILLs spread over the publishing, each on a
    random worker (sometimes the leader, sometimes one still starting), restarted at once in its slot."""
    pool = workers_mod.Workers(run.config, run.folder, run.environ, count)
    store = run.store
    takeovers: list[float] = []
    watchers: list[threading.Thread] = []
    try:
        with workers_mod.ClaimWatcher(store) as watcher:
            pool.start_all()
            began = time.monotonic()
            for worker in pool.current.values():
                workers_mod.wait_up(pool, worker, store, run.deadline)
            run.say(f"{count} workers up after {time.monotonic() - began:.1f} s")
            # The kills are timed from the first due post, or from the workers' start if that came later.
            anchor = max(run.first_due, time.monotonic())
            kills_mid_publish = leader_kills = 0
            last: workers_mod.Worker | None = None
            for number, moment in enumerate(kill_moments(run.rng, kills, len(run.ids) * spacing + kill_window), 1):
                victim, why = kill_next(run, pool, last, aim, anchor + moment)
                was_leader = workers_mod.leader(pool, store) is victim
                held = [post_id for post_id, _attempt, worker in workers_mod.claims(store) if
                        workers_mod.pid_of(worker) == victim.pid]  # fmt: skip
                pool.kill(victim)
                killed = time.monotonic()
                kills_mid_publish += bool(held)
                leader_kills += was_leader
                run.say(
                    f"kill {number:2d}: worker {victim.number} (slot {victim.slot}, pid {victim.pid}"
                    f"{', leader' if was_leader else ''}) SIGKILLed {why}, {run.elapsed():5.1f} s into the run; "
                    f"its claims in flight: {held or 'none'}; {run.unsettled()} posts not yet settled"
                )
                last = pool.start(victim.slot)
                if was_leader:
                    watch = threading.Thread(
                        target=lambda since=killed: takeovers.append(
                            workers_mod.wait_for_leader(pool, store, since, since + 120) or float("inf")
                        ),
                        daemon=True,
                    )
                    watch.start()
                    watchers.append(watch)
            run.say(f"kills done at {run.elapsed():.1f} s; waiting for the orphans' leases to run out")
            while run.unsettled() and time.monotonic() < run.deadline:
                pool.check_alive()
                time.sleep(0.2)
            for worker in pool.current.values():
                workers_mod.wait_up(pool, worker, store, run.deadline + 30, beats=2)
            codes = pool.stop_all()
        for watch in watchers:
            watch.join(timeout=130)
        left = run.unsettled()
        run.say(f"workers stopped with SIGTERM (exit codes {sorted(codes.values(), key=str)}); "
                f"{left} posts unsettled at {run.elapsed():.1f} s")  # fmt: skip
        report = run.report(kills, kills_mid_publish, len(pool.every) - count)
        report.workers, report.leader_kills, report.takeovers = count, leader_kills, takeovers
        report.audit = workers_mod.audit(store, run.ids, watcher.seen, pool, is_orphan_settlement)
        if watcher.error:
            report.problems.append(f"the claim watcher failed: {watcher.error}")
        if left:
            report.problems.append(f"the budget of {run.budget:.0f} s ran out with {left} posts unsettled")
        if any(code != 0 for code in codes.values()):
            report.problems.append(f"a worker did not stop cleanly on SIGTERM (exit codes {codes})")
        if any(seconds > 30 for seconds in takeovers):
            report.problems.append(f"planning's lead was not taken over within 30 s: {takeovers}")
        return report
    finally:
        pool.kill_leftovers()


def print_report(report: Report) -> None:
    common.print_table(["crash suite", *CHANNELS, "total", "must be"], report.table())
    recovered = ", ".join(f"{count} → {state}" for state, count in sorted(report.recoveries.items())) or "none"
    print(
        f"kills: {report.kills} ({report.kills_mid_publish} with a post in flight), restarts: {report.restarts}; "
        f"settlements of interrupted posts: {recovered}"
    )
    if report.audit is not None:
        print_audit(report)
    print(f"run time: {report.seconds:.1f} s")
    violations = report.violations()
    if violations:
        print("INVARIANTS VIOLATED:")
        for line in violations:
            print(f"  - {line}")
    else:
        alive = ", no post settled while its worker was alive" if report.audit is not None else ""
        print(f"invariants: PASS (no duplicates, none unaccounted, no unknown on Mastodon/Bluesky{alive})")


def print_audit(report: Report) -> None:
    audit = report.audit
    assert audit is not None
    gaps = sorted(audit.gaps)
    spread = f"{gaps[0]:.1f} / {common.median(gaps):.1f} / {gaps[-1]:.1f} s" if gaps else "none"
    print(
        f"{report.workers} workers; orphan settlements: {audit.settlements}, each after its worker's kill "
        f"(kill → settlement min / median / max: {spread}); settled while the worker was alive: "
        f"{len(audit.while_alive)}; not attributable: {len(audit.unattributed)}"
    )
    taken = ", ".join(f"{seconds:.1f} s" for seconds in report.takeovers) or "none measured"
    print(f"kills of the leader: {report.leader_kills}; a live worker led again after: {taken} (target ≤ 30 s)")


def postgres_database() -> str:
    """A new, empty database on the test server (tests/postgres.py's), or exit saying why not."""
    from tests import postgres

    reason = postgres._probe()
    if reason is not None:
        raise SystemExit(f"PostgreSQL is not available at {postgres.server_url()}: {reason}")
    return postgres.create_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200, help="posts over the channels")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs (each followed by a restart)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the kill moments and latencies")
    parser.add_argument("--latency", type=float, default=0.4, help="maximum seconds a create request takes")
    parser.add_argument("--spacing", type=float, default=None, help="seconds between due times (0.15; 0.5 shared)")
    parser.add_argument("--kill-window", type=float, default=5.0, help="a kill lands 0–this s after start-up")
    parser.add_argument(
        "--launch-share",
        type=float,
        default=0.2,
        help="share of kills timed from launch (0–1.5 s), which may hit start-up and recovery",
    )
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=3, help="worker processes on a PostgreSQL store")
    parser.add_argument(
        "--channels-per-platform", type=int, default=None, help="channels of each platform (1; 3 on PostgreSQL)"
    )
    parser.add_argument("--leader-share", type=float, default=0.3, help="share of kills aimed at the leader")
    parser.add_argument(
        "--busy-share", type=float, default=0.3, help="share of kills aimed at a worker with a claim in flight"
    )
    parser.add_argument("--lease", type=float, default=60.0, help="[publishing] lease_seconds of the workers")
    parser.add_argument("--budget", type=float, default=None, help="give up waiting after this many s (170; 480)")
    parser.add_argument("--keep", action="store_true", help="keep the folder (config, logs) and the database")
    args = parser.parse_args()
    shared = args.store == "postgresql"
    common.print_machine("crash_suite: SIGKILL the daemon while it publishes; nothing lost, nothing doubled")
    folder = Path(tempfile.mkdtemp(prefix="outreach-crash-"))
    url = postgres_database() if shared else None
    report: Report | None = None
    try:
        report = run_suite(
            folder,
            posts=args.posts,
            kills=args.kills,
            seed=args.seed,
            latency=args.latency,
            spacing=args.spacing or (0.5 if shared else 0.15),
            kill_window=args.kill_window,
            launch_share=args.launch_share,
            budget=args.budget or (480.0 if shared else 170.0),
            store_url=url,
            workers=args.workers if shared else 1,
            per_platform=args.channels_per_platform or (3 if shared else 1),
            leader_share=args.leader_share,
            busy_share=args.busy_share,
            lease_seconds=args.lease,
        )
        print_report(report)
    finally:
        keep = args.keep or report is None or bool(report.violations())
        if keep:
            print(f"kept: {folder} (config, store, logs)" + (f" and the database {url}" if url else ""))
        else:
            shutil.rmtree(folder, ignore_errors=True)
        if url and not keep:
            from tests import postgres

            postgres.drop_database(url)
    sys.exit(1 if report.violations() else 0)


if __name__ == "__main__":
    main()
