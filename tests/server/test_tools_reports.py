from datetime import date

import pytest

from tests.server.conftest import NOW, call, call_error
from tests.server.expected import by, cents, completed_totals, id_of, select

THIS_MONTH = (date(2026, 11, 1), date(2026, 11, 30))


def store_of(fake_app):
    return fake_app.state.store


def hours_of(seconds: int) -> float:
    return round(seconds / 3600, 2)


async def test_unbilled_hours_this_month_match_the_raw_entries(mcp_client, fake_app):
    store = store_of(fake_app)
    entries = select(store, *THIS_MONTH, billable=[1], running=False)
    seconds, value, _ = completed_totals(store, entries)

    result = await call(mcp_client, "report_hours", period="this_month", billing="unbilled")

    assert seconds > 0
    assert result["total_hours"] == hours_of(seconds)
    assert cents(result["total_value"]["amount"]) == value
    assert result["total_value"]["currency"] == "EUR"
    assert result["entry_count"] == len(entries)
    assert "unbilled" in result["summary"]


async def test_top_three_projects_by_unbilled_value_are_sorted_and_totals_cover_everything(mcp_client, fake_app):
    store = store_of(fake_app)
    entries = select(store, *THIS_MONTH, billable=[1], running=False)
    per_project: dict[int | None, list] = {}
    for entry in entries:
        per_project.setdefault(entry.projects_id, []).append(entry)
    expected = {pid: completed_totals(store, group) for pid, group in per_project.items()}
    expected_top = sorted(expected.items(), key=lambda kv: (-kv[1][1], -kv[1][0]))[:3]

    result = await call(
        mcp_client, "report_hours", period="this_month", billing="unbilled", group_by=["project"], limit=3
    )

    assert [g["ids"]["project"] for g in result["groups"]] == [pid for pid, _ in expected_top]
    for group, (_, (seconds, value, withheld)) in zip(result["groups"], expected_top, strict=True):
        assert group["hours"] == hours_of(seconds)
        assert cents(group["value"]["amount"]) == value
        assert group["hard_budget_hours"] == hours_of(withheld)
    assert result["paging"] == {"total": len(per_project), "offset": 0, "returned": 3, "next": {"offset": 3}}
    assert result["total_hours"] == hours_of(completed_totals(store, entries)[0])


async def test_unbilled_hours_for_project_alpha_last_30_days_by_employee(mcp_client, fake_app):
    store = store_of(fake_app)
    alpha = id_of(store.projects, "Project Alpha")
    entries = select(
        store,
        date(2026, 10, 26),
        date(2026, 11, 24),
        billable=[1],
        where=lambda e: e.projects_id == alpha,
        running=False,
    )
    per_user = by(store, entries, lambda e: e.users_id, NOW)

    result = await call(
        mcp_client,
        "report_hours",
        period="last_30_days",
        billing="unbilled",
        project="project alpha",
        group_by=["user"],
        limit=50,
    )

    assert {g["ids"]["user"]: g["hours"] for g in result["groups"]} == {
        uid: hours for uid, (hours, _) in per_user.items()
    }
    assert all(g["key"]["user"] == store.users[g["ids"]["user"]]["name"] for g in result["groups"])


async def test_non_billable_hours_on_internal_projects_last_week(mcp_client, fake_app):
    store = store_of(fake_app)
    internal = id_of(store.customers, "Brightside Internal")
    entries = select(
        store, date(2026, 11, 16), date(2026, 11, 22), billable=[0], where=lambda e: e.customers_id == internal
    )

    result = await call(
        mcp_client,
        "report_hours",
        period="last_week",
        billing="not_billable",
        customer="Brightside Internal",
        group_by=["project"],
    )

    assert result["total_hours"] == hours_of(completed_totals(store, entries)[0])
    assert result["total_value"]["amount"] == 0


async def test_billable_any_counts_unbilled_and_billed_but_not_internal_work(mcp_client, fake_app):
    store = store_of(fake_app)
    entries = select(store, date(2026, 10, 1), date(2026, 10, 31), billable=[1, 2])
    seconds, value, _ = completed_totals(store, entries)

    result = await call(mcp_client, "report_hours", period="last_month", billing="billable_any", group_by=["customer"])

    assert result["total_hours"] == hours_of(seconds)
    assert cents(result["total_value"]["amount"]) == value
    assert result["entry_count"] == len(entries)
    assert set(result["groups"][0]["hours_by_billing"]) <= {"unbilled", "billed"}


async def test_team_grouping_folds_users_into_their_teams(mcp_client, fake_app):
    store = store_of(fake_app)
    entries = select(store, *THIS_MONTH, running=False)
    team_of = {u["id"]: u.get("teams_id") for u in store.users.values()}
    per_team = by(store, entries, lambda e: team_of.get(e.users_id), NOW)

    result = await call(mcp_client, "report_hours", period="this_month", group_by=["team"])

    assert {g["ids"]["team"]: g["hours"] for g in result["groups"]} == {
        tid: hours for tid, (hours, _) in per_team.items()
    }


async def test_two_dimensions_give_one_row_per_pair(mcp_client):
    result = await call(mcp_client, "report_hours", period="this_month", group_by=["customer", "month"])
    assert all(set(g["key"]) == {"customer", "month"} for g in result["groups"])
    assert all(g["key"]["month"] == "2026-11" for g in result["groups"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"period": "fortnight"}, "Cannot understand the period"),
        ({"period": {"from": "2026-05-01", "to": "2026-04-01"}}, "Swap 'from' and 'to'"),
        ({"period": {"from": "2020-01-01", "to": "2026-01-01"}}, "at most two years"),
        ({"period": "this_month", "project": "Pheonix"}, "Did you mean: Phoenix"),
        ({"period": "this_month", "user": "Sarah"}, "ambiguous"),
        ({"period": "this_month", "group_by": ["project", "project"]}, "twice"),
        ({"period": "this_month", "limit": 0}, "limit"),
        ({"period": "this_month", "limit": 151}, "limit"),
        ({"period": "this_month", "billing": "paid"}, "billing"),
    ],
)
async def test_bad_report_arguments_are_tool_errors_that_say_what_to_do(mcp_client, arguments, message):
    assert message in await call_error(mcp_client, "report_hours", **arguments)


async def test_the_server_answers_normally_after_an_error(mcp_client):
    await call_error(mcp_client, "report_hours", period="nonsense")
    assert (await call(mcp_client, "report_hours", period="today"))["period"]["start"] == "2026-11-24"


async def test_unbilled_aging_buckets_match_the_raw_entries(mcp_client, fake_app):
    store = store_of(fake_app)
    today = date(2026, 11, 24)
    entries = select(store, date(2024, 11, 24), today, billable=[1], running=False)
    expected: dict[str, list] = {"0-30": [], "31-60": [], "61-90": [], "over_90": []}
    for entry in entries:
        age = (today - entry.time_since.astimezone(store.tz).date()).days
        bucket = "0-30" if age <= 30 else "31-60" if age <= 60 else "61-90" if age <= 90 else "over_90"
        expected[bucket].append(entry)

    result = await call(mcp_client, "unbilled_aging", per="customer")

    for bucket, bucket_entries in expected.items():
        seconds, value, _ = completed_totals(store, bucket_entries)
        assert result["totals"][bucket]["hours"] == hours_of(seconds), bucket
        assert cents(result["totals"][bucket]["value"]["amount"]) == value, bucket
    assert result["totals"]["over_90"]["hours"] > 0, "the demo company has old unbilled work"
    nordlicht = next(r for r in result["rows"] if r["name"] == "Nordlicht GmbH")
    assert nordlicht["oldest_day"] is not None
    assert result["running"]["count"] == 1


async def test_unbilled_aging_per_project_names_projects(mcp_client):
    result = await call(mcp_client, "unbilled_aging", per="project", customer="Client XYZ")
    assert result["rows"], "Client XYZ has unbilled work"
    assert {r["name"] for r in result["rows"]} <= {"Project Alpha", "Brand Strategy", "Support & Maintenance"}
