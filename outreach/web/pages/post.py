"""A post's page (``/antrean/<id>``): everything about one post and its events, and what an editor may do to it
in its state — edit the text before it goes out (with a live length counter), cancel, retry, resolve, confirm.

Each action is the command line's (``outreach post …``): the same ``workspace.operations`` call, with the
signed-in user as the actor, so ``outreach history`` and the report show who did it from either surface.
The counter asks ``/antrean/<id>/periksa``, which measures as the platform counts (the renderer's own
``TextLimit``) and runs the plain-language checker; without JavaScript the "Check" button shows the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, jsonify, redirect, request, url_for

from ... import outbox
from ...accounts import allowed, sees_agency
from ...errors import ConfigError, NotFound, OutreachError
from ...i18n import N_, _, number
from ...model import Post
from ...outbox import Operation
from ...vocabulary import state_label
from ..routes import actor, page, render, services, shown_reason, signed_in, writing
from .queue import channel_label, channel_platforms

blueprint = Blueprint("post", __name__)

#: What the page says after an action went through (``?selesai=…``: a key, never text from the request).
DONE = {
    "edited": N_("The new text is saved; it goes out at the planned time."),
    "cancelled": N_("The post is cancelled; it will not go out."),
    "retried": N_("The post is planned again and goes out as soon as possible."),
    "resolved": N_("The post's outcome is recorded."),
    "confirmed": N_("The hand-off is confirmed: the post counts as published."),
}

#: The actions a post's state allows, each by its outbox operation (the same table the store enforces).
ACTIONS = {
    "edit": Operation.EDIT,
    "cancel": Operation.CANCEL,
    "retry": Operation.RETRY,
    "resolve": Operation.RESOLVE_PUBLISHED,
    "confirm": Operation.CONFIRM,
}


@dataclass(frozen=True)
class Check:
    """A text measured as the channel's platform counts it, and what the plain-language checker says of it."""

    length: int
    limit: int
    unit: str
    findings: tuple[tuple[str, str], ...] = ()
    #: Why the text cannot be saved as it is (empty, too long, hidden characters, plain-language errors).
    problem: str | None = None

    @property
    def counted(self) -> str:
        """``213/280 weighted characters``: digits, then what the platform counts."""
        return f"{self.length}/{self.limit} {self.unit}"

    @property
    def over(self) -> int:
        return max(0, self.length - self.limit)

    @property
    def sentence(self) -> str:
        """``Length: 213/280 weighted characters`` (and how many too many), as the counter shows it."""
        said = _("Length: {counted}").format(counted=self.counted)
        return said + (" — " + _("{over} too many").format(over=number(self.over)) if self.over else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "length": self.length,
            "limit": self.limit,
            "over": self.over,
            "counted": self.counted,
            "sentence": self.sentence,
            "findings": [{"severity": severity, "label": label} for severity, label in self.findings],
            "problem": self.problem,
        }


def measure(text: str, channel: str, source: str, kind: str | None = None, post: Post | None = None) -> Check:
    """``text`` on ``channel`` as saving it would judge it: the rules ``operations`` applies, none of our own."""
    rules = services().workspace.operations.rules
    _view, limit = rules.limit(channel, post)
    findings = rules.findings(text, channel, kind, post) if text.strip() else ()
    try:
        rules.warnings(text, channel, source, kind, post)
        problem = None
    except ConfigError as error:
        problem = str(error)
    return Check(
        limit.measure(text),
        limit.maximum,
        limit.unit(),
        tuple((finding.severity, finding.label()) for finding in findings),
        problem,
    )


def check_text(post: Post, text: str) -> Check:
    """``text`` as it would be if saved for ``post`` (its channel, kind and image)."""
    return measure(text, post.channel, _("the text"), _kind(post), post)


def typed_text(name: str = "text") -> str:
    """A text field as the officer typed it: a browser sends a textarea's line breaks as CRLF (the HTML
    form encoding); posts keep plain line feeds, as the renderer writes them and platforms count them."""
    return request.form.get(name, "").replace("\r\n", "\n").replace("\r", "\n")


def _kind(post: Post) -> str | None:
    """The kind the checker judges the text as (an announcement is no kind of the catalogue's series)."""
    return None if post.innovation_id == outbox.ANNOUNCEMENT_ID else post.kind


def _visible_post(post_id: int) -> Post:
    """The post, if the signed-in user may see it (404 when there is none, 403 for another agency's)."""
    workspace = services().workspace
    try:
        post = workspace.store.post(post_id)
    except NotFound:
        abort(404)
    user = signed_in().user
    if user.role == "approver":
        entries = workspace.store.catalogue([post.innovation_id])
        if not entries or not sees_agency(user, entries[0].innovation.opd):
            abort(403)
    return post


def _page(post: Post, status: int = 200, problem: str | None = None, **typed: Any) -> Any:
    """The post's page; after a refused action, with its message and what the officer typed kept."""
    workspace = services().workspace
    entries = workspace.store.catalogue([post.innovation_id])
    user = signed_in().user
    may_act = allowed(user, "edit_posts")
    actions = {name for name, operation in ACTIONS.items() if may_act and outbox.allows(operation, post.state)}
    text = typed.get("text", post.text or "")
    body, code = render(
        "post.html.j2",
        status=status,
        post=post,
        innovation=entries[0].innovation if entries else None,
        announcement=post.innovation_id == outbox.ANNOUNCEMENT_ID,
        channel=channel_label(post.channel, channel_platforms()),
        image_name=Path(post.image).name if post.image else None,
        events=workspace.store.events(post.id),
        actions=actions,
        other_actions=actions - {"edit"},
        text=text,
        check=typed.get("check") or (check_text(post, text) if "edit" in actions else None),
        typed=typed,
        problem=problem,
        done=_(DONE[request.args["selesai"]]) if request.args.get("selesai") in DONE else None,
        zone=workspace.zone,
        state_label=state_label,
        reason_shown=shown_reason,
    )
    return body, code


@page(blueprint, "/antrean/<int:post_id>", permission="view")
def show(post_id: int) -> Any:
    return _page(_visible_post(post_id))


@page(blueprint, "/antrean/<int:post_id>/periksa", permission="edit_posts", methods=("POST",))
def check(post_id: int) -> Any:
    """The counter and the findings for the text as typed: JSON for the page's script, else the page itself."""
    post = _visible_post(post_id)
    text = typed_text()
    result = check_text(post, text)
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(result.as_json())
    return _page(post, text=text, reason=request.form.get("reason", ""), check=result)


def _act(post_id: int, done: str, action: Callable[[Post], object], **typed: Any) -> Any:
    """Run one operator action under the write lock; Post/Redirect/Get on success, the form and one message
    (400, nothing changed) on a mistake or a state that does not allow it."""
    post = _visible_post(post_id)
    try:
        with writing():
            action(post)
    except OutreachError as error:
        return _page(services().workspace.store.post(post_id), 400, str(error), **typed)
    return redirect(url_for("post.show", post_id=post_id, selesai=done), code=303)


def web_address(value: str, required: bool) -> str | None:
    """A post's public URL as reports show it: an http(s) address with a host (the CLI's rule), or None."""
    value = value.strip()
    if not value and not required:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(ch.isspace() for ch in value):
        raise ConfigError(_("give the post's web address, e.g. https://x.com/kominfobdl/status/1234"))
    return value


@page(blueprint, "/antrean/<int:post_id>/ubah", permission="edit_posts", methods=("POST",))
def edit(post_id: int) -> Any:
    """Change the text before it goes out; checked as ``outreach post edit`` checks it."""
    text = typed_text().strip()
    reason = request.form.get("reason", "").strip() or _("no reason given")
    operations = services().workspace.operations

    def action(post: Post) -> object:
        if text == (post.text or "").strip():
            raise ConfigError(_("the text is unchanged; change it before saving"))
        return operations.edit(post.id, text, reason, actor(), _("the text"))

    return _act(post_id, "edited", action, text=typed_text(), reason=request.form.get("reason", ""))


@page(blueprint, "/antrean/<int:post_id>/batal", permission="edit_posts", methods=("POST",))
def cancel(post_id: int) -> Any:
    reason = request.form.get("reason", "").strip() or _("no reason given")
    operations = services().workspace.operations
    return _act(post_id, "cancelled", lambda post: operations.cancel(post.id, reason, actor()))


@page(blueprint, "/antrean/<int:post_id>/ulang", permission="edit_posts", methods=("POST",))
def retry(post_id: int) -> Any:
    operations = services().workspace.operations
    return _act(post_id, "retried", lambda post: operations.retry(post.id, actor()))


@page(blueprint, "/antrean/<int:post_id>/selesaikan", permission="edit_posts", methods=("POST",))
def resolve(post_id: int) -> Any:
    """Settle an ``unknown`` post after looking at the platform: it went out (with its URL), or it did not."""
    outcome = request.form.get("outcome", "")
    url = request.form.get("url", "")
    operations = services().workspace.operations

    def action(post: Post) -> object:
        if outcome == "published":
            return operations.resolve_published(post.id, web_address(url, required=True) or "", actor())
        if outcome == "not_published":
            return operations.resolve_unpublished(post.id, actor())
        raise ConfigError(_("say whether the post went out or not"))

    return _act(post_id, "resolved", action, url=url)


@page(blueprint, "/antrean/<int:post_id>/konfirmasi", permission="edit_posts", methods=("POST",))
def confirm(post_id: int) -> Any:
    """Staff sent a handed-off post themselves: where (optional) and to how many groups (optional)."""
    url = request.form.get("url", "")
    groups_text = request.form.get("groups", "").strip()
    operations = services().workspace.operations

    def action(post: Post) -> object:
        address = web_address(url, required=False)
        groups = None
        if groups_text:
            if not groups_text.isdigit():
                raise ConfigError(_("write how many groups or chats as a whole number, e.g. 14"))
            groups = int(groups_text)
        return operations.confirm(post.id, address, actor(), groups)

    return _act(post_id, "confirmed", action, url=url, groups=groups_text)
