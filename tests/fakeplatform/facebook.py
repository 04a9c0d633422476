"""A fake Facebook Page on the Graph API: feed and photo posts, permalinks, published_posts, and each
post's engagement: reactions, comments (with replies) and shares by field expansion, views and reach
from ``/insights`` for a token with read_insights. Each post's comments are listed by ``/{post}/comments``
as Graph lists them: top-level only by default, every level with ``filter=stream`` (a reply carries its
``parent``), ``from`` left out for people who did not let the app see them, cursor paging, and refused
(code 10) to a token without pages_read_user_content."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from werkzeug import Request, Response

from .graph_common import (
    VERSION,
    GraphFake,
    cursor_page,
    graph_error,
    graph_time,
    insights_answer,
    missing_permission,
    only_fields,
    parse_fields,
    summary_edge,
    syntax_error,
)
from .server import json_response

#: Post insights Meta still serves, and the ones it withdrew for every version (an "invalid metric").
POST_METRICS = ("post_media_view", "post_total_media_view_unique", "post_clicks", "post_reactions_by_type_total")
WITHDRAWN_METRICS = ("post_impressions", "post_impressions_unique", "post_engaged_users")
#: The plain fields of a Post node the fake knows (what outreach asks for); any other name is refused.
POST_FIELDS = ("id", "message", "created_time", "permalink_url", "link")
#: The fields of a Comment node the fake knows.
COMMENT_FIELDS = ("id", "message", "created_time", "from", "parent", "permalink_url")
PAGE_METRICS = ("page_media_view", "page_total_media_view_unique", "page_follows", "page_post_engagements")

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8")


class FacebookFake(GraphFake):
    channel_type = "facebook"
    create_path = VERSION + r"/\d+/(feed|photos)"
    token_env = "FACEBOOK_PAGE_TOKEN"
    token = "EAAGfakePageToken0123456789abcdef"
    rate_limit_code = 32
    rate_limit_message = "(#32) Page request limit reached"
    use_case = "pages"

    page_id = "104857600123456"
    page_name = "Pemerintah Kota Bandar Lampung"

    def __init__(self, server: Any) -> None:
        #: Every post on the Page in creation order, including history seeded by tests.
        self.posts: list[dict[str, Any]] = []
        #: Facebook refuses a message identical to one already on the Page (code 506).
        self.reject_duplicates = True
        #: Whether the Page token carries read_insights (given by a person with the Analyse task).
        self.read_insights = True
        #: Whether the Page token carries pages_read_user_content (comments and their authors).
        self.read_user_content = True
        super().__init__(server)

    @property
    def business_id(self) -> str:
        return self.page_id

    def channel_settings(self) -> dict[str, Any]:
        return {"type": "facebook", "base_url": self.server.url, "page_id": self.page_id}

    def install(self) -> None:
        self.route("GET", r"/me", self._me)
        self.route("POST", r"/(\d+)/feed", self._feed)
        self.route("POST", r"/(\d+)/photos", self._photos)
        self.route("GET", r"/(\d+)/published_posts", self._published_posts)
        self.route("GET", r"/(\d+(?:_\d+)?)/insights", self._insights)
        self.route("GET", r"/(\d+_\d+)/comments", self._comments)
        self.route("GET", r"/(\d+(?:_\d+)?)", self._node)

    def engage(
        self,
        post_id: str,
        *,
        reactions: int = 0,
        comments: int = 0,
        replies: int = 0,
        shares: int = 0,
        insights: dict[str, int] | None = None,
    ) -> None:
        """What people did with a post: ``comments`` at the top level, ``replies`` under them, and the
        Page's insights (``post_media_view``, ...); without insights Meta has no figures yet."""
        with self.lock:
            post = next(post for post in self.posts if post["id"] == post_id)
            post["_engagement"] = {"reactions": reactions, "comments": comments, "replies": replies, "shares": shares}
            post["_insights"] = insights or {}

    def comment(
        self,
        post_id: str,
        message: str,
        written: datetime,
        *,
        author: tuple[str, str] | Literal["page"] | None = ("Warga Kedaton", "100089000000001"),
        parent: str | None = None,
    ) -> str:
        """Someone comments on the post, or replies to comment ``parent``: ``author`` is (name, id),
        ``"page"`` for the Page itself, None for a person Meta hides from the app. Returns the comment id."""
        with self.lock:
            post = next(post for post in self.posts if post["id"] == post_id)
            number = 700000000 + self.next_id()
            comment_id = f"{post_id.split('_')[1]}_{number}"
            if author == "page":
                author = (self.page_name, self.page_id)
            post.setdefault("_comments", []).append(
                {
                    "id": comment_id,
                    "message": message,
                    "created_time": graph_time(written),
                    "from": {"name": author[0], "id": author[1]} if author else None,
                    "parent": parent,
                    "permalink_url": f"{post['permalink_url']}?comment_id={number}",
                }
            )
            return comment_id

    def delete(self, post_id: str) -> None:
        """A person deleted the post on Facebook."""
        with self.lock:
            self.posts = [post for post in self.posts if post["id"] != post_id]

    def seed_post(self, message: str, created: datetime) -> dict[str, Any]:
        """A post already on the Page (made by a person, not through the API under test)."""
        with self.lock:
            record = self._record(message, created, kind="status")
            self.posts.append(record)
            return record

    def _record(self, message: str | None, created: datetime, kind: str) -> dict[str, Any]:
        number = 900000000 + self.next_id()
        post_id = f"{self.page_id}_{number}"
        return {
            "id": post_id,
            "message": message,
            "created_time": graph_time(created),
            "permalink_url": f"https://www.facebook.com/{self.page_id}/posts/{number}",
            "kind": kind,
        }

    def _me(self, request: Request, match: re.Match[str]) -> Response:
        return json_response(only_fields({"id": self.page_id, "name": self.page_name}, request, ("id", "name")))

    def _refuse_target(self, page: str) -> Response | None:
        if page != self.page_id:
            return self.not_found(page, method="post")
        return None

    def _refuse_duplicate(self, message: str | None) -> Response | None:
        if self.reject_duplicates and message and any(post["message"] == message for post in self.posts):
            return graph_error(506, "(#506) Duplicate status message")
        return None

    def _feed(self, request: Request, match: re.Match[str]) -> Response:
        refused = self._refuse_target(match.group(1))
        if refused is not None:
            return refused
        message, link = request.form.get("message"), request.form.get("link")
        if not message and not link:
            return graph_error(100, "(#100) Missing message or attachment")
        if link is not None and not re.match(r"https?://", link):
            return graph_error(100, "(#100) The link field is invalid")
        with self.lock:
            duplicate = self._refuse_duplicate(message)
            if duplicate is not None:
                return duplicate
            record = {**self._record(message, self.now(), kind="status"), "link": link}
            self.posts.append(record)
            self.created.append(record)
        return json_response({"id": record["id"]})

    def _photos(self, request: Request, match: re.Match[str]) -> Response:
        refused = self._refuse_target(match.group(1))
        if refused is not None:
            return refused
        caption = request.form.get("caption")
        upload = request.files.get("source")
        url = request.form.get("url")
        image: bytes | None = None
        if upload is not None:
            image = upload.read()
            if not image.startswith(_IMAGE_MAGIC):
                return graph_error(324, "(#324) Missing or invalid image file")
        elif url is not None:
            if not re.match(r"https?://[^/]+/.+", url):
                return graph_error(100, "(#100) url should represent a valid URL")
        else:
            return graph_error(324, "(#324) Requires upload file")
        with self.lock:
            duplicate = self._refuse_duplicate(caption)
            if duplicate is not None:
                return duplicate
            photo_id = str(800000000 + self.next_id())
            record = {
                **self._record(caption, self.now(), kind="photo"),
                "photo_id": photo_id,
                "image": image,
                "image_url": url,
                "upload_name": upload.filename if upload is not None else None,
            }
            self.posts.append(record)
            self.created.append(record)
        return json_response({"id": photo_id, "post_id": record["id"]})

    def _published_posts(self, request: Request, match: re.Match[str]) -> Response:
        if match.group(1) != self.page_id:
            return self.not_found(match.group(1))
        with self.lock:
            # Newest first; posts made within the same second keep their creation order, reversed.
            order = sorted(
                enumerate(self.posts),
                key=lambda pair: (datetime.fromisoformat(pair[1]["created_time"]), pair[0]),
                reverse=True,
            )
            newest_first = [post for _, post in order]
        items = [only_fields(post, request) for post in newest_first]
        return json_response(cursor_page(items, request, f"/{self.page_id}/published_posts"))

    def _node(self, request: Request, match: re.Match[str]) -> Response:
        object_id = match.group(1)
        if object_id == self.page_id:
            return self._me(request, match)
        with self.lock:
            post = next((post for post in self.posts if post["id"] == object_id), None)
        if post is None:
            return self.not_found(object_id)
        fields = parse_fields(request.args.get("fields") or "id")
        if fields is None:
            return syntax_error(request.args.get("fields", ""))
        answer = {"id": post["id"]}  # Graph names the node in every answer
        for name, modifiers in fields:
            if name in ("reactions", "comments", "shares"):
                answer.update(self._engagement_field(post, name, modifiers))
            elif name in POST_FIELDS:
                if post.get(name) is not None:
                    answer[name] = post[name]
            else:
                return graph_error(100, f"(#100) Tried accessing nonexisting field ({name}) on node type (Post)")
        return json_response(answer)

    @staticmethod
    def _engagement_field(post: dict[str, Any], name: str, modifiers: dict[str, str]) -> dict[str, Any]:
        """``reactions`` and ``comments`` as edges with their summary; ``shares`` only once someone shared."""
        counts = post.get("_engagement", {"reactions": 0, "comments": 0, "replies": 0, "shares": 0})
        if name == "shares":
            return {"shares": {"count": counts["shares"]}} if counts["shares"] else {}
        if name == "reactions":
            return {"reactions": summary_edge(post["id"], counts["reactions"], modifiers, {"viewer_reaction": "NONE"})}
        # The default filter counts top-level comments only; ``filter(stream)`` counts the replies too.
        total = counts["comments"] + (counts["replies"] if modifiers.get("filter") == "stream" else 0)
        extra = {"order": "chronological" if modifiers.get("filter") == "stream" else "ranked", "can_comment": True}
        return {"comments": summary_edge(post["id"], total, modifiers, extra)}

    def _comments(self, request: Request, match: re.Match[str]) -> Response:
        """A post's comments: ``filter`` toplevel (the default) or stream, ``order``, ``fields``, cursor paging."""
        post_id = match.group(1)
        with self.lock:
            post = next((post for post in self.posts if post["id"] == post_id), None)
            comments = list(post.get("_comments", [])) if post is not None else []
        if post is None:
            return self.not_found(post_id)
        if not self.read_user_content:
            return graph_error(
                10,
                "(#10) This endpoint requires the 'pages_read_user_content' permission or the 'Page Public Content "
                "Access' feature. Refer to https://developers.facebook.com/docs/apps/review/login-permissions"
                "#manage-pages and https://developers.facebook.com/docs/apps/review/feature#reference-PAGES_ACCESS "
                "for details.",
                status=403,
            )
        fields = parse_fields(request.args.get("fields") or "id,message,created_time")
        if fields is None:
            return syntax_error(request.args.get("fields", ""))
        for name, _modifiers in fields:
            if name not in COMMENT_FIELDS:
                return graph_error(100, f"(#100) Tried accessing nonexisting field ({name}) on node type (Comment)")
        stream = request.args.get("filter", "toplevel") == "stream"
        listed = [comment for comment in comments if stream or comment["parent"] is None]
        if request.args.get("order") == "reverse_chronological":
            listed.reverse()
        items = []
        for comment in listed:
            item = {}
            for name, _modifiers in fields:
                if name == "parent":
                    if comment["parent"] is not None:
                        item["parent"] = {"id": comment["parent"]}
                elif comment.get(name) is not None:
                    item[name] = comment[name]
            items.append(item)
        return json_response(cursor_page(items, request, f"/{post_id}/comments"))

    def _insights(self, request: Request, match: re.Match[str]) -> Response:
        """Page or post insights: only with read_insights, only metrics Meta still serves."""
        object_id = match.group(1)
        with self.lock:
            post = next((post for post in self.posts if post["id"] == object_id), None)
        if object_id != self.page_id and post is None:
            return self.not_found(object_id)
        if not self.read_insights:
            return missing_permission("read_insights")
        metrics = [name for name in request.args.get("metric", "").split(",") if name]
        if not metrics:
            return graph_error(
                3001,
                "Invalid query",
                subcode=1504028,
                user_message="No metric was specified to be fetched. Please specify one or more metrics to be "
                "fetched and try again.",
            )
        served = PAGE_METRICS if post is None else POST_METRICS
        if any(name not in served or name in WITHDRAWN_METRICS for name in metrics):
            return graph_error(100, "(#100) The value must be a valid insights metric")
        figures = {} if post is None else post.get("_insights", {})
        return json_response(insights_answer(object_id, {name: figures[name] for name in metrics if name in figures}))


FAKE = FacebookFake
