"""list_projects and budget_status against the fake, with expected figures computed from its raw entries."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest

from tests.server.conftest import NOW, TODAY, call, call_error
from tests.server.expected import TIMER_LOOKUP_REQUESTS, id_of, seconds_of, value_of, window

WINDOW_SINCE = NOW - timedelta(days=28)


def store_of(fake_app: Any) -> Any:
    return fake_app.state.store


def raw_usage(store: Any, project_id: int, since: Any = None) -> tuple[float, float]:
    """(hours, value) booked on a project up to NOW (from `since` when given), straight from the records."""
    prices = store.lumpsum_prices()
    entries = [
        e
        for e in store.entries
        if e.projects_id == project_id and e.time_since < NOW and (since is None or e.time_since >= since)
    ]
    return (
        sum(seconds_of(e, NOW) for e in entries) / 3600,
        sum(value_of(e, NOW, prices) for e in entries),
    )


def used_in_unit(store: Any, project: dict[str, Any], since: Any = None) -> float:
    hours, value = raw_usage(store, project["id"], since)
    return value if project["budget"]["monetary"] else hours


def open_budgeted(store: Any) -> list[dict[str, Any]]:
    return [p for p in store.projects.values() if p.get("budget") and p["active"] and not p["completed"]]


def expected_risk(store: Any, project: dict[str, Any]) -> tuple[float, date | None, bool]:
    """(% used, forecast, at risk) by the rule in the issue: ≥ 80 %, or out before the deadline / within 30 days."""
    amount = project["budget"]["amount"]
    used = used_in_unit(store, project)
    burn = used_in_unit(store, project, WINDOW_SINCE) / 28
    share = used / amount * 100
    forecast = None
    if used < amount and burn > 0:
        forecast = TODAY + timedelta(days=math.floor((amount - used) / burn))
    deadline = date.fromisoformat(project["deadline"]) if project.get("deadline") else None
    soon = forecast is not None and (
        (deadline is not None and forecast < deadline) or forecast <= TODAY + timedelta(days=30)
    )
    return share, forecast, share >= 80 or soon


async def test_budget_usage_matches_the_raw_entries_for_every_budgeted_project(mcp_client, fake_app):
    store = store_of(fake_app)
    expected = open_budgeted(store)

    result = await call(mcp_client, "budget_status", limit=100)

    rows = {r["project_id"]: r for r in result["projects"]}
    assert set(rows) == {p["id"] for p in expected}
    assert result["paging"]["total"] == len(expected)
    for project in expected:
        row, budget = rows[project["id"]], project["budget"]
        hours, value = raw_usage(store, project["id"])
        assert row["budget"]["used_hours"] == pytest.approx(hours, abs=0.02), project["name"]
        assert row["budget"]["used_money"]["amount"] == pytest.approx(value, abs=0.05), project["name"]
        assert row["budget"]["unit"] == ("money" if budget["monetary"] else "hours")
        used = value if budget["monetary"] else hours
        assert row["budget"]["pct_used"] == pytest.approx(used / budget["amount"] * 100, abs=0.06), project["name"]
        if budget["monetary"]:
            assert row["budget"]["amount_money"] == {"amount": budget["amount"], "currency": "EUR"}
            assert "amount_hours" not in row["budget"], "the other unit's fields are left out"
        else:
            assert row["budget"]["amount_hours"] == budget["amount"]


async def test_burn_rate_and_forecast_follow_the_trailing_window(mcp_client, fake_app):
    store = store_of(fake_app)
    phoenix = store.projects[id_of(store.projects, "Phoenix")]
    share, forecast, _ = expected_risk(store, phoenix)
    burn = used_in_unit(store, phoenix, WINDOW_SINCE) / 28

    result = await call(mcp_client, "budget_status", project="Phoenix")

    (row,) = result["projects"]
    assert row["burn_per_day_hours"] == pytest.approx(burn, abs=0.01)
    assert row["burn_per_day_money"] is None
    assert row["forecast_exhaustion"] == (forecast.isoformat() if forecast else None)
    assert row["budget"]["pct_used"] == pytest.approx(share, abs=0.06)
    assert row["deadline"] == phoenix["deadline"]


async def test_a_longer_burn_window_changes_the_burn_rate(mcp_client, fake_app):
    store = store_of(fake_app)
    alpha = store.projects[id_of(store.projects, "Project Alpha")]
    burn = used_in_unit(store, alpha, NOW - timedelta(days=90)) / 90

    result = await call(mcp_client, "budget_status", project="Project Alpha", burn_window_days=90)

    assert result["projects"][0]["burn_per_day_money"]["amount"] == pytest.approx(burn, abs=0.01)
    assert result["burn_window_days"] == 90


async def test_at_risk_only_lists_the_projects_at_risk(mcp_client, fake_app):
    store = store_of(fake_app)
    expected = {p["id"] for p in open_budgeted(store) if expected_risk(store, p)[2]}

    result = await call(mcp_client, "budget_status", at_risk_only=True, limit=100)

    assert expected, "the demo company has budgets at risk"
    assert {r["project_id"] for r in result["projects"]} == expected
    assert all(r["at_risk"] and r["risk_reasons"] for r in result["projects"])
    assert result["at_risk_projects"] == len(expected)


async def test_exhausted_budgets_show_breached_thresholds_and_no_forecast(mcp_client, fake_app):
    store = store_of(fake_app)
    relaunch = store.projects[id_of(store.projects, "E-Commerce Relaunch")]
    share = used_in_unit(store, relaunch) / relaunch["budget"]["amount"] * 100

    result = await call(mcp_client, "budget_status", project="E-Commerce Relaunch")

    row = result["projects"][0]
    assert share > 100
    assert row["budget"]["exhausted"] is True
    assert row["forecast_exhaustion"] is None
    assert row["budget"]["breached_thresholds"] == [
        t for t in relaunch["budget"]["notification_thresholds"] if share >= t
    ]
    assert row["budget"]["remaining_money"]["amount"] < 0


async def test_budget_status_uses_two_entry_group_requests_and_the_timer_lookup_whatever_the_number_of_projects(
    mcp_client, runtime
):
    await call(mcp_client, "budget_status")  # warms the master-data cache
    before = runtime.client.request_count

    await call(mcp_client, "budget_status", include_completed=True)

    assert runtime.client.request_count - before == 2 + TIMER_LOOKUP_REQUESTS


async def test_list_projects_of_a_customer_with_budget_and_usage(mcp_client, fake_app):
    store = store_of(fake_app)
    acme = id_of(store.customers, "Acme Corp")
    expected = sorted(p["name"] for p in store.projects.values() if p["customers_id"] == acme and p["active"])

    result = await call(mcp_client, "list_projects", customer="acme", limit=100)

    assert [p["name"] for p in result["projects"]] == expected
    assert result["paging"]["total"] == len(expected)
    redesign = next(p for p in result["projects"] if p["name"] == "Website Redesign")
    hours, _ = raw_usage(store, redesign["id"])
    assert redesign["booked_hours"] == pytest.approx(hours, abs=0.02)
    assert redesign["budget"]["unit"] == "hours"
    assert redesign["budget"]["hard"] is True
    assert redesign["budget"]["pct_used"] == pytest.approx(hours / redesign["budget"]["amount_hours"] * 100, abs=0.06)
    seo = next(p for p in result["projects"] if p["name"] == "SEO Retainer")
    assert "budget" not in seo, "no budget: the field is left out"
    assert all(p["customer"] == "Acme Corp" and p["customers_id"] == acme for p in result["projects"])


async def test_list_projects_pages_with_totals(mcp_client, fake_app):
    store = store_of(fake_app)
    active = [p for p in store.projects.values() if p["active"]]

    first = await call(mcp_client, "list_projects", limit=10)
    second = await call(mcp_client, "list_projects", limit=10, **first["paging"]["next"])

    assert first["paging"]["total"] == second["paging"]["total"] == len(active)
    assert second["paging"]["offset"] == 10
    names = [p["name"] for p in first["projects"] + second["projects"]]
    assert len(names) == len(set(names)) == min(20, len(active))


async def test_list_projects_shows_archived_and_completed_projects_on_request(mcp_client, fake_app):
    store = store_of(fake_app)

    archived = await call(mcp_client, "list_projects", active="archived", limit=100)
    completed = await call(mcp_client, "list_projects", active="all", completed=True, limit=100)

    assert {p["name"] for p in archived["projects"]} == {p["name"] for p in store.projects.values() if not p["active"]}
    assert {p["name"] for p in completed["projects"]} == {p["name"] for p in store.projects.values() if p["completed"]}
    assert all(p["completed_at"] for p in completed["projects"])


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("budget_status", {"project": "Pheonix"}, "Did you mean: Phoenix"),
        ("budget_status", {"project": "Portal"}, "ambiguous"),
        ("budget_status", {"project": "SEO Retainer"}, "has no budget"),
        ("budget_status", {"risk_pct": 0}, "risk_pct"),
        ("budget_status", {"burn_window_days": 0}, "burn_window_days"),
        ("budget_status", {"offset": 99}, "offset 99 is past the end"),
        ("list_projects", {"customer": "Nobody Inc"}, "No customer matches"),
        ("list_projects", {"limit": 500}, "limit"),
        ("list_projects", {"active": "deleted"}, "active"),
    ],
)
async def test_bad_project_arguments_are_tool_errors(mcp_client, tool, arguments, message):
    assert message in await call_error(mcp_client, tool, **arguments)


async def test_a_worker_sees_only_their_own_hours_and_is_told_so(worker_client, fake_app):
    store = store_of(fake_app)
    worker = next(u for u in store.users.values() if u["email"] == "worker@demo.example")
    alpha = id_of(store.projects, "Project Alpha")
    since, _ = window(date(2000, 1, 1), TODAY)
    own = (
        sum(
            seconds_of(e, NOW)
            for e in store.entries
            if e.projects_id == alpha and e.users_id == worker["id"] and since <= e.time_since < NOW
        )
        / 3600
    )

    result = await call(worker_client, "budget_status", project="Project Alpha")

    assert result["projects"][0]["budget"]["used_hours"] == pytest.approx(own, abs=0.02)
    assert result["projects"][0]["budget"]["used_money"]["amount"] == 0
    assert "worker" in result["note"]
    assert "your own entries" in result["summary"]
    assert result["visibility"] == {"covers": "own_entries", "money_visible": False, "note": result["note"]}
