from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from openpyxl import load_workbook

import bot.storage.store
from bot.index import SourceInfo
from bot.reports import (
    Gap,
    Period,
    PeriodError,
    ReportData,
    gather,
    read_topic_names,
    to_csv,
    to_html,
    to_xlsx,
    topic_names,
    write_report,
)
from bot.storage import Store

from .test_cli import run_bot

UTC7 = dt.timezone(dt.timedelta(hours=7))
NOVEMBER = Period.month(2026, 11)
TOPICS = {
    "vneid-kich-hoat": "VNeID và định danh điện tử",
    "dvc-nop-ho-so": "Dịch vụ công trực tuyến",
    "ke-hoach-57": "Văn bản: Kế hoạch tuyên truyền",
}
GREETING = "(chào hỏi, cảm ơn: không cần nguồn)"
DECLINED_ROW = "Chưa trả lời được (tính riêng)"
AFTER_NOVEMBER = dt.datetime(2026, 12, 20, 9, tzinfo=UTC7).timestamp()


def at(month: int, day: int, hour: int = 12, minute: int = 0, second: float = 0) -> float:
    """Epoch seconds of a wall-clock time in Lai Châu (UTC+7), in 2026."""
    whole = int(second)
    moment = dt.datetime(2026, month, day, hour, minute, whole, tzinfo=UTC7)
    return moment.timestamp() + (second - whole)


@contextmanager
def clock(monkeypatch: pytest.MonkeyPatch, when: float) -> Iterator[None]:
    with monkeypatch.context() as patch:
        patch.setattr(bot.storage.store.time, "time", lambda: when)
        yield


def ask(store: Store, mp: pytest.MonkeyPatch, when: float, channel: str, question: str,
        source: str | None = None, answered: bool = True) -> int:  # fmt: skip
    with clock(mp, when):
        kind = "none" if not answered or source is None else "faq"
        return store.log_conversation(channel, "u1", question, answered, kind, 0.5, source)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """November 2026 and the days around it, seeded through the store's own write methods."""
    s = Store(tmp_path / "cds.sqlite3", user_hash_secret="test")
    mp = monkeypatch
    # October: the previous period. The last second of October is not November's.
    ask(s, mp, at(10, 10, 9), "zalo", "wifi miễn phí ở đâu", answered=False)
    october = ask(s, mp, at(10, 10, 10), "api", "kích hoạt vneid", "vneid-kich-hoat")
    ask(s, mp, at(10, 31, 23, 59, 59), "telegram", "nộp hồ sơ", "dvc-nop-ho-so")
    # November: 10 questions, 6 answered.
    first = ask(s, mp, at(11, 1, 0, 0, 0), "telegram", "kích hoạt VNeID", "vneid-kich-hoat")
    ask(s, mp, at(11, 1, 10), "zalo", "Giá vàng hôm nay?", answered=False)
    online = ask(s, mp, at(11, 2, 9), "api", "nộp hồ sơ trực tuyến", "dvc-nop-ho-so")
    ask(s, mp, at(11, 2, 9, 30), "api", "vneid mức 2", "vneid-kich-hoat")
    ask(s, mp, at(11, 2, 23, 59, 59.5), "zalo", "gia vang hom nay", answered=False)
    ask(s, mp, at(11, 3, 8), "zalo-bot", "GIÁ VÀNG   hôm nay", answered=False)
    hello = ask(s, mp, at(11, 3, 12), "telegram", "xin chào")  # small talk: no source
    ask(s, mp, at(11, 15, 10), "zalo", "số 0912 345 678 của tôi bị khóa", answered=False)
    gone = ask(s, mp, at(11, 20, 14), "telegram", "mục đã xoá", "xoa-roi")  # not in the index
    last = ask(s, mp, at(11, 30, 23, 59, 59), "telegram", "kế hoạch 57", "ke-hoach-57")
    # December's first second belongs to the next period.
    ask(s, mp, at(12, 1, 0, 0, 0), "telegram", "kích hoạt vneid", "vneid-kich-hoat")

    # Votes count when they are given; a second vote on an answer replaces the first.
    for when, channel, conversation, helpful in [
        (at(10, 20), "api", october, True),
        (at(11, 1, 0, 0, 0), "telegram", first, True),
        (at(11, 2, 9, 10), "api", online, False),
        (at(11, 2, 10), "api", online, True),
        (at(11, 15, 11), "telegram", hello, True),
        (at(11, 30, 23, 59, 59), "telegram", gone, False),
        (at(12, 1, 0, 0, 0), "telegram", last, False),
    ]:
        with clock(mp, when):
            assert s.add_feedback(channel, "u1", conversation, helpful)

    handovers = []
    for n, (when, channel) in enumerate(
        [
            (at(10, 31, 23, 59, 59), "zalo"),
            (at(11, 1, 0, 0, 0), "telegram"),
            (at(11, 15, 10, 5), "zalo"),
            (at(11, 30, 23, 59, 59), "api"),
            (at(12, 1, 0, 0, 0), "zalo"),
        ]
    ):
        # Five citizens: one citizen's repeated requests join their open one.
        with clock(mp, when):
            handovers.append(s.add_handover(channel, f"u{n + 1}", "cần gặp cán bộ"))
    s.close_handover(handovers[1])
    yield s
    s.close()


@pytest.fixture
def report(store: Store) -> ReportData:
    return gather(store, NOVEMBER, topics=TOPICS, now=AFTER_NOVEMBER)


# Periods and deadlines -------------------------------------------------------------------


def test_a_month_runs_from_local_midnight_to_local_midnight() -> None:
    assert NOVEMBER.bounds == (at(11, 1, 0), at(12, 1, 0))
    assert NOVEMBER.bounds[0] == dt.datetime(2026, 10, 31, 17, tzinfo=dt.UTC).timestamp()
    assert len(NOVEMBER.days()) == 30
    assert NOVEMBER.day_spans()[0] == (at(11, 1, 0), at(11, 2, 0))
    assert NOVEMBER.day_spans()[-1] == (at(11, 30, 0), at(12, 1, 0))


@pytest.mark.parametrize(
    ("kind", "text", "name", "span", "due"),
    [
        ("month", "2026-11", "tháng 11/2026", "từ ngày 01/11/2026 đến ngày 30/11/2026",
         dt.date(2026, 12, 15)),
        ("month", "2026-12", "tháng 12/2026", "từ ngày 01/12/2026 đến ngày 31/12/2026",
         dt.date(2027, 1, 15)),
        ("half", "2026-H1", "6 tháng đầu năm 2026", "từ ngày 01/01/2026 đến ngày 30/06/2026",
         dt.date(2026, 6, 15)),
        ("half", "2026-h2", "6 tháng cuối năm 2026", "từ ngày 01/07/2026 đến ngày 31/12/2026",
         None),
        ("year", "2026", "năm 2026", "từ ngày 01/01/2026 đến ngày 31/12/2026",
         dt.date(2026, 12, 15)),
    ],
)  # fmt: skip
def test_each_period_has_its_name_days_and_the_plans_deadline(
    kind: str, text: str, name: str, span: str, due: dt.date | None
) -> None:
    period = Period.parse(kind, text)  # type: ignore[arg-type]
    assert period.name == name
    assert period.span_text == span
    assert period.due == due


def test_the_deadlines_quote_part_v11_of_the_plan() -> None:
    assert NOVEMBER.due_text == "trước ngày 15/12/2026 (Kế hoạch, mục V.11)"
    assert Period.half(2026, 1).due_text == "trước ngày 15/06/2026 (Kế hoạch, mục V.11)"
    assert Period.year(2026).due_text == "trước ngày 15/12/2026 (Kế hoạch, mục V.11)"
    assert Period.half(2026, 2).due_text == (
        "Kế hoạch (mục V.11) không quy định báo cáo riêng cho 6 tháng cuối năm; số liệu được "
        "tổng hợp vào báo cáo năm 2026, gửi trước ngày 15/12/2026"
    )


def test_the_previous_period_is_the_one_of_the_same_kind_just_before() -> None:
    assert NOVEMBER.previous() == Period.month(2026, 10)
    assert Period.month(2026, 1).previous() == Period.month(2025, 12)
    assert Period.half(2026, 2).previous() == Period.half(2026, 1)
    assert Period.half(2026, 1).previous() == Period.half(2025, 2)
    assert Period.year(2026).previous() == Period.year(2025)


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("month", "2026-13", "Không có tháng 13"),
        ("month", "11/2026", "viết như 2026-11"),
        ("half", "2026-H3", "chỉ có H1 và H2"),
        ("year", "26", "viết như 2026"),
    ],
)
def test_a_period_that_cannot_be_read_says_how_to_write_it(
    kind: str, text: str, message: str
) -> None:
    with pytest.raises(PeriodError, match=message):
        Period.parse(kind, text)  # type: ignore[arg-type]


# The figures ------------------------------------------------------------------------------


def test_headline_figures_count_only_the_period_in_the_provinces_time(
    report: ReportData,
) -> None:
    figures = report.figures
    assert (figures.questions, figures.answered, figures.declined) == (10, 6, 4)
    assert figures.answer_rate == pytest.approx(0.6)
    assert (figures.helpful, figures.unhelpful, figures.feedback) == (3, 1, 4)
    assert figures.helpful_rate == pytest.approx(0.75)
    assert figures.handovers == 3


def test_previous_period_figures_come_from_october(report: ReportData) -> None:
    assert report.previous_period == Period.month(2026, 10)
    previous = report.previous
    assert (previous.questions, previous.answered, previous.declined) == (3, 2, 1)
    assert (previous.helpful, previous.unhelpful, previous.handovers) == (1, 0, 1)


def test_questions_per_day_cover_every_day_and_split_at_local_midnight(
    report: ReportData,
) -> None:
    assert [row.day for row in report.days] == NOVEMBER.days()
    busy = {row.day.day: (row.questions, row.answered) for row in report.days if row.questions}
    assert busy == {1: (2, 1), 2: (3, 2), 3: (2, 1), 15: (1, 0), 20: (1, 1), 30: (1, 1)}
    assert sum(row.questions for row in report.days) == report.figures.questions


def test_questions_per_channel_busiest_first(report: ReportData) -> None:
    rows = [(r.channel, r.questions, r.answered, r.declined) for r in report.channels]
    assert rows == [
        ("telegram", 4, 4, 0),
        ("zalo", 3, 0, 3),
        ("api", 2, 2, 0),
        ("zalo-bot", 1, 0, 1),
    ]


def test_answers_count_under_the_topic_of_the_entry_that_answered(report: ReportData) -> None:
    assert [(row.topic, row.answered) for row in report.topics] == [
        ("VNeID và định danh điện tử", 2),
        (GREETING, 1),
        ("(không rõ)", 1),
        ("Dịch vụ công trực tuyến", 1),
        ("Văn bản: Kế hoạch tuyên truyền", 1),
    ]


def test_without_an_index_every_sourced_answer_is_of_unknown_topic(store: Store) -> None:
    data = gather(store, NOVEMBER, now=AFTER_NOVEMBER)
    assert [(row.topic, row.answered) for row in data.topics] == [
        ("(không rõ)", 5),
        (GREETING, 1),
    ]


def test_gaps_group_ways_of_writing_a_declined_question_and_hide_phone_numbers(
    report: ReportData,
) -> None:
    assert [(gap.question, gap.count) for gap in report.gaps] == [
        ("Giá vàng hôm nay?", 3),
        ("số [số điện thoại] của tôi bị khóa", 1),
    ]
    assert "chưa trả lời được" in report.gaps_note


def test_questions_whose_text_was_purged_still_count_but_leave_the_gaps(store: Store) -> None:
    store.purge(before=at(11, 10))
    data = gather(store, NOVEMBER, now=AFTER_NOVEMBER)
    assert (data.figures.questions, data.figures.declined) == (10, 4)
    assert [(gap.question, gap.count) for gap in data.gaps] == [
        ("số [số điện thoại] của tôi bị khóa", 1)
    ]


def test_gaps_found_elsewhere_replace_the_declined_questions(store: Store) -> None:
    found = [Gap("Đổi thẻ căn cước ở đâu", 7)]
    data = gather(store, NOVEMBER, gaps=found, gaps_note="Tìm bằng bot/gaps.py.")
    assert data.gaps == (Gap("Đổi thẻ căn cước ở đâu", 7),)
    html = to_html(data)
    assert "Đổi thẻ căn cước ở đâu" in html
    assert "Tìm bằng bot/gaps.py." in html
    assert "Giá vàng" not in html


def test_handovers_count_open_and_closed_and_leave_the_times_empty(report: ReportData) -> None:
    handovers = report.handovers
    assert (handovers.total, handovers.open, handovers.closed) == (3, 2, 1)
    assert [(row.channel, row.status) for row in handovers.rows] == [
        ("telegram", "closed"),
        ("zalo", "open"),
        ("api", "open"),
    ]
    assert all(row.first_reply_hours is None for row in handovers.rows)
    assert handovers.median_first_reply_hours is None
    assert handovers.median_close_hours is None


def test_handover_times_become_hours_once_recorded() -> None:
    from bot.reports import HandoverRow, Handovers

    rows = (
        HandoverRow(1, 0.0, "zalo", "closed", first_reply_at=1800.0, closed_at=7200.0),
        HandoverRow(2, 0.0, "zalo", "closed", first_reply_at=5400.0, closed_at=14400.0),
        HandoverRow(3, 0.0, "zalo", "open"),
    )
    assert rows[0].first_reply_hours == 0.5
    assert Handovers(rows).median_first_reply_hours == 1.0
    assert Handovers(rows).median_close_hours == 3.0


# The files ------------------------------------------------------------------------------


def read_csv(content: bytes) -> dict[tuple[str, str, str], str]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["Bảng", "Dòng", "Cột", "Giá trị"]
    cells = {(table, row, column): value for table, row, column, value in rows[1:]}
    assert len(cells) == len(rows) - 1  # every figure has its own address
    return cells


def test_the_csv_carries_every_figure(report: ReportData) -> None:
    cells = read_csv(to_csv(report, unit="Sở Khoa học và Công nghệ"))
    assert cells[("Thông tin", "Đơn vị báo cáo", "Nội dung")] == "Sở Khoa học và Công nghệ"
    assert cells[("Thông tin", "Hạn gửi", "Nội dung")] == (
        "trước ngày 15/12/2026 (Kế hoạch, mục V.11)"
    )
    overview = {key[1:]: value for key, value in cells.items() if key[0] == "Tổng quan"}
    assert overview[("Số câu hỏi", "Kỳ này")] == "10"
    assert overview[("Số câu hỏi", "Kỳ trước")] == "3"
    assert overview[("Số câu hỏi", "Tăng/giảm")] == "7"
    assert overview[("Số câu hỏi", "Tăng/giảm (%)")] == "233.3"
    assert overview[("Trả lời được", "Kỳ này")] == "6"
    assert overview[("Chưa trả lời được", "Kỳ này")] == "4"
    assert overview[("Tỉ lệ trả lời (%)", "Kỳ này")] == "60.0"
    assert overview[("Tỉ lệ trả lời (%)", "Kỳ trước")] == "66.7"
    assert overview[("Tỉ lệ trả lời (%)", "Tăng/giảm")] == "-6.7"
    assert overview[("Tỉ lệ trả lời (%)", "Tăng/giảm (%)")] == ""
    assert overview[("Phản hồi hữu ích", "Kỳ này")] == "3"
    assert overview[("Phản hồi chưa hữu ích", "Kỳ này")] == "1"
    assert overview[("Tỉ lệ hữu ích (%)", "Kỳ này")] == "75.0"
    assert overview[("Tỉ lệ hữu ích (%)", "Tăng/giảm")] == "-25.0"
    assert overview[("Yêu cầu gặp cán bộ", "Kỳ này")] == "3"
    assert overview[("Yêu cầu gặp cán bộ", "Tăng/giảm (%)")] == "200.0"

    assert cells[("Theo ngày", "2026-11-02", "Số câu hỏi")] == "3"
    assert cells[("Theo ngày", "2026-11-02", "Chưa trả lời được")] == "1"
    assert cells[("Theo ngày", "2026-11-30", "Trả lời được")] == "1"
    assert cells[("Theo ngày", "2026-11-29", "Số câu hỏi")] == "0"
    assert cells[("Theo ngày", "Tổng cộng", "Số câu hỏi")] == "10"
    assert sum(1 for key in cells if key[0] == "Theo ngày" and key[2] == "Số câu hỏi") == 31

    assert cells[("Theo kênh", "Zalo OA", "Số câu hỏi")] == "3"
    assert cells[("Theo kênh", "Zalo OA", "Tỉ lệ trả lời (%)")] == "0.0"
    assert cells[("Theo kênh", "Trang web (web chat, API)", "Trả lời được")] == "2"
    assert cells[("Theo kênh", "Zalo Bot", "Chưa trả lời được")] == "1"
    assert cells[("Theo kênh", "Tổng cộng", "Trả lời được")] == "6"

    assert cells[("Theo chủ đề", "VNeID và định danh điện tử", "Số câu trả lời")] == "2"
    assert cells[("Theo chủ đề", "VNeID và định danh điện tử", "Tỉ lệ (%)")] == "33.3"
    assert cells[("Theo chủ đề", "(không rõ)", "Số câu trả lời")] == "1"
    assert cells[("Theo chủ đề", DECLINED_ROW, "Số câu trả lời")] == "4"

    assert cells[("Khoảng trống kiến thức", "1", "Câu hỏi")] == "Giá vàng hôm nay?"
    assert cells[("Khoảng trống kiến thức", "1", "Số lần hỏi")] == "3"

    summary = "Chuyển cán bộ - tổng hợp"
    assert cells[(summary, "Số yêu cầu gặp cán bộ", "Giá trị")] == "3"
    assert cells[(summary, "Đang mở", "Giá trị")] == "2"
    assert cells[(summary, "Đã đóng", "Giá trị")] == "1"
    assert cells[(summary, "Phản hồi đầu tiên sau (giờ, trung vị)", "Giá trị")] == ""
    each = [key for key in cells if key[0] == "Chuyển cán bộ - từng yêu cầu"]
    assert len({key[1] for key in each}) == 3
    first = str(report.handovers.rows[0].id)
    assert cells[("Chuyển cán bộ - từng yêu cầu", first, "Thời điểm yêu cầu")] == (
        "2026-11-01 00:00:00"
    )
    assert cells[("Chuyển cán bộ - từng yêu cầu", first, "Trạng thái")] == "Đã đóng"
    assert cells[("Chuyển cán bộ - từng yêu cầu", first, "Đóng sau (giờ)")] == ""


def sheet_rows(workbook: object, name: str) -> list[tuple[object, ...]]:
    sheet = workbook[name]  # type: ignore[index]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_workbook_has_a_sheet_per_table_with_the_same_figures(report: ReportData) -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx(report)))
    assert workbook.sheetnames == [
        "Thông tin",
        "Tổng quan",
        "Theo ngày",
        "Theo kênh",
        "Theo chủ đề",
        "Khoảng trống kiến thức",
        "Chuyển cán bộ - tổng hợp",
        "Chuyển cán bộ - từng yêu cầu",
    ]
    overview = sheet_rows(workbook, "Tổng quan")
    assert overview[0] == ("Chỉ số", "Kỳ này", "Kỳ trước", "Tăng/giảm", "Tăng/giảm (%)")
    assert overview[1][:4] == ("Số câu hỏi", 10, 3, 7)
    assert overview[1][4] == pytest.approx(7 / 3)
    assert overview[4][0] == "Tỉ lệ trả lời (%)"
    assert overview[4][1:3] == pytest.approx((0.6, 2 / 3))
    assert overview[4][3] == pytest.approx(-100 / 15)  # percentage points
    assert overview[4][4] is None
    assert overview[7][:4] == ("Tỉ lệ hữu ích (%)", 0.75, 1.0, -25.0)
    assert overview[8][:4] == ("Yêu cầu gặp cán bộ", 3, 1, 2)
    sheet = workbook["Tổng quan"]
    assert sheet["B5"].number_format == "0.0%"
    assert sheet["D2"].number_format == "+0;-0;0"

    days = sheet_rows(workbook, "Theo ngày")
    assert days[0] == ("Ngày", "Số câu hỏi", "Trả lời được", "Chưa trả lời được",
                       "Tỉ lệ trả lời (%)")  # fmt: skip
    assert days[2][:4] == (dt.datetime(2026, 11, 2), 3, 2, 1)
    assert days[2][4] == pytest.approx(2 / 3)
    assert days[-1][:4] == ("Tổng cộng", 10, 6, 4)
    assert len(days) == 1 + 30 + 1
    assert workbook["Theo ngày"]["A2"].number_format == "dd/mm/yyyy"

    assert sheet_rows(workbook, "Theo kênh")[1:] == [
        ("Telegram", 4, 4, 0, 1.0),
        ("Zalo OA", 3, 0, 3, 0.0),
        ("Trang web (web chat, API)", 2, 2, 0, 1.0),
        ("Zalo Bot", 1, 0, 1, 0.0),
        ("Tổng cộng", 10, 6, 4, 0.6),
    ]
    topics = sheet_rows(workbook, "Theo chủ đề")
    assert topics[1][:2] == ("VNeID và định danh điện tử", 2)
    assert topics[-1] == (DECLINED_ROW, 4, None)
    assert sheet_rows(workbook, "Khoảng trống kiến thức")[1:] == [
        (1, "Giá vàng hôm nay?", 3),
        (2, "số [số điện thoại] của tôi bị khóa", 1),
    ]
    assert sheet_rows(workbook, "Chuyển cán bộ - tổng hợp")[1:] == [
        ("Số yêu cầu gặp cán bộ", 3),
        ("Đang mở", 2),
        ("Đã đóng", 1),
        ("Phản hồi đầu tiên sau (giờ, trung vị)", None),
        ("Đóng sau (giờ, trung vị)", None),
    ]
    each = sheet_rows(workbook, "Chuyển cán bộ - từng yêu cầu")
    assert each[0][4:] == ("Phản hồi đầu tiên sau (giờ)", "Đóng sau (giờ)")
    assert [row[1:] for row in each[1:]] == [
        (dt.datetime(2026, 11, 1, 0, 0), "Telegram", "Đã đóng", None, None),
        (dt.datetime(2026, 11, 15, 10, 5), "Zalo OA", "Đang mở", None, None),
        (dt.datetime(2026, 11, 30, 23, 59, 59), "Trang web (web chat, API)", "Đang mở", None,
         None),
    ]  # fmt: skip


def test_the_html_states_the_period_the_deadline_and_the_headline_figures(
    report: ReportData,
) -> None:
    html = to_html(report)
    assert html.startswith("<!doctype html>")
    assert "BÁO CÁO" in html
    assert "Kết quả hoạt động của trợ lý hỏi đáp chuyển đổi số (cds-bot)<br>tháng 11/2026" in html
    assert "từ ngày 01/11/2026 đến ngày 30/11/2026" in html
    assert "trước ngày 15/12/2026 (Kế hoạch, mục V.11)" in html
    assert "Kính gửi: Sở Văn hóa, Thể thao và Du lịch tỉnh Lai Châu" in html
    assert "TÊN CƠ QUAN, ĐƠN VỊ" in html  # the placeholder, until a unit is given
    assert '<span class="value">10</span><span class="label">câu hỏi' in html
    assert '<span class="value">60,0%</span>' in html
    assert re.search(
        r'aria-label="👍">.*?</svg> 3 / <svg [^>]*aria-label="👎">.*?</svg> 1</span>', html
    )
    assert '<td class="n">-6,7 điểm %</td>' in html
    assert '<td class="n">+7</td>' in html
    assert "Giá vàng hôm nay?" in html
    assert "Số liệu tạm tính" not in html
    for chart in ("Số câu hỏi theo ngày", "Số câu hỏi theo kênh", "Số câu trả lời theo chủ đề"):
        assert f'<svg role="img" aria-label="{chart}"' in html
    for external in ("<link", "<script", "src=", "@import", "url(http", 'href="http'):
        assert external not in html
    assert "@page { size: A4" in html


def test_the_issuing_unit_replaces_the_placeholder(report: ReportData) -> None:
    html = to_html(report, unit="UBND xã Bình Lư")
    assert "UBND xã Bình Lư" in html
    assert "TÊN CƠ QUAN, ĐƠN VỊ" not in html


def test_a_report_made_before_the_period_ends_says_its_figures_are_provisional(
    store: Store,
) -> None:
    data = gather(store, NOVEMBER, now=at(11, 20, 8))
    assert not data.complete
    assert (data.figures.questions, data.figures.answered) == (8, 4)  # up to 20/11 08:00
    assert sum(row.questions for row in data.days) == 8
    assert data.handovers.total == 2
    assert "Số liệu tạm tính: kỳ báo cáo chưa kết thúc" in to_html(data)


def test_an_empty_period_renders_zeros(tmp_path: Path) -> None:
    store = Store(tmp_path / "empty.sqlite3", user_hash_secret="test")
    data = gather(store, Period.year(2030), now=time.time())
    store.close()
    assert data.figures.questions == data.figures.handovers == 0
    assert data.figures.answer_rate == 0.0
    assert len(data.days) == 365
    assert data.topics == data.gaps == data.channels == ()
    files = write_report(data, tmp_path / "out")
    html = files.html.read_text("utf-8")
    assert '<span class="value">0</span><span class="label">câu hỏi' in html
    assert "Không có câu hỏi nào trong kỳ." in html
    cells = read_csv(files.csv.read_bytes())
    assert cells[("Tổng quan", "Số câu hỏi", "Kỳ này")] == "0"
    assert cells[("Tổng quan", "Số câu hỏi", "Tăng/giảm (%)")] == ""
    assert cells[("Theo chủ đề", DECLINED_ROW, "Số câu trả lời")] == "0"
    workbook = load_workbook(files.xlsx)
    assert sheet_rows(workbook, "Theo tháng")[-1] == ("Tổng cộng", 0, 0, 0, 0.0)


def test_half_and_year_reports_summarise_by_month(store: Store) -> None:
    data = gather(store, Period.half(2026, 2), topics=TOPICS, now=AFTER_NOVEMBER)
    html = to_html(data)
    assert "Tháng 11/2026" in html
    assert "Kế hoạch (mục V.11) không quy định báo cáo riêng cho 6 tháng cuối năm" in html
    assert "Số liệu tạm tính" in html  # 20 December: the half-year is still running
    workbook = load_workbook(io.BytesIO(to_xlsx(data)))
    months = sheet_rows(workbook, "Theo tháng")
    assert months[1:] == [
        ("Tháng 07/2026", 0, 0, 0, 0.0),
        ("Tháng 08/2026", 0, 0, 0, 0.0),
        ("Tháng 09/2026", 0, 0, 0, 0.0),
        ("Tháng 10/2026", 3, 2, 1, pytest.approx(2 / 3)),
        ("Tháng 11/2026", 10, 6, 4, 0.6),
        ("Tháng 12/2026", 1, 1, 0, 1.0),
        ("Tổng cộng", 14, 9, 5, pytest.approx(9 / 14)),
    ]


def test_files_are_named_after_the_period(report: ReportData, tmp_path: Path) -> None:
    files = write_report(report, tmp_path)
    assert [path.name for path in (files.html, files.csv, files.xlsx)] == [
        "bao-cao-thang-2026-11.html",
        "bao-cao-thang-2026-11.csv",
        "bao-cao-thang-2026-11.xlsx",
    ]
    assert files.csv.read_bytes() == to_csv(report)


# Topics from an index ---------------------------------------------------------------------


def test_topic_names_come_from_the_faq_topic_or_the_document_title() -> None:
    sources = {
        "a": SourceInfo("a", "faq", "?", None, "vneid", "…", ("?",), ""),
        "b": SourceInfo("b", "document", "Nghị quyết 57-NQ/TW", None, None, None, (), ""),
    }
    assert topic_names(sources) == {
        "a": "VNeID và định danh điện tử",
        "b": "Văn bản: Nghị quyết 57-NQ/TW",
    }


def test_topic_names_are_read_from_a_built_index(fixture_index: Path, tmp_path: Path) -> None:
    names = read_topic_names(fixture_index)
    assert names is not None
    assert names["vneid-kich-hoat"] == "VNeID và định danh điện tử"
    assert names["ttso-quet-qr"] == "Thanh toán không dùng tiền mặt"
    assert read_topic_names(tmp_path / "no-index") is None


# The command line -------------------------------------------------------------------------


def test_report_command_writes_the_three_files(
    store: Store, tmp_path: Path, fixture_index: Path
) -> None:
    env = {"CDS_DB_PATH": str(tmp_path / "cds.sqlite3"), "CDS_USER_HASH_SECRET": "test"}
    out = tmp_path / "bao-cao"
    result = run_bot(
        "report", "--month", "2026-11", "--out", str(out), "--index", str(fixture_index),
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Hạn gửi: trước ngày 15/12/2026 (Kế hoạch, mục V.11)." in result.stdout
    assert str(out / "bao-cao-thang-2026-11.html") in result.stdout
    cells = read_csv((out / "bao-cao-thang-2026-11.csv").read_bytes())
    assert cells[("Tổng quan", "Số câu hỏi", "Kỳ này")] == "10"
    assert cells[("Theo chủ đề", "VNeID và định danh điện tử", "Số câu trả lời")] == "2"
    assert (out / "bao-cao-thang-2026-11.xlsx").is_file()


def test_report_command_rejects_an_unreadable_period(tmp_path: Path) -> None:
    env = {"CDS_DB_PATH": str(tmp_path / "cds.sqlite3")}
    result = run_bot("report", "--half", "2026-H3", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "chỉ có H1 và H2" in result.stderr
    assert not (tmp_path / "reports").exists()


def test_report_days_still_prints_the_text_summary(tmp_path: Path) -> None:
    env = {"CDS_DB_PATH": str(tmp_path / "cds.sqlite3")}
    result = run_bot("report", "--days", "7", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "cds-bot report: the last 7 days" in result.stdout
