"""The tool surface is public API: snapshotted, fully annotated, and documented in the README."""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from clockodo_mcp.server import registry
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import TOOLSETS
from clockodo_mcp.server.docs import LIMITS_END, LIMITS_START, TABLE_END, TABLE_START, limits_table, tool_table
from clockodo_mcp.server.instructions import instructions
from clockodo_mcp.server.registry import REGISTRY, selected_tools
from tests.server.conftest import make_runtime
from tests.server.sizing import tokens

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
            "meta": t.meta,  # the MCP Apps link (_meta.ui): a read tool's view, every write's confirmation dialog
        }
        for t in sorted(tools, key=lambda t: t.name)
    ]


# The instructions as they were written by hand, before they were generated: generating must not make them longer.
HAND_WRITTEN_INSTRUCTIONS_TOKENS = 391
WRITE_WORDS = re.compile(r"\b(writes?|confirm\w*|tokens?|undo\w*|changes? nothing)\b", re.IGNORECASE)
OPTIONAL_TOOLSETS = [t for t in TOOLSETS if t != "core"]
SELECTIONS = [
    frozenset({"core", *chosen})
    for n in range(len(OPTIONAL_TOOLSETS) + 1)
    for chosen in itertools.combinations(OPTIONAL_TOOLSETS, n)
]


def check_snapshot(current: Any, path: Path) -> None:
    """Compare with the snapshot; write it only when asked to (UPDATE_SNAPSHOTS=1), never because it is missing."""
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if not path.exists():
        pytest.fail(f"The snapshot {path.name} is missing: review the surface, then rerun with UPDATE_SNAPSHOTS=1")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert current == expected, "Tool surface changed: review, then rerun with UPDATE_SNAPSHOTS=1"


async def test_the_tool_surface_matches_the_snapshot(runtime):
    check_snapshot(await surface(runtime), SNAPSHOT)


def test_a_missing_snapshot_fails_instead_of_being_written(tmp_path, monkeypatch):
    monkeypatch.delenv("UPDATE_SNAPSHOTS", raising=False)
    missing = tmp_path / "tool_surface.json"
    with pytest.raises(pytest.fail.Exception, match=r"tool_surface\.json is missing"):
        check_snapshot([{"name": "lookup"}], missing)
    assert not missing.exists()


def test_a_tool_with_an_unknown_toolset_is_refused_at_registration():
    async def invoice(ctx: Any) -> None:
        """Would write invoices; its toolset does not exist."""

    with pytest.raises(ValueError, match="unknown toolset 'finance'; choose from: core, time, billing"):
        registry.tool(title="Invoice", toolset="finance", read_only=True, destructive=False, idempotent=True)(invoice)  # type: ignore[arg-type]
    assert "invoice" not in REGISTRY
    with pytest.raises(ValueError, match="Unknown toolset"):
        selected_tools(read_only=False, toolsets=frozenset({"core", "finance"}))


@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
@pytest.mark.parametrize("toolsets", SELECTIONS, ids=["+".join(sorted(s)) for s in SELECTIONS])
def test_the_instructions_name_only_tools_that_are_served(toolsets, read_only):
    served = {spec.name for spec in selected_tools(read_only=read_only, toolsets=toolsets)}
    text = instructions(selected_tools(read_only=read_only, toolsets=toolsets))
    named = {name for name in REGISTRY if re.search(rf"\b{name}\b", text)}
    assert named <= served, f"{sorted(named - served)} are named but not served"
    if read_only:
        assert WRITE_WORDS.findall(text) == []


def test_the_instructions_explain_what_the_served_tools_need_and_no_more():
    everything = instructions(selected_tools(read_only=False))
    for topic in ("- Names:", "- Periods", "- Billing states", "- Hours and money", "- Lists are paged", "- Writes"):
        assert topic in everything
    assert "undo(change_id) reverts a write; list_changes shows recent writes." in everything
    people = instructions(selected_tools(read_only=True, toolsets={"core", "people"}))
    assert "- Billing states" not in people
    assert "utilization, absence_queue, alerts" in people
    assert "list_entries" not in people


def test_the_generated_instructions_are_no_longer_than_the_hand_written_ones():
    assert tokens(instructions(selected_tools(read_only=False))) <= HAND_WRITTEN_INSTRUCTIONS_TOKENS


async def test_a_read_only_server_serves_instructions_without_writes(fake_app, audit_path):
    runtime = make_runtime(fake_app, audit_path, read_only=True)
    async with Client(build_server(runtime)) as client:
        served = client.instructions or ""
        names = {t.name for t in (await client.list_tools()).tools}
    assert served == instructions(selected_tools(read_only=True))
    assert "undo" not in names
    assert WRITE_WORDS.findall(served) == []


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
