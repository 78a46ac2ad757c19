"""What the two Zalo channels share: the message limit, the reply to one incoming message,
and replies run in the background so that webhooks are acknowledged at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import httpx

from .common import ERROR_REPLY, NON_TEXT_REPLY, ChatService, plain_reply

log = logging.getLogger(__name__)

# Zalo OA's message/cs and the Bot Platform's sendMessage both take at most 2,000 characters.
TEXT_LIMIT = 2000
# How long stop() lets replies in flight finish before cancelling them.
STOP_GRACE_SECONDS = 5.0


async def reply_text(service: ChatService, channel: str, user_id: str, text: str | None) -> str:
    """The reply to one message: the answer to a text, or the text-only notice (None)."""
    if text is None:
        return NON_TEXT_REPLY
    try:
        reply = await service.ask(channel, user_id, text)
    except Exception:  # one odd message must never leave the citizen without a reply
        log.exception(
            "answering failed channel=%s user=%s",
            channel,
            service.store.user_hash(channel, user_id),
        )
        return ERROR_REPLY
    return plain_reply(reply.answer)


def http_error_text(exc: httpx.HTTPError) -> str:
    """An httpx error described without its URL, which may carry a bot token."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


class ReplyTasks:
    """Replies running after their webhook returned; referenced until done, drained on stop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        # The event loop keeps only weak references to tasks: hold them until they finish.
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a Zalo reply failed", exc_info=task.exception())

    async def drain(self, timeout: float = STOP_GRACE_SECONDS) -> None:
        """Wait up to `timeout` seconds for replies in flight, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
