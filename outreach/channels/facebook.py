"""Facebook Page channel: posts to a city Page through the Graph API.

Facebook has no idempotency key, so a post interrupted mid-request can only be found again by
reading the Page's published posts and matching the exact message. The stretch of the Page's
history to read starts at the post's first attempt (``OutgoingPost.first_attempt_at``, recorded by
the publisher); the adapter checkpoints when its latest attempt started, before it sends, so that
reconcile leaves a request that may still be in flight time to land.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from annotated_types import Ge, Gt

from ..errors import AmbiguousError, AuthError, PermanentError, PublishError
from ..i18n import N_, _
from ..model import IncomingReply, Post
from ..settings import Matches
from .base import (
    CLOCK_SKEW,
    AccountIdentity,
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
    GraphSettings,
    PublicBaseUrl,
    body_string,
    count,
    next_cursor,
    public_media_url,
)

#: Page posts the token must be allowed to make and read (reading is what reconcile needs).
PERMISSIONS = ("pages_manage_posts", "pages_read_engagement")

#: A post's public figures in one call: the reactions' and comments' totals without the items
#: (``limit(0)``), comments with their replies (``filter(stream)``, the count the Page shows), and
#: ``shares``, which Graph leaves out of the answer while nobody has shared the post.
ENGAGEMENT_FIELDS = (
    "reactions.summary(total_count).limit(0),comments.filter(stream).summary(total_count).limit(0),shares"
)
#: A comment's fields: ``from`` is left out by Meta for a person who has not let the app see them, and
#: ``parent`` is there only for a reply to another comment.
COMMENT_FIELDS = "id,message,created_time,from,parent{id},permalink_url"
#: Comments asked for per page (Meta's most), and pages at most per post: 1,000 comments, far more than
#: a city post gets, and a bound on the calls one post may cost.
COMMENTS_PER_PAGE = 100
COMMENT_PAGES = 10
#: Reading comments with their authors needs both (https://developers.facebook.com/docs/graph-api/reference/object/comments).
COMMENT_PERMISSIONS = ("pages_read_engagement", "pages_read_user_content")

#: The post insights read with read_insights. Meta withdrew ``post_impressions`` and
#: ``post_impressions_unique`` for every version in 2025–2026 (it answers "invalid metric"); these replace them.
POST_INSIGHTS = {"post_media_view": "views", "post_total_media_view_unique": "reach"}


@dataclass(frozen=True, kw_only=True)
class FacebookSettings(GraphSettings):
    type: Literal["facebook"]
    #: The numeric id of the Page.
    page_id: Annotated[str, Matches(r"^\d+$")]
    access_token_env: str = "FACEBOOK_PAGE_TOKEN"
    #: When set, photos are posted by URL (base + file name) instead of uploaded.
    public_media_base_url: PublicBaseUrl | None = None
    #: Pages of 25 published posts reconcile reads at most.
    reconcile_pages: Annotated[int, Gt(0)] = 4
    #: A post missing this soon after an attempt may still be in flight: reconcile cannot tell yet.
    reconcile_settle_seconds: Annotated[float, Ge(0)] = 120.0


@dataclass(frozen=True)
class _ListedPost:
    id: str
    message: str | None
    created: datetime


class FacebookChannel(GraphChannel):
    platform = "facebook"
    settings_model = FacebookSettings
    settings: FacebookSettings
    permissions = PERMISSIONS
    insights_metrics = POST_INSIGHTS
    public_figures = N_("reactions, comments and shares")

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        self.refuse_when_near_throttle()
        # Reconcile waits until the latest attempt has had time to land before it says "not published".
        checkpoint({"last_attempt_at": self.clock.now().isoformat()})
        page = self.settings.page_id
        if post.image is None:
            data = {"message": post.text}
            if post.link:
                data["link"] = post.link
            body = self.http.request("POST", f"{page}/feed", data=data).body
            post_id = body_string(body, "id")
        else:
            body = self._post_photo(post)
            # The photo's feed story is the post people see; its id is post_id.
            post_id = body_string(body, "post_id") or body_string(body, "id")
        if post_id is None:
            raise AmbiguousError(
                _("{name}: Facebook answered without a post id; it may have been posted").format(name=self.name)
            )
        return PublishResult(remote_id=post_id, url=self._permalink(post_id))

    def _post_photo(self, post: OutgoingPost) -> Any:
        assert post.image is not None
        path = f"{self.settings.page_id}/photos"
        data = {"caption": post.text}
        if self.settings.public_media_base_url:
            data["url"] = public_media_url(self.settings.public_media_base_url, post.image.name)
            return self.http.request("POST", path, data=data).body
        image = self.read_image(post)
        files = {"source": (post.image.name, image.content, image.mime_type)}
        return self.http.request("POST", path, data=data, files=files).body

    def _permalink(self, post_id: str) -> str:
        """The post's public URL; the plain id URL when Meta cannot say (the post is out either way)."""
        try:
            body = self.http.request("GET", post_id, params={"fields": "permalink_url"}).body
        except PublishError:
            body = None
        return body_string(body, "permalink_url") or f"https://www.facebook.com/{post_id}"

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        """Look for the exact message among the Page's posts since the post's first attempt.

        NOT_PUBLISHED only when the listing reaches back past that moment (or to the Page's
        first post) and the last attempt is old enough not to be still in flight.
        """
        since = self._window_start(post)
        covered = False
        after: str | None = None
        for _page in range(self.settings.reconcile_pages):
            params = {"fields": "id,message,created_time", "limit": "25"}
            if after:
                params["after"] = after
            try:
                body = self.http.request("GET", f"{self.settings.page_id}/published_posts", params=params).body
            except PermanentError as error:  # transient failures propagate: reconcile is tried again later
                return Reconciliation(
                    Outcome.CANNOT_TELL, detail=_("the Page's posts cannot be listed: {error}").format(error=error)
                )
            listed = _listed_posts(body)
            if listed is None:
                return Reconciliation(Outcome.CANNOT_TELL, detail=_("Meta's list of Page posts was malformed"))
            for item in listed:
                if item.created < since:
                    covered = True
                    break
                if item.message == post.text:
                    return Reconciliation(
                        Outcome.PUBLISHED,
                        PublishResult(remote_id=item.id, url=self._permalink(item.id)),
                        detail=_("found on the Page, created {time}").format(time=item.created.isoformat()),
                    )
            after = next_cursor(body)
            if covered or after is None:
                covered = True
                break
        if not covered:
            return Reconciliation(
                Outcome.CANNOT_TELL,
                detail=_("not among the last {count} Page posts, which do not reach back to {since}").format(
                    count=self.settings.reconcile_pages * 25, since=since.isoformat()
                ),
            )
        last = parse_timestamp(post.channel_state.get("last_attempt_at"))
        settle = timedelta(seconds=self.settings.reconcile_settle_seconds)
        if last is not None and self.clock.now() - last < settle:
            return Reconciliation(
                Outcome.CANNOT_TELL,
                detail=_(
                    "not on the Page yet, but the last attempt was under {seconds} s ago and may still be processed"
                ).format(seconds=f"{settle.total_seconds():g}"),
            )
        return Reconciliation(
            Outcome.NOT_PUBLISHED,
            detail=_("no Page post with this exact message since {since}").format(since=since.isoformat()),
        )

    def _window_start(self, post: OutgoingPost) -> datetime:
        """The earliest moment an attempt of this post could have been published."""
        first = post.first_attempt_at
        start = post.scheduled_at if first is None else min(post.scheduled_at, first)
        return start - CLOCK_SKEW

    def engagement(self, post: Post) -> Engagement:
        """Reactions (likes), comments (replies) and shares (reposts); views and reach with read_insights."""
        post_id, body = self.read_node(post, ENGAGEMENT_FIELDS)
        counts: dict[str, int] = {}
        for field, figure in (("reactions", "likes"), ("comments", "replies")):
            edge = body.get(field)
            summary = edge.get("summary") if isinstance(edge, dict) else None
            total = count(summary.get("total_count")) if isinstance(summary, dict) else None
            if total is not None:
                counts[figure] = total
        shares = body.get("shares")
        shared = count(shares.get("count")) if isinstance(shares, dict) else None
        if shares is None or shared is not None:
            counts["reposts"] = shared or 0
        return Engagement({**counts, **self.insight_figures(post_id)})

    def replies(self, post: Post) -> list[IncomingReply]:
        """The post's comments and the replies under them (``filter=stream``: every level, oldest first).

        A comment without ``from`` (Meta hides people who have not let the app see them) is kept with
        no author; the Page's own comments (``from.id`` is the Page) are the office's answers.
        """
        params = {"fields": COMMENT_FIELDS, "filter": "stream", "order": "chronological"}
        comments = self.read_comments(post, {**params, "limit": str(COMMENTS_PER_PAGE)}, COMMENT_PAGES)
        assert post.remote_id is not None  # read_comments refuses a post without one
        found = []
        for item in comments or []:
            written = parse_timestamp(item.get("created_time"))
            if written is None:
                continue
            author = item.get("from") if isinstance(item.get("from"), dict) else {}
            parent = item.get("parent")
            found.append(
                IncomingReply(
                    remote_id=str(item["id"]),
                    author=body_string(author, "name") or "",
                    text=str(item.get("message") or ""),
                    written_at=written,
                    url=body_string(item, "permalink_url"),
                    parent_id=body_string(parent, "id") or post.remote_id,
                    from_office=body_string(author, "id") == self.settings.page_id,
                )
            )
        return found

    def comments_permissions(self) -> tuple[str, ...]:
        return COMMENT_PERMISSIONS

    def latest_post_id(self) -> str | None:
        body = self.http.request(
            "GET", f"{self.settings.page_id}/published_posts", params={"fields": "id", "limit": "1"}
        ).body
        data = body.get("data") if isinstance(body, dict) else None
        return body_string(data[0], "id") if isinstance(data, list) and data else None

    def insights_permission(self) -> str:
        return "read_insights"

    def insights_probe(self) -> tuple[str, dict[str, str]]:
        return f"{self.settings.page_id}/insights", {"metric": "page_media_view", "period": "day"}

    def check(self) -> AccountIdentity:
        """Confirm the token is this Page's and can read its posts (what reconcile needs).

        Whether the token may *post* (pages_manage_posts, the CREATE_CONTENT task) cannot be read
        with a Page token without passing the token in a URL (``debug_token``); the first post
        reports a missing posting permission by name.
        """
        me = self.http.request("GET", "me", params={"fields": "id,name"}).body
        page_id, name = body_string(me, "id"), body_string(me, "name") or "?"
        if page_id != self.settings.page_id:
            raise AuthError(
                _(
                    "{name}: the token belongs to '{owner}' (id {id}), not Page {page}; use that Page's access token"
                ).format(name=self.name, owner=name, id=page_id, page=self.settings.page_id)
            )
        self.http.request("GET", f"{self.settings.page_id}/published_posts", params={"fields": "id", "limit": "1"})
        return AccountIdentity(
            handle=name,
            detail=self.with_warnings(
                _(
                    "Page {id}; reading published posts works (reconcile); posting permission "
                    "pages_manage_posts is confirmed by the first post"
                ).format(id=page_id)
            ),
        )


def _listed_posts(body: Any) -> list[_ListedPost] | None:
    """The posts of one published_posts page, newest first; None when any entry is unreadable."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    posts = []
    for item in data:
        created = parse_timestamp(item.get("created_time")) if isinstance(item, dict) else None
        if created is None or not item.get("id"):
            return None
        posts.append(_ListedPost(str(item["id"]), item.get("message"), created))
    return posts
