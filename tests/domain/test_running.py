"""Running timers: found in a few requests however old, and taken back out of entry groups exactly."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from clockodo_mcp.clockodo import Billable, ClockodoClient, Entry, EntryFilter
from clockodo_mcp.domain.groups import Leaf, without_running
from clockodo_mcp.domain.running import (
    LOOKBACK_DAYS,
    Timers,
    completed,
    find_timers,
    is_running,
    may_count_timers,
)
from clockodo_mcp.fake import OWNER_EMAIL, OWNER_KEY
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.dataset import Dataset
from tests.fake.conftest import ACME, NOW, PHOENIX, SARAH, WEBSITE, WORKER, entry, make_dataset

BERLIN = ZoneInfo("Europe/Berlin")


def running_entry(**fields: Any) -> Entry:
    values: dict[str, Any] = {
        "id": 7,
        "customers_id": 1,
        "projects_id": 10,
        "users_id": 3,
        "services_id": 31,
        "billable": 1,
        "time_since": datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
        "time_until": None,
        "hourly_rate": 110.0,
        **fields,
    }
    return Entry.model_validate(values)


def leaf(seconds: int, revenue: float, **keys: str) -> Leaf:
    return Leaf(keys=dict(keys), names={}, seconds=seconds, revenue=revenue)


def test_a_running_timer_is_not_completed_work_but_lump_sums_and_stopped_entries_are() -> None:
    timer = running_entry()
    stopped = running_entry(id=8, time_until=datetime(2026, 11, 24, 9, 0, tzinfo=UTC), duration=3600)
    lump = running_entry(id=9, type=2, lumpsum=250.0, time_until=None)
    assert [is_running(e) for e in (timer, stopped, lump)] == [True, False, False]
    assert completed([timer, stopped, lump]) == [stopped, lump]


def test_the_timer_comes_out_of_the_one_leaf_it_was_counted_in() -> None:
    timer = running_entry()  # 4 h at 12:00, 110/h → 440.00
    found = [
        leaf(7200 + 4 * 3600, 240.0 + 440.0, projects_id="10", users_id="3", billable="1", day="2026-11-24"),
        leaf(3600, 120.0, projects_id="10", users_id="2", billable="1", day="2026-11-24"),
        leaf(3600, 110.0, projects_id="10", users_id="3", billable="1", day="2026-11-23"),
    ]

    result = without_running(found, [timer], NOW, BERLIN)

    assert [(x.seconds, x.revenue) for x in result] == [(7200, 240.0), (3600, 120.0), (3600, 110.0)]
    assert found[0].seconds == 7200 + 4 * 3600, "the input is not changed"


@pytest.mark.parametrize(
    ("grouping", "key"),
    [("month", "2026-11"), ("week", "2026-W48"), ("year", "2026"), ("day", "2026-11-24")],
)
def test_date_groups_are_matched_by_the_local_day_the_timer_started(grouping: str, key: str) -> None:
    timer = running_entry()
    other = {"month": "2026-10", "week": "2026-W47", "year": "2025", "day": "2026-11-23"}[grouping]
    found = [leaf(5 * 3600, 550.0, **{grouping: other}), leaf(4 * 3600, 440.0, **{grouping: key})]

    result = without_running(found, [timer], NOW, BERLIN)

    assert [(x.keys[grouping], x.seconds) for x in result] == [(other, 5 * 3600)], "the emptied leaf is dropped"


def test_an_entry_without_project_matches_the_without_project_group() -> None:
    timer = running_entry(projects_id=None)
    result = without_running([leaf(4 * 3600 + 60, 440.0, projects_id="0")], [timer], NOW, BERLIN)
    assert [(x.seconds, x.revenue) for x in result] == [(60, 0.0)]


def test_what_is_taken_out_never_exceeds_the_leaf_and_withheld_revenue_is_left_alone() -> None:
    timer = running_entry()
    capped = without_running([leaf(3600, 50.0, users_id="3")], [timer], NOW, BERLIN)
    assert capped == []  # Clockodo's clock was a little behind ours: the leaf empties, it never goes negative
    withheld = without_running([leaf(5 * 3600, 300.0, users_id="3")], [timer], NOW, BERLIN, valued=lambda e: False)
    assert [(x.seconds, x.revenue) for x in withheld] == [(3600, 300.0)]


def test_a_not_billable_timer_takes_out_time_but_no_money() -> None:
    timer = running_entry(billable=Billable.NOT_BILLABLE)
    result = without_running([leaf(5 * 3600, 0.0, billable="0")], [timer], NOW, BERLIN)
    assert [(x.seconds, x.revenue) for x in result] == [(3600, 0.0)]


def test_timers_matching_a_request_follow_its_window_and_filter() -> None:
    timer = running_entry()
    timers = Timers((timer,), NOW, NOW - timedelta(days=30))
    day = (datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC))
    assert timers.matching(*day) == (timer,)
    assert timers.matching(*day, EntryFilter(projects_id=11)) == ()
    assert timers.matching(*day, EntryFilter(billable=2)) == ()
    assert timers.matching(*day, users={2}) == ()
    assert timers.matching(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)) == ()


def test_requests_older_than_the_lookback_need_no_timer_lookup() -> None:
    old_end = NOW - timedelta(days=LOOKBACK_DAYS + 2)
    assert not may_count_timers(old_end - timedelta(days=30), old_end, NOW)
    assert may_count_timers(NOW - timedelta(days=3), NOW, NOW)
    assert not may_count_timers(NOW + timedelta(days=1), NOW + timedelta(days=2), NOW)


# -- the lookup against the fake ---------------------------------------------------------------------------------


def with_timers(*started: datetime) -> Dataset:
    """The small company with its own running timer replaced by timers started at the given instants."""
    data = make_dataset()
    kept = [e for e in data.entries if e.time_until is not None]
    users = (SARAH, WORKER)
    timers = [
        entry(100 + i, users[i % 2], ACME, since.strftime("%Y-%m-%dT%H:%M"), None, projects_id=WEBSITE)
        for i, since in enumerate(started)
    ]
    return dataclasses.replace(data, entries=kept + timers)


@pytest.fixture
def connect() -> Any:
    def make(dataset: Dataset) -> ClockodoClient:
        return ClockodoClient(
            api_user=OWNER_EMAIL,
            api_key=OWNER_KEY,
            app_name="tests",
            app_email="tests@example.com",
            base_url="http://fake.test/api",
            transport=httpx.ASGITransport(app=create_app(dataset, now=lambda: NOW)),
        )

    return make


async def test_a_timer_started_this_morning_costs_three_concurrent_requests(connect: Any) -> None:
    async with connect(with_timers(NOW - timedelta(hours=3))) as client:
        timers = await find_timers(client, NOW)
        assert [e.id for e in timers.entries] == [100]
        assert client.request_count == 3


@pytest.mark.parametrize("age", [timedelta(hours=27), timedelta(days=6, hours=2), timedelta(days=20)])
async def test_a_forgotten_timer_is_found_with_one_more_request(connect: Any, age: timedelta) -> None:
    started = [NOW - age, NOW - timedelta(hours=1)]
    async with connect(with_timers(*started)) as client:
        timers = await find_timers(client, NOW)
        assert [e.id for e in timers.entries] == [100, 101]
        assert client.request_count == 4


async def test_a_timer_older_than_the_lookback_is_not_seen(connect: Any) -> None:
    async with connect(with_timers(NOW - timedelta(days=LOOKBACK_DAYS + 3))) as client:
        timers = await find_timers(client, NOW)
        assert timers.entries == ()
        assert timers.seen_since > NOW - timedelta(days=LOOKBACK_DAYS + 3)


async def test_a_scoped_lookup_only_sees_the_timers_in_its_scope(connect: Any) -> None:
    started = [NOW - timedelta(days=3), NOW - timedelta(hours=1)]  # Sarah's and Tom's, both on Website Redesign
    async with connect(with_timers(*started)) as client:
        on_phoenix = await find_timers(client, NOW, scope=EntryFilter(projects_id=PHOENIX, billable=Billable.BILLED))
        toms = await find_timers(client, NOW, scope=EntryFilter(users_id=WORKER))
        design_team = await find_timers(client, NOW, scope=EntryFilter(teams_id=2))

    assert on_phoenix.entries == ()
    assert [e.users_id for e in toms.entries] == [WORKER]
    # The listing cannot filter by team, the entry groups can: Sarah's old timer is found, Tom's recent one is
    # listed too and left to `matching` (users=members) to drop.
    assert SARAH in {e.users_id for e in design_team.entries}
