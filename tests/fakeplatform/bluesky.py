"""A fake Bluesky entryway and PDS: sessions, records by (did, rkey), blobs, and the record validation
outreach relies on.

Two services on one loopback server, as at bsky.social: the entryway at the root (``createSession``,
``refreshSession``, ``getSession``) and the account's PDS under ``/pds``, which the DID document in
the login answer names. The entryway refuses repository calls, so an adapter that never moved to
the PDS is caught (the real entryway would forward some of them; this fake is stricter on purpose).

Faithful to the XRPC surface the adapter uses: ``createSession`` (limited per identifier to 30 per
5 minutes and 300 per day, then 429 ``RateLimitExceeded``), ``refreshSession`` (single-use refresh
tokens: a used one is refused), ``getSession``, ``createRecord`` (a generic 500 on an rkey that
exists, as the real PDS answers), ``putRecord`` (a no-op for an identical record; ``swapRecord: null``
means "only if none exists", else 400 ``InvalidSwap``), ``getRecord`` (public; 400
``RecordNotFound``), ``uploadBlob``. Tokens are JWT-shaped with an ``exp`` claim (access 2 hours,
refresh 90 days). Errors are ``{"error": Name, "message": ...}``; an expired access token is 400
``ExpiredToken``; every answer carries ``RateLimit-Limit/Remaining/Reset`` (Reset in Unix seconds).

A third service under ``/appview`` stands for Bluesky's public AppView: ``app.bsky.feed.getPosts``
(no session; up to 25 ``uris``) answers a post view with ``likeCount``, ``repostCount``, ``replyCount``
and ``quoteCount`` for each post that exists, and leaves a deleted one out. ``app.bsky.feed.getPostThread``
(no session; ``uri``, ``depth`` 0–1000, default 6) answers the post's ``#threadViewPost`` with its
``replies`` nested ``depth`` levels deep, oldest first: a post at the last level has no ``replies`` key
however many it has (its ``replyCount`` says); a reply taken down is a ``#notFoundPost``, one by an
account that blocks the office a ``#blockedPost``; a post that does not exist is 400 ``NotFound``.

Stricter than the real PDS in one place on purpose: a facet's byte range must lie inside the text
and on UTF-8 character boundaries, so an adapter counting characters instead of bytes is caught.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import regex
from werkzeug import Request, Response

from .base import PlatformFake
from .server import FakeServer, json_response

COLLECTION = "app.bsky.feed.post"
RATE_LIMIT = 5000
RATE_WINDOW = 3600
#: createSession's limits per identifier: (logins, window in seconds).
LOGIN_LIMITS = ((30, 300), (300, 86400))
ACCESS_LIFETIME = 2 * 3600
REFRESH_LIFETIME = 90 * 86400
MAX_THUMB_BYTES = 1_000_000
#: Where the account's PDS lives on the fake server; the entryway is the root.
PDS = "/pds"
#: Where the public AppView lives on the fake server.
APPVIEW = "/appview"
MAX_GET_POSTS = 25
_AT_URI = re.compile(r"at://did:[a-z]+:[A-Za-z0-9._:%-]+/[a-zA-Z0-9.]+/[A-Za-z0-9._~:-]+")
_TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_GRAPHEME = regex.compile(r"\X")
_FEATURE_FIELDS = {
    "app.bsky.richtext.facet#link": "uri",
    "app.bsky.richtext.facet#tag": "tag",
    "app.bsky.richtext.facet#mention": "did",
}


def cid_of(data: bytes) -> str:
    """A content identifier in the PDS's style (base32 'bafyrei…'): equal bytes, equal CID."""
    digest = base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")
    return f"bafyrei{digest}"


def _canonical(record: Any) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class BlueskyFake(PlatformFake):
    channel_type = "bluesky"
    create_path = r"/pds/xrpc/com\.atproto\.repo\.(createRecord|putRecord)"

    HANDLE = "kominfo-bdl.bsky.social"
    DID = "did:plc:k7q3bdlkominfo2x5ylmzq4a"
    APP_PASSWORD = "abcd-efgh-ijkl-mnop"
    DISPLAY_NAME = "Diskominfo Kota Bandar Lampung"
    max_graphemes = 300
    max_text_bytes = 3000
    max_image_bytes = 2_000_000

    def __init__(self, server: FakeServer) -> None:
        self._lock = threading.RLock()
        #: access token → still valid (False: expired)
        self._access: dict[str, bool] = {}
        #: refresh token → still valid (False: expired); a used refresh token is removed
        self._refresh: dict[str, bool] = {}
        self.password_valid = True
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.blobs: dict[str, dict[str, Any]] = {}
        #: Post URI → what people did with it (the AppView's counts).
        self.counts: dict[str, dict[str, int]] = {}
        #: Handles of the other accounts that wrote here (replies), by DID.
        self.handles: dict[str, str] = {}
        #: Replies taken down (shown as ``#notFoundPost``) and accounts that block the office (``#blockedPost``).
        self.taken_down: set[str] = set()
        self.blocking: set[str] = set()
        #: True: the AppView refuses a request without a session, as one that is not public would.
        self.appview_requires_auth = False
        self._remaining = RATE_LIMIT
        #: When each login (createSession) was answered, per identifier, for the login rate limits.
        self._logins: dict[str, deque[float]] = {}
        self.login_limits: tuple[tuple[int, int], ...] = LOGIN_LIMITS
        self.session_folder = Path(tempfile.mkdtemp(prefix="bluesky-fake-"))
        weakref.finalize(self, shutil.rmtree, self.session_folder, True)
        super().__init__(server)

    # --- PlatformFake -------------------------------------------------------------------------

    def install(self) -> None:
        route = self.server.route
        route("POST", r"/xrpc/com\.atproto\.server\.createSession", self._create_session)
        route("POST", r"/xrpc/com\.atproto\.server\.refreshSession", self._refresh_session)
        route("GET", r"/xrpc/com\.atproto\.server\.getSession", self._get_session)
        route("GET", PDS + r"/xrpc/com\.atproto\.server\.getSession", self._get_session)
        route("POST", PDS + r"/xrpc/com\.atproto\.repo\.createRecord", self._create_record)
        route("POST", PDS + r"/xrpc/com\.atproto\.repo\.putRecord", self._put_record)
        route("GET", PDS + r"/xrpc/com\.atproto\.repo\.getRecord", self._get_record)
        route("POST", PDS + r"/xrpc/com\.atproto\.repo\.uploadBlob", self._upload_blob)
        route("GET", APPVIEW + r"/xrpc/app\.bsky\.feed\.getPosts", self._get_posts)
        route("GET", APPVIEW + r"/xrpc/app\.bsky\.feed\.getPostThread", self._get_post_thread)
        for method in ("GET", "POST"):
            route(method, r"/xrpc/com\.atproto\.repo\.\w+", self._not_the_pds)

    def channel_settings(self) -> dict[str, Any]:
        return {
            "type": "bluesky",
            "base_url": self.server.url,
            "handle": self.HANDLE,
            "session_file": str(self.session_folder / "bluesky-session.json"),
            "appview_url": self.server.url + APPVIEW,
        }

    @property
    def pds_url(self) -> str:
        return self.server.url + PDS

    @property
    def environ(self) -> dict[str, str]:
        return {"BLUESKY_APP_PASSWORD": self.APP_PASSWORD}

    def expire_token(self) -> None:
        """Every session token expires and the app password is revoked: only a person can fix this."""
        with self._lock:
            self.token_valid = False
            self.password_valid = False
            self._access = dict.fromkeys(self._access, False)
            self._refresh = dict.fromkeys(self._refresh, False)

    def rate_limit_response(self, retry_after: int) -> Response:
        headers = {
            "RateLimit-Limit": str(RATE_LIMIT),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(time.time()) + retry_after),
            "RateLimit-Policy": f"{RATE_LIMIT};w={RATE_WINDOW}",
            "Retry-After": str(retry_after),
        }
        return json_response({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, 429, headers)

    def server_error_response(self) -> Response:
        return self._error(500, "InternalServerError", "Internal Server Error")

    # --- test helpers -------------------------------------------------------------------------

    def expire_access_tokens(self, refresh_too: bool = False) -> None:
        """The access tokens issued so far expire (as they do after two hours); refreshing still works
        unless ``refresh_too``; logging in with the app password always does."""
        with self._lock:
            self._access = dict.fromkeys(self._access, False)
            if refresh_too:
                self._refresh = dict.fromkeys(self._refresh, False)

    def engage(self, uri: str, likes: int = 0, reposts: int = 0, replies: int = 0, quotes: int = 0) -> None:
        """People liked, reposted, replied to and quoted a post (added to what it had)."""
        with self._lock:
            counts = self.counts.setdefault(uri, dict.fromkeys(("likes", "reposts", "replies", "quotes"), 0))
            for name, more in (("likes", likes), ("reposts", reposts), ("replies", replies), ("quotes", quotes)):
                counts[name] += more

    def delete_record(self, rkey: str) -> None:
        """The office deleted the post in the Bluesky app."""
        with self._lock:
            del self.records[(self.DID, rkey)]

    def reply(
        self,
        parent_uri: str,
        text: str,
        handle: str = "warga.bsky.social",
        *,
        created_at: datetime | None = None,
        did: str | None = None,
    ) -> str:
        """Someone (``handle``; the office when it is ``HANDLE``) replied to a post; the reply's at-uri."""
        with self._lock:
            parent = self._by_uri(parent_uri)
            assert parent is not None, parent_uri
            root = parent["record"].get("reply", {}).get("root") or {"uri": parent["uri"], "cid": parent["cid"]}
            author = (
                self.DID
                if handle == self.HANDLE
                else did or f"did:plc:{hashlib.sha256(handle.encode()).hexdigest()[:24]}"
            )
            self.handles.setdefault(author, handle)
            record = {
                "$type": COLLECTION,
                "text": text,
                "createdAt": (created_at or datetime.now(UTC))
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "langs": ["id"],
                "reply": {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}},
            }
            rkey = _new_tid()
            uri = f"at://{author}/{COLLECTION}/{rkey}"
            self.records[(author, rkey)] = {"uri": uri, "cid": cid_of(_canonical(record)), "record": record}
            return uri

    # --- sessions -----------------------------------------------------------------------------

    def _create_session(self, request: Request, match: re.Match[str]) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not body.get("identifier") or not body.get("password"):
            return self._error(400, "InvalidRequest", 'Input must have the properties "identifier" and "password"')
        known = body["identifier"] in (self.HANDLE, self.DID) and body["password"] == self.APP_PASSWORD
        limited = self._count_login(str(body["identifier"]))
        if limited is not None:
            return limited
        if not known or not self.password_valid:
            return self._error(401, "AuthenticationRequired", "Invalid identifier or password")
        return self._json(self._new_session())

    def _count_login(self, identifier: str) -> Response | None:
        """A 429 once a window's logins are used up (the real PDS counts per handle, failed ones too)."""
        now = time.time()
        with self._lock:
            times = self._logins.setdefault(identifier, deque())
            longest = max(window for _, window in self.login_limits)
            while times and times[0] <= now - longest:
                times.popleft()
            for limit, window in self.login_limits:
                recent = [moment for moment in times if moment > now - window]
                if len(recent) >= limit:
                    reset = int(recent[0] + window) + 1
                    headers = {
                        "RateLimit-Limit": str(limit),
                        "RateLimit-Remaining": "0",
                        "RateLimit-Reset": str(reset),
                        "RateLimit-Policy": f"{limit};w={window}",
                        "Retry-After": str(max(1, reset - int(now))),
                    }
                    body = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
                    return json_response(body, 429, headers)
            times.append(now)
        return None

    def _refresh_session(self, request: Request, match: re.Match[str]) -> Response:
        token = _bearer(request)
        with self._lock:
            if token is None:
                return self._error(401, "AuthMissing", "Authentication Required")
            if token in self._access:
                return self._error(400, "InvalidToken", "Invalid token type")
            valid = self._refresh.pop(token, None)  # single-use: the answer carries the next one
            if valid is None:
                return self._error(401, "InvalidToken", "Token could not be verified")
            if not valid or _expired(token):
                return self._error(400, "ExpiredToken", "Token has expired")
            return self._json(self._new_session())

    def _get_session(self, request: Request, match: re.Match[str]) -> Response:
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        return self._json({"handle": self.HANDLE, "did": self.DID, "email": "kominfo@example.go.id", "active": True})

    # --- repository ---------------------------------------------------------------------------

    def _create_record(self, request: Request, match: re.Match[str]) -> Response:
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        body: Any = request.get_json(silent=True)  # checked by _refuse_write
        refused = self._refuse_write(body)
        if refused is not None:
            return refused
        rkey = body.get("rkey") or _new_tid()
        if not _TID.fullmatch(rkey):
            return self._error(400, "InvalidRequest", f"Invalid record key: {rkey}")
        with self._lock:
            if (self.DID, rkey) in self.records:
                # The real PDS fails on the unique constraint with a bare 500, not a clean duplicate error.
                return self._error(500, "InternalServerError", "Internal Server Error")
            return self._json(self._store(rkey, body["record"]))

    def _put_record(self, request: Request, match: re.Match[str]) -> Response:
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        body: Any = request.get_json(silent=True)  # checked by _refuse_write
        refused = self._refuse_write(body)
        if refused is not None:
            return refused
        rkey = body.get("rkey")
        if not isinstance(rkey, str) or not _TID.fullmatch(rkey):
            return self._error(400, "InvalidRequest", f"Invalid record key: {rkey}")
        with self._lock:
            existing = self.records.get((self.DID, rkey))
            if "swapRecord" in body and body["swapRecord"] != (existing["cid"] if existing else None):
                # null: "only if there is none"; a CID: "only if that is the record there now".
                current = existing["cid"] if existing else "null"
                return self._error(400, "InvalidSwap", f"Record was at {current}")
            if existing is not None and existing["cid"] == cid_of(_canonical(body["record"])):
                return self._json({"uri": existing["uri"], "cid": existing["cid"], "validationStatus": "valid"})
            return self._json(self._store(rkey, body["record"], new=existing is None))

    def _get_record(self, request: Request, match: re.Match[str]) -> Response:
        repo, collection, rkey = (request.args.get(key) for key in ("repo", "collection", "rkey"))
        if not repo or not collection or not rkey:
            return self._error(400, "InvalidRequest", "Params must have the properties repo, collection and rkey")
        if repo not in (self.DID, self.HANDLE):
            return self._error(400, "InvalidRequest", f"Could not find repo: {repo}")
        uri = f"at://{self.DID}/{collection}/{rkey}"
        with self._lock:
            stored = self.records.get((self.DID, rkey)) if collection == COLLECTION else None
        if stored is None:
            return self._error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return self._json({"uri": stored["uri"], "cid": stored["cid"], "value": stored["record"]})

    def _upload_blob(self, request: Request, match: re.Match[str]) -> Response:
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        data = request.get_data()
        if not data:
            return self._error(400, "InvalidRequest", "Request body is empty")
        mime_type = request.headers.get("Content-Type", "application/octet-stream").split(";")[0]
        blob: dict[str, Any] = {
            "$type": "blob",
            "ref": {"$link": cid_of(data)},
            "mimeType": mime_type,
            "size": len(data),
        }
        with self._lock:
            self.blobs[blob["ref"]["$link"]] = {"mimeType": mime_type, "size": len(data)}
        return self._json({"blob": blob})

    def _get_posts(self, request: Request, match: re.Match[str]) -> Response:
        """The AppView's post views of the ``uris`` asked for, in their order; absent ones left out."""
        if self.appview_requires_auth and _bearer(request) is None:
            return self._error(401, "AuthMissing", "Authentication Required")
        uris = request.args.getlist("uris")
        if not uris:
            return self._error(400, "InvalidRequest", 'Error: Params must have the property "uris"')
        if len(uris) > MAX_GET_POSTS:
            return self._error(400, "InvalidRequest", f"Error: uris must not have more than {MAX_GET_POSTS} elements")
        for number, uri in enumerate(uris):
            if not _AT_URI.fullmatch(uri):
                return self._error(400, "InvalidRequest", f"Error: uris/{number} must be a valid at-uri")
        with self._lock:
            stored = [(uri, self.records.get((self.DID, uri.rsplit("/", 1)[-1]))) for uri in uris]
            views = [self._post_view(uri, record) for uri, record in stored if record and record["uri"] == uri]
        return self._json({"posts": views})

    def _get_post_thread(self, request: Request, match: re.Match[str]) -> Response:
        """The post's thread: its replies nested ``depth`` levels deep, each level oldest first."""
        uri = request.args.get("uri", "")
        if not uri:
            return self._error(400, "InvalidRequest", 'Error: Params must have the property "uri"')
        if not _AT_URI.fullmatch(uri):
            return self._error(400, "InvalidRequest", "Error: uri must be a valid at-uri")
        try:
            depth = int(request.args.get("depth", "6"))
        except ValueError:
            return self._error(400, "InvalidRequest", "Error: depth must be an integer")
        if not 0 <= depth <= 1000:
            return self._error(400, "InvalidRequest", "Error: depth must be between 0 and 1000")
        with self._lock:
            stored = self._by_uri(uri)
            if stored is None:
                return self._error(400, "NotFound", f"Post not found: {uri}")
            children: dict[str, list[dict[str, Any]]] = {}
            for record in self.records.values():
                parent = record["record"].get("reply", {}).get("parent", {}).get("uri")
                if parent:
                    children.setdefault(parent, []).append(record)
            for listed in children.values():
                listed.sort(key=lambda record: record["record"]["createdAt"])
            return self._json({"thread": self._thread_view(stored, children, depth)})

    def _thread_view(
        self, stored: dict[str, Any], children: dict[str, list[dict[str, Any]]], depth: int
    ) -> dict[str, Any]:
        uri = stored["uri"]
        did = uri.removeprefix("at://").split("/", 1)[0]
        if uri in self.taken_down:
            return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}
        if did in self.blocking:
            return {
                "$type": "app.bsky.feed.defs#blockedPost",
                "uri": uri,
                "blocked": True,
                "author": {"did": did, "viewer": {"blockedBy": False}},
            }
        view: dict[str, Any] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": {**self._post_view(uri, stored), "replyCount": len(children.get(uri, []))},
        }
        if depth > 0:
            view["replies"] = [self._thread_view(child, children, depth - 1) for child in children.get(uri, [])]
        return view

    def _by_uri(self, uri: str) -> dict[str, Any] | None:
        did, _, rest = uri.removeprefix("at://").partition("/")
        collection, _, rkey = rest.partition("/")
        stored = self.records.get((did, rkey)) if collection == COLLECTION else None
        return stored if stored is not None and stored["uri"] == uri else None

    def _post_view(self, uri: str, stored: dict[str, Any]) -> dict[str, Any]:
        counts = self.counts.get(uri, {})
        did = uri.removeprefix("at://").split("/", 1)[0]
        handle = self.HANDLE if did == self.DID else self.handles.get(did, "handle.invalid")
        return {
            "uri": uri,
            "cid": stored["cid"],
            "author": {
                "did": did,
                "handle": handle,
                "displayName": self.DISPLAY_NAME if did == self.DID else handle.split(".")[0],
            },
            "record": stored["record"],
            "replyCount": counts.get("replies", 0),
            "repostCount": counts.get("reposts", 0),
            "likeCount": counts.get("likes", 0),
            "quoteCount": counts.get("quotes", 0),
            "indexedAt": stored["record"]["createdAt"],
            "labels": [],
        }

    def _not_the_pds(self, request: Request, match: re.Match[str]) -> Response:
        return self._error(
            400, "InvalidRequest", "the entryway does not host repositories: call the PDS the DID document names"
        )

    # --- helpers ------------------------------------------------------------------------------

    def _new_session(self) -> dict[str, Any]:
        now = int(time.time())
        access = _jwt({"scope": "com.atproto.access", "sub": self.DID, "iat": now, "exp": now + ACCESS_LIFETIME})
        refresh = _jwt(
            {
                "scope": "com.atproto.refresh",
                "sub": self.DID,
                "iat": now,
                "exp": now + REFRESH_LIFETIME,
                "jti": secrets.token_urlsafe(16),
            }
        )
        with self._lock:
            self._access[access] = True
            self._refresh[refresh] = True
        return {
            "did": self.DID,
            "didDoc": self.did_document(),
            "handle": self.HANDLE,
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
        }

    def did_document(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.DID,
            "alsoKnownAs": [f"at://{self.HANDLE}"],
            "verificationMethod": [],
            "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": self.pds_url}],
        }

    def _authenticate(self, request: Request) -> Response | None:
        token = _bearer(request)
        if token is None:
            return self._error(401, "AuthMissing", "Authentication Required")
        with self._lock:
            if token in self._refresh:
                return self._error(400, "InvalidToken", "Invalid token type")
            valid = self._access.get(token)
        if valid is None:
            return self._error(401, "InvalidToken", "Token could not be verified")
        if not valid or _expired(token):
            return self._error(400, "ExpiredToken", "Token has expired")
        return None

    def _refuse_write(self, body: Any) -> Response | None:
        if not isinstance(body, dict) or not isinstance(body.get("record"), dict):
            return self._error(400, "InvalidRequest", 'Input must have the property "record"')
        if body.get("repo") not in (self.DID, self.HANDLE):
            return self._error(401, "AuthenticationRequired", "Authentication Required")
        if body.get("collection") != COLLECTION:
            return self._error(400, "InvalidRequest", f"Unsupported collection: {body.get('collection')}")
        problem = self._invalid(body["record"])
        if problem is not None:
            return self._error(400, "InvalidRequest", f"Invalid {COLLECTION} record: {problem}")
        return None

    def _store(self, rkey: str, record: dict[str, Any], new: bool = True) -> dict[str, Any]:
        uri = f"at://{self.DID}/{COLLECTION}/{rkey}"
        cid = cid_of(_canonical(record))
        self.records[(self.DID, rkey)] = {"uri": uri, "cid": cid, "record": record}
        if new:
            self.created.append({"uri": uri, "rkey": rkey, "record": record})
        commit = {"cid": cid_of(uri.encode() + cid.encode()), "rev": _new_tid()}
        return {"uri": uri, "cid": cid, "commit": commit, "validationStatus": "valid"}

    def _invalid(self, record: dict[str, Any]) -> str | None:
        """What the PDS's lexicon validation would object to, or None."""
        if record.get("$type") != COLLECTION:
            return f"Record/$type must be {COLLECTION}"
        text = record.get("text")
        if not isinstance(text, str):
            return 'Record must have the property "text"'
        if len(_GRAPHEME.findall(text)) > self.max_graphemes:
            return f"Record/text must not be longer than {self.max_graphemes} graphemes"
        text_bytes = text.encode("utf-8")
        if len(text_bytes) > self.max_text_bytes:
            return f"Record/text must not be longer than {self.max_text_bytes} characters"
        try:
            created = datetime.fromisoformat(str(record.get("createdAt")))
        except ValueError:
            created = None
        if created is None or created.tzinfo is None:
            return "Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)"
        langs = record.get("langs", [])
        if not isinstance(langs, list) or len(langs) > 3 or not all(_LANGUAGE.fullmatch(str(lang)) for lang in langs):
            return "Record/langs must be up to 3 valid language codes"
        for number, facet in enumerate(record.get("facets", [])):
            problem = _invalid_facet(facet, text_bytes)
            if problem is not None:
                return f"Record/facets/{number}: {problem}"
        if "embed" in record:
            return self._invalid_embed(record["embed"])
        return None

    def _invalid_embed(self, embed: Any) -> str | None:
        kind = embed.get("$type") if isinstance(embed, dict) else None
        if kind == "app.bsky.embed.external":
            external = embed.get("external")
            if not isinstance(external, dict) or not all(
                isinstance(external.get(key), str) for key in ("uri", "title", "description")
            ):
                return "Record/embed/external must have uri, title and description"
            if "thumb" in external:
                return self._invalid_blob(external["thumb"], "Record/embed/external/thumb", MAX_THUMB_BYTES)
            return None
        if kind == "app.bsky.embed.images":
            images = embed.get("images")
            if not isinstance(images, list) or not 1 <= len(images) <= 4:
                return "Record/embed/images must have 1 to 4 images"
            for number, image in enumerate(images):
                if not isinstance(image, dict) or not isinstance(image.get("alt"), str):
                    return f'Record/embed/images/{number} must have the property "alt"'
                problem = self._invalid_blob(image.get("image"), f"Record/embed/images/{number}/image")
                if problem is None and "aspectRatio" in image:
                    problem = _invalid_aspect_ratio(image["aspectRatio"], f"Record/embed/images/{number}/aspectRatio")
                if problem is not None:
                    return problem
            return None
        return f"Record/embed has an unsupported $type {kind!r}"

    def _invalid_blob(self, blob: Any, where: str, max_bytes: int | None = None) -> str | None:
        """A blob reference must name an uploaded image within the field's size limit."""
        limit = max_bytes or self.max_image_bytes
        reference = blob.get("ref") if isinstance(blob, dict) else None
        link = reference.get("$link") if isinstance(reference, dict) else None
        known = self.blobs.get(link) if isinstance(link, str) else None
        if known is None:
            return f"{where}: blob not found"
        if not known["mimeType"].startswith("image/"):
            return f"{where} mimeType must be image/*"
        if known["size"] > limit:
            return f"{where} is too large (maximum {limit} bytes)"
        return None

    def _json(self, body: Any, status: int = 200) -> Response:
        with self._lock:
            self._remaining = max(0, self._remaining - 1)
            remaining = self._remaining
        now = int(time.time())
        headers = {
            "RateLimit-Limit": str(RATE_LIMIT),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(now - now % RATE_WINDOW + RATE_WINDOW),
            "RateLimit-Policy": f"{RATE_LIMIT};w={RATE_WINDOW}",
        }
        return json_response(body, status=status, headers=headers)

    def _error(self, status: int, error: str, message: str) -> Response:
        return self._json({"error": error, "message": message}, status)


def _invalid_facet(facet: Any, text_bytes: bytes) -> str | None:
    index = facet.get("index") if isinstance(facet, dict) else None
    features = facet.get("features") if isinstance(facet, dict) else None
    if not isinstance(index, dict) or not isinstance(features, list) or not features:
        return "must have index and features"
    start, end = index.get("byteStart"), index.get("byteEnd")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text_bytes):
        return f"byte range {start}..{end} is outside the text's {len(text_bytes)} bytes"
    try:
        text_bytes[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return f"byte range {start}..{end} splits a character"
    for feature in features:
        field = _FEATURE_FIELDS.get(str(feature.get("$type"))) if isinstance(feature, dict) else None
        if field is None or not isinstance(feature.get(field), str) or not feature[field]:
            return f"unsupported or incomplete feature {feature!r}"
    return None


def _invalid_aspect_ratio(ratio: Any, where: str) -> str | None:
    """``app.bsky.embed.defs#aspectRatio``: integer width and height, each at least 1."""
    if not isinstance(ratio, dict) or set(ratio) - {"width", "height"}:
        return f"{where} must have exactly width and height"
    for key in ("width", "height"):
        value = ratio.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return f"{where}/{key} must be an integer of at least 1"
    return None


def _jwt(claims: dict[str, Any]) -> str:
    """A JWT-shaped token (the signature is random: only this fake checks it, by lookup)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = part(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
    return f"{header}.{part(json.dumps(claims).encode())}.{part(secrets.token_bytes(32))}"


def _expired(token: str) -> bool:
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return bool(claims["exp"] <= time.time())


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ") if header.startswith("Bearer ") else None


def _new_tid() -> str:
    value = (time.time_ns() // 1000) << 10 | secrets.randbits(10)
    return "".join("234567abcdefghijklmnopqrstuvwxyz"[(value >> shift) & 31] for shift in range(60, -5, -5))


FAKE = BlueskyFake
