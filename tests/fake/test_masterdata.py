"""Customers, projects (budget, completion, setBilled), subprojects, services, lump-sum services, users, teams."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from clockodo_mcp.fake.store import Store

from .conftest import ACME, FINISHED, OWNER, PHOENIX, SARAH, TOOLS, WEBSITE, WORKER, general_error, typed_errors


async def test_users_me_and_the_deprecated_aggregate(worker: httpx.AsyncClient) -> None:
    me = (await worker.get("/v4/users/me")).json()["data"]
    assert me["id"] == WORKER
    assert me["role"] == "worker"
    aggregate = (await worker.get("/v2/aggregates/users/me")).json()
    assert aggregate["user"]["id"] == WORKER
    assert aggregate["company"]["currency"] == "EUR"
    assert aggregate["company"]["timezone_default"] == "Europe/Berlin"
    assert aggregate["worktime_regulation"] is None


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("/v3/customers", 3),
        ("/v4/projects", 4),
        ("/v3/subprojects", 1),
        ("/v4/services", 3),
        ("/v4/lumpSumServices", 1),
        ("/v3/users", 4),
        ("/v3/teams", 2),
    ],
)
async def test_lists_are_paged_with_data(worker: httpx.AsyncClient, path: str, count: int) -> None:
    body = (await worker.get(path)).json()
    assert body["paging"]["count_items"] == count
    assert len(body["data"]) == count


async def test_list_filters_and_sorting(owner: httpx.AsyncClient) -> None:
    active = (await owner.get("/v3/customers", params={"filter[active]": "false"})).json()["data"]
    assert [c["name"] for c in active] == ["Old Customer"]
    found = (await owner.get("/v4/projects", params={"filter[fulltext]": "phoe"})).json()["data"]
    assert [p["id"] for p in found] == [PHOENIX]
    completed = (await owner.get("/v4/projects", params={"filter[completed]": "true"})).json()["data"]
    assert [p["id"] for p in completed] == [FINISHED]
    of_customer = (await owner.get("/v4/projects", params={"filter[customers_id]": ACME})).json()["data"]
    assert {p["id"] for p in of_customer} == {WEBSITE, PHOENIX, FINISHED}
    by_name = (await owner.get("/v3/users", params={"sort[]": ["-name"]})).json()["data"]
    assert [u["name"] for u in by_name] == ["Tom Worker", "Sarah Chen", "Olivia Owner", "Gina Gone"]
    design = (await owner.get("/v3/users", params={"filter[teams_id]": 2})).json()["data"]
    assert {u["id"] for u in design} == {OWNER, SARAH}
    paged = (await owner.get("/v4/services", params={"items_per_page": 2, "page": 2})).json()
    assert paged["paging"] == {"items_per_page": 2, "current_page": 2, "count_pages": 2, "count_items": 3}


async def test_project_derived_fields(owner: httpx.AsyncClient, worker: httpx.AsyncClient) -> None:
    projects = {p["id"]: p for p in (await owner.get("/v4/projects")).json()["data"]}
    assert projects[WEBSITE]["revenue_factor"] == 1.0  # soft budget
    assert projects[PHOENIX]["revenue_factor"] is None  # hard, not completed
    assert projects[FINISHED]["revenue_factor"] == 0.5
    assert projects[WEBSITE]["count_subprojects"] == 1
    assert projects[WEBSITE]["budget"]["subprojects_budget_total"] == 0.0
    seen = (await worker.get(f"/v4/projects/{WEBSITE}")).json()["data"]
    assert "billed_money" not in seen
    assert "revenue_factor" not in seen


async def test_create_update_and_delete_a_customer(owner: httpx.AsyncClient, store: Store) -> None:
    created = (await owner.post("/v3/customers", json={"name": "Client XYZ", "color": 4})).json()["data"]
    assert created["active"] is True
    assert created["billable_default"] is True
    ident = created["id"]
    assert store.customers[ident]["name"] == "Client XYZ"
    blocked = await owner.delete(f"/v3/customers/{ident}")
    assert typed_errors(blocked.json())["type"] == "HasToBeInactive"
    updated = (await owner.put(f"/v3/customers/{ident}", json={"active": False})).json()["data"]
    assert updated["active"] is False
    assert (await owner.delete(f"/v3/customers/{ident}", params={"dry_run": "true"})).json() == {"success": True}
    assert ident in store.customers
    assert (await owner.delete(f"/v3/customers/{ident}")).json() == {"success": True}
    assert ident not in store.customers


async def test_relations_prevent_deletion_unless_forced(owner: httpx.AsyncClient, store: Store) -> None:
    await owner.put(f"/v4/projects/{TOOLS}", json={"active": False})
    response = await owner.delete(f"/v4/projects/{TOOLS}")
    error = typed_errors(response.json())
    assert error["type"] == "RelationsPreventDeletion"
    assert error["details"] == {"resources": ["entries"], "count": [1]}
    assert (await owner.delete(f"/v4/projects/{TOOLS}", params={"force": "true"})).status_code == 200
    assert all(e.projects_id != TOOLS for e in store.entries)


async def test_create_project_with_a_budget(owner: httpx.AsyncClient) -> None:
    body = {
        "name": "Mobile App",
        "customers_id": ACME,
        "budget": {"monetary": False, "hard": False, "amount": 120, "notification_thresholds": [80, 100]},
    }
    created = (await owner.post("/v4/projects", json=body)).json()["data"]
    assert created["budget"]["amount"] == 120
    assert created["budget"]["monetary"] is False
    assert created["revenue_factor"] == 1.0
    raised = await owner.put(f"/v4/projects/{created['id']}", json={"budget": {"amount": 150, "monetary": False}})
    assert raised.json()["data"]["budget"]["amount"] == 150


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ({"customers_id": ACME}, "Empty"),
        ({"name": "X"}, "Empty"),
        ({"name": "X", "customers_id": 999}, "ResourcesNotFound"),
        ({"name": "X" * 101, "customers_id": ACME}, "UnexpectedValue"),
        ({"name": "X", "customers_id": ACME, "budget": {"hard": True}}, "Empty"),
        (
            {"name": "X", "customers_id": ACME, "budget": {"amount": 5, "notification_thresholds": [33]}},
            "UnexpectedValue",
        ),
        (
            {"name": "X", "customers_id": ACME, "start_date": "2026-05-01", "deadline": "2026-04-01"},
            "ProjectDeadlineIsNotBeforeProjectStart",
        ),
        ({"name": "X", "customers_id": ACME, "deadline": "soon"}, "UnexpectedValue"),
        ({"name": "X", "customers_id": "abc"}, "UnexpectedValue"),
    ],
)
async def test_invalid_projects_are_422_typed(owner: httpx.AsyncClient, body: dict[str, Any], error_type: str) -> None:
    response = await owner.post("/v4/projects", json=body)
    assert response.status_code == 422, response.text
    assert typed_errors(response.json())["type"] == error_type


async def test_complete_a_project_computes_its_revenue_factor(owner: httpx.AsyncClient) -> None:
    running = await owner.put(f"/v4/projects/{WEBSITE}/complete", json={"completed": True})
    assert typed_errors(running.json())["type"] == "ProjectCompletionRunningEntries"
    done = (await owner.put(f"/v4/projects/{PHOENIX}/complete", json={"completed": True})).json()["data"]
    assert done["completed"] is True
    assert done["completed_at"] == "2026-11-24T12:00:00Z"
    assert done["revenue_factor"] == round(100 / 3, 4)  # 100 h budget, 3 h used
    reopened = (await owner.put(f"/v4/projects/{PHOENIX}/complete", json={"completed": False})).json()["data"]
    assert reopened["completed"] is False
    assert reopened["revenue_factor"] is None


async def test_completed_project_now_shows_revenue(owner: httpx.AsyncClient) -> None:
    await owner.put(f"/v4/projects/{PHOENIX}/complete", json={"completed": True})
    entry = (await owner.get("/v2/entries/2")).json()["entry"]
    assert entry["revenue"] == 330.0


async def test_set_billed_rules(owner: httpx.AsyncClient) -> None:
    hours = (await owner.put(f"/v3/projects/{PHOENIX}/setBilled", json={"billed": True})).json()["data"]
    assert hours["billed_completely"] is True
    money = await owner.put(f"/v3/projects/{WEBSITE}/setBilled", json={"billed": True, "billed_money": 10})
    assert typed_errors(money.json())["type"] == "BilledMoneyCanOnlyBeSetWithHardBudget"
    flag = await owner.put(f"/v3/projects/{WEBSITE}/setBilled", json={"billed": True})
    assert typed_errors(flag.json())["type"] == "BilledCanOnlyBeSetWithHourBudget"
    hard_money = await owner.put(f"/v3/projects/{FINISHED}/setBilled", json={"billed": True, "billed_money": 4000})
    assert hard_money.json()["data"]["billed_money"] == 4000


async def test_workers_cannot_write_master_data(worker: httpx.AsyncClient) -> None:
    writes = [
        worker.post("/v3/customers", json={"name": "X"}),
        worker.put(f"/v4/projects/{WEBSITE}", json={"name": "X"}),
        worker.delete("/v4/services/30"),
        worker.put(f"/v4/projects/{WEBSITE}/complete", json={"completed": True}),
        worker.post("/v3/users", json={"name": "X", "email": "x@example.com", "role": "worker"}),
        worker.post("/v3/teams", json={"name": "X"}),
    ]
    for call in writes:
        response = await call
        assert response.status_code == 403
        general_error(response.json())


async def test_unknown_ids_are_404(owner: httpx.AsyncClient) -> None:
    for path in (
        "/v3/customers/99",
        "/v4/projects/99",
        "/v3/subprojects/99",
        "/v4/services/99",
        "/v4/lumpSumServices/99",
        "/v3/users/99",
        "/v3/teams/99",
    ):
        response = await owner.get(path)
        assert response.status_code == 404, path
        assert general_error(response.json())["type"] == "ResourceNotFound"


async def test_users_create_with_unique_e_mail(owner: httpx.AsyncClient, store: Store) -> None:
    body = {"name": "Sarah Miller", "email": "sarah.miller@demo.example", "role": "worker", "teams_id": 1}
    created = (await owner.post("/v3/users", json=body)).json()["data"]
    assert created["initials"] == "SM"
    assert store.users_by_email["sarah.miller@demo.example"]["id"] == created["id"]
    again = await owner.post("/v3/users", json=body)
    assert typed_errors(again.json())["type"] == "EmailNotAvailable"
    bad_role = await owner.post("/v3/users", json={**body, "email": "n@example.com", "role": "manager"})
    assert typed_errors(bad_role.json())["type"] == "UnexpectedValue"


async def test_team_membership_is_exclusive(owner: httpx.AsyncClient, store: Store) -> None:
    clash = await owner.post("/v3/teams", json={"name": "QA", "user_ids": [WORKER]})
    assert typed_errors(clash.json())["type"] == "UserHasAnotherTeam"
    created = (await owner.post("/v3/teams", json={"name": "QA", "leader": OWNER})).json()["data"]
    assert created["user_ids"] == []
    await owner.put("/v3/teams/1", json={"user_ids": []})
    moved = (await owner.put(f"/v3/teams/{created['id']}", json={"user_ids": [WORKER]})).json()["data"]
    assert moved["user_ids"] == [WORKER]
    assert store.users[WORKER]["teams_id"] == created["id"]


async def test_lump_sum_services_and_services(owner: httpx.AsyncClient) -> None:
    lump = (await owner.post("/v4/lumpSumServices", json={"name": "Hotel", "price": 120, "unit": "night"})).json()
    assert lump["data"]["price"] == 120
    too_long = await owner.post("/v4/lumpSumServices", json={"name": "Hotel", "price": 120, "unit": "nights!"})
    assert too_long.status_code == 422
    service = (await owner.post("/v4/services", data={"name": "Test Service"})).json()["data"]
    assert service["name"] == "Test Service"
    assert service["active"] is True


async def test_bad_list_parameters_are_400_general(owner: httpx.AsyncClient) -> None:
    for params in (
        {"sort[]": "colour"},
        {"filter[active]": "perhaps"},
        {"items_per_page": 0},
        {"scope": "everything"},
        {"items_per_page": 6000},
    ):
        response = await owner.get("/v3/customers", params=params)
        assert response.status_code == 400, params
        general_error(response.json())
