"""Entry groups: aggregation query encoding, nested parsing, and the two-step mass edit/delete."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import respx

from clockodo_mcp.clockodo import (
    Billable,
    BillableFilter,
    ClockodoArgumentError,
    ClockodoClient,
    ClockodoUnexpectedResponseError,
    EntryFilter,
    EntryGroupChanges,
    Grouping,
    MassEditPreview,
)

from .conftest import body, query

SINCE = datetime(2024, 3, 1, tzinfo=UTC)
UNTIL = datetime(2024, 4, 1, tzinfo=UTC)


def group(grouped_by: str, key: str, name: str, duration: int, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "grouped_by": grouped_by,
        "group": key,
        "name": name,
        "number": None,
        "duration": duration,
        "revenue": duration / 3600 * 100,
        "hourly_rate": 100.0,
        "hourly_rate_is_equal_and_has_no_lumpsums": True,
        "budget_used": False,
        "has_budget_revenues_billed": False,
        "has_budget_revenues_not_billed": False,
        "has_non_budget_revenues_billed": False,
        "has_non_budget_revenues_not_billed": True,
        "restrictions": {},
        "sub_groups": None,
    }
    data.update(extra)
    return data


async def test_grouped_query_is_encoded_as_clockodo_expects(api: respx.MockRouter, client: ClockodoClient) -> None:
    month = group("month", "2024-03", "March 2024", 7200)
    customer = group("customers_id", "1", "ACME", 7200, number="C-1", sub_groups=[month])
    route = api.get("/v2/entrygroups").respond(json={"groups": [customer]})
    groups = await client.entry_groups.get(
        SINCE,
        UNTIL,
        grouping=[Grouping.CUSTOMERS_ID, "month"],
        filter=EntryFilter(teams_id=4, billable=BillableFilter.BILLABLE),
        round_to_minutes=15,
        calc_also_revenues_for_projects_with_hard_budget=True,
        prepend_customer_to_project_name=False,
    )
    assert query(route.calls.last.request) == [
        ("time_since", "2024-03-01T00:00:00Z"),
        ("time_until", "2024-04-01T00:00:00Z"),
        ("filter[teams_id]", "4"),
        ("filter[billable]", "1"),
        ("grouping[]", "customers_id"),
        ("grouping[]", "month"),
        ("round_to_minutes", "15"),
        ("calc_also_revenues_for_projects_with_hard_budget", "true"),
        ("prepend_customer_to_project_name", "false"),
    ]
    [top] = groups
    assert (top.grouped_by, top.group, top.name, top.number, top.duration) == ("customers_id", "1", "ACME", "C-1", 7200)
    assert top.revenue == 200.0
    assert top.sub_groups is not None
    assert top.sub_groups[0].group == "2024-03"
    assert top.sub_groups[0].sub_groups is None


async def test_restrictions_may_be_a_list(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v2/entrygroups").respond(json={"groups": [group("users_id", "7", "Sarah", 60, restrictions=["x"])]})
    [only] = await client.entry_groups.get(SINCE, UNTIL, grouping=["users_id"])
    assert only.restrictions == ["x"]


async def test_bad_grouping_is_refused_before_any_request(client: ClockodoClient) -> None:
    with pytest.raises(ClockodoArgumentError, match="grouping: unknown value 'customer'"):
        await client.entry_groups.get(SINCE, UNTIL, grouping=["customer"])
    with pytest.raises(ClockodoArgumentError, match=r"^grouping: "):
        await client.entry_groups.get(SINCE, UNTIL, grouping=[])
    with pytest.raises(ClockodoArgumentError, match="round_to_minutes"):
        await client.entry_groups.get(SINCE, UNTIL, grouping=["year"], round_to_minutes=0)
    with pytest.raises(ClockodoArgumentError, match=r"filter.billable"):
        await client.entry_groups.get(
            SINCE, UNTIL, grouping=["year"], filter=EntryFilter(billable=BillableFilter.BILLABLE_OR_BILLED)
        )
    assert client.request_count == 0


async def test_mark_as_billed_previews_then_confirms(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.put("/v2/entrygroups")
    route.side_effect = [
        respx.MockResponse(json={"confirm_key": "k-123", "affected_entries": 17}),
        respx.MockResponse(json={"success": True, "edited_entries": 17}),
    ]
    selection = EntryFilter(customers_id=42, billable=BillableFilter.BILLABLE)
    changes = EntryGroupChanges(billable=Billable.BILLED)
    preview = await client.entry_groups.preview_update(SINCE, UNTIL, changes, filter=selection)
    assert preview == MassEditPreview(confirm_key="k-123", affected_entries=17)
    edited = await client.entry_groups.confirm_update(SINCE, UNTIL, changes, preview.confirm_key, filter=selection)
    assert edited == 17
    first, second = (body(call.request) for call in route.calls)
    assert first == {
        "time_since": "2024-03-01T00:00:00Z",
        "time_until": "2024-04-01T00:00:00Z",
        "filter": {"customers_id": 42, "billable": 1},
        "billable": 2,
    }
    assert second == {**first, "confirm_key": "k-123"}


async def test_mass_delete_sends_the_selection_as_query(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.delete("/v2/entrygroups")
    route.side_effect = [
        respx.MockResponse(json={"confirm_key": "d-1", "affected_entries": 3}),
        respx.MockResponse(json={"success": True, "deleted_entries": 3}),
    ]
    selection = EntryFilter(users_id=7)
    preview = await client.entry_groups.preview_delete(SINCE, UNTIL, filter=selection)
    assert preview.affected_entries == 3
    assert await client.entry_groups.confirm_delete(SINCE, UNTIL, "d-1", filter=selection) == 3
    first, second = (query(call.request) for call in route.calls)
    assert first == [
        ("time_since", "2024-03-01T00:00:00Z"),
        ("time_until", "2024-04-01T00:00:00Z"),
        ("filter[users_id]", "7"),
    ]
    assert second == [*first, ("confirm_key", "d-1")]
    assert route.calls.last.request.content == b""


async def test_a_preview_that_applied_immediately_is_unexpected(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.put("/v2/entrygroups").respond(json={"success": True, "edited_entries": 2})
    with pytest.raises(ClockodoUnexpectedResponseError, match="without asking for confirmation"):
        await client.entry_groups.preview_update(SINCE, UNTIL, EntryGroupChanges(text="x"))


async def test_a_confirmation_without_a_count_is_unexpected(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.delete("/v2/entrygroups").respond(json={"success": True})
    with pytest.raises(ClockodoUnexpectedResponseError, match="edited_entries"):
        await client.entry_groups.confirm_delete(SINCE, UNTIL, "k")


async def test_confirm_needs_a_key_and_changes(client: ClockodoClient) -> None:
    changes = EntryGroupChanges(hourly_rate=80)
    with pytest.raises(ClockodoArgumentError, match="confirm_key"):
        await client.entry_groups.confirm_update(SINCE, UNTIL, changes, "")
    with pytest.raises(ClockodoArgumentError, match="confirm_key"):
        await client.entry_groups.confirm_delete(SINCE, UNTIL, "")
    with pytest.raises(ClockodoArgumentError, match="changes"):
        await client.entry_groups.preview_update(SINCE, UNTIL, {"billable": 2})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one field"):
        EntryGroupChanges()
    with pytest.raises(ValueError, match="text"):
        EntryGroupChanges(text="x" * 1001)
