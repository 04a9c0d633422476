"""Benchmark: the evidence report over a year of publishing.

Run:  python bench/bench_report.py [--posts N] [--readings N] [--replies N]

A generated catalogue (200 approved innovations from about 40 agencies, as in benchmark 1), seven
``file`` channels, and a store holding one year (2026) of 10,000 published posts (texts of about
400 characters, a permalink each), 200 failed posts with a reason, 100,000 engagement readings (ten
per post, through ``Store.add_readings``), 100 news articles (``Store.add_press``) and 20,000 citizens'
replies (for the responsiveness figures: 60 % answered after 1 to 48 hours, 10 % set aside, the rest
open). The posts and replies are written straight into the store's tables in one transaction each, as
a year of publishing would leave them (publishing them one by one would take minutes and measure the
publisher, not the report).

Then ``outreach report --from 2026-01-01 --to 2026-12-31`` runs as a child process, once per format
(html, xlsx); each is timed from start to exit (interpreter, imports, store, charts, file written)
and its peak resident memory is read from ``os.wait4``'s resource usage of that child alone.

Targets: each format ≤ 3 s and ≤ 200 MB peak RSS. Each format runs ``--repeat`` times (5); the median
run is judged, and the highest peak RSS: on a shared machine one run can take a third longer than the
next. The script also prints a baseline measured in the
same run: the CPU seconds XlsxWriter alone takes to write a sheet shaped like the posts sheet.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

TARGET_SECONDS = 3.0
TARGET_MB = 200.0
START = datetime(2026, 1, 1, 8, 0, tzinfo=common.ZONE)


def build(folder: Path, post_count: int, reading_count: int, reply_count: int = 20_000) -> Path:
    """The project and its store; the config's path."""
    from sqlalchemy import insert

    from outreach.app import Workspace
    from outreach.clock import FixedClock
    from outreach.config import load_config
    from outreach.model import MetricReading
    from outreach.store.schema import posts, replies, to_text

    channels = common.file_channels()
    config = common.project(
        folder, 200, channels=channels,
        campaigns={"kenali": common.campaign_block(list(channels), date(2026, 1, 1), date(2026, 12, 31))},
        images=False,
    )  # fmt: skip
    ws = Workspace(load_config(config), FixedClock(START))
    innovations = [entry.innovation for entry in ws.planning.catalogue()]
    stamp = to_text(START)
    step = timedelta(days=365) / post_count
    rows = []
    for index in range(post_count + 200):
        innovation = innovations[index % len(innovations)]
        channel = common.PLATFORMS[index % len(common.PLATFORMS)]
        moment = START + step * (index % post_count)
        published = index < post_count
        text = f"{innovation.ringkasan}\n\n{innovation.manfaat}\n\nInfo: {innovation.tautan}\n#BandarLampung"
        rows.append({
            "key": f"kenali/{channel}/{innovation.id}/{index}", "campaign": "kenali", "channel": channel,
            "innovation_id": innovation.id, "kind": "perkenalan", "scheduled_at": to_text(moment),
            "due_at": to_text(moment), "state": "published" if published else "failed", "attempts": 1,
            "text": text, "remote_url": f"https://contoh.invalid/{channel}/{index}" if published else None,
            "published_at": to_text(moment + timedelta(seconds=5)) if published else None,
            "reason": None if published else "the platform refused the post: duplicate content",
            "channel_state": "{}", "created_at": stamp, "updated_at": stamp,
        })  # fmt: skip
    with ws.store.transaction() as connection:
        connection.execute(insert(posts), rows)
    per_post = max(1, reading_count // post_count)
    ws.store.add_readings(
        MetricReading(post_id, START + timedelta(days=reading), {"likes": post_id % 97 + reading, "reposts": reading})
        for post_id in range(1, post_count + 1)
        for reading in range(per_post)
    )
    for index in range(100):
        ws.store.add_press(
            innovations[index].id, f"https://berita.invalid/{index}", "Lampung Post",
            date(2026, 1, 1) + timedelta(days=index * 3), START, "bench",
        )  # fmt: skip
    if reply_count:
        with ws.store.transaction() as connection:
            connection.execute(insert(replies), list(_replies(rows, post_count, reply_count, stamp)))
    ws.close()
    return config


def _replies(
    posts: Sequence[Mapping[str, object]], post_count: int, count: int, stamp: str
) -> Iterator[dict[str, object]]:
    """``count`` citizens' replies spread over the published posts (post ids 1..``post_count``, in order)."""
    from outreach.store.schema import to_text

    for index in range(count):
        post_id = index % post_count + 1
        post = posts[post_id - 1]
        written = datetime.fromisoformat(str(post["published_at"])) + timedelta(minutes=5 + index % 600)
        status = "answered" if index % 10 < 6 else "ignored" if index % 10 == 6 else "open"
        yield {
            "post_id": post_id, "channel": post["channel"], "innovation_id": post["innovation_id"],
            "remote_id": f"reply-{index}", "parent_id": None, "author": f"warga{index % 997}",
            "text": "syaratnya apa min? buka hari sabtu?", "url": f"https://contoh.invalid/reply/{index}",
            "written_at": to_text(written), "from_office": 0, "kind": ("question", "complaint", "thanks")[index % 3],
            "urgent": int(index % 50 == 0), "status": status,
            "answered_at": to_text(written + timedelta(hours=1 + index % 48)) if status == "answered" else None,
            "collected_at": stamp,
        }  # fmt: skip


def measure(config: Path, output_format: str, target: Path) -> tuple[float, float, float]:
    """Seconds from start to exit, CPU seconds (user + system) and peak RSS (MB) of one ``outreach report``
    child process. On a shared machine the wall time grows with the other processes' load; CPU time does not."""
    command = [
        str(common.OUTREACH), "--config", str(config), "--now", "2027-01-01T08:00+07:00", "--language", "id",
        "report", "--from", "2026-01-01", "--to", "2026-12-31", "--format", output_format, "--output", str(target),
    ]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=common.subprocess_env())
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    out, err = child.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"report failed:\n{out.decode()}\n{err.decode()}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux reports kB


def xlsxwriter_floor(rows: int) -> float:
    """CPU seconds XlsxWriter alone takes for a sheet shaped like the report's posts (12 cells a row, typed writes,
    no styles): the baseline the XLSX figure is compared with, measured in the same run."""
    from xlsxwriter import Workbook

    started = time.process_time()
    moment = START.replace(tzinfo=None)  # a spreadsheet cell holds no zone
    with tempfile.TemporaryDirectory() as folder, Workbook(str(Path(folder) / "floor.xlsx")) as workbook:
        sheet = workbook.add_worksheet("Unggahan")
        for index in range(1, rows + 1):
            sheet.write_number(index, 0, index)
            for column, text in enumerate(("Dinas Kesehatan", "Posyandu Keliling Way Halim", "Facebook", "facebook")):
                sheet.write_string(index, column + 1, text)
            sheet.write_datetime(index, 5, moment)
            sheet.write_string(index, 6, f"https://contoh.invalid/facebook/{index}")
            sheet.write_string(index, 7, "Sudah tahu layanan ini?\n\nLayanan untuk warga kota.")
            for column, count in enumerate((index % 97, 3, index % 97 + 3)):
                sheet.write_number(index, column + 8, count)
            sheet.write_datetime(index, 11, moment)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--replies", type=int, default=20_000, help="citizens' replies (the responsiveness figures)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per format; the median is judged (a noisy machine)")
    args = parser.parse_args()
    common.print_machine("evidence report: one year, HTML and XLSX")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        began = time.perf_counter()
        config = build(folder, args.posts, args.readings, args.replies)
        print(f"store built in {time.perf_counter() - began:.1f} s: {args.posts:,} published posts, "
              f"{args.readings:,} readings, {args.replies:,} replies, 200 failed posts, 100 news articles")  # fmt: skip
        rows = []
        for output_format in ("html", "xlsx"):
            target = folder / f"laporan.{output_format}"
            runs = sorted(measure(config, output_format, target) for _run in range(args.repeat))
            seconds, cpu, _megabytes = runs[len(runs) // 2]  # the median run by wall time
            megabytes = max(run[2] for run in runs)
            size = target.stat().st_size / 1e6
            verdict = "PASS" if seconds <= TARGET_SECONDS and megabytes <= TARGET_MB else "MISS"
            spread = f"{runs[0][0]:.2f}–{runs[-1][0]:.2f} s"
            rows.append(
                [output_format, f"{seconds:.2f} s", spread, f"{cpu:.2f} s", f"{megabytes:.0f} MB", f"{size:.1f} MB",
                 verdict]
            )  # fmt: skip
        common.print_table(
            ["format", "median (≤ 3 s)", f"range of {args.repeat}", "CPU", "peak RSS (≤ 200 MB)", "file", "verdict"],
            rows,
        )
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        floor = xlsxwriter_floor(args.posts)
        print(f"baseline: XlsxWriter alone, {args.posts:,} rows x 12 cells, no styles: {floor:.2f} s CPU")


if __name__ == "__main__":
    main()
