"""Rate limits: a token bucket per key (a user, an IP address).

A bucket holds up to `burst` tokens and refills at `per_minute` / 60 tokens a second; each
message takes one. With one server (SQLite) buckets live in process memory: a limit is about
the next minute, so a restart that forgets them is harmless, and checking one costs no
database write. The map is bounded (the least recently seen key is dropped first), so a flood
of new keys cannot grow it without end; a dropped key starts again with a full bucket.

Servers sharing a PostgreSQL database share their buckets too, or a user could send twice
the limit through two of them: each check is one upsert on the `rate_buckets` table, under a
keyed hash of the key (an address is never stored). Buckets untouched for a full refill are
deleted, since they are full again anyway.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .errors import StorageError
from .settings import Settings
from .storage import Store

log = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 60.0

MAX_KEYS = 100_000


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float  # seconds until the next message would be allowed; 0 when allowed
    first_refusal: bool  # the first of a flood: say so once, not after every refill


class Limiter(Protocol):
    def check(self, key: str) -> Verdict:
        """Take a token for `key` if it has one."""
        ...


class RateLimiter:
    """Token buckets by key, in this process; call `check` once per message."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        # A flood is over once the key has not been refused for as long as a full refill takes.
        self._quiet = self.burst / self.rate
        # key -> [tokens, last refill time, last refusal time]
        self._buckets: OrderedDict[str, list] = OrderedDict()

    def check(self, key: str) -> Verdict:
        """Take a token for `key` if it has one."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = [self.burst, now, None]
            self._buckets[key] = bucket
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return Verdict(True, 0.0, False)
        first = bucket[2] is None or now - bucket[2] >= self._quiet
        bucket[2] = now
        return Verdict(False, (1.0 - bucket[0]) / self.rate, first)


class SharedRateLimiter:
    """Token buckets by key, in the database every server shares; call `check` once per
    message."""

    def __init__(
        self,
        store: Store,
        name: str,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._store = store
        self._prefix = f"{name}:"
        self._clock = clock  # wall-clock time: the servers' clocks are compared
        self._quiet = self.burst / self.rate
        self._pruned = 0.0

    def check(self, key: str) -> Verdict:
        """Take a token for `key` if it has one; allowed when the database cannot say."""
        now = self._clock()
        bucket = self._prefix + self._store.user_hash("rate", key)
        try:
            if now - self._pruned >= PRUNE_EVERY_SECONDS:
                self._pruned = now
                self._store.forget_buckets(self._prefix, now - self._quiet)
            allowed, tokens, first = self._store.take_token(
                bucket, self.rate, self.burst, self._quiet, now
            )
        except StorageError as exc:  # an outage must not silence every citizen
            log.warning("rate limit not checked: %s", exc)
            return Verdict(True, 0.0, False)
        if allowed:
            return Verdict(True, 0.0, False)
        return Verdict(False, (1.0 - tokens) / self.rate, first)


def user_limiter(settings: Settings, store: Store | None = None) -> Limiter:
    """The per-user limit every channel applies (CDS_RATE_PER_MINUTE, CDS_RATE_BURST): in
    the database when `store` is shared with other servers, else in memory."""
    if store is not None and store.shared:
        return SharedRateLimiter(store, "user", settings.rate_per_minute, settings.rate_burst)
    return RateLimiter(settings.rate_per_minute, settings.rate_burst)


def ip_limiter(settings: Settings, store: Store | None = None) -> Limiter:
    """The per-address limit of the API and web chat (CDS_IP_RATE_PER_MINUTE, …_BURST)."""
    per_minute, burst = settings.ip_rate_per_minute, settings.ip_rate_burst
    if store is not None and store.shared:
        return SharedRateLimiter(store, "ip", per_minute, burst)
    return RateLimiter(per_minute, burst)
