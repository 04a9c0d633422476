"""Instagram channel: publishes an image post through the Graph API's content publishing flow.

Instagram fetches the image itself from a public URL, so the office must put the image files at
``public_media_base_url`` (e.g. a folder on the city website). Publishing takes two steps: create
a media *container*, then publish it. A container is published at most once, which makes its id
an idempotency key: the id is checkpointed before ``media_publish`` is sent, and every later
attempt (or ``reconcile``) first asks the container's status instead of creating another post.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import requests
from annotated_types import Gt, Le

from ..errors import AmbiguousError, ContentRejected, PermanentError, PublishError, RateLimited, ServerError
from ..i18n import N_, _
from ..model import IncomingReply, Post
from ..redaction import register_secret
from ..settings import Matches
from .base import (
    AccountIdentity,
    Capabilities,
    ChannelSettings,
    Checkpoint,
    Engagement,
    Outcome,
    OutgoingPost,
    PublishResult,
    Reconciliation,
    parse_timestamp,
)
from .graph import (
    GraphChannel,
    GraphErrors,
    GraphSettings,
    PublicBaseUrl,
    body_string,
    count,
    next_cursor,
    public_media_url,
)
from .http import HttpClient, ResponseTooLarge
from .instagram_token import KeptToken, TokenStateFile

log = logging.getLogger(__name__)

#: Facebook Login for Business flavour; with Instagram Login they are instagram_business_basic and
#: instagram_business_content_publish (Meta names whichever is missing in its error).
PERMISSIONS = ("instagram_basic", "instagram_content_publish", "pages_read_engagement")

#: Media insights read with instagram_manage_insights; ``impressions`` was withdrawn in April 2025 for ``views``.
MEDIA_INSIGHTS = {"reach": "reach", "views": "views"}
#: The media's own counts (field, figure); a count Meta leaves out stays absent, not 0.
_PUBLIC = (("like_count", "likes"), ("comments_count", "replies"))

#: A comment's fields, with its replies (Instagram threads are one level deep).
COMMENT_FIELDS = "id,text,timestamp,username,from,replies{id,text,timestamp,username,from}"
#: Top-level comments asked for per page (Meta's most is 50), and pages at most per post.
COMMENTS_PER_PAGE = 50
COMMENT_PAGES = 20

_HASHTAG = re.compile(r"(?<!\w)#\w+")

#: Instagram's image specifications (POST /{ig-user-id}/media, "Image Specifications"): JPEG, at most
#: 8 MB, aspect ratio from 4:5 to 1.91:1 (width and height outside 320–1440 px wide are scaled, not refused).
MAX_IMAGE_BYTES = 8 * 2**20
ASPECT_RATIOS = (4 / 5, 1.91)

#: Where Instagram Login tokens are used (https://developers.facebook.com/docs/instagram-platform/reference/access_token).
INSTAGRAM_LOGIN_BASE_URL = "https://graph.instagram.com"
#: An Instagram Login token lasts 60 days and can be refreshed once it is 24 hours old
#: (https://developers.facebook.com/docs/instagram-platform/reference/refresh_access_token). Outreach
#: refreshes it when fewer than this many days remain: early enough that a daemon stopped for a
#: week or a failed refresh still leaves days to try again, late enough not to call Meta every run.
REFRESH_WHEN_LEFT = timedelta(days=10)
#: Meta refuses to refresh a token younger than this.
MINIMUM_TOKEN_AGE = timedelta(hours=24)

#: Container statuses from which the container may still be published, and from which it never will.
_PENDING = ("IN_PROGRESS", "FINISHED")
_DEAD = ("ERROR", "EXPIRED")


@dataclass(frozen=True, kw_only=True)
class InstagramSettings(GraphSettings):
    type: Literal["instagram"]
    #: The Instagram professional account's id.
    ig_user_id: Annotated[str, Matches(r"^\d+$")]
    access_token_env: str = "INSTAGRAM_ACCESS_TOKEN"
    #: Public folder holding the image files; Instagram fetches <base>/<file name>.
    public_media_base_url: PublicBaseUrl
    container_poll_interval: Annotated[float, Gt(0), Le(30)] = 2.0
    #: Stop waiting for a container after this long; the next attempt resumes it.
    container_poll_timeout: Annotated[float, Gt(0)] = 30.0
    #: Seconds to wait when the rolling 24-hour publishing quota is used up (Meta gives no reset time).
    quota_retry_after: Annotated[float, Gt(0)] = 3600.0
    #: Override Instagram's hashtag limit.
    max_hashtags: Annotated[int, Gt(0)] | None = None
    #: Pages of 25 recent media searched for a published caption.
    media_lookup_pages: Annotated[int, Gt(0)] = 4
    #: How the token was issued: Facebook Login for Business (a Page token, on graph.facebook.com) or Instagram
    #: Login (a 60-day token on graph.instagram.com, which outreach refreshes).
    login: Literal["facebook", "instagram"] = "facebook"
    #: With login = 'instagram': where the refreshed token is kept (owner-only file); one per channel.
    token_state_file: Path = Path("var/instagram-token.json")

    def default_base_url(self) -> str:
        """Instagram Login tokens work on graph.instagram.com, so that is the default host for them."""
        return INSTAGRAM_LOGIN_BASE_URL if self.login == "instagram" else super().default_base_url()


class InstagramChannel(GraphChannel):
    platform = "instagram"
    settings_model = InstagramSettings
    settings: InstagramSettings
    permissions = PERMISSIONS
    insights_metrics = MEDIA_INSIGHTS
    public_figures = N_("likes and comments")

    @classmethod
    def capabilities_for(cls, settings: ChannelSettings) -> Capabilities:
        assert isinstance(settings, InstagramSettings)
        capabilities = super().capabilities_for(settings)
        if settings.max_hashtags is not None:
            capabilities = replace(capabilities, max_hashtags=settings.max_hashtags)
        return capabilities

    def quota_retry_after(self) -> float | None:
        return self.settings.quota_retry_after

    @property
    def _token_state(self) -> TokenStateFile:
        return TokenStateFile(self.settings.token_state_file)

    def access_token(self) -> str:
        """With Instagram Login, the kept token (refreshed first when fewer than 10 days remain);
        else the token from the environment."""
        env_token = self.secret("access_token")
        if self.settings.login != "instagram":
            return env_token
        now = self.wall_clock.now()
        kept = self._token_state.load(env_token)
        if kept is None:
            kept = KeptToken(env_token, obtained_at=now, expires_at=None)
            self._token_state.save(env_token, kept)
        refresh_due = kept.expires_at is None or kept.expires_at - now < REFRESH_WHEN_LEFT
        if refresh_due and now - kept.obtained_at >= MINIMUM_TOKEN_AGE:
            kept = self._refresh(env_token, kept, now) or kept
        return kept.access_token

    def _refresh(self, env_token: str, kept: KeptToken, now: datetime) -> KeptToken | None:
        """A fresh 60-day token from Meta, kept in the state file; None (with a warning) when Meta
        refuses or cannot be reached: the current token goes on working until it expires."""
        settings = self.settings
        assert settings.base_url is not None
        errors = GraphErrors(self.name, self.permissions, settings.rate_limit_retry_after)
        client = self.new_http_client(settings.base_url.rstrip("/"), classify=errors.classify)
        try:
            # The token goes in the query, as Meta documents for this endpoint; it is a registered secret.
            params = {"grant_type": "ig_refresh_token", "access_token": kept.access_token}
            body: Any = client.request("GET", "refresh_access_token", params=params).body
        except PublishError as error:
            log.warning("%s: could not refresh the Instagram token, still using the current one: %s", self.name, error)
            return None
        finally:
            client.close()
        token, lifetime = body_string(body, "access_token"), body.get("expires_in") if isinstance(body, dict) else None
        if token is None or not isinstance(lifetime, int) or isinstance(lifetime, bool):
            log.warning("%s: Meta answered the token refresh without a token and its lifetime", self.name)
            return None
        register_secret(token)
        refreshed = KeptToken(token, obtained_at=now, expires_at=now + timedelta(seconds=lifetime))
        self._token_state.save(env_token, refreshed)
        log.info("%s: Instagram token refreshed; it now expires %s", self.name, refreshed.expires_at)
        return refreshed

    def token_expires_at(self) -> datetime | None:
        """The kept Instagram Login token's expiry; None for Facebook Login or before the first refresh."""
        env_token = self._environ.get(self.settings.access_token_env, "")
        if self.settings.login != "instagram" or not env_token:
            return None
        kept = self._token_state.load(env_token)
        return kept.expires_at if kept else None

    @property
    def _user(self) -> str:
        return self.settings.ig_user_id

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        self._refuse_before_sending(post)
        container = post.channel_state.get("container_id")
        if container:
            status = self._status(str(container))[0]
            if status == "PUBLISHED":
                return self._published(post, str(container))
            if status not in _DEAD:
                return self._wait_and_publish(post, str(container), checkpoint)
            # That container can never be published: start over with a new one.
        self.refuse_when_near_throttle()
        self._refuse_when_quota_used_up()
        container = self._create_container(post)
        checkpoint({"container_id": container})
        return self._wait_and_publish(post, container, checkpoint)

    def _refuse_before_sending(self, post: OutgoingPost) -> None:
        """What Instagram would refuse and Channel.publish does not check: hashtags.

        The image's format (JPEG only) is in the platform's capabilities, checked by Channel.publish.
        """
        limit = self.capabilities.max_hashtags
        hashtags = len(_HASHTAG.findall(post.text))
        if limit is not None and hashtags > limit:
            raise ContentRejected(
                _("{name}: {count} hashtags, Instagram allows {limit}").format(
                    name=self.name, count=hashtags, limit=limit
                )
            )

    def _refuse_when_quota_used_up(self) -> None:
        """RateLimited before a container is made when the rolling 24-hour quota is spent."""
        usage, total = self._quota()
        if usage is not None and total is not None and usage >= total:
            wait = self.settings.quota_retry_after
            raise RateLimited(
                _("{name}: Instagram publishing quota used up ({usage}/{total} in 24 h); retry in {seconds} s").format(
                    name=self.name, usage=usage, total=total, seconds=f"{wait:g}"
                ),
                retry_after=wait,
            )

    def _quota(self) -> tuple[int | None, int | None]:
        """(posts used, posts allowed) in the rolling 24 h; None for what Meta did not say.

        An unreadable answer does not block publishing: media_publish enforces the quota anyway.
        """
        body = self.http.request(
            "GET", f"{self._user}/content_publishing_limit", params={"fields": "quota_usage,config"}
        ).body
        data = body.get("data") if isinstance(body, dict) else None
        entry = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        config = entry.get("config")
        config = config if isinstance(config, dict) else {}
        usage, total = entry.get("quota_usage"), config.get("quota_total")
        if not isinstance(usage, int) or not isinstance(total, int):
            log.warning("%s: could not read the publishing quota from Meta's answer", self.name)
            return (usage if isinstance(usage, int) else None, total if isinstance(total, int) else None)
        return usage, total

    def _create_container(self, post: OutgoingPost) -> str:
        assert post.image is not None
        data = {
            "image_url": public_media_url(self.settings.public_media_base_url, post.image.name),
            "caption": post.text,
        }
        if post.alt_text:
            data["alt_text"] = post.alt_text
        # A container is not a post: creating a second one after a lost answer is harmless.
        body = self.http.request("POST", f"{self._user}/media", data=data, idempotent=True).body
        container = body_string(body, "id")
        if container is None:
            raise ServerError(
                _("{name}: Instagram created no media container (no id in its answer)").format(name=self.name)
            )
        return container

    def _status(self, container: str) -> tuple[str, str]:
        """The container's ``status_code`` and Meta's ``status`` detail."""
        body = self.http.request("GET", container, params={"fields": "status_code,status"}).body
        status = body_string(body, "status_code")
        if status is None:
            raise ServerError(
                _("{name}: Instagram gave no status for media container {container}").format(
                    name=self.name, container=container
                )
            )
        return status, body_string(body, "status") or ""

    def _wait_and_publish(self, post: OutgoingPost, container: str, checkpoint: Checkpoint) -> PublishResult:
        """Poll until the container is FINISHED, then publish it; a published container is a result."""
        deadline = time.monotonic() + self.settings.container_poll_timeout
        while True:
            status, detail = self._status(container)
            if status == "FINISHED":
                return self._publish(post, container, checkpoint)
            if status == "PUBLISHED":
                return self._published(post, container)
            if status == "ERROR":
                assert post.image is not None
                raise ContentRejected(
                    _("{name}: Instagram could not process the image {image} fetched from {base}: {detail}").format(
                        name=self.name,
                        image=post.image.name,
                        base=self.settings.public_media_base_url,
                        detail=detail or _("no detail"),
                    )
                )
            if status == "EXPIRED":
                raise ServerError(
                    _("{name}: media container {container} expired; the next attempt makes a new one").format(
                        name=self.name, container=container
                    )
                )
            if status != "IN_PROGRESS":
                raise ServerError(
                    _("{name}: media container {container} has unexpected status {status}").format(
                        name=self.name, container=container, status=status
                    )
                )
            if time.monotonic() + self.settings.container_poll_interval > deadline:
                raise ServerError(
                    _(
                        "{name}: media container {container} still IN_PROGRESS after {seconds} s; "
                        "the next attempt resumes it"
                    ).format(name=self.name, container=container, seconds=f"{self.settings.container_poll_timeout:g}")
                )
            time.sleep(self.settings.container_poll_interval)

    def _publish(self, post: OutgoingPost, container: str, checkpoint: Checkpoint) -> PublishResult:
        body = self.http.request("POST", f"{self._user}/media_publish", data={"creation_id": container}).body
        media = body_string(body, "id")
        if media is None:
            raise AmbiguousError(
                _("{name}: Instagram answered media_publish without an id; it may have been posted").format(
                    name=self.name
                )
            )
        checkpoint({"container_id": container, "media_id": media})
        return PublishResult(remote_id=media, url=self._permalink(media))

    def _permalink(self, media: str) -> str | None:
        """The post's public URL; None when Meta cannot say (the post is out either way)."""
        try:
            body = self.http.request("GET", media, params={"fields": "permalink"}).body
        except PublishError:
            return None
        return body_string(body, "permalink")

    def _published(self, post: OutgoingPost, container: str) -> PublishResult:
        """The result for a container whose status is PUBLISHED: the checkpointed or found media."""
        media = post.channel_state.get("media_id")
        if media:
            return PublishResult(remote_id=str(media), url=self._permalink(str(media)))
        try:
            found = self._find_by_caption(post.text)
        except PermanentError:
            found = None
        # Published for certain; when the media cannot be found, the container id stands in.
        return found or PublishResult(remote_id=container)

    def _find_by_caption(self, caption: str) -> PublishResult | None:
        after: str | None = None
        for _page in range(self.settings.media_lookup_pages):
            params = {"fields": "id,permalink,caption", "limit": "25"}
            if after:
                params["after"] = after
            body = self.http.request("GET", f"{self._user}/media", params=params).body
            data = body.get("data") if isinstance(body, dict) else None
            for item in data if isinstance(data, list) else []:
                if isinstance(item, dict) and item.get("caption") == caption and body_string(item, "id"):
                    return PublishResult(remote_id=str(item["id"]), url=body_string(item, "permalink"))
            after = next_cursor(body)
            if after is None:
                return None
        return None

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        """The checkpointed container's status proves the outcome.

        No container recorded: media_publish was never sent (the id is checkpointed first).
        PUBLISHED: out, exactly once. Any other status: media_publish did not take effect, and
        because a container is published at most once, a later attempt cannot post it twice.
        """
        container = post.channel_state.get("container_id")
        if not container:
            return Reconciliation(
                Outcome.NOT_PUBLISHED, detail=_("no media container was recorded, so nothing was published")
            )
        try:
            status, _detail = self._status(str(container))
        except PermanentError as error:  # transient failures propagate: reconcile is tried again later
            return Reconciliation(
                Outcome.CANNOT_TELL,
                detail=_("media container {container} cannot be read: {error}").format(
                    container=container, error=error
                ),
            )
        if status == "PUBLISHED":
            result = self._published(post, str(container))
            detail = _("media container {container} is PUBLISHED").format(container=container)
            if result.remote_id == str(container):
                detail += "; " + _("its media was not found among recent posts, the container id stands in")
            return Reconciliation(Outcome.PUBLISHED, result, detail=detail)
        if status not in (*_PENDING, *_DEAD):
            return Reconciliation(
                Outcome.CANNOT_TELL,
                detail=_("media container {container} has status {status}").format(container=container, status=status),
            )
        return Reconciliation(
            Outcome.NOT_PUBLISHED,
            detail=(
                _("media container {container} is {status}, not published; the next attempt publishes it")
                if status in _PENDING
                else _("media container {container} is {status}, not published; the next attempt makes a new one")
            ).format(container=container, status=status),
        )

    def engagement(self, post: Post) -> Engagement:
        """Likes and comments (replies); reach and views with the insights permission."""
        media, body = self.read_node(post, "like_count,comments_count")
        counts = {figure: value for field, figure in _PUBLIC if (value := count(body.get(field))) is not None}
        return Engagement({**counts, **self.insight_figures(media)})

    def replies(self, post: Post) -> list[IncomingReply]:
        """The media's comments and their replies; the account's own (its id or username) are the office's."""
        params = {"fields": COMMENT_FIELDS, "limit": str(COMMENTS_PER_PAGE)}
        comments = self.read_comments(post, params, COMMENT_PAGES)
        if not comments:
            return []
        assert post.remote_id is not None  # read_comments refuses a post without one
        found = []
        for comment in comments:
            found += self._reply(comment, post.remote_id, post.remote_url)
            replies = comment.get("replies")
            listed = replies.get("data") if isinstance(replies, dict) else None
            for reply in listed if isinstance(listed, list) else []:
                found += self._reply(reply, str(comment["id"]), post.remote_url)
        return found

    def _reply(self, item: Any, parent: str, url: str | None) -> list[IncomingReply]:
        """The comment or reply as outreach keeps it; none when Meta's entry is unreadable."""
        written = parse_timestamp(item.get("timestamp")) if isinstance(item, dict) else None
        remote_id = body_string(item, "id")
        if written is None or remote_id is None:
            return []
        author = item.get("from") if isinstance(item.get("from"), dict) else {}
        username = body_string(item, "username") or body_string(author, "username") or ""
        own = body_string(author, "id") == self._user or (username != "" and username == self._own_username)
        return [IncomingReply(remote_id, username, str(item.get("text") or ""), written, url, parent, own)]

    @cached_property
    def _own_username(self) -> str | None:
        """The account's username, to know its own comments when Meta gives no ``from``; asked once."""
        return body_string(self.http.request("GET", self._user, params={"fields": "username"}).body, "username")

    def comments_permissions(self) -> tuple[str, ...]:
        if self.settings.login == "instagram":
            return ("instagram_business_basic", "instagram_business_manage_comments")
        return ("instagram_basic", "instagram_manage_comments", "pages_read_engagement")

    def latest_post_id(self) -> str | None:
        body = self.http.request("GET", f"{self._user}/media", params={"fields": "id", "limit": "1"}).body
        data = body.get("data") if isinstance(body, dict) else None
        return body_string(data[0], "id") if isinstance(data, list) and data else None

    def insights_permission(self) -> str:
        return (
            "instagram_business_manage_insights" if self.settings.login == "instagram" else "instagram_manage_insights"
        )

    def insights_probe(self) -> tuple[str, dict[str, str]]:
        return f"{self._user}/insights", {"metric": "reach", "period": "day"}

    def check(self, images: Sequence[str] = ()) -> AccountIdentity:
        """The account's username and how much of the 24-hour publishing quota is used.

        ``images``: file names of planned posts' images; each must be served at
        ``public_media_base_url`` as Instagram takes it, or the check fails naming what is wrong.
        """
        problems = self.check_public_images(images)
        if problems:
            raise ContentRejected(f"{self.name}: " + "; ".join(problems))
        me = self.http.request("GET", self._user, params={"fields": "username"}).body
        username = body_string(me, "username") or "?"
        usage, total = self._quota()
        quota = _("{usage}/{total} used in 24 h").format(
            usage=usage if usage is not None else "?", total=total if total is not None else "?"
        )
        return AccountIdentity(
            handle=f"@{username}",
            detail=self.with_warnings(
                _("Instagram account {id}; {quota}; images fetched from {base}/").format(
                    id=self._user, quota=quota, base=self.settings.public_media_base_url
                )
            ),
        )

    def planned_image_problems(self, images: Sequence[Path]) -> list[str]:
        """Instagram fetches each image itself from ``public_media_base_url``: is every planned one there?"""
        return self.check_public_images(sorted({image.name for image in images}))

    def check_public_images(self, file_names: Sequence[str]) -> list[str]:
        """What Instagram would refuse fetching each image from ``public_media_base_url``; [] when all is well.

        Fetched from this machine without the token (the site is public): reachable with HTTP 200,
        served as ``image/jpeg``, at most 8 MB, a JPEG whose aspect ratio is between 4:5 and 1.91:1.
        Instagram's own fetch failing is the post's error 9004 (subcode 2207052), found only when posting.
        """
        if not file_names:
            return []
        client = self.new_http_client(self.settings.public_media_base_url)
        try:
            return [problem for name in file_names if (problem := self._public_image_problem(client, name))]
        finally:
            client.close()

    def _public_image_problem(self, client: HttpClient, file_name: str) -> str | None:
        """HEAD for the status, type and size; then the file's first bytes for its pixel size.

        Only the start of the file is asked for (``Range``), as the client reads no answer over
        4 MB and a JPEG states its size in its first markers.
        """
        url = public_media_url(self.settings.public_media_base_url, file_name)
        try:
            head = client.session.head(url, timeout=client.timeout, allow_redirects=True)
        except requests.RequestException as error:
            return _unfetchable(url, error)
        if head.status_code != 200:
            return _("{url} answers HTTP {status}; copy {file} there before it is posted").format(
                url=url, status=head.status_code, file=file_name
            )
        content_type = head.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "image/jpeg":
            return _("{url} is served as {type}; Instagram takes only image/jpeg").format(
                url=url, type=content_type or _("no type")
            )
        length = head.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_IMAGE_BYTES:
            return _("{url} is over Instagram's 8 MB").format(url=url)
        try:
            start = client.session.get(url, timeout=client.timeout, headers={"Range": "bytes=0-262143"}).content
        except ResponseTooLarge:
            return None  # the server ignored Range for a large file: the pixel size stays unchecked
        except requests.RequestException as error:
            return _unfetchable(url, error)
        from PIL import Image  # imported here: only this check needs it

        try:
            with Image.open(io.BytesIO(start)) as picture:
                image_format, (width, height) = picture.format, picture.size
        except (OSError, SyntaxError, ValueError):
            image_format, width, height = None, 0, 0
        if image_format not in ("JPEG", "MPO"):
            return _("{url} is not a JPEG image").format(url=url)
        if not ASPECT_RATIOS[0] <= width / height <= ASPECT_RATIOS[1]:
            return _("{url} is {width}×{height} px; Instagram takes aspect ratios from 4:5 to 1.91:1").format(
                url=url, width=width, height=height
            )
        return None


def _unfetchable(url: str, error: Exception) -> str:
    return _("{url} cannot be fetched ({kind}); Instagram could not fetch it either").format(
        url=url, kind=type(error).__name__
    )
