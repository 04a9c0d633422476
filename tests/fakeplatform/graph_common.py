"""What the Facebook and Instagram fakes share: Graph API auth, error bodies and usage headers.

Not a platform itself (it defines no ``FAKE``), so the contract suite does not pick it up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
from abc import abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from werkzeug import Request, Response

from outreach.model import Post, PostState

from .base import PlatformFake
from .server import FakeServer, json_response

#: Graph paths start with the API version, e.g. ``/v26.0``.
VERSION = r"/v\d+\.\d+"
#: The newest version (changelog, November 2026) and the oldest still served: v20.0 expired on
#: 24 September 2026, v21.0 is served until 21 January 2027.
LATEST_VERSION = (26, 0)
OLDEST_SERVED_VERSION = (21, 0)


def graph_error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    status: int = 400,
    error_type: str = "OAuthException",
    is_transient: bool | None = None,
    headers: dict[str, str] | None = None,
    user_message: str | None = None,
) -> Response:
    """A Graph API error exactly as Meta shapes it."""
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient is not None:
        error["is_transient"] = is_transient
    if user_message is not None:
        error["error_user_msg"] = user_message
    error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
    return json_response({"error": error}, status=status, headers=headers)


def business_use_case_header(business_id: str, use_case: str, wait_seconds: float) -> dict[str, str]:
    """``X-Business-Use-Case-Usage`` for a throttled business object.

    Meta states the wait in minutes (usually whole ones); a wait that is not a whole number of
    minutes is sent as a fractional minute so that tests can ask for any number of seconds.
    """
    minutes = wait_seconds / 60
    usage = {
        business_id: [
            {
                "type": use_case,
                "call_count": 100,
                "total_cputime": 12,
                "total_time": 100,
                "estimated_time_to_regain_access": int(minutes) if minutes.is_integer() else round(minutes, 4),
            }
        ]
    }
    return {"X-Business-Use-Case-Usage": json.dumps(usage)}


def cursor_page(items: list[dict[str, Any]], request: Request, base_path: str) -> dict[str, Any]:
    """One page of a Graph list (``limit`` + ``after`` cursor), with Meta's ``paging`` block.

    The ``next`` URL carries ``access_token`` like Meta's does, which is why clients should
    page with the cursor instead.
    """
    limit = int(request.args.get("limit", "25"))
    start = 0
    if request.args.get("after"):
        start = int(base64.urlsafe_b64decode(request.args["after"]).decode())
    page = items[start : start + limit]
    body: dict[str, Any] = {"data": page}
    if page:
        body["paging"] = {
            "cursors": {
                "before": base64.urlsafe_b64encode(str(start).encode()).decode(),
                "after": base64.urlsafe_b64encode(str(start + len(page)).encode()).decode(),
            }
        }
        if start + len(page) < len(items):
            after = body["paging"]["cursors"]["after"]
            body["paging"]["next"] = (
                f"https://graph.facebook.com/v26.0{base_path}?access_token=TOKEN&limit={limit}&after={after}"
            )
    return body


def only_fields(record: dict[str, Any], request: Request, default: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """A node's answer: the requested ``fields`` that it has (Graph omits absent fields)."""
    wanted = request.args.get("fields")
    names = [name.strip() for name in wanted.split(",")] if wanted else list(default)
    return {name: record[name] for name in names if name in record and record[name] is not None}


def parse_fields(spec: str) -> list[tuple[str, dict[str, str]]] | None:
    """Graph's field expansion: ``a,b.summary(total_count).limit(0)`` → [(name, {modifier: argument})].

    Commas inside parentheses or braces do not split; None for what Graph would call a syntax error.
    """
    parts, depth, start = [], 0, 0
    for index, character in enumerate(spec):
        depth += {"(": 1, "{": 1, ")": -1, "}": -1}.get(character, 0)
        if character == "," and depth == 0:
            parts.append(spec[start:index])
            start = index + 1
    parts.append(spec[start:])
    fields = []
    for part in parts:
        match = _FIELD.fullmatch(part.strip())
        if match is None or depth != 0:
            return None
        fields.append((match["name"], dict(_MODIFIER.findall(match["modifiers"]))))
    return fields


_FIELD = re.compile(r"(?P<name>\w+)(?P<modifiers>(?:\.\w+\([^(){}]*\))*)(?:\{.*\})?")
_MODIFIER = re.compile(r"\.(\w+)\(([^(){}]*)\)")


def syntax_error(spec: str) -> Response:
    return graph_error(2500, f'Syntax error "Expected end of string instead of "("." at character 0: {spec}')


def summary_edge(object_id: str, total: int, modifiers: dict[str, str], summary_fields: dict[str, Any]) -> Any:
    """An edge asked for with its total (``reactions.summary(total_count).limit(0)``), as Graph answers it.

    ``limit(n)`` items (stubs; 25 by default), and ``summary``: ``true`` gives every summary field,
    a list of names only those, absent none.
    """
    limit = int(modifiers.get("limit", "25"))
    edge: dict[str, Any] = {"data": [{"id": f"{object_id}_{index}"} for index in range(min(limit, total))]}
    asked = modifiers.get("summary")
    if asked is not None and asked != "false":
        every = {"total_count": total, **summary_fields}
        names = every if asked == "true" else [name.strip() for name in asked.split(",")]
        edge["summary"] = {name: every[name] for name in names if name in every}
    return edge


def insights_answer(object_id: str, values: dict[str, int]) -> dict[str, Any]:
    """An ``/insights`` answer: one lifetime entry per metric Meta has figures for."""
    return {
        "data": [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": value}],
                "title": name.replace("_", " ").title(),
                "description": f"Lifetime: {name}",
                "id": f"{object_id}/insights/{name}/lifetime",
            }
            for name, value in values.items()
        ],
        "paging": {"previous": "https://graph.facebook.com/...", "next": "https://graph.facebook.com/..."},
    }


def missing_permission(permission: str) -> Response:
    """Meta's answer to a call the token lacks ``permission`` for (code 10, an OAuthException)."""
    return graph_error(10, f"(#10) This endpoint requires the '{permission}' permission.", status=403)


def throttled(code: int, business_id: str, use_case: str, wait_seconds: int = 600) -> Response:
    """A throttle with the headers Meta sends with it: app (4) and user (17) limits show the app's usage in
    ``X-App-Usage`` and give no wait; a Page (32) or business use case limit (800xx) gives its wait in
    ``X-Business-Use-Case-Usage``."""
    messages = {
        4: "(#4) Application request limit reached",
        17: "(#17) User request limit reached",
        32: "(#32) Page request limit reached",
        80001: "There have been too many calls to this Page account. Wait a bit and try again.",
        80002: "There have been too many calls to this Instagram account. Wait a bit and try again.",
    }
    message = messages[code]
    if code in (4, 17):
        usage = {"call_count": 100 if code == 4 else 40, "total_cputime": 30, "total_time": 45}
        return graph_error(code, message, status=400 if code == 4 else 403, headers={"X-App-Usage": json.dumps(usage)})
    return graph_error(code, message, headers=business_use_case_header(business_id, use_case, wait_seconds))


def published_post(remote_id: str | None, post_id: int = 1) -> Post:
    """The post as outreach's store keeps it once published as ``remote_id`` (what engagement reads)."""
    moment = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    return Post(
        id=post_id,
        key=f"kampanye-desember/test/ktp-sehari-jadi/perkenalan/2026-12-01T02:00:00Z#{post_id}",
        campaign="kampanye-desember",
        channel="test",
        innovation_id="ktp-sehari-jadi",
        kind="perkenalan",
        scheduled_at=moment,
        due_at=moment,
        state=PostState.PUBLISHED,
        attempts=1,
        text="Urus KTP-el kini selesai dalam satu hari.",
        link=None,
        image=None,
        alt_text=None,
        content_hash=None,
        remote_id=remote_id,
        remote_url=None,
        published_at=moment,
        reason=None,
    )


def graph_time(moment: datetime) -> str:
    """Graph's timestamp format, e.g. ``2026-12-01T02:00:05+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class GraphFake(PlatformFake):
    """Auth and error vocabulary of the Graph API, for the Facebook and Instagram fakes."""

    #: The environment variable the channel block names, and its valid value.
    token_env: str
    token: str
    #: What ``rate_limit_response`` reports: the throttle code, its message and the use case type.
    rate_limit_code: int
    rate_limit_message: str
    use_case: str

    def __init__(self, server: FakeServer) -> None:
        #: Set to "Require App Secret": every call must carry a valid ``appsecret_proof``.
        self.app_secret: str | None = None
        #: What ``X-App-Usage`` reports on every answer (percent of the app's hourly limit).
        self.app_usage = {"call_count": 3, "total_cputime": 1, "total_time": 2}
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        #: The fake's clock, replaceable by tests that need posts at given times.
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        super().__init__(server)

    @property
    def environ(self) -> dict[str, str]:
        environ = {self.token_env: self.token}
        if self.app_secret is not None:
            environ["META_APP_SECRET"] = self.app_secret
        return environ

    def require_app_secret(self, secret: str = "fake-app-secret-5f4dcc3b5aa765d6") -> dict[str, Any]:
        """Switch on "Require App Secret"; the channel keys that name the secret."""
        self.app_secret = secret
        return {"app_secret_env": "META_APP_SECRET"}

    @property
    @abstractmethod
    def business_id(self) -> str:
        """The object (Page, Instagram account) whose usage the throttle headers report."""

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def route(self, method: str, pattern: str, handler: Callable[..., Response]) -> None:
        """A versioned route that answers only correctly authenticated requests."""

        def authenticated(request: Request, match: Any) -> Response:
            refused = self.refuse_version(request) or self.refuse_auth(request) or self.refuse_without_proof(request)
            answer = refused if refused is not None else handler(request, match)
            answer.headers["X-App-Usage"] = json.dumps(self.app_usage)
            return answer

        self.server.route(method, VERSION + pattern, authenticated)

    def refuse_version(self, request: Request) -> Response | None:
        """A retired version is refused, and a version that does not exist yet is unknown.

        Stricter than Meta, on purpose: Meta answers a retired version as the oldest one it still
        serves, which would let a test pass on a version whose behaviour is not the one asked for.
        """
        major, minor = request.path.split("/")[1].lstrip("v").split(".")
        version = (int(major), int(minor))
        if version < OLDEST_SERVED_VERSION:
            latest = "v{}.{}".format(*LATEST_VERSION)
            return graph_error(
                2635, f"(#2635) You are calling a deprecated version of the Graph API. Please update to {latest}."
            )
        if version > LATEST_VERSION:
            return graph_error(2500, f"Unknown path components: /{request.path.split('/')[1]}")
        return None

    def refuse_without_proof(self, request: Request) -> Response | None:
        """With "Require App Secret", Meta's answers to a missing or wrong ``appsecret_proof``."""
        if self.app_secret is None:
            return None
        proof = request.values.get("appsecret_proof")
        if not proof:
            return graph_error(
                100, "API calls from the server require an appsecret_proof argument", error_type="GraphMethodException"
            )
        token = self.token_of(request) or ""
        expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(proof, expected):
            return graph_error(
                100, "Invalid appsecret_proof provided in the API argument", error_type="GraphMethodException"
            )
        return None

    @staticmethod
    def token_of(request: Request) -> str | None:
        """The token as the request carries it: Bearer header or ``access_token`` parameter."""
        header = request.headers.get("Authorization", "")
        return header[len("Bearer ") :] if header.startswith("Bearer ") else request.values.get("access_token")

    def refuse_auth(self, request: Request) -> Response | None:
        """Meta's answer to a missing, wrong or expired token; None when the token is good.

        The real API accepts the token as a Bearer header or an ``access_token`` parameter; so does
        the fake (tests check separately that outreach uses the header).
        """
        token = self.token_of(request)
        if not token:
            return graph_error(104, "An access token is required to request this resource.")
        if token != self.token:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if not self.token_valid:
            return graph_error(
                190,
                "Error validating access token: Session has expired on Tuesday, 01-Dec-26 02:00:00 PST. "
                "The current time is Tuesday, 01-Dec-26 03:00:00 PST.",
                subcode=463,
            )
        return None

    def rate_limit_response(self, retry_after: int) -> Response:
        return graph_error(
            self.rate_limit_code,
            self.rate_limit_message,
            headers=business_use_case_header(self.business_id, self.use_case, retry_after),
        )

    def server_error_response(self) -> Response:
        return graph_error(
            2,
            "An unexpected error has occurred. Please retry your request later.",
            status=500,
            is_transient=True,
        )

    def not_found(self, object_id: str, method: str = "get") -> Response:
        return graph_error(
            100,
            f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation.",
            subcode=33,
            error_type="GraphMethodException",
        )
