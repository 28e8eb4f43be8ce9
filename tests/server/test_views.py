"""MCP Apps: views linked from the tools, served without network access; the confirmation buttons apply a preview
exactly once or cancel it; clients without Apps get the same answers and never see the buttons."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.views import APP_ONLY_TOOLS, uri_of
from tests.conftest import held_open
from tests.server.conftest import call, call_error, make_runtime
from tests.server.gating import preview

BILL = {"period": "last_month", "customer": "Client XYZ", "to_state": "billed"}


@pytest.fixture
async def apps_client(runtime) -> AsyncIterator[Client]:
    """A client that renders MCP Apps (it advertises the extension and its MIME type)."""
    apps = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})
    async with held_open(Client(build_server(runtime), extensions=[apps])) as client:
        yield client


def billed_entries(fake_app: Any) -> int:
    return sum(1 for e in fake_app.state.store.entries if e.billable == 2)


async def test_the_read_tools_link_their_views_and_every_write_links_the_confirmation_dialog(apps_client):
    tools = {t.name: t for t in (await apps_client.list_tools()).tools}

    assert tools["budget_status"].meta["ui"]["resourceUri"] == uri_of("budget_status")
    assert tools["report_hours"].meta["ui"]["resourceUri"] == uri_of("report_hours")
    assert tools["unbilled_aging"].meta["ui"]["resourceUri"] == uri_of("unbilled_aging")
    assert tools["set_billing_state"].meta["ui"]["resourceUri"] == uri_of("confirm")
    assert tools["confirm_write"].meta["ui"]["visibility"] == ["app"]
    assert tools["cancel_write"].meta["ui"]["visibility"] == ["app"]
    assert tools["list_entries"].meta is None


@pytest.mark.parametrize(
    "view", ["budget_status", "report_hours", "unbilled_aging", "utilization", "absence_queue", "confirm"]
)
async def test_each_view_is_one_self_contained_document_that_may_not_touch_the_network(apps_client, view):
    result = await apps_client.read_resource(uri_of(view))
    (content,) = result.contents
    html = content.text

    assert content.mime_type == APP_MIME_TYPE
    assert "default-src 'none'" in html
    assert "connect-src 'none'" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", html)  # nothing loaded from anywhere
    assert "fetch(" not in html
    assert "XMLHttpRequest" not in html


async def test_a_client_without_apps_gets_the_same_answer_and_never_sees_the_buttons(mcp_client, apps_client):
    plain = await call(mcp_client, "budget_status")
    rendered = await call(apps_client, "budget_status")
    names = {t.name for t in (await mcp_client.list_tools()).tools}

    assert plain == rendered
    assert not names & APP_ONLY_TOOLS
    assert "confirm_write" in await call_error(mcp_client, "confirm_write", confirm_token="x")


async def test_a_preview_shown_in_a_view_is_not_applied_by_a_token_from_the_model(apps_client, fake_app):
    shown = await preview(apps_client, "set_billing_state", **BILL)
    before = billed_entries(fake_app)

    refused = await call_error(apps_client, "set_billing_state", **BILL, confirm_token=shown["confirm_token"])

    assert "only their click on Confirm" in refused
    assert "Confirm in the confirmation view" in shown["summary"]
    assert billed_entries(fake_app) == before


async def test_confirm_applies_the_previewed_change_exactly_once_through_the_journal(apps_client, fake_app, runtime):
    shown = await preview(apps_client, "set_billing_state", **BILL)
    before = billed_entries(fake_app)
    clicked = {"confirm_token": shown["confirm_token"], "arguments": BILL}

    done = await call(apps_client, "confirm_write", **clicked)
    again = await call_error(apps_client, "confirm_write", **clicked)

    assert done["status"] == "applied"
    assert done["result"]["change_id"] == done["change_id"]
    assert billed_entries(fake_app) == before + shown["preview"]["invoice"]["entry_count"]
    assert "already" in again
    (change,) = [c for c in runtime.store.list_changes(limit=5, offset=0) if c.tool == "set_billing_state"]
    assert change.status == "applied"


async def test_cancel_changes_nothing_is_journalled_and_the_token_cannot_apply_it_afterwards(
    apps_client, fake_app, runtime
):
    shown = await preview(apps_client, "set_billing_state", **BILL)
    before = billed_entries(fake_app)

    cancelled = await call(apps_client, "cancel_write", confirm_token=shown["confirm_token"], arguments=BILL)
    late = await call_error(apps_client, "confirm_write", confirm_token=shown["confirm_token"], arguments=BILL)

    assert cancelled["status"] == "cancelled"
    assert billed_entries(fake_app) == before
    assert "already" in late
    change = runtime.store.get_change(cancelled["change_id"])
    assert change.status == "not_applied"
    assert change.confirmed_by == "cancelled"


async def test_a_token_that_is_not_ours_is_refused_by_both_buttons(apps_client):
    for button in ("confirm_write", "cancel_write"):
        assert "not a confirmation token" in await call_error(apps_client, button, confirm_token="forged.token")


async def test_in_token_mode_the_model_still_confirms_with_the_token(fake_app, audit_path):
    runtime = make_runtime(fake_app, audit_path, confirm="token")
    apps = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})
    async with held_open(Client(build_server(runtime), extensions=[apps])) as client:
        shown = await preview(client, "set_billing_state", **BILL)
        done = await call(client, "set_billing_state", **BILL, confirm_token=shown["confirm_token"])

    assert done["status"] == "applied"
