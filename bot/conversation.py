"""A short memory per conversation, so that "vậy có mất phí không" is read after the question
it follows.

A conversation is one user on one channel. Only the last turn is kept (the question, or the
one clause of it that was answered, and the entries that answered it), in process memory,
and forgotten after a quarter of an hour of silence: long enough for a follow-up, short
enough that tomorrow's question starts afresh.
The answer core decides whether a new message leans on that turn (bot/answer.py).

Servers sharing a PostgreSQL database keep the turn in its `conversation_turns` table
instead, so that a follow-up is understood whichever server receives it: one row per
conversation (channel and hashed user), the masked question, the entries that answered it
and its time; rows quiet for longer than the memory lasts are deleted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from .answer import Answer, Turn
from .errors import StorageError
from .privacy import mask
from .sanitize import clean
from .storage import Store

log = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 60.0

FORGET_AFTER_SECONDS = 15 * 60
MAX_CONVERSATIONS = 50_000  # the oldest are forgotten first beyond this


class Conversations(Protocol):
    def recall(self, channel: str, user: str) -> Turn | None: ...

    def remember(
        self, channel: str, user: str, answer: Answer, asked: str | None = None
    ) -> None: ...

    def forget(self, channel: str, user: str) -> None: ...


def _kept(answer: Answer, asked: str | None) -> Turn | None:
    """What a conversation keeps of an answer: None for small talk and refusals."""
    if answer.intent not in ("question", "out_of_scope"):
        return None
    turn = answer.turn()
    if asked is None:
        return turn
    # An answer read from one clause keeps that clause (masked), not the whole message.
    return Turn(mask(clean(answer.read)) if answer.read else asked, turn.source_ids)


class Memory:
    """The last turn of each recent conversation, in this process; safe to share between
    threads."""

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
        turn = _kept(answer, asked)
        if turn is None:
            return
        with self._lock:
            self._turns[(channel, user)] = (self._clock(), turn)
            self._turns.move_to_end((channel, user))
            while len(self._turns) > self._capacity:
                self._turns.popitem(last=False)

    def forget(self, channel: str, user: str) -> None:
        with self._lock:
            self._turns.pop((channel, user), None)


class SharedMemory:
    """The last turn of each recent conversation, in the database every server shares."""

    def __init__(
        self,
        store: Store,
        forget_after: float = FORGET_AFTER_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._forget_after = forget_after
        self._clock = clock  # wall-clock time: the servers' clocks are compared
        self._pruned = 0.0

    def recall(self, channel: str, user: str) -> Turn | None:
        """The previous turn of this conversation, unless it went quiet too long ago."""
        try:
            found = self._store.last_turn(channel, user, self._clock() - self._forget_after)
        except StorageError as exc:  # the message is answered on its own
            log.warning("conversation not recalled channel=%s user=%s: %s", channel, user, exc)
            return None
        return Turn(*found) if found else None

    def remember(self, channel: str, user: str, answer: Answer, asked: str | None = None) -> None:
        """Keep a question as the conversation's last turn, masked of personal data."""
        turn = _kept(answer, asked)
        if turn is None:
            return
        now = self._clock()
        try:
            if now - self._pruned >= PRUNE_EVERY_SECONDS:
                self._pruned = now
                self._store.forget_turns(None, None, now - self._forget_after)
            self._store.save_turn(channel, user, mask(clean(turn.question)), turn.source_ids, now)
        except StorageError as exc:
            log.warning("conversation not remembered channel=%s user=%s: %s", channel, user, exc)

    def forget(self, channel: str, user: str) -> None:
        try:
            self._store.forget_turns(channel, user, 0.0)
        except StorageError as exc:
            log.warning("conversation not forgotten channel=%s user=%s: %s", channel, user, exc)


def conversation_memory(store: Store) -> Conversations:
    """Conversations remembered in the database when `store` is shared with other servers,
    else in this process."""
    return SharedMemory(store) if store.shared else Memory()
