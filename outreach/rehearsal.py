"""`outreach rehearse`: days of publishing in seconds, on local file channels only, kept apart from the live record.

A rehearsal writes to a store and outbox folders of its own (a ``rehearsal`` folder beside the
configured ones), so the live store's status, preview and history — the office's evidence —
never contain rehearsal posts. ``outreach --rehearsal COMMAND`` reads the rehearsal's store.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from .app import Workspace
from .channels import adapter_class
from .clock import FixedClock
from .config import Config
from .errors import ConfigError
from .i18n import _
from .lock import StoreLock
from .store import Store

#: The folder, beside the configured store and each file channel's folder, that a rehearsal writes in.
REHEARSAL_FOLDER = "rehearsal"

_SQLITE = "sqlite:///"


def rehearsal_config(config: Config) -> Config:
    """``config`` with the store and every file channel's folder moved into a ``rehearsal`` folder beside them.

    Refused when a channel reaches a real platform or people, or when the store is not a SQLite
    file: fast-forwarding must never reach a platform, nor write into a shared database.
    """
    real = [
        name for name, settings in config.channels.items() if adapter_class(settings.type).outbox_for(settings) is None
    ]
    if real:
        raise ConfigError(
            _(
                "rehearse only runs when every channel is a local file channel; {channels} would "
                "publish for real — use `outreach preview` instead"
            ).format(channels=", ".join(real))
        )
    if not config.store_url.startswith(_SQLITE) or config.store_url == _SQLITE:
        raise ConfigError(
            _(
                "{config}: store: a rehearsal keeps its own SQLite file beside the store; "
                "set store to a file path to rehearse (it is {kind})"
            ).format(config=config.path, kind=config.store_url.split("://")[0])
        )
    channels = {
        name: dataclasses.replace(settings, directory=_beside(adapter_class(settings.type).outbox_for(settings)))
        for name, settings in config.channels.items()
    }
    store = _beside(Path(config.store_url.removeprefix(_SQLITE)))
    return dataclasses.replace(config, store_url=_SQLITE + str(store), channels=channels)


def rehearsal_store(config: Config) -> Path:
    """Where the rehearsal of ``config`` keeps its store."""
    return Path(rehearsal_config(config).store_url.removeprefix(_SQLITE))


def outbox_folders(config: Config) -> list[Path]:
    """The folders the file channels of ``config`` write to, each once."""
    found = {adapter_class(settings.type).outbox_for(settings) for settings in config.channels.values()}
    return sorted(folder for folder in found if folder is not None)


def rehearse(
    config: Config, start: datetime, days: int, on_new_store: Callable[[Store], None] | None = None
) -> dict[str, int]:
    """Publish ``days`` of posts in seconds on a clock of its own, moved from one due time to the next.

    ``config`` is the live one: the rehearsal runs on :func:`rehearsal_config` of it, from an
    empty rehearsal store and empty rehearsal folders, so one rehearsal never mixes with the last.
    Returns how many posts ended in each state.
    """
    rehearsal = rehearsal_config(config)
    # The clock starts at ``start`` before the store is opened: the new store begins its record
    # then, so the rehearsal works whatever the real date is.
    clock = FixedClock(start)
    workspace = Workspace(rehearsal, clock, on_new_store)
    lock = StoreLock(workspace)
    lock.acquire()
    counts: dict[str, int] = {}
    try:
        _start_afresh(rehearsal)
        publisher = workspace.publisher()
        publisher.recover()
        workspace.planning.apply_plan(days)
        end = start + timedelta(days=days)
        for due in workspace.store.planned_due_times(start - timedelta(seconds=1), end):
            clock.set(due)
            for outcome in publisher.publish_due():
                counts[outcome.state.value] = counts.get(outcome.state.value, 0) + 1
    finally:
        lock.release()
        workspace.close()
    return counts


def _beside(path: Path | None) -> Path:
    """``folder/name`` → ``folder/rehearsal/name``."""
    assert path is not None  # every channel was checked to be a local file channel
    return path.parent / REHEARSAL_FOLDER / path.name


def _start_afresh(rehearsal: Config) -> None:
    """Remove the last rehearsal's store and posts (only inside the ``rehearsal`` folders)."""
    store = Path(rehearsal.store_url.removeprefix(_SQLITE))
    for suffix in ("", "-wal", "-shm", "-journal"):
        store.with_name(store.name + suffix).unlink(missing_ok=True)
    for folder in outbox_folders(rehearsal):
        if folder.parent.name == REHEARSAL_FOLDER and folder.is_dir():
            shutil.rmtree(folder)
