"""The crash suite in small: 30 posts on Mastodon, Bluesky and Telegram, the daemon SIGKILLed 3 times.

The machinery lives in ``bench/crash_suite.py`` (200 posts, 20 kills there); this test loads it
by path. The fakes run in the test process with a random 0–400 ms on every create request, so
they outlive each daemon; the kill moments come from a seeded ``random.Random``
(``CRASH_SUITE_SEED`` overrides the seed). The counts come from the fakes' own logs.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
SEED = int(os.environ.get("CRASH_SUITE_SEED", "20261172"))


def _crash_suite() -> ModuleType:
    name = "outreach_bench_crash_suite"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "crash_suite.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


crash_suite = _crash_suite()


def test_sigkilled_daemon_publishes_every_post_once_or_leaves_it_unknown_with_a_reason(tmp_path: Path) -> None:
    assert crash_suite.common.OUTREACH.exists(), f"console script not found at {crash_suite.common.OUTREACH}"
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line)

    report = crash_suite.run_suite(tmp_path, posts=30, kills=3, seed=SEED, kill_window=2.5, budget=35.0, say=say)
    crash_suite.print_report(report)  # shown with pytest -s
    table = "\n".join(" | ".join(row) for row in report.table())
    story = "\n".join([*lines, table, *report.problems, f"daemon logs and store in {tmp_path}"])

    assert report.posts == 30, story
    assert report.kills == 3 and report.restarts == 3, story
    assert report.violations() == [], story
    for channel in crash_suite.CHANNELS:
        counts = report.channels[channel]
        assert counts.duplicated == 0, story
        assert counts.unaccounted == 0 and counts.orphans == 0, story
        assert counts.published_once + counts.unknown + counts.failed == counts.posts == 10, story
    # Idempotent retries and reconciliation leave nothing for a person on Mastodon and Bluesky.
    assert report.channels["mastodon"].unknown == 0, story
    assert report.channels["bluesky"].unknown == 0, story
