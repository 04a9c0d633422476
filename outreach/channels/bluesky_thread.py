"""Replies on Bluesky: a published post's thread, read from the public AppView without a session.

``app.bsky.feed.getPostThread`` answers a tree of replies, each reply's record naming its parent. The
AppView cuts the tree at the depth asked for: a reply at the last level that has replies of its own
comes without them, and is asked again, a bounded number of times. A reply the AppView shows only as
``#notFoundPost`` (deleted, taken down) or ``#blockedPost`` (between the office and its author one
blocks the other) has no text to keep and is left out. The office's own answers are the ones whose
author is the DID in the post's own at-uri. Kept apart from the adapter, which publishes.
"""

from __future__ import annotations

from typing import Any

from ..errors import PermanentError, ServerError
from ..i18n import _
from ..model import IncomingReply
from .base import parse_timestamp
from .http import HttpClient

#: A thread's posts as the AppView gives them (``app.bsky.feed.defs``); its other union members have no post.
THREAD_VIEW_POST = "app.bsky.feed.defs#threadViewPost"
#: getPostThread calls for one post at most: the thread, then the branches deeper than the depth asked for.
MAX_THREAD_CALLS = 20


class PostNotFound(PermanentError):
    """The AppView has no such post (the XRPC error ``NotFound`` of ``getPostThread``): deleted or taken down."""


def xrpc_url(server: str, nsid: str) -> str:
    return f"{server.rstrip('/')}/xrpc/{nsid}"


def did_of(uri: str) -> str:
    """The repository's DID in an at-uri (``at://did:plc:…/app.bsky.feed.post/rkey``)."""
    return uri.removeprefix("at://").split("/", 1)[0]


class ThreadReader:
    """Reads the replies under one post through the channel's HTTP client (``name`` for messages)."""

    def __init__(self, name: str, http: HttpClient, appview_url: str, web_url: str) -> None:
        self.name = name
        self.http = http
        self.appview_url = appview_url
        self.web_url = web_url.rstrip("/")

    def replies(self, uri: str, depth: int) -> list[IncomingReply]:
        """Every reply under ``uri`` in thread order; ``depth`` levels a call, at most ``MAX_THREAD_CALLS`` calls."""
        office = did_of(uri)
        found: dict[str, IncomingReply] = {}
        deeper = [uri]
        calls = 0
        while deeper and calls < MAX_THREAD_CALLS:
            start = deeper.pop(0)
            calls += 1
            thread = self._thread(start, depth, is_root=start == uri)
            if thread is not None:
                self._walk(thread, office, found, deeper)
        return list(found.values())

    def _thread(self, uri: str, depth: int, *, is_root: bool) -> dict[str, Any] | None:
        """The thread under ``uri``; None for a reply gone since it was listed. The post itself gone is
        ``PermanentError``: nobody can reply to it any more."""
        gone = PermanentError(
            _(
                "{name}: {uri} is not in Bluesky's public view any more (deleted or taken down), "
                "so its replies cannot be read"
            ).format(name=self.name, uri=uri)
        )
        try:
            body = self.http.request(
                "GET",
                xrpc_url(self.appview_url, "app.bsky.feed.getPostThread"),
                params={"uri": uri, "depth": depth, "parentHeight": 0},
            ).body
        except PostNotFound as error:
            if is_root:
                raise gone from error
            return None
        thread = body.get("thread") if isinstance(body, dict) else None
        if not isinstance(thread, dict):
            raise ServerError(_("{name}: unexpected answer from getPostThread").format(name=self.name))
        if thread.get("$type") != THREAD_VIEW_POST:  # #notFoundPost, #blockedPost
            if is_root:
                raise gone
            return None
        return thread

    def _walk(self, thread: dict[str, Any], office: str, found: dict[str, IncomingReply], deeper: list[str]) -> None:
        """Add the replies under ``thread`` to ``found``; note in ``deeper`` where the AppView cut a branch."""
        pending = list(reversed(thread.get("replies") or []))  # depth first, each branch in the AppView's order
        while pending:
            child = pending.pop()
            if not isinstance(child, dict) or child.get("$type") != THREAD_VIEW_POST:
                continue  # deleted, taken down, or blocked: nothing to keep
            reply = self._reply(child.get("post"), office)
            if reply is None or reply.remote_id in found:
                continue
            found[reply.remote_id] = reply
            if isinstance(child.get("replies"), list):
                pending.extend(reversed(child["replies"]))
            elif (child["post"].get("replyCount") or 0) > 0:
                deeper.append(reply.remote_id)  # cut at the depth asked for

    def _reply(self, view: Any, office: str) -> IncomingReply | None:
        """One post view as a reply; None when it lacks what a reply needs."""
        if not isinstance(view, dict):
            return None
        author, record = view.get("author"), view.get("record")
        uri = view.get("uri")
        if not isinstance(author, dict) or not isinstance(record, dict) or not isinstance(uri, str):
            return None
        # As the AppView sorts: the earlier of the time the author's app wrote and the time it was
        # indexed, so a post dated ahead does not look later than it was.
        times = [t for t in (parse_timestamp(record.get("createdAt")), parse_timestamp(view.get("indexedAt"))) if t]
        if not times or not isinstance(record.get("text"), str):
            return None
        did = str(author.get("did") or "")
        handle = str(author.get("handle") or "")
        shown = did if not handle or handle == "handle.invalid" else handle
        reply = record.get("reply")
        parent = reply.get("parent") if isinstance(reply, dict) else None
        return IncomingReply(
            remote_id=uri,
            author=shown,
            text=record["text"],
            written_at=min(times),
            url=f"{self.web_url}/profile/{shown}/post/{uri.rsplit('/', 1)[-1]}",
            parent_id=str(parent["uri"]) if isinstance(parent, dict) and parent.get("uri") else None,
            from_office=did == office,
        )
