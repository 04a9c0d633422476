"""The local ``file`` channel: publishes to a folder, rendering with a named platform's rules.

It lets the whole engine run with nothing external (the bundled example, rehearsals, tests):
each published post is appended as one JSON line to ``<directory>/<channel>.jsonl`` and as a
readable block to ``<directory>/<channel>.txt``. Because the JSON lines carry the post's stable
key, an interrupted attempt can be reconciled exactly.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..errors import AuthError

from . import platform_capabilities
from .base import (
    AccountIdentity,
    Capabilities,
    ChannelSettings,
    Checkpoint,
    Channel,
    OutgoingPost,
    Outcome,
    PublishResult,
    Reconciliation,
)

Platform = Literal["x", "facebook", "instagram", "telegram", "mastodon", "bluesky", "webhook", "whatsapp"]


class FileSettings(ChannelSettings):
    type: Literal["file"]
    as_: Platform = Field(alias="as", description="Whose rules and templates apply, e.g. 'x'.")
    directory: Path = Path("var/outbox")


class FileChannel(Channel):
    type_name = "file"
    settings_model = FileSettings
    settings: FileSettings

    @property
    def platform(self) -> str:  # type: ignore[override]
        return self.settings.as_

    @classmethod
    def platform_defaults(cls, settings: ChannelSettings) -> Capabilities:
        assert isinstance(settings, FileSettings)
        # The journal makes every attempt provable, whichever platform's rules are borrowed.
        return replace(platform_capabilities(settings.as_), can_reconcile=True, hand_off=False)

    @property
    def _journal(self) -> Path:
        return self.settings.directory / f"{self.name}.jsonl"

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        self.settings.directory.mkdir(parents=True, exist_ok=True)
        remote_id = f"{self.name}-{post.id}"
        published_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        record = {
            "remote_id": remote_id,
            "key": post.key,
            "published_at": published_at,
            "scheduled_at": post.scheduled_at.isoformat(),
            "campaign": post.campaign,
            "kind": post.kind,
            "innovation_id": post.innovation.get("id"),
            "platform": self.platform,
            "text": post.text,
            "link": post.link,
            "image": str(post.image) if post.image else None,
            "alt_text": post.alt_text,
        }
        _append_durably(self._journal, json.dumps(record, ensure_ascii=False) + "\n")
        readable = (
            f"=== {post.scheduled_at.isoformat()} · {post.campaign} · {post.innovation.get('id')} "
            f"· {post.kind} · {remote_id}\n{post.text}\n\n"
        )
        _append_durably(self.settings.directory / f"{self.name}.txt", readable)
        return PublishResult(remote_id=remote_id, url=self._journal.resolve().as_uri() + f"#{remote_id}")

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        if self._journal.exists():
            with self._journal.open(encoding="utf-8") as journal:
                for line in journal:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue  # a line cut short by a crash was never a complete publication
                    if record.get("key") == post.key:
                        url = self._journal.resolve().as_uri() + f"#{record['remote_id']}"
                        return Reconciliation(Outcome.PUBLISHED, PublishResult(record["remote_id"], url))
        return Reconciliation(Outcome.NOT_PUBLISHED, detail="not in the channel's journal")

    def check(self) -> AccountIdentity:
        self.settings.directory.mkdir(parents=True, exist_ok=True)
        if not os.access(self.settings.directory, os.W_OK):
            raise AuthError(f"{self.name}: cannot write to {self.settings.directory}")
        return AccountIdentity(handle=str(self.settings.directory), detail=f"local folder, {self.platform} rules")


def _append_durably(path: Path, text: str) -> None:
    """Append and fsync, so a post recorded as published is really on disk."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
