"""Long writes send progress when the client asks for it, and a cancelled one stops between entries, journalled."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client

from clockodo_mcp.domain.progress import report, reporting_to
from tests.server.conftest import call
from tests.server.gating import preview

# Paul's timer has run since Monday 08:00 UTC: this week's later entries cannot be mass-edited, so the billing run
# changes them one by one (API.md: Clockodo's mass edit cannot skip a running entry).
BILL_THIS_WEEK = {"period": "this_week", "to_state": "billed", "from_state": "unbilled"}


async def confirm_with_progress(client: Client, tool: str, arguments: dict[str, Any]) -> tuple[Any, list[tuple]]:
    shown = await preview(client, tool, **arguments)
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    result = await client.call_tool(
        tool, {**arguments, "confirm_token": shown["confirm_token"]}, progress_callback=progress
    )
    return result, seen


async def test_a_billing_run_reports_its_progress_entry_by_entry_up_to_the_total(mcp_client):
    result, seen = await confirm_with_progress(mcp_client, "set_billing_state", BILL_THIS_WEEK)

    assert not result.is_error, result.content
    entries = result.structured_content["after"]["entries"]
    assert entries > 2
    done = [d for d, _, _ in seen]
    assert done == sorted(set(done))  # strictly increasing
    assert done[-1] == entries
    assert {t for _, t, _ in seen} == {entries}
    assert any("per-entry updates (1 of" in (m or "") for _, _, m in seen)


async def test_without_a_progress_token_the_same_run_sends_nothing_and_succeeds(mcp_client):
    shown = await preview(mcp_client, "set_billing_state", **BILL_THIS_WEEK)

    out = await call(mcp_client, "set_billing_state", **BILL_THIS_WEEK, confirm_token=shown["confirm_token"])

    assert out["status"] == "applied"


def billed(fake_app: Any) -> set[int]:
    """The ids of the fake's billed entries, read from its own store."""
    return {e.id for e in fake_app.state.store.entries if e.billable == 2}


async def test_a_cancelled_billing_run_stops_between_entries_and_the_journal_says_how_far_it_got(
    mcp_client, runtime, fake_app
):
    shown = await preview(mcp_client, "set_billing_state", **BILL_THIS_WEEK)
    before = billed(fake_app)

    async with anyio.create_task_group() as group:

        async def progress(done: float, total: float | None, message: str | None) -> None:
            if message and "(2 of" in message:
                group.cancel_scope.cancel()  # the user pressed Stop after the second entry

        async def run() -> None:
            arguments = {**BILL_THIS_WEEK, "confirm_token": shown["confirm_token"]}
            await mcp_client.call_tool("set_billing_state", arguments, progress_callback=progress)

        group.start_soon(run)

    (listed,) = runtime.store.list_changes(limit=1, offset=0)
    change = runtime.store.get_change(listed.change_id)
    (step,) = [s for s in change.steps if s.name == "per-entry updates"]
    newly_billed = billed(fake_app) - before
    assert change.status == "unknown"  # `changes reconcile` settles it; nothing is lost in between
    assert change.error is not None
    assert change.error.startswith("cancelled")
    assert step.detail["done"] == 2
    assert len(newly_billed) == 2  # exactly the entries the journal counts: none was left in limbo
    assert step.detail["last_id"] in newly_billed


async def test_progress_never_goes_backwards_and_a_failing_listener_does_not_stop_the_work():
    seen: list[float] = []

    async def listener(done: float, total: float | None, message: str | None) -> None:
        seen.append(done)
        if done == 2:
            raise RuntimeError("the client went away")

    with reporting_to(listener):
        for done in (1, 2, 2, 1, 3):
            await report(done, 3)

    assert seen == [1, 2, 3]


async def test_a_rate_change_with_re_rating_reports_the_rule_and_each_entry_up_to_the_total(mcp_client):
    rerate = {"project": "Phoenix", "hourly_rate": 120, "rerate_period": "this_month"}

    result, seen = await confirm_with_progress(mcp_client, "set_hourly_rate", rerate)

    assert not result.is_error, result.content
    entries = 32  # Phoenix's unbilled entries this month (the preview says "re-rating 32 unbilled entries")
    assert f"{entries} unbilled entries re-rated" in result.structured_content["summary"]
    assert seen[-1][:2] == (entries + 1, entries + 1)  # the rule, then every entry
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)
