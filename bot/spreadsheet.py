"""The FAQ as a spreadsheet for editors: export to Excel, import an edited XLSX or CSV.

One row an entry, headed in Vietnamese; "cách hỏi khác" holds the other phrasings, one a
line (or separated by ";" in a cell without line breaks). An import reads every row and
checks them all with the loader's rules (through faq_files), reporting each problem with its
row and column; if there is any, nothing is written. An empty id makes a new entry, an
existing id updates that entry, and an entry that did not change is not rewritten, so an
exported file imported again changes no byte.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.escape import unescape
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from .errors import FIELD_LABELS, FaqEntryError, FieldProblem, RowProblem, SheetError
from .faq_files import FaqEdit, prepare
from .knowledge import TOPICS, FaqEntry, load_knowledge
from .text import fold, nfc

SHEET_TITLE = "Câu hỏi thường gặp"
TOPIC_SHEET_TITLE = "Chủ đề"
DATE_FORMAT = "DD/MM/YYYY"
# Rows below the entries that still offer the list of topics, for new entries.
_SPARE_ROWS = 1000


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    required: bool = True


COLUMNS = (
    Column("id", "id", 28),
    Column("topic", "chủ đề", 20),
    Column("question", "câu hỏi", 45),
    Column("phrasings", "cách hỏi khác", 55),
    Column("answer", "trả lời", 90),
    Column("source", "nguồn", 35),
    Column("url", "url", 30, required=False),
    Column("updated", "cập nhật", 13, required=False),
)
HEADERS = {column.key: column.header for column in COLUMNS}
_CONTROL = re.compile(r"[\x00-\x08\x0c\x0e-\x1f\x7f]")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def _key(text: str) -> str:
    """How a header or topic is matched: without diacritics, case or extra spaces."""
    return " ".join(fold(nfc(text)).lower().split())


_TOPIC_NAMES = {_key(topic): topic for topic in TOPICS} | {
    _key(name): topic for topic, name in TOPICS.items()
}


# Export ---------------------------------------------------------------------------------


def export_faq(knowledge_dir: Path, out: Path, topic: str | None = None) -> int:
    """Write the FAQ entries (all, or one topic's) to an Excel file; return how many."""
    if out.suffix.lower() != ".xlsx":
        raise SheetError(f"Tệp xuất phải có đuôi .xlsx (không phải “{out.name}”).")
    if topic is not None and topic not in TOPICS:
        raise SheetError(f"Không có chủ đề “{topic}”; chọn một trong: {', '.join(TOPICS)}.")
    entries = [e for e in load_knowledge([knowledge_dir]).faqs if topic in (None, e.topic)]
    try:
        workbook(entries).save(out)
    except OSError as exc:
        raise SheetError(
            f"Không ghi được {out}: {exc.strerror}. Tệp có đang mở trong Excel không?"
        ) from None
    return len(entries)


def workbook(entries: Sequence[FaqEntry]) -> Workbook:
    """A workbook of the entries, one a row, and a sheet listing the topics."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = SHEET_TITLE
    _header(sheet, [column.header for column in COLUMNS])
    wrap = Alignment(wrap_text=True, vertical="top")
    for number, entry in enumerate(entries, start=2):
        for index, value in enumerate(_cells(entry), start=1):
            cell = sheet.cell(number, index, value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text an editor wrote, never a formula
            if isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
            cell.alignment = wrap
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(entries) + 1}"

    topics = book.create_sheet(TOPIC_SHEET_TITLE)
    _header(topics, ["chủ đề", "tên"])
    for topic, name in TOPICS.items():
        topics.append([topic, name])
    topics.column_dimensions["A"].width = 22
    topics.column_dimensions["B"].width = 45
    choice = DataValidation(
        type="list",
        formula1=f"'{TOPIC_SHEET_TITLE}'!$A$2:$A${len(TOPICS) + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Chủ đề không có trong danh sách",
        error=f"Chọn một chủ đề trong danh sách (xem trang “{TOPIC_SHEET_TITLE}”).",
    )
    sheet.add_data_validation(choice)
    topic_column = get_column_letter(1 + [c.key for c in COLUMNS].index("topic"))
    choice.add(f"{topic_column}2:{topic_column}{len(entries) + 1 + _SPARE_ROWS}")
    return book


def _header(sheet: Any, headers: list[str]) -> None:
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(vertical="top")
    sheet.freeze_panes = "A2"


def _cells(entry: FaqEntry) -> list[Any]:
    updated: Any = entry.updated  # a date cell when it is one, else the file's own text
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.updated):
        with contextlib.suppress(ValueError):
            updated = dt.date.fromisoformat(entry.updated)
    return [
        entry.id,
        entry.topic,
        entry.questions[0],
        "\n".join(entry.questions[1:]),
        entry.answer,
        entry.source,
        entry.url,
        updated,
    ]


# Reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One filled row of the sheet: its number and its cells by column key."""

    number: int
    cells: dict[str, Any]

    def text(self, key: str) -> str:
        return _text(self.cells.get(key))


def read_rows(path: Path) -> list[Row]:
    """The filled rows of an XLSX or CSV file whose first row names the columns."""
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        table = _xlsx_table(path)
    elif suffix == ".csv":
        table = _csv_table(path)
    else:
        raise SheetError(f"Chỉ nhập được tệp .xlsx hoặc .csv, không nhập được “{path.name}”.")
    if not table:
        raise SheetError(f"{path.name} không có dòng nào.")
    columns = _columns(table[0])
    rows = []
    for number, values in enumerate(table[1:], start=2):
        cells = {key: values[i] if i < len(values) else None for key, i in columns.items()}
        if any(_text(value) for value in cells.values()):
            rows.append(Row(number, cells))
    return rows


def _xlsx_table(path: Path) -> list[list[Any]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise SheetError(f"Không tìm thấy tệp {path}.") from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
        raise SheetError(
            f"Không đọc được {path.name}: đây không phải bảng tính Excel .xlsx. Trong Excel, "
            "chọn Lưu dưới dạng “Sổ làm việc Excel (.xlsx)” rồi nhập lại."
        ) from None
    try:
        sheet = book[SHEET_TITLE] if SHEET_TITLE in book.sheetnames else book.worksheets[0]
        return [list(values) for values in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_table(path: Path) -> list[list[Any]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SheetError(f"Không tìm thấy tệp {path}.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError(
            f"{path.name} không ở mã UTF-8 nên tiếng Việt sẽ mất dấu. Trong Excel, chọn Lưu "
            "dưới dạng “CSV UTF-8 (Comma delimited)” rồi nhập lại."
        ) from None
    first_line = text.split("\n", 1)[0]
    # Excel writes ";" between cells where "," is the decimal mark, as in Vietnamese.
    delimiter = max([",", ";", "\t"], key=first_line.count)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise SheetError(f"Không đọc được {path.name}: {exc}.") from None


def _columns(header: list[Any]) -> dict[str, int]:
    known = {_key(column.header): column.key for column in COLUMNS}
    found: dict[str, int] = {}
    for index, value in enumerate(header):
        key = known.get(_key(_text(value)))
        if key is None:
            continue  # a column of the editors' own, such as notes
        if key in found:
            raise SheetError(f"Dòng 1 có hai cột “{HEADERS[key]}”; hãy giữ một cột.")
        found[key] = index
    missing = [f"“{c.header}”" for c in COLUMNS if c.required and c.key not in found]
    if missing:
        raise SheetError(
            f"Dòng 1 (tiêu đề) thiếu cột {', '.join(missing)}. Các cột cần có: "
            + ", ".join(c.header for c in COLUMNS)
            + "."
        )
    return found


def _text(value: Any) -> str:
    """A cell as text: NFC, one kind of line break, no invisible control characters."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    text = unescape(str(value))  # _x000D_ and the like, as some programs save line breaks
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    return nfc(_CONTROL.sub("", text)).strip()


# Import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What an import changed (or would change, when not written)."""

    edit: FaqEdit
    written: bool

    def lines(self) -> list[str]:
        """The summary an editor reads."""
        edit = self.edit
        if not edit.changed:
            return [f"Không có thay đổi: {len(edit.unchanged)} mục giống hệt kho tri thức."]
        names = {str(file.path): file.name for file in edit.files}
        done = "Đã ghi" if self.written else "Chạy thử, chưa ghi gì"
        lines = [
            f"{done}: thêm {len(edit.added)}, sửa {len(edit.updated)}, "
            f"giữ nguyên {len(edit.unchanged)} mục."
        ]
        lines += [f"  thêm {e.id} ({names[e.path]}): {e.questions[0]}" for e in edit.added]
        lines += [f"  sửa  {e.id} ({names[e.path]}): {e.questions[0]}" for e in edit.updated]
        return lines


def import_faq(
    knowledge_dir: Path, path: Path, *, write: bool = True, today: dt.date | None = None
) -> ImportResult:
    """Check every row of the sheet, then add and update entries (unless `write` is off).

    Raises SheetError listing every problem, by row and column, with nothing written.
    """
    rows = read_rows(path)
    knowledge = load_knowledge([knowledge_dir])
    existing = {entry.id: entry for entry in knowledge.faqs}
    today = today or dt.date.today()
    problems: list[RowProblem] = []
    adds: list[tuple[Row, FaqEntry]] = []
    updates: list[tuple[Row, FaqEntry]] = []
    first_row: dict[str, int] = {}
    for row in rows:
        entry_id = row.text("id")
        if entry_id and entry_id not in existing:
            problems.append(
                RowProblem(
                    row.number,
                    HEADERS["id"],
                    f"không có mục nào có id “{entry_id}”. Để trống ô này nếu đây là câu hỏi mới.",
                )
            )
            continue
        if entry_id in first_row:
            problems.append(
                RowProblem(
                    row.number,
                    HEADERS["id"],
                    f"id “{entry_id}” đã có ở dòng {first_row[entry_id]}; "
                    "mỗi mục chỉ ghi một dòng.",
                )
            )
            continue
        entry, row_problems = _entry(row, existing.get(entry_id), today)
        problems += row_problems
        if entry_id:
            first_row[entry_id] = row.number
            updates.append((row, entry))
        else:
            adds.append((row, entry))

    sent = [*adds, *updates]
    edit = None
    try:
        edit = prepare(
            knowledge_dir,
            add=[entry for _, entry in adds],
            update=[entry for _, entry in updates],
            knowledge=knowledge,
        )
    except FaqEntryError as exc:
        problems += [_row_problem(p, sent) for p in exc.problems]
    if problems or edit is None:
        order = {column.header: i for i, column in enumerate(COLUMNS)}
        problems.sort(key=lambda p: (p.row, order.get(p.column, len(order))))
        failed = len({problem.row for problem in problems})
        raise SheetError(
            f"Chưa nhập được {path.name}: {len(problems)} lỗi ở {failed} dòng, chưa ghi gì. "
            "Sửa các lỗi dưới đây rồi nhập lại.",
            problems,
        )
    if write:
        edit.write()
    return ImportResult(edit, written=write)


def _entry(row: Row, old: FaqEntry | None, today: dt.date) -> tuple[FaqEntry, list[RowProblem]]:
    problems = []
    question = row.text("question")
    if "\n" in question:
        problems.append(
            RowProblem(
                row.number,
                HEADERS["question"],
                "ô này chỉ ghi một câu hỏi; các cách hỏi khác ghi ở cột “cách hỏi khác”, "
                "mỗi cách một dòng.",
            )
        )
    others = _phrasings(row.text("phrasings"))
    topic = row.text("topic")
    entry = FaqEntry(
        id=row.text("id"),
        topic=_TOPIC_NAMES.get(_key(topic), topic),
        questions=(question, *others) if question or others else (),
        answer=row.text("answer"),
        source=row.text("source"),
        updated="",
        url=row.text("url") or None,
    )
    updated, wrong = _date(row.cells.get("updated"), old)
    if wrong:
        problems.append(RowProblem(row.number, HEADERS["updated"], wrong))
    if not updated:
        # An empty date: the entry's own if nothing else changed, otherwise today.
        unchanged = old is not None and dataclasses.replace(
            entry, updated=old.updated
        ) == dataclasses.replace(old, path="")
        updated = old.updated if unchanged and old is not None else today.isoformat()
    return dataclasses.replace(entry, updated=updated), problems


def _phrasings(text: str) -> tuple[str, ...]:
    parts = text.split("\n") if "\n" in text else text.split(";")
    return tuple(part.strip() for part in parts if part.strip())


def _date(value: Any, old: FaqEntry | None) -> tuple[str, str | None]:
    """The ISO date of a cell ("" if empty), and what is wrong with it."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), None
    if isinstance(value, dt.date):
        return value.isoformat(), None
    text = _text(value)
    if not text or (old is not None and text == old.updated):
        return text, None
    for pattern, order in ((_ISO, (0, 1, 2)), (_DAY_FIRST, (2, 1, 0))):
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(match.group(i + 1)) for i in order)
            try:
                return dt.date(year, month, day).isoformat(), None
            except ValueError:
                break
    return text, f"“{text}” không phải là ngày; ghi theo dạng 26/11/2026."


def _row_problem(problem: FieldProblem, sent: list[tuple[Row, FaqEntry]]) -> RowProblem:
    row = sent[problem.index][0]
    # The headers are the fields' names for editors; only the questions take two columns.
    column = FIELD_LABELS.get(problem.field, problem.field)
    if problem.field == "questions" and problem.phrasing != 0:
        column = HEADERS["phrasings"]
    message = problem.message
    if problem.clash_index is not None:
        message = f"{message.rstrip('.')} (dòng {sent[problem.clash_index][0].number})."
    return RowProblem(row.number, column, message)
