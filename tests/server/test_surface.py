"""The tool surface is public API: snapshotted, fully annotated, and documented in the README."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mcp import Client

from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import TOOLSETS
from clockodo_mcp.server.docs import LIMITS_END, LIMITS_START, TABLE_END, TABLE_START, limits_table, tool_table
from clockodo_mcp.server.registry import REGISTRY, selected_tools

SNAPSHOT = Path(__file__).parent / "tool_surface.json"
README = Path(__file__).parents[2] / "README.md"
ISSUE_TOOLS = {
    "lookup",
    "list_entries",
    "get_timer",
    "list_projects",
    "list_absences",
    "list_users",
    "report_hours",
    "unbilled_aging",
    "utilization",
    "budget_status",
    "absence_queue",
    "alerts",
}


async def surface(runtime) -> list[dict]:
    async with Client(build_server(runtime)) as client:
        tools = (await client.list_tools()).tools
    return [
        {
            "name": t.name,
            "title": t.title,
            "description": t.description,
            "annotations": t.annotations.model_dump(by_alias=True, exclude_none=True) if t.annotations else None,
            "inputSchema": t.input_schema,
            "outputSchema": t.output_schema,
        }
        for t in sorted(tools, key=lambda t: t.name)
    ]


async def test_the_tool_surface_matches_the_snapshot(runtime):
    current = await surface(runtime)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == expected, "Tool surface changed: review, then rerun with UPDATE_SNAPSHOTS=1"


async def test_every_tool_declares_all_four_annotations(runtime):
    for tool in await surface(runtime):
        annotations = tool["annotations"] or {}
        for hint in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
            assert isinstance(annotations.get(hint), bool), f"{tool['name']} lacks {hint}"


async def test_every_tool_has_an_output_schema_and_a_description(runtime):
    for tool in await surface(runtime):
        assert tool["outputSchema"], tool["name"]
        assert len(tool["description"]) > 80, tool["name"]
        assert "summary" in tool["outputSchema"]["properties"], tool["name"]


def test_the_issue_names_are_all_registered():
    selected_tools(read_only=False, toolsets=frozenset(TOOLSETS))
    assert set(REGISTRY) >= ISSUE_TOOLS


def test_read_only_mode_keeps_exactly_the_read_only_tools():
    all_tools = selected_tools(read_only=False, toolsets=frozenset(TOOLSETS))
    read_only = selected_tools(read_only=True, toolsets=frozenset(TOOLSETS))
    assert {s.name for s in read_only} == {s.name for s in all_tools if s.read_only}
    assert all(not s.destructive for s in read_only)


def test_toolsets_filter_by_area_and_keep_core():
    chosen = selected_tools(read_only=False, toolsets=frozenset({"core", "billing"}))
    assert {s.toolset for s in chosen} <= {"core", "billing"}
    assert "report_hours" in {s.name for s in chosen}
    assert "list_users" not in {s.name for s in chosen}


def test_the_readme_tool_table_is_generated_from_the_registry():
    text = README.read_text(encoding="utf-8")
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    assert text[start:end].strip() == tool_table().strip(), "Regenerate with `clockodo-mcp tools --markdown`"


def test_the_readme_result_limits_table_is_generated_from_the_registry():
    text = README.read_text(encoding="utf-8")
    start, end = text.index(LIMITS_START) + len(LIMITS_START), text.index(LIMITS_END)
    assert text[start:end].strip() == limits_table().strip()


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_tools_list_and_call_in_both_protocol_eras(runtime, mode):
    async with Client(build_server(runtime), mode=mode) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names >= ISSUE_TOOLS
        result = await client.call_tool("report_hours", {"period": "this_month", "billing": "unbilled"})
    assert not result.is_error
    assert result.structured_content["total_hours"] > 0
