"""Absences: list filters, CRUD and approval via status."""

from __future__ import annotations

import datetime as dt

import pytest
import respx

from clockodo_mcp.clockodo import AbsenceStatus, AbsenceType, ClockodoArgumentError, ClockodoClient

from .conftest import body, query

ABSENCE = {
    "id": 31,
    "users_id": 7,
    "date_since": "2024-08-05",
    "date_until": "2024-08-09",
    "status": 0,
    "type": 1,
    "note": None,
    "public_note": "Summer",
    "sick_note": None,
    "count_days": 5.0,
    "count_hours": None,
    "date_enquired": "2024-06-01",
    "date_approved": None,
    "approved_by": None,
}


async def test_list_encodes_every_filter(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.get("/v4/absences").respond(json={"data": [ABSENCE]})
    [absence] = await client.absences.list(
        year=[2024, 2025],
        users_id=7,
        teams_id=[2],
        status=AbsenceStatus.ENQUIRED,
        type=[AbsenceType.REGULAR_HOLIDAY, 4],
        users_active=True,
        scope="manageableAbsences",
    )
    assert query(route.calls.last.request) == [
        ("filter[year][]", "2024"),
        ("filter[year][]", "2025"),
        ("filter[users_id][]", "7"),
        ("filter[teams_id][]", "2"),
        ("filter[status][]", "0"),
        ("filter[type][]", "1"),
        ("filter[type][]", "4"),
        ("filter[users_active]", "true"),
        ("scope", "manageableAbsences"),
    ]
    assert absence.status is AbsenceStatus.ENQUIRED
    assert absence.type is AbsenceType.REGULAR_HOLIDAY
    assert absence.date_since == dt.date(2024, 8, 5)
    assert absence.count_days == 5.0


async def test_unfiltered_list_sends_no_query(api: respx.MockRouter, client: ClockodoClient) -> None:
    route = api.get("/v4/absences").respond(json={"data": []})
    assert await client.absences.list() == []
    assert route.calls.last.request.url.query == b""


async def test_absence_crud_and_approval(api: respx.MockRouter, client: ClockodoClient) -> None:
    api.get("/v4/absences/31").respond(json={"data": ABSENCE})
    create = api.post("/v4/absences").respond(json={"data": ABSENCE})
    update = api.put("/v4/absences/31").respond(json={"data": {**ABSENCE, "status": 1, "approved_by": 1}})
    delete = api.delete("/v4/absences/31").respond(json={"success": True})
    assert (await client.absences.get(31)).public_note == "Summer"
    await client.absences.create(
        dt.date(2024, 8, 5),
        AbsenceType.REGULAR_HOLIDAY,
        date_until=dt.date(2024, 8, 9),
        users_id=7,
        half_day=False,
        public_note="Summer",
        note="beach",
        sick_note=False,
        status=0,
        count_hours=8,
        allow_override=[30],
    )
    assert body(create.calls.last.request) == {
        "date_since": "2024-08-05",
        "type": 1,
        "users_id": 7,
        "date_until": "2024-08-09",
        "half_day": False,
        "count_hours": 8,
        "status": 0,
        "sick_note": False,
        "note": "beach",
        "public_note": "Summer",
        "allow_override": [30],
    }
    approved = await client.absences.update(31, status=AbsenceStatus.APPROVED)
    assert body(update.calls.last.request) == {"status": 1}
    assert approved.status is AbsenceStatus.APPROVED
    await client.absences.update(31, type=4, date_since=dt.date(2024, 8, 6))
    assert body(update.calls.last.request) == {"date_since": "2024-08-06", "type": 4}
    await client.absences.delete(31)
    assert delete.called


async def test_absence_arguments_are_checked(client: ClockodoClient) -> None:
    day = dt.date(2024, 8, 5)
    with pytest.raises(ClockodoArgumentError, match="type: unknown value 16"):
        await client.absences.create(day, 16)
    with pytest.raises(ClockodoArgumentError, match="status: unknown value 9"):
        await client.absences.update(31, status=9)
    with pytest.raises(ClockodoArgumentError, match="date_until"):
        await client.absences.create(day, 1, date_until=dt.date(2024, 8, 1))
    with pytest.raises(ClockodoArgumentError, match="date_since"):
        await client.absences.create(dt.datetime(2024, 8, 5, tzinfo=dt.UTC), 1)
    with pytest.raises(ClockodoArgumentError, match="fields"):
        await client.absences.update(31)
    with pytest.raises(ClockodoArgumentError, match="id"):
        await client.absences.get(0)
    with pytest.raises(ClockodoArgumentError, match="year"):
        await client.absences.list(year=1999)
    with pytest.raises(ClockodoArgumentError, match="scope"):
        await client.absences.list(scope="everything")
    with pytest.raises(ClockodoArgumentError, match="users_active"):
        await client.absences.list(users_active=1)  # type: ignore[arg-type]
    with pytest.raises(ClockodoArgumentError, match="users_id"):
        await client.absences.list(users_id=[1, 0])
    with pytest.raises(ClockodoArgumentError, match="count_hours"):
        await client.absences.create(day, 3, count_hours=0)
    with pytest.raises(ClockodoArgumentError, match="public_note"):
        await client.absences.update(31, public_note="x" * 513)
    assert client.request_count == 0
