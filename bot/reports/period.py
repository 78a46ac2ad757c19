"""Report periods in the province's time: a month, a half-year or a year, the period before
it, and when the plan wants its report.

Part V.11 of the province's propaganda plan for Resolution 57 sets the deadlines: the monthly
report "gửi trước ngày 15 hằng tháng", the six-month report "gửi trước ngày 15 tháng 6", the
yearly report "gửi trước ngày 15 tháng 12 hằng năm". It sets no separate report for the second
half of the year: those months go into the yearly one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from ..errors import CdsError

# Asia/Ho_Chi_Minh: UTC+7 all year, without daylight saving since 1975, so every day is
# 86,400 s long and a fixed offset is exact (and needs no tz database).
PROVINCE_TZ = dt.timezone(dt.timedelta(hours=7), "UTC+7")
DUE_DAY = 15

Kind = Literal["month", "half", "year"]


class PeriodError(CdsError):
    """A report period that cannot be read, e.g. --month 2026-13."""


def _date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _epoch(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=PROVINCE_TZ).timestamp()


@dataclass(frozen=True)
class Period:
    """Whole days [start, end) in the province's time."""

    kind: Kind
    start: dt.date
    end: dt.date  # the day after the last one

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise PeriodError(f"Không có tháng {month}: tháng phải từ 1 đến 12.")
        after = dt.date(year + month // 12, month % 12 + 1, 1)
        return cls("month", dt.date(year, month, 1), after)

    @classmethod
    def half(cls, year: int, half: int) -> Period:
        if half not in (1, 2):
            raise PeriodError(f"Không có nửa năm H{half}: chỉ có H1 và H2.")
        if half == 1:
            return cls("half", dt.date(year, 1, 1), dt.date(year, 7, 1))
        return cls("half", dt.date(year, 7, 1), dt.date(year + 1, 1, 1))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls("year", dt.date(year, 1, 1), dt.date(year + 1, 1, 1))

    @classmethod
    def parse(cls, kind: Kind, text: str) -> Period:
        """The period written as 2026-11 (month), 2026-H2 (half) or 2026 (year)."""
        patterns = {"month": r"(\d{4})-(\d{1,2})", "half": r"(\d{4})-[Hh](\d)", "year": r"(\d{4})"}
        match = re.fullmatch(patterns[kind], text.strip())
        if not match:
            examples = {"month": "2026-11", "half": "2026-H1 hoặc 2026-H2", "year": "2026"}
            raise PeriodError(f"Không đọc được kỳ báo cáo '{text}': viết như {examples[kind]}.")
        numbers = [int(group) for group in match.groups()]
        if numbers[0] < 1970:
            raise PeriodError(f"Năm {numbers[0]} nằm ngoài dữ liệu của bot.")
        if kind == "month":
            return cls.month(*numbers)
        if kind == "half":
            return cls.half(*numbers)
        return cls.year(*numbers)

    @property
    def last(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def half_number(self) -> int:
        return 1 if self.start.month == 1 else 2

    @property
    def bounds(self) -> tuple[float, float]:
        """[start, end) in epoch seconds."""
        return _epoch(self.start), _epoch(self.end)

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days)]

    def day_spans(self) -> list[tuple[float, float]]:
        """[start, end) in epoch seconds of each day of the period."""
        starts = [_epoch(day) for day in self.days()] + [_epoch(self.end)]
        return list(zip(starts, starts[1:], strict=False))

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "month":
            before = self.start - dt.timedelta(days=1)
            return Period.month(before.year, before.month)
        if self.kind == "half":
            if self.half_number == 2:
                return Period.half(self.start.year, 1)
            return Period.half(self.start.year - 1, 2)
        return Period.year(self.start.year - 1)

    @property
    def name(self) -> str:
        """'tháng 11/2026', '6 tháng đầu năm 2026', '6 tháng cuối năm 2026', 'năm 2026'."""
        if self.kind == "month":
            return f"tháng {self.start.month}/{self.start.year}"
        if self.kind == "half":
            which = "đầu" if self.half_number == 1 else "cuối"
            return f"6 tháng {which} năm {self.start.year}"
        return f"năm {self.start.year}"

    @property
    def span_text(self) -> str:
        """'từ ngày 01/11/2026 đến ngày 30/11/2026'."""
        return f"từ ngày {_date(self.start)} đến ngày {_date(self.last)}"

    @property
    def slug(self) -> str:
        """A file name stem: bao-cao-thang-2026-11, bao-cao-6-thang-2026-H2, bao-cao-nam-2026."""
        if self.kind == "month":
            return f"bao-cao-thang-{self.start.year}-{self.start.month:02d}"
        if self.kind == "half":
            return f"bao-cao-6-thang-{self.start.year}-H{self.half_number}"
        return f"bao-cao-nam-{self.start.year}"

    @property
    def due(self) -> dt.date | None:
        """The plan's deadline (V.11): send before this day; None for the second half-year."""
        if self.kind == "month":
            return self.end.replace(day=DUE_DAY)  # the month after the period
        if self.kind == "half":
            return dt.date(self.start.year, 6, DUE_DAY) if self.half_number == 1 else None
        return dt.date(self.start.year, 12, DUE_DAY)

    @property
    def due_text(self) -> str:
        """The deadline as the report states it, quoting the plan."""
        if self.due is not None:
            return f"trước ngày {_date(self.due)} (Kế hoạch, mục V.11)"
        year = self.start.year
        return (
            "Kế hoạch (mục V.11) không quy định báo cáo riêng cho 6 tháng cuối năm; số liệu "
            f"được tổng hợp vào báo cáo năm {year}, gửi trước ngày "
            f"{_date(dt.date(year, 12, DUE_DAY))}"
        )
