"""The ``whatsapp_manual`` channel: hand each post to staff, who forward it to WhatsApp themselves.

WhatsApp offers no official way to post to a Channel or group (the Cloud API only sends 1:1
template messages), so publishing here means a hand-off: a ready-to-paste text file (and the
image next to it) in a folder staff work from, optionally announced in a staff Telegram chat or
chat-tool webhook. The file *is* the hand-off — it is written durably before anyone is told, and
a failed notification only logs a warning, because the post is ready either way. The post then
waits in ``handed_off`` until staff run ``outreach post confirm``.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import AuthError, ContentRejected, LocalIOError, PublishError, ServerError
from ..i18n import N_, _
from ..media import ImageFile
from ..settings import Check
from .base import (
    AccountIdentity,
    Channel,
    ChannelSettings,
    Checkpoint,
    Outcome,
    OutgoingPost,
    PublishResult,
    Reconciliation,
)
from .http import HttpClient

logger = logging.getLogger(__name__)

_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            _("unknown time zone {zone}; use a name such as 'Asia/Jakarta'").format(zone=repr(value))
        ) from None
    return value


def _no_base_url(value: str) -> str:
    raise ValueError(_("whatsapp_manual talks to no platform; remove 'base_url' (see telegram_base_url)"))


@dataclass(frozen=True, kw_only=True)
class WhatsAppManualSettings(ChannelSettings):
    type: Literal["whatsapp_manual"]
    #: Refused: a hand-off talks to no platform.
    base_url: Annotated[str, Check(_no_base_url)] | None = None
    handoff_directory: Path = Path("var/handoff")
    #: Whose calendar dates the hand-off file names.
    timezone: Annotated[str, Check(_known_zone)] = "Asia/Jakarta"
    #: Staff chat to announce hand-offs in: numeric id or @username.
    notify_telegram_chat: int | str | None = None
    telegram_bot_token_env: str = "HANDOFF_TELEGRAM_BOT_TOKEN"
    telegram_base_url: str = "https://api.telegram.org"
    #: Names the variable holding a chat tool's incoming-webhook URL (such URLs embed a token).
    notify_webhook_url_env: str | None = field(default=None, metadata={"example": "HANDOFF_STAFF_WEBHOOK_URL"})


class WhatsAppManualChannel(Channel):
    platform = "whatsapp"
    settings_model = WhatsAppManualSettings
    settings: WhatsAppManualSettings
    #: Staff forward the post themselves: the one figure there is, they type when they confirm it.
    engagement_unavailable: ClassVar[str | None] = N_(
        "WhatsApp gives no figures; staff record how many groups or chats they forwarded a post to with "
        "`outreach post confirm ID --groups N`"
    )

    def open_http(self) -> HttpClient:
        """For the staff notices: the Telegram Bot API (the token goes in each path) and the chat tool's hook."""
        return self.new_http_client(self.settings.telegram_base_url)

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        # Secrets first: a configuration mistake must fail before anything is handed off.
        token = self.secret("telegram_bot_token") if self.settings.notify_telegram_chat is not None else None
        hook = self.secret("notify_webhook_url") if self.settings.notify_webhook_url_env else None
        text_path, image_path = self._paths(post)
        image = self.read_image(post) if post.image is not None else None
        try:
            self.settings.handoff_directory.mkdir(parents=True, exist_ok=True)
            if image_path is not None and image is not None:
                _write_durably(image_path, image.content)
            # The text file last: its presence is what marks the post as handed off.
            _write_durably(text_path, post.text.encode("utf-8"))
        except PermissionError as error:
            raise LocalIOError(
                _("{name}: cannot write in {folder}: {reason}").format(
                    name=self.name, folder=self.settings.handoff_directory, reason=error.strerror or error
                )
            ) from error
        except OSError as error:
            raise ServerError(
                _("{name}: could not write the hand-off file in {folder}: {reason}").format(
                    name=self.name, folder=self.settings.handoff_directory, reason=error.strerror or error
                )
            ) from error
        self._notify(post, text_path, image_path, image, token, hook)
        return PublishResult(remote_id=text_path.name, handed_off=True)

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        text_path, _image = self._paths(post)
        if text_path.is_file():
            return Reconciliation(
                Outcome.PUBLISHED,
                PublishResult(remote_id=text_path.name, handed_off=True),
                detail=_("the hand-off file is in the folder"),
            )
        return Reconciliation(
            Outcome.NOT_PUBLISHED,
            detail=_("no {file} in {folder}").format(file=text_path.name, folder=text_path.parent),
        )

    def check(self) -> AccountIdentity:
        """The hand-off folder takes a file; the staff bot is valid and can see its chat."""
        directory = self.settings.handoff_directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as error:
            raise LocalIOError(
                _("{name}: cannot write in {folder}: {reason}").format(
                    name=self.name, folder=directory, reason=error.strerror or error
                )
            ) from error
        detail = _("hand-off folder is writable")
        chat = self.settings.notify_telegram_chat
        if chat is not None:
            token = self.secret("telegram_bot_token")
            bot = self.http.request("GET", f"bot{token}/getMe").body.get("result", {})
            try:
                answer = self.http.request("GET", f"bot{token}/getChat", params={"chat_id": chat})
            except ContentRejected as error:  # Telegram answers 400 "chat not found"
                raise AuthError(
                    _("{name}: the staff bot cannot reach chat {chat}: {error}").format(
                        name=self.name, chat=chat, error=error
                    )
                ) from error
            title = answer.body.get("result", {}).get("title") or chat
            detail += "; " + _("staff notified by @{bot} in '{chat}'").format(bot=bot.get("username"), chat=title)
        if self.settings.notify_webhook_url_env:
            self.secret("notify_webhook_url")
            detail += "; " + _("staff webhook address set (not contacted)")
        return AccountIdentity(handle=str(directory.resolve()), detail=detail)

    def _paths(self, post: OutgoingPost) -> tuple[Path, Path | None]:
        """``<scheduled local date>_<post id>_<innovation id>.txt`` (sorts by date), and the image beside it."""
        local_date = post.scheduled_at.astimezone(ZoneInfo(self.settings.timezone)).date().isoformat()
        innovation = _UNSAFE_IN_FILE_NAME.sub("-", str(post.innovation.get("id", ""))).strip(".-") or "post"
        stem = self.settings.handoff_directory / f"{local_date}_{post.id}_{innovation}"
        image = stem.with_name(stem.name + post.image.suffix.lower()) if post.image is not None else None
        return stem.with_name(stem.name + ".txt"), image

    def _notify(
        self,
        post: OutgoingPost,
        text_path: Path,
        image_path: Path | None,
        image: ImageFile | None,
        token: str | None,
        hook: str | None,
    ) -> None:
        """Tell staff; a failure is logged, never raised: the hand-off file is already there."""
        notice = self._notice(post, text_path, image_path)
        if token is not None:
            try:
                self._notify_telegram(token, notice, post.text, image_path, image)
            except PublishError as error:
                logger.warning(
                    "%s: %s is ready, but the staff Telegram notice failed: %s", self.name, text_path.name, error
                )
        if hook is not None:
            body = {
                "event": "post.handed_off",
                "text": notice,
                "channel": self.name,
                "post_id": post.id,
                "post_key": post.key,
                "innovation_id": post.innovation.get("id"),
                "scheduled_at": post.scheduled_at.isoformat(timespec="seconds"),
                "file": text_path.name,
                "image": image_path.name if image_path is not None else None,
            }
            try:
                self.http.request("POST", hook, json=body, expect_json=False)
            except PublishError as error:
                logger.warning(
                    "%s: %s is ready, but the staff webhook notice failed: %s", self.name, text_path.name, error
                )

    def _notice(self, post: OutgoingPost, text_path: Path, image_path: Path | None) -> str:
        local = post.scheduled_at.astimezone(ZoneInfo(self.settings.timezone))
        lines = [
            _("WhatsApp post ready to forward: {file}").format(file=text_path.name),
            _("Scheduled: {time}").format(time=f"{local:%Y-%m-%d %H:%M} ({self.settings.timezone})"),
        ]
        if image_path is not None:
            lines.append(_("Image: {file}").format(file=image_path.name))
        lines.append(_("After sending, run: outreach post confirm {id} [--url LINK] [--groups N]").format(id=post.id))
        return "\n".join(lines)

    def _notify_telegram(
        self, token: str, notice: str, text: str, image_path: Path | None, image: ImageFile | None
    ) -> None:
        """The notice, the image, then the text alone — no parse mode, so WhatsApp's *bold* stays literal."""
        chat = self.settings.notify_telegram_chat
        quiet = {"chat_id": chat, "link_preview_options": {"is_disabled": True}}
        self.http.request("POST", f"bot{token}/sendMessage", json={**quiet, "text": notice})
        if image_path is not None and image is not None:
            photo = {"photo": (image_path.name, image.content, image.mime_type)}
            self.http.request("POST", f"bot{token}/sendPhoto", data={"chat_id": str(chat)}, files=photo)
        self.http.request("POST", f"bot{token}/sendMessage", json={**quiet, "text": text})


def _write_durably(path: Path, data: bytes) -> None:
    """Write beside ``path``, fsync, rename over it, fsync the folder: a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
