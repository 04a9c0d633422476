"""The evidence report's charts, drawn by matplotlib as static SVG to inline in the page.

Text stays text (``svg.fonttype = "none"``) in the reader's own sans-serif font: the page loads no font
from anywhere, and the browser draws the letters instead of the SVG carrying each glyph's outline. Labels
are in the reader's language; numbers as the reader writes them (``outreach.i18n.number``). matplotlib is
imported here, inside the function (its Figure, never pyplot): the command line stays fast when no chart is
drawn.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .i18n import _, number

#: Posts and interactions: a blue and an orange that colour-blind readers tell apart, dark enough on white.
POSTS_COLOUR = "#0b5cad"
INTERACTIONS_COLOUR = "#c2570c"
#: A long agency name is wrapped at this many characters, on at most two lines (the tables give it in full).
LABEL_LENGTH = 26
#: The charts' width in inches: narrow, so that a phone shrinking it keeps the labels readable.
WIDTH = 5.2
#: The labels' size in points, and the room above the first panel (for its title) in inches.
FONT_SIZE = 10
TOP = 0.3
#: At most this many bars on a chart of names (the rest are in the tables).
MOST_BARS = 15


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: its caption and its SVG markup (an ``<svg>`` element, no XML prolog)."""

    caption: str
    svg: str


def bar_chart(caption: str, rows: Sequence[tuple[str, int, int]], *, by_name: bool, key: str) -> Chart:
    """Posts above interactions, per label: ``rows`` are (label, posts, interactions).

    ``by_name``: long labels (agencies, platforms) as horizontal bars, else columns (months).
    ``key`` keeps this chart's element ids apart from the other charts' in the same page.
    """
    import matplotlib
    from matplotlib.figure import Figure

    rows = list(rows)[:MOST_BARS] if by_name else list(rows)
    labels = [_shorten(label) for label, _posts, _interactions in rows]
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": key, "font.size": FONT_SIZE, "axes.spines.top": False,
         "axes.spines.right": False, "axes.titleweight": "bold", "axes.titlesize": 11, "axes.titley": 1.0}
    ):  # fmt: skip
        # Narrow and stacked (posts above interactions): it stays readable when a phone shrinks it.
        panel = 0.42 * len(rows) + 0.5 if by_name else 1.8
        slanted = not by_name and len(rows) > 6
        left, right, gap, bottom = _margins(rows, labels, by_name=by_name, slanted=slanted)
        height = TOP + 2 * panel + gap + bottom
        figure = Figure(figsize=(WIDTH, height))
        figure.subplots_adjust(
            left=left / WIDTH, right=1 - right / WIDTH, top=1 - TOP / height, bottom=bottom / height,
            hspace=gap / panel,
        )  # fmt: skip
        panels = figure.subplots(2, 1, sharex=not by_name)
        series = (
            (_("Posts"), [posts for _label, posts, _interactions in rows], POSTS_COLOUR),
            (_("Interactions"), [interactions for _label, _posts, interactions in rows], INTERACTIONS_COLOUR),
        )
        for axes, (title, values, colour) in zip(panels, series, strict=True):
            _draw(axes, values, labels, colour, by_name)
            axes.set_title(title, loc="left")
        if not by_name:
            alignment = "right" if slanted else "center"
            panels[1].set_xticks(range(len(rows)), labels, rotation=45 if slanted else 0, ha=alignment)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return Chart(caption, _inline(buffer.getvalue(), caption))


def _margins(
    rows: Sequence[tuple[str, int, int]], labels: list[str], *, by_name: bool, slanted: bool
) -> tuple[float, float, float, float]:
    """Left, right, between-panels and bottom margins in inches, from the widths of the labels and numbers as
    drawn: one drawing pass, where a "tight" bounding box would draw each chart twice, and nothing cut off."""
    largest = max((max(posts, interactions) for _label, posts, interactions in rows), default=0)
    numbers = _text_size([number(int(largest * 1.1) + 1)])[0]  # the highest tick is at most a little above
    tick = (3.5 + 3.5) / 72 + 0.1  # tick length and padding, and a little room for a browser's wider font
    if by_name:
        return _text_size(labels)[0] + tick, max(0.2, numbers / 2 + 0.05), 0.75, 0.45
    if not slanted:
        return numbers + tick, 0.2, 0.45, 0.35
    width, line = _text_size(labels)
    return numbers + tick, 0.2, 0.45, (width + line) * 0.71 + tick  # a label slanted at 45 degrees


def _text_size(texts: Sequence[str]) -> tuple[float, float]:
    """The widest line of ``texts`` and a line's height, in inches, at the charts' font size."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(size=FONT_SIZE)
    sizes = [text_to_path.get_text_width_height_descent(line, font, ismath=False) for text in texts
             for line in text.split("\n")]  # fmt: skip
    return max((size[0] for size in sizes), default=0) / 72, max((size[1] for size in sizes), default=0) / 72


def _draw(axes: Any, values: list[int], labels: list[str], colour: str, by_name: bool) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    positions = range(len(values))
    if by_name:
        axes.barh(positions, values, color=colour)
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
        value_axis = axes.xaxis
    else:
        axes.bar(positions, values, color=colour)
        value_axis = axes.yaxis
    value_axis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    value_axis.set_major_formatter(FuncFormatter(lambda value, _position: number(value)))
    axes.grid(axis="x" if by_name else "y", color="#d1d9e0", linewidth=0.6)
    axes.set_axisbelow(True)


def _shorten(label: str) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(label, LABEL_LENGTH, max_lines=2, placeholder="…"))


def _inline(svg: str, caption: str) -> str:
    """The ``<svg>`` element alone (without its RDF metadata), named for screen readers by the chart's caption."""
    from html import escape

    element = re.sub(r"\s*<metadata>.*?</metadata>", "", svg[svg.index("<svg") :], count=1, flags=re.DOTALL)
    return re.sub(r"^<svg ", f'<svg role="img" aria-label="{escape(caption)}" ', element, count=1)
