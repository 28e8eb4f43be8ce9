"""Our client against our fake — two independent implementations of Clockodo's contract — in process and over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from clockodo_mcp.clockodo import (
    AbsenceStatus,
    AbsenceType,
    Billable,
    ClockodoAuthenticationError,
    ClockodoClient,
    ClockodoForbiddenError,
    ClockodoNotFoundError,
    ClockodoUnexpectedResponseError,
    ClockodoValidationError,
    EntryFilter,
    EntryGroupChanges,
    EntryType,
    EntryUpdate,
    Grouping,
    NewTimeEntry,
    RetryPolicy,
)
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY, seed
from clockodo_mcp.fake.faults import FaultConfig
from clockodo_mcp.fake.server import BackgroundFakeServer

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
MONTH = (datetime(2026, 10, 31, 23, 0, tzinfo=UTC), datetime(2026, 11, 30, 23, 0, tzinfo=UTC))


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture(params=["asgi", "loopback"])
def fake(request: pytest.FixtureRequest) -> Iterator[tuple[Any, str, httpx.AsyncBaseTransport | None]]:
    """(app, base_url, transport): in process via ASGITransport, or a real uvicorn on 127.0.0.1."""
    faults = FaultConfig()
    dataset = seed(seed=7, today=TODAY)
    if request.param == "asgi":
        app = create_app(dataset, faults=faults, now=lambda: NOW)
        yield app, "http://fake.test/api", httpx.ASGITransport(app=app)
    else:
        with BackgroundFakeServer(dataset, faults=faults, now=lambda: NOW) as server:
            yield server.app, server.base_url, None


def connect(
    fake: tuple[Any, str, httpx.AsyncBaseTransport | None], user: str = OWNER_EMAIL, key: str = OWNER_KEY
) -> ClockodoClient:
    _, base_url, transport = fake
    return ClockodoClient(
        api_user=user,
        api_key=key,
        app_name="tests",
        app_email="tests@example.com",
        base_url=base_url,
        transport=transport,
        sleep=no_sleep,
    )


@pytest.fixture
async def owner(fake: Any) -> AsyncIterator[ClockodoClient]:
    async with connect(fake) as client:
        yield client


async def test_the_current_user_and_company_come_back_typed(owner):
    me = await owner.users.me()
    company = await owner.users.company()
    assert me.email == OWNER_EMAIL
    assert me.timezone == "Europe/Berlin"
    assert company is not None
    assert company.currency == "EUR"


async def test_master_data_lists_parse(owner):
    customers = await owner.customers.all()
    projects = await owner.projects.all()
    users = await owner.users.all()
    assert any(c.name == "Client XYZ" for c in customers)
    phoenix = next(p for p in projects if p.name == "Phoenix")
    assert phoenix.budget is not None
    assert phoenix.budget.amount == 100
    assert {"Sarah Chen", "Sarah Miller"} <= {u.name for u in users}
    assert await owner.teams.all()
    assert await owner.services.all()
    assert await owner.lump_sum_services.all()


async def test_all_entries_of_a_month_page_completely_and_match_the_store(owner, fake):
    store = fake[0].state.store
    expected = [e.id for e in store.entries if MONTH[0] <= e.time_since < MONTH[1]]
    seen = [e.id async for e in owner.entries.iter(*MONTH, items_per_page=200)]
    assert sorted(seen) == sorted(expected)
    page = await owner.entries.page(*MONTH, items_per_page=200, page=2)
    assert page.paging.count_items == len(expected)
    assert page.paging.count_pages == -(-len(expected) // 200)


async def test_billable_12_filter_returns_billable_and_billed(owner, fake):
    store = fake[0].state.store
    expected = {e.id for e in store.entries if MONTH[0] <= e.time_since < MONTH[1] and e.billable in (1, 2)}
    got = {e.id async for e in owner.entries.iter(*MONTH, filter=EntryFilter(billable=12))}
    assert got == expected


async def test_entry_groups_sum_the_raw_durations(owner, fake):
    store = fake[0].state.store
    groups = await owner.entry_groups.get(
        *MONTH, grouping=[Grouping.USERS_ID], filter=EntryFilter(billable=Billable.BILLABLE)
    )
    expected: dict[int, int] = {}
    for e in store.entries:
        if MONTH[0] <= e.time_since < MONTH[1] and e.billable == 1 and e.type == 1:
            seconds = e.duration if e.time_until is not None else int((NOW - e.time_since).total_seconds())
            expected[e.users_id] = expected.get(e.users_id, 0) + (seconds or 0)
    assert {int(g.group): g.duration for g in groups} == expected


async def test_create_update_delete_an_entry_round_trip(owner):
    services = await owner.services.all()
    customers = await owner.customers.all()
    xyz = next(c for c in customers if c.name == "Client XYZ")
    created = await owner.entries.create(
        NewTimeEntry(
            customers_id=xyz.id,
            services_id=services[0].id,
            billable=1,
            time_since=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
            time_until=datetime(2026, 11, 21, 10, 30, tzinfo=UTC),
            text="client test",
        )
    )
    assert created.type == EntryType.TIME
    assert created.duration == 5400
    assert created.hourly_rate == 110  # Client XYZ's rate rule, stamped by the fake
    updated = await owner.entries.update(created.id, EntryUpdate(text="edited", billable=Billable.BILLED))
    assert updated.text == "edited"
    assert updated.billable == Billable.BILLED
    await owner.entries.delete(created.id)
    with pytest.raises(ClockodoNotFoundError):
        await owner.entries.get(created.id)


async def test_two_step_mass_edit_marks_entries_billed_and_refuses_a_stale_key(owner, fake):
    customers = await owner.customers.all()
    xyz = next(c for c in customers if c.name == "Client XYZ")
    selection = EntryFilter(customers_id=xyz.id, billable=Billable.BILLABLE)
    preview = await owner.entry_groups.preview_update(
        *MONTH, changes=EntryGroupChanges(billable=Billable.BILLED), filter=selection
    )
    assert preview.affected_entries > 0
    stale = await owner.entry_groups.preview_update(
        *MONTH, changes=EntryGroupChanges(billable=Billable.BILLED), filter=selection
    )
    services = await owner.services.all()
    await owner.entries.create(  # any entry mutation makes outstanding keys stale
        NewTimeEntry(
            customers_id=xyz.id,
            services_id=services[0].id,
            billable=1,
            time_since=datetime(2026, 11, 20, 7, 0, tzinfo=UTC),
            time_until=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        )
    )
    with pytest.raises(ClockodoValidationError):
        await owner.entry_groups.confirm_update(
            *MONTH, changes=EntryGroupChanges(billable=Billable.BILLED), confirm_key=stale.confirm_key, filter=selection
        )
    fresh = await owner.entry_groups.preview_update(
        *MONTH, changes=EntryGroupChanges(billable=Billable.BILLED), filter=selection
    )
    edited = await owner.entry_groups.confirm_update(
        *MONTH, changes=EntryGroupChanges(billable=Billable.BILLED), confirm_key=fresh.confirm_key, filter=selection
    )
    assert edited == fresh.affected_entries
    left = [e async for e in owner.entries.iter(*MONTH, filter=selection)]
    assert left == []


async def test_the_clock_starts_stops_and_stops_the_previous_timer(owner):
    customers = await owner.customers.all()
    services = await owner.services.all()
    xyz = next(c for c in customers if c.name == "Client XYZ")
    first = await owner.clock.start(xyz.id, services[0].id, text="first")
    assert first.running is not None
    assert first.running.time_until is None
    second = await owner.clock.start(xyz.id, services[0].id, text="second")
    assert second.stopped is not None
    assert second.stopped.id == first.running.id
    assert second.running is not None
    stopped = await owner.clock.stop(second.running.id)
    assert stopped.stopped is not None
    assert stopped.stopped.time_until is not None
    assert (await owner.clock.get()).running is None


async def test_absences_can_be_requested_and_approved(owner):
    me = await owner.users.me()
    created = await owner.absences.create(
        date(2026, 12, 14), AbsenceType.REGULAR_HOLIDAY, users_id=me.id, date_until=date(2026, 12, 16)
    )
    assert created.count_days == 3
    approved = await owner.absences.update(created.id, status=AbsenceStatus.APPROVED)
    assert approved.status == AbsenceStatus.APPROVED
    listed = await owner.absences.list(year=2026, users_id=me.id)
    assert created.id in {a.id for a in listed}


async def test_time_accounts_and_reports_parse(owner):
    assert await owner.target_hours.list()
    assert await owner.holidays_quota.list(year=2026)
    assert await owner.nonbusiness_days.list(2026)
    assert await owner.rates.list()
    reports = await owner.user_reports.list(2026)
    assert all(r.users_id for r in reports)


async def test_a_wrong_key_is_an_authentication_error(fake):
    async with connect(fake, key="wrong") as client:
        with pytest.raises(ClockodoAuthenticationError):
            await client.users.me()


async def test_a_worker_gets_403_on_someone_elses_entries(fake):
    async with connect(fake, WORKER_EMAIL, WORKER_KEY) as worker:
        me = await worker.users.me()
        with pytest.raises(ClockodoForbiddenError):
            await worker.entries.page(*MONTH, filter=EntryFilter(users_id=me.id + 1 if me.id != 1 else 3))


async def test_a_429_with_retry_after_is_retried_transparently(owner, fake):
    fake_app = fake[0]
    fake_app.state.faults.inject("rate_limit", count=2, retry_after=1, path_prefix="/v3/customers")
    customers = await owner.customers.all()
    assert customers
    assert owner.request_count >= 3


async def test_a_5xx_is_retried_and_a_malformed_body_is_reported(fake):
    fake_app = fake[0]
    async with connect(fake) as client:
        fake_app.state.faults.inject("server_error", status=503, path_prefix="/v4/services")
        assert await client.services.all()
        fake_app.state.faults.inject("malformed_json", count=5, path_prefix="/v3/teams")
        with pytest.raises(ClockodoUnexpectedResponseError):
            await client.teams.all()


async def test_post_is_not_retried_after_a_server_error(fake):
    fake_app = fake[0]
    async with ClockodoClient(
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        app_name="t",
        app_email="t@example.com",
        base_url=fake[1],
        transport=fake[2],
        sleep=no_sleep,
        retry=RetryPolicy(max_attempts=3),
    ) as client:
        customers = await client.customers.all()
        services = await client.services.all()
        fake_app.state.faults.inject("server_error", status=503, path_prefix="/v2/entries")
        before = client.request_count
        with pytest.raises(Exception, match="503"):
            await client.entries.create(
                NewTimeEntry(
                    customers_id=customers[0].id,
                    services_id=services[0].id,
                    billable=0,
                    time_since=NOW - timedelta(hours=2),
                    time_until=NOW - timedelta(hours=1),
                )
            )
        assert client.request_count == before + 1
