"""The daily digest of citizens' replies: what waits for an answer, routed to the agency, and how fast each answers.

What it holds (the period, on purpose):

* **Urgent** — every open reply marked urgent, of any kind and any age, oldest first: a flood or a fire
  reported under a post must not drop out of the digest because it is a week old.
* **Waiting, by agency** — every other open question and complaint, of any age, grouped by the agency
  (``opd``) of the innovation the post was about, with the agency's contact (``kontak``) from the
  catalogue, so the office can forward it; the agency that has waited longest comes first, and within
  it the oldest reply. A post with no catalogue innovation (an announcement) is grouped under "other".
* **Response times** — per agency, the citizens' replies *written* in the last ``days`` days (30 by
  default): how many were received; the share answered of those that ask for an answer (questions,
  complaints and urgent replies; one a person set aside as ignored is left out); and the median and
  90th percentile of the time to answer, over the replies answered. The percentile is
  ``statistics.quantiles(times, n=10, method="inclusive")[8]``: linear interpolation between the
  closest ranks, as Excel's PERCENTILE.INC and numpy's default compute it; one answer is its own p90.

A long backlog is bounded: the ``URGENT_SHOWN`` oldest urgent replies and the ``AGENCY_SHOWN`` oldest of
each agency are shown, with how many more wait.

Reply texts and handles are untrusted: every one is cleaned here once (hidden characters removed,
whitespace folded, bounded to ``TEXT_LIMIT`` characters with an ellipsis), and the HTML page escapes
on top of that (Jinja autoescape). A link is kept only when it is an ``http(s)`` address.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from .i18n import _, babel_locale, current_language, number, percent
from .model import Reply, ReplyStatus
from .textsafety import is_hidden
from .vocabulary import reply_kind_label

if TYPE_CHECKING:
    from .app import Workspace
    from .store import Store

#: A reply's text is shown at most this long (characters), with an ellipsis: enough to judge it, short on a phone.
TEXT_LIMIT = 280
#: A handle, an innovation's name or an agency's contact is bounded too; none is longer in practice.
NAME_LIMIT = 80
#: The figures cover the replies written in this many days before the digest.
FIGURES_DAYS = 30
#: At most this many urgent replies are shown, and this many of each agency's (the oldest): a digest of a
#: months-long backlog stays a message a person reads, and says how many more there are and where.
URGENT_SHOWN = 100
AGENCY_SHOWN = 50
#: The kinds that wait for an answer (an urgent reply does, whatever its kind).
ASKING_KINDS = ("question", "complaint")
#: Only so much of a text is looked at: a megabyte reply costs no more than a short one.
_SCAN_FACTOR = 8
ELLIPSIS = "…"


def clean(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """``text`` safe to show anywhere: hidden characters (controls, bidi, zero-width) removed, whitespace
    folded to single spaces, at most ``limit`` characters (the last an ellipsis when cut)."""
    if not text:
        return ""
    scanned = text[: limit * _SCAN_FACTOR]
    kept = scanned if scanned.isprintable() else "".join(c for c in scanned if not is_hidden(c) or c.isspace())
    folded = " ".join(kept.split())
    if len(folded) > limit or len(text) > len(scanned):
        return folded[: limit - 1].rstrip() + ELLIPSIS
    return folded


def web_link(url: str | None) -> str | None:
    """``url`` when it is a plain web address; None for anything else (``javascript:``, ``data:``, spaces)."""
    if not url or len(url) > 2000 or not url.startswith(("https://", "http://")):
        return None
    if any(is_hidden(c) or c.isspace() or c in "\"'<>`" for c in url):
        return None
    return url


@dataclass(frozen=True)
class DigestItem:
    """One reply waiting for the office, cleaned for showing."""

    reply_id: int
    kind: str
    urgent: bool
    channel: str
    author: str
    text: str
    #: The reply on its platform: where a person answers it. None when unknown or erased.
    link: str | None
    written_at: datetime
    agency: str
    innovation: str
    #: The post the reply answers, on its platform.
    post_link: str | None
    erased: bool


@dataclass(frozen=True)
class AgencyGroup:
    """An agency's questions and complaints waiting for an answer, oldest first."""

    agency: str
    contact: str
    items: tuple[DigestItem, ...]
    #: How many more wait, beyond the ``AGENCY_SHOWN`` oldest shown.
    more: int = 0


@dataclass(frozen=True)
class AgencyFigures:
    """How an agency answered the replies written in the figures' period."""

    agency: str
    received: int
    #: Replies that ask for an answer (questions, complaints, urgent), less those a person set aside.
    asking: int
    #: Of ``asking``, those answered (the share's numerator).
    answered_asking: int
    #: Every reply answered, whatever its kind: the response times are theirs.
    answered: int
    median: timedelta | None
    p90: timedelta | None

    @property
    def share_answered(self) -> float | None:
        return self.answered_asking / self.asking if self.asking else None


@dataclass(frozen=True)
class Digest:
    """One day's digest, as of ``made_at``: the data both renderings (text and HTML) show."""

    made_at: datetime
    zone: tzinfo
    figures_from: datetime
    figures_days: int
    office: str | None
    urgent: tuple[DigestItem, ...]
    groups: tuple[AgencyGroup, ...]
    figures: tuple[AgencyFigures, ...]
    #: How many more urgent replies wait, beyond the ``URGENT_SHOWN`` oldest shown.
    urgent_more: int = 0

    @property
    def urgent_count(self) -> int:
        return len(self.urgent) + self.urgent_more

    @property
    def waiting(self) -> int:
        return sum(len(group.items) + group.more for group in self.groups)


def _other_agency() -> str:
    return _("Other posts (no innovation)")


def build_digest(
    store: Store, now: datetime, zone: tzinfo, *, days: int = FIGURES_DAYS, office: str | None = None
) -> Digest:
    """The digest as of ``now``; see the module's docstring for what it holds."""
    open_replies = store.replies(statuses=[ReplyStatus.OPEN])
    since = now - timedelta(days=days)
    recent = store.replies(written_from=since, written_to=now)
    innovation_ids = {reply.innovation_id for reply in (*open_replies, *recent)}
    catalogue = {entry.innovation.id: entry.innovation for entry in store.catalogue(innovation_ids)}
    post_ids = {reply.post_id for reply in open_replies}
    post_links = {post.id: web_link(post.remote_url) for post in store.posts(ids=post_ids)} if post_ids else {}

    def agency_of(innovation_id: str) -> tuple[str, str, str]:
        innovation = catalogue.get(innovation_id)
        if innovation is None:
            return _other_agency(), "", ""
        name = clean(innovation.nama, NAME_LIMIT)
        return clean(innovation.opd, NAME_LIMIT), clean(innovation.kontak, NAME_LIMIT), name

    def item(reply: Reply) -> DigestItem:
        agency, _contact, innovation = agency_of(reply.innovation_id)
        return DigestItem(
            reply_id=reply.id,
            kind=reply.kind,
            urgent=reply.urgent,
            channel=reply.channel,
            author=clean(reply.author, NAME_LIMIT),
            text=clean(reply.text),
            link=web_link(reply.url),
            written_at=reply.written_at,
            agency=agency,
            innovation=innovation,
            post_link=post_links.get(reply.post_id),
            erased=reply.erased_at is not None,
        )

    all_urgent = [reply for reply in open_replies if reply.urgent]
    urgent = tuple(item(reply) for reply in all_urgent[:URGENT_SHOWN])
    grouped: dict[str, list[Reply]] = {}
    for reply in open_replies:
        if not reply.urgent and reply.kind in ASKING_KINDS:
            grouped.setdefault(agency_of(reply.innovation_id)[0], []).append(reply)
    groups = tuple(
        AgencyGroup(
            agency,
            agency_of(replies[0].innovation_id)[1],
            tuple(item(reply) for reply in replies[:AGENCY_SHOWN]),
            max(len(replies) - AGENCY_SHOWN, 0),
        )
        for agency, replies in sorted(grouped.items(), key=lambda pair: (pair[1][0].written_at, pair[0]))
    )
    by_agency: dict[str, list[Reply]] = {}
    for reply in recent:
        by_agency.setdefault(agency_of(reply.innovation_id)[0], []).append(reply)
    figures = tuple(figures_of(agency, replies) for agency, replies in sorted(by_agency.items()))
    return Digest(now, zone, since, days, office, urgent, groups, figures, max(len(all_urgent) - URGENT_SHOWN, 0))


def figures_of(agency: str, replies: Sequence[Reply]) -> AgencyFigures:
    """An agency's figures over ``replies`` (the period's citizen replies of that agency)."""
    asking = [r for r in replies if (r.urgent or r.kind in ASKING_KINDS) and r.status is not ReplyStatus.IGNORED]
    times = [time for time in (r.response_time for r in replies) if time is not None]
    median, p90 = response_quantiles(times)
    return AgencyFigures(
        agency=agency,
        received=len(replies),
        asking=len(asking),
        answered_asking=sum(1 for r in asking if r.status is ReplyStatus.ANSWERED),
        answered=len(times),
        median=median,
        p90=p90,
    )


def response_quantiles(times: Iterable[timedelta]) -> tuple[timedelta | None, timedelta | None]:
    """Median and 90th percentile (inclusive linear interpolation) of ``times``; None, None for none."""
    seconds = sorted(time.total_seconds() for time in times)
    if not seconds:
        return None, None
    if len(seconds) == 1:
        return timedelta(seconds=seconds[0]), timedelta(seconds=seconds[0])
    p90 = statistics.quantiles(seconds, n=10, method="inclusive")[8]
    return timedelta(seconds=statistics.median(seconds)), timedelta(seconds=p90)


# -- showing -------------------------------------------------------------------------------------


def duration(delta: timedelta | None) -> str:
    """A wait as a person says it ("2 jam", "3 hari"), or a dash when there is none."""
    from babel.dates import format_timedelta

    if delta is None:
        return "–"
    return format_timedelta(delta, granularity="minute", threshold=1.5, locale=babel_locale(current_language()))


def kind_label(kind: str) -> str:
    """A reply's kind as the digest's headings name it (``Pertanyaan``)."""
    return reply_kind_label(kind, capitalised=True)


def moment_label(moment: datetime, zone: tzinfo) -> str:
    from .html import clock_label, day_label

    return f"{day_label(moment.astimezone(zone), 'd MMMM y')} {clock_label(moment, zone)}"


def share_label(figures: AgencyFigures) -> str:
    share = figures.share_answered
    return "–" if share is None else percent(share)


def title(digest: Digest) -> str:
    return _("Citizens' replies: daily digest, {moment}").format(moment=moment_label(digest.made_at, digest.zone))


def method_note(digest: Digest) -> str:
    return _(
        "Figures: replies written since {since} ({days} days). Answered: share of the questions, complaints and "
        "urgent replies (those set aside left out). Response time: from the reply to the office's answer; "
        "median and 90th percentile (linear interpolation, as Excel's PERCENTILE.INC)."
    ).format(since=moment_label(digest.figures_from, digest.zone), days=number(digest.figures_days))


def more_note(count: int) -> str:
    return _("… and {count} more, the newest; all of them: `outreach replies list --unanswered`").format(
        count=number(count)
    )


def _item_lines(entry: DigestItem, digest: Digest, with_agency: bool) -> list[str]:
    waited = duration(digest.made_at - entry.written_at)
    head = [kind_label(entry.kind), _("waiting {time}").format(time=waited), entry.channel]
    if entry.author:
        head.append(entry.author)
    if with_agency:
        head.insert(0, entry.agency)
    text = entry.text or (_("(text erased after the retention period)") if entry.erased else _("(no text)"))
    lines = [f"• #{entry.reply_id} · " + " · ".join(head), f"  “{text}”"]
    if entry.link:
        lines.append("  " + _("Answer: {link}").format(link=entry.link))
    about = entry.innovation or _other_agency()
    post = f" — {entry.post_link}" if entry.post_link else ""
    lines.append("  " + _("About: {innovation}").format(innovation=about) + post)
    return lines


def render_text(digest: Digest) -> str:
    """The digest as plain text (a Telegram message, an e-mail's text part); one reply per short block."""
    lines = [title(digest)]
    if digest.office:
        lines.append(clean(digest.office, NAME_LIMIT))
    lines.append("")
    if not digest.urgent and not digest.groups:
        lines += [_("Nothing waits for an answer."), ""]
    if digest.urgent:
        lines.append(_("URGENT ({count})").format(count=number(digest.urgent_count)))
        for entry in digest.urgent:
            lines += _item_lines(entry, digest, with_agency=True)
        if digest.urgent_more:
            lines.append(more_note(digest.urgent_more))
        lines.append("")
    if digest.groups:
        lines.append(_("WAITING FOR AN ANSWER, BY AGENCY ({count})").format(count=number(digest.waiting)))
        for group in digest.groups:
            contact = " — " + _("contact: {contact}").format(contact=group.contact) if group.contact else ""
            lines.append(f"▸ {group.agency} ({number(len(group.items) + group.more)}){contact}")
            for entry in group.items:
                lines += _item_lines(entry, digest, with_agency=False)
            if group.more:
                lines.append(more_note(group.more))
        lines.append("")
    lines.append(_("RESPONSE TIMES BY AGENCY"))
    if not digest.figures:
        lines.append(_("No replies in this period."))
    for figures in digest.figures:
        lines.append(
            _("{agency}: {received} received, {share} answered, median {median}, 90th percentile {p90}").format(
                agency=figures.agency,
                received=number(figures.received),
                share=share_label(figures),
                median=duration(figures.median),
                p90=duration(figures.p90),
            )
        )
    lines += ["", method_note(digest)]
    return "\n".join(lines) + "\n"


def render_html(digest: Digest) -> str:
    """The digest as a self-contained page (``templates/digest.html.j2``): opens offline, reads on a phone."""
    from .html import render_page

    return render_page(
        "digest.html.j2",
        digest=digest,
        title=title(digest),
        office=clean(digest.office, NAME_LIMIT),
        method=method_note(digest),
        duration=duration,
        kind_label=kind_label,
        share_label=share_label,
        more_note=more_note,
        other_agency=_other_agency(),
    )


def digest_for(workspace: Workspace) -> Digest:
    """The digest of ``workspace`` as of now, with the figures' period of ``[replies.digest] days``."""
    config = workspace.config
    days = config.replies.digest.days if config.replies.digest is not None else FIGURES_DAYS
    return build_digest(workspace.store, workspace.now(), workspace.zone, days=days, office=config.office)


def send_digest(workspace: Workspace) -> tuple[Digest, str]:
    """Make today's digest and send it to the staff channel of ``[replies.digest]``; (the digest, where it went).

    Raises ``ConfigError`` when no digest is configured, and the sender's typed error when sending fails.
    """
    from .channels.staff import StaffDigest
    from .channels.staff import send_digest as send
    from .clock import SystemClock
    from .errors import ConfigError

    settings = workspace.config.replies.digest
    if settings is None:
        raise ConfigError(
            _("{path}: no [replies.digest] block: say where the digest goes, see docs/operations.md").format(
                path=workspace.config.path
            )
        )
    digest = digest_for(workspace)
    staff = StaffDigest(subject=title(digest), text=render_text(digest), html=render_html(digest))
    # the wall clock: a webhook's signed timestamp is checked against the receiver's clock
    return digest, send(settings, staff, workspace.config.environ, SystemClock())
