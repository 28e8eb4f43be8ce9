"""The fake Clockodo over real HTTP, a client for it, and an independent reader of what Clockodo holds."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.clockodo import ClockodoClient, RetryPolicy
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, seed
from clockodo_mcp.fake.faults import FaultConfig
from clockodo_mcp.fake.server import BackgroundFakeServer

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
# The sync's default backfill starts 24 months back; the demo company's history is six months long.
SINCE = "2024-11-01T00:00:00Z"
UNTIL = "2027-12-31T00:00:00Z"
HEADERS = {
    "X-ClockodoApiUser": OWNER_EMAIL,
    "X-ClockodoApiKey": OWNER_KEY,
    "X-Clockodo-External-Application": "tests;tests@example.com",
}
PG_URL = os.environ.get("CLOCKODO_MCP_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


async def no_sleep(_: float) -> None:
    return None


@dataclass
class Fake:
    """A running fake: its base URL, its fault queue and the frozen clock it shares with the sync."""

    base_url: str
    faults: FaultConfig
    clock: FrozenClock


@pytest.fixture
def fake() -> Iterator[Fake]:
    """The small demo company on a loopback port, its clock frozen at NOW."""
    clock = FrozenClock(NOW)
    faults = FaultConfig()
    with BackgroundFakeServer(seed(seed=7, today=TODAY), faults=faults, now=clock.now) as server:
        yield Fake(server.base_url, faults, clock)


def fake_client(base_url: str) -> ClockodoClient:
    """Our typed client against a fake (used to change data and by the sync); retries do not sleep."""
    return ClockodoClient(
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        app_name="tests",
        app_email="tests@example.com",
        base_url=base_url,
        sleep=no_sleep,
        retry=RetryPolicy(max_attempts=2),
    )


@pytest.fixture
async def client(fake: Fake) -> AsyncIterator[ClockodoClient]:
    """`fake_client` for the test's fake."""
    async with fake_client(fake.base_url) as c:
        yield c


def cents(value: object) -> Decimal | None:
    """Money to exact cents."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def iso(value: object) -> str | None:
    """A timestamp from a target or from Clockodo as `YYYY-MM-DDTHH:MM:SSZ`."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


ENTRY_FIELDS = (
    "id",
    "type",
    "customers_id",
    "projects_id",
    "subprojects_id",
    "users_id",
    "services_id",
    "lumpsum_services_id",
    "billable",
    "text",
    "time_since",
    "time_until",
    "duration",
    "hourly_rate",
    "revenue",
    "lumpsum",
    "lumpsum_services_amount",
)
MONEY = {"hourly_rate", "revenue", "lumpsum"}
TIMES = {"time_since", "time_until"}


def normal_entry(values: dict[str, Any]) -> tuple[Any, ...]:
    """An entry's comparable fields, money in cents and times as ISO text."""
    out: list[Any] = []
    for name in ENTRY_FIELDS:
        value = values.get(name)
        if name in MONEY:
            value = cents(value)
        elif name in TIMES:
            value = iso(value)
        elif name == "lumpsum_services_amount" and value is not None:
            value = float(value)
        out.append(value)
    return tuple(out)


def clockodo_get(base_url: str, path: str, params: dict[str, Any] | None = None) -> Any:
    """One GET straight to the fake's HTTP API (no code of ours in between)."""
    response = httpx.get(f"{base_url}{path}", params=params, headers=HEADERS, timeout=30)
    response.raise_for_status()
    return response.json()


def clockodo_entries(base_url: str) -> dict[int, tuple[Any, ...]]:
    """Every entry Clockodo holds in the synced range, read page by page over HTTP."""
    entries: dict[int, tuple[Any, ...]] = {}
    page = 1
    while True:
        body = clockodo_get(
            base_url,
            "/v2/entries",
            {
                "time_since": SINCE,
                "time_until": UNTIL,
                "enhanced_list": "true",
                "calc_also_revenues_for_projects_with_hard_budget": "true",
                "items_per_page": 1000,
                "page": page,
            },
        )
        for entry in body["entries"]:
            entries[entry["id"]] = normal_entry(entry)
        if page >= body["paging"]["count_pages"]:
            return entries
        page += 1


def clockodo_ids(base_url: str, path: str, key: str = "data", params: dict[str, Any] | None = None) -> set[int]:
    """The ids of a (single-page) Clockodo list."""
    return {item["id"] for item in clockodo_get(base_url, path, params)[key]}


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema on the machine's PostgreSQL (dropped afterwards); CI must have the server."""
    try:
        conn = psycopg.connect(PG_URL, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL at {PG_URL} (start it in .ci/run): {error}")
        pytest.skip(f"no PostgreSQL at {PG_URL} (set CLOCKODO_MCP_TEST_POSTGRES to test the target): {error}")
    name = f"sync_test_{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.close()
