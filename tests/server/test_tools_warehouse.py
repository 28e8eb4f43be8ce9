"""The warehouse tools: `query` and `sync_status` on a real mirror that `clockodo-mcp sync` wrote from the fake."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from clockodo_mcp.audit import iter_records
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import TOOLSETS, config_from_env
from tests.conftest import held_open
from tests.server.conftest import call, call_error, make_runtime

ALL = frozenset(TOOLSETS)


def clockodo_entry_count(fake_app: Any) -> int:
    """How many entries the fake holds, counted from its dataset (not through the mirror)."""
    return len(fake_app.state.store.entries)


@pytest.fixture
async def warehouse_client(fake_app, audit_path, mirror_file):
    url = "duckdb:///" + mirror_file.as_posix().lstrip("/")
    runtime = make_runtime(fake_app, audit_path, mirror_url=url, toolsets=ALL)
    async with held_open(Client(build_server(runtime))) as client:
        yield client


async def test_the_warehouse_tools_are_served_only_where_a_mirror_is_configured(mcp_client):
    names = {tool.name for tool in (await mcp_client.list_tools()).tools}
    assert "query" not in names
    assert "sync_status" not in names
    assert "warehouse" in config_from_env({"CLOCKODO_MCP_MIRROR": "duckdb:///tmp/m.duckdb"}).toolsets
    assert "warehouse" not in config_from_env({}).toolsets


async def test_query_answers_from_the_mirror_with_its_age(warehouse_client, fake_app):
    out = await call(warehouse_client, "query", sql="SELECT COUNT(*) AS n FROM entries")
    assert out["columns"] == ["n"]
    assert out["rows"] == [[clockodo_entry_count(fake_app)]]
    assert out["truncated"] is False
    assert out["mirror"]["age_minutes"] == 0
    assert out["mirror"]["last_sync"].startswith("2026-11-24T15:00")
    assert "0 min old" in out["summary"]


async def test_a_query_with_more_rows_than_asked_for_says_so(warehouse_client):
    out = await call(warehouse_client, "query", sql="SELECT id FROM entries ORDER BY id", limit=5)
    assert len(out["rows"]) == 5
    assert out["truncated"] is True
    assert "More rows matched" in out["summary"]


async def test_a_write_through_query_is_refused_audited_and_changes_nothing(warehouse_client, audit_path):
    before = await call(warehouse_client, "query", sql="SELECT COUNT(*), SUM(duration) FROM entries")
    error = await call_error(warehouse_client, "query", sql="DELETE FROM entries")
    assert "Only SELECT queries run on the mirror (got DELETE)" in error
    assert "Nothing was changed." in error
    after = await call(warehouse_client, "query", sql="SELECT COUNT(*), SUM(duration) FROM entries")
    assert after["rows"] == before["rows"]
    outcomes = [r for r in iter_records(audit_path) if r.get("kind") == "outcome" and r.get("tool") == "query"]
    assert [o["status"] for o in outcomes][1] != "ok"


async def test_sync_status_lists_every_table_and_the_last_run(warehouse_client, fake_app):
    out = await call(warehouse_client, "sync_status")
    counts = {t["table"]: t["rows"] for t in out["tables"]}
    assert counts["entries"] == clockodo_entry_count(fake_app)
    assert counts["projects"] == len(fake_app.state.store.projects)
    assert out["last_run_requests"] > 0
    assert out["mirror"]["age_minutes"] == 0
    assert "entries in" in out["summary"]


async def test_without_a_mirror_the_warehouse_tools_say_how_to_get_one(fake_app, audit_path):
    runtime = make_runtime(fake_app, audit_path, toolsets=ALL)
    async with held_open(Client(build_server(runtime))) as client:
        error = await call_error(client, "sync_status")
    assert "No mirror is configured. Run `clockodo-mcp sync`" in error
    assert "CLOCKODO_MCP_MIRROR" in error


async def test_a_configured_mirror_that_was_never_synced_is_named_with_the_fix(fake_app, audit_path, tmp_path):
    url = "duckdb:///" + (tmp_path / "missing.duckdb").as_posix().lstrip("/")
    runtime = make_runtime(fake_app, audit_path, mirror_url=url, toolsets=ALL)
    async with held_open(Client(build_server(runtime))) as client:
        error = await call_error(client, "query", sql="SELECT 1")
    assert "There is no mirror at" in error
    assert "run `clockodo-mcp sync` first" in error


async def test_the_warehouse_schema_is_a_resource_whose_columns_the_query_tool_can_select(warehouse_client):
    listed = {str(r.uri): r for r in (await warehouse_client.list_resources()).resources}
    schema = listed["clockodo://warehouse/schema"]
    assert schema.mime_type == "text/markdown"

    text = (await warehouse_client.read_resource("clockodo://warehouse/schema")).contents[0].text
    columns = [
        line.split("`")[1]
        for line in text.split("## `entries`")[1].split("## ")[0].splitlines()
        if line.startswith("| `")
    ]
    out = await call(
        warehouse_client, "query", sql="SELECT " + ", ".join(f'"{c}"' for c in columns) + " FROM entries", limit=1
    )

    assert out["columns"] == columns
    assert "revenue" in columns


async def test_without_a_mirror_the_server_offers_no_warehouse_schema(mcp_client):
    listed = {str(r.uri) for r in (await mcp_client.list_resources()).resources}
    assert "clockodo://warehouse/schema" not in listed
