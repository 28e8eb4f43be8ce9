"""The client-side limiter: short waits on the fake clock, an immediate error instead of a long one, fair shares."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from clockodo_mcp.clockodo import ClockodoArgumentError, ClockodoRateLimitedError, RateBudgetExhausted, RateLimitPolicy
from clockodo_mcp.clockodo.errors import describe_limit
from clockodo_mcp.clockodo.ratelimit import RateLimiter

from .conftest import FakeClock, make_client

CLOCK = {"running": None, "stopped": None, "current_time": "2024-03-04T09:00:00Z"}
PATIENT = 3_600.0  # a max_wait long enough that only the windows decide


def limiter(clock: FakeClock, *limits: tuple[int, float], **policy: float) -> RateLimiter:
    return RateLimiter(RateLimitPolicy(limits=limits, **policy), monotonic=clock.monotonic, sleep=clock.sleep)


async def test_limiter_waits_for_the_oldest_request_to_leave_the_window(clock: FakeClock) -> None:
    patient = limiter(clock, (3, 60.0), max_wait=PATIENT)
    for _ in range(3):
        await patient.acquire()
        clock.now += 1
    assert patient.wait_time() == 57.0
    await patient.acquire()
    assert clock.sleeps == [57.0]


async def test_every_window_is_respected(clock: FakeClock) -> None:
    patient = limiter(clock, (2, 10.0), (3, 100.0), max_wait=PATIENT)
    for _ in range(4):
        await patient.acquire()
    # 2 per 10 s allowed the third after 10 s; 3 per 100 s forced the fourth to wait until t0 + 100.
    assert clock.sleeps == [10.0, 90.0]


async def test_a_short_wait_is_waited_for(clock: FakeClock) -> None:
    quick = limiter(clock, (2, 10.0), max_wait=3.0)
    await quick.acquire()
    clock.now += 8
    await quick.acquire()
    clock.now += 0.5
    await quick.acquire()  # the first request leaves the window 1.5 s from now
    assert clock.sleeps == [1.5]


async def test_a_wait_longer_than_max_wait_fails_at_once_without_sleeping(clock: FakeClock) -> None:
    quick = limiter(clock, (900, 60.0), (2_250, 900.0))
    for _ in range(900):
        await quick.acquire()
    clock.now += 18
    with pytest.raises(RateBudgetExhausted) as caught:
        await quick.acquire()
    assert clock.sleeps == []
    error = caught.value
    assert (error.retry_after, error.limit, error.window_seconds, error.share) == (42.0, 900, 60.0, False)
    assert isinstance(error, ClockodoRateLimitedError)
    assert "Clockodo's limit of 900 requests a minute is used up" in str(error)


async def test_the_window_named_is_the_one_that_stays_full_longest(clock: FakeClock) -> None:
    patient_minute = limiter(clock, (2, 60.0), (3, 900.0))
    await patient_minute.acquire()
    clock.now += 60
    await patient_minute.acquire()
    clock.now += 60
    await patient_minute.acquire()
    clock.now += 60  # the minute window has room again; the quarter-hour one does not
    with pytest.raises(RateBudgetExhausted) as caught:
        await patient_minute.acquire()
    assert (caught.value.limit, caught.value.window_seconds, caught.value.retry_after) == (3, 900.0, 720.0)
    assert "3 requests per 15 minutes" in str(caught.value)


async def test_a_request_whose_slot_is_taken_while_it_waits_gives_up_at_max_wait(clock: FakeClock) -> None:
    async def sleep_while_a_competitor_takes_the_slot(seconds: float) -> None:
        await clock.sleep(seconds)
        await quick.acquire()  # woke first and took the slot the sleeper waited for

    quick = RateLimiter(
        RateLimitPolicy(limits=((1, 1.0),), max_wait=1.5),
        monotonic=clock.monotonic,
        sleep=sleep_while_a_competitor_takes_the_slot,
    )
    await quick.acquire()
    with pytest.raises(RateBudgetExhausted) as caught:
        await quick.acquire()  # would need another 1 s after the 1 s it already waited
    assert clock.sleeps == [1.0]
    assert caught.value.retry_after == 1.0


async def test_disabled_limiter_never_waits(clock: FakeClock) -> None:
    off = RateLimiter(RateLimitPolicy.disabled(), monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(5):
        await off.acquire()
    assert off.wait_time() == 0.0
    assert clock.sleeps == []


async def test_a_lone_caller_may_use_all_but_the_reserve(clock: FakeClock) -> None:
    shared = limiter(clock, (10, 60.0), reserve=0.2)
    for _ in range(8):
        await shared.acquire("session-a")
    with pytest.raises(RateBudgetExhausted) as caught:
        await shared.acquire("session-a")
    assert caught.value.share
    assert caught.value.retry_after == 60.0
    assert clock.sleeps == []


async def test_a_session_that_hammers_does_not_starve_another(clock: FakeClock) -> None:
    shared = limiter(clock, (10, 60.0), reserve=0.2)
    for _ in range(8):
        await shared.acquire("hammer")
    clock.now += 1
    await shared.acquire("newcomer")  # the reserve is there for it at once
    with pytest.raises(RateBudgetExhausted, match="share"):
        await shared.acquire("hammer")  # now two callers share 8: the hammer is over its 4
    await shared.acquire("newcomer")  # the window's last free slot still goes to the newcomer
    assert clock.sleeps == []
    assert shared.callers() == ["hammer", "newcomer"]


async def test_shares_grow_back_when_a_caller_goes_quiet(clock: FakeClock) -> None:
    shared = limiter(clock, (10, 60.0), reserve=0.2)
    await shared.acquire("quiet")
    for _ in range(4):
        await shared.acquire("busy")
    assert shared.wait_time("busy") == 60.0  # 4 of a two-way share of 8
    clock.now += 60  # every request has left the window: "quiet" no longer counts
    for _ in range(8):
        await shared.acquire("busy")
    assert clock.sleeps == []


async def test_requests_without_a_caller_count_only_against_the_totals(clock: FakeClock) -> None:
    shared = limiter(clock, (10, 60.0), reserve=0.2)
    for _ in range(10):
        await shared.acquire()
    with pytest.raises(RateBudgetExhausted) as caught:
        await shared.acquire()
    assert not caught.value.share


async def test_client_applies_the_limit(api: respx.MockRouter, clock: FakeClock) -> None:
    api.get("/v2/clock").respond(json=CLOCK)
    async with make_client(clock, rate_limit=RateLimitPolicy(limits=((2, 60.0),), max_wait=PATIENT)) as client:
        for _ in range(3):
            await client.clock.get()
        assert client.request_count == 3
    assert clock.sleeps == [60.0]


async def test_client_refuses_instead_of_waiting_and_sends_nothing(api: respx.MockRouter, clock: FakeClock) -> None:
    route = api.get("/v2/clock").respond(json=CLOCK)
    async with make_client(clock, rate_limit=RateLimitPolicy(limits=((2, 60.0),))) as client:
        await client.clock.get()
        await client.clock.get()
        with pytest.raises(RateBudgetExhausted) as caught:
            await client.clock.get()
        assert client.request_count == 2
    assert route.call_count == 2
    assert caught.value.retry_after == 60.0
    assert clock.sleeps == []


async def test_client_counts_requests_under_the_caller_of_the_block(api: respx.MockRouter, clock: FakeClock) -> None:
    api.get("/v2/clock").respond(json=CLOCK)
    policy = RateLimitPolicy(limits=((10, 60.0),), reserve=0.2)
    async with make_client(clock, rate_limit=policy) as client:
        with client.as_caller("a"):
            await asyncio.gather(*(client.clock.get() for _ in range(8)))  # tasks inherit the caller
            with pytest.raises(RateBudgetExhausted, match="share"):
                await client.clock.get()
        with client.as_caller("b"):
            await client.clock.get()
        await client.clock.get()  # no caller: the total still has room
        assert client.rate_limiter.callers() == ["a", "b"]


async def test_a_429_with_a_long_retry_after_is_reported_not_slept_on(api: respx.MockRouter, clock: FakeClock) -> None:
    api.get("/v2/clock").mock(return_value=httpx.Response(429, headers={"Retry-After": "12"}))
    async with make_client(clock) as client:
        with pytest.raises(ClockodoRateLimitedError) as caught:
            await client.clock.get()
        assert client.request_count == 1
    assert caught.value.retry_after == 12.0
    assert clock.sleeps == []


def test_default_policy_uses_clockodos_published_limits() -> None:
    policy = RateLimitPolicy()
    assert policy.limits == ((900, 60.0), (2_250, 900.0), (4_500, 3_600.0), (20_000, 86_400.0))
    assert (policy.max_wait, policy.reserve) == (3.0, 0.1)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"limits": ((0, 60.0),)}, "rate_limit.limits"),
        ({"max_wait": -1.0}, "rate_limit.max_wait"),
        ({"reserve": 1.0}, "rate_limit.reserve"),
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, object], parameter: str) -> None:
    with pytest.raises(ClockodoArgumentError, match=parameter):
        RateLimitPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("limit", "seconds", "text"),
    [
        (900, 60.0, "900 requests a minute"),
        (2_250, 900.0, "2,250 requests per 15 minutes"),
        (4_500, 3_600.0, "4,500 requests an hour"),
        (20_000, 86_400.0, "20,000 requests a day"),
        (5, 7_200.0, "5 requests per 2 hours"),
        (5, 1.5, "5 requests per 1.5 seconds"),
    ],
)
def test_windows_are_named_the_way_clockodo_publishes_them(limit: int, seconds: float, text: str) -> None:
    assert describe_limit(limit, seconds) == text
