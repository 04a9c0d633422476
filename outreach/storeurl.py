"""The store's URL in the config: a PostgreSQL password never in it, and where the password comes from instead.

PostgreSQL's client library (libpq, under psycopg) reads ``PGPASSWORD`` from the environment, or
``~/.pgpass``; the project's secrets live in the environment or ``.env``, so that is where it goes.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .errors import ConfigError
from .i18n import _
from .redaction import redact

PASSWORD_VARIABLE = "PGPASSWORD"
#: libpq's connection parameters that are secrets when given in the URL's query (``?password=…``).
SECRET_PARAMETERS = frozenset({"password", "sslpassword"})


def refuse_a_store_password(path: Path, line: int | None, store: str) -> None:
    """A password in the store's URL would sit in a file that is copied, shared and shown: refused."""
    if holds_a_password(store):
        raise ConfigError(
            _(
                "{where}: store: the URL holds a password, and secrets never go in the config; remove it "
                "(postgresql+psycopg://user@host:5432/db) and put PGPASSWORD=... in .env beside the config"
            ).format(where=f"{path}:{line or '?'}")
        )


def holds_a_password(url: str) -> bool:
    """Whether a database URL (not SQLite's) carries a password, after the user name or as a query parameter
    (libpq takes ``?password=`` too); a string that is no URL at all carries none (opening the store says
    what is wrong with it)."""
    if "://" not in url or url.startswith("sqlite"):
        return False
    try:
        parts = urlsplit(url)
        return bool(parts.password) or any(key.lower() in SECRET_PARAMETERS for key, _value in parse_qsl(parts.query))
    except ValueError:
        return False


def printable(url: str) -> str:
    """A database URL fit to print: no password after the user name nor in the query; a string that is no URL
    keeps only what follows its last ``@`` (what precedes it could hold a password)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return redact(url.split("@")[-1])
    secrets = [key for key in parsed.query if key.lower() in SECRET_PARAMETERS]
    return parsed.difference_update_query(secrets).render_as_string(hide_password=True)


def export_store_password(store_url: str, environ: dict[str, str]) -> dict[str, str]:
    """Hand a PGPASSWORD from .env to the client library, which reads only the process's environment (the
    real environment wins, as everywhere else); ``environ`` is returned as it was."""
    if store_url.startswith("postgresql") and environ.get(PASSWORD_VARIABLE):
        os.environ.setdefault(PASSWORD_VARIABLE, environ[PASSWORD_VARIABLE])
    return environ
