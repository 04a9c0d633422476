"""The ``whatsapp_manual`` hand-off: a hand-off folder, plus the staff's Telegram bot and chat-tool webhook.

There is no WhatsApp API to fake: the "platform" is the hand-off folder, so ``created`` lists the
files in it. The contract suite configures no notification (``http_faults`` is False: nothing on
the network can fail a hand-off); ``notify_settings()`` adds the staff Telegram chat and webhook
that this fake also serves, with the Bot API's own paths, bodies and errors.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from .base import PlatformFake
from .server import json_response

TOKEN = "7000111222:AAHandoffStaffBotTokenForTests"
STAFF_CHAT = -1001234567890
#: A chat tool's incoming-webhook address carries its credential in the path and the query
#: (Slack: /services/T…/B…/<token>; Google Chat: ?key=…&token=…), so this one does too.
STAFF_HOOK_PATH = "/services/T0STAFF01/B0HANDOFF/q7Xk2mZ9pLw4Rt8vNc3Hs6Yd"
STAFF_HOOK_QUERY = "key=AIzaStaffHookKey0192&token=hT5uWq1zEr7oPx3"
TELEGRAM_MESSAGE_LIMIT = 4096


class WhatsAppManualFake(PlatformFake):
    channel_type = "whatsapp_manual"
    create_path = r"/bot[^/]+/sendMessage"
    http_faults = False

    def __init__(self, server: Any) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="handoff-")
        self.directory = Path(self._folder.name)
        self._lock = threading.Lock()
        #: What the staff chat received: {"method": "sendMessage"|"sendPhoto", "text"|"photo": ...}.
        self.staff_messages: list[dict[str, Any]] = []
        #: JSON bodies the staff chat-tool webhook received.
        self.staff_hooks: list[dict[str, Any]] = []
        super().__init__(server)

    @property  # type: ignore[override]
    def created(self) -> list[dict[str, Any]]:
        """The hand-off files staff were given: the text exactly as written, and the image beside it."""
        handed = []
        for text_file in sorted(self.directory.glob("*.txt")):
            images = [p.name for p in self.directory.glob(text_file.stem + ".*") if p.suffix != ".txt"]
            handed.append({"file": text_file.name, "text": text_file.read_bytes().decode("utf-8"), "images": images})
        return handed

    @created.setter
    def created(self, value: list[dict[str, Any]]) -> None:
        """The folder is the record; PlatformFake's initial empty list is all that may be assigned."""
        if value:
            raise AttributeError("the hand-off folder is the record of what was handed off")

    def install(self) -> None:
        self.server.route("GET", r"/bot(?P<token>[^/]+)/getMe", self._get_me)
        self.server.route("GET", r"/bot(?P<token>[^/]+)/getChat", self._get_chat)
        self.server.route("POST", r"/bot(?P<token>[^/]+)/sendMessage", self._send_message)
        self.server.route("POST", r"/bot(?P<token>[^/]+)/sendPhoto", self._send_photo)
        self.server.route("POST", STAFF_HOOK_PATH, self._staff_hook)

    def channel_settings(self) -> dict[str, Any]:
        return {"type": "whatsapp_manual", "handoff_directory": str(self.directory)}

    def notify_settings(self) -> dict[str, Any]:
        """Overrides that announce each hand-off in the staff Telegram chat and chat-tool webhook."""
        return {
            "notify_telegram_chat": STAFF_CHAT,
            "telegram_base_url": self.server.url,
            "notify_webhook_url_env": "HANDOFF_STAFF_WEBHOOK_URL",
        }

    @property
    def environ(self) -> dict[str, str]:
        return {"HANDOFF_TELEGRAM_BOT_TOKEN": TOKEN, "HANDOFF_STAFF_WEBHOOK_URL": self.staff_hook_url}

    @property
    def staff_hook_url(self) -> str:
        """The staff chat tool's incoming-webhook address: a secret as a whole and in its path and query."""
        return f"{self.server.url}{STAFF_HOOK_PATH}?{STAFF_HOOK_QUERY}"

    def rate_limit_response(self, retry_after: int) -> Response:
        return _telegram_error(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    def server_error_response(self) -> Response:
        return _telegram_error(502, "Bad Gateway")

    def _authorised(self, match: Any) -> bool:
        return self.token_valid and match["token"] == TOKEN

    def _get_me(self, request: Request, match: Any) -> Response:
        if not self._authorised(match):
            return _telegram_error(401, "Unauthorized")
        bot = {"id": 7000111222, "is_bot": True, "first_name": "Humas Serah-Terima", "username": "humas_serah_bot"}
        return _ok(bot)

    def _get_chat(self, request: Request, match: Any) -> Response:
        if not self._authorised(match):
            return _telegram_error(401, "Unauthorized")
        if request.args.get("chat_id") != str(STAFF_CHAT):
            return _telegram_error(400, "Bad Request: chat not found")
        return _ok({"id": STAFF_CHAT, "type": "supergroup", "title": "Staf Humas"})

    def _send_message(self, request: Request, match: Any) -> Response:
        if not self._authorised(match):
            return _telegram_error(401, "Unauthorized")
        body = request.get_json(silent=True) or {}
        if str(body.get("chat_id")) != str(STAFF_CHAT):
            return _telegram_error(400, "Bad Request: chat not found")
        text = body.get("text")
        if not text:
            return _telegram_error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > TELEGRAM_MESSAGE_LIMIT:
            return _telegram_error(400, "Bad Request: message is too long")
        return _ok(self._record({"method": "sendMessage", "text": text, "parse_mode": body.get("parse_mode")}))

    def _send_photo(self, request: Request, match: Any) -> Response:
        if not self._authorised(match):
            return _telegram_error(401, "Unauthorized")
        if request.form.get("chat_id") != str(STAFF_CHAT):
            return _telegram_error(400, "Bad Request: chat not found")
        photo = request.files.get("photo")
        if photo is None:
            return _telegram_error(400, "Bad Request: there is no photo in the request")
        return _ok(self._record({"method": "sendPhoto", "photo": photo.read(), "file_name": photo.filename}))

    def _staff_hook(self, request: Request, match: Any) -> Response:
        if request.query_string.decode("ascii") != STAFF_HOOK_QUERY:
            return json_response({"error": "invalid key or token"}, status=401)
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not body.get("text"):
            return json_response({"error": "text is required"}, status=400)
        with self._lock:
            self.staff_hooks.append(body)
        return Response("ok", status=200, content_type="text/plain")

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.staff_messages.append(message)
            message_id = len(self.staff_messages)
        return {"message_id": message_id, "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "Staf Humas"}}


def _ok(result: Any) -> Response:
    return json_response({"ok": True, "result": result})


def _telegram_error(code: int, description: str, parameters: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Response(json.dumps(body), status=code, content_type="application/json")


FAKE = WhatsAppManualFake
