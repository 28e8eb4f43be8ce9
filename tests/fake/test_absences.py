"""`/v4/absences`: visibility, ranges, half days, collisions, count_days, the status workflow."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from clockodo_mcp.fake import WORKER_EMAIL, WORKER_KEY
from clockodo_mcp.fake.store import Store

from .conftest import OWNER, SARAH, WORKER, ClientFactory, general_error, headers, typed_errors


async def test_owner_lists_all_and_filters(owner: httpx.AsyncClient) -> None:
    everything = (await owner.get("/v4/absences")).json()["data"]
    assert [a["id"] for a in everything] == [3, 1, 2]
    pending = (await owner.get("/v4/absences", params={"filter[status][]": 0})).json()["data"]
    assert [a["id"] for a in pending] == [2]
    sarah = (await owner.get("/v4/absences", params={"filter[users_id][]": SARAH, "filter[year][]": 2026})).json()
    assert [a["id"] for a in sarah["data"]] == [2]
    sick = (await owner.get("/v4/absences", params={"filter[type]": "4"})).json()["data"]
    assert [a["id"] for a in sick] == [3]
    design = (await owner.get("/v4/absences", params={"filter[teams_id][]": 2})).json()["data"]
    assert [a["id"] for a in design] == [2]


async def test_worker_sees_own_absences_and_403_for_others(worker: httpx.AsyncClient) -> None:
    own = (await worker.get("/v4/absences")).json()["data"]
    assert {a["users_id"] for a in own} == {WORKER}
    assert (await worker.get("/v4/absences/2")).status_code == 403
    denied = await worker.get("/v4/absences", params={"filter[users_id][]": SARAH})
    assert denied.status_code == 403
    general_error(denied.json())


async def test_viewable_scope_hides_type_and_note_of_colleagues(worker: httpx.AsyncClient) -> None:
    seen = (await worker.get("/v4/absences", params={"scope": "viewableAbsences"})).json()["data"]
    sarahs = next(a for a in seen if a["users_id"] == SARAH)
    assert "type" not in sarahs
    assert "note" not in sarahs
    assert sarahs["public_note"] == "Away"
    own = next(a for a in seen if a["users_id"] == WORKER)
    assert own["type"] in (1, 4)


async def test_request_counts_working_days_minus_holidays(worker: httpx.AsyncClient, store: Store) -> None:
    # 21–31 Dec 2026: Mon 21 … Thu 31; 24th is a half holiday, 25th a holiday; weekend 26/27.
    body = {"date_since": "2026-12-21", "date_until": "2026-12-31", "type": 1, "note": "Winter"}
    created = (await worker.post("/v4/absences", json=body)).json()["data"]
    assert created["status"] == 0
    assert created["count_days"] == 7.5  # 9 weekdays − Christmas Day − half of Christmas Eve
    assert created["count_hours"] is None
    assert created["date_enquired"] == "2026-11-24"
    assert store.absences[created["id"]]["users_id"] == WORKER


async def test_count_days_follow_the_users_weekdays(sarah: httpx.AsyncClient) -> None:
    # Sarah works Monday to Thursday: the week of 30 Nov has four working days.
    body = {"date_since": "2026-11-30", "date_until": "2026-12-06", "type": 2}
    assert (await sarah.post("/v4/absences", json=body)).json()["data"]["count_days"] == 4.0


async def test_half_day_counts_half(worker: httpx.AsyncClient) -> None:
    body = {"date_since": "2026-12-01", "type": 1, "half_day": True}
    created = (await worker.post("/v4/absences", json=body)).json()["data"]
    assert created["count_days"] == 0.5
    assert created["date_until"] == "2026-12-01"


async def test_overtime_reduction_uses_hours(worker: httpx.AsyncClient) -> None:
    body = {"date_since": "2026-12-02", "type": 3, "count_hours": 2.5}
    created = (await worker.post("/v4/absences", json=body)).json()["data"]
    assert created["count_hours"] == 2.5
    assert created["count_days"] is None


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ({"date_since": "2026-12-10", "date_until": "2026-12-01", "type": 1}, "UntilBeforeSinceIsForbidden"),
        ({"date_since": "2026-12-30", "date_until": "2027-01-04", "type": 1}, "UntilMustBeInSameYear"),
        (
            {"date_since": "2026-12-01", "date_until": "2026-12-02", "type": 1, "half_day": True},
            "HalfDayAbsenceTooLong",
        ),
        ({"date_since": "2026-12-01", "type": 3}, "Empty"),
        ({"date_since": "2026-12-01", "type": 1, "count_hours": 3}, "FieldsShouldBeEmpty"),
        ({"date_since": "2026-12-01", "type": 1, "sick_note": True}, "FieldsShouldBeEmpty"),
        ({"date_since": "2026-11-06", "type": 2}, "AbsenceCollision"),
        ({"date_since": "2026-12-01", "type": 16}, "UnexpectedValue"),
        ({"date_since": "1.12.2026", "type": 1}, "UnexpectedValue"),
        ({"type": 1}, "Empty"),
        ({"date_since": "2026-12-01", "type": 1, "status": 2}, "StatusIsForbidden"),
    ],
)
async def test_invalid_absences_are_422_typed(worker: httpx.AsyncClient, body: dict[str, Any], error_type: str) -> None:
    response = await worker.post("/v4/absences", json=body)
    assert response.status_code == 422, response.text
    error = typed_errors(response.json())
    assert error["type"] == error_type
    if error_type == "AbsenceCollision":
        assert error["details"] == {"colliding_absences": [1]}


async def test_allow_override_replaces_the_colliding_absence(owner: httpx.AsyncClient, store: Store) -> None:
    body = {"date_since": "2026-11-06", "type": 4, "users_id": WORKER, "status": 1, "allow_override": [1]}
    created = (await owner.post("/v4/absences", json=body)).json()["data"]
    assert created["status"] == 1
    assert created["approved_by"] == OWNER
    assert 1 not in store.absences


async def test_approval_workflow(owner: httpx.AsyncClient, sarah: httpx.AsyncClient) -> None:
    assert (await sarah.put("/v4/absences/2", json={"status": 1})).status_code == 403
    approved = (await owner.put("/v4/absences/2", json={"status": 1})).json()["data"]
    assert approved["status"] == 1
    assert approved["approved_by"] == OWNER
    assert approved["date_approved"] == "2026-11-24"
    back = await owner.put("/v4/absences/2", json={"status": 0})
    assert typed_errors(back.json())["type"] == "StatusIsForbidden"
    cancelled = (await owner.put("/v4/absences/2", json={"status": 3})).json()["data"]
    assert cancelled["status"] == 3


async def test_requester_may_withdraw_but_not_decline(sarah: httpx.AsyncClient) -> None:
    assert (await sarah.put("/v4/absences/2", json={"status": 2})).status_code == 403
    withdrawn = (await sarah.put("/v4/absences/2", json={"status": 4})).json()["data"]
    assert withdrawn["status"] == 4


async def test_absence_managers_may_approve(client_for: ClientFactory, owner: httpx.AsyncClient, store: Store) -> None:
    store.users[SARAH]["absence_managers_id"] = [WORKER]
    manager = client_for(headers(WORKER_EMAIL, WORKER_KEY))
    response = await manager.put("/v4/absences/2", json={"status": 2})
    assert response.status_code == 403  # the worker cannot even see Sarah's absence by id
    assert (await owner.put("/v4/absences/2", json={"status": 2})).json()["data"]["status"] == 2


async def test_edit_dates_recounts_days(worker: httpx.AsyncClient, owner: httpx.AsyncClient) -> None:
    created = (await worker.post("/v4/absences", json={"date_since": "2026-12-01", "type": 1})).json()["data"]
    edited = (await worker.put(f"/v4/absences/{created['id']}", json={"date_until": "2026-12-04"})).json()["data"]
    assert edited["count_days"] == 4.0
    assert (await worker.put("/v4/absences/1", json={"note": "changed"})).status_code == 403


async def test_delete_rules(owner: httpx.AsyncClient, worker: httpx.AsyncClient, store: Store) -> None:
    approved = await owner.delete("/v4/absences/1")
    assert typed_errors(approved.json())["type"] == "AbsenceHasToBeDeclined"
    created = (await worker.post("/v4/absences", json={"date_since": "2026-12-01", "type": 1})).json()["data"]
    assert (await worker.delete(f"/v4/absences/{created['id']}")).json() == {"success": True}
    assert created["id"] not in store.absences
    assert (await owner.delete("/v4/absences/999")).status_code == 404


async def test_bad_absence_queries_are_400(owner: httpx.AsyncClient) -> None:
    for params in ({"filter[year][]": 1999}, {"filter[status][]": 9}, {"scope": "all"}, {"filter[users_id]": "x"}):
        response = await owner.get("/v4/absences", params=params)
        assert response.status_code == 400, params
        general_error(response.json())
