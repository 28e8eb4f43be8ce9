"""Budget arithmetic: usage, percentages, thresholds, burn, forecast and risk, on hand-made projects."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from clockodo_mcp.clockodo import ClockodoForbiddenError, EntryGroup, Project
from clockodo_mcp.domain.budgets import (
    BudgetUsage,
    Usage,
    assess,
    budget_statuses,
    forecast_exhaustion,
    gather,
    has_budget,
    lifetime_since,
    usage_by_project,
)

TODAY = date(2026, 11, 24)


def project(pid: int = 1, *, budget: dict[str, Any] | None = None, **fields: Any) -> Project:
    return Project.model_validate({"id": pid, "customers_id": 1, "name": f"P{pid}", "budget": budget, **fields})


def hours_budget(amount: float, **extra: Any) -> dict[str, Any]:
    return {"monetary": False, "hard": False, "amount": amount, "notification_thresholds": [50, 80, 100], **extra}


def test_hours_budget_uses_hours_and_lists_breached_thresholds() -> None:
    status = assess(project(budget=hours_budget(100)), Usage(seconds=85 * 3600, revenue=9999.0), None, today=TODAY)
    assert status is not None
    assert status.unit == "hours"
    assert status.used == pytest.approx(85.0)
    assert status.remaining == pytest.approx(15.0)
    assert status.pct_used == pytest.approx(85.0)
    assert status.breached == (50, 80)
    assert not status.exhausted
    assert status.at_risk
    assert status.burn_per_day is None
    assert status.forecast_exhaustion is None


def test_money_budget_uses_revenue() -> None:
    budget = {"monetary": True, "hard": True, "amount": 10_000.0, "notification_thresholds": []}
    status = assess(project(budget=budget), Usage(seconds=3600, revenue=2_500.0), None, today=TODAY)
    assert status is not None
    assert (status.unit, status.hard, status.used, status.pct_used) == ("money", True, 2_500.0, 25.0)
    assert not status.at_risk


def test_burn_and_forecast_come_from_the_trailing_window() -> None:
    status = assess(
        project(budget=hours_budget(100)),
        Usage(seconds=40 * 3600),
        Usage(seconds=28 * 3600),
        today=TODAY,
        window_days=28,
    )
    assert status is not None
    assert status.burn_per_day == pytest.approx(1.0)
    assert status.forecast_exhaustion == date(2027, 1, 23)  # today + 60 days
    assert not status.at_risk


def test_forecast_rounds_down_to_whole_days() -> None:
    assert forecast_exhaustion(10.0, 4.0, TODAY) == date(2026, 11, 26)


def test_no_forecast_without_burn() -> None:
    assert forecast_exhaustion(10.0, 0.0, TODAY) is None


def test_exhausted_budget_has_no_forecast_and_is_at_risk() -> None:
    status = assess(project(budget=hours_budget(10)), Usage(seconds=12 * 3600), Usage(seconds=3600), today=TODAY)
    assert status is not None
    assert status.exhausted
    assert status.forecast_exhaustion is None
    assert status.breached == (50, 80, 100)
    assert status.at_risk
    assert "exhausted" in status.risk_reasons[0]


def test_forecast_before_the_deadline_is_a_risk_even_at_low_usage() -> None:
    status = assess(
        project(budget=hours_budget(100), deadline="2027-06-30"),
        Usage(seconds=10 * 3600),
        Usage(seconds=28 * 3600 // 2),  # 0.5 h/day → 180 days left → 2027-05-23
        today=TODAY,
    )
    assert status is not None
    assert status.forecast_exhaustion == date(2027, 5, 23)
    assert status.at_risk
    assert "deadline" in status.risk_reasons[0]


def test_forecast_within_the_horizon_is_a_risk() -> None:
    status = assess(
        project(budget=hours_budget(100)), Usage(seconds=50 * 3600), Usage(seconds=28 * 2 * 3600), today=TODAY
    )
    assert status is not None
    assert status.forecast_exhaustion == date(2026, 12, 19)
    assert status.at_risk
    assert "within 30 days" in status.risk_reasons[0]


def test_risk_threshold_is_an_argument() -> None:
    status = assess(project(budget=hours_budget(100)), Usage(seconds=85 * 3600), None, today=TODAY, risk_pct=90)
    assert status is not None
    assert not status.at_risk


def test_project_without_budget_has_no_status() -> None:
    assert assess(project(), Usage(seconds=3600), None, today=TODAY) is None
    assert not has_budget(project())


def test_budget_from_subprojects_uses_their_total_and_says_so() -> None:
    budget = {"monetary": False, "from_subprojects": True, "amount": None, "subprojects_budget_total": 50.0}
    status = assess(project(budget=budget), Usage(seconds=25 * 3600), None, today=TODAY)
    assert status is not None
    assert status.source == "subprojects"
    assert status.amount == 50.0
    assert status.pct_used == pytest.approx(50.0)
    assert status.note
    assert "subproject" in status.note


def test_interval_budget_reports_usage_without_percent() -> None:
    status = assess(project(budget=hours_budget(20, interval=1)), Usage(seconds=90 * 3600), None, today=TODAY)
    assert status is not None
    assert status.source == "interval"
    assert status.pct_used is None
    assert not status.at_risk
    assert status.note
    assert "per month" in status.note


def group(by: str, key: str, duration: int, revenue: float = 0.0, subs: list[EntryGroup] | None = None) -> EntryGroup:
    return EntryGroup(grouped_by=by, group=key, name=key, duration=duration, revenue=revenue, sub_groups=subs)


def test_usage_by_project_reads_the_entry_group_tree() -> None:
    groups = [
        group("projects_id", "3", 7200, 200.0),
        group("projects_id", "4", 3600, 0.0, [group("billable", "1", 1800, 50.0), group("billable", "0", 1800)]),
        group("projects_id", "", 999, 9.0),
    ]
    assert usage_by_project(groups) == {3: Usage(7200, 200.0), 4: Usage(3600, 50.0)}


def test_lifetime_starts_at_the_earliest_project_start_or_ten_years_back() -> None:
    assert lifetime_since([project(start_date="2025-03-01"), project(2, start_date="2024-01-01")], TODAY) == date(
        2024, 1, 1
    )
    assert lifetime_since([project(start_date="2025-03-01"), project(2)], TODAY).year == 2016


def test_budget_statuses_sort_by_percent_used() -> None:
    projects = [project(1, budget=hours_budget(100)), project(2, budget=hours_budget(10)), project(3)]
    usage = BudgetUsage({1: Usage(50 * 3600), 2: Usage(9 * 3600)}, {}, 28, TODAY)
    statuses = budget_statuses(projects, usage, today=TODAY)
    assert [s.project_id for s in statuses] == [2, 1]


async def test_gather_raises_the_first_failure_unwrapped() -> None:
    async def ok() -> None:
        return None

    async def forbidden() -> None:
        raise ClockodoForbiddenError("no rights")

    with pytest.raises(ClockodoForbiddenError):
        await gather(ok, forbidden)


def test_a_forecast_past_the_years_clockodo_accepts_is_no_forecast() -> None:
    # A 99,999,999.99 h budget burning 0.01 h a day used to overflow the date type (found by the fuzz).
    assert forecast_exhaustion(99_999_999.99, 0.01, TODAY) is None
    assert forecast_exhaustion(1e308, 1e-308, TODAY) is None
    assert forecast_exhaustion(365.0, 1.0, TODAY) == date(2027, 11, 24)
