"""alerts against the fake: each check finds what the raw records say needs attention."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.server.conftest import NOW, TODAY, call, call_error
from tests.server.expected import id_of, seconds_of, value_of, window


def store_of(fake_app: Any) -> Any:
    return fake_app.state.store


UNGROUPED = {"per_kind": 1000, "group_below": 0, "limit": 100}
RANKS = {"critical": 0, "warning": 1, "info": 2}


def of_kind(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [a for a in result["alerts"] if a["kind"] == kind]


def at_risk(alert: dict[str, Any]) -> float:
    return float(alert["money"]["amount"]) if "money" in alert else 0.0


async def test_alerts_are_sorted_by_severity_then_money_at_risk_and_counted(mcp_client):
    result = await call(mcp_client, "alerts", **UNGROUPED)

    order = [(RANKS[a["severity"]], -at_risk(a)) for a in result["alerts"]]
    assert order == sorted(order)
    assert sum(result["counts"].values()) == result["paging"]["total"] == len(result["alerts"])
    assert set(result["counts_by_kind"]) == {"budget", "utilization", "unbilled", "absence_request", "timer"}
    assert result["counts"]["critical"] >= 1


async def test_small_alerts_are_summed_up_per_kind_with_their_money(mcp_client):
    every = await call(mcp_client, "alerts", kinds=["unbilled"], **UNGROUPED)
    grouped = await call(mcp_client, "alerts", kinds=["unbilled"], limit=100)

    ranked = sorted(every["alerts"], key=lambda a: -at_risk(a))
    shown = [a for a in ranked if at_risk(a) >= 500][:5]
    rest = [a for a in ranked if a not in shown]
    assert len(every["alerts"]) == 18, "the demo company's unbilled projects"
    assert [a["project_id"] for a in grouped["alerts"][:-1]] == [a["project_id"] for a in shown]
    line = grouped["alerts"][-1]
    assert line["grouped"] == len(rest)
    assert line["money"]["amount"] == pytest.approx(sum(at_risk(a) for a in rest), abs=0.01)
    assert line["message"].startswith(f"{len(rest)} more project(s) with unbilled hours older than 60 days, ")
    assert "EUR in all" in line["message"]
    assert "unbilled_aging" in line["message"]
    assert grouped["counts"] == every["counts"], "counts are over every alert, before grouping"


async def test_a_default_alerts_answer_is_ranked_by_money_at_risk_not_buried_in_small_items(mcp_client):
    result = await call(mcp_client, "alerts")

    assert len(result["alerts"]) == 8
    assert sum(1 for a in result["alerts"] if a["kind"] == "unbilled" and "grouped" not in a) <= 5
    assert all(at_risk(a) >= 500 for a in result["alerts"] if a["kind"] == "unbilled" and "grouped" not in a)
    assert [a["severity"] for a in result["alerts"][:3]] == ["critical"] * 3
    timer = next(a for a in result["alerts"] if a["kind"] == "timer")
    assert timer["money"]["amount"] > 0, "a forgotten timer has money at stake"


async def test_the_forgotten_timer_is_critical(mcp_client, fake_app):
    store = store_of(fake_app)
    running = [e for e in store.entries if e.type == 1 and e.time_until is None]
    long = {
        e.id: (NOW - e.time_since).total_seconds() / 3600
        for e in running
        if (NOW - e.time_since).total_seconds() > 10 * 3600
    }

    result = await call(mcp_client, "alerts", kinds=["timer"])

    assert long, "the demo company has a forgotten timer"
    assert {a["entry_id"]: a["value"] for a in result["alerts"]} == pytest.approx(long, abs=0.01)
    assert all(a["severity"] == ("critical" if a["value"] >= 24 else "warning") for a in result["alerts"])


async def test_a_higher_timer_threshold_silences_the_timer_alert(mcp_client):
    result = await call(mcp_client, "alerts", kinds=["timer"], timer_longer_than_hours=1000)
    assert result["alerts"] == []
    assert "Nothing needs attention" in result["summary"]


async def test_budget_alerts_flag_projects_past_the_threshold(mcp_client, fake_app):
    store = store_of(fake_app)
    prices = store.lumpsum_prices()
    expected: dict[int, float] = {}
    for project in store.projects.values():
        budget = project.get("budget")
        if not budget or not project["active"] or project["completed"]:
            continue
        entries = [e for e in store.entries if e.projects_id == project["id"] and e.time_since < NOW]
        used = (
            sum(value_of(e, NOW, prices) for e in entries)
            if budget["monetary"]
            else sum(seconds_of(e, NOW) for e in entries) / 3600
        )
        if used / budget["amount"] * 100 >= 90:
            expected[project["id"]] = used / budget["amount"] * 100

    result = await call(mcp_client, "alerts", kinds=["budget"], budget_threshold_pct=90)

    past = {a["project_id"]: a["value"] for a in of_kind(result, "budget") if a["severity"] != "info"}
    assert past == pytest.approx(expected, abs=0.06)
    exhausted = {a["project_id"] for a in of_kind(result, "budget") if a["severity"] == "critical"}
    assert exhausted == {pid for pid, share in expected.items() if share >= 100}
    assert id_of(store.projects, "E-Commerce Relaunch") in exhausted


async def test_absence_requests_pending_too_long(mcp_client, fake_app):
    store = store_of(fake_app)
    ages = {
        a["id"]: (TODAY - date.fromisoformat(a["date_enquired"])).days
        for a in store.absences.values()
        if a["status"] == 0
    }

    result = await call(mcp_client, "alerts", kinds=["absence_request"], pending_longer_than_days=8)

    assert {a["absence_id"]: a["value"] for a in result["alerts"]} == {i: age for i, age in ages.items() if age > 8}
    assert all(a["severity"] == "warning" for a in result["alerts"])


async def test_unbilled_hours_older_than_n_days_per_project(mcp_client, fake_app):
    store = store_of(fake_app)
    since, until = window(TODAY - timedelta(days=730), TODAY - timedelta(days=60))
    expected: dict[int, float] = {}
    for entry in store.entries:
        if entry.billable == 1 and since <= entry.time_since < until and entry.projects_id:
            expected[entry.projects_id] = expected.get(entry.projects_id, 0.0) + seconds_of(entry, NOW) / 3600

    result = await call(mcp_client, "alerts", kinds=["unbilled"], **UNGROUPED)

    found = {a["project_id"]: a["value"] for a in result["alerts"]}
    assert found == pytest.approx({pid: round(h, 2) for pid, h in expected.items() if h > 0}, abs=0.02)
    assert id_of(store.projects, "Mobile App") in found, "Nordlicht is never invoiced"


async def test_under_utilized_employees_are_flagged(mcp_client, fake_app):
    store = store_of(fake_app)

    result = await call(
        mcp_client, "alerts", kinds=["utilization"], utilization_below_pct=50, utilization_period="last_month"
    )

    flagged = {a["users_id"]: a["value"] for a in result["alerts"]}
    assert id_of(store.users, "Lukas Hoffmann") in flagged
    assert all(value < 50 for value in flagged.values())
    assert result["utilization_period"]["start"] == "2026-10-01"


async def test_min_severity_leaves_out_milder_alerts(mcp_client):
    result = await call(mcp_client, "alerts", min_severity="critical")
    assert result["alerts"]
    assert all(a["severity"] == "critical" for a in result["alerts"])
    assert result["counts"]["warning"] == result["counts"]["info"] == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kinds": ["weather"]}, "kinds"),
        ({"budget_threshold_pct": 0}, "budget_threshold_pct"),
        ({"utilization_period": "someday"}, "Cannot understand the period"),
        ({"timer_longer_than_hours": -1}, "timer_longer_than_hours"),
        ({"offset": 99}, "offset 99 is past the end"),
    ],
)
async def test_bad_alert_arguments_are_tool_errors(mcp_client, arguments, message):
    assert message in await call_error(mcp_client, "alerts", **arguments)


async def test_a_worker_gets_alerts_about_their_own_data_and_is_told_so(worker_client):
    result = await call(worker_client, "alerts", kinds=["absence_request", "timer"])
    assert "worker" in result["note"]
    assert all(a["kind"] in ("absence_request", "timer") for a in result["alerts"])
