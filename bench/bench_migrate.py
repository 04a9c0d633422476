"""`outreach db migrate-to`: copy time and peak memory of a 10,000- and a 100,000-post SQLite store to PostgreSQL.

Each store holds its posts with their creation events and one reading per post; the copy (with its verification)
runs in a child process, whose peak resident memory shows whether batches keep it bounded: the 100,000-post copy
should need about what the 10,000-post one does, not ten times as much. Needs the PostgreSQL of the tests
(``OUTREACH_TEST_POSTGRES``, by default 127.0.0.1:5432).

    python bench/bench_migrate.py [POSTS ...]      # default: 10000 100000
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)

from outreach.model import MetricReading
from outreach.store import Store
from tests.postgres import create_database, drop_database

START = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
CHILD = """
import json, resource, sys, time
from outreach.store.copying import copy_store
started = time.perf_counter()
checks = copy_store(sys.argv[1], sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - started, "same": all(c.same for c in checks),
                  "rows": sum(c.source_rows for c in checks),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _fill(url: str, posts: int) -> None:
    store = Store(url, START - timedelta(days=1))
    for first in range(0, posts, 5000):
        numbers = range(first, min(first + 5000, posts))
        store.apply_plan(
            [
                {
                    "key": f"kenali|kanal-{number % 30}|inovasi-{number % 500}|{number}",
                    "campaign": "kenali",
                    "channel": f"kanal-{number % 30}",
                    "innovation_id": f"inovasi-{number % 500}",
                    "kind": "perkenalan",
                    "scheduled_at": START + timedelta(minutes=number),
                    "text": "Urus KTP kini cukup sehari di kantor kecamatan. Bawa KK dan surat pengantar RT. 🙂",
                }
                for number in numbers
            ],
            [],
            START,
        )
    ids = [post.id for post in store.posts()]
    store.add_readings(MetricReading(post_id, START + timedelta(days=1), {"likes": post_id % 50}) for post_id in ids)
    store.close()


def main(sizes: list[int]) -> None:
    print(f"{'posts':>8} {'rows':>9} {'fill s':>7} {'copy s':>7} {'rows/s':>8} {'peak MB':>8}  verified")
    for posts in sizes:
        with tempfile.TemporaryDirectory() as folder:
            source = f"sqlite:///{Path(folder) / 'outreach.sqlite3'}"
            started = time.perf_counter()
            _fill(source, posts)
            filled = time.perf_counter() - started
            target = create_database()
            try:
                child = subprocess.run(
                    [sys.executable, "-c", CHILD, source, target], capture_output=True, text=True, check=True
                )
            finally:
                drop_database(target)
            result = json.loads(child.stdout)
            print(
                f"{posts:>8} {result['rows']:>9} {filled:>7.1f} {result['seconds']:>7.1f} "
                f"{result['rows'] / result['seconds']:>8.0f} {result['peak_mb']:>8.0f}  {result['same']}"
            )


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or [10_000, 100_000])
