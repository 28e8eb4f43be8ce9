"""Running timers are never finished hours — on every day of the date matrix, in every report and in billing.

Each test seeds the demo company for the day (its forgotten timer started on the workday before, 09:00) and
compares the tools with sums computed straight from the fake's raw records.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.dates import DATE_MATRIX, each_day
from tests.server.conftest import call
from tests.server.expected import cents, completed_totals, finished_seconds, is_running, select, window
from tests.server.served import Served, demo_on

COMPLETED_NOTE = "Totals cover completed entries only"


def hours_of(seconds: int) -> float:
    return round(seconds / 3600, 2)


def last_month(day: date) -> tuple[date, date]:
    end = day.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def running_in(store: Any, start: date, end: date, states: list[int]) -> list[Any]:
    return sorted(
        (e for e in select(store, start, end, billable=states) if is_running(e)), key=lambda e: (e.time_since, e.id)
    )


def at_rates_cents(store: Any, entries: list[Any]) -> int:
    """What budgets are measured by: every finished entry at its rate (open hard budgets too), plus lump sums."""
    total = 0.0
    for e in entries:
        if e.type == 1:
            total += round(e.hourly_rate * finished_seconds(e) / 3600, 2) if e.billable in (1, 2) else 0.0
        elif e.type == 2:
            total += round(e.lumpsum or 0.0, 2)
        else:
            total += round(e.lumpsum_services_amount * store.lumpsum_services[e.lumpsum_services_id]["price"], 2)
    return cents(total)


async def check_report_hours(served: Served, label: str, start: date, end: date) -> None:
    store = served.store
    for billing, states in (("unbilled", [1]), ("all", [0, 1, 2])):
        entries = select(store, start, end, billable=states, running=False)
        seconds, value, withheld = completed_totals(store, entries)
        running = running_in(store, start, end, states)

        result = await call(served.client, "report_hours", period=label, billing=billing, limit=100)

        assert result["total_hours"] == hours_of(seconds), (label, billing)
        assert cents(result["total_value"]["amount"]) == value, (label, billing)
        assert result["hard_budgets"]["hours"] == hours_of(withheld), (label, billing)
        assert result["entry_count"] == len(entries), (label, billing)
        assert result["running"]["count"] == len(running), (label, billing)
        assert [t["entry_id"] for t in result["running"]["timers"]] == [e.id for e in running]
        for timer, entry in zip(result["running"]["timers"], running, strict=True):
            assert timer["elapsed_hours"] == hours_of(int((served.now - entry.time_since).total_seconds()))
            assert timer["user"] == store.users[entry.users_id]["name"]
        if running:
            assert COMPLETED_NOTE in result["note"]
            assert "running timer" in result["summary"]


@each_day()
async def test_report_hours_counts_completed_entries_only_and_shows_timers_apart(tmp_path: Path, day: date) -> None:
    async with demo_on(tmp_path, day) as served:
        assert any(is_running(e) for e in served.store.entries), "the demo has a forgotten timer"
        await check_report_hours(served, "this_month", day.replace(day=1), day)
        await check_report_hours(served, "last_month", *last_month(day))
        await check_report_hours(served, "last_7_days", day - timedelta(days=6), day)


@each_day()
async def test_unbilled_aging_and_utilization_leave_running_timers_out(tmp_path: Path, day: date) -> None:
    async with demo_on(tmp_path, day) as served:
        store = served.store
        aging_window = (day - timedelta(days=729), day)
        unbilled = select(store, *aging_window, billable=[1], running=False)
        seconds, value, withheld = completed_totals(store, unbilled)

        aging = await call(served.client, "unbilled_aging", limit=100)

        assert aging["total_hours"] == hours_of(seconds)
        assert cents(aging["total_value"]["amount"]) == value
        assert aging["hard_budgets"]["hours"] == hours_of(withheld)
        assert aging["running"]["count"] == len(running_in(store, *aging_window, [1]))

        month = (day.replace(day=1), day)
        timed = [e for e in select(store, *month, running=False) if e.type == 1]
        utilization = await call(served.client, "utilization", period="this_month", limit=100)

        assert utilization["total"]["worked_hours"] == hours_of(sum(finished_seconds(e) for e in timed))
        assert utilization["total"]["billable_hours"] == hours_of(
            sum(finished_seconds(e) for e in timed if e.billable in (1, 2))
        )
        assert utilization["running"]["count"] == len(running_in(store, *month, [0, 1, 2]))


@each_day()
async def test_budget_status_measures_completed_work(tmp_path: Path, day: date) -> None:
    async with demo_on(tmp_path, day) as served:
        store = served.store
        since, _ = window(date(2000, 1, 1), day)

        result = await call(served.client, "budget_status", include_completed=True, limit=100)

        assert result["projects"]
        for row in result["projects"]:
            pid = row["project_id"]
            booked = [
                e
                for e in store.entries
                if e.projects_id == pid and since <= e.time_since < served.now and not is_running(e)
            ]
            assert row["budget"]["used_hours"] == hours_of(sum(finished_seconds(e) for e in booked)), row["project"]
            assert cents(row["budget"]["used_money"]["amount"]) == at_rates_cents(store, booked), row["project"]
        on_budgets = [
            e for e in store.entries if is_running(e) and e.projects_id in {r["project_id"] for r in result["projects"]}
        ]
        assert result["running"]["count"] == len(on_budgets)


@each_day()
async def test_billing_last_month_agrees_with_the_report_and_leaves_nothing_unbilled(tmp_path: Path, day: date) -> None:
    async with demo_on(tmp_path, day) as served:
        store, client = served.store, served.client
        start, end = last_month(day)
        before = await call(client, "report_hours", period="last_month", billing="unbilled", limit=100)
        running = running_in(store, start, end, [1])

        preview = await call(client, "set_billing_state", period="last_month", to_state="billed")

        invoice = preview["preview"]["invoice"]
        assert invoice["total_hours"] == before["total_hours"]
        assert invoice["total_value"] == before["total_value"]
        assert invoice["entry_count"] == before["entry_count"]
        assert invoice["hours_without_value"] == before["hard_budgets"]["hours"]
        assert preview["preview"]["running_left_out"] == [e.id for e in running]
        assert preview["preview"]["running"]["count"] == before["running"]["count"] == len(running)

        applied = await call(
            client, "set_billing_state", period="last_month", to_state="billed", confirm_token=preview["confirm_token"]
        )
        assert applied["after"]["verified"] is True
        after = await call(client, "report_hours", period="last_month", billing="unbilled", limit=100)

        assert after["total_hours"] == 0
        assert after["total_value"]["amount"] == 0
        assert after["summary"].startswith("0 h worth 0.00 EUR (unbilled)")
        assert after["running"]["count"] == len(running)
        assert all(e.billable == 1 for e in running), "a running timer is never billed"


async def test_on_the_first_the_forgotten_timer_from_the_last_day_of_the_month_is_not_last_months_work(
    tmp_path: Path,
) -> None:
    day = DATE_MATRIX["first-of-month"]
    async with demo_on(tmp_path, day) as served:
        (timer,) = [e for e in served.store.entries if is_running(e)]
        assert timer.time_since.astimezone(served.store.tz).date() == date(2026, 11, 30)
        before = await call(served.client, "report_hours", period="last_month", billing="unbilled", limit=100)
        preview = await call(served.client, "set_billing_state", period="last_month", to_state="billed")
        await call(
            served.client,
            "set_billing_state",
            period="last_month",
            to_state="billed",
            confirm_token=preview["confirm_token"],
        )

        after = await call(served.client, "report_hours", period="last_month", billing="unbilled", limit=100)

    assert before["running"]["timers"][0]["entry_id"] == timer.id
    assert before["running"]["elapsed_hours"] == 31.0  # 09:00 on 30 November to 16:00 on 1 December
    assert after["total_hours"] == 0
    assert after["running"]["count"] == 1
    assert "Not counted: 1 running timer(s), 31 h so far" in after["summary"]


async def test_date_groupings_take_the_timer_out_of_the_day_week_and_month_it_started_in(tmp_path: Path) -> None:
    day = DATE_MATRIX["monday"]  # the timer started on Friday, so it has run for more than three days
    async with demo_on(tmp_path, day) as served:
        store = served.store
        entries = select(store, day - timedelta(days=29), day, running=False)
        keys = {
            "day": lambda d: d.isoformat(),
            "week": lambda d: "{}-W{:02d}".format(*d.isocalendar()[:2]),
            "month": lambda d: d.strftime("%Y-%m"),
        }
        for dimension, key_of in keys.items():
            expected: dict[str, int] = {}
            for e in entries:
                key = key_of(e.time_since.astimezone(store.tz).date())
                expected[key] = expected.get(key, 0) + finished_seconds(e)

            result = await call(served.client, "report_hours", period="last_30_days", group_by=[dimension], limit=100)

            got = {g["key"][dimension]: g["hours"] for g in result["groups"]}
            assert got == {k: hours_of(v) for k, v in expected.items() if v}, dimension
            assert result["running"]["count"] == 1


@each_day()
async def test_alerts_measure_budgets_and_utilization_as_the_reports_do(tmp_path: Path, day: date) -> None:
    async with demo_on(tmp_path, day) as served:
        client = served.client
        alerts = await call(
            client,
            "alerts",
            kinds=["budget", "utilization"],
            budget_threshold_pct=1,
            utilization_below_pct=1000,
            per_kind=1000,
            group_below=0,
            limit=100,
        )
        budgets = await call(client, "budget_status", limit=100)
        utilization = await call(client, "utilization", period="last_30_days", limit=100)

    by_kind: dict[str, dict[int, float]] = {"budget": {}, "utilization": {}}
    for alert in alerts["alerts"]:
        by_kind[alert["kind"]][alert["project_id"] if alert["kind"] == "budget" else alert["users_id"]] = alert["value"]
    assert by_kind["budget"] == {
        row["project_id"]: row["budget"]["pct_used"] for row in budgets["projects"] if row["budget"]["pct_used"]
    }
    assert by_kind["utilization"] == {
        row["id"]: row["utilization_pct"] for row in utilization["users"] if row["utilization_pct"] is not None
    }
