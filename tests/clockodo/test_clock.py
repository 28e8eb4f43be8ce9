"""The clock: read, start, stop, change duration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import respx

from clockodo_mcp.clockodo import Billable, ClockodoArgumentError, ClockodoClient

from .conftest import body, entry_json, query

RUNNING = entry_json(id=9, time_until=None, duration=None, clocked=True, time_clocked_since="2024-03-04T08:00:00Z")


async def test_get_clock_for_another_user(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.get("/v2/clock").respond(
        json={"running": RUNNING, "stopped": None, "current_time": "2024-03-04T09:00:00Z"}
    )
    state = await client.clock.get(users_id=7)
    assert query(route.calls.last.request) == [("users_id", "7")]
    assert state.running is not None
    assert state.running.is_running
    assert state.stopped is None
    assert state.current_time == datetime(2024, 3, 4, 9, tzinfo=UTC)


async def test_get_own_clock_sends_no_query(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.get("/v2/clock").respond(
        json={"running": None, "stopped": None, "current_time": "2024-03-04T09:00:00Z"}
    )
    state = await client.clock.get()
    assert route.calls.last.request.url.query == b""
    assert state.running is None


async def test_start_sends_the_body_and_returns_the_stopped_clock(
    api: respx.MockRouter, client: ClockodoClient
) -> None:
    route = api.post("/v2/clock").respond(
        json={
            "running": RUNNING,
            "stopped": entry_json(id=8),
            "stopped_has_been_truncated": False,
            "current_time": "2024-03-04T09:00:00Z",
        }
    )
    result = await client.clock.start(
        1,
        3,
        projects_id=10,
        subprojects_id=11,
        billable=Billable.BILLABLE,
        text="Standup",
        users_id=7,
        time_since=datetime(2024, 3, 4, 8, tzinfo=UTC),
    )
    assert body(route.calls.last.request) == {
        "customers_id": 1,
        "services_id": 3,
        "projects_id": 10,
        "subprojects_id": 11,
        "users_id": 7,
        "billable": 1,
        "text": "Standup",
        "time_since": "2024-03-04T08:00:00Z",
    }
    assert result.running is not None
    assert result.running.id == 9
    assert result.stopped is not None
    assert result.stopped.id == 8


async def test_stop_sends_query_params(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.delete("/v2/clock/9").respond(
        json={
            "running": None,
            "stopped": entry_json(id=9),
            "stopped_has_been_truncated": True,
            "current_time": "2024-03-04T10:30:00Z",
        }
    )
    result = await client.clock.stop(9, users_id=7, time_until=datetime(2024, 3, 4, 10, 30, tzinfo=UTC))
    assert query(route.calls.last.request) == [("users_id", "7"), ("time_until", "2024-03-04T10:30:00Z")]
    assert result.stopped_has_been_truncated


async def test_change_duration(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.put("/v2/clock/9").respond(
        json={
            "updated": entry_json(id=9, duration=3600),
            "running": None,
            "overlapping_correction": {
                "overlapping": False,
                "overlapping_free_time_since": None,
                "truncate_previous_entry": None,
            },
            "current_time": "2024-03-04T10:30:00Z",
        }
    )
    result = await client.clock.change_duration(9, 3600, 5400, time_since=datetime(2024, 3, 4, 8, tzinfo=UTC))
    assert body(route.calls.last.request) == {
        "duration": 3600,
        "duration_before": 5400,
        "time_since": "2024-03-04T08:00:00Z",
    }
    assert result.updated.duration == 3600
    assert result.overlapping_correction is not None
    assert not result.overlapping_correction.overlapping


async def test_clock_arguments_are_checked_before_any_request(client: ClockodoClient) -> None:
    with pytest.raises(ClockodoArgumentError, match="customers_id"):
        await client.clock.start(0, 3)
    with pytest.raises(ClockodoArgumentError, match="projects_id"):
        await client.clock.start(1, 3, projects_id=-1)
    with pytest.raises(ClockodoArgumentError, match="billable"):
        await client.clock.start(1, 3, billable=2)
    with pytest.raises(ClockodoArgumentError, match="billable: unknown value 5"):
        await client.clock.start(1, 3, billable=5)
    with pytest.raises(ClockodoArgumentError, match="text"):
        await client.clock.start(1, 3, text="x" * 1001)
    with pytest.raises(ClockodoArgumentError, match="time_since"):
        await client.clock.start(1, 3, time_since=datetime(2024, 1, 1))
    with pytest.raises(ClockodoArgumentError, match="entry_id"):
        await client.clock.stop(0)
    with pytest.raises(ClockodoArgumentError, match="users_id"):
        await client.clock.get(users_id=0)
    with pytest.raises(ClockodoArgumentError, match="duration_before"):
        await client.clock.change_duration(9, 60, -1)
    assert client.request_count == 0
