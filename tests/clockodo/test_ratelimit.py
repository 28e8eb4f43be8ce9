"""The client-side limiter: waits (on the fake clock) instead of exceeding a window."""

from __future__ import annotations

import pytest
import respx

from clockodo_mcp.clockodo import ClockodoArgumentError, RateLimitPolicy
from clockodo_mcp.clockodo.ratelimit import RateLimiter

from .conftest import FakeClock, make_client

CLOCK = {"running": None, "stopped": None, "current_time": "2024-03-04T09:00:00Z"}


async def test_limiter_waits_for_the_oldest_request_to_leave_the_window(clock: FakeClock) -> None:
    limiter = RateLimiter(RateLimitPolicy(limits=((3, 60.0),)), monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(3):
        await limiter.acquire()
        clock.now += 1
    assert limiter.wait_time() == 57.0
    await limiter.acquire()
    assert clock.sleeps == [57.0]


async def test_every_window_is_respected(clock: FakeClock) -> None:
    policy = RateLimitPolicy(limits=((2, 10.0), (3, 100.0)))
    limiter = RateLimiter(policy, monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(4):
        await limiter.acquire()
    # 2 per 10 s allowed the third after 10 s; 3 per 100 s forced the fourth to wait until t0 + 100.
    assert clock.sleeps == [10.0, 90.0]


async def test_disabled_limiter_never_waits(clock: FakeClock) -> None:
    limiter = RateLimiter(RateLimitPolicy.disabled(), monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(5):
        await limiter.acquire()
    assert limiter.wait_time() == 0.0
    assert clock.sleeps == []


async def test_client_applies_the_limit(api: respx.MockRouter, clock: FakeClock) -> None:
    api.get("/v2/clock").respond(json=CLOCK)
    async with make_client(clock, rate_limit=RateLimitPolicy(limits=((2, 60.0),))) as client:
        for _ in range(3):
            await client.clock.get()
        assert client.request_count == 3
    assert clock.sleeps == [60.0]


def test_default_policy_uses_clockodos_published_limits() -> None:
    assert RateLimitPolicy().limits[:2] == ((900, 60.0), (2_250, 900.0))


def test_invalid_windows_are_refused() -> None:
    with pytest.raises(ClockodoArgumentError, match=r"rate_limit.limits"):
        RateLimitPolicy(limits=((0, 60.0),))
