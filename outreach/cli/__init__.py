"""The ``outreach`` command line: thin commands that parse, call one stage, and print.

User mistakes surface as one clear line (no traceback) and a non-zero exit; ``--debug`` shows the
traceback. Heavy modules are imported inside commands so that ``outreach --help`` stays fast.
"""

from __future__ import annotations

import os
import tomllib
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..i18n import LANGUAGE_VARIABLE, LANGUAGES, N_, _, choose_language, set_language, speak_through_click
from ..textsafety import visible
from .common import _parse_now, _zoned
from .translated import Group

if TYPE_CHECKING:
    from ..app import Workspace
    from ..config import Config
    from ..store import Store

DEFAULT_CONFIG = "config/outreach.toml"
#: The root options that take a value, so that reading the command line early skips their values.
VALUE_OPTIONS = ("--config", "--now", "--language")

speak_through_click()


def _root_option(args: Sequence[str], name: str) -> str | None:
    """The value of the root option ``name`` in ``args``, read before click parses them (the last one wins)."""
    found = None
    tokens = iter(args)
    for token in tokens:
        if token == "--" or not token.startswith("-"):
            break  # the subcommand: what follows is its own
        option, equals, value = token.partition("=")
        if option in VALUE_OPTIONS:
            value = value if equals else next(tokens, "")
            found = value if option == name else found
    return found


def configured_language(path: Path) -> str | None:
    """The configuration's ``bahasa``, read alone so that even a broken file cannot stop ``--help``."""
    try:
        with path.open("rb") as handle:
            value = tomllib.load(handle).get("bahasa")
    except (OSError, ValueError):  # missing, unreadable, not TOML: the full load says so when it matters
        return None
    return value if isinstance(value, str) else None


def language_for(args: Sequence[str], environ: Mapping[str, str]) -> str:
    """The language of this command line: see ``outreach.i18n.choose_language`` for who decides."""
    config = _root_option(args, "--config") or environ.get("OUTREACH_CONFIG") or DEFAULT_CONFIG
    return choose_language(_root_option(args, "--language"), configured_language(Path(config)), environ)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    click.echo(_("outreach, version {version}").format(version=version("outreach")))
    ctx.exit()


class OutreachGroup(Group):
    """Speaks the reader's language from the start; turns outreach's own errors into one clear line.

    ``--debug`` keeps the traceback.
    """

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        if parent is None:  # before click formats any help or error, including `outreach --help`
            set_language(language_for(args, os.environ))
        return super().make_context(info_name, args, parent, **extra)

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
                visible(
                    redact(
                        _("unexpected {kind}: {error}; run with --debug and report it").format(
                            kind=error.__class__.__name__, error=error
                        )
                    )
                )
            ) from None


@click.group(cls=OutreachGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("OUTREACH_CONFIG", DEFAULT_CONFIG),
    show_default=N_("config/outreach.toml or $OUTREACH_CONFIG"),
    help=N_("The configuration file."),
)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    envvar=LANGUAGE_VARIABLE,
    show_envvar=True,
    expose_value=False,
    help=N_(
        "Show messages in this language (id: Indonesian, en: English), whatever the configuration's "
        "`bahasa` or the environment's LANGUAGE say."
    ),
)
@click.option("--debug", is_flag=True, help=N_("Show the full error message (traceback) when something fails."))
@click.option("--now", "now_text", metavar="ISO", help=N_("Pretend it is this time (rehearsals and tests)."))
@click.option(
    "--rehearsal",
    is_flag=True,
    help=N_("Work on the last rehearsal's store instead of the live one, e.g. `outreach --rehearsal history`."),
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help=N_("Show the version and exit."),
)
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


def config_checked_elsewhere() -> None:
    """For a process that runs for weeks (the daemon, the office's page): its config checked by a child process,
    so that pydantic and the checkers it builds (about 8 MB) never stay in it. The same errors as ``live_config``."""
    root = click.get_current_context().find_root()
    if "config" not in root.obj:
        from ..config import load_config_in_child

        root.obj["config"] = load_config_in_child(root.obj["config_path"])


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
from . import catalogue, digest, drafting, maintenance, pages, posts, publishing, reach, replies, reports, web  # noqa: E402, F401
