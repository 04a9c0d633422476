"""Benchmark: the office's web page (``outreach serve``) over a large store, alone and beside the daemon.

Run:  python bench/bench_web.py [--innovations N] [--posts N] [--replies N] [--requests N] [--users N]
                                 [--duration S] [--spacing S]
                                 [--quiet S] [--think MIN,MAX] [--store DIR]

``--store DIR`` keeps the built store in DIR (built there on the first run, in minutes) and reuses it on
the next runs, so a measurement can be repeated in a quiet window without rebuilding. A reused store
keeps the dates of the day it was built (the calendar's month and the report's year are that day's); its
outbox is restored from a copy taken when it was built (the daemon of the load changes it); delete DIR to
build afresh (about a minute).

The store: a generated catalogue of 10,000 approved innovations from about 40 agencies (benchmark 1's),
seven ``file`` channels, 100,000 posts written straight into the outbox in one transaction (as
``bench_report.py`` does: 300 days of publishing before now — published, some failed, some cancelled —
and 60 days of planned posts after it), 5,000 citizens' replies on the published posts, and the
accounts the page needs (an admin; one editor per simulated user). The campaign's own dates lie in 2099,
so the daemon plans nothing itself.

1. Pages. ``outreach serve`` runs as a child process (waitress on 127.0.0.1, 8 threads). Signed in as
   the admin, every GET page of ``outreach.web.routes.ROUTES`` is requested ``--requests`` times (50)
   one after another with realistic addresses (a filtered queue, page 50 of the queue, one post, one
   innovation, a month of the calendar, the report's summary …): p50 and p95 per address, target
   p95 ≤ 200 ms. Baseline in the same run: ``/static/app.css`` through the same server (what waitress
   and Flask cost before any page is built). Files to save (``Content-Disposition: attachment``: the
   report's downloads, a year of posts in megabytes, and the calendar's .ics) are not pages: for them the
   time to the first byte of the body and the total time are printed in a table of their own.
2. Memory. The server's peak resident memory (``VmHWM`` of ``/proc/<pid>/status``) after step 1 and
   after step 3: target ≤ 80 MB. Printed beside them: the peak once the browsing users of step 3 have signed
   in (before they browse), the resident memory it keeps after the load, its resident memory right after
   start-up (the imports and the catalogue), and, as the baseline, the same interpreter after importing only
   Flask.
3. Load. ``outreach run`` (the daemon, a child process) starts; once it has ticked, the bench writes posts
   due every ``--spacing`` seconds (3) on the ``file`` channels: for ``--quiet`` seconds (15) nobody browses
   (the baseline: the daemon's lateness alone on this machine), then for ``--duration`` seconds (60)
   ``--users`` (20) threads, each signed in with its own session, browse the pages (``--think``: 1–5 s
   between two pages, as a person reads). Targets: no error (every answer 2xx or 3xx, no exception; a 503 with
   ``Retry-After`` — a report download refused while two are being made — is counted apart as "busy") and
   each post's lateness while they browse (``published_at`` − scheduled time, from the store) p99 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import http.client
import importlib
import json
import os
import pkgutil
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

TARGET_P95 = 0.200
TARGET_MB = 80.0
TARGET_LATENESS_P99 = 1.0
PASSWORD = "kata sandi panjang untuk bench"
CAMPAIGN = "kenali"
TICK_SECONDS = 30  # outreach.daemon.TICK_SECONDS
#: The built store's copy in ``--store DIR``, restored before each later run.
PRISTINE = "pristine.sqlite3"
#: The channels the daemon publishes to during the load: text alone is enough there (Instagram needs an
#: image, X a shorter text).
TEXT_CHANNELS = ("facebook", "telegram", "mastodon")


# ---- the store ---------------------------------------------------------------------------------------


def build(folder: Path, innovation_count: int, post_count: int, reply_count: int, users: int) -> tuple[Path, dict]:
    """The project, its store and its accounts; the config's path and the ids the addresses use."""
    from sqlalchemy import insert

    from outreach.accounts import Accounts
    from outreach.app import Workspace
    from outreach.config import load_config
    from outreach.store.schema import posts, replies, to_text

    channels = common.file_channels()
    config = common.project(
        folder, innovation_count, channels=channels,
        campaigns={CAMPAIGN: common.campaign_block(list(channels), date(2099, 1, 1), date(2099, 12, 31))},
        publishing={"horizon_days": 14}, images=False,
    )  # fmt: skip
    ws = Workspace(load_config(config))
    innovations = [entry.innovation for entry in ws.planning.catalogue()]
    now = datetime.now(common.ZONE).replace(microsecond=0)
    stamp = to_text(now)
    first = now - timedelta(days=300)
    step = timedelta(days=360) / post_count
    rows = []
    for index in range(post_count):
        innovation = innovations[(index * 7919) % len(innovations)]
        channel = common.PLATFORMS[index % len(common.PLATFORMS)]
        moment = first + step * index
        if moment < now:
            state = "failed" if index % 97 == 0 else "cancelled" if index % 89 == 0 else "published"
        else:
            state = "planned"
        published = state == "published"
        rows.append({
            "key": f"{CAMPAIGN}/{channel}/{innovation.id}/{index}", "campaign": CAMPAIGN, "channel": channel,
            "innovation_id": innovation.id, "kind": ("perkenalan", "cara_pakai", "manfaat", "pengingat")[index % 4],
            "scheduled_at": to_text(moment), "due_at": to_text(moment), "state": state,
            "attempts": 1 if state in ("published", "failed") else 0,
            "text": f"{innovation.ringkasan}\n\n{innovation.manfaat}\n\nInfo: {innovation.tautan}\n#BandarLampung",
            "link": innovation.tautan,
            "remote_url": f"https://contoh.invalid/{channel}/{index}" if published else None,
            "published_at": to_text(moment + timedelta(seconds=5)) if published else None,
            "reason": "the platform refused the post: duplicate content" if state == "failed" else None,
            "channel_state": "{}", "created_at": stamp, "updated_at": stamp,
        })  # fmt: skip
    with ws.store.transaction() as connection:
        connection.execute(insert(posts), rows)
    published_ids = [index + 1 for index, row in enumerate(rows) if row["state"] == "published"]
    reply_rows = []
    for index in range(reply_count):
        post_id = published_ids[-1 - (index * 13) % len(published_ids)]
        post = rows[post_id - 1]
        written = datetime.fromisoformat(str(post["published_at"])) + timedelta(minutes=5 + index % 600)
        status = "answered" if index % 10 < 6 else "ignored" if index % 10 == 6 else "open"
        reply_rows.append({
            "post_id": post_id, "channel": post["channel"], "innovation_id": post["innovation_id"],
            "remote_id": f"reply-{index}", "parent_id": None, "author": f"warga{index % 997}",
            "text": "syaratnya apa min? buka hari sabtu?", "url": f"https://contoh.invalid/reply/{index}",
            "written_at": to_text(min(written, now)), "from_office": 0,
            "kind": ("question", "complaint", "thanks")[index % 3], "urgent": int(index % 50 == 0),
            "status": status,
            "answered_at": to_text(min(written + timedelta(hours=1 + index % 48), now)) if status == "answered"
            else None,
            "collected_at": stamp,
        })  # fmt: skip
    if reply_rows:
        with ws.store.transaction() as connection:
            connection.execute(insert(replies), reply_rows)
    accounts = Accounts(ws.store, ws.clock)
    accounts.add("admin", "admin", None, PASSWORD, "bench")
    for number in range(1, users + 1):
        accounts.add(f"editor{number}", "editor", None, PASSWORD, "bench")
    ids = {
        "post": published_ids[len(published_ids) // 2],
        "post_with_replies": reply_rows[0]["post_id"] if reply_rows else published_ids[-1],
        "planned_post": next(index + 1 for index, row in enumerate(rows) if row["state"] == "planned"),
        "innovation": innovations[len(innovations) // 2].id,
        "opd": innovations[len(innovations) // 2].opd,
        "month": f"{now:%Y-%m}",
        "today": f"{now:%Y-%m-%d}",
        "year_ago": f"{now - timedelta(days=365):%Y-%m-%d}",
    }
    ws.close()
    return config, ids


# ---- a browser without a browser ---------------------------------------------------------------------


class Visitor:
    """One person's keep-alive connection to the page with its own cookies (its own session)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.first_byte = 0.0
        #: The last answer was a file to save (``Content-Disposition: attachment``), not a page to show.
        self.attachment = False
        #: The last answer's ``Retry-After`` (a 503 telling the user to come back: both report slots busy).
        self.retry_after: str | None = None
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, form: Mapping[str, str] | None = None) -> tuple[int, bytes, float]:
        """(status, body, seconds from sending to the last byte read); the first byte's in ``first_byte``."""
        from urllib.parse import urlencode

        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = self.read(response, started)
        except (http.client.HTTPException, OSError):
            self.connection.close()  # waitress closed an idle keep-alive: reconnect once
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            started = time.perf_counter()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = self.read(response, started)
        seconds = time.perf_counter() - started
        self.retry_after = response.getheader("Retry-After")
        for cookie in response.msg.get_all("Set-Cookie") or ():
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie or "expires=Thu, 01 Jan 1970" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, data, seconds

    def read(self, response: http.client.HTTPResponse, started: float) -> bytes:
        """The whole body; ``first_byte`` = seconds from sending to the body's first byte (a stream's start)."""
        head = response.read(1)
        self.first_byte = time.perf_counter() - started
        self.attachment = (response.getheader("Content-Disposition") or "").startswith("attachment")
        return head + response.read()

    def get(self, path: str) -> tuple[int, bytes, float]:
        return self.request("GET", path)

    def sign_in(self, name: str) -> None:
        status, page, _seconds = self.get("/masuk")
        found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or not found:
            raise RuntimeError(f"no sign-in form ({status})")
        status, _body, _seconds = self.request(
            "POST", "/masuk", {"name": name, "password": PASSWORD, "csrf_token": found.group(1).decode()}
        )
        if status != 303 or "outreach_session" not in self.cookies:
            raise RuntimeError(f"{name} could not sign in ({status})")

    def close(self) -> None:
        self.connection.close()


# ---- the addresses -----------------------------------------------------------------------------------


def get_routes() -> list[Any]:
    """Every GET page that needs a signed-in user, as the page modules register them."""
    import outreach.web.pages
    from outreach.web.routes import ROUTES

    for module in pkgutil.iter_modules(outreach.web.pages.__path__):
        importlib.import_module(f"outreach.web.pages.{module.name}")
    return [route for route in ROUTES if "GET" in route.methods and route.permission is not None]


def addresses(routes: Sequence[Any], ids: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, address) to measure: each GET page, several for the pages that page, filter or pick a period."""
    from urllib.parse import quote, urlencode

    realistic: dict[str, list[tuple[str, str]]] = {
        "/": [("home", "/")],
        "/kalender": [
            ("calendar, this month", "/kalender"),
            ("calendar, a month", "/kalender?" + urlencode({"bulan": ids["month"]})),
        ],
        "/kalender.ics": [("calendar, the month as .ics", "/kalender.ics")],
        "/antrean": [
            ("queue (today on)", "/antrean"),
            ("queue, filtered", "/antrean?" + urlencode({"state": "failed", "channel": "facebook"})),
            ("queue, one agency", "/antrean?" + urlencode({"agency": ids["opd"]})),
            ("queue, page 50", "/antrean?" + urlencode({"page": 50})),
        ],
        "/antrean/<int:post_id>": [
            ("a post with replies", f"/antrean/{ids['post_with_replies']}"),
            ("a planned post", f"/antrean/{ids['planned_post']}"),
        ],
        "/inovasi": [
            ("catalogue", "/inovasi"),
            ("catalogue, one agency", "/inovasi?" + urlencode({"opd": ids["opd"]})),
            ("catalogue, a search", "/inovasi?" + urlencode({"cari": "posyandu"})),
            ("catalogue, page 50", "/inovasi?" + urlencode({"halaman": 50})),
        ],
        "/laporan": [
            ("report, summary", "/laporan"),
            ("report, a year", "/laporan?" + urlencode({"dari": ids["year_ago"], "sampai": ids["today"]})),
        ],
        "/laporan/unduh": [
            ("report, CSV download", "/laporan/unduh?format=csv"),
            ("report, HTML download", "/laporan/unduh?format=html"),
        ],
        "/balasan": [
            ("replies", "/balasan"),
            ("replies, urgent unanswered", "/balasan?" + urlencode({"belum": 1, "mendesak": 1})),
            ("replies, page 10", "/balasan?" + urlencode({"halaman": 10})),
        ],
    }
    found = []
    for route in routes:
        rule = route.rule
        if rule in realistic:
            found += realistic[rule]
            continue
        if "<" not in rule:
            found.append((rule, rule))
            continue

        def fill(match: re.Match[str], rule: str = rule) -> str:
            if rule.startswith("/antrean") or "post" in match.group(0):
                return str(ids["post_with_replies"])
            return quote(str(ids["innovation"]))

        found.append((rule, re.sub(r"<[^>]+>", fill, rule)))
    return found


# ---- processes ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(config: Path, folder: Path, port: int) -> subprocess.Popen:
    log = (folder / "serve.log").open("w")
    server = subprocess.Popen(
        [str(common.OUTREACH), "--config", str(config), "--language", "id", "serve", "--port", str(port)],
        cwd=folder, env=common.subprocess_env(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}):\n{(folder / 'serve.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start in 120 s")


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def flask_floor_mb() -> float:
    """Peak RSS of this interpreter importing only Flask and waitress: the floor under the server's figure."""
    done = common.run_quiet([
        sys.executable, "-c",
        "import flask, waitress, re, pathlib;"
        "print(re.search(r'VmHWM:\\s+(\\d+)', pathlib.Path('/proc/self/status').read_text()).group(1))",
    ])  # fmt: skip
    return int(done.stdout.strip()) / 1024  # not ru_maxrss: Linux carries it over from the forking parent


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# ---- the three measurements --------------------------------------------------------------------------


def measure_pages(
    port: int, pid: int, targets: Sequence[tuple[str, str]], repeat: int
) -> tuple[list[list[str]], list[list[str]]]:
    """Each address ``repeat`` times, one after another, signed in as the admin (one warm-up first).

    (pages, downloads): a page's row has p50/p95 of the whole answer against the target; a download's (a file
    to save, ``Content-Disposition: attachment``: the report's files, the calendar's .ics) the time to the
    first byte of its body and its total time, with no page target. Each row ends with the server's peak
    resident memory once that address was served (the address that raises it is the one to look at).
    """
    visitor = Visitor(port)
    visitor.sign_in("admin")
    pages, downloads = [], []
    for label, address in [("baseline: static file", "/static/app.css"), *targets]:
        status, body, _seconds = visitor.get(address)  # warm-up: the first request compiles the templates
        times, first_bytes = [], []
        for _run in range(repeat):
            status, body, seconds = visitor.get(address)
            times.append(seconds)
            first_bytes.append(visitor.first_byte)
        p50, p95 = common.percentile(times, 0.50), common.percentile(times, 0.95)
        size = f"{len(body) / 1024:.0f} kB"
        if visitor.attachment:
            row = [label, address[:60], str(status), size, f"{common.percentile(first_bytes, 0.50) * 1000:.0f} ms",
                   f"{common.percentile(first_bytes, 0.95) * 1000:.0f} ms", f"{p50 * 1000:.0f} ms",
                   f"{p95 * 1000:.0f} ms", f"{memory_mb(pid)[1]:.0f} MB",
                   f"ERROR {status}" if status >= 400 else ""]  # fmt: skip
            downloads.append(row)
            continue
        verdict = "" if label.startswith("baseline") else common.verdict(p95, TARGET_P95)
        if status >= 400:
            verdict = f"ERROR {status}"
        pages.append([label, address[:60], str(status), size, f"{p50 * 1000:.0f} ms",
                      f"{p95 * 1000:.0f} ms", f"{memory_mb(pid)[1]:.0f} MB", verdict])  # fmt: skip
    visitor.close()
    return pages, downloads


class Load:
    """``users`` people browsing ``targets`` until ``stop_at``; every answer and every exception counted."""

    def __init__(self, port: int, users: int, targets: Sequence[tuple[str, str]], think: tuple[float, float]) -> None:
        self.port = port
        self.targets = targets
        self.think = think
        self.visitors = []
        for number in range(1, users + 1):
            visitor = Visitor(port)
            visitor.sign_in(f"editor{number}")  # one at a time: see the notes on the sign-in's memory
            self.visitors.append(visitor)
        self.times: list[float] = []
        #: Of ``times``, the files to save (their children take seconds): the pages' own times are the rest.
        self.download_times: list[float] = []
        self.errors: list[str] = []
        #: 503 + Retry-After answers ("busy, try again": a report download while two are being made); not
        #: errors of the page, but not served either, so counted apart.
        self.busy: list[str] = []
        self.lock = threading.Lock()

    def browse(self, visitor: Visitor, seed: int, stop_at: float) -> None:
        chooser = random.Random(seed)
        while time.monotonic() < stop_at:
            label, address = chooser.choice(self.targets)
            try:
                status, _body, seconds = visitor.get(address)
            except Exception as error:  # every failure is a finding
                with self.lock:
                    self.errors.append(f"{label}: {type(error).__name__}: {error}")
                continue
            with self.lock:
                if status == 503 and visitor.retry_after:
                    self.busy.append(label)
                    continue
                self.times.append(seconds)
                if visitor.attachment:
                    self.download_times.append(seconds)
                if not 200 <= status < 400:
                    self.errors.append(f"{label}: HTTP {status}")
            time.sleep(chooser.uniform(*self.think))

    def run(self, seconds: float) -> None:
        stop_at = time.monotonic() + seconds
        threads = [
            threading.Thread(target=self.browse, args=(visitor, number, stop_at))
            for number, visitor in enumerate(self.visitors)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for visitor in self.visitors:
            visitor.close()


def write_due_posts(config: Path, first_due: datetime, count: int, spacing: float) -> list[int]:
    """``count`` planned posts on the file channels due ``spacing`` s apart from ``first_due``; their ids."""
    from outreach.app import Workspace
    from outreach.config import load_config
    from outreach.model import PostState

    ws = Workspace(load_config(config))
    innovations = [entry.innovation for entry in ws.planning.catalogue()[:count]]
    keys = []
    rows = []
    for index in range(count):
        moment = (first_due + timedelta(seconds=spacing * index)).astimezone(common.ZONE)
        innovation = innovations[index % len(innovations)]
        channel = TEXT_CHANNELS[index % len(TEXT_CHANNELS)]
        key = f"{CAMPAIGN}/{channel}/{innovation.id}/bench/{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}"
        keys.append(key)
        rows.append({
            "key": key, "campaign": CAMPAIGN, "channel": channel, "innovation_id": innovation.id,
            "kind": "perkenalan", "scheduled_at": moment, "content_hash": innovation.content_hash,
            "text": f"{innovation.ringkasan[:200]}\n\nInfo: {innovation.tautan}", "link": innovation.tautan,
            "image": None, "alt_text": None,
        })  # fmt: skip
    ws.store.apply_plan(rows, [], datetime.now(UTC))
    wanted = set(keys)
    ids = [post.id for post in ws.store.posts([PostState.PLANNED]) if post.key in wanted]
    ws.close()
    return ids


def lateness(config: Path, ids: Sequence[int], wait_until: float) -> tuple[dict[int, float], list[str]]:
    """Seconds each post went out after its scheduled time (waiting for the last), and those that did not."""
    from outreach.app import Workspace
    from outreach.config import load_config
    from outreach.model import PostState

    ws = Workspace(load_config(config))
    while True:
        found = ws.store.posts(ids=ids)
        if all(post.state is PostState.PUBLISHED for post in found) or time.monotonic() > wait_until:
            break
        time.sleep(0.5)
    late = {
        post.id: (post.published_at - post.scheduled_at).total_seconds()
        for post in found
        if post.state is PostState.PUBLISHED and post.published_at is not None
    }
    missing = [
        f"post {post.id} {post.state.value}: {post.reason}" for post in found if post.state is not PostState.PUBLISHED
    ]
    ws.close()
    return late, missing


# ---- main --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--innovations", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--replies", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=50, help="requests per address (p50/p95)")
    parser.add_argument("--users", type=int, default=20, help="people browsing at once")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of browsing beside the daemon")
    parser.add_argument("--spacing", type=float, default=3.0, help="seconds between two posts due")
    parser.add_argument("--quiet", type=float, default=15.0, help="seconds of posts due before the browsing (baseline)")
    parser.add_argument(
        "--think", default="1,5", help="seconds a person reads a page before the next: MIN,MAX (uniform)"
    )
    parser.add_argument("--store", type=Path, help="keep the built store in this folder and reuse it next time")
    args = parser.parse_args()
    common.print_machine("the office's web page: pages, memory, load beside the daemon")
    local_now = datetime.now(common.ZONE)
    if local_now.hour == 0 and local_now.minute < 10:
        print("warning: the daemon's daily re-plan (00:05 WIB) may fall in this run")
    with tempfile.TemporaryDirectory(prefix="outreach-bench-web-") as temporary:
        folder = args.store.resolve() if args.store else Path(temporary)
        config, ids = built_store(folder, args)
        from outreach.accounts import PERMISSIONS

        routes = get_routes()
        targets = addresses(routes, ids)
        # The browsing editors open only the pages their role may (pause and users are the admin's).
        editor_targets = addresses([route for route in routes if "editor" in PERMISSIONS[route.permission]], ids)
        port = free_port()
        started = time.perf_counter()
        server = start_server(config, folder, port)
        daemon = None
        try:
            print(f"server: listening {time.perf_counter() - started:.1f} s after launch")
            status, _body, first = Visitor(port).get("/masuk")
            idle_rss, _hwm = memory_mb(server.pid)
            print(f"first page (sign-in form, {status}): {first * 1000:.0f} ms; resident memory {idle_rss:.0f} MB")

            # 1. Pages
            page_rows, download_rows = measure_pages(port, server.pid, targets, args.requests)
            _rss, pages_hwm = memory_mb(server.pid)
            common.print_table(
                [
                    "page",
                    "address",
                    "status",
                    "size",
                    "p50",
                    f"p95 (≤ {TARGET_P95 * 1000:.0f} ms)",
                    "peak RSS",
                    "verdict",
                ],
                page_rows,
            )
            common.print_table(
                ["download", "address", "status", "size", "first byte p50", "first byte p95", "total p50",
                 "total p95", "peak RSS", ""],
                download_rows,
            )  # fmt: skip

            # 3. Load beside the daemon
            low, high = (float(part) for part in args.think.split(","))
            load = Load(port, args.users, editor_targets, (low, high))
            _rss, sign_in_hwm = memory_mb(server.pid)
            with (folder / "daemon.log").open("w") as log:
                daemon = subprocess.Popen(
                    [str(common.OUTREACH), "--config", str(config), "run"],
                    cwd=folder, env=common.subprocess_env(), stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip
            tick = wait_for_tick(config, daemon, folder)
            first_due = (tick + timedelta(seconds=TICK_SECONDS + 3)).replace(microsecond=0)
            quiet_count = int(args.quiet / args.spacing)
            count = quiet_count + max(1, int(args.duration / args.spacing))
            post_ids = write_due_posts(config, first_due, count, args.spacing)
            browse_from = first_due + timedelta(seconds=quiet_count * args.spacing)
            time.sleep(max(0.0, (browse_from - datetime.now(UTC)).total_seconds() - 1))
            load.run(args.duration)
            late, missing = lateness(config, post_ids, time.monotonic() + 60)
            load_rss, load_hwm = memory_mb(server.pid)
        finally:
            if daemon is not None:
                stop(daemon)
            stop(server)
        if server.returncode not in (0, -signal.SIGTERM):
            print(f"the server exited {server.returncode}:\n{(folder / 'serve.log').read_text()[-3000:]}")

    floor = flask_floor_mb()
    served = len(load.times)
    page_times = sorted(load.times)
    for seconds in load.download_times:
        page_times.remove(seconds)
    page_p95 = common.percentile(page_times, 0.95) if page_times else float("nan")
    download_p95 = common.percentile(load.download_times, 0.95) if load.download_times else float("nan")
    rows = [
        ["server peak RSS after the pages", f"{pages_hwm:.0f} MB", f"≤ {TARGET_MB:.0f} MB",
         common.verdict(pages_hwm, TARGET_MB)],
        [f"server peak RSS after the {args.users} sign-ins (one at a time, before the browsing)",
         f"{sign_in_hwm:.0f} MB", "", ""],
        ["server peak RSS after the load", f"{load_hwm:.0f} MB", f"≤ {TARGET_MB:.0f} MB",
         common.verdict(load_hwm, TARGET_MB)],
        ["server resident memory after the load (what it keeps)", f"{load_rss:.0f} MB", "", ""],
        [f"load: {args.users} users, {args.duration:.0f} s, {args.think} s between pages: served", f"{served:,}: "
         f"{len(page_times):,} pages (p95 {page_p95 * 1000:.0f} ms), {len(load.download_times):,} downloads "
         f"(p95 {download_p95 * 1000:.0f} ms)", "", ""],
        ["load: errors", f"{len(load.errors)}", "0", "PASS" if not load.errors else "MISS"],
        ["load: busy, try again (503 + Retry-After)", f"{len(load.busy)} ({', '.join(sorted(set(load.busy)))})",
         "", ""],
    ]  # fmt: skip
    quiet = [late[post_id] for post_id in post_ids[:quiet_count] if post_id in late]
    loaded = [late[post_id] for post_id in post_ids[quiet_count:] if post_id in late]
    if loaded:
        p99 = common.percentile(loaded, 0.99)
        rows += [
            [f"daemon: lateness of {len(loaded)} posts while browsing, p50",
             f"{common.percentile(loaded, 0.5) * 1000:.0f} ms", "", ""],
            [f"daemon: lateness of {len(loaded)} posts while browsing, p99", f"{p99 * 1000:.0f} ms",
             f"≤ {TARGET_LATENESS_P99 * 1000:.0f} ms", common.verdict(p99, TARGET_LATENESS_P99)],
        ]  # fmt: skip
    if quiet:
        rows.append([f"baseline: lateness of {len(quiet)} posts before it, p50 / max",
                     f"{common.percentile(quiet, 0.5) * 1000:.0f} / {max(quiet) * 1000:.0f} ms", "", ""])  # fmt: skip
    rows.append(["daemon: posts not published", str(len(missing)), "0", "PASS" if not missing else "MISS"])
    common.print_table(["measure", "measured", "target", "verdict"], rows)
    for problem in missing[:10]:
        print(f"  not published: {problem}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for error in sorted(set(load.errors))[:10]:
        print(f"  error: {error}")
    print(f"baseline: resident memory right after start-up {idle_rss:.0f} MB; Python with only Flask and "
          f"waitress imported {floor:.0f} MB")  # fmt: skip


def built_store(folder: Path, args: argparse.Namespace) -> tuple[Path, dict]:
    """The store in ``folder``: reused when an earlier run with the same sizes left it there, else built."""
    sizes = {"innovations": args.innovations, "posts": args.posts, "replies": args.replies, "users": args.users}
    saved = folder / "bench_web.json"
    if saved.exists():
        kept = json.loads(saved.read_text())
        if kept["sizes"] == sizes:
            restore(folder)
            print(f"store reused from {folder} (built {kept['built']}, restored as built)")
            return Path(kept["config"]), kept["ids"]
        raise SystemExit(f"{folder} holds a store of other sizes ({kept['sizes']}): delete it or pick another")
    if folder.exists() and any(folder.iterdir()):
        raise SystemExit(f"{folder} is not empty and holds no bench store")
    folder.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    config, ids = build(folder, args.innovations, args.posts, args.replies, args.users)
    print(f"store built in {time.perf_counter() - began:.1f} s: {args.innovations:,} innovations, "
          f"{args.posts:,} posts, {args.replies:,} replies, {args.users + 1} accounts")  # fmt: skip
    with sqlite3.connect(folder / common.STORE_NAME) as store, sqlite3.connect(folder / PRISTINE) as copy:
        store.backup(copy)
    built = datetime.now(common.ZONE).isoformat(timespec="seconds")
    saved.write_text(json.dumps({"sizes": sizes, "config": str(config), "ids": ids, "built": built}))
    return config, ids


def restore(folder: Path) -> None:
    """The store as it was built: a run's daemon cancels the planned posts (the campaign's dates lie in 2099) and
    publishes the bench's own, so the next run's pages would read another outbox."""
    for suffix in ("-wal", "-shm"):
        (folder / f"{common.STORE_NAME}{suffix}").unlink(missing_ok=True)
    (folder / common.STORE_NAME).unlink()
    with sqlite3.connect(folder / PRISTINE) as copy, sqlite3.connect(folder / common.STORE_NAME) as store:
        copy.backup(store)


def wait_for_tick(config: Path, daemon: subprocess.Popen, folder: Path) -> datetime:
    """When the daemon's first tick happened (after its start-up)."""
    from outreach.app import Workspace
    from outreach.config import load_config

    ws = Workspace(load_config(config))
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            with ws.store.reading():  # the daemon's start-up re-plan holds the write lock for seconds
                beat = (ws.store.get_setting("daemon") or {}).get("last_tick")
            if beat:
                return datetime.fromisoformat(beat)
            if daemon.poll() is not None:
                raise RuntimeError(f"the daemon exited:\n{(folder / 'daemon.log').read_text()[-3000:]}")
            time.sleep(0.2)
    finally:
        ws.close()
    raise RuntimeError("the daemon did not tick in 180 s")


if __name__ == "__main__":
    main()
