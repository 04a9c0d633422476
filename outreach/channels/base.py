"""The contract every channel adapter fulfils.

An adapter turns one rendered post into one platform call. It declares what the platform can do
(``Capabilities``: the length limit and how it is counted, images, idempotency, reconciliation),
so the renderer and publisher can treat every platform alike; it raises the typed errors of
``outreach.errors`` and never decides about retries.
"""

from __future__ import annotations

import enum
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..errors import ConfigError, ContentRejected
from ..i18n import _
from ..limits import TextLimit
from ..media import IMAGE_FORMATS, ImageFile, ImageRefused, image_for_platform
from ..redaction import register_secret

if TYPE_CHECKING:
    from .http import HttpClient

ImageSupport = Literal["none", "optional", "required"]

#: What a ``*_env`` key holds: the conventional name of an environment variable. Capitals only, so
#: that a pasted token made of letters and digits (a Facebook Page token) is refused, not taken as a name.
ENVIRONMENT_VARIABLE_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


@dataclass(frozen=True)
class Capabilities:
    """What a platform accepts, read generically by the renderer, `check` and the publisher."""

    text_limit: TextLimit
    #: The limit that applies instead of ``text_limit`` when the post carries an image (Telegram captions).
    caption_limit: TextLimit | None = None
    image: ImageSupport = "optional"
    max_image_bytes: int | None = None
    #: The image formats the platform takes, judged from the file's bytes (names as in ``media.FORMATS``).
    image_types: frozenset[str] = IMAGE_FORMATS
    max_hashtags: int | None = None
    #: A retry after an ambiguous failure cannot create a second post (Mastodon, Bluesky).
    idempotent_retry: bool = False
    #: ``reconcile`` can find out whether an earlier attempt went out.
    can_reconcile: bool = False
    #: A person completes the publication (WhatsApp hand-off).
    hand_off: bool = False

    def limit_for(self, has_image: bool) -> TextLimit:
        """The text limit that applies to a post with or without an image."""
        if has_image and self.caption_limit is not None:
            return self.caption_limit
        return self.text_limit


class UtmSettings(BaseModel):
    """Tracking parameters appended to an innovation's link for one channel."""

    model_config = ConfigDict(extra="forbid")
    source: str
    medium: str = "social"


class ChannelSettings(BaseModel):
    """Keys every ``[channels.NAME]`` block accepts; adapters subclass it with their own keys.

    Credentials are never in the file: a key ending in ``_env`` names the environment variable
    that holds the secret (``token_env = "MASTODON_TOKEN"``).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: str
    base_url: str | None = None
    text_limit: int | None = Field(default=None, gt=0, description="Override the platform's text limit.")
    max_image_bytes: int | None = Field(default=None, gt=0, description="Override the platform's image size limit.")
    daily_cap: int | None = Field(default=None, gt=0, description="At most this many posts per local day.")
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    utm: UtmSettings | None = None

    @field_validator("*")
    @classmethod
    def _env_keys_name_variables(cls, value: Any, info: ValidationInfo) -> Any:
        """A secret pasted into ``token_env`` must stop here, and the message must not repeat it."""
        key = info.field_name or ""
        if not key.endswith("_env") or value is None or ENVIRONMENT_VARIABLE_NAME.fullmatch(value):
            return value
        field = cls.model_fields[key]
        example = field.default if isinstance(field.default, str) else (field.examples or [key.upper()])[0]
        raise ValueError(
            _("must be the name of an environment variable, in capitals, like {example}, not the secret itself; "
              "put the secret in .env ({example}=...) and write {key} = \"{example}\"").format(example=example, key=key)
        )


@dataclass(frozen=True)
class OutgoingPost:
    """One rendered post as handed to an adapter."""

    id: int
    #: Stable across attempts and restarts: the idempotency key where the platform supports one.
    key: str
    text: str
    link: str | None
    image: Path | None
    alt_text: str | None
    campaign: str
    kind: str
    innovation: Mapping[str, Any]
    scheduled_at: datetime
    #: What this adapter saved through ``checkpoint`` on an earlier attempt (e.g. a Bluesky rkey).
    channel_state: Mapping[str, Any] = field(default_factory=dict)
    #: The folders ``image`` must really lie in (the catalogue's, the media folder); none: no image is read.
    image_roots: tuple[Path, ...] = ()
    #: The image as ``Channel.publish`` read and checked it; adapters take its bytes from here.
    image_file: ImageFile | None = None


@dataclass(frozen=True)
class PublishResult:
    """Where the post went: the platform's id and the public URL when there is one."""

    remote_id: str
    url: str | None = None
    #: The post waits for a person to finish it (WhatsApp hand-off).
    handed_off: bool = False


class Outcome(enum.Enum):
    PUBLISHED = "published"
    NOT_PUBLISHED = "not_published"
    CANNOT_TELL = "cannot_tell"


@dataclass(frozen=True)
class Reconciliation:
    """What an adapter could find out about an interrupted attempt."""

    outcome: Outcome
    result: PublishResult | None = None
    detail: str = ""


@dataclass(frozen=True)
class AccountIdentity:
    """Who a channel posts as, for ``outreach channels check``."""

    handle: str
    detail: str = ""


#: Persists adapter state durably before the adapter goes on (Instagram container id, Bluesky rkey).
Checkpoint = Callable[[dict[str, Any]], None]


class Channel(ABC):
    """Base of every adapter. Subclasses set the class attributes and implement ``deliver``/``check``."""

    type_name: ClassVar[str]
    #: Whose rendering rules and templates apply (``x``, ``facebook``, …, ``whatsapp``).
    platform: ClassVar[str]
    settings_model: ClassVar[type[ChannelSettings]] = ChannelSettings

    def __init__(self, name: str, settings: ChannelSettings, environ: Mapping[str, str]) -> None:
        self.name = name
        self.settings = settings
        self._environ = environ

    @classmethod
    def platform_defaults(cls, settings: ChannelSettings) -> Capabilities:
        """What the platform accepts before a channel's overrides (the file channel borrows another's)."""
        from .platforms import PLATFORM_CAPABILITIES

        return PLATFORM_CAPABILITIES[cls.platform]

    @classmethod
    def capabilities_for(cls, settings: ChannelSettings) -> Capabilities:
        """The platform's capabilities with the limit overrides a channel's config may set."""
        capabilities = cls.platform_defaults(settings)
        if settings.text_limit is not None:
            capabilities = replace(
                capabilities, text_limit=replace(capabilities.text_limit, maximum=settings.text_limit)
            )
        if settings.max_image_bytes is not None:
            capabilities = replace(capabilities, max_image_bytes=settings.max_image_bytes)
        return capabilities

    @property
    def capabilities(self) -> Capabilities:
        return self.capabilities_for(self.settings)

    def secret(self, key: str) -> str:
        """The value of the environment variable named by the ``<key>_env`` setting."""
        variable = getattr(self.settings, f"{key}_env")
        value = self._environ.get(variable, "")
        if not value:
            raise ConfigError(
                f"channel '{self.name}': environment variable {variable} (named by "
                f"channels.{self.name}.{key}_env) is not set; add it to .env, see .env.example"
            )
        register_secret(value)
        return value

    def http_client(self, base_url: str, **options: Any) -> "HttpClient":
        """The channel's HTTP choke point, with the timeouts from its config."""
        from .http import HttpClient

        return HttpClient(
            self.name,
            base_url,
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            **options,
        )

    def publish(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        """Refuse what the platform would refuse before any request is made, then deliver."""
        capabilities = self.capabilities
        limit = capabilities.limit_for(post.image is not None)
        if not limit.fits(post.text):
            raise ContentRejected(
                f"{self.name}: text is {limit.describe(post.text)} ({limit.counter}), over the limit"
            )
        if post.image is None and capabilities.image == "required":
            raise ContentRejected(f"{self.name}: {self.platform} needs an image and the post has none")
        if post.image is not None and capabilities.image == "none":
            raise ContentRejected(f"{self.name}: {self.platform} cannot carry an image")
        if post.image is not None:
            post = replace(post, image_file=self._read_checked_image(post))
        return self.deliver(post, checkpoint)

    def image_of(self, post: OutgoingPost) -> ImageFile:
        """The post's image for ``deliver``: the bytes ``publish`` checked, never a file read any other way."""
        return post.image_file or self._read_checked_image(post)

    def _read_checked_image(self, post: OutgoingPost) -> ImageFile:
        """Read the image the one safe way, then refuse what this platform would refuse (type, size)."""
        assert post.image is not None
        try:
            return image_for_platform(post.image, post.image_roots, self.platform, self.capabilities)
        except ImageRefused as error:
            raise ContentRejected(f"{self.name}: {error}") from None

    @abstractmethod
    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        """Make the platform call(s); raise a ``PublishError`` subclass on failure."""

    @abstractmethod
    def check(self) -> AccountIdentity:
        """Call the cheapest identity endpoint; raise ``AuthError`` with the precise reason."""

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        """Find out whether an interrupted attempt went out. By default nobody can tell."""
        return Reconciliation(Outcome.CANNOT_TELL, detail=f"{self.platform} offers no way to look it up")

    def close(self) -> None:
        """Release connections."""
