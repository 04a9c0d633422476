"""Pengguna: the accounts of the office's page (``outreach users`` as a page; admins only).

Everything goes through ``outreach.accounts.Accounts`` with the admin's name as the actor, so the account
events read the same whichever surface acted. A password is never shown, logged, or sent back in a form.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for

from ...errors import ConfigError, NotFound
from ...i18n import N_, _
from ...model import ROLES
from ...textsafety import visible
from ..routes import actor, page, render, services, writing

blueprint = Blueprint("users", __name__)

#: Each role as a person reads it, with what it may do.
ROLE_NAMES = {"admin": N_("admin"), "editor": N_("editor"), "approver": N_("approver")}
ROLE_DUTIES = {
    "admin": N_("everything an editor does; pauses publishing and manages accounts"),
    "editor": N_("edits and schedules posts, checks channels, answers replies"),
    "approver": N_("an agency's head: sees and decides only their own agency's innovations"),
}
#: The account events as a person reads them (the store keeps the English words).
ACTION_NAMES = {
    "added": N_("added"),
    "password changed": N_("password changed"),
    "disabled": N_("disabled"),
    "signed in": N_("signed in"),
    "signed out": N_("signed out"),
}
#: The newest account events shown.
EVENTS_SHOWN = 100


def _label(names: dict[str, str], value: str) -> str:
    return _(names[value]) if value in names else visible(value)


def _page(problem: str | None = None, status: int = 200, form: dict[str, str] | None = None) -> Any:
    workspace = services().workspace
    workspace.planning.sync()  # the agencies as the files say now
    agencies = workspace.store.agencies()
    events = workspace.store.recent_account_events(EVENTS_SHOWN)
    done = request.args.get("selesai", "")
    return render(
        "users.html.j2",
        status=status,
        users=workspace.store.users(),
        events=events,
        agencies=agencies,
        roles=[(role, _(ROLE_NAMES[role]), _(ROLE_DUTIES[role])) for role in ROLES],
        role_label=lambda role: _label(ROLE_NAMES, role),
        action_label=lambda action: _label(ACTION_NAMES, action),
        shown=lambda text: visible(text or "", line_breaks=False),
        zone=workspace.zone,
        problem=problem,
        form=form or {"nama": "", "peran": "", "dinas": ""},
        done=_done_message(done, request.args.get("nama", "")),
    )


def _done_message(done: str, name: str) -> str | None:
    """What the last action did, in words (the redirect names the action and the account only)."""
    messages = {
        "tambah": _("Account {name} added."),
        "sandi": _("Account {name} has a new password and is signed out everywhere."),
        "nonaktif": _("Account {name} is disabled and signed out everywhere."),
    }
    return messages[done].format(name=visible(name[:80], line_breaks=False)) if done in messages else None


def _passwords() -> tuple[str, str | None]:
    """The new password, and the mistake when the two fields differ."""
    first, second = request.form.get("sandi", ""), request.form.get("sandi_ulang", "")
    return first, None if first == second else _("The two passwords differ; type the same password twice.")


@page(blueprint, "/pengguna", permission="manage_users", menu=N_("Users"), menu_order=90)
def index() -> Any:
    """The accounts with their role, agency and state; the forms to add one, set a password, disable one."""
    return _page()


@page(blueprint, "/pengguna/tambah", permission="manage_users", methods=("POST",))
def add() -> Any:
    """A new account: name, role, the agency for an approver, the password twice."""
    form = {key: request.form.get(key, "").strip() for key in ("nama", "peran", "dinas")}
    password, problem = _passwords()
    if problem is None:
        try:
            with writing():
                user = services().accounts.add(form["nama"], form["peran"], form["dinas"] or None, password, actor())
        except ConfigError as error:
            problem = str(error)
    if problem is not None:
        return _page(problem, 400, form)
    return redirect(url_for("users.index", selesai="tambah", nama=user.name), code=303)


@page(blueprint, "/pengguna/sandi", permission="manage_users", methods=("POST",))
def change_password() -> Any:
    """A new password for an account; it is signed out everywhere."""
    name = request.form.get("nama", "")
    password, problem = _passwords()
    if problem is None:
        try:
            with writing():
                services().accounts.change_password(name, password, actor())
        except (ConfigError, NotFound) as error:
            problem = str(error)
    if problem is not None:
        return _page(problem, 400)
    return redirect(url_for("users.index", selesai="sandi", nama=name.strip()), code=303)


@page(blueprint, "/pengguna/nonaktifkan", permission="manage_users", methods=("POST",))
def disable() -> Any:
    """Stop an account from signing in; its name stays in the events."""
    name = request.form.get("nama", "")
    try:
        with writing():
            user = services().accounts.disable(name, actor())
    except NotFound as error:
        return _page(str(error), 400)
    return redirect(url_for("users.index", selesai="nonaktif", nama=user.name), code=303)
