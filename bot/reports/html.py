"""The report as one self-contained HTML page that prints on A4: Jinja2 template beside this
module, charts inline, Vietnamese number formats (1.234; 83,3%)."""

from __future__ import annotations

import datetime as dt
import functools

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from . import charts
from .data import ReportData
from .tables import Cell, Delta, Hours, Percent, Points, channel_name, months, tables

PLACEHOLDER_UNIT = "TÊN CƠ QUAN, ĐƠN VỊ"
RECIPIENT = "Sở Văn hóa, Thể thao và Du lịch tỉnh Lai Châu"  # the plan, part V.11


def _number(value: float, decimals: int = 0) -> str:
    text = f"{abs(value):,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"-{text}" if value < 0 else text


def show(cell: Cell) -> str:
    """A cell as a Vietnamese reader expects it; '—' when empty."""
    if cell is None:
        return "—"
    if isinstance(cell, Points):
        return f"{'+' if cell > 0 else ''}{_number(cell * 100, 1)} điểm %"
    if isinstance(cell, Percent):
        return f"{_number(cell * 100, 1)}%"
    if isinstance(cell, Delta):
        return f"{'+' if cell > 0 else ''}{_number(cell)}"
    if isinstance(cell, Hours):
        return f"{_number(cell, 1)} giờ"
    if isinstance(cell, dt.datetime):
        return cell.strftime("%H:%M %d/%m/%Y")
    if isinstance(cell, dt.date):
        return cell.strftime("%d/%m/%Y")
    if isinstance(cell, int | float):
        return _number(cell)
    return str(cell)


@functools.cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("bot.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["show"] = show
    environment.filters["percent"] = lambda share: show(Percent(share))
    return environment


def to_html(data: ReportData, unit: str | None = None) -> str:
    """The report as a self-contained HTML page."""
    by_name = {table.name: table for table in tables(data, unit)}
    topics = [row.topic for row in data.topics]
    chart = {
        "days": charts.questions_per_day(data.days),
        "channels": charts.horizontal_bars(
            [channel_name(row.channel) for row in data.channels],
            [row.questions for row in data.channels],
            "Số câu hỏi theo kênh",
        )
        if data.channels
        else "",
        "topics": charts.horizontal_bars(
            topics, [row.answered for row in data.topics], "Số câu trả lời theo chủ đề"
        )
        if data.topics
        else "",
    }
    return (
        _environment()
        .get_template("report.html")
        .render(
            data=data,
            figures=data.figures,
            unit=unit or PLACEHOLDER_UNIT,
            unit_given=bool(unit),
            recipient=RECIPIENT,
            tables=by_name,
            charts={name: Markup(svg) for name, svg in chart.items()},
            months=months(data.days),
            generated=data.generated_at,
        )
    )
