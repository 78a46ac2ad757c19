from __future__ import annotations

import asyncio

from bot.channels.common import ChatService, split_message


async def test_concurrent_questions_each_get_their_own_answer(chat_service: ChatService) -> None:
    calls: list[int] = []
    original = chat_service.answerer.answer_many

    def counting(questions, top_k=None, contexts=None):
        calls.append(len(questions))
        return original(questions, top_k, contexts)

    chat_service.answerer.answer_many = counting  # type: ignore[method-assign]
    questions = ["quét mã QR trả tiền", "kích hoạt tài khoản định danh", "xin chào"] * 4
    replies = await asyncio.gather(
        *(chat_service.ask("api", f"u{i}", q) for i, q in enumerate(questions))
    )
    expected = {
        "quét mã QR trả tiền": "ttso-quet-qr",
        "kích hoạt tài khoản định danh": "vneid-kich-hoat",
    }
    for question, reply in zip(questions, replies, strict=True):
        assert reply.answer.question == question
        if question in expected:
            assert reply.answer.sources[0].id == expected[question]
        else:
            assert reply.answer.intent == "greeting"
    assert sum(calls) == len(questions)
    assert len(calls) < len(questions), "questions waiting together are answered in one batch"


async def test_a_failing_batch_reaches_every_caller_without_hanging(
    chat_service: ChatService,
) -> None:
    def broken(questions, top_k=None, contexts=None):
        raise RuntimeError("index unavailable")

    chat_service.answerer.answer_many = broken  # type: ignore[method-assign]
    results = await asyncio.wait_for(
        asyncio.gather(*(chat_service.answer(q) for q in ["a", "b"]), return_exceptions=True), 5
    )
    assert all(isinstance(r, RuntimeError) for r in results)


def test_split_message_keeps_paragraphs_whole_when_they_fit() -> None:
    text = "Đoạn một.\n\nĐoạn hai dài hơn một chút.\n\nĐoạn ba."
    assert split_message(text, 30) == ["Đoạn một.", "Đoạn hai dài hơn một chút.", "Đoạn ba."]
    assert split_message(text, 1000) == [text]


def test_split_message_cuts_long_paragraphs_at_words() -> None:
    text = " ".join(["chuyển đổi số"] * 200)
    parts = split_message(text, 100)
    assert all(len(p) <= 100 for p in parts)
    assert " ".join(parts) == text


def test_handover_records_the_previous_question(chat_service: ChatService) -> None:
    async def conversation() -> None:
        await chat_service.ask("web", "u1", "thủ tục ly hôn online thế nào")
        reply = await chat_service.ask("web", "u1", "cho tôi gặp cán bộ")
        assert reply.answer.intent == "handover"

    asyncio.run(conversation())
    (handover,) = chat_service.store.open_handovers()
    assert handover["question"] == "thủ tục ly hôn online thế nào"


async def test_a_failing_team_alert_still_records_the_handover(chat_service: ChatService) -> None:
    announced = []

    async def broken_alert(handover) -> None:
        raise ConnectionError("team chat unreachable")

    async def alert(handover) -> None:
        announced.append(handover)

    chat_service.on_handover(broken_alert)
    chat_service.on_handover(alert)
    handover_id = await chat_service.handover("zalo", "u1", "đăng ký sim chính chủ")
    assert [h.id for h in announced] == [handover_id]
    assert announced[0].question == "đăng ký sim chính chủ"
    assert chat_service.store.open_handovers()[0]["id"] == handover_id
