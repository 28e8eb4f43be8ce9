"""Clockodo's limit shared by replicas: limiters of separate processes count against one budget in the store, wait
for room when it comes soon, and refuse at once, without sending, when it does not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from clockodo_mcp.clockodo import RateBudgetExhausted, RateLimitPolicy
from clockodo_mcp.clockodo.ratelimit import RateLimiter
from clockodo_mcp.server.budget import StoreBudget
from clockodo_mcp.store import SQLiteStore
from tests.clockodo.conftest import FakeClock

pytestmark = pytest.mark.anyio

PATIENT = 120.0


def replica(clock: FakeClock, store: SQLiteStore, *limits: tuple[int, float], max_wait: float = 3.0) -> RateLimiter:
    policy = RateLimitPolicy(limits=limits, max_wait=max_wait)
    budget = StoreBudget(store, "Owner@Example.com")
    return RateLimiter(policy, monotonic=clock.monotonic, sleep=clock.sleep, shared=budget)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> SQLiteStore:
    return SQLiteStore(tmp_path / "store.sqlite3", now=lambda: datetime.fromtimestamp(clock.wall_clock(), UTC))


async def test_three_replicas_together_stay_within_one_budget(clock: FakeClock, store: SQLiteStore) -> None:
    replicas = [replica(clock, store, (5, 60.0)) for _ in range(3)]
    for limiter in replicas[:2]:
        await limiter.acquire()
        await limiter.acquire()
    await replicas[2].acquire()  # the fifth request of the minute, wherever it is sent from

    with pytest.raises(RateBudgetExhausted) as refused:
        await replicas[2].acquire()
    assert refused.value.retry_after == pytest.approx(60.0)
    assert "5 requests a minute" in str(refused.value)
    assert clock.sleeps == []  # refused at once: the wait would exceed max_wait


async def test_a_replica_waits_for_room_in_the_shared_budget_when_it_comes_soon(
    clock: FakeClock, store: SQLiteStore
) -> None:
    first, second = replica(clock, store, (2, 10.0), max_wait=PATIENT), replica(clock, store, (2, 10.0))
    await first.acquire()
    clock.now += 8
    await first.acquire()

    await second.acquire()  # its own windows are empty; the shared one frees up in 2 s
    assert clock.sleeps == [pytest.approx(2.0)]


async def test_the_budget_is_per_clockodo_user(clock: FakeClock, store: SQLiteStore) -> None:
    owner = replica(clock, store, (1, 60.0))
    worker = RateLimiter(
        RateLimitPolicy(limits=((1, 60.0),)),
        monotonic=clock.monotonic,
        sleep=clock.sleep,
        shared=StoreBudget(store, "worker@example.com"),
    )
    await owner.acquire()
    await worker.acquire()
    with pytest.raises(RateBudgetExhausted):
        await replica(clock, store, (1, 60.0)).acquire()  # the owner's login, spelled otherwise
