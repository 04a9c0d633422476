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

import importlib
import pkgutil
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from flask import Flask
from jinja2 import BaseLoader, ChoiceLoader, PackageLoader, StrictUndefined

from ..html import clock_label, day_label
from ..i18n import _, current_language, ngettext, number, percent

if TYPE_CHECKING:
    from ..accounts import Accounts
    from ..app import Workspace

#: The key of the app's ``extensions`` that holds the ``Services``.
EXTENSION = "outreach"


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


def create_app(workspace: Workspace, *, behind_proxy: bool = False) -> Flask:
    """The web application over ``workspace``; ``behind_proxy``: trust one reverse proxy's X-Forwarded-* headers."""
    from ..accounts import Accounts
    from . import routes

    app = _OfficeApp(__name__, static_folder="static", template_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=1 * 2**20)
    app.jinja_env.globals.update(_=_, ngettext=ngettext, number=number, percent=percent, language=current_language)
    app.jinja_env.filters.update(day=day_label, clock=clock_label)
    app.extensions[EXTENSION] = Services(workspace, Accounts(workspace.store, workspace.clock))
    routes.install(app)
    for module in pkgutil.iter_modules([str(__path__[0]) + "/pages"]):
        app.register_blueprint(importlib.import_module(f"{__name__}.pages.{module.name}").blueprint)
    if behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]  # Flask's documented way
    return app
