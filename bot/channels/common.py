"""What every channel shares: answering and logging a message, hand-overs, feedback, the
replies to messages that are not text, and splitting long replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from fastapi import APIRouter

from ..answer import Answer, Answerer, Turn
from ..conversation import Memory
from ..errors import NotFound
from ..privacy import mask
from ..sanitize import clean
from ..search import Hit
from ..storage import Store

log = logging.getLogger(__name__)

NON_TEXT_REPLY = (
    "Xin lỗi, hiện tôi chỉ đọc được tin nhắn chữ. Bạn vui lòng gõ câu hỏi bằng chữ "
    "(có dấu hoặc không dấu đều được) nhé."
)
ERROR_REPLY = (
    "Xin lỗi, hệ thống đang gặp sự cố nên tôi chưa trả lời được câu hỏi của bạn. "
    "Bạn vui lòng thử lại sau ít phút nhé."
)
FEEDBACK_THANKS = "Cảm ơn bạn đã góp ý! Ý kiến của bạn giúp chúng tôi trả lời tốt hơn."
LOOKUP_EMPTY = "Không tìm thấy tài liệu nào phù hợp với từ khóa này."
STORED_CHARS = 4000
NOT_YOURS = "No conversation with this id was asked with this user_id."


def stored_text(text: str) -> str:
    """A citizen's text as it may be kept and shown to the team: no control characters, no
    phone, ID, OTP or account numbers, no e-mail addresses."""
    return mask(clean(text)).strip()[:STORED_CHARS]


@dataclass(frozen=True)
class Reply:
    answer: Answer
    conversation_id: int


@dataclass(frozen=True)
class Handover:
    """A citizen's request for a person, as announced to the community tech team."""

    id: int
    channel: str
    question: str


HandoverListener = Callable[[Handover], Awaitable[None]]


class Channel(Protocol):
    """A messaging platform adapter: webhook routes plus start/stop for its client."""

    name: str
    router: APIRouter

    async def start(self, service: ChatService) -> None: ...

    async def stop(self) -> None: ...


class ChatService:
    """The one entry point channels call: answer, log, hand over, take feedback."""

    def __init__(
        self, answerer: Answerer, store: Store, max_batch: int = 32, memory: Memory | None = None
    ) -> None:
        self.answerer = answerer
        self.store = store
        self.memory = memory or Memory()
        self._max_batch = max_batch
        self._waiting: list[tuple[str, Turn | None, asyncio.Future[Answer]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._handover_listeners: list[HandoverListener] = []

    def on_handover(self, listener: HandoverListener) -> None:
        """Call `listener` for every new hand-over request (e.g. to alert the team's chat)."""
        self._handover_listeners.append(listener)

    async def answer(self, text: str, context: Turn | None = None) -> Answer:
        """Answer one question (after `context`, the conversation's previous turn). Questions
        that arrive while the embedder is busy are answered together in one batch: the same
        wait for the first, more per second."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((text, context, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            try:
                # The embedder blocks (and releases the GIL): keep it off the event loop.
                answers = await asyncio.to_thread(
                    self.answerer.answer_many,
                    [text for text, _, _ in batch],
                    None,
                    [context for _, context, _ in batch],
                )
            except Exception as exc:  # each waiting caller gets the error, not a hang
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, _, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(answer)

    async def ask(self, channel: str, user_id: str, text: str) -> Reply:
        """Answer a citizen's message in the light of their previous one, and log it."""
        user = self.store.user_hash(channel, user_id)
        answer = await self.answer(text, self.memory.recall(channel, user))
        stored = stored_text(text)
        self.memory.remember(channel, user, answer, stored)
        if answer.intent == "handover":
            previous = self.store.last_question(channel, user)
            await self.handover(channel, user_id, previous or stored)
        conversation_id = self.store.log_conversation(
            channel,
            user,
            stored,
            answer.answered,
            answer.kind,
            answer.score,
            answer.sources[0].id if answer.sources else None,
        )
        log.info(
            "answered channel=%s user=%s answered=%s kind=%s score=%.3f",
            channel,
            user,
            answer.answered,
            answer.kind,
            answer.score,
        )
        return Reply(answer, conversation_id)

    async def lookup(self, query: str, k: int = 5) -> list[Hit]:
        """Sources for team members: the top matches, answered or not."""
        return await asyncio.to_thread(self.answerer.retriever.search, query, k)

    async def handover(
        self,
        channel: str,
        user_id: str,
        question: str | None = None,
        *,
        conversation_id: int | None = None,
        last_question: bool = True,
    ) -> int:
        """Record a request for a person and announce it. It is about `question`, else the
        caller's own conversation `conversation_id` (NotFound if it is not theirs), else,
        where the platform vouches for who the caller is (`last_question`), their last one."""
        user = self.store.user_hash(channel, user_id)
        text = stored_text(question or "")
        if conversation_id is not None:
            asked = self.store.conversation_question(channel, user, conversation_id)
            if asked is None:
                raise NotFound("conversation_not_found", NOT_YOURS)
            text = asked
        elif not text and last_question:
            text = self.store.last_question(channel, user) or ""
        text = text or "(chưa có câu hỏi)"
        handover = Handover(self.store.add_handover(channel, user, text), channel, text)
        for listener in self._handover_listeners:
            try:
                await listener(handover)
            except Exception:  # the request is stored: a failed alert must not fail the citizen
                log.exception("announcing hand-over %s failed", handover.id)
        return handover.id

    def feedback(self, channel: str, user_id: str, conversation_id: int, helpful: bool) -> bool:
        """Record the asker's vote on their answer (a second vote replaces the first); False
        when the conversation is not theirs."""
        user = self.store.user_hash(channel, user_id)
        return self.store.add_feedback(channel, user, conversation_id, helpful)


def split_message(text: str, limit: int) -> list[str]:
    """Split text into messages of at most `limit` characters, on paragraph boundaries
    where possible, then on lines, then on words."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
            current = ""
        for line in _fit(paragraph, limit):
            candidate = f"{current}\n{line}" if current else line
            if len(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = line
    if current:
        parts.append(current)
    return parts


def _fit(piece: str, limit: int) -> list[str]:
    """Lines of a paragraph, each cut at word boundaries to at most `limit` characters."""
    lines: list[str] = []
    for line in piece.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit + 1)
            cut = cut if cut > 0 else limit
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        lines.append(line)
    return lines


def plain_reply(answer: Answer) -> str:
    """An answer as plain text, with its suggested questions, for channels without markup."""
    extra = [s for s in answer.suggestions if s not in answer.answer]  # "did you mean" lists them
    if not extra:
        return answer.answer
    suggestions = "\n".join(f"- {s}" for s in extra)
    return f"{answer.answer}\n\nBạn có thể hỏi thêm:\n{suggestions}"
