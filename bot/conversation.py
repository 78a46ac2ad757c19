"""A short memory per conversation, so that "vậy có mất phí không" is read after the question
it follows.

A conversation is one user on one channel. Only the last turn is kept (the question and the
entries that answered it), in process memory, and forgotten after a quarter of an hour of
silence: long enough for a follow-up, short enough that tomorrow's question starts afresh.
The answer core decides whether a new message leans on that turn (bot/answer.py).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from .answer import Answer, Turn

FORGET_AFTER_SECONDS = 15 * 60
MAX_CONVERSATIONS = 50_000  # the oldest are forgotten first beyond this


class Memory:
    """The last turn of each recent conversation; safe to share between threads."""

    def __init__(
        self,
        forget_after: float = FORGET_AFTER_SECONDS,
        capacity: int = MAX_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._turns: OrderedDict[tuple[str, str], tuple[float, Turn]] = OrderedDict()
        self._forget_after = forget_after
        self._capacity = capacity
        self._clock = clock
        self._lock = threading.Lock()

    def recall(self, channel: str, user: str) -> Turn | None:
        """The previous turn of this conversation, unless it went quiet too long ago."""
        with self._lock:
            found = self._turns.get((channel, user))
            if found is None:
                return None
            at, turn = found
            if self._clock() - at > self._forget_after:
                del self._turns[(channel, user)]
                return None
            return turn

    def remember(self, channel: str, user: str, answer: Answer, asked: str | None = None) -> None:
        """Keep a question (as `asked`: masked of personal data) as the conversation's last
        turn; small talk and refusals leave the thread as it was ("cảm ơn" ends no topic)."""
        if answer.intent not in ("question", "out_of_scope"):
            return
        turn = answer.turn()
        if asked is not None:
            turn = Turn(asked, turn.source_ids)
        with self._lock:
            self._turns[(channel, user)] = (self._clock(), turn)
            self._turns.move_to_end((channel, user))
            while len(self._turns) > self._capacity:
                self._turns.popitem(last=False)

    def forget(self, channel: str, user: str) -> None:
        with self._lock:
            self._turns.pop((channel, user), None)
