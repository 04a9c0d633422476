"""Benchmark 5: resident memory of the daemon with 10,000 innovations planned 14 days ahead.

Run:  python bench/bench_memory.py [--innovations N] [--settle S]

A generated catalogue (as in benchmark 1) and a config with the 7 ``file`` channels, one campaign
(slots "senin-jumat 08.00, 12.00, 16.00" and "sabtu 09.00", from tomorrow for 30 days, so nothing
is due while measuring) and ``horizon_days = 14``. ``outreach run`` is started as a subprocess;
once its log says it has planned and started (``planned N new posts`` … ``outreach daemon
started``), the bench waits ``--settle`` seconds (its first tick has run by then), samples
``VmRSS`` from ``/proc/<pid>/status`` ten times over one second, reads ``VmHWM`` (the peak RSS
since the process started), then stops it with SIGTERM.

Two starts on two fresh stores:

- ``restart``: the bench imported the catalogue into the store first (an ordinary start of a
  daemon whose store already knows the catalogue);
- ``first start``: the daemon imports the 10,000-row catalogue itself before planning.

A third start uses the 19-innovation example catalogue: the daemon's floor (interpreter,
imports, scheduler) with next to no data.

Target: VmRSS ≤ 100 MB (steady state after planning). VmHWM is printed beside it.

When the target is missed (or with ``--breakdown``), a child process replays the daemon's
start-up step by step — importing its dependencies one by one, then ``Publisher.recover`` and
the daemon's ``_plan`` on the restart store — and prints the VmRSS growth of each step, so the
memory can be attributed (an approximation: the child does not start APScheduler's threads).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

TARGET_MB = 100.0
CAMPAIGN = "kenali-inovasi"


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid`` in kB."""
    return status_of(Path(f"/proc/{pid}/status"))


#: The daemon's third-party dependencies, in the order its imports first load them (roughly).
DEPENDENCIES = (
    "click",
    "pydantic",
    "dotenv",
    "sqlalchemy",
    "jinja2",
    "babel.dates",
    "requests",
    "apscheduler.schedulers.blocking",
    "holidays",
    "regex",
)


def own_status() -> dict[str, int]:
    return status_of(Path("/proc/self/status"))


def status_of(path: Path) -> dict[str, int]:
    values = {}
    for line in path.read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def breakdown_child(config_path: Path) -> None:
    """Replay the daemon's start-up step by step; print JSON rows (step, VmRSS kB after it)."""
    rows: list[tuple[str, int]] = [("child start (interpreter + the bench's own imports)", own_status()["VmRSS"])]
    for name in DEPENDENCIES:
        importlib.import_module(name)
        rows.append((f"import {name}", own_status()["VmRSS"]))
    from outreach import cli, daemon, publisher  # noqa: F401
    from outreach.channels import file  # noqa: F401

    rows.append(("import outreach (cli, daemon, publisher, file channel)", own_status()["VmRSS"]))
    from outreach.app import Workspace
    from outreach.config import load_config

    ws = Workspace(load_config(config_path))
    ws.publisher().recover()
    rows.append(("load config, open store, recover", own_status()["VmRSS"]))
    for name in ws.config.channels:
        ws.channel_view(name)
    rows.append(("channel adapters imported for their platform rules (x loads tweepy)", own_status()["VmRSS"]))
    today = datetime.now(common.ZONE).date()
    ws.planning.calendar.holiday(today)
    ws.planning.calendar.holiday(today + timedelta(days=14))
    rows.append(("holiday calendar (holidays, Indonesia)", own_status()["VmRSS"]))
    from outreach import render

    for kind in ws.config.campaigns[CAMPAIGN].series:
        for platform in common.PLATFORMS:
            ws.renderer.template(kind, platform)
    render.date_id(today)
    ws.glossary  # noqa: B018
    rows.append(
        (
            f"{len(ws.config.campaigns[CAMPAIGN].series) * len(common.PLATFORMS)} templates compiled, "
            "Babel 'id' locale data, glossary",
            own_status()["VmRSS"],
        )
    )
    daemon._plan(ws)
    rows.append(("daemon._plan: plan + render 14 days (catalogue read twice)", own_status()["VmRSS"]))
    gc.collect()
    rows.append(("gc.collect()", own_status()["VmRSS"]))
    entries = ws.store.catalogue()
    rows.append((f"hold the {len(entries):,} catalogue entries again (what each publish reads)", own_status()["VmRSS"]))
    del entries
    gc.collect()
    rows.append(("drop them, gc.collect()", own_status()["VmRSS"]))
    extra = sorted(name for name in ("openpyxl", "yaml", "tweepy") if name in sys.modules)
    print(json.dumps({"rows": rows, "hwm": own_status()["VmHWM"], "also_loaded": extra}))


def print_breakdown(config_path: Path) -> None:
    done = common.run_quiet([sys.executable, __file__, "--breakdown-child", str(config_path)])
    data = json.loads(done.stdout.strip().splitlines()[-1])
    lines = []
    previous = 0
    for step, kb in data["rows"]:
        lines.append([step, f"{(kb - previous) / 1024:+.1f}", f"{kb / 1024:.1f}"])
        previous = kb
    print("where the daemon's memory goes (a child replaying the start-up; VmRSS after each step):")
    common.print_table(["step", "MB", "VmRSS MB"], lines)
    print(
        f"VmHWM of the child: {data['hwm'] / 1024:.1f} MB; heavy optional modules loaded: "
        f"{', '.join(data['also_loaded']) or 'none'}"
    )


def build(folder: Path, innovations: int) -> Path:
    tomorrow = datetime.now(common.ZONE).date() + timedelta(days=1)
    return common.project(
        folder,
        innovations,
        channels=common.file_channels(),
        campaigns={CAMPAIGN: common.campaign_block(list(common.PLATFORMS), tomorrow, tomorrow + timedelta(days=30))},
        publishing={"horizon_days": 14},
    )


def measure(config_path: Path, settle: float) -> dict[str, Any]:
    """Start the daemon, wait for planning, sample its memory, stop it."""
    log_path = config_path.parent / "daemon.log"
    with log_path.open("w") as log:
        started = time.monotonic()
        daemon = subprocess.Popen(
            [str(common.OUTREACH), "--config", str(config_path), "run"],
            cwd=config_path.parent,
            env=common.subprocess_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while "outreach daemon started" not in log_path.read_text():
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the daemon did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
        ready = time.monotonic() - started
        time.sleep(settle)
        samples = []
        for _ in range(10):
            samples.append(status(daemon.pid)["VmRSS"])
            time.sleep(0.1)
        final = status(daemon.pid)
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(timeout=10)
    text = log_path.read_text()
    planned = re.search(r"planned (\d+) new posts", text)
    return {
        "ready": ready,
        "planned": int(planned.group(1)) if planned else None,
        "rss_median_kb": common.median(samples),
        "rss_max_kb": max(samples),
        "hwm_kb": final["VmHWM"],
        "exit": daemon.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--innovations", type=int, default=10_000)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to wait after start-up before sampling")
    parser.add_argument("--breakdown", action="store_true", help="print the breakdown even when the target is met")
    parser.add_argument("--breakdown-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.breakdown_child:
        breakdown_child(args.breakdown_child)
        return

    from outreach.app import Workspace
    from outreach.config import load_config

    common.print_machine(f"bench_memory: `outreach run` RSS, {args.innovations:,} innovations, 14 days planned")
    results = {}
    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as temporary:
        folder = Path(temporary)
        restart = build(folder / "restart", args.innovations)
        ws = Workspace(load_config(restart, environ={}))
        t0 = time.perf_counter()
        ws.planning.catalogue()
        ws.close()
        print(f"catalogue imported by the bench for the restart case in {time.perf_counter() - t0:.2f} s")
        results["restart (catalogue already in the store)"] = measure(restart, args.settle)
        first = build(folder / "first", args.innovations)
        results["first start (daemon imports the catalogue)"] = measure(first, args.settle)
        floor = build(folder / "floor", len(common.example_rows()))
        results[f"floor: {len(common.example_rows())}-innovation example catalogue"] = measure(floor, args.settle)
        missed = False

        rows = []
        verdicts = []
        for name, result in results.items():
            rss = result["rss_median_kb"] / 1024
            rows.append(
                [
                    name,
                    f"{result['ready']:.1f}",
                    str(result["planned"]),
                    f"{rss:.1f}",
                    f"{result['rss_max_kb'] / 1024:.1f}",
                    f"{result['hwm_kb'] / 1024:.1f}",
                    str(result["exit"]),
                ]
            )
            if name.startswith("floor"):
                continue
            verdicts.append(
                [
                    f"{name}: VmRSS after planning",
                    f"{rss:.1f} MB",
                    f"≤ {TARGET_MB:g} MB",
                    common.verdict(rss, TARGET_MB),
                ]
            )
            verdicts.append(
                [
                    f"{name}: VmHWM (peak)",
                    f"{result['hwm_kb'] / 1024:.1f} MB",
                    f"(≤ {TARGET_MB:g} MB)",
                    common.verdict(result["hwm_kb"] / 1024, TARGET_MB),
                ]
            )
            missed = missed or rss > TARGET_MB
        common.print_table(
            ["start", "ready s", "posts planned", "VmRSS median MB", "VmRSS max MB", "VmHWM MB", "exit"], rows
        )
        print()
        common.print_table(["measure", "measured", "target", "verdict"], verdicts)
        if missed or args.breakdown:
            print()
            print_breakdown(restart)


if __name__ == "__main__":
    main()
