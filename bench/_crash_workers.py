"""The crash suite's many workers on one shared (PostgreSQL) store: start, SIGKILL, watch, audit.

``bench/crash_suite.py --store postgresql --workers 3`` runs ``outreach run`` in ``--workers``
processes on one database. Each SIGKILL lands on a random worker (sometimes chosen because it leads
planning), which is restarted at once in the same slot. The suite keeps, for every process it
started, its pid and the moment it was confirmed dead; a watcher thread reads, many times a second,
which worker (``posts.claimed_by``: ``host:pid:random``) holds each post in ``publishing``.

The audit afterwards: every settlement of an orphan (an event out of ``publishing`` whose reason is
the publisher's "interrupted while publishing") must concern a claim whose worker had been killed
before the settlement was stamped — never a claim of a worker still alive. A claim the watcher never
saw and the store no longer names counts as a violation too: what cannot be shown is not passed.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _common as common

from outreach.store.coordination import WORKER_PREFIX


@dataclass
class Worker:
    """One ``outreach run`` process: its slot (restarts reuse it), its pid and its life."""

    slot: int
    number: int
    process: subprocess.Popen
    log: Path
    started: float
    started_at: datetime
    killed_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def pid(self) -> int:
        return self.process.pid


class Workers:
    """``count`` slots of ``outreach run`` on one config; each process logs to ``worker-S-NN.log``."""

    def __init__(self, config: Path, folder: Path, environ: dict[str, str], count: int) -> None:
        self.config = config
        self.folder = folder
        self.environ = environ
        self.count = count
        self.every: list[Worker] = []
        self.current: dict[int, Worker] = {}

    def start(self, slot: int) -> Worker:
        number = len(self.every) + 1
        log = self.folder / f"worker-{slot}-{number:02d}.log"
        with log.open("w") as handle:
            process = subprocess.Popen(
                [str(common.OUTREACH), "--config", str(self.config), "run"],
                cwd=self.folder,
                env=common.subprocess_env(**self.environ),
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(slot, number, process, log, time.monotonic(), datetime.now(UTC))
        self.every.append(worker)
        self.current[slot] = worker
        return worker

    def start_all(self) -> None:
        for slot in range(self.count):
            self.start(slot)

    def kill(self, worker: Worker) -> None:
        """SIGKILL, and the moment it is confirmed dead (after ``wait``): the audit's reference."""
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(timeout=10)
        worker.killed_at = datetime.now(UTC)

    def stop_all(self) -> dict[int, int | None]:
        """SIGTERM to every worker at once, then wait for each; exit code by pid (None: had to be killed)."""
        alive = [worker for worker in self.current.values() if worker.process.poll() is None]
        for worker in alive:
            worker.process.send_signal(signal.SIGTERM)
        codes: dict[int, int | None] = {}
        for worker in alive:
            try:
                codes[worker.pid] = worker.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=10)
                codes[worker.pid] = None
            worker.stopped_at = datetime.now(UTC)
        return codes

    def kill_leftovers(self) -> None:
        for worker in self.current.values():
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait(timeout=10)

    def check_alive(self) -> None:
        for worker in self.current.values():
            if worker.process.poll() is not None:
                tail = worker.log.read_text()[-3000:]
                code = worker.process.returncode
                raise RuntimeError(f"worker {worker.number} (slot {worker.slot}) exited by itself ({code}):\n{tail}")

    def living(self, pid: int, at: datetime) -> Worker | None:
        """The worker that had ``pid`` at the moment ``at`` (pids come back: this machine's wrap at 32,768)."""
        for worker in self.every:
            end = worker.killed_at or worker.stopped_at
            if worker.pid == pid and worker.started_at <= at and (end is None or at <= end):
                return worker
        return None


def heartbeats(store: Any) -> dict[int, dict[str, Any]]:
    """The workers' heartbeats by pid."""
    return {
        int(beat["pid"]): beat
        for beat in store.settings_with_prefix(WORKER_PREFIX).values()
        if isinstance(beat, dict) and "pid" in beat
    }


def wait_up(workers: Workers, worker: Worker, store: Any, deadline: float, beats: int = 1) -> None:
    """Until ``worker``'s heartbeat is in the store (its start-up is done); with ``beats`` = 2, until it
    has beaten again after that (its scheduler runs, so a SIGTERM is a clean stop)."""
    first: str | None = None
    while True:
        beat = heartbeats(store).get(worker.pid)
        if beat is not None:
            first = first or str(beat.get("beat"))
            if beats < 2 or str(beat.get("beat")) != first:
                return
        workers.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"worker {worker.number} did not start within the budget (see {worker.log})")
        time.sleep(0.05)


def leader(workers: Workers, store: Any) -> Worker | None:
    """The live worker whose heartbeat says it leads (a killed leader's last heartbeat still says so)."""
    beats = heartbeats(store)
    for worker in workers.current.values():
        if worker.process.poll() is None and beats.get(worker.pid, {}).get("leader"):
            return worker
    return None


def wait_for_leader(workers: Workers, store: Any, since: float, deadline: float) -> float | None:
    """Seconds from ``since`` until a live worker says it leads; None if none did before ``deadline``."""
    while time.monotonic() < deadline:
        if leader(workers, store) is not None:
            return time.monotonic() - since
        time.sleep(0.1)
    return None


# ---- who claimed what ---------------------------------------------------------------------------------


class ClaimWatcher:
    """Reads, every ``every`` s, the worker named on each ``publishing`` post: (post id, attempt) → worker.

    An orphan waits for its lease to run out (a minute) before anyone settles it, so the watcher
    always sees it; a claim settled by its own worker within one look may be missed, which is harmless
    (only orphans' claimers are audited).
    """

    def __init__(self, store: Any, every: float = 0.05) -> None:
        self.store = store
        self.every = every
        self.seen: dict[tuple[int, int], str] = {}
        self.error: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="claim-watcher", daemon=True)

    def __enter__(self) -> ClaimWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.look()  # once more at the end

    def _run(self) -> None:
        while not self._done.wait(self.every):
            self.look()

    def look(self) -> None:
        try:
            for post_id, attempt, worker in claims(self.store):
                self.seen.setdefault((post_id, attempt), worker)
        except Exception as error:  # reported with the audit; a watcher must not die silently
            self.error = f"{error.__class__.__name__}: {str(error).splitlines()[0]}"


def claims(store: Any, every_state: bool = False) -> list[tuple[int, int, str]]:
    """(post id, attempts, claimed_by) of the posts in ``publishing`` (or of all, with ``every_state``)."""
    from sqlalchemy import select

    from outreach.store.schema import posts

    query = select(posts.c.id, posts.c.attempts, posts.c.claimed_by).where(posts.c.claimed_by.is_not(None))
    if not every_state:
        query = query.where(posts.c.state == "publishing")
    with store.transaction() as connection:
        return [(int(row.id), int(row.attempts), str(row.claimed_by)) for row in connection.execute(query)]


def pid_of(worker_id: str) -> int | None:
    """The pid in a worker id ``host:pid:random`` (``outreach.lanes.worker_id``)."""
    parts = worker_id.split(":")
    return int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None


@dataclass
class Audit:
    """Every orphan settlement, the kill it followed, and the ones that prove nothing or worse."""

    settlements: int = 0
    gaps: list[float] = field(default_factory=list)
    while_alive: list[str] = field(default_factory=list)
    unattributed: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        found = [f"settled while its worker was alive: {line}" for line in self.while_alive]
        return found + [f"orphan settlement not attributable to a killed worker: {line}" for line in self.unattributed]


def audit(
    store: Any, ids: Iterable[int], seen: dict[tuple[int, int], str], workers: Workers, is_orphan: Callable[[str], bool]
) -> Audit:
    """Match every orphan settlement to the claim it ended, that claim to the process that made it (its pid,
    alive at the claim's moment), and that process's death to the settlement's moment."""
    final = {(post_id, attempt): worker for post_id, attempt, worker in claims(store, every_state=True)}
    result = Audit()
    for post_id in ids:
        events = store.events(post_id)
        claimed_at = {event.attempt: event.at for event in events if event.to_state == "publishing"}
        for event in events:
            if event.from_state != "publishing" or not is_orphan(event.reason or ""):
                continue
            result.settlements += 1
            claimer = seen.get((post_id, event.attempt)) or final.get((post_id, event.attempt))
            where = f"post {post_id} attempt {event.attempt} settled {event.at.isoformat()} as {event.to_state}"
            pid = pid_of(claimer) if claimer else None
            claim = claimed_at.get(event.attempt)
            worker = workers.living(pid, claim) if pid is not None and claim is not None else None
            if worker is None:
                result.unattributed.append(f"{where}; claimed by {claimer or 'nobody seen'} at {claim}")
            elif worker.killed_at is None or worker.killed_at > event.at:
                dead = worker.killed_at.isoformat() if worker.killed_at else "never killed"
                result.while_alive.append(f"{where}; its worker {claimer} (pid {pid}) died: {dead}")
            else:
                result.gaps.append((event.at - worker.killed_at).total_seconds())
    return result
