from datetime import date

import pytest

from tests.server.conftest import NOW, call, call_error
from tests.server.expected import id_of, select, totals


async def test_lookup_finds_both_sarahs_with_scores(mcp_client, fake_app):
    result = await call(mcp_client, "lookup", query="sarah", kinds=["user"])
    names = [m["name"] for m in result["matches"]]
    assert "Sarah Chen" in names
    assert "Sarah Miller" in names
    assert all(0 < m["score"] <= 1 for m in result["matches"])


async def test_lookup_marks_archived_records(mcp_client):
    result = await call(mcp_client, "lookup", query="Polar Logistics")
    polar = next(m for m in result["matches"] if m["name"] == "Polar Logistics")
    assert polar["active"] is False
    assert polar["score"] == 1.0


async def test_lookup_of_nothing_similar_says_so(mcp_client):
    result = await call(mcp_client, "lookup", query="qqqqqq")
    assert result["matches"] == []
    assert "Nothing matches" in result["summary"]


async def test_list_entries_pages_with_totals_over_all_matches(mcp_client, fake_app):
    store = fake_app.state.store
    xyz = id_of(store.customers, "Client XYZ")
    entries = select(store, date(2026, 11, 1), date(2026, 11, 30), where=lambda e: e.customers_id == xyz)
    hours, value = totals(store, entries, NOW)

    first = await call(mcp_client, "list_entries", period="this_month", customer="Client XYZ", limit=10)
    second = await call(
        mcp_client, "list_entries", period="this_month", customer="Client XYZ", limit=10, **first["paging"]["next"]
    )

    assert first["paging"] == {"total": len(entries), "offset": 0, "returned": 10, "next": {"offset": 10}}
    assert len(first["entries"]) == 10
    assert {e["id"] for e in first["entries"]}.isdisjoint({e["id"] for e in second["entries"]})
    assert first["total_hours"] == pytest.approx(hours, abs=0.02)
    assert first["total_value"]["amount"] == pytest.approx(value, abs=1.0)
    assert all(e["customer"] == "Client XYZ" for e in first["entries"])


async def test_list_entries_filters_by_team(mcp_client, fake_app):
    store = fake_app.state.store
    design = id_of(store.teams, "Design")
    members = {u["id"] for u in store.users.values() if u.get("teams_id") == design}
    entries = select(store, date(2026, 11, 23), date(2026, 11, 24), where=lambda e: e.users_id in members)

    result = await call(mcp_client, "list_entries", period="this_week", team="Design", limit=80)

    assert result["paging"]["total"] == len(entries)
    names = {u["name"] for u in store.users.values() if u["id"] in members}
    assert {e["user"] for e in result["entries"]} <= names


async def test_list_entries_flags_the_forgotten_running_timer(mcp_client, fake_app):
    store = fake_app.state.store
    running = [e for e in store.entries if e.time_until is None]
    assert len(running) == 1
    day = running[0].time_since.astimezone(store.tz).date().isoformat()

    result = await call(mcp_client, "list_entries", period={"from": day, "to": day}, user=running[0].users_id, limit=80)

    flagged = [e for e in result["entries"] if e.get("running")]
    assert [e["id"] for e in flagged] == [running[0].id]
    assert flagged[0]["hours"] > 12


async def test_list_entries_refuses_an_offset_past_the_end(mcp_client):
    message = await call_error(mcp_client, "list_entries", period="this_week", offset=99_999)
    assert "offset 99999 is past the end: there are" in message


async def test_list_entries_refuses_an_out_of_range_limit(mcp_client):
    assert "limit" in await call_error(mcp_client, "list_entries", period="today", limit=1000)


async def test_get_timer_for_everyone_finds_the_forgotten_timer(mcp_client, fake_app):
    store = fake_app.state.store
    running = next(e for e in store.entries if e.time_until is None)

    result = await call(mcp_client, "get_timer", user="everyone")

    assert [t["entry_id"] for t in result["timers"]] == [running.id]
    assert result["timers"][0]["running_hours"] > 12


async def test_get_timer_of_a_user_without_a_timer_says_none_is_running(mcp_client):
    result = await call(mcp_client, "get_timer")
    assert result["timers"] == []
    assert "No timer is running" in result["summary"]


async def test_a_worker_asking_for_someone_elses_timer_gets_clockodos_403_explained(worker_client):
    message = await call_error(worker_client, "get_timer", user="Olivia Brandt")
    assert "403" in message
    assert "Workers can only" in message
