"""Planning: the catalogue as the planner sees it, drafts (rendered and checked), and writing the plan.

The rules of what goes out live in the planner and renderer (pure functions); this service feeds
them from the store and the catalogue files, and writes what they decide through the outbox's
named operations. The command line, the daemon and (later) the web page share it, so a preview
and the daemon never disagree about a post.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from . import catalogue as catalogue_stage
from . import media, outbox, planner
from .channels import adapter_class
from .channels.base import OutgoingPost
from .clock import Clock
from .config import CampaignSettings, Config
from .costs import Prices, XCost, x_costs
from .errors import ConfigError, NotFound
from .i18n import _
from .model import CatalogueEntry, Innovation, PlannedPost, Post, PostState
from .reasons import N_, shown
from .render import CampaignView, ChannelView, RenderedPost, Renderer
from .store import About, ImportSummary, Store

# The reasons recorded with a post: English in the store, shown translated (``reasons.shown``).
CANNOT_RENDER = N_("cannot render: {error}")
BLOCKED = N_("plain language (campaign blocks errors): {findings}")


@dataclass(frozen=True)
class Finding:
    """A plain-language finding in printable form."""

    severity: str
    code: str
    message: str
    suggestion: str
    excerpt: str

    def label(self) -> str:
        severity = _("error") if self.severity == "error" else _("warning")
        return f"{severity}: {self.message}" + (f" — {self.suggestion}" if self.suggestion else "")


@dataclass(frozen=True)
class Draft:
    """A post as it would go out: the plan, the rendered text, and what the checker says."""

    planned: PlannedPost
    rendered: RenderedPost | None
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    post_id: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.severity == "error")

    def warnings(self) -> list[str]:
        """The notes (kept in English, like reasons) and findings, as a person reads them now."""
        return [*(shown(note) for note in self.notes), *(finding.label() for finding in self.findings)]


@dataclass(frozen=True)
class PlanOutcome:
    """What writing a plan changed, and why the posts it could not render failed.

    ``unrendered`` holds the reason for each new post stored as failed because it could not be
    rendered; ``stale`` the reason for each planned post that kept its earlier text because its
    new rendering failed.
    """

    inserted: int
    refreshed: int
    cancelled: int
    unrendered: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()


class Planning:
    """Plans, drafts and checks posts for one office; caches the decoded catalogue between calls.

    ``store`` opens the store on first use, ``channel_view`` tells how a configured channel renders
    (its platform and limits), and ``glossary`` loads the plain-language glossary on first use (most
    commands never need it).
    """

    def __init__(
        self,
        config: Config,
        clock: Clock,
        store: Callable[[], Store],
        renderer: Renderer,
        channel_view: Callable[[str], ChannelView],
        glossary: Callable[[], Any],
    ) -> None:
        self.config = config
        self.clock = clock
        self._store = store
        self.renderer = renderer
        self.channel_view = channel_view
        self._glossary = glossary
        self.calendar = planner.Calendar()
        self._source_stats: tuple[Any, ...] | None = None
        self._catalogue: tuple[int, list[CatalogueEntry], dict[str, CatalogueEntry]] | None = None
        #: Told what each sync of the catalogue files changed (warnings, approvals withdrawn), once.
        self.on_sync: Callable[[ImportSummary], None] | None = None

    @property
    def store(self) -> Store:
        """Opened on first use: a check that stops at the config never creates a store."""
        return self._store()

    @property
    def zone(self) -> Any:
        return self.config.timezone

    # ---- catalogue ---------------------------------------------------------------------------

    def catalogue(self) -> list[CatalogueEntry]:
        """The catalogue as the store knows it, after syncing the configured files if they changed.

        A long-running daemon keeps one workspace, so this looks at the files every time; a cheap
        size-and-mtime check skips hashing them when nothing was touched. The decoded catalogue is
        cached until the store's catalogue revision changes (an import, approval or retirement,
        by this process or another).
        """
        self._sync_files()
        revision = self.store.catalogue_revision()
        if self._catalogue is None or self._catalogue[0] != revision:
            entries = self.store.catalogue()
            self._catalogue = (revision, entries, {entry.innovation.id: entry for entry in entries})
        return self._catalogue[1]

    def _sync_files(self) -> None:
        stats = tuple(
            (path.stat().st_size, path.stat().st_mtime_ns) if path.is_file() else None
            for path in self.config.catalogue_files
        )
        if stats != self._source_stats:
            summary = catalogue_stage.sync(
                self.store, self.config.catalogue_files, self.clock.now(), self.config.media_folder, self._glossary
            )
            self._source_stats = stats
            if summary is not None and self.on_sync is not None:
                self.on_sync(summary)

    def entry(self, innovation_id: str) -> CatalogueEntry:
        """One innovation as the store knows it (the last good import).

        Publishing reads through here and never syncs the files: a typo an agency saves in the
        spreadsheet must not fail posts that were planned from content already approved.
        """
        if self._catalogue is not None and self._catalogue[0] == self.store.catalogue_revision():
            return _known(innovation_id, self._catalogue[2].get(innovation_id))
        return _known(innovation_id, next(iter(self.store.catalogue([innovation_id])), None))

    def outgoing(self, post: Post, known: About | None = None) -> OutgoingPost:
        """The adapter's view of a stored post, with the innovation as the store last imported it (``known``:
        as read with the post's claim, else read now).

        An operator's announcement has no innovation: the adapter sees an empty one.
        """
        found, first_attempt = known if known is not None else self.store.about_post(post)
        if post.innovation_id == outbox.ANNOUNCEMENT_ID:
            innovation, source = {}, None
        else:
            entry = _known(post.innovation_id, found)
            innovation, source = entry.innovation.to_json(), entry.source
        return OutgoingPost.from_post(post, innovation, self.zone, self.image_roots(source), first_attempt)

    def image_roots(self, source: str | None) -> tuple[Path, ...]:
        """The folders an image of the innovation imported from ``source`` may lie in."""
        return media.allowed_roots(source, self.config.media_folder)

    def release_catalogue(self) -> None:
        """Drop the decoded catalogue (the daemon holds it only while planning)."""
        self._catalogue = None

    # ---- planning and drafting -----------------------------------------------------------------

    def channel_rules(self) -> dict[str, planner.ChannelRules]:
        rules = {}
        for name, settings in self.config.channels.items():
            view = self.channel_view(name)
            rules[name] = planner.ChannelRules(settings.daily_cap, view.capabilities.image == "required")
        return rules

    def plan(
        self,
        start: datetime,
        days: int,
        existing: Iterable[Post] | None = None,
        only: CatalogueEntry | None = None,
    ) -> planner.Plan:
        """What the planner would add and cancel for ``days`` from ``start`` (nothing is written).

        With ``only``, the plan of that one innovation (``planner.plan``'s ``only``): ``existing`` then
        needs only its posts and those around the window (``Store.posts_for_planning``).
        """
        entries = self.catalogue() if only is None else [only]
        posts = self.store.posts() if existing is None else list(existing)
        return planner.plan(
            self.config.campaigns,
            self.channel_rules(),
            entries,
            posts,
            self.calendar,
            start,
            start + timedelta(days=days),
            self.zone,
            self.config.publishing.replan_missed,
            not_before=self.store.record_start(),
            only=only.innovation.id if only is not None else None,
        )

    def sync(self) -> None:
        """Bring the store up to what the catalogue files say now, without decoding the catalogue (a page
        that decides on one innovation need not hold 10,000)."""
        self._sync_files()

    def campaign_view(self, name: str) -> CampaignView:
        campaign: CampaignSettings = self.config.campaigns[name]
        return CampaignView(name, campaign.utm_campaign)

    def draft(
        self, planned: PlannedPost, innovation: Innovation, source: str | None, post_id: int | None = None
    ) -> Draft:
        """Render one planned post and check its language; a rendering problem becomes the draft's error."""
        channel = self.channel_view(planned.channel)
        image = catalogue_stage.image_path(source, innovation.gambar)
        try:
            rendered = self.renderer.render(
                innovation, planned.kind, channel, self.campaign_view(planned.campaign), planned.when, image
            )
        except ConfigError as error:
            return Draft(planned, None, error=str(error), post_id=post_id)
        findings = self.check_language(rendered.text, planned.kind, channel.platform, rendered.image, rendered.alt_text)
        return Draft(planned, rendered, findings, post_id=post_id, notes=rendered.notes)

    def check_language(
        self, text: str, kind: str | None, platform: str | None, image: Path | None, alt_text: str | None
    ) -> tuple[Finding, ...]:
        from .plainlang import check_text

        report = check_text(
            text,
            glossary=self._glossary(),
            kind=kind,
            platform=platform,
            image=str(image) if image else None,
            alt_text=alt_text,
        )
        return tuple(
            Finding(item.severity, item.code, item.message, item.suggestion, item.excerpt) for item in report.findings
        )

    def drafts(
        self,
        start: datetime,
        days: int,
        campaign: str | None = None,
        channel: str | None = None,
    ) -> list[Draft]:
        """Every post that would go out in the window: those already planned, then what the planner adds."""
        entries = {entry.innovation.id: entry for entry in self.catalogue()}
        end = start + timedelta(days=days)
        plan = self.plan(start, days)
        cancelled = {post_id for post_id, _ in plan.cancel}
        items: list[tuple[PlannedPost, int | None]] = [
            (
                PlannedPost(
                    post.campaign, post.channel, post.innovation_id, post.kind, post.scheduled_at.astimezone(self.zone)
                ),
                post.id,
            )
            for post in self.store.posts([PostState.PLANNED], start, end)
            if post.id not in cancelled
        ]
        items += [(planned, None) for planned in plan.new]
        drafts = []
        for planned, post_id in sorted(items, key=lambda item: (item[0].when, item[0].campaign, item[0].channel)):
            if (campaign and planned.campaign != campaign) or (channel and planned.channel != channel):
                continue
            entry = entries.get(planned.innovation_id)
            if entry is None:
                continue
            drafts.append(self.draft(planned, entry.innovation, entry.source, post_id))
        return drafts

    def apply_plan(self, days: int) -> tuple[int, int, int]:
        """:meth:`write_plan`, returning only (inserted, refreshed, cancelled)."""
        outcome = self.write_plan(days)
        return outcome.inserted, outcome.refreshed, outcome.cancelled

    def write_plan(self, days: int, only: str | None = None) -> PlanOutcome:
        """Plan ``days`` ahead and write it: new posts (rendered now), refreshed texts, cancellations.

        Running it twice in a row changes nothing. A post that cannot be rendered is not dropped:
        a new one is stored as failed with the reason, a planned one keeps its earlier text; the
        outcome lists both, so a command can say so.

        With ``only`` (an innovation's id, just approved or rejected), the plan of that innovation alone:
        its posts into the free slots, under the same rules, or its planned posts withdrawn. It reads its
        posts and the window's instead of every post and the whole catalogue, so a decision on the web
        page takes a fraction of a second; freed slots are filled by the next full plan.
        """
        now = self.clock.now()
        # Slots that passed within the catch-up window are still planned: they go out late.
        start = now - timedelta(minutes=self.config.publishing.catch_up_minutes)
        if only is None:
            existing = self.store.posts()
            entries = {entry.innovation.id: entry for entry in self.catalogue()}
            plan = self.plan(start, days, existing)
        else:
            entries = {entry.innovation.id: entry for entry in self.store.catalogue([only])}
            if only not in entries:
                raise NotFound(
                    _("no innovation with id {id}; see `outreach catalogue list` for the ids").format(id=only)
                )
            existing = self.store.posts_for_planning(only, *self._day_bounds(start, start + timedelta(days=days)))
            plan = self.plan(start, days, existing, entries[only])
        new_rows = [self._row(planned, entries[planned.innovation_id]) for planned in plan.new]
        refreshed, stale = self._refreshed(existing, entries, {post_id for post_id, _ in plan.cancel}, now)
        unrendered = tuple(row["reason"] for row in new_rows if row.get("state") is PostState.FAILED)
        inserted, cancelled = self.store.apply_plan(new_rows, plan.cancel, now, refreshed)
        return PlanOutcome(inserted, len(refreshed), cancelled, unrendered, tuple(stale))

    def _day_bounds(self, start: datetime, until: datetime) -> tuple[datetime, datetime]:
        """The whole local days from ``start`` to ``until``: a channel's daily cap counts every post of a day."""
        first = datetime.combine(start.astimezone(self.zone).date(), datetime.min.time(), self.zone)
        after = datetime.combine(until.astimezone(self.zone).date() + timedelta(days=1), datetime.min.time(), self.zone)
        return first, after

    def _refreshed(
        self, existing: Iterable[Post], entries: dict[str, CatalogueEntry], cancelled_ids: set[int], now: datetime
    ) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
        """Planned posts whose text the innovation's current content changes, and why those that cannot be
        rendered again keep their earlier text."""
        edited = self.store.edited_post_ids()  # an operator's edit is never overwritten
        refreshed = []
        stale = []
        for post in existing:
            if (
                post.state is not PostState.PLANNED
                or post.scheduled_at <= now
                or post.id in cancelled_ids
                or post.id in edited
            ):
                continue
            entry = entries.get(post.innovation_id)
            if entry is None or post.attempts:
                continue
            planned = PlannedPost(
                post.campaign, post.channel, post.innovation_id, post.kind, post.scheduled_at.astimezone(self.zone)
            )
            row = self._row(planned, entry)
            if row.get("state") is not None:
                stale.append(row["reason"])
            elif row["text"] != post.text:
                refreshed.append((post.id, {k: row[k] for k in ("text", "link", "image", "alt_text", "content_hash")}))
        return refreshed, stale

    def _row(self, planned: PlannedPost, entry: CatalogueEntry) -> dict[str, Any]:
        """The store row for a planned post, rendered; a post that cannot render is kept as failed."""
        draft = self.draft(planned, entry.innovation, entry.source)
        row: dict[str, Any] = {
            "key": planned.key,
            "campaign": planned.campaign,
            "channel": planned.channel,
            "innovation_id": planned.innovation_id,
            "kind": planned.kind,
            "scheduled_at": planned.when,
            "content_hash": entry.innovation.content_hash,
        }
        if draft.rendered is None:
            return {
                **row,
                "text": None,
                "link": None,
                "image": None,
                "alt_text": None,
                "state": PostState.FAILED,
                "reason": CANNOT_RENDER.format(error=draft.error),
            }
        rendered = draft.rendered
        return {
            **row,
            "text": rendered.text,
            "link": rendered.link,
            "image": str(rendered.image) if rendered.image else None,
            "alt_text": rendered.alt_text,
        }

    def blocked_by_language(self, post: Post, platform: str) -> str | None:
        """Why a post must not go out, when its campaign blocks plain-language errors and it has some."""
        campaign = self.config.campaigns.get(post.campaign)
        if campaign is None or campaign.plain_language != "block" or not post.text:
            return None
        findings = self.check_language(
            post.text, post.kind, platform, Path(post.image) if post.image else None, post.alt_text
        )
        errors = [finding.label() for finding in findings if finding.severity == "error"]
        if not errors:
            return None
        return BLOCKED.format(findings="; ".join(errors))

    def x_costs(self, posts: Iterable[tuple[str, str]]) -> list[XCost]:
        """The expected X API cost of these (channel, text) posts, for the channels that render as X."""
        texts: dict[str, list[str]] = {}
        prices: dict[str, Prices] = {}
        for channel, text in posts:
            settings = self.config.channels[channel]
            channel_prices = adapter_class(settings.type).prices_for(settings)
            if channel_prices is not None:
                prices[channel] = channel_prices
                texts.setdefault(channel, []).append(text)
        return x_costs(texts, prices)


def _known(innovation_id: str, found: CatalogueEntry | None) -> CatalogueEntry:
    """The entry found for ``innovation_id``; NotFound, with where to look, when there is none."""
    if found is None:
        raise NotFound(
            _("no innovation with id {id}; see `outreach catalogue list` for the ids").format(id=innovation_id)
        )
    return found
