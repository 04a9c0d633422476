"""The planner: which innovation goes out on which channel, when, as which kind of post.

A pure, deterministic function of (campaigns, catalogue, calendar, posts already in the outbox,
now). It fills free slots only: a slot that already has a post keeps it, so planning twice
changes nothing, and only future posts that nobody claimed are ever cancelled.

Fair rotation: the innovation featured least goes next, so every eligible innovation is featured
before any is repeated; among equals, the agency featured least recently goes first, so an
agency with many innovations cannot crowd out the others. Each agency keeps a heap of its
innovations, so choosing a slot costs O(agencies + log innovations), not a scan of the catalogue.

Channels are shared: their daily cap counts every campaign's posts, and two campaigns never give one
channel the same innovation × kind within the larger of their minimum gaps. A campaign's series
starts over after its last kind unless it says ``repeat = false`` (or rests ``rest_days`` first).
The functions at the end say beforehand what the planner will leave out, for ``check`` and ``preview``.
"""

from __future__ import annotations

import heapq
import itertools
import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from . import outbox
from .config import CampaignSettings
from .model import OPERATOR_CANCEL_PREFIX, CatalogueEntry, Innovation, PlannedPost, Post, PostState
from .outbox import Operation
from .reasons import N_
from .timetable import slot_times

# Why a slot is empty or a planned post is withdrawn: English in the store, shown translated (``reasons.shown``).
BLACKOUT = N_("blackout: {reason}")
HOLIDAY = N_("holiday: {name}")
NO_CAMPAIGN = N_("campaign '{campaign}' is no longer in the config")
NO_CHANNEL = N_("channel '{channel}' is no longer in campaign '{campaign}'")
REMOVED = N_("removed from the catalogue")
# The catalogue standings a withdrawal names (``Status`` values), so they are shown translated too.
NOT_APPROVED = N_("innovation '{innovation}' is no longer approved ({status})")
NOT_SELECTED = N_("innovation '{innovation}' is no longer selected by campaign '{campaign}'")
OUTSIDE_WINDOW = N_("innovation '{innovation}' is outside its mulai/selesai window on {day}")
OUTSIDE_DATES = N_("outside the dates of campaign '{campaign}'")
NOT_IN_TIMETABLE = N_("{time} on {day} is no longer in the timetable")
REPEATS = N_("campaign '{other}' already gives '{channel}' {innovation} · {kind} close to {day}")

#: Posts in these states hold their slot: every state but those the planner may revive (cancelled and
#: skipped posts free their slot for the same post, wanted again, or another).
HOLDING_STATES = frozenset(PostState) - outbox.sources(Operation.REVIVE)


@dataclass(frozen=True)
class ChannelRules:
    """What the planner must respect about a channel."""

    daily_cap: int | None = None
    needs_image: bool = False


class Calendar:
    """Indonesian public holidays and *cuti bersama* (the ``holidays`` package), looked up a year at a time by
    ``lookup`` (``holidays_of``; the web server passes ``holidays_in_child``)."""

    def __init__(
        self, extra: Mapping[date, str] | None = None, lookup: Callable[[int], Mapping[date, str]] | None = None
    ) -> None:
        self._days: dict[date, str] = dict(extra or {})
        self._years: set[int] = set()
        self._lookup = lookup or holidays_of

    def holiday(self, day: date) -> str | None:
        """The holiday's name, or None on a working day."""
        if day.year not in self._years:
            for holiday_date, name in self._lookup(day.year).items():
                self._days.setdefault(holiday_date, name)
            self._years.add(day.year)
        return self._days.get(day)


def holidays_of(year: int) -> dict[date, str]:
    """The public holidays and *cuti bersama* of ``year`` in Indonesia, named in Indonesian."""
    import holidays

    found = holidays.country_holidays("ID", years=year, language="id", categories=("public", "government"))
    return dict(found.items())


#: ``holidays_in_child``'s child: the year's holidays as JSON on its standard output.
_HOLIDAYS_CHILD = (
    "import json, sys; from outreach.planner import holidays_of; "
    "print(json.dumps({day.isoformat(): name for day, name in holidays_of(int(sys.argv[1])).items()}))"
)


def holidays_in_child(year: int) -> dict[date, str]:
    """``holidays_of`` worked out by a child process: the package imports ~300 modules (17 MB) that a long-lived
    server would keep for a list of twenty days a year. About half a second, once a year per process."""
    done = subprocess.run(
        [sys.executable, "-c", _HOLIDAYS_CHILD, str(year)], capture_output=True, text=True, check=True, timeout=120
    )
    return {date.fromisoformat(day): name for day, name in json.loads(done.stdout).items()}


@dataclass(frozen=True)
class Plan:
    """New posts to write, and planned posts to cancel with a reason."""

    new: tuple[PlannedPost, ...]
    cancel: tuple[tuple[int, str], ...]


def day_excluded(campaign: CampaignSettings, day: date, calendar: Calendar) -> str | None:
    """Why nothing of this campaign goes out on ``day`` (blackout, holiday), or None."""
    for blackout in campaign.blackouts:
        if blackout.start <= day <= blackout.end:
            return BLACKOUT.format(reason=blackout.reason)
    if campaign.holidays == "skip":
        name = calendar.holiday(day)
        if name:
            return HOLIDAY.format(name=name)
    return None


class _Rotation:
    """Who is featured next in one campaign."""

    def __init__(self, entries: list[Innovation]) -> None:
        self.count: dict[str, int] = defaultdict(int)
        self.last_day: dict[str, date] = {}
        self.last_turn: dict[str, int] = {}
        self.agency_turn: dict[str, int] = {}
        self.turn = 0
        self.by_id = {innovation.id: innovation for innovation in entries}
        self.heaps: dict[str, list[tuple[int, int, str]]] = defaultdict(list)

    def seed(self, innovation_id: str, day: date) -> None:
        """Count a slot that already features ``innovation_id``."""
        self.turn += 1
        self.count[innovation_id] += 1
        if innovation_id not in self.last_day or self.last_day[innovation_id] < day:
            self.last_day[innovation_id] = day
        self.last_turn[innovation_id] = self.turn
        innovation = self.by_id.get(innovation_id)
        if innovation is not None:
            self.agency_turn[innovation.opd] = self.turn

    def build(self) -> None:
        """Queue every innovation by agency, once the existing slots are seeded."""
        for innovation in self.by_id.values():
            heapq.heappush(self.heaps[innovation.opd], self._key(innovation.id))

    def _key(self, innovation_id: str) -> tuple[int, int, str]:
        return (self.count[innovation_id], self.last_turn.get(innovation_id, 0), innovation_id)

    def choose(self, day: date, accepts: Callable[[Innovation, date | None], bool]) -> Innovation | None:
        """The next innovation for a slot on ``day`` that ``accepts`` (given the day of its latest post) lets in."""
        set_aside: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        chosen: Innovation | None = None
        while chosen is None:
            best_agency = None
            best_key = None
            for agency, heap in self.heaps.items():
                if not heap:
                    continue
                key = (heap[0][0], self.agency_turn.get(agency, 0), agency)
                if best_key is None or key < best_key:
                    best_agency, best_key = agency, key
            if best_agency is None:
                break
            entry = heapq.heappop(self.heaps[best_agency])
            innovation = self.by_id[entry[2]]
            last = self.last_day.get(innovation.id)
            # An innovation already featured after this day cannot take an earlier free slot:
            # its later posts already carry the next kinds of its series, in order.
            if (last is not None and last > day) or not accepts(innovation, last):
                set_aside[best_agency].append(entry)
                continue
            chosen = innovation
        for agency, entries in set_aside.items():
            for entry in entries:
                heapq.heappush(self.heaps[agency], entry)
        if chosen is not None:
            self.seed(chosen.id, day)
            heapq.heappush(self.heaps[chosen.opd], self._key(chosen.id))
        return chosen


class _Series:
    """Where each innovation stands in one campaign's series, and how long it rests before its next post."""

    def __init__(self, campaign: CampaignSettings) -> None:
        self.campaign = campaign
        self.done: defaultdict[str, int] = defaultdict(int)

    def next_kind(self, innovation_id: str) -> str:
        return self.campaign.series[self.done[innovation_id] % len(self.campaign.series)]

    def finished(self, innovation_id: str) -> bool:
        """A campaign without ``repeat`` gives each innovation the series once."""
        return not self.campaign.repeat and self.done[innovation_id] >= len(self.campaign.series)

    def gap_before_next(self, innovation_id: str) -> int:
        """Days between an innovation's latest post and its next: longer when the series starts over."""
        done = self.done[innovation_id]
        if done and done % len(self.campaign.series) == 0:
            return max(self.campaign.min_gap_days, self.campaign.rest_days)
        return self.campaign.min_gap_days


class _Channels:
    """What each channel already carries, across campaigns: how many posts a day (its daily cap is shared)
    and which innovation × kind on which day (two campaigns must not give it the same post within their gap)."""

    def __init__(
        self,
        rules: Mapping[str, ChannelRules],
        campaigns: Mapping[str, CampaignSettings],
        holding: list[Post],
        zone: ZoneInfo,
    ) -> None:
        self.rules = rules
        self.gaps = {name: campaign.min_gap_days for name, campaign in campaigns.items()}
        self.per_day: dict[tuple[str, date], int] = defaultdict(int)
        self.carried: dict[tuple[str, str, str], list[tuple[date, str]]] = defaultdict(list)
        for post in holding:
            day = post.scheduled_at.astimezone(zone).date()
            self.per_day[(post.channel, day)] += 1
            if post.state in HOLDING_STATES:  # an operator's cancellation holds its slot but posts nothing
                self.carried[(post.channel, post.innovation_id, post.kind)].append((day, post.campaign))

    def has_room(self, channel: str, day: date) -> bool:
        cap = self.rules[channel].daily_cap
        return cap is None or self.per_day[(channel, day)] < cap

    def can_take(self, campaign: str, channel: str, innovation: Innovation, kind: str, day: date) -> bool:
        """Whether ``channel`` may carry this post: it has the image it needs, and no other campaign gives
        the channel the same innovation × kind too close to it (see :meth:`clash`)."""
        if self.rules[channel].needs_image and innovation.gambar is None:
            return False
        return self.clash(campaign, channel, innovation.id, kind, day) is None

    def clash(self, campaign: str, channel: str, innovation_id: str, kind: str, day: date) -> str | None:
        """Another campaign that gives ``channel`` the same innovation × kind within the larger of the two
        campaigns' gaps (at least a day apart), or None."""
        own_gap = self.gaps.get(campaign, 0)
        return next(
            (
                other
                for when, other in self.carried[(channel, innovation_id, kind)]
                if other != campaign and abs((day - when).days) < max(own_gap, self.gaps.get(other, 0), 1)
            ),
            None,
        )

    def add(self, campaign: str, channel: str, innovation_id: str, kind: str, day: date) -> None:
        self.per_day[(channel, day)] += 1
        self.carried[(channel, innovation_id, kind)].append((day, campaign))


def plan(
    campaigns: Mapping[str, CampaignSettings],
    channels: Mapping[str, ChannelRules],
    catalogue: Iterable[CatalogueEntry],
    existing: Iterable[Post],
    calendar: Calendar,
    now: datetime,
    until: datetime,
    zone: ZoneInfo,
    replan_missed: bool = False,
    not_before: datetime | None = None,
    only: str | None = None,
) -> Plan:
    """Posts for every free slot in ``(now, until]``, and cancellations of posts no longer valid.

    With ``replan_missed``, a post missed during downtime takes the campaign's next free slot
    (same innovation, kind and channel) before the rotation fills the rest. Slots up to
    ``not_before`` (when the store's record begins) are never filled: what went out before the
    store existed is unknown to it.

    With ``only`` (an innovation's id), the plan is that innovation's alone: only its posts may be
    cancelled and only it fills free slots; every other post holds its slot as it is. A decision on one
    innovation then needs its posts and the window's, not the whole outbox (``Planning.write_plan``).
    """
    entries = list(catalogue)
    publishable = {
        entry.innovation.id: entry.innovation
        for entry in entries
        if entry.publishable and (only is None or entry.innovation.id == only)
    }
    standing = {entry.innovation.id: entry.status.value for entry in entries}
    existing = sorted(existing, key=lambda post: (post.scheduled_at, post.id))
    own = [post for post in existing if only is None or post.innovation_id == only]
    cancel = _cancellations(campaigns, channels, publishable, standing, own, calendar, now, zone)
    cancel += _repeats_of(own, campaigns, channels, existing, {post_id for post_id, _ in cancel}, now, zone)
    cancelled_ids = {post_id for post_id, _ in cancel}
    holding = [
        post
        for post in existing
        if (post.state in HOLDING_STATES and post.id not in cancelled_ids) or _operator_cancelled(post)
    ]

    board = _Channels(channels, campaigns, holding, zone)
    earliest = max(now, not_before) if not_before is not None else now
    new: list[PlannedPost] = []
    for name in sorted(campaigns):
        make_ups = _missed_make_ups(name, existing, publishable) if replan_missed else []
        new += _plan_campaign(
            name, campaigns[name], board, publishable, holding, make_ups, calendar, earliest, until, zone
        )
    return Plan(tuple(new), tuple(cancel))


def _plan_campaign(
    name: str,
    campaign: CampaignSettings,
    board: _Channels,
    publishable: Mapping[str, Innovation],
    holding: list[Post],
    make_ups: list[tuple[str, str, set[str]]],
    calendar: Calendar,
    earliest: datetime,
    until: datetime,
    zone: ZoneInfo,
) -> list[PlannedPost]:
    """Posts for the free slots of one campaign in ``(earliest, until]``: missed posts made up first, then
    the rotation. ``board`` counts each new post as it is made."""
    selected = sorted(
        (innovation for innovation in publishable.values() if _selected(campaign, innovation)),
        key=lambda innovation: innovation.id,
    )
    rotation, taken, series = _seeded_rotation(name, campaign, selected, holding, zone)
    first = max(earliest.astimezone(zone).date(), campaign.start or date.min)
    last = min(until.astimezone(zone).date(), campaign.end or date.max)
    new: list[PlannedPost] = []
    for moment in slot_times(campaign.schedules(), first, last, zone):
        day = moment.date()
        if moment <= earliest or moment > until or moment in taken or day_excluded(campaign, day, calendar):
            continue
        open_channels = [channel for channel in campaign.channels if board.has_room(channel, day)]
        if not open_channels:
            continue
        if make_ups and publishable[make_ups[0][0]].active_on(day):
            innovation_id, kind, missed_channels = make_ups.pop(0)
            innovation = publishable[innovation_id]
            open_channels = [channel for channel in open_channels if channel in missed_channels]
        else:
            chosen = rotation.choose(day, _admission(name, series, board, open_channels, day))
            if chosen is None:
                continue
            innovation, kind = chosen, series.next_kind(chosen.id)
            series.done[chosen.id] += 1
        for channel in open_channels:
            if board.can_take(name, channel, innovation, kind, day):
                new.append(PlannedPost(name, channel, innovation.id, kind, moment))
                board.add(name, channel, innovation.id, kind, day)
    return new


def _admission(
    name: str, series: _Series, board: _Channels, open_channels: list[str], day: date
) -> Callable[[Innovation, date | None], bool]:
    """Whether an innovation may take a slot on ``day``: its series goes on, its rest is over, it is in
    its mulai/selesai window, and at least one open channel may carry its next post."""

    def admits(innovation: Innovation, last: date | None) -> bool:
        if series.finished(innovation.id) or not innovation.active_on(day):
            return False
        if last is not None and (day - last).days < series.gap_before_next(innovation.id):
            return False
        kind = series.next_kind(innovation.id)
        return any(board.can_take(name, channel, innovation, kind, day) for channel in open_channels)

    return admits


def _seeded_rotation(
    name: str, campaign: CampaignSettings, selected: list[Innovation], holding: list[Post], zone: ZoneInfo
) -> tuple[_Rotation, set[datetime], _Series]:
    """The campaign's rotation, counting the slots its posts already hold; those slots; and where each
    innovation stands in the series, which picks the kind of its next post."""
    rotation = _Rotation(selected)
    taken: set[datetime] = set()
    series = _Series(campaign)
    for post in holding:
        if post.campaign != name:
            continue
        moment = post.scheduled_at.astimezone(zone)
        if moment not in taken:
            taken.add(moment)
            rotation.seed(post.innovation_id, moment.date())
            series.done[post.innovation_id] += 1
    rotation.build()
    return rotation, taken, series


def _missed_make_ups(
    campaign: str, existing: list[Post], publishable: Mapping[str, Innovation]
) -> list[tuple[str, str, set[str]]]:
    """Missed posts of a campaign not yet planned again: (innovation, kind, channels), oldest first."""
    later_keys = {
        (post.channel, post.innovation_id, post.kind, post.scheduled_at)
        for post in existing
        if post.state is not PostState.MISSED and post.state is not PostState.CANCELLED
    }
    groups: dict[tuple[str, str, datetime], set[str]] = {}
    for post in existing:
        if post.campaign != campaign or post.state is not PostState.MISSED or post.innovation_id not in publishable:
            continue
        made_up = any(
            channel == post.channel
            and innovation_id == post.innovation_id
            and kind == post.kind
            and when > post.scheduled_at
            for channel, innovation_id, kind, when in later_keys
        )
        if not made_up:
            groups.setdefault((post.innovation_id, post.kind, post.scheduled_at), set()).add(post.channel)
    return [
        (innovation_id, kind, channels)
        for (innovation_id, kind, _), channels in sorted(groups.items(), key=lambda item: item[0][2])
    ]


def _operator_cancelled(post: Post) -> bool:
    """An operator's cancellation keeps the slot empty: re-planning must not undo it."""
    return post.state is PostState.CANCELLED and (post.reason or "").startswith(OPERATOR_CANCEL_PREFIX)


def _selected(campaign: CampaignSettings, innovation: Innovation) -> bool:
    if campaign.innovations and innovation.id not in campaign.innovations:
        return False
    if campaign.opd and innovation.opd not in campaign.opd:
        return False
    wanted_tags = {tag.lower() for tag in campaign.tagar}
    return not wanted_tags or bool(wanted_tags & {tag.lower() for tag in innovation.tagar})


def _cancellations(
    campaigns: Mapping[str, CampaignSettings],
    channels: Mapping[str, ChannelRules],
    publishable: Mapping[str, Innovation],
    standing: Mapping[str, str],
    existing: list[Post],
    calendar: Calendar,
    now: datetime,
    zone: ZoneInfo,
) -> list[tuple[int, str]]:
    """Future planned posts that must not go out any more, each with the reason."""
    cancel = []
    for post in existing:
        # A post waiting for a retry (due_at after its slot) has not gone out yet: it is still future.
        if not outbox.allows(Operation.WITHDRAW, post.state) or max(post.scheduled_at, post.due_at) <= now:
            continue
        campaign = campaigns.get(post.campaign)
        innovation = publishable.get(post.innovation_id)
        day = post.scheduled_at.astimezone(zone).date()
        reason = None
        if campaign is None:
            reason = NO_CAMPAIGN.format(campaign=post.campaign)
        elif post.channel not in campaign.channels or post.channel not in channels:
            reason = NO_CHANNEL.format(channel=post.channel, campaign=post.campaign)
        elif innovation is None:
            status = standing.get(post.innovation_id, REMOVED)
            reason = NOT_APPROVED.format(innovation=post.innovation_id, status=status)
        elif not _selected(campaign, innovation):
            reason = NOT_SELECTED.format(innovation=post.innovation_id, campaign=post.campaign)
        elif not innovation.active_on(day):
            reason = OUTSIDE_WINDOW.format(innovation=post.innovation_id, day=day)
        elif (campaign.start and day < campaign.start) or (campaign.end and day > campaign.end):
            reason = OUTSIDE_DATES.format(campaign=post.campaign)
        elif not _in_timetable(campaign, post.scheduled_at.astimezone(zone)):
            reason = NOT_IN_TIMETABLE.format(time=f"{post.scheduled_at.astimezone(zone):%H.%M}", day=day)
        else:
            reason = day_excluded(campaign, day, calendar)
        if reason:
            cancel.append((post.id, reason))
    return cancel


def _repeats_of(
    own: list[Post],
    campaigns: Mapping[str, CampaignSettings],
    channels: Mapping[str, ChannelRules],
    existing: list[Post],
    withdrawn: set[int],
    now: datetime,
    zone: ZoneInfo,
) -> list[tuple[int, str]]:
    """The repeats (:func:`_repeats`) among the posts the plan may withdraw (``own``), judged against every
    holding post not already withdrawn."""
    holding = [post for post in existing if post.state in HOLDING_STATES and post.id not in withdrawn]
    own_ids = {post.id for post in own}
    return [repeat for repeat in _repeats(campaigns, channels, holding, now, zone) if repeat[0] in own_ids]


def _repeats(
    campaigns: Mapping[str, CampaignSettings],
    channels: Mapping[str, ChannelRules],
    holding: list[Post],
    now: datetime,
    zone: ZoneInfo,
) -> list[tuple[int, str]]:
    """Future posts that repeat another campaign's post on one channel too closely (planned before the
    planner kept campaigns apart), each with the reason: the post planned first stays."""
    seen = _Channels(channels, campaigns, [], zone)
    repeats = []
    for post in sorted(holding, key=lambda post: post.id):
        day = post.scheduled_at.astimezone(zone).date()
        other = seen.clash(post.campaign, post.channel, post.innovation_id, post.kind, day)
        if (
            other is not None
            and outbox.allows(Operation.WITHDRAW, post.state)
            and max(post.scheduled_at, post.due_at) > now
        ):
            reason = REPEATS.format(
                other=other, channel=post.channel, innovation=post.innovation_id, kind=post.kind, day=day
            )
            repeats.append((post.id, reason))
        else:
            seen.add(post.campaign, post.channel, post.innovation_id, post.kind, day)
    return repeats


def _in_timetable(campaign: CampaignSettings, moment: datetime) -> bool:
    return any(moment.time() in schedule.times_on(moment.date()) for schedule in campaign.schedules())


# ---- what the planner will not do: said before it happens ----------------------------------------


@dataclass(frozen=True)
class Overlap:
    """Two campaigns that share channels and innovations; the planner keeps their same posts apart."""

    campaigns: tuple[str, str]
    channels: tuple[str, ...]
    innovations: tuple[str, ...]
    gap_days: int


def overlaps(campaigns: Mapping[str, CampaignSettings], publishable: Iterable[Innovation]) -> list[Overlap]:
    """Every pair of campaigns that could give one channel the same innovation × kind."""
    innovations = list(publishable)
    found = []
    for first, second in itertools.combinations(sorted(campaigns), 2):
        one, other = campaigns[first], campaigns[second]
        shared_channels = tuple(channel for channel in one.channels if channel in other.channels)
        shared = tuple(
            sorted(
                innovation.id
                for innovation in innovations
                if _selected(one, innovation) and _selected(other, innovation)
            )
        )
        if shared_channels and shared:
            gap = max(one.min_gap_days, other.min_gap_days, 1)
            found.append(Overlap((first, second), shared_channels, shared, gap))
    return found


def image_skips(
    campaigns: Mapping[str, CampaignSettings], channels: Mapping[str, ChannelRules], publishable: Iterable[Innovation]
) -> dict[str, tuple[str, ...]]:
    """Per channel that needs an image: the innovations its campaigns select that have no ``gambar``."""
    without_image = [innovation for innovation in publishable if innovation.gambar is None]
    skipped: dict[str, set[str]] = defaultdict(set)
    for campaign in campaigns.values():
        for channel in campaign.channels:
            if channels[channel].needs_image:
                skipped[channel] |= {innovation.id for innovation in without_image if _selected(campaign, innovation)}
    return {channel: tuple(sorted(ids)) for channel, ids in sorted(skipped.items()) if ids}


def unplanned_selections(
    campaigns: Mapping[str, CampaignSettings], catalogue: Iterable[CatalogueEntry]
) -> dict[str, tuple[str, ...]]:
    """Per campaign: the innovations it lists by id that are not approved or not in the catalogue."""
    publishable = {entry.innovation.id for entry in catalogue if entry.publishable}
    missing = {
        name: tuple(identifier for identifier in campaign.innovations if identifier not in publishable)
        for name, campaign in sorted(campaigns.items())
    }
    return {name: ids for name, ids in missing.items() if ids}


def empty_campaigns(campaigns: Mapping[str, CampaignSettings], publishable: Iterable[Innovation]) -> list[str]:
    """Campaigns whose filters select no approved innovation: they post nothing."""
    innovations = list(publishable)
    return [
        name
        for name, campaign in sorted(campaigns.items())
        if not any(_selected(campaign, innovation) for innovation in innovations)
    ]
