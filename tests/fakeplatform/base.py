"""What every platform fake offers the contract tests and the publisher tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from werkzeug import Response

from .server import FakeServer


class PlatformFake(ABC):
    """One fake platform on a ``FakeServer``: its routes, its accounts, and its own record of posts.

    ``created`` is the platform's own log of posts it accepted — the ground truth for
    "published exactly once" checks, independent of what outreach's store says.
    """

    #: The outreach channel ``type`` this fake stands in for.
    channel_type: str
    #: Regex of the path of the request that creates a post (target of injected faults).
    create_path: str
    #: Whether the adapter speaks HTTP to this fake (False for hand-off-only channels).
    http_faults: bool = True

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.created: list[dict[str, Any]] = []
        self.token_valid = True
        self.install()

    @abstractmethod
    def install(self) -> None:
        """Register this platform's routes on the server."""

    @abstractmethod
    def channel_settings(self) -> dict[str, Any]:
        """A ``[channels.NAME]`` block pointing at this fake (``base_url`` = the server)."""

    @property
    @abstractmethod
    def environ(self) -> dict[str, str]:
        """The environment variables (secrets) the channel block names, with valid values."""

    def expire_token(self) -> None:
        """From now on, every authenticated call fails the way this platform reports a dead token."""
        self.token_valid = False

    @abstractmethod
    def rate_limit_response(self, retry_after: int) -> Response:
        """This platform's own 429 answer meaning 'try again in ``retry_after`` seconds'."""

    @abstractmethod
    def server_error_response(self) -> Response:
        """This platform's own 5xx answer."""
