"""What every channel shares: answering and logging a message, hand-overs, feedback, the
replies to messages that are not text, and splitting long replies.

Queues. Questions for the model wait in one bounded queue and are answered in batches by one
worker; canned replies (greetings, thanks, empty or over-long messages, requests for a
person) are recognised first and never wait behind the model. A full queue refuses API
questions at once (the API answers 503 with Retry-After) instead of letting every caller
wait longer; channel deliveries wait, as they are already held in the inbox. Team alerts go
out from a second queue, so a citizen's request never waits for Telegram.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from fastapi import APIRouter

from ..answer import MAX_QUESTION_CHARS, Answer, Answerer, Turn
from ..conversation import Conversations, Memory
from ..embedders import QUESTION_TOKENS, fit_question
from ..errors import NotFound, Overloaded, RateLimited, StorageError
from ..inbox import Inbox
from ..limits import Limiter
from ..privacy import mask
from ..sanitize import clean
from ..search import Hit
from ..storage import Store
from ..tickets import Tickets

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
RATE_LIMITED_REPLY = RateLimited.message
OVERLOADED_REPLY = Overloaded.message
CUT_NOTE = (
    "(Câu hỏi của bạn khá dài nên tôi chỉ đọc được phần đầu. Nếu câu trả lời chưa đúng ý, "
    "bạn vui lòng hỏi ngắn gọn hơn, mỗi lần một câu hỏi nhé.)"
)
STORED_CHARS = 4000
NOT_YOURS = "No conversation with this id was asked with this user_id."
NO_QUESTION_YET = "(chưa có câu hỏi)"
# Questions longer than this may fill the model's window (about 130 tokens of Vietnamese).
LONG_QUESTION_CHARS = 480


def stored_text(text: str) -> str:
    """A citizen's text as it may be kept and shown to the team: no control characters, no
    phone, ID, OTP or account numbers, no e-mail addresses."""
    return mask(clean(text)).strip()[:STORED_CHARS]


@dataclass(frozen=True)
class Reply:
    answer: Answer
    conversation_id: int | None  # None when the database could not log it
    handover_id: int | None = None  # the ticket the message opened or joined, if it asked for one


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

    @property
    def inbox(self) -> Inbox | None: ...

    # Seconds after a citizen's last message the platform lets us write (None: the setting).
    reply_window_seconds: float | None

    async def start(self, service: ChatService) -> None: ...

    async def send(self, address: str, text: str) -> None:
        """Send `text` to a citizen at `address` (a team reply, a reminder)."""

    async def stop(self, timeout: float = ...) -> None:
        """Stop within `timeout` seconds; unsent replies stay in the inbox."""


class ChatService:
    """The one entry point channels call: answer, log, hand over, take feedback."""

    def __init__(
        self,
        answerer: Answerer,
        store: Store,
        max_batch: int = 32,
        memory: Conversations | None = None,
        *,
        limiter: Limiter | None = None,
        queue_size: int = 256,
        alert_queue_size: int = 100,
        handover_cooldown: float = 0.0,
        question_tokens: int = QUESTION_TOKENS,
        tickets: Tickets | None = None,
    ) -> None:
        self.answerer = answerer
        self.store = store
        self.tickets = tickets or Tickets(store)
        self.memory: Conversations = memory or Memory()
        self.limiter = limiter  # per user, every channel; None: no limit
        self._question_tokens = question_tokens
        self._max_batch = max_batch
        self._queue_size = queue_size
        self._waiting: list[tuple[str, Turn | None, asyncio.Future[Answer]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._seconds_per_question = 0.02  # running estimate, for Retry-After
        self._long_turn = False  # a long question goes next, if one waits
        self._handover_listeners: list[HandoverListener] = []
        self._handover_cooldown = handover_cooldown
        self._alert_queue_size = alert_queue_size
        self._alerts: asyncio.Queue[Handover] | None = None
        self._alerts_loop: asyncio.AbstractEventLoop | None = None
        self._alert_worker: asyncio.Task[None] | None = None
        self._closed = False

    def on_handover(self, listener: HandoverListener) -> None:
        """Call `listener` for every new hand-over request (e.g. to alert the team's chat)."""
        self._handover_listeners.append(listener)

    async def answer(self, text: str, context: Turn | None = None, *, shed: bool = False) -> Answer:
        """Answer one question (after `context`, the conversation's previous turn). Questions
        that arrive while the embedder is busy are answered together in one batch: the same
        wait for the first, more per second. With `shed`, a full queue raises Overloaded
        instead of waiting."""
        # A message with a fixed reply (small talk, a request for a person, a refusal…) is
        # answered at once, never in the queue: a greeting must not wait behind questions.
        # The core is asked which messages those are; answer_many still gives the reply.
        if len(text) > LONG_QUESTION_CHARS:
            # Reading a long message (the safety rules, above all) takes a good part of a
            # second: off the event loop, where a greeting would wait for it.
            if await asyncio.to_thread(self.answerer.canned, text) is not None:
                replies = await asyncio.to_thread(
                    self.answerer.answer_many, [text], None, [context]
                )
                return replies[0]
        elif self.answerer.canned(text) is not None:
            return self.answerer.answer_many([text], None, [context])[0]
        elif (hit := self.answerer.cached(text, context)) is not None:
            # A question answered before (FAQ traffic repeats itself) does not queue either;
            # a long one is looked up by the worker, its normalising kept off the event loop.
            return hit
        if shed and len(self._waiting) >= self._queue_size:
            raise Overloaded(self.wait_estimate())
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((text, context, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    @property
    def queued(self) -> int:
        """Questions waiting for the model (not counting the batch it is answering)."""
        return len(self._waiting)

    def wait_estimate(self) -> float:
        """Seconds the questions waiting now should take, at least one."""
        return max(1.0, math.ceil(len(self._waiting) * self._seconds_per_question))

    def _next_batch(self) -> list[tuple[str, Turn | None, asyncio.Future[Answer]]]:
        """Short questions together, a long one alone, taking turns when both wait: a long
        question fills the model's window and costs as much as dozens of short ones, so the
        short ones wait for at most one of them, and it for at most one batch of them."""
        short = [w for w in self._waiting if len(w[0]) <= LONG_QUESTION_CHARS]
        long = [w for w in self._waiting if len(w[0]) > LONG_QUESTION_CHARS]
        take_long = bool(long) and (not short or self._long_turn)
        batch = long[:1] if take_long else short[: self._max_batch]
        self._long_turn = not take_long
        taken = {id(w) for w in batch}
        self._waiting = [w for w in self._waiting if id(w) not in taken]
        return batch

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._next_batch()
            started = time.perf_counter()
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
            per_question = (time.perf_counter() - started) / len(batch)
            self._seconds_per_question += 0.2 * (per_question - self._seconds_per_question)
            for (_, _, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(answer)

    def fit(self, text: str) -> tuple[str, bool]:
        """The question as the model will read it, and whether it had to be cut to fit."""
        if len(text) > MAX_QUESTION_CHARS:
            return text, False  # the core declines it politely, without reading it
        fitted = fit_question(self.answerer.retriever.embedder, text, self._question_tokens)
        return fitted, fitted != text

    def admit(self, channel: str, user_id: str) -> None:
        """Count one message against the user's limit; RateLimited when it is spent. Channels
        that show "typing…" first call this before, so a flood costs no platform calls."""
        if self.limiter is None:
            return
        user = self.store.user_hash(channel, user_id)
        verdict = self.limiter.check(f"{channel}:{user}")
        if not verdict.allowed:
            log.info("rate limited channel=%s user=%s", channel, user)
            raise RateLimited(verdict.retry_after, verdict.first_refusal)

    async def ask(
        self,
        channel: str,
        user_id: str,
        text: str,
        *,
        shed: bool = False,
        admitted: bool = False,
        address: str | None = None,
    ) -> Reply:
        """Answer a citizen's message in the light of their previous one, and log it;
        RateLimited when they send faster than allowed (unless `admitted` already).
        `address` is where the platform delivers to them (default: `user_id`), for a team
        reply to their open ticket."""
        if not admitted:
            self.admit(channel, user_id)
        user = self.store.user_hash(channel, user_id)
        # The database is read and written off the event loop: on PostgreSQL a transaction
        # waits on the network and the disk, and the loop serves everyone meanwhile.
        previous = await asyncio.to_thread(self._note_message, channel, user, address or user_id)
        if len(text) > LONG_QUESTION_CHARS:  # counting its tokens: off the event loop
            question, cut = await asyncio.to_thread(self.fit, text)
        else:
            question, cut = self.fit(text)
        answer = await self.answer(question, previous, shed=shed)
        if cut:
            answer = replace(answer, question=text, answer=f"{CUT_NOTE}\n\n{answer.answer}")
        stored = stored_text(text)
        await asyncio.to_thread(self.memory.remember, channel, user, answer, stored)
        handover_id = None
        if answer.intent == "handover":
            previous = self._last_question(channel, user)
            handover_id = await self.handover(channel, user_id, previous or stored, address=address)
            answer = replace(answer, answer=self.tickets.receipt(handover_id))
        try:
            conversation_id: int | None = await asyncio.to_thread(
                self.store.log_conversation,
                channel,
                user,
                stored,
                answer.answered,
                answer.kind,
                answer.score,
                _logged_source(answer),
            )
        except StorageError as exc:  # the citizen still gets the answer
            log.error("conversation not logged channel=%s user=%s: %s", channel, user, exc)
            conversation_id = None
        log.info(
            "answered channel=%s user=%s answered=%s kind=%s score=%.3f",
            channel,
            user,
            answer.answered,
            answer.kind,
            answer.score,
        )
        return Reply(answer, conversation_id, handover_id)

    def _note_message(self, channel: str, user: str, address: str) -> Turn | None:
        """Keep an open ticket's reply window open; the citizen's previous turn, if recent."""
        try:
            self.tickets.citizen_wrote(channel, user, address)
        except StorageError as exc:  # the citizen is answered all the same
            log.error("ticket not updated channel=%s user=%s: %s", channel, user, exc)
        return self.memory.recall(channel, user)

    def _last_question(self, channel: str, user: str) -> str | None:
        try:
            return self.store.last_question(channel, user)
        except StorageError as exc:
            log.error("last question not read channel=%s user=%s: %s", channel, user, exc)
            return None

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
        address: str | None = None,
    ) -> int:
        """Record a request for a person, open its ticket and announce it. It is about
        `question`, else the caller's own conversation `conversation_id` (NotFound if it is
        not theirs), else, where the platform vouches for who the caller is
        (`last_question`), their last one. A repeat joins the citizen's open request (or one
        within the cooldown), and the team is alerted once, from a queue: the citizen never
        waits for the alert. Team replies go to `address` (default: `user_id`)."""
        user = self.store.user_hash(channel, user_id)
        text = stored_text(question or "")
        if conversation_id is not None:
            asked = self.store.conversation_question(channel, user, conversation_id)
            if asked is None:
                raise NotFound("conversation_not_found", NOT_YOURS)
            text = asked
        elif not text and last_question:
            text = self._last_question(channel, user) or ""
        text = text or NO_QUESTION_YET
        try:
            handover_id, new = self.store.request_handover(
                channel, user, text, self._handover_cooldown
            )
        except StorageError as exc:  # the team is still told
            log.error("hand-over not recorded channel=%s user=%s: %s", channel, user, exc)
            handover_id, new = 0, True
        if handover_id:
            try:
                self.tickets.open(handover_id, channel, user, address or user_id)
            except StorageError as exc:  # the team is still told; a reply cannot reach them
                log.error("ticket %d not opened channel=%s: %s", handover_id, channel, exc)
        if new:
            self._announce(Handover(handover_id, channel, text))
        return handover_id

    def _announce(self, handover: Handover) -> None:
        if not self._handover_listeners:
            return
        if self._closed:
            log.warning("team alert for hand-over %s not sent: stopping", handover.id)
            return
        loop = asyncio.get_running_loop()
        if self._alerts is None or self._alerts_loop is not loop:
            self._alerts = asyncio.Queue(self._alert_queue_size)
            self._alerts_loop = loop
            self._alert_worker = None
        if self._alert_worker is None or self._alert_worker.done():
            self._alert_worker = asyncio.create_task(self._send_alerts(self._alerts))
        try:
            self._alerts.put_nowait(handover)
        except asyncio.QueueFull:  # stored all the same: `python -m bot handovers` lists it
            log.warning(
                "team alert for hand-over %s dropped: %d alerts are waiting",
                handover.id,
                self._alerts.qsize(),
            )

    async def _send_alerts(self, alerts: asyncio.Queue[Handover]) -> None:
        while True:
            handover = await alerts.get()
            try:
                for listener in self._handover_listeners:
                    try:
                        await listener(handover)
                    except Exception:  # the request is stored: a failed alert must not stop others
                        log.exception("announcing hand-over %s failed", handover.id)
            finally:
                alerts.task_done()

    async def alerts_sent(self) -> None:
        """Wait until every queued team alert has been sent (or has failed)."""
        if self._alerts is not None and self._alerts_loop is asyncio.get_running_loop():
            await self._alerts.join()

    async def close(self, timeout: float) -> None:
        """Send the team alerts still queued, for at most `timeout` seconds, then stop."""
        self._closed = True
        try:
            async with asyncio.timeout(timeout):
                await self.alerts_sent()
        except TimeoutError:
            waiting = self._alerts.qsize() if self._alerts is not None else 0
            log.warning("stopped with %d team alerts unsent (the requests are stored)", waiting)
        if self._alert_worker is not None:
            self._alert_worker.cancel()
            await asyncio.gather(self._alert_worker, return_exceptions=True)
            self._alert_worker = None

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


def _logged_source(answer: Answer) -> str | None:
    """The entry a conversation is counted under in reports: the one that answered (a
    runner-up may answer when the first lacks the asked number), else the closest one."""
    chosen = answer.answered_from or tuple(answer.sources)
    return chosen[0].id if chosen else None
