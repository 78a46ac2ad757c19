from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from bot.errors import FaqEditError, FaqEntryError
from bot.faq_files import (
    add_entry,
    delete_entry,
    new_entry_id,
    prepare,
    preview,
    render_entry,
    update_entry,
)
from bot.knowledge import TOPICS, FaqEntry, load_knowledge

from .conftest import FIXTURES, KNOWLEDGE

NEW = FaqEntry(
    id="",
    topic="vneid",
    questions=(
        "Làm thế nào để đăng ký xe máy qua VNeID?",
        "Xe mới mua có đăng ký trên ứng dụng VNeID được không?",
        "dang ky xe may qua vneid",
    ),
    answer="Bạn mở ứng dụng VNeID, chọn Thủ tục hành chính, rồi Đăng ký xe.",
    source="Bộ Công an",
    updated="2026-12-01",
    url=None,
)

ALL_TOPICS = ", ".join(TOPICS)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A copy of the fixture knowledge base: faq/mau.yaml (3 entries), a document, a JSONL."""
    return Path(shutil.copytree(FIXTURES / "knowledge", tmp_path / "knowledge"))


@pytest.fixture
def real_kb(tmp_path: Path) -> Path:
    """The real knowledge base's VNeID file: a comment block, blank lines between entries."""
    (tmp_path / "knowledge" / "faq").mkdir(parents=True)
    shutil.copy(KNOWLEDGE / "faq" / "vneid.yaml", tmp_path / "knowledge" / "faq")
    return tmp_path / "knowledge"


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def entry(root: Path, entry_id: str) -> FaqEntry:
    return next(e for e in load_knowledge([root]).faqs if e.id == entry_id)


def test_every_entry_of_the_knowledge_base_renders_exactly_as_it_is_written() -> None:
    for faq in load_knowledge([KNOWLEDGE]).faqs:
        assert render_entry(faq) in Path(faq.path).read_text("utf-8"), faq.id


def test_an_update_changes_only_the_lines_of_that_entry(kb: Path) -> None:
    mau = kb / "faq" / "mau.yaml"
    before = mau.read_text("utf-8")
    old = entry(kb, "ttso-quet-qr")
    new_answer = "Bạn mở ứng dụng ngân hàng, chọn Quét mã QR.\n\nKiểm tra tên người nhận."
    edit = update_entry(kb, dataclasses.replace(old, answer=new_answer))

    assert edit.diff() == (
        "--- a/knowledge/faq/mau.yaml\n"
        "+++ b/knowledge/faq/mau.yaml\n"
        "@@ -15,7 +15,9 @@\n"
        "     - Cách quét mã QR để trả tiền\n"
        "     - quet qr tra tien sao\n"
        "   answer: |-\n"
        "-    Bạn mở ứng dụng ngân hàng, chọn quét mã QR, đưa camera vào mã, kiểm tra đúng tên "
        "người nhận và số tiền rồi xác nhận.\n"
        "+    Bạn mở ứng dụng ngân hàng, chọn Quét mã QR.\n"
        "+\n"
        "+    Kiểm tra tên người nhận.\n"
        "   source: Ngân hàng Nhà nước Việt Nam\n"
        "   updated: 2026-11-26\n"
        " - id: ttso-chuyen-khoan\n"
    )
    assert mau.read_text("utf-8") == before.replace(
        old.answer, "Bạn mở ứng dụng ngân hàng, chọn Quét mã QR.\n\n    Kiểm tra tên người nhận."
    )
    assert entry(kb, "ttso-quet-qr").answer == new_answer
    assert [e.id for e in edit.updated] == ["ttso-quet-qr"]


def test_comments_and_blank_lines_between_entries_stay_when_an_entry_changes(
    real_kb: Path,
) -> None:
    vneid = real_kb / "faq" / "vneid.yaml"
    before = vneid.read_text("utf-8")
    old = entry(real_kb, "vneid-cai-dat")
    questions = (*old.questions, "cai app vneid o dau")
    update_entry(real_kb, dataclasses.replace(old, questions=questions))

    after = vneid.read_text("utf-8")
    assert after.startswith("# Câu hỏi thường gặp về ứng dụng VNeID")
    assert after == before.replace(
        "    - cai vneid lam sao\n",
        "    - cai vneid lam sao\n    - cai app vneid o dau\n",
    )


def test_a_new_entry_gets_an_id_and_goes_at_the_end_of_its_topic_file(real_kb: Path) -> None:
    vneid = real_kb / "faq" / "vneid.yaml"
    before = vneid.read_text("utf-8")
    edit = add_entry(real_kb, NEW)

    assert [e.id for e in edit.added] == ["vneid-dang-ky-xe-may"]
    assert vneid.read_text("utf-8") == before + "\n" + (
        "- id: vneid-dang-ky-xe-may\n"
        "  topic: vneid\n"
        "  questions:\n"
        "    - Làm thế nào để đăng ký xe máy qua VNeID?\n"
        "    - Xe mới mua có đăng ký trên ứng dụng VNeID được không?\n"
        "    - dang ky xe may qua vneid\n"
        "  answer: |-\n"
        "    Bạn mở ứng dụng VNeID, chọn Thủ tục hành chính, rồi Đăng ký xe.\n"
        "  source: Bộ Công an\n"
        "  updated: 2026-12-01\n"
    )
    assert entry(real_kb, "vneid-dang-ky-xe-may").questions == NEW.questions


def test_a_new_entry_of_a_topic_without_a_file_starts_that_file(kb: Path) -> None:
    edit = add_entry(kb, NEW)

    text = (kb / "faq" / "vneid.yaml").read_text("utf-8")
    assert text.startswith("# Câu hỏi thường gặp: VNeID và định danh điện tử.\n\n- id: vneid-")
    assert edit.added[0].path == str(kb / "faq" / "vneid.yaml")
    assert (kb / "faq" / "mau.yaml").read_bytes() == (
        FIXTURES / "knowledge" / "faq" / "mau.yaml"
    ).read_bytes()


def test_new_ids_come_from_the_topic_and_the_question_and_are_never_reused(kb: Path) -> None:
    knowledge = load_knowledge([kb])
    question = "Làm thế nào để kích hoạt tài khoản định danh?"
    assert new_entry_id(knowledge, "vneid", question) == "vneid-kich-hoat-tai-khoan"
    assert new_entry_id(knowledge, "thanh-toan-so", "Quét QR?") == "ttso-quet-qr-2"
    assert new_entry_id(knowledge, "chatbot", "Bạn là ai?") == "chatbot-ban-la-ai"
    taken = {"vneid-kich-hoat-tai-khoan"}
    assert new_entry_id(knowledge, "vneid", question, taken) == "vneid-kich-hoat-tai-khoan-2"


def test_a_deleted_entry_leaves_no_trace_in_its_file(kb: Path) -> None:
    mau = kb / "faq" / "mau.yaml"
    before = mau.read_text("utf-8")
    edit = delete_entry(kb, "ttso-quet-qr")

    start, end = before.index("- id: ttso-quet-qr"), before.index("- id: ttso-chuyen-khoan")
    assert mau.read_text("utf-8") == before[:start] + before[end:]
    assert [e.id for e in edit.deleted] == ["ttso-quet-qr"]
    assert [e.id for e in load_knowledge([kb]).faqs] == ["vneid-kich-hoat", "ttso-chuyen-khoan"]


def test_deleting_the_last_entry_of_a_file_removes_the_blank_line_before_it(
    real_kb: Path,
) -> None:
    vneid = real_kb / "faq" / "vneid.yaml"
    before = vneid.read_text("utf-8")
    last = [e for e in load_knowledge([real_kb]).faqs if e.path == str(vneid)][-1]
    delete_entry(real_kb, last.id)

    assert vneid.read_text("utf-8") == before[: before.index(f"\n- id: {last.id}")]


def test_deleting_every_entry_of_a_file_removes_the_file(kb: Path) -> None:
    add_entry(kb, NEW)
    delete_entry(kb, "vneid-dang-ky-xe-may")
    assert not (kb / "faq" / "vneid.yaml").exists()


def test_a_changed_topic_moves_the_entry_to_that_topics_file(kb: Path) -> None:
    old = entry(kb, "ttso-chuyen-khoan")
    edit = update_entry(kb, dataclasses.replace(old, topic="dich-vu-so"))

    assert "ttso-chuyen-khoan" not in (kb / "faq" / "mau.yaml").read_text("utf-8")
    moved = entry(kb, "ttso-chuyen-khoan")
    assert (moved.topic, moved.path) == ("dich-vu-so", str(kb / "faq" / "dich-vu-so.yaml"))
    assert [f.name for f in edit.files] == [
        "knowledge/faq/dich-vu-so.yaml",
        "knowledge/faq/mau.yaml",
    ]


def test_preview_shows_the_diff_and_writes_nothing(kb: Path) -> None:
    before = snapshot(kb)
    diff = preview(kb, add=[NEW], delete=["ttso-quet-qr"])

    assert diff.startswith("--- a/knowledge/faq/mau.yaml\n+++ b/knowledge/faq/mau.yaml\n")
    assert "--- /dev/null\n+++ b/knowledge/faq/vneid.yaml\n" in diff
    assert "-- id: ttso-quet-qr\n" in diff
    assert "+- id: vneid-dang-ky-xe-may\n" in diff
    assert snapshot(kb) == before


def test_an_update_that_changes_nothing_writes_nothing(kb: Path) -> None:
    before = snapshot(kb)
    old = entry(kb, "vneid-kich-hoat")
    edit = update_entry(kb, dataclasses.replace(old, answer=f"  {old.answer}\n"))

    assert not edit.changed
    assert edit.diff() == ""
    assert [e.id for e in edit.unchanged] == ["vneid-kich-hoat"]
    assert snapshot(kb) == before


def test_every_broken_rule_is_reported_at_once_and_nothing_is_written(kb: Path) -> None:
    before = snapshot(kb)
    bad_new = dataclasses.replace(NEW, topic="thoi-tiet", answer="x" * 1340, questions=("a",))
    old = entry(kb, "ttso-chuyen-khoan")
    shared = dataclasses.replace(
        old, questions=(*old.questions, "cách kích hoạt vneid sau khi được duyệt")
    )
    with pytest.raises(FaqEntryError) as caught:
        prepare(kb, add=[bad_new, dataclasses.replace(NEW, source="")], update=[shared])

    assert [(p.index, p.field, p.message) for p in caught.value.problems] == [
        (
            0,
            "topic",
            f"không có chủ đề “thoi-tiet”; chọn một trong: {ALL_TOPICS}.",
        ),
        (
            0,
            "questions",
            "cần ít nhất 3 cách hỏi (câu hỏi và 2 cách hỏi khác), mới có 1.",
        ),
        (0, "answer", "câu trả lời dài 1.340 ký tự, tối đa 1.200."),
        (1, "source", "chưa ghi nguồn."),
        (
            2,
            "questions",
            "cách hỏi “cách kích hoạt vneid sau khi được duyệt” trùng với một cách hỏi của mục "
            "“vneid-kich-hoat”.",
        ),
    ]
    assert caught.value.problems[-1].phrasing == 3
    assert caught.value.problems[-1].clash == "vneid-kich-hoat"
    assert str(caught.value).startswith("Mục 1, chủ đề: không có chủ đề “thoi-tiet”")
    assert snapshot(kb) == before


def test_two_new_entries_with_the_same_phrasing_are_reported_on_the_second(kb: Path) -> None:
    twin = dataclasses.replace(
        NEW, questions=("Câu khác?", "câu khác nữa", "dang ky xe may qua vneid")
    )
    with pytest.raises(FaqEntryError) as caught:
        prepare(kb, add=[NEW, twin])

    (problem,) = caught.value.problems
    assert (problem.index, problem.phrasing, problem.clash_index) == (1, 2, 0)
    assert problem.clash == "vneid-dang-ky-xe-may"


def test_ids_must_be_new_to_add_and_known_to_update_or_delete(kb: Path) -> None:
    with pytest.raises(FaqEntryError) as caught:
        prepare(
            kb,
            add=[dataclasses.replace(NEW, id="tin-001")],
            update=[dataclasses.replace(NEW, id="vneid-khong-co", questions=("a?", "b?", "c?"))],
        )
    assert [(p.index, p.field, p.message) for p in caught.value.problems] == [
        (0, "id", "id “tin-001” đã được dùng cho một tài liệu khác."),
        (1, "id", "không có mục nào có id “vneid-khong-co”."),
    ]
    with pytest.raises(FaqEditError, match="Không có mục nào có id “vneid-khong-co” để xóa."):
        delete_entry(kb, "vneid-khong-co")


def test_a_file_changed_after_preparing_is_not_overwritten(kb: Path) -> None:
    mau = kb / "faq" / "mau.yaml"
    edit = prepare(kb, delete=["ttso-quet-qr"])
    mau.write_text(mau.read_text("utf-8") + "# sửa tay\n", "utf-8")

    with pytest.raises(FaqEditError, match="knowledge/faq/mau.yaml vừa được sửa ở nơi khác"):
        edit.write()
    assert mau.read_text("utf-8").endswith("# sửa tay\n")
    assert "ttso-quet-qr" in mau.read_text("utf-8")


def test_a_written_file_keeps_its_mode_and_leaves_no_temporary_file(kb: Path) -> None:
    mau = kb / "faq" / "mau.yaml"
    mau.chmod(0o640)
    delete_entry(kb, "ttso-quet-qr")

    assert mau.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in (kb / "faq").iterdir()) == ["mau.yaml"]


def test_awkward_text_reads_back_exactly_as_given(kb: Path) -> None:
    awkward = dataclasses.replace(
        NEW,
        questions=("“VNeID” là gì: hỏi nhanh?", "- gạch đầu dòng", "# dấu thăng", "yes"),
        answer="'Trích dẫn': mở đầu\n    thụt lề\ndòng\u2028lạ",
        source="Bộ Công an: Cục C06 # ghi chú",
        url="https://vneid.gov.vn/?a=1#b",
        updated="tháng 12/2026",
    )
    edit = add_entry(kb, awkward)

    written = entry(kb, edit.added[0].id)
    assert dataclasses.replace(written, id="", path="") == awkward


def test_a_file_with_windows_line_endings_keeps_them(kb: Path) -> None:
    mau = kb / "faq" / "mau.yaml"
    mau.write_bytes(mau.read_bytes().replace(b"\n", b"\r\n"))
    before = mau.read_bytes()
    delete_entry(kb, "vneid-kich-hoat")

    after = mau.read_bytes()
    assert b"\n" not in after.replace(b"\r\n", b"")
    assert before.endswith(after)


def test_a_shared_phrasing_is_blamed_on_the_entry_it_is_new_to(kb: Path) -> None:
    knowledge = load_knowledge([kb])
    unchanged = next(e for e in knowledge.faqs if e.id == "ttso-chuyen-khoan")
    taker = next(e for e in knowledge.faqs if e.id == "vneid-kich-hoat")
    taker = dataclasses.replace(
        taker, questions=(*taker.questions, "chuyen tien qua app ngan hang sao")
    )
    with pytest.raises(FaqEntryError) as caught:
        prepare(kb, update=[taker, unchanged])

    (problem,) = caught.value.problems
    assert (problem.index, problem.phrasing, problem.clash, problem.clash_index) == (
        0,
        3,
        "ttso-chuyen-khoan",
        1,
    )
