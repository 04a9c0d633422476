"""Benchmark: an agency head's decision on the web page over a large store — the innovation's plan alone against
the full re-plan the request made before (#16).

Run:  python bench/bench_web_decision.py [--innovations N] [--posts N] [--repeat N]

The store is ``bench_web.py``'s (10,000 approved innovations, 100,000 posts, about 280 a day), with its
campaign moved to now (from 300 days ago to a year ahead) so that a decision has slots to plan into; one
full plan brings it to what the daemon keeps (untimed). Then, in process, as ``/inovasi/<id>/putuskan`` does:
rejecting an approved innovation and approving it again, each followed by ``Planning.write_plan(horizon,
only=id)`` (``--repeat`` times each; p50 and max); the baseline, in the same run, is the same decision followed
by the full ``write_plan(horizon)`` the page ran before. Target: the page's p95 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
import bench_web

TARGET = 0.200


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--innovations", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    common.print_machine("a decision on the web page: the innovation's plan alone vs the full re-plan")
    from outreach.app import Workspace
    from outreach.config import load_config
    from outreach.model import PostState

    with tempfile.TemporaryDirectory(prefix="outreach-bench-decision-") as temporary:
        folder = Path(temporary)
        config, ids = bench_web.build(folder, args.innovations, args.posts, 0, 0)
        today = datetime.now(common.ZONE).date()
        text = config.read_text().replace("2099-01-01", f"{today - timedelta(days=300)}")
        config.write_text(text.replace("2099-12-31", f"{today + timedelta(days=365)}"))
        ws = Workspace(load_config(config))
        horizon = ws.config.publishing.horizon_days
        setup, outcome = timed(lambda: ws.planning.write_plan(horizon))
        print(f"setup: the full plan the daemon keeps, {setup:.1f} s: {outcome}")
        planned = ws.store.posts([PostState.PLANNED], ws.now())
        chosen = planned[len(planned) // 2].innovation_id
        times: dict[str, list[float]] = {"rejected": [], "approved": []}
        last: dict[str, object] = {}
        for _run in range(args.repeat):
            for decision in times:
                ws.store.decide([chosen], decision, "bench", ws.now(), "bench" if decision == "rejected" else None)
                seconds, last[decision] = timed(lambda: ws.planning.write_plan(horizon, only=chosen))
                times[decision].append(seconds)
        rows = [
            [f"{decision}, this innovation's plan", f"{common.percentile(found, 0.5) * 1000:.0f} ms",
             f"{max(found) * 1000:.0f} ms", common.verdict(common.percentile(found, 0.95), TARGET), str(last[decision])]
            for decision, found in times.items()
        ]  # fmt: skip
        for decision in ("rejected", "approved"):
            ws.store.decide([chosen], decision, "bench", ws.now(), "bench" if decision == "rejected" else None)
            seconds, result = timed(lambda: ws.planning.write_plan(horizon))
            rows.append([f"baseline: {decision}, the full re-plan (before)", f"{seconds * 1000:.0f} ms", "", "",
                         str(result)])  # fmt: skip
        ws.close()
    common.print_table(["decision", "p50", "max", f"verdict (≤ {TARGET * 1000:.0f} ms)", "outcome"], rows)
    print(f"innovation {chosen}; store: {args.innovations:,} innovations, {args.posts:,} posts ({ids['month']})")


if __name__ == "__main__":
    main()
