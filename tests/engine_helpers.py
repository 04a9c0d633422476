"""Helpers shared by the planner, publisher and daemon tests.

They build a real project in a temporary folder — ``outreach.toml`` plus a small CSV catalogue —
load it with ``load_config`` and open a ``Workspace`` on a fixed clock, with a real SQLite store
beside the config. Nothing here talks to a network except through the loopback fakes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from outreach import outbox
from outreach.app import Workspace
from outreach.channels.base import OutgoingPost
from outreach.clock import FixedClock
from outreach.config import Config, load_config
from outreach.model import ALL_FIELDS, Post, PostState
from outreach.operations import PAUSE_SETTING
from outreach.outbox import Operation
from outreach.store import Lease, Store

ZONE = ZoneInfo("Asia/Jakarta")
CONFIG_NAME = "outreach.toml"
CATALOGUE_NAME = "inovasi.csv"
STORE_NAME = "outreach.sqlite3"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware local time in WIB (Asia/Jakarta)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=ZONE)


# ---- PostgreSQL's round trips ------------------------------------------------------------------


def round_trips(trace: Path) -> list[str]:
    """What the client sent that waited for an answer, from libpq's protocol trace: each simple query, and each
    Sync that ends a statement's exchange, named by the statement's text (``prepare: …`` for the trip psycopg
    takes to prepare a statement it has run five times; ``(prepared)`` for each run of a prepared one)."""
    sent = [line.split("\t", 4) for line in trace.read_text().splitlines() if "\tF\t" in line]
    trips: list[str] = []
    parsed = ""
    for _at, _side, _size, kind, *rest in sent:
        if kind == "Parse":  # the statement's name (empty: not kept), its text, its parameters' types
            name, text = rest[0].split('"')[1], rest[0].split('"')[3]
            parsed = f"prepare: {text}" if name else text
        elif kind == "Query":
            trips.append(rest[0].strip().strip('"') if rest else "")
        elif kind == "Sync":
            trips.append(parsed or "(prepared)")
            parsed = ""
    return trips


def trace_connections(store: Store, trace: Path) -> None:
    """Trace every connection the store opens from now on into ``trace`` (libpq's own protocol trace)."""
    sink = trace.open("a")
    event.listen(
        store.engine, "connect", lambda dbapi_connection, _record: dbapi_connection.pgconn.trace(sink.fileno())
    )
    store.engine.dispose()  # the connections opened before are not traced: open them again


# ---- catalogue ---------------------------------------------------------------------------------


def innovation(
    identifier: str,
    opd: str = "Dinas Kependudukan dan Pencatatan Sipil",
    *,
    status: str = "disetujui",
    **fields: Any,
) -> dict[str, str]:
    """One catalogue row in plain Indonesian; ``status='draf'`` leaves it unapproved."""
    name = identifier.replace("-", " ").title()
    row = {
        "id": identifier,
        "nama": name,
        "opd": opd,
        "ringkasan": f"Layanan {name} untuk warga kota. Anda bisa mengurusnya dengan mudah.",
        "manfaat": "Anda tidak perlu datang dua kali. Layanan ini gratis.",
        "cara_akses": "Datang ke kantor kelurahan | Bawa Kartu Keluarga | Tunggu petugas memanggil nama Anda",
        "lokasi": "Kantor kelurahan di Bandar Lampung",
        "jam_layanan": "Senin sampai Jumat pukul 08.00 WIB",
        "kontak": "WhatsApp 0812-0000-1234",
        "tautan": f"https://bandarlampungkota.go.id/inovasi/{identifier}",
        "gambar": "",
        "alt_gambar": "",
        "tagar": "BandarLampung LayananPublik",
        "mulai": "",
        "selesai": "",
        "status": status,
        "disetujui_oleh": "Rina Kusuma (Diskominfo)" if status == "disetujui" else "",
        "disetujui_pada": "2026-11-20" if status == "disetujui" else "",
    }
    for key, value in fields.items():
        if key not in row:
            raise KeyError(f"unknown catalogue column {key}")
        row[key] = "" if value is None else str(value)
    return row


def write_catalogue(folder: Path, rows: Iterable[Mapping[str, str]], name: str = CATALOGUE_NAME) -> Path:
    """Write ``rows`` as a semicolon CSV, the way Indonesian-locale Excel saves it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ALL_FIELDS), delimiter=";")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: row.get(key, "") for key in ALL_FIELDS})
    return path


# ---- config ------------------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """A Python value written as TOML (enough for outreach configs)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (str, Path)):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else json.dumps(name)


def file_channel(as_: str = "facebook", directory: str = "outbox", **extra: Any) -> dict[str, Any]:
    """A ``[channels.NAME]`` block for the local file channel."""
    return {"type": "file", "as": as_, "directory": directory, **extra}


def campaign(channels: Sequence[str], slots: Sequence[str] = ("setiap hari 09.00",), **extra: Any) -> dict[str, Any]:
    """A ``[campaigns.NAME]`` block; holidays are allowed unless a test says otherwise."""
    return {"channels": list(channels), "slots": list(slots), "holidays": "allow", **extra}


def write_config(
    folder: Path,
    *,
    channels: Mapping[str, Mapping[str, Any]],
    campaigns: Mapping[str, Mapping[str, Any]],
    publishing: Mapping[str, Any] | None = None,
    templates: str | None = None,
    catalogue: Sequence[str] = (CATALOGUE_NAME,),
    store: str = STORE_NAME,
) -> Path:
    """Write ``outreach.toml`` into ``folder`` and return its path."""
    lines = [
        'timezone = "Asia/Jakarta"',
        f"store = {toml_value(store)}",
        f"catalogue = {toml_value(list(catalogue))}",
    ]
    if templates is not None:
        lines.append(f"templates = {toml_value(templates)}")
    if publishing:
        lines.append("\n[publishing]")
        lines += [f"{_key(key)} = {toml_value(value)}" for key, value in publishing.items()]
    for name, block in channels.items():
        lines.append(f"\n[channels.{_key(name)}]")
        lines += [f"{_key(key)} = {toml_value(value)}" for key, value in block.items()]
    for name, block in campaigns.items():
        lines.append(f"\n[campaigns.{_key(name)}]")
        lines += [f"{_key(key)} = {toml_value(value)}" for key, value in block.items()]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CONFIG_NAME
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def project(
    folder: Path,
    rows: Iterable[Mapping[str, str]],
    **config: Any,
) -> Path:
    """Catalogue and config in one folder; returns the config path."""
    write_catalogue(folder, rows)
    return write_config(folder, **config)


def load(config_path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Load the config with only the given environment (never the developer's real one)."""
    return load_config(config_path, environ=dict(environ or {}))


def workspace(config_path: Path, now: datetime, environ: Mapping[str, str] | None = None) -> Workspace:
    """A workspace on a fixed clock (as ``outreach --now``)."""
    return Workspace(load(config_path, environ), FixedClock(now))


# ---- clock -------------------------------------------------------------------------------------


def set_now(ws: Workspace, moment: datetime) -> None:
    """Move a workspace's fixed clock."""
    assert isinstance(ws.clock, FixedClock), "tests move only a fixed clock"
    ws.clock.set(moment)


def advance(ws: Workspace, **delta: float) -> datetime:
    """Move a workspace's clock forward by ``timedelta(**delta)``; returns the new time."""
    moment = ws.now() + timedelta(**delta)
    set_now(ws, moment)
    return moment


# ---- outbox helpers ----------------------------------------------------------------------------


def local_day(post: Post) -> date:
    return post.scheduled_at.astimezone(ZONE).date()


def journal(directory: Path, channel: str) -> list[dict[str, Any]]:
    """The JSON lines the file channel wrote for ``channel``."""
    path = directory / f"{channel}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def outgoing(ws: Workspace, post: Post) -> OutgoingPost:
    """The post as the publisher hands it to an adapter (for simulating a crash mid-publish)."""
    return ws.planning.outgoing(post)


#: How the publisher leaves a claimed post in each outcome state.
_OUTCOMES = {
    PostState.PUBLISHED: Operation.PUBLISHED,
    PostState.HANDED_OFF: Operation.HAND_OFF,
    PostState.FAILED: Operation.FAIL,
    PostState.UNKNOWN: Operation.UNKNOWN,
    PostState.SKIPPED: Operation.SKIP,
}


def claim_as_a_dead_worker(store: Store, now: datetime) -> Post | None:
    """The earliest post due by ``now``, claimed as a worker claims it (its channel's lane, a lease) by a worker
    that died straight after: the lease already past, the post in ``publishing`` for another worker to settle."""
    channels = store.due_channels(now, limit=1)
    dead = Lease("elsewhere:1:dead", now - timedelta(seconds=1))
    claimed = store.claim_to_publish(now, PAUSE_SETTING, channels[0], dead) if channels else None
    return None if claimed is None else claimed[0]


def settle_as(store: Store, post_id: int, state: PostState, now: datetime, reason: str, **values: Any) -> None:
    """Bring a planned post to an outcome the way the publisher would: claim it, then record the outcome."""
    attempts = store.post(post_id).attempts + 1
    store.transition(post_id, Operation.CLAIM, now, "claimed", attempts=attempts)
    store.transition(post_id, _OUTCOMES[state], now, reason, **values)


def announce(store: Store, due: datetime, text: str = "Kantor pelayanan KTP tutup besok karena banjir.") -> int:
    """A one-off announcement on the ``x`` channel due at ``due`` (as ``outreach post add`` writes it); its id."""
    return store.add_post(
        {
            "key": f"{outbox.ANNOUNCEMENT_CAMPAIGN}/x/{outbox.ANNOUNCEMENT_ID}/{outbox.ANNOUNCEMENT_KIND}/test",
            "campaign": outbox.ANNOUNCEMENT_CAMPAIGN,
            "channel": "x",
            "innovation_id": outbox.ANNOUNCEMENT_ID,
            "kind": outbox.ANNOUNCEMENT_KIND,
            "scheduled_at": due,
            "text": text,
            "link": None,
        },
        datetime.now(UTC),
        "announced",
        "test",
    )
