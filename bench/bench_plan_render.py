"""Benchmark 1: plan and render 30 days for 10,000 approved innovations × 7 channels.

Run:  python bench/bench_plan_render.py [--innovations N] [--runs R] [--profile]

Setup (not timed, reported apart): a temporary folder with a generated catalogue (CSV, about 40
agencies, every row approved), 7 ``file`` channels (``as`` = x, facebook, instagram, telegram,
mastodon, bluesky, whatsapp) and one campaign over 30 days (2026-12-01 … 2026-12-30; slots
"senin-jumat 08.00, 12.00, 16.00" and "sabtu 09.00"; holidays skipped). The one-time catalogue
import (``Workspace.catalogue()`` on an empty store) is timed once and printed separately.

What is timed (each repeated ``--runs`` times, median reported; runs interleaved):

- ``cold``: a fresh ``Workspace`` (as one ``outreach preview`` / ``outreach plan`` process has)
  running ``Workspace.drafts(start, 30)`` — the planner over 30 days plus ``Workspace.draft`` of
  every planned post, which renders it *and runs the plain-language check*. Templates are
  compiled and the glossary loaded inside the timing, as a fresh process must.
- ``cold, no check``: a fresh ``Workspace``: ``Workspace.plan`` plus ``Renderer.render`` of every
  planned post (same catalogue reads as ``drafts``), without the plain-language check.
- ``warm``: ``Workspace.drafts`` again on one long-lived ``Workspace`` (templates compiled,
  glossary loaded: the daemon's daily re-plan).
- Baselines, same run, same posts: a plain ``jinja2.Environment`` (same options and filters,
  not sandboxed) rendering the same template source with the same context dict for every post:
  ``bare render`` (templates compiled before timing) and ``bare compile+render`` (a fresh
  Environment compiling the templates used, then rendering). Ratios: cold / bare compile+render,
  warm / bare render.

Memory, each in a fresh child process on the already-imported store (``cold`` drafts once):
``tracemalloc`` peak of Python allocations during plan+render, and the growth of the process's
peak RSS (``VmHWM`` in /proc/self/status) from just before plan+render to just after (the child
has imported the modules and loaded the config first). ``VmHWM`` rather than
``getrusage().ru_maxrss``: Linux carries ``ru_maxrss`` over ``fork``+``exec``, so a child of a big
parent reports the parent's peak. The target applies to the larger of the two figures.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

TARGET_SECONDS = 2.0
TARGET_MB = 150.0
TARGET_RATIO = 1.5
DAYS = 30
START = datetime(2026, 12, 1, tzinfo=common.ZONE)
CAMPAIGN = "kenali-inovasi"


def build_project(folder: Path, innovations: int) -> Path:
    """The generated catalogue and the 7-channel, 30-day config; returns the config path."""
    return common.project(
        folder,
        innovations,
        channels=common.file_channels(),
        campaigns={CAMPAIGN: common.campaign_block(list(common.PLATFORMS), date(2026, 12, 1), date(2026, 12, 30))},
    )


def workspace(config_path: Path) -> Any:
    """A fresh Workspace on the fixed clock START (nothing of the developer's environment)."""
    from outreach.app import Workspace
    from outreach.clock import FixedClock
    from outreach.config import load_config

    return Workspace(load_config(config_path, environ={}), FixedClock(START))


# ---- the timed operations ---------------------------------------------------------------------------


def drafts(ws: Any) -> list[Any]:
    """Plan 30 days and draft (render + plain-language check) every planned post."""
    return ws.planning.drafts(START, DAYS)


def plan_and_render(ws: Any) -> list[Any]:
    """Plan 30 days and render every planned post, without the plain-language check."""
    from outreach import catalogue as catalogue_stage

    plan = ws.planning.plan(START, DAYS)
    entries = {entry.innovation.id: entry for entry in ws.planning.catalogue()}
    rendered = []
    for planned in plan.new:
        entry = entries[planned.innovation_id]
        image = catalogue_stage.image_path(entry.source, entry.innovation.gambar)
        rendered.append(
            ws.renderer.render(
                entry.innovation,
                planned.kind,
                ws.channel_view(planned.channel),
                ws.planning.campaign_view(planned.campaign),
                planned.when,
                image,
            )
        )
    return rendered


class Baseline:
    """The same posts rendered by a plain jinja2.Environment from the same sources and contexts."""

    def __init__(self, ws: Any, planned_drafts: list[Any]) -> None:
        from outreach.render import with_utm

        renderer = ws.renderer
        entries = {entry.innovation.id: entry for entry in ws.planning.catalogue()}
        self.sources: dict[tuple[str, str], str] = {}
        self.jobs: list[tuple[tuple[str, str], dict[str, Any]]] = []
        self.expected: list[str] = []
        for draft in planned_drafts:
            planned = draft.planned
            channel = ws.channel_view(planned.channel)
            campaign = ws.planning.campaign_view(planned.campaign)
            innovation = entries[planned.innovation_id].innovation
            key = (planned.kind, channel.platform)
            if key not in self.sources:
                template = renderer.template(*key)
                self.sources[key] = Path(template.filename).read_text(encoding="utf-8")
            context = {
                "innovation": innovation,
                "link": with_utm(innovation.tautan, channel, campaign),
                "channel": channel,
                "campaign": campaign,
                "when": planned.when.astimezone(common.ZONE),
            }
            self.jobs.append((key, context))
            self.expected.append(renderer.template(*key).render(context))
        self.compiled = self.compile()

    def environment(self) -> Any:
        import jinja2

        from outreach import render

        environment = jinja2.Environment(
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, autoescape=False
        )
        environment.filters.update(
            date_id=render.date_id,
            time_id=render.make_time_id(common.ZONE),
            rupiah=render.rupiah,
            number_id=render.number_id,
            list_id=render.list_id,
            hashtags=render.hashtags,
            steps=render.steps,
            shortenable=render.shortenable,
        )
        return environment

    def compile(self) -> dict[tuple[str, str], Any]:
        environment = self.environment()
        return {key: environment.from_string(source) for key, source in self.sources.items()}

    def render(self) -> list[str]:
        """Render every post with the precompiled templates."""
        return [self.compiled[key].render(context) for key, context in self.jobs]

    def compile_and_render(self) -> list[str]:
        """A fresh Environment compiles the templates used, then renders every post."""
        compiled = self.compile()
        return [compiled[key].render(context) for key, context in self.jobs]


def timed(function: Callable[[], Any]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


# ---- memory, in a child process ---------------------------------------------------------------------


def memory_child(config_path: Path, mode: str) -> None:
    """Run in a fresh process: print JSON with the memory figures of one cold plan+render."""
    from outreach import app, plainlang, planner, render  # noqa: F401  (modules loaded before measuring)
    from outreach.limits import count_x_weighted

    # The counters import twitter-text on first use (so `outreach --help` does not pay for it): load it
    # here too, so the window measures planning and rendering, not a one-time import.
    count_x_weighted("https://contoh.id 🙂")

    ws = workspace(config_path)
    if mode == "tracemalloc":
        tracemalloc.start()
        count = len(drafts(ws))
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(json.dumps({"posts": count, "tracemalloc_peak": peak}))
    else:
        before = proc_status()
        count = len(drafts(ws))
        after = proc_status()
        print(
            json.dumps(
                {
                    "posts": count,
                    "hwm_before_kb": before["VmHWM"],
                    "hwm_after_kb": after["VmHWM"],
                    "rss_after_kb": after["VmRSS"],
                }
            )
        )


def proc_status() -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of this process in kB, from /proc/self/status."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def measure_memory(config_path: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for mode in ("tracemalloc", "hwm"):
        done = common.run_quiet([sys.executable, __file__, "--memory-child", mode, "--config", str(config_path)])
        results.update(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


# ---- where the time goes ----------------------------------------------------------------------------


def stage_breakdown(config_path: Path) -> list[tuple[str, float]]:
    """Each stage of a cold ``drafts`` timed on its own (one run; indicative)."""
    from outreach import catalogue as catalogue_stage
    from outreach import planner

    ws = workspace(config_path)
    stages: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    entries = ws.planning.catalogue()
    stages.append(
        ("store.catalogue(): read + decode every innovation (drafts() does this twice)", time.perf_counter() - t0)
    )
    t0 = time.perf_counter()
    existing = ws.store.posts()
    stages.append(("store.posts()", time.perf_counter() - t0))
    t0 = time.perf_counter()
    rules = ws.planning.channel_rules()
    plan = planner.plan(
        ws.config.campaigns,
        rules,
        entries,
        existing,
        ws.planning.calendar,
        START,
        START + timedelta(days=DAYS),
        ws.zone,
    )
    stages.append(("planner.plan() (pure; includes the holiday calendar)", time.perf_counter() - t0))
    by_id = {entry.innovation.id: entry for entry in entries}
    t0 = time.perf_counter()
    kinds = ws.config.campaigns[CAMPAIGN].series
    for kind in kinds:
        for platform in common.PLATFORMS:
            ws.renderer.template(kind, platform)
    compiled = len(kinds) * len(common.PLATFORMS)
    stages.append((f"template compile ({compiled} templates, sandboxed)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    rendered = []
    for planned in plan.new:
        entry = by_id[planned.innovation_id]
        rendered.append(
            ws.renderer.render(
                entry.innovation,
                planned.kind,
                ws.channel_view(planned.channel),
                ws.planning.campaign_view(planned.campaign),
                planned.when,
                catalogue_stage.image_path(entry.source, entry.innovation.gambar),
            )
        )
    stages.append((f"Renderer.render() × {len(rendered)} (+ channel_view)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    ws.glossary  # noqa: B018  (load + compile the glossary)
    stages.append(("glossary load (its regexes already in re's cache from earlier runs)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    for planned, post in zip(plan.new, rendered, strict=True):
        ws.planning.check_language(
            post.text, planned.kind, ws.channel_view(planned.channel).platform, post.image, post.alt_text
        )
    stages.append((f"plain-language check × {len(rendered)}", time.perf_counter() - t0))
    total = sum(seconds for _name, seconds in stages) + stages[0][1]
    stages.append(("sum, counting store.catalogue() twice as drafts() does", total))
    ws.close()
    return stages


def profile(config_path: Path, limit: int = 18) -> str:
    """cProfile of one cold ``drafts`` run: the functions with the most cumulative and own time."""
    ws = workspace(config_path)
    profiler = cProfile.Profile()
    profiler.enable()
    drafts(ws)
    profiler.disable()
    ws.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


# ---- main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--innovations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print the cProfile even when every target is met")
    parser.add_argument("--memory-child", choices=["tracemalloc", "hwm"], help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.config, args.memory_child)
        return

    common.print_machine("bench_plan_render: plan + render 30 days, 10,000 innovations × 7 channels")
    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as temporary:
        folder = Path(temporary)
        t0 = time.perf_counter()
        config_path = build_project(folder, args.innovations)
        generate_seconds = time.perf_counter() - t0

        ws = workspace(config_path)
        import_seconds = timed(ws.planning.catalogue)
        warm_ws = ws
        first = drafts(warm_ws)  # warm-up: compiles templates, loads the glossary and holidays
        blocked = sum(1 for draft in first if draft.errors or draft.error)
        per_channel: dict[str, int] = {}
        for draft in first:
            per_channel[draft.planned.channel] = per_channel.get(draft.planned.channel, 0) + 1
        slots = len({draft.planned.when for draft in first})
        baseline = Baseline(warm_ws, first)
        identical = baseline.render() == baseline.expected

        samples: dict[str, list[float]] = {
            name: [] for name in ("cold", "cold_nocheck", "warm", "bare_render", "bare_compile")
        }
        for _ in range(args.runs):
            samples["bare_render"].append(timed(baseline.render))
            samples["bare_compile"].append(timed(baseline.compile_and_render))
            fresh = workspace(config_path)
            samples["cold"].append(timed(functools.partial(drafts, fresh)))
            fresh.close()
            fresh = workspace(config_path)
            samples["cold_nocheck"].append(timed(functools.partial(plan_and_render, fresh)))
            fresh.close()
            samples["warm"].append(timed(lambda: drafts(warm_ws)))
        medians = {name: common.median(values) for name, values in samples.items()}
        memory = measure_memory(config_path)
        stages = stage_breakdown(config_path)

        print(
            f"catalogue: {args.innovations:,} approved innovations from {len(common.agencies())} agencies; "
            f"generated in {generate_seconds:.2f} s"
        )
        print(
            f"one-time catalogue import (Workspace.catalogue() on an empty store): {import_seconds:.2f} s "
            f"(not included below)"
        )
        print(
            f"plan: {len(first)} posts in {slots} slots over {DAYS} days "
            f"({', '.join(f'{name} {count}' for name, count in per_channel.items())}); "
            f"{blocked} with plain-language errors"
        )
        print(f"bare Jinja2 output identical to the sandboxed templates' raw output: {'yes' if identical else 'NO'}")
        print(f"runs: {args.runs} of each, interleaved; median (min–max) in seconds")
        rows = []
        labels = {
            "cold": "cold: Workspace.drafts (plan + render + plain-language check), fresh Workspace",
            "cold_nocheck": "cold, no check: Workspace.plan + Renderer.render, fresh Workspace",
            "warm": "warm: Workspace.drafts on a long-lived Workspace (daemon re-plan)",
            "bare_compile": "baseline: plain jinja2 compile + render of the same posts",
            "bare_render": "baseline: plain jinja2 render of the same posts (precompiled)",
        }
        for name, label in labels.items():
            values = samples[name]
            rows.append([label, f"{medians[name]:.3f}", f"{min(values):.3f}–{max(values):.3f}"])
        common.print_table(["operation", "median s", "range"], rows)
        print()

        rss_growth_mb = (memory["hwm_after_kb"] - memory["hwm_before_kb"]) / 1024
        trace_mb = memory["tracemalloc_peak"] / 1024 / 1024
        memory_mb = max(rss_growth_mb, trace_mb)
        ratio_cold = medians["cold"] / medians["bare_compile"]
        ratio_warm = medians["warm"] / medians["bare_render"]
        ratio_nocheck = medians["cold_nocheck"] / medians["bare_compile"]
        results = [
            [
                "wall, cold plan+render+check (median)",
                f"{medians['cold']:.3f} s",
                f"≤ {TARGET_SECONDS:g} s",
                common.verdict(medians["cold"], TARGET_SECONDS),
            ],
            [
                "wall, cold plan+render, no check (median)",
                f"{medians['cold_nocheck']:.3f} s",
                f"≤ {TARGET_SECONDS:g} s",
                common.verdict(medians["cold_nocheck"], TARGET_SECONDS),
            ],
            [
                "wall, warm plan+render+check (median)",
                f"{medians['warm']:.3f} s",
                f"≤ {TARGET_SECONDS:g} s",
                common.verdict(medians["warm"], TARGET_SECONDS),
            ],
            [
                "peak memory: max(tracemalloc peak, peak-RSS growth)",
                f"{memory_mb:.1f} MB",
                f"≤ {TARGET_MB:g} MB",
                common.verdict(memory_mb, TARGET_MB),
            ],
            ["  tracemalloc peak during plan+render", f"{trace_mb:.1f} MB", "", ""],
            ["  peak-RSS (VmHWM) growth during plan+render", f"{rss_growth_mb:.1f} MB", "", ""],
            ["  peak RSS (VmHWM) of the whole child process", f"{memory['hwm_after_kb'] / 1024:.1f} MB", "", ""],
            [
                "ratio cold / bare compile+render",
                f"{ratio_cold:.1f}×",
                f"≤ {TARGET_RATIO:g}×",
                common.verdict(ratio_cold, TARGET_RATIO),
            ],
            [
                "ratio cold no check / bare compile+render",
                f"{ratio_nocheck:.1f}×",
                f"≤ {TARGET_RATIO:g}×",
                common.verdict(ratio_nocheck, TARGET_RATIO),
            ],
            [
                "ratio warm / bare render",
                f"{ratio_warm:.1f}×",
                f"≤ {TARGET_RATIO:g}×",
                common.verdict(ratio_warm, TARGET_RATIO),
            ],
        ]
        common.print_table(["measure", "measured", "target", "verdict"], results)
        print()
        print("where a cold run's time goes (each stage timed once on its own):")
        common.print_table(["stage", "seconds"], [[name, f"{seconds:.3f}"] for name, seconds in stages])
        missed = any(row[3] == "MISS" for row in results)
        if missed or args.profile:
            print()
            print("cProfile of one cold Workspace.drafts run (top functions by cumulative, then own time):")
            print(profile(config_path))


if __name__ == "__main__":
    main()
