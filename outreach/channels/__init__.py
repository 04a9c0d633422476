"""Channel adapters: one module per platform, all fulfilling ``base.Channel``.

Adapters are imported lazily by type name so that commands which never publish (``--help``,
``preview``) do not pay for tweepy and friends.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from ..clock import Clock
from .base import Channel, ChannelSettings

_ADAPTERS: dict[str, str] = {
    "file": "outreach.channels.file:FileChannel",
    "x": "outreach.channels.x:XChannel",
    "facebook": "outreach.channels.facebook:FacebookChannel",
    "instagram": "outreach.channels.instagram:InstagramChannel",
    "telegram": "outreach.channels.telegram:TelegramChannel",
    "mastodon": "outreach.channels.mastodon:MastodonChannel",
    "bluesky": "outreach.channels.bluesky:BlueskyChannel",
    "webhook": "outreach.channels.webhook:WebhookChannel",
    "whatsapp_manual": "outreach.channels.whatsapp_manual:WhatsAppManualChannel",
}

CHANNEL_TYPES: tuple[str, ...] = tuple(_ADAPTERS)


def adapter_class(type_name: str) -> type[Channel]:
    """The adapter class for a channel ``type``; KeyError for an unknown type."""
    module_name, _, class_name = _ADAPTERS[type_name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def settings_model(type_name: str) -> type[ChannelSettings]:
    return adapter_class(type_name).settings_model


def build_channel(name: str, settings: ChannelSettings, environ: Mapping[str, str], clock: Clock) -> Channel:
    """An adapter instance for a validated ``[channels.NAME]`` block, telling business time by ``clock``."""
    return adapter_class(settings.type)(name, settings, environ, clock)


def validate_settings(block: Mapping[str, Any]) -> ChannelSettings:
    """Validate a raw channel block with its type's model (pydantic errors propagate)."""
    return settings_model(str(block.get("type")))(**block)
