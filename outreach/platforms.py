"""Platform facts, as data: the one place the renderer, the config and the channel adapters read them.

Which platforms a post can be rendered for, which kinds of post there are, and what each platform
accepts (``Capabilities``: its length limit and how it is counted, images, idempotency,
reconciliation). Kept apart from ``outreach.channels`` so that rendering with a platform's rules
(``preview``, ``check``, the ``file`` channel) imports no adapter and no platform SDK. Every number
is a default a channel's config can override; see ../docs/channels.md for the sources.
``TextLimit`` is defined with the counting rules in ``outreach.limits`` and used here as it is; the
names (``PLATFORMS``, ``POST_KINDS``) come from ``outreach.vocabulary``, which imports nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .limits import TextLimit
from .media import IMAGE_FORMATS
from .vocabulary import PLATFORMS, POST_KINDS, Platform, PostKind

__all__ = [
    "PLATFORMS",
    "PLATFORM_CAPABILITIES",
    "POST_KINDS",
    "Capabilities",
    "ImageSupport",
    "LinkCard",
    "Platform",
    "PostKind",
    "TextLimit",
]

ImageSupport = Literal["none", "optional", "required"]
#: When the platform shows the post's link as a card beside the text: never (the text's own link is
#: all there is), only on a post without an image (Facebook's feed link, Telegram's link preview),
#: or always (Bluesky's external embed).
LinkCard = Literal["never", "without_image", "always"]


@dataclass(frozen=True)
class Capabilities:
    """What a platform accepts, read generically by the renderer, `check` and the publisher."""

    text_limit: TextLimit
    #: The limit that applies instead of ``text_limit`` when the post carries an image (Telegram captions).
    caption_limit: TextLimit | None = None
    image: ImageSupport = "optional"
    max_image_bytes: int | None = None
    #: The image formats the platform takes, judged from the file's bytes (names as in ``media.FORMATS``).
    image_types: frozenset[str] = IMAGE_FORMATS
    max_hashtags: int | None = None
    #: A retry after an ambiguous failure cannot create a second post (Mastodon, Bluesky).
    idempotent_retry: bool = False
    #: ``reconcile`` can find out whether an earlier attempt went out.
    can_reconcile: bool = False
    #: A person completes the publication (WhatsApp hand-off).
    hand_off: bool = False
    #: Where a card carries the link (with its tracking), the text shows the short link.
    link_card: LinkCard = "never"
    #: The platform shows a long link shortened (X: 23 characters, Mastodon: about 30), so the text
    #: may keep its tracking tail.
    shortens_links: bool = False

    def limit_for(self, has_image: bool) -> TextLimit:
        """The text limit that applies to a post with or without an image."""
        if has_image and self.caption_limit is not None:
            return self.caption_limit
        return self.text_limit

    def shows_link_card(self, has_image: bool) -> bool:
        """Whether the post's link goes out as a card beside the text, so the text may show it short."""
        return self.link_card == "always" or (self.link_card == "without_image" and not has_image)


MEGABYTE = 1024 * 1024
#: The image formats (by their bytes, see ``outreach.media``) each platform's photo upload takes.
_STILL_IMAGES = frozenset({"JPEG", "PNG", "WEBP"})

PLATFORM_CAPABILITIES: Mapping[Platform, Capabilities] = {
    "x": Capabilities(
        text_limit=TextLimit("x_weighted", 280),
        image="optional",
        max_image_bytes=5 * MEGABYTE,
        image_types=_STILL_IMAGES,  # a GIF needs the chunked upload, which outreach does not use
        can_reconcile=True,
        shortens_links=True,
    ),
    "facebook": Capabilities(
        text_limit=TextLimit("characters", 63206),
        image="optional",
        max_image_bytes=4 * MEGABYTE,
        image_types=frozenset({"JPEG", "PNG", "GIF"}),
        can_reconcile=True,
        link_card="without_image",  # a feed post sends `link`; a photo post has only its caption
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
        link_card="without_image",  # sendMessage previews the post's link; a photo caption has none
    ),
    "mastodon": Capabilities(
        text_limit=TextLimit("mastodon", 500),
        image="optional",
        max_image_bytes=16 * MEGABYTE,
        idempotent_retry=True,
        can_reconcile=True,
        shortens_links=True,  # and builds its card from the text's (tracked) link
    ),
    "bluesky": Capabilities(
        text_limit=TextLimit("graphemes", 300, maximum_utf8_bytes=3000),
        image="optional",
        max_image_bytes=2_000_000,
        image_types=frozenset({"JPEG", "PNG"}),
        idempotent_retry=True,
        can_reconcile=True,
        link_card="always",  # an external embed with the post's link (and the image as its thumbnail)
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
