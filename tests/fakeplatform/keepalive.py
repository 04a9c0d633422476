"""A loopback host that keeps HTTP connections alive, as platforms do (werkzeug's test server closes each one).

Answers: ``/masuk?akun=A`` logs account A in with a cookie; ``/lambat?detik=S`` answers after S
seconds; ``/tetes`` trickles its body; anything else echoes the request's ``Cookie`` and ``X-Kanal``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer below has a Content-Length

    def do_GET(self) -> None:
        host: KeepAliveHost = self.server  # type: ignore[assignment]  # the server that made this handler
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        address = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(address.query).items()}
        host.ports.append(self.client_address[1])
        host.targets.append(self.path)
        if address.path == "/masuk":  # a platform that keeps a login in a cookie, as some web APIs do
            self._send({"id": query["akun"]}, {"Set-Cookie": f"sesi=rahasia-{query['akun']}; Path=/"})
        elif address.path == "/lambat":
            time.sleep(float(query["detik"]))
            self._send({"lambat": True})
        elif address.path == "/tetes":
            host.delivered = self._trickle()
        else:
            self._send({"cookie": self.headers.get("Cookie"), "kanal": self.headers.get("X-Kanal")})

    do_POST = do_GET

    def _send(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _trickle(self) -> bool:
        """A complete answer, its body a byte every 0.2 s (never a pause a read timeout sees); True if all went out."""
        data = json.dumps({"tetes": "x" * 20}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.flush()
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:  # the client hung up
            self.close_connection = True
            return False
        return True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # http.server's name
        pass


class KeepAliveHost(ThreadingHTTPServer):
    """A loopback platform host that keeps connections alive.

    ``ports`` has each request's client port (one per TCP connection), ``targets`` its request target
    (a path, or a whole address when the host is used as a proxy).
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.ports: list[int] = []
        self.targets: list[str] = []
        self.delivered: bool | None = None
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def connections(self) -> int:
        """How many TCP connections the requests so far came on."""
        return len(set(self.ports))

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
