"""A receiver for the ``webhook`` channel, written as a city CMS would write one from docs/channels/webhook.md.

It verifies the signature over ``"<timestamp>.<body>"`` with the shared secret and rejects stale
timestamps, validates the documented body, de-duplicates on ``Idempotency-Key`` (a repeat gets the
first answer), answers ``ping`` and, like a CMS, returns the article's ``id`` and public ``url``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from typing import Any

from werkzeug import Request, Response

from .base import PlatformFake
from .server import json_response

SECRET = "whsec-test-6f1c2a9e4b7d"
#: What a receiver holds after the office rotated the secret without telling outreach.
ROTATED_SECRET = "whsec-rotated-0d3e8a5c"
TOLERANCE_SECONDS = 300
HOOK_PATH = "/hooks/outreach"

#: The documented body of a ``post.published`` event: field → accepted JSON types.
POST_FIELDS: dict[str, tuple[type, ...]] = {
    "event": (str,),
    "channel": (str,),
    "post_key": (str,),
    "post_id": (int,),
    "campaign": (str,),
    "kind": (str,),
    "scheduled_at": (str,),
    "text": (str,),
    "link": (str, type(None)),
    "image": (str, type(None)),
    "alt_text": (str, type(None)),
    "innovation": (dict,),
}


class WebhookFake(PlatformFake):
    channel_type = "webhook"
    create_path = HOOK_PATH

    def __init__(self, server: Any) -> None:
        self._lock = threading.Lock()
        #: Idempotency-Key → the first answer's body, as a de-duplicating receiver keeps it.
        self.answers: dict[str, dict[str, Any]] = {}
        self.pings = 0
        super().__init__(server)

    def install(self) -> None:
        self.server.route("POST", HOOK_PATH, self._receive)

    def channel_settings(self) -> dict[str, Any]:
        return {"type": "webhook", "url": self.server.url + HOOK_PATH}

    @property
    def environ(self) -> dict[str, str]:
        return {"OUTREACH_WEBHOOK_SECRET": SECRET}

    def rate_limit_response(self, retry_after: int) -> Response:
        return json_response({"error": "too many requests"}, status=429, headers={"Retry-After": str(retry_after)})

    def server_error_response(self) -> Response:
        return json_response({"error": "database unavailable"}, status=503)

    def _receive(self, request: Request, _match: Any) -> Response:
        body = request.get_data()
        # After expire_token() the receiver holds a rotated secret, so every signature fails.
        secret = SECRET if self.token_valid else ROTATED_SECRET
        if not verify(secret, request.headers, body):
            return json_response({"error": "invalid signature"}, status=401)
        if request.mimetype != "application/json":
            return json_response({"error": "expected application/json"}, status=415)
        try:
            event = json.loads(body)
        except ValueError:
            return json_response({"error": "body is not JSON"}, status=400)
        if event.get("event") == "ping":
            with self._lock:
                self.pings += 1
            return json_response({"ok": True})
        problem = _problem(event, request.headers.get("Idempotency-Key"))
        if problem:
            return json_response({"error": problem}, status=422)
        with self._lock:
            key = event["post_key"]
            if key in self.answers:
                return json_response(self.answers[key], status=200)
            number = len(self.created) + 1
            answer = {"id": f"berita-{number}", "url": f"{self.server.url}/berita/{number}"}
            self.created.append(event)
            self.answers[key] = answer
        return json_response(answer, status=201)


def verify(secret: str, headers: Any, body: bytes) -> bool:
    """The receiver's check: fresh timestamp, and ``sha256=`` HMAC of ``"<timestamp>.<body>"`` matches."""
    timestamp = headers.get("X-Outreach-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + expected, headers.get("X-Outreach-Signature", ""))


def _problem(event: Any, idempotency_key: str | None) -> str | None:
    """Why a receiver would refuse this event, or None."""
    if not isinstance(event, dict):
        return "body must be a JSON object"
    if event.get("event") != "post.published":
        return f"unknown event {event.get('event')!r}"
    for field, types in POST_FIELDS.items():
        if field not in event:
            return f"missing field {field}"
        if not isinstance(event[field], types) or isinstance(event[field], bool):
            return f"field {field} has the wrong type"
    if idempotency_key != event["post_key"]:
        return "Idempotency-Key must equal post_key"
    return None


FAKE = WebhookFake
