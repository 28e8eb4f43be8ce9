"""`/v2/entries` pages kept as JSON between reads (fake/rendered.py): every change shows in the next read."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx

from clockodo_mcp.fake.store import Store

from .conftest import NOW, PHOENIX, TRAVEL, WEBSITE

NOVEMBER = {"time_since": "2026-11-01T00:00:00Z", "time_until": "2026-12-01T00:00:00Z", "enhanced_list": "true"}


async def by_id(client: httpx.AsyncClient, **params: Any) -> dict[int, dict[str, Any]]:
    response = await client.get("/v2/entries", params={**NOVEMBER, **params})
    assert response.status_code == 200, response.text
    return {e["id"]: e for e in response.json()["entries"]}


async def test_a_page_is_the_json_starlette_would_send(owner: httpx.AsyncClient) -> None:
    await by_id(owner)
    response = await owner.get("/v2/entries", params=NOVEMBER)
    assert response.headers["content-type"] == "application/json"
    expected = json.dumps(response.json(), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert response.content == expected.encode()


async def test_an_entry_edited_through_the_api_shows_in_the_next_read(owner: httpx.AsyncClient) -> None:
    before = await by_id(owner)
    assert before[1]["text"] == "Homepage hero"
    changed = await owner.put("/v2/entries/1", json={"text": "Hero, second take", "billable": 0})
    assert changed.status_code == 200, changed.text
    after = await by_id(owner)
    assert after[1]["text"] == "Hero, second take"
    assert after[1]["billable"] == 0
    assert after[1]["revenue"] == 0.0
    assert after[1]["texts_id"] != before[1]["texts_id"]
    assert after[2] == before[2]


async def test_an_entry_changed_in_the_store_directly_shows_in_the_next_read(
    owner: httpx.AsyncClient, store: Store
) -> None:
    await by_id(owner)
    entry = store.entry(1)
    assert entry is not None
    entry.duration = 3600
    assert (await by_id(owner))[1]["duration"] == 3600


async def test_a_renamed_project_shows_in_the_next_read(owner: httpx.AsyncClient) -> None:
    assert (await by_id(owner))[1]["projects_name"] == "Website Redesign"
    renamed = await owner.put(f"/v4/projects/{WEBSITE}", json={"name": "Website Relaunch"})
    assert renamed.status_code == 200, renamed.text
    assert (await by_id(owner))[1]["projects_name"] == "Website Relaunch"


async def test_a_completed_hard_budget_releases_revenue_in_the_next_read(owner: httpx.AsyncClient) -> None:
    assert "revenue" not in (await by_id(owner))[2]  # Phoenix: hard budget, open
    done = await owner.put(f"/v4/projects/{PHOENIX}/complete", json={"completed": True})
    assert done.status_code == 200, done.text
    assert (await by_id(owner))[2]["revenue"] == 330.0  # 3 h × 110


async def test_a_new_lump_sum_price_shows_in_the_next_read(owner: httpx.AsyncClient) -> None:
    assert (await by_id(owner))[6]["revenue"] == 60.0  # 120 km × 0.50
    repriced = await owner.put(f"/v4/lumpSumServices/{TRAVEL}", json={"price": 0.75})
    assert repriced.status_code == 200, repriced.text
    after = (await by_id(owner))[6]
    assert after["lumpsum_services_price"] == 0.75
    assert after["revenue"] == 90.0


async def test_a_running_entry_counts_on_between_reads(owner: httpx.AsyncClient, clock: list[datetime]) -> None:
    assert (await by_id(owner))[7]["revenue"] == 440.0  # running for 4 h at 110
    clock[0] = NOW + timedelta(hours=1)
    assert (await by_id(owner))[7]["revenue"] == 550.0


async def test_a_worker_never_gets_the_owners_rendering(owner: httpx.AsyncClient, worker: httpx.AsyncClient) -> None:
    assert "hourly_rate" in (await by_id(owner))[1]
    mine = await by_id(worker)
    assert mine
    assert all("hourly_rate" not in e and "revenue" not in e for e in mine.values())


async def test_a_deleted_entry_is_gone_from_the_next_read(owner: httpx.AsyncClient) -> None:
    assert 3 in await by_id(owner)
    assert (await owner.delete("/v2/entries/3")).status_code == 200
    assert 3 not in await by_id(owner)
