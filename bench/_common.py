"""Shared helpers for the benchmarks: the machine, a generated catalogue, a temporary config, tables.

Every benchmark script adds the repository root to ``sys.path`` (through this module) so it can
reuse the loopback fake platforms of ``tests/fakeplatform`` and run from any working directory.

The generated catalogue varies the 19 innovations of the bundled example
(``config/catalogue/inovasi.csv``: plain Indonesian written to the templates' rules) across the
neighbourhoods of Bandar Lampung and about 40 agencies (the example's 14 agencies, the 20
*kecamatan* offices and 6 *kelurahan* offices). Every row is ``status=disetujui`` with
``disetujui_oleh``/``disetujui_pada``; rows keep the example's image, hashtags and
``mulai``/``selesai`` (so about 1 in 19 innovations is outside its window, as in real catalogues).
"""

from __future__ import annotations

import csv
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

ZONE = ZoneInfo("Asia/Jakarta")
EXAMPLE_CATALOGUE = REPO / "config" / "catalogue" / "inovasi.csv"
EXAMPLE_IMAGES = REPO / "config" / "catalogue" / "gambar"
CONFIG_NAME = "outreach.toml"
CATALOGUE_NAME = "inovasi.csv"
STORE_NAME = "outreach.sqlite3"
#: The seven platforms of benchmark 1 (``as`` of the ``file`` channels).
PLATFORMS = ("x", "facebook", "instagram", "telegram", "mastodon", "bluesky", "whatsapp")
#: The console script of the active environment.
OUTREACH = Path(sys.executable).parent / "outreach"

KECAMATAN = [
    "Kedaton",
    "Way Halim",
    "Sukarame",
    "Rajabasa",
    "Tanjung Karang Pusat",
    "Tanjung Karang Barat",
    "Tanjung Karang Timur",
    "Teluk Betung Selatan",
    "Teluk Betung Utara",
    "Teluk Betung Barat",
    "Teluk Betung Timur",
    "Panjang",
    "Kemiling",
    "Labuhan Ratu",
    "Langkapura",
    "Sukabumi",
    "Enggal",
    "Kedamaian",
    "Bumi Waras",
    "Tanjung Senang",
]
KELURAHAN = [
    "Way Halim Permai",
    "Gunung Terang",
    "Sukarame Baru",
    "Rajabasa Raya",
    "Pasir Gintung",
    "Gedong Air",
    "Kota Baru",
    "Pesawahan",
    "Kupang Kota",
    "Sukamaju",
    "Way Lunik",
    "Beringin Raya",
    "Kampung Baru",
    "Langkapura Baru",
    "Campang Raya",
    "Pelita",
    "Kedamaian",
    "Garuntang",
    "Labuhan Dalam",
    "Sepang Jaya",
    "Sidodadi",
    "Kalibalau Kencana",
    "Perumnas Way Kandis",
    "Jagabaya",
    "Sumur Batu",
    "Tanjung Agung",
    "Rawa Laut",
    "Penengahan",
    "Segala Mider",
    "Kelapa Tiga",
]
#: The extra *kelurahan* offices that run innovations of their own (the example has Labuhan Ratu).
KELURAHAN_OFFICES = [
    "Way Halim Permai",
    "Gunung Terang",
    "Sukarame Baru",
    "Rajabasa Raya",
    "Pasir Gintung",
    "Kota Baru",
]


# ---- the machine ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """nproc, the CPU model from /proc/cpuinfo, Python, platform."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def print_machine(title: str) -> None:
    """The benchmark's title and the machine it runs on."""
    info = machine()
    print(f"== {title}")
    print(f"machine: nproc={info['nproc']}, CPU {info['cpu']}, Python {info['python']}, {info['platform']}")


# ---- statistics and tables -----------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1); with few samples p99 is the maximum."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(fraction * len(ordered) - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def verdict(measured: float, target: float) -> str:
    """PASS when ``measured`` is at most ``target``."""
    return "PASS" if measured <= target else "MISS"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A plain left-aligned text table."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    print("  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


# ---- the generated catalogue ---------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def example_rows() -> list[dict[str, str]]:
    """The bundled example catalogue's rows as the CSV has them (semicolon, UTF-8 with BOM)."""
    with EXAMPLE_CATALOGUE.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def agencies() -> list[str]:
    """About 40 agencies: the example's own, the kecamatan offices and a few kelurahan offices."""
    own = sorted({row["opd"] for row in example_rows()})
    return own + [f"Kecamatan {name}" for name in KECAMATAN] + [f"Kelurahan {name}" for name in KELURAHAN_OFFICES]


def innovation_rows(count: int, *, images: bool = True) -> list[dict[str, str]]:
    """``count`` approved innovations in plain Indonesian from about 40 agencies (deterministic)."""
    themes = example_rows()
    offices = agencies()
    rows = []
    for index in range(count):
        theme = dict(themes[index % len(themes)])
        variant = index // len(themes)
        place = KELURAHAN[variant % len(KELURAHAN)]
        # Half the variants are run by the theme's own agency, the rest by a local office.
        agency = theme["opd"] if variant % 2 == 0 else offices[(index * 7 + variant) % len(offices)]
        identifier = f"{theme['id']}-{_slug(place)}-{index:05d}"
        theme.update(
            id=identifier,
            nama=f"{theme['nama']} {place}",
            opd=agency,
            ringkasan=f"{theme['ringkasan']} Kini ada juga untuk warga {place}.",
            lokasi=f"Kantor Kelurahan {place}, Bandar Lampung" if variant % 3 else theme["lokasi"],
            tautan=f"https://bandarlampungkota.go.id/inovasi/{identifier}",
            kontak=f"WhatsApp 0812-{7000 + index % 3000:04d}-{1000 + index % 9000:04d}",
            status="disetujui",
            disetujui_oleh=("Rina Kusuma (Diskominfo)", "Agus Santoso (Diskominfo)")[index % 2],
            disetujui_pada="2026-11-20",
        )
        if not images:
            theme.update(gambar="", alt_gambar="")
        rows.append(theme)
    return rows


def write_catalogue(folder: Path, rows: Sequence[Mapping[str, str]], name: str = CATALOGUE_NAME) -> Path:
    """Write ``rows`` as a semicolon CSV (as Indonesian-locale Excel saves it), with the example's images."""
    from tests.engine_helpers import write_catalogue as write_test_catalogue

    if any(row.get("gambar") for row in rows) and not (folder / "gambar").exists():
        shutil.copytree(EXAMPLE_IMAGES, folder / "gambar")
    return write_test_catalogue(folder, rows, name)


# ---- the temporary config ------------------------------------------------------------------------


def file_channels(directory: str = "outbox") -> dict[str, dict[str, Any]]:
    """Seven ``file`` channels, one per platform (named after it), writing under ``directory``."""
    return {name: {"type": "file", "as": name, "directory": directory} for name in PLATFORMS}


def write_config(
    folder: Path,
    *,
    channels: Mapping[str, Mapping[str, Any]],
    campaigns: Mapping[str, Mapping[str, Any]],
    publishing: Mapping[str, Any] | None = None,
    catalogue: Sequence[str] = (f"catalogue/{CATALOGUE_NAME}",),
    store: str = STORE_NAME,
) -> Path:
    """Write ``outreach.toml`` into ``folder`` (paths relative to it) and return its path."""
    from tests.engine_helpers import write_config as write_test_config

    return write_test_config(
        folder, channels=channels, campaigns=campaigns, publishing=publishing, catalogue=catalogue, store=store
    )


def campaign_block(channels: Sequence[str], start: date, end: date, **extra: Any) -> dict[str, Any]:
    """A realistic campaign: three weekday slots and one on Saturday, holidays skipped, plain language blocks."""
    block: dict[str, Any] = {
        "title": "Kenali inovasi layanan publik Kota Bandar Lampung",
        "channels": list(channels),
        "start": start,
        "end": end,
        "slots": ["senin-jumat 08.00, 12.00, 16.00", "sabtu 09.00"],
        "series": ["perkenalan", "cara_pakai", "manfaat", "pengingat"],
        "min_gap_days": 2,
        "holidays": "skip",
        "plain_language": "block",
        "utm_campaign": "kenali-inovasi-bench",
    }
    block.update(extra)
    return block


def project(
    folder: Path,
    innovations: int,
    *,
    channels: Mapping[str, Mapping[str, Any]],
    campaigns: Mapping[str, Mapping[str, Any]],
    publishing: Mapping[str, Any] | None = None,
    images: bool = True,
) -> Path:
    """A generated catalogue of ``innovations`` rows plus a config in ``folder``; the config path."""
    write_catalogue(folder / "catalogue", innovation_rows(innovations, images=images))
    return write_config(folder, channels=channels, campaigns=campaigns, publishing=publishing)


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for an ``outreach`` subprocess: loopback never proxied, no stray config."""
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", **extra}
    env.pop("OUTREACH_CONFIG", None)
    return env


def quiet_fake_server() -> None:
    """Silence werkzeug's per-request access log of the loopback fakes."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def run_quiet(command: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess:
    """Run ``command``; raise with its output if it fails."""
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done
