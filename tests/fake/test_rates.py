"""`/v4/rates`: rule CRUD, validation, specificity, default rate; rules never re-rate existing entries."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from clockodo_mcp.fake.rating import RateBook
from clockodo_mcp.fake.store import Store

from .conftest import ACME, DESIGN, DEVELOPMENT, INTERNAL, MEETINGS, SARAH, WEBSITE, WORKER, general_error, typed_errors


def rule(rid: int, rate: float, position: int, **criteria: list[int]) -> dict[str, Any]:
    return {"id": rid, "hourly_rate": rate, "position": position, **criteria}


def test_most_specific_rule_wins() -> None:
    book = RateBook(
        [
            rule(1, 100, 1, customer_ids=[1]),
            rule(2, 120, 2, project_ids=[10]),
            rule(3, 90, 3, user_ids=[3]),
            rule(4, 110, 4, customer_ids=[1], service_ids=[31]),
            rule(5, 70, 5, service_ids=[31]),
            rule(6, 130, 6, customer_ids=[1]),
        ],
        default_rate=80,
    )
    assert book.rate_for(1, 10, 30, 2) == 120  # project beats customer
    assert book.rate_for(1, None, 31, 2) == 110  # two criteria beat one
    assert book.rate_for(1, None, 30, 3) == 100  # customer beats user; lower position wins the tie
    assert book.rate_for(2, None, 30, 3) == 90  # user beats nothing
    assert book.rate_for(2, None, 31, 2) == 70  # service only
    assert book.rate_for(2, None, 30, 2) == 80  # default


async def test_list_rates_is_owner_only(owner: httpx.AsyncClient, worker: httpx.AsyncClient) -> None:
    body = (await owner.get("/v4/rates")).json()
    assert [r["id"] for r in body["data"]] == [1, 2, 3, 4]
    assert (await owner.get("/v4/rates/2")).json()["data"]["project_ids"] == [WEBSITE]
    denied = await worker.get("/v4/rates")
    assert denied.status_code == 403
    general_error(denied.json())


async def test_new_rule_applies_to_new_entries_only(owner: httpx.AsyncClient, store: Store) -> None:
    created = await owner.post("/v4/rates", json={"hourly_rate": 150, "user_ids": [WORKER], "service_ids": [MEETINGS]})
    assert created.status_code == 200, created.text
    assert created.json()["data"]["position"] == 5
    old = store.entry(3)
    assert old is not None
    assert old.hourly_rate == 80.0
    body = {
        "customers_id": INTERNAL,
        "services_id": MEETINGS,
        "billable": 0,
        "time_since": "2026-11-20T09:00:00Z",
        "time_until": "2026-11-20T10:00:00Z",
    }
    new = (await owner.post("/v2/entries", json={**body, "users_id": WORKER})).json()["entry"]
    assert new["hourly_rate"] == 150.0


async def test_update_delete_and_default(owner: httpx.AsyncClient, store: Store) -> None:
    updated = (await owner.put("/v4/rates/3", json={"hourly_rate": 95})).json()["data"]
    assert updated["hourly_rate"] == 95
    assert store.rate_book.rate_for(INTERNAL, None, DEVELOPMENT, SARAH) == 95
    assert (await owner.delete("/v4/rates/3")).json() == {"success": True}
    default = (await owner.put("/v4/rates/default", json={"hourly_rate": 85})).json()
    assert default == {"data": {"hourly_rate": 85.0}}
    assert store.rate_book.rate_for(INTERNAL, None, DEVELOPMENT, SARAH) == 85


async def test_sort_reorders_rules(owner: httpx.AsyncClient, store: Store) -> None:
    assert (await owner.put("/v4/rates/0/sort", json={"ids": [4, 3, 2, 1]})).json() == {"data": {"success": True}}
    assert store.rates[4]["position"] == 1
    bad = await owner.put("/v4/rates/0/sort", json={"ids": [1, 2]})
    assert typed_errors(bad.json())["type"] == "ForbiddenValue"


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ({"hourly_rate": 10}, "AtLeastOneCriteriaRequired"),
        ({"hourly_rate": 10, "customer_ids": [ACME], "project_ids": [WEBSITE]}, "EitherCustomersOrProjects"),
        ({"hourly_rate": 10, "customer_ids": [ACME]}, "RateAlreadyExists"),
        ({"hourly_rate": 10, "user_ids": [999]}, "ResourcesNotFound"),
        ({"hourly_rate": -1, "user_ids": [WORKER]}, "NotBetween"),
        ({"user_ids": [WORKER]}, "Empty"),
        ({"hourly_rate": "lots", "user_ids": [WORKER]}, "UnexpectedValue"),
        ({"hourly_rate": 10, "service_ids": [DESIGN], "parent_rate_id": 99}, "ResourceNotFound"),
    ],
)
async def test_invalid_rules(owner: httpx.AsyncClient, body: dict[str, Any], error_type: str) -> None:
    response = await owner.post("/v4/rates", json=body)
    if error_type == "ResourceNotFound":
        assert response.status_code == 404
        assert general_error(response.json())["type"] == error_type
        return
    assert response.status_code == 422, response.text
    assert typed_errors(response.json())["type"] == error_type


async def test_workers_cannot_change_rates(worker: httpx.AsyncClient) -> None:
    for call in (
        worker.post("/v4/rates", json={"hourly_rate": 1, "user_ids": [WORKER]}),
        worker.put("/v4/rates/default", json={"hourly_rate": 1}),
        worker.delete("/v4/rates/1"),
    ):
        assert (await call).status_code == 403
