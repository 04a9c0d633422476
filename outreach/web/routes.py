"""What every page shares: the route registry with its permissions, sessions, CSRF, headers and errors.

A page is a view function decorated with ``page(blueprint, rule, permission=…)``. The decorator records
the route in ``ROUTES`` (the menu and the route × role tests read it) and, on each request, sends an
anonymous visitor to the sign-in page and answers 403 to a user whose role does not allow it. Actions that
touch one agency's innovation check ``allowed(user, "decide", opd)`` themselves, with ``forbid_unless``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ..accounts import SignedIn, allowed
from ..i18n import _

#: The cookie that holds the session's token (HttpOnly, SameSite=Lax, Secure over HTTPS).
SESSION_COOKIE = "outreach_session"
#: The cookie of the sign-in form's CSRF token, before there is a session (double submit).
SIGN_IN_CSRF_COOKIE = "outreach_signin_csrf"
#: The form field every POST carries.
CSRF_FIELD = "csrf_token"
#: Everything the page loads comes from its own origin; no inline script, no frames, forms post home.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Route:
    """One registered page or action: its rule, methods, and the permission it needs (None: anyone)."""

    endpoint: str
    rule: str
    methods: tuple[str, ...]
    permission: str | None
    #: The menu's label (a msgid) for a page in the menu; None for the others.
    menu: str | None = None
    #: The menu's order.
    menu_order: int = 0


#: Every route of every page module, in registration order.
ROUTES: list[Route] = []


def page(
    blueprint: Blueprint,
    rule: str,
    *,
    permission: str | None,
    methods: tuple[str, ...] = ("GET",),
    menu: str | None = None,
    menu_order: int = 0,
) -> Callable[[View], View]:
    """Register a view on ``blueprint`` at ``rule``, allowed to users whose role has ``permission``
    (``outreach.accounts.PERMISSIONS``; None: also to anonymous visitors, e.g. the sign-in page)."""

    def decorate(view: View) -> View:
        endpoint = f"{blueprint.name}.{view.__name__}"

        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if permission is not None:
                user = g.get("signed_in")
                if user is None:
                    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
                if not allowed(user.user, permission):
                    abort(403)
            return view(*args, **kwargs)

        blueprint.add_url_rule(rule, view_func=guarded, methods=list(methods))
        ROUTES.append(Route(endpoint, (blueprint.url_prefix or "") + rule, methods, permission, menu, menu_order))
        return guarded  # type: ignore[return-value]  # wraps keeps the view's signature

    return decorate


def services() -> Any:
    """The ``outreach.web.Services`` of this app (workspace, accounts, the write lock)."""
    from . import EXTENSION

    return current_app.extensions[EXTENSION]


def signed_in() -> SignedIn:
    """The signed-in user of this request (pages with a permission only)."""
    user: SignedIn | None = g.get("signed_in")
    if user is None:
        abort(401)
    return user


def actor() -> str:
    """Who acts, for the events: the signed-in user's name, the same field the CLI fills with a login name."""
    return signed_in().user.name


def forbid_unless(permission: str, opd: str | None = None) -> None:
    """403 unless the signed-in user may do ``permission`` (for ``decide``: on agency ``opd``)."""
    if not allowed(signed_in().user, permission, opd):
        abort(403)


@contextmanager
def writing() -> Iterator[None]:
    """Hold the app's write lock for one action: two requests never interleave their writes."""
    with services().writing:
        yield


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A page in the layout: the menu the user may see, the CSRF token, the office's name."""
    user: SignedIn | None = g.get("signed_in")
    menu = sorted(
        (
            route
            for route in ROUTES
            if route.menu and (route.permission is None or (user and allowed(user.user, route.permission)))
        ),
        key=lambda route: route.menu_order,
    )
    return (
        render_template(
            template,
            signed_in=user,
            menu=menu,
            csrf_token=user.csrf_token if user else g.get("sign_in_csrf", ""),
            csrf_field=CSRF_FIELD,
            office=services().workspace.config.office or _("Communications office"),
            current_endpoint=request.endpoint,
            **context,
        ),
        status,
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site (never another host: an open redirect)."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("home.index")
    return target


def install(app: Flask) -> None:
    """Sessions, CSRF, security headers and error pages for every request of ``app``."""

    @app.before_request
    def read_without_locking() -> None:
        """A page that is only looked at (GET, HEAD) reads the store without taking its write lock, so the
        daemon publishing beside the server never waits for people browsing (``Store.reading``)."""
        if request.method in ("GET", "HEAD"):
            reading = services().workspace.store.reading()
            reading.__enter__()
            g.store_reading = reading

    @app.teardown_request
    def stop_reading(_error: BaseException | None) -> None:
        reading = g.pop("store_reading", None)
        if reading is not None:
            reading.__exit__(None, None, None)

    @app.before_request
    def load_session() -> Any:
        token = request.cookies.get(SESSION_COOKIE, "")
        g.signed_in = services().accounts.signed_in(token) if token else None
        if request.method == "POST" and not _csrf_ok():
            abort(400, description=_("the form has expired or did not come from this page; open the page again"))
        if request.method == "GET" and g.signed_in is None:
            g.sign_in_csrf = request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(32)
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if g.get("signed_in") is not None or request.endpoint == "auth.sign_in":
            response.headers["Cache-Control"] = "no-store"
        if g.get("sign_in_csrf") and request.cookies.get(SIGN_IN_CSRF_COOKIE) != g.sign_in_csrf:
            set_cookie(response, SIGN_IN_CSRF_COOKIE, g.sign_in_csrf, samesite="Strict")
        return response

    @app.errorhandler(HTTPException)
    def error_page(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        messages = {
            400: _("The request could not be read."),
            401: _("Sign in first."),
            403: _("Your account may not open this page or do this."),
            404: _("There is no such page."),
            405: _("This page cannot be used like that."),
            413: _("What was sent is too large."),
            500: _("Something went wrong on the server; its log says why."),
        }
        # What went wrong, or when to come back, in the page's own words (never werkzeug's English default).
        own_words = error.code in (400, 500, 503) and error.description not in (None, type(error).description)
        detail = error.description if own_words else messages.get(error.code, "")
        retry_after = [(name, value) for name, value in error.get_headers() if name == "Retry-After"]
        return *render("error.html.j2", status=error.code, code=error.code, message=detail), retry_after


def set_cookie(
    response: BaseResponse, name: str, value: str, *, samesite: str = "Lax", max_age: int | None = None
) -> None:
    """A cookie no script can read, sent only over HTTPS when the page is served over HTTPS."""
    response.set_cookie(
        name, value, httponly=True, samesite=samesite, secure=request.is_secure, max_age=max_age, path="/"
    )


def _csrf_ok() -> bool:
    sent = request.form.get(CSRF_FIELD, "")
    user: SignedIn | None = g.get("signed_in")
    expected = user.csrf_token if user is not None else request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    return bool(sent and expected) and hmac.compare_digest(sent, expected)


def shown_reason(reason: str) -> str:
    """A stored reason as a person reads it (``reasons.shown``), with hidden and control characters made
    visible: a reason may quote a platform's or a person's words, which are not ours to trust."""
    from ..reasons import shown
    from ..textsafety import visible

    return visible(shown(reason), line_breaks=False)
