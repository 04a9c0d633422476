"""Inovasi: the catalogue with each innovation's standing, an innovation's page with its decisions and
its posts drawn as cards, and the agency head's approval or rejection.

An approver sees only their own agency's innovations (``sees_agency``): another agency's innovation is
not listed and its page answers 404, so the page does not even tell that it exists. Deciding goes
through the same store call as ``outreach catalogue approve/reject``, with the signed-in user as who
decided; then that innovation's plan is written under the planner's rules (``Planning.write_plan`` with
``only``: its posts into the free slots, or its planned posts withdrawn), so an approved innovation is in
Kalender at once without the request reading every post.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, request, url_for

from ...accounts import allowed, sees_agency
from ...errors import NotFound
from ...i18n import N_, _
from ...model import CatalogueEntry, PlannedPost, PostState, Status
from ...planner import empty_campaigns
from ...preview_cards import Card, card_for
from ...vocabulary import state_label
from ..routes import actor, forbid_unless, page, render, services, signed_in, writing

blueprint = Blueprint("innovations", __name__)

#: Innovations per page of the list.
PAGE_SIZE = 50
#: Cards on an innovation's page: its next posts, or how its posts will look.
MAX_CARDS = 12
#: The longest reason kept with a rejection.
MAX_REASON = 1000
#: An innovation's fields as a person reads them, in the catalogue's order.
FIELD_LABELS = {
    "id": N_("Id"),
    "nama": N_("Name"),
    "opd": N_("Agency"),
    "jenis": N_("Kind"),
    "ringkasan": N_("Summary"),
    "manfaat": N_("Benefit"),
    "cara_akses": N_("How to use it"),
    "lokasi": N_("Place"),
    "jam_layanan": N_("Service hours"),
    "kontak": N_("Contact"),
    "tautan": N_("Link"),
    "gambar": N_("Image"),
    "alt_gambar": N_("Image description"),
    "tagar": N_("Hashtags"),
    "mulai": N_("Starts"),
    "selesai": N_("Ends"),
}
#: What the page says after a decision (the redirect's ``hasil``).
OUTCOMES = {
    "approved": N_("You approved this innovation. {count} new posts were planned; Kalender shows them."),
    "rejected": N_("You rejected this innovation. Its planned posts were cancelled: {count}."),
}


#: ``changed`` alone would not say what changed.
CHANGED = N_("changed since approval")


def status_label(status: Status) -> str:
    """An innovation's standing in words: draft, approved, changed since approval, rejected, retired."""
    return _(CHANGED) if status is Status.CHANGED else state_label(status.value)


def _visible_entry(innovation_id: str) -> CatalogueEntry:
    """The innovation, or 404 when there is none or the user may not see its agency."""
    try:
        entry: CatalogueEntry = services().workspace.planning.entry(innovation_id)
    except NotFound:
        abort(404)
    if not sees_agency(signed_in().user, entry.innovation.opd):
        abort(404)
    return entry


@page(blueprint, "/inovasi", permission="view", menu=N_("Innovations"), menu_order=40)
def index() -> Any:
    """The catalogue, by name, searched and filtered and paged in the store."""
    workspace = services().workspace
    user = signed_in().user
    workspace.planning.sync()  # what the files say now, as `outreach catalogue list` shows
    search = request.args.get("cari", "").strip()[:100]
    own_agency = user.opd if user.role == "approver" else None
    agency = own_agency or request.args.get("opd", "").strip() or None
    status = next((each for each in Status if each.value == request.args.get("status")), None)
    try:
        number_of_page = max(1, int(request.args.get("halaman", "1")))
    except ValueError:
        number_of_page = 1
    entries, total = workspace.store.catalogue_page(
        search=search, agency=agency, status=status, limit=PAGE_SIZE, offset=(number_of_page - 1) * PAGE_SIZE
    )
    pages = max(1, -(-total // PAGE_SIZE))
    chosen = (("cari", search), ("opd", "" if own_agency else agency or ""), ("status", status.value if status else ""))
    kept = {key: value for key, value in chosen if value}

    def page_link(number: int) -> str:
        return url_for("innovations.index") + "?" + urlencode({**kept, "halaman": number})

    return render(
        "innovations.html.j2",
        entries=entries,
        total=total,
        search=search,
        agency=agency,
        own_agency=own_agency,
        agencies=[] if own_agency else workspace.store.agencies(),
        chosen_status=status,
        statuses=list(Status),
        status_label=status_label,
        page_number=number_of_page,
        pages=pages,
        previous_link=page_link(number_of_page - 1) if number_of_page > 1 else None,
        next_link=page_link(number_of_page + 1) if number_of_page < pages else None,
    )


@page(blueprint, "/inovasi/<innovation_id>", permission="view")
def show(innovation_id: str) -> Any:
    """One innovation: its fields, its decisions, its posts as cards, and the approver's buttons."""
    return _show(_visible_entry(innovation_id))


def _show(entry: CatalogueEntry, problem: str | None = None, reason: str = "", status: int = 200) -> Any:
    workspace = services().workspace
    innovation = entry.innovation
    decisions = workspace.store.decisions_of(innovation.id)
    outcome = request.args.get("hasil")
    try:
        count = max(0, int(request.args.get("jumlah", "0")))
    except ValueError:
        count = 0
    upcoming, cards = _cards(entry)
    return render(
        "innovation.html.j2",
        status=status,
        entry=entry,
        fields=[(FIELD_LABELS[key], value) for key, value in innovation.to_json().items() if key in FIELD_LABELS],
        decisions=decisions,
        standing=status_label(entry.status),
        decision_label=state_label,
        may_decide=allowed(signed_in().user, "decide", innovation.opd),
        problem=problem,
        reason=reason,
        done=_(OUTCOMES[outcome]).format(count=count) if outcome in OUTCOMES else None,
        upcoming=upcoming,
        cards=cards,
        zone=workspace.zone,
    )


def _cards(entry: CatalogueEntry) -> tuple[bool, list[Card]]:
    """(True, its next posts) when some are planned or made from now on; else (False, how its posts would
    look): one per channel and kind of each campaign that selects it, rendered now, as the preview does."""
    workspace = services().workspace
    planning = workspace.planning
    innovation = entry.innovation
    zone = workspace.zone
    now = workspace.now().astimezone(zone)
    coming = [
        post
        for post in workspace.store.innovation_posts(innovation.id, now - timedelta(hours=1), MAX_CARDS)
        if post.state is not PostState.CANCELLED
    ]
    if coming:
        drafts = [
            planning.draft(
                PlannedPost(
                    post.campaign, post.channel, post.innovation_id, post.kind, post.scheduled_at.astimezone(zone)
                ),
                innovation,
                entry.source,
                post.id,
            )
            for post in coming
        ]
        return True, [card_for(workspace, draft) for draft in drafts]
    campaigns = workspace.config.campaigns
    left_out = set(empty_campaigns(campaigns, [innovation]))
    wanted: dict[tuple[str, str], str] = {}
    for name in sorted(set(campaigns) - left_out):
        for channel in campaigns[name].channels:
            for kind in campaigns[name].series:
                wanted.setdefault((channel, kind), name)
    samples = [
        planning.draft(PlannedPost(campaign, channel, innovation.id, kind, now), innovation, entry.source)
        for (channel, kind), campaign in list(wanted.items())[:MAX_CARDS]
    ]
    return False, [card_for(workspace, draft) for draft in samples]


@page(blueprint, "/inovasi/<innovation_id>/putuskan", permission="view", methods=("POST",))
def decide(innovation_id: str) -> Any:
    """Approve or reject (with a reason) as the agency's approver; the plan is written at once."""
    workspace = services().workspace
    try:
        entry = workspace.planning.entry(innovation_id)
    except NotFound:
        abort(404)
    forbid_unless("decide", entry.innovation.opd)
    decision = request.form.get("keputusan", "")
    reason = " ".join(request.form.get("alasan", "").split())
    if decision not in OUTCOMES:
        abort(400)
    if decision == "rejected" and not reason:
        return _show(entry, _("Write why you reject it: the agency reads the reason."), status=400)
    if len(reason) > MAX_REASON:
        message = _("The reason is too long: at most {count} characters.").format(count=MAX_REASON)
        return _show(entry, message, reason, status=400)
    with writing():
        workspace.planning.sync()  # as the CLI does: decide on what the files say now
        workspace.store.decide([innovation_id], decision, actor(), workspace.now(), reason or None)
        # This innovation's plan alone (a few hundred posts read, not the whole outbox): its posts appear in
        # Kalender at once; slots a rejection frees are filled by the daemon's next planning.
        outcome = workspace.planning.write_plan(workspace.config.publishing.horizon_days, only=innovation_id)
    count = outcome.inserted if decision == "approved" else outcome.cancelled
    return redirect(url_for("innovations.show", innovation_id=innovation_id, hasil=decision, jumlah=count), code=303)
