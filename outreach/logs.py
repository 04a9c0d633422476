"""Log formatting for ``outreach run``: plain text or one JSON object per line, secrets always masked."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from .redaction import redact


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("post_id", "from_state", "to_state", "channel", "innovation_id"):
            if hasattr(record, key):
                document[key] = getattr(record, key)
        if record.exc_info:
            document["traceback"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole formatted record, tracebacks included (a URL in an exception may hold a token)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def configure_logging(log_format: str, debug: bool = False) -> None:
    """Send every log record to stderr in ``log_format`` ("text" or "json"), masked."""
    handler = logging.StreamHandler()
    inner = JsonFormatter() if log_format == "json" else logging.Formatter("%(asctime)s %(levelname)-7s %(message)s")
    handler.setFormatter(RedactingFormatter(inner))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
