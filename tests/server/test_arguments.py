"""Strict arguments: unknown names, wrong types and out-of-range values are refused, explained and audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from clockodo_mcp.audit import iter_records, verify
from clockodo_mcp.server.app import served_tool
from clockodo_mcp.server.registry import TOOLSETS, selected_tools
from tests.server.conftest import call, call_error
from tests.server.gating import entries_state

PERIOD_TOOLS: list[tuple[str, dict[str, Any], str]] = [
    ("report_hours", {}, "period"),
    ("list_entries", {}, "period"),
    ("utilization", {}, "period"),
    ("list_absences", {}, "period"),
    ("set_billing_state", {"to_state": "billed"}, "period"),
    ("set_hourly_rate", {"hourly_rate": 95, "project": "Phoenix"}, "rerate_period"),
    ("alerts", {}, "utilization_period"),
]
BAD_PERIODS: list[Any] = [
    "9999-12-31",
    "9999",
    "9999-12",
    "9999-Q4",
    "0001-01-01",
    "1999-12-31",
    {"from": "0001-01-01", "to": "9999-12-31"},
    {"from": "2037-12-31", "to": "9999-12-31"},
]


def records(audit_path: Path) -> list[dict[str, Any]]:
    return list(iter_records(audit_path))


def rejected_pair(audit_path: Path, tool: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The last outcome of `tool` and the intent with the same call_id."""
    all_records = records(audit_path)
    outcome = [r for r in all_records if r.get("kind") == "outcome" and r.get("tool") == tool][-1]
    intent = [r for r in all_records if r.get("kind") == "intent" and r.get("call_id") == outcome["call_id"]]
    assert len(intent) == 1, outcome
    return intent[0], outcome


async def test_every_input_schema_forbids_additional_properties(mcp_client: Client) -> None:
    tools = (await mcp_client.list_tools()).tools
    assert len(tools) > 20
    assert all(t.input_schema.get("additionalProperties") is False for t in tools)


def test_every_served_input_schema_is_exactly_what_its_strict_argument_model_generates() -> None:
    for spec in selected_tools(read_only=False, toolsets=TOOLSETS):
        tool = served_tool(spec)
        assert tool.parameters == tool.fn_metadata.arg_model.model_json_schema(by_alias=True), spec.name
        assert tool.fn_metadata.arg_model.model_config.get("extra") == "forbid", spec.name


async def test_an_unknown_argument_is_refused_with_the_closest_valid_name(mcp_client: Client) -> None:
    error = await call_error(mcp_client, "report_hours", period="last_month", projects="Phoenix", billing="unbilled")
    assert error == "unknown argument 'projects'; did you mean 'project'? Nothing was changed."


async def test_several_unknown_arguments_are_each_named(mcp_client: Client) -> None:
    error = await call_error(mcp_client, "report_hours", period="last_month", projects="Phoenix", biling="x", zzz=1)
    assert "unknown argument 'projects'; did you mean 'project'?" in error
    assert "unknown argument 'biling'; did you mean 'billing'?" in error
    assert "unknown argument 'zzz'; the valid arguments are period, group_by, billing," in error


async def test_a_billing_write_with_a_typo_previews_nothing(mcp_client: Client, fake_app: Any) -> None:
    before = entries_state(fake_app.state.store)
    error = await call_error(
        mcp_client, "set_billing_state", period="last_month", to_state="billed", projects="Phoenix"
    )
    assert error.startswith("unknown argument 'projects'; did you mean 'project'?")
    assert "confirm_token" not in error
    assert entries_state(fake_app.state.store) == before


async def test_edit_entry_with_an_argument_it_does_not_have_is_refused(mcp_client: Client) -> None:
    error = await call_error(mcp_client, "edit_entry", entry_id=1, user="Sarah Chen")
    assert error.startswith("unknown argument 'user'; the valid arguments are entry_id, date, start,")


async def test_a_type_error_is_one_sentence_without_a_pydantic_dump(mcp_client: Client) -> None:
    error = await call_error(mcp_client, "report_hours", period="last_month", limit="three")
    assert error == "'limit' must be a whole number from 1 to 100 (got 'three'). Nothing was changed."


async def test_a_missing_argument_says_what_to_give(mcp_client: Client) -> None:
    error = await call_error(mcp_client, "report_hours", billing="unbilled")
    assert error.startswith("'period' is required: E.g. this_month, last_30_days")


async def test_a_wrong_value_inside_a_period_names_the_key(mcp_client: Client) -> None:
    bad_month = await call_error(mcp_client, "report_hours", period={"from": "2026-13-01", "to": "2026-12-31"})
    typo = await call_error(mcp_client, "report_hours", period={"from": "2026-11-01", "until": "2026-11-30"})
    assert bad_month == "'period.from' must be a date 'YYYY-MM-DD' (got '2026-13-01'). Nothing was changed."
    assert "'period' lacks 'to'; give 'from' and 'to'." in typo
    assert "'period' has an unknown key 'until'; use only 'from', 'to'." in typo


async def test_a_wrong_list_item_names_its_position(mcp_client: Client) -> None:
    error = await call_error(mcp_client, "report_hours", period="last_month", group_by=["project", "users"])
    assert error.startswith("'group_by[1]' must be one of 'project', 'customer', 'user',")
    assert error.endswith("(got 'users'). Nothing was changed.")


async def test_true_is_not_the_number_one(mcp_client: Client) -> None:
    top = await call_error(mcp_client, "report_hours", period="last_month", limit=True)
    user = await call_error(mcp_client, "list_entries", period="last_month", user=True)
    assert top == "'limit' must be a whole number from 1 to 100, not true. Nothing was changed."
    assert user.startswith("'user' must be text of 1–200 characters or a whole number of at least 1, not true.")


@pytest.mark.parametrize(
    ("tool", "arguments", "needle"),
    [
        ("set_hourly_rate", {"hourly_rate": "Infinity", "project": "Phoenix"}, "'hourly_rate' must be a number from 0"),
        ("set_hourly_rate", {"hourly_rate": -1, "project": "Phoenix"}, "'hourly_rate' must be a number from 0"),
        ("set_hourly_rate", {"hourly_rate": 95.555, "project": "Phoenix"}, "must have at most 2 decimals"),
        ("set_hourly_rate", {"hourly_rate": 1e12, "project": "Phoenix"}, "from 0 to 99999999.99"),
        ("set_project_budget", {"project": "Phoenix", "amount": 0, "unit": "hours"}, "above 0 and at most"),
        ("set_project_budget", {"project": "Phoenix", "amount": "-Infinity", "unit": "money"}, "above 0"),
        ("set_project_budget", {"project": "Phoenix", "amount": 10.001, "unit": "money"}, "at most 2 decimals"),
        ("delete_entry", {"entry_id": 0}, "'entry_id' must be a whole number of at least 1 (got 0)"),
        ("delete_entry", {"entry_id": 2**63}, "'entry_id' must be a whole number of at least 1"),
        ("log_time", {"project": "Phoenix", "duration": "1h", "text": "x" * 1001}, "text of at most 1000"),
        ("lookup", {"query": "p" * 201}, "'query' must be text of 1–200 characters"),
        ("lookup", {"query": "\ud800"}, "'query' must be valid Unicode text"),
        ("lookup", {"query": "a\x00b"}, "'query' must not contain NUL characters"),
        ("decide_absence", {"decision": "approve", "user": "Sarah", "date": "9999-01-01"}, "from 2000-01-01"),
        ("list_entries", {"period": "x" * 65}, "'period' must be text of at most 64 characters"),
    ],
)
async def test_out_of_range_values_are_refused_before_the_tool_runs(
    mcp_client: Client, fake_app: Any, audit_path: Path, tool: str, arguments: dict[str, Any], needle: str
) -> None:
    before = entries_state(fake_app.state.store)
    error = await call_error(mcp_client, tool, **arguments)
    assert needle in error
    assert error.endswith("Nothing was changed.")
    assert "pydantic" not in error
    assert "http" not in error
    assert entries_state(fake_app.state.store) == before
    intent, outcome = rejected_pair(audit_path, tool)
    assert outcome["status"] == "rejected"
    assert outcome["error"] == error
    assert intent["tool"] == tool


@pytest.mark.parametrize(("tool", "arguments", "name"), PERIOD_TOOLS)
async def test_periods_outside_clockodo_years_are_refused_by_every_period_tool(
    mcp_client: Client, fake_app: Any, tool: str, arguments: dict[str, Any], name: str
) -> None:
    before = entries_state(fake_app.state.store)
    for period in BAD_PERIODS:
        error = await call_error(mcp_client, tool, **arguments, **{name: period})
        assert "outside the years Clockodo accepts (2000–2037)" in error, (period, error)
    assert entries_state(fake_app.state.store) == before


async def test_the_last_day_clockodo_accepts_still_works(mcp_client: Client) -> None:
    out = await call(mcp_client, "report_hours", period={"from": "2037-12-01", "to": "2037-12-31"})
    assert out["total_hours"] == 0


async def test_a_schema_rejection_is_audited_as_intent_and_rejected_outcome(
    mcp_client: Client, audit_path: Path
) -> None:
    await call_error(mcp_client, "set_hourly_rate", hourly_rate="Infinity", project="Phoenix", confirm_token="abc")
    intent, outcome = rejected_pair(audit_path, "set_hourly_rate")
    assert intent["write"] is True
    assert intent["args"] == {"hourly_rate": "Infinity", "project": "Phoenix", "confirm_token": "[redacted]"}
    assert outcome["status"] == "rejected"
    assert verify(audit_path).ok


async def test_a_rejected_call_with_unstorable_values_is_still_audited(mcp_client: Client, audit_path: Path) -> None:
    await call_error(mcp_client, "report_hours", period="last_month", limit=10**400, huge="y" * 5000)
    intent, outcome = rejected_pair(audit_path, "report_hours")
    assert intent["args"]["limit"] == "<an integer of 1329 bits>"
    assert intent["args"]["huge"].endswith("… (5000 characters)")
    assert outcome["status"] == "rejected"
    assert verify(audit_path).ok


async def test_a_domain_rejection_is_audited_too(mcp_client: Client, audit_path: Path) -> None:
    await call_error(mcp_client, "report_hours", period="9999")
    intent, outcome = rejected_pair(audit_path, "report_hours")
    assert intent["args"]["period"] == "9999"
    assert outcome["status"] == "rejected"
