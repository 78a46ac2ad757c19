"""The inbox: platform deliveries written down when they arrive, crossed off when answered.

A webhook tells the platform "received" at once, so a message the bot has acknowledged must
survive the process dying before its reply went out. Each delivery (a Telegram update, a Zalo
OA event, a Zalo Bot message) is recorded with what its reply needs: the hashed user, the
platform address to reply to and the text, under the key (channel, platform id). That key is
the table's primary key, so a platform's retry of a known delivery finds it and is dropped.

Claims. A worker takes a delivery with one conditional UPDATE: only an unfinished delivery
whose lease has run out can be taken, so exactly one worker, of whatever process, answers
it. A live process renews its leases every third of CDS_INBOX_LEASE_SECONDS; a killed one
stops, and its deliveries are taken again once their lease runs out, by a sweep that also
runs at every start. A clean stop hands its unfinished deliveries back at once. A delivery is
finished only after its reply was sent, and its address and text are erased then.

So: at most one reply per message while processes live (a retry of a delivery in progress or
answered is dropped), and at least one after a crash (a process killed between sending a
reply and recording it sends it twice). A delivery the platform keeps refusing is tried again
after growing pauses, then given up after CDS_INBOX_MAX_ATTEMPTS, and logged. When the
database itself fails, the message is answered all the same, without a record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

from .errors import ChannelError, PlatformRefused, StorageError
from .settings import Settings
from .storage import DELIVERY_MEMORY_SECONDS, Delivery, Store

log = logging.getLogger(__name__)

Outcome = Literal["sent", "limited", "ignored"]  # or, set by the inbox: "refused", "failed"
Handler = Callable[[Delivery], Awaitable[Outcome | None]]

# Pauses before a delivery the platform refused is tried again, by attempt.
RETRY_PAUSES = (10.0, 60.0, 300.0, 900.0)
FORGET_EVERY_SECONDS = 3600.0


class Inbox:
    """One channel's deliveries: record on arrival, answer in the background, cross off."""

    def __init__(
        self,
        store: Store,
        channel: str,
        handler: Handler,
        lease_seconds: float = 30.0,
        max_attempts: int = 5,
        concurrency: int = 32,
    ) -> None:
        self.store = store
        self.channel = channel
        self.owner = uuid.uuid4().hex  # this process's claims
        self._handler = handler
        self._lease = lease_seconds
        self._max_attempts = max_attempts
        self._concurrency = concurrency
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._renewed = 0.0
        self._forgotten = 0.0

    @classmethod
    def from_settings(
        cls, settings: Settings, store: Store, channel: str, handler: Handler
    ) -> Inbox:
        return cls(
            store,
            channel,
            handler,
            lease_seconds=settings.inbox_lease_seconds,
            max_attempts=settings.inbox_max_attempts,
            concurrency=settings.inbox_concurrency,
        )

    def start(self) -> None:
        """Begin sweeping: answer what an earlier run left unfinished, then keep leases."""
        self._sweeper = asyncio.create_task(self._sweep_forever())

    def accept(
        self, delivery_id: str, user_hash: str, address: str | None, text: str | None
    ) -> bool:
        """Record a delivery and start answering it; False for a retry of a known one."""
        free = len(self._tasks) < self._concurrency
        try:
            added = self.store.inbox_add(
                self.channel,
                delivery_id,
                user_hash,
                address,
                text,
                self.owner if free else None,
                self._lease_until() if free else 0.0,
            )
        except StorageError as exc:
            log.error(
                "%s delivery not recorded, answered without a record user=%s: %s",
                self.channel,
                user_hash,
                exc,
            )
            self._spawn(Delivery(self.channel, delivery_id, user_hash, address, text, 1), False)
            return True
        if added:
            if free:
                self._spawn(Delivery(self.channel, delivery_id, user_hash, address, text, 1))
            else:
                self._wake.set()  # the sweeper takes it when a worker is free
            return True
        # A retry. Take it over only if it is unfinished and nobody holds it (its worker died).
        if free:
            with contextlib.suppress(StorageError):
                claimed = self.store.inbox_claim(
                    self.channel, delivery_id, self.owner, self._lease_until()
                )
                if claimed is not None:
                    self._spawn(claimed)
        return False

    async def idle(self) -> None:
        """Wait until nothing is being answered and nothing waits to be taken."""
        while self._tasks or self.store.inbox_claimable(self.channel, 1):
            await asyncio.sleep(0.01)

    async def stop(self, timeout: float) -> None:
        """Let replies in flight finish for up to `timeout` seconds; hand back the rest."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            # The next start takes them at once instead of waiting out their lease.
            self.store.inbox_renew(self.owner, 0.0)
        except StorageError as exc:
            log.warning("%s deliveries not handed back: %s", self.channel, exc)

    def _lease_until(self) -> float:
        return time.time() + self._lease

    def _spawn(self, delivery: Delivery, recorded: bool = True) -> None:
        task = asyncio.create_task(self._answer(delivery, recorded))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()  # a worker is free

    async def _answer(self, delivery: Delivery, recorded: bool) -> None:
        who = f"{self.channel} delivery user={delivery.user_hash}"
        if delivery.attempts > self._max_attempts:
            log.error("%s given up after %d attempts", who, self._max_attempts)
            self._settle(delivery, "failed", recorded)
            return
        try:
            outcome = await self._handler(delivery)
        except PlatformRefused as exc:  # a verdict, not an outage: trying again cannot help
            log.warning("%s reply not delivered user=%s: %s", self.channel, delivery.user_hash, exc)
            self._settle(delivery, "refused", recorded)
            return
        except ChannelError as exc:  # the platform did not take the reply
            if delivery.attempts >= self._max_attempts:
                log.error("%s given up after %d attempts: %s", who, delivery.attempts, exc)
                self._settle(delivery, "failed", recorded)
                return
            pause = RETRY_PAUSES[min(delivery.attempts, len(RETRY_PAUSES)) - 1]
            log.warning("%s not delivered (%s); trying again in %.0f s", who, exc, pause)
            if recorded:
                try:
                    self.store.inbox_release(
                        self.channel, delivery.delivery_id, time.time() + pause
                    )
                except StorageError as error:
                    log.error("%s not handed back: %s", who, error)
                # Sweep when it is due, not at the next lease renewal.
                asyncio.get_running_loop().call_later(pause + 0.01, self._wake.set)
            return
        except Exception:  # a bug: trying again would fail again, so do not loop on it
            log.exception("%s failed", who)
            self._settle(delivery, "failed", recorded)
            return
        self._settle(delivery, outcome or "sent", recorded)

    def _settle(self, delivery: Delivery, outcome: str, recorded: bool) -> None:
        if not recorded:
            return
        try:
            self.store.inbox_finish(self.channel, delivery.delivery_id, outcome)
        except StorageError as exc:  # the reply went out; a restart may send it again
            log.error(
                "%s delivery answered but not crossed off user=%s: %s",
                self.channel,
                delivery.user_hash,
                exc,
            )

    async def _sweep_forever(self) -> None:
        while True:
            try:
                self._sweep()
            except StorageError as exc:
                log.warning("%s inbox sweep failed: %s", self.channel, exc)
            # asyncio.timeout, not wait_for: wait_for can swallow a cancellation that arrives
            # as the event is set, and stop() would then wait for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._lease / 3):
                    await self._wake.wait()
            self._wake.clear()

    def _sweep(self) -> None:
        now = time.time()
        if self._tasks and now - self._renewed >= self._lease / 3:
            self.store.inbox_renew(self.owner, now + self._lease)
            self._renewed = now
        if now - self._forgotten >= FORGET_EVERY_SECONDS:
            self.store.inbox_forget(now - DELIVERY_MEMORY_SECONDS)
            self._forgotten = now
        free = self._concurrency - len(self._tasks)
        if free <= 0:
            return
        for delivery_id in self.store.inbox_claimable(self.channel, free):
            claimed = self.store.inbox_claim(
                self.channel, delivery_id, self.owner, self._lease_until()
            )
            if claimed is not None:  # another process may have been quicker
                self._spawn(claimed)
