"""Fixtures the catalogue's tests share: a folder for catalogue files and a store on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from outreach.store import Store


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = (tmp_path / "katalog").resolve()
    path.mkdir()
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store("sqlite:///" + str(tmp_path / "s.sqlite3"))
    yield opened
    opened.close()
