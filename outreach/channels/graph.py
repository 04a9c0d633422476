"""Meta's Graph API, shared by the Facebook Page and Instagram adapters.

Both platforms speak the same error vocabulary (``{"error": {"code", "error_subcode", ...}}``)
and the same usage headers, so the translation into outreach's typed errors lives here once.
The HTTP status of a Graph error says little (a throttle may come as 400 or 403, a dead token as
400), so the mapping keys on ``error.code`` and ``error_subcode``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar
from urllib.parse import quote

import requests
from annotated_types import Gt, Le

from ..errors import AuthError, ChannelHeld, ContentRejected, PublishError, RateLimited, ServerError
from ..i18n import _
from ..model import Post
from ..reasons import N_
from ..redaction import redact, register_secret
from ..settings import Check, Matches
from .base import Channel, ChannelSettings
from .http import HttpClient

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com"

#: The Graph API version outreach is written and tested against: v26.0, current since 29 July 2026
#: (https://developers.facebook.com/docs/graph-api/changelog). Each version stays usable until two
#: years after its successor came out; after that Meta silently answers calls to it as the oldest
#: usable version, so an old ``graph_version`` changes behaviour unannounced.
DEFAULT_GRAPH_VERSION = "v26.0"

#: Usage (percent of a rolling-hour limit) from which outreach stops before Meta throttles it.
SLOW_DOWN_PERCENT = 95.0

#: How long readings leave out the insights after Meta refused them: longer than one collection of
#: a month's posts, shorter than the day between collections.
ASK_INSIGHTS_AGAIN = timedelta(hours=1)

#: Throttling codes: app (4), user (17), Page (32), custom (613), app (341), IG posting limit (9),
#: and the Business Use Case limits 80000–80014 (80001 Pages, 80002 Instagram, ...).
RATE_LIMIT_CODES = frozenset({4, 9, 17, 32, 341, 613, *range(80000, 80015)})
#: Permission errors: 10 and the whole 200–299 range.
PERMISSION_CODES = frozenset({10, *range(200, 300)})
#: 102 session key invalid, 104 no token, 190 token invalid or expired.
TOKEN_CODES = frozenset({102, 104, 190})
#: 1 unknown error, 2 service unavailable; Instagram's -1 server error and -2 media download timeout.
TRANSIENT_CODES = frozenset({1, 2, -1, -2})

#: What each subcode of a code-190 error means, in words a person can act on (translated when used).
TOKEN_SUBCODES: Mapping[int, str] = {
    458: N_("the app was removed from the account that issued the token"),
    459: N_("the account is checkpointed: log in at facebook.com and complete the security check"),
    460: N_("the token was invalidated by a password change"),
    463: N_("token expired"),
    464: N_("the account that issued the token is not confirmed"),
    467: N_("token invalid (logged out or revoked)"),
    492: N_("invalid session: the person who issued the token is no longer a Page admin"),
}

#: Code 100's "Object with ID ... does not exist, cannot be loaded due to missing permissions, or does not
#: support this operation": a deleted post, or one the token cannot see.
NOT_FOUND_SUBCODE = 33

#: "You are calling a deprecated version of the ... API": a retired version, refused.
DEPRECATED_VERSION_CODE = 2635

#: Instagram's spam restriction arrives as code 4 with this subcode; it is no rate limit.
INSTAGRAM_SPAM_SUBCODE = 2207051
#: Instagram's "account inactive, checkpointed or restricted": a person must open the app.
INSTAGRAM_RESTRICTED_SUBCODE = 2207050

#: Why a post's figures or comments are not read now: Meta's hourly limits are left to posting, or the
#: post has no id on the platform (translated where raised).
_ENGAGEMENT_THROTTLED = N_(
    "{name}: Meta reports {usage} of the app's hourly rate limit used; engagement is read "
    "again in {seconds} s, leaving the rest for posting"
)
_REPLIES_THROTTLED = N_(
    "{name}: Meta reports {usage} of the app's hourly rate limit used; replies are collected "
    "again in {seconds} s, leaving the rest for posting"
)
_ENGAGEMENT_NO_ID = N_("{name}: post {id} has no id on the platform, so its figures cannot be read")
_REPLIES_NO_ID = N_("{name}: post {id} has no id on the platform, so its replies cannot be collected")

_PERMISSION_NAME = re.compile(
    r"\b(pages_[a-z_]+|instagram_[a-z_]+|read_insights|business_management|publish_video|ads_management|ads_read"
    r"|CREATE_CONTENT|MANAGE|MODERATE)\b"
)


class PermissionMissing(ChannelHeld):
    """A Graph permission error (code 10, 200–299): the token may not do this at all.

    Publishing holds the channel on it; reading engagement leaves out only the figures it guards.
    """


class InsightsWithheld(ContentRejected):
    """Meta keeps a post's insights back while too few people saw it: no figures yet, not a fault."""


@dataclass(frozen=True, kw_only=True)
class GraphSettings(ChannelSettings):
    """Keys shared by the Graph API channels."""

    #: None: the Graph API's host for the kind of token (``default_base_url``), filled in on creation.
    base_url: str | None = None
    graph_version: Annotated[str, Matches(r"^v\d+\.\d+$")] = DEFAULT_GRAPH_VERSION
    access_token_env: str
    #: For apps with 'Require App Secret': the variable holding the app secret; every call then carries
    #: appsecret_proof.
    app_secret_env: str | None = field(default=None, metadata={"example": "META_APP_SECRET"})
    #: Seconds to wait on a throttle when Meta gives no estimate (its windows roll over an hour).
    rate_limit_retry_after: Annotated[float, Gt(0)] = 900.0
    #: Engagement and replies are read only while Meta reports less than this share (percent) of the hourly rate
    #: limit used: the rest is left for posting.
    reading_usage_limit: Annotated[float, Gt(0), Le(100)] = 75.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.base_url is None:
            object.__setattr__(self, "base_url", self.default_base_url())

    def default_base_url(self) -> str:
        """The host when the config names none."""
        return DEFAULT_BASE_URL


def _absolute_url(value: str) -> str:
    """A public media base URL must be absolute: Meta fetches the file from there."""
    if not value.startswith(("http://", "https://")):
        raise ValueError(_("must be an absolute http(s) URL, e.g. https://bandarlampungkota.go.id/media/outreach"))
    return value.rstrip("/")


#: ``public_media_base_url``: where the office publishes the image files for Meta to fetch.
PublicBaseUrl = Annotated[str, Check(_absolute_url)]


def public_media_url(base_url: str, file_name: str) -> str:
    """Where Meta fetches a local image from: the base URL plus the file name."""
    return f"{base_url.rstrip('/')}/{quote(file_name)}"


def version_number(version: str) -> tuple[int, int]:
    """``v21.0`` → (21, 0), for comparing Graph API versions."""
    major, _, minor = version.lstrip("v").partition(".")
    return int(major), int(minor or 0)


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """Meta's ``appsecret_proof``: the hex HMAC-SHA256 of the access token keyed by the app secret."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def usage_percent(headers: Mapping[str, str]) -> float | None:
    """The highest share of a rate limit used, in percent, from ``X-App-Usage`` and ``X-Business-Use-Case-Usage``.

    ``X-App-Usage`` is ``{"call_count": 28, "total_time": 25, "total_cputime": 25}`` (the app's
    Platform Rate Limit); the Business Use Case header carries the same three numbers per use case
    entry. None when neither header says anything readable.
    """
    entries: list[Any] = []
    for name in ("X-App-Usage", "X-Business-Use-Case-Usage"):
        try:
            usage = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        if name == "X-App-Usage":
            entries.append(usage)
        elif isinstance(usage, dict):
            entries += [entry for listed in usage.values() if isinstance(listed, list) for entry in listed]
    shares = [
        float(value)
        for entry in entries
        if isinstance(entry, dict)
        for key in ("call_count", "total_time", "total_cputime")
        if isinstance(value := entry.get(key), (int, float)) and not isinstance(value, bool)
    ]
    return max(shares, default=None)


def business_use_case_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until access returns, from ``X-Business-Use-Case-Usage``; None when Meta gave no estimate.

    The header maps a business object id to a list of usage entries; the throttled entry carries
    ``estimated_time_to_regain_access`` in minutes (0 for entries that are not throttled).
    """
    raw = headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(usage, dict):
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access")
        for entries in usage.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    longest = max(
        (float(value) for value in minutes if isinstance(value, (int, float)) and not isinstance(value, bool)),
        default=0.0,
    )
    return longest * 60 if longest > 0 else None


@dataclass(frozen=True)
class GraphErrors:
    """Translates one channel's Graph error bodies into typed errors with a precise, short reason."""

    channel: str
    #: The permissions this channel needs, named when Meta's message does not say which is missing.
    permissions: tuple[str, ...]
    default_retry_after: float
    #: The wait for Instagram's exhausted 24-hour posting quota (code 9), which Meta gives no time for.
    quota_retry_after: float | None = None

    def retry_after(self, response: requests.Response) -> float | None:
        return business_use_case_wait(response.headers)

    def classify(self, response: requests.Response, body: Any) -> PublishError | None:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict) or not isinstance(error.get("code"), int):
            return None  # not a Graph error body: the generic HTTP mapping applies
        code: int = error["code"]
        subcode = error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
        meta_says = str(error.get("error_user_msg") or error.get("message") or "")[:200]
        trace = f", fbtrace_id {error['fbtrace_id']}" if error.get("fbtrace_id") else ""
        label = f"Graph error {code}{f'/{subcode}' if subcode is not None else ''}{trace}"

        def message(reason: str) -> str:
            return redact(f"{self.channel}: {reason} ({label}): {meta_says}")

        if code in TOKEN_CODES:
            reason = TOKEN_SUBCODES.get(
                subcode or 0, N_("token invalid") if code != 104 else N_("no access token sent")
            )
            return AuthError(message(_("{reason}; issue a new token").format(reason=_(reason))))
        if code == 100 and "appsecret_proof" in meta_says:
            # Meta's words for a missing or wrong proof: the app has "Require App Secret" switched on.
            return AuthError(
                message(
                    _("the app requires appsecret_proof; set app_secret_env to the variable holding the app secret")
                )
            )
        if code == 100 and subcode == NOT_FOUND_SUBCODE:
            return ContentRejected(message(_("not found: deleted, or not visible to this token")))
        if code == DEPRECATED_VERSION_CODE:
            return AuthError(message(_("this Graph API version is no longer served; remove graph_version")))
        # The account cannot post now, whatever the post: the channel is held, not each post failed.
        if subcode == INSTAGRAM_RESTRICTED_SUBCODE:
            return ChannelHeld(message(_("the Instagram account is inactive or restricted; sign in to the app")))
        if code == 10 and "not enough viewers" in meta_says.lower():
            return InsightsWithheld(message(_("too few viewers for Meta to show insights yet")))
        if code in PERMISSION_CODES:
            named = sorted(set(_PERMISSION_NAME.findall(meta_says)))
            needed = ", ".join(named) if named else _("one of {names}").format(names=", ".join(self.permissions))
            return PermissionMissing(message(_("permission missing: {names}").format(names=needed)))
        if code == 368 or subcode == INSTAGRAM_SPAM_SUBCODE:
            # Meta judged the action abusive and blocks it for an unstated time (hours to days).
            # Retrying on a timer would repeat the behaviour that triggered the block and can
            # lengthen it, and a government account should not argue with a spam filter by
            # brute force: a person must read the notice (Page Quality / Account Status) first.
            return ContentRejected(message(_("temporarily blocked by Meta as possibly abusive; a person must review")))
        if code in RATE_LIMIT_CODES:
            wait = business_use_case_wait(response.headers)
            said = _("rate limited; Meta estimates access back in {seconds} s")
            if wait is None:
                wait = self.quota_retry_after if code == 9 and self.quota_retry_after else self.default_retry_after
                said = _("rate limited; no estimate from Meta, retry in {seconds} s")
            return RateLimited(message(said.format(seconds=f"{wait:.0f}")), wait)
        if code == 506:
            return ContentRejected(message(_("duplicate post")), duplicate=True)
        if code in TRANSIENT_CODES or error.get("is_transient") is True:
            return ServerError(message(_("temporary failure at Meta")))
        if code == 9007:
            return ServerError(message(_("the media container is not ready to publish")))
        if response.status_code >= 500:
            return ServerError(message(_("failure at Meta")))
        return ContentRejected(message(_("refused")))


class GraphChannel(Channel):
    """What the Facebook and Instagram channels share: the client, appsecret_proof, usage, version."""

    settings: GraphSettings
    #: The permissions the channel needs, named when Meta's error does not say which is missing.
    permissions: ClassVar[tuple[str, ...]]
    #: The highest usage Meta reported in its latest answer (percent of a rolling-hour limit), and when.
    _usage: float | None = None
    _usage_seen_at: datetime = datetime.min.replace(tzinfo=UTC)

    def quota_retry_after(self) -> float | None:
        """The wait after an exhausted posting quota (code 9); None: the general throttle wait."""
        return None

    def access_token(self) -> str:
        """The token the calls carry."""
        return self.secret("access_token")

    def open_http(self) -> HttpClient:
        """A client for ``{base_url}/{graph_version}``, sending the token as a Bearer header.

        The header, not the ``access_token`` query parameter, keeps the token out of every URL that
        a proxy, urllib3's debug log or an error message could print. With ``app_secret_env``,
        every call carries ``appsecret_proof`` (https://developers.facebook.com/docs/graph-api/securing-requests).
        """
        settings = self.settings
        assert settings.base_url is not None
        errors = GraphErrors(self.name, self.permissions, settings.rate_limit_retry_after, self.quota_retry_after())
        client = self.new_http_client(
            f"{settings.base_url.rstrip('/')}/{settings.graph_version}",
            classify=errors.classify,
            retry_after=errors.retry_after,
        )
        token = self.access_token()
        client.session.headers["Authorization"] = f"Bearer {token}"
        if settings.app_secret_env:
            proof = appsecret_proof(token, self.secret("app_secret"))
            register_secret(proof)
            client.session.params = {"appsecret_proof": proof}
        client.session.hooks["response"].append(self._note_usage)
        return client

    def _note_usage(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Remember how close a successful answer says the app is to a throttle, and when.

        A refused answer's own wait (a throttle's retry-after) already decides when to try again: its
        usage is not kept, so the retry at that time is not held back a second time.
        """
        self._usage = usage_percent(response.headers) if response.ok else None
        self._usage_seen_at = self.clock.now()  # a wait of our own choosing: business time, like the retry

    def refuse_when_near_throttle(self) -> None:
        """RateLimited before a post is sent when Meta's latest answer put usage near 100 %.

        Meta throttles every call once a rolling-hour limit is reached, and a throttle's wait grows
        with the calls made meanwhile: stopping first costs one post's delay, not an hour of them
        (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
        """
        wait = self._throttle_wait(SLOW_DOWN_PERCENT)
        if wait is not None:
            raise RateLimited(
                _(
                    "{name}: Meta reports {usage} of the app's hourly rate limit used; "
                    "waiting {seconds} s before posting so that Meta does not throttle the app"
                ).format(name=self.name, usage=f"{self._usage:g} %", seconds=f"{wait:g}"),
                retry_after=wait,
            )

    def _throttle_wait(self, limit: float) -> float | None:
        """How long to hold back while Meta's latest answer put usage at ``limit`` percent or more; None: go on."""
        wait = self.settings.rate_limit_retry_after
        if self._usage is None or self._usage < limit:
            return None
        waited = (self.clock.now() - self._usage_seen_at).total_seconds()
        if waited >= wait:
            # The usage is over a rolling hour: after the wait, the next answer tells it afresh.
            self._usage = None
            return None
        return wait - waited

    # -- engagement -----------------------------------------------------------------------------

    #: Insights metric -> figure (``model.METRIC_NAMES``), read only with ``insights_permission``.
    insights_metrics: ClassVar[Mapping[str, str]]
    #: The figures every token with the channel's own permissions reads, for ``engagement_access``.
    public_figures: ClassVar[str]
    engagement_unavailable = None
    #: When Meta last refused this token the insights: readings leave them out without asking until
    #: ``ASK_INSIGHTS_AGAIN`` has passed (a daemon learns of a permission granted since).
    _insights_refused_at: datetime | None = None

    def insights_permission(self) -> str:
        """The permission the insights need, as Meta names it for this token's kind of login."""
        raise NotImplementedError

    def insights_probe(self) -> tuple[str, dict[str, str]]:
        """A call (path, parameters) that only the insights permission allows, for ``engagement_access``."""
        raise NotImplementedError

    def read_node(self, post: Post, fields: str) -> tuple[str, dict[str, Any]]:
        """The published post's id and its node with ``fields``, read only while posting keeps its share.

        Meta's hourly limits are shared by every call the app makes for the Page or account: reading
        stops at ``reading_usage_limit`` percent so that the posts due later still go out.
        """
        remote_id = self._may_read(post, _ENGAGEMENT_THROTTLED, _ENGAGEMENT_NO_ID)
        body = self.http.request("GET", remote_id, params={"fields": fields}).body
        if not isinstance(body, dict):
            raise ServerError(_("{name}: Meta answered without the post's figures").format(name=self.name))
        return remote_id, body

    def _may_read(self, post: Post, throttled: str, no_id: str) -> str:
        """The published post's id, once reading it leaves posting its share of Meta's hourly limits.

        ``throttled`` and ``no_id`` say what is read (the figures, the comments) in the two refusals.
        """
        wait = self._throttle_wait(self.settings.reading_usage_limit)
        if wait is not None:
            raise RateLimited(
                _(throttled).format(name=self.name, usage=f"{self._usage:g} %", seconds=f"{wait:g}"),
                retry_after=wait,
            )
        if not post.remote_id:
            raise ContentRejected(_(no_id).format(name=self.name, id=post.id))
        return post.remote_id

    def insight_figures(self, object_id: str) -> dict[str, int]:
        """The insights of a post, or none when the token may not read them or Meta withholds them yet.

        A missing permission is not a failed reading: the public figures stand, ``channels check``
        says which permission to grant, and the rest of the collection does not ask again.
        """
        refused = self._insights_refused_at
        if refused is not None and self.clock.now() - refused < ASK_INSIGHTS_AGAIN:
            return {}
        try:
            body = self.http.request(
                "GET", f"{object_id}/insights", params={"metric": ",".join(self.insights_metrics)}
            ).body
        except PermissionMissing as error:
            self._insights_refused_at = self.clock.now()
            log.info("%s: reach and views left out: %s", self.name, error)
            return {}
        except InsightsWithheld:
            return {}
        return insight_values(body, self.insights_metrics)

    def engagement_access(self) -> list[str]:
        """A line when the token may not read insights, and one when it may not read comments (the
        replies collection), each naming the permission to grant."""
        lines = []
        path, params = self.insights_probe()
        try:
            self.http.request("GET", path, params=params)
        except PermissionMissing:
            lines.append(
                _(
                    "reach and views are not read: the token lacks the {permission} permission; issue a new token "
                    "that includes it ({public} are read without it)"
                ).format(permission=self.insights_permission(), public=_(self.public_figures))
            )
        latest = self.latest_post_id()
        if latest is not None:
            try:
                self.http.request("GET", f"{latest}/comments", params={"fields": "id", "limit": "1"})
            except PermissionMissing:
                lines.append(self._comments_refused_line())
        return lines

    # -- replies --------------------------------------------------------------------------------

    replies_unavailable = None
    #: When Meta last refused this token the comments: the collection leaves them out without asking
    #: until ``ASK_INSIGHTS_AGAIN`` has passed, as for the insights.
    _comments_refused_at: datetime | None = None

    def latest_post_id(self) -> str | None:
        """The id of the account's newest post, whose comments ``engagement_access`` asks for; None: none yet."""
        raise NotImplementedError

    def comments_permissions(self) -> tuple[str, ...]:
        """The permissions reading comments needs, as Meta names them for this token's kind of login."""
        raise NotImplementedError

    def _comments_refused_line(self) -> str:
        return _(
            "replies (comments) are not collected: the token lacks the {permissions} permission; issue a new "
            "token that includes it"
        ).format(permissions=" + ".join(self.comments_permissions()))

    def read_comments(self, post: Post, params: Mapping[str, str], pages: int) -> list[dict[str, Any]] | None:
        """Every comment under the published post, following Meta's cursors for at most ``pages`` pages;
        None when the token may not read comments (``channels check`` says which permission to grant).

        Read only while posting keeps its share of Meta's hourly limits, as the engagement is.
        """
        self._may_read(post, _REPLIES_THROTTLED, _REPLIES_NO_ID)
        refused = self._comments_refused_at
        if refused is not None and self.clock.now() - refused < ASK_INSIGHTS_AGAIN:
            return None
        comments: list[dict[str, Any]] = []
        after: str | None = None
        for _page in range(pages):
            try:
                body = self.http.request(
                    "GET", f"{post.remote_id}/comments", params={**params, **({"after": after} if after else {})}
                ).body
            except PermissionMissing as error:
                self._comments_refused_at = self.clock.now()
                log.info("%s: replies not collected: %s", self.name, error)
                return None
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise ServerError(_("{name}: Meta answered without the post's comments").format(name=self.name))
            comments += [item for item in data if isinstance(item, dict) and body_string(item, "id")]
            after = next_cursor(body)
            if after is None:
                break
        return comments

    def warnings(self) -> list[str]:
        """What ``channels check`` should point out about the configuration (no network)."""
        configured = self.settings.graph_version
        if version_number(configured) < version_number(DEFAULT_GRAPH_VERSION):
            return [
                _(
                    "graph_version {configured} is older than {default}, the version outreach is tested "
                    "with; Meta retires old versions (see docs/channels/facebook.md), remove graph_version to use "
                    "{default}"
                ).format(configured=configured, default=DEFAULT_GRAPH_VERSION)
            ]
        return []

    def with_warnings(self, detail: str, more: Iterable[str] = ()) -> str:
        """``detail`` followed by this channel's warnings, for an AccountIdentity."""
        return "; ".join([detail, *(_("warning: {line}").format(line=line) for line in [*self.warnings(), *more])])


def body_string(body: Any, key: str) -> str | None:
    """``body[key]`` as a non-empty string (Graph ids come as strings, sometimes as numbers)."""
    value = body.get(key) if isinstance(body, dict) else None
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "" else None


def next_cursor(body: Any) -> str | None:
    """The ``after`` cursor of a Graph list's next (older) page, or None on the last page.

    The cursor, not ``paging.next``: Meta's next URL carries the access token in its query string.
    """
    paging = body.get("paging") if isinstance(body, dict) else None
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return after if isinstance(after, str) and after else None


def count(value: Any) -> int | None:
    """A count as Meta gives it (a non-negative integer), or None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def insight_values(body: Any, names: Mapping[str, str]) -> dict[str, int]:
    """Figures from an ``/insights`` answer: each metric's lifetime value (``values``, or ``total_value``).

    Meta answers an empty ``data`` while it has nothing to show (a new post, a small Page): no
    figure then, rather than a 0 that nobody counted.
    """
    data = body.get("data") if isinstance(body, dict) else None
    figures: dict[str, int] = {}
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict) or entry.get("name") not in names:
            continue
        values = entry.get("values")
        latest = values[-1] if isinstance(values, list) and values and isinstance(values[-1], dict) else None
        total = entry.get("total_value")
        value = latest.get("value") if latest else None
        if value is None and isinstance(total, dict):
            value = total.get("value")
        figure = count(value)
        if figure is not None:
            figures[names[entry["name"]]] = figure
    return figures
