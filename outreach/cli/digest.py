"""``outreach replies digest``: what waits for an answer, by agency, with response times; shown, written or sent."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import N_, _
from .pages import output_option, write_output
from .replies import replies


@replies.command("digest")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "html"]),
    default="text",
    show_default=True,
    help=N_("text: to read here or paste in a chat; html: a page to open in a browser, also on a phone."),
)
@output_option
@click.option(
    "--send",
    is_flag=True,
    help=N_("Send it now to the staff channel of [replies.digest], as the daemon does each day."),
)
def digest_command(output_format: str, output: Path | None, send: bool) -> None:
    """The daily digest of citizens' replies: urgent ones first, then questions and complaints
    waiting for an answer by agency (with its contact), oldest first, and each agency's response times.

    Example: outreach replies digest --format html --output ringkasan.html
    """
    from ..digest import digest_for, render_html, render_text
    from ..digest import send_digest as send_now
    from . import _ws

    ws = _ws()
    if send:
        digest, where = send_now(ws)
        click.echo(
            _("Digest sent ({where}): {urgent} urgent, {waiting} waiting for an answer").format(
                where=where, urgent=len(digest.urgent), waiting=digest.waiting
            )
        )
        return
    digest = digest_for(ws)
    if output_format == "text":
        text = render_text(digest)
        if output is None:
            click.echo(text, nl=False)
            return
        write_output(text.encode("utf-8"), output, "", _("Digest written to {path}"))
        return
    day = ws.now().astimezone(ws.zone).date()
    message = _("Digest written to {path}; open it in a web browser")
    write_output(render_html(digest).encode("utf-8"), output, f"balasan-{day:%Y-%m-%d}.html", message)
