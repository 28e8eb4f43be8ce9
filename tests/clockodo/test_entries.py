"""Entries: exact requests and parsed results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from clockodo_mcp.clockodo import (
    Billable,
    BillableFilter,
    BudgetOption,
    ClockodoArgumentError,
    ClockodoClient,
    EntryFilter,
    EntryType,
    EntryUpdate,
    NewLumpSumServiceEntry,
    NewLumpSumValueEntry,
    NewTimeEntry,
)

from .conftest import body, entry_json, paging, query

SINCE = datetime(2024, 3, 1, tzinfo=UTC)
UNTIL = datetime(2024, 4, 1, tzinfo=UTC)


async def test_entry_page_sends_window_filters_and_paging(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.get("/v2/entries").respond(json={"paging": paging(1, 1, 1000, 1), "entries": [entry_json()]})
    page = await client.entries.page(
        SINCE,
        UNTIL,
        filter=EntryFilter(
            users_id=7,
            customers_id=1,
            projects_id=10,
            subprojects_id=11,
            services_id=3,
            lumpsum_services_id=4,
            billable=BillableFilter.BILLABLE_OR_BILLED,
            text="Design",
            texts_id=55,
            budget_type=BudgetOption.STRICT_INCOMPLETE,
        ),
        enhanced_list=True,
        calc_also_revenues_for_projects_with_hard_budget=True,
        items_per_page=1000,
        page=1,
    )
    assert query(route.calls.last.request) == [
        ("time_since", "2024-03-01T00:00:00Z"),
        ("time_until", "2024-04-01T00:00:00Z"),
        ("filter[users_id]", "7"),
        ("filter[customers_id]", "1"),
        ("filter[projects_id]", "10"),
        ("filter[subprojects_id]", "11"),
        ("filter[services_id]", "3"),
        ("filter[lumpsum_services_id]", "4"),
        ("filter[billable]", "12"),
        ("filter[text]", "Design"),
        ("filter[texts_id]", "55"),
        ("filter[budget_type]", "rep_filter_budget_strict_incomplete"),
        ("enhanced_list", "true"),
        ("calc_also_revenues_for_projects_with_hard_budget", "true"),
        ("page", "1"),
        ("items_per_page", "1000"),
    ]
    [entry] = page.items
    assert entry.id == 101
    assert entry.type is EntryType.TIME
    assert entry.billable is Billable.BILLABLE
    assert entry.time_since == datetime(2024, 3, 4, 8, tzinfo=UTC)
    assert entry.duration == 9000
    assert not entry.is_running
    assert page.paging.count_items == 1
    assert not page.has_more


async def test_unbilled_filter_sends_billable_1(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.get("/v2/entries").respond(json={"paging": paging(1, 1), "entries": []})
    await client.entries.page(SINCE, UNTIL, filter=EntryFilter(billable=BillableFilter.BILLABLE))
    assert ("filter[billable]", "1") in query(route.calls.last.request)


async def test_window_in_another_zone_is_sent_as_utc(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.get("/v2/entries").respond(json={"paging": paging(1, 1), "entries": []})
    berlin = ZoneInfo("Europe/Berlin")
    await client.entries.page(datetime(2024, 7, 1, tzinfo=berlin), datetime(2024, 8, 1, 0, 0, 0, 999, tzinfo=berlin))
    sent = dict(query(route.calls.last.request))
    assert sent["time_since"] == "2024-06-30T22:00:00Z"
    assert sent["time_until"] == "2024-07-31T22:00:00Z"


async def test_iter_streams_every_page(api: respx.MockRouter, client: ClockodoClient) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        entries = [entry_json(id=number * 10 + i) for i in range(2)]
        return httpx.Response(200, json={"paging": paging(number, 3, 2, 6), "entries": entries})

    route = api.get("/v2/entries").mock(side_effect=respond)
    ids = [entry.id async for entry in client.entries.iter(SINCE, UNTIL, items_per_page=2)]
    assert ids == [10, 11, 20, 21, 30, 31]
    assert sorted(int(call.request.url.params["page"]) for call in route.calls) == [1, 2, 3]
    assert client.request_count == 3


async def test_get_entry_parses_lump_sum_service(api: respx.MockRouter, client: ClockodoClient) -> None:
    data = entry_json(
        id=5,
        type=3,
        services_id=None,
        lumpsum_services_id=9,
        lumpsum_services_amount=2.5,
        duration=None,
        time_until="2024-03-04T08:00:00Z",
        billable=2,
        brand_new_field={"x": 1},
    )
    api.get("/v2/entries/5").respond(json={"entry": data})
    entry = await client.entries.get(5)
    assert entry.type is EntryType.LUMP_SUM_SERVICE
    assert entry.billable is Billable.BILLED
    assert entry.lumpsum_services_amount == 2.5
    assert entry.model_extra == {"brand_new_field": {"x": 1}}


async def test_running_entry_is_running(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v2/entries/6").respond(json={"entry": entry_json(id=6, time_until=None, duration=None, clocked=True)})
    entry = await client.entries.get(6)
    assert entry.is_running
    assert entry.time_until is None


async def test_create_time_entry_sends_every_required_field(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.post("/v2/entries").respond(json={"entry": entry_json()})
    new = NewTimeEntry(
        customers_id=1,
        services_id=3,
        projects_id=10,
        billable=Billable.BILLABLE,
        time_since=datetime(2024, 3, 4, 9, tzinfo=timezone(timedelta(hours=1))),
        time_until=datetime(2024, 3, 4, 11, 30, tzinfo=timezone(timedelta(hours=1))),
        text="Design review",
    )
    entry = await client.entries.create(new)
    assert body(route.calls.last.request) == {
        "customers_id": 1,
        "billable": 1,
        "time_since": "2024-03-04T08:00:00Z",
        "projects_id": 10,
        "text": "Design review",
        "services_id": 3,
        "time_until": "2024-03-04T10:30:00Z",
    }
    assert route.calls.last.request.headers["Content-Type"] == "application/json"
    assert entry.id == 101


async def test_create_lump_sum_value_entry(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.post("/v2/entries").respond(json={"entry": entry_json(type=2, lumpsum=120.0, duration=None)})
    entry = await client.entries.create(
        NewLumpSumValueEntry(customers_id=1, services_id=3, billable=1, time_since=SINCE, lumpsum=120.0)
    )
    assert body(route.calls.last.request) == {
        "customers_id": 1,
        "billable": 1,
        "time_since": "2024-03-01T00:00:00Z",
        "services_id": 3,
        "lumpsum": 120.0,
    }
    assert entry.lumpsum == 120.0


async def test_create_lump_sum_service_entry(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.post("/v2/entries").respond(json={"entry": entry_json(type=3, lumpsum_services_id=9)})
    await client.entries.create(
        NewLumpSumServiceEntry(
            customers_id=1, lumpsum_services_id=9, lumpsum_services_amount=3, billable=0, time_since=SINCE
        )
    )
    assert body(route.calls.last.request) == {
        "customers_id": 1,
        "billable": 0,
        "time_since": "2024-03-01T00:00:00Z",
        "lumpsum_services_id": 9,
        "lumpsum_services_amount": 3.0,
    }


async def test_update_sends_only_the_fields_that_were_set(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.put("/v2/entries/101").respond(json={"entry": entry_json(billable=2), "running": None})
    entry = await client.entries.update(101, EntryUpdate(billable=Billable.BILLED, projects_id=None))
    assert body(route.calls.last.request) == {"billable": 2, "projects_id": None}
    assert entry.billable is Billable.BILLED


async def test_delete_entry(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.delete("/v2/entries/101").respond(json={"success": True})
    assert await client.entries.delete(101) is None
    assert route.called


@pytest.mark.parametrize("bad_id", [0, -3, True, "7"])
async def test_non_positive_ids_are_refused_before_any_request(client: ClockodoClient, bad_id: object) -> None:
    with pytest.raises(ClockodoArgumentError, match=r"^id: "):
        await client.entries.get(bad_id)  # type: ignore[arg-type]
    assert client.request_count == 0


async def test_window_ending_before_it_starts_is_refused(client: ClockodoClient) -> None:
    with pytest.raises(ValueError, match="time_until"):
        await client.entries.page(UNTIL, SINCE)
    with pytest.raises(ValueError, match="time_until"):
        client.entries.iter(UNTIL, SINCE)
    assert client.request_count == 0


async def test_naive_datetimes_are_refused(client: ClockodoClient) -> None:
    with pytest.raises(ClockodoArgumentError, match="time_since: must be timezone-aware"):
        await client.entries.page(datetime(2024, 3, 1), UNTIL)


def test_unknown_billable_filter_is_refused() -> None:
    with pytest.raises(ValueError, match="billable"):
        EntryFilter(billable=13)  # type: ignore[arg-type]


def test_entries_cannot_be_created_as_billed() -> None:
    with pytest.raises(ValueError, match="billable"):
        NewTimeEntry(customers_id=1, services_id=3, billable=2, time_since=SINCE, time_until=UNTIL)  # type: ignore[arg-type]


def test_new_time_entry_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="time_until"):
        NewTimeEntry(customers_id=1, services_id=3, billable=1, time_since=UNTIL, time_until=SINCE)  # type: ignore[arg-type]


def test_entry_update_needs_a_field_and_an_ordered_window() -> None:
    with pytest.raises(ValueError, match="at least one field"):
        EntryUpdate()
    with pytest.raises(ValueError, match="time_until"):
        EntryUpdate(time_since=UNTIL, time_until=SINCE)


def test_new_entry_refuses_zero_ids_and_naive_times() -> None:
    with pytest.raises(ValueError, match="customers_id"):
        NewTimeEntry(customers_id=0, services_id=3, billable=1, time_since=SINCE, time_until=UNTIL)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="time_since"):
        NewLumpSumValueEntry(customers_id=1, services_id=3, billable=1, time_since=datetime(2024, 1, 1), lumpsum=1)  # type: ignore[arg-type]


async def test_entries_refuse_a_team_filter_and_wrong_argument_types(client: ClockodoClient) -> None:
    with pytest.raises(ClockodoArgumentError, match=r"filter.teams_id"):
        await client.entries.page(SINCE, UNTIL, filter=EntryFilter(teams_id=2))
    with pytest.raises(ClockodoArgumentError, match=r"^filter: "):
        await client.entries.page(SINCE, UNTIL, filter={"users_id": 1})  # type: ignore[arg-type]
    with pytest.raises(ClockodoArgumentError, match=r"^entry: "):
        await client.entries.create({"customers_id": 1})  # type: ignore[arg-type]
    with pytest.raises(ClockodoArgumentError, match=r"^changes: "):
        await client.entries.update(1, {"billable": 2})  # type: ignore[arg-type]
    with pytest.raises(ClockodoArgumentError, match="items_per_page"):
        await client.entries.page(SINCE, UNTIL, items_per_page=1001)
    with pytest.raises(ClockodoArgumentError, match=r"^page: "):
        await client.entries.page(SINCE, UNTIL, page=0)
    assert client.request_count == 0
