"""The tracking parameters a channel adds to an innovation's link (read by the renderer and the adapters)."""

from __future__ import annotations

from dataclasses import dataclass

from .settings import STRICT


@dataclass(frozen=True, kw_only=True)
class UtmSettings:
    """Tracking parameters a channel's config asks the renderer to append to an innovation's link."""

    __pydantic_config__ = STRICT

    source: str
    medium: str = "social"
