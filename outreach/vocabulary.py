"""The names outreach speaks in: its platforms and its kinds of post, one tuple each.

Kept in a module of their own, importing next to nothing, so the command line can offer them as
choices without loading the platform table (``outreach --help`` stays fast); ``outreach.platforms``
holds what is known about each platform and re-exports these.
"""

from __future__ import annotations

from typing import Literal, get_args

from .i18n import N_, _

#: Whose rendering rules and templates a post follows (``whatsapp`` is the staff hand-off's).
Platform = Literal["x", "facebook", "instagram", "telegram", "mastodon", "bluesky", "webhook", "whatsapp"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)

#: Each platform as people name it: brands as they write themselves; the webhook, a kind of link, in words.
PLATFORM_NAMES: dict[str, str] = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "telegram": "Telegram",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "webhook": N_("web address (webhook)"),
    "whatsapp": "WhatsApp",
}
#: Each platform's common abbreviation, where a mark must be small (the calendar's channel marks).
PLATFORM_SHORT: dict[str, str] = {
    "x": "X",
    "facebook": "FB",
    "instagram": "IG",
    "telegram": "TG",
    "mastodon": "MA",
    "bluesky": "BS",
    "webhook": "WH",
    "whatsapp": "WA",
}

#: The posts of a campaign's series, in their usual order; each has its own template.
PostKind = Literal["perkenalan", "cara_pakai", "manfaat", "pengingat"]
POST_KINDS: tuple[PostKind, ...] = get_args(PostKind)

#: The states of a post (``outreach.model.PostState``) and of an innovation (``Status``), as their English
#: values, which JSON and CSV keep. ``state_label`` gives what a person reads: the one place they are named.
STATE_NAMES = (
    N_("planned"),
    N_("publishing"),
    N_("published"),
    N_("handed_off"),
    N_("failed"),
    N_("unknown"),
    N_("missed"),
    N_("skipped"),
    N_("cancelled"),
    N_("draft"),
    N_("approved"),
    N_("changed"),
    N_("rejected"),
    N_("retired"),
)


def state_label(value: str) -> str:
    """A post's or an innovation's state as a person reads it (``planned`` → ``terjadwal``)."""
    return _(value) if value in STATE_NAMES else value


def platform_label(platform: str) -> str:
    """A platform as a person reads it (``facebook`` → ``Facebook``); an unknown name as it is."""
    return _(PLATFORM_NAMES[platform]) if platform in PLATFORM_NAMES else platform


#: Each kind of citizen's reply (``model.REPLY_KINDS``) and each reply status (``model.ReplyStatus``) as a
#: person reads it; JSON keeps the English values.
REPLY_KIND_NAMES: dict[str, str] = {
    "question": N_("question"),
    "complaint": N_("complaint"),
    "thanks": N_("thanks"),
    "other": N_("other"),
}
REPLY_STATUS_NAMES: dict[str, str] = {"open": N_("unanswered"), "answered": N_("answered"), "ignored": N_("set aside")}


def reply_kind_label(kind: str, capitalised: bool = False) -> str:
    """A reply's kind as a person reads it (``question`` → ``pertanyaan``; ``Pertanyaan`` as a heading)."""
    label = _(REPLY_KIND_NAMES[kind]) if kind in REPLY_KIND_NAMES else kind
    return label[:1].upper() + label[1:] if capitalised else label


def reply_status_label(status: str) -> str:
    """A reply's status as a person reads it (``open`` → ``belum dijawab``)."""
    return _(REPLY_STATUS_NAMES[status]) if status in REPLY_STATUS_NAMES else status
