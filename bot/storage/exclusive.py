"""A named lock usable from threads (`with`) and from the event loop (`async with`)."""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from types import TracebackType


class Exclusive:
    """Wraps a database's blocking named lock. From the event loop it is taken in a worker
    thread, so waiting for another holder (another server's token refresh) blocks no one."""

    def __init__(self, lock: AbstractContextManager[None]) -> None:
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.__enter__()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.__exit__(kind, value, traceback)

    async def __aenter__(self) -> None:
        taking = asyncio.ensure_future(asyncio.to_thread(self._lock.__enter__))
        try:
            await asyncio.shield(taking)
        except asyncio.CancelledError:
            # The thread may take the lock after all: hand it back when it does.
            taking.add_done_callback(self._release_if_taken)
            raise

    def _release_if_taken(self, taking: asyncio.Future[None]) -> None:
        if not taking.cancelled() and taking.exception() is None:
            self._lock.__exit__(None, None, None)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Quick (one statement, or a thread lock), so it runs on the loop itself.
        self._lock.__exit__(kind, value, traceback)
