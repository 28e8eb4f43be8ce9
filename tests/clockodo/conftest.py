"""Shared fixtures: a client wired to respx routes and a fake clock (no real sleeps)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from clockodo_mcp.clockodo import ClockodoClient, RateLimitPolicy, RetryPolicy

BASE = "https://my.clockodo.com/api"


class FakeClock:
    """Monotonic and wall time that only move when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wall = 1_700_000_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return self.wall + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=True, assert_all_mocked=True) as router:
        yield router


def make_client(clock: FakeClock, **overrides: Any) -> ClockodoClient:
    options: dict[str, Any] = {
        "api_user": "owner@demo.example",
        "api_key": "secret-key",
        "app_name": "clockodo-mcp",
        "app_email": "dev@example.com",
        "retry": RetryPolicy(jitter=0.0),
        "rate_limit": RateLimitPolicy.disabled(),
        "sleep": clock.sleep,
        "monotonic": clock.monotonic,
        "wall_clock": clock.wall_clock,
    }
    options.update(overrides)
    return ClockodoClient(**options)


@pytest.fixture
async def client(clock: FakeClock) -> AsyncIterator[ClockodoClient]:
    async with make_client(clock) as c:
        yield c


def query(request: httpx.Request) -> list[tuple[str, str]]:
    """The request's query as decoded (name, value) pairs, in order."""
    return parse_qsl(request.url.query.decode(), keep_blank_values=True)


def body(request: httpx.Request) -> Any:
    """The request's JSON body."""
    return json.loads(request.content)


def entry_json(**overrides: Any) -> dict[str, Any]:
    """A time entry as Clockodo returns it."""
    data: dict[str, Any] = {
        "id": 101,
        "type": 1,
        "customers_id": 1,
        "projects_id": 10,
        "subprojects_id": None,
        "users_id": 7,
        "services_id": 3,
        "billable": 1,
        "texts_id": 55,
        "text": "Design review",
        "time_since": "2024-03-04T08:00:00Z",
        "time_until": "2024-03-04T10:30:00Z",
        "duration": 9000,
        "time_insert": "2024-03-04T10:31:00Z",
        "time_last_change": "2024-03-04T10:31:00Z",
        "time_clocked_since": None,
        "clocked": False,
        "clocked_offline": False,
        "hourly_rate": 95.0,
        "test_data": False,
    }
    data.update(overrides)
    return data


def paging(current: int, pages: int, per_page: int = 2, total: int = 4) -> dict[str, int]:
    return {"items_per_page": per_page, "current_page": current, "count_pages": pages, "count_items": total}
