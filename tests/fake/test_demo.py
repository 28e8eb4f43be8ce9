"""The deterministic demo company: reproducible, realistic, and shaped so the product's questions have answers."""

import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from clockodo_mcp.fake.dataset import Dataset
from clockodo_mcp.fake.demo import (
    LARGE_ENTRIES,
    OWNER_EMAIL,
    OWNER_KEY,
    WORKER_EMAIL,
    WORKER_KEY,
    effective_hourly_rate,
    seed,
)
from clockodo_mcp.fake.demo_absences import APPROVED, DECLINED, HOLIDAY, PENDING, AbsenceBook
from clockodo_mcp.fake.demo_calendar import BERLIN, easter_sunday, public_holidays
from clockodo_mcp.fake.demo_rates import project_usage
from clockodo_mcp.fake.demo_staff import Calendar, Staff

TODAY = date(2025, 6, 18)  # a Wednesday
# Around Christmas/New Year, Easter, a DST switch and a Monday, to catch calendar edge cases.
OTHER_TODAYS = [date(2024, 12, 27), date(2025, 1, 2), date(2025, 4, 22), date(2025, 10, 27), date(2026, 3, 30)]


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return seed(7, TODAY)


def by_name(rows: list[dict], name: str) -> dict:
    return next(r for r in rows if r["name"] == name)


def time_entries(data: Dataset):
    return [e for e in data.entries if e.type == 1]


def local(moment: datetime) -> datetime:
    return moment.astimezone(BERLIN)


def usage(data: Dataset) -> dict[str, float]:
    prices = {ls["id"]: ls["price"] for ls in data.lumpsum_services}
    hours, money = project_usage(data.entries, data.rates, data.default_hourly_rate, prices)
    return {
        p["name"]: (money if p["budget"]["monetary"] else hours).get(p["id"], 0.0) / p["budget"]["amount"]
        for p in data.projects
        if p["budget"]
    }


# ---- determinism -----------------------------------------------------------------------------------------------


def test_same_arguments_give_an_identical_dataset(demo):
    assert seed(7, TODAY) == demo


def test_a_different_seed_gives_different_entries(demo):
    other = seed(8, TODAY)
    assert [(e.users_id, e.time_since, e.duration) for e in other.entries] != [
        (e.users_id, e.time_since, e.duration) for e in demo.entries
    ]
    assert [u["name"] for u in other.users] == [u["name"] for u in demo.users]


def test_today_defaults_to_the_date_in_berlin():
    before = datetime.now(BERLIN).date()
    data = seed(3, size=500)
    assert data.today in {before, datetime.now(BERLIN).date()}


def test_ids_are_small_and_stable_across_runs(demo):
    again = seed(99, TODAY)
    for attr in ("users", "teams", "customers", "projects", "services", "lumpsum_services", "rates"):
        ids = [r["id"] for r in getattr(demo, attr)]
        assert ids == list(range(1, len(ids) + 1))
        assert [(r["id"], r["name"]) for r in getattr(again, attr) if "name" in r] == [
            (r["id"], r["name"]) for r in getattr(demo, attr) if "name" in r
        ]
    assert [e.id for e in demo.entries] == list(range(1, len(demo.entries) + 1))


# ---- master data ---------------------------------------------------------------------------------------------


def test_the_company_is_brightside_digital_in_euro_and_berlin(demo):
    assert demo.company["name"] == "Brightside Digital GmbH"
    assert demo.company["currency"] == "EUR"
    assert demo.company["timezone_default"] == "Europe/Berlin"
    assert demo.company["module_absence"]
    assert demo.company["module_target_hours"]


def test_the_named_customers_projects_services_and_teams_exist(demo):
    customers = {c["name"] for c in demo.customers}
    assert {"Client XYZ", "Acme Corp", "Nordlicht GmbH", "Brightside Internal"} <= customers
    assert 9 <= len(customers) <= 12
    projects = {p["name"] for p in demo.projects}
    assert {"Project Alpha", "Website Redesign", "Mobile App", "Brand Strategy", "Phoenix"} <= projects
    assert {"Internal Tools", "Team Meetings", "Sales & Pitches"} <= projects
    assert 22 <= len(projects) <= 28
    assert {"Design", "Development", "Project Management", "QA"} <= {t["name"] for t in demo.teams}
    assert {"Design", "Development", "Consulting", "Meetings"} <= {s["name"] for s in demo.services}
    assert all(ls["price"] > 0 for ls in demo.lumpsum_services)


def test_internal_projects_are_not_billable_and_one_customer_is_archived(demo):
    internal = by_name(demo.customers, "Brightside Internal")
    assert internal["billable_default"] is False
    assert all(not p["billable_default"] for p in demo.projects if p["customers_id"] == internal["id"])
    assert [c["name"] for c in demo.customers if not c["active"]] == ["Polar Logistics"]


def test_one_project_is_completed_and_one_archived(demo):
    completed = [p for p in demo.projects if p["completed"] and p["active"]]
    archived = [p for p in demo.projects if not p["active"]]
    assert len(completed) == 1
    assert completed[0]["completed_at"].endswith("Z")
    assert len(archived) == 1


def test_about_fifteen_people_with_two_sarahs_and_one_leaver(demo):
    assert 14 <= len(demo.users) <= 17
    assert [u["name"] for u in demo.users if u["name"].startswith("Sarah ")] == ["Sarah Chen", "Sarah Miller"]
    teams = {t["id"]: t["name"] for t in demo.teams}
    assert teams[by_name(demo.users, "Sarah Chen")["teams_id"]] == "Design"
    assert teams[by_name(demo.users, "Sarah Miller")["teams_id"]] == "QA"
    leavers = [u for u in demo.users if not u["active"]]
    assert len(leavers) == 1
    assert leavers[0]["exit_date"] < TODAY.isoformat()
    assert not [
        e for e in demo.entries if e.users_id == leavers[0]["id"] and e.time_since.date() >= TODAY - timedelta(days=119)
    ]
    assert all(u["timezone"] == "Europe/Berlin" and u["teams_id"] for u in demo.users)


def test_owner_and_worker_log_in_with_the_published_demo_keys(demo):
    owner = next(u for u in demo.users if u["email"] == OWNER_EMAIL)
    worker = next(u for u in demo.users if u["email"] == WORKER_EMAIL)
    assert (owner["name"], owner["role"]) == ("Olivia Brandt", "owner")
    assert (worker["name"], worker["role"]) == ("Tom Becker", "worker")
    assert demo.api_keys[owner["id"]] == OWNER_KEY
    assert demo.api_keys[worker["id"]] == WORKER_KEY
    assert set(demo.api_keys) == {u["id"] for u in demo.users}
    assert len(set(demo.api_keys.values())) == len(demo.users)
    assert len({u["email"] for u in demo.users}) == len(demo.users)


def test_teams_list_their_members_and_leaders(demo):
    for team in demo.teams:
        members = [u["id"] for u in demo.users if u["teams_id"] == team["id"]]
        assert team["user_ids"] == members
        assert team["leader"] in members


def test_rate_rules_pick_the_most_specific_match(demo):
    ids = {c["name"]: c["id"] for c in demo.customers}
    projects = {p["name"]: p for p in demo.projects}
    services = {s["name"]: s["id"] for s in demo.services}
    markus = by_name(demo.users, "Markus Weber")["id"]
    tom = by_name(demo.users, "Tom Becker")["id"]

    def rate(customer: str, project: str, service: str, user: int) -> float:
        return effective_hourly_rate(
            demo.rates,
            demo.default_hourly_rate,
            customers_id=ids[customer],
            projects_id=projects[project]["id"],
            services_id=services[service],
            users_id=user,
        )

    assert rate("Client XYZ", "Project Alpha", "Development", tom) == 110.0  # customer rule
    assert rate("Acme Corp", "Website Redesign", "Consulting", tom) == 150.0  # customer + service beats customer
    assert rate("Helios Energy AG", "Phoenix", "Development", markus) == 130.0  # project beats user
    assert rate("Urban Bikes", "Booking App", "Development", markus) == 140.0  # user rule
    assert rate("Urban Bikes", "Booking App", "Development", tom) == demo.default_hourly_rate == 95.0
    assert all(e.hourly_rate is None for e in time_entries(demo))


# ---- entries -----------------------------------------------------------------------------------------------------


def test_the_small_company_logs_a_few_thousand_entries_over_six_months(demo):
    assert 3_000 <= len(demo.entries) <= 9_000
    first = min(e.time_since for e in demo.entries).date()
    assert TODAY - timedelta(days=186) <= first <= TODAY - timedelta(days=175)
    assert max(e.time_since for e in demo.entries).date() == TODAY


def test_every_billing_state_and_entry_type_occurs(demo):
    assert {e.billable for e in demo.entries} == {0, 1, 2}
    assert {e.type for e in demo.entries} == {1, 2, 3}
    assert all(e.billable in (1, 2) for e in demo.entries if e.type != 1)


def test_internal_projects_only_get_non_billable_time(demo):
    internal = by_name(demo.customers, "Brightside Internal")["id"]
    internal_entries = [e for e in demo.entries if e.customers_id == internal]
    assert internal_entries
    assert all(e.billable == 0 for e in internal_entries)


def test_old_work_is_mostly_billed_and_recent_work_unbilled(demo):
    billable = [
        e
        for e in time_entries(demo)
        if e.billable and e.customers_id != by_name(demo.customers, "Nordlicht GmbH")["id"]
    ]
    old = [e for e in billable if e.time_since.date() < TODAY - timedelta(days=100)]
    recent = [e for e in billable if e.time_since.date() > TODAY - timedelta(days=14)]
    assert sum(e.billable == 2 for e in old) / len(old) > 0.9
    assert all(e.billable == 1 for e in recent)


def test_some_unbilled_hours_are_older_than_ninety_days(demo):
    cutoff = TODAY - timedelta(days=90)
    old = [e for e in time_entries(demo) if e.billable == 1 and e.time_since.date() < cutoff]
    assert sum(e.duration for e in old) / 3600 > 100
    nordlicht = by_name(demo.customers, "Nordlicht GmbH")["id"]
    assert all(e.billable != 2 for e in demo.entries if e.customers_id == nordlicht)


def test_client_xyz_and_project_alpha_have_recent_unbilled_hours_by_several_people(demo):
    xyz = by_name(demo.customers, "Client XYZ")["id"]
    alpha = by_name(demo.projects, "Project Alpha")["id"]
    assert any(e.customers_id == xyz and e.billable == 1 for e in demo.entries)
    recent = [
        e
        for e in demo.entries
        if e.projects_id == alpha and e.billable == 1 and e.time_since.date() >= TODAY - timedelta(days=30)
    ]
    assert len({e.users_id for e in recent}) >= 4


def test_exactly_one_timer_runs_and_it_is_a_forgotten_one_of_someone_else(demo):
    running = [e for e in demo.entries if e.time_until is None]
    assert len(running) == 1
    timer = running[0]
    worker = next(u for u in demo.users if u["email"] == WORKER_EMAIL)
    assert timer.users_id != worker["id"]
    assert timer.type == 1
    assert timer.duration is None
    assert timer.clocked
    assert timer.time_clocked_since == timer.time_since
    started = local(timer.time_since)
    assert (started.date(), started.hour, started.minute) == (TODAY - timedelta(days=1), 9, 0)
    later = [e for e in demo.entries if e.users_id == timer.users_id and e.time_since > timer.time_since]
    assert later == []


@pytest.mark.parametrize("today", OTHER_TODAYS)
def test_the_timer_started_on_the_previous_working_day(today):
    data = seed(7, today)
    holidays = public_holidays([today.year - 1, today.year])
    timer = next(e for e in data.entries if e.time_until is None)
    day = local(timer.time_since).date()
    assert day < today
    assert day.weekday() < 5
    assert day not in holidays
    between = [day + timedelta(days=i) for i in range(1, (today - day).days)]
    assert all(d.weekday() >= 5 or d in holidays for d in between)


def test_the_worker_has_entries_of_their_own(demo):
    worker = next(u for u in demo.users if u["email"] == WORKER_EMAIL)
    assert len([e for e in demo.entries if e.users_id == worker["id"]]) > 200


def test_entries_carry_text_and_insert_and_change_times(demo):
    for e in demo.entries:
        assert e.text
        assert e.texts_id
        assert e.time_insert is not None
        assert e.time_last_change is not None
        assert e.time_last_change >= e.time_insert
        assert e.time_since.tzinfo is not None
        assert e.time_since.utcoffset() == timedelta(0)


def check_calendar_invariants(data: Dataset) -> None:
    holidays = public_holidays(range(data.today.year - 1, data.today.year + 1))
    blocked: dict[int, set[date]] = defaultdict(set)
    for a in data.absences:
        if a["status"] == 1:
            since, until = date.fromisoformat(a["date_since"]), date.fromisoformat(a["date_until"])
            blocked[a["users_id"]].update(since + timedelta(days=i) for i in range((until - since).days + 1))
    by_user = defaultdict(list)
    for e in data.entries:
        day = local(e.time_since).date()
        assert day.weekday() < 5, e
        assert day not in holidays, e
        assert day not in blocked[e.users_id], e
        if e.type == 1 and e.time_until is not None:
            start, end = local(e.time_since), local(e.time_until)
            assert end.date() == day
            assert (start.hour, start.minute) >= (9, 0), e
            assert (end.hour, end.minute) <= (18, 30), e
            assert e.duration == (e.time_until - e.time_since).total_seconds()
        if e.type == 1:
            by_user[e.users_id].append(e)
    for entries in by_user.values():
        entries.sort(key=lambda e: e.time_since)
        for a, b in itertools.pairwise(entries):
            assert a.time_until is not None, a
            assert a.time_until <= b.time_since, (a, b)


def test_no_entry_on_weekends_holidays_or_absence_days_and_none_overlap(demo):
    check_calendar_invariants(demo)


@pytest.mark.parametrize("today", OTHER_TODAYS)
def test_calendar_invariants_hold_for_other_todays(today):
    check_calendar_invariants(seed(11, today))


def test_working_days_have_realistic_lengths(demo):
    per_day: dict[tuple[int, date], int] = defaultdict(int)
    for e in time_entries(demo):
        if e.duration and local(e.time_since).date() != TODAY:
            per_day[(e.users_id, local(e.time_since).date())] += e.duration
    hours = sorted(v / 3600 for v in per_day.values())
    assert hours[0] >= 4
    assert hours[-1] <= 8.5
    assert 6 <= hours[len(hours) // 2] <= 8


# ---- budgets ---------------------------------------------------------------------------------------------------


def test_phoenix_has_a_hundred_hour_budget_about_ninety_percent_used(demo):
    phoenix = by_name(demo.projects, "Phoenix")
    assert phoenix["budget"]["monetary"] is False
    assert phoenix["budget"]["amount"] == 100.0
    assert 0.85 <= usage(demo)["Phoenix"] <= 0.95
    assert any(
        e.projects_id == phoenix["id"] and e.time_since.date() >= TODAY - timedelta(days=3) for e in demo.entries
    )


def test_some_budgets_are_near_some_over_most_comfortably_under(demo):
    used = usage(demo)
    near = [p for p, u in used.items() if 0.85 <= u < 1.0]
    over = [p for p, u in used.items() if u > 1.0]
    under = [p for p, u in used.items() if u < 0.75]
    assert len(near) >= 3
    assert 1 <= len(over) <= 3
    assert len(under) >= 5
    assert "Brand Strategy" in over


def test_budget_kinds_and_revenue_factors_follow_clockodo(demo):
    budgets = [p for p in demo.projects if p["budget"]]
    assert any(p["budget"]["hard"] and p["budget"]["monetary"] for p in budgets)
    assert any(not p["budget"]["hard"] and not p["budget"]["monetary"] for p in budgets)
    assert any(p["budget"] is None for p in demo.projects)
    for p in demo.projects:
        hard = bool(p["budget"] and p["budget"]["hard"])
        if hard and not p["completed"]:
            assert p["revenue_factor"] is None
        elif hard:
            assert 0 < p["revenue_factor"] < 1
        else:
            assert p["revenue_factor"] == 1.0
    assert all(p["budget"]["notification_thresholds"] for p in budgets)


# ---- absences and time accounts -------------------------------------------------------------------------------


def test_every_absence_status_and_common_type_exists(demo):
    assert {a["status"] for a in demo.absences} == {0, 1, 2, 3, 4}
    assert {1, 2, 3, 4, 8} <= {a["type"] for a in demo.absences}
    sick = [a for a in demo.absences if a["type"] == 4]
    assert {a["sick_note"] for a in sick} == {True, False}
    hours = [a for a in demo.absences if a["type"] == 3]
    assert all(a["count_days"] is None and a["count_hours"] > 0 for a in hours)


def test_several_requests_are_pending_some_for_over_a_week(demo):
    pending = [a for a in demo.absences if a["status"] == 0]
    assert len(pending) >= 4
    assert len([a for a in pending if a["date_enquired"] < (TODAY - timedelta(days=7)).isoformat()]) >= 2
    assert all(a["date_approved"] is None and a["approved_by"] is None for a in pending)


def test_sarah_chen_has_a_pending_holiday_request_in_the_future(demo):
    sarah = by_name(demo.users, "Sarah Chen")["id"]
    requests = [a for a in demo.absences if a["users_id"] == sarah and a["status"] == 0]
    assert len(requests) == 1
    assert requests[0]["type"] == 1
    assert requests[0]["date_since"] > TODAY.isoformat()
    assert requests[0]["count_days"] == 5.0
    miller = by_name(demo.users, "Sarah Miller")["id"]
    assert not [a for a in demo.absences if a["users_id"] == miller and a["status"] == 0 and a["type"] == 1]


def test_a_pending_request_overlaps_a_teammates_approved_absence(demo):
    team = {u["id"]: u["teams_id"] for u in demo.users}
    pending = [a for a in demo.absences if a["status"] == 0]
    approved = [a for a in demo.absences if a["status"] == 1]
    assert any(
        p["users_id"] != a["users_id"]
        and team[p["users_id"]] == team[a["users_id"]]
        and p["date_since"] <= a["date_until"]
        and a["date_since"] <= p["date_until"]
        for p in pending
        for a in approved
    )


def test_absence_days_count_working_days_without_public_holidays(demo):
    for a in demo.absences:
        assert a["date_since"][:4] == a["date_until"][:4]
        assert a["date_since"] <= a["date_until"]
    approved_by = {a["approved_by"] for a in demo.absences if a["status"] in (1, 2, 3)}
    assert approved_by <= {u["id"] for u in demo.users}


def test_absence_days_skip_weekends_and_easter_holidays():
    # 14-25 April 2025: ten weekdays, of which Good Friday (18th) and Easter Monday (21st) are holidays.
    book = AbsenceBook(Calendar(date(2025, 4, 10), date(2024, 10, 10), public_holidays([2025])))
    who = Staff(1, "X", "QA", 1, frozenset(range(5)), (360, 480), date(2024, 1, 1), date(2025, 4, 10))
    assert book.add(who, date(2025, 4, 14), date(2025, 4, 25), APPROVED, HOLIDAY, enquired=date(2025, 3, 1))
    assert book.rows[0]["count_days"] == 8.0
    four_days = Staff(2, "Y", "QA", 1, frozenset(range(4)), (360, 480), date(2024, 1, 1), date(2025, 4, 10))
    assert book.add(four_days, date(2025, 4, 14), date(2025, 4, 25), APPROVED, HOLIDAY, enquired=date(2025, 3, 1))
    assert book.rows[1]["count_days"] == 7.0


def test_an_absence_colliding_with_an_approved_one_is_refused():
    book = AbsenceBook(Calendar(date(2025, 4, 10), date(2024, 10, 10), public_holidays([2025])))
    who = Staff(1, "X", "QA", 1, frozenset(range(5)), (360, 480), date(2024, 1, 1), date(2025, 4, 10))
    assert book.add(who, date(2025, 5, 5), date(2025, 5, 9), APPROVED, HOLIDAY, enquired=date(2025, 3, 1))
    assert not book.add(who, date(2025, 5, 9), date(2025, 5, 12), PENDING, HOLIDAY, enquired=date(2025, 3, 2))
    assert book.add(who, date(2025, 5, 9), date(2025, 5, 12), DECLINED, HOLIDAY, enquired=date(2025, 3, 2))
    assert book.blocked[1] == {date(2025, 5, d) for d in range(5, 10)}


def test_time_accounts_cover_everybody(demo):
    user_ids = [u["id"] for u in demo.users]
    assert [r["users_id"] for r in demo.target_hours] == user_ids
    assert [r["users_id"] for r in demo.holidays_quota] == user_ids
    assert all(28 <= q["count"] <= 30 for q in demo.holidays_quota)
    weekly = {(r["monday"], r["friday"]) for r in demo.target_hours}
    assert {(8.0, 8.0), (6.0, 6.0), (8.0, 0.0)} <= weekly


def test_public_holidays_cover_every_year_of_the_data_including_easter_days(demo):
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert demo.nonbusiness_groups == [{"id": 1, "name": "Berlin", "company_default": True}]
    days = {(d["name"], d["evaluated_date"]) for d in demo.nonbusiness_days}
    assert ("Good Friday", "2025-04-18") in days
    assert ("Whit Monday", "2025-06-09") in days
    assert ("Christmas Day", "2024-12-25") in days
    assert ("International Women's Day", "2025-03-08") in days
    assert {d["type"] for d in demo.nonbusiness_days} == {"SPECIAL", "DISTINCT_RECURRING"}
    assert len({d["id"] for d in demo.nonbusiness_days}) == len(demo.nonbusiness_days) == 20


# ---- shapes ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry() -> Registry:
    spec = yaml.safe_load((Path(__file__).parent / "openapi-2025-09-18.yaml").read_text())
    return Registry().with_resource("spec", Resource.from_contents(spec, default_specification=DRAFT4))


@pytest.mark.parametrize(
    ("attr", "schema"),
    [
        ("company", "CompanyV1"),
        ("users", "UserV3"),
        ("teams", "TeamV3"),
        ("customers", "CustomerV3"),
        ("projects", "ProjectV4"),
        ("services", "ServiceV4"),
        ("lumpsum_services", "LumpSumServiceV4"),
        ("absences", "AbsenceV4"),
        ("target_hours", "TargetHourV1"),
        ("nonbusiness_days", "NonbusinessDayV2"),
        ("nonbusiness_groups", "NonbusinessGroupV2"),
    ],
)
def test_records_match_the_official_schemas(demo, registry, attr, schema):
    validator = OAS30Validator({"$ref": f"spec#/components/schemas/{schema}"}, registry=registry)
    rows = getattr(demo, attr)
    for row in rows if isinstance(rows, list) else [rows]:
        # The spec marks some enum fields nullable without listing null in the enum; Clockodo sends null.
        errors = [
            e for e in validator.iter_errors(row) if not (e.instance is None and e.validator in ("enum", "oneOf"))
        ]
        assert errors == [], (row, [e.message for e in errors])


# ---- sizes -------------------------------------------------------------------------------------------------------


def test_large_size_has_at_least_100k_entries():
    data = seed(7, TODAY, "large")  # how long seeding takes is measured in bench/
    assert len(data.entries) >= LARGE_ENTRIES
    assert 150 <= len(data.users) <= 320
    assert len({u["name"] for u in data.users}) == len(data.users)
    assert sum(e.time_until is None for e in data.entries) == 1
    assert by_name(data.projects, "Phoenix")["budget"]["amount"] == 100.0
    assert 0.85 <= usage(data)["Phoenix"] <= 0.95


def test_a_number_asks_for_about_that_many_entries():
    assert 20_000 <= len(seed(7, TODAY, 20_000).entries) <= 21_000
    small = seed(7, TODAY, 1_000)
    assert 700 <= len(small.entries) <= 1_300
    assert len(small.users) == len(seed(7, TODAY).users)


@pytest.mark.parametrize("size", ["medium", 0, -5, True])
def test_an_unknown_size_is_rejected(size):
    with pytest.raises(ValueError, match="size"):
        seed(7, TODAY, size)
