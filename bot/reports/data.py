"""ReportData: every figure of a report, gathered from the store in one place, so the HTML,
the CSV and the workbook cannot disagree with each other or with the database."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..privacy import mask
from ..storage import Store
from ..text import fold, has_diacritics, normalize
from .period import PROVINCE_TZ, Period

UNKNOWN_TOPIC = "(không rõ)"
NO_SOURCE_TOPIC = "(chào hỏi, cảm ơn: không cần nguồn)"
DEFAULT_GAPS_NOTE = (
    "Các câu hỏi bot chưa trả lời được, gộp những cách viết giống nhau; "
    "ứng viên cho mục hỏi đáp mới."
)
GAP_LIMIT = 10


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class Figures:
    """The headline figures of one period."""

    questions: int
    answered: int
    helpful: int
    unhelpful: int
    handovers: int

    @property
    def declined(self) -> int:
        return self.questions - self.answered

    @property
    def answer_rate(self) -> float:
        return _rate(self.answered, self.questions)

    @property
    def feedback(self) -> int:
        return self.helpful + self.unhelpful

    @property
    def helpful_rate(self) -> float:
        return _rate(self.helpful, self.feedback)


@dataclass(frozen=True)
class DayRow:
    day: dt.date
    questions: int
    answered: int

    @property
    def declined(self) -> int:
        return self.questions - self.answered


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    questions: int
    answered: int

    @property
    def declined(self) -> int:
        return self.questions - self.answered

    @property
    def answer_rate(self) -> float:
        return _rate(self.answered, self.questions)


@dataclass(frozen=True)
class TopicRow:
    topic: str
    answered: int


@dataclass(frozen=True)
class Gap:
    """A question the knowledge base lacks, and how often it was asked."""

    question: str
    count: int


@dataclass(frozen=True)
class HandoverRow:
    """A request for a person; its first team reply and its closing, as its ticket records
    them (None when it has none)."""

    id: int
    created_at: float
    channel: str
    status: str
    first_reply_at: float | None = None
    closed_at: float | None = None

    @property
    def first_reply_hours(self) -> float | None:
        if self.first_reply_at is None:
            return None
        return (self.first_reply_at - self.created_at) / 3600

    @property
    def close_hours(self) -> float | None:
        if self.closed_at is None:
            return None
        return (self.closed_at - self.created_at) / 3600


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


@dataclass(frozen=True)
class Handovers:
    rows: tuple[HandoverRow, ...]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def open(self) -> int:
        return sum(row.status == "open" for row in self.rows)

    @property
    def closed(self) -> int:
        return sum(row.status == "closed" for row in self.rows)

    @property
    def median_first_reply_hours(self) -> float | None:
        return _median([row.first_reply_hours for row in self.rows])

    @property
    def median_close_hours(self) -> float | None:
        return _median([row.close_hours for row in self.rows])


@dataclass(frozen=True)
class ReportData:
    period: Period
    previous_period: Period
    generated_at: dt.datetime  # in the province's time
    figures: Figures
    previous: Figures
    days: tuple[DayRow, ...]
    channels: tuple[ChannelRow, ...]
    topics: tuple[TopicRow, ...]  # answered questions only; declined ones are figures.declined
    gaps: tuple[Gap, ...]
    gaps_note: str
    handovers: Handovers

    @property
    def complete(self) -> bool:
        """False while the period is still running: the figures are provisional."""
        return self.generated_at.date() >= self.period.end


def _figures(store: Store, start: float, end: float) -> Figures:
    channels = store.questions_per_channel(start, end)
    helpful, unhelpful = store.feedback_counts(start, end)
    return Figures(
        questions=sum(n for _, n, _ in channels),
        answered=sum(a for _, _, a in channels),
        helpful=helpful,
        unhelpful=unhelpful,
        handovers=len(store.handovers_between(start, end)),
    )


def _topics(
    per_source: Sequence[tuple[str | None, int]], topics: Mapping[str, str] | None
) -> tuple[TopicRow, ...]:
    counts: Counter[str] = Counter()
    for source_id, answered in per_source:
        if source_id is None:
            counts[NO_SOURCE_TOPIC] += answered
        else:
            counts[(topics or {}).get(source_id, UNKNOWN_TOPIC)] += answered
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(TopicRow(topic, n) for topic, n in ordered)


def declined_gaps(questions: Sequence[str], limit: int = GAP_LIMIT) -> tuple[Gap, ...]:
    """The most often declined questions, counting ways of writing one question together
    (case, spacing, punctuation, abbreviations, diacritics or none); each is shown as most
    people wrote it, preferring a spelling with diacritics, with personal numbers masked."""
    groups: dict[str, Counter[str]] = {}
    for question in questions:
        key = fold(normalize(question)) or question.strip().lower()
        # Questions are masked when stored; masking again covers rows older than that.
        groups.setdefault(key, Counter())[mask(" ".join(question.split()))] += 1
    gaps = [
        Gap(max(spellings, key=lambda s: (spellings[s], has_diacritics(s))), spellings.total())
        for spellings in groups.values()
    ]
    return tuple(sorted(gaps, key=lambda gap: (-gap.count, gap.question))[:limit])


def gather(
    store: Store,
    period: Period,
    *,
    topics: Mapping[str, str] | None = None,
    gaps: Sequence[Gap] | None = None,
    gaps_note: str | None = None,
    now: float | None = None,
) -> ReportData:
    """Every figure of the report for `period`, and the headline figures of the period before.

    `topics` maps a source id to its topic's name (see `topic_names`); without it answered
    questions count under "(không rõ)". `gaps` replaces the default knowledge gaps (the most
    often declined questions), e.g. with what `bot.gaps.find_gaps` finds.
    """
    now = time.time() if now is None else now
    # Every query stops at `now`: what is logged while the report is gathered waits for the
    # next one, so the tables add up even for a period that is still running.
    start, end = period.bounds[0], min(period.bounds[1], now)
    spans = [(day_start, min(day_end, end)) for day_start, day_end in period.day_spans()]
    days = tuple(
        DayRow(day, questions, answered)
        for day, (questions, answered) in zip(
            period.days(), store.questions_per_span(spans), strict=True
        )
    )
    if gaps is None:
        gaps = declined_gaps(store.declined_questions(start, end))
        gaps_note = gaps_note or DEFAULT_GAPS_NOTE
    previous_period = period.previous()
    previous_start, previous_end = previous_period.bounds
    return ReportData(
        period=period,
        previous_period=previous_period,
        generated_at=dt.datetime.fromtimestamp(now, PROVINCE_TZ),
        figures=_figures(store, start, end),
        previous=_figures(store, previous_start, min(previous_end, now)),
        days=days,
        channels=tuple(ChannelRow(*row) for row in store.questions_per_channel(start, end)),
        topics=_topics(store.answers_per_source(start, end), topics),
        gaps=tuple(gaps),
        gaps_note=gaps_note or "",
        handovers=Handovers(
            tuple(HandoverRow(*row) for row in store.handovers_between(start, end))
        ),
    )
