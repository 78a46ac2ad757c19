"""The report's tables, laid out once and written as CSV and as an Excel workbook (the HTML
shows the same tables), so the three files always carry the same figures.

A cell's type says how to show it: `Percent` and `Points` are shares (0.25 is 25 %, or 25
percentage points), `Delta` a change of a count, `Hours` a duration; dates and datetimes are
in the province's time; None is an empty cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from .data import ChannelRow, DayRow, ReportData

CHANNEL_NAMES = {
    "telegram": "Telegram",
    "zalo": "Zalo OA",
    "zalo-bot": "Zalo Bot",
    "api": "Trang web (web chat, API)",
}
STATUS_NAMES = {"open": "Đang mở", "closed": "Đã đóng"}
TOTAL = "Tổng cộng"
DECLINED_ROW = "Chưa trả lời được (tính riêng)"


class Percent(float):
    """A share: 0.25 is shown as 25 %."""


class Points(float):
    """A change of a share: 0.05 is shown as +5 percentage points."""


class Delta(int):
    """A change of a count, shown with its sign."""


class Hours(float):
    """A duration in hours."""


Cell = str | int | float | dt.date | dt.datetime | None


@dataclass(frozen=True)
class Table:
    name: str  # also the sheet's name: at most 31 characters
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def channel_name(channel: str) -> str:
    return CHANNEL_NAMES.get(channel, channel)


def _info(data: ReportData, unit: str | None) -> Table:
    rows: list[tuple[Cell, ...]] = [
        ("Báo cáo", f"Kết quả hoạt động của trợ lý hỏi đáp chuyển đổi số {data.period.name}"),
        ("Đơn vị báo cáo", unit or ""),
        ("Kỳ báo cáo", f"{data.period.name}, {data.period.span_text}"),
        ("Hạn gửi", data.period.due_text),
        ("So sánh với", f"{data.previous_period.name}, {data.previous_period.span_text}"),
        ("Lập lúc (giờ Việt Nam, UTC+7)", data.generated_at.replace(tzinfo=None)),
        ("Số liệu", "Chính thức" if data.complete else "Tạm tính: kỳ báo cáo chưa kết thúc"),
    ]
    return Table("Thông tin", ("Mục", "Nội dung"), tuple(rows))


def _change(current: float, previous: float) -> tuple[Cell, Cell]:
    if isinstance(current, Percent):
        return Points(current - previous), None
    delta = Delta(current - previous)
    return delta, Percent(delta / previous) if previous else None


def _overview(data: ReportData) -> Table:
    def row(label: str, current: float, previous: float) -> tuple[Cell, ...]:
        return (label, current, previous, *_change(current, previous))

    now, before = data.figures, data.previous
    rows = (
        row("Số câu hỏi", now.questions, before.questions),
        row("Trả lời được", now.answered, before.answered),
        row("Chưa trả lời được", now.declined, before.declined),
        row("Tỉ lệ trả lời (%)", Percent(now.answer_rate), Percent(before.answer_rate)),
        row("Phản hồi hữu ích", now.helpful, before.helpful),
        row("Phản hồi chưa hữu ích", now.unhelpful, before.unhelpful),
        row("Tỉ lệ hữu ích (%)", Percent(now.helpful_rate), Percent(before.helpful_rate)),
        row("Yêu cầu gặp cán bộ", now.handovers, before.handovers),
    )
    header = ("Chỉ số", "Kỳ này", "Kỳ trước", "Tăng/giảm", "Tăng/giảm (%)")
    return Table("Tổng quan", header, rows)


def _handover_summary(data: ReportData) -> Table:
    handovers = data.handovers
    rows: tuple[tuple[Cell, ...], ...] = (
        ("Số yêu cầu gặp cán bộ", handovers.total),
        ("Đang mở", handovers.open),
        ("Đã đóng", handovers.closed),
        ("Phản hồi đầu tiên sau (giờ, trung vị)", _hours(handovers.median_first_reply_hours)),
        ("Đóng sau (giờ, trung vị)", _hours(handovers.median_close_hours)),
    )
    return Table("Chuyển cán bộ - tổng hợp", ("Chỉ số", "Giá trị"), rows)


def _hours(value: float | None) -> Hours | None:
    return None if value is None else Hours(value)


def _question_rows(
    label: Cell, questions: int, answered: int
) -> tuple[Cell, Cell, Cell, Cell, Cell]:
    rate = Percent(answered / questions if questions else 0.0)
    return (label, questions, answered, questions - answered, rate)


QUESTION_HEADER = ("Số câu hỏi", "Trả lời được", "Chưa trả lời được", "Tỉ lệ trả lời (%)")


def _total(rows: Sequence[DayRow] | Sequence[ChannelRow]) -> tuple[Cell, ...]:
    questions = sum(row.questions for row in rows)
    return _question_rows(TOTAL, questions, sum(row.answered for row in rows))


def _per_day(data: ReportData) -> Table:
    rows = [_question_rows(row.day, row.questions, row.answered) for row in data.days]
    return Table("Theo ngày", ("Ngày", *QUESTION_HEADER), (*rows, _total(data.days)))


def months(days: Sequence[DayRow]) -> list[tuple[str, int, int]]:
    """(month as 'MM/YYYY', questions, answered), in order."""
    totals: dict[str, list[int]] = {}
    for row in days:
        counts = totals.setdefault(f"{row.day.month:02d}/{row.day.year}", [0, 0])
        counts[0] += row.questions
        counts[1] += row.answered
    return [(month, q, a) for month, (q, a) in totals.items()]


def _per_month(data: ReportData) -> Table:
    rows = [_question_rows(f"Tháng {m}", q, a) for m, q, a in months(data.days)]
    return Table("Theo tháng", ("Tháng", *QUESTION_HEADER), (*rows, _total(data.days)))


def _per_channel(data: ReportData) -> Table:
    rows = [
        _question_rows(channel_name(row.channel), row.questions, row.answered)
        for row in data.channels
    ]
    return Table("Theo kênh", ("Kênh", *QUESTION_HEADER), (*rows, _total(data.channels)))


def _per_topic(data: ReportData) -> Table:
    answered = sum(row.answered for row in data.topics)
    rows: list[tuple[Cell, ...]] = [
        (row.topic, row.answered, Percent(row.answered / answered)) for row in data.topics
    ]
    rows.append((DECLINED_ROW, data.figures.declined, None))
    return Table("Theo chủ đề", ("Chủ đề", "Số câu trả lời", "Tỉ lệ (%)"), tuple(rows))


def _gaps(data: ReportData) -> Table:
    rows = tuple((n, gap.question, gap.count) for n, gap in enumerate(data.gaps, 1))
    return Table("Khoảng trống kiến thức", ("STT", "Câu hỏi", "Số lần hỏi"), rows)


def _handovers(data: ReportData) -> Table:
    rows = tuple(
        (
            row.id,
            dt.datetime.fromtimestamp(row.created_at, data.generated_at.tzinfo).replace(
                tzinfo=None
            ),
            channel_name(row.channel),
            STATUS_NAMES.get(row.status, row.status),
            _hours(row.first_reply_hours),
            _hours(row.close_hours),
        )
        for row in data.handovers.rows
    )
    header = (
        "Mã yêu cầu",
        "Thời điểm yêu cầu",
        "Kênh",
        "Trạng thái",
        "Phản hồi đầu tiên sau (giờ)",
        "Đóng sau (giờ)",
    )
    return Table("Chuyển cán bộ - từng yêu cầu", header, rows)


def tables(data: ReportData, unit: str | None = None) -> list[Table]:
    """Every table of the report, in the order it reads."""
    per_month = [_per_month(data)] if data.period.kind != "month" else []
    return [
        _info(data, unit),
        _overview(data),
        _per_day(data),
        *per_month,
        _per_channel(data),
        _per_topic(data),
        _gaps(data),
        _handover_summary(data),
        _handovers(data),
    ]


# CSV ------------------------------------------------------------------------------------


def _csv_value(cell: Cell) -> str | int | float:
    if cell is None:
        return ""
    if isinstance(cell, Percent | Points):
        return round(cell * 100, 1)
    if isinstance(cell, Hours):
        return round(cell, 2)
    if isinstance(cell, dt.datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return cell


def to_csv(data: ReportData, unit: str | None = None) -> bytes:
    """The report as one long table: (table, row, column, value) per figure.

    Shares, marked (%), are in per cent (83.3), changes of shares in percentage points,
    dates ISO 8601 in the province's time. UTF-8 with a byte-order mark, without which
    Excel misreads the diacritics.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("Bảng", "Dòng", "Cột", "Giá trị"))
    for table in tables(data, unit):
        for row in table.rows:
            key = _csv_value(row[0])
            for title, cell in zip(table.header[1:], row[1:], strict=True):
                writer.writerow((table.name, key, title, _csv_value(cell)))
    return out.getvalue().encode("utf-8-sig")


# Excel ----------------------------------------------------------------------------------

_FORMATS = {
    Percent: "0.0%",
    Points: '+0.0" điểm %";-0.0" điểm %";0" điểm %"',
    Delta: "+0;-0;0",
    Hours: "0.0",
    dt.datetime: "dd/mm/yyyy hh:mm",
    dt.date: "dd/mm/yyyy",
}


def _xlsx_value(cell: Cell) -> Cell:
    if isinstance(cell, Points):
        return float(cell) * 100  # its format writes "điểm %" without scaling
    if isinstance(cell, Delta):
        return int(cell)
    if isinstance(cell, float):
        return float(cell)
    return cell


def to_xlsx(data: ReportData, unit: str | None = None) -> bytes:
    """The report as an Excel workbook, one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables(data, unit):
        sheet = workbook.create_sheet(table.name)
        sheet.append(table.header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append([_xlsx_value(c) for c in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=True):
                if type(value) in _FORMATS:
                    cell.number_format = _FORMATS[type(value)]
        sheet.freeze_panes = "A2"
        for n, title in enumerate(table.header, 1):
            cells = [title, *(row[n - 1] for row in table.rows)]
            width = max(len(str(c)) if c is not None else 0 for c in cells)
            sheet.column_dimensions[get_column_letter(n)].width = min(max(width + 2, 10), 70)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
