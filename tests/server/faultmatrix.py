"""The fault matrix: every write tool × every way Clockodo's answer can be lost, against the fake over real HTTP.

One case: a fresh demo company behind the fault proxy, a fresh journal; preview, then confirm with the fault armed.
The truth is what the fake holds afterwards. Required: no applied write reported as unchanged, no write reported
applied that is not, no duplicate when the agent retries after a lost answer, and every applied write undoable
(after the in-call re-read, or after reconciliation). Shared by the CI test and `bench/fault_matrix.py`.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.clockodo import RetryPolicy
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, seed
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ServerConfig
from clockodo_mcp.server.reconcile import reconcile_unsettled
from clockodo_mcp.server.registry import ToolSpec, selected_tools
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.store import sqlite_url
from tests.conftest import held_open
from tests.server.conftest import NOW, TODAY, frozen_now
from tests.server.faultproxy import Aim, FaultKind, FaultProxy, first_write
from tests.server.gating import entries_state

EDITABLE = 6323
FAST_RETRIES = RetryPolicy(base_delay=0.0, jitter=0.0)  # the client's real retries, without the waiting
TIMEOUT = 0.5  # seconds the client waits for an answer (the proxy's "timeout" holds it back for good)


def billing_confirm(method: str, path: str, body: bytes) -> bool:
    """The mass edit's second step, the one that applies (the first only previews)."""
    return method == "PUT" and path.endswith("/entrygroups") and b"confirm_key" in body


@dataclass(frozen=True)
class Tool:
    name: str
    args: dict[str, Any]
    aim: Aim = first_write
    setup: str | None = None  # a write applied without faults first: start_timer, log_time, stop_timer, restart
    creates: bool = False  # a retry could duplicate it
    label: str = ""  # the case's name, when one tool has several cases (undo of different writes)

    @property
    def case(self) -> str:
        return self.label or self.name


def marker(name: str, fault: str) -> str:
    return f"matrix {name} {fault}"


def tools(fault: str) -> list[Tool]:
    """The ten write tools (decide_absence for one absence and a batch), with arguments that apply on the demo
    company."""
    log = {"project": "Phoenix", "service": "Development", "date": "2026-11-22", "start": "10:00", "duration": "1h"}
    return [
        Tool("log_time", {**log, "text": marker("log_time", fault)}, creates=True),
        Tool("edit_entry", {"entry_id": EDITABLE, "text": marker("edit_entry", fault)}),
        Tool("delete_entry", {"entry_id": EDITABLE}),
        Tool(
            "start_timer",
            {"project": "Phoenix", "service": "Development", "text": marker("start", fault)},
            creates=True,
        ),
        Tool("stop_timer", {}, setup="start_timer"),
        Tool(
            "set_billing_state",
            {"period": "this_month", "customer": "Client XYZ", "to_state": "billed"},
            aim=billing_confirm,
        ),
        Tool("set_hourly_rate", {"hourly_rate": 99, "customer": "Client XYZ"}),
        Tool("set_project_budget", {"project": "Phoenix", "amount": 120, "unit": "hours"}),
        Tool("decide_absence", {"absence_id": 1, "decision": "approve"}),
        # The answer to the first decision is lost: the rest are not sent, so the batch is settled as partly applied.
        Tool(
            "decide_absence",
            {"absence_ids": [1, 4, 5, 7, 16, 17], "decision": "approve", "note": marker("batch", fault)},
            label="decide_absence batch",
        ),
        Tool("undo", {}, setup="log_time"),
        Tool("undo", {}, setup="stop_timer", label="undo of stop_timer"),
        Tool("undo", {}, setup="restart", label="undo of a start that stopped a timer"),
    ]


def fake_state(app: Any) -> Any:
    """Everything a write tool could touch in the fake, as plain data."""
    store = app.state.store
    return (
        entries_state(store),
        copy.deepcopy(store.rates),
        copy.deepcopy(store.projects),
        copy.deepcopy(store.absences),
    )


@dataclass
class Case:
    tool: str
    fault: str
    truth: bool = False  # the fake applied the write
    reported: str = ""  # applied / not_applied / unknown, as the agent was told
    final: str = ""  # the journal status after reconciliation
    duplicates: int = 0
    undone: bool | None = None  # None: nothing to undo
    problems: list[str] = field(default_factory=list)


@dataclass
class Totals:
    cases: list[Case] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The numbers the issue asks for."""
        c = self.cases
        return {
            "cases": len(c),
            "applied_reported_applied": sum(1 for x in c if x.truth and x.reported == "applied"),
            "applied_reported_unknown": sum(1 for x in c if x.truth and x.reported == "unknown"),
            "applied_reported_unchanged": sum(1 for x in c if x.truth and x.reported == "not_applied"),
            "not_applied": sum(1 for x in c if not x.truth and x.reported == "not_applied"),
            "not_applied_reported_applied": sum(1 for x in c if not x.truth and x.reported == "applied"),
            "unknown": sum(1 for x in c if x.reported == "unknown"),
            "unknown_after_reconcile": sum(1 for x in c if x.final in ("unknown", "applying")),
            "duplicates_on_retry": sum(x.duplicates for x in c),
            "applied_and_undone": sum(1 for x in c if x.undone),
            "applied_not_undoable": sum(1 for x in c if x.truth and not x.undone),
        }

    def problems(self) -> list[str]:
        return [f"{x.tool} × {x.fault}: {p}" for x in self.cases for p in x.problems]

    def table(self) -> str:
        by: Counter[tuple[str, str]] = Counter((x.fault, x.reported) for x in self.cases)
        lines = [f"{k}: {v}" for k, v in self.counts().items()]
        lines += [f"  {fault} → {reported}: {n}" for (fault, reported), n in sorted(by.items())]
        return "\n".join(lines)


class Switch:
    """The app uvicorn serves, swapped for a fresh fake per case."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.app(scope, receive, send)


def write_tools() -> list[ToolSpec]:
    """The write tools alone: building the read tools' schemas for every case would cost more than the case."""
    from clockodo_mcp.server.config import TOOLSETS

    return [s for s in selected_tools(read_only=False, toolsets=frozenset(TOOLSETS)) if not s.read_only]


def runtime_for(base_url: str, directory: Path) -> Runtime:
    settings = ServerConfig(
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        credential_source="test",
        base_url=base_url,
        audit_path=directory / "audit.jsonl",
        store_url=sqlite_url(directory / "store.sqlite3"),
        confirm="token",
    )
    return Runtime(settings, clock=FrozenClock(NOW), retry=FAST_RETRIES, timeout=TIMEOUT)


async def _call(client: Client, tool: str, args: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    result = await client.call_tool(tool, args)
    if result.is_error:
        return None, " ".join(getattr(block, "text", "") for block in result.content)
    assert isinstance(result.structured_content, dict)
    return result.structured_content, ""


async def _both(client: Client, tool: str, args: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    shown, error = await _call(client, tool, args)
    if shown is None:
        return None, error
    return await _call(client, tool, {**args, "confirm_token": shown["confirm_token"]})


def _matching(app: Any, text: str) -> int:
    return sum(1 for e in app.state.store.entries if e.text == text)


async def run_case(
    tool: Tool,
    fault: FaultKind,
    proxy: FaultProxy,
    switch: Switch,
    directory: Path,
    confirm: Callable[[Client, dict[str, Any]], Awaitable[tuple[dict[str, Any] | None, str]]] | None = None,
) -> Case:
    """One tool × one fault; `confirm` replaces the faulted call (the kill -9 cases run it in another process)."""
    case = Case(tool.case, fault)
    app = create_app(seed(seed=7, today=TODAY), now=frozen_now)
    switch.app = app
    await anyio.Path(directory).mkdir(parents=True, exist_ok=True)
    runtime = runtime_for(proxy.url, directory)
    args = dict(tool.args)
    async with held_open(Client(build_server(runtime, specs=write_tools()))) as client:
        if tool.setup == "start_timer":
            done, error = await _both(client, "start_timer", {"project": "Phoenix", "service": "Design"})
            assert done is not None, error
        elif tool.setup == "log_time":
            log = {"project": "Phoenix", "service": "Development", "date": "2026-11-23", "start": "08:00"}
            done, error = await _both(client, "log_time", {**log, "duration": "1h", "text": marker("undo", fault)})
            assert done is not None, error
            args = {"change_id": done["change_id"]}
        elif tool.setup in ("stop_timer", "restart"):
            done, error = await _both(client, "start_timer", {"project": "Phoenix", "service": "Design"})
            assert done is not None, error
            second = (
                _both(client, "stop_timer", {})
                if tool.setup == "stop_timer"
                else _both(client, "start_timer", {"project": "Phoenix", "service": "Development"})
            )
            done, error = await second
            assert done is not None, error
            args = {"change_id": done["change_id"]}
        shown, error = await _call(client, tool.name, args)
        assert shown is not None, error
        assert shown["status"] == "preview"
        before = fake_state(app)
        if confirm is not None:
            out, error = await confirm(client, {**args, "confirm_token": shown["confirm_token"]})
        else:
            proxy.arm(fault, tool.aim)
            out, error = await _call(client, tool.name, {**args, "confirm_token": shown["confirm_token"]})
            proxy.disarm()
            if not proxy.fired and fault != "429_readback":
                case.problems.append("the fault did not fire")
        case.truth = fake_state(app) != before
        case.reported = _reported(out, error, case)
        journal = runtime.store.list_changes(limit=1, tool=tool.name)
        if case.reported == "unknown" or confirm is not None:
            await reconcile_unsettled(runtime)  # what a restart (or `changes reconcile`) does
            journal = runtime.store.list_changes(limit=1, tool=tool.name)
        change = journal[0] if journal else None
        case.final = change.status if change is not None else "none"
        if case.truth and case.final not in ("applied", "unknown"):
            case.problems.append(f"applied, but journalled as {case.final}")
        if not case.truth and case.final == "applied":
            case.problems.append("journalled as applied, but nothing changed")
        if case.reported != "applied" and tool.creates:
            retried, _ = await _both(client, tool.name, args)  # the agent retries anyway
            text = str(args.get("text"))
            case.duplicates = max(0, _matching(app, text) - 1)
            if retried is not None and case.truth:
                case.problems.append("a retry after a lost answer applied a second time")
        if case.truth and change is not None and change.status == "applied":
            undone, error = await _both(client, "undo", {"change_id": change.change_id})
            case.undone = undone is not None and undone["status"] == "applied"
            if not case.undone:
                case.problems.append(f"not undoable: {error}")
        elif case.truth:
            case.undone = False
    return case


def _reported(out: dict[str, Any] | None, error: str, case: Case) -> str:
    if out is not None:
        if out.get("status") == "applied" and out.get("change_id"):
            return "applied"
        case.problems.append(f"an unexpected answer: {out.get('status')}")
        return "other"
    if "is unknown" in error and "Do not retry" in error:
        return "unknown"
    if "Nothing was changed" in error or "nothing was changed" in error:
        if case.truth:
            case.problems.append(f"applied, but the agent was told nothing changed: {error}")
        return "not_applied"
    if "applied" in error and "NOT applied" not in error:
        case.problems.append(f"an error that neither says applied nor unchanged: {error}")
    return "other"
