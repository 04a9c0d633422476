"""The one HTTP choke point for the requests-based adapters.

Every request goes through ``HttpClient.request``: one ``requests.Session`` per channel, the
configured timeouts, a User-Agent, and the translation of what went wrong into the typed errors
the publisher decides on. A failure to get a complete answer is translated by one table,
``TRANSPORT_FAILURES``, which the X channel also reads for the requests tweepy makes. It hinges on
one question — could the platform have acted on the request? A refused connection could not
(``NetworkError``); a read timeout or a connection reset after a POST was sent could
(``AmbiguousError``). Every message is redacted.

The session's ``DeadlineAdapter`` bounds each exchange as a whole (tweepy's calls on the X
channel's session too). requests' and urllib3's timeouts, ``Timeout(total=...)`` included, bound
each socket read, so a server that sends one byte every few seconds never trips them; the adapter
shuts the connection's socket down when the deadline passes, which wakes the blocked read, and
reads the body itself, refusing one larger than ``MAX_RESPONSE_BYTES``.

The connections themselves are the process's, not a channel's: every adapter draws on one pool
manager (``_POOLS``), so the many accounts of one office that post to the same platform host reuse
each other's keep-alive connections (one TCP and TLS handshake for a burst, not one per channel).
Only the transport is shared: each channel keeps its own ``requests.Session`` — cookies, headers,
credentials — and its own adapter with its own timeouts and proxy connections.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
import urllib3.connection
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .. import __version__
from ..clock import Clock
from ..errors import (
    AmbiguousError,
    AuthError,
    ContentRejected,
    NetworkError,
    PublishError,
    RateLimited,
    ServerError,
)
from ..i18n import _
from ..reasons import N_
from ..redaction import redact
from .base import parse_timestamp
from .session import ChannelSession

USER_AGENT = f"outreach/{__version__} (+public-service announcements)"
#: No platform answer comes near this; a larger body is refused before it fills memory.
MAX_RESPONSE_BYTES = 4 * 2**20
#: The slowest upload given time on top of a request's deadline, so a large image on a slow line
#: is not cut off (bytes per second of request body).
SLOWEST_UPLOAD_BYTES_PER_SECOND = 64 * 1024
_CHUNK_BYTES = 64 * 1024
#: A pooled connection idle longer than this is closed rather than reused: a server drops idle
#: keep-alive connections after a few seconds (gunicorn after 2, Apache and Node after 5), and a POST
#: sent on one it is dropping just then could not tell whether it was acted on. A burst reuses its
#: connections within a platform's answer time, well inside this.
IDLE_CONNECTION_SECONDS = 1.0
#: Hosts whose connections the process keeps (the least recently used host's are closed beyond).
POOLED_HOSTS = 32
#: Idle connections kept per host: more than can be in use at once in one process (at most 64
#: publishing lanes, plus the collectors'), so a burst to one host keeps every connection it opened.
POOLED_CONNECTIONS_PER_HOST = 100

#: Given a failed response, the platform-specific error, or None for the generic mapping.
ErrorClassifier = Callable[[requests.Response, Any], PublishError | None]


@dataclass(frozen=True)
class HttpResponse:
    """A successful response: status, headers and decoded JSON body (None when empty)."""

    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: Any


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Parse a ``Retry-After`` header: delta seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return seconds_until(parse_timestamp(value), now)


def seconds_until(when: datetime | None, now: datetime) -> float | None:
    """Seconds from ``now`` until ``when`` (0 once it is past); None when the platform gave no readable time."""
    return None if when is None else max(0.0, (when - now).total_seconds())


class DeadlineExceeded(requests.Timeout):
    """The exchange as a whole outlasted its deadline (e.g. a server trickling its answer)."""

    def __init__(self, seconds: float, **kwargs: Any) -> None:
        super().__init__(_("no complete answer within {seconds} s").format(seconds=f"{round(seconds, 1):g}"), **kwargs)
        self.seconds = seconds


class ResponseTooLarge(requests.RequestException):
    """The answer's body is larger than ``MAX_RESPONSE_BYTES``."""


class _Watchdog:
    """Shuts the socket of one exchange's connection down if it is still running at ``deadline``.

    A shut-down socket ends the read blocked on it at once; the adapter then reports the deadline.
    """

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.fired = False
        self.finished = False
        self._connection: urllib3.connection.HTTPConnection | None = None
        #: The socket last seen on the connection: http.client detaches it from the connection
        #: while the body of a ``Connection: close`` answer is read.
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        _DEADLINES.add(self)

    def watch(self, connection: urllib3.connection.HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            self._socket = connection.sock or self._socket
            if self.fired:
                self._shut_down()

    def finish(self) -> bool:
        """Stop watching; False when the deadline had already passed."""
        with self._lock:
            self.finished = True
            self._connection = self._socket = None
        return not self.fired

    def release(self, connection: urllib3.connection.HTTPConnection) -> None:
        """Stop watching ``connection``: it goes back to the pool, where another exchange may take it.

        Under the lock, so the deadline either shut its socket down before (the pool then finds it
        dropped and does not reuse it) or never touches it again.
        """
        with self._lock:
            if self._connection is connection:
                self._connection = self._socket = None

    def fire(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.fired = True
            self._shut_down()

    def _shut_down(self) -> None:
        sock = (self._connection.sock if self._connection is not None else None) or self._socket
        if sock is None:
            return
        # socket.socket's own shutdown: on a TLS socket, SSLSocket.shutdown would also drop the
        # TLS state under the thread that is reading. An OSError means it is already closed.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Deadlines:
    """One daemon thread that fires every watchdog still running at its deadline.

    One thread for all exchanges, not a timer thread each: starting a thread per request costs
    more than the rest of the adapter's work together.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._queue: list[tuple[float, int, _Watchdog]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, watchdog: _Watchdog) -> None:
        with self._condition:
            heapq.heappush(self._queue, (watchdog.deadline, next(self._order), watchdog))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="outreach-http-deadlines", daemon=True)
                self._thread.start()
            elif self._queue[0][2] is watchdog:
                self._condition.notify()  # sooner than what the thread is waiting for

    def _run(self) -> None:
        with self._condition:
            while True:
                while self._queue and self._queue[0][2].finished:
                    heapq.heappop(self._queue)
                if not self._queue:
                    self._condition.wait()
                    continue
                delay = self._queue[0][0] - time.monotonic()
                if delay > 0:
                    self._condition.wait(delay)
                    continue
                heapq.heappop(self._queue)[2].fire()


_DEADLINES = _Deadlines()


#: The watchdog of the exchange this thread is running, for the connection that carries it.
_watchdog: ContextVar[_Watchdog | None] = ContextVar("outreach_http_watchdog", default=None)


class _Watched:
    """Mixed into urllib3's connections: hands the connection to the exchange's watchdog."""

    #: When the connection last went back to its pool (``time.monotonic``); None while never pooled.
    idle_since: float | None = None

    def connect(self) -> None:
        _watch(self)
        super().connect()  # type: ignore[misc]  # a mixin: the connection class comes next in the MRO
        _watch(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)  # type: ignore[misc]  # a mixin, as above


def _watch(connection: Any) -> None:
    watchdog = _watchdog.get()
    if watchdog is not None:
        watchdog.watch(connection)


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _SharedPool:
    """Mixed into urllib3's pools (the process's shared ones, and a proxy's): a connection goes back
    free of its last exchange's watchdog, and one idle too long is not reused."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)  # type: ignore[misc]  # a mixin: the pool class comes next in the MRO
        idle_since = connection.idle_since  # a _Watched connection: the pool's ConnectionCls
        if idle_since is not None and time.monotonic() - idle_since > IDLE_CONNECTION_SECONDS:
            connection.close()  # urllib3 connects it afresh for this request
        return connection

    def _put_conn(self, connection: Any) -> None:
        if connection is not None:
            watchdog = _watchdog.get()
            if watchdog is not None:
                watchdog.release(connection)
            connection.idle_since = time.monotonic()
        super()._put_conn(connection)  # type: ignore[misc]  # a mixin, as above


class _WatchedHTTPPool(_SharedPool, HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(_SharedPool, HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}

#: The process's connections to every platform host, shared by all channels' adapters (urllib3's
#: pool manager and pools are thread-safe). A pool is keyed by scheme, host, port and TLS settings,
#: so a channel with its own certificate settings never gets another's connection.
_POOLS = PoolManager(num_pools=POOLED_HOSTS, maxsize=POOLED_CONNECTIONS_PER_HOST)
_POOLS.pool_classes_by_scheme = _WATCHED_POOLS


class DeadlineAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` that bounds each exchange — connect, send, headers, body — as a whole.

    The deadline is the connect timeout plus the read timeout (the request's, else this adapter's
    ``timeout``), plus time to upload the request body at ``SLOWEST_UPLOAD_BYTES_PER_SECOND``.
    Past it, the request fails with ``DeadlineExceeded`` (a ``requests.Timeout``). The body is
    always read here, whatever ``stream`` says, and refused beyond ``MAX_RESPONSE_BYTES``.
    A SOCKS proxy's connections are not watched: there the deadline is only checked afterwards.

    Direct connections come from the process's shared pools (``_POOLS``); a proxy's stay this
    adapter's own, and ``close`` closes only those.
    """

    def __init__(self, timeout: tuple[float, float]) -> None:
        self.timeout = timeout
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        self.poolmanager = _POOLS

    def close(self) -> None:
        """Close this adapter's proxy connections; the shared pools stay open for the other channels."""
        for manager in self.proxy_manager.values():
            manager.clear()

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager

    def send(  # type: ignore[override]  # verify, cert and proxies pass through **kwargs
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        if timeout is None:
            timeout = self.timeout
        seconds = self.deadline(timeout, request)
        watchdog = _Watchdog(seconds)
        token = _watchdog.set(watchdog)
        response: requests.Response | None = None
        try:
            response = super().send(request, stream=True, timeout=timeout, **kwargs)
            content = _read_body(response)
        except Exception as error:
            if response is not None:
                response.close()  # a connection left half-read must not go back to the pool
            if watchdog.finish():
                raise
            raise DeadlineExceeded(seconds, request=request) from error
        finally:
            in_time = watchdog.finish()
            _watchdog.reset(token)
        if not in_time:  # a body without a length just ends when its socket is shut down
            response.close()
            raise DeadlineExceeded(seconds, request=request, response=response)
        response._content = content  # requests' own slot for a body read in full
        return response

    def deadline(self, timeout: Any, request: requests.PreparedRequest) -> float:
        """Seconds the whole exchange may take."""
        if isinstance(timeout, (int, float)):
            connect, read = timeout, timeout
        elif isinstance(timeout, tuple) and all(isinstance(part, (int, float)) for part in timeout):
            connect, read = timeout
        else:  # None inside a tuple, or a urllib3 Timeout: fall back to the channel's settings
            connect, read = self.timeout
        upload = int(request.headers.get("Content-Length") or 0)
        return connect + read + upload / SLOWEST_UPLOAD_BYTES_PER_SECOND


def _read_body(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ResponseTooLarge(
                _("the answer is larger than {size} MB").format(size=MAX_RESPONSE_BYTES // 2**20),
                request=response.request,
                response=response,
            )
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class TransportFailure:
    """How one kind of failure to get a complete answer reads to the publisher.

    The question is whether the platform could have acted on the request. When repeating the
    request is harmless (a GET, an upload that creates no post) that does not matter; when it is
    not, anything that may have reached the platform is ambiguous.
    """

    #: requests' exception, or the urllib3 reason it wraps, that this row stands for.
    caught: tuple[type[Exception], ...]
    #: What happened, for the message: ``{kind}`` is the exception's class name, ``{detail}`` its
    #: text (ours), ``{read_timeout}`` the seconds an answer was waited for.
    what: str
    #: The error when repeating the request is harmless.
    repeatable: type[PublishError]
    #: The error when it is not.
    not_repeatable: type[PublishError]
    #: ``what`` for a request that is not repeatable, where it reads differently.
    what_not_repeatable: str | None = None


#: Every transport failure of every channel, first matching row wins: ``HttpClient`` reads its own
#: requests through it, and the X channel the requests tweepy makes.
TRANSPORT_FAILURES: tuple[TransportFailure, ...] = (
    # Nothing was sent: the connection itself failed (refused, DNS, no route, connect timeout).
    TransportFailure(
        (requests.ConnectTimeout, urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError),
        N_("could not connect ({kind})"),
        NetworkError,
        NetworkError,
    ),
    # Connected, then cut off: the request may have been read and acted on.
    TransportFailure(
        (requests.ConnectionError,),
        N_("connection lost ({kind})"),
        NetworkError,
        AmbiguousError,
        what_not_repeatable=N_("connection lost after sending"),
    ),
    # The exchange outlasted its whole deadline (a server trickling its answer).
    TransportFailure((DeadlineExceeded,), "{detail}", ServerError, AmbiguousError),
    TransportFailure((requests.Timeout,), N_("no answer within {read_timeout} s"), ServerError, AmbiguousError),
    TransportFailure((ResponseTooLarge,), "{detail}", ServerError, AmbiguousError),
    TransportFailure((requests.RequestException,), "{kind}", NetworkError, AmbiguousError),
)


def transport_error(
    error: requests.RequestException, where: str, *, repeatable: bool, read_timeout: float
) -> PublishError:
    """The typed, redacted error for a request that got no complete answer, by ``TRANSPORT_FAILURES``."""
    reason: Any = error.args[0] if error.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    failure = next(row for row in TRANSPORT_FAILURES if isinstance(error, row.caught) or isinstance(reason, row.caught))
    what = failure.what if repeatable else failure.what_not_repeatable or failure.what
    message = f"{where}: " + _(what).format(
        kind=error.__class__.__name__, detail=error, read_timeout=f"{read_timeout:g}"
    )
    error_type = failure.repeatable if repeatable else failure.not_repeatable
    if issubclass(error_type, AmbiguousError):
        message += "; " + _("it may have been posted")
    return error_type(redact(message))


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
        clock: Clock,
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self._classify = classify
        #: The platform's time (the real one), to turn its "retry at <time>" into seconds.
        self.clock = clock
        self._retry_after = retry_after or self.retry_after
        self.session = ChannelSession()
        self.session.headers["User-Agent"] = USER_AGENT
        adapter = DeadlineAdapter(self.timeout)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

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
        except requests.RequestException as error:
            raise transport_error(error, where, repeatable=safe, read_timeout=self.timeout[1]) from error
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
                message = redact(
                    f"{where}: " + _("HTTP {status} but the body is not JSON").format(status=response.status_code)
                )
                if safe:
                    raise ServerError(message)
                raise AmbiguousError(message + "; " + _("it may have been posted"))
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
            return ServerError(message, retry_after=self.retry_after(response))
        return ContentRejected(message)

    def retry_after(self, response: requests.Response) -> float | None:
        """The seconds the answer's ``Retry-After`` header asks for (the standard header)."""
        return retry_after_seconds(response.headers.get("Retry-After"), self.clock.now())

    def close(self) -> None:
        """End the session (its cookies, its proxy connections); the shared pools keep the direct ones."""
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
    return _("non-JSON response ({type})").format(type=content_type.split(";")[0] or _("no content type"))
