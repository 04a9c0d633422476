"""A loopback HTTP server that hosts one or more fake platforms and injects faults on demand.

Built on pytest-httpserver (a real werkzeug server in a thread on 127.0.0.1). Each platform fake
registers its routes; ``inject`` makes the next matching request fail the way real networks and
platforms fail: an error status, a slow answer, an answer trickled a few bytes at a time, a
connection reset after the request was read, malformed JSON, or a proxy's HTML page. ``latency``
delays every answer, as a platform across the internet does (benchmarks measure against it).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

Handler = Callable[[Request, "re.Match[str]"], Response]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response as the platforms send them."""
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


@dataclass
class Fault:
    """One injected failure for requests whose method and path match.

    kind: ``status`` (answer ``response`` without processing), ``slow`` (wait ``delay`` s, then
    process), ``reset`` (process when ``process`` is set, then reset the TCP connection),
    ``malformed_json`` (process, then answer 200 with broken JSON), ``html`` (a proxy's 502 page),
    ``trickle`` (process when ``process`` is set, then send the answer's status line and headers
    — ``during="headers"`` — or its body — ``during="body"`` — in ``pieces`` parts, ``delay`` s
    apart, each pause shorter than a read timeout; ``delivered`` tells whether the client stayed
    to the end).
    ``on_request`` is called when the fault fires, while the client waits for the answer (a test
    moves its clock there to stand for time passing during a slow call).
    """

    kind: str
    path: str = ".*"
    method: str = "POST"
    times: int = 1
    response: Response | None = None
    delay: float = 0.0
    process: bool = True
    during: str = "body"
    pieces: int = 20
    delivered: bool | None = None
    on_request: Callable[[], None] | None = None

    def wait_delivered(self) -> bool:
        """Whether the whole trickled answer went out, once the handler has found out (a few s at most)."""
        for _ in range(200):
            if self.delivered is not None:
                return self.delivered
            time.sleep(0.05)
        raise AssertionError("the trickling handler never finished")


class _PromptServer(HTTPServer):
    """pytest-httpserver's server, looking for a stop request every 20 ms instead of every 500 ms:
    each test's teardown waits for that look, and a run starts and stops hundreds of servers."""

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.02)


class FakeServer:
    """The shared loopback server; platform fakes add routes to it.

    ``latency``: seconds every request waits before it is answered (0: none); each request waits
    on its own, so concurrent requests overlap as they would over a real network.
    """

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.http = _PromptServer(host="127.0.0.1", port=0, threaded=True)
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def start(self) -> FakeServer:
        self.http.start()
        self.http.expect_request(re.compile(".*")).respond_with_handler(self._dispatch)
        return self

    def stop(self) -> None:
        if self.http.is_running():
            self.http.clear()
            self.http.stop()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.port}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve ``method`` requests whose path fully matches ``pattern``."""
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def requests(self, method: str | None = None, path: str = ".*") -> list[Request]:
        """Requests the server received, in order (including failed ones)."""
        pattern = re.compile(path)
        return [
            request
            for request, _ in list(self.http.log)
            if (method is None or request.method == method.upper()) and pattern.fullmatch(request.path)
        ]

    def _take_fault(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method.upper() in (request.method, "*") and re.fullmatch(fault.path, request.path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _handle(self, request: Request) -> Response:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                return handler(request, match)
        return json_response({"error": f"no route for {request.method} {request.path}"}, status=404)

    def _dispatch(self, request: Request) -> Response:
        if self.latency:
            time.sleep(self.latency)
        fault = self._take_fault(request)
        if fault is None:
            return self._handle(request)
        if fault.on_request is not None:
            fault.on_request()
        if fault.kind == "status":
            assert fault.response is not None
            return fault.response
        if fault.kind == "html":
            return Response(
                "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>",
                status=502,
                content_type="text/html",
            )
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return self._handle(request)
        if fault.kind == "malformed_json":
            self._handle(request)
            return Response('{"data": {"id": ', status=200, content_type="application/json")
        if fault.kind == "trickle":
            answer = self._handle(request) if fault.process else json_response({})
            fault.delivered = _trickle(request, answer, fault)
            return Response("", status=500)  # never sent: the connection is already shut
        if fault.kind == "reset":
            if fault.process:
                self._handle(request)
            _reset_connection(request)
            return Response("", status=500)
        raise ValueError(f"unknown fault kind {fault.kind!r}")


def _reset_connection(request: Request) -> None:
    """Drop the client's TCP connection without an answer, as a crashing proxy would.

    ``shutdown`` (not ``close``) because werkzeug still holds file objects on the socket; with
    SO_LINGER 0 the final close then sends RST.
    """
    connection: socket.socket | None = request.environ.get("werkzeug.socket")
    if connection is None:
        return
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.shutdown(socket.SHUT_RDWR)


def _trickle(request: Request, answer: Response, fault: Fault) -> bool:
    """Write ``answer`` on the raw connection, its head or its body in slow pieces; True if all was sent.

    The head carries ``Content-Length`` and ``Connection: close``, so a client that waits long
    enough gets a complete, valid answer. Stops as soon as the client hangs up.
    """
    connection: socket.socket | None = request.environ.get("werkzeug.socket")
    assert connection is not None
    body = answer.get_data()
    lines = [f"HTTP/1.1 {answer.status}"]
    lines += [f"{name}: {value}" for name, value in answer.headers.items() if name.lower() != "content-length"]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    head = "\r\n".join(lines).encode("latin-1")
    slow, after = (head, body) if fault.during == "headers" else (body, b"")
    before = b"" if fault.during == "headers" else head
    size = -(-len(slow) // fault.pieces)
    try:
        connection.sendall(before)
        for start in range(0, len(slow), size):
            connection.sendall(slow[start : start + size])
            time.sleep(fault.delay)
        connection.sendall(after)
        return True
    except OSError:  # the client gave up and closed its end
        return False
    finally:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
