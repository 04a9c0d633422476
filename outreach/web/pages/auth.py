"""Signing in and out (``/masuk``, ``/keluar``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, make_response, redirect, request, url_for
from werkzeug.wrappers import Response

from ...accounts import SESSION_IDLE, SignInRefused
from ..routes import SESSION_COOKIE, page, render, safe_next, services, set_cookie

blueprint = Blueprint("auth", __name__)


@page(blueprint, "/masuk", permission=None, methods=("GET", "POST"))
def sign_in() -> Any:
    """The sign-in form; a correct name and password start a new session (never the one the visitor came with)."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.get("signed_in") is not None:
            return redirect(target)
        return render("sign_in.html.j2", next=target, name="", problem=None)
    name = request.form.get("name", "")
    try:
        started = services().accounts.sign_in(name, request.form.get("password", ""), request.remote_addr or "?")
    except SignInRefused as refused:
        body, status = render(
            "sign_in.html.j2", status=429 if refused.retry_after else 401, next=target, name=name, problem=str(refused)
        )
        response = make_response(body, status)
        if refused.retry_after:
            response.headers["Retry-After"] = str(int(refused.retry_after))
        return response
    signed: Response = redirect(target, code=303)
    set_cookie(signed, SESSION_COOKIE, started.token, max_age=int(SESSION_IDLE.total_seconds()))
    return signed


@page(blueprint, "/keluar", permission="view", methods=("POST",))
def sign_out() -> Any:
    """End the session here and in the store."""
    services().accounts.sign_out(request.cookies.get(SESSION_COOKIE, ""))
    response = redirect(url_for("auth.sign_in"), code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
