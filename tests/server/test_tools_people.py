"""list_users, list_absences, utilization and absence_queue against the fake, checked against its raw records."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest

from tests.server.conftest import NOW, TODAY, call, call_error
from tests.server.expected import TIMER_LOOKUP_REQUESTS, id_of, seconds_of, window

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
QUARTER = (date(2026, 10, 1), date(2026, 12, 31))
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def store_of(fake_app: Any) -> Any:
    return fake_app.state.store


def day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def user_id(store: Any, name: str) -> int:
    return id_of(store.users, name)


def expected_target(store: Any, uid: int, start: date, end: date) -> float:
    """Target hours the way Clockodo defines them, recomputed day by day from the raw records."""
    user = store.users[uid]
    rows = [r for r in store.target_hours.values() if r["users_id"] == uid]
    off = {day(d["evaluated_date"]): 0.5 if d.get("half_day") else 1.0 for d in store.nonbusiness_days.values()}
    approved = [
        a for a in store.absences.values() if a["users_id"] == uid and a["status"] == 1 and a["type"] not in (8, 9)
    ]
    first = max(start, day(user.get("start_date")) or start)
    last = min(end, day(user.get("exit_date")) or end)
    total = 0.0
    current = first
    while current <= last:
        row = next(
            (
                r
                for r in rows
                if day(r["date_since"]) <= current and (r["date_until"] is None or current <= day(r["date_until"]))
            ),
            None,
        )
        hours = float(row[WEEKDAYS[current.weekday()]] or 0.0) if row else 0.0
        hours *= 1 - off.get(current, 0.0)
        for a in approved:
            if day(a["date_since"]) <= current <= day(a["date_until"] or a["date_since"]):
                if a["type"] == 3:
                    hours -= min(hours, a["count_hours"])
                else:
                    hours *= 0.5 if a.get("half_day") else 0.0
        total += hours
        current += timedelta(days=1)
    return total


def expected_worked(store: Any, uid: int, start: date, end: date) -> tuple[float, float]:
    """(worked hours, billable hours) of a user in [start, end]: completed entries only."""
    since, until = window(start, end)
    entries = [
        e
        for e in store.entries
        if e.users_id == uid and since <= e.time_since < until and e.type == 1 and e.time_until is not None
    ]
    worked = sum(seconds_of(e, NOW) for e in entries) / 3600
    billable = sum(seconds_of(e, NOW) for e in entries if e.billable in (1, 2)) / 3600
    return worked, billable


def overlapping(store: Any, start: date, end: date) -> list[dict[str, Any]]:
    return [
        a
        for a in store.absences.values()
        if day(a["date_since"]) <= end and day(a["date_until"] or a["date_since"]) >= start
    ]


# -- list_users ------------------------------------------------------------------------------------------


async def test_list_users_shows_team_role_and_weekly_target_hours(mcp_client, fake_app):
    store = store_of(fake_app)
    active = [u for u in store.users.values() if u["active"]]
    teams = {t["id"]: t["name"] for t in store.teams.values()}

    result = await call(mcp_client, "list_users", limit=120)

    assert result["paging"] == {"total": len(active), "offset": 0, "returned": len(active), "next": None}
    rows = {u["id"]: u for u in result["users"]}
    for user in active:
        row = rows[user["id"]]
        target_row = next(r for r in store.target_hours.values() if r["users_id"] == user["id"])
        assert row["weekly_target_hours"] == sum(target_row[d] for d in WEEKDAYS), user["name"]
        assert row["team"] == teams[user["teams_id"]]
        assert row["role"] == user["role"]
    assert rows[user_id(store, "Felix Braun")]["weekly_target_hours"] == 32.0
    assert rows[user_id(store, "Mia Schulz")]["weekly_target_hours"] == 30.0


async def test_list_users_of_a_team_including_inactive_people(mcp_client, fake_app):
    store = store_of(fake_app)
    dev = id_of(store.teams, "Development")
    expected = sorted(u["name"] for u in store.users.values() if u["teams_id"] == dev)

    result = await call(mcp_client, "list_users", team="development", active="all")

    assert [u["name"] for u in result["users"]] == expected
    assert any(not u["active"] for u in result["users"]), "Jan Kowalski has left"


# -- list_absences ---------------------------------------------------------------------------------------


async def test_list_absences_of_a_month_with_days_per_type(mcp_client, fake_app):
    store = store_of(fake_app)
    expected = overlapping(store, *NOVEMBER)
    days: dict[int, float] = {}
    for a in expected:
        if a["type"] != 3:
            days[a["type"]] = days.get(a["type"], 0.0) + a["count_days"]

    result = await call(mcp_client, "list_absences", period="this_month", limit=80)

    assert {a["id"] for a in result["absences"]} == {a["id"] for a in expected}
    assert result["paging"]["total"] == len(expected)
    names = {1: "regular_holiday", 2: "special_leave", 4: "sick_self", 8: "home_office"}
    assert result["days_by_type"] == pytest.approx({names[t]: v for t, v in days.items()})
    first = result["absences"][0]
    assert first["status"] in ("approved", "pending", "declined", "approval_cancelled", "request_cancelled")
    assert first["type"] in names.values()


async def test_list_absences_filters_by_user_type_and_status(mcp_client, fake_app):
    store = store_of(fake_app)
    sarah = user_id(store, "Sarah Chen")
    expected = [
        a
        for a in store.absences.values()
        if a["users_id"] == sarah
        and a["type"] == 1
        and a["status"] == 0
        and "2026" in (a["date_since"][:4], a["date_until"][:4])
    ]

    result = await call(
        mcp_client, "list_absences", year=2026, user="Sarah Chen", type=["regular_holiday"], status=["enquired"]
    )

    assert [a["id"] for a in result["absences"]] == [a["id"] for a in expected]
    (row,) = result["absences"]
    assert row["status"] == "pending"
    assert row["type"] == "regular_holiday"
    assert row["days"] == 5.0


async def test_list_absences_of_a_team_in_a_date_range(mcp_client, fake_app):
    store = store_of(fake_app)
    qa = id_of(store.teams, "QA")
    members = {u["id"] for u in store.users.values() if u["teams_id"] == qa}
    expected = [a for a in overlapping(store, date(2026, 9, 1), date(2026, 12, 31)) if a["users_id"] in members]

    result = await call(mcp_client, "list_absences", team="QA", period={"from": "2026-09-01", "to": "2026-12-31"})

    assert {a["id"] for a in result["absences"]} == {a["id"] for a in expected}


# -- utilization -----------------------------------------------------------------------------------------


async def test_utilization_compares_design_and_development_this_quarter(mcp_client, fake_app):
    store = store_of(fake_app)

    result = await call(mcp_client, "utilization", period="this_quarter")

    assert result["target_until"] == TODAY.isoformat()
    teams = {t["name"]: t for t in result["teams"]}
    for name in ("Design", "Development"):
        tid = id_of(store.teams, name)
        members = [u["id"] for u in store.users.values() if u["teams_id"] == tid]
        target = sum(expected_target(store, uid, QUARTER[0], TODAY) for uid in members)
        worked = [expected_worked(store, uid, *QUARTER) for uid in members]
        billable = sum(b for _, b in worked)
        assert teams[name]["target_hours"] == pytest.approx(target, abs=0.05), name
        assert teams[name]["billable_hours"] == pytest.approx(billable, abs=0.05), name
        assert teams[name]["worked_hours"] == pytest.approx(sum(w for w, _ in worked), abs=0.05), name
        assert teams[name]["utilization_pct"] == pytest.approx(billable / target * 100, abs=0.06), name
        assert teams[name]["billable_share_pct"] == pytest.approx(
            billable / sum(w for w, _ in worked) * 100, abs=0.06
        ), name
    assert "Design" in result["summary"]
    assert "Development" in result["summary"]


async def test_utilization_per_employee_matches_the_records(mcp_client, fake_app):
    store = store_of(fake_app)

    result = await call(mcp_client, "utilization", period="last_month", team="Development")

    october = (date(2026, 10, 1), date(2026, 10, 31))
    for row in result["users"]:
        worked, billable = expected_worked(store, row["id"], *october)
        target = expected_target(store, row["id"], *october)
        assert row["target_hours"] == pytest.approx(target, abs=0.05), row["name"]
        assert row["billable_hours"] == pytest.approx(billable, abs=0.05), row["name"]
        assert row["worked_hours"] == pytest.approx(worked, abs=0.05), row["name"]
        if target:
            assert row["utilization_pct"] == pytest.approx(billable / target * 100, abs=0.06), row["name"]
    assert result["users"][0]["name"] == "Lukas Hoffmann", "the under-utilized developer comes first"
    assert [t["name"] for t in result["teams"]] == ["Development"]


async def test_public_holidays_and_absences_reduce_the_target(mcp_client, fake_app):
    store = store_of(fake_app)
    tom = user_id(store, "Tom Becker")

    result = await call(mcp_client, "utilization", period="2026-05", user="Tom Becker")

    (row,) = result["users"]
    assert row["id"] == tom
    assert row["holiday_hours"] == 24.0  # Labour Day, Ascension Day, Whit Monday
    assert row["planned_hours"] - row["holiday_hours"] - row["absence_hours"] == pytest.approx(row["target_hours"])
    assert row["target_hours"] == pytest.approx(expected_target(store, tom, date(2026, 5, 1), date(2026, 5, 31)))


async def test_utilization_needs_three_requests_and_the_timer_lookup_whatever_the_number_of_people(mcp_client, runtime):
    await call(mcp_client, "utilization", period="this_month")  # warms the master-data cache (target hours too)
    before = runtime.client.request_count

    await call(mcp_client, "utilization", period="this_month")

    assert runtime.client.request_count - before == 3 + TIMER_LOOKUP_REQUESTS


async def test_utilization_by_week_gives_each_rows_percentage_per_iso_week_from_the_records(mcp_client, fake_app):
    store = store_of(fake_app)

    result = await call(mcp_client, "utilization", period="last_month", team="Development", by_week=True)

    october = (date(2026, 10, 1), date(2026, 10, 31))
    assert result["weeks"] == ["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"]
    for row in result["users"]:
        assert len(row["weeks_pct"]) == 5, row["name"]
        for i, pct in enumerate(row["weeks_pct"]):
            monday = date(2026, 9, 28) + timedelta(weeks=i)
            first, last = max(monday, october[0]), min(monday + timedelta(days=6), october[1])
            _, billable = expected_worked(store, row["id"], first, last)
            target = expected_target(store, row["id"], first, last)
            assert pct == (round(billable / target * 100) if target else None), (row["name"], i)
    assert len(result["teams"][0]["weeks_pct"]) == len(result["total"]["weeks_pct"]) == 5
    plain = await call(mcp_client, "utilization", period="last_month", team="Development")
    assert "weeks" not in plain
    assert "weeks_pct" not in plain["users"][0]
    assert {k: v for k, v in result.items() if k not in ("weeks", "users", "teams", "total")} == {
        k: v for k, v in plain.items() if k not in ("users", "teams", "total")
    }


async def test_utilization_by_week_refuses_a_period_of_more_than_54_weeks(mcp_client):
    message = await call_error(
        mcp_client, "utilization", period={"from": "2025-01-01", "to": "2026-06-30"}, by_week=True
    )
    assert "at most 54 weeks" in message


async def test_a_future_period_has_no_target_yet(mcp_client):
    result = await call(mcp_client, "utilization", period="2027-02")
    assert result["target_until"] is None
    assert result["total"]["utilization_pct"] is None


# -- absence_queue ---------------------------------------------------------------------------------------


async def test_absence_queue_lists_pending_requests_oldest_first_with_age(mcp_client, fake_app):
    store = store_of(fake_app)
    pending = [a for a in store.absences.values() if a["status"] == 0]
    ages = {a["id"]: (TODAY - day(a["date_enquired"])).days for a in pending}

    result = await call(mcp_client, "absence_queue", limit=50)

    assert {r["absence"]["id"]: r["age_days"] for r in result["requests"]} == ages
    assert [r["age_days"] for r in result["requests"]] == sorted(ages.values(), reverse=True)
    assert result["paging"]["total"] == len(pending)


async def test_absence_queue_shows_overlaps_and_the_holiday_quota_left(mcp_client, fake_app):
    store = store_of(fake_app)
    sarah, jonas = user_id(store, "Sarah Chen"), user_id(store, "Jonas Wagner")
    request = next(a for a in store.absences.values() if a["users_id"] == sarah and a["status"] == 0)
    year = day(request["date_since"]).year
    quota = next(q["count"] for q in store.holidays_quota.values() if q["users_id"] == sarah)
    taken = sum(
        a["count_days"]
        for a in store.absences.values()
        if a["users_id"] == sarah and a["status"] == 1 and a["type"] == 1 and day(a["date_since"]).year == year
    )

    result = await call(mcp_client, "absence_queue", user="Sarah Chen")

    (row,) = result["requests"]
    assert row["absence"]["id"] == request["id"]
    assert [o["users_id"] for o in row["overlaps"]] == [jonas]
    assert row["overlap_count"] == 1
    assert row["holiday_quota"] == quota
    assert row["holidays_taken"] == pytest.approx(taken)
    assert row["holidays_remaining"] == pytest.approx(quota - taken)
    assert row["remaining_if_approved"] == pytest.approx(quota - taken - request["count_days"])


async def test_absence_queue_filters_by_age(mcp_client, fake_app):
    store = store_of(fake_app)
    old = {a["id"] for a in store.absences.values() if a["status"] == 0 and (TODAY - day(a["date_enquired"])).days >= 9}

    result = await call(mcp_client, "absence_queue", min_age_days=9, limit=50)

    assert {r["absence"]["id"] for r in result["requests"]} == old


# -- bad input and workers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("utilization", {"period": "this_quarter", "user": "Sarah"}, "Sarah Chen"),
        ("utilization", {"period": "this_quarter", "team": "Sales"}, "No team matches"),
        ("utilization", {"period": "someday"}, "Cannot understand the period"),
        ("utilization", {"period": {"from": "2026-11-30", "to": "2026-11-01"}}, "Swap 'from' and 'to'"),
        ("utilization", {"period": "this_month", "limit": 0}, "limit"),
        ("list_absences", {"period": "this_month", "year": 2026}, "either period or year"),
        ("list_absences", {"status": ["maybe"]}, "status"),
        ("list_absences", {"year": 1999}, "year"),
        ("list_users", {"offset": 500}, "offset 500 is past the end"),
        ("absence_queue", {"user": "Nobody Here"}, "No user matches"),
    ],
)
async def test_bad_people_arguments_are_tool_errors(mcp_client, tool, arguments, message):
    assert message in await call_error(mcp_client, tool, **arguments)


async def test_ambiguous_names_list_every_candidate(mcp_client):
    message = await call_error(mcp_client, "absence_queue", user="Sarah")
    assert "Sarah Chen" in message
    assert "Sarah Miller" in message


async def test_a_worker_asking_for_someone_elses_utilization_gets_clockodos_403(worker_client):
    message = await call_error(worker_client, "utilization", period="this_month", user="Sarah Chen")
    assert "403" in message
    assert "worker" in message.lower()


async def test_a_worker_asking_for_someone_elses_absences_gets_clockodos_403(worker_client):
    message = await call_error(worker_client, "list_absences", user="Sarah Chen")
    assert "403" in message


async def test_a_worker_sees_their_own_utilization(worker_client, fake_app):
    store = store_of(fake_app)
    tom = user_id(store, "Tom Becker")
    _, billable = expected_worked(store, tom, *NOVEMBER)

    result = await call(worker_client, "utilization", period="this_month", user="Tom Becker")

    assert result["users"][0]["billable_hours"] == pytest.approx(billable, abs=0.05)
    assert math.isclose(
        result["users"][0]["target_hours"], expected_target(store, tom, NOVEMBER[0], TODAY), abs_tol=0.05
    )


def test_a_week_group_in_an_unknown_format_fails_the_weekly_split_instead_of_counting_zero():
    from clockodo_mcp.clockodo import ClockodoUnexpectedResponseError, Grouping
    from clockodo_mcp.domain.groups import Leaf
    from clockodo_mcp.domain.people import worked_by_week

    week, users = Grouping.WEEK.value, Grouping.USERS_ID.value
    assert worked_by_week([Leaf({users: "4", week: "2026-W47"}, {}, 3600, 0.0)]) == {(4, "2026-W47"): (3600, 0)}
    with pytest.raises(ClockodoUnexpectedResponseError, match="'week 47'"):
        worked_by_week([Leaf({users: "4", week: "week 47"}, {}, 3600, 0.0)])


async def test_absence_queue_gives_the_public_holidays_of_the_months_its_requests_touch(mcp_client, fake_app):
    result = await call(mcp_client, "absence_queue", limit=50)
    months = set()
    for row in result["requests"]:
        first, last = row["absence"]["date_since"], row["absence"]["date_until"]
        months |= {first[:7], last[:7]}
    expected = sorted(
        (d["evaluated_date"], d["name"])
        for d in fake_app.state.store.nonbusiness_days.values()
        if d["evaluated_date"] and d["evaluated_date"][:7] in months
    )

    assert [(h["date"], h["name"]) for h in result["nonbusiness_days"]] == expected
    assert ("2026-12-25", "Christmas Day") in expected
