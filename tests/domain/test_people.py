"""Target hours, utilization and the absence queue, on hand-made Clockodo records."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from clockodo_mcp.clockodo import Absence, EntryGroup, HolidaysQuota, NonbusinessDay, TargetHoursRow, Team, User
from clockodo_mcp.domain.masterdata import MasterData
from clockodo_mcp.domain.people import (
    absence_queue,
    build_utilization,
    current_row,
    holidays_taken,
    nonbusiness_fractions,
    quota_for,
    raw_target,
    status_name,
    target_hours,
    type_name,
    weekly_hours,
    worked_by_user,
)

TODAY = date(2026, 11, 24)  # a Tuesday
MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 27)


def weekly(users_id: int = 1, per_day: float = 8.0, **fields: Any) -> TargetHoursRow:
    days = dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), per_day)
    return TargetHoursRow.model_validate(
        {
            "id": users_id,
            "users_id": users_id,
            "type": "weekly",
            "date_since": "2020-01-01",
            "saturday": 0.0,
            "sunday": 0.0,
            **days,
            **fields,
        }
    )


def absence(
    aid: int, users_id: int, since: date, until: date | None = None, *, status: int = 1, kind: int = 1, **fields: Any
) -> Absence:
    return Absence.model_validate(
        {
            "id": aid,
            "users_id": users_id,
            "date_since": since,
            "date_until": until or since,
            "status": status,
            "type": kind,
            **fields,
        }
    )


def holiday(day: date, half: bool = False) -> NonbusinessDay:
    return NonbusinessDay(
        id=1, nonbusiness_group_id=1, type="DISTINCT_ONCE", name="Holiday", half_day=half, evaluated_date=day
    )


def test_names_for_statuses_and_types() -> None:
    assert status_name(0) == "pending"
    assert status_name(1) == "approved"
    assert status_name(4) == "request_cancelled"
    assert type_name(1) == "regular_holiday"
    assert type_name(3) == "overtime_reduction"
    assert type_name(None) is None


def test_weekly_row_gives_the_weekday_hours() -> None:
    row = weekly(per_day=6.0)
    assert raw_target(row, MONDAY) == 6.0
    assert raw_target(row, date(2026, 11, 28)) == 0.0  # Saturday
    assert weekly_hours(row) == 30.0


def test_monthly_row_spreads_the_target_over_the_months_workdays() -> None:
    row = TargetHoursRow.model_validate(
        {"id": 1, "users_id": 1, "type": "monthly", "date_since": "2020-01-01", "monthly_target": 105.0}
    )
    assert raw_target(row, MONDAY) == pytest.approx(105.0 / 21)  # November 2026 has 21 weekdays
    assert raw_target(row, date(2026, 11, 29)) == 0.0
    assert weekly_hours(row) is None


def test_current_row_is_the_one_in_force() -> None:
    old = weekly(date_until="2026-06-30")
    new = weekly(per_day=4.0, id=2, date_since="2026-07-01")
    assert current_row([old, new], TODAY) is new
    assert current_row([old, new], date(2026, 3, 1)) is old


def test_target_is_planned_minus_holidays_and_absences() -> None:
    breakdown = target_hours(
        [weekly()],
        MONDAY,
        FRIDAY,
        nonbusiness=nonbusiness_fractions([holiday(TODAY), holiday(FRIDAY, half=True)]),
        absences=[absence(1, 1, date(2026, 11, 26))],
    )
    assert breakdown.planned == 40.0
    assert breakdown.holidays == 12.0
    assert breakdown.absences == 8.0
    assert breakdown.target == 20.0


def test_half_day_absence_takes_half_the_day() -> None:
    breakdown = target_hours(
        [weekly()], MONDAY, MONDAY, nonbusiness={}, absences=[absence(1, 1, MONDAY, half_day=True)]
    )
    assert breakdown.target == 4.0


def test_overtime_reduction_takes_its_hours() -> None:
    breakdown = target_hours(
        [weekly()], MONDAY, FRIDAY, nonbusiness={}, absences=[absence(1, 1, MONDAY, kind=3, count_hours=3.0)]
    )
    assert breakdown.absences == 3.0


def test_home_office_and_pending_absences_keep_the_target() -> None:
    breakdown = target_hours(
        [weekly()],
        MONDAY,
        FRIDAY,
        nonbusiness={},
        absences=[absence(1, 1, MONDAY, kind=8), absence(2, 1, TODAY, status=0), absence(3, 1, FRIDAY, status=2)],
    )
    assert breakdown.target == 40.0


def test_absence_on_a_holiday_takes_nothing_more() -> None:
    breakdown = target_hours([weekly()], MONDAY, MONDAY, nonbusiness={MONDAY: 1.0}, absences=[absence(1, 1, MONDAY)])
    assert (breakdown.holidays, breakdown.absences, breakdown.target) == (8.0, 0.0, 0.0)


def test_target_counts_only_employed_days() -> None:
    breakdown = target_hours(
        [weekly()], MONDAY, FRIDAY, nonbusiness={}, employed_from=TODAY, employed_until=date(2026, 11, 25)
    )
    assert breakdown.planned == 16.0


def test_worked_by_user_splits_billable_from_entry_groups() -> None:
    groups = [
        EntryGroup(
            grouped_by="users_id",
            group="1",
            name="A",
            duration=10_800,
            sub_groups=[
                EntryGroup(grouped_by="billable", group="0", name="no", duration=3600),
                EntryGroup(grouped_by="billable", group="1", name="yes", duration=3600),
                EntryGroup(grouped_by="billable", group="2", name="billed", duration=3600),
            ],
        ),
    ]
    assert worked_by_user(groups) == {1: (10_800, 7200)}


def master() -> MasterData:
    users = {
        1: User(id=1, name="Ann", teams_id=10),
        2: User(id=2, name="Ben", teams_id=10),
        3: User(id=3, name="Cid", teams_id=20),
        4: User(id=4, name="Gone", teams_id=20, active=False),
    }
    teams = {10: Team(id=10, name="Design", user_ids=[1, 2]), 20: Team(id=20, name="Dev", user_ids=[3, 4])}
    return MasterData(users=users, teams=teams)


def test_team_utilization_sums_before_dividing() -> None:
    rows = [weekly(1), weekly(2, per_day=2.0), weekly(3)]
    worked = {1: (40 * 3600, 36 * 3600), 2: (10 * 3600, 2 * 3600), 3: (20 * 3600, 10 * 3600)}
    report = build_utilization(master(), [1, 2, 3, 4], worked, rows, {}, [], MONDAY, FRIDAY)
    design = report.teams[10]
    assert design.target.target == 50.0
    assert design.utilization == pytest.approx(38 / 50)  # not the mean of 0.9 and 0.2
    assert design.billable_share == pytest.approx(38 / 50)
    assert report.users[2].utilization == pytest.approx(0.2)
    assert 4 not in report.users  # inactive, no hours, no target
    assert report.total.billable_hours == pytest.approx(48.0)


def test_utilization_is_none_without_target() -> None:
    report = build_utilization(master(), [1], {1: (3600, 3600)}, [], {}, [], MONDAY, None)
    assert report.users[1].utilization is None
    assert report.users[1].billable_share == 1.0


def quota(users_id: int, since: int, count: float, until: int | None = None, qid: int = 1) -> HolidaysQuota:
    return HolidaysQuota(id=qid, users_id=users_id, year_since=since, year_until=until, count=count)


def test_quota_picks_the_row_covering_the_year() -> None:
    rows = [quota(1, 2020, 28, until=2025), quota(1, 2026, 30, qid=2)]
    assert quota_for(rows, 1, 2024) == 28
    assert quota_for(rows, 1, 2026) == 30
    assert quota_for(rows, 2, 2026) is None


def test_holidays_taken_counts_approved_regular_holidays_of_the_year() -> None:
    absences = [
        absence(1, 1, date(2026, 3, 2), date(2026, 3, 6), count_days=5.0),
        absence(2, 1, date(2026, 5, 4), count_days=1.0, kind=4),
        absence(3, 1, date(2026, 6, 1), count_days=1.0, status=0),
        absence(4, 1, date(2025, 6, 1), count_days=2.0),
    ]
    assert holidays_taken(absences, 1, 2026) == 5.0


def test_queue_lists_pending_requests_with_age_overlaps_and_quota() -> None:
    request = absence(
        1, 1, date(2026, 12, 14), date(2026, 12, 18), status=0, count_days=5.0, date_enquired=date(2026, 11, 15)
    )
    absences = [
        request,
        absence(2, 2, date(2026, 12, 16), date(2026, 12, 22)),  # teammate: overlaps
        absence(3, 2, date(2026, 12, 18), kind=8),  # teammate home office: not an overlap
        absence(4, 3, date(2026, 12, 15)),  # other team
        absence(5, 1, date(2026, 3, 2), date(2026, 3, 13), count_days=10.0),
        absence(6, 3, date(2026, 12, 1), status=0, date_enquired=date(2026, 11, 23)),
    ]
    items = absence_queue(absences, master(), TODAY, quotas=[quota(1, 2020, 30)])
    assert [i.absence.id for i in items] == [1, 6]
    first = items[0]
    assert first.age_days == 9
    assert [a.id for a in first.overlaps] == [2]
    assert (first.quota, first.taken, first.remaining, first.remaining_after) == (30, 10.0, 20.0, 15.0)
    assert items[1].quota is None
    assert items[1].remaining_after is None
