"""Resources: listable and readable, audited, capped, and an unknown URI names the valid ones."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from clockodo_mcp.audit import iter_records
from clockodo_mcp.fake.demo import WORKER_EMAIL, WORKER_KEY
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.resources import KINDS
from tests.conftest import held_open
from tests.server.conftest import make_runtime
from tests.server.gating import apply


async def read_json(client: Client, uri: str) -> Any:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert content.mime_type == "application/json"
    return json.loads(content.text)


async def test_the_account_master_data_timer_and_changes_are_listed_with_the_templates(mcp_client):
    listed = {str(r.uri) for r in (await mcp_client.list_resources()).resources if not str(r.uri).startswith("ui://")}
    templates = {t.uri_template for t in (await mcp_client.list_resource_templates()).resource_templates}

    assert listed == {"clockodo://account", "clockodo://master-data", "clockodo://timer", "clockodo://changes"}
    assert templates == {"clockodo://master-data/{kind}", "clockodo://changes/{change_id}"}


async def test_the_account_names_the_api_user_currency_and_time_zone(mcp_client, fake_app):
    account = await read_json(mcp_client, "clockodo://account")

    assert account["currency"] == "EUR"
    assert account["time_zone"] == "Europe/Berlin"
    assert account["user"]["role"] == "owner"
    assert account["projects"] == len(fake_app.state.store.projects)


async def test_each_kind_of_master_data_lists_every_record_of_the_fake(mcp_client, fake_app):
    index = await read_json(mcp_client, "clockodo://master-data")
    assert [k["kind"] for k in index["kinds"]] == list(KINDS)

    projects = await read_json(mcp_client, "clockodo://master-data/projects")
    users = await read_json(mcp_client, "clockodo://master-data/users")

    assert {p["id"] for p in projects["projects"]} == set(fake_app.state.store.projects)
    assert users["count"] == len(fake_app.state.store.users)
    budgeted = [p for p in projects["projects"] if p["budget"]]
    assert budgeted
    assert {b["budget"]["unit"] for b in budgeted} <= {"hours", "money"}


async def test_my_timer_is_none_until_one_is_started_then_it_shows(mcp_client):
    before = await read_json(mcp_client, "clockodo://timer")
    await apply(mcp_client, "start_timer", project="Phoenix", service="Development", text="Resource check")
    after = await read_json(mcp_client, "clockodo://timer")

    assert before["running"] is False
    assert after["running"] is True
    assert after["timer"]["text"] == "Resource check"


async def test_recent_changes_and_one_change_in_full_come_from_the_journal(mcp_client):
    await apply(mcp_client, "start_timer", project="Phoenix", service="Development")
    recent = await read_json(mcp_client, "clockodo://changes")
    change_id = recent["changes"][0]["change_id"]

    one = await read_json(mcp_client, f"clockodo://changes/{change_id}")

    assert recent["changes"][0]["tool"] == "start_timer"
    assert one["change_id"] == change_id
    assert one["args"]["project"] == "Phoenix"


async def test_an_unknown_uri_is_refused_with_the_valid_ones(mcp_client):
    with pytest.raises(MCPError) as raised:
        await mcp_client.read_resource("clockodo://invoices")

    assert "clockodo://account" in raised.value.error.message
    assert "clockodo://master-data/{kind}" in raised.value.error.message


async def test_an_unknown_kind_or_change_id_is_refused_saying_what_exists(mcp_client):
    with pytest.raises(MCPError) as kind:
        await mcp_client.read_resource("clockodo://master-data/invoices")
    with pytest.raises(MCPError) as change:
        await mcp_client.read_resource("clockodo://changes/no-such-change")

    assert "clockodo://master-data/projects" in kind.value.error.message
    assert "clockodo://changes lists" in change.value.error.message


async def test_every_read_is_audited_with_its_uri_and_outcome(mcp_client, audit_path):
    await read_json(mcp_client, "clockodo://account")
    with pytest.raises(MCPError):
        await mcp_client.read_resource("clockodo://master-data/invoices")

    records = [r for r in iter_records(audit_path) if r.get("tool") == "resources/read"]
    intents = [r["args"]["uri"] for r in records if r["kind"] == "intent"]
    outcomes = [r["status"] for r in records if r["kind"] == "outcome"]
    assert intents == ["clockodo://account", "clockodo://master-data/invoices"]
    assert outcomes == ["ok", "rejected"]


async def test_a_worker_reads_only_what_clockodo_shows_a_worker(fake_app, audit_path):
    runtime = make_runtime(fake_app, audit_path, user=WORKER_EMAIL, key=WORKER_KEY)
    async with held_open(Client(build_server(runtime))) as client:
        account = await read_json(client, "clockodo://account")

    assert account["user"]["role"] == "worker"
