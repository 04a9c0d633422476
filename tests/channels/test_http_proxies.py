"""The proxy environment is honoured as requests honours it, though it is read once per host.

The proxy here is a loopback host that answers what it is sent: a request that went through it
arrives with the whole address as its target.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from outreach.channels.http import HttpClient
from outreach.channels.session import environment_proxies
from outreach.clock import SystemClock
from tests.fakeplatform.keepalive import KeepAliveHost

#: A platform host that exists only behind the proxy (never resolved here).
PLATFORM = "http://platform.example"


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeepAliveHost]:
    """A proxy named by the environment, as an office behind one sets it before the daemon starts."""
    running = KeepAliveHost()
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", running.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    environment_proxies.cache_clear()  # the process's environment changed under it: a test's doing
    yield running
    environment_proxies.cache_clear()
    running.stop()


def test_a_request_goes_through_the_proxy_the_environment_names(proxy: KeepAliveHost) -> None:
    http = HttpClient("kanal", PLATFORM, clock=SystemClock())
    assert http.request("GET", "/siapa").body == {"cookie": None, "kanal": None}
    assert http.request("GET", "/siapa?lagi=1").body == {"cookie": None, "kanal": None}
    http.close()
    assert proxy.targets == [f"{PLATFORM}/siapa", f"{PLATFORM}/siapa?lagi=1"]


def test_a_host_in_no_proxy_is_reached_directly(proxy: KeepAliveHost) -> None:
    platform = KeepAliveHost()
    http = HttpClient("kanal", platform.url, clock=SystemClock())
    http.request("GET", "/siapa")
    http.request("GET", "/siapa")
    http.close()
    platform.stop()
    assert platform.targets == ["/siapa", "/siapa"]
    assert proxy.targets == []


def test_a_proxy_given_with_the_request_wins(proxy: KeepAliveHost) -> None:
    other = KeepAliveHost()
    http = HttpClient("kanal", PLATFORM, clock=SystemClock())
    http.request("GET", "/siapa", proxies={"http": other.url})
    http.close()
    other.stop()
    assert other.targets == [f"{PLATFORM}/siapa"]
    assert proxy.targets == []
