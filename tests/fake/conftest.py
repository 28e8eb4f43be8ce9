"""A small hand-built Clockodo company and clients for the fake, with a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from clockodo_mcp.fake import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.dataset import Dataset, EntryRecord, company_record
from clockodo_mcp.fake.store import Store

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)  # a Tuesday
OWNER, WORKER, SARAH, GONE = 1, 2, 3, 4
SARAH_EMAIL, SARAH_KEY = "sarah@demo.example", "demo-key-3"
ACME, INTERNAL, OLD_CUSTOMER = 1, 2, 3
WEBSITE, PHOENIX, TOOLS, FINISHED = 10, 11, 12, 13
SUB_DESIGN = 20
DEVELOPMENT, DESIGN, MEETINGS = 30, 31, 32
TRAVEL = 40
APP_HEADER = {"X-Clockodo-External-Application": "tests;tests@example.com"}


def ts(text: str) -> datetime:
    """An aware UTC datetime from `YYYY-MM-DDTHH:MM`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def user(
    uid: int, name: str, email: str, role: str = "worker", team: int | None = None, **extra: Any
) -> dict[str, Any]:
    """A UserV3 dict."""
    return {
        "id": uid,
        "name": name,
        "number": f"E-{uid}",
        "email": email,
        "role": role,
        "active": True,
        "language": "en",
        "timezone": "Europe/Berlin",
        "timeformat_12h": False,
        "weekstart_monday": True,
        "weekend_friday": False,
        "teams_id": team,
        "initials": "".join(p[0] for p in name.split()),
        "nonbusiness_groups_id": None,
        "wage_type": None,
        "boss": None,
        "absence_managers_id": [],
        "can_generally_see_absences": False,
        "can_generally_manage_absences": False,
        "can_add_customers": False,
        "default_holidays_count": True,
        "default_target_hours": True,
        "future_coworker": False,
        "start_date": None,
        "edit_lock": None,
        "edit_lock_dyn": None,
        "edit_lock_sync": None,
        "work_time_edit_lock_days": None,
        "budget_notifications": False,
        **extra,
    }


def project(pid: int, customer: int, name: str, budget: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A ProjectV4 dict."""
    return {
        "id": pid,
        "customers_id": customer,
        "name": name,
        "number": f"P-{pid}",
        "active": True,
        "billable_default": customer != INTERNAL,
        "note": None,
        "billed_money": None,
        "billed_completely": None,
        "completed": False,
        "completed_at": None,
        "revenue_factor": None,
        "test_data": False,
        "count_subprojects": 0,
        "deadline": None,
        "start_date": None,
        "budget": budget,
        "bill_service_id": None,
        "automatic_completion": False,
        "service_assignments": [],
        **extra,
    }


def budget(amount: float, *, monetary: bool = True, hard: bool = False) -> dict[str, Any]:
    """A ProjectBudgetV4 dict."""
    return {
        "monetary": monetary,
        "hard": hard,
        "from_subprojects": False,
        "interval": None,
        "amount": amount,
        "notification_thresholds": [80, 100],
    }


def entry(eid: int, users_id: int, customer: int, since: str, until: str | None, **fields: Any) -> EntryRecord:
    """A time entry (type 1) unless `type` says otherwise."""
    start = ts(since)
    end = ts(until) if until else None
    fields.setdefault("type", 1)
    fields.setdefault("billable", 1)
    fields.setdefault("projects_id", None)
    fields.setdefault("services_id", DEVELOPMENT if fields["type"] != 3 else None)
    if fields["type"] == 1 and end is not None:
        fields.setdefault("duration", int((end - start).total_seconds()))
    if end is None and fields["type"] == 1:
        fields.setdefault("clocked", True)
        fields.setdefault("time_clocked_since", start)
    return EntryRecord(id=eid, users_id=users_id, customers_id=customer, time_since=start, time_until=end, **fields)


def make_dataset() -> Dataset:
    """The test company: an owner, a worker, Sarah (worker, Design), an archived user; four projects."""
    named = {"name": "Website Redesign"}
    return Dataset(
        today=date(2026, 11, 24),
        company=company_record("Testing GmbH"),
        users=[
            user(OWNER, "Olivia Owner", OWNER_EMAIL, "owner", 2),
            user(WORKER, "Tom Worker", WORKER_EMAIL, "worker", 1),
            user(SARAH, "Sarah Chen", SARAH_EMAIL, "worker", 2, absence_managers_id=[OWNER]),
            {**user(GONE, "Gina Gone", "gone@demo.example"), "active": False},
        ],
        api_keys={OWNER: OWNER_KEY, WORKER: WORKER_KEY, SARAH: SARAH_KEY, GONE: "demo-key-4"},
        teams=[
            {"id": 1, "name": "Development", "leader": WORKER, "user_ids": [WORKER]},
            {"id": 2, "name": "Design", "leader": SARAH, "user_ids": [OWNER, SARAH]},
        ],
        customers=[
            {
                "id": ACME,
                "name": "Acme Corp",
                "number": "K-1",
                "color": 1,
                "active": True,
                "billable_default": True,
                "note": None,
                "bill_service_id": None,
                "test_data": False,
            },
            {
                "id": INTERNAL,
                "name": "Internal",
                "number": None,
                "color": 2,
                "active": True,
                "billable_default": False,
                "note": None,
                "bill_service_id": None,
                "test_data": False,
            },
            {
                "id": OLD_CUSTOMER,
                "name": "Old Customer",
                "number": None,
                "color": 3,
                "active": False,
                "billable_default": True,
                "note": None,
                "bill_service_id": None,
                "test_data": False,
            },
        ],
        projects=[
            project(WEBSITE, ACME, named["name"], budget(10_000.0)),
            project(PHOENIX, ACME, "Phoenix", budget(100.0, monetary=False, hard=True)),
            project(TOOLS, INTERNAL, "Internal Tools"),
            project(
                FINISHED,
                ACME,
                "Finished Thing",
                budget(5000.0, hard=True),
                completed=True,
                completed_at="2026-10-01T10:00:00Z",
                revenue_factor=0.5,
            ),
        ],
        subprojects=[
            {
                "id": SUB_DESIGN,
                "projects_id": WEBSITE,
                "name": "Design phase",
                "note": None,
                "number": None,
                "budget": None,
                "billable_default": True,
                "completed": False,
                "completed_at": None,
                "revenue_factor": 1.0,
                "start_date": None,
                "deadline": None,
                "active": True,
                "bill_service_id": None,
            },
        ],
        services=[
            {
                "id": DEVELOPMENT,
                "name": "Development",
                "number": "S-1",
                "active": True,
                "note": None,
                "bill_service_id": None,
            },
            {"id": DESIGN, "name": "Design", "number": "S-2", "active": True, "note": None, "bill_service_id": None},
            {"id": MEETINGS, "name": "Meetings", "number": None, "active": True, "note": None, "bill_service_id": None},
        ],
        lumpsum_services=[
            {"id": TRAVEL, "name": "Travel", "price": 0.5, "unit": "km", "active": True, "number": None, "note": None},
        ],
        rates=[
            {
                "id": 1,
                "parent_rate_id": None,
                "customer_ids": [ACME],
                "project_ids": [],
                "service_ids": [],
                "user_ids": [],
                "hourly_rate": 100.0,
                "test_data": False,
                "position": 1,
            },
            {
                "id": 2,
                "parent_rate_id": None,
                "customer_ids": [],
                "project_ids": [WEBSITE],
                "service_ids": [],
                "user_ids": [],
                "hourly_rate": 120.0,
                "test_data": False,
                "position": 2,
            },
            {
                "id": 3,
                "parent_rate_id": None,
                "customer_ids": [],
                "project_ids": [],
                "service_ids": [],
                "user_ids": [SARAH],
                "hourly_rate": 90.0,
                "test_data": False,
                "position": 3,
            },
            {
                "id": 4,
                "parent_rate_id": None,
                "customer_ids": [ACME],
                "project_ids": [],
                "service_ids": [DESIGN],
                "user_ids": [],
                "hourly_rate": 110.0,
                "test_data": False,
                "position": 4,
            },
        ],
        default_hourly_rate=80.0,
        entries=[
            entry(1, WORKER, ACME, "2026-11-02T08:00", "2026-11-02T10:00", projects_id=WEBSITE, text="Homepage hero"),
            entry(
                2,
                SARAH,
                ACME,
                "2026-11-03T09:00",
                "2026-11-03T12:00",
                projects_id=PHOENIX,
                services_id=DESIGN,
                text="Logo drafts",
            ),
            entry(
                3,
                WORKER,
                INTERNAL,
                "2026-11-16T13:00",
                "2026-11-16T14:00",
                projects_id=TOOLS,
                services_id=MEETINGS,
                billable=0,
                text="Team meeting",
            ),
            entry(4, SARAH, ACME, "2026-10-20T10:00", "2026-10-20T11:30", billable=2, text="Workshop"),
            entry(5, WORKER, ACME, "2026-11-10T12:00", "2026-11-10T12:00", type=2, projects_id=WEBSITE, lumpsum=250.0),
            entry(
                6,
                SARAH,
                ACME,
                "2026-11-12T12:00",
                "2026-11-12T12:00",
                type=3,
                projects_id=WEBSITE,
                lumpsum_services_id=TRAVEL,
                lumpsum_services_amount=120.0,
                billable=2,
            ),
            entry(
                7,
                SARAH,
                ACME,
                "2026-11-24T08:00",
                None,
                projects_id=WEBSITE,
                services_id=DESIGN,
                subprojects_id=SUB_DESIGN,
                text="Hero illustrations",
            ),
            # 00:30 on 1 November in Berlin, still October in UTC.
            entry(8, WORKER, ACME, "2026-10-31T23:30", "2026-11-01T00:30", projects_id=WEBSITE, text="Night deploy"),
            entry(9, SARAH, ACME, "2026-09-10T09:00", "2026-09-10T11:00", projects_id=FINISHED, billable=2),
        ],
        absences=[
            {
                "id": 1,
                "users_id": WORKER,
                "date_since": "2026-11-05",
                "date_until": "2026-11-06",
                "status": 1,
                "type": 1,
                "note": "Family visit",
                "public_note": None,
                "sick_note": None,
                "count_days": 2.0,
                "count_hours": None,
                "date_enquired": "2026-10-01",
                "date_approved": "2026-10-02",
                "approved_by": OWNER,
            },
            {
                "id": 2,
                "users_id": SARAH,
                "date_since": "2026-12-21",
                "date_until": "2026-12-23",
                "status": 0,
                "type": 1,
                "note": "Christmas",
                "public_note": "Away",
                "sick_note": None,
                "count_days": 2.0,
                "count_hours": None,
                "date_enquired": "2026-11-01",
                "date_approved": None,
                "approved_by": None,
            },
            {
                "id": 3,
                "users_id": WORKER,
                "date_since": "2026-10-01",
                "date_until": "2026-10-01",
                "status": 1,
                "type": 4,
                "note": None,
                "public_note": None,
                "sick_note": True,
                "count_days": 1.0,
                "count_hours": None,
                "date_enquired": "2026-10-01",
                "date_approved": "2026-10-01",
                "approved_by": OWNER,
            },
        ],
        target_hours=[
            {
                "id": 1,
                "users_id": WORKER,
                "type": "weekly",
                "date_since": "2026-01-01",
                "date_until": None,
                "surcharge_models_id": None,
                "test_data": False,
                "monday": 8,
                "tuesday": 8,
                "wednesday": 8,
                "thursday": 8,
                "friday": 8,
                "saturday": 0,
                "sunday": 0,
                "absence_fixed_credit": False,
                "compensation_daily": 0,
                "compensation_monthly": 0,
            },
            {
                "id": 2,
                "users_id": SARAH,
                "type": "weekly",
                "date_since": "2025-01-01",
                "date_until": None,
                "surcharge_models_id": None,
                "test_data": False,
                "monday": 8,
                "tuesday": 8,
                "wednesday": 8,
                "thursday": 8,
                "friday": 0,
                "saturday": 0,
                "sunday": 0,
                "absence_fixed_credit": False,
                "compensation_daily": 0,
                "compensation_monthly": 0,
            },
        ],
        holidays_quota=[
            {"id": 1, "users_id": WORKER, "year_since": 2026, "year_until": 2026, "count": 30.0, "note": None},
            {"id": 2, "users_id": SARAH, "year_since": 2020, "year_until": None, "count": 28.0, "note": None},
        ],
        nonbusiness_groups=[{"id": 1, "name": "Berlin", "company_default": True}],
        nonbusiness_days=[
            {
                "id": 1,
                "nonbusiness_group_id": 1,
                "type": "DISTINCT_RECURRING",
                "name": "New Year's Day",
                "half_day": False,
                "surcharge_special": True,
                "evaluated_date": "2026-01-01",
                "day": 1,
                "month": 1,
            },
            {
                "id": 2,
                "nonbusiness_group_id": 1,
                "type": "SPECIAL",
                "name": "Good Friday",
                "half_day": False,
                "surcharge_special": True,
                "evaluated_date": "2026-04-03",
                "special_id": 1,
            },
            {
                "id": 3,
                "nonbusiness_group_id": 1,
                "type": "DISTINCT_RECURRING",
                "name": "German Unity Day",
                "half_day": False,
                "surcharge_special": True,
                "evaluated_date": "2026-10-03",
                "day": 3,
                "month": 10,
            },
            {
                "id": 4,
                "nonbusiness_group_id": 1,
                "type": "DISTINCT_RECURRING",
                "name": "Christmas Eve",
                "half_day": True,
                "surcharge_special": False,
                "evaluated_date": "2026-12-24",
                "day": 24,
                "month": 12,
            },
            {
                "id": 5,
                "nonbusiness_group_id": 1,
                "type": "DISTINCT_RECURRING",
                "name": "Christmas Day",
                "half_day": False,
                "surcharge_special": True,
                "evaluated_date": "2026-12-25",
                "day": 25,
                "month": 12,
            },
            # The same recurring holiday listed again for another year must not count twice.
            {
                "id": 6,
                "nonbusiness_group_id": 1,
                "type": "DISTINCT_RECURRING",
                "name": "Christmas Day",
                "half_day": False,
                "surcharge_special": True,
                "evaluated_date": "2025-12-25",
                "day": 25,
                "month": 12,
            },
        ],
    )


def headers(email: str, key: str) -> dict[str, str]:
    """Clockodo's auth headers plus the client identification."""
    return {"X-ClockodoApiUser": email, "X-ClockodoApiKey": key, **APP_HEADER}


@pytest.fixture
def clock() -> list[datetime]:
    """The frozen time; tests move it by replacing `clock[0]`."""
    return [NOW]


@pytest.fixture
def app(clock: list[datetime]) -> Starlette:
    """The fake over the test company."""
    return create_app(make_dataset(), now=lambda: clock[0])


@pytest.fixture
def store(app: Starlette) -> Store:
    """The app's in-memory store."""
    result: Store = app.state.store
    return result


ClientFactory = Callable[[dict[str, str]], httpx.AsyncClient]


@pytest.fixture
async def client_for(app: Starlette) -> AsyncIterator[ClientFactory]:
    """Clients with any headers, closed after the test."""
    clients: list[httpx.AsyncClient] = []

    def make(extra: dict[str, str]) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fake/api", headers=extra)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def owner(client_for: ClientFactory) -> httpx.AsyncClient:
    """The owner's client."""
    return client_for(headers(OWNER_EMAIL, OWNER_KEY))


@pytest.fixture
def worker(client_for: ClientFactory) -> httpx.AsyncClient:
    """The worker's client (Tom, users_id 2)."""
    return client_for(headers(WORKER_EMAIL, WORKER_KEY))


@pytest.fixture
def sarah(client_for: ClientFactory) -> httpx.AsyncClient:
    """Sarah's client (worker, users_id 3)."""
    return client_for(headers(SARAH_EMAIL, SARAH_KEY))


def general_error(body: Any) -> dict[str, Any]:
    """Assert GeneralErrors shape and return its first item."""
    assert set(body) == {"errors"}, body
    item = body["errors"][0]
    assert set(item) == {"type", "message", "details", "path"}, item
    return dict(item)


def simple_error(body: Any) -> dict[str, Any]:
    """Assert SimpleErrorResponses shape and return the error object."""
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return dict(body["error"])


def typed_errors(body: Any) -> dict[str, Any]:
    """Assert the typed 422 shape and return the first typed error."""
    assert set(body) == {"errors"}, body
    item = body["errors"][0]
    assert set(item) == {"error"}, item
    assert set(item["error"]) == {"type", "message", "path", "details"}, item
    return dict(item["error"])
