"""Mastodon: one status per post on the office's own instance.

Mastodon is the platform where a retry is safe by design: every ``POST /api/v1/statuses`` carries
``Idempotency-Key: <post key>``, and for about an hour after a status was created the instance
answers a repeat of that key with the original status instead of a second one. The time of the
first attempt (``OutgoingPost.first_attempt_at``, recorded by the publisher) tells whether that
window still protects us; past it, the account's recent statuses are searched for the text instead.

Each instance sets its own limits and publishes them (``GET /api/v2/instance``); the adapter reads
them once, and refuses before sending what the instance would refuse, in the instance's numbers.

Engagement is the status as the instance shows it (``GET /api/v1/statuses/:id``): its favourites,
boosts and replies. Other servers tell the author's instance when their users favourite, boost or
reply, so for the office's own statuses the counts are the whole of the fediverse's answer, not
just what one server saw.

Replies are the status's descendants (``GET /api/v1/statuses/:id/context``), asked with the token so
that the instance gives all of them (4,096; 60 without a token). Each arrives as HTML and is read
into plain text with the standard library's HTML parser: markup a citizen typed comes back as the
text they typed, never as markup. Only public and unlisted replies are kept: a followers-only or
direct reply was addressed to a chosen few, and the inbox is shared with the agencies (the office
sees those in its own notifications). The office's own answers are known by its account id.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from html.parser import HTMLParser
from typing import Annotated, Any, ClassVar, Literal, TypeGuard
from urllib.parse import quote, urlparse

import requests
from annotated_types import Gt, Le, MaxLen, MinLen

from ..clock import Clock
from ..errors import AmbiguousError, ChannelHeld, ContentRejected, PermanentError, PublishError, ServerError
from ..i18n import _
from ..limits import URL_LENGTH, count_mastodon
from ..model import IncomingReply, Post
from ..platforms import Capabilities
from .base import (
    CLOCK_SKEW,
    AccountIdentity,
    Channel,
    ChannelSettings,
    Checkpoint,
    Engagement,
    Outcome,
    OutgoingPost,
    PublishResult,
    Reconciliation,
    parse_timestamp,
)
from .figures import figures, published_id
from .http import HttpClient, seconds_until

#: How many statuses ``GET /api/v1/accounts/:id/statuses`` returns at most.
RECENT_STATUSES = 40
#: A Status entity's counts, by the figure names outreach keeps.
STATUS_FIGURES = {"favourites_count": "likes", "reblogs_count": "reposts", "replies_count": "replies"}
#: Replies anyone may see (``unlisted`` only stays out of public timelines); ``private`` (followers
#: only) and ``direct`` were written for a chosen few, so a shared inbox does not keep them.
KEPT_VISIBILITIES = frozenset({"public", "unlisted"})


@dataclass(frozen=True)
class InstanceLimits:
    """What one instance accepts, from ``configuration`` in ``GET /api/v2/instance``."""

    max_characters: int
    characters_reserved_per_url: int
    #: None where the instance does not say.
    image_size_limit: int | None
    supported_mime_types: frozenset[str] | None

    @classmethod
    def from_instance(cls, instance: Any) -> InstanceLimits | None:
        """The limits in an Instance entity; None when it does not state the text limit (not Mastodon 4+)."""
        configuration = instance.get("configuration") if isinstance(instance, dict) else None
        if not isinstance(configuration, dict):
            return None
        statuses = configuration.get("statuses")
        if not isinstance(statuses, dict) or not _positive_int(statuses.get("max_characters")):
            return None
        media = configuration.get("media_attachments")
        media = media if isinstance(media, dict) else {}
        types = media.get("supported_mime_types")
        per_url = statuses.get("characters_reserved_per_url")
        image_size = media.get("image_size_limit")
        return cls(
            max_characters=statuses["max_characters"],
            characters_reserved_per_url=per_url if _positive_int(per_url) else URL_LENGTH,
            image_size_limit=image_size if _positive_int(image_size) else None,
            supported_mime_types=frozenset(map(str, types)) if isinstance(types, list) else None,
        )

    def measure(self, text: str) -> int:
        """The length of ``text`` as this instance counts it (after NFC, as the instance stores text)."""
        return count_mastodon(unicodedata.normalize("NFC", text), self.characters_reserved_per_url)


def _positive_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@dataclass(frozen=True, kw_only=True)
class MastodonSettings(ChannelSettings):
    type: Literal["mastodon"]
    #: Required: there is no one Mastodon; the office names its own instance, e.g. https://mastodon.social
    #: (``field()``: without it the base class's default, None, would be inherited).
    base_url: str = field()
    access_token_env: str = "MASTODON_ACCESS_TOKEN"
    visibility: Literal["public", "unlisted", "private"] = "public"
    #: ISO 639 code of the posts.
    language: Annotated[str, MinLen(2), MaxLen(3)] = "id"
    #: Seconds after the first attempt during which the instance still remembers the Idempotency-Key (Mastodon
    #: keeps it 3600 s; the default leaves a margin).
    idempotency_window: Annotated[float, Gt(0), Le(3600)] = 3300.0
    #: Seconds between looks at a processing image.
    media_poll_interval: Annotated[float, Gt(0)] = 1.0
    #: Give up (and retry later) after this many seconds.
    media_timeout: Annotated[float, Gt(0)] = 60.0


class MastodonChannel(Channel):
    platform = "mastodon"
    settings_model = MastodonSettings
    settings: MastodonSettings
    learns_limits = True
    engagement_unavailable: ClassVar[str | None] = None
    replies_unavailable: ClassVar[str | None] = None

    @classmethod
    def learned_capabilities(cls, settings: ChannelSettings, learned: Mapping[str, Any]) -> Capabilities:
        """Render within the instance's own numbers (as ``check`` last read them) where the config
        sets none: an instance may allow 5000 characters, or count a link as more than 23."""
        capabilities = cls.capabilities_for(settings)
        limit = capabilities.text_limit
        if settings.text_limit is None and _positive_int(learned.get("max_characters")):
            limit = replace(limit, maximum=learned["max_characters"])
        if _positive_int(learned.get("characters_reserved_per_url")):
            limit = replace(limit, url_length=learned["characters_reserved_per_url"])
        capabilities = replace(capabilities, text_limit=limit)
        if settings.max_image_bytes is None and _positive_int(learned.get("image_size_limit")):
            capabilities = replace(capabilities, max_image_bytes=learned["image_size_limit"])
        return capabilities

    def learned_limits(self) -> dict[str, Any] | None:
        limits = self.instance_limits
        if limits is None:
            return None
        return {
            "max_characters": limits.max_characters,
            "characters_reserved_per_url": limits.characters_reserved_per_url,
            "image_size_limit": limits.image_size_limit,
        }

    def __init__(self, name: str, settings: ChannelSettings, environ: Mapping[str, str], clock: Clock) -> None:
        super().__init__(name, settings, environ, clock)
        self._account_id: str | None = None

    def open_http(self) -> HttpClient:
        return self.new_http_client(self.settings.base_url, retry_after=self._rate_limit_wait, classify=self._classify)

    def _classify(self, response: requests.Response, body: Any) -> PublishError | None:
        """A 403 is about the account, never the post (a scope the token lacks, a suspended login):
        every post would meet it, so the channel is held; other answers are the generic ones."""
        if response.status_code != 403:
            return None
        error = body.get("error") if isinstance(body, dict) else None
        return ChannelHeld(f"{self.name}: {response.request.method} {response.request.path_url}: HTTP 403: {error}")

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        first_attempt = post.first_attempt_at
        if first_attempt is not None and not self._within_window(first_attempt):
            # The instance has forgotten the key: a repeat would be a second status if the first went out.
            earlier = self._find_recent(post, first_attempt)
            if earlier is not None:
                return earlier
        self._refuse_what_the_instance_would(post)
        return self._post_status(post)

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        """Look for the text among the account's recent statuses; if absent and the key's window is
        still open, repeat the request with the same Idempotency-Key.

        The repeat returns the original status if the first attempt went out after all — and
        publishes the post now if it did not, which is the right outcome for a post that is due.
        Looking first means a cache the instance lost (a Redis restart) cannot cause a second status.
        """
        first_attempt = post.first_attempt_at
        if first_attempt is None:
            return Reconciliation(
                Outcome.NOT_PUBLISHED, detail=_("no attempt was recorded, so no status was ever requested")
            )
        found = self._find_recent(post, first_attempt)
        if found is not None:
            return Reconciliation(Outcome.PUBLISHED, found, detail=_("found among the account's recent statuses"))
        if self._within_window(first_attempt):
            result = self._post_status(post)
            return Reconciliation(
                Outcome.PUBLISHED, result, detail=_("sent again with the same Idempotency-Key inside its window")
            )
        return Reconciliation(
            Outcome.CANNOT_TELL,
            detail=_("the Idempotency-Key has expired and the text is not among the {count} latest statuses").format(
                count=RECENT_STATUSES
            ),
        )

    def check(self) -> AccountIdentity:
        """Who the token posts as; listing the account's statuses proves the read scope reconcile needs.

        Also reads the instance's limits (``learned_limits``: the caller keeps them, and rendering
        follows them) and warns where a limit the config sets explicitly differs, because that wins.
        """
        account = self._verify_credentials()
        self._recent_statuses(1)
        host = urlparse(self.http.base_url).hostname
        detail = _("{account}; posts {visibility} in '{language}'").format(
            account=account.get("display_name") or account["username"],
            visibility=self.settings.visibility,
            language=self.settings.language,
        )
        return AccountIdentity(
            handle=f"@{account['username']}@{host}", detail="; ".join([detail, *self._limit_notes()])
        )

    def engagement(self, post: Post) -> Engagement:
        """Favourites, boosts and replies of the published status, as its instance counts them now.

        A status the instance no longer has (deleted, or its account suspended) answers 404 "Record
        not found", which the choke point makes ``ContentRejected`` (the only refusal of a GET it
        leaves to that type); it is said plainly here, the instance's answer kept as the cause.
        """
        status_id = published_id(self.name, post)
        try:
            status = self.http.request("GET", f"/api/v1/statuses/{quote(status_id, safe='')}", headers=self._auth).body
        except ContentRejected as error:
            raise ContentRejected(
                _("{name}: status {id} is no longer on the instance (deleted?), so its figures cannot be read").format(
                    name=self.name, id=status_id
                )
            ) from error
        if not isinstance(status, dict) or str(status.get("id")) != status_id:
            raise ServerError(_("{name}: unexpected answer reading status {id}").format(name=self.name, id=status_id))
        return figures(status, STATUS_FIGURES)

    def replies(self, post: Post) -> list[IncomingReply]:
        """The public and unlisted replies under the status, at any depth, the office's own included.

        One request: the context lists every descendant in thread order, each with the id of the
        status it answers. A status the instance no longer has is 404 "Record not found", said
        plainly as for engagement.
        """
        status_id = published_id(self.name, post)
        if self._account_id is None:
            self._verify_credentials()
        try:
            context = self.http.request(
                "GET", f"/api/v1/statuses/{quote(status_id, safe='')}/context", headers=self._auth
            ).body
        except ContentRejected as error:
            raise PermanentError(
                _("{name}: status {id} is no longer on the instance (deleted?), so its replies cannot be read").format(
                    name=self.name, id=status_id
                )
            ) from error
        descendants = context.get("descendants") if isinstance(context, dict) else None
        if not isinstance(descendants, list):
            raise ServerError(
                _("{name}: unexpected answer reading the replies to status {id}").format(name=self.name, id=status_id)
            )
        host = urlparse(self.http.base_url).hostname or ""
        found = (self._reply(status, host) for status in descendants if isinstance(status, dict))
        return [reply for reply in found if reply is not None]

    def _reply(self, status: dict[str, Any], host: str) -> IncomingReply | None:
        """One descendant as a reply; None for one not kept (not public) or not readable."""
        account = status.get("account")
        written_at = parse_timestamp(status.get("created_at"))
        if (
            status.get("visibility") not in KEPT_VISIBILITIES
            or not isinstance(account, dict)
            or not status.get("id")
            or written_at is None
        ):
            return None
        mentions = {
            str(mention["url"]): _handle(str(mention["acct"]), host)
            for mention in status.get("mentions") or []
            if isinstance(mention, dict) and mention.get("url") and mention.get("acct")
        }
        parent = status.get("in_reply_to_id")
        return IncomingReply(
            remote_id=str(status["id"]),
            author=_handle(str(account.get("acct") or account.get("username") or ""), host),
            text=reply_text(str(status.get("content") or ""), mentions),
            written_at=written_at,
            url=status.get("url") or status.get("uri"),
            parent_id=str(parent) if parent is not None else None,
            from_office=str(account.get("id")) == self._account_id,
        )

    @cached_property
    def instance_limits(self) -> InstanceLimits | None:
        """The instance's limits, asked once per adapter; None when the instance does not state them."""
        try:
            instance = self.http.request("GET", "/api/v2/instance").body
        except ContentRejected:  # 404: an instance older than Mastodon 4.0, or another server
            return None
        return InstanceLimits.from_instance(instance)

    def _limit_notes(self) -> list[str]:
        """What ``check`` says about the instance's limits: that rendering will follow them, or a
        warning where a limit the config sets explicitly disagrees."""
        limits = self.instance_limits
        if limits is None:
            return [
                _("warning: {line}").format(
                    line=_("the instance does not state its limits (GET /api/v2/instance); the configured ones apply")
                )
            ]
        configured = self.capabilities.text_limit.maximum
        notes = [
            _("instance allows {characters} characters, a link counts {link}").format(
                characters=limits.max_characters, link=limits.characters_reserved_per_url
            )
        ]
        if self.settings.text_limit is None:
            notes.append(
                _("preview and plan will render within {characters} characters, a link counting {link}").format(
                    characters=limits.max_characters, link=limits.characters_reserved_per_url
                )
            )
        elif configured > limits.max_characters:
            notes.append(
                _("warning: {line}").format(
                    line=_(
                        "text_limit is {configured} but the instance allows {characters}: "
                        "longer posts will be refused; set text_limit = {characters}"
                    ).format(configured=configured, characters=limits.max_characters)
                )
            )
        elif configured < limits.max_characters:
            notes.append(
                _(
                    "the instance allows more than text_limit {configured}: set text_limit = {characters} to use it"
                ).format(configured=configured, characters=limits.max_characters)
            )
        if self.settings.text_limit is not None and limits.characters_reserved_per_url != URL_LENGTH:
            notes.append(
                _("a link counts {link} on this instance, not {default}: preview and plan will count it so").format(
                    link=limits.characters_reserved_per_url, default=URL_LENGTH
                )
            )
        max_image = self.settings.max_image_bytes
        if limits.image_size_limit is not None and max_image is not None and max_image > limits.image_size_limit:
            notes.append(
                _("warning: {line}").format(
                    line=_(
                        "max_image_bytes is {configured} but the instance takes images up to {limit} bytes; "
                        "set max_image_bytes = {limit}"
                    ).format(configured=max_image, limit=limits.image_size_limit)
                )
            )
        return notes

    def _refuse_what_the_instance_would(self, post: OutgoingPost) -> None:
        """``ContentRejected`` for a post over this instance's own limits, naming both numbers."""
        limits = self.instance_limits
        if limits is None:
            return
        length = limits.measure(post.text)
        if length > limits.max_characters:
            raise ContentRejected(
                _(
                    "{name}: text is {length} characters as the instance counts them, over its limit of "
                    "{limit} (the configured text_limit is {configured}); "
                    "set text_limit = {limit} and render the post again"
                ).format(
                    name=self.name,
                    length=length,
                    limit=limits.max_characters,
                    configured=self.capabilities.text_limit.maximum,
                )
            )
        if post.image is None:
            return
        image = self.read_image(post)
        if limits.image_size_limit is not None and image.size > limits.image_size_limit:
            raise ContentRejected(
                _("{name}: the image is {size} bytes, over the instance's limit of {limit} bytes").format(
                    name=self.name, size=image.size, limit=limits.image_size_limit
                )
            )
        if limits.supported_mime_types is not None and image.mime_type not in limits.supported_mime_types:
            raise ContentRejected(
                _("{name}: the instance does not accept {type} images").format(name=self.name, type=image.mime_type)
            )

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret('access_token')}"}

    def _within_window(self, first_attempt: datetime) -> bool:
        return self.clock.now() - first_attempt < timedelta(seconds=self.settings.idempotency_window)

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        """Seconds until ``X-RateLimit-Reset``, which Mastodon gives as an ISO 8601 time."""
        return seconds_until(parse_timestamp(response.headers.get("X-RateLimit-Reset")), self.wall_clock.now())

    def _post_status(self, post: OutgoingPost) -> PublishResult:
        form: dict[str, Any] = {
            "status": post.text,
            "visibility": self.settings.visibility,
            "language": self.settings.language,
        }
        if post.image is not None:
            form["media_ids[]"] = [self._upload_image(post)]
        response = self.http.request(
            "POST",
            "/api/v1/statuses",
            data=form,
            headers={**self._auth, "Idempotency-Key": post.key},
            idempotent=False,
        )
        status = response.body
        if not isinstance(status, dict) or not isinstance(status.get("id"), str):
            raise AmbiguousError(
                _("{name}: the instance's answer has no status id; it may have been posted").format(name=self.name)
            )
        return _result(status)

    def _upload_image(self, post: OutgoingPost) -> str:
        """Upload the image and wait until the instance has processed it; return the media id.

        The upload counts as idempotent: a repeat only leaves an unattached attachment, which the
        instance deletes by itself, never a second status.
        """
        assert post.image is not None
        image = self.read_image(post)
        response = self.http.request(
            "POST",
            "/api/v2/media",
            files={"file": (post.image.name, image.content, image.mime_type)},
            data={"description": post.alt_text or ""},
            headers=self._auth,
            idempotent=True,
        )
        media = response.body
        if not isinstance(media, dict) or not isinstance(media.get("id"), str):
            raise ServerError(
                _("{name}: the instance's answer to the image upload has no media id").format(name=self.name)
            )
        deadline = time.monotonic() + self.settings.media_timeout
        while media.get("url") is None:  # 202 Accepted: still processing
            if time.monotonic() >= deadline:
                raise ServerError(
                    _("{name}: the image was still being processed after {seconds} s").format(
                        name=self.name, seconds=f"{self.settings.media_timeout:g}"
                    )
                )
            time.sleep(self.settings.media_poll_interval)
            media = self.http.request("GET", f"/api/v1/media/{media['id']}", headers=self._auth).body
            if not isinstance(media, dict) or "id" not in media:
                raise ServerError(_("{name}: unexpected answer while waiting for the image").format(name=self.name))
        return str(media["id"])

    def _verify_credentials(self) -> dict[str, Any]:
        account = self.http.request("GET", "/api/v1/accounts/verify_credentials", headers=self._auth).body
        if not isinstance(account, dict) or not account.get("id") or not account.get("username"):
            raise ServerError(_("{name}: unexpected answer from verify_credentials").format(name=self.name))
        self._account_id = str(account["id"])
        return account

    def _find_recent(self, post: OutgoingPost, first_attempt: datetime) -> PublishResult | None:
        """The account's status created since the first attempt whose text is the post's, if any."""
        wanted = _comparable(post.text)
        for status in self._recent_statuses(RECENT_STATUSES):
            if not isinstance(status, dict) or "content" not in status:
                continue
            created = parse_timestamp(status.get("created_at"))
            if created is None:
                continue
            if created >= first_attempt - CLOCK_SKEW and _comparable(_html_text(str(status["content"]))) == wanted:
                return _result(status)
        return None

    def _recent_statuses(self, limit: int) -> list[Any]:
        if self._account_id is None:
            self._verify_credentials()
        statuses = self.http.request(
            "GET",
            f"/api/v1/accounts/{self._account_id}/statuses",
            params={"limit": limit, "exclude_reblogs": "true", "exclude_replies": "true"},
            headers=self._auth,
        ).body
        if not isinstance(statuses, list):
            raise ServerError(_("{name}: unexpected answer listing the account's statuses").format(name=self.name))
        return statuses


def _result(status: dict[str, Any]) -> PublishResult:
    return PublishResult(remote_id=str(status["id"]), url=status.get("url") or status.get("uri"))


def _comparable(text: str) -> str:
    """Text as compared between a post and a status: NFC, whitespace runs collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class _TextExtractor(HTMLParser):
    """The text a reader sees in a status's HTML: links keep their full URL (hidden spans included)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_text(content: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(content)
    extractor.close()
    return "".join(extractor.parts)


def _handle(acct: str, host: str) -> str:
    """``@user@domain`` for any account: a local account's ``acct`` has no domain, so the instance's is added."""
    acct = acct.lstrip("@")
    return f"@{acct}" if "@" in acct or not host else f"@{acct}@{host}"


class _ReplyText(HTMLParser):
    """A reply's HTML as the plain text a reader sees, paragraphs and line breaks kept.

    Mastodon shows a mention as ``@user`` alone; written out from the status's ``mentions`` as
    ``@user@domain``, so that an office answer naming a citizen names that one citizen. Everything
    else is data: text a citizen typed that looks like markup arrives escaped, and comes out as text.
    """

    def __init__(self, mentions: Mapping[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.mentions = mentions
        self.parts: list[str] = []
        self._paragraphs = 0
        #: Inside a mention's link: its text is replaced by the full handle.
        self._in_mention = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href in self.mentions:
                self.parts.append(self.mentions[href])
                self._in_mention = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_mention = False

    def handle_data(self, data: str) -> None:
        if not self._in_mention:
            self.parts.append(data)


def reply_text(content: str, mentions: Mapping[str, str] | None = None) -> str:
    """The plain text of a status's HTML ``content``; ``mentions``: account URL -> ``@user@domain``."""
    parser = _ReplyText(mentions or {})
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()
