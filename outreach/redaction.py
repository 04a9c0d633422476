"""Keep secrets out of everything printable: logs, error messages and CLI output.

Every secret read from the environment is registered here. ``redact`` replaces each registered
value with a masked form; once a secret is registered, a log-record factory redacts every log
record at creation, so third-party loggers (urllib3 logs request lines that carry Telegram's
token) are covered no matter which handler prints them.
"""

from __future__ import annotations

import logging
import threading

_secrets: set[str] = set()
_lock = threading.Lock()
_factory_installed = False

#: Secrets shorter than this are not registered: masking "1" would mangle every number.
MINIMUM_SECRET_LENGTH = 6


def register_secret(value: str) -> None:
    """Remember a secret value so that it is masked wherever it would be printed."""
    if not value or len(value) < MINIMUM_SECRET_LENGTH:
        return
    with _lock:
        _secrets.add(value)
        _install_record_factory()


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


def _install_record_factory() -> None:
    global _factory_installed
    if _factory_installed:
        return
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
    _factory_installed = True
