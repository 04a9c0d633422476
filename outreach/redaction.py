"""Keep secrets out of everything printable: logs, error messages and CLI output.

Every secret read from the environment is registered here. ``redact`` replaces each registered
value with a masked form; once a secret is registered, a log-record factory redacts every log
record at creation, so third-party loggers (urllib3 logs request lines that carry Telegram's
token) are covered no matter which handler prints them.

A secret that is a web address (a chat tool's incoming webhook) is quoted in pieces: urllib3's
request line and requests' connection errors name only its path and query. Those pieces are
registered too, in every form they may be printed in.
"""

from __future__ import annotations

import functools
import logging
import threading
from urllib.parse import unquote, urlsplit

_secrets: set[str] = set()
_lock = threading.Lock()

#: Secrets shorter than this are not registered: masking "1" would mangle every number.
MINIMUM_SECRET_LENGTH = 6


def register_secret(value: str) -> None:
    """Remember a secret value so that it is masked wherever it would be printed.

    For a web address, also its path and query (each on its own and together), which carry the
    credential and which other code prints without the host.
    """
    if not value or len(value) < MINIMUM_SECRET_LENGTH:
        return
    pieces = {value, *_address_pieces(value)}
    with _lock:
        _secrets.update(piece for piece in pieces if len(piece) >= MINIMUM_SECRET_LENGTH)
        _install_record_factory()


def _address_pieces(value: str) -> set[str]:
    """Path, query, path?query (and a password) of an http(s) address: as configured, decoded, and as sent.

    The host is left out on purpose: it is not secret, and it tells which service failed. Pieces
    shorter than ``MINIMUM_SECRET_LENGTH`` (a bare "/") are dropped by the caller.
    """
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return set()
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return set()
    # requests re-quotes the address before sending it (unreserved characters decoded, unsafe
    # ones encoded), and that form is what urllib3 logs; imported here because only a channel,
    # which has requests loaded already, registers addresses.
    from requests.utils import requote_uri

    pieces = [parts.path, parts.query]
    if parts.query:
        pieces.append(f"{parts.path}?{parts.query}")
    if parts.password:
        pieces.append(parts.password)
    return {form for piece in pieces if piece for form in (piece, unquote(piece), requote_uri(piece))}


def mask(value: str) -> str:
    """The printable form of a secret: its first two characters and a fixed-length mask."""
    return value[:2] + "****"


def redact(text: str) -> str:
    """Replace every registered secret in ``text`` by its masked form (longest first)."""
    if not _secrets or not text:
        return text
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, mask(secret))
    return text


@functools.cache
def _install_record_factory() -> None:
    """Wrap the log-record factory in one that redacts; cached, so only the first call installs it."""
    previous = logging.getLogRecordFactory()

    def redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record
        record.msg, record.args = redact(message), None
        return record

    logging.setLogRecordFactory(redacting_factory)
