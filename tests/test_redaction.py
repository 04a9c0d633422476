"""Secrets stay out of logs, tracebacks and error messages, even in the pieces other code quotes.

A chat tool's incoming-webhook address is a secret as a whole, but the HTTP library's debug log
(urllib3: ``"POST /services/T…/B…/<token>?key=… HTTP/1.1" 200``) and requests' connection errors
(``Max retries exceeded with url: /services/…``) quote only its path and query. These tests run
the real command line with ``--debug`` against the loopback fakes and read what it printed.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from outreach.logs import configure_logging
from outreach.redaction import redact, register_secret
from tests.engine_helpers import campaign, innovation, project
from tests.fakeplatform.server import FakeServer
from tests.fakeplatform.whatsapp_manual import STAFF_HOOK_PATH, STAFF_HOOK_QUERY, TOKEN, WhatsAppManualFake

OUTREACH = Path(sys.executable).parent / "outreach"
#: The secret parts of the staff hook's address, each of which alone would let anyone post to the staff chat.
HOOK_SECRETS = (STAFF_HOOK_PATH, STAFF_HOOK_QUERY, STAFF_HOOK_PATH.rsplit("/", 1)[1], STAFF_HOOK_QUERY.split("=")[-1])


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


@pytest.fixture
def root_logging() -> Iterator[None]:
    """``configure_logging`` replaces the root handlers and level; put them back for the next test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _percent_encode_letters(path: str) -> str:
    """The same address with a few unreserved letters percent-encoded, as some chat tools hand it out."""
    token = path.rsplit("/", 1)[1]
    encoded = "".join(f"%{ord(char):02X}" for char in token[:4]) + token[4:]
    return path[: -len(token)] + encoded


@pytest.mark.parametrize("encode", [False, True], ids=["as-given", "percent-encoded"])
def test_debug_log_of_a_handoff_never_shows_the_staff_webhook_path_or_query(
    tmp_path: Path, server: FakeServer, encode: bool
) -> None:
    fake = WhatsAppManualFake(server)
    path = _percent_encode_letters(STAFF_HOOK_PATH) if encode else STAFF_HOOK_PATH
    environ = {**fake.environ, "HANDOFF_STAFF_WEBHOOK_URL": f"{server.url}{path}?{STAFF_HOOK_QUERY}"}
    config = project(
        tmp_path,
        [innovation("ktp-sehari-jadi")],
        channels={"wa-staf": {**fake.channel_settings(), **fake.notify_settings()}},
        campaigns={"kenali": campaign(["wa-staf"], ["setiap hari 09.00"])},
    )
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", **environ}
    env.pop("OUTREACH_CONFIG", None)
    # The store begins before the 09.00 slot (a store never plans a slot from before it existed).
    subprocess.run(
        [str(OUTREACH), "--config", str(config), "--now", "2026-12-01T08:00+07:00", "status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    done = subprocess.run(
        [str(OUTREACH), "--config", str(config), "--debug", "--now", "2026-12-01T09:05+07:00", "run", "--once"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "1 handed_off" in done.stdout, done.stdout
    [hook] = fake.staff_hooks  # the notice reached the staff chat tool through the secret address
    assert hook["event"] == "post.handed_off"
    log = done.stderr
    assert 'HTTP/1.1" 200' in log, log  # urllib3's request lines are there: debug logging is really on
    for secret in (*HOOK_SECRETS, path, TOKEN):
        assert secret not in log, f"{secret!r} in:\n{log}"
    assert '"POST /s**** HTTP/1.1" 200' in log, log


def test_a_traceback_that_quotes_only_the_path_and_query_is_masked(root_logging: None) -> None:
    """requests' connection error names the URL without its host: the daemon's log must still mask it."""
    with socket.socket() as probe:  # a loopback port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"http://127.0.0.1:{port}{STAFF_HOOK_PATH}?{STAFF_HOOK_QUERY}"
    register_secret(address)
    configure_logging("text", debug=True)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]  # a StreamHandler
    try:
        requests.post(address, json={"text": "tes"}, timeout=2)
    except requests.ConnectionError:
        logging.getLogger("outreach.daemon").exception("publish run failed; the next tick retries")
    printed = stream.getvalue()

    assert "Traceback" in printed and "Max retries exceeded with url: /s****" in printed, printed
    for secret in HOOK_SECRETS:
        assert secret not in printed, f"{secret!r} in:\n{printed}"


def test_every_form_the_http_library_may_print_is_masked() -> None:
    """As configured, fully decoded, and as requests re-quotes it onto the request line."""
    address = "https://chat.example.go.id/hooks/r\u00fcang%7Estaf-4821?key=a%2Bb93kq&token=zz81Lm"
    register_secret(address)
    on_the_wire = requests.Request("POST", address).prepare().path_url
    assert on_the_wire == "/hooks/r%C3%BCang~staf-4821?key=a%2Bb93kq&token=zz81Lm"  # not the configured text
    for printed in (
        f'"POST {on_the_wire} HTTP/1.1" 200',
        "Max retries exceeded with url: /hooks/r\u00fcang~staf-4821?key=a+b93kq&token=zz81Lm",
        "POST https://chat.example.go.id/hooks/r\u00fcang%7Estaf-4821: HTTP 502",
        "the query was key=a%2Bb93kq&token=zz81Lm",
    ):
        masked = redact(printed)
        assert "staf-4821" not in masked and "b93kq" not in masked and "zz81Lm" not in masked, masked
        assert "****" in masked


def test_the_host_and_trivially_short_pieces_of_a_secret_address_are_not_masked() -> None:
    """Masking "/" or a bare host would mangle every other log line and hide which service failed."""
    register_secret("https://ntfy.example.go.id/?q=1")
    register_secret("https://hooks.example.go.id/x")
    line = "POST / HTTP/1.1 to ntfy.example.go.id and hooks.example.go.id/ then /x?q=1"
    assert redact(line) == line


def test_a_password_in_a_secret_address_is_masked_where_the_address_is_printed_without_its_query() -> None:
    """http.py names a failed request by its address up to the '?': user and password included."""
    register_secret("https://humas:Kata5andiStaf@ntfy.example.go.id/staf-humas?auth=1")
    masked = redact("humas: POST https://humas:Kata5andiStaf@ntfy.example.go.id/staf-humas: HTTP 401")
    assert "Kata5andiStaf" not in masked and "ntfy.example.go.id" in masked, masked
