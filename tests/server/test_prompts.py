"""Prompts: each workflow names served tools with arguments their published schemas accept; bad input is refused."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from clockodo_mcp.server.app import build_server
from tests.conftest import held_open
from tests.server.conftest import call, make_runtime

PROMPTS = {"month_close", "weekly_utilization", "budget_check_in", "absence_queue_review", "forgotten_timer_sweep"}
STEP = re.compile(r"^\d+\. (\w+)\((\{.*\})\) — ", re.M)


def steps(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The numbered tool calls of a rendered prompt."""
    return [(tool, json.loads(args)) for tool, args in STEP.findall(text)]


async def rendered(client: Client, name: str, **arguments: str) -> str:
    result = await client.get_prompt(name, arguments)
    (message,) = result.messages
    assert message.role == "user"
    return message.content.text


async def test_the_five_workflows_are_listed_with_their_arguments(mcp_client):
    prompts = {p.name: p for p in (await mcp_client.list_prompts()).prompts}

    assert set(prompts) == PROMPTS
    assert {a.name for a in prompts["month_close"].arguments} == {"period", "customer"}
    assert all(not a.required for p in prompts.values() for a in p.arguments)


@pytest.mark.parametrize("name", sorted(PROMPTS))
async def test_every_step_calls_a_served_tool_with_arguments_its_published_schema_accepts(mcp_client, name):
    schemas = {t.name: t.input_schema for t in (await mcp_client.list_tools()).tools}

    found = steps(await rendered(mcp_client, name))

    assert len(found) >= 2
    for tool, arguments in found:
        concrete = {k: v for k, v in arguments.items() if not (isinstance(v, str) and v.startswith("<"))}
        jsonschema.validate(concrete, schemas[tool])


async def test_the_month_close_previews_before_it_confirms_and_verifies_after(mcp_client):
    text = await rendered(mcp_client, "month_close", period="2026-10", customer="Client XYZ")
    tools = [tool for tool, _ in steps(text)]

    assert tools == ["report_hours", "unbilled_aging", "set_billing_state", "set_billing_state", "report_hours"]
    preview, confirm = steps(text)[2][1], steps(text)[3][1]
    assert "confirm_token" not in preview
    assert confirm["confirm_token"].startswith("<")
    assert preview["customer"] == "Client XYZ"
    assert "wait for my explicit yes" in text


async def test_the_first_step_of_a_workflow_runs_as_written(mcp_client):
    tool, arguments = steps(await rendered(mcp_client, "weekly_utilization", team="Design"))[0]

    out = await call(mcp_client, tool, **arguments)

    assert out["summary"]


async def test_a_bad_period_is_refused_naming_what_a_period_may_be(mcp_client):
    with pytest.raises(MCPError) as raised:
        await mcp_client.get_prompt("month_close", {"period": "fortnight"})

    assert "month_close" in raised.value.error.message
    assert "period" in raised.value.error.message


@pytest.mark.parametrize(
    ("name", "arguments", "says"),
    [
        ("budget_check_in", {"risk_pct": "lots"}, "must be a number"),
        ("budget_check_in", {"risk_pct": "5000"}, "risk_pct"),
        ("forgotten_timer_sweep", {"longer_than_hours": "-3"}, "timer_longer_than_hours"),
        ("month_close", {"custmer": "Client XYZ"}, "Its arguments: customer, period"),
    ],
)
async def test_bad_arguments_are_refused_with_what_is_allowed(mcp_client, name, arguments, says):
    with pytest.raises(MCPError) as raised:
        await mcp_client.get_prompt(name, arguments)

    assert says in raised.value.error.message


async def test_an_unknown_prompt_is_refused_with_the_valid_ones(mcp_client):
    with pytest.raises(MCPError) as raised:
        await mcp_client.get_prompt("invoice_everything")

    assert "Valid prompts: absence_queue_review, budget_check_in" in raised.value.error.message


async def test_in_read_only_mode_a_workflow_that_needs_a_write_says_which_tool_is_missing(fake_app, audit_path):
    runtime = make_runtime(fake_app, audit_path, read_only=True)
    async with held_open(Client(build_server(runtime))) as client:
        with pytest.raises(MCPError) as raised:
            await client.get_prompt("month_close")
        review = await client.get_prompt("weekly_utilization")

    assert "set_billing_state" in raised.value.error.message
    assert review.messages
