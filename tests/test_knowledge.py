from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.errors import KnowledgeError
from bot.knowledge import faq_entry_problems, load_file, load_knowledge

from .conftest import FIXTURES

FAQ_ENTRY = """\
- id: {id}
  topic: vneid
  questions: ["{q}", "{q} không?", "{q} ntn"]
  answer: Trả lời.
  source: Bộ Công an
  updated: 2026-11-26
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_fixture_knowledge_loads_every_format() -> None:
    knowledge = load_knowledge([FIXTURES / "knowledge"])
    assert [e.id for e in knowledge.faqs] == [
        "vneid-kich-hoat",
        "ttso-quet-qr",
        "ttso-chuyen-khoan",
    ]
    assert {d.id for d in knowledge.documents} == {"ke-hoach-mau", "tin-001", "tin-002"}
    assert len(knowledge.file_hashes) == 3


def test_markdown_sections_carry_their_heading_path() -> None:
    (document,) = load_file(FIXTURES / "knowledge" / "ke-hoach-mau.md")[1]
    assert document.title == "Kế hoạch mẫu về chuyển đổi số"
    assert document.meta["signer"] == "Nguyễn Văn A"
    paths = [s.path for s in document.sections]
    assert paths == [
        "I. MỤC ĐÍCH, YÊU CẦU › 1. Mục đích",
        "I. MỤC ĐÍCH, YÊU CẦU › 2. Yêu cầu",
        "II. TỔ CHỨC THỰC HIỆN › 1. Chế độ báo cáo",
    ]


def test_faq_entry_fields() -> None:
    entry = load_knowledge([FIXTURES / "knowledge" / "faq"]).faqs[0]
    assert entry.questions[2] == "kich hoat vneid ntn"
    assert entry.updated == "2026-11-26"
    assert entry.source == "Bộ Công an"


def test_jsonl_documents_keep_their_own_id_and_url() -> None:
    documents = load_file(FIXTURES / "knowledge" / "tin-tuc.jsonl")[1]
    assert documents[0].id == "tin-001"
    assert documents[0].url == "https://example.gov.vn/tin-001"
    assert documents[1].url is None


def test_markdown_without_front_matter_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.md", "# Tiêu đề\n\nNội dung.\n")
    with pytest.raises(KnowledgeError, match=r"bad\.md \(line 1\): missing front matter"):
        load_file(path)


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.yaml", "- id: a\n  topic: vneid\n  questions: [a, b\n")
    with pytest.raises(KnowledgeError, match=r"faq\.yaml \(line \d+\): invalid YAML"):
        load_file(path)


def test_faq_entry_missing_a_field_names_the_entry(tmp_path: Path) -> None:
    text = FAQ_ENTRY.format(id="vneid-a", q="Câu hỏi một") + "- id: vneid-b\n  topic: vneid\n"
    path = write(tmp_path / "faq.yaml", text)
    with pytest.raises(
        KnowledgeError, match=r"entry 2, id 'vneid-b'\): missing field\(s\): questions"
    ):
        load_file(path)


def test_unknown_topic_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.yaml", FAQ_ENTRY.format(id="x", q="Câu hỏi").replace("vneid", "thoi-tiet")
    )
    with pytest.raises(KnowledgeError, match="unknown topic 'thoi-tiet'"):
        load_file(path)


def test_overlong_answer_is_rejected(tmp_path: Path) -> None:
    text = FAQ_ENTRY.format(id="vneid-a", q="Câu hỏi").replace("Trả lời.", "x" * 1300)
    with pytest.raises(KnowledgeError, match="answer is 1300 characters"):
        load_file(write(tmp_path / "faq.yaml", text))


def test_duplicate_id_across_files_names_both_files(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", FAQ_ENTRY.format(id="vneid-a", q="Câu hỏi một"))
    write(tmp_path / "b.yaml", FAQ_ENTRY.format(id="vneid-a", q="Câu hỏi hai"))
    with pytest.raises(
        KnowledgeError, match=r"b\.yaml: duplicate id 'vneid-a' \(already used in .*a\.yaml\)"
    ):
        load_knowledge([tmp_path])


def test_phrasing_shared_by_two_entries_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", FAQ_ENTRY.format(id="vneid-a", q="Câu hỏi chung"))
    write(tmp_path / "b.yaml", FAQ_ENTRY.format(id="vneid-b", q="câu hỏi CHUNG"))
    with pytest.raises(KnowledgeError, match="is also a phrasing of 'vneid-a'"):
        load_knowledge([tmp_path])


def test_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path / "docs.jsonl", '{"id": "a", "title": "A", "text": "x"}\n{"id": "b", "title"\n'
    )
    with pytest.raises(KnowledgeError, match=r"docs\.jsonl \(line 2\): invalid JSON"):
        load_file(path)


def test_jsonl_line_without_text_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "docs.jsonl", '{"id": "a", "title": "A"}\n')
    with pytest.raises(KnowledgeError, match=r"\(line 1\): missing field\(s\): text"):
        load_file(path)


def test_unknown_file_type_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match=r"notes\.txt: unknown file type"):
        load_knowledge([write(tmp_path / "notes.txt", "hello")])


def test_readme_files_in_a_knowledge_folder_are_not_sources(tmp_path: Path) -> None:
    write(tmp_path / "README.md", "# How to edit\n")
    write(tmp_path / "a.yaml", FAQ_ENTRY.format(id="vneid-a", q="Câu hỏi"))
    assert [e.id for e in load_knowledge([tmp_path]).faqs] == ["vneid-a"]


def test_docx_headings_become_sections(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Hướng dẫn sử dụng VNeID")
    document.add_heading("1. Cài đặt", level=1)
    document.add_paragraph("Tải ứng dụng từ kho ứng dụng chính thức.")
    document.add_heading("2. Đăng ký", level=1)
    document.add_paragraph("Nhập số định danh cá nhân.")
    document.save(tmp_path / "huong-dan.docx")
    (loaded,) = load_file(tmp_path / "huong-dan.docx")[1]
    assert loaded.id == "huong-dan"
    assert loaded.title == "Hướng dẫn sử dụng VNeID"
    assert [(s.path, s.text) for s in loaded.sections] == [
        ("1. Cài đặt", "Tải ứng dụng từ kho ứng dụng chính thức."),
        ("2. Đăng ký", "Nhập số định danh cá nhân."),
    ]


def _minimal_pdf(lines: list[str]) -> bytes:
    content = (
        "BT /F1 12 Tf 72 720 Td " + " ".join(f"({line}) Tj 0 -16 Td" for line in lines) + " ET"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        " /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def test_pdf_text_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "Cong-van 12.pdf"
    path.write_bytes(_minimal_pdf(["Cong van so 12", "Huong dan chuyen doi so"]))
    (loaded,) = load_file(path)[1]
    assert loaded.id == "cong-van-12"
    assert "Huong dan chuyen doi so" in " ".join(s.text for s in loaded.sections) + loaded.title


def test_unreadable_pdf_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "hong.pdf"
    path.write_bytes(b"not a pdf at all")
    with pytest.raises(KnowledgeError, match=r"hong\.pdf: unreadable PDF"):
        load_file(path)


def test_every_rule_an_entry_breaks_is_listed_and_the_loader_reports_the_first(
    tmp_path: Path,
) -> None:
    raw = {
        "id": "vneid-a",
        "topic": "thoi-tiet",
        "questions": ["Câu hỏi", "Câu hỏi khác"],
        "answer": "x" * 1300,
        "source": "Bộ Công an",
    }
    problems = faq_entry_problems(raw)
    assert [(p.fields, p.rule) for p in problems] == [
        (("topic",), "unknown-topic"),
        (("questions",), "few-phrasings"),
        (("answer",), "long-answer"),
        (("updated",), "missing"),
    ]
    path = write(tmp_path / "faq.yaml", yaml.safe_dump([raw], allow_unicode=True))
    with pytest.raises(KnowledgeError, match=r"\(entry 1, id 'vneid-a'\): unknown topic"):
        load_file(path)
