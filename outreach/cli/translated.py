"""Help in the reader's language: commands and options keep their English texts, translated when click formats them.

A command's description (its docstring) and an option's ``help=N_(...)`` are the catalogue's msgids. They
are translated at format time, not at import, because the language is only known once the command line
and the configuration have been read (``OutreachGroup.make_context``).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ..i18n import _


def translated_help(text: str | None) -> str | None:
    """A description or option help in the current language (the msgid is click's cleaned text)."""
    return _(inspect.cleandoc(text)) if text else text


@contextmanager
def _translated(command: click.Command, ctx: click.Context | None) -> Iterator[None]:
    """While inside: the command's and its options' help in the current language; English again after."""
    params: list[click.Parameter] = command.get_params(ctx) if ctx is not None else []
    saved: list[tuple[Any, str, Any]] = [(command, "help", command.help)]
    for param in params:
        saved.append((param, "help", getattr(param, "help", None)))
        if isinstance(getattr(param, "show_default", None), str):
            saved.append((param, "show_default", param.show_default))  # type: ignore[attr-defined]  # only Option has it, checked above
    try:
        for holder, name, value in saved:
            if isinstance(value, str):
                setattr(holder, name, translated_help(value) if name == "help" else _(value))
        yield
    finally:
        for holder, name, value in saved:
            setattr(holder, name, value)


class _Translating(click.Command):
    """Formats its help, and its line in its group's list, in the current language."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self, ctx):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        with _translated(self, None):
            return super().get_short_help_str(limit)


class Command(_Translating):
    """A command whose help is shown in the reader's language."""


class Group(_Translating, click.Group):
    """A group whose help, and whose commands' and subgroups' help, is shown in the reader's language."""

    command_class = Command


Group.group_class = Group
