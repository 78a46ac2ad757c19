"""What the two Zalo channels share: the message limit and the reply to one incoming
message."""

from __future__ import annotations

import logging

import httpx

from ..errors import RateLimited
from .common import ERROR_REPLY, NON_TEXT_REPLY, RATE_LIMITED_REPLY, ChatService, plain_reply

log = logging.getLogger(__name__)

# Zalo OA's message/cs and the Bot Platform's sendMessage both take at most 2,000 characters.
TEXT_LIMIT = 2000
# How long stop() lets replies in flight finish before cancelling them.
STOP_GRACE_SECONDS = 5.0


async def reply_text(
    service: ChatService,
    channel: str,
    user_id: str,
    text: str | None,
    admitted: bool = False,
    address: str | None = None,
) -> str | None:
    """The reply to one message: the answer to a text, or the text-only notice (None);
    None when the user is over their limit and has been told so already. `address` is
    where a team reply would reach them (default: `user_id`)."""
    if text is None:
        return NON_TEXT_REPLY
    try:
        reply = await service.ask(channel, user_id, text, admitted=admitted, address=address)
    except RateLimited as exc:
        return limited_reply(exc)
    except Exception:  # one odd message must never leave the citizen without a reply
        log.exception(
            "answering failed channel=%s user=%s",
            channel,
            service.store.user_hash(channel, user_id),
        )
        return ERROR_REPLY
    return plain_reply(reply.answer)


def limited_reply(refused: RateLimited) -> str | None:
    """The polite notice, the first time a user is over their limit; then nothing."""
    return RATE_LIMITED_REPLY if refused.first_refusal else None


def http_error_text(exc: httpx.HTTPError) -> str:
    """An httpx error described without its URL, which may carry a bot token."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__
