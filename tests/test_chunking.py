from __future__ import annotations

from bot.chunking import (
    MAX_WORDS,
    chunk_text,
    document_chunks,
    faq_chunks,
    knowledge_chunks,
    split_sentences,
)
from bot.knowledge import Document, FaqEntry, Knowledge, Section, load_knowledge

from .conftest import KNOWLEDGE


def _document(sections: list[tuple[tuple[str, ...], str]]) -> Document:
    return Document(
        id="doc",
        title="Kế hoạch",
        sections=tuple(Section(h, t) for h, t in sections),
        url=None,
        path="doc.md",
    )


def test_sentences_and_list_items_are_split() -> None:
    text = "Câu thứ nhất. Câu thứ hai!\n- Mục một\n- Mục hai; còn tiếp\n1. Bước một"
    assert split_sentences(text) == [
        "Câu thứ nhất.",
        "Câu thứ hai!",
        "- Mục một",
        "- Mục hai; còn tiếp",
        "1. Bước một",
    ]


def test_a_chunk_never_straddles_two_sections() -> None:
    document = _document(
        [
            (("I. Mục đích",), "Nội dung mục đích. " * 5),
            (("II. Yêu cầu",), "Nội dung yêu cầu. " * 5),
        ]
    )
    chunks = document_chunks(document)
    assert [c.section for c in chunks] == ["I. Mục đích", "II. Yêu cầu"]
    assert "yêu cầu" not in chunks[0].text and "mục đích" not in chunks[1].text


def test_long_sections_split_at_sentences_with_overlap() -> None:
    sentences = [f"Câu số {i} nói về chuyển đổi số ở thôn bản." for i in range(120)]
    chunks = chunk_text(" ".join(sentences), max_words=100)
    assert len(chunks) > 3
    for chunk in chunks:
        assert len(chunk.split()) <= 100
        assert chunk.endswith(".")  # cut at a sentence boundary
    for first, second in zip(chunks, chunks[1:], strict=False):
        last_sentence = first.rsplit("Câu số", 1)[1]
        assert second.startswith("Câu số" + last_sentence)  # one sentence of overlap


def test_every_real_chunk_fits_the_embedder_window(embedder) -> None:
    knowledge = load_knowledge([KNOWLEDGE])
    for document in knowledge.documents:
        for chunk in document_chunks(document):
            assert len(chunk.text.split()) <= MAX_WORDS
            assert embedder.token_count("passage: " + chunk.embed_text) <= 512, chunk.section


def test_plan_chunks_carry_heading_paths_for_citation() -> None:
    knowledge = load_knowledge([KNOWLEDGE / "documents" / "ke-hoach-tuyen-truyen-nq57-lai-chau.md"])
    sections = {c.section for c in document_chunks(knowledge.documents[0])}
    assert (
        "III. HÌNH THỨC TUYÊN TRUYỀN › 1. Hình thức tuyên truyền › "
        "b) Đẩy mạnh truyền thông qua các nền tảng số"
    ) in sections
    tasks = {s for s in sections if s.startswith("Phụ lục") and "› Nhiệm vụ " in s}
    assert len(tasks) == 19


def test_every_faq_phrasing_is_a_row_leading_to_its_entry() -> None:
    entry = FaqEntry(
        id="vneid-a",
        topic="vneid",
        questions=("Kích hoạt VNeID thế nào?", "Cách kích hoạt định danh", "kich hoat vneid"),
        answer="Mở ứng dụng…",
        source="Bộ Công an",
        updated="2026-11-26",
        url=None,
        path="a.yaml",
    )
    rows = faq_chunks(entry)
    texts = [r.text for r in rows if r.role == "question"]
    # each phrasing, and the two with diacritics also without them
    assert texts == [
        "Kích hoạt VNeID thế nào?",
        "Kich hoat VNeID the nao?",
        "Cách kích hoạt định danh",
        "Cach kich hoat dinh danh",
        "kich hoat vneid",
    ]
    assert {r.source_id for r in rows} == {"vneid-a"}
    assert rows[-1].role == "passage" and "Mở ứng dụng" in rows[-1].text


def test_a_phrasing_typed_as_villagers_type_is_also_indexed_as_a_question_is_read() -> None:
    entry = FaqEntry(
        id="nq57-a",
        topic="nghi-quyet-57",
        questions=(
            "Nghị quyết 57 nói về vấn đề gì?",
            "nq57 noi ve van de gi",
            "nghị quyết 57 là gì",
        ),
        answer="Nghị quyết 57 nói về khoa học, công nghệ và chuyển đổi số.",
        source="Bộ Chính trị",
        updated="2026-12-02",
        url=None,
        path="a.yaml",
    )
    rows = knowledge_chunks(Knowledge(faqs=[entry], documents=[]))
    texts = [r.text for r in rows if r.role == "question"]
    # "nq57" spelt out and the diacritics put back, as search.Retriever reads a question
    assert "nghị quyết 57 nói về vấn đề gì" in texts
    assert "nq57 noi ve van de gi" in texts
