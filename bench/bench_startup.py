"""Benchmark 4: start-up time of the command line against ``python -c "import click"``.

Run:  python bench/bench_startup.py [--runs N]

Three commands, each as a subprocess timed from ``Popen`` to exit (wall time), ``--runs`` times
each, interleaved (A B C A B C …) after one untimed warm-up round, median reported:

- baseline: ``python -c "import click"`` (the same interpreter as the ``outreach`` script);
- ``outreach --help``;
- ``outreach --config <copy> --now 2026-12-01T08:00+07:00 preview --days 1`` on a temporary copy
  of the bundled example (``config/`` copied into a temporary folder, so its store
  ``../var/outreach.sqlite3`` lands in the temporary folder and the repository's ``var/`` is never
  touched). The warm-up round imports the example catalogue into that store, so the timed runs
  measure a preview, not the one-time import. ``--now`` puts the preview on the campaign's first
  day, so it renders real posts.

Target: ``outreach --help`` ≤ 2× the baseline. The preview's ratio is printed for information.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

TARGET_HELP_RATIO = 2.0
NOW = "2026-12-01T08:00+07:00"


def wall(command: list[str], cwd: Path) -> float:
    """Seconds from start to exit of ``command`` (output discarded); raises if it fails."""
    t0 = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=cwd,
        env=common.subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr}")
    return elapsed


def import_profile(cwd: Path) -> str:
    """The slowest imports of ``outreach --help`` (``python -X importtime``), cumulative microseconds."""
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import sys; sys.argv = ['outreach', '--help']; from outreach.cli import main; main()",
        ],
        cwd=cwd,
        env=common.subprocess_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(cumulative), int(own), name.strip()))
    rows.sort(reverse=True)
    return "\n".join(
        f"{cumulative / 1000:8.1f} ms cumulative {own / 1000:7.1f} ms own  {name}"
        for cumulative, own, name in rows[:15]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--import-profile", action="store_true", help="print `python -X importtime` even when met")
    args = parser.parse_args()

    common.print_machine("bench_startup: `outreach --help` and `outreach preview --days 1` vs `import click`")
    outreach = str(common.OUTREACH)
    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as temporary:
        folder = Path(temporary)
        shutil.copytree(common.REPO / "config", folder / "config")
        config = folder / "config" / "outreach.toml"
        commands = {
            "python -c 'import click'": [sys.executable, "-c", "import click"],
            "outreach --help": [outreach, "--help"],
            "outreach preview --days 1": [outreach, "--config", str(config), "--now", NOW, "preview", "--days", "1"],
        }
        posts = common.run_quiet(commands["outreach preview --days 1"], cwd=folder, env=common.subprocess_env())
        shown = posts.stdout.count("── ")
        for command in commands.values():  # warm-up round (page cache, .pyc files)
            wall(command, folder)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(wall(command, folder))
        store_in_temp = (folder / "var" / "outreach.sqlite3").exists()

    baseline = common.median(samples["python -c 'import click'"])
    print(
        f"runs: {args.runs} of each, interleaved, after one warm-up round; preview shows {shown} posts; "
        f"store of the copy in the temporary folder: {'yes' if store_in_temp else 'NO'}"
    )
    rows = []
    for name, values in samples.items():
        value = common.median(values)
        rows.append(
            [
                name,
                f"{value * 1000:.0f}",
                f"{min(values) * 1000:.0f}–{max(values) * 1000:.0f}",
                f"{value / baseline:.2f}×",
            ]
        )
    common.print_table(["command", "median ms", "range ms", "ratio to import click"], rows)
    print()
    help_ratio = common.median(samples["outreach --help"]) / baseline
    preview_ratio = common.median(samples["outreach preview --days 1"]) / baseline
    results = [
        [
            "outreach --help / import click",
            f"{help_ratio:.2f}×",
            f"≤ {TARGET_HELP_RATIO:g}×",
            common.verdict(help_ratio, TARGET_HELP_RATIO),
        ],
        ["outreach preview --days 1 / import click", f"{preview_ratio:.2f}×", "(none)", ""],
    ]
    common.print_table(["measure", "measured", "target", "verdict"], results)
    if help_ratio > TARGET_HELP_RATIO or args.import_profile:
        print()
        print("slowest imports of `outreach --help` (python -X importtime, one run):")
        print(import_profile(common.REPO))


if __name__ == "__main__":
    main()
