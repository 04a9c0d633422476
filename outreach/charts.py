"""The evidence report's charts, drawn by pygal as static SVG to inline in the page.

Each chart is two small panels, posts above interactions: the two are on very different scales, and one
grouped chart would flatten the posts. Text stays text in the reader's own sans-serif font (the page loads no
font from anywhere); labels are in the reader's language and numbers as the reader writes them
(``outreach.i18n.number``). pygal's interactive tooltips need its JavaScript from kozea.github.io: the page
loads nothing, so the panels carry no script at all. pygal is imported here, inside the function: the command
line stays fast when no chart is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .i18n import _, number

#: Posts and interactions: a blue and an orange that colour-blind readers tell apart, dark enough on white.
POSTS_COLOUR = "#0b5cad"
INTERACTIONS_COLOUR = "#c2570c"
#: A long agency name is cut at this many characters (its full name shows on hover; the tables give it in full).
LABEL_LENGTH = 24
#: A panel's width in SVG pixels: narrow, so that a phone shrinking it keeps the labels readable.
WIDTH = 420
#: The labels' and the panel titles' size in SVG pixels.
FONT_SIZE = 14
TITLE_SIZE = 15
#: At most this many bars on a chart of names (the rest are in the tables).
MOST_BARS = 15


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: its caption and its SVG markup (two ``<svg>`` panels, no XML prolog, no script)."""

    caption: str
    svg: str


def bar_chart(caption: str, rows: Sequence[tuple[str, int, int]], *, by_name: bool, key: str) -> Chart:
    """Posts above interactions, per label: ``rows`` are (label, posts, interactions).

    ``by_name``: long labels (agencies, platforms) as horizontal bars, else columns (months).
    ``key`` keeps this chart's element ids apart from the other charts' in the same page.
    """
    rows = list(rows)[:MOST_BARS] if by_name else list(rows)
    series = (
        (_("Posts"), [posts for _label, posts, _interactions in rows], POSTS_COLOUR),
        (_("Interactions"), [interactions for _label, _posts, interactions in rows], INTERACTIONS_COLOUR),
    )
    labels = [_shorten(label) for label, _posts, _interactions in rows]
    panels = [
        _panel(f"{key}-{index}", title, labels, values, colour, by_name=by_name, caption=caption)
        for index, (title, values, colour) in enumerate(series)
    ]
    return Chart(caption, "".join(panels))


def _panel(
    key: str, title: str, labels: list[str], values: list[int], colour: str, *, by_name: bool, caption: str
) -> str:
    """One panel as an ``<svg>`` element named for screen readers by the chart's caption and its title."""
    import pygal
    from pygal.style import Style

    style = Style(
        font_family="sans-serif", background="white", plot_background="white", colors=(colour,), opacity="1",
        opacity_hover="1", foreground="#1f2328", foreground_strong="#1f2328", foreground_subtle="#d1d9e0",
        label_font_size=FONT_SIZE, major_label_font_size=FONT_SIZE, title_font_size=TITLE_SIZE,
        value_font_size=FONT_SIZE, tooltip_font_size=FONT_SIZE, guide_stroke_dasharray="none",
        major_guide_stroke_dasharray="none", guide_stroke_color="#d1d9e0", major_guide_stroke_color="#d1d9e0",
    )  # fmt: skip
    kind = pygal.HorizontalBar if by_name else pygal.Bar
    slanted = not by_name and len(labels) > 6
    # Names are shortened above (pygal's own cutting would also turn "120.000" into "120.…"); the right margin
    # leaves room for half the last number on a horizontal chart's value axis.
    chart = kind(
        style=style, width=WIDTH, height=_height(len(labels), by_name=by_name, slanted=slanted), title=title,
        show_legend=False, js=[], disable_xml_declaration=True, value_formatter=number,
        x_label_rotation=45 if slanted else 0, min_scale=2, max_scale=3 if by_name else 5, truncate_label=-1,
        margin=8, spacing=8, margin_right=8 + 2 * FONT_SIZE if by_name else 8,
    )  # fmt: skip
    chart.uuid = key  # ids from the chart's name, not a random uuid: the page is the same each time
    # pygal draws a horizontal chart's first bar at the bottom: the busiest goes on top, as in the tables.
    chart.x_labels = labels[::-1] if by_name else labels
    chart.add(title, values[::-1] if by_name else values)
    if max(values, default=0) < 5:  # whole numbers only: pygal would mark 0,4 and 0,8 posts
        chart.y_labels = list(range(max(values, default=0) + 1))
    chart.add_xml_filter(lambda root: _static(root, f"{caption}: {title}"))
    svg: str = chart.render(is_unicode=True)
    return svg


def _shorten(label: str) -> str:
    """pygal keeps a name on one line and its margin to the left must leave room for the bars."""
    return label if len(label) <= LABEL_LENGTH else label[: LABEL_LENGTH - 1].rstrip() + "…"


def _height(bars: int, *, by_name: bool, slanted: bool) -> int:
    """A panel's height in SVG pixels: room for each name's bar, or for the months' labels below."""
    if by_name:
        return 50 + 26 * bars
    return 240 if slanted else 190


def _static(root: Any, label: str) -> Any:
    """The panel without pygal's script, its tooltips' and hover texts (an axis label's hover text is its
    position, as 0,033) and its comments (one gives the day), named for screen readers."""
    for parent in root.iter():
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag.rpartition("}")[2] in {"script", "desc", "title"}:
                parent.remove(child)
    root.set("role", "img")
    root.set("aria-label", label)
    return root
