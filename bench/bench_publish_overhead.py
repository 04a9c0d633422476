"""Benchmark 2: the Publisher's overhead over a bare ``requests`` loop, 500 Mastodon posts at 50 ms each.

Run:  python bench/bench_publish_overhead.py [--posts N] [--chunks C] [--latency S] [--big-posts M] [--profile]
          [--store sqlite|postgresql]

Two loopback Mastodon fakes (``tests/fakeplatform``) answer ``POST /api/v1/statuses`` after an
injected 50 ms delay (a ``slow`` fault with ``times`` = the number of posts), one for each side so
both see an identical, empty instance.

- ``publisher``: posts already rendered and planned in the store (due ten minutes ago, so due now;
  text-only, one create call each), published by the real ``Publisher.publish_due()`` on a
  ``Workspace`` with a ``mastodon`` channel: claim (committed), plain-language check (the campaign
  blocks errors, as the example config does), catalogue look-up, checkpoint, HTTP call, recorded
  outcome — everything the daemon does per post.
- ``bare requests``: one ``requests.Session`` posting the same 500 bodies (``status``,
  ``visibility``, ``language`` form fields) with the same headers (Authorization, Idempotency-Key,
  outreach's User-Agent) and timeouts, in the same order.

The 500 posts run as ``--chunks`` chunks of equal size, the two sides alternating (ABBA…) so that
drift on a noisy machine hits both alike; the table gives totals, the ratio of totals (the
target), and the median of the per-chunk ratios. The catalogue has one innovation per post (plus
one per profiled post).

Because the Publisher looks the innovation up in the catalogue for every post, a second, shorter
phase repeats the comparison with ``--big-posts`` posts (50, in two chunks; 10 posts in one chunk, as
before, swung by ±0.04 between runs) on a 10,000-innovation catalogue (import timed separately, not in
the figures). Its store is new, so each side first sends one post
untimed, as a running daemon has published before (its time is printed): what the phase compares is the
catalogue's size, not the first use of a store (statements compiled, connections opened).

``--store postgresql`` runs the Publisher's side on a fresh database of the test server
(``$OUTREACH_TEST_POSTGRES``, default 127.0.0.1:5432), one per phase, dropped afterwards. The Publisher
publishes in lanes (threads), so the profile's main thread mostly shows it waiting for them.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

TARGET_RATIO = 1.10
CAMPAIGN = "kenali-inovasi"
CHANNEL = "mastodon"
CREATE_PATH = "/api/v1/statuses"


class Side:
    """One loopback Mastodon fake with ``posts`` slow creates queued up."""

    def __init__(self, posts: int, latency: float) -> None:
        from tests.fakeplatform.mastodon import MastodonFake
        from tests.fakeplatform.server import FakeServer, Fault

        self.server = FakeServer().start()
        self.fake = MastodonFake(self.server)
        if latency > 0:
            self.server.inject(Fault("slow", path=CREATE_PATH, method="POST", times=posts, delay=latency))

    def stop(self) -> None:
        self.server.stop()


def build(folder: Path, innovations: int, server_url: str, store: str = common.STORE_NAME) -> Any:
    """Config with one mastodon channel pointing at ``server_url``, on ``store``; a Workspace on the real clock."""
    from outreach.app import Workspace
    from outreach.config import load_config
    from tests.fakeplatform.mastodon import MastodonFake

    config_path = common.project(
        folder,
        innovations,
        channels={CHANNEL: {"type": "mastodon", "base_url": server_url}},
        campaigns={CAMPAIGN: common.campaign_block([CHANNEL], date(2026, 12, 1), date(2027, 3, 31))},
        images=False,
    )
    if store != common.STORE_NAME:  # common.project writes the SQLite file's name
        text = config_path.read_text(encoding="utf-8")
        config_path.write_text(text.replace(f'store = "{common.STORE_NAME}"', f'store = "{store}"'), encoding="utf-8")
    config = load_config(config_path, environ={"MASTODON_ACCESS_TOKEN": MastodonFake.TOKEN})
    return Workspace(config)


def plan_posts(ws: Any, entries: list[Any], when: datetime) -> list[Any]:
    """Render one post per entry (kinds in series order), write them as planned and due at ``when``."""
    from outreach.model import PlannedPost, PostState

    series = ws.config.campaigns[CAMPAIGN].series
    rows = []
    for index, entry in enumerate(entries):
        planned = PlannedPost(CAMPAIGN, CHANNEL, entry.innovation.id, series[index % len(series)], when)
        draft = ws.planning.draft(planned, entry.innovation, entry.source)
        if draft.rendered is None or draft.errors:
            raise RuntimeError(f"{planned.key} would not publish: {draft.error or draft.warnings()}")
        rows.append(
            {
                "key": planned.key,
                "campaign": planned.campaign,
                "channel": planned.channel,
                "innovation_id": planned.innovation_id,
                "kind": planned.kind,
                "scheduled_at": planned.when,
                "content_hash": entry.innovation.content_hash,
                "text": draft.rendered.text,
                "link": draft.rendered.link,
                "image": None,
                "alt_text": None,
            }
        )
    ws.store.apply_plan(rows, [], datetime.now(UTC))
    keys = {row["key"] for row in rows}
    return [post for post in ws.store.posts([PostState.PLANNED]) if post.key in keys]


def bare_loop(session: Any, url: str, posts: list[Any], token: str, timeout: tuple[float, float]) -> None:
    """The same create calls as the Mastodon adapter makes, straight through ``requests``."""
    for post in posts:
        response = session.post(
            url,
            data={"status": post.text, "visibility": "public", "language": "id"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": post.key},
            timeout=timeout,
        )
        if response.status_code != 200 or not isinstance(response.json().get("id"), str):
            raise RuntimeError(f"bare loop: HTTP {response.status_code}: {response.text[:200]}")


def compare(
    ws: Any, entries: list[Any], chunks: int, latency: float, publisher_side: Side, warm_up: bool = False
) -> dict[str, Any]:
    """Alternate bare loop and Publisher over ``chunks`` chunks of ``entries``; the timings.

    ``warm_up``: each side first sends ``entries[0]`` untimed (its time printed apart), as a running daemon has
    published before and the bare loop's session holds its connection; the rest are compared.
    """
    import requests

    from outreach.channels.http import USER_AGENT
    from outreach.model import PostState
    from tests.fakeplatform.mastodon import MastodonFake

    bare_side = Side(len(entries), latency)
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    settings = ws.config.channels[CHANNEL]
    timeout = (settings.connect_timeout, settings.read_timeout)
    publisher = ws.publisher()
    ws.adapter(CHANNEL)
    ws.glossary  # noqa: B018  loaded once, as in a running daemon
    size = -(-len(entries) // chunks)
    bare_times: list[float] = []
    publisher_times: list[float] = []
    published = 0
    due = datetime.now(UTC) - timedelta(minutes=10)
    try:
        if warm_up:
            first, entries = plan_posts(ws, entries[:1], due.astimezone(common.ZONE)), entries[1:]
            t0 = time.perf_counter()
            bare_loop(session, f"{bare_side.server.url}{CREATE_PATH}", first, MastodonFake.TOKEN, timeout)
            t1 = time.perf_counter()
            publisher.publish_due()
            t2 = time.perf_counter()
            print(f"first post after opening (not in the figures): bare {(t1 - t0) * 1e3:.0f} ms, ", end="")
            print(f"Publisher {(t2 - t1) * 1e3:.0f} ms (its statements compiled, its connections opened)")
        for number in range(chunks):
            part = entries[number * size : (number + 1) * size]
            if not part:
                break
            posts = plan_posts(ws, part, due.astimezone(common.ZONE))

            def run_bare(posts: list[Any] = posts) -> None:
                t0 = time.perf_counter()
                bare_loop(session, f"{bare_side.server.url}{CREATE_PATH}", posts, MastodonFake.TOKEN, timeout)
                bare_times.append(time.perf_counter() - t0)

            def run_publisher() -> None:
                nonlocal published
                t0 = time.perf_counter()
                outcomes = publisher.publish_due()
                publisher_times.append(time.perf_counter() - t0)
                published += sum(1 for outcome in outcomes if outcome.state is PostState.PUBLISHED)

            order = (run_bare, run_publisher) if number % 2 == 0 else (run_publisher, run_bare)
            for step in order:
                step()
    finally:
        session.close()
        bare_side.stop()
    return {
        "bare": bare_times,
        "publisher": publisher_times,
        "published": published,
        "created_publisher": len(publisher_side.fake.created),
        "created_bare": len(bare_side.fake.created),
        "warmed_up": warm_up,
    }


def profile_publisher(ws: Any, entries: list[Any], limit: int = 22) -> str:
    """Where ``Publisher.publish_due`` spends its time over ``entries``: store transactions, then cProfile.

    The transaction count is instrumentation of this run only: ``Store.transaction`` is wrapped
    here to attribute each transaction (and its wall time) to the ``Store`` method that opened it.
    cProfile sees the main thread only, so the wait for the fake shows as socket reads.
    """
    import collections
    import contextlib

    from outreach import store as store_module

    plan_posts(ws, entries, (datetime.now(UTC) - timedelta(minutes=10)).astimezone(common.ZONE))
    publisher = ws.publisher()
    original = store_module.Store.transaction
    counts: collections.Counter[str] = collections.Counter()
    seconds: collections.defaultdict[str, float] = collections.defaultdict(float)

    @contextlib.contextmanager
    def counted(self: Any) -> Any:
        caller = sys._getframe(2).f_code.co_name  # the Store method: generator ← __enter__ ← caller
        t0 = time.perf_counter()
        with original(self) as connection:
            yield connection
        counts[caller] += 1
        seconds[caller] += time.perf_counter() - t0

    store_module.Store.transaction = counted  # type: ignore[method-assign]  # instrumented for this run only
    profiler = cProfile.Profile()
    try:
        t0 = time.perf_counter()
        profiler.enable()
        publisher.publish_due()
        profiler.disable()
        wall = time.perf_counter() - t0
    finally:
        store_module.Store.transaction = original  # type: ignore[method-assign]  # the method restored
    posts = len(entries)
    out = io.StringIO()
    out.write(
        f"store transactions during publish_due of {posts} posts ({wall:.2f} s under cProfile; "
        f"each transaction: a pooled connection, BEGIN (IMMEDIATE on SQLite), commit):\n"
    )
    lines = [
        [name, str(count), f"{count / posts:.2f}", f"{seconds[name] / posts * 1000:.2f}"]
        for name, count in counts.most_common()
    ]
    lines.append(
        [
            "total",
            str(sum(counts.values())),
            f"{sum(counts.values()) / posts:.2f}",
            f"{sum(seconds.values()) / posts * 1000:.2f}",
        ]
    )
    saved = sys.stdout
    sys.stdout = out
    try:
        common.print_table(["Store method", "transactions", "per post", "ms per post"], lines)
    finally:
        sys.stdout = saved
    out.write("\n")
    out.write("outreach's own functions by cumulative time (the HTTP wait is inside deliver):\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(re.escape(str(common.REPO / "outreach")), limit)
    out.write("every function by own time:\n")
    stats.sort_stats("tottime").print_stats(14)
    return out.getvalue().replace(str(common.REPO) + "/", "")


def report(name: str, result: dict[str, Any], posts: int) -> list[list[str]]:
    bare = sum(result["bare"])
    pub = sum(result["publisher"])
    ratios = [p / b for p, b in zip(result["publisher"], result["bare"], strict=True)]
    ratio = pub / bare
    print(
        f"{name}: {posts} posts; published by the Publisher: {result['published']}; "
        f"statuses created: publisher side {result['created_publisher']}, bare side {result['created_bare']}"
        + (" (the untimed first post included)" if result["warmed_up"] else "")
    )
    common.print_table(
        ["side", "total s", "per post ms", "chunks (s)"],
        [
            [
                "bare requests loop",
                f"{bare:.2f}",
                f"{bare / posts * 1000:.1f}",
                " ".join(f"{t:.2f}" for t in result["bare"]),
            ],
            [
                "Publisher.publish_due",
                f"{pub:.2f}",
                f"{pub / posts * 1000:.1f}",
                " ".join(f"{t:.2f}" for t in result["publisher"]),
            ],
        ],
    )
    print(
        f"overhead per post: {(pub - bare) / posts * 1000:.1f} ms; median of per-chunk ratios: "
        f"{common.median(ratios):.3f}"
    )
    return [
        [f"{name}: ratio of totals", f"{ratio:.3f}×", f"≤ {TARGET_RATIO:.2f}×", common.verdict(ratio, TARGET_RATIO)]
    ]


@contextlib.contextmanager
def store(engine: str) -> Iterator[str]:
    """The store URL of one phase: the SQLite file beside the config, or a new PostgreSQL database (dropped after)."""
    if engine == "sqlite":
        yield common.STORE_NAME
        return
    from tests.postgres import create_database, drop_database

    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


def settle(url: str) -> None:
    """``VACUUM ANALYZE`` a PostgreSQL store just filled in bulk, as autovacuum soon does on a running server:
    otherwise autovacuum does it during the timed posts (on this machine's two cores) and the planner still
    has the empty tables' statistics."""
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake waits before each create")
    parser.add_argument("--big-posts", type=int, default=50, help="posts of the 10,000-innovation phase (0: skip)")
    parser.add_argument("--profile-posts", type=int, default=30, help="posts profiled when a target is missed")
    parser.add_argument("--profile", action="store_true", help="print the profile even when the target is met")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite", help="the Publisher's store")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
    common.quiet_fake_server()

    common.print_machine(
        f"bench_publish_overhead: {args.posts} Mastodon posts, {args.latency * 1000:.0f} ms per create, "
        f"{args.store} store"
    )
    rows: list[list[str]] = []
    profile_text = ""
    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as temporary, contextlib.ExitStack() as stack:
        folder = Path(temporary)
        extra = args.profile_posts
        side = Side(args.posts + extra, args.latency)
        try:
            ws = build(folder / "small", args.posts + extra, side.server.url, stack.enter_context(store(args.store)))
            entries = ws.planning.catalogue()
            result = compare(ws, entries[: args.posts], args.chunks, args.latency, side)
            rows += report(f"{len(entries):,}-innovation catalogue", result, args.posts)
            if extra and (rows[-1][3] == "MISS" or args.profile):
                profile_text = profile_publisher(ws, entries[args.posts :])
            ws.close()
        finally:
            side.stop()

        if args.big_posts:
            print()
            side = Side(args.big_posts + 1, args.latency)
            try:
                ws = build(folder / "big", 10_000, side.server.url, stack.enter_context(store(args.store)))
                t0 = time.perf_counter()
                entries = ws.planning.catalogue()
                print(f"10,000-innovation catalogue imported in {time.perf_counter() - t0:.2f} s (not in the figures)")
                if args.store == "postgresql":
                    settle(ws.store.url)
                result = compare(ws, entries[: args.big_posts + 1], 2, args.latency, side, warm_up=True)
                rows += report("10,000-innovation catalogue", result, args.big_posts)
                ws.close()
            finally:
                side.stop()
    print()
    common.print_table(["measure", "measured", "target", "verdict"], rows)
    if profile_text:
        print()
        print(
            f"cProfile of Publisher.publish_due over {args.profile_posts} more posts "
            f"(main thread; waiting for the fake shows as socket reads):"
        )
        print(profile_text)


if __name__ == "__main__":
    main()
