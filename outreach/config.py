"""Configuration: ``outreach.toml`` validated into typed settings, secrets only from the environment.

Every mistake becomes one ``ConfigError`` naming the file, the line when it can be found, the key
path, what is wrong and an example of a valid value. Relative paths resolve against the config
file's folder, so a config works the same from any working directory.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from annotated_types import Ge, Gt, Le, MaxLen, MinLen
from dotenv import dotenv_values

from .errors import ConfigError
from .i18n import N_, _
from .platforms import POST_KINDS, PostKind
from .settings import STRICT, Check, KeyedError
from .storeurl import export_store_password, refuse_a_store_password
from .timetable import Schedule, TimetableError, parse_cron, parse_slot

#: Shown after an error about a key of this name, so the user sees a valid value.
EXAMPLES: dict[str, str] = {
    "bahasa": 'bahasa = "id"  (Indonesian; "en" for English)',
    "timezone": 'timezone = "Asia/Jakarta"',
    "store": 'store = "var/outreach.sqlite3"',
    "catalogue": 'catalogue = ["catalogue/inovasi.csv"]',
    "templates": 'templates = "templates"',
    "glossary": 'glossary = "glosarium.toml"',
    "media": 'media = "media"',
    "type": 'type = "file"',
    "as": 'as = "x"',
    "channels": 'channels = ["x-kominfo", "facebook-kominfo"]',
    "slots": 'slots = ["senin-jumat 09.00, 15.30", "sabtu 10.00"]',
    "cron": 'cron = "30 9 * * 1-5"',
    "series": 'series = ["perkenalan", "cara_pakai", "manfaat", "pengingat"]',
    "start": "start = 2026-12-01",
    "end": "end = 2027-01-31",
    "min_gap_days": "min_gap_days = 2",
    "repeat": "repeat = false",
    "rest_days": "rest_days = 14",
    "holidays": 'holidays = "skip"',
    "plain_language": 'plain_language = "warn"',
    "blackouts": 'blackouts = [{ start = 2027-02-11, end = 2027-02-14, reason = "Masa tenang pemilu" }]',
    "max_attempts": "max_attempts = 5",
    "catch_up_minutes": "catch_up_minutes = 120",
    "max_retry_after_seconds": "max_retry_after_seconds = 3600",
    "base_url": 'base_url = "https://mastodon.example"',
    "directory": 'directory = "../var/outbox"',
    "chat_id": 'chat_id = "@infobandarlampung"',
    "page_id": 'page_id = "100000000000001"',
    "ig_user_id": 'ig_user_id = "17840000000000001"',
    "public_media_base_url": 'public_media_base_url = "https://bandarlampungkota.go.id/media/inovasi/"',
    "handle": 'handle = "kominfo.bandarlampungkota.go.id"',
    "url": 'url = "https://bandarlampungkota.go.id/api/outreach"',
    "utm": 'utm = { source = "facebook" }',
    "daily_cap": "daily_cap = 3",
    "collect_at": 'collect_at = "03.30"',
    "days": "days = 30",
    "enabled": "enabled = true",
    "via": 'via = "telegram"  (or "webhook", "email")',
    "at": 'at = "07.00"',
    "bot_token_env": 'bot_token_env = "OUTREACH_DIGEST_BOT_TOKEN"',
    "host": 'host = "smtp.bandarlampungkota.go.id"',
    "port": "port = 587",
    "sender": 'sender = "outreach@bandarlampungkota.go.id"',
    "to": 'to = ["humas@bandarlampungkota.go.id"]',
}


def _time_of_day(message: str) -> Check:
    """A time of day in office time, hours.minutes, kept as "HH.MM"; ``message`` (marked with ``N_``) if not."""

    def parse(value: str) -> str:
        hour, separator, minute = value.strip().replace(":", ".").partition(".")
        if not (separator and hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ValueError(_(message))
        return f"{int(hour):02d}.{int(minute):02d}"

    return Check(parse)


def _clock(value: str) -> time:
    hour, minute = value.split(".")
    return time(int(hour), int(minute))


@dataclass(frozen=True, kw_only=True)
class Blackout:
    """A period with no publication at all (election quiet period, a day of mourning)."""

    __pydantic_config__ = STRICT

    start: date
    end: date
    reason: Annotated[str, MinLen(1)]

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(_("end is before start"))


@dataclass(frozen=True, kw_only=True)
class PublishingSettings:
    """How hard the publisher tries and how late a post may still go out."""

    __pydantic_config__ = STRICT

    max_attempts: Annotated[int, Ge(1)] = 5
    #: First retry delay; doubles each time.
    backoff_seconds: Annotated[float, Gt(0)] = 60.0
    max_delay_seconds: Annotated[float, Gt(0)] = 3600.0
    #: The longest wait a platform's retry-after may impose; longer asks are capped.
    max_retry_after_seconds: Annotated[float, Gt(0)] = 3600.0
    #: An overdue post younger than this still goes out.
    catch_up_minutes: Annotated[int, Ge(0)] = 120
    #: Give a missed post the next free slot.
    replan_missed: bool = False
    horizon_days: Annotated[int, Ge(1), Le(366)] = 14
    #: While a channel is held (no credits, app suspended), one post is tried again this often.
    hold_probe_minutes: Annotated[float, Gt(0)] = 60.0
    #: How many channels publish at once (each still one post at a time).
    parallel_channels: Annotated[int, Ge(1), Le(64)] = 8
    #: A dead worker's claims wait this long.
    lease_seconds: Annotated[float, Ge(5), Le(600)] = 60.0


@dataclass(frozen=True, kw_only=True)
class MetricsSettings:
    """``[metrics]``: when the daemon reads the engagement of recent posts, and how far back."""

    __pydantic_config__ = STRICT

    #: The daemon reads engagement once a day.
    enabled: bool = True
    #: Office time of the daily reading, a quiet hour.
    collect_at: Annotated[str, _time_of_day(N_('must be a time of day in office time, hours.minutes like "03.30"'))] = (
        "03.30"
    )
    #: Posts published this many days back are read.
    days: Annotated[int, Ge(1), Le(366)] = 30

    @property
    def collect_time(self) -> time:
        return _clock(self.collect_at)


#: The keys of ``[replies.digest]`` that belong to one way of sending, and the way.
_DIGEST_KEYS_OF = {
    "chat_id": "telegram",
    "bot_token_env": "telegram",
    "telegram_url": "telegram",
    "url": "webhook",
    "secret_env": "webhook",
    "host": "email",
    "port": "email",
    "starttls": "email",
    "ssl": "email",
    "username_env": "email",
    "password_env": "email",
    "sender": "email",
    "to": "email",
}
#: What each way of sending cannot do without.
_DIGEST_NEEDS = {"telegram": ("chat_id",), "webhook": ("url",), "email": ("host", "sender", "to")}


@dataclass(frozen=True, kw_only=True)
class DigestSettings:
    """``[replies.digest]``: the daily digest of citizens' replies, sent to a staff channel at ``at`` office time.

    Each way of sending has keys of its own; a key of another way is refused, so a half-edited block
    never sends somewhere unexpected. Secrets are named by ``*_env`` keys, never written here.
    """

    __pydantic_config__ = STRICT

    via: Literal["telegram", "webhook", "email"]
    #: Office time of the daily digest, hours.minutes.
    at: Annotated[str, _time_of_day(N_('must be a time of day in office time, hours.minutes like "07.00"'))] = "07.00"
    #: The response-time figures cover this many days.
    days: Annotated[int, Ge(1), Le(366)] = 30
    #: The staff chat (telegram).
    chat_id: str | None = None
    #: Default TELEGRAM_BOT_TOKEN.
    bot_token_env: str | None = None
    #: The Bot API's address.
    telegram_url: str | None = None
    #: The receiver (webhook).
    url: str | None = None
    #: HMAC-signs the body (webhook).
    secret_env: str | None = None
    #: The SMTP server (email).
    host: str | None = None
    port: Annotated[int, Ge(1), Le(65535)] | None = None
    starttls: bool | None = None
    ssl: bool | None = None
    username_env: str | None = None
    password_env: str | None = None
    sender: str | None = None
    to: list[str] | None = None

    def __post_init__(self) -> None:
        for key, way in _DIGEST_KEYS_OF.items():
            value = getattr(self, key)
            if way != self.via and value is not None:
                raise KeyedError(
                    key,
                    _('only for via = "{way}"; remove it (this digest goes via "{via}")').format(way=way, via=self.via),
                )
            if way == self.via and value is None and key in _DIGEST_NEEDS[self.via]:
                raise KeyedError(key, _('required when via = "{via}"').format(via=self.via))
            if value is not None and key in ("url", "telegram_url") and not value.startswith(("https://", "http://")):
                raise KeyedError(
                    key, _("must be a full address starting with https:// (or http:// on a local network)")
                )
            if key == "to" and value is not None and (not value or any("@" not in address for address in value)):
                raise KeyedError(key, _('must be a list of e-mail addresses, like ["humas@example.go.id"]'))
            if key == "sender" and value is not None and "@" not in value:
                raise KeyedError(key, _('must be an e-mail address, like "outreach@example.go.id"'))
        if self.starttls and self.ssl:
            raise ValueError(_("starttls and ssl: choose one (ssl for port 465, starttls for port 587)"))

    @property
    def send_time(self) -> time:
        return _clock(self.at)


@dataclass(frozen=True, kw_only=True)
class RepliesSettings:
    """``[replies]``: collecting citizens' replies to the office's posts, and how long they are kept."""

    __pydantic_config__ = STRICT

    #: The daemon collects replies every few minutes.
    enabled: bool = True
    #: How often the daemon collects.
    collect_every_minutes: Annotated[int, Ge(5), Le(1440)] = 30
    #: Replies to posts published this many days back.
    days: Annotated[int, Ge(1), Le(366)] = 30
    #: After this many days a reply's text, author and link are erased.
    retention_days: Annotated[int, Ge(1), Le(3650)] = 180
    #: The office's own sorting rules, added to the built-in ones.
    rules: str | None = None
    #: The daily digest to a staff channel.
    digest: DigestSettings | None = None


def _slots_parse(slots: list[str]) -> list[str]:
    for slot in slots:
        try:
            parse_slot(slot)
        except TimetableError as error:
            raise ValueError(str(error)) from None
    return slots


def _cron_parses(cron: str) -> str:
    try:
        parse_cron(cron)
    except TimetableError as error:
        raise ValueError(str(error)) from None
    return cron


def _tags_without_hash(tags: list[str]) -> list[str]:
    return [tag.lstrip("#") for tag in tags]


@dataclass(frozen=True, kw_only=True)
class CampaignSettings:
    """One ``[campaigns.NAME]`` block: what to post, where, and when."""

    __pydantic_config__ = STRICT

    title: str | None = None
    channels: Annotated[list[str], MinLen(1)]
    #: Explicit innovation ids.
    innovations: list[str] = field(default_factory=list)
    #: Only innovations of these agencies.
    opd: list[str] = field(default_factory=list)
    #: Only innovations with one of these hashtags.
    tagar: Annotated[list[str], Check(_tags_without_hash)] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    slots: Annotated[list[str], Check(_slots_parse)] = field(default_factory=list)
    cron: Annotated[str, Check(_cron_parses)] | None = None
    series: Annotated[list[PostKind], MinLen(1)] = field(default_factory=lambda: list(POST_KINDS))
    min_gap_days: Annotated[int, Ge(0)] = 2
    #: Start the series over after its last kind.
    repeat: bool = True
    #: Days of rest before the series starts over.
    rest_days: Annotated[int, Ge(0)] = 0
    holidays: Literal["skip", "allow"] = "skip"
    blackouts: list[Blackout] = field(default_factory=list)
    plain_language: Literal["warn", "block"] = "warn"
    utm_campaign: str | None = None

    def __post_init__(self) -> None:
        if self.rest_days and self.repeat is False:
            raise KeyedError(
                "rest_days",
                _(
                    "rest_days has no effect with repeat = false (the series never starts over); "
                    "remove rest_days, or remove repeat = false"
                ),
            )
        if not self.slots and self.cron is None:
            raise ValueError(_('a campaign needs slots or cron, e.g. slots = ["senin-jumat 09.00"]'))
        if self.start and self.end and self.end < self.start:
            raise ValueError(_("end is before start"))

    def schedules(self) -> list[Schedule]:
        """The parsed timetable."""
        parsed: list[Schedule] = [parse_slot(slot) for slot in self.slots]
        if self.cron:
            parsed.append(parse_cron(self.cron))
        return parsed


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("unknown time zone '{name}'").format(name=name)) from None
    return name


@dataclass(frozen=True, kw_only=True)
class _FileModel:
    __pydantic_config__ = STRICT

    bahasa: Literal["id", "en"] | None = None  # what people read; see outreach.i18n.choose_language
    #: The office's name, on reports.
    office: Annotated[str, MaxLen(200)] | None = None
    timezone: Annotated[str, Check(_known_zone)] = "Asia/Jakarta"
    store: str = "var/outreach.sqlite3"
    catalogue: list[str] = field(default_factory=list)
    templates: str | None = None
    glossary: str | None = None
    media: str | None = None
    publishing: PublishingSettings = field(default_factory=PublishingSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    replies: RepliesSettings = field(default_factory=RepliesSettings)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    campaigns: dict[str, CampaignSettings] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """Validated configuration with paths resolved and the environment loaded."""

    path: Path
    timezone: ZoneInfo
    store_url: str
    catalogue_files: tuple[Path, ...]
    templates_dir: Path | None
    glossary_path: Path | None
    #: A folder of images a catalogue's ``gambar`` may name, besides the catalogue file's own folder.
    media_folder: Path | None
    publishing: PublishingSettings
    channels: Mapping[str, Any]  # name → ChannelSettings (typed per channel type)
    campaigns: Mapping[str, CampaignSettings]
    environ: Mapping[str, str]
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    replies: RepliesSettings = field(default_factory=RepliesSettings)
    #: The office's extra rules for sorting replies (``[replies] rules``), resolved; None: the built-in only.
    reply_rules_path: Path | None = None
    #: The office's name as its reports carry it (``office``); None when the config does not say.
    office: str | None = None

    @property
    def folder(self) -> Path:
        return self.path.parent


def line_of(text: str, location: tuple[str | int, ...]) -> int | None:
    """The line that defines ``location``: the deepest table header on its path, then the key in it."""
    keys = [str(part) for part in location if isinstance(part, str)]
    lines = text.splitlines()
    for cut in range(len(keys), 0, -1):
        header = _header_line(lines, keys[:cut])
        if header is None:
            continue
        if cut == len(keys):
            return header
        for number in range(header + 1, len(lines) + 1):
            stripped = lines[number - 1].strip()
            if stripped.startswith("["):
                break
            if _key_of(stripped) == keys[cut]:
                return number
        return header
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            break
        if keys and _key_of(stripped) == keys[0]:
            return number
    return None


def _key_of(line: str) -> str | None:
    """The key a ``key = value`` line sets (None for comments and blank lines)."""
    if "=" not in line or line.startswith("#"):
        return None
    return line.split("=", 1)[0].strip().strip('"')


def _header_line(lines: list[str], table: list[str]) -> int | None:
    for number, line in enumerate(lines, start=1):
        stripped = line.split("#", 1)[0].strip()
        if stripped.startswith("[") and [p.strip().strip('"') for p in stripped.strip("[]").split(".")] == table:
            return number
    return None


def _describe(error: dict[str, Any]) -> str:
    """The validator's complaint in the interface's language (pydantic's own words only for rare kinds)."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "value_error":  # our own validators raise it with a translated message
        return str(context.get("error", error["msg"]))
    messages = {
        "extra_forbidden": _("unknown key (a typo?)"),
        "unexpected_keyword_argument": _("unknown key (a typo?)"),
        "missing": _("required key is missing"),
        "greater_than": _("must be more than {gt}"),
        "greater_than_equal": _("must be {ge} or more"),
        "less_than_equal": _("must be {le} or less"),
        "string_too_short": _("must not be empty"),
        "too_short": _("must not be empty"),
        "literal_error": _("must be one of {expected}"),
        "int_parsing": _("must be a whole number"),
        "int_type": _("must be a whole number"),
        "int_from_float": _("must be a whole number"),
        "float_parsing": _("must be a number"),
        "float_type": _("must be a number"),
        "bool_parsing": _("must be true or false"),
        "bool_type": _("must be true or false"),
        "string_type": _('must be text in quotes, like "..."'),
        "list_type": _('must be a list in brackets, like ["..."]'),
        "date_type": _("must be a date, like 2026-12-01"),
        "date_parsing": _("must be a date, like 2026-12-01"),
        "date_from_datetime_parsing": _("must be a date, like 2026-12-01"),
        "dict_type": _("must be a table: a [section] or { key = value }"),
        "model_type": _("must be a table: a [section] or { key = value }"),
        "dataclass_type": _("must be a table: a [section] or { key = value }"),
    }
    if kind in messages:
        fields = {key: str(value).replace(" or ", ", ") for key, value in context.items()}
        return messages[kind].format(**fields)
    return str(error["msg"]).removeprefix("Value error, ")


def _config_error(path: Path, text: str, error: dict[str, Any], prefix: tuple[str | int, ...] = ()) -> ConfigError:
    broken = (error.get("ctx") or {}).get("error")
    location = prefix + tuple(error["loc"]) + ((broken.key,) if isinstance(broken, KeyedError) else ())
    key_path = ".".join(str(part) for part in location)
    line = line_of(text, location)
    where = f"{path}:{line}" if line else str(path)
    last_key = next((str(part) for part in reversed(location) if isinstance(part, str)), "")
    hint = EXAMPLES.get(last_key)
    if error["type"] == "extra_forbidden" and "allowed" in error:
        hint = _("valid keys here: {keys}").format(keys=", ".join(error["allowed"]))
    message = f"{where}: {key_path}: {_describe(error)}"
    if error["type"] == "extra_forbidden" and "allowed" in error:
        return ConfigError(f"{message}; {hint}")
    return ConfigError(message + ("; " + _("example: {example}").format(example=hint) if hint else ""))


@cache
def _file_checker() -> Any:
    """pydantic's checker of a whole config file, built once per process (tens of milliseconds)."""
    from pydantic import TypeAdapter

    return TypeAdapter(_FileModel)


def _resolve(folder: Path, value: str | Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (folder / path).resolve()


def _store_url(folder: Path, store: str, path: Path, text: str) -> str:
    refuse_a_store_password(path, line_of(text, ("store",)), store)
    if "://" in store:
        if store.startswith("sqlite:///") and not store.startswith("sqlite:////"):
            return "sqlite:///" + str(_resolve(folder, store.removeprefix("sqlite:///")))
        return store
    return "sqlite:///" + str(_resolve(folder, store))


def load_environment(folder: Path) -> dict[str, str]:
    """``.env`` next to the config and in the working directory, under the real environment."""
    merged: dict[str, str] = {}
    for candidate in (folder / ".env", Path.cwd() / ".env"):
        if candidate.is_file():
            merged.update({k: v for k, v in dotenv_values(candidate).items() if v is not None})
    merged.update(os.environ)
    return merged


def _channel_settings(path: Path, text: str, name: str, block: dict[str, Any]) -> Any:
    from .channels import CHANNEL_TYPES, settings_model

    channel_type = block.get("type")
    if channel_type not in CHANNEL_TYPES:
        line = line_of(text, ("channels", name, "type"))
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(
            _("{where}: channels.{name}.type: unknown channel type {type}; choose one of {types}").format(
                where=where, name=name, type=repr(channel_type), types=", ".join(CHANNEL_TYPES)
            )
        )
    from pydantic import ValidationError

    model = settings_model(channel_type)
    try:
        settings = model.model_validate(block)
    except ValidationError as error:
        first: dict[str, Any] = dict(error.errors()[0])
        if first["type"] == "extra_forbidden":
            first["allowed"] = sorted(f.alias or n for n, f in model.model_fields.items())
        raise _config_error(path, text, first, ("channels", name)) from None
    updates = {
        field: _resolve(path.parent, value)
        for field, value in settings
        if isinstance(value, Path) and not value.is_absolute()
    }
    return settings.model_copy(update=updates) if updates else settings


def _refuse_store_on_an_input(
    path: Path, text: str, store_url: str, catalogue_files: tuple[Path, ...], glossary_path: Path | None
) -> None:
    """A store pointed at the config, a catalogue or the glossary would be opened (and written) as SQLite."""
    if not store_url.startswith("sqlite:///"):
        return
    store = Path(store_url.removeprefix("sqlite:///")).resolve()
    inputs = {path.resolve(): _("this config file")}
    inputs.update({file.resolve(): _("the catalogue file {name}").format(name=file.name) for file in catalogue_files})
    if glossary_path is not None:
        inputs[glossary_path.resolve()] = _("the glossary file {name}").format(name=glossary_path.name)
    if store in inputs:
        line = line_of(text, ("store",))
        raise ConfigError(
            _(
                "{where}: store: {store} is {input}; the store must be a file of its own "
                "(outreach writes it as an SQLite database); example: {example}"
            ).format(where=f"{path}:{line or '?'}", store=store, input=inputs[store], example=EXAMPLES["store"])
        )


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate ``path``; raise ``ConfigError`` with file, line and key for any mistake."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            _(
                "{path}: config file not found; pass --config PATH or set OUTREACH_CONFIG "
                "(the example is config/outreach.toml)"
            ).format(path=path)
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            _("{path}: not UTF-8 text ({reason}); save the file as UTF-8").format(path=path, reason=error.reason)
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            _("{path}: {error}; check quotes, brackets and '=' on that line").format(path=path, error=error)
        ) from None
    from pydantic import ValidationError

    try:
        model = _file_checker().validate_python(raw)
    except ValidationError as error:
        raise _config_error(path, text, dict(error.errors()[0])) from None
    folder = path.parent.resolve()
    channels = {name: _channel_settings(path, text, name, block) for name, block in model.channels.items()}
    for campaign_name, campaign in model.campaigns.items():
        for channel_name in campaign.channels:
            if channel_name not in channels:
                line = line_of(text, ("campaigns", campaign_name, "channels"))
                known = ", ".join(channels) or _("none defined")
                raise ConfigError(
                    _(
                        "{where}: campaigns.{campaign}.channels: no channel named '{channel}' "
                        "(channels defined: {known}); add a [channels.{channel}] block"
                    ).format(where=f"{path}:{line or '?'}", campaign=campaign_name, channel=channel_name, known=known)
                )
    store_url = _store_url(folder, model.store, path, text)
    catalogue_files = tuple(_resolve(folder, item) for item in model.catalogue)
    glossary_path = _resolve(folder, model.glossary) if model.glossary else None
    _refuse_store_on_an_input(path, text, store_url, catalogue_files, glossary_path)
    return Config(
        path=path.resolve(),
        timezone=ZoneInfo(model.timezone),
        store_url=store_url,
        catalogue_files=catalogue_files,
        templates_dir=_resolve(folder, model.templates) if model.templates else None,
        glossary_path=glossary_path,
        media_folder=_resolve(folder, model.media) if model.media else None,
        publishing=model.publishing,
        channels=channels,
        campaigns=model.campaigns,
        environ=export_store_password(store_url, dict(load_environment(folder) if environ is None else environ)),
        metrics=model.metrics,
        replies=model.replies,
        reply_rules_path=_resolve(folder, model.replies.rules) if model.replies.rules else None,
        office=model.office.strip() if model.office and model.office.strip() else None,
    )
