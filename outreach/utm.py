"""The tracking parameters a channel adds to an innovation's link (read by the renderer and the adapters)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class UtmSettings(BaseModel):
    """Tracking parameters a channel's config asks the renderer to append to an innovation's link."""

    model_config = ConfigDict(extra="forbid")
    source: str
    medium: str = "social"
