"""How a mistake in ``outreach.toml`` becomes one message: the file, the line, the key path, what is wrong in the
interface's language, and an example of a valid value (or the keys that are valid there)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import ConfigError
from .i18n import _
from .settings import KeyedError

#: Shown after an error about a key of this name, so the user sees a valid value.
EXAMPLES: dict[str, str] = {
    "bahasa": 'bahasa = "id"  (Indonesian; "en" for English)',
    "timezone": 'timezone = "Asia/Jakarta"',
    "store": 'store = "var/outreach.sqlite3"',
    "catalogue": 'catalogue = ["catalogue/inovasi.csv"]',
    "templates": 'templates = "templates"',
    "glossary": 'glossary = "glosarium.toml"',
    "media": 'media = "media"',
    "type": 'type = "file"',
    "as": 'as = "x"',
    "channels": 'channels = ["x-kominfo", "facebook-kominfo"]',
    "slots": 'slots = ["senin-jumat 09.00, 15.30", "sabtu 10.00"]',
    "cron": 'cron = "30 9 * * 1-5"',
    "series": 'series = ["perkenalan", "cara_pakai", "manfaat", "pengingat"]',
    "start": "start = 2026-12-01",
    "end": "end = 2027-01-31",
    "min_gap_days": "min_gap_days = 2",
    "repeat": "repeat = false",
    "rest_days": "rest_days = 14",
    "holidays": 'holidays = "skip"',
    "plain_language": 'plain_language = "warn"',
    "blackouts": 'blackouts = [{ start = 2027-02-11, end = 2027-02-14, reason = "Masa tenang pemilu" }]',
    "max_attempts": "max_attempts = 5",
    "catch_up_minutes": "catch_up_minutes = 120",
    "max_retry_after_seconds": "max_retry_after_seconds = 3600",
    "base_url": 'base_url = "https://mastodon.example"',
    "directory": 'directory = "../var/outbox"',
    "chat_id": 'chat_id = "@infobandarlampung"',
    "page_id": 'page_id = "100000000000001"',
    "ig_user_id": 'ig_user_id = "17840000000000001"',
    "public_media_base_url": 'public_media_base_url = "https://bandarlampungkota.go.id/media/inovasi/"',
    "handle": 'handle = "kominfo.bandarlampungkota.go.id"',
    "url": 'url = "https://bandarlampungkota.go.id/api/outreach"',
    "utm": 'utm = { source = "facebook" }',
    "daily_cap": "daily_cap = 3",
    "collect_at": 'collect_at = "03.30"',
    "days": "days = 30",
    "enabled": "enabled = true",
    "via": 'via = "telegram"  (or "webhook", "email")',
    "at": 'at = "07.00"',
    "bot_token_env": 'bot_token_env = "OUTREACH_DIGEST_BOT_TOKEN"',
    "host": 'host = "smtp.bandarlampungkota.go.id"',
    "port": "port = 587",
    "sender": 'sender = "outreach@bandarlampungkota.go.id"',
    "to": 'to = ["humas@bandarlampungkota.go.id"]',
}


def line_of(text: str, location: tuple[str | int, ...]) -> int | None:
    """The line that defines ``location``: the deepest table header on its path, then the key in it."""
    keys = [str(part) for part in location if isinstance(part, str)]
    lines = text.splitlines()
    for cut in range(len(keys), 0, -1):
        header = _header_line(lines, keys[:cut])
        if header is None:
            continue
        if cut == len(keys):
            return header
        for number in range(header + 1, len(lines) + 1):
            stripped = lines[number - 1].strip()
            if stripped.startswith("["):
                break
            if _key_of(stripped) == keys[cut]:
                return number
        return header
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            break
        if keys and _key_of(stripped) == keys[0]:
            return number
    return None


def _key_of(line: str) -> str | None:
    """The key a ``key = value`` line sets (None for comments and blank lines)."""
    if "=" not in line or line.startswith("#"):
        return None
    return line.split("=", 1)[0].strip().strip('"')


def _header_line(lines: list[str], table: list[str]) -> int | None:
    for number, line in enumerate(lines, start=1):
        stripped = line.split("#", 1)[0].strip()
        if stripped.startswith("[") and [p.strip().strip('"') for p in stripped.strip("[]").split(".")] == table:
            return number
    return None


def _describe(error: dict[str, Any]) -> str:
    """The validator's complaint in the interface's language (pydantic's own words only for rare kinds)."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "value_error":  # our own validators raise it with a translated message
        return str(context.get("error", error["msg"]))
    messages = {
        "extra_forbidden": _("unknown key (a typo?)"),
        "unexpected_keyword_argument": _("unknown key (a typo?)"),
        "missing": _("required key is missing"),
        "greater_than": _("must be more than {gt}"),
        "greater_than_equal": _("must be {ge} or more"),
        "less_than_equal": _("must be {le} or less"),
        "string_too_short": _("must not be empty"),
        "too_short": _("must not be empty"),
        "literal_error": _("must be one of {expected}"),
        "int_parsing": _("must be a whole number"),
        "int_type": _("must be a whole number"),
        "int_from_float": _("must be a whole number"),
        "float_parsing": _("must be a number"),
        "float_type": _("must be a number"),
        "bool_parsing": _("must be true or false"),
        "bool_type": _("must be true or false"),
        "string_type": _('must be text in quotes, like "..."'),
        "list_type": _('must be a list in brackets, like ["..."]'),
        "date_type": _("must be a date, like 2026-12-01"),
        "date_parsing": _("must be a date, like 2026-12-01"),
        "date_from_datetime_parsing": _("must be a date, like 2026-12-01"),
        "dict_type": _("must be a table: a [section] or { key = value }"),
        "model_type": _("must be a table: a [section] or { key = value }"),
        "dataclass_type": _("must be a table: a [section] or { key = value }"),
    }
    if kind in messages:
        fields = {key: str(value).replace(" or ", ", ") for key, value in context.items()}
        return messages[kind].format(**fields)
    return str(error["msg"]).removeprefix("Value error, ")


def config_error(path: Path, text: str, error: dict[str, Any], prefix: tuple[str | int, ...] = ()) -> ConfigError:
    broken = (error.get("ctx") or {}).get("error")
    location = prefix + tuple(error["loc"]) + ((broken.key,) if isinstance(broken, KeyedError) else ())
    key_path = ".".join(str(part) for part in location)
    line = line_of(text, location)
    where = f"{path}:{line}" if line else str(path)
    last_key = next((str(part) for part in reversed(location) if isinstance(part, str)), "")
    hint = EXAMPLES.get(last_key)
    if "allowed" in error:
        hint = _("valid keys here: {keys}").format(keys=", ".join(error["allowed"]))
    message = f"{where}: {key_path}: {_describe(error)}"
    if "allowed" in error:
        return ConfigError(f"{message}; {hint}")
    return ConfigError(message + ("; " + _("example: {example}").format(example=hint) if hint else ""))
