"""X (Twitter): posts through tweepy's API v2 ``Client`` with OAuth 1.0a user context.

tweepy's ``Client`` creates the post, reads the account (``/2/users/me``) and its latest posts, but it
has no media upload, so images go through the channel's ``HttpClient`` signed with the same OAuth1
credentials. tweepy's calls run on that client's session too, so ``close`` releases both. tweepy
hard-codes ``https://api.twitter.com``; an adapter mounted on the session sends those requests to
the configured ``base_url`` instead (re-signing them, because an OAuth1 signature covers the host)
and applies the configured timeouts, which tweepy never sets, and the same whole-request deadline
as ``HttpClient``. A request of tweepy's that gets no complete answer is read by the same table as
every other channel's (``http.TRANSPORT_FAILURES``), redacted the same way.

X has no idempotency key. Its only guard against a double post is the 403 "duplicate content"
answer, after which ``reconcile`` looks for the text among the account's latest posts.

Engagement (``GET /2/tweets/:id``) costs money: pay-per-use bills every post read ("Posts: Read",
$0.005 a post on docs.x.com, November 2026), once a day however often that post is read. So a
channel reads nothing until its config says ``read_metrics = true``, and then at most
``metric_reads_per_day`` posts a day, counted in a small file so the budget holds across runs.

Replies are the post's conversation by recent search (``x_replies``): paid like engagement, so off
until ``read_replies = true``, then within ``reply_reads_per_day`` in the same ledger.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, partial
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, NamedTuple
from urllib.parse import urlsplit

import requests
import tweepy
from annotated_types import Ge, Gt, Le
from requests_oauthlib import OAuth1

from ..clock import Clock
from ..costs import PRICE_PER_POST, PRICE_PER_POST_WITH_LINK, Prices
from ..errors import (
    AmbiguousError,
    AuthError,
    ChannelHeld,
    ContentRejected,
    PermanentError,
    PublishError,
    RateLimited,
    ServerError,
)
from ..i18n import _, number
from ..limits import find_urls
from ..model import IncomingReply, Post
from ..redaction import redact
from .base import (
    CLOCK_SKEW,
    AccountIdentity,
    Channel,
    ChannelSettings,
    Checkpoint,
    Engagement,
    Outcome,
    OutgoingPost,
    PublishResult,
    Reconciliation,
    parse_timestamp,
)
from .figures import figures, published_id
from .http import USER_AGENT, DeadlineAdapter, HttpClient, seconds_until, transport_error
from .readbudget import DailyReadBudget
from .x_replies import PUBLIC_HOST, conversation, replies_off, search_page, searches_spent, within_reach

#: The host tweepy 4.x puts in front of every route.
TWEEPY_HOST = "https://api.twitter.com"
#: X's own wording for a repeated text (detail of a 403, sometimes a 400).
DUPLICATE_WORDING = "duplicate content"
#: Problem types of a 403 that mean the app cannot post now (its access suspended or not enrolled, its
#: write permission revoked): the channel is held, not the post failed.
_ACCOUNT_PROBLEMS = ("oauth1-permissions", "client-forbidden")
#: A 403 detail that names the post (policy on its text or media) rather than the credentials.
_ABOUT_THE_POST = re.compile(r"\b(tweets?|posts?|content|text|media)\b", re.IGNORECASE)
#: Where X's own link to a post's photo or video points (the link it appends to a post with media).
_MEDIA_LINK = re.compile(r"/status/\d+/(photo|video)/\d+$")
#: Posting quotas over a rolling day, sent on POST /2/tweets next to the 15-minute window.
_DAILY_LIMITS = ("x-user-limit-24hour", "x-app-limit-24hour")
#: USD per post read (docs.x.com pricing, "Posts: Read", per post returned; November 2026).
PRICE_PER_POST_READ = 0.005
#: X gives a post's non-public metrics only while the post is younger than this.
NON_PUBLIC_METRICS_AGE = timedelta(days=30)
#: ``public_metrics`` by the figure names outreach keeps; impressions are public now, and were
#: only in ``non_public_metrics`` before (where they are read too, for a young post).
PUBLIC_FIGURES = {
    "like_count": "likes",
    "retweet_count": "reposts",
    "reply_count": "replies",
    "quote_count": "quotes",
    "impression_count": "impressions",
}
NON_PUBLIC_FIGURES = {"impression_count": "impressions"}


@dataclass(frozen=True, kw_only=True)
class XSettings(ChannelSettings):
    type: Literal["x"]
    #: tweepy signs for this host; any other value (a test fake, a proxy) is reached by rewriting.
    base_url: str = TWEEPY_HOST
    consumer_key_env: str = "X_CONSUMER_KEY"
    consumer_secret_env: str = "X_CONSUMER_SECRET"
    access_token_env: str = "X_ACCESS_TOKEN"
    access_token_secret_env: str = "X_ACCESS_TOKEN_SECRET"
    #: How many of the account's latest posts reconcile reads.
    reconcile_window: Annotated[int, Ge(5), Le(100)] = 100
    #: USD per post without a link (X's pay-per-use credits).
    price_per_post: Annotated[float, Ge(0)] = PRICE_PER_POST
    #: USD per post that contains a URL.
    price_per_post_with_link: Annotated[float, Ge(0)] = PRICE_PER_POST_WITH_LINK
    #: Read published posts' engagement (likes, reposts…); X charges every post read.
    read_metrics: bool = False
    #: Read at most this many posts a day (UTC); a post read again that day is free.
    metric_reads_per_day: Annotated[int, Gt(0)] = 50
    #: USD per post read.
    price_per_read: Annotated[float, Ge(0)] = PRICE_PER_POST_READ
    #: Collect replies (recent search); X charges each one read.
    read_replies: bool = False
    #: Search at most this many posts' replies a day.
    reply_reads_per_day: Annotated[int, Gt(0)] = 50
    #: Pages of 100 replies per post at most.
    reply_pages_per_post: Annotated[int, Ge(1), Le(50)] = 5
    #: Where the posts read today are counted between runs.
    read_ledger_file: Path = Path("var/x-reads.json")


class _ToBaseUrl(DeadlineAdapter):
    """Sends tweepy's ``api.twitter.com`` requests to ``base_url``, re-signed, with our timeouts and deadline."""

    def __init__(self, base_url: str, auth: OAuth1, timeout: tuple[float, float]) -> None:
        super().__init__(timeout)
        self._base_url = base_url.rstrip("/")
        self._auth = auth

    def send(  # type: ignore[override]  # requests types send()'s options one by one; we pass them all on
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        if self._base_url != TWEEPY_HOST and url.startswith(TWEEPY_HOST + "/"):
            request.url = self._base_url + url[len(TWEEPY_HOST) :]
            # The old signature covers the old host; left in place, its oauth_* fields would also
            # be mixed into the new signature's base string.
            del request.headers["Authorization"]
            self._auth(request)
        return super().send(request, **kwargs)


class _Api(NamedTuple):
    client: tweepy.Client
    auth: OAuth1


class _Account(NamedTuple):
    id: str
    username: str
    name: str


class XChannel(Channel):
    platform = "x"
    settings_model = XSettings
    settings: XSettings
    engagement_unavailable: ClassVar[str | None] = None

    def __init__(self, name: str, settings: ChannelSettings, environ: Mapping[str, str], clock: Clock) -> None:
        super().__init__(name, settings, environ, clock)
        self._account_cache: _Account | None = None
        #: When a used-up 24-hour posting quota resets; no request is made before it.
        self._quota_resets_at: datetime | None = None
        self._reads = DailyReadBudget(self.settings.read_ledger_file, name, self.settings.metric_reads_per_day)
        #: The conversations searched today, beside the posts read (a key of their own in the same file).
        self._reply_reads = DailyReadBudget(
            self.settings.read_ledger_file, f"{name}:replies", self.settings.reply_reads_per_day
        )

    def open_http(self) -> HttpClient:
        return self.new_http_client(self.settings.base_url, classify=self._classify, retry_after=self._retry_after)

    @cached_property
    def _api(self) -> _Api:
        """tweepy's client, on the channel's HTTP session and signing for ``base_url``."""
        names = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        keys = {name: self.secret(name) for name in names}
        client = tweepy.Client(**keys, return_type=requests.Response)
        client.user_agent = f"{USER_AGENT} {client.user_agent}"
        client.session = self.http.session
        auth = OAuth1(keys["consumer_key"], keys["consumer_secret"], keys["access_token"], keys["access_token_secret"])
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        client.session.mount(TWEEPY_HOST + "/", _ToBaseUrl(self.settings.base_url, auth, timeout))
        return _Api(client, auth)

    def close(self) -> None:
        super().close()
        self.__dict__.pop("_api", None)  # its client rides on the session just closed

    # -- publishing ---------------------------------------------------------------------------

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        self._refuse_while_quota_used_up()
        # The username is needed for the URL; asking after the post exists could fail and make a
        # published post look failed, so ask first (once per channel).
        account = self._account()
        media_ids = [self._upload(post)] if post.image is not None else None
        where = "POST /2/tweets"
        response = self._call(
            where, lambda: self._api.client.create_tweet(text=post.text, media_ids=media_ids), safe=False
        )
        self._note_daily_quota(response.headers)
        data = _json(response)
        tweet = data.get("data") if isinstance(data, dict) else None
        tweet_id = tweet.get("id") if isinstance(tweet, dict) else None
        if not tweet_id:
            raise AmbiguousError(
                _("{name}: {where}: HTTP {status} without a post id; it may have been posted").format(
                    name=self.name, where=where, status=response.status_code
                )
            )
        return PublishResult(remote_id=str(tweet_id), url=self._public_url(account, str(tweet_id)))

    def _upload(self, post: OutgoingPost) -> str:
        """Upload one image (v2 simple upload) and attach its alt text; returns the media id.

        Both calls count as idempotent: repeating them can orphan an unused upload (X drops it after
        a day) but never creates a post.
        """
        assert post.image is not None
        image = self.read_image(post)
        uploaded = self.http.request(
            "POST",
            "/2/media/upload",
            idempotent=True,
            auth=self._api.auth,
            files={"media": (post.image.name, image.content, image.mime_type)},
            data={"media_category": "tweet_image"},
        )
        data = uploaded.body.get("data") if isinstance(uploaded.body, dict) else None
        media_id = data.get("id") if isinstance(data, dict) else None
        if not media_id:
            raise ServerError(_("{name}: POST /2/media/upload: answer without a media id").format(name=self.name))
        if post.alt_text:
            self.http.request(
                "POST",
                "/2/media/metadata",
                idempotent=True,
                auth=self._api.auth,
                json={"id": str(media_id), "metadata": {"alt_text": {"text": post.alt_text}}},
            )
        return str(media_id)

    # -- engagement ---------------------------------------------------------------------------

    def engagement(self, post: Post) -> Engagement:
        """Likes, reposts, replies, quotes and impressions from ``GET /2/tweets/:id``, where reading is on.

        The read is counted against today's budget before it is made. A post younger than 30 days is
        asked for its non-public metrics too (where X gave impressions before it made them public);
        should X refuse them, the post is read again for its public metrics alone, which X does not
        bill again that day.
        """
        if not self.settings.read_metrics:
            raise ChannelHeld(f"{self.name}: {_reading_off(self.name, self.settings)}")
        tweet_id = published_id(self.name, post)
        self._reads.spend(tweet_id, self.wall_clock.now())
        young = post.published_at is not None and self.clock.now() - post.published_at < NON_PUBLIC_METRICS_AGE
        body = self._read_tweet(tweet_id, ["public_metrics", "non_public_metrics"] if young else ["public_metrics"])
        if young and _problem(body) == "not-authorized-for-field":
            body = self._read_tweet(tweet_id, ["public_metrics"])
        data = body.get("data")
        if isinstance(data, dict):
            public = figures(data.get("public_metrics"), PUBLIC_FIGURES).counts
            return Engagement(figures(data.get("non_public_metrics"), NON_PUBLIC_FIGURES).counts | public)
        if _problem(body) == "resource-not-found":
            raise ContentRejected(
                _("{name}: post {id} is no longer on X (deleted?), so its figures cannot be read").format(
                    name=self.name, id=tweet_id
                )
            )
        raise ContentRejected(
            _("{name}: X gives no figures for post {id}: {detail}").format(
                name=self.name, id=tweet_id, detail=_detail(body) or _("no reason given")
            )
        )

    @classmethod
    def engagement_unavailable_for(cls, name: str, settings: ChannelSettings) -> str | None:
        """Reading is off until the office opts in, because every post read is paid for."""
        assert isinstance(settings, XSettings)
        return None if settings.read_metrics else _reading_off(name, settings)

    # -- replies ------------------------------------------------------------------------------

    @classmethod
    def replies_unavailable_for(cls, name: str, settings: ChannelSettings) -> str | None:
        """Collecting is off until the office opts in, because every reply read is paid for."""
        assert isinstance(settings, XSettings)
        return (
            None if settings.read_replies else replies_off(name, settings.price_per_read, settings.reply_reads_per_day)
        )

    def replies(self, post: Post) -> list[IncomingReply]:
        """The replies in the post's conversation, where collecting is on and the post is within recent
        search's reach; the search counted against today's budget first (see ``x_replies``)."""
        settings = self.settings
        if not settings.read_replies:
            raise ChannelHeld(
                f"{self.name}: {replies_off(self.name, settings.price_per_read, settings.reply_reads_per_day)}"
            )
        tweet_id = published_id(self.name, post)
        now = self.wall_clock.now()
        if not within_reach(post.published_at, now):
            return []
        try:
            self._reply_reads.spend(tweet_id, now)
        except RateLimited as error:
            raise searches_spent(self.name, settings.reply_reads_per_day, error) from error
        page = partial(search_page, self.name, self._call, self._api.client, tweet_id)
        return conversation(page, tweet_id, self._own_id(), settings.reply_pages_per_post)

    def _read_tweet(self, tweet_id: str, fields: list[str]) -> dict[str, Any]:
        where = f"GET /2/tweets/{tweet_id}"
        response = self._call(
            where, lambda: self._api.client.get_tweet(tweet_id, tweet_fields=fields, user_auth=True), safe=True
        )
        body = _json(response)
        if not isinstance(body, dict):
            raise ServerError(_("{name}: {where}: answer is not JSON").format(name=self.name, where=where))
        return body

    # -- account and reconciliation -----------------------------------------------------------

    @classmethod
    def prices_for(cls, settings: ChannelSettings) -> Prices:
        assert isinstance(settings, XSettings)
        return Prices(settings.price_per_post, settings.price_per_post_with_link)

    def check(self) -> AccountIdentity:
        self._account_cache = None
        account = self._account()
        detail = _("user id {id}").format(id=account.id)
        if account.name:
            detail = f"{account.name}, {detail}"
        if self._quota_resets_at is not None and self._quota_resets_at > self.wall_clock.now():
            resets = self._quota_resets_at.isoformat(timespec="minutes")
            detail += "; " + _("24-hour posting limit used up until {time}").format(time=resets)
        return AccountIdentity(handle=f"@{account.username}", detail=detail)

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        """Look for the post's text among the account's latest posts.

        Found → PUBLISHED with its id. Not found proves nothing: X lists a new post with a delay,
        and a request cut off mid-way may still be processed, so the answer is CANNOT_TELL. A
        refused lookup (no access to timelines on this tier) is CANNOT_TELL too; a transient
        failure is raised as such.
        """
        account = self._account()
        options: dict[str, Any] = {
            "max_results": self.settings.reconcile_window,
            "tweet_fields": ["created_at", "entities"],
            "exclude": ["replies", "retweets"],
            "user_auth": True,
        }
        if post.first_attempt_at is not None:
            # An older post with the same text is not this one.
            options["start_time"] = post.first_attempt_at - CLOCK_SKEW
        try:
            response = self._call(
                f"GET /2/users/{account.id}/tweets",
                lambda: self._api.client.get_users_tweets(account.id, **options),
                safe=True,
            )
        except PermanentError as error:
            # Lower access tiers may not read timelines at all; that settles nothing about the post.
            return Reconciliation(
                Outcome.CANNOT_TELL, detail=_("cannot read the account's posts: {error}").format(error=error)
            )
        body = _json(response)
        if not isinstance(body, dict):
            raise ServerError(
                _("{name}: GET /2/users/{id}/tweets: answer is not JSON").format(name=self.name, id=account.id)
            )
        wanted = _canonical(post.text)
        tweets = body.get("data") or []
        for tweet in tweets:
            if isinstance(tweet, dict) and tweet.get("id") and _canonical(_as_written(tweet)) == wanted:
                tweet_id = str(tweet["id"])
                return Reconciliation(
                    Outcome.PUBLISHED,
                    PublishResult(tweet_id, self._public_url(account, tweet_id)),
                    detail=_("found among @{account}'s latest posts").format(account=account.username),
                )
        return Reconciliation(
            Outcome.CANNOT_TELL,
            detail=_(
                "not among @{account}'s {count} latest posts; X lists new posts with a "
                "delay, so this does not prove it was not posted"
            ).format(account=account.username, count=len(tweets)),
        )

    def _own_id(self) -> str:
        """The account's user id: an OAuth 1.0a access token starts with it (``<id>-…``), which saves a
        request to ``/2/users/me`` per collection lane; asked there only when the token does not."""
        prefix = self.secret("access_token").split("-", 1)[0]
        return prefix if prefix.isdigit() else self._account().id

    def _account(self) -> _Account:
        """The posting account (id and username), asked once per channel."""
        if self._account_cache is None:
            where = "GET /2/users/me"
            response = self._call(where, lambda: self._api.client.get_me(user_auth=True), safe=True)
            body = _json(response)
            user = body.get("data") if isinstance(body, dict) else None
            if not isinstance(user, dict) or not user.get("id") or not user.get("username"):
                raise ServerError(
                    _("{name}: {where}: answer without the account's id and username").format(
                        name=self.name, where=where
                    )
                )
            self._account_cache = _Account(str(user["id"]), str(user["username"]), str(user.get("name", "")))
        return self._account_cache

    def _public_url(self, account: _Account, tweet_id: str) -> str:
        return f"{PUBLIC_HOST}/{account.username}/status/{tweet_id}"

    # -- errors -------------------------------------------------------------------------------

    def _call(self, where: str, call: Callable[[], requests.Response], *, safe: bool) -> requests.Response:
        """Run one tweepy call, translating tweepy's and requests' exceptions into ours."""
        where = f"{self.name}: {where}"
        try:
            return call()
        except tweepy.errors.HTTPException as error:
            raise self._classify(error.response, _json(error.response)) from error
        except requests.RequestException as error:
            raise transport_error(error, where, repeatable=safe, read_timeout=self.settings.read_timeout) from error

    def _classify(self, response: requests.Response, body: Any) -> PublishError:
        """X's error for any failed response (used for tweepy's calls and as HttpClient's hook)."""
        status = response.status_code
        where = f"{self.name}: {response.request.method} {urlsplit(response.request.url or '').path}"
        detail = _detail(body)
        message = redact(f"{where}: HTTP {status}{': ' + detail if detail else ''}")
        if status == 429:
            self._note_daily_quota(response.headers)
            return RateLimited(message, retry_after=self._retry_after(response))
        if status >= 500 or status == 408 or not isinstance(body, dict):
            # A gateway's page instead of an X problem document: X itself never answered.
            return ServerError(message)
        if DUPLICATE_WORDING in detail.lower():
            return ContentRejected(message, duplicate=True)
        if status == 402:
            # Pay-per-use: the prepaid balance is used up (title "CreditsDepleted"). Every post would
            # get the same answer, so the channel waits instead of failing them one by one.
            return ChannelHeld(
                f"{message}; "
                + _(
                    "X's API credits are used up: top up the app's credits in the X Developer Console "
                    "(console.x.com), then run `outreach channels check`"
                )
            )
        if status == 401:
            return AuthError(message)
        if status == 403:
            if _kind(body) in _ACCOUNT_PROBLEMS:
                return ChannelHeld(
                    f"{message}; " + _("the X app cannot post now (access or write permission withdrawn)")
                )
            if not _ABOUT_THE_POST.search(detail):
                return AuthError(message)
        return ContentRejected(message)

    def _retry_after(self, response: requests.Response) -> float | None:
        """Seconds until X accepts a post again: the 24-hour reset when that quota is used up."""
        now = self.wall_clock.now()
        daily_reset = _daily_quota_reset(response.headers)
        if daily_reset is not None:
            return seconds_until(daily_reset, now)
        return seconds_until(parse_timestamp(response.headers.get("x-rate-limit-reset")), now)

    def _note_daily_quota(self, headers: Any) -> None:
        reset = _daily_quota_reset(headers)
        if reset is not None and reset > self.wall_clock.now():
            self._quota_resets_at = reset

    def _refuse_while_quota_used_up(self) -> None:
        if self._quota_resets_at is None:
            return
        remaining = (self._quota_resets_at - self.wall_clock.now()).total_seconds()
        if remaining <= 0:
            self._quota_resets_at = None
            return
        raise RateLimited(
            _("{name}: X's 24-hour posting limit is used up; it resets in {hours} h").format(
                name=self.name, hours=number(remaining / 3600, 1)
            ),
            retry_after=remaining,
        )


def _kind(problem: dict[str, Any]) -> str:
    """The kind of an X problem: the last part of its ``type`` (``resource-not-found``…)."""
    return str(problem.get("type", "")).rstrip("/").rsplit("/", 1)[-1]


def _problem(body: dict[str, Any]) -> str:
    """The kind of the first error X gives about the resource asked for; empty when it gives none."""
    errors = body.get("errors")
    return _kind(errors[0]) if isinstance(errors, list) and errors and isinstance(errors[0], dict) else ""


def _daily_quota_reset(headers: Any) -> datetime | None:
    """The latest reset among the 24-hour quotas whose remaining count is 0."""
    resets = [
        parse_timestamp(headers.get(f"{prefix}-reset"))
        for prefix in _DAILY_LIMITS
        if (headers.get(f"{prefix}-remaining") or "").strip() == "0"
    ]
    return max((reset for reset in resets if reset is not None), default=None)


def _json(response: requests.Response) -> Any:
    """The decoded body, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def _detail(body: Any) -> str:
    """The one-line reason of an X problem document (``detail``, else the first error message)."""
    if not isinstance(body, dict):
        return ""
    for key in ("detail", "title"):
        if isinstance(body.get(key), str) and body[key]:
            return body[key][:300]
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or errors[0].get("detail") or "")[:300]
    return ""


def _as_written(tweet: dict[str, Any]) -> str:
    """A post's text as it was sent: X shows links as t.co and escapes &, < and >.

    A post with an image is listed with the image's own t.co link at the end of its text (its
    entity carries a ``media_key``); that link was never part of what we sent, so it goes.
    """
    text = str(tweet.get("text", ""))
    entities = tweet.get("entities")
    for url in entities.get("urls", []) if isinstance(entities, dict) else []:
        if not isinstance(url, dict) or not url.get("url"):
            continue
        if url.get("media_key") or _MEDIA_LINK.search(str(url.get("expanded_url", ""))):
            text = re.sub(rf"\s*{re.escape(str(url['url']))}\s*$", "", text)
        elif url.get("expanded_url"):
            text = text.replace(str(url["url"]), str(url["expanded_url"]))
    return html.unescape(text)


def _canonical(text: str) -> str:
    """Text compared for reconciliation: NFC, trimmed, every link without its scheme or final slash.

    X stores a bare domain as ``http://domain``; dropping schemes makes both spellings equal.
    """
    text = unicodedata.normalize("NFC", text).strip()
    parts, position = [], 0
    for url in find_urls(text):
        start, end = url["indices"]
        parts.append(text[position:start])
        parts.append(re.sub(r"^https?://", "", url["url"], flags=re.IGNORECASE).rstrip("/"))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _reading_off(name: str, settings: XSettings) -> str:
    """The line that says X reading is off, what it would cost, and how to turn it on."""
    budget = settings.metric_reads_per_day
    return _(
        "reading engagement is off, because X charges ${price} for each post read; to turn it on, set "
        "read_metrics = true in [channels.{name}] (it then reads at most {budget} posts a day, at most ${cost} "
        "a day; change metric_reads_per_day to read more or fewer)"
    ).format(
        price=number(settings.price_per_read, decimals=3),
        name=name,
        budget=number(budget),
        cost=number(budget * settings.price_per_read, decimals=2),
    )
