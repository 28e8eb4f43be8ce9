"""Customers, projects, subprojects, services, lump-sum services, teams and users."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
import respx

from clockodo_mcp.clockodo import (
    BudgetInterval,
    ClockodoArgumentError,
    ClockodoClient,
    ClockodoNotFoundError,
    ClockodoUnexpectedResponseError,
    Customer,
    UserRole,
)

from .conftest import body, paging, query

CUSTOMER = {
    "id": 1,
    "name": "ACME",
    "number": "C-1",
    "color": 3,
    "active": True,
    "billable_default": True,
    "test_data": False,
}
PROJECT = {
    "id": 10,
    "customers_id": 1,
    "name": "Phoenix",
    "number": None,
    "active": True,
    "billable_default": True,
    "completed": False,
    "completed_at": None,
    "test_data": False,
    "count_subprojects": 0,
    "deadline": "2024-12-31",
    "start_date": None,
    "revenue_factor": None,
    "budget": {
        "monetary": False,
        "hard": True,
        "from_subprojects": False,
        "interval": 1,
        "amount": 120.0,
        "notification_thresholds": [50, 100],
        "subprojects_budget_total": 0,
    },
}
USER = {
    "id": 7,
    "name": "Sarah",
    "number": "E-7",
    "email": "sarah@demo.example",
    "role": "worker",
    "active": True,
    "timezone": "Europe/Berlin",
    "teams_id": 2,
    "language": "de",
}


def data_page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"paging": paging(1, 1, 5000, len(items)), "data": items}


async def test_customer_list_sends_filters_sort_and_scope(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.get("/v3/customers").respond(json=data_page([CUSTOMER]))
    page = await client.customers.page(
        active=True, fulltext="ac", sort=["name", "-id"], scope="manageAccess", items_per_page=50
    )
    assert query(route.calls.last.request) == [
        ("filter[active]", "true"),
        ("filter[fulltext]", "ac"),
        ("sort[]", "name"),
        ("sort[]", "-id"),
        ("scope", "manageAccess"),
        ("page", "1"),
        ("items_per_page", "50"),
    ]
    assert page.items == [Customer.model_validate(CUSTOMER)]


async def test_all_collects_every_page(api: respx.MockRouter, client: ClockodoClient) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        return httpx.Response(200, json={"paging": paging(number, 2, 1, 2), "data": [{**CUSTOMER, "id": number}]})

    api.get("/v3/customers").mock(side_effect=respond)
    customers = await client.customers.all(active=False, sort="name")
    assert [c.id for c in customers] == [1, 2]


async def test_customer_crud(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v3/customers/1").respond(json={"data": CUSTOMER})
    create = api.post("/v3/customers").respond(json={"data": CUSTOMER})
    update = api.put("/v3/customers/1").respond(json={"data": {**CUSTOMER, "active": False}})
    delete = api.delete("/v3/customers/1").respond(json={"success": True})
    assert (await client.customers.get(1)).name == "ACME"
    await client.customers.create({"name": "ACME"}, number="C-1", color=3)
    assert body(create.calls.last.request) == {"name": "ACME", "number": "C-1", "color": 3}
    archived = await client.customers.update(1, active=False)
    assert body(update.calls.last.request) == {"active": False}
    assert not archived.active
    await client.customers.delete(1, dry_run=True, force=True)
    assert query(delete.calls.last.request) == [("dry_run", "true"), ("force", "true")]
    await client.customers.delete(1)
    assert delete.calls.last.request.url.query == b""


async def test_create_accepts_a_model(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.post("/v3/customers").respond(json={"data": CUSTOMER})
    await client.customers.create(Customer(id=1, name="ACME"))
    assert body(route.calls.last.request) == {"id": 1, "name": "ACME"}


async def test_project_budget_and_dates_are_typed(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.get("/v4/projects").respond(json=data_page([PROJECT]))
    [project] = await client.projects.all(customers_id=1, completed=False, active=True)
    assert query(route.calls.last.request) == [
        ("filter[customers_id]", "1"),
        ("filter[completed]", "false"),
        ("filter[active]", "true"),
        ("page", "1"),
    ]
    assert project.deadline == dt.date(2024, 12, 31)
    assert project.budget is not None
    assert project.budget.interval is BudgetInterval.MONTHLY
    assert project.budget.hard
    assert not project.budget.monetary
    assert project.budget.amount == 120.0


async def test_project_create_complete_and_set_billed(api: respx.MockRouter, client: ClockodoClient) -> None:
    create = api.post("/v4/projects").respond(json={"data": PROJECT})
    complete = api.put("/v4/projects/10/complete").respond(json={"data": {**PROJECT, "completed": True}})
    billed = api.put("/v3/projects/10/setBilled").respond(json={"data": {**PROJECT, "billed_money": 500.0}})
    await client.projects.create(name="Phoenix", customers_id=1, deadline=dt.date(2024, 12, 31), budget=None)
    assert body(create.calls.last.request) == {
        "name": "Phoenix",
        "customers_id": 1,
        "deadline": "2024-12-31",
        "budget": None,
    }
    assert (await client.projects.complete(10, True)).completed
    assert body(complete.calls.last.request) == {"completed": True}
    assert (await client.projects.set_billed(10, True, billed_money=500.0)).billed_money == 500.0
    assert body(billed.calls.last.request) == {"billed": True, "billed_money": 500.0}


async def test_project_arguments_are_checked(client: ClockodoClient) -> None:
    with pytest.raises(ClockodoArgumentError, match="customers_id"):
        await client.projects.create(name="X")
    with pytest.raises(ClockodoArgumentError, match="customers_id"):
        await client.projects.create(name="X", customers_id=0)
    with pytest.raises(ClockodoArgumentError, match="completed"):
        await client.projects.complete(10, "yes")  # type: ignore[arg-type]
    with pytest.raises(ClockodoArgumentError, match="billed_money"):
        await client.projects.set_billed(10, True, billed_money=-1)
    with pytest.raises(ClockodoArgumentError, match="billed"):
        await client.projects.set_billed(10, 1)  # type: ignore[arg-type]
    with pytest.raises(ClockodoArgumentError, match="colour"):
        await client.projects.page(colour="red")
    with pytest.raises(ClockodoArgumentError, match="active"):
        await client.projects.page(active="yes")
    with pytest.raises(ClockodoArgumentError, match="fulltext"):
        await client.projects.page(fulltext=3)
    with pytest.raises(ClockodoArgumentError, match="sort"):
        await client.projects.page(sort=[1])
    with pytest.raises(ClockodoArgumentError, match="fields"):
        await client.projects.update(10)
    with pytest.raises(ClockodoArgumentError, match="id"):
        await client.projects.delete(0)
    assert client.request_count == 0


async def test_subprojects_services_lump_sums_and_teams(api: respx.MockRouter, client: ClockodoClient) -> None:
    sub = {
        "id": 11,
        "projects_id": 10,
        "name": "Phase 1",
        "number": None,
        "billable_default": True,
        "completed": False,
        "completed_at": None,
        "start_date": None,
        "deadline": None,
        "budget": None,
    }
    subs = api.get("/v3/subprojects").respond(json=data_page([sub]))
    api.get("/v3/subprojects/11").respond(json={"data": sub})
    api.get("/v4/services").respond(json=data_page([{"id": 3, "name": "Design", "number": None, "active": True}]))
    lump = {"id": 9, "name": "Travel", "price": 0.3, "unit": "km", "active": True, "number": None}
    lump_create = api.post("/v4/lumpSumServices").respond(json={"data": lump})
    api.get("/v3/teams").respond(json=data_page([{"id": 2, "name": "Design", "leader": 7, "user_ids": [7]}]))
    team_update = api.put("/v3/teams/2").respond(json={"data": {"id": 2, "name": "UX", "leader": None}})

    [subproject] = await client.subprojects.all(projects_id=10)
    assert query(subs.calls.last.request) == [("filter[projects_id]", "10"), ("page", "1")]
    assert subproject.projects_id == 10
    assert (await client.subprojects.get(11)).name == "Phase 1"
    assert [s.name for s in await client.services.all()] == ["Design"]
    created = await client.lump_sum_services.create(name="Travel", price=0.3, unit="km")
    assert body(lump_create.calls.last.request) == {"name": "Travel", "price": 0.3, "unit": "km"}
    assert created.unit == "km"
    assert [t.user_ids for t in await client.teams.all()] == [[7]]
    assert (await client.teams.update(2, {"name": "UX"})).name == "UX"
    assert body(team_update.calls.last.request) == {"name": "UX"}
    assert not hasattr(client.subprojects, "create")


async def test_users_list_with_team_ids_and_create(api: respx.MockRouter, client: ClockodoClient) -> None:
    listing = api.get("/v3/users").respond(json=data_page([USER]))
    create = api.post("/v3/users").respond(json={"data": USER})
    [user] = await client.users.all(teams_id=[2, 3], scope="viewUserReports")
    assert query(listing.calls.last.request) == [
        ("filter[teams_id][]", "2"),
        ("filter[teams_id][]", "3"),
        ("scope", "viewUserReports"),
        ("page", "1"),
    ]
    assert user.role is UserRole.WORKER
    assert user.timezone == "Europe/Berlin"
    await client.users.create(name="Sarah", email="sarah@demo.example", role=UserRole.WORKER)
    assert body(create.calls.last.request) == {"name": "Sarah", "email": "sarah@demo.example", "role": "worker"}
    with pytest.raises(ClockodoArgumentError, match="teams_id"):
        await client.users.page(teams_id=[0])


async def test_me_uses_v4(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v4/users/me").respond(json={"data": {**USER, "role": "owner"}})
    me = await client.users.me()
    assert me.role is UserRole.OWNER


async def test_me_falls_back_to_the_aggregate(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v4/users/me").respond(404, json={"errors": [{"type": "General", "message": "Not found"}]})
    api.get("/v2/aggregates/users/me").respond(
        json={"user": USER, "company": {"id": 1, "name": "Demo GmbH", "currency": "EUR"}, "worktime_regulation": None}
    )
    me = await client.users.me()
    assert me.id == 7


async def test_company_comes_from_the_aggregate(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v2/aggregates/users/me").respond(
        json={
            "user": USER,
            "company": {"id": 1, "name": "Demo GmbH", "currency": "EUR", "timezone_default": "Europe/Berlin"},
            "worktime_regulation": None,
        }
    )
    company = await client.users.company()
    assert company is not None
    assert (company.currency, company.timezone_default) == ("EUR", "Europe/Berlin")


async def test_company_is_none_when_clockodo_hides_it(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.get("/v2/aggregates/users/me")
    route.side_effect = [respx.MockResponse(404, json={}), respx.MockResponse(json={"user": USER, "company": None})]
    assert await client.users.company() is None
    assert await client.users.company() is None


async def test_wrong_envelope_is_unexpected(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v3/customers/1").respond(json={"customer": CUSTOMER})
    api.get("/v3/customers/2").respond(json={"data": {"id": "not-a-number"}})
    api.get("/v3/customers").respond(json={"paging": paging(1, 1), "data": {"id": 1}})
    with pytest.raises(ClockodoUnexpectedResponseError, match="expected a JSON object with 'data'"):
        await client.customers.get(1)
    with pytest.raises(ClockodoUnexpectedResponseError, match="Customer did not validate"):
        await client.customers.get(2)
    with pytest.raises(ClockodoUnexpectedResponseError, match="expected a list of Customer"):
        await client.customers.page()
    with pytest.raises(ClockodoNotFoundError):
        raise ClockodoNotFoundError("x")
