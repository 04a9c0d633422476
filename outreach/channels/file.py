"""The local ``file`` channel: publishes to a folder, rendering with a named platform's rules.

It lets the whole engine run with nothing external (the bundled example, rehearsals, tests):
each published post is appended as one JSON line to ``<directory>/<channel>.jsonl`` and as a
readable block to ``<directory>/<channel>.txt``. Because the JSON lines carry the post's stable
key, an interrupted attempt can be reconciled exactly.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from ..errors import LocalIOError
from ..i18n import _
from ..platforms import Platform
from .base import (
    AccountIdentity,
    Capabilities,
    Channel,
    ChannelSettings,
    Checkpoint,
    Outcome,
    OutgoingPost,
    PublishResult,
    Reconciliation,
)


@dataclass(frozen=True, kw_only=True)
class FileSettings(ChannelSettings):
    type: Literal["file"]
    #: Whose rules and templates apply, e.g. 'x' (the config's key ``as``, a Python keyword).
    as_: Platform
    directory: Path = Path("var/outbox")


class FileChannel(Channel):
    settings_model = FileSettings
    settings: FileSettings

    @classmethod
    def platform_for(cls, settings: ChannelSettings) -> Platform:
        """The platform named by ``as``: its rules and templates are borrowed."""
        assert isinstance(settings, FileSettings)
        return settings.as_

    @classmethod
    def outbox_for(cls, settings: ChannelSettings) -> Path:
        assert isinstance(settings, FileSettings)
        return settings.directory

    @classmethod
    def platform_defaults(cls, settings: ChannelSettings) -> Capabilities:
        # The journal makes every attempt provable, whichever platform's rules are borrowed.
        return replace(super().platform_defaults(settings), can_reconcile=True, hand_off=False)

    @property
    def _journal(self) -> Path:
        return self.settings.directory / f"{self.name}.jsonl"

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        self._make_folder()
        remote_id = f"{self.name}-{post.id}"
        published_at = self.clock.now().isoformat(timespec="seconds")
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
        readable = (
            f"=== {post.scheduled_at.isoformat()} · {post.campaign} · {post.innovation.get('id')} "
            f"· {post.kind} · {remote_id}\n{post.text}\n\n"
        )
        # The journal line is the publication: it is written last, so a failure before it means
        # the post was not published (and reconcile agrees).
        self._append_durably(self.settings.directory / f"{self.name}.txt", readable)
        self._append_durably(self._journal, json.dumps(record, ensure_ascii=False) + "\n")
        return PublishResult(remote_id=remote_id, url=self._journal.resolve().as_uri() + f"#{remote_id}")

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        try:
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
        except OSError as error:
            raise LocalIOError(
                _("{name}: cannot read the journal {journal} ({reason})").format(
                    name=self.name, journal=self._journal, reason=error.strerror
                )
            ) from None
        return Reconciliation(Outcome.NOT_PUBLISHED, detail=_("not in the channel's journal"))

    def check(self) -> AccountIdentity:
        self._make_folder()
        if not os.access(self.settings.directory, os.W_OK):
            raise LocalIOError(
                _(
                    "{name}: cannot write to {folder}; make the folder writable "
                    "or set channels.{name}.directory to a writable folder"
                ).format(name=self.name, folder=self.settings.directory)
            )
        return AccountIdentity(
            handle=str(self.settings.directory),
            detail=_("local folder, {platform} rules").format(platform=self.platform),
        )

    def _make_folder(self) -> None:
        try:
            self.settings.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self._local_error(
                _("cannot create the folder {folder}").format(folder=self.settings.directory), error
            ) from None

    def _append_durably(self, path: Path, text: str) -> None:
        """Append and fsync, so a post recorded as published is really on disk.

        A failed append is cut back to where it started, so the next record never lands on the
        end of a broken line.
        """
        try:
            handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                start = os.fstat(handle).st_size
                try:
                    rest = memoryview(text.encode("utf-8"))
                    while rest:
                        rest = rest[os.write(handle, rest) :]
                    os.fsync(handle)
                except OSError:
                    os.ftruncate(handle, start)
                    raise
            finally:
                os.close(handle)
        except OSError as error:
            raise self._local_error(_("cannot write {file}").format(file=path), error) from None

    def _local_error(self, what: str, error: OSError) -> LocalIOError:
        return LocalIOError(
            _(
                "{name}: {what} ({reason}); make the folder writable "
                "or set channels.{name}.directory to a writable folder"
            ).format(name=self.name, what=what, reason=error.strerror or error)
        )
