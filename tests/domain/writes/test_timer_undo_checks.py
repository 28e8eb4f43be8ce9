"""The multi-step undos of timers journal an expectation: a lost answer is re-read as applied, not applied, or applied
in part (the first DELETE happened, the restart did not), which undo can revert."""

from __future__ import annotations

from typing import Any

from clockodo_mcp.domain.undo import RecreateEntry, RestartTimer, StopTimer, UnstartTimer
from clockodo_mcp.domain.writes import entry_undo, timers
from clockodo_mcp.domain.writes.checks import check
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.expect import TimerRestarted, TimerUnstarted
from clockodo_mcp.domain.writes.plan import Plan
from clockodo_mcp.domain.writes.timers import StartTimerArgs, StopTimerArgs
from clockodo_mcp.domain.writes.undoing import Undoing

DESIGN = StartTimerArgs(project="Phoenix", service="Design")
DEVELOPMENT = StartTimerArgs(project="Phoenix", service="Development")


async def _applied_undo_spec(plan: Plan[Any, Any]) -> Any:
    applied = await plan.apply()
    return applied.undo


async def undo_of_stop(deps: WriteDeps) -> Plan[Any, Any]:
    await (await timers.start_timer(DESIGN, deps)).apply()
    spec = await _applied_undo_spec(await timers.stop_timer(StopTimerArgs(), deps))
    assert isinstance(spec, RestartTimer)
    return await entry_undo.undo_stop(deps, Undoing("c-stop", "stop_timer", "stopped"), spec)


async def undo_of_a_start_that_stopped_a_timer(deps: WriteDeps) -> Plan[Any, Any]:
    await (await timers.start_timer(DESIGN, deps)).apply()
    spec = await _applied_undo_spec(await timers.start_timer(DEVELOPMENT, deps))
    assert isinstance(spec, UnstartTimer)
    assert spec.previous is not None
    return await entry_undo.undo_start(deps, Undoing("c-start", "start_timer", "started"), spec)


async def test_the_undo_of_stop_timer_is_re_read_as_not_applied_then_as_applied(deps: WriteDeps):
    plan = await undo_of_stop(deps)
    assert isinstance(plan.expect, TimerRestarted)

    assert (await check(deps, plan.expect)).outcome == "not_applied"
    await plan.apply()
    verdict = await check(deps, plan.expect)

    assert verdict.outcome == "applied"
    assert verdict.applied is not None
    assert isinstance(verdict.applied.undo, StopTimer)


async def test_a_stopped_entry_deleted_without_the_restart_is_applied_in_part_and_undo_recreates_it(
    deps: WriteDeps,
):
    plan = await undo_of_stop(deps)
    assert isinstance(plan.expect, TimerRestarted)
    assert plan.expect.delete is not None
    await deps.client.entries.delete(int(plan.expect.delete["id"]))  # the first step only

    verdict = await check(deps, plan.expect)

    assert verdict.outcome == "applied"
    assert verdict.applied is not None
    assert verdict.applied.summary.startswith("Partially applied")
    assert isinstance(verdict.applied.undo, RecreateEntry)
    assert verdict.applied.undo.entry == plan.expect.delete


async def test_the_undo_of_a_start_that_stopped_a_timer_is_re_read_as_not_applied_then_as_applied(deps: WriteDeps):
    plan = await undo_of_a_start_that_stopped_a_timer(deps)
    assert isinstance(plan.expect, TimerUnstarted)

    assert (await check(deps, plan.expect)).outcome == "not_applied"
    await plan.apply()
    verdict = await check(deps, plan.expect)

    assert verdict.outcome == "applied"
    assert verdict.applied is not None
    assert isinstance(verdict.applied.undo, RestartTimer)
    assert verdict.applied.undo.entry == plan.expect.started


async def test_a_started_timer_deleted_without_the_restart_is_applied_in_part_and_undo_recreates_it(deps: WriteDeps):
    plan = await undo_of_a_start_that_stopped_a_timer(deps)
    assert isinstance(plan.expect, TimerUnstarted)
    await deps.client.entries.delete(int(plan.expect.started["id"]))  # the first step only

    verdict = await check(deps, plan.expect)

    assert verdict.outcome == "applied"
    assert verdict.applied is not None
    assert verdict.applied.summary.startswith("Partially applied")
    assert isinstance(verdict.applied.undo, RecreateEntry)
    assert verdict.applied.undo.entry == plan.expect.started


async def test_both_entries_deleted_without_the_restart_stays_undecided(deps: WriteDeps):
    plan = await undo_of_a_start_that_stopped_a_timer(deps)
    assert isinstance(plan.expect, TimerUnstarted)
    await deps.client.entries.delete(int(plan.expect.started["id"]))
    await deps.client.entries.delete(int(plan.expect.stopped["id"]))

    assert (await check(deps, plan.expect)).outcome == "unknown"
