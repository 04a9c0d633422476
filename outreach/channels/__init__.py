"""Channel adapters: one module per platform, all fulfilling ``base.Channel``.

Adapters are imported lazily by type name so that commands which never publish (``--help``,
``preview``) do not pay for tweepy and friends.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import fields
from functools import cache
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


#: The config keys that are Python keywords, and the settings field that holds each.
_KEYWORD_KEYS = {"as": "as_"}


def config_key(field_name: str) -> str:
    """The key a settings field is written as in the config (``as_`` is ``as``)."""
    return next((key for key, name in _KEYWORD_KEYS.items() if name == field_name), field_name)


def settings_keys(model: type[ChannelSettings]) -> list[str]:
    """Every key a channel block of this type accepts, as the config writes it."""
    return sorted(config_key(each.name) for each in fields(model))


def validate_settings(block: Mapping[str, Any]) -> ChannelSettings:
    """Validate a raw channel block with its type's model (pydantic's ``ValidationError`` propagates; its
    locations name the settings' fields: ``config_key`` gives the config's key of each)."""
    settings: ChannelSettings = _checker(str(block.get("type"))).validate_python(
        {_KEYWORD_KEYS.get(key, key): value for key, value in block.items()}
    )
    return settings


@cache
def _checker(type_name: str) -> Any:
    """pydantic's checker of one channel type's block, built once per process."""
    from pydantic import TypeAdapter

    return TypeAdapter(settings_model(type_name))
