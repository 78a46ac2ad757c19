"""Charts as inline SVG, drawn by matplotlib with the text turned into outlines, so the
report needs no font files or other assets and shows Vietnamese diacritics everywhere."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .data import DayRow

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ANSWERED_COLOUR = "#2e6da4"
DECLINED_COLOUR = "#d98c1f"
WIDTH_INCHES = 6.3  # the text width of an A4 page


def _figure(height: float) -> Figure:
    # matplotlib loads only when a chart is drawn, and Figure needs no global pyplot state.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, height), layout="constrained")
    figure.patch.set_alpha(0)
    return figure


def _svg(figure: Figure, name: str) -> str:
    import matplotlib

    buffer = io.StringIO()
    # A per-chart salt keeps element ids distinct when several charts share a page.
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": name}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.DOTALL)
    # Scale to the column instead of matplotlib's fixed size in points.
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 width="100%"', svg, count=1)
    return svg.replace("<svg", f'<svg role="img" aria-label="{name}"', 1)


def _tidy(axes: Axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=8)


def questions_per_day(days: Sequence[DayRow], name: str = "Số câu hỏi theo ngày") -> str:
    """Stacked bars: answered and declined questions each day."""
    from matplotlib.dates import DateFormatter
    from matplotlib.ticker import MaxNLocator

    figure = _figure(2.4)
    axes = figure.add_subplot()
    x = [row.day for row in days]
    answered = [row.answered for row in days]
    axes.bar(x, answered, width=0.8, color=ANSWERED_COLOUR, label="Trả lời được")  # type: ignore[arg-type]
    axes.bar(
        x,  # type: ignore[arg-type]
        [row.declined for row in days],
        width=0.8,
        bottom=answered,
        color=DECLINED_COLOUR,
        label="Chưa trả lời được",
    )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0, top=max([row.questions for row in days] + [1]) * 1.15)
    if days:  # from the first day's bar to the last's, not to the next tick
        first, last = (dt.datetime.combine(days[i].day, dt.time()) for i in (0, -1))
        half_day = dt.timedelta(hours=12)
        axes.set_xlim(first - half_day, last + half_day)  # type: ignore[arg-type]
    axes.xaxis.set_major_formatter(DateFormatter("%d/%m" if len(days) <= 62 else "%m/%Y"))
    axes.legend(fontsize=8, frameon=False, loc="upper left", ncols=2)
    _tidy(axes)
    return _svg(figure, name)


def horizontal_bars(labels: Sequence[str], values: Sequence[int], name: str) -> str:
    """One bar per label, the first at the top, its value written beside it."""
    figure = _figure(0.5 + 0.32 * max(len(labels), 1))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    bars = axes.barh(positions, list(values), color=ANSWERED_COLOUR, height=0.6)
    axes.set_yticks(positions, [_shorten(label) for label in labels])
    axes.invert_yaxis()
    axes.bar_label(bars, padding=3, fontsize=8)
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    axes.xaxis.set_visible(False)
    axes.spines["bottom"].set_visible(False)
    _tidy(axes)
    return _svg(figure, name)


def _shorten(label: str, limit: int = 45) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
