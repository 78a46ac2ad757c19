"""Sending again when a platform is briefly unavailable: it answers 429 or 5xx, or does not
answer in time. Pauses grow (0.5 s, 1 s, 2 s… with jitter, so that many replies do not come
back at the same instant) and a Retry-After the platform sends is honoured. What is still
refused after the last try is left to the inbox, which tries again minutes later.

A request that timed out may have reached the platform: sending it again can deliver a reply
twice. That is the price of delivering it at least once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

import httpx

log = logging.getLogger(__name__)

BASE_PAUSE_SECONDS = 0.5
MAX_PAUSE_SECONDS = 30.0


def pause(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before try number `attempt` + 1 (attempt counts from 1)."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_PAUSE_SECONDS)
    backoff = BASE_PAUSE_SECONDS * 2 ** (attempt - 1)
    return min(backoff * random.uniform(1.0, 1.5), MAX_PAUSE_SECONDS)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


class RetryingTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends the requests `applies` picks again on 429, 5xx,
    timeouts and refused connections, up to `retries` more times."""

    def __init__(
        self,
        name: str,
        retries: int,
        applies: Callable[[httpx.Request], bool],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._name = name
        self._retries = retries
        self._applies = applies
        self._transport = transport or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self._applies(request):
            return await self._transport.handle_async_request(request)
        # The last path segment names the call; earlier ones may hold a bot token.
        call = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        attempt = 1
        while True:
            try:
                response = await self._transport.handle_async_request(request)
            except (httpx.TimeoutException, httpx.NetworkError) as exc:
                if attempt > self._retries:
                    raise
                wait, why = pause(attempt), type(exc).__name__
            else:
                status = response.status_code
                if not (status == 429 or status >= 500) or attempt > self._retries:
                    return response
                await response.aread()
                await response.aclose()
                wait, why = pause(attempt, _retry_after(response)), f"HTTP {status}"
            log.warning("%s %s failed (%s); sending again in %.1f s", self._name, call, why, wait)
            await asyncio.sleep(wait)
            attempt += 1

    async def aclose(self) -> None:
        await self._transport.aclose()
