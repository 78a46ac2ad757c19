"""The web chat (and the JSON API) as a channel tickets can write to: a team reply waits in
the store until the visitor's browser, polling `GET /api/replies` with its own user id,
fetches it. The id travels in a header, never in the URL, so access logs do not record it."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..storage import Store

CHANNEL = "api"
USER_HEADER = "X-User-Id"


class WebReplies:
    """Team replies for web chat visitors, kept until their browser has them."""

    name = CHANNEL
    reply_window_seconds: float | None = None  # the visitor polls while the page is open

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock

    async def send(self, address: str, text: str) -> None:
        """Keep `text` for the visitor whose browser id is `address`."""
        user = self.store.user_hash(CHANNEL, address)
        self.store.add_web_reply(user, text, self._clock())

    def fetch(self, user_id: str, after: int = 0) -> dict:
        """The replies waiting for `user_id` past the id `after` they already have, and
        whether they have an open request (worth polling for)."""
        user = self.store.user_hash(CHANNEL, user_id)
        replies = self.store.web_replies(user, after)
        return {
            "replies": [{"id": i, "text": text, "at": at} for i, text, at in replies],
            "waiting": self.store.has_open_ticket(CHANNEL, user),
        }
