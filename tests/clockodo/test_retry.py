"""Retries: 429 + Retry-After, 5xx backoff, connection errors, POST never retried, caps. No real sleeps."""

from __future__ import annotations

import random

import httpx
import pytest
import respx

from clockodo_mcp.clockodo import (
    ClockodoArgumentError,
    ClockodoRateLimitedError,
    ClockodoServerError,
    ClockodoTransportError,
    RateLimitPolicy,
    RetryPolicy,
)

from .conftest import FakeClock, make_client

CLOCK = {"running": None, "stopped": None, "current_time": "2024-03-04T09:00:00Z"}


async def test_429_waits_for_a_short_retry_after(api: respx.MockRouter, clock: FakeClock) -> None:
    route = api.get("/v2/clock")
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=CLOCK)]
    async with make_client(clock) as client:
        state = await client.clock.get()
        assert client.request_count == 2
    assert state.running is None
    assert clock.sleeps == [2.0]


async def test_429_waits_up_to_the_configured_max_wait(api: respx.MockRouter, clock: FakeClock) -> None:
    route = api.get("/v2/clock")
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "12"}), httpx.Response(200, json=CLOCK)]
    async with make_client(clock, rate_limit=RateLimitPolicy(enabled=False, max_wait=12.0)) as client:
        await client.clock.get()
    assert clock.sleeps == [12.0]


async def test_429_honours_an_http_date(api: respx.MockRouter, clock: FakeClock) -> None:
    clock.wall = 1_700_000_000.0 - clock.now  # wall clock reads 2023-11-14T22:13:20Z
    route = api.get("/v2/clock")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:23 GMT"}),
        httpx.Response(200, json=CLOCK),
    ]
    async with make_client(clock) as client:
        await client.clock.get()
    assert clock.sleeps == [3.0]


async def test_503_backs_off_exponentially(api: respx.MockRouter, clock: FakeClock) -> None:
    route = api.get("/v2/clock")
    route.side_effect = [httpx.Response(503), httpx.Response(502), httpx.Response(504), httpx.Response(200, json=CLOCK)]
    async with make_client(clock, retry=RetryPolicy(base_delay=1.0, jitter=0.0)) as client:
        await client.clock.get()
        assert client.request_count == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]


async def test_503_with_retry_after_waits_as_told(api: respx.MockRouter, clock: FakeClock) -> None:
    route = api.get("/v2/clock")
    route.side_effect = [httpx.Response(503, headers={"Retry-After": "3"}), httpx.Response(200, json=CLOCK)]
    async with make_client(clock) as client:
        await client.clock.get()
    assert clock.sleeps == [3.0]


async def test_attempts_are_capped(api: respx.MockRouter, clock: FakeClock) -> None:
    api.get("/v2/clock").respond(503)
    async with make_client(clock, retry=RetryPolicy(max_attempts=3, base_delay=1.0, jitter=0.0)) as client:
        with pytest.raises(ClockodoServerError):
            await client.clock.get()
        assert client.request_count == 3
    assert clock.sleeps == [1.0, 2.0]


async def test_total_time_is_capped(api: respx.MockRouter, clock: FakeClock) -> None:
    api.get("/v2/clock").respond(503)
    policy = RetryPolicy(max_attempts=10, base_delay=4.0, max_total_time=10.0, jitter=0.0)
    async with make_client(clock, retry=policy) as client:
        with pytest.raises(ClockodoServerError):
            await client.clock.get()
    assert clock.sleeps == [4.0]  # the next 8 s wait would pass the 10 s budget


async def test_a_too_long_retry_after_is_not_waited_for(api: respx.MockRouter, clock: FakeClock) -> None:
    api.get("/v2/clock").respond(429, headers={"Retry-After": "3600"})
    async with make_client(clock) as client:
        with pytest.raises(ClockodoRateLimitedError) as caught:
            await client.clock.get()
        assert client.request_count == 1
    assert caught.value.retry_after == 3600.0
    assert clock.sleeps == []


async def test_connect_errors_are_retried_for_get(api: respx.MockRouter, clock: FakeClock) -> None:
    route = api.get("/v2/clock")
    route.side_effect = [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(200, json=CLOCK)]
    async with make_client(clock, retry=RetryPolicy(base_delay=0.5, jitter=0.0)) as client:
        await client.clock.get()
    assert clock.sleeps == [0.5, 1.0]


async def test_post_is_never_retried(api: respx.MockRouter, clock: FakeClock) -> None:
    route = api.post("/v2/clock")
    route.side_effect = [httpx.Response(503), httpx.Response(200, json=CLOCK)]
    async with make_client(clock) as client:
        with pytest.raises(ClockodoServerError):
            await client.clock.start(1, 3)
        assert client.request_count == 1
    assert route.call_count == 1
    assert clock.sleeps == []
    route.side_effect = [httpx.ConnectError("refused")]
    async with make_client(clock) as client:
        with pytest.raises(ClockodoTransportError):
            await client.clock.start(1, 3)
    assert clock.sleeps == []


async def test_idempotent_put_and_delete_are_retried(api: respx.MockRouter, clock: FakeClock) -> None:
    put = api.put("/v3/customers/1")
    put.side_effect = [httpx.Response(503), httpx.Response(200, json={"data": {"id": 1, "name": "A"}})]
    delete = api.delete("/v3/customers/1")
    delete.side_effect = [httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200, json={})]
    async with make_client(clock) as client:
        await client.customers.update(1, name="A")
        await client.customers.delete(1)
    assert (put.call_count, delete.call_count) == (2, 2)


async def test_confirmations_and_clock_stops_are_not_retried(api: respx.MockRouter, clock: FakeClock) -> None:
    from datetime import UTC, datetime

    api.delete("/v2/entrygroups").respond(503)
    api.delete("/v2/clock/9").respond(503)
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
    async with make_client(clock) as client:
        with pytest.raises(ClockodoServerError):
            await client.entry_groups.confirm_delete(since, until, "key")
        with pytest.raises(ClockodoServerError):
            await client.clock.stop(9)
        assert client.request_count == 2


async def test_other_client_errors_are_not_retried(api: respx.MockRouter, clock: FakeClock) -> None:
    from clockodo_mcp.clockodo import ClockodoNotFoundError

    api.get("/v2/clock").respond(404)
    async with make_client(clock) as client:
        with pytest.raises(ClockodoNotFoundError):
            await client.clock.get()
        assert client.request_count == 1


def test_backoff_with_jitter_stays_within_bounds() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5)
    rng = random.Random(42)
    delays = [policy.backoff(attempt, rng) for attempt in (1, 2, 3, 4, 5)]
    assert 0.5 <= delays[0] <= 1.0
    assert 1.0 <= delays[1] <= 2.0
    assert 2.0 <= delays[2] <= 4.0
    assert 2.5 <= delays[3] <= 5.0
    assert 2.5 <= delays[4] <= 5.0
    assert policy.delay_for(4, None, rng) is None
    assert RetryPolicy.none().delay_for(1, 0.0, rng) is None


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"base_delay": -1.0}, {"jitter": 2.0}])
def test_bad_retry_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ClockodoArgumentError, match="retry"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
