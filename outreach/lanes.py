"""Lanes: a slot's channels publish at once, each channel one post at a time, and the leases stay alive.

A slot on eight channels used to take the sum of their latencies, one post after another. Here a
bounded pool runs one lane per channel (a lane claims and publishes its channel's due posts in
order), so the slot takes about as long as its slowest channel. The store's lanes (``channel_lanes``)
make "one post of a channel at a time" hold across workers and machines too; ``Renewer`` keeps this
worker's lanes and claims alive while it works, so no other worker takes them for orphans.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import TypeVar

log = logging.getLogger("outreach.publisher")

Outcome = TypeVar("Outcome")


def worker_id() -> str:
    """This worker's name in the store: host and pid for a person reading it, and a random part,
    because a pid comes back after a restart and must not inherit a dead worker's lanes."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_lanes(
    take: Callable[[int], Sequence[str]],
    lane: Callable[[str], list[Outcome]],
    width: int,
    stop: threading.Event,
) -> list[Outcome]:
    """Run ``lane(channel)`` for the channels ``take(free)`` hands out, ``width`` at a time, until ``take``
    has none and every lane ended.

    A lane publishes everything due on its channel; ``take`` must not hand out again a channel whose lane
    ended without progress (the caller tracks those), so the loop ends. A ``stop`` takes no new lane;
    lanes running finish their post in flight and stop themselves.
    """
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="lane") as pool:
        running: dict[Future[list[Outcome]], str] = {}
        while True:
            if not stop.is_set() and len(running) < width:
                busy = set(running.values())
                for channel in take(width - len(running)):
                    if channel not in busy:
                        running[pool.submit(lane, channel)] = channel
            if not running:
                return outcomes
            done, _pending = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                del running[future]
                outcomes.extend(future.result())


class Renewer:
    """A thread that calls ``renew()`` every ``every`` seconds while the ``with`` block runs.

    A worker that dies stops renewing; its leases then run out and another worker settles its posts.
    A failed renewal is logged and tried again at the next beat (the lease allows two misses).
    """

    def __init__(self, renew: Callable[[], object], every: float) -> None:
        self._renew = renew
        self._every = every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-renewer", daemon=True)

    def __enter__(self) -> Renewer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(self._every):
            try:
                self._renew()
            except Exception:  # the next beat tries again; the lease outlives two misses
                log.exception("could not renew this worker's leases")
