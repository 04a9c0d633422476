"""The ``webhook`` channel: POST each post as signed JSON to the office's own website, CMS or chat tool.

The receiver is the office's software, so the contract is ours (docs/channels/webhook.md): a JSON
body with the post and its innovation; an HMAC-SHA256 signature with a timestamp so the receiver can
tell the request is ours, unaltered and fresh (an old request replayed fails); and an
``Idempotency-Key`` (the post's stable key) so a receiver can turn a repeat into a no-op. The
signature is outreach's own (``X-Outreach-Signature`` over ``"<timestamp>.<body>"``, the default) or
Standard Webhooks' (https://www.standardwebhooks.com/), which off-the-shelf libraries verify and
which lets two secrets sign side by side while the office rotates them (the variable then holds
both, separated by a space, as the signatures are in the header). Outreach
cannot know whether a given receiver does de-duplicate, so a retry after an ambiguous failure is
not declared safe, and there is nothing to look up afterwards (no reconcile).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import requests

from ..errors import ConfigError, ContentRejected, PublishError
from ..i18n import _
from ..redaction import register_secret
from ..settings import Check
from .base import (
    AccountIdentity,
    Channel,
    ChannelSettings,
    Checkpoint,
    OutgoingPost,
    PublishResult,
)
from .http import HttpClient, HttpResponse

SIGNATURE_HEADER = "X-Outreach-Signature"
TIMESTAMP_HEADER = "X-Outreach-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: Standard Webhooks' headers (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
STANDARD_ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
#: How a Standard Webhooks secret is written: this prefix, then the key's bytes in base64.
STANDARD_SECRET_PREFIX = "whsec_"
#: The specification's shortest signing key, in bytes.
STANDARD_MINIMUM_KEY_BYTES = 24
#: The current secret, and the next one while the receiver switches to it.
MAX_STANDARD_SECRETS = 2

#: Static headers may not replace what outreach signs and sets, nor carry credentials (secrets never go in config).
_FORBIDDEN_HEADERS = frozenset(
    name.lower()
    for name in (
        SIGNATURE_HEADER,
        TIMESTAMP_HEADER,
        IDEMPOTENCY_HEADER,
        STANDARD_ID_HEADER,
        STANDARD_TIMESTAMP_HEADER,
        STANDARD_SIGNATURE_HEADER,
        "Content-Type",
        "Authorization",
        "Cookie",
    )
)


def _http_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError(_("url must be a full address starting with https:// (or http:// on a local network)"))
    return value


def _no_base_url(value: str) -> str:
    raise ValueError(_("a webhook channel takes its full address in 'url'; remove 'base_url'"))


def _no_forbidden_headers(value: dict[str, str]) -> dict[str, str]:
    for name in value:
        if name.lower() in _FORBIDDEN_HEADERS:
            raise ValueError(
                _(
                    "header {name} cannot be set here: outreach sets it itself, and secrets never go in the config"
                ).format(name=repr(name))
            )
    return value


@dataclass(frozen=True, kw_only=True)
class WebhookSettings(ChannelSettings):
    type: Literal["webhook"]
    #: Refused: a webhook's whole address is ``url``.
    base_url: Annotated[str, Check(_no_base_url)] | None = None
    #: The receiver's full address, e.g. https://cms.example.go.id/hooks/outreach.
    url: Annotated[str, Check(_http_url)]
    secret_env: str = "OUTREACH_WEBHOOK_SECRET"
    #: 'outreach': X-Outreach-Signature (as before); 'standard': Standard Webhooks' webhook-* headers.
    signing: Literal["outreach", "standard"] = "outreach"
    #: Extra static, non-secret headers.
    headers: Annotated[dict[str, str], Check(_no_forbidden_headers)] = field(default_factory=dict)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``"<timestamp>.<body>"``, so neither can be changed or replayed alone."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def standard_signature(key: bytes, message_id: str, timestamp: str, body: bytes) -> str:
    """``v1,<base64>``: Standard Webhooks' HMAC-SHA256 of ``"<id>.<timestamp>.<body>"`` with a secret's key."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def standard_key(secret: str) -> bytes:
    """The key of a ``whsec_<base64>`` secret; ValueError for anything else, so both sides derive the same key."""
    if not secret.startswith(STANDARD_SECRET_PREFIX):
        raise ValueError(
            _("a Standard Webhooks secret starts with {prefix}").format(prefix=repr(STANDARD_SECRET_PREFIX))
        )
    try:
        key = base64.b64decode(secret.removeprefix(STANDARD_SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError(
            _("the part after {prefix} is not base64").format(prefix=repr(STANDARD_SECRET_PREFIX))
        ) from None
    if len(key) < STANDARD_MINIMUM_KEY_BYTES:
        raise ValueError(
            _("the key is {size} bytes; the specification asks for {minimum}+").format(
                size=len(key), minimum=STANDARD_MINIMUM_KEY_BYTES
            )
        )
    return key


def standard_message_id(post_key: str) -> str:
    """``webhook-id`` for a post: stable across attempts, and free of the ``.`` that separates the
    signed parts (the specification forbids it in the id) and of characters a header cannot carry."""
    return "msg_" + hashlib.sha256(post_key.encode("utf-8")).hexdigest()[:32]


class WebhookChannel(Channel):
    platform = "webhook"
    settings_model = WebhookSettings
    settings: WebhookSettings

    def open_http(self) -> HttpClient:
        http = self.new_http_client(self.settings.url, classify=self._classify)
        http.session.headers.update(self.settings.headers)
        return http

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        response = self._send(
            self._payload(post), standard_message_id(post.key), {IDEMPOTENCY_HEADER: post.key}, idempotent=False
        )
        answer = response.body if isinstance(response.body, dict) else {}
        remote_id = answer.get("id")
        url = answer.get("url")
        return PublishResult(
            remote_id=str(remote_id) if remote_id not in (None, "") else post.key,
            url=url if isinstance(url, str) and url else None,
        )

    def check(self) -> AccountIdentity:
        """A signed ``ping``: proves the address answers and, when the receiver verifies, that the secrets match."""
        ping_id = f"msg_ping_{uuid.uuid4().hex}"  # each ping is a message of its own
        response = self._send({"event": "ping", "channel": self.name}, ping_id, {}, idempotent=True)
        address = urlsplit(self.settings.url)._replace(query="", fragment="").geturl()
        return AccountIdentity(
            handle=address, detail=_("receiver accepted a signed ping (HTTP {status})").format(status=response.status)
        )

    def _payload(self, post: OutgoingPost) -> dict[str, Any]:
        return {
            "event": "post.published",
            "channel": self.name,
            "post_key": post.key,
            "post_id": post.id,
            "campaign": post.campaign,
            "kind": post.kind,
            "scheduled_at": post.scheduled_at.isoformat(timespec="seconds"),
            "text": post.text,
            "link": post.link,
            "image": post.image.name if post.image is not None else None,
            "alt_text": post.alt_text,
            "innovation": dict(post.innovation),
        }

    def _send(
        self, payload: dict[str, Any], message_id: str, headers: dict[str, str], *, idempotent: bool
    ) -> HttpResponse:
        """Sign the exact bytes that go on the wire, with a fresh timestamp, and POST them.

        ``message_id`` is Standard Webhooks' ``webhook-id``: the same on every attempt at one message.
        """
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_value).encode("utf-8")
        timestamp = str(int(self.wall_clock.now().timestamp()))  # the receiver checks it against its clock
        signed = {"Content-Type": "application/json", **self._signature_headers(message_id, timestamp, body), **headers}
        return self.http.request(
            "POST",
            self.settings.url,
            data=body,
            headers=signed,
            idempotent=idempotent,
            expect_json=False,
        )

    def _signature_headers(self, message_id: str, timestamp: str, body: bytes) -> dict[str, str]:
        if self.settings.signing == "outreach":
            return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(self.secret("secret"), timestamp, body)}
        signatures = [standard_signature(key, message_id, timestamp, body) for key in self._standard_keys()]
        return {
            STANDARD_ID_HEADER: message_id,
            STANDARD_TIMESTAMP_HEADER: timestamp,
            STANDARD_SIGNATURE_HEADER: " ".join(signatures),
        }

    def _standard_keys(self) -> list[bytes]:
        """The keys of the secret, or of both secrets during a rotation (``whsec_old whsec_new``)."""
        secrets = self.secret("secret").split()
        for secret in secrets:
            register_secret(secret)  # each on its own, as a log line could show one
        try:
            if len(secrets) > MAX_STANDARD_SECRETS:
                raise ValueError(
                    _("{count} secrets, at most {most}").format(count=len(secrets), most=MAX_STANDARD_SECRETS)
                )
            return [standard_key(secret) for secret in secrets]
        except ValueError as error:
            raise ConfigError(
                _(
                    "channel '{name}': {variable} must hold Standard Webhooks secrets ({error}): "
                    "{prefix}<base64 of at least {minimum} random bytes>, "
                    "two separated by a space during a rotation; see docs/channels/webhook.md"
                ).format(
                    name=self.name,
                    variable=self.settings.secret_env,
                    error=error,
                    prefix=STANDARD_SECRET_PREFIX,
                    minimum=STANDARD_MINIMUM_KEY_BYTES,
                )
            ) from None

    def _classify(self, response: requests.Response, body: Any) -> PublishError | None:
        """An empty 4xx is the receiver refusing the post; http.py would read a bodiless answer as a gateway failure."""
        status = response.status_code
        if body is None and 400 <= status < 500 and status not in (401, 403, 408, 429):
            return ContentRejected(
                _("{name}: the receiver refused the post with HTTP {status} (no reason given)").format(
                    name=self.name, status=status
                )
            )
        return None


def _json_value(value: Any) -> Any:
    """Catalogue values JSON has no type for: dates as ISO 8601, anything else as its text."""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
