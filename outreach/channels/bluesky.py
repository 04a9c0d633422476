"""Bluesky: one ``app.bsky.feed.post`` record per post, in the account's repository on its PDS.

Exactly-once rests on the record key. Before the first write the adapter picks a TID rkey, builds
the complete record (text, link and hashtag facets, embed, createdAt) and checkpoints both; the
first write is ``createRecord`` with that rkey, and every later one is ``putRecord`` with the
byte-identical record — a no-op when the first write went through, the post when it did not.
``reconcile`` asks for the record at that rkey, so the answer is proof either way.

The session lives in a file of its own (never in the store), readable only by its owner, so that
each ``run --once`` reuses it instead of spending ``createSession``'s daily quota; it is refreshed
before it expires, and a fresh login happens only when the refresh is refused. After login every
call goes to the account's own PDS, named by the DID document the login returns.

Engagement is read from Bluesky's public AppView (``app.bsky.feed.getPosts``), which needs no
session: collecting figures never spends a login nor renews the session publishing relies on.

Replies are read there too, from the post's thread (``bluesky_thread``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import regex
import requests
from annotated_types import Ge, Gt, Le, MaxLen, MinLen

from ..clock import Clock
from ..errors import (
    AmbiguousError,
    AuthError,
    ChannelHeld,
    ContentRejected,
    PermanentError,
    PublishError,
    ServerError,
)
from ..i18n import _
from ..limits import find_urls
from ..media import ImageFile
from ..model import IncomingReply, Post
from ..redaction import register_secret
from .base import (
    AccountIdentity,
    Capabilities,
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
from .bluesky_thread import PostNotFound, ThreadReader, xrpc_url
from .figures import figures, published_id
from .http import HttpClient, HttpResponse, retry_after_seconds, seconds_until
from .statefile import load_private_json, save_private_json

log = logging.getLogger(__name__)

COLLECTION = "app.bsky.feed.post"
#: ``app.bsky.embed.external``'s ``thumb``: an image blob of at most this many bytes.
MAX_THUMB_BYTES = 1_000_000
#: Renew the session when its access token has less than this left (it lasts about two hours).
ACCESS_TOKEN_MARGIN = timedelta(minutes=5)
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
#: Bluesky's own hashtag rule (@atproto/api rich text): ``#`` at the start or after a space, not only digits.
_HASHTAG = regex.compile(  # the full-width sign counts too, as in Bluesky's app
    rf"(?:^|(?<=\s))[#＃]((?!\ufe0f)[^\s{_INVISIBLE}]*[^\d\s\p{{P}}{_INVISIBLE}]+[^\s{_INVISIBLE}]*)"  # noqa: RUF001
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
MAX_TAG_LENGTH = 64
#: A post view's counts (``app.bsky.feed.defs#postView``), by the figure names outreach keeps.
POST_VIEW_FIGURES = {"likeCount": "likes", "repostCount": "reposts", "replyCount": "replies", "quoteCount": "quotes"}


@dataclass(frozen=True, kw_only=True)
class BlueskySettings(ChannelSettings):
    type: Literal["bluesky"]
    #: The account's PDS (bsky.social for most).
    base_url: str = "https://bsky.social"
    #: The account's handle, e.g. kominfo.bandarlampungkota.go.id
    handle: str
    app_password_env: str = "BLUESKY_APP_PASSWORD"
    #: ISO 639 code of the posts.
    language: Annotated[str, MinLen(2), MaxLen(3)] = "id"
    #: Override the 3000-byte cap on a post's text.
    max_text_bytes: Annotated[int, Gt(0)] | None = None
    #: Where post URLs point.
    web_url: str = "https://bsky.app"
    #: Bluesky's public AppView, where a post's likes, reposts, replies and quotes are read (no login).
    appview_url: str = "https://public.api.bsky.app"
    #: Reply levels asked for at once when replies are collected; deeper branches are asked again.
    reply_depth: Annotated[int, Ge(1), Le(1000)] = 10
    #: Where the login session is kept between runs (owner-only file); one per Bluesky channel.
    session_file: Path = Path("var/bluesky-session.json")


class _SessionExpired(AuthError):
    """The PDS refused the access token as expired or invalid: renew the session and repeat the call."""


class RecordNotFound(PermanentError):
    """The PDS has no record where one was asked for (the XRPC error ``RecordNotFound``).

    An answer, not a refusal: ``reconcile`` reads it as "not published". Anywhere else a retry
    cannot change it, so it is permanent (the post fails with this reason) — but not
    ``ContentRejected``: nothing was wrong with the post's content.
    """


class _RecordExists(PermanentError):
    """``putRecord`` with ``swapRecord: null`` found a record at the rkey (the XRPC error ``InvalidSwap``).

    Only ``_rewrite`` asks for that, and reads it as "an earlier attempt's write went through".
    """


@dataclass(frozen=True)
class _Session:
    access_jwt: str
    refresh_jwt: str
    did: str
    handle: str
    #: The account's own server, from the DID document's ``#atproto_pds`` service.
    pds: str
    #: Until when each token is good by our own clock (its lifetime counted from when we got it, so
    #: a clock that disagrees with the PDS's does not matter); empty when the token does not say.
    access_until: str
    refresh_until: str


class BlueskyChannel(Channel):
    platform = "bluesky"
    settings_model = BlueskySettings
    settings: BlueskySettings
    engagement_unavailable: ClassVar[str | None] = None
    replies_unavailable: ClassVar[str | None] = None

    def __init__(self, name: str, settings: ChannelSettings, environ: Mapping[str, str], clock: Clock) -> None:
        super().__init__(name, settings, environ, clock)
        self._session: _Session | None = None
        self._sessions = SessionFile(self.settings.session_file, self.settings.base_url, self.settings.handle)

    def open_http(self) -> HttpClient:
        return self.new_http_client(self.settings.base_url, classify=self._classify, retry_after=self._rate_limit_wait)

    @classmethod
    def capabilities_for(cls, settings: ChannelSettings) -> Capabilities:
        capabilities = super().capabilities_for(settings)
        assert isinstance(settings, BlueskySettings)
        if settings.max_text_bytes is not None:
            capabilities = replace(
                capabilities, text_limit=replace(capabilities.text_limit, maximum_utf8_bytes=settings.max_text_bytes)
            )
        return capabilities

    def deliver(self, post: OutgoingPost, checkpoint: Checkpoint) -> PublishResult:
        state = post.channel_state
        if "rkey" in state and "record" in state:
            return self._rewrite(post, state, checkpoint)
        session = self._current_session()
        record = self._build_record(post)
        rkey = new_tid()
        checkpoint({"repo": session.did, "rkey": rkey, "record": record, "pds": session.pds})
        response = self._xrpc(
            "POST",
            "com.atproto.repo.createRecord",
            json={"repo": session.did, "collection": COLLECTION, "rkey": rkey, "record": record},
            idempotent=False,
        )
        return self._result(response, rkey)

    def reconcile(self, post: OutgoingPost) -> Reconciliation:
        """Look the checkpointed rkey up with ``getRecord`` on the account's PDS (public: needs no session)."""
        state = post.channel_state
        if "rkey" not in state:
            return Reconciliation(Outcome.NOT_PUBLISHED, detail=_("no record was prepared, so none was ever sent"))
        try:
            response = self.http.request(
                "GET",
                xrpc_url(state.get("pds") or self.settings.base_url, "com.atproto.repo.getRecord"),
                params={"repo": state["repo"], "collection": COLLECTION, "rkey": state["rkey"]},
            )
        except RecordNotFound:
            return Reconciliation(
                Outcome.NOT_PUBLISHED, detail=_("the PDS has no record at rkey {rkey}").format(rkey=state["rkey"])
            )
        return Reconciliation(
            Outcome.PUBLISHED, self._result(response, state["rkey"]), detail=_("the record exists at its rkey")
        )

    def check(self) -> AccountIdentity:
        """Log in afresh (proves the app password) and ask the account's PDS who that session is."""
        pds = self._login().pds
        session = self._xrpc("GET", "com.atproto.server.getSession").body
        if not isinstance(session, dict) or not session.get("handle") or not session.get("did"):
            raise ServerError(_("{name}: unexpected answer from getSession").format(name=self.name))
        if session.get("active") is False:
            raise ChannelHeld(
                _("{name}: the account is not active ({status})").format(
                    name=self.name, status=session.get("status", "deactivated")
                )
            )
        return AccountIdentity(
            handle=f"@{session['handle']}",
            detail=_("{did} on {pds}; session kept in {file}").format(
                did=session["did"], pds=pds, file=self.settings.session_file
            ),
        )

    def engagement(self, post: Post) -> Engagement:
        """Likes, reposts, replies and quotes from the post's public view, without the session.

        The public AppView needs no login, so reading never spends one of the account's few logins
        a day, nor renews the session: its refresh token is single-use, and a collector renewing it
        while the publisher does would force a new login. A post the AppView leaves out of its
        answer has been deleted or taken down.
        """
        uri = published_id(self.name, post)
        body = self.http.request(
            "GET", xrpc_url(self.settings.appview_url, "app.bsky.feed.getPosts"), params={"uris": uri}
        ).body
        views = body.get("posts") if isinstance(body, dict) else None
        if not isinstance(views, list):
            raise ServerError(_("{name}: unexpected answer from getPosts").format(name=self.name))
        view = next((view for view in views if isinstance(view, dict) and view.get("uri") == uri), None)
        if view is None:
            raise ContentRejected(
                _(
                    "{name}: {uri} is not in Bluesky's public view any more (deleted or taken down), "
                    "so its figures cannot be read"
                ).format(name=self.name, uri=uri)
            )
        return figures(view, POST_VIEW_FIGURES)

    def replies(self, post: Post) -> list[IncomingReply]:
        """Every reply in the post's public thread, at any depth, the office's own answers included;
        read without the session, like engagement (see ``bluesky_thread``)."""
        reader = ThreadReader(self.name, self.http, self.settings.appview_url, self.settings.web_url)
        return reader.replies(published_id(self.name, post), self.settings.reply_depth)

    # --- records ------------------------------------------------------------------------------

    def token_expires_at(self) -> datetime | None:
        """When the kept session's refresh token expires: after that the next post logs in again."""
        session = self._sessions.load()
        try:
            return datetime.fromisoformat(session.refresh_until) if session and session.refresh_until else None
        except ValueError:
            return None

    def _build_record(self, post: OutgoingPost) -> dict[str, Any]:
        """The complete record, stamped with this attempt's time.

        With a link: a link card (the innovation's name and summary, its image as thumbnail when
        the image fits a thumbnail). With an image and no link, or an image too large to be a
        thumbnail: the image, with its alt text and aspect ratio.
        """
        record: dict[str, Any] = {
            "$type": COLLECTION,
            "text": post.text,
            "createdAt": self.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "langs": [self.settings.language],
        }
        facets = build_facets(post.text)
        if facets:
            record["facets"] = facets
        image = self.read_image(post) if post.image is not None else None
        if post.link and (image is None or image.size <= MAX_THUMB_BYTES):
            external: dict[str, Any] = {
                "uri": post.link,
                "title": str(post.innovation.get("nama") or post.link),
                "description": str(post.innovation.get("ringkasan") or ""),
            }
            if image is not None:
                external["thumb"] = self._upload_blob(image)
            record["embed"] = {"$type": "app.bsky.embed.external", "external": external}
        elif image is not None:
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [
                    {
                        "image": self._upload_blob(image),
                        "alt": post.alt_text or "",
                        "aspectRatio": {"width": image.width, "height": image.height},
                    }
                ],
            }
        return record

    def _rewrite(self, post: OutgoingPost, state: Mapping[str, Any], checkpoint: Checkpoint) -> PublishResult:
        """A later attempt: write at the checkpointed rkey only if nothing is there yet.

        ``putRecord`` with ``swapRecord: null`` creates the record or refuses with ``InvalidSwap``
        when one exists, in one step on the PDS. So a record an earlier attempt did write is kept
        as it is, and a post proven never created goes out with this attempt's ``createdAt`` (the
        AppView sorts by the earlier of ``createdAt`` and indexing, so a stale time would bury it).
        The images are uploaded again: the PDS may drop a blob no record refers to.
        """
        record = self._build_record(post)
        checkpoint({"record": record})
        try:
            response = self._xrpc(
                "POST",
                "com.atproto.repo.putRecord",
                json={
                    "repo": state["repo"],
                    "collection": COLLECTION,
                    "rkey": state["rkey"],
                    "record": record,
                    "swapRecord": None,
                },
                idempotent=False,
            )
        except _RecordExists:
            return self._published(state["repo"], state["rkey"])
        return self._result(response, state["rkey"])

    def _upload_blob(self, image: ImageFile) -> dict[str, Any]:
        """Upload an image; creates no post, so a failure is never ambiguous."""
        body = self._xrpc(
            "POST",
            "com.atproto.repo.uploadBlob",
            data=image.content,
            headers={"Content-Type": image.mime_type},
            idempotent=True,
        ).body
        blob = body.get("blob") if isinstance(body, dict) else None
        if not isinstance(blob, dict):
            raise ServerError(_("{name}: the answer to the image upload has no blob").format(name=self.name))
        return blob

    def _result(self, response: HttpResponse, rkey: str) -> PublishResult:
        uri = response.body.get("uri") if isinstance(response.body, dict) else None
        if not isinstance(uri, str):
            raise AmbiguousError(
                _("{name}: the PDS answer has no record URI; it may have been posted").format(name=self.name)
            )
        return PublishResult(remote_id=uri, url=self._post_url(rkey))

    def _published(self, repo: str, rkey: str) -> PublishResult:
        return PublishResult(remote_id=f"at://{repo}/{COLLECTION}/{rkey}", url=self._post_url(rkey))

    def _post_url(self, rkey: str) -> str:
        handle = self._session.handle if self._session else self.settings.handle
        return f"{self.settings.web_url.rstrip('/')}/profile/{handle}/post/{rkey}"

    # --- session ------------------------------------------------------------------------------

    def _xrpc(self, method: str, nsid: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> HttpResponse:
        """An authenticated call to the account's PDS. An expired access token is renewed once and
        the call repeated: the PDS refused the first call before acting on it."""

        def call(session: _Session) -> HttpResponse:
            return self.http.request(
                method,
                xrpc_url(session.pds, nsid),
                headers={**(headers or {}), **_bearer(session.access_jwt)},
                **kwargs,
            )

        session = self._current_session()
        try:
            return call(session)
        except _SessionExpired:
            return call(self._renew(session))

    def _current_session(self) -> _Session:
        """This process's session, else the one kept in the session file, renewed if it is about to
        expire; a login only when there is none."""
        session = self._session or self._sessions.load()
        if session is None:
            return self._login()
        self._session = session
        if _past(session.access_until, self.wall_clock.now() + ACCESS_TOKEN_MARGIN):
            return self._renew(session)
        return session

    def _login(self) -> _Session:
        response = self.http.request(
            "POST",
            "/xrpc/com.atproto.server.createSession",
            json={"identifier": self.settings.handle, "password": self.secret("app_password")},
            idempotent=True,
        )
        return self._adopt(response.body)

    def _renew(self, session: _Session) -> _Session:
        """Refresh the session at the entryway that issued it (the refresh token is single-use: the
        answer carries the next one); when the refresh token has expired or is refused, log in again."""
        if _past(session.refresh_until, self.wall_clock.now()):
            return self._login()
        try:
            response = self.http.request(
                "POST", "/xrpc/com.atproto.server.refreshSession", headers=_bearer(session.refresh_jwt), idempotent=True
            )
        except AuthError:
            return self._login()
        return self._adopt(response.body, pds=session.pds)

    def _adopt(self, body: Any, pds: str | None = None) -> _Session:
        """Take a session from a login or refresh answer, and keep it in the session file."""
        fields = ("accessJwt", "refreshJwt", "did", "handle")
        if not isinstance(body, dict) or not all(isinstance(body.get(key), str) for key in fields):
            raise ServerError(_("{name}: the PDS answered the login without a complete session").format(name=self.name))
        register_secret(body["accessJwt"])
        register_secret(body["refreshJwt"])
        pds = pds_endpoint(body.get("didDoc"), body["did"]) or pds or self.settings.base_url
        now = self.wall_clock.now()
        self._session = _Session(
            body["accessJwt"],
            body["refreshJwt"],
            body["did"],
            body["handle"],
            pds.rstrip("/"),
            access_until=_good_until(body["accessJwt"], now),
            refresh_until=_good_until(body["refreshJwt"], now),
        )
        self._sessions.save(self._session)
        return self._session

    def _classify(self, response: requests.Response, body: Any) -> PublishError | None:
        """The XRPC error names that mean something other than their HTTP status."""
        error = body.get("error") if isinstance(body, dict) else None
        if error in ("ExpiredToken", "InvalidToken"):
            return _SessionExpired(
                _("{name}: the PDS refused the session token ({error})").format(name=self.name, error=error)
            )
        if error == "RecordNotFound":
            return RecordNotFound(_("{name}: no such record").format(name=self.name))
        if error == "NotFound":
            return PostNotFound(_("{name}: no such post").format(name=self.name))
        if error == "InvalidSwap":
            return _RecordExists(_("{name}: a record already exists at this rkey").format(name=self.name))
        if error in ("AccountTakedown", "AccountDeactivated"):
            # Suspended or deactivated: every post would meet it, so the channel is held.
            return ChannelHeld(_("{name}: the account cannot post ({error})").format(name=self.name, error=error))
        if error == "AuthFactorTokenRequired":
            return AuthError(
                _("{name}: the login needs a second factor; use an app password ({error})").format(
                    name=self.name, error=error
                )
            )
        return None

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        """Retry-After when the PDS sends it, else the RateLimit-Reset time (Unix seconds)."""
        now = self.wall_clock.now()
        wait = retry_after_seconds(response.headers.get("Retry-After"), now)
        return (
            wait if wait is not None else seconds_until(parse_timestamp(response.headers.get("RateLimit-Reset")), now)
        )


class SessionFile:
    """The session kept between runs: a JSON file readable only by its owner, written atomically.

    It names the entryway and the identifier it was made for, so that a changed ``base_url`` or
    ``handle`` starts a new login instead of using another account's tokens. A file that cannot be
    read, or that others could read, is not used (the next login replaces it).
    """

    def __init__(self, path: Path, entryway: str, identifier: str) -> None:
        self.path = path
        self._owner = {"entryway": entryway.rstrip("/"), "identifier": identifier}

    def load(self) -> _Session | None:
        kept = load_private_json(self.path, "session")
        if kept is None or any(kept.get(key) != value for key, value in self._owner.items()):
            return None
        try:
            session = _Session(**{name: kept[name] for name in _Session.__dataclass_fields__})
        except (KeyError, TypeError):
            return None
        if not all(isinstance(value, str) for value in asdict(session).values()):
            return None
        register_secret(session.access_jwt)
        register_secret(session.refresh_jwt)
        return session

    def save(self, session: _Session) -> None:
        """Replace the file in one step with a new one made owner-only from the start."""
        try:
            save_private_json(self.path, {**self._owner, **asdict(session)})
        except OSError as error:
            # Posting goes on; only the next run has to log in again.
            log.warning("%s: cannot keep the session (%s); the next run logs in again", self.path, error)


def pds_endpoint(did_document: Any, did: str) -> str | None:
    """The ``#atproto_pds`` service endpoint of a DID document about ``did``; None when it names none."""
    if not isinstance(did_document, dict) or did_document.get("id") != did:
        return None
    for service in did_document.get("service") or []:
        if not isinstance(service, dict):
            continue
        if str(service.get("id", "")).removeprefix(did) == "#atproto_pds":
            endpoint = service.get("serviceEndpoint")
            if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")):
                return endpoint
    return None


def _good_until(token: str, received: datetime) -> str:
    """When a JWT received at ``received`` stops being good by our clock: its lifetime (``exp`` minus
    ``iat``) from then, as ISO 8601; empty when the token carries no readable lifetime."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        lifetime = timedelta(seconds=float(claims["exp"]) - float(claims["iat"]))
    except (IndexError, KeyError, TypeError, ValueError, binascii.Error, OverflowError):
        return ""
    return (received + lifetime).isoformat()


def _past(until: str, moment: datetime) -> bool:
    """Whether a ``_good_until`` time lies before ``moment``; False when it is unknown."""
    try:
        return bool(until) and datetime.fromisoformat(until) < moment
    except ValueError:
        return False


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def build_facets(text: str) -> list[dict[str, Any]]:
    """Link facets for every URL (a missing scheme becomes https://) and tag facets for hashtags.

    Bluesky detects neither by itself. Offsets are UTF-8 byte positions into ``text``, start
    inclusive and end exclusive, so emoji and accented letters before a link move it by their bytes.
    """
    facets: list[dict[str, Any]] = []
    for url in find_urls(text):
        start, end = url["indices"]
        uri = url["url"] if "://" in url["url"] else f"https://{url['url']}"
        facets.append(_facet(text, start, end, {"$type": "app.bsky.richtext.facet#link", "uri": uri}))
    for found in _HASHTAG.finditer(text):
        tag = _TRAILING_PUNCTUATION.sub("", found.group(1))
        if not tag or len(tag) > MAX_TAG_LENGTH:
            continue
        start = found.start()
        facets.append(_facet(text, start, start + 1 + len(tag), {"$type": "app.bsky.richtext.facet#tag", "tag": tag}))
    return sorted(facets, key=lambda facet: facet["index"]["byteStart"])


def _facet(text: str, start: int, end: int, feature: dict[str, str]) -> dict[str, Any]:
    byte_start = len(text[:start].encode("utf-8"))
    byte_end = byte_start + len(text[start:end].encode("utf-8"))
    return {"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]}


_CLOCK_ID = secrets.randbits(10)
_tid_lock = threading.Lock()
_last_tid_micros = 0


def new_tid() -> str:
    """A fresh TID record key: increasing within this process, unique across processes by the clock id."""
    global _last_tid_micros  # noqa: PLW0603  # one counter per process, guarded by the lock
    with _tid_lock:
        micros = max(time.time_ns() // 1000, _last_tid_micros + 1)
        _last_tid_micros = micros
    return encode_tid(micros, _CLOCK_ID)


def encode_tid(micros: int, clock_id: int) -> str:
    """13 characters of sortable base32: 53 bits of microseconds since the epoch, then 10 of clock id."""
    value = (micros << 10) | (clock_id & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -5, -5))
