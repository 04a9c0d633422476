"""`outreach check`: render every approved innovation × kind × channel and collect what is wrong.

It goes through the same stages a post does — the catalogue, the renderer, the plain-language
checker — and refuses images with the same function as ``Channel.publish``, so a check without
problems means no post is refused for these reasons when it is published.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import planner
from .catalogue import image_path
from .channels.base import Channel
from .config import CampaignSettings
from .errors import ConfigError
from .i18n import _
from .media import ImageRefused, image_for_platform
from .model import PlannedPost
from .planning import Planning


@dataclass(frozen=True)
class Problem:
    """One thing to fix: where (``file:row:column · innovation · channel · kind``) and what."""

    #: None when the message names its own place (a template error says file and line).
    place: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


@dataclass(frozen=True)
class CheckReport:
    """What was checked, and every problem found, each once, in the order found."""

    innovations: int
    kinds: int
    channels: int
    problems: tuple[Problem, ...]


def check(planning: Planning) -> CheckReport:
    """Render every approved innovation × kind × channel of every campaign and collect the problems.

    Raises ``ConfigError`` when the config defines no campaign (there is nothing to check), or when
    the templates folder is broken (one error, not one per post).
    """
    config = planning.config
    if not config.campaigns:
        if config.channels:
            message = _(
                "{config}: nothing to check: it defines no campaigns, so nothing would be published; "
                "add a [campaigns.NAME] block as in the example config/outreach.toml"
            )
        else:
            message = _(
                "{config}: nothing to check: it defines no channels and no campaigns; start from the "
                "example config/outreach.toml (README: Configuration reference)"
            )
        raise ConfigError(message.format(config=config.path))
    planning.renderer  # noqa: B018  # a broken templates folder is one error, not one per post
    problems: list[Problem] = []
    entries = [entry for entry in planning.catalogue() if entry.publishable]
    kinds = {kind for campaign in config.campaigns.values() for kind in campaign.series}
    when = planning.clock.now().astimezone(planning.zone)
    for name, campaign in sorted(config.campaigns.items()):
        for channel_name in campaign.channels:
            view = planning.channel_view(channel_name)
            for entry in entries:
                innovation = entry.innovation
                where = f"{innovation.id} · {channel_name}"
                image = image_path(entry.source, innovation.gambar)
                if image is not None and view.capabilities.image != "none":
                    try:
                        image_for_platform(image, planning.image_roots(entry.source), view.platform, view.capabilities)
                    except ImageRefused as error:
                        problems.append(Problem(f"{entry.source}:gambar: {where}", str(error)))
                for kind in campaign.series:
                    planned = PlannedPost(name, channel_name, innovation.id, kind, when)
                    draft = planning.draft(planned, innovation, entry.source)
                    if draft.error:
                        problems.append(Problem(None, draft.error))
                    problems.extend(
                        Problem(f"{where} · {kind}", _("plain language: {findings}").format(findings=finding.label()))
                        for finding in draft.errors
                    )
    unique = tuple(dict.fromkeys(problems))  # one template mistake shows once, not once per post
    return CheckReport(len(entries), len(kinds), len(config.channels), unique)


def online_problems(planning: Planning, adapters: Callable[[str], Channel]) -> tuple[Problem, ...]:
    """What a platform that fetches images itself would refuse, asked now over the network (``--online``).

    For every channel of every campaign, the images of the approved innovations it would carry;
    today only Instagram has such a question (is each image served at ``public_media_base_url``).
    """
    entries = [entry for entry in planning.catalogue() if entry.publishable]
    problems: list[Problem] = []
    for channel in sorted({name for campaign in planning.config.campaigns.values() for name in campaign.channels}):
        if planning.channel_view(channel).capabilities.image == "none":
            continue
        images = [
            image for entry in entries if (image := image_path(entry.source, entry.innovation.gambar)) is not None
        ]
        problems += [Problem(channel, line) for line in adapters(channel).planned_image_problems(images)]
    return tuple(problems)


def notices(planning: Planning, *, overlaps: bool = True, series: bool = False) -> list[str]:
    """What the planner will not do, said before it happens: one line per channel that skips innovations,
    per campaign that posts less than it names, and (when asked) per pair of campaigns it keeps apart and
    per campaign's series."""
    campaigns = planning.config.campaigns
    entries = planning.catalogue()
    publishable = [entry.innovation for entry in entries if entry.publishable]
    lines = [
        _(
            "{channel}: {count} innovations skipped, no gambar: {ids} (the platform needs an image; fill in gambar)"
        ).format(channel=channel, count=len(ids), ids=", ".join(ids))
        for channel, ids in planner.image_skips(campaigns, planning.channel_rules(), publishable).items()
    ]
    lines += [
        _("{campaign}: {count} listed innovations never planned, not approved or not in the catalogue: {ids}").format(
            campaign=name, count=len(ids), ids=", ".join(ids)
        )
        for name, ids in planner.unplanned_selections(campaigns, entries).items()
    ]
    lines += [
        _("{campaign}: no approved innovation matches its innovations/opd/tagar, so it posts nothing").format(
            campaign=name
        )
        for name in planner.empty_campaigns(campaigns, publishable)
    ]
    if overlaps:
        lines += [_overlap_line(overlap) for overlap in planner.overlaps(campaigns, publishable)]
    if series:
        lines += [_series_line(name, campaign) for name, campaign in sorted(campaigns.items())]
    return lines


def _overlap_line(overlap: planner.Overlap) -> str:
    shown = ", ".join(overlap.innovations[:5]) + (", …" if len(overlap.innovations) > 5 else "")
    return _(
        "{first} and {second} share {channels} and {count} innovations ({ids}): the planner keeps the same "
        "innovation × kind on one channel at least {days} days apart"
    ).format(
        first=overlap.campaigns[0],
        second=overlap.campaigns[1],
        channels=", ".join(overlap.channels),
        count=len(overlap.innovations),
        ids=shown,
        days=overlap.gap_days,
    )


def _series_line(name: str, campaign: CampaignSettings) -> str:
    kinds = " → ".join(campaign.series)
    if not campaign.repeat:
        return _("{campaign}: each innovation gets the series {kinds} once (repeat = false)").format(
            campaign=name, kinds=kinds
        )
    if campaign.rest_days:
        return _(
            "{campaign}: the series {kinds} starts over after {days} days of rest, for as long as the campaign "
            "runs (repeat = false: once only)"
        ).format(campaign=name, kinds=kinds, days=campaign.rest_days)
    return _(
        "{campaign}: the series {kinds} starts over after its last kind, for as long as the campaign runs "
        "(repeat = false: once only; rest_days: a pause before it starts over)"
    ).format(campaign=name, kinds=kinds)
