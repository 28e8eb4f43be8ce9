"""`/v2/entrygroups`: nested aggregation checked against sums computed from the raw records; two-step edits."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from clockodo_mcp.fake import OWNER_EMAIL, OWNER_KEY
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.dataset import EntryRecord
from clockodo_mcp.fake.demo import seed
from clockodo_mcp.fake.store import Store

from .conftest import ACME, NOW, SARAH, WEBSITE, WORKER, general_error, headers, simple_error, typed_errors

NOVEMBER = {"time_since": "2026-11-01T00:00:00Z", "time_until": "2026-12-01T00:00:00Z"}
ALL = {"time_since": "2026-01-01T00:00:00Z", "time_until": "2027-01-01T00:00:00Z"}
BERLIN = ZoneInfo("Europe/Berlin")


def seconds(e: EntryRecord) -> int:
    if e.type != 1:
        return 0
    end = e.time_until or NOW
    return int((end - e.time_since).total_seconds())


def expected_by(store: Store, since: str, until: str, key: Any) -> dict[str, int]:
    """Independent sums of durations per group, straight from the records."""
    lo, hi = datetime.fromisoformat(since), datetime.fromisoformat(until)
    sums: dict[str, int] = defaultdict(int)
    for e in store.entries:
        if lo <= e.time_since < hi:
            sums[str(key(e))] += seconds(e)
    return dict(sums)


async def groups(client: httpx.AsyncClient, grouping: list[str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v2/entrygroups", params={"grouping[]": grouping, **params})
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["groups"]
    return result


async def test_durations_per_user_match_the_records(owner: httpx.AsyncClient, store: Store) -> None:
    result = await groups(owner, ["users_id"], **ALL)
    expected = expected_by(store, ALL["time_since"], ALL["time_until"], lambda e: e.users_id)
    assert {g["group"]: g["duration"] for g in result} == expected
    assert [g["name"] for g in result] == ["Sarah Chen", "Tom Worker"]


async def test_nested_grouping_with_restrictions(owner: httpx.AsyncClient) -> None:
    result = await groups(owner, ["customers_id", "projects_id"], **NOVEMBER, **{"filter[billable]": 1})
    assert [g["group"] for g in result] == [str(ACME)]
    acme = result[0]
    assert acme["grouped_by"] == "customers_id"
    assert acme["restrictions"]["billable"] == 1
    assert acme["restrictions"]["customers_id"] is None
    subs = {g["name"]: g for g in acme["sub_groups"]}
    assert set(subs) == {"Phoenix", "Website Redesign"}
    website = subs["Website Redesign"]
    assert website["restrictions"]["customers_id"] == ACME
    assert website["sub_groups"] is None
    assert website["number"] == "P-10"
    # entry 1 (2 h × 120) + entry 5 (250 lump sum) + running entry 7 (4 h × 110)
    assert website["duration"] == 2 * 3600 + 4 * 3600
    assert website["revenue"] == 240.0 + 250.0 + 440.0
    assert website["hourly_rate_is_equal_and_has_no_lumpsums"] is False
    assert acme["duration"] == sum(g["duration"] for g in acme["sub_groups"])


async def test_hard_budget_groups_withhold_revenue_unless_asked(owner: httpx.AsyncClient) -> None:
    phoenix = (await groups(owner, ["projects_id"], **NOVEMBER, **{"filter[projects_id]": 11}))[0]
    assert phoenix["revenue"] == 0
    assert phoenix["budget_used"] is True
    assert phoenix["has_budget_revenues_not_billed"] is True
    assert phoenix["has_non_budget_revenues_not_billed"] is False
    assert phoenix["hourly_rate"] == 110.0
    assert phoenix["hourly_rate_is_equal_and_has_no_lumpsums"] is True
    forced = await groups(
        owner,
        ["projects_id"],
        **NOVEMBER,
        **{"filter[projects_id]": 11},
        calc_also_revenues_for_projects_with_hard_budget="true",
    )
    assert forced[0]["revenue"] == 330.0


async def test_date_groupings_use_the_company_time_zone(owner: httpx.AsyncClient, store: Store) -> None:
    # Entry 8 starts 2026-10-31T23:30Z = 1 November 00:30 in Berlin.
    months = await groups(owner, ["month"], **ALL)
    expected = expected_by(
        store, ALL["time_since"], ALL["time_until"], lambda e: e.time_since.astimezone(BERLIN).strftime("%Y-%m")
    )
    assert {g["group"]: g["duration"] for g in months} == expected
    assert [g["group"] for g in months] == ["2026-09", "2026-10", "2026-11"]
    assert months[2]["name"] == "November 2026"
    days = await groups(owner, ["day"], time_since="2026-10-31T00:00:00Z", time_until="2026-11-02T00:00:00Z")
    assert [g["group"] for g in days] == ["2026-11-01"]
    weeks = await groups(owner, ["year", "week"], **NOVEMBER)
    assert weeks[0]["group"] == "2026"
    assert [g["group"] for g in weeks[0]["sub_groups"]] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]


async def test_other_groupings(owner: httpx.AsyncClient) -> None:
    lumps = await groups(owner, ["is_lumpsum"], **NOVEMBER)
    assert [(g["group"], g["name"]) for g in lumps] == [("0", "Time entries"), ("1", "Lump sums")]
    assert lumps[1]["revenue"] == 310.0
    billable = await groups(owner, ["billable"], **NOVEMBER)
    assert [g["group"] for g in billable] == ["0", "1", "2"]
    texts = await groups(owner, ["texts_id"], **NOVEMBER)
    assert "Team meeting" in {g["name"] for g in texts}
    subs = await groups(owner, ["subprojects_id", "services_id", "lumpsum_services_id"], **NOVEMBER)
    assert {g["group"] for g in subs} == {"0", "20"}


async def test_round_to_minutes_rounds_each_entry_up(owner: httpx.AsyncClient) -> None:
    one_hour = {"time_since": "2026-11-16T00:00:00Z", "time_until": "2026-11-17T00:00:00Z"}
    result = await groups(owner, ["users_id"], **one_hour, round_to_minutes=45)
    assert result[0]["duration"] == 90 * 60
    assert result[0]["duration_without_rounding"] == 3600
    assert result[0]["rounding_success"] is True


async def test_teams_filter_and_worker_confinement(owner: httpx.AsyncClient, worker: httpx.AsyncClient) -> None:
    design = await groups(owner, ["users_id"], **ALL, **{"filter[teams_id]": 2})
    assert [g["group"] for g in design] == [str(SARAH)]
    own = await groups(worker, ["users_id"], **ALL)
    assert [g["group"] for g in own] == [str(WORKER)]
    assert "revenue" not in own[0]
    response = await worker.get("/v2/entrygroups", params={"grouping[]": "users_id", **ALL, "filter[users_id]": SARAH})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {**NOVEMBER},
        {**NOVEMBER, "grouping[]": "colour"},
        {**NOVEMBER, "grouping[]": ["users_id", "users_id"]},
        {"grouping[]": "users_id"},
        {"grouping[]": "users_id", "time_since": "2026-12-01T00:00:00Z", "time_until": "2026-11-01T00:00:00Z"},
        {**NOVEMBER, "grouping[]": "users_id", "round_to_minutes": "x"},
        {**NOVEMBER, "grouping[]": "users_id", "filter[billable]": 7},
        {**NOVEMBER, "grouping[]": "users_id", "filter[teams_id]": "a,b"},
    ],
)
async def test_bad_group_requests_are_400(owner: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await owner.get("/v2/entrygroups", params=params)
    assert response.status_code == 400
    simple_error(response.json())


MARK_BILLED = {**NOVEMBER, "filter": {"customers_id": ACME, "billable": 1}, "billable": 2}


async def test_mass_edit_is_two_step(owner: httpx.AsyncClient, store: Store) -> None:
    preview = await owner.put("/v2/entrygroups", json=MARK_BILLED)
    assert preview.status_code == 200
    body = preview.json()
    assert body["affected_entries"] == 4  # entries 1, 2, 5, 7
    assert all(e.billable == 1 for e in store.entries if e.id in (1, 2, 5, 7))
    done = await owner.put("/v2/entrygroups", json={**MARK_BILLED, "confirm_key": body["confirm_key"]})
    assert done.json() == {"success": True, "edited_entries": 4}
    assert all(e.billable == 2 for e in store.entries if e.id in (1, 2, 5, 7))


async def test_confirm_key_is_bound_to_the_exact_request(owner: httpx.AsyncClient) -> None:
    key = (await owner.put("/v2/entrygroups", json=MARK_BILLED)).json()["confirm_key"]
    other = {**MARK_BILLED, "billable": 0, "confirm_key": key}
    response = await owner.put("/v2/entrygroups", json=other)
    assert response.status_code == 422
    assert typed_errors(response.json())["type"] == "ForbiddenValue"
    wrong = await owner.put("/v2/entrygroups", json={**MARK_BILLED, "confirm_key": "0" * 64})
    assert wrong.status_code == 422


async def test_confirm_key_goes_stale_when_entries_change(owner: httpx.AsyncClient) -> None:
    key = (await owner.put("/v2/entrygroups", json=MARK_BILLED)).json()["confirm_key"]
    await owner.put("/v2/entries/3", json={"text": "changed meanwhile"})
    response = await owner.put("/v2/entrygroups", json={**MARK_BILLED, "confirm_key": key})
    assert response.status_code == 422
    assert typed_errors(response.json())["path"] == "confirm_key"


async def test_mass_edit_re_rates_on_project_change(owner: httpx.AsyncClient, store: Store) -> None:
    change = {**NOVEMBER, "filter": {"projects_id": 11}, "projects_id": WEBSITE}
    key = (await owner.put("/v2/entrygroups", json=change)).json()["confirm_key"]
    await owner.put("/v2/entrygroups", json={**change, "confirm_key": key})
    moved = store.entry(2)
    assert moved is not None
    assert moved.projects_id == WEBSITE
    assert moved.hourly_rate == 110.0  # customer+service rule still the most specific


async def test_mass_edit_needs_a_new_value_and_valid_references(owner: httpx.AsyncClient) -> None:
    assert (await owner.put("/v2/entrygroups", json={**NOVEMBER})).status_code == 400
    response = await owner.put("/v2/entrygroups", json={**NOVEMBER, "projects_id": 999})
    assert response.status_code == 404
    general_error(response.json())


async def test_mass_delete_is_two_step_and_reads_the_query(owner: httpx.AsyncClient, store: Store) -> None:
    params: dict[str, Any] = {**NOVEMBER, "filter[users_id]": WORKER}
    preview = (await owner.request("DELETE", "/v2/entrygroups", params=params)).json()
    assert preview["affected_entries"] == 3
    done = await owner.request("DELETE", "/v2/entrygroups", params={**params, "confirm_key": preview["confirm_key"]})
    assert done.json()["edited_entries"] == 3
    assert {e.id for e in store.entries} == {2, 4, 6, 7, 8, 9}


async def test_mass_delete_accepts_a_json_body(owner: httpx.AsyncClient) -> None:
    body = {**NOVEMBER, "filter": {"users_id": SARAH}}
    preview = (await owner.request("DELETE", "/v2/entrygroups", json=body)).json()
    assert preview["affected_entries"] == 3
    done = await owner.request("DELETE", "/v2/entrygroups", json={**body, "confirm_key": preview["confirm_key"]})
    assert done.json()["success"] is True


async def test_worker_mass_edit_touches_only_own_entries(worker: httpx.AsyncClient, store: Store) -> None:
    change = {**ALL, "text": "bulk"}
    preview = (await worker.put("/v2/entrygroups", json=change)).json()
    assert preview["affected_entries"] == len([e for e in store.entries if e.users_id == WORKER])
    assert (await worker.put("/v2/entrygroups", json={**ALL, "hourly_rate": 1})).status_code == 403


async def test_large_company_month_aggregates_two_levels_and_pages_a_thousand_entries() -> None:
    """100,000+ entries: one month grouped two levels deep, and a page of 1,000 (speed is measured in bench/)."""
    dataset = seed(size="large", today=NOW.date())
    assert len(dataset.entries) >= 100_000
    app = create_app(dataset, now=lambda: NOW)
    month = {"time_since": "2026-10-01T00:00:00Z", "time_until": "2026-11-01T00:00:00Z"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://fake/api", headers=headers(OWNER_EMAIL, OWNER_KEY)
    ) as client:
        grouped = await client.get("/v2/entrygroups", params={**month, "grouping[]": ["projects_id", "users_id"]})
        page = await client.get("/v2/entries", params={**month, "items_per_page": 1000, "enhanced_list": "true"})
    assert grouped.status_code == 200
    assert grouped.json()["groups"]
    assert len(page.json()["entries"]) == 1000


@pytest.mark.parametrize("calc_hard", [False, True], ids=["default", "calc_also_revenues_for_hard_budgets"])
async def test_group_revenue_is_the_sum_of_the_entries_revenue(owner: httpx.AsyncClient, calc_hard: bool) -> None:
    """Spec: EntryGroupV2.revenue is the "revenue of all time entries in the group" and EntryV2.revenue is given
    with enhanced_list=true; both obey calc_also_revenues_for_projects_with_hard_budget (API.md §4.2, §5.1), and
    a running entry counts up to now in both. So an entry group and the sum over its entries agree, which is what
    lets reports (entry groups) and invoice previews (entries) show the same money."""
    flag = {"calc_also_revenues_for_projects_with_hard_budget": "true"} if calc_hard else {}
    listed = await owner.get("/v2/entries", params={**ALL, "enhanced_list": "true", **flag})
    assert listed.status_code == 200, listed.text
    expected: dict[str, float] = defaultdict(float)
    for e in listed.json()["entries"]:
        expected[str(e["projects_id"] or 0)] += e.get("revenue", 0.0)

    result = await groups(owner, ["projects_id"], **ALL, **flag)

    assert {g["group"]: round(g["revenue"], 2) for g in result} == {k: round(v, 2) for k, v in expected.items()}
    assert (dict(expected).get("11", 0.0) > 0) is calc_hard, "the open hard budget (Phoenix) is withheld by default"
