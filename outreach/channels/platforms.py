"""What each platform accepts, as data: the one place the renderer and the adapters read it from.

Kept apart from the adapters so that rendering with a platform's rules (``preview``, the ``file``
channel) does not import that platform's SDK. Every number is a default a channel's config can
override; see ../../docs/channels.md for the sources.
"""

from __future__ import annotations

from .base import Capabilities
from ..limits import TextLimit

MEGABYTE = 1024 * 1024
#: The image formats (by their bytes, see ``outreach.media``) each platform's photo upload takes.
_STILL_IMAGES = frozenset({"JPEG", "PNG", "WEBP"})

PLATFORM_CAPABILITIES: dict[str, Capabilities] = {
    "x": Capabilities(
        text_limit=TextLimit("x_weighted", 280),
        image="optional",
        max_image_bytes=5 * MEGABYTE,
        image_types=_STILL_IMAGES,  # a GIF needs the chunked upload, which outreach does not use
        can_reconcile=True,
    ),
    "facebook": Capabilities(
        text_limit=TextLimit("characters", 63206),
        image="optional",
        max_image_bytes=4 * MEGABYTE,
        image_types=frozenset({"JPEG", "PNG", "GIF"}),
        can_reconcile=True,
    ),  # the Page photos endpoint documents 4 MB per photo, in JPEG, PNG, GIF, BMP or TIFF
    "instagram": Capabilities(
        text_limit=TextLimit("characters", 2200),
        image="required",
        max_image_bytes=8 * MEGABYTE,  # content publishing documents 8 MiB per image
        image_types=frozenset({"JPEG"}),  # content publishing takes JPEG only
        max_hashtags=30,
        idempotent_retry=True,
        can_reconcile=True,
    ),
    "telegram": Capabilities(
        text_limit=TextLimit("utf16", 4096),
        caption_limit=TextLimit("utf16", 1024),
        image="optional",
        max_image_bytes=10 * MEGABYTE,
        image_types=_STILL_IMAGES,  # sendPhoto; a GIF would have to go as an animation
    ),
    "mastodon": Capabilities(
        text_limit=TextLimit("mastodon", 500),
        image="optional",
        max_image_bytes=16 * MEGABYTE,
        idempotent_retry=True,
        can_reconcile=True,
    ),
    "bluesky": Capabilities(
        text_limit=TextLimit("graphemes", 300, maximum_utf8_bytes=3000),
        image="optional",
        max_image_bytes=2_000_000,
        image_types=frozenset({"JPEG", "PNG"}),
        idempotent_retry=True,
        can_reconcile=True,
    ),
    "webhook": Capabilities(text_limit=TextLimit("characters", 63206), image="optional"),
    # 4096: the WhatsApp Business Cloud API's maximum text message body, the practical ceiling for a
    # message meant to be read on a phone (the app itself accepts more).
    "whatsapp": Capabilities(
        text_limit=TextLimit("characters", 4096),
        image="optional",
        image_types=frozenset({"JPEG", "PNG"}),  # what WhatsApp sends as a photo
        can_reconcile=True,
        hand_off=True,
    ),
}
