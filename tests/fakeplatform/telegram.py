"""A fake Telegram Bot API: one bot, one channel, sendMessage/sendPhoto and the calls ``check`` makes.

Faithful where adapters can go wrong: the token is in the path and a wrong one answers 401
(a malformed one 404); parameters arrive as JSON, form, multipart or query string; lengths are
counted in UTF-16 code units after trimming (4096 text, 1024 caption); the bot's membership and
rights in the channel decide between success, 403 "bot is not a member" and 400 "not enough
rights"; every error is ``{"ok": false, "error_code", "description"[, "parameters"]}`` with the
HTTP status equal to ``error_code``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

from werkzeug import Request, Response

from .base import PlatformFake
from .server import FakeServer, json_response

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_LIMIT = 10 * 1024 * 1024
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF")
_TOKEN_FORMAT = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def error(code: int, description: str, **parameters: Any) -> Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return json_response(body, status=code)


def ok(result: Any) -> Response:
    return json_response({"ok": True, "result": result})


class TelegramFake(PlatformFake):
    channel_type = "telegram"
    create_path = r"/bot[^/]+/send(Message|Photo)"

    TOKEN = "7012345678:AAHfakeTelegramBotTokenQx9Lm2Vb7Nc4Zt"
    BOT = {
        "id": 7012345678,
        "is_bot": True,
        "first_name": "Kominfo Bandar Lampung",
        "username": "kominfobdl_bot",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }
    CHAT = {"id": -1001234567890, "title": "Kominfo Kota Bandar Lampung", "username": "kominfobdl", "type": "channel"}

    def __init__(self, server: FakeServer) -> None:
        self._lock = threading.Lock()
        #: The bot's membership in the channel: "administrator", "member", "left", "kicked".
        self.bot_status = "administrator"
        self.can_post_messages = True
        self._next_message_id = 100
        super().__init__(server)

    # -- PlatformFake --------------------------------------------------------------------------

    def install(self) -> None:
        for method in ("GET", "POST"):
            self.server.route(method, r"/bot(?P<token>[^/]*)/(?P<method>[A-Za-z]+)", self._dispatch)

    def channel_settings(self) -> dict[str, Any]:
        return {"type": "telegram", "base_url": self.server.url, "chat_id": f"@{self.CHAT['username']}"}

    @property
    def environ(self) -> dict[str, str]:
        return {"TELEGRAM_BOT_TOKEN": self.TOKEN}

    def rate_limit_response(self, retry_after: int) -> Response:
        return error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    def server_error_response(self) -> Response:
        return error(500, "Internal Server Error: restart")

    # -- routes --------------------------------------------------------------------------------

    def _dispatch(self, request: Request, match: Any) -> Response:
        token = match.group("token")
        if not _TOKEN_FORMAT.fullmatch(token):
            return error(404, "Not Found")
        if token != self.TOKEN or not self.token_valid:
            return error(401, "Unauthorized")
        handler = {
            "getMe": self._get_me,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
        }.get(match.group("method"))
        if handler is None:
            return error(404, "Not Found")
        params, files = _parameters(request)
        if params is None:
            return error(400, "Bad Request: can't parse JSON object")
        with self._lock:
            return handler(params, files)

    def _get_me(self, params: dict[str, Any], files: dict[str, bytes]) -> Response:
        return ok(dict(self.BOT))

    def _get_chat(self, params: dict[str, Any], files: dict[str, bytes]) -> Response:
        if not self._is_our_chat(params.get("chat_id")):
            return error(400, "Bad Request: chat not found")
        return ok({**self.CHAT, "description": "Informasi resmi Pemerintah Kota Bandar Lampung"})

    def _get_chat_member(self, params: dict[str, Any], files: dict[str, bytes]) -> Response:
        if not self._is_our_chat(params.get("chat_id")):
            return error(400, "Bad Request: chat not found")
        if str(params.get("user_id")) != str(self.BOT["id"]):
            return error(400, "Bad Request: member list is inaccessible")
        member: dict[str, Any] = {"user": dict(self.BOT), "status": self.bot_status}
        if self.bot_status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_post_messages=self.can_post_messages,
                can_edit_messages=True,
            )
        return ok(member)

    def _send_message(self, params: dict[str, Any], files: dict[str, bytes]) -> Response:
        refused = self._refuse_sender(params.get("chat_id"))
        if refused:
            return refused
        text = str(params.get("text") or "").strip()
        if not text:
            return error(400, "Bad Request: message text is empty")
        if utf16_length(text) > TEXT_LIMIT:
            return error(400, "Bad Request: message is too long")
        options = params.get("link_preview_options")
        if isinstance(options, str):
            options = json.loads(options)
        message = self._message(text=text)
        if options:
            message["link_preview_options"] = options
        self.created.append({"message_id": message["message_id"], "text": text, "link_preview_options": options})
        return ok(message)

    def _send_photo(self, params: dict[str, Any], files: dict[str, bytes]) -> Response:
        refused = self._refuse_sender(params.get("chat_id"))
        if refused:
            return refused
        photo = files.get("photo")
        if photo is None:
            return error(400, "Bad Request: there is no photo in the request")
        if len(photo) > PHOTO_LIMIT:
            return error(400, "Bad Request: file is too big")
        if not photo.startswith(IMAGE_MAGIC):
            return error(400, "Bad Request: IMAGE_PROCESS_FAILED")
        caption = str(params.get("caption") or "").strip()
        if utf16_length(caption) > CAPTION_LIMIT:
            return error(400, "Bad Request: message caption is too long")
        size = {"file_id": f"AgACAgUAAx0-{self._next_message_id}", "file_size": len(photo), "width": 800, "height": 600}
        message = self._message(photo=[size])
        if caption:
            message["caption"] = caption
        self.created.append({"message_id": message["message_id"], "caption": caption, "photo_bytes": len(photo)})
        return ok(message)

    # -- internals -----------------------------------------------------------------------------

    def _is_our_chat(self, chat_id: Any) -> bool:
        return str(chat_id) in (f"@{self.CHAT['username']}", str(self.CHAT["id"]))

    def _refuse_sender(self, chat_id: Any) -> Response | None:
        if not chat_id:
            return error(400, "Bad Request: chat_id is empty")
        if not self._is_our_chat(chat_id):
            return error(400, "Bad Request: chat not found")
        if self.bot_status in ("left", "kicked"):
            return error(403, "Forbidden: bot is not a member of the channel chat")
        if self.bot_status != "administrator" or not self.can_post_messages:
            return error(400, "Bad Request: need administrator rights in the channel chat")
        return None

    def _message(self, **content: Any) -> dict[str, Any]:
        self._next_message_id += 1
        return {
            "message_id": self._next_message_id,
            "sender_chat": dict(self.CHAT),
            "chat": dict(self.CHAT),
            "date": int(time.time()),
            **content,
        }


def _parameters(request: Request) -> tuple[dict[str, Any] | None, dict[str, bytes]]:
    """Bot API parameters from the query string, a form, a multipart body or JSON."""
    params: dict[str, Any] = dict(request.args)
    files = {name: upload.read() for name, upload in request.files.items()}
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return None, files
        params.update(body)
    else:
        params.update(request.form)
    return params, files


FAKE = TelegramFake
