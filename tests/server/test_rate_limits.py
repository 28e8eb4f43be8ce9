"""Rate limits reach the agent as an error that says when to retry, and one session cannot starve another."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from clockodo_mcp.clockodo import RateLimitPolicy
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.dataset import Dataset
from clockodo_mcp.fake.faults import FaultConfig
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.transports import http_app
from tests.conftest import held_open
from tests.server.conftest import call, call_error, frozen_now, make_runtime
from tests.server.live import serving

QUESTION = {"period": "this_month", "billing": "unbilled"}
LOG = {"project": "Phoenix", "service": "Development", "date": "2026-11-22", "start": "10:00", "end": "11:30"}
AN_HOUR = 3_600.0  # long enough that no request leaves the window while a test runs


def retry_after(message: str) -> int:
    found = re.search(r"\(retry_after=(\d+)\)", message)
    assert found, message
    return int(found.group(1))


async def exhaust(client: Client, tool: str = "report_hours", **arguments: Any) -> str:
    """Call `tool` until the rate budget refuses it; the error text."""
    for _ in range(20):
        result = await client.call_tool(tool, arguments or QUESTION)
        if result.is_error:
            return " ".join(getattr(block, "text", "") for block in result.content)
    raise AssertionError("the rate budget was never exhausted")


async def test_an_exhausted_window_is_named_with_when_to_retry(fake_app: Any, audit_path: Path) -> None:
    policy = RateLimitPolicy(limits=((900, 60.0), (12, AN_HOUR)))
    runtime = make_runtime(fake_app, audit_path, rate_limit=policy)
    async with held_open(Client(build_server(runtime))) as client:
        message = await exhaust(client)
        window = r"Clockodo's limit of 12 requests an hour is reached"
        assert re.search(rf": {window}; retry in (\d+) s \(retry_after=\1\)\.$", message), message
        assert 0 < retry_after(message) <= 3_600
        refused_write = await call_error(client, "log_time", **LOG)
    assert "Clockodo's limit of 12 requests an hour is reached; retry in " in refused_write
    assert refused_write.endswith(". Nothing was changed.")


async def test_a_long_retry_after_from_clockodo_is_an_error_not_a_wait(dataset: Dataset, audit_path: Path) -> None:
    faults = FaultConfig()
    app = create_app(dataset, faults=faults, now=frozen_now)
    runtime = make_runtime(app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        faults.inject("rate_limit", retry_after=120)
        message = await call_error(client, "report_hours", **QUESTION)
        assert message.endswith(": Clockodo is rate-limiting this account (429); retry in 120 s (retry_after=120).")
        assert len(faults.fired) == 1  # not retried: the agent decides whether to wait two minutes
        assert await call(client, "report_hours", **QUESTION)


@pytest.mark.slow
async def test_a_session_that_hammers_leaves_room_for_another(fake_app: Any, audit_path: Path) -> None:
    policy = RateLimitPolicy(limits=((80, AN_HOUR),), reserve=0.5)  # one session alone may use 40
    app = http_app(build_server(make_runtime(fake_app, audit_path, rate_limit=policy)), "http")
    with serving(app) as base:
        async with Client(f"{base}/mcp", mode="legacy") as hammer:
            refused = await exhaust(hammer)
            assert "This session has used its share of Clockodo's limit of 80 requests an hour" in refused
            async with Client(f"{base}/mcp", mode="legacy") as other:
                assert await call(other, "report_hours", **QUESTION)
                assert await call(other, "report_hours", **QUESTION)
            assert (await hammer.call_tool("report_hours", QUESTION)).is_error
