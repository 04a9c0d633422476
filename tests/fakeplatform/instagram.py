"""A fake Instagram professional account on the Graph API content publishing flow.

Containers move IN_PROGRESS → FINISHED as they are polled (after ``polls_until_finished`` polls)
and → PUBLISHED on ``media_publish``; a container is published at most once. Like Instagram, the
fake fetches ``image_url`` itself and refuses (code 9004, subcode 2207052) what it cannot fetch, what
is not served as ``image/jpeg`` and what is over 8 MB. It also plays the city's website: the files
of ``public_files`` are served on the same loopback server under ``/media/outreach/``. Published
media carry ``like_count`` and ``comments_count``; their insights (``reach``, ``views``) answer only a
token with instagram_manage_insights. Their comments, each with its replies (one level deep), are listed
by ``/{ig-media-id}/comments`` with cursor paging, only to a token with instagram_manage_comments.
"""

from __future__ import annotations

import re
import secrets
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
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
)
from .server import json_response

#: Media insights Meta serves (``impressions`` was withdrawn in April 2025), and account insights.
MEDIA_METRICS = ("reach", "views", "likes", "comments", "shares", "saved", "total_interactions")
ACCOUNT_METRICS = ("reach", "views", "follower_count", "accounts_engaged", "total_interactions")

#: The fields of an IG Comment the fake knows; ``replies`` takes the same ones in braces.
COMMENT_FIELDS = ("id", "text", "timestamp", "username", "from", "replies", "like_count", "hidden", "parent_id")
_SUBFIELDS = re.compile(r"replies\{([^{}]*)\}")

CAPTION_LIMIT = 2200
HASHTAG_LIMIT = 30
#: Image specifications of POST /{ig-user-id}/media: JPEG, 8 MB at most.
MAX_IMAGE_BYTES = 8 * 2**20
SAMPLE_IMAGE = Path(__file__).parent.parent / "data" / "sample.jpg"

_STATUS_DETAIL = {
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "PUBLISHED": "Published: Media has been successfully published.",
    "ERROR": "Error: Media upload has failed with error code 2207001",
    "EXPIRED": "Expired: Media has not been published within 24 hours.",
}


class InstagramFake(GraphFake):
    channel_type = "instagram"
    create_path = VERSION + r"/\d+/media_publish"
    token_env = "INSTAGRAM_ACCESS_TOKEN"
    token = "EAAGfakeInstagramToken0123456789"
    rate_limit_code = 80002
    rate_limit_message = "There have been too many calls to this Instagram account. Wait a bit and try again."
    use_case = "instagram"

    ig_user_id = "17841400000000001"
    username = "pemkot.bandarlampung"

    def __init__(self, server: Any) -> None:
        #: The city website's media folder: file name → (bytes, Content-Type it is served with).
        self.public_files: dict[str, tuple[bytes, str]] = {"sample.jpg": (SAMPLE_IMAGE.read_bytes(), "image/jpeg")}
        self.containers: dict[str, dict[str, Any]] = {}
        #: Published media in creation order.
        self.media: list[dict[str, Any]] = []
        #: A new container answers IN_PROGRESS to this many status polls, then FINISHED.
        self.polls_until_finished = 1
        #: What a container becomes after processing: FINISHED, or ERROR for an image Instagram cannot use.
        self.processing_result = "FINISHED"
        self.quota_usage = 0
        self.quota_total = 100
        #: How many times a token was refreshed (each refresh replaces ``token``).
        self.refreshes = 0
        #: Whether the token carries instagram_manage_insights.
        self.manage_insights = True
        #: Whether the token carries instagram_manage_comments.
        self.manage_comments = True
        super().__init__(server)

    @property
    def business_id(self) -> str:
        return self.ig_user_id

    @property
    def media_base_url(self) -> str:
        """Where the city website serves the images, on the fake's own loopback server."""
        return f"{self.server.url}/media/outreach"

    def publish_file(self, path: Path, content_type: str = "image/jpeg") -> None:
        """Put a file on the city website, as the office would copy it there."""
        self.public_files[path.name] = (path.read_bytes(), content_type)

    def channel_settings(self) -> dict[str, Any]:
        return {
            "type": "instagram",
            "base_url": self.server.url,
            "ig_user_id": self.ig_user_id,
            "public_media_base_url": self.media_base_url,
            "container_poll_interval": 0.01,
            "container_poll_timeout": 5.0,
        }

    def install(self) -> None:
        self.server.route("GET", r"/refresh_access_token", self._refresh_access_token)
        self.server.route("GET", r"/media/outreach/([^/]+)", self._website_file)
        self.server.route("HEAD", r"/media/outreach/([^/]+)", self._website_file)
        self.route("GET", r"/(\d+)/content_publishing_limit", self._publishing_limit)
        self.route("POST", r"/(\d+)/media", self._create_container)
        self.route("POST", r"/(\d+)/media_publish", self._publish)
        self.route("GET", r"/(\d+)/media", self._list_media)
        self.route("GET", r"/(\d+)/insights", self._insights)
        self.route("GET", r"/(\d+)/comments", self._comments)
        self.route("GET", r"/(\d+)", self._node)

    def engage(
        self, media_id: str, *, likes: int = 0, comments: int = 0, insights: dict[str, int] | None = None
    ) -> None:
        """What people did with a media; ``insights=None``: too few viewers for Meta to show any."""
        with self.lock:
            media = next(media for media in self.media if media["id"] == media_id)
            media.update(like_count=likes, comments_count=comments, _insights=insights)

    def comment(
        self,
        media_id: str,
        text: str,
        written: datetime,
        *,
        username: str = "warga.kedaton",
        parent: str | None = None,
    ) -> str:
        """Someone comments on the media, or replies to comment ``parent`` (the account itself when
        ``username`` is its own). Returns the comment id."""
        with self.lock:
            media = next(media for media in self.media if media["id"] == media_id)
            comment_id = str(18000000000000000 + self.next_id())
            user_id = (
                self.ig_user_id if username == self.username else str(17841000000000000 + zlib.crc32(username.encode()))
            )
            record = {
                "id": comment_id,
                "text": text,
                "timestamp": graph_time(written),
                "username": username,
                "from": {"id": user_id, "username": username},
                "like_count": 0,
                "hidden": False,
                "_replies": [],
            }
            comments = media.setdefault("_comments", [])
            if parent is None:
                comments.append(record)
            else:
                next(comment for comment in comments if comment["id"] == parent)["_replies"].append(
                    {**record, "parent_id": parent}
                )
            return comment_id

    def _comments(self, request: Request, match: re.Match[str]) -> Response:
        """A media's top-level comments, newest first, each with the ``replies`` edge when asked for."""
        media_id = match.group(1)
        with self.lock:
            media = next((media for media in self.media if media["id"] == media_id), None)
            comments = list(reversed(media.get("_comments", []))) if media is not None else []
        if media is None:
            return self.not_found(media_id)
        if not self.manage_comments:
            return graph_error(10, "(#10) Application does not have permission for this action", status=403)
        spec = request.args.get("fields") or "id,text,timestamp"
        inner = _SUBFIELDS.search(spec)
        names = [name.strip() for name in _SUBFIELDS.sub("replies", spec).split(",")]
        reply_names = [name.strip() for name in inner.group(1).split(",")] if inner else ["id", "text", "timestamp"]
        for name in names + reply_names:
            if name not in COMMENT_FIELDS:
                return graph_error(100, f"(#100) Tried accessing nonexisting field ({name}) on node type (IGComment)")
        items = []
        for comment in comments:
            item = {name: comment[name] for name in names if name != "replies" and name in comment}
            if "replies" in names and comment["_replies"]:
                item["replies"] = {
                    "data": [
                        {name: reply[name] for name in reply_names if name in reply} for reply in comment["_replies"]
                    ]
                }
            items.append(item)
        return json_response(cursor_page(items, request, f"/{media_id}/comments"))

    def delete(self, media_id: str) -> None:
        """A person deleted the post in the Instagram app."""
        with self.lock:
            self.media = [media for media in self.media if media["id"] != media_id]

    def _insights(self, request: Request, match: re.Match[str]) -> Response:
        """Media or account insights: only with instagram_manage_insights, only metrics Meta serves."""
        object_id = match.group(1)
        with self.lock:
            media = next((media for media in self.media if media["id"] == object_id), None)
        if object_id != self.ig_user_id and media is None:
            return self.not_found(object_id)
        if not self.manage_insights:
            return missing_permission("instagram_manage_insights")
        served = ACCOUNT_METRICS if media is None else MEDIA_METRICS
        metrics = [name for name in request.args.get("metric", "").split(",") if name]
        for index, name in enumerate(metrics):
            if name not in served:
                return graph_error(
                    100, f"(#100) metric[{index}] must be one of the following values: " + ", ".join(served)
                )
        if media is None:
            return json_response(insights_answer(object_id, {}))
        if media.get("_insights", {}) is None:
            return graph_error(10, "(#10) Not enough viewers for the media to show insights")
        figures = media.get("_insights", {})
        return json_response(insights_answer(object_id, {name: figures[name] for name in metrics if name in figures}))

    def _refresh_access_token(self, request: Request, match: re.Match[str]) -> Response:
        """Instagram Login's refresh: unversioned, the token in the query; the new token replaces the old.

        https://developers.facebook.com/docs/instagram-platform/reference/refresh_access_token
        """
        if request.args.get("grant_type") != "ig_refresh_token":
            return graph_error(100, "Unsupported grant_type")
        refused = self.refuse_auth(request)
        if refused is not None:
            return refused
        with self.lock:
            self.token = "IGQfakeRefreshed" + secrets.token_hex(12)
            self.refreshes += 1
            return json_response({"access_token": self.token, "token_type": "bearer", "expires_in": 60 * 86400})

    def set_status(self, container_id: str, status: str) -> None:
        """Move a container to ``status`` (ERROR, EXPIRED, ...) as Instagram would."""
        with self.lock:
            self.containers[container_id]["status_code"] = status

    def _refuse_account(self, account: str, method: str = "get") -> Response | None:
        return None if account == self.ig_user_id else self.not_found(account, method)

    def _publishing_limit(self, request: Request, match: re.Match[str]) -> Response:
        refused = self._refuse_account(match.group(1))
        if refused is not None:
            return refused
        with self.lock:
            entry = {
                "quota_usage": self.quota_usage,
                "config": {"quota_total": self.quota_total, "quota_duration": 86400},
            }
        return json_response({"data": [only_fields(entry, request, ("quota_usage",))]})

    def _create_container(self, request: Request, match: re.Match[str]) -> Response:
        refused = self._refuse_account(match.group(1), "post")
        if refused is not None:
            return refused
        image_url = request.form.get("image_url")
        caption = request.form.get("caption", "")
        if not image_url:
            return graph_error(100, "(#100) The parameter image_url is required.")
        if not self._fetchable_jpeg(image_url):
            return graph_error(
                9004,
                "Only photo or video can be accepted as media type.",
                subcode=2207052,
                is_transient=False,
                user_message=f"The media could not be fetched from this URI: {image_url}. Please check the limitations.",
            )
        if len(caption) > CAPTION_LIMIT:
            return graph_error(100, f"(#100) Param caption must be at most {CAPTION_LIMIT} characters long.")
        if len(re.findall(r"(?<!\w)#\w+", caption)) > HASHTAG_LIMIT:
            return graph_error(100, f"(#100) The caption can contain at most {HASHTAG_LIMIT} hashtags.")
        with self.lock:
            container_id = str(17900000000000000 + self.next_id())
            self.containers[container_id] = {
                "id": container_id,
                "status_code": "IN_PROGRESS",
                "polls_left": self.polls_until_finished,
                "polls": 0,
                "image_url": image_url,
                "caption": caption,
                "alt_text": request.form.get("alt_text"),
            }
        return json_response({"id": container_id})

    def _website_file(self, request: Request, match: re.Match[str]) -> Response:
        served = self.public_files.get(match.group(1))
        if served is None:
            return Response("<h1>404 Not Found</h1>", status=404, content_type="text/html")
        content, content_type = served
        return Response(content, content_type=content_type)  # the server sends no body to HEAD

    @staticmethod
    def _fetchable_jpeg(image_url: str) -> bool:
        """Whether Instagram's fetch of ``image_url`` gets a JPEG of at most 8 MB."""
        if urlparse(image_url).scheme not in ("http", "https"):
            return False
        try:
            with requests.get(image_url, timeout=5, stream=True) as answer:
                content = answer.raw.read(MAX_IMAGE_BYTES + 1)
                content_type = answer.headers.get("Content-Type", "").split(";")[0].strip()
                return answer.status_code == 200 and content_type == "image/jpeg" and len(content) <= MAX_IMAGE_BYTES
        except requests.RequestException:
            return False

    def _publish(self, request: Request, match: re.Match[str]) -> Response:
        refused = self._refuse_account(match.group(1), "post")
        if refused is not None:
            return refused
        creation_id = request.form.get("creation_id")
        if not creation_id:
            return graph_error(100, "(#100) The parameter creation_id is required.")
        with self.lock:
            container = self.containers.get(creation_id)
            if container is None:
                return self.not_found(creation_id)
            if container["status_code"] == "EXPIRED":
                return graph_error(
                    -2,
                    "The media you are trying to access has expired. Please try to upload again.",
                    subcode=2207020,
                )
            if container["status_code"] != "FINISHED":
                return graph_error(
                    9007,
                    "Media ID is not available",
                    subcode=2207027,
                    user_message="The media is not ready for publishing, please wait for a moment",
                )
            if self.quota_usage >= self.quota_total:
                return graph_error(
                    9,
                    "Application request limit reached",
                    subcode=2207042,
                    user_message="You reached maximum number of posts that is allowed to be published by "
                    "Content Publishing API.",
                )
            media_id = str(17950000000000000 + self.next_id())
            record = {
                "id": media_id,
                "caption": container["caption"],
                "alt_text": container["alt_text"],
                "image_url": container["image_url"],
                "container_id": creation_id,
                "media_type": "IMAGE",
                "permalink": f"https://www.instagram.com/p/{secrets.token_urlsafe(8)[:11]}/",
                "timestamp": graph_time(self.now()),
                "like_count": 0,
                "comments_count": 0,
                "_insights": {},
            }
            container["status_code"] = "PUBLISHED"
            self.media.append(record)
            self.created.append(record)
            self.quota_usage += 1
        return json_response({"id": media_id})

    def _list_media(self, request: Request, match: re.Match[str]) -> Response:
        refused = self._refuse_account(match.group(1))
        if refused is not None:
            return refused
        with self.lock:
            items = [only_fields(media, request) for media in reversed(self.media)]
        return json_response(cursor_page(items, request, f"/{self.ig_user_id}/media"))

    def _node(self, request: Request, match: re.Match[str]) -> Response:
        object_id = match.group(1)
        if object_id == self.ig_user_id:
            return json_response(only_fields({"id": self.ig_user_id, "username": self.username}, request))
        with self.lock:
            container = self.containers.get(object_id)
            if container is not None:
                container["polls"] += 1
                if container["status_code"] == "IN_PROGRESS":
                    if container["polls_left"] > 0:
                        container["polls_left"] -= 1
                    else:
                        container["status_code"] = self.processing_result
                answer = {**container, "status": _STATUS_DETAIL[container["status_code"]]}
                return json_response(only_fields(answer, request))
            media = next((media for media in self.media if media["id"] == object_id), None)
        if media is None:
            return self.not_found(object_id)
        return json_response(only_fields(media, request))


FAKE = InstagramFake
