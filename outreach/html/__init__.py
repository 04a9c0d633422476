"""Self-contained HTML pages (evidence report, calendar, previews): one Jinja2 environment for them all.

Every page is a single file that opens offline: its style is inlined from ``templates/base.css``, its
charts are inline SVG, and it loads nothing (no font, script or image from anywhere). Text a person
reads goes through ``_()`` in the templates, so a page follows the reader's language like the CLI.
Autoescaping is on: innovation names, post texts and reasons are data, never markup.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..i18n import _, babel_locale, current_language, ngettext, number, percent


def day_label(value: date | datetime, pattern: str = "EEEE, d MMMM y") -> str:
    """A day as the reader's language writes it (id: "Senin, 7 Desember 2026")."""
    from babel.dates import format_date

    return format_date(value, pattern, locale=babel_locale(current_language()))


def clock_label(moment: datetime, zone: tzinfo) -> str:
    """A time of day in the office's zone, as Indonesians write it (09.00) — with the zone's name (WIB)."""
    local = moment.astimezone(zone)
    separator = "." if current_language() == "id" else ":"
    return f"{local:%H}{separator}{local:%M} {local.tzname() or ''}".rstrip()


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("outreach", "html/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(_=_, ngettext=ngettext, number=number, percent=percent)
    environment.filters.update(day=day_label, clock=clock_label)
    return environment


def render_page(template: str, **context: Any) -> str:
    """The page ``template`` (a file in ``templates/``) for ``context``, in the reader's language."""
    return _environment().get_template(template).render(language=current_language(), **context)
