"""Configuration: ``outreach.toml`` validated into typed settings, secrets only from the environment.

Every mistake becomes one ``ConfigError`` naming the file, the line when it can be found, the key
path, what is wrong and an example of a valid value. Relative paths resolve against the config
file's folder, so a config works the same from any working directory.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from annotated_types import Ge, Gt, Le, MaxLen, MinLen
from dotenv import dotenv_values

from .config_errors import EXAMPLES, config_error, line_of
from .errors import ConfigError
from .i18n import N_, _, current_language, set_language
from .platforms import POST_KINDS, PostKind
from .settings import STRICT, Check, KeyedError
from .storeurl import export_store_password, refuse_a_store_password
from .timetable import Schedule, TimetableError, parse_cron, parse_slot


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


def _checked(path: Path, text: str, raw: dict[str, Any]) -> _FileModel:
    """The file's blocks as settings, or its first mistake as a ``ConfigError``."""
    from pydantic import ValidationError

    try:
        model: _FileModel = _file_checker().validate_python(raw)
    except ValidationError as error:
        raise config_error(path, text, dict(error.errors()[0])) from None
    return model


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
    from .channels import CHANNEL_TYPES, config_key, settings_keys, settings_model, validate_settings

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

    try:
        settings = validate_settings(block)
    except ValidationError as error:
        first: dict[str, Any] = dict(error.errors()[0])
        first["loc"] = tuple(config_key(part) if isinstance(part, str) else part for part in first["loc"])
        if first["type"] == "unexpected_keyword_argument":
            first["allowed"] = settings_keys(settings_model(channel_type))
        raise config_error(path, text, first, ("channels", name)) from None
    updates: dict[str, Any] = {
        each.name: _resolve(path.parent, value)
        for each in fields(settings)
        if isinstance(value := getattr(settings, each.name), Path) and not value.is_absolute()
    }
    return replace(settings, **updates) if updates else settings


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
    model = _checked(path, text, raw)
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


#: The exit status of ``_check_for_parent`` when the config has a mistake (its message on stderr).
_CONFIG_MISTAKE = 3

_CHECK_IN_CHILD = "import sys; from outreach.config import _check_for_parent; _check_for_parent(sys.argv[1:])"


def load_config_in_child(path: Path) -> Config:
    """``load_config`` done by a child process, for a process that lives for weeks and needs the config but not
    its checker: pydantic and the checkers it builds are about 8 MB that the office's web server would otherwise
    keep for good. The same ``ConfigError`` for the same mistake, in the current language; the environment and
    ``.env`` are read by the child as ``load_config`` reads them (it inherits this process's, and its folder)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHECK_IN_CHILD, str(path), current_language()],
        check=False,
        capture_output=True,
        timeout=120,
    )
    if done.returncode == _CONFIG_MISTAKE:
        raise ConfigError(done.stderr.decode("utf-8"))
    if done.returncode != 0:
        last_line = (done.stderr.decode("utf-8", errors="replace").strip().splitlines() or [""])[-1]
        raise RuntimeError(
            _("checking the config in a child process ended with exit status {status}: {line}").format(
                status=done.returncode, line=last_line
            )
        )
    config: Config = pickle.loads(done.stdout)  # our own child's answer over a pipe, never a file
    return config


def _check_for_parent(arguments: list[str]) -> None:
    """The child's side of ``load_config_in_child``: the config, pickled on stdout, or the mistake on stderr."""
    config_path, language = arguments
    set_language(language)
    try:
        config = load_config(Path(config_path))
    except ConfigError as error:
        sys.stderr.write(str(error))
        raise SystemExit(_CONFIG_MISTAKE) from None
    sys.stdout.buffer.write(pickle.dumps(config))
