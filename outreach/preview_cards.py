"""Drafts as cards in their platform's shape, for a head of agency who approves by looking (``preview --format html``).

Each card carries what the text preview shows — the exact text, the platform's counter (the same
``RenderedPost.length_label``) and the warnings — plus the account it goes out from and the image,
embedded as a ``data:`` URI (made smaller when large) so that the page stays one file. The text is
cut into plain parts, links, hashtags and mentions; the template escapes every part.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from .i18n import _
from .limits import Counter, TextLimit
from .vocabulary import platform_label

if TYPE_CHECKING:
    from .app import Workspace
    from .planning import Draft

#: Settings that name the account a channel posts as, in the order they are looked for.
_HANDLE_SETTINGS = ("handle", "chat_id", "page_id", "ig_user_id", "url")
#: An image larger than this (bytes, or pixels on its longer side) is made smaller for the page.
MAX_EMBEDDED_BYTES = 300_000
MAX_EMBEDDED_SIDE = 1080

Part = Literal["text", "link", "tag", "mention", "bold"]
_PART_NAMES: tuple[Part, ...] = ("link", "tag", "mention", "bold")
_MARKS = (
    r"(?P<link>\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])|(?P<tag>(?<![\w&])#\w+)|(?P<mention>(?<![\w@/])@\w[\w.]*\w)"
)
_MARKED = re.compile(_MARKS)
#: WhatsApp shows *text between stars* in bold, without the stars.
_MARKED_WITH_BOLD = re.compile(_MARKS + r"|(?P<bold>(?<!\w)\*[^*\n]+\*(?!\w))")


@dataclass(frozen=True)
class Card:
    """One draft as it will appear, with what the approver must know about it."""

    channel: str
    platform: str
    platform_name: str
    handle: str | None
    local_file: bool
    when: datetime
    innovation: str
    agency: str
    kind: str
    parts: tuple[tuple[Part, str], ...]
    image: str | None
    image_problem: str | None
    alt_text: str | None
    counter: str | None
    unit: str
    over: bool
    warnings: tuple[str, ...]
    error: str | None

    @property
    def initial(self) -> str:
        """The letter in the account's round picture."""
        return (self.channel[:1] or "?").upper()


def text_parts(text: str, bold_stars: bool = False) -> tuple[tuple[Part, str], ...]:
    """``text`` cut into plain text, links, #hashtags, @mentions (and *bold*), in order, nothing lost or added."""
    parts: list[tuple[Part, str]] = []
    position = 0
    for match in (_MARKED_WITH_BOLD if bold_stars else _MARKED).finditer(text):
        if match.start() > position:
            parts.append(("text", text[position : match.start()]))
        kind: Part = next(name for name in _PART_NAMES if match.groupdict().get(name))
        parts.append((kind, match.group(0)))
        position = match.end()
    if position < len(text):
        parts.append(("text", text[position:]))
    return tuple(parts)


def embedded_image(path: Path, roots: tuple[Path, ...]) -> str:
    """The image as a ``data:`` URI, read the one safe way (``media.read_image``), made smaller when large.

    Each channel's card shows the same image: it is read and made smaller once per version of the file.
    """
    try:
        info = path.stat()
        version = (info.st_mtime_ns, info.st_size)
    except OSError:
        version = (0, 0)  # read_image says what is wrong with it
    return _embedded(path, roots, version)


@lru_cache(maxsize=32)
def _embedded(path: Path, roots: tuple[Path, ...], _version: tuple[int, int]) -> str:
    from .media import read_image

    image = read_image(path, roots)
    content, mime = image.content, image.mime_type
    if image.size > MAX_EMBEDDED_BYTES or max(image.width, image.height) > MAX_EMBEDDED_SIDE:
        from PIL import Image

        with Image.open(io.BytesIO(image.content)) as picture:
            picture.thumbnail((MAX_EMBEDDED_SIDE, MAX_EMBEDDED_SIDE))
            smaller = io.BytesIO()
            if picture.mode in ("RGBA", "LA", "P"):
                picture.save(smaller, "PNG", optimize=True)
                mime = "image/png"
            else:
                picture.convert("RGB").save(smaller, "JPEG", quality=80)
                mime = "image/jpeg"
            content = smaller.getvalue()
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def _handle(settings: object) -> str | None:
    for name in _HANDLE_SETTINGS:
        value = getattr(settings, name, None)
        if value:
            return str(value)
    return None


def card_for(ws: Workspace, draft: Draft) -> Card:
    """The card of one draft, with the account from the channel's config and the innovation's image."""
    from .media import ImageRefused

    planned, rendered = draft.planned, draft.rendered
    view = ws.channel_view(planned.channel)
    settings = ws.config.channels[planned.channel]
    entry = ws.planning.entry(planned.innovation_id)
    image = problem = None
    if rendered is not None and rendered.image is not None:
        try:
            image = embedded_image(rendered.image, ws.planning.image_roots(entry.source))
        except ImageRefused as error:
            problem = str(error)
    limit = TextLimit(cast("Counter", rendered.counter), rendered.limit) if rendered else None
    return Card(
        channel=planned.channel,
        platform=view.platform,
        platform_name=platform_label(view.platform),
        handle=_handle(settings),
        local_file=settings.type == "file",
        when=planned.when,
        innovation=entry.innovation.nama,
        agency=entry.innovation.opd,
        kind=planned.kind,
        parts=text_parts(rendered.text, bold_stars=view.platform == "whatsapp") if rendered else (),
        image=image,
        image_problem=problem,
        alt_text=rendered.alt_text if rendered else None,
        counter=rendered.length_label if rendered else None,
        unit=limit.unit() if limit else "",
        over=bool(rendered and rendered.length > rendered.limit),
        warnings=tuple(draft.warnings()),
        error=_("cannot render: {error}").format(error=draft.error) if draft.error else None,
    )


def days_of(cards: list[Card]) -> list[tuple[datetime, list[Card]]]:
    """The cards by day, in order: the page has a heading per day."""
    grouped: dict[object, list[Card]] = {}
    for card in cards:
        grouped.setdefault(card.when.date(), []).append(card)
    return [(group[0].when, group) for group in grouped.values()]
