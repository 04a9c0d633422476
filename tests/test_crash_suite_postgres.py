"""The crash suite on PostgreSQL in small: 30 posts, 3 workers sharing one database, 4 SIGKILLs.

The machinery is ``bench/crash_suite.py --store postgresql`` (run with 200 posts and 15 kills), loaded by
path as ``tests/test_crash_suite.py`` does. Each kill lands on a random worker (often the
leader, sometimes one still starting), restarted at once. Besides "once or unknown with a reason"
it audits every settlement of an orphan against the kills: the worker that had claimed the post must
have been killed before the settlement. The database is a fresh, empty one (``empty_postgres_url``:
the suite creates the store, as an office's first start would); without a PostgreSQL server the
test is skipped with the reason (CI sets OUTREACH_REQUIRE_POSTGRES=1: then it fails instead).

An orphan is settled only once its lease has run out; the workers here run with a lease of 15 s
(``[publishing] lease_seconds``, a minute by default) and settle orphans at their 30 s tick.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.test_crash_suite import crash_suite

SEED = int(os.environ.get("CRASH_SUITE_SEED", "20261173"))
WORKERS = 3
KILLS = 4
POSTS = 30
#: The workers' ``[publishing] lease_seconds``: short, so the test waits less for the orphans' leases.
LEASE_SECONDS = 15.0


def test_sigkilled_workers_on_one_postgresql_store_never_double_a_post_nor_settle_a_live_workers_claim(
    tmp_path: Path, empty_postgres_url: str
) -> None:
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line)

    report = crash_suite.run_suite(
        tmp_path,
        posts=POSTS,
        kills=KILLS,
        seed=SEED,
        spacing=0.5,
        kill_window=3.0,
        budget=240.0,
        say=say,
        store_url=empty_postgres_url,
        workers=WORKERS,
        per_platform=2,
        leader_share=0.4,
        busy_share=0.4,
        lease_seconds=LEASE_SECONDS,
    )
    crash_suite.print_report(report)  # shown with pytest -s
    table = "\n".join(" | ".join(row) for row in report.table())
    story = "\n".join([*lines, table, *report.problems, f"worker logs in {tmp_path}"])

    assert report.posts == POSTS and report.workers == WORKERS, story
    assert report.kills == KILLS and report.restarts == KILLS, story
    assert report.violations() == [], story
    for platform in crash_suite.CHANNELS:
        counts = report.channels[platform]
        assert counts.duplicated == 0 and counts.unaccounted == 0 and counts.orphans == 0, story
        assert counts.published_once + counts.unknown + counts.failed == counts.posts == POSTS // 3, story
    assert report.channels["mastodon"].unknown == 0 and report.channels["bluesky"].unknown == 0, story
    audit = report.audit
    assert audit is not None, story
    assert audit.while_alive == [] and audit.unattributed == [], story
    # Each orphan settlement came after its worker's kill, and not before its lease ran out: renewed every third
    # of the lease, a claim outlives its worker by at least two thirds of it (half, to allow a late renewal).
    assert len(audit.gaps) == audit.settlements, story
    assert all(gap >= LEASE_SECONDS / 2 for gap in audit.gaps), story
