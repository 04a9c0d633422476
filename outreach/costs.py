"""What posting to X will cost: X sells API use as prepaid credits, priced per post.

Pay-per-use prices (docs.x.com/x-api/getting-started/pricing, November 2026): a post costs about
$0.015, and a post containing a URL about $0.20 — so links, not posts, drive an office's budget.
A channel's config may set its own prices (``price_per_post``, ``price_per_post_with_link``);
channels that only render with X's rules (the bundled ``file`` channels) use these defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .limits import find_urls

#: USD per post without and with a URL (docs.x.com pricing page, "Content: Create (with URL)").
PRICE_PER_POST = 0.015
PRICE_PER_POST_WITH_LINK = 0.20


@dataclass(frozen=True)
class Prices:
    per_post: float = PRICE_PER_POST
    per_post_with_link: float = PRICE_PER_POST_WITH_LINK


@dataclass(frozen=True)
class XCost:
    """The expected cost of one X channel's posts in a window."""

    channel: str
    without_link: int
    with_link: int
    prices: Prices

    @property
    def total(self) -> float:
        return self.without_link * self.prices.per_post + self.with_link * self.prices.per_post_with_link


def has_link(text: str) -> bool:
    """Whether X will see a URL in the text (a bare domain counts, as X's own parser finds it)."""
    return bool(find_urls(text))


def x_costs(texts: Mapping[str, Iterable[str]], prices: Mapping[str, Prices]) -> list[XCost]:
    """The cost of each X channel's texts, in channel order."""
    costs = []
    for channel, channel_texts in texts.items():
        flags = [has_link(text) for text in channel_texts]
        if flags:
            costs.append(XCost(channel, flags.count(False), flags.count(True), prices.get(channel, Prices())))
    return costs
