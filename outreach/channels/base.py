"""The contract every channel adapter fulfils, and what all adapters share.

An adapter turns one rendered post into one platform call. It declares what the platform can do
(``Capabilities``: the length limit and how it is counted, images, idempotency, reconciliation),
so the renderer and publisher can treat every platform alike; it raises the typed errors of
``outreach.errors`` and never decides about retries. The base gives every adapter the same
helpers: the image read the one safe way (``read_image``), one HTTP client made on first use and
closed by ``close``, the clock, one parser for the platforms' timestamps, and one allowance for
clock skew.
"""

from __future__ import annotations

import email.utils
import enum
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from annotated_types import Gt

from ..clock import Clock, SystemClock
from ..costs import Prices
from ..errors import ConfigError, ContentRejected
from ..i18n import N_, _
from ..media import ImageFile, ImageRefused, image_for_platform
from ..model import IncomingReply, Post
from ..platforms import PLATFORM_CAPABILITIES, Capabilities, Platform
from ..redaction import register_secret
from ..settings import STRICT, KeyedError
from ..utm import UtmSettings

if TYPE_CHECKING:
    from .http import HttpClient

#: What a ``*_env`` key holds: the conventional name of an environment variable. Capitals only, so
#: that a pasted token made of letters and digits (a Facebook Page token) is refused, not taken as a name.
ENVIRONMENT_VARIABLE_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")

#: How far a platform's clock and ours may disagree when a post's creation time there is compared
#: with our own times (its first attempt, its scheduled time). The widest the adapters used, because
#: the two mistakes are not alike: a window too narrow makes a post that did go out look older than
#: its attempt, so reconcile misses it and the post may go out twice; a window too wide only lets in
#: the same exact text posted in the minutes before, which an office does not do.
CLOCK_SKEW = timedelta(minutes=10)


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from a time as platforms give it; None when it cannot be read.

    Accepts Unix seconds (number or digits: X's and Bluesky's rate-limit resets), ISO 8601 with
    ``Z``, ``+0000`` or ``+07:00`` (Meta's ``created_time``, Mastodon's times; without an offset: UTC)
    and an HTTP date (``Retry-After``).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):  # not a number, or no moment (out of range, nan)
        pass
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


@dataclass(frozen=True, kw_only=True)
class ChannelSettings:
    """Keys every ``[channels.NAME]`` block accepts; adapters subclass it with their own keys.

    Credentials are never in the file: a key ending in ``_env`` names the environment variable
    that holds the secret (``token_env = "MASTODON_TOKEN"``).
    """

    __pydantic_config__ = STRICT

    type: str
    base_url: str | None = None
    #: Override the platform's text limit.
    text_limit: Annotated[int, Gt(0)] | None = None
    #: Override the platform's image size limit.
    max_image_bytes: Annotated[int, Gt(0)] | None = None
    #: At most this many posts per local day.
    daily_cap: Annotated[int, Gt(0)] | None = None
    connect_timeout: Annotated[float, Gt(0)] = 5.0
    read_timeout: Annotated[float, Gt(0)] = 30.0
    utm: UtmSettings | None = None

    def __post_init__(self) -> None:
        """A secret pasted into ``token_env`` must stop here, and the message must not repeat it."""
        for each in fields(self):
            value = getattr(self, each.name)
            if not each.name.endswith("_env") or value is None or ENVIRONMENT_VARIABLE_NAME.fullmatch(value):
                continue
            example = each.default if isinstance(each.default, str) else each.metadata.get("example", each.name.upper())
            raise KeyedError(
                each.name,
                _(
                    "must be the name of an environment variable, in capitals, like {example}, not the secret "
                    'itself; put the secret in .env ({example}=...) and write {key} = "{example}"'
                ).format(example=example, key=each.name),
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
    #: When the first attempt at this post began (aware UTC), from the post's recorded events; None
    #: when no attempt was recorded. Reconcile searches from here: an older post with the same text
    #: is not this one, and Mastodon's Idempotency-Key window is counted from it.
    first_attempt_at: datetime | None = None
    #: The folders ``image`` must really lie in (the catalogue's, the media folder); none: no image is read.
    image_roots: tuple[Path, ...] = ()
    #: The image as ``Channel.publish`` read and checked it; adapters take its bytes from here.
    image_file: ImageFile | None = None

    @classmethod
    def from_post(
        cls,
        post: Post,
        innovation: Mapping[str, Any],
        zone: tzinfo,
        image_roots: tuple[Path, ...],
        first_attempt_at: datetime | None = None,
    ) -> OutgoingPost:
        """The adapter's view of a stored post, its slot in the office's time zone.

        ``first_attempt_at`` is when the post was first claimed (from its events), which bounds an
        adapter's look-up of what it may already have published.
        """
        if post.text is None:
            raise ConfigError(_("post {id} has no rendered text; run `outreach plan` to render it").format(id=post.id))
        return cls(
            id=post.id,
            key=post.key,
            text=post.text,
            link=post.link,
            image=Path(post.image) if post.image else None,
            alt_text=post.alt_text,
            campaign=post.campaign,
            kind=post.kind,
            innovation=innovation,
            scheduled_at=post.scheduled_at.astimezone(zone),
            channel_state=post.channel_state,
            image_roots=image_roots,
            first_attempt_at=first_attempt_at,
        )


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


@dataclass(frozen=True)
class Engagement:
    """What a platform says about a published post now: one reading of its public figures."""

    #: Figure name (``model.METRIC_NAMES``) -> count; a figure the platform did not give is absent.
    counts: dict[str, int]


#: Persists adapter state durably before the adapter goes on (Instagram container id, Bluesky rkey).
Checkpoint = Callable[[dict[str, Any]], None]


class Channel(ABC):
    """Base of every adapter. Subclasses set the class attributes and implement ``deliver``/``check``
    (and ``open_http`` when they talk to a platform over HTTP)."""

    #: Whose rendering rules and templates apply (``x``, ``facebook``, …, ``whatsapp``); the file
    #: channel sets none and borrows the one its config names (``platform_for``).
    platform: Platform
    settings_model: ClassVar[type[ChannelSettings]] = ChannelSettings
    #: The platform states its own limits (``learned_limits``), so rendering looks up what it said.
    learns_limits: ClassVar[bool] = False

    def __init__(self, name: str, settings: ChannelSettings, environ: Mapping[str, str], clock: Clock) -> None:
        self.name = name
        self.settings = settings
        self._environ = environ
        #: Business time: every "now" an adapter records, or compares with the post's own times.
        self.clock = clock
        #: The platforms' time: what their absolute times (a Retry-After date, a rate limit's reset,
        #: a signature's timestamp) are measured against — the real time even when a test or a
        #: rehearsal moves the business clock, because the platform's clock does not move with it.
        self.wall_clock: Clock = SystemClock()
        self.platform = self.platform_for(settings)

    @classmethod
    def platform_for(cls, settings: ChannelSettings) -> Platform:
        """Whose rules and templates a channel with these settings follows."""
        return cls.platform

    @classmethod
    def prices_for(cls, settings: ChannelSettings) -> Prices | None:
        """What a post costs on a channel that renders as X (pay-per-use credits); None elsewhere.

        A channel that only borrows X's rules (a ``file`` channel with ``as = "x"``) gets the default
        prices, so an office sees the budget before it connects the real account.
        """
        return Prices() if cls.platform_for(settings) == "x" else None

    @classmethod
    def outbox_for(cls, settings: ChannelSettings) -> Path | None:
        """The folder a channel that publishes only on this machine writes to; None for one that
        reaches a platform or people (only such a channel may be rehearsed)."""
        return None

    @classmethod
    def platform_defaults(cls, settings: ChannelSettings) -> Capabilities:
        """What the platform accepts before a channel's overrides."""
        return PLATFORM_CAPABILITIES[cls.platform_for(settings)]

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

    @classmethod
    def learned_capabilities(cls, settings: ChannelSettings, learned: Mapping[str, Any]) -> Capabilities:
        """The capabilities with what ``learned_limits`` reported from the platform (kept in the store)
        in place of the platform's defaults; a limit the config sets explicitly still wins."""
        return cls.capabilities_for(settings)

    def learned_limits(self) -> dict[str, Any] | None:
        """What the platform said about its own limits during ``check``, for ``learned_capabilities``
        to render with later; None when it says nothing. Only adapters with ``learns_limits`` answer."""
        return None

    @property
    def capabilities(self) -> Capabilities:
        return self.capabilities_for(self.settings)

    def secret(self, key: str) -> str:
        """The value of the environment variable named by the ``<key>_env`` setting."""
        variable = getattr(self.settings, f"{key}_env")
        value = self._environ.get(variable, "")
        if not value:
            raise ConfigError(
                _(
                    "channel '{name}': environment variable {variable} (named by channels.{name}.{key}_env) "
                    "is not set; add it to .env, see .env.example"
                ).format(name=self.name, variable=variable, key=key)
            )
        register_secret(value)
        return value

    # -- HTTP -----------------------------------------------------------------------------------

    @cached_property
    def http(self) -> HttpClient:
        """The channel's one HTTP client, made by ``open_http`` on first use and closed by ``close``.

        Made late, so that a channel that is only configured, previewed or checked offline opens
        nothing and reads no secret.
        """
        return self.open_http()

    def open_http(self) -> HttpClient:
        """Make the channel's HTTP client (with ``new_http_client``): its platform's address, error
        vocabulary and headers. Adapters that talk to a platform override this."""
        raise NotImplementedError(f"{type(self).__name__} talks to no platform over HTTP")

    def new_http_client(self, base_url: str, **options: Any) -> HttpClient:
        """An HTTP client with this channel's name, timeouts and clock; ``options`` go to ``HttpClient``."""
        from .http import HttpClient

        return HttpClient(
            self.name,
            base_url,
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            clock=self.wall_clock,
            **options,
        )

    def close(self) -> None:
        """Release the HTTP client's connections, if one was made; a later request makes a new one."""
        http = self.__dict__.pop("http", None)
        if http is not None:
            http.close()

    # -- publishing ---------------------------------------------------------------------------

    def publish(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        """Refuse what the platform would refuse before any request is made, then deliver."""
        capabilities = self.capabilities
        limit = capabilities.limit_for(post.image is not None)
        if not limit.fits(post.text):
            raise ContentRejected(
                _("{name}: text is {length} ({counter}), over the limit").format(
                    name=self.name, length=limit.describe(post.text), counter=limit.counter
                )
            )
        if post.image is None and capabilities.image == "required":
            raise ContentRejected(
                _("{name}: {platform} needs an image and the post has none").format(
                    name=self.name, platform=self.platform
                )
            )
        if post.image is not None and capabilities.image == "none":
            raise ContentRejected(
                _("{name}: {platform} cannot carry an image").format(name=self.name, platform=self.platform)
            )
        if post.image is not None:
            post = replace(post, image_file=self._read_checked_image(post))
        return self.deliver(post, checkpoint)

    def read_image(self, post: OutgoingPost) -> ImageFile:
        """The post's image for an upload: its bytes and type as ``publish`` read and checked them.

        Read here the one safe way if ``publish`` did not; a file that cannot be read, or that this
        platform would refuse, is ``ContentRejected``: the post fails with the reason, nothing sent.
        """
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

    #: Why a published post's engagement cannot be read on this channel, for a person (``_()`` at display);
    #: None where ``engagement`` reads it. Adapters that read it set None and override ``engagement``.
    engagement_unavailable: ClassVar[str | None] = N_("this channel offers no engagement figures to read")

    @classmethod
    def engagement_unavailable_for(cls, name: str, settings: ChannelSettings) -> str | None:
        """Why channel ``name`` with these settings reads no engagement, in the reader's language; None
        when it reads it. A channel whose reading is a setting (X, where each read is paid) overrides this."""
        return None if cls.engagement_unavailable is None else _(cls.engagement_unavailable)

    def engagement(self, post: Post) -> Engagement:
        """Read a published post's public engagement now (``post.remote_id``/``remote_url``/``channel_state``).

        Raises the typed ``PublishError`` subclasses like publishing does (through the HTTP choke point,
        which honours rate limits); the collector logs them and reads again next time.
        """
        raise NotImplementedError(f"{type(self).__name__} reads no engagement")

    def engagement_access(self) -> list[str]:
        """Lines for ``channels check``: figures this token is not allowed to read (a missing insights
        permission), each saying how to grant it. Empty when everything readable is allowed."""
        return []

    #: Why citizens' replies cannot be collected on this channel, for a person (``_()`` at display);
    #: None where ``replies`` (or ``channel_replies``) collects them.
    replies_unavailable: ClassVar[str | None] = N_("this channel offers no replies to collect")
    #: The platform delivers replies for the whole account at once, not per post (Telegram's updates):
    #: the collector then calls ``channel_replies`` once, on one lane, instead of ``replies`` per post.
    replies_per_channel: ClassVar[bool] = False

    @classmethod
    def replies_unavailable_for(cls, name: str, settings: ChannelSettings) -> str | None:
        """Why channel ``name`` with these settings collects no replies, in the reader's language; None
        when it does. A channel where collecting is a setting (X, where each read is paid) overrides this."""
        return None if cls.replies_unavailable is None else _(cls.replies_unavailable)

    def replies(self, post: Post) -> list[IncomingReply]:
        """The replies and comments under a published post now, the office's own answers included
        (``from_office``), each with the id of what it answers. Raises the typed ``PublishError``
        subclasses through the HTTP choke point, as ``engagement`` does."""
        raise NotImplementedError(f"{type(self).__name__} collects no replies")

    def channel_replies(self, posts: Sequence[Post]) -> dict[int, list[IncomingReply]]:
        """For ``replies_per_channel`` adapters: the replies delivered since the last call, by the id of
        the post (one of ``posts``) they answer; replies to anything else are left out."""
        raise NotImplementedError(f"{type(self).__name__} collects replies per post")

    def planned_image_problems(self, images: Sequence[Path]) -> list[str]:
        """What the platform would refuse about the images of posts planned on this channel, found now.

        Most platforms take the bytes outreach uploads, which ``check`` and publishing already judge;
        a platform that fetches images itself from a website (Instagram) overrides this.
        """
        return []

    def token_expires_at(self) -> datetime | None:
        """When the credential the channel keeps between runs stops working, if it will (``status``
        warns ahead of it); None when it does not expire or nothing is known. Reads no network."""
        return None

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        """Find out whether an interrupted attempt went out. By default nobody can tell."""
        return Reconciliation(
            Outcome.CANNOT_TELL, detail=_("{platform} offers no way to look it up").format(platform=self.platform)
        )
