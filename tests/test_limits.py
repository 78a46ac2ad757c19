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


def test_a_steady_flood_is_told_of_the_limit_once() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)  # one a second after two
    verdicts = []
    for _ in range(40):  # four messages a second for ten seconds
        verdicts.append(limiter.check("flood"))
        clock.now += 0.25
    assert sum(v.allowed for v in verdicts) == 2 + 9
    assert sum(v.first_refusal for v in verdicts) == 1


def test_after_a_quiet_spell_a_new_flood_is_told_again() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)
    for _ in range(3):
        limiter.check("u")
    clock.now += 1  # not yet quiet for a full refill (two seconds)
    assert [limiter.check("u").allowed for _ in range(2)] == [True, False]
    assert limiter.check("u").first_refusal is False  # the same flood
    clock.now += 2.5
    assert [limiter.check("u").allowed for _ in range(2)] == [True, True]
    assert limiter.check("u").first_refusal is True  # a new one


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
