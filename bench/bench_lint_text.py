"""Benchmark 7: ``outreach lint-text`` on large files grows linearly with the input.

Run:  python bench/bench_lint_text.py [--sizes 0.25,1,5] [--runs N] [--seed S] [--profile]

Three inputs, each built to every size (in MB of UTF-8 text) from the posts of
``bench_plainlang.py`` (plain Indonesian with lists, links, hashtags, emoji, and now and then an
acronym, a bureaucratic word or a line in capitals):

- **drafts**: the posts one after the other, separated by blank lines, as a long draft file;
- **one line**: the same text with every line break replaced by a space, so every sentence sits
  on one very long line (the case where looking back to the start of the line is expensive);
- **findings**: only the posts' problem sentences (bureaucratic words, acronyms, capitals), so
  nearly every sentence has a finding.

Each input is written to a temporary file and checked with the real command, ``outreach lint-text
FILE`` (in-process through click's test runner, output captured, so start-up is not timed; no
config, so the bundled glossary is used), after one untimed warm-up run on a small file. Each
figure is the median of ``--runs`` runs, in CPU seconds of this process (``time.process_time``):
the work is single-threaded, and CPU time is disturbed less than wall time on a busy machine.

The figure that matters is seconds per MB: for a linear checker it is the same at every size.
Target: for each input, seconds per MB at the largest size ≤ 1.5× that at the smallest size.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
from bench_plainlang import EXTRAS, make_post
from click.testing import CliRunner

from outreach.cli import cli

TARGET_RATIO = 1.5
MB = 1_000_000


def material(seed: int) -> dict[str, str]:
    """About 1 MB of each input's text, to be repeated up to each size."""
    rng = random.Random(seed)
    drafts = "\n\n".join(make_post(rng) for _ in range(2_500))
    problems = [extra for extra in EXTRAS if extra]
    findings = " ".join(rng.choice(problems) for _ in range(15_000))
    return {"drafts": drafts, "one line": drafts.replace("\n", " "), "findings": findings}


def sized(text: str, megabytes: float) -> bytes:
    """``text`` repeated and cut to ``megabytes`` MB of UTF-8 (at a character boundary)."""
    size = int(megabytes * MB)
    data = (text * (size // len(text.encode("utf-8")) + 2)).encode("utf-8")[:size]
    return data.decode("utf-8", errors="ignore").encode("utf-8")


def lint(path: Path) -> tuple[float, int]:
    """CPU seconds to run ``outreach lint-text path`` and the number of findings it printed."""
    runner = CliRunner()
    arguments = ["--config", str(path.with_suffix(".none.toml")), "lint-text", str(path)]
    t0 = time.process_time()
    result = runner.invoke(cli, arguments)
    elapsed = time.process_time() - t0
    if result.exit_code not in (0, 1) or (result.exception and not isinstance(result.exception, SystemExit)):
        raise RuntimeError(f"lint-text failed: {result.output[-2000:]!r} {result.exception!r}")
    findings = sum(1 for line in result.output.splitlines() if ": error: " in line or ": warning: " in line)
    return elapsed, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.25,1,5", help="comma-separated sizes in MB (default: 0.25,1,5)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the largest 'findings' run")
    args = parser.parse_args()
    sizes = sorted(float(size) for size in args.sizes.split(","))

    common.print_machine("bench_lint_text: `outreach lint-text` on large files, seconds per MB")
    rows = []
    results = []
    with tempfile.TemporaryDirectory(prefix="outreach-bench-lint-") as temporary:
        folder = Path(temporary)
        inputs = material(args.seed)
        warm_up = folder / "warm-up.txt"
        warm_up.write_bytes(sized(inputs["drafts"], 0.05))
        lint(warm_up)  # imports, the glossary's compiled regexes
        for name, text in inputs.items():
            per_mb: dict[float, float] = {}
            for size in sizes:
                path = folder / f"{name.replace(' ', '-')}-{size:g}mb.txt"
                path.write_bytes(sized(text, size))
                samples = [lint(path) for _ in range(args.runs)]
                seconds = common.median([elapsed for elapsed, _ in samples])
                findings = samples[0][1]
                per_mb[size] = seconds / size
                rows.append(
                    [
                        name,
                        f"{size:g}",
                        f"{findings:,}",
                        f"{seconds:.2f}",
                        f"{per_mb[size]:.2f}",
                        f"{per_mb[size] / per_mb[sizes[0]]:.2f}",
                    ]
                )
            ratio = per_mb[sizes[-1]] / per_mb[sizes[0]]
            results.append(
                [
                    f"{name}: s/MB at {sizes[-1]:g} MB / at {sizes[0]:g} MB",
                    f"{ratio:.2f}×",
                    f"≤ {TARGET_RATIO:g}×",
                    common.verdict(ratio, TARGET_RATIO),
                ]
            )
        print(f"CPU seconds, median of {args.runs} runs per file, after one warm-up run")
        common.print_table(["input", "MB", "findings", "CPU s", "s per MB", "ratio s/MB to smallest"], rows)
        print()
        common.print_table(["measure", "measured", "target", "verdict"], results)
        if args.profile:
            print()
            profiler = cProfile.Profile()
            profiler.enable()
            lint(folder / f"findings-{sizes[-1]:g}mb.txt")
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
