"""Sending the daily replies digest to the office's own staff: a Telegram chat, a webhook, or e-mail.

One small sender per way (``[replies.digest] via``). Telegram and the webhook go through the adapters'
HTTP choke point (``channels/http.py``): the same timeouts, typed errors and redaction; the bot token
lives only in the client's base URL, as in the Telegram channel. E-mail goes through the standard
library's ``smtplib``. Secrets come only from the environment, and are registered for redaction
before anything is sent. Nothing here logs: a failure is raised as a typed error whose message
names the way and the server, never a reply.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import requests

from ..clock import Clock
from ..config import DigestSettings
from ..errors import ConfigError, NetworkError, PermanentError, PublishError, RateLimited
from ..i18n import _
from ..redaction import redact, register_secret
from .http import HttpClient
from .webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

#: Telegram's longest message, in UTF-16 code units (the Bot API counts them so).
TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_API = "https://api.telegram.org"
DEFAULT_BOT_TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
#: A digest longer than this many Telegram messages is cut, the last saying where the whole of it is.
TELEGRAM_MAX_PARTS = 10
#: The longest wait a Telegram 429 may impose between parts (a group takes about 20 messages a minute).
TELEGRAM_LONGEST_WAIT = 60.0
#: Seconds an SMTP server has to answer each step.
SMTP_TIMEOUT = 30.0


@dataclass(frozen=True)
class StaffDigest:
    """One digest as it is sent: a subject line, the plain text and the HTML page."""

    subject: str
    text: str
    html: str


def send_digest(settings: DigestSettings, digest: StaffDigest, environ: Mapping[str, str], clock: Clock) -> str:
    """Send ``digest`` the way ``settings`` says; returns where it went (for a log line), raises on failure."""
    if settings.via == "telegram":
        return _send_telegram(settings, digest, environ, clock)
    if settings.via == "webhook":
        return _send_webhook(settings, digest, environ, clock)
    return _send_email(settings, digest, environ)


def _secret(environ: Mapping[str, str], variable: str, key: str) -> str:
    value = environ.get(variable, "")
    if not value:
        raise ConfigError(
            _(
                "replies.digest: environment variable {variable} (named by replies.digest.{key}) is not set; "
                "add it to .env, see .env.example"
            ).format(variable=variable, key=key)
        )
    register_secret(value)
    return value


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


#: Lines that start a block of the digest (a reply, an agency, a heading after a blank line): a part begins at one.
_BLOCK_STARTS = ("• ", "▸ ")


def split_message(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-16 units (Telegram counts so), each part starting at a
    block of the digest where one fits, else at a line break; a line longer than a message is cut."""
    parts: list[list[str]] = [[]]
    for line in _lines_within(text, limit):
        current = parts[-1]
        if current and utf16_units("\n".join([*current, line])) > limit:
            starts = [i for i, kept in enumerate(current) if i and (not kept or kept.startswith(_BLOCK_STARTS))]
            moved = current[starts[-1] :] if starts and not line.startswith(_BLOCK_STARTS) else []
            if moved and utf16_units("\n".join([*moved, line])) > limit:
                moved = []
            del current[len(current) - len(moved) :]
            parts.append(moved)
        parts[-1].append(line)
    joined = ["\n".join(lines).strip("\n") for lines in parts]
    return [part for part in joined if part.strip()]


def _lines_within(text: str, limit: int) -> list[str]:
    """The lines of ``text``, a line longer than ``limit`` UTF-16 units cut into pieces that fit."""
    lines: list[str] = []
    for whole in text.splitlines():
        line = whole
        while utf16_units(line) > limit:
            cut = len(line)
            while utf16_units(line[:cut]) > limit:
                cut -= max(1, (utf16_units(line[:cut]) - limit) // 2)
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return lines


def _send_telegram(settings: DigestSettings, digest: StaffDigest, environ: Mapping[str, str], clock: Clock) -> str:
    variable = settings.bot_token_env or DEFAULT_BOT_TOKEN_ENV
    token = _secret(environ, variable, "bot_token_env")
    base = (settings.telegram_url or TELEGRAM_API).rstrip("/")
    http = HttpClient("replies.digest (telegram)", f"{base}/bot{token}", clock=clock, classify=_telegram_refusal)
    parts = split_message(digest.text)
    if len(parts) > TELEGRAM_MAX_PARTS:
        rest = _("… {count} more messages left out; the whole digest: `outreach replies digest --format html`")
        parts = [*parts[: TELEGRAM_MAX_PARTS - 1], rest.format(count=len(parts) - TELEGRAM_MAX_PARTS + 1)]
    try:
        for part in parts:
            # No parse_mode: the text is plain, so nothing a citizen wrote can be read as markup.
            payload = {"chat_id": settings.chat_id, "text": part, "link_preview_options": {"is_disabled": True}}
            try:
                http.request("POST", "sendMessage", json=payload, idempotent=False)
            except RateLimited as limited:  # a group takes about 20 messages a minute: wait once, as asked
                wait = limited.retry_after
                if wait is None or wait > TELEGRAM_LONGEST_WAIT:
                    raise
                time.sleep(wait)
                http.request("POST", "sendMessage", json=payload, idempotent=False)
    finally:
        http.close()
    return f"telegram {settings.chat_id}"


def _telegram_refusal(response: requests.Response, body: Any) -> PublishError | None:
    """Telegram says how long to wait in its body (``parameters.retry_after``), not in a header."""
    if response.status_code != 429 or not isinstance(body, dict):
        return None
    parameters = body.get("parameters")
    seconds = parameters.get("retry_after") if isinstance(parameters, dict) else None
    message = redact(f"replies.digest (telegram): HTTP 429: {str(body.get('description', ''))[:200]}")
    return RateLimited(message, retry_after=float(seconds) if isinstance(seconds, (int, float)) else None)


def _send_webhook(settings: DigestSettings, digest: StaffDigest, environ: Mapping[str, str], clock: Clock) -> str:
    assert settings.url is not None  # the config requires it for this way
    body = json.dumps(
        {"event": "replies.digest", "subject": digest.subject, "text": digest.text, "html": digest.html},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if settings.secret_env:
        timestamp = str(int(clock.now().timestamp()))
        secret = _secret(environ, settings.secret_env, "secret_env")
        headers |= {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}
    http = HttpClient("replies.digest (webhook)", settings.url, clock=clock)
    try:
        http.request("POST", settings.url, data=body, headers=headers, idempotent=False, expect_json=False)
    finally:
        http.close()
    return "webhook"


def email_message(settings: DigestSettings, digest: StaffDigest) -> EmailMessage:
    """The digest as a multipart e-mail: the text, and the same as an HTML page for a mail program that shows one."""
    assert settings.sender is not None and settings.to
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(digest.text)
    message.add_alternative(digest.html, subtype="html")
    return message


def _send_email(settings: DigestSettings, digest: StaffDigest, environ: Mapping[str, str]) -> str:
    assert settings.host is not None
    use_ssl = bool(settings.ssl)
    starttls = settings.starttls if settings.starttls is not None else not use_ssl
    port = settings.port or (465 if use_ssl else 587)
    username = _secret(environ, settings.username_env, "username_env") if settings.username_env else None
    password = _secret(environ, settings.password_env, "password_env") if settings.password_env else None
    if (username is None) != (password is None):
        raise ConfigError(_("replies.digest: username_env and password_env go together; set both or neither"))
    context = ssl.create_default_context()
    where = f"{settings.host}:{port}"
    try:
        smtp: smtplib.SMTP
        if use_ssl:
            smtp = smtplib.SMTP_SSL(settings.host, port, timeout=SMTP_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, port, timeout=SMTP_TIMEOUT)
        with smtp:
            if starttls:
                smtp.starttls(context=context)
            if username is not None and password is not None:
                smtp.login(username, password)
            smtp.send_message(email_message(settings, digest))
    except smtplib.SMTPAuthenticationError as error:
        raise PermanentError(
            redact(_("e-mail {where}: the server refused the login ({code})").format(where=where, code=error.smtp_code))
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentError(
            _("e-mail {where}: the server refused the recipients {to}").format(
                where=where, to=", ".join(error.recipients)
            )
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        raise NetworkError(
            redact(_("e-mail {where}: {error}").format(where=where, error=f"{type(error).__name__} {error}"[:300]))
        ) from None
    return f"email {', '.join(settings.to or [])}"
