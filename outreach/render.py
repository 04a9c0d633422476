"""Templates → the exact text of a post, in Indonesian, within the channel's limit.

Rendering is a pure function of (innovation, kind, channel, campaign, time). Templates run in a
sandbox with ``StrictUndefined``, so a typo in a template is an error instead of a silent blank,
and a template cannot reach Python internals. Indonesian formats follow EYD V through Babel.

A template marks the parts that may be shortened with the ``shortenable`` filter; when a post is
over the limit, only those parts are cut, at a word boundary with "…", longest first. The link
and the contact are never cut. If the post still does not fit, rendering fails loudly.

Rendering is bounded (``sandbox``): a mistake in a template is an error naming its line, not a hang.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal
from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)

from .errors import ConfigError
from .i18n import _, babel_locale
from .model import Innovation
from .phrasing import labelled, phrasing
from .platforms import Capabilities
from .reasons import N_
from .sandbox import BoundedSandbox, OverBudget, bounded_filter, render_bounded
from .utm import UtmSettings

SHORTEN_START, SHORTEN_END = "\ue000", "\ue001"
_MARKED = re.compile(f"{SHORTEN_START}(.*?){SHORTEN_END}", re.DOTALL)
ELLIPSIS = "…"
#: A shortened part keeps at least this many characters, so it still says something.
MINIMUM_KEPT = 12

ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}

#: A link longer than this is not shown in full to a reader (see ``_shown_link``).
MAX_VISIBLE_LINK = 80
#: The note on a post whose text shows its link without tracking and has no card that carries it.
LINK_UNTRACKED = N_("link shown without its tracking: too long to read, and no link card carries it")
#: The note on a post whose shortenable parts were cut to fit the channel's limit.
SHORTENED = N_("shortened to fit {limit}")


def bundled_templates_dir() -> Path:
    """The default templates: inside the installed package, or at the top of a source checkout."""
    installed = Path(__file__).parent / "templates"
    return installed if installed.is_dir() else Path(__file__).parent.parent / "templates"


class PostTooLong(ConfigError):
    """Even with every shortenable part cut, the post is over the channel's limit."""


@dataclass(frozen=True)
class ChannelView:
    """What a template and the renderer know about a channel."""

    name: str
    platform: str
    capabilities: Capabilities
    utm: UtmSettings | None = None


@dataclass(frozen=True)
class CampaignView:
    name: str
    utm_campaign: str | None = None


@dataclass(frozen=True)
class RenderedPost:
    """The final text and what goes with it."""

    text: str
    link: str | None
    image: Path | None
    alt_text: str | None
    length: int
    limit: int
    counter: str
    shortened: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def length_label(self) -> str:
        return f"{self.length}/{self.limit}"


# ---- filters: Indonesian formats (EYD V) -------------------------------------------------------


def date_id(value: date | datetime) -> str:
    """``Kamis, 6 Mei 2021`` (Babel's "full" pads the day; EYD V does not)."""
    if not isinstance(value, date):  # Babel would print today's date for None: never publish that
        raise TypeError(
            _("date_id needs a date, got {value}; guard optional dates with `{{% if %}}`").format(value=repr(value))
        )
    return format_date(value, "EEEE, d MMMM y", locale=babel_locale("id"))


def make_time_id(zone: ZoneInfo) -> Callable[[datetime | time], str]:
    abbreviation = ZONE_ABBREVIATIONS.get(zone.key, "")

    def time_id(value: datetime | time) -> str:
        """``pukul 09.00 WIB``."""
        if not isinstance(value, (datetime, time)):
            raise TypeError(_("time_id needs a time, got {value}").format(value=repr(value)))
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(zone)
        text = format_time(value, "HH.mm", locale=babel_locale("id"))
        return f"pukul {text} {abbreviation}".rstrip()

    return time_id


def rupiah(value: float | int) -> str:
    """``Rp10.000``: no space, rounded to whole rupiah (public notices do not use sen)."""
    _require_number("rupiah", value)
    text = format_currency(value, "IDR", locale=babel_locale("id"), format="¤#,##0", currency_digits=False)
    return text.replace("\xa0", "")


def number_id(value: float | int) -> str:
    """``1.234.567`` and ``1.234,5``."""
    _require_number("number_id", value)
    return format_decimal(value, locale=babel_locale("id"))


def _require_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(_("{name} needs a number, got {value}").format(name=name, value=repr(value)))


def list_id(values: Sequence[str]) -> str:
    """``KTP, KK, dan akta kelahiran``."""
    values = [str(value) for value in values if str(value).strip()]
    return format_list(values, locale=babel_locale("id")) if values else ""


def hashtags(tags: Iterable[str]) -> str:
    """``#BandarLampung #LayananPublik``."""
    return " ".join(f"#{tag.lstrip('#')}" for tag in tags if tag)


def steps(text: str | None) -> list[str]:
    """The steps of ``cara_akses``: separated by ``|`` or one per line."""
    if not text:
        return []
    return [step.strip() for step in re.split(r"\s*\|\s*|\n+", text) if step.strip()]


def shortenable(text: Any) -> str:
    """Mark text the renderer may shorten when the post is over the limit."""
    if text is None or text == "":
        return ""
    return f"{SHORTEN_START}{text}{SHORTEN_END}"


def with_utm(link: str | None, channel: ChannelView, campaign: CampaignView) -> str | None:
    """The innovation's link, with a scheme, and tracking parameters when the channel asks for them."""
    if not link:
        return None
    scheme = re.match(r"^https?://", link, re.IGNORECASE)
    link = scheme.group().lower() + link[scheme.end() :] if scheme else "https://" + link  # HTTP:// → http://
    if channel.utm is None:
        return link
    parts = urlsplit(link)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [
        ("utm_source", channel.utm.source),
        ("utm_medium", channel.utm.medium),
        ("utm_campaign", campaign.utm_campaign or campaign.name),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


# ---- the renderer ------------------------------------------------------------------------------


class Renderer:
    """Loads templates once and renders posts; a user folder overrides the bundled templates."""

    def __init__(self, timezone: ZoneInfo, templates_dir: Path | None = None) -> None:
        self.timezone = timezone
        loaders: dict[str, Any] = {"default": FileSystemLoader(bundled_templates_dir())}
        self._prefixes = ["default"]
        if templates_dir is not None:
            if not templates_dir.is_dir():
                raise ConfigError(
                    _("templates folder {folder} does not exist; fix 'templates' in the config").format(
                        folder=templates_dir
                    )
                )
            loaders["user"] = FileSystemLoader(templates_dir)
            self._prefixes.insert(0, "user")
        self.environment = BoundedSandbox(
            loader=ChoiceLoader([PrefixLoader(loaders, delimiter=":")]),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
        )
        self.environment.filters.update(
            date_id=date_id,
            time_id=make_time_id(timezone),
            rupiah=rupiah,
            number_id=number_id,
            list_id=list_id,
            hashtags=hashtags,
            steps=steps,
            shortenable=shortenable,
            labelled=labelled,
        )
        self.environment.filters.update(
            {name: bounded_filter(function) for name, function in self.environment.filters.items()}
        )
        self._templates: dict[tuple[str, str], Template] = {}
        #: Template file → the message of its breach of the budget: it fails at once from then on,
        #: instead of spending the budget again for every post (``check`` renders hundreds).
        self._over_budget: dict[str, str] = {}

    def template(self, kind: str, platform: str) -> Template:
        """The template for a kind on a platform: user's, then bundled; platform override first."""
        key = (kind, platform)
        if key not in self._templates:
            names = [
                f"{prefix}:{name}" for prefix in self._prefixes for name in (f"{platform}/{kind}.j2", f"{kind}.j2")
            ]
            try:
                self._templates[key] = self.environment.select_template(names)
            except TemplateNotFound:
                raise ConfigError(
                    _("no template for post kind '{kind}': add {kind}.j2 to the templates folder").format(kind=kind)
                ) from None
            except TemplateSyntaxError as error:
                raise ConfigError(
                    _(
                        "{file}:{line}: template syntax error: {error}; "
                        "check the {{% %}} and {{{{ }}}} tags on that line"
                    ).format(
                        file=error.filename or error.name, line=error.lineno, error=_jinja_message(error.message or "")
                    )
                ) from None
        return self._templates[key]

    def render(
        self,
        innovation: Innovation,
        kind: str,
        channel: ChannelView,
        campaign: CampaignView,
        when: datetime,
        image: Path | None = None,
    ) -> RenderedPost:
        """The final text for one post; ``PostTooLong`` or ``ConfigError`` when that is impossible."""
        template = self.template(kind, channel.platform)
        capabilities = channel.capabilities
        attached = image if capabilities.image != "none" else None
        link = with_utm(innovation.tautan, channel, campaign)
        shown, link_notes = _shown_link(link, innovation.tautan, channel, attached is not None)
        local = when.astimezone(self.timezone)
        context = {
            "innovation": innovation,
            "link": shown,
            "channel": channel,
            "campaign": campaign,
            "when": local,
            "frasa": phrasing(innovation, kind, channel.platform, local),
        }
        location = _template_location(template)
        if location in self._over_budget:
            raise ConfigError(self._over_budget[location])
        try:
            raw = render_bounded(template, context)
        except Exception as error:  # a filter given the wrong value fails inside the template too
            message = f"{location}: {_describe_template_error(error)}"
            if isinstance(error, OverBudget):
                self._over_budget[location] = message
            raise ConfigError(message) from None
        raw = _tidy(raw)
        limit = capabilities.limit_for(attached is not None)
        text, shortened, excess = _fit(raw, limit)
        if excess > 0:
            post = f"{innovation.id} · {kind} · {channel.name}"
            raise PostTooLong(
                _(
                    "{post}: {length} {unit} even after shortening; "
                    "shorten 'ringkasan'/'manfaat' in the catalogue or the template {template}"
                ).format(post=post, length=limit.describe(text), unit=limit.unit(), template=location)
            )
        notes = ((SHORTENED.format(limit=limit.maximum),) if shortened else ()) + link_notes
        return RenderedPost(
            text=text,
            link=link,
            image=attached,
            alt_text=innovation.alt_gambar if attached else None,
            length=excess + limit.maximum if limit.maximum_utf8_bytes is None else limit.measure(text),
            limit=limit.maximum,
            counter=limit.counter,
            shortened=shortened,
            notes=notes,
        )


def _shown_link(
    link: str | None, written: str | None, channel: ChannelView, has_image: bool
) -> tuple[str | None, tuple[str, ...]]:
    """The link the text shows: without tracking where a card carries the tracked one, or where that is too
    long to read on a platform that shows links in full (then with a note); see templates/README.md, "Links"."""
    short = with_utm(written, replace(channel, utm=None), CampaignView(""))
    capabilities = channel.capabilities
    if link == short or capabilities.shortens_links:
        return link, ()
    if capabilities.shows_link_card(has_image):
        return short, ()
    if link is not None and len(link) > MAX_VISIBLE_LINK:
        return short, (LINK_UNTRACKED,)
    return link, ()


def _message_pattern(message: str) -> re.Pattern[str]:
    """``message`` with each ``{field}`` matching any text, as a named group."""
    pieces = re.split(r"\{(\w+)\}", message)  # text, field, text, field, …, text
    return re.compile(
        "".join(re.escape(piece) if index % 2 == 0 else f"(?P<{piece}>.+?)" for index, piece in enumerate(pieces)),
        re.DOTALL,
    )


#: Jinja's own words for the mistakes a template author makes most, and ours for them (anything else is shown as
#: Jinja wrote it). Each message is Jinja's English; its fields match any text. Marked as reasons too: a post that
#: cannot render keeps the error in its English reason (``planning.CANNOT_RENDER``).
_JINJA_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (_message_pattern(ours), ours)
    for ours in (
        N_("unexpected '{token}'"),
        N_("Encountered unknown tag '{tag}'."),
        N_(
            "Unexpected end of template. Jinja was looking for the following tags: {tags}. "
            "The innermost block that needs to be closed is '{tag}'."
        ),
        N_("expected token '{expected}', got '{found}'"),
        N_("'{name}' is undefined"),
        N_("{value} has no attribute '{name}'"),
    )
)


def _jinja_message(message: str) -> str:
    """Jinja's message in the reader's language when it is one of the common ones."""
    for pattern, ours in _JINJA_MESSAGES:
        if (match := pattern.fullmatch(message)) is not None:
            fields = match.groupdict()
            if "tags" in fields:  # "'elif' or 'else'": the tags alone, in no language
                fields["tags"] = ", ".join(re.findall(r"'[^']*'", fields["tags"]))
            return _(ours).format(**fields)
    return message


def _template_location(template: Template) -> str:
    return template.filename or template.name or _("template")


def _describe_template_error(error: Exception) -> str:
    line = getattr(error, "lineno", None)
    if line is None:
        traceback = sys.exc_info()[2]
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename.endswith(".j2"):
                line = traceback.tb_lineno
            traceback = traceback.tb_next
    where = _("line {line}: ").format(line=line) if line else ""
    kind = error.__class__.__name__
    if not isinstance(error, TemplateError):
        return f"{where}{kind}: {error}"
    if kind == "UndefinedError":
        return where + _(
            "{error}; use only `innovation`, `link`, `channel`, `campaign`, `when` and `frasa` "
            "(see templates/README.md)"
        ).format(error=_jinja_message(error.message or kind))
    if kind == "SecurityError":
        return where + _("not allowed in a template ({error})").format(error=error.message)
    return where + _jinja_message(error.message or kind)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _strip_marks(text: str) -> str:
    return text.replace(SHORTEN_START, "").replace(SHORTEN_END, "")


def _cut(segment: str, remove: int) -> str:
    """``segment`` shortened by at least ``remove`` characters at a word boundary, ending in "…"."""
    keep = max(len(segment) - remove - len(ELLIPSIS), MINIMUM_KEPT)
    if keep >= len(segment):
        return segment
    cut = segment[:keep]
    if " " in cut and not segment[keep].isspace():
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,.;:–-") + ELLIPSIS


def _fit(raw: str, limit: Any) -> tuple[str, bool, int]:
    """Shorten the marked parts, longest first, until the text fits or nothing more can go.

    Returns the text, whether it was shortened, and its final excess over the limit (≤ 0 fits).
    """
    text = _strip_marks(raw)
    excess = limit.excess(text)
    if excess <= 0:
        return text, False, excess
    segments = _MARKED.findall(raw)
    current = list(segments)
    for _turn in range(200):
        index = max(range(len(current)), key=lambda i: len(current[i]), default=None)
        if index is None:
            break
        shorter = _cut(current[index], max(excess, 1))
        if shorter == current[index]:
            break
        current[index] = shorter
        pieces = iter(current)
        text = _strip_marks(_MARKED.sub(lambda _match: next(pieces), raw))  # noqa: B023  # used in this turn
        excess = limit.excess(text)
        if excess <= 0:
            break
    return text, True, excess
