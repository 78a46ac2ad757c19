from __future__ import annotations

from bot.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_user_gets_the_burst_at_once_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=3, clock=clock)  # one message every 10 s
    assert [limiter.check("u").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.check("u")
    assert refused.retry_after == 10.0
    clock.now += 10
    assert limiter.check("u").allowed
    assert not limiter.check("u").allowed


def test_a_refused_user_is_told_once_per_run_of_refusals() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=1, clock=clock)
    limiter.check("u")
    assert [limiter.check("u").first_refusal for _ in range(3)] == [True, False, False]
    clock.now += 1
    assert limiter.check("u").allowed
    assert limiter.check("u").first_refusal is True


def test_one_users_flood_does_not_limit_another() -> None:
    limiter = RateLimiter(per_minute=1, burst=2, clock=Clock())
    for _ in range(50):
        limiter.check("flood")
    assert limiter.check("citizen").allowed


def test_the_buckets_kept_are_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=1, burst=1, max_keys=100, clock=clock)
    limiter.check("first")
    assert not limiter.check("first").allowed
    for n in range(100):
        limiter.check(f"key-{n}")
    assert limiter.check("first").allowed  # forgotten: a full bucket again
