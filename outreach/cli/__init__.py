"""The ``outreach`` command line: thin commands that parse, call one stage, and print.

User mistakes surface as one clear line (no traceback) and a non-zero exit; ``--debug`` shows the
traceback. Heavy modules are imported inside commands so that ``outreach --help`` stays fast.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..i18n import _
from ..textsafety import visible
from .common import _parse_now, _zoned

if TYPE_CHECKING:
    from ..app import Workspace
    from ..config import Config
    from ..store import Store

DEFAULT_CONFIG = "config/outreach.toml"


class OutreachGroup(click.Group):
    """Turns outreach's own errors into one clear line; ``--debug`` keeps the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from ..errors import OutreachError
        from ..redaction import redact

        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            if error.ctx is None:
                raise
            # One line, like every other mistake, with where to read more (not click's usage block).
            one_line = click.UsageError(
                visible(
                    _("{problem} (see `{command} --help`)").format(
                        problem=error.format_message(), command=error.ctx.command_path
                    )
                )
            )
            raise one_line from None
        except (click.ClickException, click.Abort, click.exceptions.Exit):
            raise
        except BrokenPipeError:
            raise  # the reader went away (`outreach queue | head`): click ends quietly
        except Exception as error:
            if ctx.obj and ctx.obj.get("debug"):
                click.echo(visible(redact(traceback.format_exc())), err=True)
            if isinstance(error, OutreachError):  # it may quote a file's text: shown, never acted on
                raise click.ClickException(visible(redact(str(error)))) from None
            raise click.ClickException(
                visible(redact(f"unexpected {error.__class__.__name__}: {error}; run with --debug and report it"))
            ) from None


@click.group(cls=OutreachGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("OUTREACH_CONFIG", DEFAULT_CONFIG),
    show_default=f"{DEFAULT_CONFIG} or $OUTREACH_CONFIG",
    help=_("The configuration file."),
)
@click.option("--debug", is_flag=True, help=_("Show tracebacks for errors."))
@click.option("--now", "now_text", metavar="ISO", help=_("Pretend it is this time (rehearsals and tests)."))
@click.option(
    "--rehearsal",
    is_flag=True,
    help=_("Work on the last rehearsal's store instead of the live one, e.g. `outreach --rehearsal history`."),
)
@click.version_option(package_name="outreach")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, debug: bool, now_text: str | None, rehearsal: bool) -> None:
    """Publish a city's approved public-service innovations to social media, in plain Indonesian.

    Example: outreach --now 2026-12-01T09:00+07:00 preview --days 1
    """
    ctx.ensure_object(dict)
    ctx.obj.update(config_path=config_path, debug=debug, now=_parse_now(now_text), rehearsal=rehearsal)


def live_config(ctx: click.Context) -> Config:
    """The configuration as written (the live store and folders), loaded once."""
    if "config" not in ctx.obj:
        from ..config import load_config

        ctx.obj["config"] = load_config(ctx.obj["config_path"])
    config: Config = ctx.obj["config"]
    return config


def workspace(ctx: click.Context) -> Workspace:
    """The command's workspace, created once and closed when the command ends."""
    if "workspace" not in ctx.obj:
        from ..app import Workspace
        from ..clock import FixedClock
        from ..rehearsal import rehearsal_config

        config = live_config(ctx)
        if ctx.obj["rehearsal"]:
            config = rehearsal_config(config)
        now = ctx.obj["now"]
        if now is not None and now.tzinfo is None:
            now = now.replace(tzinfo=config.timezone)

        def announce(store: Store) -> None:
            # One line on stderr, whatever the command: a new store where one was expected may mean it was lost.
            click.echo(
                _(
                    "created a new, empty store at {location} on {time}; slots up to this moment are never "
                    "planned or caught up — if a store was lost, stop now and restore a backup with "
                    "`outreach db restore` (docs/operations.md)"
                ).format(location=store.location, time=_zoned(store.created_at(), ctx.obj["workspace"])),
                err=True,
            )

        ctx.obj["announce"] = announce
        ctx.obj["workspace"] = Workspace(config, FixedClock(now) if now else None, on_new_store=announce)
        ctx.obj["workspace"].planning.on_sync = catalogue.announce_sync
        ctx.call_on_close(ctx.obj["workspace"].close)
    return ctx.obj["workspace"]


def _ws() -> Workspace:
    return workspace(click.get_current_context().find_root())


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="outreach")


# The command modules add their commands to `cli` when imported; they need `cli` and `_ws` defined above.
from . import catalogue, drafting, maintenance, posts, publishing  # noqa: E402, F401
