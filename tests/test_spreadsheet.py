from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.cli import main
from bot.errors import SheetError
from bot.knowledge import TOPICS, load_knowledge
from bot.spreadsheet import export_faq, import_faq

from .conftest import FIXTURES, KNOWLEDGE, ROOT

TODAY = dt.date(2026, 12, 1)
HEADER = ["id", "chủ đề", "câu hỏi", "cách hỏi khác", "trả lời", "nguồn", "url", "cập nhật"]
NEW_ROW = [
    None,
    "vneid",
    "Làm thế nào để đăng ký xe máy qua VNeID?",
    "Xe mới mua có đăng ký trên VNeID được không?\ndang ky xe may qua vneid",
    "Bạn mở ứng dụng VNeID, chọn Thủ tục hành chính, rồi Đăng ký xe.",
    "Bộ Công an",
    None,
    "01/12/2026",
]

ALL_TOPICS = ", ".join(TOPICS)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A copy of the fixture knowledge base, where the CLI finds it (tests run in tmp_path)."""
    return Path(shutil.copytree(FIXTURES / "knowledge", tmp_path / "knowledge"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def edit_sheet(path: Path, cells: dict[str, Any] | None = None, rows: list[list[Any]] = ()) -> Path:
    """Change cells (by reference, such as "E3") and append rows, as an editor in Excel."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    for reference, value in (cells or {}).items():
        sheet[reference] = value
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_an_exported_sheet_imported_unchanged_changes_no_byte(kb: Path, tmp_path: Path) -> None:
    before = snapshot(kb)
    assert export_faq(kb, tmp_path / "faq.xlsx") == 3
    result = import_faq(kb, tmp_path / "faq.xlsx", today=TODAY)

    assert result.lines() == ["Không có thay đổi: 3 mục giống hệt kho tri thức."]
    assert snapshot(kb) == before


def test_the_whole_knowledge_base_survives_the_round_trip(tmp_path: Path) -> None:
    kb = Path(shutil.copytree(KNOWLEDGE, tmp_path / "knowledge"))
    assert export_faq(kb, tmp_path / "faq.xlsx") == len(load_knowledge([KNOWLEDGE]).faqs)
    result = import_faq(kb, tmp_path / "faq.xlsx", today=TODAY)

    assert not result.edit.changed
    assert snapshot(kb) == snapshot(KNOWLEDGE)


def test_the_exported_sheet_is_laid_out_for_editors(kb: Path, tmp_path: Path) -> None:
    export_faq(kb, tmp_path / "faq.xlsx")
    book = openpyxl.load_workbook(tmp_path / "faq.xlsx")
    sheet, topics = book.worksheets

    assert [cell.value for cell in sheet[1]] == HEADER
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["E"].width == 90
    assert [cell.value for cell in sheet[3]] == [
        "ttso-quet-qr",
        "thanh-toan-so",
        "Thanh toán bằng mã QR như thế nào?",
        "Cách quét mã QR để trả tiền\nquet qr tra tien sao",
        "Bạn mở ứng dụng ngân hàng, chọn quét mã QR, đưa camera vào mã, kiểm tra đúng tên "
        "người nhận và số tiền rồi xác nhận.",
        "Ngân hàng Nhà nước Việt Nam",
        None,
        dt.datetime(2026, 11, 26),
    ]
    assert sheet["H3"].number_format == "DD/MM/YYYY"
    assert sheet["D3"].alignment.wrap_text
    (choice,) = sheet.data_validations.dataValidation
    assert (choice.type, choice.formula1) == ("list", f"'Chủ đề'!$A$2:$A${len(TOPICS) + 1}")
    assert str(choice.sqref) == "B2:B1004"
    assert topics.title == "Chủ đề"
    assert topics["A2"].value == "vneid"
    assert topics["B2"].value == "VNeID và định danh điện tử"


def test_an_export_of_one_topic_has_only_its_entries(kb: Path, tmp_path: Path) -> None:
    assert export_faq(kb, tmp_path / "ttso.xlsx", topic="thanh-toan-so") == 2
    sheet = openpyxl.load_workbook(tmp_path / "ttso.xlsx").worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "ttso-quet-qr",
        "ttso-chuyen-khoan",
    ]


def test_an_edited_cell_changes_exactly_that_entry(kb: Path, tmp_path: Path) -> None:
    mau = kb / "faq" / "mau.yaml"
    before = mau.read_text("utf-8")
    export_faq(kb, tmp_path / "faq.xlsx")
    edit_sheet(tmp_path / "faq.xlsx", {"E3": "Mở ứng dụng ngân hàng.\n\nChọn Quét mã QR."})
    result = import_faq(kb, tmp_path / "faq.xlsx", today=TODAY)

    old_answer = (
        "    Bạn mở ứng dụng ngân hàng, chọn quét mã QR, đưa camera vào mã, kiểm tra đúng tên "
        "người nhận và số tiền rồi xác nhận.\n"
    )
    new_answer = "    Mở ứng dụng ngân hàng.\n\n    Chọn Quét mã QR.\n"
    assert mau.read_text("utf-8") == before.replace(old_answer, new_answer)
    assert result.lines() == [
        "Đã ghi: thêm 0, sửa 1, giữ nguyên 2 mục.",
        "  sửa  ttso-quet-qr (knowledge/faq/mau.yaml): Thanh toán bằng mã QR như thế nào?",
    ]


def test_a_new_row_gets_an_id_and_lands_in_its_topic_file(kb: Path, tmp_path: Path) -> None:
    export_faq(kb, tmp_path / "faq.xlsx")
    edit_sheet(tmp_path / "faq.xlsx", rows=[NEW_ROW])
    result = import_faq(kb, tmp_path / "faq.xlsx", today=TODAY)

    assert (kb / "faq" / "vneid.yaml").read_text("utf-8") == (
        "# Câu hỏi thường gặp: VNeID và định danh điện tử.\n"
        "\n"
        "- id: vneid-dang-ky-xe-may\n"
        "  topic: vneid\n"
        "  questions:\n"
        "    - Làm thế nào để đăng ký xe máy qua VNeID?\n"
        "    - Xe mới mua có đăng ký trên VNeID được không?\n"
        "    - dang ky xe may qua vneid\n"
        "  answer: |-\n"
        "    Bạn mở ứng dụng VNeID, chọn Thủ tục hành chính, rồi Đăng ký xe.\n"
        "  source: Bộ Công an\n"
        "  updated: 2026-12-01\n"
    )
    assert result.lines()[1] == (
        "  thêm vneid-dang-ky-xe-may (knowledge/faq/vneid.yaml): "
        "Làm thế nào để đăng ký xe máy qua VNeID?"
    )


def test_every_bad_row_is_reported_with_its_row_and_column_and_nothing_is_written(
    kb: Path, tmp_path: Path
) -> None:
    before = snapshot(kb)
    export_faq(kb, tmp_path / "faq.xlsx")
    unknown_topic = [None, "thoi-tiet", "Mai trời mưa không?", "mai mua ko\ntroi mua khong"]
    shared = [None, "vneid", "Kích hoạt tài khoản thế nào?", "kich hoat vneid ntn\nkich hoat tk"]
    long_answer = [None, "vneid", "Câu hỏi dài?", "cau hoi dai\ncau dai", "x" * 1340]
    bad_date = [*NEW_ROW[:7], "30/02/2026"]
    edit_sheet(
        tmp_path / "faq.xlsx",
        {"E3": None},
        rows=[
            [*unknown_topic, "Xin lỗi.", "cds-bot"],
            [*shared, "Bạn mở ứng dụng VNeID.", "Bộ Công an"],
            [*long_answer, "Bộ Công an"],
            bad_date,
        ],
    )
    with pytest.raises(SheetError) as caught:
        import_faq(kb, tmp_path / "faq.xlsx", today=TODAY)

    assert str(caught.value).splitlines() == [
        "Chưa nhập được faq.xlsx: 5 lỗi ở 5 dòng, chưa ghi gì. Sửa các lỗi dưới đây rồi nhập lại.",
        "Dòng 3, cột “trả lời”: chưa có câu trả lời.",
        f"Dòng 5, cột “chủ đề”: không có chủ đề “thoi-tiet”; chọn một trong: {ALL_TOPICS}.",
        "Dòng 6, cột “cách hỏi khác”: cách hỏi “kich hoat vneid ntn” trùng với một cách hỏi của "
        "mục “vneid-kich-hoat” (dòng 2).",
        "Dòng 7, cột “trả lời”: câu trả lời dài 1.340 ký tự, tối đa 1.200.",
        "Dòng 8, cột “cập nhật”: “30/02/2026” không phải là ngày; ghi theo dạng 26/11/2026.",
    ]
    assert snapshot(kb) == before


def test_ids_must_be_known_and_appear_once(kb: Path, tmp_path: Path) -> None:
    export_faq(kb, tmp_path / "faq.xlsx")
    edit_sheet(
        tmp_path / "faq.xlsx", {"A3": "ttso-quet-ma"}, rows=[["vneid-kich-hoat", *NEW_ROW[1:]]]
    )
    with pytest.raises(SheetError) as caught:
        import_faq(kb, tmp_path / "faq.xlsx", today=TODAY)

    assert [str(p) for p in caught.value.problems] == [
        "Dòng 3, cột “id”: không có mục nào có id “ttso-quet-ma”. Để trống ô này nếu đây là "
        "câu hỏi mới.",
        "Dòng 5, cột “id”: id “vneid-kich-hoat” đã có ở dòng 2; mỗi mục chỉ ghi một dòng.",
    ]


def test_a_question_cell_holds_one_question_and_enough_phrasings(kb: Path, tmp_path: Path) -> None:
    export_faq(kb, tmp_path / "faq.xlsx")
    two_questions = [None, "vneid", "Câu một?\nCâu hai?", "cau ba", "Trả lời.", "Bộ Công an"]
    alone = [None, "vneid", None, None, "Trả lời.", "Bộ Công an"]
    edit_sheet(tmp_path / "faq.xlsx", rows=[two_questions, alone])
    with pytest.raises(SheetError) as caught:
        import_faq(kb, tmp_path / "faq.xlsx", today=TODAY)

    assert [str(p) for p in caught.value.problems] == [
        "Dòng 5, cột “câu hỏi”: ô này chỉ ghi một câu hỏi; các cách hỏi khác ghi ở cột "
        "“cách hỏi khác”, mỗi cách một dòng.",
        "Dòng 5, cột “cách hỏi khác”: cần ít nhất 3 cách hỏi (câu hỏi và 2 cách hỏi khác), "
        "mới có 2.",
        "Dòng 6, cột “câu hỏi”: chưa có câu hỏi.",
    ]


def test_an_empty_date_is_today_for_a_changed_entry_and_stays_for_an_unchanged_one(
    kb: Path, tmp_path: Path
) -> None:
    export_faq(kb, tmp_path / "faq.xlsx")
    edit_sheet(tmp_path / "faq.xlsx", {"H2": None, "H3": None, "F3": "NHNN", "H4": "2026-11-30"})
    result = import_faq(kb, tmp_path / "faq.xlsx", today=TODAY)

    dates = {e.id: e.updated for e in load_knowledge([kb]).faqs}
    assert dates == {
        "vneid-kich-hoat": "2026-11-26",
        "ttso-quet-qr": "2026-12-01",
        "ttso-chuyen-khoan": "2026-11-30",
    }
    assert [e.id for e in result.edit.unchanged] == ["vneid-kich-hoat"]


def write_csv(path: Path, rows: list[list[Any]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out, delimiter=delimiter).writerows(rows)
    return path


def test_a_csv_file_adds_entries_with_phrasings_on_lines_or_after_semicolons(kb: Path) -> None:
    semicolons = [
        None,
        "Thanh toán không dùng tiền mặt",
        "Rút tiền ở cây ATM thế nào?",
        "rut tien atm; cách rút tiền từ thẻ",
        "Bạn đưa thẻ vào máy, nhập mã PIN, chọn Rút tiền.",
        "Ngân hàng Nhà nước Việt Nam",
        "",
        "2026-12-01",
    ]
    path = write_csv(kb.parent / "moi.csv", [HEADER, NEW_ROW, semicolons], delimiter=";")
    result = import_faq(kb, path, today=TODAY)

    added = {
        e.id: e for e in load_knowledge([kb]).faqs if e.id in {a.id for a in result.edit.added}
    }
    assert sorted(added) == ["ttso-rut-tien-o-cay", "vneid-dang-ky-xe-may"]
    assert added["vneid-dang-ky-xe-may"].questions[1:] == (
        "Xe mới mua có đăng ký trên VNeID được không?",
        "dang ky xe may qua vneid",
    )
    assert added["ttso-rut-tien-o-cay"].questions == (
        "Rút tiền ở cây ATM thế nào?",
        "rut tien atm",
        "cách rút tiền từ thẻ",
    )
    assert added["ttso-rut-tien-o-cay"].path == str(kb / "faq" / "thanh-toan-so.yaml")


def test_a_csv_file_not_in_utf8_is_refused_with_the_way_to_save_it(kb: Path) -> None:
    path = kb.parent / "cu.csv"
    path.write_bytes(",".join(HEADER).encode("utf-8") + "\nx,Câu\n".encode("cp1258"))
    with pytest.raises(SheetError, match="không ở mã UTF-8 .* “CSV UTF-8 \\(Comma delimited\\)”"):
        import_faq(kb, path)


def test_a_missing_column_is_named(kb: Path) -> None:
    path = write_csv(kb.parent / "thieu.csv", [HEADER[:4], ["", "vneid", "a", "b"]])
    with pytest.raises(SheetError) as caught:
        import_faq(kb, path)
    assert str(caught.value).startswith(
        "Dòng 1 (tiêu đề) thiếu cột “trả lời”, “nguồn”. Các cột cần có: id, chủ đề, câu hỏi,"
    )


def test_cli_export_then_import_reports_no_change(
    kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["faq", "export", "faq.xlsx"]) == 0
    assert capsys.readouterr().out == "Đã xuất 3 mục vào faq.xlsx.\n"
    assert main(["faq", "import", "faq.xlsx"]) == 0
    assert capsys.readouterr().out == "Không có thay đổi: 3 mục giống hệt kho tri thức.\n"


def test_cli_import_writes_and_reminds_to_rebuild_the_index(
    kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export_faq(kb, tmp_path / "faq.xlsx")
    edit_sheet(tmp_path / "faq.xlsx", rows=[NEW_ROW])

    assert main(["faq", "import", "--dry-run", "faq.xlsx"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Chạy thử, chưa ghi gì: thêm 1, sửa 0, giữ nguyên 3 mục.\n")
    assert out.endswith("Chạy lại không có --dry-run để ghi.\n")
    assert not (kb / "faq" / "vneid.yaml").exists()

    assert main(["faq", "import", "faq.xlsx"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Đã ghi: thêm 1, sửa 0, giữ nguyên 3 mục.\n")
    assert out.endswith("Nhớ xây lại chỉ mục để bot dùng nội dung mới: make index\n")
    assert (kb / "faq" / "vneid.yaml").exists()


def test_cli_import_with_errors_exits_1_and_lists_them(
    kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(kb)
    export_faq(kb, tmp_path / "faq.xlsx")
    edit_sheet(tmp_path / "faq.xlsx", {"E2": "x" * 1340, "B4": "thoi-tiet"})

    assert main(["faq", "import", "faq.xlsx"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[1:] == [
        "Dòng 2, cột “trả lời”: câu trả lời dài 1.340 ký tự, tối đa 1.200.",
        f"Dòng 4, cột “chủ đề”: không có chủ đề “thoi-tiet”; chọn một trong: {ALL_TOPICS}.",
    ]
    assert snapshot(kb) == before


def test_python_m_bot_faq_round_trip(kb: Path, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CDS_KNOWLEDGE_DIR": str(kb)}

    def bot(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot", "faq", *args]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env)

    exported = bot("export", "--topic", "vneid", "vneid.xlsx")
    assert (exported.returncode, exported.stdout) == (0, "Đã xuất 1 mục vào vneid.xlsx.\n")
    imported = bot("import", "vneid.xlsx")
    assert (imported.returncode, imported.stdout) == (
        0,
        "Không có thay đổi: 1 mục giống hệt kho tri thức.\n",
    )
    wrong = bot("import", "vneid.txt")
    assert wrong.returncode == 1
    assert "Chỉ nhập được tệp .xlsx hoặc .csv, không nhập được “vneid.txt”." in wrong.stderr
