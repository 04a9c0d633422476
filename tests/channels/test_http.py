"""The HTTP choke point bounds a request as a whole, over real HTTP on loopback.

A per-read timeout never fires against a server that sends a few bytes just before each read
would time out; such a server must still end in the typed errors a timeout gives (transient for
a GET, ambiguous for a POST), and an oversized answer must be refused before it fills memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from werkzeug import Response

from outreach.channels.http import MAX_RESPONSE_BYTES, HttpClient
from outreach.clock import SystemClock
from outreach.errors import AmbiguousError, ServerError
from tests.fakeplatform.server import FakeServer, Fault, json_response

#: A deadline of 0.3 + 0.5 = 0.8 s; the trickle below lasts 30 × 0.2 s = 6 s with no pause of 0.5 s.
CONNECT, READ = 0.3, 0.5
DEADLINE = "0.8 s"


def trickle(path: str, method: str, during: str) -> Fault:
    return Fault("trickle", path, method=method, during=during, delay=0.2, pieces=30)


@pytest.fixture
def client(server: FakeServer) -> Iterator[HttpClient]:
    server.route("GET", "/akun", lambda request, match: json_response({"id": "1"}))
    server.route("POST", "/kirim", lambda request, match: json_response({"id": "2"}))
    http = HttpClient("kanal", server.url, connect_timeout=CONNECT, read_timeout=READ, clock=SystemClock())
    yield http
    http.close()


@pytest.mark.parametrize("during", ["headers", "body"])
def test_a_trickled_answer_to_a_get_is_transient(client: HttpClient, server: FakeServer, during: str) -> None:
    fault = trickle("/akun", "GET", during)
    server.inject(fault)
    with pytest.raises(ServerError, match=f"GET /akun: no complete answer within {DEADLINE}"):
        client.request("GET", "/akun")
    assert fault.wait_delivered() is False  # the client hung up long before the answer was complete
    # The connection it gave up on is not reused: the next request is answered normally.
    assert client.request("GET", "/akun").body == {"id": "1"}


@pytest.mark.parametrize("during", ["headers", "body"])
def test_a_trickled_answer_to_a_post_is_ambiguous(client: HttpClient, server: FakeServer, during: str) -> None:
    fault = trickle("/kirim", "POST", during)
    server.inject(fault)
    with pytest.raises(AmbiguousError, match=f"no complete answer within {DEADLINE}; it may have been posted"):
        client.request("POST", "/kirim", json={"text": "Halo"})
    assert fault.wait_delivered() is False


def _huge(request: object, match: object) -> Response:
    """A JSON answer of 64 MB, streamed without a Content-Length."""

    def chunks() -> Iterator[bytes]:
        yield b'{"padding": "'
        for _ in range(64 * 16):
            yield b"x" * 65536
        yield b'"}'

    return Response(chunks(), content_type="application/json")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_huge_answer_is_refused_before_it_fills_memory(server: FakeServer, method: str) -> None:
    assert MAX_RESPONSE_BYTES < 64 * 2**20
    server.route(method, "/besar", _huge)
    http = HttpClient("kanal", server.url, clock=SystemClock())
    expected = ServerError if method == "GET" else AmbiguousError
    with pytest.raises(expected, match=f"answer is larger than {MAX_RESPONSE_BYTES // 2**20} MB"):
        http.request(method, "/besar")
    http.close()
