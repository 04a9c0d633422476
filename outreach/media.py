"""Image safety: the one place where an innovation's image file is read.

A catalogue names its image (``gambar``) by path, and whatever that path reaches is uploaded to the
platforms or copied for WhatsApp staff. So an image is only ever read through ``read_image``: its
real path (links followed) must lie inside an allowed folder — the catalogue file's own folder, or
the media folder set in the config — it must be a regular file of bounded size, and its bytes
(not its name) must be a JPEG, PNG, GIF or WebP image. Catalogue import reads every image this way;
``image_for_platform`` also refuses what one platform would not take, and both ``outreach check``
and ``Channel.publish`` call it, so check refuses exactly what publishing would.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .i18n import _, number

if TYPE_CHECKING:
    from .platforms import Capabilities

#: Every read stops here: no platform takes a larger image (Mastodon's 16 MiB is the largest default).
MAX_IMAGE_BYTES = 16 * 1024 * 1024
#: Pillow's name of each accepted format → (MIME type, name for people).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "JPEG"),
    "PNG": ("image/png", "PNG"),
    "GIF": ("image/gif", "GIF"),
    "WEBP": ("image/webp", "WebP"),
}
IMAGE_FORMATS = frozenset(FORMATS)


class ImageRefused(Exception):
    """An image that must not be sent; the message says why and how to fix it."""


@dataclass(frozen=True)
class ImageFile:
    """An image read through ``read_image``: where it really is, its bytes, and what they are."""

    path: Path  # the real path, links followed
    content: bytes
    format: str  # a key of FORMATS
    width: int
    height: int

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def mime_type(self) -> str:
        return FORMATS[self.format][0]


def allowed_roots(source: str | None, media_folder: Path | None) -> tuple[Path, ...]:
    """The folders an innovation's image may lie in: its catalogue file's folder (``source`` is
    ``file:row``) and the configured media folder."""
    roots = []
    if source:
        roots.append(Path(source.rsplit(":", 1)[0]).parent)
    if media_folder is not None:
        roots.append(media_folder)
    return tuple(roots)


def read_image(path: Path, roots: Iterable[Path], max_bytes: int = MAX_IMAGE_BYTES) -> ImageFile:
    """Read ``path`` only if it really lies inside one of ``roots`` and is a real image.

    Raises ``ImageRefused`` otherwise; nothing outside the roots, and nothing but a regular file,
    is ever opened.
    """
    folders = [root.resolve() for root in roots]
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as error:  # a symlink loop
        raise ImageRefused(
            _("cannot follow '{path}' ({error}); name the image file itself").format(path=path, error=error)
        ) from None
    if not any(real.is_relative_to(folder) for folder in folders):
        raise ImageRefused(
            _(
                "'{path}' is outside the folders images may come from ({folders}); "
                "put the image beside the catalogue file, or in the folder named by 'media' in the config"
            ).format(path=path, folders=", ".join(map(str, folders)) or _("none"))
        )
    try:
        info = real.stat()
    except FileNotFoundError:
        raise ImageRefused(
            _("image file '{path}' not found; check the file name in the catalogue").format(path=path)
        ) from None
    except OSError as error:
        raise ImageRefused(
            _("cannot read image '{path}': {reason}").format(path=path, reason=error.strerror or error)
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise ImageRefused(_not_regular().format(path=path))
    if info.st_size > max_bytes:
        raise ImageRefused(
            _("image '{path}' is {size} bytes, over the {limit} allowed; make it smaller").format(
                path=path, size=number(info.st_size, 0), limit=number(max_bytes, 0)
            )
        )
    content = _read_regular_file(real, max_bytes, path)
    if not content:
        raise ImageRefused(_("image '{path}' is empty; save the image again").format(path=path))
    image_format, width, height = _identify(content, path)
    return ImageFile(real, content, image_format, width, height)


def image_for_platform(path: Path, roots: Iterable[Path], platform: str, capabilities: Capabilities) -> ImageFile:
    """Read ``path`` the one safe way, then refuse what ``platform`` would refuse (its type or size).

    Raises ``ImageRefused``; the message says why and how to fix it.
    """
    image = read_image(path, roots, max(MAX_IMAGE_BYTES, capabilities.max_image_bytes or 0))
    if image.format not in capabilities.image_types:
        takes = [FORMATS[name][1] for name in FORMATS if name in capabilities.image_types]
        raise ImageRefused(
            _("image is {format}, which {platform} does not take (only {takes}); save it as {first}").format(
                format=FORMATS[image.format][1], platform=platform, takes=_either(takes), first=takes[0]
            )
        )
    if capabilities.max_image_bytes is not None and image.size > capabilities.max_image_bytes:
        raise ImageRefused(
            _("image is {size} bytes, over {platform}'s {limit}; make it smaller").format(
                size=number(image.size, 0), platform=platform, limit=number(capabilities.max_image_bytes, 0)
            )
        )
    return image


def _read_regular_file(real: Path, max_bytes: int, shown: Path) -> bytes:
    """Open without following a link swapped in since ``resolve`` and without blocking on a pipe;
    read at most ``max_bytes`` + 1 bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(real, flags)
    except OSError as error:
        raise ImageRefused(
            _("cannot read image '{path}': {reason}").format(path=shown, reason=error.strerror or error)
        ) from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ImageRefused(_not_regular().format(path=shown))
        content = handle.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ImageRefused(
            _("image '{path}' is over the {limit} bytes allowed; make it smaller").format(
                path=shown, limit=number(max_bytes, 0)
            )
        )
    return content


def _identify(content: bytes, shown: Path) -> tuple[str, int, int]:
    """The format and pixel size from the bytes, with Pillow trying only the accepted formats."""
    from PIL import Image  # imported here: it takes longer to load than the rest of a command

    accepted = _either([name for _mime, name in FORMATS.values()])
    not_an_image = _(
        "'{path}' is not a {accepted} image (judged by its content, not its name); save it again as JPEG or PNG"
    ).format(path=shown, accepted=accepted)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=list(FORMATS)) as picture:
                # A phone's multi-picture JPEG (MPO) is a JPEG to every platform.
                image_format = "JPEG" if picture.format == "MPO" else str(picture.format)
                width, height = picture.size
                picture.verify()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageRefused(
                _("image '{path}' has far more pixels than any platform shows; make it smaller").format(path=shown)
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError):  # what Pillow raises for a broken or foreign file
            raise ImageRefused(not_an_image) from None
    if image_format not in FORMATS:
        raise ImageRefused(not_an_image)
    return image_format, width, height


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else _("{first} or {last}").format(first=", ".join(names[:-1]), last=names[-1])


def _not_regular() -> str:
    return _("'{path}' is not a regular file (a folder, pipe or device); name an image file")
