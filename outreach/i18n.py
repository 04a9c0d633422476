"""One place for the language people read: messages, plurals, numbers, and click's own words.

Messages are written in English and wrapped in ``_()`` (or ``ngettext`` when a count decides the
form); the ``outreach`` gettext catalogue in ``outreach/locale/id`` gives their Indonesian. The
language is chosen once per command (see ``choose_language``) and may change later in the same
process, so ``_()`` looks the message up when it is called: never translate at import time — mark
a constant with ``N_()`` and call ``_()`` on it where it is shown.

Machine output (``--format json``, CSV columns, state values in JSON) never goes through here.
"""

from __future__ import annotations

import functools
import gettext
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

#: Where the compiled catalogues live, and the gettext domain they are compiled under.
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "outreach"
#: The languages outreach speaks; English is the fallback and the language of the msgids.
LANGUAGES = ("id", "en")
#: A person's own choice, stronger than the office's ``bahasa`` (also ``outreach --language``).
LANGUAGE_VARIABLE = "OUTREACH_LANGUAGE"
#: The locale variables gettext reads, in the order it reads them.
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


class _Current:
    """The language chosen last, and its catalogue (one per process, like the command it serves)."""

    code = "en"
    translation: gettext.NullTranslations = gettext.NullTranslations()


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (a constant, a decorator's text)."""
    return message


def _(message: str) -> str:
    """``message`` in the current language (looked up now, so a later ``set_language`` is followed)."""
    return _Current.translation.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message that fits ``count`` ("1 post", "2 posts"; Indonesian has one form)."""
    return _Current.translation.ngettext(singular, plural, count)


def current_language() -> str:
    """The code of the language messages are shown in now (``id`` or ``en``)."""
    return _Current.code


def set_language(code: str) -> None:
    """Show every later message in ``code`` (one of ``LANGUAGES``; anything else means English)."""
    _Current.code = code if code in LANGUAGES else "en"
    _Current.translation = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[_Current.code], fallback=True)


def spoken(code: str | None) -> str | None:
    """The language of a locale name outreach speaks (``id_ID.UTF-8`` → ``id``), else None."""
    if not code:
        return None
    base = code.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
    return base if base in LANGUAGES else None


def language_from_environment(environ: Mapping[str, str]) -> str | None:
    """The first language outreach speaks in the locale variables, read as gettext reads them."""
    for variable in LOCALE_VARIABLES:
        value = environ.get(variable)
        if value:
            for name in value.split(":"):
                if spoken(name):
                    return spoken(name)
            if variable != "LANGUAGE":  # LANGUAGE may list several; the others name one locale
                return None
    return None


def choose_language(personal: str | None, configured: str | None, environ: Mapping[str, str]) -> str:
    """Who decides, strongest first: the person (``--language``, ``$OUTREACH_LANGUAGE``), the office's
    ``bahasa``, the environment's ``LANGUAGE``/``LANG``, then English."""
    return (
        spoken(personal)
        or spoken(environ.get(LANGUAGE_VARIABLE))
        or spoken(configured)
        or language_from_environment(environ)
        or "en"
    )


@functools.cache
def babel_locale(code: str) -> Locale:
    """Babel's locale for ``code``, parsed once: Babel parses a locale's name again on every call given the name
    (~0.13 ms each, a few hundred times a page)."""
    from babel import Locale

    return Locale.parse(code)


def number(value: float, decimals: int | None = None) -> str:
    """``value`` as the current language writes it (id: 1.234 and 11,0; en: 1,234 and 11.0)."""
    from babel.numbers import format_decimal

    if decimals is None:
        return format_decimal(value, locale=babel_locale(_Current.code))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=babel_locale(_Current.code), decimal_quantization=True)


def percent(value: float) -> str:
    """A share as the current language writes it (id: 12%; en: 12%), whole percents."""
    from babel.numbers import format_percent

    return format_percent(value, locale=babel_locale(_Current.code))


def speak_through_click() -> None:
    """Let click's own words (Usage, Options, Error: …) come from our catalogue in our language.

    Click imports ``gettext.gettext`` as ``_`` (and ``ngettext``) in each module, and that function
    follows only the process's locale variables, not an office's ``bahasa``: point those names at
    ours, which follow ``set_language``.
    """
    import importlib

    for lazy in ("click", "click._termui_impl", "click.shell_completion"):  # click loads the last two late
        importlib.import_module(lazy)

    for name, module in list(sys.modules.items()):
        if name != "click" and not name.startswith("click."):
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = _  # type: ignore[attr-defined]  # a module's globals are not typed as attributes
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = ngettext  # type: ignore[attr-defined]  # as above


set_language(choose_language(None, None, os.environ))
