"""Every write tool × every lost or corrupted answer, over real HTTP through a fault proxy: an applied write is never
reported as unchanged, a retry never duplicates, and every applied write can be undone."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.demo import seed
from clockodo_mcp.server.app import build_server
from clockodo_mcp.store import SQLiteStore, sqlite_url
from tests.conftest import held_open
from tests.server.conftest import TODAY, call, frozen_now
from tests.server.faultmatrix import (
    Case,
    Switch,
    Tool,
    Totals,
    fake_state,
    marker,
    run_case,
    runtime_for,
    tools,
    write_tools,
)
from tests.server.faultproxy import FAULTS, FaultProxy
from tests.server.live import serving
from tests.store.test_races import ROOT, Worker


async def test_no_lost_answer_is_reported_as_unchanged_duplicated_on_retry_or_left_without_undo(
    tmp_path: Path,
) -> None:
    switch = Switch()
    totals = Totals()
    with serving(switch) as url:
        port = int(url.rsplit(":", 1)[1])
        async with FaultProxy(port) as proxy:
            for fault in FAULTS:
                for tool in tools(fault):
                    totals.cases.append(
                        await run_case(tool, fault, proxy, switch, tmp_path / f"{tool.case.replace(' ', '-')}-{fault}")
                    )
    print("\nfault matrix\n" + totals.table())
    counts = totals.counts()
    assert totals.problems() == []
    assert counts["cases"] == 91  # 13 cases (10 tools, a batch decision; undo of log_time, stop_timer, a start) × 7
    assert counts["applied_reported_unchanged"] == 0
    assert counts["not_applied_reported_applied"] == 0
    assert counts["duplicates_on_retry"] == 0
    assert counts["applied_not_undoable"] == 0


async def test_a_server_killed_between_the_send_and_the_journal_update_is_reconciled_on_the_next_start(
    tmp_path: Path,
) -> None:
    switch = Switch()
    totals = Totals()
    with serving(switch) as url:
        port = int(url.rsplit(":", 1)[1])
        async with FaultProxy(port) as proxy:
            killed = tools("kill")  # every write tool and the undo cases, each in a server process of its own
            for tool in killed:
                totals.cases.append(await _killed(tool, proxy, switch, tmp_path / tool.case.replace(" ", "-")))
    print("\nkill -9 between the send and the journal update\n" + totals.table())
    counts = totals.counts()
    assert totals.problems() == []
    assert counts["cases"] == len(killed) == 13
    assert counts["applied_reported_applied"] == len(killed)  # reported by the journal after the restart
    assert counts["applied_and_undone"] == len(killed)


def _applied_in(worker: Worker, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """Preview and confirm a write in the worker, unfaulted; its applied result."""
    shown = worker.call(tool, args)["result"]
    done = worker.call(tool, {**args, "confirm_token": shown["confirm_token"]})["result"]
    assert done["status"] == "applied", done
    result: dict[str, Any] = done
    return result


def _set_up(worker: Worker, tool: Tool) -> dict[str, Any]:
    """The case's setup, applied in the worker before the faulted call; the call's arguments."""
    timer = {"project": "Phoenix", "service": "Design"}
    if tool.setup == "start_timer":
        _applied_in(worker, "start_timer", timer)
    elif tool.setup == "log_time":
        log = {"project": "Phoenix", "service": "Development", "date": "2026-11-23", "start": "08:00"}
        done = _applied_in(worker, "log_time", {**log, "duration": "1h", "text": marker("undo", "kill")})
        return {"change_id": done["change_id"]}
    elif tool.setup in ("stop_timer", "restart"):
        _applied_in(worker, "start_timer", timer)
        second = (
            ("stop_timer", {})
            if tool.setup == "stop_timer"
            else ("start_timer", {"project": "Phoenix", "service": "Development"})
        )
        done = _applied_in(worker, *second)
        return {"change_id": done["change_id"]}
    return dict(tool.args)


async def _killed(tool: Tool, proxy: FaultProxy, switch: Switch, directory: Path) -> Case:
    """Confirm in a server process that is killed -9 once Clockodo applied the write; then start a new one."""
    case = Case(tool.case, "kill")
    app = create_app(seed(seed=7, today=TODAY), now=frozen_now)
    switch.app = app
    await anyio.Path(directory).mkdir(parents=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CLOCKODO_MCP_SECRET": "the killed server's secret",
        "CLOCKODO_MCP_STORE": sqlite_url(directory / "store.sqlite3"),
        "CLOCKODO_MCP_AUDIT_LOG": str(directory / "audit.jsonl"),
    }
    worker = await anyio.to_thread.run_sync(lambda: Worker(proxy.url, env, directory / "worker.log"))
    try:
        assert (await anyio.to_thread.run_sync(worker.receive)) == {"ready": True}
        args = await anyio.to_thread.run_sync(lambda: _set_up(worker, tool))
        shown = await anyio.to_thread.run_sync(lambda: worker.call(tool.name, args))
        token = shown["result"]["confirm_token"]
        before = fake_state(app)
        proxy.arm("kill", tool.aim, kill_pid=worker.proc.pid)
        worker.send(tool.name, {**args, "confirm_token": token})
        assert await anyio.to_thread.run_sync(lambda: worker.proc.wait(timeout=60)) == -signal.SIGKILL
        proxy.disarm()
    finally:
        await anyio.to_thread.run_sync(worker.close)
    case.truth = fake_state(app) != before
    (left,) = SQLiteStore(directory / "store.sqlite3").list_changes(limit=1)
    if left.status != "applying":
        case.problems.append(f"the killed process left {left.status}, not applying")
    restarted = runtime_for(proxy.url, directory)
    async with held_open(Client(build_server(restarted, specs=write_tools()))) as client:
        change = restarted.store.get_change(left.change_id)  # reconciled by the start, before any call
        assert change is not None
        case.reported = case.final = change.status
        if case.truth != (change.status == "applied"):
            case.problems.append(
                f"the fake {'did' if case.truth else 'did not'} apply it; reconciled as {change.status}"
            )
        if change.status == "applied":
            shown = await call(client, "undo", change_id=change.change_id)
            undone = await call(client, "undo", change_id=change.change_id, confirm_token=shown["confirm_token"])
            case.undone = undone["status"] == "applied"
    return case
