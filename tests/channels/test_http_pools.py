"""Channels that talk to one host share its keep-alive connections, and nothing else, over real loopback HTTP.

Many accounts of one office post to the same platform host; each channel keeps its own session
(cookies, headers, credentials, timeouts) while the process's connections to the host are reused.
The loopback host keeps connections alive as platforms do and tells them apart by the client's port.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from outreach.channels import build_channel, validate_settings
from outreach.channels import http as http_module
from outreach.channels.http import HttpClient
from outreach.clock import SystemClock
from outreach.errors import ServerError
from tests.channels.conftest import Checkpoints, make_post
from tests.fakeplatform.keepalive import KeepAliveHost


@pytest.fixture
def host() -> Iterator[KeepAliveHost]:
    running = KeepAliveHost()
    yield running
    running.stop()


@pytest.fixture
def clients(host: KeepAliveHost) -> Iterator[tuple[HttpClient, HttpClient]]:
    """Two channels' clients for the same host."""
    first = HttpClient("kanal-a", host.url, read_timeout=2.0, clock=SystemClock())
    second = HttpClient("kanal-b", host.url, read_timeout=2.0, clock=SystemClock())
    yield first, second
    first.close()
    second.close()


def test_two_channels_to_one_host_post_on_one_connection(host: KeepAliveHost) -> None:
    block = validate_settings({"type": "webhook", "url": host.url + "/hooks/outreach"})
    environ = {"OUTREACH_WEBHOOK_SECRET": "rahasia-penerima-9c2e"}
    channels = [build_channel(name, block, environ, SystemClock()) for name in ("dinas-a", "dinas-b")]
    for number, channel in enumerate(channels, start=1):
        channel.publish(make_post(post_id=number), Checkpoints())
    assert len(host.ports) == 2
    assert host.connections() == 1
    for channel in channels:
        channel.close()


def test_cookies_and_headers_stay_with_their_channel(
    host: KeepAliveHost, clients: tuple[HttpClient, HttpClient]
) -> None:
    first, second = clients
    first.session.headers["X-Kanal"] = "a"
    first.request("GET", "/masuk?akun=a")
    assert second.request("GET", "/siapa").body == {"cookie": None, "kanal": None}
    assert first.request("GET", "/siapa").body == {"cookie": "sesi=rahasia-a", "kanal": "a"}
    second.request("GET", "/masuk?akun=b")
    assert second.request("GET", "/siapa").body == {"cookie": "sesi=rahasia-b", "kanal": None}
    assert first.request("GET", "/siapa").body == {"cookie": "sesi=rahasia-a", "kanal": "a"}
    assert host.connections() == 1  # the connection was shared all along, the session never


def test_closing_one_channel_leaves_the_others_connection_open(
    host: KeepAliveHost, clients: tuple[HttpClient, HttpClient]
) -> None:
    first, second = clients
    first.request("GET", "/siapa")
    first.close()
    second.request("GET", "/siapa")
    first.request("GET", "/siapa")  # a closed client is used again as a new one
    assert host.connections() == 1


def test_a_connection_given_up_on_is_not_reused_by_another_channel(
    host: KeepAliveHost, clients: tuple[HttpClient, HttpClient]
) -> None:
    hasty, other = clients
    hasty.timeout = (0.3, 0.5)
    with pytest.raises(ServerError, match="no complete answer within 0.8 s"):
        hasty.request("GET", "/tetes")
    # The half-read connection was closed: the other channel's answer is its own, on a new connection.
    assert other.request("GET", "/siapa").body == {"cookie": None, "kanal": None}
    assert host.connections() == 2
    for _ in range(100):  # the host notices the hang-up at its next byte
        if host.delivered is not None:
            break
        time.sleep(0.05)
    assert host.delivered is False


def test_each_channel_keeps_its_own_deadline_on_a_shared_connection(
    host: KeepAliveHost, clients: tuple[HttpClient, HttpClient]
) -> None:
    patient, hasty = clients
    hasty.timeout = (0.3, 0.3)
    patient.request("GET", "/siapa")
    with pytest.raises(ServerError, match="no answer within 0.3 s"):
        hasty.request("GET", "/lambat?detik=1")
    assert patient.request("GET", "/lambat?detik=1").body == {"lambat": True}


def test_a_connection_idle_too_long_is_not_reused(
    host: KeepAliveHost, clients: tuple[HttpClient, HttpClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = clients
    first.request("GET", "/siapa")
    second.request("GET", "/siapa")
    assert host.connections() == 1
    monkeypatch.setattr(http_module, "IDLE_CONNECTION_SECONDS", 0.0)
    first.request("GET", "/siapa")
    assert host.connections() == 2
