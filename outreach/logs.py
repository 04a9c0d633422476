"""Log formatting for ``outreach run``: plain text or one JSON object per line, secrets always masked."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, tzinfo
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


class ZonedFormatter(logging.Formatter):
    """The human log format, its times in the office's zone with the zone's name (``2026-11-30 14:06:42,823 WIB``).

    A server's clock is often UTC; the office reads its logs in its own time.
    """

    def __init__(self, zone: tzinfo, abbreviation: str) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(message)s")
        self.zone = zone
        self.abbreviation = abbreviation

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, self.zone)
        return f"{moment:%Y-%m-%d %H:%M:%S},{int(record.msecs):03d} {self.abbreviation}"


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole formatted record, tracebacks included (a URL in an exception may hold a token)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def configure_logging(log_format: str, debug: bool = False, zone: tzinfo = UTC) -> None:
    """Send every log record to stderr in ``log_format`` ("text" or "json"), masked.

    The text format shows times in ``zone`` (the office's); JSON keeps UTC, for machines.
    """
    from .render import ZONE_ABBREVIATIONS

    handler = logging.StreamHandler()
    key = str(getattr(zone, "key", zone))
    inner = JsonFormatter() if log_format == "json" else ZonedFormatter(zone, ZONE_ABBREVIATIONS.get(key, key))
    handler.setFormatter(RedactingFormatter(inner))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
