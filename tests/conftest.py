"""Fixtures the tests share: English for tests whose subject is not the language, a catalogue folder, a store."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from outreach.i18n import LANGUAGE_VARIABLE, set_language
from outreach.store import Store
from tests.browser import browser
from tests.postgres import _migrated_template, any_store, empty_postgres_url, postgres_url, store_url
from tests.web_helpers import live_office, office

# the headless Chromium fixture, shared by every test of an HTML page; an office with its web page and accounts;
# a real PostgreSQL database per test, and a store on each engine in turn
__all__ = [
    "_migrated_template",
    "any_store",
    "browser",
    "empty_postgres_url",
    "live_office",
    "office",
    "postgres_url",
    "store_url",
]


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read messages in English, as a person who chose it would (``OUTREACH_LANGUAGE=en``).

    The bundled example office says ``bahasa = "id"``, and most tests copy it to test something other
    than the language while asserting the English msgids. The personal choice beats the office's, so
    those tests keep reading English; tests/test_i18n.py removes it where Indonesian is the subject.
    Child processes inherit it through the environment.
    """
    monkeypatch.setenv(LANGUAGE_VARIABLE, "en")
    set_language("en")


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


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    """Every daemon or worker process a test starts is killed (by its own pid) if the test fails half-way."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
