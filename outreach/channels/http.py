"""The one HTTP choke point for the requests-based adapters.

Every request goes through ``HttpClient.request``: one ``requests.Session`` per channel, the
configured timeouts, a User-Agent, and the translation of what went wrong into the typed errors
the publisher decides on. The translation hinges on one question — could the platform have acted
on the request? A refused connection could not (``NetworkError``); a read timeout or a connection
reset after a POST was sent could (``AmbiguousError``).
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import requests
import urllib3.exceptions

from .. import __version__
from ..errors import (
    AmbiguousError,
    AuthError,
    ContentRejected,
    NetworkError,
    PublishError,
    RateLimited,
    ServerError,
)
from ..redaction import redact

USER_AGENT = f"outreach/{__version__} (+public-service announcements)"

#: Given a failed response, the platform-specific error, or None for the generic mapping.
ErrorClassifier = Callable[[requests.Response, Any], PublishError | None]


@dataclass(frozen=True)
class HttpResponse:
    """A successful response: status, headers and decoded JSON body (None when empty)."""

    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: Any


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse a ``Retry-After`` header: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def seconds_until_epoch(value: str | None, now: float | None = None) -> float | None:
    """Seconds until a reset given as Unix seconds (X, Bluesky)."""
    if not value:
        return None
    try:
        return max(0.0, float(value) - (time.time() if now is None else now))
    except ValueError:
        return None


def seconds_until_iso(value: str | None, now: float | None = None) -> float | None:
    """Seconds until a reset given as an ISO 8601 time (Mastodon)."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _never_reached(error: requests.ConnectionError) -> bool:
    """True when the connection failed before any byte of the request was sent."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason: Any = error.args[0] if error.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


class HttpClient:
    """A session bound to one platform's base URL, timeouts and error vocabulary."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        classify: ErrorClassifier | None = None,
        retry_after: Callable[[requests.Response], float | None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self._classify = classify
        self._retry_after = retry_after or (lambda r: retry_after_seconds(r.headers.get("Retry-After")))
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def url(self, path: str) -> str:
        """An absolute URL for ``path`` (absolute URLs pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self, method: str, path: str, *, idempotent: bool | None = None, expect_json: bool = True, **kwargs: Any
    ) -> HttpResponse:
        """Send one request; return the decoded success or raise the matching ``PublishError``.

        ``idempotent`` says whether repeating the request is harmless; it defaults to True for
        GET/HEAD. For a non-idempotent request, anything that may have reached the platform is
        ambiguous. ``expect_json=False`` is for receivers the office runs (webhooks, chat tools)
        that may answer a success with any body: a 2xx is then a success whatever it says.
        """
        safe = method.upper() in ("GET", "HEAD") if idempotent is None else idempotent
        kwargs.setdefault("timeout", self.timeout)
        where = f"{self.platform}: {method.upper()} {path.split('?')[0]}"
        try:
            response = self.session.request(method, self.url(path), **kwargs)
        except requests.ConnectionError as error:
            if _never_reached(error):
                raise NetworkError(redact(f"{where}: could not connect ({error.__class__.__name__})")) from error
            if safe:
                raise NetworkError(redact(f"{where}: connection lost ({error.__class__.__name__})")) from error
            raise AmbiguousError(redact(f"{where}: connection lost after sending; it may have been posted")) from error
        except requests.Timeout as error:
            if safe:
                raise ServerError(redact(f"{where}: no answer within {self.timeout[1]:g} s")) from error
            raise AmbiguousError(
                redact(f"{where}: no answer within {self.timeout[1]:g} s; it may have been posted")
            ) from error
        except requests.RequestException as error:
            if safe:
                raise NetworkError(redact(f"{where}: {error.__class__.__name__}")) from error
            raise AmbiguousError(redact(f"{where}: {error.__class__.__name__}; it may have been posted")) from error
        return self._decode(response, where, safe, expect_json)

    def _decode(self, response: requests.Response, where: str, safe: bool, expect_json: bool = True) -> HttpResponse:
        body: Any = None
        decoded = True
        if response.content:
            try:
                body = response.json()
            except ValueError:
                decoded = False
        if response.ok:
            if not decoded and not expect_json:
                return HttpResponse(response.status_code, response.headers, None)
            if not decoded:
                message = redact(f"{where}: HTTP {response.status_code} but the body is not JSON")
                if safe:
                    raise ServerError(message)
                raise AmbiguousError(message + "; it may have been posted")
            return HttpResponse(response.status_code, response.headers, body)
        if decoded and self._classify is not None:
            specific = self._classify(response, body)
            if specific is not None:
                raise specific
        raise self._generic_error(response, where, body if decoded else None)

    def _generic_error(self, response: requests.Response, where: str, body: Any) -> PublishError:
        status = response.status_code
        detail = _short_detail(body, response)
        message = redact(f"{where}: HTTP {status}{': ' + detail if detail else ''}")
        if status == 429:
            return RateLimited(message, retry_after=self._retry_after(response))
        if status in (401, 403):
            return AuthError(message)
        if status >= 500 or status == 408 or body is None:
            # A proxy's HTML error page or a gateway failure: the platform itself never answered.
            return ServerError(message, retry_after=retry_after_seconds(response.headers.get("Retry-After")))
        return ContentRejected(message)

    def close(self) -> None:
        self.session.close()


def _short_detail(body: Any, response: requests.Response) -> str:
    """A one-line reason from a JSON error body, or a hint at a non-JSON page."""
    if isinstance(body, dict):
        for key in ("detail", "error_description", "message", "description", "error", "title"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:300]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"][:300]
        return ""
    content_type = response.headers.get("Content-Type", "")
    return f"non-JSON response ({content_type.split(';')[0] or 'no content type'})"
