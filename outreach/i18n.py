"""One place for user-facing CLI messages, so they can be offered in Indonesian.

Messages are written in English and wrapped in ``_()``; the ``outreach`` gettext catalogue in
``outreach/locale/id`` translates them when the environment asks for Indonesian (``LANGUAGE=id``).
"""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.numbers import format_decimal

_translation = gettext.translation("outreach", localedir=Path(__file__).parent / "locale", fallback=True)

_ = _translation.gettext
ngettext = _translation.ngettext


def number(value: float, decimals: int = 1) -> str:
    """``value`` with ``decimals`` digits in the interface's language (Indonesian: ``11,0``, ``1.234``)."""
    locale = _translation.info().get("language", "en")
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=locale)
