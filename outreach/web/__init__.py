"""The office's web page (``outreach serve``): server-rendered pages in the reader's language over the same
services as the command line — no second copy of a business rule, no SQL here.

Flask with Jinja2 (autoescaped everywhere, ``StrictUndefined``), served by waitress (``cli/serve.py``).
Every page is registered with ``page`` (``outreach.web.routes``), which names the permission it needs;
the server checks it on every request, and the same registry drives the menu and the route × role tests.
Page modules live in ``outreach/web/pages/`` and are found there: each defines a Flask ``blueprint``.

Security, in one place (``routes.py``): sessions kept server-side (the cookie holds a random token, the
store its hash; HttpOnly, SameSite=Lax, Secure over HTTPS), a CSRF token on every form checked on every
POST, sign-in throttled (``outreach.accounts``), a strict Content-Security-Policy (nothing but the page's
own origin; no inline script), and writes serialised through one lock so two clicks cannot race.
"""

from __future__ import annotations

import ctypes
import importlib
import pkgutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from flask import Flask
from jinja2 import BaseLoader, ChoiceLoader, PackageLoader, StrictUndefined

from .. import planner
from ..accounts import Accounts, NewSession, User
from ..glossary import default_glossary
from ..html import clock_label, day_label
from ..i18n import _, current_language, ngettext, number, percent

if TYPE_CHECKING:
    from ..app import Workspace

#: The key of the app's ``extensions`` that holds the ``Services``.
EXTENSION = "outreach"
#: glibc's ``mallopt`` parameter for the size from which ``malloc`` maps memory of its own (``M_MMAP_THRESHOLD``).
_M_MMAP_THRESHOLD = -3
#: ``M_ARENA_MAX``: how many heaps glibc keeps for the threads (by default 8 per core, each growing apart).
_M_ARENA_MAX = -8
#: Blocks of at least this size are mapped apart and given back to the system when freed.
_MMAP_THRESHOLD = 1 << 20


class _OneHashAtATime(Accounts):
    """``Accounts`` that hash or check one password at a time in this process.

    Argon2id fills 7 MiB for every password it hashes or checks (``accounts.HASHER``): eight server threads
    signing in at once would take 56 MB on top of the server's own, past its budget. A sign-in waits ~20 ms
    for the one before.
    """

    _hashing = threading.Lock()

    def add(self, name: str, role: str, opd: str | None, password: str, actor: str) -> User:
        with self._hashing:
            return super().add(name, role, opd, password, actor)

    def change_password(self, name: str, password: str, actor: str) -> None:
        with self._hashing:
            super().change_password(name, password, actor)

    def sign_in(self, name: str, password: str, address: str) -> NewSession:
        with self._hashing:
            return super().sign_in(name, password, address)


def _glibc(name: str) -> Any:
    """The C library's function ``name``, or None where the C library is not glibc (musl, macOS)."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (AttributeError, OSError):
        return None


#: Requests that do their work at once; the others wait for a slot (waitress's threads still accept and read them).
#: A page is Python under one interpreter lock on a machine of a few cores: more at once made pages no sooner in
#: all, and each held its own SQLite connection, caches and rows at the same time. Measured (bench_web.py, 100,000
#: posts, 20 people reading 1-5 s between pages beside the daemon), 8 at once against 2: the server's peak 94 -> 90
#: MB, what it kept 88 -> 85 MB, the pages' p95 under that load 200 -> 224 ms; with people clicking every 0.2-1 s,
#: peak 102 -> 88 MB.
WORK_AT_ONCE = 2

#: The slots of the request this thread is serving, while it holds one (``waiting_elsewhere`` lends it).
_serving = threading.local()


class _WorkSlots:
    """The app, served to at most ``WORK_AT_ONCE`` requests at once, handing the heap's free pages back to the
    system each time the last request in progress ends.

    glibc returns freed memory only from the top of a heap: what a page freed below memory still in use (SQLite's
    sorter, a result set, a page's text) stays resident, and the next page's peak is counted on top of it.
    ``malloc_trim(0)`` hands every free page back (measured: 0.1 ms). Only when no other request is running, so
    a busy server does not trim on every answer. The response's body is not wrapped: a download keeps the WSGI
    server's file wrapper.
    """

    def __init__(self, app: Any, at_once: int) -> None:
        self._app = app
        self._free = threading.BoundedSemaphore(at_once)
        self._lock = threading.Lock()
        self._running = 0
        self._trim = _glibc("malloc_trim")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._lock:
            self._running += 1
        try:
            with self._free:
                _serving.slots = self._free
                try:
                    return self._app(environ, start_response)
                finally:
                    _serving.slots = None
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0 and self._trim is not None:
                    self._trim(0)


@contextmanager
def waiting_elsewhere() -> Iterator[None]:
    """Lend this request's slot to another while it only waits (a child process making a download for it)."""
    slots: threading.BoundedSemaphore | None = getattr(_serving, "slots", None)
    if slots is None:
        yield
        return
    _serving.slots = None
    slots.release()
    try:
        yield
    finally:
        slots.acquire()
        _serving.slots = slots


def _holidays_in_child(year: int) -> dict[date, str]:
    """``planner.holidays_in_child``, the request's slot lent to the pages for the half second the child takes."""
    with waiting_elsewhere():
        return planner.holidays_in_child(year)


def _give_large_blocks_back() -> None:
    """Make glibc return large freed blocks (Argon2id's 7 MiB, a big page's text) to the system at once.

    By default glibc raises its mmap threshold after the first such block is freed, so later ones come
    from the heap of the thread that asked and stay resident: every waitress thread that once checked a
    password would keep 7 MiB. A fixed threshold keeps the server's resident memory at its working set;
    two heaps for the eight waitress threads keep their freed memory from being held eight times over.
    Elsewhere than glibc (musl, macOS) this does nothing.
    """
    mallopt = _glibc("mallopt")
    if mallopt is None:
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    mallopt(_M_ARENA_MAX, 2)


@dataclass
class Services:
    """What every page uses: the workspace (store, clock, services), the accounts, and the write lock."""

    workspace: Workspace
    accounts: Accounts
    #: Held for the whole of every action that writes, so that two requests never interleave their writes.
    writing: threading.Lock = field(default_factory=threading.Lock)


class _OfficeApp(Flask):
    """Flask with the page's Jinja2 rules: every template escaped, an undefined name an error, and the
    self-contained pages' templates (``outreach/html``: the calendar month, the report) to include."""

    def __init__(self, import_name: str, **options: Any) -> None:
        super().__init__(import_name, **options)
        self.jinja_options = {
            **self.jinja_options,
            "undefined": StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
        }

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        return True

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        return ChoiceLoader([PackageLoader("outreach", "web/templates"), PackageLoader("outreach", "html/templates")])


#: Each connection's socket send buffer (Linux doubles it): waitress reads a response's buffered output or file a
#: send buffer at a time, twice (to send it, then to skip what was sent), and Linux's loopback buffers grow to
#: 4 MiB — a reverse proxy's connection made every large download or feed hold 8 MB more while it was sent.
SEND_BUFFER_BYTES = 128 * 1024
#: What waitress sets on every connection it accepts: its own default (no Nagle delay; it buffers its writes)
#: and the send buffer above.
SOCKET_OPTIONS = [
    (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
    (socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES),
]

#: SQLite's page cache per connection in the server (one connection per thread): measured with eight threads on
#: 100,000 posts, 104 MB peak with SQLite's 2 MiB default, 89 MB with this, and the pages no slower.
PAGE_CACHE_KIB = 256


def make_server(app: Flask, host: str, port: int, threads: int) -> Any:
    """waitress's server for ``app`` (not yet running: ``run()``), with ``SOCKET_OPTIONS`` on each connection."""
    from waitress import create_server

    server = create_server(app, host=host, port=port, threads=threads, ident="outreach")
    server.adj.socket_options = SOCKET_OPTIONS  # read at each accepted connection; `serve` takes no such argument
    return server


def create_app(workspace: Workspace, *, behind_proxy: bool = False) -> Flask:
    """The web application over ``workspace``; ``behind_proxy``: trust one reverse proxy's X-Forwarded-* headers."""
    from . import routes

    _give_large_blocks_back()
    # Every post page checks its text with the plain-language glossary: compiled before the first request, no reader
    # waits for it (the first post page took 480 ms, 100 ms since), and the pages reuse the memory its compilation
    # frees (measured: 2 MB lower peaks).
    default_glossary()
    # The holidays package would stay in the server for good (~17 MB); a child process looks a year up.
    workspace.planning.calendar = planner.Calendar(lookup=_holidays_in_child)
    workspace.store.limit_page_cache(PAGE_CACHE_KIB)
    app = _OfficeApp(__name__, static_folder="static", template_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=1 * 2**20)
    app.jinja_env.globals.update(_=_, ngettext=ngettext, number=number, percent=percent, language=current_language)
    app.jinja_env.filters.update(day=day_label, clock=clock_label)
    app.extensions[EXTENSION] = Services(workspace, _OneHashAtATime(workspace.store, workspace.clock))
    routes.install(app)
    for module in pkgutil.iter_modules([str(__path__[0]) + "/pages"]):
        app.register_blueprint(importlib.import_module(f"{__name__}.pages.{module.name}").blueprint)
    if behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]  # Flask's documented way
    app.wsgi_app = _WorkSlots(app.wsgi_app, WORK_AT_ONCE)  # type: ignore[method-assign]  # as above
    return app
