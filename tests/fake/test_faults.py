"""Fault injection: latency, 429 with Retry-After, 5xx, dropped connections and malformed JSON."""

from __future__ import annotations

import json

import httpx
import pytest

from clockodo_mcp.fake import OWNER_EMAIL, OWNER_KEY
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.faults import FaultConfig

from .conftest import NOW, headers, make_dataset


def client_with(faults: FaultConfig) -> httpx.AsyncClient:
    app = create_app(make_dataset(), faults=faults, now=lambda: NOW)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fake/api", headers=headers(OWNER_EMAIL, OWNER_KEY)
    )


async def test_no_faults_by_default() -> None:
    async with client_with(FaultConfig()) as client:
        assert (await client.get("/v4/users/me")).status_code == 200


async def test_latency_uses_the_injected_sleep() -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async with client_with(FaultConfig(latency_seconds=0.25, sleep=fake_sleep)) as client:
        await client.get("/v4/users/me")
        await client.get("/v4/users/me")
    assert slept == [0.25, 0.25]


async def test_rate_limit_fires_once_with_retry_after() -> None:
    faults = FaultConfig()
    faults.inject("rate_limit", retry_after=7)
    async with client_with(faults) as client:
        limited = await client.get("/v4/users/me")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "7"
        assert limited.json()["errors"][0]["type"] == "TooManyRequests"
        assert (await client.get("/v4/users/me")).status_code == 200
    assert faults.fired == [("rate_limit", "/api/v4/users/me")]


async def test_retry_after_may_be_an_http_date_or_absent() -> None:
    faults = FaultConfig()
    faults.inject("rate_limit", retry_after="Wed, 25 Nov 2026 12:00:00 GMT")
    faults.inject("rate_limit", retry_after=None)
    async with client_with(faults) as client:
        assert (await client.get("/v4/users/me")).headers["retry-after"].startswith("Wed")
        assert "retry-after" not in (await client.get("/v4/users/me")).headers


async def test_server_errors_are_counted_and_path_targeted() -> None:
    faults = FaultConfig()
    faults.inject("server_error", count=2, status=502, path_prefix="/v2/entries")
    async with client_with(faults) as client:
        assert (await client.get("/v4/users/me")).status_code == 200
        window = {"time_since": "2026-11-01T00:00:00Z", "time_until": "2026-12-01T00:00:00Z"}
        statuses = [(await client.get("/v2/entries", params=window)).status_code for _ in range(3)]
    assert statuses == [502, 502, 200]
    assert faults.queue == []


async def test_dropped_connection_reaches_the_client_as_a_protocol_error() -> None:
    faults = FaultConfig()
    faults.inject("drop")
    async with client_with(faults) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/v4/users/me")
        assert (await client.get("/v4/users/me")).status_code == 200


async def test_malformed_json_is_served_with_200() -> None:
    faults = FaultConfig()
    faults.inject("malformed_json")
    async with client_with(faults) as client:
        response = await client.get("/v4/users/me")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_inject_refuses_nonsense() -> None:
    faults = FaultConfig()
    with pytest.raises(ValueError, match="kind"):
        faults.inject("explode")  # type: ignore[arg-type]  # deliberately wrong kind
    with pytest.raises(ValueError, match="count"):
        faults.inject("drop", count=0)
    with pytest.raises(ValueError, match="5xx"):
        faults.inject("server_error", status=404)
    faults.inject("drop", count=3)
    faults.clear()
    assert faults.queue == []
