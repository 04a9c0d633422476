"""Telegram: posts to a channel through the Bot API (``sendMessage``, ``sendPhoto``).

The bot token is part of every URL (``/bot<TOKEN>/method``). It therefore lives only in the
HttpClient's base URL: the method name alone is what error messages quote, urllib3's request-line
log is masked by outreach's redaction, and errors are raised without the chained requests
exception, whose text can quote the URL.

The Bot API has no idempotency key and cannot list a channel's messages, so an interrupted
attempt cannot be reconciled: a person checks the channel.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import requests
from pydantic import Field, field_validator

from ..errors import (
    AmbiguousError,
    AuthError,
    ChannelHeld,
    ContentRejected,
    PermanentError,
    PublishError,
    RateLimited,
    ServerError,
)
from ..i18n import N_, _
from .base import (
    AccountIdentity,
    Capabilities,
    Channel,
    ChannelSettings,
    Checkpoint,
    Outcome,
    OutgoingPost,
    PublishResult,
    Reconciliation,
)
from .http import HttpClient

#: 400 answers that mean the chat setting or the bot's rights are wrong: every post would fail.
_CONFIGURATION_PROBLEMS = (
    "chat not found",
    "rights",
    "chat_admin_required",
    "chat_write_forbidden",
    "upgraded to a supergroup",
)


class TelegramSettings(ChannelSettings):
    type: Literal["telegram"]
    base_url: str = "https://api.telegram.org"
    chat_id: str = Field(description='The channel: "@username", or its numeric id (-100…) for a private one.')
    token_env: str = "TELEGRAM_BOT_TOKEN"
    caption_limit: int | None = Field(default=None, gt=0, description="Override the photo caption limit.")
    link_preview: bool = Field(default=True, description="Show a preview of the post's link under the text.")

    @field_validator("chat_id")
    @classmethod
    def _is_username_or_id(cls, value: str) -> str:
        value = value.strip()
        if not (value.startswith("@") and len(value) > 1) and not value.lstrip("-").isdigit():
            raise ValueError('chat_id must be "@channelusername" or a numeric chat id such as -1001234567890')
        return value


class TelegramChannel(Channel):
    platform = "telegram"
    settings_model = TelegramSettings
    settings: TelegramSettings
    #: A bot's messages carry no view count, and reactions reach a bot only as change notices from
    #: getUpdates (``message_reaction_count``), which outreach does not listen to: nothing to read.
    engagement_unavailable: ClassVar[str | None] = N_(
        "Telegram's Bot API gives a bot no view or reaction counts for channel posts; the views are shown under "
        "each post in the Telegram app, and channel admins find the totals under the channel's Statistics"
    )

    @classmethod
    def capabilities_for(cls, settings: ChannelSettings) -> Capabilities:
        capabilities = super().capabilities_for(settings)
        assert isinstance(settings, TelegramSettings)
        if settings.caption_limit is not None and capabilities.caption_limit is not None:
            capabilities = replace(
                capabilities, caption_limit=replace(capabilities.caption_limit, maximum=settings.caption_limit)
            )
        if not settings.link_preview:  # no card: the text's link is the one that carries the tracking
            capabilities = replace(capabilities, link_card="never")
        return capabilities

    def open_http(self) -> HttpClient:
        # secret() registers the token for redaction before any request can log it.
        token = self.secret("token")
        return self.new_http_client(f"{self.settings.base_url.rstrip('/')}/bot{token}", classify=self._classify)

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        chat_id = self.settings.chat_id
        if post.image is not None:
            # Telegram photos carry no alt text; the caption is all a reader gets.
            image = self.read_image(post)
            message = self._call(
                "sendPhoto",
                idempotent=False,
                data={"chat_id": chat_id, "caption": post.text},
                files={"photo": (post.image.name, image.content, image.mime_type)},
            )
        else:
            payload: dict[str, Any] = {"chat_id": chat_id, "text": post.text}
            if not self.settings.link_preview:
                payload["link_preview_options"] = {"is_disabled": True}
            elif post.link:
                payload["link_preview_options"] = {"url": post.link}
            message = self._call("sendMessage", idempotent=False, json=payload)
        message_id = message.get("message_id") if isinstance(message, dict) else None
        if message_id is None:
            raise AmbiguousError(_("{name}: Telegram accepted the post but named no message id").format(name=self.name))
        return PublishResult(remote_id=str(message_id), url=_message_link(message.get("chat"), message_id))

    def check(self) -> AccountIdentity:
        """The bot is valid, sees the chat, and may post there."""
        chat_id = self.settings.chat_id
        bot = self._call("getMe", idempotent=True)
        chat = self._call("getChat", idempotent=True, json={"chat_id": chat_id})
        if not isinstance(bot, dict) or "id" not in bot or not isinstance(chat, dict):
            raise ServerError(
                _("{name}: getMe/getChat answered without the bot's id or the chat").format(name=self.name)
            )
        label = f"@{chat['username']}" if chat.get("username") else str(chat.get("title") or chat_id)
        try:
            member = self._call("getChatMember", idempotent=True, json={"chat_id": chat_id, "user_id": bot["id"]})
        except PermanentError as error:
            raise AuthError(
                _("{name}: bot is not an admin of {chat} ({error})").format(name=self.name, chat=label, error=error)
            ) from None
        status = member.get("status") if isinstance(member, dict) else None
        if chat.get("type") == "channel":
            if status not in ("administrator", "creator"):
                raise AuthError(_("{name}: bot is not an admin of {chat}").format(name=self.name, chat=label))
            if status == "administrator" and not member.get("can_post_messages"):
                raise AuthError(_("{name}: bot may not post messages in {chat}").format(name=self.name, chat=label))
        elif status in ("left", "kicked") or (status == "restricted" and not member.get("can_send_messages")):
            raise AuthError(_("{name}: bot may not post messages in {chat}").format(name=self.name, chat=label))
        return AccountIdentity(
            handle=f"@{bot.get('username', bot['id'])}",
            detail=_("posts to {chat} as {status}").format(chat=label, status=status),
        )

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        return Reconciliation(
            Outcome.CANNOT_TELL,
            detail=_("the Bot API cannot list the messages of {chat}; check the channel by hand").format(
                chat=self.settings.chat_id
            ),
        )

    def _call(self, method: str, *, idempotent: bool, **kwargs: Any) -> Any:
        """One Bot API call; returns its ``result``."""
        try:
            response = self.http.request("POST", method, idempotent=idempotent, **kwargs)
        except PublishError as error:
            # The chained requests exception may quote the URL, and with it the token.
            raise error from None
        body = response.body
        if not isinstance(body, dict) or body.get("ok") is not True or "result" not in body:
            message = f"{self.name}: {method}: " + _("answer without a result")
            if idempotent:
                raise ServerError(message)
            raise AmbiguousError(message + "; " + _("it may have been posted"))
        return body["result"]

    def _classify(self, response: requests.Response, body: Any) -> PublishError | None:
        """Telegram's error from its ``{"ok": false, "error_code", "description"}`` body."""
        if not isinstance(body, dict) or body.get("ok") is not False:
            return None
        code = body.get("error_code", response.status_code)
        description = str(body.get("description") or f"error {code}")[:300]
        method = urlsplit(response.request.url or "").path.rsplit("/", 1)[-1]
        message = f"{self.name}: {method}: {description}"
        if code == 429:
            parameters = body.get("parameters")
            retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
            seconds = float(retry_after) if isinstance(retry_after, (int, float)) else None
            return RateLimited(message, retry_after=seconds)
        if code in (401, 404):
            # 404 is what Telegram answers for a token that names no bot at all.
            return AuthError(message + " " + _("(the bot token was rejected; get a new one from @BotFather)"))
        if code == 403:
            # The bot was removed from the channel or lost its right to post: no post can go out.
            return ChannelHeld(
                message
                + " "
                + _("(add the bot to {chat} as an admin allowed to post)").format(chat=self.settings.chat_id)
            )
        if code == 400 and any(problem in description.lower() for problem in _CONFIGURATION_PROBLEMS):
            return AuthError(
                message
                + " "
                + _("(check chat_id = {chat} and the bot's admin rights)").format(chat=repr(self.settings.chat_id))
            )
        if isinstance(code, int) and 400 <= code < 500:
            return ContentRejected(message)
        return None


def _message_link(chat: Any, message_id: Any) -> str | None:
    """t.me/<username>/<id> for a public channel; t.me/c/<id>/<id> (members only) for a private one."""
    if not isinstance(chat, dict):
        return None
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return None
