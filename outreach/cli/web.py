"""The office's web page: `serve` runs it; `users` manages who may sign in to it."""

from __future__ import annotations

import ipaddress
import sys

import click

from ..i18n import N_, _
from . import _ws, cli, config_checked_elsewhere
from .common import _actor, _print_table


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help=N_("The address to listen on."))
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help=N_("The port to listen on.")
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help=N_("Listen on an address other machines can reach (put it behind a reverse proxy with HTTPS)."),
)
@click.option(
    "--behind-proxy",
    is_flag=True,
    help=N_("Trust one reverse proxy's `X-Forwarded-For` and `X-Forwarded-Proto` headers."),
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help=N_("Connections served at once; of their requests, two do their work at a time."),
)
def serve(host: str, port: int, allow_remote: bool, behind_proxy: bool, threads: int) -> None:
    """Run the office's web page (Indonesian, for the office and the agencies' heads).

    It listens on this machine only unless --allow-remote; docs/operations.md shows it behind a reverse
    proxy with HTTPS and as a service next to the daemon. Accounts: `outreach users add`.

    Example: outreach serve --port 8080
    """
    if not allow_remote and not _loopback(host):
        raise click.ClickException(
            _(
                "{host} can be reached from other machines: add --allow-remote, behind a reverse proxy with HTTPS"
            ).format(host=host)
        )
    import logging

    from ..web import create_app, make_server

    config_checked_elsewhere()
    ws = _ws()
    if not ws.store.users():
        click.echo(_("no account can sign in yet: add one with `outreach users add NAME --role admin`"), err=True)
    click.echo(_("the office's page is at http://{host}:{port}/ (Ctrl+C stops it)").format(host=host, port=port))
    server = make_server(create_app(ws, behind_proxy=behind_proxy), host, port, threads)
    logging.basicConfig()  # as waitress.serve: its warnings (a queue of waiting requests) reach the log
    server.print_listen("Serving on http://{}:{}")
    server.run()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@cli.group()
def users() -> None:
    """Accounts of the office's web page: admins, editors and agencies' approvers.

    Example: outreach users add Sari --role editor
    """


def _password(password_stdin: bool) -> str:
    """The new password: typed twice at a hidden prompt, or one line read from standard input (scripts)."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt(_("Password"), hide_input=True, confirmation_prompt=_("Repeat the password"))
    return value


@users.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(["admin", "editor", "approver"]), required=True, help=N_("What the user may do.")
)
@click.option("--opd", help=N_("An approver's agency, as the catalogue's `opd` column writes it."))
@click.option("--password-stdin", is_flag=True, help=N_("Read the password from standard input instead of asking."))
def users_add(name: str, role: str, opd: str | None, password_stdin: bool) -> None:
    """Add an account that can sign in to the office's page.

    An admin pauses publishing and manages users; an editor edits and schedules posts; an approver (an
    agency's head) approves or rejects only their own agency's innovations.

    Example: outreach users add "Kepala Dinkes" --role approver --opd "Dinas Kesehatan"
    """
    from ..accounts import Accounts

    ws = _ws()
    user = Accounts(ws.store, ws.clock).add(name, role, opd, _password(password_stdin), _actor())
    click.echo(_("user {name} added ({role})").format(name=user.name, role=user.role))


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help=N_("Read the password from standard input instead of asking."))
def users_passwd(name: str, password_stdin: bool) -> None:
    """Give an account a new password; it is signed out everywhere.

    Example: outreach users passwd Sari
    """
    from ..accounts import Accounts

    ws = _ws()
    Accounts(ws.store, ws.clock).change_password(name, _password(password_stdin), _actor())
    click.echo(_("user {name}: password changed; signed out everywhere").format(name=name.strip()))


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Stop an account from signing in; it is signed out everywhere, and its name stays in the history.

    Example: outreach users disable Sari
    """
    from ..accounts import Accounts

    ws = _ws()
    user = Accounts(ws.store, ws.clock).disable(name, _actor())
    click.echo(_("user {name} disabled").format(name=user.name))


@users.command("list")
def users_list() -> None:
    """The accounts, with their role, agency and whether they can sign in.

    Example: outreach users list
    """
    ws = _ws()
    rows = [
        [user.name, user.role, user.opd or "-", _("active") if user.active else _("disabled")]
        for user in ws.store.users()
    ]
    _print_table(rows, [_("name"), _("role"), _("agency"), _("state")])
