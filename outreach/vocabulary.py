"""The names outreach speaks in: its platforms and its kinds of post, one tuple each.

Kept in a module of their own, importing nothing, so the command line can offer them as choices
without loading the platform table (``outreach --help`` stays fast); ``outreach.platforms`` holds
what is known about each platform and re-exports these.
"""

from __future__ import annotations

from typing import Literal, get_args

#: Whose rendering rules and templates a post follows (``whatsapp`` is the staff hand-off's).
Platform = Literal["x", "facebook", "instagram", "telegram", "mastodon", "bluesky", "webhook", "whatsapp"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)

#: The posts of a campaign's series, in their usual order; each has its own template.
PostKind = Literal["perkenalan", "cara_pakai", "manfaat", "pengingat"]
POST_KINDS: tuple[PostKind, ...] = get_args(PostKind)
