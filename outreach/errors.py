"""The typed errors of outreach.

The publisher decides what happens to a post from the *type* of error alone, so every adapter
raises one of these and never decides about retries itself::

    OutreachError
    ├── ConfigError            bad config / catalogue / template: says file, line or row, and what to do
    ├── NotFound               no such post or innovation: says where to look up the ids
    ├── StateConflict          the outbox table does not allow this operation from the post's state
    ├── AlreadyRunning         another daemon holds the store (its lock file)
    ├── LocalIOError           a local file or folder cannot be read or written (nothing left this machine)
    └── PublishError
        ├── TransientError     retry later
        │   ├── NetworkError       request never reached the platform
        │   ├── RateLimited        carries retry_after (from the platform's headers)
        │   └── ServerError
        ├── AmbiguousError     may or may not have been posted
        └── PermanentError     do not retry
            ├── AuthError          token invalid or expired
            ├── ChannelHeld        the account cannot post now (no credits, app suspended): hold the channel
            └── ContentRejected    too long, duplicate, policy
"""

from __future__ import annotations


class OutreachError(Exception):
    """Base of every error outreach raises on purpose."""


class ConfigError(OutreachError):
    """A user mistake in configuration, catalogue or template; the message says where and how to fix it."""


class NotFound(OutreachError):
    """Something asked for by id does not exist (a post, an innovation); the message says where to look."""


class StateConflict(OutreachError):
    """The outbox table (``outreach.outbox``) does not allow this operation from the post's current state.

    Raised by the store inside the transaction that read the state, so two surfaces acting on one
    post at once cannot both win: the second is told what the post became.
    """

    def __init__(self, message: str, post_id: int, state: str, operation: str) -> None:
        super().__init__(message)
        self.post_id = post_id
        self.state = state
        self.operation = operation


class AlreadyRunning(OutreachError):
    """Another outreach daemon holds the store; the message names it and the lock file."""


class LocalIOError(OutreachError):
    """A local file or folder cannot be read or written; the message names it and the OS's reason.

    Nothing left this machine, so a post that meets it was certainly not published.
    """


class PublishError(OutreachError):
    """A channel could not publish a post."""


class TransientError(PublishError):
    """Retry later; the post was not published."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NetworkError(TransientError):
    """The request never reached the platform (DNS, refused connection, connect timeout)."""


class RateLimited(TransientError):
    """The platform asked us to slow down; ``retry_after`` is in seconds when the platform said."""


class ServerError(TransientError):
    """The platform failed on its side (5xx, proxy error page)."""


class AmbiguousError(PublishError):
    """The request may have been processed: a timeout or broken connection after sending."""


class PermanentError(PublishError):
    """Retrying cannot help; a person must act."""


class AuthError(PermanentError):
    """The credentials are invalid, expired or lack a permission."""


class ChannelHeld(PermanentError):
    """The account cannot post now — no API credits, the app suspended, a permission revoked.

    Not the post's fault: the publisher holds the whole channel (no post on it is attempted, none
    fails) and tries one post again after a while; ``outreach channels check`` lifts the hold.
    """


class ContentRejected(PermanentError):
    """The platform refused this content (too long, duplicate, policy)."""

    def __init__(self, message: str, duplicate: bool = False) -> None:
        super().__init__(message)
        self.duplicate = duplicate
