"""A fake X API v2: posts, the account, its timeline and media, with OAuth 1.0a user-context auth.

Faithful where adapters can go wrong: every request must carry a valid OAuth1 HMAC-SHA1 signature
for the URL it was sent to; links in stored posts come back as t.co with ``entities.urls`` and ``&<>``
HTML-escaped; a repeated text is refused with X's 403 "duplicate content"; POST /2/tweets counts
against a 24-hour per-user quota and reports it in ``x-user-limit-24hour-*`` headers; errors are
RFC 7807-like problem documents. ``GET /2/tweets/:id`` answers ``public_metrics`` (and, for the
account's own posts younger than 30 days, ``non_public_metrics``; older ones answer 200 with only a
"Field Authorization Error"); a deleted post is 200 with a "Not Found Error"; each post read costs
credits once per UTC day, as pay-per-use bills it.

``GET /2/tweets/search/recent`` understands one operator, ``conversation_id:<id>`` (what outreach
asks): the conversation's posts of the last 7 days (newer than ``since_id`` when given; a ``since_id`` older than 7 days is refused), newest first, ``max_results`` 10–100 a page, the
next page behind ``meta.next_token``; ``author_id``, ``created_at``, ``in_reply_to_user_id``,
``referenced_tweets`` and ``conversation_id`` when ``tweet.fields`` asks, ``includes.users`` with
``expansions=author_id``. Every post returned is billed once a UTC day (a 402 when the credits cannot
pay for the page; 403 "client-forbidden" when the app's access does not include search); its window is 300 requests per 15 minutes per user (docs.x.com rate limits).
A deleted post's conversation is simply found empty: search has no error for it.
"""

from __future__ import annotations

import hmac
import re
import threading
import time
import unicodedata
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from oauthlib.oauth1.rfc5849 import signature, utils
from twitter_text.extract_urls import extract_urls_with_indices
from werkzeug import Request, Response

from outreach.limits import count_x_weighted

from .base import PlatformFake
from .server import FakeServer, json_response

#: 15-minute windows per endpoint (per user), as X documents them for the Basic tier.
WINDOW_SECONDS = 15 * 60
WINDOW_LIMITS = {
    "POST /2/tweets": 100,
    "GET /2/users/me": 75,
    "GET /2/users/:id/tweets": 900,
    "GET /2/tweets/:id": 900,
    "GET /2/tweets/search/recent": 300,
    "POST /2/media/upload": 500,
    "POST /2/media/metadata": 500,
}
MEDIA_CATEGORIES = {"tweet_image", "tweet_gif", "tweet_video", "dm_image", "dm_gif", "dm_video", "subtitles"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_ALT_TEXT = 1000
TWEET_KEYS = {
    "text",
    "media",
    "reply",
    "quote_tweet_id",
    "poll",
    "reply_settings",
    "for_super_followers_only",
    "geo",
    "direct_message_deep_link",
    "community_id",
    "nullcast",
}
#: What the one-shot upload takes as ``tweet_image``: JPEG, PNG, WebP. A GIF needs ``tweet_gif`` through the
#: chunked upload (INIT/APPEND/FINALIZE), which outreach does not use, so the fake refuses it here.
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")
#: Pay-per-use prices of a create (docs.x.com/x-api/getting-started/pricing), in USD.
PRICE_PER_POST = 0.015
PRICE_PER_POST_WITH_LINK = 0.20
#: Pay-per-use price of a post read ("Posts: Read", per post returned), billed once per post a UTC day.
PRICE_PER_POST_READ = 0.005
#: Non-public metrics are only given for posts younger than this (seconds).
NON_PUBLIC_METRICS_AGE = 30 * 86400
#: Recent search reaches this far back (seconds).
RECENT_SEARCH_SECONDS = 7 * 86400
#: What a next_token starts with; the rest says where the next page begins (opaque to clients).
_NEXT_TOKEN = "b26v89c19zqg8o3f"


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **extra: Any) -> dict[str, Any]:
    """An X problem document."""
    return {"title": title, "detail": detail, "type": kind, "status": status, **extra}


def invalid_request(message: str) -> Response:
    return json_response(
        {
            "errors": [{"message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
        status=400,
    )


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(when * 1000) % 1000:03d}Z"


class XFake(PlatformFake):
    channel_type = "x"
    create_path = r"/2/tweets"

    CONSUMER_KEY = "xfake-consumer-key-Jq8w2"
    CONSUMER_SECRET = "xfake-consumer-secret-Zr4Tn7"
    ACCESS_TOKEN = "1460000000000000001-xfake-access-token-Pb6"
    ACCESS_TOKEN_SECRET = "xfake-access-token-secret-Hk3Lm9"
    USER = {"id": "1460000000000000001", "name": "Diskominfo Kota Bandar Lampung", "username": "kominfobdl"}

    def __init__(self, server: FakeServer) -> None:
        self._lock = threading.RLock()
        #: Every post on the account (including seeded ones), oldest first.
        self.tweets: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}
        #: The per-user 24-hour posting quota (Basic tier: 100; the free tier has been 17).
        self.daily_limit = 100
        self.daily_used = 0
        self.daily_reset = int(time.time()) + 24 * 3600
        #: The app's prepaid credits in USD; None: never runs out. Each create costs its price.
        self.credits: float | None = None
        #: Post reads billed: (UTC day, post id); a post read again the same day is not billed again.
        self.billed_reads: set[tuple[str, str]] = set()
        #: True as X documents it now: impressions are public; False: only in ``non_public_metrics``.
        self.public_impressions = True
        self._windows: dict[str, tuple[int, int]] = {}  # endpoint → (used, reset)
        self._next_id = 1_870_000_000_000_000_000
        #: False: the app's access level does not include search (X's 403 "client-forbidden").
        self.search_access = True
        #: Every account that wrote here, by id: the office, and citizens who replied.
        self.users: dict[str, dict[str, str]] = {self.USER["id"]: dict(self.USER)}
        super().__init__(server)

    # -- PlatformFake --------------------------------------------------------------------------

    def install(self) -> None:
        self.server.route("POST", r"/2/tweets", self._create_tweet)
        self.server.route("GET", r"/2/users/me", self._me)
        self.server.route("GET", r"/2/tweets/search/recent", self._search_recent)
        self.server.route("GET", r"/2/tweets/(?P<id>[^/]+)", self._get_tweet)
        self.server.route("GET", r"/2/users/(?P<id>[^/]+)/tweets", self._user_tweets)
        self.server.route("POST", r"/2/media/upload", self._upload)
        self.server.route("POST", r"/2/media/metadata", self._metadata)

    def channel_settings(self) -> dict[str, Any]:
        return {"type": "x", "base_url": self.server.url}

    @property
    def environ(self) -> dict[str, str]:
        return {
            "X_CONSUMER_KEY": self.CONSUMER_KEY,
            "X_CONSUMER_SECRET": self.CONSUMER_SECRET,
            "X_ACCESS_TOKEN": self.ACCESS_TOKEN,
            "X_ACCESS_TOKEN_SECRET": self.ACCESS_TOKEN_SECRET,
        }

    def rate_limit_response(self, retry_after: int) -> Response:
        reset = int(time.time()) + retry_after
        headers = {
            "x-rate-limit-limit": str(WINDOW_LIMITS["POST /2/tweets"]),
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
            **self._daily_headers(),
        }
        return json_response(problem(429, "Too Many Requests", "Too Many Requests"), status=429, headers=headers)

    def server_error_response(self) -> Response:
        return json_response(problem(503, "Service Unavailable", "Service Unavailable"), status=503)

    # -- test helpers --------------------------------------------------------------------------

    def seed_tweet(self, text: str, created_at: float) -> dict[str, Any]:
        """A post the account made outside outreach (it is not in ``created``)."""
        with self._lock:
            return self._store(text, [], created_at)

    def engage(self, tweet_id: str, **more: int) -> None:
        """People acted on a post: ``like_count=3``, ``impression_count=500``… added to what it had."""
        with self._lock:
            metrics = next(tweet for tweet in self.tweets if tweet["id"] == tweet_id)["metrics"]
            for name, count in more.items():
                metrics[name] += count

    def reply(self, to_id: str, text: str, username: str = "warga_bdl", created_at: float | None = None) -> str:
        """Someone (``username``; the office when it is the account's) replied to a post; the reply's id."""
        with self._lock:
            parent = next(tweet for tweet in self.tweets if tweet["id"] == to_id)
            author = next((user for user in self.users.values() if user["username"] == username), None)
            if author is None:
                author = {
                    "id": str(1_500_000_000_000_000_000 + len(self.users)),
                    "name": username,
                    "username": username,
                }
                self.users[author["id"]] = author
            tweet = self._store(text, [], time.time() if created_at is None else created_at, author["id"], parent)
            return str(tweet["id"])

    def delete_tweet(self, tweet_id: str) -> None:
        """The office deleted the post on x.com."""
        with self._lock:
            self.tweets = [tweet for tweet in self.tweets if tweet["id"] != tweet_id]

    def authorizations(self) -> list[dict[str, str]]:
        """The OAuth parameters of every request the fake received, in order."""
        return [
            _oauth_fields(request.headers["Authorization"])
            for request in self.server.requests()
            if request.headers.get("Authorization", "").startswith("OAuth ")
        ]

    # -- routes --------------------------------------------------------------------------------

    def _create_tweet(self, request: Request, match: Any) -> Response:
        denied = self._authenticate(request)
        if denied:
            return denied
        with self._lock:
            window, limited = self._window("POST /2/tweets")
            if limited:
                return limited
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return invalid_request("Request body must be a JSON object")
            unknown = sorted(set(body) - TWEET_KEYS)
            if unknown:
                return invalid_request(
                    f"$.{unknown[0]}: is not defined in the schema and the schema does not allow additional properties"
                )
            text = body.get("text")
            media = body.get("media") or {}
            media_ids = media.get("media_ids") if isinstance(media, dict) else None
            if text is None and not media_ids:
                return invalid_request("$.text: is missing but it is required")
            if text is not None and not isinstance(text, str):
                return invalid_request("$.text: string found, expected string")
            text = text or ""
            if count_x_weighted(text) > 280:
                return invalid_request("$.text: Tweet text is too long")
            if media_ids is not None:
                if not isinstance(media_ids, list) or not all(isinstance(m, str) for m in media_ids):
                    return invalid_request("$.media.media_ids: array of strings expected")
                missing = [m for m in media_ids if m not in self.media]
                if missing:
                    return invalid_request(f"$.media.media_ids: Your media IDs are invalid: {missing[0]}")
            price = PRICE_PER_POST_WITH_LINK if extract_urls_with_indices(text) else PRICE_PER_POST
            if self.credits is not None and self.credits < price:
                return self._credits_depleted(window)
            self._roll_daily_quota()
            if self.daily_used >= self.daily_limit:
                return json_response(
                    problem(429, "Too Many Requests", "Too Many Requests"),
                    status=429,
                    headers={**window, **self._daily_headers()},
                )
            own = (tweet for tweet in self.tweets if tweet["author_id"] == self.USER["id"])
            if any(_same_text(text, tweet["source_text"]) for tweet in own):
                return json_response(
                    problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."),
                    status=403,
                    headers=window,
                )
            tweet = self._store(text, list(media_ids or []), time.time())
            self.daily_used += 1
            if self.credits is not None:
                self.credits -= price
            self.created.append(
                {
                    "id": tweet["id"],
                    "text": text,
                    "media": [{"media_id": m, "alt_text": self.media[m].get("alt_text")} for m in media_ids or []],
                }
            )
            data = {"id": tweet["id"], "text": tweet["text"], "edit_history_tweet_ids": [tweet["id"]]}
            return json_response({"data": data}, status=201, headers={**window, **self._daily_headers()})

    def _me(self, request: Request, match: Any) -> Response:
        denied = self._authenticate(request)
        if denied:
            return denied
        with self._lock:
            window, limited = self._window("GET /2/users/me")
            return limited or json_response({"data": dict(self.USER)}, headers=window)

    def _user_tweets(self, request: Request, match: Any) -> Response:
        denied = self._authenticate(request)
        if denied:
            return denied
        user_id = match.group("id")
        with self._lock:
            window, limited = self._window("GET /2/users/:id/tweets")
            if limited:
                return limited
            try:
                max_results = int(request.args.get("max_results", "10"))
            except ValueError:
                return invalid_request("The `max_results` query parameter value is not valid")
            if not 5 <= max_results <= 100:
                return invalid_request(
                    f"The `max_results` query parameter value [{max_results}] is not between 5 and 100"
                )
            start_time = request.args.get("start_time")
            since = None
            if start_time:
                try:
                    since = datetime.fromisoformat(start_time).timestamp()
                except ValueError:
                    return invalid_request(f"Invalid 'start_time':'{start_time}'.")
            if user_id != self.USER["id"]:
                detail = f"Could not find user with id: [{user_id}]."
                error = _resource_error(user_id, "Not Found Error", detail, resource="user")
                return json_response({"errors": [error]}, headers=window)
            fields = set(filter(None, request.args.get("tweet.fields", "").split(",")))
            matching = [
                t
                for t in reversed(self.tweets)
                if t["author_id"] == user_id and (since is None or t["created_at"] >= since)
            ]
            page = matching[:max_results]
            data = [self._render(tweet, fields) for tweet in page]
            meta: dict[str, Any] = {"result_count": len(data)}
            if data:
                meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
            if len(matching) > max_results:
                meta["next_token"] = f"page-{page[-1]['id']}"
            body: dict[str, Any] = {"meta": meta}
            if data:
                body["data"] = data
            return json_response(body, headers=window)

    def _get_tweet(self, request: Request, match: Any) -> Response:
        denied = self._authenticate(request)
        if denied:
            return denied
        tweet_id = match.group("id")
        with self._lock:
            window, limited = self._window("GET /2/tweets/:id")
            if limited:
                return limited
            if not tweet_id.isdigit():
                return invalid_request(f"The `id` query parameter value [{tweet_id}] is not valid")
            tweet = next((tweet for tweet in self.tweets if tweet["id"] == tweet_id), None)
            if tweet is None:
                detail = f"Could not find tweet with id: [{tweet_id}]."
                return json_response({"errors": [_resource_error(tweet_id, "Not Found Error", detail)]}, headers=window)
            fields = set(filter(None, request.args.get("tweet.fields", "").split(",")))
            if "non_public_metrics" in fields and time.time() - tweet["created_at"] >= NON_PUBLIC_METRICS_AGE:
                detail = (
                    f"Sorry, you are not authorized to access 'non_public_metrics' on the Tweet with ids [{tweet_id}]."
                )
                error = _resource_error(tweet_id, "Field Authorization Error", detail, "not-authorized-for-field")
                return json_response({"errors": [{**error, "field": "non_public_metrics"}]}, headers=window)
            billed = (datetime.now(UTC).date().isoformat(), tweet_id)
            if billed not in self.billed_reads and self.credits is not None:
                if self.credits < PRICE_PER_POST_READ:
                    return self._credits_depleted(window)
                self.credits -= PRICE_PER_POST_READ
            self.billed_reads.add(billed)
            return json_response({"data": self._render(tweet, fields)}, headers=window)

    def _search_recent(self, request: Request, match: Any) -> Response:
        denied = self._authenticate(request)
        if denied:
            return denied
        with self._lock:
            window, limited = self._window("GET /2/tweets/search/recent")
            if limited:
                return limited
            if not self.search_access:
                detail = (
                    "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
                    "from a Twitter developer App that is attached to a Project with the appropriate level of access."
                )
                refused = problem(
                    403,
                    "Client Forbidden",
                    detail,
                    "https://api.twitter.com/2/problems/client-forbidden",
                    reason="client-not-enrolled",
                    required_enrollment="Appropriate Level of API Access",
                )
                return json_response(refused, status=403, headers=window)
            query = request.args.get("query", "")
            if not query:
                return invalid_request("The `query` parameter can not be empty")
            if len(query) > 512:
                return invalid_request("The `query` parameter must be at most 512 characters long")
            asked = re.fullmatch(r"conversation_id:(\d+)", query.strip())
            if asked is None:
                return invalid_request(f"this fake understands only conversation_id:<id>, not [{query}]")
            try:
                max_results = int(request.args.get("max_results", "10"))
            except ValueError:
                return invalid_request("The `max_results` query parameter value is not valid")
            if not 10 <= max_results <= 100:
                return invalid_request(
                    f"The `max_results` query parameter value [{max_results}] is not between 10 and 100"
                )
            token = request.args.get("next_token")
            start = 0
            if token is not None:
                if not token.startswith(_NEXT_TOKEN) or not token[len(_NEXT_TOKEN) :].isdigit():
                    return invalid_request(f"The `next_token` query parameter value [{token}] is not valid")
                start = int(token[len(_NEXT_TOKEN) :])
            since_id = request.args.get("since_id")
            if since_id is not None and not since_id.isdigit():
                return invalid_request(f"The `since_id` query parameter value [{since_id}] is not valid")
            since = time.time() - RECENT_SEARCH_SECONDS
            older = next((t for t in self.tweets if t["id"] == since_id and t["created_at"] < since), None)
            if older is not None:
                return invalid_request(
                    f"Invalid 'since_id':'{since_id}'. 'since_id' must be a tweet id created after {_iso(since)}."
                )
            matching = sorted(
                (
                    tweet
                    for tweet in self.tweets
                    if tweet["conversation_id"] == asked.group(1)
                    and tweet["created_at"] >= since
                    and (since_id is None or int(tweet["id"]) > int(since_id))
                ),
                key=lambda tweet: (tweet["created_at"], int(tweet["id"])),
                reverse=True,
            )
            page = matching[start : start + max_results]
            day = datetime.now(UTC).date().isoformat()
            unbilled = [tweet for tweet in page if (day, tweet["id"]) not in self.billed_reads]
            if self.credits is not None:
                if self.credits < PRICE_PER_POST_READ * len(unbilled):
                    return self._credits_depleted(window)
                self.credits -= PRICE_PER_POST_READ * len(unbilled)
            self.billed_reads.update((day, tweet["id"]) for tweet in page)
            fields = set(filter(None, request.args.get("tweet.fields", "").split(",")))
            data = [self._render(tweet, fields) for tweet in page]
            meta: dict[str, Any] = {"result_count": len(data)}
            if data:
                meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
            if start + max_results < len(matching):
                meta["next_token"] = f"{_NEXT_TOKEN}{start + max_results}"
            body: dict[str, Any] = {"meta": meta}
            if data:
                body["data"] = data
            if data and "author_id" in request.args.get("expansions", "").split(","):
                authors = dict.fromkeys(tweet["author_id"] for tweet in page)
                body["includes"] = {"users": [dict(self.users[author]) for author in authors]}
            return json_response(body, headers=window)

    def _upload(self, request: Request, match: Any) -> Response:
        denied = self._authenticate(request)
        if denied:
            return denied
        with self._lock:
            window, limited = self._window("POST /2/media/upload")
            if limited:
                return limited
            upload = request.files.get("media")
            if upload is None:
                return invalid_request("$.media: is missing but it is required")
            category = request.form.get("media_category", "tweet_image")
            if category not in MEDIA_CATEGORIES:
                return invalid_request(f"$.media_category: does not have a value in the enumeration: {category}")
            content = upload.read()
            if not content.startswith(IMAGE_MAGIC) and category in ("tweet_image", "dm_image"):
                return invalid_request("$.media: Unsupported media type")
            if len(content) > MAX_IMAGE_BYTES:
                return invalid_request("$.media: File size exceeds 5242880 bytes")
            media_id = self._new_id()
            self.media[media_id] = {"category": category, "size": len(content), "alt_text": None}
            data = {"id": media_id, "media_key": f"3_{media_id}", "size": len(content), "expires_after_secs": 86400}
            return json_response({"data": data}, headers=window)

    def _metadata(self, request: Request, match: Any) -> Response:
        denied = self._authenticate(request)
        if denied:
            return denied
        with self._lock:
            window, limited = self._window("POST /2/media/metadata")
            if limited:
                return limited
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("id"), str):
                return invalid_request("$.id: is missing but it is required")
            alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
            if not isinstance(alt, str):
                return invalid_request("$.metadata.alt_text.text: is missing but it is required")
            if len(alt) > MAX_ALT_TEXT:
                return invalid_request(f"$.metadata.alt_text.text: must be at most {MAX_ALT_TEXT} characters long")
            if body["id"] not in self.media:
                return invalid_request(f"$.id: media {body['id']} not found")
            self.media[body["id"]]["alt_text"] = alt
            data = {"id": body["id"], "associated_metadata": {"alt_text": {"text": alt}}}
            return json_response({"data": data}, headers=window)

    # -- internals -----------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> Response | None:
        """X's 401 unless the request is signed with HMAC-SHA1 by the known consumer and token."""
        unauthorized = json_response(problem(401, "Unauthorized", "Unauthorized"), status=401)
        header = request.headers.get("Authorization", "")
        if not header.startswith("OAuth "):
            return unauthorized
        try:
            oauth = _oauth_fields(header)
        except ValueError:
            return unauthorized
        if (
            oauth.get("oauth_consumer_key") != self.CONSUMER_KEY
            or oauth.get("oauth_token") != self.ACCESS_TOKEN
            or oauth.get("oauth_signature_method") != "HMAC-SHA1"
            or not oauth.get("oauth_nonce")
            or not oauth.get("oauth_timestamp")
            or not self._signature_valid(request, oauth.get("oauth_signature", ""))
            or not self.token_valid
        ):
            return unauthorized
        return None

    def _signature_valid(self, request: Request, given: str) -> bool:
        form = request.content_type or ""
        body = request.get_data(as_text=True) if form.startswith("application/x-www-form-urlencoded") else None
        # Any: oauthlib's stubs narrow these more than oauthlib does (a list of pairs, any method name).
        params: Any = signature.collect_parameters(
            uri_query=request.query_string.decode(), body=body, headers=dict(request.headers)
        )
        method: Any = request.method
        base = signature.signature_base_string(
            method, signature.base_string_uri(request.base_url), signature.normalize_parameters(params)
        )
        secrets = SimpleNamespace(client_secret=self.CONSUMER_SECRET, resource_owner_secret=self.ACCESS_TOKEN_SECRET)
        return hmac.compare_digest(signature.sign_hmac_sha1_with_client(base, secrets), given)

    def _window(self, endpoint: str) -> tuple[dict[str, str], Response | None]:
        """Count one request against the endpoint's 15-minute window: its headers, and a 429 if spent."""
        now = int(time.time())
        used, reset = self._windows.get(endpoint, (0, now + WINDOW_SECONDS))
        if now >= reset:
            used, reset = 0, now + WINDOW_SECONDS
        limit = WINDOW_LIMITS[endpoint]
        if used >= limit:
            headers = {
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(reset),
            }
            return headers, json_response(
                problem(429, "Too Many Requests", "Too Many Requests"), status=429, headers=headers
            )
        used += 1
        self._windows[endpoint] = (used, reset)
        headers = {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(limit - used),
            "x-rate-limit-reset": str(reset),
        }
        return headers, None

    def _credits_depleted(self, window: dict[str, str]) -> Response:
        """The 402 of an app whose prepaid credits cannot pay for the request."""
        detail = f"Your enrolled account [{self.USER['id']}] does not have any credits to fulfill this request."
        kind = "https://api.twitter.com/2/problems/credits-depleted"
        return json_response(problem(402, "CreditsDepleted", detail, kind), status=402, headers=window)

    def _roll_daily_quota(self) -> None:
        if time.time() >= self.daily_reset:
            self.daily_used, self.daily_reset = 0, int(time.time()) + 24 * 3600

    def _daily_headers(self) -> dict[str, str]:
        self._roll_daily_quota()
        return {
            "x-user-limit-24hour-limit": str(self.daily_limit),
            "x-user-limit-24hour-remaining": str(max(0, self.daily_limit - self.daily_used)),
            "x-user-limit-24hour-reset": str(self.daily_reset),
            "x-app-limit-24hour-limit": "10000",
            "x-app-limit-24hour-remaining": "9000",
            "x-app-limit-24hour-reset": str(self.daily_reset),
        }

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _store(
        self,
        text: str,
        media_ids: list[str],
        created_at: float,
        author_id: str | None = None,
        replied_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Keep a post as X shows it: links as t.co (with entities), ``&<>`` escaped; by the office
        unless ``author_id`` says, in reply to ``replied_to`` when given."""
        tweet_id = self._new_id()
        shown, urls, position = [], [], 0
        length = 0
        for index, url in enumerate(extract_urls_with_indices(text)):
            start, end = url["indices"]
            shown.append(_escape(text[position:start]))
            length += len(shown[-1])
            short = f"https://t.co/{tweet_id[-6:]}{index:04d}"
            expanded = url["url"] if "://" in url["url"] else f"http://{url['url']}"
            display = expanded.split("://", 1)[1]
            urls.append(
                {
                    "start": length,
                    "end": length + len(short),
                    "url": short,
                    "expanded_url": expanded,
                    "display_url": display if len(display) <= 27 else display[:26] + "…",
                }
            )
            shown.append(short)
            length += len(short)
            position = end
        shown.append(_escape(text[position:]))
        if media_ids:
            # X lists a post with media with the media's own t.co link at the end of its text.
            joined = "".join(shown)
            start = len(joined) + 1
            short = f"https://t.co/{tweet_id[-6:]}m000"
            shown.append(f" {short}")
            urls.append(
                {
                    "start": start,
                    "end": start + len(short),
                    "url": short,
                    "expanded_url": f"https://x.com/{self.USER['username']}/status/{tweet_id}/photo/1",
                    "display_url": f"pic.x.com/{tweet_id[-10:]}",
                    "media_key": f"3_{media_ids[0]}",
                }
            )
        tweet = {
            "id": tweet_id,
            "text": "".join(shown),
            "source_text": text,
            "urls": urls,
            "media_ids": media_ids,
            "created_at": created_at,
            "metrics": dict.fromkeys(_PUBLIC_METRICS | _NON_PUBLIC_METRICS, 0),
            "author_id": author_id or self.USER["id"],
            "conversation_id": replied_to["conversation_id"] if replied_to else tweet_id,
            "replied_to": replied_to["id"] if replied_to else None,
            "in_reply_to_user_id": replied_to["author_id"] if replied_to else None,
        }
        self.tweets.append(tweet)
        return tweet

    def _render(self, tweet: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        rendered: dict[str, Any] = {"id": tweet["id"], "text": tweet["text"], "edit_history_tweet_ids": [tweet["id"]]}
        public, private = _PUBLIC_METRICS, _NON_PUBLIC_METRICS
        if not self.public_impressions:
            public, private = public - {"impression_count"}, private | {"impression_count"}
        if "public_metrics" in fields:
            rendered["public_metrics"] = {key: value for key, value in tweet["metrics"].items() if key in public}
        if "non_public_metrics" in fields:
            rendered["non_public_metrics"] = {key: value for key, value in tweet["metrics"].items() if key in private}
        if "created_at" in fields:
            rendered["created_at"] = _iso(tweet["created_at"])
        if "entities" in fields and tweet["urls"]:
            rendered["entities"] = {"urls": [dict(url) for url in tweet["urls"]]}
        if "author_id" in fields:
            rendered["author_id"] = tweet["author_id"]
        if "conversation_id" in fields:
            rendered["conversation_id"] = tweet["conversation_id"]
        if "in_reply_to_user_id" in fields and tweet["in_reply_to_user_id"]:
            rendered["in_reply_to_user_id"] = tweet["in_reply_to_user_id"]
        if "referenced_tweets" in fields and tweet["replied_to"]:
            rendered["referenced_tweets"] = [{"type": "replied_to", "id": tweet["replied_to"]}]
        return rendered


_PUBLIC_METRICS = frozenset(
    ("retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count", "impression_count")
)
_NON_PUBLIC_METRICS = frozenset(("url_link_clicks", "user_profile_clicks"))


def _resource_error(
    value: str, title: str, detail: str, kind: str = "resource-not-found", resource: str = "tweet"
) -> dict[str, str]:
    """One entry of the ``errors`` X answers with a 200 about a post or user it cannot give."""
    return {
        "value": value,
        "detail": detail,
        "title": title,
        "resource_type": resource,
        "parameter": "id",
        "resource_id": value,
        "type": f"https://api.twitter.com/2/problems/{kind}",
    }


def _oauth_fields(header: str) -> dict[str, str]:
    return {key: utils.unescape(value) for key, value in utils.parse_authorization_header(header)}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _same_text(first: str, second: str) -> bool:
    return unicodedata.normalize("NFC", first).strip() == unicodedata.normalize("NFC", second).strip()


FAKE = XFake
