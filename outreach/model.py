"""The records that flow between stages: innovations, their approval, and posts in the outbox."""

from __future__ import annotations

import enum
import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .i18n import _
from .reasons import N_

#: The catalogue's columns, in the order of the template spreadsheet.
REQUIRED_FIELDS = ("id", "nama", "opd", "ringkasan", "manfaat", "cara_akses")
OPTIONAL_FIELDS = (
    "jenis",
    "lokasi",
    "jam_layanan",
    "kontak",
    "tautan",
    "gambar",
    "alt_gambar",
    "tagar",
    "mulai",
    "selesai",
)
SIGNOFF_FIELDS = ("status", "disetujui_oleh", "disetujui_pada")
ALL_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS + SIGNOFF_FIELDS

#: What an innovation is, which decides the verbs its posts use (``outreach.phrasing``): a service
#: one applies for, an app or website or WhatsApp number one uses, a programme one joins, a place
#: one goes to, or a visit one asks for at home. An empty ``jenis`` cell means the default.
INNOVATION_KINDS = ("layanan", "aplikasi", "program", "tempat", "kunjungan")
DEFAULT_INNOVATION_KIND = "layanan"


def parse_innovation_kind(text: str | None) -> str:
    """The ``jenis`` cell as a known kind (any case; empty is the default), or ValueError saying which exist."""
    if not text or not text.strip():
        return DEFAULT_INNOVATION_KIND
    kind = text.strip().lower()
    if kind not in INNOVATION_KINDS:
        message = _(
            "'{value}' is not a kind of innovation; write one of {kinds} (or leave the cell empty for {default})"
        )
        raise ValueError(
            message.format(value=text.strip(), kinds=", ".join(INNOVATION_KINDS), default=DEFAULT_INNOVATION_KIND)
        )
    return kind


_SPACE_RUN = re.compile(r" {2,}")
_SPACES_AT_LINE_ENDS = re.compile(r" *\n *")


def tidy_text(text: str) -> str:
    """``text`` without cosmetic differences: Unicode form NFC, no doubled spaces, no spaces at line ends.

    The importer stores every cell tidied, so an edit that only adds a space or retypes an accent
    leaves the content hash, and with it the approval, as it was.
    """
    text = unicodedata.normalize("NFC", text)
    return _SPACES_AT_LINE_ENDS.sub("\n", _SPACE_RUN.sub(" ", text)).strip()


@dataclass(frozen=True, slots=True)
class Innovation:
    """One public-service innovation as the catalogue describes it (field names as the office writes them)."""

    id: str
    nama: str
    opd: str
    ringkasan: str
    manfaat: str
    cara_akses: str
    lokasi: str | None = None
    jam_layanan: str | None = None
    kontak: str | None = None
    tautan: str | None = None
    gambar: str | None = None
    alt_gambar: str | None = None
    tagar: tuple[str, ...] = ()
    mulai: date | None = None
    selesai: date | None = None
    #: One of ``INNOVATION_KINDS``; the catalogue reads an empty cell as the default.
    jenis: str = DEFAULT_INNOVATION_KIND

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tagar"] = list(self.tagar)
        data["mulai"] = self.mulai.isoformat() if self.mulai else None
        data["selesai"] = self.selesai.isoformat() if self.selesai else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Innovation:
        values = {key: value for key, value in data.items() if key in _INNOVATION_FIELDS}
        values["tagar"] = tuple(values.get("tagar") or ())
        values["jenis"] = values.get("jenis") or DEFAULT_INNOVATION_KIND  # stored before the column existed
        for key in ("mulai", "selesai"):
            values[key] = date.fromisoformat(values[key]) if values.get(key) else None
        return cls(**values)

    def tidied(self) -> Innovation:
        """The same innovation with every text tidied (see ``tidy_text``)."""
        texts: dict[str, Any] = {
            name: tidy_text(value) for name in _INNOVATION_FIELDS if isinstance(value := getattr(self, name), str)
        }
        return replace(self, **texts, tagar=tuple(tidy_text(tag) for tag in self.tagar))

    @property
    def content_hash(self) -> str:
        """A hash of everything a citizen would read: approval is bound to it.

        Stores keep hashes made this way; the importer tidies text first, so cosmetic edits never reach it.
        The default ``jenis`` is left out, so innovations approved before the column existed (or with
        it empty) keep their hash and their approval; another kind changes the posts' verbs, and the hash.
        """
        data = self.to_json()
        if data["jenis"] == DEFAULT_INNOVATION_KIND:
            del data["jenis"]
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def active_on(self, day: date) -> bool:
        """Inside its ``mulai``/``selesai`` window."""
        return (self.mulai is None or self.mulai <= day) and (self.selesai is None or day <= self.selesai)


_INNOVATION_FIELDS = frozenset(f.name for f in fields(Innovation))


class Status(str, enum.Enum):
    """Where an innovation stands; only APPROVED is ever published."""

    DRAFT = "draft"
    APPROVED = "approved"
    CHANGED = "changed"  # approved once, edited since: the approval no longer holds
    REJECTED = "rejected"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """An innovation with its approval standing, as the store knows it."""

    innovation: Innovation
    status: Status
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    source: str | None = None

    @property
    def publishable(self) -> bool:
        return self.status is Status.APPROVED


#: The reason of a cancellation an operator made (English in the store, shown translated): such a slot stays
#: empty and is never re-planned.
OPERATOR_CANCELLED = N_("cancelled by an operator: {reason}")
#: What every such reason starts with: how the planner tells an operator's cancellation from its own.
OPERATOR_CANCEL_PREFIX = OPERATOR_CANCELLED.split("{", 1)[0]


class PostState(str, enum.Enum):
    """The outbox life cycle (see docs/architecture.md)."""

    PLANNED = "planned"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    HANDED_OFF = "handed_off"
    FAILED = "failed"
    UNKNOWN = "unknown"
    MISSED = "missed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class PlannedPost:
    """What the planner decides: one post about one innovation on one channel at one time."""

    campaign: str
    channel: str
    innovation_id: str
    kind: str
    when: datetime  # aware, local time zone

    @property
    def key(self) -> str:
        """Stable identity of this post; the same plan always yields the same key."""
        moment = self.when.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        return f"{self.campaign}/{self.channel}/{self.innovation_id}/{self.kind}/{moment}"


@dataclass(frozen=True, slots=True)
class Post:
    """A post in the outbox, with its current state."""

    id: int
    key: str
    campaign: str
    channel: str
    innovation_id: str
    kind: str
    scheduled_at: datetime
    due_at: datetime
    state: PostState
    attempts: int
    text: str | None
    link: str | None
    image: str | None
    alt_text: str | None
    content_hash: str | None
    remote_id: str | None
    remote_url: str | None
    published_at: datetime | None
    reason: str | None
    channel_state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PostEvent:
    """One transition of a post, kept forever as its history."""

    post_id: int
    at: datetime
    from_state: str | None
    to_state: str
    attempt: int
    reason: str | None
    remote_id: str | None = None
    remote_url: str | None = None
    #: The outbox operation that made this transition (None for a post's creation).
    operation: str | None = None
    #: Who asked for it when a person did (an operator's login name); None for the engine.
    actor: str | None = None


#: The engagement figures a reading may hold, whatever the platform calls them: ``likes`` (favourites,
#: reactions), ``reposts`` (boosts, retweets, shares), ``replies`` (comments), ``quotes``,
#: ``impressions``, ``reach``, ``views`` and ``forwards`` (WhatsApp groups a hand-off was sent to).
METRIC_NAMES: tuple[str, ...] = ("likes", "reposts", "replies", "quotes", "impressions", "reach", "views", "forwards")


@dataclass(frozen=True, slots=True)
class MetricReading:
    """One reading of a published post's public engagement; every reading is kept, as a time series."""

    post_id: int
    read_at: datetime
    #: Figure name (one of ``METRIC_NAMES``) → count. A figure the platform did not give is absent, not 0.
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class PressCoverage:
    """Independent news coverage of an innovation, which the innovation index weighs above our own posts."""

    id: int
    innovation_id: str
    url: str
    outlet: str
    published_on: date
    added_at: datetime
    added_by: str | None


#: How a citizen's reply is sorted (``outreach.reply_rules``): a question to answer, a complaint to
#: forward, thanks, or anything else. Urgency (a safety word) is a mark of its own on top of the kind.
REPLY_KINDS: tuple[str, ...] = ("question", "complaint", "thanks", "other")


class ReplyStatus(str, enum.Enum):
    """Where a citizen's reply stands: waiting for the office, answered, or set aside by a person."""

    OPEN = "open"
    ANSWERED = "answered"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class IncomingReply:
    """A reply or comment as an adapter found it under a published post, before it is kept."""

    #: The platform's own id of the reply: a reply is kept once per channel and id.
    remote_id: str
    #: The author's handle as the platform shows it (``@warga@mastodon.social``, ``warga.bsky.social``).
    author: str
    text: str
    written_at: datetime
    url: str | None
    #: The platform's id of what it answers: the post itself or another reply; None when not known.
    parent_id: str | None
    #: Written by the channel's own account (the office answering): it marks what it answers as answered.
    from_office: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    """A kept reply to one of the office's posts, with how it was sorted and whether it was answered.

    After the retention period its ``author``, ``text`` and ``url`` are erased (None) and ``erased_at``
    is set; its kind, times and status stay, so response-time figures outlive the personal data.
    """

    id: int
    post_id: int
    channel: str
    innovation_id: str
    remote_id: str
    parent_id: str | None
    author: str | None
    text: str | None
    written_at: datetime
    url: str | None
    from_office: bool
    kind: str
    urgent: bool
    status: ReplyStatus
    collected_at: datetime
    #: When the office answered (its own reply's time, or when a person marked it); None while open.
    answered_at: datetime | None = None
    #: Who answered or set it aside: a person's name, or None for an answer found on the platform.
    decided_by: str | None = None
    note: str | None = None
    erased_at: datetime | None = None

    @property
    def response_time(self) -> timedelta | None:
        """How long the citizen waited for the office's answer; None while unanswered."""
        if self.status is not ReplyStatus.ANSWERED or self.answered_at is None:
            return None
        return max(self.answered_at - self.written_at, timedelta(0))


#: Who may do what on the office's web page (``outreach.accounts.allowed``): an ``admin`` pauses and manages
#: users, an ``editor`` edits and schedules posts, an ``approver`` (an agency's head) decides their own
#: agency's innovations.
ROLES: tuple[str, ...] = ("admin", "editor", "approver")


@dataclass(frozen=True, slots=True)
class User:
    """An account of the office's web page. The password is kept only as an Argon2id hash, never shown."""

    id: int
    name: str
    role: str
    #: An approver's agency, as the catalogue's ``opd`` names it; None for admins and editors.
    opd: str | None
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """Something done to or with an account (added, password changed, disabled, signed in or out), and by whom."""

    at: datetime
    actor: str
    user_name: str
    action: str
    detail: str | None = None
