"""The mirror equals Clockodo after every sync: backfill, changes in the window and in old months, crashes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clockodo_mcp.clockodo import Billable, ClockodoClient, EntryUpdate, NewTimeEntry
from clockodo_mcp.sync import SyncOptions, SyncReport, open_target, render_reference, sync_once
from clockodo_mcp.sync.engine import ProgressEvent
from tests.sync.conftest import Fake, clockodo_entries, clockodo_get, clockodo_ids
from tests.sync.mirror import duckdb_query, entries_sql, mirror_entries

WINDOW_START = datetime(2026, 8, 31, 22, 0, tzinfo=UTC)  # 2026-09-01 in Berlin: 60 days back, to the month start


def raw_entries(fake: Fake, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Clockodo's entries starting in [since, until), first page (enough to pick some)."""
    body = clockodo_get(
        fake.base_url,
        "/v2/entries",
        {
            "time_since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "time_until": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "enhanced_list": "true",
            "items_per_page": 1000,
        },
    )
    return [e for e in body["entries"] if e["type"] == 1 and e["time_until"] is not None]


async def sync(client: ClockodoClient, fake: Fake, url: str, **options: Any) -> SyncReport:
    return await sync_once(client, open_target(url), fake.clock, SyncOptions(**options))


def duckdb_url(tmp_path: Path) -> str:
    return f"duckdb://{(tmp_path / 'mirror.duckdb').as_posix()}"


async def change_everything(client: ClockodoClient, fake: Fake) -> dict[str, int]:
    """Edits, deletes, new entries, moves, billing changes, an old-month edit, a new project, a deleted absence."""
    recent = raw_entries(fake, datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
    old = raw_entries(fake, datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 7, 31, tzinfo=UTC))
    month_old = raw_entries(fake, datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 25, tzinfo=UTC))
    projects = clockodo_get(fake.base_url, "/v4/projects")["data"]
    other_project = next(p for p in projects if p["id"] != recent[0]["projects_id"] and p["active"])
    unbilled_recent = next(e for e in recent if e["billable"] == 1)
    unbilled_old = next(e for e in old if e["billable"] == 1)
    movable_old = next(e for e in old if e["projects_id"] and e["projects_id"] != other_project["id"])
    await client.entries.update(recent[0]["id"], EntryUpdate(text="Edited after the first sync"))
    await client.entries.update(
        recent[1]["id"], EntryUpdate(time_until=datetime.fromisoformat(recent[1]["time_until"]) + timedelta(minutes=45))
    )
    await client.entries.delete(recent[2]["id"])
    await client.entries.delete(old[3]["id"])
    created = await client.entries.create(
        NewTimeEntry(
            customers_id=other_project["customers_id"],
            projects_id=other_project["id"],
            services_id=recent[0]["services_id"],
            billable=Billable.BILLABLE,
            time_since=datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
            time_until=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
            text="Logged between two syncs",
        )
    )
    await client.entries.update(
        recent[4]["id"], EntryUpdate(projects_id=other_project["id"], customers_id=other_project["customers_id"])
    )
    await client.entries.update(
        movable_old["id"], EntryUpdate(projects_id=other_project["id"], customers_id=other_project["customers_id"])
    )
    await client.entries.update(unbilled_recent["id"], EntryUpdate(billable=Billable.BILLED))
    await client.entries.update(unbilled_old["id"], EntryUpdate(billable=Billable.BILLED))
    await client.entries.update(month_old[0]["id"], EntryUpdate(duration=month_old[0]["duration"] + 900))
    project = await client.projects.create(customers_id=other_project["customers_id"], name="Project Nova")
    absences = clockodo_get(fake.base_url, "/v4/absences", {"filter[year][]": 2026})["data"]
    absence = next(a for a in absences if a["status"] == 0)  # a request: deletable without declining first
    await client.absences.delete(absence["id"])
    return {"created": created.id, "project": project.id, "absence": absence["id"], "old": movable_old["id"]}


async def test_the_first_sync_backfills_a_mirror_equal_to_clockodo(client, fake, tmp_path):
    report = await sync(client, fake, duckdb_url(tmp_path))

    assert mirror_entries(duckdb_query(tmp_path / "mirror.duckdb", entries_sql())) == clockodo_entries(fake.base_url)
    assert len(report.backfilled_months) == 22  # 2024-11 … 2026-08; the window starts 2026-09
    assert report.entries_written == len(clockodo_entries(fake.base_url))


async def test_after_edits_deletes_moves_and_billing_changes_the_next_sync_equals_clockodo(client, fake, tmp_path):
    url = duckdb_url(tmp_path)
    await sync(client, fake, url)
    ids = await change_everything(client, fake)

    report = await sync(client, fake, url)

    mirror = mirror_entries(duckdb_query(tmp_path / "mirror.duckdb", entries_sql()))
    assert mirror == clockodo_entries(fake.base_url)
    assert ids["created"] in mirror
    assert report.repulled_months == ["2026-07"]  # the old month with a move, a delete and a billing change
    projects = {row[0] for row in duckdb_query(tmp_path / "mirror.duckdb", "SELECT id FROM projects")}
    assert projects == clockodo_ids(fake.base_url, "/v4/projects")
    assert ids["project"] in projects
    absences = {row[0] for row in duckdb_query(tmp_path / "mirror.duckdb", "SELECT id FROM absences")}
    assert ids["absence"] not in absences


async def test_a_sync_that_crashes_at_a_page_boundary_keeps_what_it_committed_and_resumes_to_equality(
    client, fake, tmp_path
):
    url = duckdb_url(tmp_path)
    pages = 0

    def crash_on_the_fifth_page(event: ProgressEvent) -> None:
        nonlocal pages
        if event.phase == "entries" and event.entries:
            pages += 1
            if pages == 5:
                raise RuntimeError("killed mid-sync")

    with pytest.raises(RuntimeError, match="killed mid-sync"):
        await sync_once(client, open_target(url), fake.clock, SyncOptions(page_size=200), crash_on_the_fifth_page)

    resumed = await sync(client, fake, url, page_size=200)

    assert mirror_entries(duckdb_query(tmp_path / "mirror.duckdb", entries_sql())) == clockodo_entries(fake.base_url)
    assert 0 < len(resumed.backfilled_months) < 22  # it went on from where the crash left off


async def test_a_run_whose_connection_drops_mid_pull_leaves_the_mirror_whole_and_the_next_run_repairs_it(
    client, fake, tmp_path
):
    url = duckdb_url(tmp_path)
    await sync(client, fake, url)
    await change_everything(client, fake)
    before = mirror_entries(duckdb_query(tmp_path / "mirror.duckdb", entries_sql()))
    fake.faults.inject("drop", count=4, path_prefix="/v2/entries")  # more than the client's retries

    with pytest.raises(Exception, match="Could not reach Clockodo"):
        await sync(client, fake, url)

    # The failed pull was rolled back whole: the mirror is still the first sync's.
    assert mirror_entries(duckdb_query(tmp_path / "mirror.duckdb", entries_sql())) == before
    fake.faults.clear()
    await sync(client, fake, url)
    assert mirror_entries(duckdb_query(tmp_path / "mirror.duckdb", entries_sql())) == clockodo_entries(fake.base_url)


async def test_a_second_sync_with_nothing_changed_costs_the_window_pages_and_one_reconcile(client, fake, tmp_path):
    url = duckdb_url(tmp_path)
    first = await sync(client, fake, url)

    second = await sync(client, fake, url)

    window = clockodo_get(
        fake.base_url,
        "/v2/entries",
        {"time_since": "2026-08-31T22:00:00Z", "time_until": "2027-11-25T15:00:00Z", "items_per_page": 1000},
    )["paging"]
    active_users = [u for u in clockodo_get(fake.base_url, "/v3/users")["data"] if u["active"]]
    assert second.repulled_months == []
    assert second.checked_months == 22
    assert second.entries_written == window["count_items"]
    # users/me, 7 master-data lists, absences, target hours, holidays for 2024–2027, 2 entry-group requests and the
    # window's pages; work times (one request per active co-worker) only on the first run of the day.
    assert second.requests == 1 + 7 + 1 + 1 + 4 + 2 + window["count_pages"]
    assert first.requests >= second.requests + len(active_users) + 22  # + the pages of each backfilled month


async def test_every_table_is_filled_and_budget_snapshots_keep_one_row_per_project_per_day(client, fake, tmp_path):
    url = duckdb_url(tmp_path)
    await sync(client, fake, url)
    fake.clock.advance(86_400)
    await sync(client, fake, url)

    path = tmp_path / "mirror.duckdb"
    for table in ("customers", "projects", "services", "lumpsum_services", "users", "teams", "absences"):
        assert duckdb_query(path, f"SELECT count(*) FROM {table}")[0][0] > 0, table
    for table in ("target_hours", "nonbusiness_days", "work_times", "entry_months"):
        assert duckdb_query(path, f"SELECT count(*) FROM {table}")[0][0] > 0, table
    projects = len(clockodo_ids(fake.base_url, "/v4/projects"))
    days = duckdb_query(path, "SELECT snapshot_date, count(*) FROM budget_snapshots GROUP BY 1 ORDER BY 1")
    assert days == [(date(2026, 11, 24), projects), (date(2026, 11, 25), projects)]
    state = dict(duckdb_query(path, "SELECT key, value FROM sync_state"))
    assert state["schema_version"] == "1"
    assert state["backfill_complete"] == "1"


async def test_entry_months_agree_with_the_entries_month_by_month(client, fake, tmp_path):
    await sync(client, fake, duckdb_url(tmp_path))

    path = tmp_path / "mirror.duckdb"
    # The current month has running entries, whose duration Clockodo counts up to now.
    from_clockodo = duckdb_query(
        path, "SELECT month, sum(duration), sum(revenue) FROM entry_months WHERE month < '2026-11' GROUP BY 1"
    )
    from_entries = duckdb_query(
        path,
        "SELECT month, sum(CASE WHEN type = 1 THEN duration ELSE 0 END), sum(revenue) FROM entries "
        "WHERE month < '2026-11' GROUP BY 1",
    )
    assert {m: (d, round(r, 2)) for m, d, r in from_clockodo} == {m: (d, round(r, 2)) for m, d, r in from_entries}


def test_the_warehouse_reference_is_current():
    path = Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"
    assert path.read_text(encoding="utf-8") == render_reference(), (
        "docs/warehouse.md is stale: run `python -m clockodo_mcp.sync.schema > docs/warehouse.md`"
    )


async def test_an_earlier_since_backfills_the_older_months_too(client, fake, tmp_path):
    url = duckdb_url(tmp_path)
    first = await sync(client, fake, url, since=date(2026, 9, 1))
    assert first.backfilled_months == []  # the window starts 2026-09 too: nothing older to backfill

    second = await sync(client, fake, url, since=date(2026, 5, 1))

    assert second.backfilled_months == ["2026-05", "2026-06", "2026-07", "2026-08"]
    assert mirror_entries(duckdb_query(tmp_path / "mirror.duckdb", entries_sql())) == clockodo_entries(fake.base_url)


async def test_a_passing_server_error_is_retried_and_the_mirror_still_equals_clockodo(client, fake, tmp_path):
    fake.faults.inject("server_error", count=1, status=502, path_prefix="/v2/entries")

    await sync(client, fake, duckdb_url(tmp_path))

    assert fake.faults.fired == [("server_error", "/api/v2/entries")]
    assert mirror_entries(duckdb_query(tmp_path / "mirror.duckdb", entries_sql())) == clockodo_entries(fake.base_url)
