"""Hourly-rate rules and the default rate."""

from __future__ import annotations

import pytest
import respx

from clockodo_mcp.clockodo import ClockodoArgumentError, ClockodoClient, ClockodoUnexpectedResponseError

from .conftest import body

RATE = {
    "id": 5,
    "parent_rate_id": None,
    "customer_ids": [1],
    "project_ids": [],
    "service_ids": [3],
    "user_ids": [],
    "hourly_rate": 95.0,
    "test_data": False,
    "position": 0,
}


async def test_rates_crud(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v4/rates").respond(json={"data": [RATE]})
    create = api.post("/v4/rates").respond(json={"data": RATE})
    update = api.put("/v4/rates/5").respond(json={"data": {**RATE, "hourly_rate": 100.0}})
    delete = api.delete("/v4/rates/5").respond(json={"success": True})
    [rate] = await client.rates.list()
    assert (rate.customer_ids, rate.service_ids, rate.hourly_rate) == ([1], [3], 95.0)
    await client.rates.create(95, customer_ids=[1], service_ids=[3], parent_rate_id=2)
    assert body(create.calls.last.request) == {
        "hourly_rate": 95.0,
        "customer_ids": [1],
        "project_ids": [],
        "service_ids": [3],
        "user_ids": [],
        "parent_rate_id": 2,
    }
    updated = await client.rates.update(5, hourly_rate=100, user_ids=[7])
    assert body(update.calls.last.request) == {"hourly_rate": 100.0, "user_ids": [7]}
    assert updated.hourly_rate == 100.0
    await client.rates.delete(5)
    assert delete.called


async def test_set_default_rate(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.put("/v4/rates/default")
    route.side_effect = [
        respx.MockResponse(json={"data": {"hourly_rate": 80}}),
        respx.MockResponse(json={"data": {"hourly_rate": "80"}}),
    ]
    assert await client.rates.set_default(80) == 80.0
    assert body(route.calls.last.request) == {"hourly_rate": 80.0}
    with pytest.raises(ClockodoUnexpectedResponseError, match="not a number"):
        await client.rates.set_default(80)


async def test_rate_arguments_are_checked(client: ClockodoClient) -> None:
    with pytest.raises(ClockodoArgumentError, match="hourly_rate"):
        await client.rates.create(-1)
    with pytest.raises(ClockodoArgumentError, match="customer_ids"):
        await client.rates.create(10, customer_ids=5)  # type: ignore[arg-type]
    with pytest.raises(ClockodoArgumentError, match="user_ids"):
        await client.rates.create(10, user_ids=list(range(1, 52)))
    with pytest.raises(ClockodoArgumentError, match="project_ids"):
        await client.rates.update(5, project_ids=[0])
    with pytest.raises(ClockodoArgumentError, match="fields"):
        await client.rates.update(5)
    with pytest.raises(ClockodoArgumentError, match="id"):
        await client.rates.delete(0)
    assert client.request_count == 0
