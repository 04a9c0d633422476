"""The ``requests.Session`` every channel's HTTP client gets: the proxy environment read once per host.

requests honours ``HTTP(S)_PROXY``/``NO_PROXY`` by asking the standard library on every request,
which scans every environment variable, twice, for names ending in ``_proxy``: about a third of
the CPU of a whole exchange on a machine with no ``NO_PROXY`` entry for the platform. A running
service's environment does not change, so the answer for a scheme and host is kept for the
process. Set proxies before the daemon starts, as for any service.
"""

from __future__ import annotations

import functools
import os
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.sessions import merge_setting
from requests.utils import get_environ_proxies

#: Origins whose proxy answer is kept (the least recently used is looked up again beyond).
KEPT_ORIGINS = 1024


@functools.lru_cache(maxsize=KEPT_ORIGINS)
def environment_proxies(origin: str, no_proxy: str | None) -> dict[str, str]:
    """The environment's proxies for ``origin`` (``scheme://host[:port]``), as requests finds them."""
    return get_environ_proxies(origin, no_proxy=no_proxy)


class ChannelSession(requests.Session):
    """A ``requests.Session`` whose environment look-up is ``environment_proxies``; the rest is requests'."""

    def merge_environment_settings(  # requests' stubs type these loosely; requests passes the prepared URL (str)
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        """requests' own merge, but with the environment's proxies looked up once per origin."""
        if self.trust_env:
            if proxies is not None:
                parts = urlsplit(url)
                origin = f"{parts.scheme}://{parts.netloc}"
                for scheme, proxy in environment_proxies(origin, proxies.get("no_proxy")).items():
                    proxies.setdefault(scheme, proxy)
            if verify is True or verify is None:  # requests' and cURL's variables for a CA bundle
                verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or verify
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }
