"""User reports, target hours, holiday quotas, nonbusiness days and work times."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import respx

from clockodo_mcp.clockodo import ClockodoArgumentError, ClockodoClient

from .conftest import paging, query

REPORT = {
    "users_id": 7,
    "users_name": "Sarah",
    "users_number": None,
    "users_email": "sarah@demo.example",
    "sum_target": 576000.0,
    "sum_hours": 590400.0,
    "sum_reduction_used": 0,
    "sum_reduction_planned": 0,
    "overtime_carryover": 0,
    "overtime_reduced": 0,
    "diff": 14400,
    "holidays_quota": 30,
    "holidays_carry": 2,
    "sum_absence": {"regular_holidays": 5, "sick_self": 1},
    "surcharges": {"night": 0},
    "workdays": 20,
    "month_details": [{"nr": 1, "sum_hours": 590400.0}],
}


async def test_user_reports(api: respx.MockRouter, client: ClockodoClient) -> None:
    listing = api.get("/userreports").respond(json={"userreports": [REPORT]})
    one = api.get("/userreports/7").respond(json={"userreport": REPORT})
    [report] = await client.user_reports.list(2024, type=1)
    assert query(listing.calls.last.request) == [("year", "2024"), ("type", "1")]
    assert report.sum_hours == 590400.0
    assert report.month_details == [{"nr": 1, "sum_hours": 590400.0}]
    assert (await client.user_reports.get(7, 2024)).users_id == 7
    assert query(one.calls.last.request) == [("year", "2024"), ("type", "0")]


async def test_target_hours(api: respx.MockRouter, client: ClockodoClient) -> None:
    row = {
        "id": 1,
        "users_id": 7,
        "type": "weekly",
        "surcharge_models_id": None,
        "date_since": "2024-01-01",
        "date_until": None,
        "test_data": False,
        "monday": 8,
        "friday": 6,
    }
    route = api.get("/targethours").respond(json={"targethours": [row]})
    [only] = await client.target_hours.list(users_id=7)
    assert query(route.calls.last.request) == [("users_id", "7")]
    assert (only.type, only.monday, only.date_since) == ("weekly", 8, dt.date(2024, 1, 1))
    await client.target_hours.list(users_id=[7, 8])
    assert query(route.calls.last.request) == [("users_id[]", "7"), ("users_id[]", "8")]
    await client.target_hours.list()
    assert route.calls.last.request.url.query == b""


async def test_holidays_quota(api: respx.MockRouter, client: ClockodoClient) -> None:
    row = {"id": 1, "users_id": 7, "year_since": 2024, "year_until": None, "count": 30, "note": None}
    route = api.get("/v2/holidaysQuota").respond(json={"data": [row]})
    [quota] = await client.holidays_quota.list(users_id=7, year=2024)
    assert query(route.calls.last.request) == [("users_id", "7"), ("year", "2024")]
    assert quota.count == 30


async def test_nonbusiness_days(api: respx.MockRouter, client: ClockodoClient) -> None:
    day = {
        "id": 1,
        "nonbusiness_group_id": 2,
        "type": "DISTINCT_RECURRING",
        "name": "New Year",
        "half_day": False,
        "surcharge_special": False,
        "evaluated_date": "2024-01-01",
        "day": 1,
        "month": 1,
    }
    route = api.get("/v2/nonbusinessDays").respond(json={"data": [day]})
    [holiday] = await client.nonbusiness_days.list(2024, nonbusiness_group_id=2)
    assert query(route.calls.last.request) == [("year", "2024"), ("nonbusiness_group_id", "2")]
    assert holiday.evaluated_date == dt.date(2024, 1, 1)


async def test_work_times_are_paged(api: respx.MockRouter, client: ClockodoClient) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        day = {
            "date": f"2024-03-0{number}",
            "users_id": 7,
            "offset": 0,
            "intervals": [{"time_since": f"2024-03-0{number}T08:00:00Z", "time_until": None}],
        }
        return httpx.Response(200, json={"paging": paging(number, 2, 1, 2), "work_time_days": [day]})

    route = api.get("/v2/workTimes").mock(side_effect=respond)
    days = [d async for d in client.work_times.iter(dt.date(2024, 3, 1), dt.date(2024, 3, 2), users_id=7)]
    assert [d.date for d in days] == [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]
    assert days[0].intervals[0].time_since == dt.datetime(2024, 3, 1, 8, tzinfo=dt.UTC)
    assert days[0].intervals[0].time_until is None
    assert query(route.calls[0].request) == [
        ("date_since", "2024-03-01"),
        ("date_until", "2024-03-02"),
        ("users_id", "7"),
        ("page", "1"),
    ]


async def test_report_arguments_are_checked(client: ClockodoClient) -> None:
    with pytest.raises(ClockodoArgumentError, match="type"):
        await client.user_reports.list(2024, type=5)
    with pytest.raises(ClockodoArgumentError, match="year"):
        await client.user_reports.get(7, 20240)
    with pytest.raises(ClockodoArgumentError, match="users_id"):
        await client.target_hours.list(users_id=[0])
    with pytest.raises(ClockodoArgumentError, match="year"):
        await client.holidays_quota.list(year=1999)
    with pytest.raises(ClockodoArgumentError, match="nonbusiness_group_id"):
        await client.nonbusiness_days.list(2024, nonbusiness_group_id=0)
    with pytest.raises(ClockodoArgumentError, match="date_until"):
        client.work_times.iter(dt.date(2024, 3, 2), dt.date(2024, 3, 1))
    with pytest.raises(ClockodoArgumentError, match="date_since"):
        await client.work_times.page(dt.datetime(2024, 3, 2, tzinfo=dt.UTC), dt.date(2024, 3, 3))
    assert client.request_count == 0
