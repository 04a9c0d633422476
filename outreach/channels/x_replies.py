"""Replies on X: a published post's conversation, found by recent search.

``GET /2/tweets/search/recent`` with ``conversation_id:<id>``, and ``since_id`` the post's own id so
that the post itself is not returned (nor paid for), paged with ``next_token`` up to
``reply_pages_per_post`` pages of 100. Each post it returns is billed like any post read, so the X
channel collects nothing until ``read_replies = true``, and then searches at most
``reply_reads_per_day`` conversations a day, counted in the same file as engagement reads (under a
key of their own). Recent search reaches back 7 days, and a post published before that is not asked
about: most replies come in a post's first days, and an older post's search would be refused for its
``since_id`` (a late reply to an old post is not collected on X).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import requests
import tweepy

from ..errors import RateLimited, ServerError
from ..i18n import _, number
from ..model import IncomingReply
from .base import CLOCK_SKEW, parse_timestamp

#: How far back recent search reaches (docs.x.com: "the last seven days").
RECENT_SEARCH_WINDOW = timedelta(days=7)
#: Posts recent search returns per page at most.
SEARCH_PAGE_SIZE = 100
#: What a reply needs from recent search: who wrote it, when, and what it answers.
REPLY_FIELDS = ["author_id", "created_at", "in_reply_to_user_id", "referenced_tweets", "conversation_id"]
#: Public links to posts always live here, whatever API host is configured.
PUBLIC_HOST = "https://x.com"

#: One page of the search (the ``next_token`` of the page before, None for the first): its decoded body.
SearchPage = Callable[[str | None], dict[str, Any]]
#: The X channel's ``_call``: one tweepy call, its exceptions translated into ours.
TweepyCall = Callable[..., requests.Response]


def within_reach(published_at: datetime | None, now: datetime) -> bool:
    """Whether recent search still reaches a post published then (a margin inside its 7 days)."""
    return published_at is not None and now - published_at < RECENT_SEARCH_WINDOW - CLOCK_SKEW


def search_page(name: str, call: TweepyCall, client: tweepy.Client, tweet_id: str, token: str | None) -> dict[str, Any]:
    """One page of the post's conversation, through the channel's tweepy client (user context)."""
    where = "GET /2/tweets/search/recent"
    response = call(
        where,
        lambda: client.search_recent_tweets(
            f"conversation_id:{tweet_id}",
            max_results=SEARCH_PAGE_SIZE,
            since_id=tweet_id,
            next_token=token,
            tweet_fields=REPLY_FIELDS,
            expansions=["author_id"],
            user_fields=["username"],
            user_auth=True,
        ),
        safe=True,
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ServerError(_("{name}: {where}: answer is not JSON").format(name=name, where=where))
    return body


def conversation(page: SearchPage, tweet_id: str, own_id: str, pages: int) -> list[IncomingReply]:
    """The replies in the conversation of ``tweet_id``, oldest first, reading at most ``pages`` pages;
    ``own_id``: the account's user id, whose posts are the office's answers."""
    found: list[IncomingReply] = []
    token: str | None = None
    for _page in range(pages):
        body = page(token)
        includes = body.get("includes")
        users = includes.get("users") if isinstance(includes, dict) else None
        usernames = {
            str(user["id"]): str(user["username"])
            for user in users or []
            if isinstance(user, dict) and user.get("id") and user.get("username")
        }
        for tweet in body.get("data") or []:
            reply = _reply(tweet, tweet_id, own_id, usernames)
            if reply is not None:
                found.append(reply)
        meta = body.get("meta")
        token = meta.get("next_token") if isinstance(meta, dict) else None
        if not token:
            break
    return sorted(found, key=lambda reply: (reply.written_at, int(reply.remote_id)))


def _reply(tweet: Any, conversation_id: str, own_id: str, usernames: Mapping[str, str]) -> IncomingReply | None:
    """One post of the conversation as a reply; None for the post itself or one without what a reply needs."""
    if not isinstance(tweet, dict) or not tweet.get("id") or str(tweet["id"]) == conversation_id:
        return None
    written_at = parse_timestamp(tweet.get("created_at"))
    author_id = str(tweet.get("author_id") or "")
    if written_at is None or not author_id:
        return None
    parent = next(
        (
            str(referenced["id"])
            for referenced in tweet.get("referenced_tweets") or []
            if isinstance(referenced, dict) and referenced.get("type") == "replied_to" and referenced.get("id")
        ),
        None,
    )
    username = usernames.get(author_id)
    reply_id = str(tweet["id"])
    return IncomingReply(
        remote_id=reply_id,
        author=f"@{username}" if username else author_id,
        text=html.unescape(str(tweet.get("text", ""))),  # X escapes &, < and >
        written_at=written_at,
        url=f"{PUBLIC_HOST}/{username or 'i/web'}/status/{reply_id}",
        parent_id=parent,
        from_office=author_id == own_id,
    )


def searches_spent(name: str, budget: int, error: RateLimited) -> RateLimited:
    """The budget's refusal said for replies: which setting, and when collecting goes on."""
    return RateLimited(
        _(
            "{name}: today's {budget} reply searches are spent (reply_reads_per_day in "
            "[channels.{name}]); collecting goes on after 00.00 UTC"
        ).format(name=name, budget=number(budget)),
        retry_after=error.retry_after,
    )


def replies_off(name: str, price: float, budget: int) -> str:
    """The line that says collecting replies on X is off, what it costs, and how to turn it on."""
    return _(
        "collecting replies is off, because X charges ${price} for each post it returns; to turn it on, set "
        "read_replies = true in [channels.{name}] (it then searches at most {budget} posts' replies a day, "
        "each reply paid once a day; change reply_reads_per_day to search more or fewer)"
    ).format(price=number(price, decimals=3), name=name, budget=number(budget))
