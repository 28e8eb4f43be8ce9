"""`/v2/clock`: one running entry per user, start stops the running one, stop, 24 h truncation, durations."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from clockodo_mcp.fake.store import Store

from .conftest import ACME, DESIGN, DEVELOPMENT, NOW, SARAH, WEBSITE, WORKER, general_error, simple_error


async def test_get_clock_shows_the_running_entry(sarah: httpx.AsyncClient, worker: httpx.AsyncClient) -> None:
    body = (await sarah.get("/v2/clock")).json()
    assert body["running"]["id"] == 7
    assert body["stopped"] is None
    assert body["current_time"] == "2026-11-24T12:00:00Z"
    assert (await worker.get("/v2/clock")).json()["running"] is None


async def test_worker_cannot_see_another_users_clock(worker: httpx.AsyncClient, owner: httpx.AsyncClient) -> None:
    assert (await worker.get("/v2/clock", params={"users_id": SARAH})).status_code == 403
    assert (await owner.get("/v2/clock", params={"users_id": SARAH})).json()["running"]["id"] == 7


async def test_starting_stops_the_running_entry_and_returns_it(sarah: httpx.AsyncClient, store: Store) -> None:
    response = await sarah.post("/v2/clock", json={"customers_id": ACME, "services_id": DEVELOPMENT, "text": "Next"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stopped"]["id"] == 7
    assert body["stopped"]["time_until"] == "2026-11-24T12:00:00Z"
    assert body["stopped"]["duration"] == 4 * 3600
    assert body["stopped_has_been_truncated"] is False
    running = body["running"]
    assert running["time_until"] is None
    assert running["clocked"] is True
    assert running["billable"] == 1  # Acme's default
    assert store.running_entry(SARAH) is store.entry(running["id"])
    assert len([e for e in store.entries if e.users_id == SARAH and e.time_until is None]) == 1


async def test_stop_sets_end_and_duration(sarah: httpx.AsyncClient, store: Store) -> None:
    body = (await sarah.delete("/v2/clock/7")).json()
    assert body["running"] is None
    assert body["stopped"]["duration"] == 4 * 3600
    assert store.running_entry(SARAH) is None


async def test_stop_after_more_than_a_day_truncates_to_24h(
    sarah: httpx.AsyncClient, store: Store, clock: list[datetime]
) -> None:
    clock[0] = NOW + timedelta(days=2)
    body = (await sarah.delete("/v2/clock/7")).json()
    assert body["stopped_has_been_truncated"] is True
    assert body["stopped"]["duration"] == 24 * 3600
    assert body["stopped"]["time_until"] == "2026-11-25T08:00:00Z"


async def test_start_with_an_old_running_entry_truncates_it(sarah: httpx.AsyncClient, clock: list[datetime]) -> None:
    clock[0] = NOW + timedelta(hours=30)
    body = (await sarah.post("/v2/clock", json={"customers_id": ACME, "services_id": DESIGN})).json()
    assert body["stopped_has_been_truncated"] is True
    assert body["stopped"]["duration"] == 24 * 3600


async def test_stop_at_a_given_time(sarah: httpx.AsyncClient) -> None:
    response = await sarah.delete("/v2/clock/7", params={"time_until": "2026-11-24T09:30:00Z"})
    assert response.json()["stopped"]["duration"] == 5400


async def test_stopping_a_finished_or_foreign_entry_is_refused(
    sarah: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    response = await sarah.delete("/v2/clock/2")
    assert response.status_code == 400
    simple_error(response.json())
    assert (await worker.delete("/v2/clock/7")).status_code == 403
    missing = await sarah.delete("/v2/clock/999")
    assert missing.status_code == 404
    general_error(missing.json())
    future = await sarah.delete("/v2/clock/7", params={"time_until": "2026-11-25T09:30:00Z"})
    assert future.status_code == 400


async def test_change_duration_of_a_running_entry_moves_its_start(sarah: httpx.AsyncClient) -> None:
    body = (await sarah.put("/v2/clock/7", json={"duration": 3600, "duration_before": 4 * 3600})).json()
    assert body["updated"]["time_since"] == "2026-11-24T11:00:00Z"
    assert body["running"]["id"] == 7
    assert body["overlapping_correction"] is None


async def test_change_duration_of_a_stopped_entry_moves_its_end(owner: httpx.AsyncClient) -> None:
    body = (await owner.put("/v2/clock/1", json={"duration": 1800, "duration_before": 7200})).json()
    assert body["updated"]["time_until"] == "2026-11-02T08:30:00Z"
    assert body["updated"]["duration"] == 1800


async def test_change_duration_refuses_a_stale_duration_before(owner: httpx.AsyncClient) -> None:
    response = await owner.put("/v2/clock/1", json={"duration": 1800, "duration_before": 100})
    assert response.status_code == 400
    assert simple_error(response.json())["fields"] == ["duration_before"]


async def test_bad_clock_starts(worker: httpx.AsyncClient) -> None:
    cases = [
        {"services_id": DEVELOPMENT},
        {"customers_id": ACME},
        {"customers_id": ACME, "services_id": DEVELOPMENT, "billable": 2},
        {"customers_id": ACME, "services_id": DEVELOPMENT, "time_since": "2027-01-01T00:00:00Z"},
        {"customers_id": ACME, "services_id": DEVELOPMENT, "users_id": SARAH},
        {"customers_id": 999, "services_id": DEVELOPMENT},
        {"customers_id": ACME, "services_id": DEVELOPMENT, "projects_id": 12},
    ]
    statuses = [(await worker.post("/v2/clock", json=case)).status_code for case in cases]
    assert statuses == [400, 400, 400, 400, 403, 404, 400]


async def test_owner_starts_a_clock_for_a_worker(owner: httpx.AsyncClient, store: Store) -> None:
    body = {"customers_id": ACME, "services_id": DEVELOPMENT, "projects_id": WEBSITE, "users_id": WORKER}
    running = (await owner.post("/v2/clock", json=body)).json()["running"]
    assert running["users_id"] == WORKER
    assert running["hourly_rate"] == 120.0
    assert store.running_entry(WORKER) is not None
