"""The evidence report's charts, drawn by matplotlib as static SVG to inline in the page.

Glyphs are written as paths (``svg.fonttype = "path"``), so a chart looks the same on any machine and
the page needs no font from anywhere. Labels are in the reader's language; numbers as the reader
writes them (``outreach.i18n.number``). matplotlib is imported here, inside the function, with the Agg
backend: the command line stays fast when no chart is drawn.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .i18n import _, number

#: Posts and interactions: a blue and an orange that colour-blind readers tell apart, dark enough on white.
POSTS_COLOUR = "#0b5cad"
INTERACTIONS_COLOUR = "#c2570c"
#: A long agency name is cut to this many characters on the chart (the tables give it in full).
LABEL_LENGTH = 38
#: At most this many bars on a chart of names (the rest are in the tables).
MOST_BARS = 15


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: its caption and its SVG markup (an ``<svg>`` element, no XML prolog)."""

    caption: str
    svg: str


def bar_chart(caption: str, rows: Sequence[tuple[str, int, int]], *, by_name: bool, key: str) -> Chart:
    """Posts and interactions per label, side by side: ``rows`` are (label, posts, interactions).

    ``by_name``: long labels (agencies, platforms) as horizontal bars, else columns (months).
    ``key`` keeps this chart's element ids apart from the other charts' in the same page.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    rows = list(rows)[:MOST_BARS] if by_name else list(rows)
    labels = [_shorten(label) for label, _posts, _interactions in rows]
    with matplotlib.rc_context(
        {"svg.fonttype": "path", "svg.hashsalt": key, "font.size": 9, "axes.spines.top": False,
         "axes.spines.right": False, "axes.titleweight": "bold"}
    ):  # fmt: skip
        height = max(2.6, 0.32 * len(rows) + 1.0) if by_name else 2.8
        figure = Figure(figsize=(7.2, height), layout="constrained")
        panels = figure.subplots(1, 2, sharey=by_name)
        series = ((_("Posts"), 1, POSTS_COLOUR), (_("Interactions"), 2, INTERACTIONS_COLOUR))
        for axes, (title, column, colour) in zip(panels, series, strict=True):
            values = [row[column] for row in rows]
            positions = range(len(rows))
            if by_name:
                axes.barh(positions, values, color=colour)
                axes.set_yticks(positions, labels)
                axes.invert_yaxis()
                value_axis = axes.xaxis
            else:
                axes.bar(positions, values, color=colour)
                axes.set_xticks(positions, labels, rotation=45 if len(rows) > 6 else 0, ha="right" if len(rows) > 6 else "center")
                value_axis = axes.yaxis
            value_axis.set_major_locator(MaxNLocator(nbins=4, integer=True))
            value_axis.set_major_formatter(FuncFormatter(lambda value, _position: number(value)))
            axes.set_title(title, fontsize=10)
            axes.grid(axis="x" if by_name else "y", color="#d1d9e0", linewidth=0.6)
            axes.set_axisbelow(True)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return Chart(caption, _inline(buffer.getvalue(), caption))


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_LENGTH else label[: LABEL_LENGTH - 1].rstrip() + "…"


def _inline(svg: str, caption: str) -> str:
    """The ``<svg>`` element alone (without its RDF metadata), named for screen readers by the chart's caption."""
    from html import escape

    element = re.sub(r"\s*<metadata>.*?</metadata>", "", svg[svg.index("<svg") :], count=1, flags=re.DOTALL)
    return re.sub(r"^<svg ", f'<svg role="img" aria-label="{escape(caption)}" ', element, count=1)
