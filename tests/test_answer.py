"""The answer core on the real knowledge base: what a citizen would see."""

from __future__ import annotations

import unicodedata

from bot.answer import DECLINE_REPLY, DOCUMENT_ANSWER_CHARS, Answerer


def test_a_resolution_question_is_answered_with_its_date_and_source(kb_answerer: Answerer) -> None:
    answer = kb_answerer.answer("Nghị quyết 57 ban hành ngày nào?")
    assert answer.answered is True
    assert "22/12/2024" in answer.answer
    assert answer.citation is not None and "57-NQ/TW" in answer.citation
    assert 1 <= len(answer.sources) <= 3


def test_the_same_question_typed_many_ways_reaches_the_same_entry(kb_answerer: Answerer) -> None:
    variants = [
        "Làm thế nào để thanh toán tiền điện qua ứng dụng ngân hàng?",
        "lam the nao de thanh toan tien dien qua ung dung ngan hang",
        "thanh toán tiền điện qua app ngân hàng ntn",
        unicodedata.normalize("NFD", "Thanh toán tiền điện qua ứng dụng ngân hàng thế nào?"),
    ]
    entries = {kb_answerer.answer(v).sources[0].id for v in variants}
    assert entries == {"ttso-tien-dien"}


def test_an_out_of_scope_question_is_declined_politely(kb_answerer: Answerer) -> None:
    answer = kb_answerer.answer("giá vàng hôm nay bao nhiêu một chỉ")
    assert answer.answered is False
    assert answer.kind == "none"
    assert answer.answer.startswith("Xin lỗi")


def test_gibberish_is_declined_with_the_offer_of_a_person(kb_answerer: Answerer) -> None:
    answer = kb_answerer.answer("qwrtp zxv lkjh")
    assert answer.answered is False
    assert answer.answer == DECLINE_REPLY
    assert "Gặp cán bộ hỗ trợ" in answer.answer


def test_an_answer_offers_related_questions(kb_answerer: Answerer) -> None:
    answer = kb_answerer.answer("cách kích hoạt tài khoản VNeID")
    assert answer.answered is True
    assert 1 <= len(answer.suggestions) <= 3
    assert answer.answer.splitlines()[0] not in answer.suggestions


def test_a_document_answer_quotes_only_the_relevant_sentences(kb_answerer: Answerer) -> None:
    filler = " ".join(f"Câu thứ {i} nói về công tác tuyên truyền chung." for i in range(40))
    text = f"{filler} Báo cáo năm gửi trước ngày 15 tháng 12 hằng năm. {filler}"
    excerpt = kb_answerer.excerpt("báo cáo năm gửi trước ngày nào", text)
    assert "Báo cáo năm gửi trước ngày 15 tháng 12 hằng năm." in excerpt
    assert len(excerpt) <= DOCUMENT_ANSWER_CHARS
