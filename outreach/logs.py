"""Log formatting for ``outreach run``: plain text or one JSON object per line, secrets always masked.

Log calls are written in English (``log.info("post %s: …", …)``). What a person reads — the text
format, and the JSON ``message`` — is that text in the interface's language (the catalogue holds
the log messages too; a stored reason in the arguments is shown translated, ``reasons.shown``);
JSON's ``event`` keeps the English text and its keys stay English, for machines. A platform's
own words quoted in a message stay as the platform sent them.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, tzinfo
from typing import Any

from .i18n import _
from .reasons import shown
from .redaction import redact


def human_message(record: logging.LogRecord) -> str:
    """The record's message as a person reads it, in the interface's language."""
    if not isinstance(record.msg, str) or not record.msg:
        return record.getMessage()
    args = record.args if isinstance(record.args, tuple) else ()
    readable = tuple(_readable(arg) for arg in args)
    try:
        return _(record.msg) % readable if args else _(record.msg)
    except (TypeError, ValueError, KeyError):  # a translation that does not fit the arguments
        return record.getMessage()


def _readable(arg: object) -> object:
    if isinstance(arg, (str, BaseException)):  # a state's name or a recorded reason, as a person reads it
        return shown(str(arg))
    return arg


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            "message": human_message(record),
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

    def format(self, record: logging.LogRecord) -> str:
        readable = logging.makeLogRecord(record.__dict__)  # a copy: other handlers keep the English record
        readable.msg, readable.args = human_message(record), None
        return super().format(readable)

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
