"""A fake Telegram Bot API: one bot, one channel, sendMessage/sendPhoto and the calls ``check`` makes.

Faithful where adapters can go wrong: the token is in the path and a wrong one answers 401
(a malformed one 404); parameters arrive as JSON, form, multipart or query string; lengths are
counted in UTF-16 code units after trimming (4096 text, 1024 caption); the bot's membership and
rights in the channel decide between success, 403 "bot is not a member" and 400 "not enough
rights"; every error is ``{"ok": false, "error_code", "description"[, "parameters"]}`` with the
HTTP status equal to ``error_code``.

The channel's linked discussion group is modelled for the comments: each channel post is copied into
the group as an automatic forward, and comments reply to that copy (or to each other in its thread).
The bot sees them only through ``getUpdates``, as Telegram delivers them: only while it is a member of
the group that may read every message (privacy mode off, or an admin), never its own messages, kept 24
hours until confirmed by a call with a higher ``offset``, refused with 409 while a webhook is set.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug import Request, Response

from .base import PlatformFake
from .server import FakeServer, json_response

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_LIMIT = 10 * 1024 * 1024
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF")
#: How long Telegram keeps an update nobody confirmed.
UPDATE_RETENTION = timedelta(hours=24)
#: The user Telegram shows as the sender of messages written on behalf of a channel.
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
CITIZEN = {"id": 5550001, "is_bot": False, "first_name": "Rina", "last_name": "Kedaton", "username": "rinakdt"}
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
    GROUP = {"id": -1009876543210, "title": "Diskusi Kominfo Kota Bandar Lampung", "type": "supergroup"}

    def __init__(self, server: FakeServer) -> None:
        self._lock = threading.Lock()
        #: The bot's membership in the channel: "administrator", "member", "left", "kicked".
        self.bot_status = "administrator"
        self.can_post_messages = True
        self._next_message_id = 100
        #: The discussion group: linked to the channel, the bot's membership there, and its privacy mode
        #: (on by default for every bot: it then sees only commands and replies to itself in groups).
        self.discussion_linked = True
        self.group_status = "administrator"
        self.privacy_mode = True
        self.webhook_url = ""
        #: Updates not yet confirmed, oldest first; the persisted ``allowed_updates`` of the last call.
        self.updates: list[dict[str, Any]] = []
        self.allowed_updates: list[str] = []
        self._next_update_id = 400000000
        self._next_group_message_id = 5000
        #: Channel message id -> its automatic forward in the group.
        self.copies: dict[int, dict[str, Any]] = {}
        self._group_messages: dict[int, dict[str, Any]] = {}
        #: The fake's clock, replaceable by tests that let time pass (update retention).
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
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
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
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
        chat = {**self.CHAT, "description": "Informasi resmi Pemerintah Kota Bandar Lampung"}
        if self.discussion_linked:
            chat["linked_chat_id"] = self.GROUP["id"]
        return ok(chat)

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
        self._copy_to_group(message)
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
        self._copy_to_group(message)
        return ok(message)

    def _get_updates(self, params: dict[str, Any], files: dict[str, bytes]) -> Response:
        """Unconfirmed updates from ``offset`` on; asking with an offset confirms (forgets) every earlier one."""
        if self.webhook_url:
            return error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first",
            )
        try:
            offset = int(params["offset"]) if params.get("offset") is not None else None
            limit = int(params.get("limit", 100))
        except (TypeError, ValueError):
            return error(400, "Bad Request: invalid offset or limit specified")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, str):
            allowed = json.loads(allowed)
        if isinstance(allowed, list):
            self.allowed_updates = [str(kind) for kind in allowed]
        oldest = self.now() - UPDATE_RETENTION
        self.updates = [update for update in self.updates if update["_at"] > oldest]
        if offset is not None:
            if offset < 0:
                self.updates = self.updates[offset:]
            else:
                self.updates = [update for update in self.updates if update["update_id"] >= offset]
        wanted = [
            update
            for update in self.updates
            if not self.allowed_updates or any(kind in update for kind in self.allowed_updates)
        ]
        return ok(
            [
                {key: value for key, value in update.items() if key != "_at"}
                for update in wanted[: max(1, min(limit, 100))]
            ]
        )

    def _set_webhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Response:
        self.webhook_url = str(params.get("url") or "")
        return ok(True)

    def _delete_webhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Response:
        self.webhook_url = ""
        return ok(True)

    # -- the discussion group ------------------------------------------------------------------

    def comment(
        self,
        post_message_id: int,
        text: str,
        *,
        sender: str = "citizen",
        reply_to: int | None = None,
        at: datetime | None = None,
    ) -> int:
        """Someone comments on the channel post (or replies to comment ``reply_to`` under it): ``sender`` is
        "citizen", "channel" (an admin writing as the channel) or "bot" (this bot; Telegram never gives a
        bot its own messages). Returns the group message id."""
        with self._lock:
            copy = self.copies[post_message_id]
            replied = self._group_messages[reply_to] if reply_to is not None else copy
            self._next_group_message_id += 1
            message: dict[str, Any] = {
                "message_id": self._next_group_message_id,
                "from": dict(CITIZEN),
                "chat": dict(self.GROUP),
                "date": int((at or self.now()).timestamp()),
                "message_thread_id": copy["message_id"],
                "reply_to_message": {key: value for key, value in replied.items() if key != "reply_to_message"},
                "text": text,
            }
            if sender == "channel":
                message.update({"from": dict(CHANNEL_BOT), "sender_chat": dict(self.CHAT)})
            elif sender == "bot":
                message["from"] = dict(self.BOT)
            self._group_messages[message["message_id"]] = message
            if sender != "bot":
                self._deliver(message)
            return int(message["message_id"])

    def _copy_to_group(self, post: dict[str, Any]) -> None:
        """Telegram's automatic forward of a new channel post into the linked discussion group."""
        if not self.discussion_linked:
            return
        self._next_group_message_id += 1
        copy = {
            "message_id": self._next_group_message_id,
            "from": dict(CHANNEL_BOT),
            "sender_chat": dict(self.CHAT),
            "chat": dict(self.GROUP),
            "date": post["date"],
            "is_automatic_forward": True,
            "forward_origin": {
                "type": "channel",
                "chat": dict(self.CHAT),
                "message_id": post["message_id"],
                "date": post["date"],
            },
            "forward_from_chat": dict(self.CHAT),
            "forward_from_message_id": post["message_id"],
            "forward_date": post["date"],
            **{key: post[key] for key in ("text", "photo", "caption") if key in post},
        }
        self.copies[post["message_id"]] = copy
        self._group_messages[copy["message_id"]] = copy
        self._deliver(copy)

    def _deliver(self, message: dict[str, Any]) -> None:
        """Queue the group message as an update when the bot may see it (a member reading every message)."""
        if self.group_status not in ("member", "administrator", "creator"):
            return
        if self.privacy_mode and self.group_status == "member":
            return  # privacy mode: not a command, not a reply to the bot
        self._next_update_id += 1
        self.updates.append({"update_id": self._next_update_id, "message": message, "_at": self.now()})

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
