"""Money is Clockodo's revenue: open hard budgets apart, lump sums as their own invoice lines, exact to the cent.

Expected values are summed from the fake's raw entries (tests/server/expected.py), for several demo seeds and for
the small hand-built company of tests/fake (an open hard budget, a completed one with a revenue factor, a lump-sum
value, a lump-sum service and a running timer).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clockodo_mcp.clock import pinned_instant
from clockodo_mcp.fake.demo import WORKER_EMAIL, WORKER_KEY, seed
from tests.fake.conftest import FINISHED, PHOENIX, SARAH, WEBSITE, WORKER, make_dataset
from tests.fake.conftest import NOW as SMALL_NOW
from tests.server.conftest import call
from tests.server.expected import (
    cents,
    clockodo_value,
    completed_totals,
    finished_seconds,
    open_hard_projects,
    select,
)
from tests.server.served import served


def hours_of(seconds: int) -> float:
    return round(seconds / 3600, 2)


@pytest.mark.parametrize("seed_number", [1, 7, 11])
@pytest.mark.parametrize("day", [date(2026, 11, 24), date(2026, 12, 1)], ids=["mid-month", "first-of-month"])
async def test_report_totals_are_clockodos_revenue_for_several_seeds(tmp_path: Path, seed_number: int, day: date):
    async with served(tmp_path, seed(seed=seed_number, today=day), pinned_instant(day)) as s:
        store = s.store
        entries = select(store, day.replace(day=1), day, billable=[1], running=False)
        seconds, value, withheld = completed_totals(store, entries)
        hard = open_hard_projects(store)
        per_hard: dict[int, int] = {}
        for e in entries:
            if e.projects_id in hard:
                per_hard[e.projects_id] = per_hard.get(e.projects_id, 0) + finished_seconds(e)

        result = await call(
            s.client, "report_hours", period="this_month", billing="unbilled", group_by=["project"], limit=100
        )

    assert result["total_hours"] == hours_of(seconds)
    assert cents(result["total_value"]["amount"]) == value
    assert result["hard_budgets"]["hours"] == hours_of(withheld)
    listed = {p["projects_id"]: p for p in result["hard_budgets"]["projects"]}
    assert {pid: p["hours"] for pid, p in listed.items()} == {pid: hours_of(v) for pid, v in per_hard.items() if v}
    for pid, row in listed.items():
        amount = store.projects[pid]["budget"]["amount"]
        assert (row["budget_money"] or {}).get("amount", row["budget_hours"]) == amount
    for group in result["groups"]:
        if group["ids"]["project"] in hard:
            assert group["value"]["amount"] == 0
            assert group["hard_budget_hours"] == group["hours"]
            assert group["blended_rate"] is None
    if withheld:
        assert "hard budget" in result["note"]
        assert "open hard-budget projects" in result["summary"]


async def test_the_issues_seed_reads_860_eur_like_clockodo_not_1287_50_at_rate_times_hours(tmp_path: Path):
    day = date(2026, 12, 1)
    async with served(tmp_path, seed(seed=11, today=day), pinned_instant(day)) as s:
        result = await call(s.client, "report_hours", period="this_month", billing="unbilled", limit=100)

    assert result["total_value"] == {"amount": 860.0, "currency": "EUR"}  # 1,287.50 before, at rate × hours
    assert result["total_hours"] == 12.5
    assert result["hard_budgets"]["hours"] == 4.0  # the 427.50 EUR that were rate × hours on open hard budgets


# -- the small company ------------------------------------------------------------------------------------------


def small(tmp_path: Path) -> Any:
    """The hand-built company of tests/fake, at its frozen instant (2026-11-24 12:00 UTC)."""
    return served(tmp_path, make_dataset(), SMALL_NOW)


async def test_open_hard_budgets_are_listed_apart_and_completed_ones_use_the_revenue_factor(tmp_path: Path):
    async with small(tmp_path) as s:
        november = await call(s.client, "report_hours", period="2026-11", group_by=["project"], limit=100)
        september = await call(s.client, "report_hours", period="2026-09", group_by=["project"], limit=100)
        store = s.store

    by_project = {g["ids"]["project"]: g for g in november["groups"]}
    # Website: 2 h + 1 h (00:30 on 1 November in Berlin) at 120, a 250 lump sum and 120 km × 0.50; the running
    # timer (entry 7) is in no group.
    assert by_project[WEBSITE]["hours"] == 3.0
    assert by_project[WEBSITE]["value"]["amount"] == 360.0 + 250.0 + 60.0
    assert by_project[PHOENIX]["hours"] == 3.0
    assert by_project[PHOENIX]["value"]["amount"] == 0
    assert by_project[PHOENIX]["hard_budget_hours"] == 3.0
    (phoenix,) = november["hard_budgets"]["projects"]
    assert (phoenix["projects_id"], phoenix["budget_unit"], phoenix["budget_hours"]) == (PHOENIX, "hours", 100.0)
    assert november["total_value"]["amount"] == 670.0
    assert november["blended_rate"]["amount"] == round(670.0 / (november["total_hours"] - 3.0), 2)
    assert [t["entry_id"] for t in november["running"]["timers"]] == [7]
    assert november["running"]["elapsed_hours"] == 4.0
    # Finished Thing: completed hard budget, revenue factor 0.5 (the spec: revenues × revenue_factor are the
    # effective values): 2 h at 100 = 200 → 100.
    (finished,) = september["groups"]
    assert finished["ids"]["project"] == FINISHED
    assert finished["value"]["amount"] == 100.0 == clockodo_value(store, store.entry(9))


async def test_the_invoice_shows_lump_sums_as_lines_open_hard_budgets_unvalued_and_project_subtotals(tmp_path: Path):
    async with small(tmp_path) as s:
        result = await call(s.client, "set_billing_state", period="2026-11", customer="Acme Corp", to_state="billed")

    invoice = result["preview"]["invoice"]
    lines = {(line["project_id"], line["kind"], line.get("item")): line for line in invoice["lines"]}
    website_time = lines[(WEBSITE, "time", None)]
    assert (website_time["user_id"], website_time["hours"], website_time["value"]["amount"]) == (WORKER, 3.0, 360.0)
    assert website_time["rate"]["amount"] == 120.0  # the lump sum does not dilute the rate
    lump = lines[(WEBSITE, "lump_sum", "lump sum (Development)")]
    assert (lump["hours"], lump["value"]["amount"], lump["quantity"], lump["rate"]) == (0, 250.0, 1.0, None)
    phoenix = lines[(PHOENIX, "time", None)]
    assert (phoenix["user_id"], phoenix["hours"], phoenix["value"]) == (SARAH, 3.0, None)
    projects = {p["project_id"]: p for p in invoice["projects"]}
    assert projects[WEBSITE]["time_value"]["amount"] == 360.0
    assert projects[WEBSITE]["lump_sums"]["amount"] == 250.0
    assert projects[WEBSITE]["value"]["amount"] == 610.0
    assert projects[WEBSITE]["open_hard_budget"] is None
    assert projects[PHOENIX]["value"]["amount"] == 0
    assert projects[PHOENIX]["hours_without_value"] == 3.0
    assert projects[PHOENIX]["open_hard_budget"] == {"hard": True, "unit": "hours", "amount": 100.0}
    assert invoice["total_value"]["amount"] == 610.0
    assert invoice["lump_sums"]["amount"] == 250.0
    assert invoice["blended_rate"]["amount"] == 120.0
    assert invoice["hours_without_value"] == 3.0
    assert "open hard budget" in invoice["note"]
    assert result["preview"]["running_left_out"] == [7]
    assert all(line["customer"] == "Acme Corp" for line in invoice["lines"])
    assert {p["customer"] for p in invoice["projects"]} == {"Acme Corp"}


async def test_a_1200_eur_workshop_day_is_its_own_invoice_line_not_hours_at_a_blended_rate(tmp_path: Path):
    day = date(2026, 11, 24)
    async with served(tmp_path, seed(seed=7, today=day), pinned_instant(day)) as s:
        store = s.store
        workshop_id = next(i for i, ls in store.lumpsum_services.items() if ls["name"] == "Workshop day")
        (workshop,) = [e for e in store.entries if e.lumpsum_services_id == workshop_id]
        month = workshop.time_since.astimezone(store.tz).date().replace(day=1)
        state = {1: "unbilled", 2: "billed"}[workshop.billable]
        customer = store.customers[workshop.customers_id]["name"]
        result = await call(
            s.client,
            "set_billing_state",
            period=month.strftime("%Y-%m"),
            customer=customer,
            from_state=state,
            to_state="unbilled" if state == "billed" else "billed",
        )
        time_entries = [
            e
            for e in select(store, month, month.replace(day=28), billable=[workshop.billable], running=False)
            if e.customers_id == workshop.customers_id and e.projects_id == workshop.projects_id and e.type == 1
        ]

    invoice = result["preview"]["invoice"]
    (line,) = [line for line in invoice["lines"] if line.get("item") == "Workshop day"]
    assert (line["kind"], line["quantity"], line["unit_price"]["amount"], line["value"]["amount"]) == (
        "lump_sum",
        1.0,
        1200.0,
        1200.0,
    )
    project = next(p for p in invoice["projects"] if p["project_id"] == workshop.projects_id)
    assert project["lump_sums"]["amount"] >= 1200.0
    for time_line in (x for x in invoice["lines"] if x["project_id"] == workshop.projects_id and x["kind"] == "time"):
        own = [e for e in time_entries if e.users_id == time_line["user_id"]]
        assert cents(time_line["value"]["amount"]) == cents(sum(clockodo_value(store, e) for e in own))


async def test_a_worker_is_told_the_figures_are_their_own_entries_with_rates_hidden(tmp_path: Path):
    day = date(2026, 11, 24)
    async with served(tmp_path, seed(seed=7, today=day), pinned_instant(day), user=WORKER_EMAIL, key=WORKER_KEY) as s:
        store = s.store
        me = next(u["id"] for u in store.users.values() if u["email"] == WORKER_EMAIL)
        own = select(store, day.replace(day=1), day, where=lambda e: e.users_id == me, running=False)
        result = await call(s.client, "report_hours", period="this_month", limit=100)
        aging = await call(s.client, "unbilled_aging", limit=100)

    assert result["total_hours"] == hours_of(completed_totals(store, own)[0])
    assert result["visibility"]["covers"] == "own_entries"
    assert result["visibility"]["money_visible"] is False
    assert "your own entries" in result["summary"]
    assert "hides rates" in result["summary"]
    assert "worth" not in result["summary"]
    assert aging["visibility"]["covers"] == "own_entries"
    assert "worth" not in aging["summary"]


async def test_an_owner_sees_the_company_and_money(mcp_client):
    result = await call(mcp_client, "report_hours", period="this_month", limit=100)
    assert result["visibility"] == {"covers": "company", "money_visible": True, "note": None}
    assert "worth" in result["summary"]
