"""One month of posts as an office reads it: each day's slots, its holidays and blackouts, today.

``build_month`` is pure: it takes the posts, the catalogue's names, the campaigns' blackouts and the
holiday calendar and returns a typed ``Month``, which the HTML page (``calendar.html.j2``) and the
ICS writer (``outreach.calendar_ics``) draw. ``month_for`` feeds it from a workspace. A *slot* is
one campaign's time on one day: the posts of all its channels together, which is what the office
plans around and what a calendar application shows as one event.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Literal

from .i18n import N_, _
from .model import Post, PostState
from .outbox import ANNOUNCEMENT_ID
from .reasons import shown
from .textsafety import visible
from .vocabulary import PLATFORM_SHORT, platform_label, state_label

if TYPE_CHECKING:
    from .app import Workspace
    from .config import CampaignSettings

#: A symbol per state, so that colour is never the only carrier of a post's state (and it prints in black).
STATE_SYMBOLS = {
    PostState.PLANNED: "○",
    PostState.PUBLISHING: "◔",
    PostState.PUBLISHED: "✓",
    PostState.HANDED_OFF: "➜",
    PostState.FAILED: "✗",
    PostState.UNKNOWN: "?",
    PostState.MISSED: "!",
    PostState.SKIPPED: "–",
    PostState.CANCELLED: "⊘",
}
#: States in which a post did not go out as planned: the page and the file say why.
_EXPLAINED = frozenset({PostState.FAILED, PostState.UNKNOWN, PostState.MISSED, PostState.SKIPPED, PostState.CANCELLED})
#: What a note on a day is, as a person reads it.
NOTE_KINDS = {
    "holiday": N_("public holiday"),
    "cuti_bersama": N_("cuti bersama"),
    "blackout": N_("no posts"),
}
#: The slot an operator's announcement is shown under (it has no innovation).
ANNOUNCEMENT = N_("Announcement")

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
#: SEQUENCE counts minutes from here: it grows whenever a slot's posts change, as calendar programs require.
_SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def parse_month(text: str) -> date:
    """The first day of the month ``text`` (``2026-12``); ValueError saying how to write it."""
    match = _MONTH.match(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2200:
        raise ValueError(
            _("'{text}' is not a month; write the year and the month, e.g. 2026-12").format(text=text.strip())
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


def stable_uid(*identity: str) -> str:
    """A calendar UID from what an item *is* (never a row id or its text), so a re-import updates it."""
    digest = hashlib.sha256("\x1f".join(identity).encode("utf-8")).hexdigest()[:32]
    return f"{digest}@outreach"


@dataclass(frozen=True)
class ChannelMark:
    """One channel's post in a slot."""

    channel: str
    platform: str | None
    state: PostState
    text: str | None
    reason: str | None
    #: The published post's web address (only an http(s) one: the page links to it).
    url: str | None = None

    @property
    def short(self) -> str:
        return PLATFORM_SHORT.get(self.platform or "", self.channel[:2].upper())

    @property
    def symbol(self) -> str:
        return STATE_SYMBOLS[self.state]

    @property
    def label(self) -> str:
        return state_label(self.state.value)

    @property
    def why(self) -> str | None:
        """The stored reason, in the reader's language, where the post did not go out as planned."""
        return visible(shown(self.reason), line_breaks=False) if self.reason and self.state in _EXPLAINED else None


@dataclass(frozen=True)
class Slot:
    """One campaign's time on one day, with the innovation(s) and every channel's post."""

    campaign: str
    when: datetime  # in the office's zone
    innovations: tuple[str, ...]
    agencies: tuple[str, ...]
    marks: tuple[ChannelMark, ...]
    changed_at: datetime | None = None

    @property
    def uid(self) -> str:
        """From the campaign and the moment only: a re-plan or an edit updates the same event."""
        return stable_uid("slot", self.campaign, self.when.astimezone(UTC).strftime("%Y%m%dT%H%MZ"))

    @property
    def cancelled(self) -> bool:
        """Every post of the slot was cancelled: shown struck through, and as a cancelled event."""
        return all(mark.state is PostState.CANCELLED for mark in self.marks)

    @property
    def sequence(self) -> int:
        """Grows with every change of the slot's posts (minutes since 2020), as calendar programs require."""
        if self.changed_at is None:
            return 0
        return max(0, int((self.changed_at - _SEQUENCE_EPOCH).total_seconds() // 60))


@dataclass(frozen=True)
class DayNote:
    """A holiday, a day of cuti bersama or a blackout, with its name."""

    kind: Literal["holiday", "cuti_bersama", "blackout"]
    name: str

    @property
    def label(self) -> str:
        return _(NOTE_KINDS[self.kind])

    def uid(self, day: date) -> str:
        return stable_uid(self.kind, day.isoformat(), self.name if self.kind == "blackout" else "")


@dataclass(frozen=True)
class Day:
    """One square of the grid (days of the neighbouring months fill the first and last weeks)."""

    date: date
    in_month: bool
    today: bool
    beyond_horizon: bool
    notes: tuple[DayNote, ...] = ()
    slots: tuple[Slot, ...] = ()
    #: Every post of the day, and how many of them ``slots`` leaves out (a busy day shows its first few).
    post_count: int = 0
    more: int = 0


@dataclass(frozen=True)
class Month:
    """A month as weeks of seven days, Monday first."""

    first: date
    weeks: tuple[tuple[Day, ...], ...]
    #: The last day posts are planned for; later days of the month are not planned yet (None: all are).
    planned_until: date | None
    zone: tzinfo

    @property
    def days(self) -> list[Day]:
        """The days of the month itself, in order."""
        return [day for week in self.weeks for day in week if day.in_month]

    @property
    def legend(self) -> list[tuple[str, str, str]]:
        """(state, symbol, label) of every state, in the outbox's order: the legend names them all."""
        return [(state.value, STATE_SYMBOLS[state], state_label(state.value)) for state in PostState]

    @property
    def platform_legend(self) -> str:
        """Each platform's short mark and its name ("FB Facebook"), from the one table of platform names."""
        return ", ".join(
            short if short == platform_label(platform) else f"{short} {platform_label(platform)}"
            for platform, short in PLATFORM_SHORT.items()
        )

    @property
    def weekdays(self) -> list[date]:
        """A Monday-first week, to name the grid's columns."""
        return [day.date for day in self.weeks[0]]


@dataclass(frozen=True)
class Sources:
    """What a month is drawn from; every field is plain data, so ``build_month`` stays pure."""

    posts: tuple[Post, ...]
    #: innovation id → (name, agency)
    names: Mapping[str, tuple[str, str]]
    #: channel → platform
    platforms: Mapping[str, str]
    #: (first day, last day, name) of every configured blackout
    blackouts: tuple[tuple[date, date, str], ...]
    holiday: Callable[[date], str | None]
    today: date
    planned_until: date
    zone: tzinfo
    changed: Mapping[int, datetime]
    #: Each day's number of posts where ``posts`` holds only the first few slots of a day (None: all of them).
    day_posts: Mapping[date, int] | None = None


def month_bounds(first: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The month from its first midnight to the next month's, in the office's zone."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(first, time(0), tzinfo=zone), datetime.combine(following, time(0), tzinfo=zone)


def _notes(day: date, sources: Sources) -> tuple[DayNote, ...]:
    notes = []
    holiday = sources.holiday(day)
    if holiday:
        kind: Literal["holiday", "cuti_bersama"] = "cuti_bersama" if "cuti bersama" in holiday.lower() else "holiday"
        notes.append(DayNote(kind, holiday))
    names = dict.fromkeys(name for start, end, name in sources.blackouts if start <= day <= end)
    notes += [DayNote("blackout", name) for name in names]
    return tuple(notes)


def _shown(posts: list[Post]) -> list[Post]:
    """The posts a slot shows, by channel: a cancelled one only where nothing replaced it (the latest)."""
    by_channel: dict[str, Post] = {}
    for post in sorted(posts, key=lambda post: (post.state is not PostState.CANCELLED, post.id)):
        by_channel[post.channel] = post  # a live post, then the latest, wins
    return [by_channel[channel] for channel in sorted(by_channel)]


def _name(post: Post, sources: Sources) -> tuple[str, str]:
    """The innovation's name and agency (an operator's announcement has neither)."""
    if post.innovation_id == ANNOUNCEMENT_ID:
        return _(ANNOUNCEMENT), ""
    return sources.names.get(post.innovation_id, (post.innovation_id, ""))


def _slots(sources: Sources) -> dict[date, list[Slot]]:
    grouped: dict[tuple[datetime, str], list[Post]] = defaultdict(list)
    for post in sources.posts:
        grouped[(post.scheduled_at.astimezone(sources.zone), post.campaign)].append(post)
    by_day: dict[date, list[Slot]] = defaultdict(list)
    for (when, campaign), posts in sorted(grouped.items(), key=lambda item: item[0]):
        shown = _shown(posts)
        named = [_name(post, sources) for post in shown if post.state is not PostState.CANCELLED] or [
            _name(post, sources) for post in shown
        ]
        marks = tuple(
            ChannelMark(
                post.channel,
                sources.platforms.get(post.channel),
                post.state,
                post.text,
                post.reason,
                post.remote_url if (post.remote_url or "").startswith(("https://", "http://")) else None,
            )
            for post in shown
        )
        changes = [sources.changed[post.id] for post in posts if post.id in sources.changed]
        by_day[when.date()].append(
            Slot(
                campaign,
                when,
                tuple(dict.fromkeys(name for name, _agency in named)),
                tuple(dict.fromkeys(agency for _name, agency in named if agency)),
                marks,
                max(changes) if changes else None,
            )
        )
    return by_day


def build_month(first: date, sources: Sources) -> Month:
    """The month starting on ``first`` as weeks, Monday first, with each day's slots and notes.

    A slot whose posts were all cancelled stays (struck through, and cancelled in a calendar
    program, which would otherwise keep the event it imported before); a cancelled post is shown
    struck through unless another post replaced it on the same channel in the same slot.
    """
    slots = _slots(sources)
    shown: Counter[date] = Counter(post.scheduled_at.astimezone(sources.zone).date() for post in sources.posts)
    counted = shown if sources.day_posts is None else sources.day_posts
    start = first - timedelta(days=first.weekday())
    _begin, end = month_bounds(first, sources.zone)
    last = end.date() - timedelta(days=1)
    stop = last + timedelta(days=6 - last.weekday())
    weeks: list[tuple[Day, ...]] = []
    day = start
    while day <= stop:
        week = []
        for _index in range(7):
            in_month = day.month == first.month
            week.append(
                Day(
                    day,
                    in_month,
                    day == sources.today,
                    in_month and day > sources.planned_until,
                    _notes(day, sources) if in_month else (),
                    tuple(slots.get(day, ())) if in_month else (),
                    counted.get(day, 0) if in_month else 0,
                    counted.get(day, 0) - shown[day] if in_month else 0,
                )
            )
            day += timedelta(days=1)
        weeks.append(tuple(week))
    planned_until = sources.planned_until if sources.planned_until < last else None
    return Month(first, tuple(weeks), planned_until, sources.zone)


def _blackouts(campaigns: Mapping[str, CampaignSettings]) -> tuple[tuple[date, date, str], ...]:
    """Every campaign's blackouts; one that only some campaigns keep names them, as the others still post."""
    kept = [{(b.start, b.end, b.reason) for b in campaign.blackouts} for campaign in campaigns.values()]
    shared = set.intersection(*kept) if kept else set()
    found: dict[tuple[date, date, str], None] = {}
    for name, campaign in campaigns.items():
        for blackout in campaign.blackouts:
            period = (blackout.start, blackout.end, blackout.reason)
            found[period if period in shared else (*period[:2], f"{blackout.reason} ({name})")] = None
    return tuple(found)


def month_for(ws: Workspace, first: date, *, per_day: int | None = None, agency: str | None = None) -> Month:
    """The month as the workspace's store, catalogue and config know it now.

    ``per_day``: only each day's first slots, with every day's count (``Day.more``): the web page reads a busy
    month (~8,300 posts) as one row per slot and a few slots' posts, never every post. ``agency``: only its
    innovations' posts and the office's announcements (an agency head's view)."""
    from .channels import adapter_class

    zone = ws.zone
    begin, end = month_bounds(first, zone)
    day_posts: dict[date, int] | None = None
    if per_day is None:
        posts = tuple(ws.store.posts(None, begin, end))
        days = [post.scheduled_at.astimezone(zone).date() for post in posts]
        changed = ws.store.changed_at(begin, end)
    else:
        posts, day_posts = _first_slots(ws, begin, end, per_day, agency)
        days, changed = list(day_posts), {}
    names = ws.store.innovation_labels({post.innovation_id for post in posts})  # not the whole catalogue
    platforms = {
        name: adapter_class(settings.type).platform_for(settings) for name, settings in ws.config.channels.items()
    }
    now = ws.now().astimezone(zone)
    # Planned up to the last day with a post from today on; one in the month after this one means all of it is.
    last = ws.store.last_scheduled_at(datetime.combine(now.date(), time(0), tzinfo=zone), end + timedelta(days=31))
    if last is not None:
        days.append(last.astimezone(zone).date())
    planned_until = max([*days, now.date() - timedelta(days=1)])
    sources = Sources(
        posts, names, platforms, _blackouts(ws.config.campaigns), ws.planning.calendar.holiday, now.date(),
        planned_until, zone, changed, day_posts,
    )  # fmt: skip
    return build_month(first, sources)


def _first_slots(
    ws: Workspace, begin: datetime, end: datetime, per_day: int, agency: str | None
) -> tuple[tuple[Post, ...], dict[date, int]]:
    """The posts of each day's first ``per_day`` slots, and the number of posts of every day that has any."""
    days = [begin.date() + timedelta(days=offset) for offset in range((end.date() - begin.date()).days)]
    bounds = [datetime.combine(day, time(0), tzinfo=ws.zone) for day in days] + [end]
    found = ws.store.day_slots(bounds, per_day, agency)
    day_posts = {day: count for day, count in zip(days, found.posts, strict=True) if count}
    return tuple(ws.store.slot_posts(found.first_slots, agency)), day_posts


def slots_in_batches(ws: Workspace, begin: datetime, end: datetime, agency: str | None) -> Iterator[list[Slot]]:
    """The slots scheduled in ``[begin, end)``, in time order, a batch of posts at a time (the store's batches
    never cut a slot in two): a feed of many weeks is written without holding its posts all at once.
    ``agency``: only its innovations' posts and the office's announcements."""
    from .channels import adapter_class

    platforms = {
        name: adapter_class(settings.type).platform_for(settings) for name, settings in ws.config.channels.items()
    }
    today = ws.now().astimezone(ws.zone).date()
    for batch in ws.store.posts_in_batches(begin, end, agency):
        posts = tuple(post for post, _changed in batch)
        names = ws.store.innovation_labels({post.innovation_id for post in posts})
        changed = {post.id: moment for post, moment in batch}
        sources = Sources(posts, names, platforms, (), ws.planning.calendar.holiday, today, today, ws.zone, changed)
        yield [slot for _day, slots in sorted(_slots(sources).items()) for slot in slots]


def day_notes(ws: Workspace, first: date, last: date) -> list[tuple[date, tuple[DayNote, ...]]]:
    """The holidays, cuti bersama and blackouts of each day from ``first`` to ``last`` that has any."""
    today = ws.now().astimezone(ws.zone).date()
    sources = Sources(
        (), {}, {}, _blackouts(ws.config.campaigns), ws.planning.calendar.holiday, today, today, ws.zone, {}
    )
    found = []
    day = first
    while day <= last:
        notes = _notes(day, sources)
        if notes:
            found.append((day, notes))
        day += timedelta(days=1)
    return found
