"""Bounded answers, counted in cl100k tokens as the client receives them (see tests/server/sizing.py).

On the large company (100k+ entries, 221 people) every tool's default answer stays within 2,000 tokens, the largest
answer any arguments can ask for within 25,000 (Claude Code's default limit), tools/list's model-visible part within
8,000, and following a `next` hint pages through a list without gaps or duplicates.
"""

from __future__ import annotations

import json
import typing
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.dataset import Dataset
from clockodo_mcp.fake.demo import seed
from clockodo_mcp.server.app import build_server, served_tool
from clockodo_mcp.server.config import TOOLSETS
from clockodo_mcp.server.models import ListOutput
from clockodo_mcp.server.registry import selected_tools
from clockodo_mcp.server.views import APP_ONLY_TOOLS
from tests.conftest import held_open
from tests.server.conftest import TODAY, call, demo_mirror, frozen_now, make_runtime
from tests.server.sizing import (
    DEFAULT_BUDGET,
    DEFAULT_CALLS,
    MAX_BUDGET,
    MAX_CALLS,
    TOOLS_LIST_BUDGET,
    UNDO,
    Company,
    answer_bytes,
    answer_tokens,
    default_answer,
    tokens,
    tools_list_tokens,
)

# The confirmation view's buttons answer with the write they apply (measured as that write); a plain client never
# sees them (tests/server/test_views.py).
ALL_TOOLS = sorted(
    spec.name
    for spec in selected_tools(read_only=False, toolsets=frozenset(TOOLSETS))
    if spec.name not in APP_ONLY_TOOLS
)


@pytest.fixture(scope="module")
def large() -> Dataset:
    return seed(seed=7, today=TODAY, size="large")


@pytest.fixture(scope="module")
def large_app(large: Dataset) -> Any:
    """One fake for the module: the calls here only read and preview (undo's setup gets a fake of its own)."""
    return create_app(large, now=frozen_now)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A DuckDB mirror for the warehouse tools, of the demo company: their answers are bounded by their caps (rows
    and characters), which the maximal calls reach on it too, and syncing 100k entries per worker would cost 20 s."""
    return demo_mirror(tmp_path_factory.mktemp("mirror"))


@pytest.fixture
async def large_client(large_app: Any, mirror: str, tmp_path: Path) -> AsyncIterator[Client]:
    runtime = make_runtime(large_app, tmp_path / "audit.jsonl", mirror_url=mirror, toolsets=frozenset(TOOLSETS))
    async with held_open(Client(build_server(runtime))) as client:
        yield client


@pytest.fixture
async def writable_large_client(large: Dataset, tmp_path: Path) -> AsyncIterator[Client]:
    runtime = make_runtime(create_app(large, now=frozen_now), tmp_path / "audit.jsonl")
    async with held_open(Client(build_server(runtime))) as client:
        yield client


def test_every_tool_has_a_default_call():
    assert sorted(DEFAULT_CALLS) == ALL_TOOLS


@pytest.mark.parametrize("tool", [tool for tool in ALL_TOOLS if tool != UNDO])
async def test_a_default_answer_on_the_large_company_is_at_most_2000_tokens(large_client, large, tool):
    result = await default_answer(large_client, Company(large, TODAY), tool)

    assert not result.is_error, result.content
    assert answer_tokens(result) <= DEFAULT_BUDGET, f"{tool}: {answer_tokens(result)} tokens"


async def test_list_changes_after_billing_thousands_of_entries_is_at_most_2000_tokens(writable_large_client):
    arguments = {"period": "this_month", "to_state": "billed"}
    preview = await call(writable_large_client, "set_billing_state", **arguments)
    applied = await call(
        writable_large_client, "set_billing_state", **arguments, confirm_token=preview["confirm_token"]
    )
    assert applied["status"] == "applied"

    result = await writable_large_client.call_tool("list_changes", {})

    assert not result.is_error, result.content
    assert answer_tokens(result) <= DEFAULT_BUDGET
    (change,) = result.structured_content["changes"] if result.structured_content else []
    assert len(change["ids"]["entries"]) == 10
    assert change["id_counts"]["entries"] > 5_000  # every entry of the month, counted


async def test_undos_default_answer_on_the_large_company_is_at_most_2000_tokens(writable_large_client, large):
    result = await default_answer(writable_large_client, Company(large, TODAY), UNDO)

    assert not result.is_error, result.content
    assert answer_tokens(result) <= DEFAULT_BUDGET


@pytest.mark.parametrize(("tool", "arguments"), MAX_CALLS, ids=[f"{i:02d}-{t}" for i, (t, _) in enumerate(MAX_CALLS)])
async def test_the_largest_answers_stay_within_25000_tokens_and_far_from_the_1_mib_event_limit(
    large_client, large, tool, arguments
):
    result = await large_client.call_tool(tool, arguments(Company(large, TODAY)))

    assert not result.is_error, result.content
    assert answer_tokens(result) <= MAX_BUDGET, f"{tool}: {answer_tokens(result)} tokens"
    assert answer_bytes(result) <= 150_000, "the SDK refuses server-sent events over 1 MiB"


async def test_the_maximal_calls_ask_for_each_tools_hard_cap(dataset):
    caps = {
        spec.name: served_tool(spec).parameters["properties"].get("limit", {}).get("maximum")
        for spec in selected_tools(read_only=False, toolsets=frozenset(TOOLSETS))
    }
    for tool, arguments in MAX_CALLS:
        assert arguments(Company(dataset, TODAY)).get("limit") == caps[tool], tool


async def test_the_model_visible_part_of_tools_list_is_at_most_8000_tokens(mcp_client):
    visible, full = await tools_list_tokens(mcp_client)

    assert visible <= TOOLS_LIST_BUDGET - 300, f"{visible} tokens (300 left for schema growth)"
    # 21,783 before single-use definitions were inlined (issue 12), 20,418 after; 20,593 with budget_status's burn
    # history, 20,770 with the _meta.ui links of MCP Apps (issue 14; read by the host, not by the model), 20,805 with
    # report_hours' and unbilled_aging's views, 21,004 with utilization's by_week split and absence_queue's holidays
    # (the data of their views), then decide_absence's batches (absence_ids). The cap moved to 21,500 then: the growth
    # is output schema, which hosts validate against and the model does not read; the model-visible part above keeps
    # its own, tighter cap.
    assert full < 21_500, f"the full tools/list (with output schemas) is {full} tokens"


def list_tools() -> list[str]:
    """Tools whose answer is a paged list."""
    paged = []
    for spec in selected_tools(read_only=False, toolsets=frozenset(TOOLSETS)):
        returned = typing.get_type_hints(spec.fn).get("return")
        if isinstance(returned, type) and issubclass(returned, ListOutput):
            paged.append(spec.name)
    return sorted(paged)


def test_the_list_tools_are_the_paged_ones():
    assert set(list_tools()) >= {
        "lookup", "list_entries", "get_timer", "list_projects", "list_users", "list_absences", "list_changes",
        "report_hours", "unbilled_aging", "utilization", "budget_status", "absence_queue", "alerts",
    }  # fmt: skip


async def test_every_list_tools_schema_has_offset_and_a_limit_with_a_small_default_and_a_hard_cap(mcp_client):
    tools = {t.name: t for t in (await mcp_client.list_tools()).tools}
    for name in list_tools():
        properties = tools[name].input_schema["properties"]
        assert properties["offset"]["minimum"] == 0, name
        limit = properties["limit"]
        assert 1 <= limit["default"] <= 20 < limit["maximum"] <= 200, (name, limit)
        assert "paging" in tools[name].output_schema["required"], name


# -- following `next` -----------------------------------------------------------------------------------------------

Key = Callable[[dict[str, Any]], Any]
ByTool = tuple[str, dict[str, Any], str, Key]

WALKS: list[ByTool] = [
    ("lookup", {"query": "an"}, "matches", lambda m: (m["kind"], m["id"])),
    ("list_entries", {"period": "last_week", "customer": "Client XYZ"}, "entries", lambda e: e["id"]),
    ("list_entries", {"period": "last_week", "team": "Design"}, "entries", lambda e: e["id"]),
    ("get_timer", {"user": "everyone"}, "timers", lambda t: t["entry_id"]),
    ("list_projects", {"active": "all"}, "projects", lambda p: p["id"]),
    ("list_users", {"active": "all"}, "users", lambda u: u["id"]),
    ("list_absences", {"period": "this_year"}, "absences", lambda a: a["id"]),
    ("list_changes", {}, "changes", lambda c: c["change_id"]),
    ("report_hours", {"period": "last_quarter", "group_by": ["team", "month"]}, "groups", lambda g: str(g["key"])),
    ("unbilled_aging", {"per": "project"}, "rows", lambda r: r["id"]),
    ("utilization", {"period": "last_month"}, "users", lambda u: u["id"]),
    ("budget_status", {"include_completed": True}, "projects", lambda p: p["project_id"]),
    ("absence_queue", {}, "requests", lambda r: r["absence"]["id"]),
    ("alerts", {"per_kind": 2}, "alerts", lambda a: a["message"]),
]


async def log_some_time(client: Client, times: int) -> None:
    for hour in range(times):
        arguments = {"project": "Phoenix", "service": "Development", "duration": "15m", "text": f"paging {hour}"}
        preview = await call(client, "log_time", **arguments)
        await call(client, "log_time", **arguments, confirm_token=preview["confirm_token"])


def test_the_walks_cover_every_list_tool():
    assert sorted({tool for tool, *_ in WALKS}) == list_tools()


@pytest.mark.parametrize(("tool", "arguments", "rows", "key"), WALKS, ids=[w[0] for w in WALKS])
async def test_following_next_pages_through_everything_once_in_order(mcp_client, tool, arguments, rows, key):
    if tool == "list_changes":
        await log_some_time(mcp_client, 5)
    schema = next(t for t in (await mcp_client.list_tools()).tools if t.name == tool).input_schema
    everything = await call(mcp_client, tool, **arguments, limit=schema["properties"]["limit"]["maximum"])
    assert everything["paging"]["next"] is None, "the fixture's list fits in one answer at the cap"
    expected = [key(row) for row in everything[rows]]

    seen: list[Any] = []
    page: dict[str, Any] = {}
    for _ in range(200):
        result = await call(mcp_client, tool, **arguments, limit=3, **page)
        assert result["paging"]["total"] == len(expected)
        assert result["paging"]["offset"] == len(seen)
        assert result["paging"]["returned"] == len(result[rows])
        seen += [key(row) for row in result[rows]]
        if result["paging"]["next"] is None:
            break
        assert result["paging"]["next"] == {"offset": len(seen)}
        page = result["paging"]["next"]

    assert seen == expected, "no gaps, no duplicates, same order"
    assert len(expected) > 3 or tool == "get_timer", "the walk crosses at least one page boundary"


async def test_an_offset_past_the_end_says_how_many_rows_there_are(mcp_client):
    result = await mcp_client.call_tool("list_users", {"offset": 1000})
    assert result.is_error
    assert "offset 1000 is past the end: there are 15 matching row(s)" in result.content[0].text  # type: ignore[union-attr]


# -- the last-resort guard ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Sprint review and planning " * 40, "Überstunden für Änderungen " * 40, "7" * 999])
async def test_an_answer_too_large_for_its_cap_is_cut_with_an_exact_next_hint(fake_app, audit_path, text):
    for entry in fake_app.state.store.entries:
        entry.text = text  # long descriptions: 80 entries at the cap would be far over budget
    runtime = make_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        arguments = {"period": "last_30_days", "customer": "Client XYZ"}
        first = await client.call_tool("list_entries", {**arguments, "limit": 80})
        structured = first.structured_content
        assert structured is not None
        paging = structured["paging"]
        rest = await call(client, "list_entries", **arguments, limit=80, **paging["next"])
        reference: list[int] = []
        while len(reference) < paging["returned"] + len(rest["entries"]):  # small pages are never cut
            small = await call(client, "list_entries", **arguments, limit=5, offset=len(reference))
            reference += [e["id"] for e in small["entries"]]

    assert answer_tokens(first) <= MAX_BUDGET
    assert 0 < paging["returned"] < 80 < paging["total"]
    assert paging["next"] == {"offset": paging["returned"]}
    assert "fit the answer size limit" in structured["summary"]
    assert f"Showing 1–{paging['returned']} of {paging['total']}" in structured["summary"]
    assert rest["paging"]["offset"] == paging["returned"]
    ids = [e["id"] for e in structured["entries"]] + [e["id"] for e in rest["entries"]]
    assert ids == reference[: len(ids)], "the next page starts exactly where the cut page ended"


async def test_every_resource_on_the_large_company_stays_within_25000_tokens_and_says_where_the_rest_is(large_client):
    from clockodo_mcp.server.resources import KINDS

    uris = [str(r.uri) for r in (await large_client.list_resources()).resources]
    uris = [uri for uri in uris if not uri.startswith("ui://")]  # views: rendered by the host, never read by the model
    for uri in [*uris, *(f"clockodo://master-data/{kind}" for kind in KINDS)]:
        text = (await large_client.read_resource(uri)).contents[0].text
        assert tokens(text) <= MAX_BUDGET, uri
        body = json.loads(text) if uri != "clockodo://warehouse/schema" else {}
        if isinstance(body, dict) and body.get("truncated"):
            assert "pages through all" in body["note"]
