"""Telegram: posts to a channel through the Bot API (``sendMessage``, ``sendPhoto``).

The bot token is part of every URL (``/bot<TOKEN>/method``). It therefore lives only in the
HttpClient's base URL: the method name alone is what error messages quote, urllib3's request-line
log is masked by outreach's redaction, and errors are raised without the chained requests
exception, whose text can quote the URL.

The Bot API has no idempotency key and cannot list a channel's messages, so an interrupted
attempt cannot be reconciled: a person checks the channel.

Replies: comments on a channel post live in the channel's linked discussion group, where Telegram
copies each post as an *automatic forward*; a comment is a group message replying to that copy (or,
deeper, to another comment in the copy's thread, ``message_thread_id``). A bot can read them only
through its updates (``getUpdates``), which Telegram keeps for 24 hours until the bot confirms them by
asking with a higher ``offset``; the Bot API cannot list older messages. How nothing is lost:

1. An update is confirmed only by a ``getUpdates`` call whose ``offset`` was first written to the
   state file (owner-only, replaced in one step) *together with* what the update carried: the
   comment, and which group message is which channel post. Updates are the bot's, so the file keeps
   them per bot, for every channel the bot serves.
2. A comment stays in that file for ``KEEP_COMMENTS`` and is handed to the collector at every
   collection meanwhile; the store keeps each reply once, so handing it again is harmless. A crash
   at any moment, or a store that fails to keep a batch, loses nothing: the next run hands it again.
3. A crash before the file is written leaves the updates unconfirmed at Telegram: the next run reads
   them again.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

import requests
from annotated_types import Gt

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
from ..model import IncomingReply, Post
from ..settings import Check
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
    parse_timestamp,
)
from .http import HttpClient
from .statefile import load_private_json, save_private_json

log = logging.getLogger(__name__)

#: How long a comment read from the updates stays in the state file, handed to the collector at every
#: collection: long enough for a daemon stopped overnight, short enough to keep little personal data
#: outside the store (which erases it after its own retention).
KEEP_COMMENTS = timedelta(days=2)
#: Updates asked for per call (the Bot API's most), and calls at most per collection.
UPDATES_PER_CALL = 100
UPDATE_CALLS = 50
#: The automatic-forward copies remembered (group message -> channel post), newest kept.
KEEP_THREADS = 5000

#: 400 answers that mean the chat setting or the bot's rights are wrong: every post would fail.
_CONFIGURATION_PROBLEMS = (
    "chat not found",
    "rights",
    "chat_admin_required",
    "chat_write_forbidden",
    "upgraded to a supergroup",
)


def _username_or_id(value: str) -> str:
    value = value.strip()
    if not (value.startswith("@") and len(value) > 1) and not value.lstrip("-").isdigit():
        raise ValueError(_('chat_id must be "@channelusername" or a numeric chat id such as -1001234567890'))
    return value


@dataclass(frozen=True, kw_only=True)
class TelegramSettings(ChannelSettings):
    type: Literal["telegram"]
    base_url: str = "https://api.telegram.org"
    #: The channel: "@username", or its numeric id (-100…) for a private one.
    chat_id: Annotated[str, Check(_username_or_id)]
    token_env: str = "TELEGRAM_BOT_TOKEN"
    #: Override the photo caption limit.
    caption_limit: Annotated[int, Gt(0)] | None = None
    #: Show a preview of the post's link under the text.
    link_preview: bool = True
    #: Where the comments read from the bot's updates wait for the store, and which discussion-group message is
    #: which channel post (owner-only file). Channels served by one bot must share it.
    updates_state_file: Path = Path("var/telegram-updates.json")


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
    replies_unavailable: ClassVar[str | None] = None
    replies_per_channel: ClassVar[bool] = True

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
        detail = _("posts to {chat} as {status}").format(chat=label, status=status)
        if chat.get("type") == "channel" and not chat.get("linked_chat_id"):
            # Comments live in the linked discussion group (see "Replies" in docs/channels/telegram.md).
            detail += "; " + _(
                "warning: no discussion group is linked to {chat}, so there are no comments to collect "
                "(Manage channel → Discussion)"
            ).format(chat=label)
        return AccountIdentity(handle=f"@{bot.get('username', bot['id'])}", detail=detail)

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        return Reconciliation(
            Outcome.CANNOT_TELL,
            detail=_("the Bot API cannot list the messages of {chat}; check the channel by hand").format(
                chat=self.settings.chat_id
            ),
        )

    def channel_replies(self, posts: Sequence[Post]) -> dict[int, list[IncomingReply]]:
        """The comments in the discussion group on ``posts``, from the bot's updates; see the module's docstring."""
        by_message = {post.remote_id: post.id for post in posts if post.remote_id}
        with self._state_locked() as state:
            for _call in range(UPDATE_CALLS):
                params: dict[str, Any] = {"limit": UPDATES_PER_CALL, "timeout": 0, "allowed_updates": ["message"]}
                if state.offset is not None:
                    params["offset"] = state.offset
                updates = self._call("getUpdates", idempotent=True, json=params)
                if not isinstance(updates, list) or not updates:
                    break
                for update in updates:
                    state.read(update)
                state.save()  # before the next call confirms these updates
                if len(updates) < UPDATES_PER_CALL:
                    break
            if state.forget_before(self.wall_clock.now() - KEEP_COMMENTS):
                state.save()
            found: dict[int, list[IncomingReply]] = {}
            for post_message, reply in state.replies(self.settings.chat_id):
                post_id = by_message.get(post_message)
                if post_id is not None:
                    found.setdefault(post_id, []).append(reply)
            return found

    @contextmanager
    def _state_locked(self) -> Iterator[_UpdatesState]:
        """The state file, read under a lock: two collections at once must not both read the same updates."""
        path = self.settings.updates_state_file
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield _UpdatesState.load(path, _bot_id(self.secret("token")), self.wall_clock.now)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

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
        if code == 409:
            # getUpdates only: a webhook is set, or another program is reading this bot's updates.
            if "webhook" in description.lower():
                return AuthError(
                    message
                    + " "
                    + _(
                        "(a webhook is set for this bot, so Telegram does not give its updates to outreach; remove it "
                        "with deleteWebhook, or give outreach a bot of its own)"
                    )
                )
            return AuthError(
                message
                + " "
                + _(
                    "(another program is reading this bot's updates; each takes comments the other never sees: "
                    "give outreach a bot of its own)"
                )
            )
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


class _UpdatesState:
    """What one bot's updates carried that the store may not hold yet (see the module's docstring): the
    ``offset`` of the next update, the discussion groups' copies of channel posts, and the comments read.

    Updates are the bot's, not a channel's: a bot serving two channels gets the comments of both in one
    stream, and what one channel's collection confirms the other's never receives again. So the file
    keeps one section per bot, and every channel's copies and comments in it; each channel picks its own.
    """

    def __init__(self, path: Path, bot: str, now: Callable[[], datetime], kept: Mapping[str, Any]) -> None:
        self.path = path
        self.bot = bot
        self.now = now
        self.kept = dict(kept)
        found = kept.get(bot)
        section: Mapping[str, Any] = found if isinstance(found, dict) else {}
        offset = section.get("offset")
        self.offset: int | None = offset if isinstance(offset, int) else None
        threads = section.get("threads")
        #: "<group id>/<message id>" of an automatic forward -> {"channel": id, "username": …, "post": message id}.
        self.threads: dict[str, dict[str, Any]] = (
            {key: value for key, value in threads.items() if isinstance(value, dict)}
            if isinstance(threads, dict)
            else {}
        )
        comments = section.get("comments")
        self.comments: list[dict[str, Any]] = (
            [comment for comment in comments if isinstance(comment, dict)] if isinstance(comments, list) else []
        )

    @classmethod
    def load(cls, path: Path, bot: str, now: Callable[[], datetime]) -> _UpdatesState:
        return cls(path, bot, now, load_private_json(path, "Telegram updates") or {})

    def save(self) -> None:
        self.kept[self.bot] = {"offset": self.offset, "threads": self.threads, "comments": self.comments}
        save_private_json(self.path, self.kept)

    def read(self, update: Any) -> None:
        """Remember what one update carries: a channel post's copy in its discussion group, or a comment."""
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return
        self.offset = max(self.offset or 0, update["update_id"] + 1)
        message = update.get("message")
        chat = message.get("chat") if isinstance(message, dict) else None
        if not isinstance(message, dict) or not isinstance(chat, dict) or chat.get("type") != "supergroup":
            return
        group = str(chat.get("id"))
        if self._remember_copy(group, message):
            return
        replied = message.get("reply_to_message")
        if not isinstance(replied, dict):
            return  # a message of the group's own, not a comment
        copied = self._remember_copy(group, replied)
        thread = self.threads.get(f"{group}/{message.get('message_thread_id', replied.get('message_id'))}")
        if thread is None:
            return  # a reply in the group's own talk, or under a post copied before the bot joined: not kept
        sender = message.get("sender_chat")
        office = isinstance(sender, dict) and str(sender.get("id")) in (group, str(thread.get("channel")))
        self.comments.append(
            {
                "group": group,
                "id": message.get("message_id"),
                "thread": thread,
                "parent": None if copied else replied.get("message_id"),
                "author": _author(sender if isinstance(sender, dict) else message.get("from")),
                "text": str(message.get("text") or message.get("caption") or ""),
                "date": message.get("date"),
                "office": office,
                "seen": self.now().isoformat(),
            }
        )

    def _remember_copy(self, group: str, message: Mapping[str, Any]) -> bool:
        """Remember ``message`` when it is the group's automatic copy of a channel post; whether it is."""
        if message.get("is_automatic_forward") is not True:
            return False
        origin = message.get("forward_origin")
        if isinstance(origin, dict) and isinstance(origin.get("chat"), dict):
            channel, post = origin["chat"], origin.get("message_id")
        else:  # the fields older Bot API versions send
            channel, post = message.get("forward_from_chat"), message.get("forward_from_message_id")
        if not isinstance(channel, dict) or post is None:
            return False
        self.threads[f"{group}/{message.get('message_id')}"] = {
            "channel": channel.get("id"),
            "username": channel.get("username"),
            "post": str(post),
        }
        while len(self.threads) > KEEP_THREADS:
            del self.threads[next(iter(self.threads))]
        return True

    def forget_before(self, moment: datetime) -> bool:
        """Forget the comments read before ``moment``: the store has had them often enough. Whether any were."""
        kept = [c for c in self.comments if (parse_timestamp(c.get("seen")) or moment) > moment]
        forgotten, self.comments = len(kept) < len(self.comments), kept
        return forgotten

    def replies(self, chat_id: str) -> Iterator[tuple[str, IncomingReply]]:
        """(channel post's message id, comment) for every comment under a post of channel ``chat_id``."""
        for comment in self.comments:
            thread, group = comment.get("thread"), comment.get("group")
            if (
                not isinstance(thread, dict)
                or not _is_channel(thread, chat_id)
                or not isinstance(comment.get("date"), int)
            ):
                continue
            post = str(thread.get("post"))
            parent = post if comment.get("parent") is None else f"{group}/{comment['parent']}"
            yield (
                post,
                IncomingReply(
                    remote_id=f"{group}/{comment['id']}",
                    author=str(comment.get("author") or ""),
                    text=str(comment.get("text") or ""),
                    written_at=datetime.fromtimestamp(comment["date"], UTC),
                    url=_comment_link(chat_id, post, comment.get("id")),
                    parent_id=parent,
                    from_office=comment.get("office") is True,
                ),
            )


def _is_channel(thread: Mapping[str, Any], chat_id: str) -> bool:
    """Whether the channel a copy came from is the configured one (``@username`` or its numeric id)."""
    username = thread.get("username")
    return str(thread.get("channel")) == chat_id or (
        isinstance(username, str) and f"@{username}".casefold() == chat_id.casefold()
    )


def _bot_id(token: str) -> str:
    """The bot's id, the token's public part before ``:`` (channels served by one bot share its updates);
    a hash for a token of another form, so that the file never holds the token."""
    bot = token.partition(":")[0]
    return bot if bot.isdigit() else hashlib.sha256(token.encode()).hexdigest()[:16]


def _author(sender: Any) -> str:
    """``@username``, else the name Telegram shows (a person's, or the channel's or group's title)."""
    if not isinstance(sender, dict):
        return ""
    if sender.get("username"):
        return f"@{sender['username']}"
    return " ".join(str(sender[key]) for key in ("first_name", "last_name", "title") if sender.get(key))


def _comment_link(chat_id: str, post: str, comment: Any) -> str | None:
    """t.me/<channel>/<post>?comment=<id> for a public channel; a private one has no public link."""
    return f"https://t.me/{chat_id[1:]}/{post}?comment={comment}" if chat_id.startswith("@") else None
