"""A short memory per conversation: follow-ups are read after the message they follow."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answer import Answer, Answerer, SourceRef
from bot.channels.common import ChatService
from bot.conversation import Memory
from bot.storage import Store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _answer(question: str, intent: str = "question", source: str | None = None) -> Answer:
    used = (SourceRef(source, source, "", None),) if source else ()
    return Answer(question, True, "…", "faq", 0.9, [], intent=intent, answered_from=used)  # type: ignore[arg-type]


def test_the_last_turn_is_recalled_for_the_same_user_on_the_same_channel() -> None:
    memory = Memory()
    memory.remember("zalo", "u1", _answer("Bình dân học vụ số là gì?", source="bdhvs-la-gi"))
    turn = memory.recall("zalo", "u1")
    assert turn is not None and turn.source_ids == ("bdhvs-la-gi",)
    assert memory.recall("zalo", "u2") is None
    assert memory.recall("telegram", "u1") is None


def test_a_conversation_is_forgotten_after_a_quarter_of_an_hour_of_silence() -> None:
    clock = Clock()
    memory = Memory(clock=clock)
    memory.remember("web", "u1", _answer("VNeID là gì?"))
    clock.now += 14 * 60
    assert memory.recall("web", "u1") is not None
    clock.now += 2 * 60
    assert memory.recall("web", "u1") is None


def test_thanks_and_greetings_do_not_end_the_thread() -> None:
    memory = Memory()
    memory.remember("web", "u1", _answer("VNeID là gì?", source="vneid-la-gi"))
    memory.remember("web", "u1", _answer("cảm ơn", intent="thanks"))
    turn = memory.recall("web", "u1")
    assert turn is not None and turn.question == "VNeID là gì?"


def test_an_answer_read_from_one_clause_keeps_that_clause_masked() -> None:
    # The story told around a question is not what the conversation was about; a number in
    # the clause is masked like one in the whole message.
    memory = Memory()
    answer = replace(
        _answer("Nhà tôi ở Mường Tè, số 0912345678. Tôi phải mở tài khoản ở đâu?"),
        read="tôi phải mở tài khoản ở đâu 0912345678",
    )
    memory.remember(
        "zalo", "u1", answer, asked="Nhà tôi ở Mường Tè, … Tôi phải mở tài khoản ở đâu?"
    )
    turn = memory.recall("zalo", "u1")
    assert turn is not None and turn.question.startswith("tôi phải mở tài khoản ở đâu")
    assert "0912345678" not in turn.question


def test_the_oldest_conversations_are_dropped_beyond_the_capacity() -> None:
    memory = Memory(capacity=2)
    for user in ("a", "b", "c"):
        memory.remember("web", user, _answer(f"câu hỏi của {user}"))
    assert memory.recall("web", "a") is None
    assert memory.recall("web", "c") is not None


@pytest.fixture
def kb_service(kb_answerer: Answerer, tmp_path: Path) -> ChatService:
    return ChatService(kb_answerer, Store(tmp_path / "db.sqlite"))


async def test_a_citizens_follow_up_is_answered_in_the_light_of_their_previous_question(
    kb_service: ChatService,
) -> None:
    await kb_service.ask("zalo", "citizen", "Tổ công nghệ số cộng đồng là gì?")
    reply = await kb_service.ask("zalo", "citizen", "thế muốn nhờ họ thì liên hệ kiểu gì")
    assert reply.answer.answered is True
    assert reply.answer.answered_from[0].id == "tcns-tim-o-dau"
    # Another citizen asking the same words has no thread to lean on.
    other = await kb_service.ask("zalo", "someone-else", "thế muốn nhờ họ thì liên hệ kiểu gì")
    assert other.answer.answered is False


async def test_a_conversation_is_counted_under_the_entry_that_answered_it(
    kb_service: ChatService,
) -> None:
    # The VNeID hotline entry ranks first; the VssID entry, which gives the number, answers.
    reply = await kb_service.ask("telegram", "citizen", "tổng đài hỗ trợ VssID số mấy")
    assert reply.answer.sources[0].id != "dvso-vssid-la-gi"
    assert reply.answer.answered_from[0].id == "dvso-vssid-la-gi"
    counted = kb_service.store.answers_per_source(0, time.time() + 60)
    assert counted == [("dvso-vssid-la-gi", 1)]
