"""A fake Mastodon instance: statuses with Idempotency-Key, media processing, rate-limit headers.

Faithful to the parts outreach relies on: ``POST /api/v1/statuses`` (form or JSON) answers a
repeated ``Idempotency-Key`` of the same account with the original status for an hour, creating
nothing; ``POST /api/v2/media`` answers 202 while the image is processed and ``GET /api/v1/media/:id``
answers 206 until it is ready; statuses carry Mastodon-style HTML ``content``; every answer carries
``X-RateLimit-Limit/Remaining/Reset`` (Reset in ISO 8601); errors are ``{"error": "..."}``.
``GET /api/v1/statuses/:id`` shows a status with its ``favourites_count``, ``reblogs_count`` and
``replies_count`` (public without a token; a private one, or a deleted one, is 404 "Record not found").
``GET /api/v1/statuses/:id/context`` lists a status's ``descendants`` (replies at any depth) in
thread order, as Mastodon does: depth first, each branch oldest first, each with ``in_reply_to_id``,
``account`` (``acct`` without a domain for a local account), HTML ``content`` (mentions as h-cards,
what the author typed escaped), ``mentions``, ``visibility`` and ``url``; without a token at most 60
and only public and unlisted ones, with one up to 4,096 (Mastodon's ``CONTEXT_LIMIT``s); a deleted
status is 404 "Record not found", a token without ``read:statuses`` 403.
``GET /api/v2/instance`` states the instance's limits, and the instance enforces them as Mastodon's
``StatusLengthValidator`` counts (grapheme clusters; a URL with a scheme as ``characters_reserved_per_url``;
``@user@domain`` as ``@user``) and as its media validations do (size, type): 422 beyond them.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import re
import threading
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import regex
from twitter_text.extract_urls import extract_urls_with_indices
from werkzeug import Request, Response

from .base import PlatformFake
from .server import FakeServer, json_response

RATE_LIMIT = 300
#: Descendants a context lists at most: without a token, and with one (Mastodon's StatusesController).
CONTEXT_LIMIT_PUBLIC = 60
CONTEXT_LIMIT = 4096
_URL = re.compile(r"https?://[^\s<>\"]*[^\s<>\".,;:!?)\]'\"]")
_HASHTAG = re.compile(r"(?<![\w/#])#(\w+)")
_INLINE = re.compile(f"(?P<url>{_URL.pattern})|(?P<tag>{_HASHTAG.pattern})")
VISIBILITIES = ("public", "unlisted", "private", "direct")
#: Mastodon's Account::MENTION_RE: ``@user`` with an optional ``@domain``, not after a word character, ``=`` or ``/``.
_MENTION = regex.compile(r"(?<![=/\w])@((?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*))(?:@\w+(?:[.-]+\w+)*)?")


def iso(moment: datetime) -> str:
    """Mastodon's time format: ISO 8601 in UTC with a 'Z'."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class MastodonFake(PlatformFake):
    channel_type = "mastodon"
    create_path = "/api/v1/statuses"

    TOKEN = "mstdn-fake-Z3c9kQ2vLr8wXy41"
    ACCOUNT_ID = "109412345678901234"
    USERNAME = "kominfo_bdl"
    #: ``configuration.statuses.max_characters`` of this instance.
    max_characters = 500
    #: ``configuration.statuses.characters_reserved_per_url``: what each URL counts.
    characters_reserved_per_url = 23
    #: ``configuration.media_attachments``: the largest image in bytes, and the types it takes.
    image_size_limit = 16 * 1024 * 1024
    supported_mime_types: tuple[str, ...] = (
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/heic",
        "image/heif",
        "image/webp",
    )
    #: False: an instance older than Mastodon 4.0, without ``GET /api/v2/instance`` (404).
    states_limits = True
    #: How long the instance remembers an Idempotency-Key after it created the status.
    idempotency_ttl = 3600.0
    #: How many ``GET /api/v1/media/:id`` answer 206 (still processing) before the image is ready.
    processing_polls = 1
    #: The token's OAuth scopes; ``read`` covers every ``read:*``, ``write`` every ``write:*``.
    scopes = frozenset({"read", "write"})

    def __init__(self, server: FakeServer) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(113000000000000001)
        self.statuses: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}
        self._idempotency: dict[tuple[str, str], tuple[str, float]] = {}
        self._remaining = RATE_LIMIT
        super().__init__(server)

    # --- PlatformFake -------------------------------------------------------------------------

    def install(self) -> None:
        self.server.route("POST", r"/api/v1/statuses", self._post_status)
        self.server.route("POST", r"/api/v2/media", self._post_media)
        self.server.route("GET", r"/api/v1/media/(\w+)", self._get_media)
        self.server.route("GET", r"/api/v1/statuses/(\w+)/context", self._context)
        self.server.route("GET", r"/api/v1/statuses/(\w+)", self._get_status)
        self.server.route("GET", r"/api/v1/accounts/verify_credentials", self._verify_credentials)
        self.server.route("GET", r"/api/v1/accounts/(\w+)/statuses", self._account_statuses)
        self.server.route("GET", r"/api/v2/instance", self._instance)

    def channel_settings(self) -> dict[str, Any]:
        return {"type": "mastodon", "base_url": self.server.url, "media_poll_interval": 0.02}

    @property
    def environ(self) -> dict[str, str]:
        return {"MASTODON_ACCESS_TOKEN": self.TOKEN}

    def rate_limit_response(self, retry_after: int) -> Response:
        reset = datetime.now(UTC) + timedelta(seconds=retry_after)
        headers = {"X-RateLimit-Limit": str(RATE_LIMIT), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": iso(reset)}
        return json_response({"error": "Too many requests"}, status=429, headers=headers)

    def server_error_response(self) -> Response:
        return self._json({"error": "There was a temporary problem serving your request, please try again"}, 503)

    # --- test helpers -------------------------------------------------------------------------

    def forget_idempotency_keys(self) -> None:
        """As if the hour had passed: the instance no longer recognises any Idempotency-Key."""
        with self._lock:
            self._idempotency.clear()

    def engage(self, status_id: str, favourites: int = 0, reblogs: int = 0, replies: int = 0) -> None:
        """People favourited, boosted and replied to a status (added to what it had)."""
        with self._lock:
            status = self._status(status_id)
            status["favourites_count"] += favourites
            status["reblogs_count"] += reblogs
            status["replies_count"] += replies

    def delete_status(self, status_id: str) -> None:
        """The office deleted the status on the instance's web interface."""
        with self._lock:
            self.statuses.remove(self._status(status_id))

    def reply(
        self,
        to_id: str,
        text: str,
        acct: str = "warga@mastodon.social",
        *,
        visibility: str = "public",
        created_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Someone (``acct``; the office when it is ``USERNAME``) replied to a status, as a web client does:
        the text is rendered to HTML, ``@user@domain`` of a known account as a mention."""
        with self._lock:
            parent = self._status(to_id)
            status_id = str(next(self._ids))
            account = self._account() if acct == self.USERNAME else self._remote_account(acct)
            mentioned = [known for known in self._known_accounts() if f"@{known['acct']}" in text]
            status = {
                "id": status_id,
                "created_at": iso(created_at or datetime.now(UTC)),
                "in_reply_to_id": parent["id"],
                "in_reply_to_account_id": parent["account"]["id"],
                "sensitive": False,
                "spoiler_text": "",
                "visibility": visibility,
                "language": "id",
                "uri": f"{self.server.url}/users/{account['username']}/statuses/{status_id}",
                "url": f"{account['url']}/{status_id}",
                "content": self._render(text, mentioned),
                "account": account,
                "mentions": [
                    {"id": known["id"], "username": known["username"], "url": known["url"], "acct": known["acct"]}
                    for known in mentioned
                ],
                "media_attachments": [],
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
            }
            parent["replies_count"] += 1
            self.statuses.append(status)
            return status

    # --- routes -------------------------------------------------------------------------------

    def _context(self, request: Request, match: re.Match[str]) -> Response:
        """Ancestors and descendants of a status; the descendants depth first, each branch oldest first."""
        authenticated = "Authorization" in request.headers
        if authenticated:
            denied = self._authenticate(request, "read:statuses")
            if denied is not None:
                return denied
        with self._lock:
            root = next((status for status in self.statuses if status["id"] == match.group(1)), None)
            if root is None or (root["visibility"] in ("private", "direct") and not authenticated):
                return self._json({"error": "Record not found"}, 404)
            children: dict[str, list[dict[str, Any]]] = {}
            for status in self.statuses:
                if status.get("in_reply_to_id") is not None:
                    children.setdefault(status["in_reply_to_id"], []).append(status)
            descendants: list[dict[str, Any]] = []
            pending = list(reversed(children.get(root["id"], [])))
            while pending:
                status = pending.pop()
                if authenticated or status["visibility"] in ("public", "unlisted"):
                    descendants.append(dict(status))
                pending.extend(reversed(children.get(status["id"], [])))
            limit = CONTEXT_LIMIT if authenticated else CONTEXT_LIMIT_PUBLIC
            return self._json({"ancestors": [], "descendants": descendants[:limit]})

    def _post_status(self, request: Request, match: re.Match[str]) -> Response:
        denied = self._authenticate(request, "write:statuses")
        if denied is not None:
            return denied
        if request.is_json:
            values = request.get_json(silent=True) or {}
            text = values.get("status") or ""
            media_ids = [str(media_id) for media_id in values.get("media_ids") or []]
            visibility = values.get("visibility") or "public"
            language = values.get("language")
        else:
            text = request.form.get("status", "")
            media_ids = request.form.getlist("media_ids[]")
            visibility = request.form.get("visibility", "public")
            language = request.form.get("language")
        key = request.headers.get("Idempotency-Key")
        with self._lock:
            if key:
                remembered = self._idempotency.get((self.ACCOUNT_ID, key))
                if remembered is not None and time.time() - remembered[1] < self.idempotency_ttl:
                    return self._json(self._status(remembered[0]))
            if not text.strip() and not media_ids:
                return self._json({"error": "Validation failed: Text can't be blank"}, 422)
            if self.length(text) > self.max_characters:
                return self._json(
                    {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"}, 422
                )
            if visibility not in VISIBILITIES:
                return self._json({"error": "Validation failed: Visibility is not included in the list"}, 422)
            missing = [media_id for media_id in media_ids if media_id not in self.media]
            if missing:
                return self._json({"error": f"Validation failed: Media with IDs {', '.join(missing)} not found"}, 422)
            if any(self.media[media_id]["entity"]["url"] is None for media_id in media_ids):
                return self._json(
                    {"error": "Cannot attach files that have not finished processing. Try again in a moment!"}, 422
                )
            status_id = str(next(self._ids))
            status = {
                "id": status_id,
                "created_at": iso(datetime.now(UTC)),
                "in_reply_to_id": None,
                "sensitive": False,
                "spoiler_text": "",
                "visibility": visibility,
                "language": language,
                "uri": f"{self.server.url}/users/{self.USERNAME}/statuses/{status_id}",
                "url": f"{self.server.url}/@{self.USERNAME}/{status_id}",
                "content": self._render(text),
                "account": self._account(),
                "media_attachments": [self.media[media_id]["entity"] for media_id in media_ids],
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
            }
            self.statuses.append(status)
            self.created.append(
                {
                    "id": status_id,
                    "status": text,
                    "visibility": visibility,
                    "language": language,
                    "media_ids": media_ids,
                    "idempotency_key": key,
                }
            )
            if key:
                self._idempotency[(self.ACCOUNT_ID, key)] = (status_id, time.time())
        return self._json(status)

    def _post_media(self, request: Request, match: re.Match[str]) -> Response:
        denied = self._authenticate(request, "write:media")
        if denied is not None:
            return denied
        upload = request.files.get("file")
        if upload is None:
            return self._json({"error": "Validation failed: File can't be blank"}, 422)
        if not (upload.mimetype or "").startswith("image/"):
            return self._json({"error": "Validation failed: File content type is invalid, File is invalid"}, 422)
        if upload.mimetype not in self.supported_mime_types:
            return self._json({"error": "Validation failed: File content type is invalid, File is invalid"}, 422)
        description = request.form.get("description") or None
        if description is not None and len(description) > 1500:
            return self._json({"error": "Validation failed: Description is too long (maximum is 1500 characters)"}, 422)
        content = upload.read()
        if len(content) > self.image_size_limit:
            limit_mb = self.image_size_limit // (1024 * 1024)
            return self._json({"error": f"Validation failed: File file size must be less than {limit_mb} MB"}, 422)
        with self._lock:
            media_id = str(next(self._ids))
            entity: dict[str, Any] = {
                "id": media_id,
                "type": "image",
                "url": None,
                "preview_url": None,
                "remote_url": None,
                "description": description,
                "blurhash": None,
                "meta": {},
            }
            self.media[media_id] = {
                "entity": entity,
                "polls_left": self.processing_polls,
                "filename": upload.filename,
                "content_type": upload.mimetype,
                "size": len(content),
            }
            if self.processing_polls == 0:
                self._finish_processing(media_id)
                return self._json(entity)
        return self._json(entity, 202)

    def _get_media(self, request: Request, match: re.Match[str]) -> Response:
        denied = self._authenticate(request, "write:media")
        if denied is not None:
            return denied
        with self._lock:
            entry = self.media.get(match.group(1))
            if entry is None:
                return self._json({"error": "Record not found"}, 404)
            if entry["polls_left"] > 0:
                entry["polls_left"] -= 1
                return self._json(entry["entity"], 206)
            self._finish_processing(match.group(1))
            return self._json(entry["entity"])

    def _verify_credentials(self, request: Request, match: re.Match[str]) -> Response:
        denied = self._authenticate(request, "read:accounts")
        if denied is not None:
            return denied
        return self._json({**self._account(), "source": {"privacy": "public", "language": "id", "note": ""}})

    def _get_status(self, request: Request, match: re.Match[str]) -> Response:
        authenticated = "Authorization" in request.headers
        if authenticated:  # optional for a public status, but a token must be valid and may read
            denied = self._authenticate(request, "read:statuses")
            if denied is not None:
                return denied
        with self._lock:
            status = next((status for status in self.statuses if status["id"] == match.group(1)), None)
            if status is None or (status["visibility"] in ("private", "direct") and not authenticated):
                return self._json({"error": "Record not found"}, 404)
            return self._json(dict(status))

    def _account_statuses(self, request: Request, match: re.Match[str]) -> Response:
        if "Authorization" in request.headers:  # optional here, but a token must be valid and may read
            denied = self._authenticate(request, "read:statuses")
            if denied is not None:
                return denied
        if match.group(1) != self.ACCOUNT_ID:
            return self._json({"error": "Record not found"}, 404)
        limit = min(int(request.args.get("limit", 20)), 40)
        with self._lock:
            visible = [status for status in reversed(self.statuses) if status["visibility"] != "direct"]
        return self._json(visible[:limit])

    def _instance(self, request: Request, match: re.Match[str]) -> Response:
        """The Instance entity (public, no token needed), trimmed to what concerns a client that posts."""
        if not self.states_limits:
            return self._json({"error": "Record not found"}, 404)
        return self._json(
            {
                "domain": "127.0.0.1",
                "title": "Mastodon Kota",
                "version": "4.5.0",
                "configuration": {
                    "statuses": {
                        "max_characters": self.max_characters,
                        "max_media_attachments": 4,
                        "characters_reserved_per_url": self.characters_reserved_per_url,
                    },
                    "media_attachments": {
                        "supported_mime_types": list(self.supported_mime_types),
                        "image_size_limit": self.image_size_limit,
                        "image_matrix_limit": 33177600,
                        "video_size_limit": 103809024,
                        "video_frame_rate_limit": 120,
                        "video_matrix_limit": 8294400,
                    },
                },
            }
        )

    # --- helpers ------------------------------------------------------------------------------

    def length(self, text: str) -> int:
        """A status's length as Mastodon's StatusLengthValidator measures it: entities (URLs with a
        scheme, mentions) are rewritten — a URL to ``characters_reserved_per_url`` x's, ``@user@domain``
        to ``@user`` — overlapping ones dropped, then the grapheme clusters of the result counted."""
        text = unicodedata.normalize("NFC", text)  # Rails normalises parameters to NFC
        entities: list[tuple[int, int, str]] = [
            (start, end, "x" * self.characters_reserved_per_url) for start, end in _url_spans(text)
        ]
        entities += [(found.start(), found.end(), "@" + found.group(1)) for found in _MENTION.finditer(text)]
        kept: list[tuple[int, int, str]] = []
        for entity in sorted(entities):
            if not kept or entity[0] >= kept[-1][1]:
                kept.append(entity)
        rewritten, position = "", 0
        for start, end, replacement in kept:
            rewritten += text[position:start] + replacement
            position = end
        rewritten += text[position:]
        return len(regex.findall(r"\X", rewritten))

    def _authenticate(self, request: Request, scope: str) -> Response | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return self._json({"error": "This method requires an authenticated user"}, 401)
        if header.removeprefix("Bearer ") != self.TOKEN or not self.token_valid:
            return self._json({"error": "The access token is invalid"}, 401)
        if scope not in self.scopes and scope.split(":")[0] not in self.scopes:
            return self._json({"error": "This action is outside the authorized scopes"}, 403)
        return None

    def _json(self, body: Any, status: int = 200) -> Response:
        with self._lock:
            self._remaining = max(0, self._remaining - 1)
            remaining = self._remaining
        now = datetime.now(UTC)
        reset = now.replace(second=0, microsecond=0) + timedelta(minutes=5 - now.minute % 5)
        headers = {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": iso(reset),
        }
        return json_response(body, status=status, headers=headers)

    def _status(self, status_id: str) -> dict[str, Any]:
        return next(status for status in self.statuses if status["id"] == status_id)

    def _finish_processing(self, media_id: str) -> None:
        entity = self.media[media_id]["entity"]
        entity["url"] = f"{self.server.url}/system/media_attachments/files/{media_id}/original/image.jpg"
        entity["preview_url"] = f"{self.server.url}/system/media_attachments/files/{media_id}/small/image.jpg"

    def _account(self) -> dict[str, Any]:
        return {
            "id": self.ACCOUNT_ID,
            "username": self.USERNAME,
            "acct": self.USERNAME,
            "display_name": "Diskominfo Kota Bandar Lampung",
            "url": f"{self.server.url}/@{self.USERNAME}",
        }

    def _render(self, text: str, mentioned: list[dict[str, Any]] | None = None) -> str:
        """Status HTML as Mastodon renders it: paragraphs, <br />, linked URLs and hashtags, and the
        ``mentioned`` accounts as h-card links showing ``@user`` alone."""
        paragraphs = [paragraph for paragraph in re.split(r"\n{2,}", text.strip()) if paragraph]
        rendered = []
        for paragraph in paragraphs:
            parts, position = [], 0
            for found in _MENTION.finditer(paragraph):
                known = next((a for a in mentioned or [] if found.group(0)[1:] in (a["acct"], a["username"])), None)
                if known is None:
                    continue
                parts.append(self._render_inline(paragraph[position : found.start()]))
                parts.append(
                    f'<span class="h-card" translate="no"><a href="{html.escape(known["url"])}" '
                    f'class="u-url mention">@<span>{html.escape(known["username"])}</span></a></span>'
                )
                position = found.end()
            parts.append(self._render_inline(paragraph[position:]))
            rendered.append(f"<p>{''.join(parts)}</p>")
        return "".join(rendered)

    def _remote_account(self, acct: str) -> dict[str, Any]:
        """An account of another server (``user@domain``) or of this one (``user``), with a stable id."""
        username, _, domain = acct.partition("@")
        number = int.from_bytes(hashlib.sha256(acct.encode()).digest()[:8], "big") % 10**12
        return {
            "id": str(109000000000000000 + number),
            "username": username,
            "acct": acct,
            "display_name": username.capitalize(),
            "url": f"https://{domain}/@{username}" if domain else f"{self.server.url}/@{username}",
        }

    def _known_accounts(self) -> list[dict[str, Any]]:
        """Every account that has written a status here, the office first."""
        accounts = {self.ACCOUNT_ID: self._account()}
        for status in self.statuses:
            accounts.setdefault(status["account"]["id"], status["account"])
        return list(accounts.values())

    def _render_inline(self, text: str) -> str:
        parts: list[str] = []
        position = 0
        for found in _INLINE.finditer(text):
            parts.append(html.escape(text[position : found.start()]))
            if found.group("url"):
                parts.append(_link(found.group("url")))
            else:
                tag = found.group("tag")[1:]
                parts.append(
                    f'<a href="{self.server.url}/tags/{tag}" class="mention hashtag" rel="tag">'
                    f"#<span>{html.escape(tag)}</span></a>"
                )
            position = found.end()
        parts.append(html.escape(text[position:]))
        return "".join(parts).replace("\n", "<br />")


def _link(url: str) -> str:
    """Mastodon's link markup: the scheme and the tail beyond 30 characters are hidden, not removed."""
    scheme, rest = url.split("://", 1)
    shown, hidden = rest[:30], rest[30:]
    return (
        f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
        f'<span class="invisible">{scheme}://</span>'
        f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
        f'<span class="invisible">{html.escape(hidden)}</span></a>'
    )


def _url_spans(text: str) -> list[tuple[int, int]]:
    """Where twitter-text finds URLs with a scheme (Mastodon's Extractor, ``extract_url_without_protocol: false``)."""
    return [(url["indices"][0], url["indices"][1]) for url in extract_urls_with_indices(text, False)]


FAKE = MastodonFake
