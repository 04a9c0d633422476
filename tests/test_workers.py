"""Many workers on one PostgreSQL store, as real processes: one leads planning, another takes over when it is
killed, and `run --once` started several times at the same moment publishes each due post exactly once.

The store is created an hour "earlier" by the test (a store never fills slots from before its creation), posts
are planned for three recent slots and made due now; the workers run on the real clock.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from outreach.app import Workspace
from outreach.model import Post, PostState
from outreach.outbox import Operation
from outreach.status import status_lines
from tests.engine_helpers import ZONE, campaign, file_channel, innovation, journal, project, workspace
from tests.test_daemon_process import OUTREACH, _wait_for

ROWS = [
    innovation("ktp-sehari-jadi"),
    innovation("bank-sampah", "Dinas Sosial"),
    innovation("antre-puskesmas", "Dinas Kesehatan"),
]
CHANNELS = ("berkas-a", "berkas-b", "berkas-c")
#: The issue's bound: another worker takes over (and plans) within this long of the leader's death.
TAKEOVER_BOUND_SECONDS = 30.0


def _config(folder: Path, store: str) -> Path:
    """Three file channels, three recent slots each: nine posts to publish."""
    last = datetime.now(ZONE).replace(second=0, microsecond=0) - timedelta(minutes=10)
    slots = [f"setiap hari {(last - timedelta(minutes=m)):%H.%M}" for m in (2, 1, 0)]
    return project(
        folder,
        ROWS,
        store=store,
        channels={name: file_channel("facebook", "outbox") for name in CHANNELS},
        campaigns={"kenali": campaign(list(CHANNELS), slots, min_gap_days=0)},
        publishing={"horizon_days": 1},
    )


def _plan_due_now(config: Path) -> list[Post]:
    """Create the store an hour ago, plan the recent slots, and make every post due now."""
    ws = workspace(config, datetime.now(UTC) - timedelta(hours=1))
    ws.store  # noqa: B018  # created now, on the clock of an hour ago
    ws.clock.set(datetime.now(UTC))
    ws.planning.apply_plan(1)
    now = datetime.now(UTC)
    for post in ws.store.posts([PostState.PLANNED]):
        ws.store.transition(post.id, Operation.RESCHEDULE, now, "made due now by the test", due_at=now)
    planned = ws.store.posts()
    ws.close()
    return planned


def _command(config: Path, *args: str) -> list[str]:
    return [str(OUTREACH), "--config", str(config), *args]


def _environment() -> dict[str, str]:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    env.pop("OUTREACH_CONFIG", None)
    env["OUTREACH_LANGUAGE"] = "en"
    return env


def _worker(config: Path, folder: Path, name: str, processes: list[subprocess.Popen], *args: str) -> subprocess.Popen:
    log = (folder / f"{name}.log").open("w")
    process = subprocess.Popen(
        _command(config, "run", *args), cwd=folder, env=_environment(), stdout=log, stderr=subprocess.STDOUT
    )
    processes.append(process)
    return process


def _log(folder: Path, name: str) -> str:
    return (folder / f"{name}.log").read_text()


def _daemon_line(ws: Workspace) -> str:
    """What `outreach status` says first: the workers, and which one leads."""
    return next(iter(status_lines(ws)))


def _plans(log: str) -> list[str]:
    """The planning runs a worker's log tells of."""
    return re.findall(r"planned \d+ new posts", log)


def test_two_workers_one_leads_and_the_other_takes_over_within_30_s_of_a_sigkill(
    tmp_path: Path, empty_postgres_url: str, processes: list[subprocess.Popen]
) -> None:
    config = _config(tmp_path, empty_postgres_url)
    planned = _plan_due_now(config)
    first = _worker(config, tmp_path, "first", processes)
    _wait_for(lambda: "leads planning" in _log(tmp_path, "first") or first.poll() is not None, 30, "a leader")
    second = _worker(config, tmp_path, "second", processes)  # no file lock on PostgreSQL: it starts too
    ws = workspace(config, datetime.now(UTC))
    _wait_for(lambda: _daemon_line(ws).startswith("daemon: 2 workers running"), 30, "two workers")
    assert first.poll() is None and second.poll() is None, _log(tmp_path, "first") + _log(tmp_path, "second")
    assert _daemon_line(ws).endswith(f"pid {first.pid} leads planning"), _daemon_line(ws)

    # Both publish; only the leader planned at start-up (the other was never the leader).
    _wait_for(lambda: len(ws.store.posts([PostState.PUBLISHED])) == len(planned), 30, "every post published")
    assert len(_plans(_log(tmp_path, "first"))) == 1
    assert not _plans(_log(tmp_path, "second")) and "leads planning" not in _log(tmp_path, "second")

    first.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    first.wait(timeout=10)
    _wait_for(lambda: bool(_plans(_log(tmp_path, "second"))), TAKEOVER_BOUND_SECONDS, "the survivor to plan")
    took = time.monotonic() - killed
    print(f"takeover and planning resumed {took:.1f} s after the leader's SIGKILL")
    assert took <= TAKEOVER_BOUND_SECONDS
    survivor = _log(tmp_path, "second")
    assert "took over planning" in survivor
    assert survivor.index("took over planning") < survivor.index(_plans(survivor)[0])
    lines = list(status_lines(ws))
    # The killed worker is still listed until it has been silent for a while; the survivor leads.
    assert lines[0].endswith(f"; {socket.gethostname()} pid {second.pid} leads planning"), lines

    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=15) == 0
    # A clean stop leaves the list of workers at once.
    assert f"worker:{socket.gethostname()}:{second.pid}" not in ws.store.workers()
    records = [record for name in CHANNELS for record in journal(tmp_path / "outbox", name)]
    assert sorted(record["key"] for record in records) == sorted(post.key for post in planned)
    ws.close()


def test_four_run_once_started_together_publish_each_due_post_exactly_once(
    tmp_path: Path, empty_postgres_url: str, processes: list[subprocess.Popen]
) -> None:
    config = _config(tmp_path, empty_postgres_url)
    planned = _plan_due_now(config)
    assert len(planned) == 9
    names = [f"once-{n}" for n in range(4)]
    runs = [_worker(config, tmp_path, name, processes, "--once") for name in names]
    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0, 0], [_log(tmp_path, name) for name in names]

    records = [record for name in CHANNELS for record in journal(tmp_path / "outbox", name)]
    assert sorted(record["key"] for record in records) == sorted(post.key for post in planned)  # once each
    ws = workspace(config, datetime.now(UTC))
    after = ws.store.posts()
    assert {post.id for post in after} == {post.id for post in planned}  # nothing planned twice
    assert all(post.state is PostState.PUBLISHED and post.attempts == 1 for post in after)
    published = [int(match) for name in names for match in re.findall(r"(\d+) published", _log(tmp_path, name))]
    assert sum(published) == len(planned), [_log(tmp_path, name) for name in names]
    # The one that got the leadership lock planned (a cron deployment still gets its plan); planning runs
    # are one after another, never two at once, so none of them found anything left to add.
    plans = [plan for name in names for plan in _plans(_log(tmp_path, name))]
    assert plans and all(plan == "planned 0 new posts" for plan in plans), plans
    ws.close()


def test_three_workers_started_at_the_same_moment_elect_one_leader_who_alone_plans(
    tmp_path: Path, empty_postgres_url: str, processes: list[subprocess.Popen]
) -> None:
    config = _config(tmp_path, empty_postgres_url)
    _plan_due_now(config)
    names = ["w0", "w1", "w2"]
    workers = [_worker(config, tmp_path, name, processes) for name in names]
    ws = workspace(config, datetime.now(UTC))
    _wait_for(lambda: _daemon_line(ws).startswith("daemon: 3 workers running"), 60, "three workers")
    time.sleep(2 * 5)  # two more leadership checks on every worker: none may take the lead meanwhile
    logs = {name: _log(tmp_path, name) for name in names}
    leaders = [name for name in names if "leads planning" in logs[name] or "took over" in logs[name]]
    assert len(leaders) == 1, logs
    leader = workers[names.index(leaders[0])]
    assert _daemon_line(ws).endswith(f"pid {leader.pid} leads planning"), _daemon_line(ws)
    assert [len(_plans(logs[name])) for name in names].count(0) == 2, logs  # only the leader planned
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    assert [worker.wait(timeout=30) for worker in workers] == [0, 0, 0], [_log(tmp_path, name) for name in names]
    assert not ws.store.workers()  # each left the list on its clean stop
    ws.close()
