"""The write journal through the gate: journal first, then apply; single use across restarts; an ambiguous failure
is `unknown`, never "nothing was changed"; a store or an audit log that cannot be written refuses writes."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clockodo_mcp.audit import AuditLog, iter_records, verify
from clockodo_mcp.audit.cli import repair_command
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.store import SQLiteStore
from tests.conftest import held_open
from tests.server.conftest import call, call_error, make_runtime
from tests.server.gating import LOG, outcomes

EDITABLE = 6323
SECRET = "shared-secret-of-two-serve-processes"


class Recorder:
    """The fake behind a recording wire: every request's method and path, and a hook on the first write."""

    def __init__(self, app: ASGIApp, on_write: Callable[[str, str], None] | None = None) -> None:
        self.app = app
        self.state = app.state  # type: ignore[attr-defined]  # the fake's Starlette state (its store)
        self.requests: list[tuple[str, str]] = []
        self.on_write = on_write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"]))
            if scope["method"] != "GET" and self.on_write is not None:
                self.on_write(scope["method"], scope["path"])
        await self.app(scope, receive, send)

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]


class LoseTheAnswer:
    """Let the fake apply the first matching write, then answer 500: the change is made, its answer lost.

    With `forward=False` the write never reaches the fake (the 500 is true); while `blind`, every read fails too.
    """

    def __init__(self, app: ASGIApp, method: str, path: str, *, forward: bool = True) -> None:
        self.app, self.method, self.path, self.forward = app, method, path, forward
        self.state = app.state  # type: ignore[attr-defined]
        self.fired = False
        self.blind = False
        self.reads_fail = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hit = scope["type"] == "http" and (scope["method"], scope["path"]) == (self.method, self.path)
        blind = scope["type"] == "http" and self.fired and self.blind and scope["method"] == "GET"
        if not blind and (not hit or self.fired):
            await self.app(scope, receive, send)
            return
        if hit and not self.fired:
            self.fired = True

            async def discard(message: Message) -> None:
                return None

            if self.forward:
                await self.app(scope, receive, discard)
        body = json.dumps({"error": {"message": "upstream timeout"}}).encode()
        await send({"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def state(fake: Any) -> Any:
    """Everything a write tool could touch in the fake, as plain data."""
    store = fake.state.store
    return (
        [dataclasses.astuple(e) for e in store.entries],
        copy.deepcopy(store.rates),
        copy.deepcopy(store.projects),
        copy.deepcopy(store.absences),
    )


async def confirm(client: Client, tool: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    """Preview and confirm; returns the token and the applied result."""
    token = (await call(client, tool, **arguments))["confirm_token"]
    applied = await call(client, tool, **arguments, confirm_token=token)
    assert applied["status"] == "applied", applied
    return token, applied


async def test_a_confirmed_write_is_journalled_before_it_is_sent_and_applied_after(fake_app, audit_path):
    seen: list[list[tuple[str, str]]] = []
    recorder = Recorder(fake_app)
    runtime = make_runtime(recorder, audit_path)
    recorder.on_write = lambda method, path: seen.append(
        [(c.tool, c.status) for c in runtime.store.list_changes(limit=5)]
    )
    async with held_open(Client(build_server(runtime))) as client:
        token, applied = await confirm(client, "log_time", **LOG, text="Journalled")
    assert seen == [[("log_time", "applying")]]  # the journal row existed, as `applying`, when Clockodo got the POST
    change = runtime.store.get_change(applied["change_id"])
    assert change is not None
    assert (change.tool, change.status, change.confirmed_by) == ("log_time", "applied", "token")
    assert change.args["project"] == "Phoenix"
    assert change.args["text"] == "Journalled"
    assert change.planned == applied["preview"]
    assert change.result["after"]["id"] == applied["after"]["id"]
    assert change.undo["kind"]
    assert change.nonce == json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["nonce"]
    spent = runtime.store.spent_nonce(change.nonce)
    assert spent is not None
    assert spent.change_id == applied["change_id"]


async def test_a_write_whose_answer_is_lost_is_re_read_reported_as_applied_and_undoable(fake_app, audit_path):
    lossy = LoseTheAnswer(fake_app, "POST", "/api/v2/entries")
    runtime = make_runtime(lossy, audit_path)
    before = len(fake_app.state.store.entries)
    async with held_open(Client(build_server(runtime))) as client:
        token = (await call(client, "log_time", **LOG))["confirm_token"]
        applied = await call(client, "log_time", **LOG, confirm_token=token)
        assert lossy.fired
        assert len(fake_app.state.store.entries) == before + 1  # Clockodo did apply it
        assert applied["status"] == "applied"
        assert "answer was lost" in applied["warnings"][-1]
        (change,) = runtime.store.list_changes()
        assert (change.change_id, change.status) == (applied["change_id"], "applied")
        assert change.result["after"]["id"] == applied["after"]["id"]
        assert outcomes(audit_path, "log_time")[-1]["status"] == "ok"
        await confirm(client, "undo", change_id=applied["change_id"])
    assert len(fake_app.state.store.entries) == before


async def test_a_write_whose_answer_is_lost_and_whose_target_cannot_be_read_is_unknown(fake_app, audit_path):
    lossy = LoseTheAnswer(fake_app, "POST", "/api/v2/entries")
    runtime = make_runtime(lossy, audit_path)
    before = len(fake_app.state.store.entries)
    async with held_open(Client(build_server(runtime))) as client:
        token = (await call(client, "log_time", **LOG))["confirm_token"]
        lossy.blind = True  # from the lost answer on, Clockodo does not answer reads either
        error = await call_error(client, "log_time", **LOG, confirm_token=token)
        assert len(fake_app.state.store.entries) == before + 1
        assert "nothing was changed" not in error.lower()
        assert "outcome of log_time is unknown" in error
        assert "Do not retry" in error
        (change,) = runtime.store.list_changes()
        assert change.change_id in error
        assert change.status == "unknown"
        assert "ClockodoServerError" in (change.error or "")
        assert outcomes(audit_path, "log_time")[-1]["status"] == "unknown"

        # Clockodo answers again, but now two identical entries start then (someone logged it by hand): still
        # undecidable. A retry's preview would put the entry in the next free slot: refused as a possible duplicate.
        lossy.blind = False
        store = fake_app.state.store
        store.add_entry(dataclasses.replace(max(store.entries, key=lambda e: e.id)))
        retried = await call_error(
            client, "log_time", project="Phoenix", service="Development", date="2026-11-22", duration="1h"
        )
    assert f"a change with outcome unknown, {change.change_id} (log_time), may already have logged this" in retried
    assert "clockodo-mcp changes reconcile" in retried
    assert runtime.store.get_change(change.change_id).status == "unknown"  # type: ignore[union-attr]


async def test_a_retry_after_a_lost_answer_that_was_applied_after_all_is_refused_once(fake_app, audit_path):
    lossy = LoseTheAnswer(fake_app, "POST", "/api/v2/entries")
    runtime = make_runtime(lossy, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        token = (await call(client, "log_time", **LOG))["confirm_token"]
        lossy.blind = True
        await call_error(client, "log_time", **LOG, confirm_token=token)
        lossy.blind = False
        count = len(fake_app.state.store.entries)
        bare = {"project": "Phoenix", "service": "Development", "date": "2026-11-22", "duration": "1h"}
        error = await call_error(client, "log_time", **bare)
        assert "turned out to be applied" in error
        assert "Nothing was changed" in error
        (change,) = runtime.store.list_changes()
        assert change.status == "applied"
        await confirm(client, "undo", change_id=change.change_id)  # reconciled: undoable
    assert len(fake_app.state.store.entries) == count - 1


async def test_a_write_refused_before_clockodo_applied_it_is_not_applied_and_safe_to_retry(fake_app, audit_path):
    lossy = LoseTheAnswer(fake_app, "POST", "/api/v2/entries", forward=False)
    runtime = make_runtime(lossy, audit_path)
    before = len(fake_app.state.store.entries)
    async with held_open(Client(build_server(runtime))) as client:
        token = (await call(client, "log_time", **LOG))["confirm_token"]
        error = await call_error(client, "log_time", **LOG, confirm_token=token)
        assert len(fake_app.state.store.entries) == before
        assert "log_time was NOT applied" in error
        assert "Nothing was changed" in error
        assert "safe to retry" in error
        (change,) = runtime.store.list_changes()
        assert change.status == "not_applied"
        assert outcomes(audit_path, "log_time")[-1]["status"] == "not_applied"
        await confirm(client, "log_time", **LOG)
    assert len(fake_app.state.store.entries) == before + 1


async def test_a_journal_that_cannot_be_written_refuses_the_write_with_the_reason_and_the_fix(
    fake_app, audit_path, tmp_path
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    broken = SQLiteStore(blocker / "store.sqlite3")
    recorder = Recorder(fake_app)
    runtime = make_runtime(recorder, audit_path)
    runtime.store = broken
    runtime.audit = AuditLog(audit_path)  # the audit log itself still works: only the journal is broken
    async with held_open(Client(build_server(runtime))) as client:
        token = (await call(client, "log_time", **LOG))["confirm_token"]
        before = state(fake_app)
        error = await call_error(client, "log_time", **LOG, confirm_token=token)
    assert "the write journal cannot be written" in error
    assert str(blocker / "store.sqlite3") in error
    assert "CLOCKODO_MCP_STORE" in error
    assert "Nothing was changed" in error
    assert state(fake_app) == before
    assert recorder.writes() == []
    assert outcomes(audit_path, "log_time")[-1]["status"] == "refused"


async def test_with_a_store_that_cannot_be_written_every_call_is_refused_and_names_the_store(fake_app, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    audit_path = tmp_path / "audit.jsonl"
    runtime = make_runtime(fake_app, audit_path, store_url=f"sqlite:///{(blocker / 's.sqlite3').as_posix()[1:]}")
    async with held_open(Client(build_server(runtime))) as client:
        error = await call_error(client, "list_changes")
    assert "store holding the audit anchor cannot be read" in error
    assert "Not a directory" in error
    assert "CLOCKODO_MCP_STORE" in error
    assert list(iter_records(audit_path)) == []  # the unanchored record was taken back


# -- a replay after a restart ---------------------------------------------------------------------------------

REPLAYS: list[tuple[str, dict[str, Any]]] = [
    ("log_time", LOG),
    ("edit_entry", {"entry_id": EDITABLE, "text": "Replayed?"}),
    ("delete_entry", {"entry_id": EDITABLE}),
    ("set_project_budget", {"project": "Phoenix", "amount": 120, "unit": "hours"}),
    ("set_hourly_rate", {"hourly_rate": 99, "customer": "Client XYZ"}),
    ("set_billing_state", {"period": "this_month", "customer": "Client XYZ", "to_state": "billed"}),
    ("decide_absence", {"absence_id": 1, "decision": "approve"}),
    ("start_timer", {"project": "Phoenix", "service": "Development"}),
]


@pytest.mark.parametrize(("tool", "arguments"), REPLAYS, ids=[t for t, _ in REPLAYS])
async def test_a_used_token_replayed_after_a_restart_is_refused_even_once_undo_restored_the_target(
    fake_app, audit_path, monkeypatch, tool, arguments
):
    monkeypatch.setenv("CLOCKODO_MCP_SECRET", SECRET)
    first = make_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(first))) as client:
        token, applied = await confirm(client, tool, **arguments)
        await confirm(client, "undo", change_id=applied["change_id"])  # the target looks as it did at preview
    recorder = Recorder(fake_app)
    restarted: Runtime = make_runtime(recorder, audit_path)  # a new process: new token keys, new store handle
    before = state(fake_app)
    async with held_open(Client(build_server(restarted))) as client:
        error = await call_error(client, tool, **arguments, confirm_token=token)
    assert f"This confirmation was already used by change {applied['change_id']} at 2026-11-24T15:00:00Z" in error
    assert "Nothing was changed" in error
    assert state(fake_app) == before
    assert recorder.writes() == []


# -- a torn audit log: reads go on, writes wait for the repair -------------------------------------------------


async def test_a_torn_audit_log_lets_reads_through_refuses_writes_until_repaired(fake_app, audit_path):
    runtime = make_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        await call(client, "list_changes")
        with audit_path.open("ab") as f:
            f.write(b'{"v":2,"seq":3,"ts":"2026-11-2')  # a crash in the middle of an append
        listed = await call(client, "list_changes")
        assert listed["changes"] == []
        before = state(fake_app)
        error = await call_error(client, "log_time", **LOG)
        assert "audit repair" in error
        assert "Nothing was changed" in error
        assert state(fake_app) == before

        assert repair_command(AuditLog(audit_path, anchor=runtime.store)) == 0
        assert verify(audit_path, store=runtime.store).ok
        await confirm(client, "log_time", **LOG)
    assert verify(audit_path, store=runtime.store).ok
    kinds = [r["kind"] for r in iter_records(audit_path)]
    assert "repair" in kinds


def test_the_demo_keeps_its_own_store_beside_its_audit_log(tmp_path: Path) -> None:
    from clockodo_mcp.server.config import ServerConfig
    from clockodo_mcp.server.demo import demo_config

    config = demo_config(ServerConfig())
    assert config.store_url is not None
    assert config.store_url.endswith("/demo-store.sqlite3")
    assert config.audit_path is not None
    assert config.store_url.endswith(f"{config.audit_path.parent.as_posix()}/demo-store.sqlite3")


async def test_changes_reconcile_settles_an_unknown_change_and_prints_what_it_decided(fake_app, audit_path):
    import io

    from clockodo_mcp.server.reconcile import reconcile_command

    lossy = LoseTheAnswer(fake_app, "POST", "/api/v2/entries")
    runtime = make_runtime(lossy, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        token = (await call(client, "log_time", **LOG))["confirm_token"]
        lossy.blind = True
        await call_error(client, "log_time", **LOG, confirm_token=token)
    (change,) = runtime.store.list_changes()
    assert change.status == "unknown"
    lossy.blind = False
    out = io.StringIO()
    assert await reconcile_command(make_runtime(lossy, audit_path), out, as_json=True) == 0
    (decided,) = json.loads(out.getvalue())
    assert (decided["change_id"], decided["was"], decided["decision"]) == (change.change_id, "unknown", "applied")
    settled = runtime.store.get_change(change.change_id)
    assert settled is not None
    assert settled.status == "applied"
    assert settled.undo["kind"] == "delete_entry"
    out = io.StringIO()
    assert await reconcile_command(make_runtime(lossy, audit_path), out) == 0
    assert "nothing to reconcile" in out.getvalue()
    restarted = make_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(restarted))) as client:
        await confirm(client, "undo", change_id=change.change_id)  # undoable, from the reconciled record


async def test_a_change_left_unknown_is_reconciled_when_the_server_starts(fake_app, audit_path):
    lossy = LoseTheAnswer(fake_app, "PUT", f"/api/v2/entries/{EDITABLE}", forward=False)
    runtime = make_runtime(lossy, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        token = (await call(client, "edit_entry", entry_id=EDITABLE, text="Lost"))["confirm_token"]
        lossy.blind = True
        error = await call_error(client, "edit_entry", entry_id=EDITABLE, text="Lost", confirm_token=token)
    assert "is unknown" in error
    restarted = make_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(restarted))):
        (change,) = restarted.store.list_changes()
        assert change.status == "not_applied"  # settled by the start, before any call
    assert fake_app.state.store.entry(EDITABLE).text != "Lost"
