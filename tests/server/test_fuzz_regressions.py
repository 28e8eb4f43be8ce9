"""Calls the fuzz (tests/server/test_fuzz.py, bench/fuzz.py) once crashed on, kept as plain regression tests."""

from __future__ import annotations

from mcp import Client

from tests.server.conftest import call
from tests.server.gating import apply


async def test_a_huge_budget_with_little_burn_has_no_forecast_instead_of_crashing(mcp_client: Client) -> None:
    await apply(mcp_client, "set_project_budget", project="Phoenix", amount=99_999_999.99, unit="hours")

    status = await call(mcp_client, "budget_status", project="Phoenix")
    alerts = await call(mcp_client, "alerts", kinds=["budget"])

    assert [row["forecast_exhaustion"] for row in status["projects"]] == [None]
    assert "Phoenix" not in alerts["summary"]
