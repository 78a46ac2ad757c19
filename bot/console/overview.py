"""The overview: this month's questions, answer rate, feedback and hand-overs, per channel
and per day, with the reports' own figures and charts."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from ..reports import PROVINCE_TZ, Period, ReportData, gather
from ..reports.charts import horizontal_bars, questions_per_day
from ..reports.tables import channel_name
from .context import Team, render

router = APIRouter()


@dataclass(frozen=True)
class ChannelLine:
    name: str
    questions: int
    answered: int
    helpful: int
    unhelpful: int
    handovers: int

    @property
    def answer_rate(self) -> float:
        return self.answered / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class DayLine:
    day: dt.date
    questions: int
    answered: int
    handovers: int


def chart_image(svg: str) -> str:
    """An SVG chart as a data: address for <img>: the page's CSP allows no inline styles,
    which matplotlib's SVG uses, but an image is drawn apart from the page."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _channels(data: ReportData, feedback: list[tuple[str, int, int]]) -> list[ChannelLine]:
    votes = {channel: (helpful, unhelpful) for channel, helpful, unhelpful in feedback}
    handovers = Counter(row.channel for row in data.handovers.rows)
    names = [row.channel for row in data.channels]
    names += sorted((set(votes) | set(handovers)) - set(names))
    asked = {row.channel: row for row in data.channels}
    lines = []
    for channel in names:
        row = asked.get(channel)
        helpful, unhelpful = votes.get(channel, (0, 0))
        lines.append(
            ChannelLine(
                channel_name(channel),
                row.questions if row else 0,
                row.answered if row else 0,
                helpful,
                unhelpful,
                handovers[channel],
            )
        )
    return lines


def _days(data: ReportData) -> list[DayLine]:
    handovers = Counter(
        dt.datetime.fromtimestamp(row.created_at, PROVINCE_TZ).date() for row in data.handovers.rows
    )
    today = data.generated_at.date()
    return [
        DayLine(row.day, row.questions, row.answered, handovers[row.day])
        for row in data.days
        if row.day <= today
    ]


@router.get("/", response_class=HTMLResponse)
async def overview(
    current: Team,
) -> Response:
    console = current.console
    now = dt.datetime.now(PROVINCE_TZ)
    period = Period.month(now.year, now.month)

    def figures() -> tuple[ReportData, list[tuple[str, int, int]], str, str]:
        data = gather(console.store, period)
        start, _ = period.bounds
        feedback = console.store.feedback_per_channel(start, time.time())
        shown = [row for row in data.days if row.day <= now.date()]
        days_chart = chart_image(questions_per_day(shown))
        channels_chart = (
            chart_image(
                horizontal_bars(
                    [channel_name(row.channel) for row in data.channels],
                    [row.questions for row in data.channels],
                    "Số câu hỏi theo kênh",
                )
            )
            if data.channels
            else ""
        )
        return data, feedback, days_chart, channels_chart

    # matplotlib draws for a few hundred milliseconds: off the event loop.
    data, feedback, days_chart, channels_chart = await asyncio.to_thread(figures)
    return render(
        current,
        "overview.html",
        page="overview",
        period=period,
        figures=data.figures,
        previous=data.previous,
        channels=_channels(data, feedback),
        days=list(reversed(_days(data))),
        days_chart=days_chart,
        channels_chart=channels_chart,
        open_handovers=data.handovers.open,
    )
