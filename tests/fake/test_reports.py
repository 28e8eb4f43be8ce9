"""User reports, target hours, holiday quotas, nonbusiness days and work times."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from .conftest import SARAH, WORKER, general_error

HOUR = 3600.0


def expected_worker_target(until: date) -> float:
    """8 h per weekday in 2026 up to `until`, minus public holidays and the approved absences."""
    off = {date(2026, 1, 1), date(2026, 4, 3), date(2026, 10, 1), date(2026, 11, 5), date(2026, 11, 6)}
    day, total = date(2026, 1, 1), 0.0
    while day <= until:
        if day.weekday() < 5 and day not in off:
            total += 8 * HOUR
        day += timedelta(days=1)
    return total


async def test_user_report_sums_hours_targets_and_absences(worker: httpx.AsyncClient) -> None:
    response = await worker.get("/userreports", params={"year": 2026})
    reports = response.json()["userreports"]
    assert [r["users_id"] for r in reports] == [WORKER]
    report = reports[0]
    assert report["sum_hours"] == 4 * HOUR  # entries 1, 3 and 8 (lump sums do not count)
    assert report["sum_target"] == expected_worker_target(date(2026, 11, 24))
    assert report["diff"] == report["sum_hours"] - report["sum_target"]
    assert report["sum_absence"]["regular_holidays"] == 2
    assert report["sum_absence"]["sick_self"] == 1
    assert report["holidays_quota"] == 30
    assert report["month_details"] is None


async def test_month_week_and_day_details(owner: httpx.AsyncClient) -> None:
    response = await owner.get(f"/userreports/{WORKER}", params={"year": 2026, "type": 4})
    report = response.json()["userreport"]
    november = report["month_details"][10]
    assert november["nr"] == 11
    assert november["sum_hours"] == 4 * HOUR  # entry 8 is on 1 November in Berlin
    assert november["sum_target"] == 15 * 8 * HOUR
    week = next(w for w in november["week_details"] if w["nr"] == 45)
    holiday = next(d for d in week["day_details"] if d["date"] == "2026-11-05")
    assert holiday["target"] == 0
    assert holiday["target_raw"] == 8 * HOUR
    assert holiday["count_absence"]["regular_holidays"] == 1
    monday = next(d for d in week["day_details"] if d["date"] == "2026-11-02")
    assert monday["weekday"] == 1
    assert monday["hours"] == 2 * HOUR
    assert monday["work_start"] == "2026-11-02T08:00:00Z"
    assert monday["work_end"] == "2026-11-02T10:00:00Z"
    assert monday["breaks"] == []


async def test_sarah_works_four_days_and_her_running_entry_counts(owner: httpx.AsyncClient) -> None:
    report = (await owner.get(f"/userreports/{SARAH}", params={"year": 2026, "type": 1})).json()["userreport"]
    november = report["month_details"][10]
    assert november["sum_hours"] == (3 + 4) * HOUR  # entry 2 and the running entry 7 (4 h so far)
    assert report["workdays"] > 0


async def test_user_reports_rights_and_bad_input(worker: httpx.AsyncClient, owner: httpx.AsyncClient) -> None:
    assert (await worker.get(f"/userreports/{SARAH}", params={"year": 2026})).status_code == 403
    for params in ({}, {"year": "x"}, {"year": 2026, "type": 9}, {"year": 1800}):
        response = await owner.get("/userreports", params=params)
        assert response.status_code == 400, params
        general_error(response.json())
    assert (await owner.get("/userreports/99", params={"year": 2026})).status_code == 404


async def test_target_hours(owner: httpx.AsyncClient, worker: httpx.AsyncClient) -> None:
    rows = (await owner.get("/targethours")).json()["targethours"]
    assert [r["users_id"] for r in rows] == [WORKER, SARAH]
    own = (await worker.get("/targethours")).json()["targethours"]
    assert [r["id"] for r in own] == [1]
    assert (await owner.get("/targethours/2")).json()["targethoursRow"]["friday"] == 0
    assert (await worker.get("/targethours", params={"users_id": SARAH})).status_code == 403
    assert (await worker.get("/targethours/2")).status_code == 403
    assert (await owner.get("/targethours/9")).status_code == 404


async def test_holidays_quota(owner: httpx.AsyncClient, worker: httpx.AsyncClient) -> None:
    assert [q["id"] for q in (await owner.get("/v2/holidaysQuota")).json()["data"]] == [1, 2]
    next_year = (await owner.get("/v2/holidaysQuota", params={"year": 2027})).json()["data"]
    assert [q["users_id"] for q in next_year] == [SARAH]
    filtered = (await owner.get("/v2/holidaysQuota", params={"filter[users_id]": WORKER})).json()["data"]
    assert [q["id"] for q in filtered] == [1]
    assert (await worker.get("/v2/holidaysQuota", params={"users_id": SARAH})).status_code == 403
    assert (await owner.get("/v2/holidaysQuota/2")).json()["data"]["count"] == 28
    assert (await owner.get("/v2/holidaysQuota", params={"year": 1999})).status_code == 400


async def test_nonbusiness_days_are_evaluated_per_year(owner: httpx.AsyncClient) -> None:
    days = (await owner.get("/v2/nonbusinessDays", params={"year": 2027})).json()["data"]
    assert [(d["name"], d["evaluated_date"]) for d in days] == [
        ("New Year's Day", "2027-01-01"),
        ("Good Friday", "2027-03-26"),
        ("German Unity Day", "2027-10-03"),
        ("Christmas Eve", "2027-12-24"),
        ("Christmas Day", "2027-12-25"),
    ]
    this_year = (await owner.get("/v2/nonbusinessDays", params={"nonbusiness_group_id[]": 1})).json()["data"]
    assert this_year[1]["evaluated_date"] == "2026-04-03"
    one = (await owner.get("/v2/nonbusinessDays/2", params={"year": 2028})).json()["data"]
    assert one["evaluated_date"] == "2028-04-14"
    assert (await owner.get("/v2/nonbusinessDays", params={"year": "soon"})).status_code == 400


async def test_work_times_merge_intervals_per_local_day(worker: httpx.AsyncClient) -> None:
    params = {"date_since": "2026-11-01", "date_until": "2026-11-30"}
    body = (await worker.get("/v2/workTimes", params=params)).json()
    days = {d["date"]: d["intervals"] for d in body["work_time_days"]}
    assert list(days) == ["2026-11-01", "2026-11-02", "2026-11-16"]
    assert days["2026-11-01"] == [{"time_since": "2026-10-31T23:30:00Z", "time_until": "2026-11-01T00:30:00Z"}]
    assert body["paging"]["count_items"] == 3


async def test_work_times_follow_entries_moved_to_another_user_or_day(owner: httpx.AsyncClient) -> None:
    async def days(user: int) -> dict[str, list[dict[str, Any]]]:
        params = {"date_since": "2026-11-01", "date_until": "2026-11-30", "users_id": user}
        body = (await owner.get("/v2/workTimes", params=params)).json()
        return {d["date"]: d["intervals"] for d in body["work_time_days"]}

    assert "2026-11-16" in await days(WORKER)
    moved = await owner.put("/v2/entries/3", json={"users_id": SARAH})
    assert moved.status_code == 200, moved.text
    assert "2026-11-16" not in await days(WORKER)
    assert (await days(SARAH))["2026-11-16"] == [
        {"time_since": "2026-11-16T13:00:00Z", "time_until": "2026-11-16T14:00:00Z"}
    ]
    later = await owner.put(
        "/v2/entries/3", json={"time_since": "2026-11-17T13:00:00Z", "time_until": "2026-11-17T14:00:00Z"}
    )
    assert later.status_code == 200, later.text
    sarah = await days(SARAH)
    assert "2026-11-16" not in sarah
    assert sarah["2026-11-17"] == [{"time_since": "2026-11-17T13:00:00Z", "time_until": "2026-11-17T14:00:00Z"}]
    assert (await owner.delete("/v2/entries/3")).status_code == 200
    assert "2026-11-17" not in await days(SARAH)


async def test_work_times_rights_and_bad_input(worker: httpx.AsyncClient, owner: httpx.AsyncClient) -> None:
    denied = await worker.get(
        "/v2/workTimes", params={"date_since": "2026-11-01", "date_until": "2026-11-30", "users_id": SARAH}
    )
    assert denied.status_code == 403
    sarah = await owner.get(
        "/v2/workTimes", params={"date_since": "2026-11-24", "date_until": "2026-11-24", "users_id": SARAH}
    )
    assert sarah.json()["work_time_days"][0]["intervals"] == [
        {"time_since": "2026-11-24T08:00:00Z", "time_until": None}
    ]
    for params in (
        {"date_since": "2026-11-30", "date_until": "2026-11-01"},
        {"date_since": "2026-11-01"},
        {"date_since": "x", "date_until": "2026-11-01"},
        {"date_since": "2024-01-01", "date_until": "2026-11-01"},
    ):
        response = await owner.get("/v2/workTimes", params=params)
        assert response.status_code == 400, params
