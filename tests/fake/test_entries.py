"""`/v2/entries`: window, filters, paging, rights, the three entry types, rates and revenue."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from clockodo_mcp.fake.store import Store

from .conftest import (
    ACME,
    DESIGN,
    DEVELOPMENT,
    FINISHED,
    INTERNAL,
    MEETINGS,
    PHOENIX,
    SARAH,
    TOOLS,
    TRAVEL,
    WEBSITE,
    WORKER,
    general_error,
    simple_error,
)

NOVEMBER = {"time_since": "2026-11-01T00:00:00Z", "time_until": "2026-12-01T00:00:00Z"}
ALL = {"time_since": "2026-01-01T00:00:00Z", "time_until": "2027-01-01T00:00:00Z"}


async def ids(client: httpx.AsyncClient, **params: Any) -> list[int]:
    response = await client.get("/v2/entries", params=params)
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()["entries"]]


async def test_window_is_half_open_on_time_since(owner: httpx.AsyncClient) -> None:
    assert await ids(owner, **NOVEMBER) == [1, 2, 5, 6, 3, 7]
    # An entry starting exactly at time_until is outside; one starting at time_since inside.
    assert await ids(owner, time_since="2026-11-02T08:00:00Z", time_until="2026-11-03T09:00:00Z") == [1]


async def test_entries_are_sorted_by_start_then_id(owner: httpx.AsyncClient, store: Store) -> None:
    expected = [e.id for e in sorted(store.entries, key=lambda e: (e.time_since, e.id))]
    assert await ids(owner, **ALL) == expected


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"filter[billable]": 0}, [3]),
        ({"filter[billable]": 1}, [1, 2, 5, 7]),
        ({"filter[billable]": 2}, [6]),
        ({"filter[billable]": 12}, [1, 2, 5, 6, 7]),
        ({"filter[users_id]": SARAH}, [2, 6, 7]),
        ({"filter[customers_id]": INTERNAL}, [3]),
        ({"filter[projects_id]": WEBSITE}, [1, 5, 6, 7]),
        ({"filter[subprojects_id]": 20}, [7]),
        ({"filter[services_id]": MEETINGS}, [3]),
        ({"filter[lumpsum_services_id]": TRAVEL}, [6]),
        ({"filter[text]": "HERO"}, [1, 7]),
        ({"filter[budget_type]": "rep_filter_budget_strict_incomplete"}, [2]),
        ({"filter[budget_type]": "rep_filter_budget_soft"}, [1, 5, 6, 7]),
        ({"filter[budget_type]": "rep_filter_budget_without"}, [3]),
        ({"filter[budget_type]": "rep_filter_budget_without_strict"}, [1, 5, 6, 3, 7]),
    ],
)
async def test_every_entries_filter(owner: httpx.AsyncClient, flt: dict[str, Any], expected: list[int]) -> None:
    assert await ids(owner, **NOVEMBER, **flt) == expected


async def test_texts_id_filter_matches_the_deduplicated_text(owner: httpx.AsyncClient, store: Store) -> None:
    texts_id = store.texts["Team meeting"]
    assert await ids(owner, **NOVEMBER, **{"filter[texts_id]": texts_id}) == [3]


async def test_project_filter_zero_selects_entries_without_project(owner: httpx.AsyncClient) -> None:
    assert await ids(owner, **ALL, **{"filter[projects_id]": 0}) == [4]


async def test_paging_is_consistent(owner: httpx.AsyncClient) -> None:
    seen: list[int] = []
    for page in (1, 2, 3, 4):
        response = await owner.get("/v2/entries", params={**ALL, "items_per_page": 3, "page": page})
        body = response.json()
        assert body["paging"] == {"items_per_page": 3, "current_page": page, "count_pages": 3, "count_items": 9}
        seen += [e["id"] for e in body["entries"]]
    assert len(seen) == 9
    assert len(set(seen)) == 9


async def test_items_per_page_above_the_cap_is_refused(owner: httpx.AsyncClient) -> None:
    response = await owner.get("/v2/entries", params={**ALL, "items_per_page": 1001})
    assert response.status_code == 400
    assert simple_error(response.json())["fields"] == ["items_per_page"]


async def test_enhanced_list_adds_names_and_revenue(owner: httpx.AsyncClient) -> None:
    response = await owner.get("/v2/entries", params={**ALL, "enhanced_list": "true"})
    entries = {e["id"]: e for e in response.json()["entries"]}
    assert entries[1]["customers_name"] == "Acme Corp"
    assert entries[1]["projects_name"] == "Website Redesign"
    assert entries[1]["users_name"] == "Tom Worker"
    assert entries[1]["services_name"] == "Development"
    assert entries[1]["revenue"] == 240.0  # 2 h × 120 (the project rule beats the customer rule)
    assert entries[3]["revenue"] == 0.0  # not billable
    assert entries[5]["revenue"] == 250.0  # lump-sum value
    assert entries[6]["revenue"] == 60.0  # 120 km × 0.50
    assert entries[6]["lumpsum_services_price"] == 0.5
    assert entries[7]["revenue"] == 440.0  # running for 4 h at 110
    assert entries[9]["revenue"] == 200.0  # hard budget, but the project is completed
    assert "revenue" not in entries[2]  # Phoenix: hard budget, not completed


async def test_hard_budget_revenue_appears_with_the_calc_flag(owner: httpx.AsyncClient) -> None:
    params = {**NOVEMBER, "enhanced_list": "true", "calc_also_revenues_for_projects_with_hard_budget": "true"}
    response = await owner.get("/v2/entries", params=params)
    entry = next(e for e in response.json()["entries"] if e["id"] == 2)
    assert entry["revenue"] == 330.0


async def test_plain_list_has_no_revenue_or_names(owner: httpx.AsyncClient) -> None:
    response = await owner.get("/v2/entries", params=NOVEMBER)
    entry = response.json()["entries"][0]
    assert "revenue" not in entry
    assert "customers_name" not in entry
    assert entry["hourly_rate"] == 120.0
    assert entry["time_since"] == "2026-11-02T08:00:00Z"


async def test_running_entry_has_no_end_and_no_duration(owner: httpx.AsyncClient) -> None:
    response = await owner.get("/v2/entries/7")
    running = response.json()["entry"]
    assert running["time_until"] is None
    assert running["duration"] is None
    assert running["clocked"] is True


async def test_worker_sees_only_own_entries_without_money(worker: httpx.AsyncClient) -> None:
    response = await worker.get("/v2/entries", params={**ALL, "enhanced_list": "true"})
    entries = response.json()["entries"]
    assert {e["users_id"] for e in entries} == {WORKER}
    assert all("revenue" not in e and "hourly_rate" not in e for e in entries)


async def test_worker_asking_for_another_users_entries_gets_403(worker: httpx.AsyncClient) -> None:
    response = await worker.get("/v2/entries", params={**ALL, "filter[users_id]": SARAH})
    assert response.status_code == 403
    assert general_error(response.json())["type"] == "Forbidden"
    assert (await worker.get("/v2/entries/2")).status_code == 403
    assert (await worker.put("/v2/entries/2", json={"text": "mine"})).status_code == 403
    assert (await worker.delete("/v2/entries/2")).status_code == 403


async def test_create_time_entry_stamps_the_rate(owner: httpx.AsyncClient, store: Store) -> None:
    body = {
        "customers_id": ACME,
        "projects_id": WEBSITE,
        "services_id": DESIGN,
        "users_id": WORKER,
        "billable": 1,
        "time_since": "2026-11-20T09:00:00Z",
        "time_until": "2026-11-20T10:30:00Z",
        "text": "Homepage hero",
    }
    response = await owner.post("/v2/entries", json=body)
    assert response.status_code == 200, response.text
    created = response.json()["entry"]
    assert created["type"] == 1
    assert created["duration"] == 5400
    assert created["hourly_rate"] == 110.0  # customer + service rule (two criteria) wins
    assert created["revenue"] == 165.0
    assert created["texts_id"] == store.texts["Homepage hero"]
    assert created["time_insert"] == "2026-11-24T12:00:00Z"
    record = store.entry(created["id"])
    assert record is not None
    assert record.hourly_rate == 110.0


async def test_explicit_hourly_rate_wins(owner: httpx.AsyncClient) -> None:
    body = {
        "customers_id": INTERNAL,
        "services_id": MEETINGS,
        "billable": 0,
        "hourly_rate": 55.5,
        "time_since": "2026-11-20T09:00:00Z",
        "time_until": "2026-11-20T10:00:00Z",
    }
    created = (await owner.post("/v2/entries", json=body)).json()["entry"]
    assert created["hourly_rate"] == 55.5


async def test_create_lump_sum_entries(owner: httpx.AsyncClient) -> None:
    value = {
        "customers_id": ACME,
        "projects_id": WEBSITE,
        "services_id": DEVELOPMENT,
        "billable": 1,
        "time_since": "2026-11-20T09:00:00Z",
        "lumpsum": 99.9,
    }
    created = (await owner.post("/v2/entries", json=value)).json()["entry"]
    assert created["type"] == 2
    assert created["lumpsum"] == 99.9
    service = {
        "customers_id": ACME,
        "lumpsum_services_id": TRAVEL,
        "lumpsum_services_amount": 10,
        "billable": 1,
        "time_since": "2026-11-20T09:00:00Z",
    }
    created = (await owner.post("/v2/entries", json=service)).json()["entry"]
    assert created["type"] == 3
    assert created["revenue"] == 5.0


async def test_create_accepts_form_bodies(owner: httpx.AsyncClient) -> None:
    form = {
        "customers_id": "1",
        "services_id": "30",
        "billable": "1",
        "time_since": "2026-11-20 09:00:00",
        "time_until": "2026-11-20T10:00:00+00:00",
    }
    response = await owner.post("/v2/entries", data=form)
    assert response.status_code == 200, response.text
    assert response.json()["entry"]["time_since"] == "2026-11-20T09:00:00Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"billable": 2}, "billable"),
        ({"billable": None}, "billable"),
        ({"customers_id": None}, "customers_id"),
        ({"time_until": None}, "time_until"),
        ({"services_id": None}, "services_id"),
        ({"time_until": "2026-11-20T08:00:00Z"}, "time_until"),
        ({"time_since": "20.11.2026 09:00"}, "time_since"),
        ({"time_since": "2026-11-20T09:00:00"}, "time_since"),
        ({"customers_id": "one"}, "customers_id"),
        ({"customers_id": True}, "customers_id"),
        ({"duration": -5}, "duration"),
        ({"projects_id": TOOLS}, "projects_id"),
        ({"projects_id": FINISHED}, "projects_id"),
        ({"subprojects_id": 20, "projects_id": PHOENIX}, "subprojects_id"),
    ],
)
async def test_invalid_time_entries_are_refused_with_400(
    owner: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    valid = {
        "customers_id": ACME,
        "services_id": DEVELOPMENT,
        "billable": 1,
        "time_since": "2026-11-20T09:00:00Z",
        "time_until": "2026-11-20T10:00:00Z",
    }
    response = await owner.post("/v2/entries", json={**valid, **body})
    assert response.status_code == 400, response.text
    assert simple_error(response.json())["fields"] == [field]


async def test_lump_sum_service_needs_its_amount(owner: httpx.AsyncClient) -> None:
    body = {"customers_id": ACME, "lumpsum_services_id": TRAVEL, "billable": 1, "time_since": "2026-11-20T09:00:00Z"}
    response = await owner.post("/v2/entries", json=body)
    assert response.status_code == 400
    assert simple_error(response.json())["fields"] == ["lumpsum_services_amount"]


@pytest.mark.parametrize(("name", "value"), [("customers_id", 999), ("services_id", 999), ("projects_id", 999)])
async def test_unknown_references_are_404(owner: httpx.AsyncClient, name: str, value: int) -> None:
    body = {
        "customers_id": ACME,
        "services_id": DEVELOPMENT,
        "billable": 1,
        "time_since": "2026-11-20T09:00:00Z",
        "time_until": "2026-11-20T10:00:00Z",
        name: value,
    }
    response = await owner.post("/v2/entries", json=body)
    assert response.status_code == 404
    assert general_error(response.json())["path"] == name


async def test_worker_cannot_create_for_others_or_set_rates(worker: httpx.AsyncClient) -> None:
    body = {
        "customers_id": ACME,
        "services_id": DEVELOPMENT,
        "billable": 1,
        "time_since": "2026-11-20T09:00:00Z",
        "time_until": "2026-11-20T10:00:00Z",
    }
    assert (await worker.post("/v2/entries", json={**body, "users_id": SARAH})).status_code == 403
    assert (await worker.post("/v2/entries", json={**body, "hourly_rate": 1})).status_code == 403
    own = await worker.post("/v2/entries", json=body)
    assert own.status_code == 200
    assert own.json()["entry"]["users_id"] == WORKER


async def test_update_re_rates_when_the_project_changes(owner: httpx.AsyncClient, store: Store) -> None:
    response = await owner.put("/v2/entries/4", json={"projects_id": WEBSITE, "id": 4})
    assert response.status_code == 200, response.text
    assert response.json()["entry"]["hourly_rate"] == 120.0
    record = store.entry(4)
    assert record is not None
    assert record.hourly_rate == 120.0


async def test_update_marks_billed_and_moves_in_time(owner: httpx.AsyncClient, store: Store) -> None:
    before = store.version
    body = {"billable": 2, "time_since": "2026-11-02T07:00:00Z", "time_until": "2026-11-02T10:00:00Z"}
    updated = (await owner.put("/v2/entries/1", json=body)).json()["entry"]
    assert updated["billable"] == 2
    assert updated["duration"] == 3 * 3600
    assert updated["hourly_rate"] == 120.0
    assert store.version > before
    keys = [(e.time_since, e.id) for e in store.entries]
    assert keys == sorted(keys)


async def test_update_refuses_a_reversed_range(owner: httpx.AsyncClient) -> None:
    response = await owner.put("/v2/entries/1", json={"time_until": "2026-11-01T00:00:00Z"})
    assert response.status_code == 400
    assert simple_error(response.json())["fields"] == ["time_until"]


async def test_delete_removes_the_entry(owner: httpx.AsyncClient, store: Store) -> None:
    assert (await owner.delete("/v2/entries/3")).json() == {"success": True}
    assert store.entry(3) is None
    assert (await owner.get("/v2/entries/3")).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"time_since": "2026-11-01T00:00:00Z"},
        {"time_since": "2026-12-01T00:00:00Z", "time_until": "2026-11-01T00:00:00Z"},
        {**NOVEMBER, "filter[billable]": 3},
        {**NOVEMBER, "filter[users_id]": "x"},
        {**NOVEMBER, "filter[budget_type]": "nonsense"},
        {**NOVEMBER, "page": 0},
        {**NOVEMBER, "enhanced_list": "maybe"},
        {"time_since": "yesterday", "time_until": "today"},
    ],
)
async def test_bad_list_parameters_are_400_simple_errors(owner: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await owner.get("/v2/entries", params=params)
    assert response.status_code == 400
    simple_error(response.json())


async def test_malformed_json_body_is_400(owner: httpx.AsyncClient) -> None:
    response = await owner.post("/v2/entries", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    simple_error(response.json())
    response = await owner.post("/v2/entries", json=[1, 2])
    assert response.status_code == 400


async def test_non_integer_entry_id_is_404(owner: httpx.AsyncClient) -> None:
    response = await owner.get("/v2/entries/abc")
    assert response.status_code == 404
    general_error(response.json())
