"""undo and list_changes: read from the write journal, gated like any write, refused when stale, already undone or
of an open outcome; undo of an undo redoes."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from starlette.types import ASGIApp, Receive, Scope, Send

from clockodo_mcp.audit import AuditLog
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.gate import OWNER
from clockodo_mcp.server.registry import REGISTRY
from clockodo_mcp.store import NewChange, Store
from tests.conftest import held_open
from tests.server.conftest import NOW, call, call_error, make_runtime
from tests.server.gating import apply, entries_state, fields, outcomes, preview

EDITABLE = 6323
LOG = {"project": "Phoenix", "service": "Development", "date": "2026-11-22", "start": "10:00", "duration": "1h"}


async def test_an_undo_preview_changes_nothing(mcp_client, fake_app):
    done = await apply(mcp_client, "delete_entry", entry_id=EDITABLE)
    before = entries_state(fake_app.state.store)
    shown = await preview(mcp_client, "undo", change_id=done["change_id"])
    assert entries_state(fake_app.state.store) == before
    assert shown["preview"]["undoes"]["tool"] == "delete_entry"
    assert "recreate" in shown["summary"]


async def test_a_change_cannot_be_undone_twice(mcp_client, fake_app, audit_path):
    done = await apply(mcp_client, "log_time", **LOG)
    first = await apply(mcp_client, "undo", change_id=done["change_id"])
    before = entries_state(fake_app.state.store)
    error = await call_error(mcp_client, "undo", change_id=done["change_id"])
    assert f"already undone by change {first['change_id']}" in error
    assert "Nothing was changed" in error
    assert entries_state(fake_app.state.store) == before
    assert outcomes(audit_path, "undo")[-1]["status"] == "refused"


async def test_undo_of_an_undo_redoes_the_change(mcp_client, fake_app):
    store = fake_app.state.store
    original = fields(store.entry(EDITABLE))
    deleted = await apply(mcp_client, "delete_entry", entry_id=EDITABLE)
    restored = await apply(mcp_client, "undo", change_id=deleted["change_id"])
    recreated = restored["after"]["id"]
    assert fields(store.entry(recreated)) == original
    redone = await apply(mcp_client, "undo", change_id=restored["change_id"])
    assert store.entry(recreated) is None
    assert redone["after"] is None


async def test_undo_is_refused_when_the_target_changed_since(mcp_client, fake_app, audit_path):
    store = fake_app.state.store
    done = await apply(mcp_client, "log_time", **LOG)
    entry = store.entry(done["after"]["id"])
    store.update_entry(entry, {"text": "edited in Clockodo"})
    before = entries_state(store)
    error = await call_error(mcp_client, "undo", change_id=done["change_id"])
    assert "changed since that change was made" in error
    assert entries_state(store) == before
    assert store.entry(entry.id).text == "edited in Clockodo"
    assert outcomes(audit_path, "undo")[-1]["status"] == "refused"


async def test_undo_confirmed_after_the_target_changed_is_refused_as_stale(mcp_client, fake_app):
    store = fake_app.state.store
    done = await apply(mcp_client, "edit_entry", entry_id=EDITABLE, text="Edited")
    token = (await preview(mcp_client, "undo", change_id=done["change_id"]))["confirm_token"]
    store.update_entry(store.entry(EDITABLE), {"duration": 60})
    error = await call_error(mcp_client, "undo", change_id=done["change_id"], confirm_token=token)
    assert "changed since" in error
    assert store.entry(EDITABLE).text == "Edited"


async def test_undo_of_a_started_timer_is_refused_once_it_was_stopped(mcp_client, fake_app):
    started = await apply(mcp_client, "start_timer", project="Phoenix", service="Development")
    await apply(mcp_client, "stop_timer")
    error = await call_error(mcp_client, "undo", change_id=started["change_id"])
    assert "changed since" in error
    assert fake_app.state.store.entry(started["after"]["running"]["id"]).time_until == NOW


async def test_undo_of_an_unknown_change_points_to_list_changes(mcp_client, audit_path):
    error = await call_error(mcp_client, "undo", change_id="0000000000000000")
    assert "list_changes" in error
    assert outcomes(audit_path, "undo")[-1]["status"] == "rejected"


def journal(store: Store, change_id: str, status: str, *, tool: str = "log_time", undo: Any = None, **more: Any):
    """A change as the gate journals it, finished with `status` (or left `applying`)."""
    store.begin_change(
        NewChange(change_id, tool, {"project": "Phoenix"}, None, {"action": "create entry"}, "token", **more)
    )
    result = {"summary": f"{tool} {change_id}"} if status == "applied" else None
    if status != "applying":
        store.finish_change(change_id, status, undo=undo, result=result)  # type: ignore[arg-type]


async def test_a_change_without_a_way_back_cannot_be_undone(mcp_client, runtime):
    journal(runtime.store, "c0ffee", "applied", undo=None)
    error = await call_error(mcp_client, "undo", change_id="c0ffee")
    assert "Change c0ffee (log_time) cannot be undone: it recorded no way back" in error
    assert "Nothing was changed" in error


@pytest.mark.parametrize("status", ["unknown", "applying"])
async def test_undo_of_a_change_whose_outcome_is_open_is_refused_until_it_is_reconciled(
    mcp_client, runtime, fake_app, audit_path, status
):
    journal(runtime.store, "0pen0utc0me", status, undo={"kind": "delete_entry", "entry_id": EDITABLE, "expect": {}})
    before = entries_state(fake_app.state.store)
    error = await call_error(mcp_client, "undo", change_id="0pen0utc0me")
    assert f"its outcome is unknown (status {status}); it must be reconciled first" in error
    assert "clockodo-mcp changes reconcile" in error
    assert "Nothing was changed" in error
    assert entries_state(fake_app.state.store) == before
    assert outcomes(audit_path, "undo")[-1]["status"] == "refused"


@pytest.mark.parametrize(("status", "reason"), [("not_applied", "was not applied"), ("failed", "failed")])
async def test_undo_of_a_change_that_changed_nothing_is_refused(mcp_client, runtime, status, reason):
    journal(runtime.store, "n0thing", status)
    error = await call_error(mcp_client, "undo", change_id="n0thing")
    assert f"Change n0thing (log_time) {reason}" in error
    assert "nothing to undo" in error
    assert "Nothing was changed" in error


async def test_an_undo_spec_of_an_unknown_version_is_refused_by_name(mcp_client, runtime):
    journal(runtime.store, "fr0mthefuture", "applied", undo={"kind": "delete_entry", "version": 2, "entry_id": 1})
    error = await call_error(mcp_client, "undo", change_id="fr0mthefuture")
    assert "its undo spec has version 2, which this clockodo-mcp does not know (it reads version 1)" in error
    assert "recorded by a newer clockodo-mcp" in error
    assert "Nothing was changed" in error


async def test_a_change_only_in_the_audit_log_is_refused_saying_it_predates_the_journal(mcp_client, audit_path):
    AuditLog(audit_path).append(
        {
            "kind": "outcome",
            "tool": "log_time",
            "status": "ok",
            "change": {"change_id": "01dchange", "tool": "log_time", "undo": {"kind": "delete_entry"}},
        }
    )
    error = await call_error(mcp_client, "undo", change_id="01dchange")
    assert "no change with change_id '01dchange' in the write journal" in error
    assert "made before this server kept a journal are only in the audit log" in error
    assert "Nothing was changed" in error


async def test_the_journal_records_which_change_an_undo_reverts_and_a_versioned_undo_spec(mcp_client, runtime):
    done = await apply(mcp_client, "log_time", **LOG)
    undone = await apply(mcp_client, "undo", change_id=done["change_id"])
    original, undo = runtime.store.get_change(done["change_id"]), runtime.store.get_change(undone["change_id"])
    assert undo.undoes == done["change_id"]
    assert original.undone_by.change_id == undone["change_id"]
    assert original.undo["version"] == undo.undo["version"] == 1
    assert original.summary.startswith("Will log")


class UndoElsewhere:
    """Another server process: it journals its own undo of `target` while this one re-reads the entry to confirm."""

    def __init__(self, app: ASGIApp, store: Store, target: str) -> None:
        self.app, self.store, self.target = app, store, target
        self.state = app.state  # type: ignore[attr-defined]
        self.armed = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.armed and scope["type"] == "http" and scope["path"] == f"/api/v2/entries/{EDITABLE}":
            self.armed = False
            elsewhere = NewChange("e1sewhere", "undo", {}, None, None, "token", undoes=self.target, owner=OWNER)
            self.store.begin_change(elsewhere)  # as if another live process of ours had journalled it
        await self.app(scope, receive, send)


async def test_an_undo_that_loses_the_race_to_another_processes_undo_is_refused_naming_it(
    fake_app, audit_path, monkeypatch
):
    monkeypatch.setenv("CLOCKODO_MCP_SECRET", "shared-secret-of-two-serve-processes")
    runtime = make_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        done = await apply(client, "delete_entry", entry_id=EDITABLE)
        token = (await preview(client, "undo", change_id=done["change_id"]))["confirm_token"]
    racing = UndoElsewhere(fake_app, runtime.store, done["change_id"])
    second = make_runtime(racing, audit_path, store_url=None)
    second.store = runtime.store
    before = entries_state(fake_app.state.store)
    async with held_open(Client(build_server(second))) as client:
        racing.armed = True
        error = await call_error(client, "undo", change_id=done["change_id"], confirm_token=token)
    # The other process's undo is still applying: the target guard refuses first, naming it.
    assert "change e1sewhere (undo) touches the same target and is being applied by another process" in error
    assert "Nothing was changed" in error
    assert entries_state(fake_app.state.store) == before


async def test_list_changes_shows_recent_writes_newest_first_with_undo_state(mcp_client):
    logged = await apply(mcp_client, "log_time", **LOG)
    edited = await apply(mcp_client, "edit_entry", entry_id=EDITABLE, text="Changed")
    undone = await apply(mcp_client, "undo", change_id=logged["change_id"])
    result = await call(mcp_client, "list_changes")
    ids = [c["change_id"] for c in result["changes"]]
    assert ids == [undone["change_id"], edited["change_id"], logged["change_id"]]
    by_id = {c["change_id"]: c for c in result["changes"]}
    assert by_id[logged["change_id"]]["undone"] is True
    assert by_id[logged["change_id"]]["undone_by"] == undone["change_id"]
    assert by_id[edited["change_id"]]["undone"] is False
    assert by_id[undone["change_id"]]["undoes"] == logged["change_id"]
    assert by_id[edited["change_id"]]["ids"] == {"entries": [EDITABLE]}
    only = await mcp_client.call_tool("list_changes", {"tool": "edit_entry", "limit": 5})
    assert isinstance(only.structured_content, dict)
    assert [c["change_id"] for c in only.structured_content["changes"]] == [edited["change_id"]]


async def test_list_changes_shows_every_status_and_pages_like_the_other_lists(mcp_client, runtime):
    logged = await apply(mcp_client, "log_time", **LOG)
    journal(runtime.store, "l0st", "unknown", tool="delete_entry", summary="Will delete entry 6323.")
    journal(runtime.store, "refused", "failed", tool="edit_entry")
    first = await call(mcp_client, "list_changes", limit=2)
    assert [(c["change_id"], c["status"]) for c in first["changes"]] == [("refused", "failed"), ("l0st", "unknown")]
    assert first["paging"] == {"total": 3, "offset": 0, "returned": 2, "next": {"offset": 2}}
    lost = first["changes"][1]
    assert (lost["summary"], lost["undoable"], lost["undone"]) == ("Will delete entry 6323.", False, False)
    assert "l0st delete_entry (unknown)" in first["summary"]
    rest = await call(mcp_client, "list_changes", limit=2, offset=2)
    assert [(c["change_id"], c["status"], c["undoable"]) for c in rest["changes"]] == [
        (logged["change_id"], "applied", True)
    ]
    assert rest["paging"]["next"] is None
    assert "past the end" in await call_error(mcp_client, "list_changes", offset=3)


async def test_list_changes_on_an_empty_log_says_so(mcp_client):
    result = await call(mcp_client, "list_changes")
    assert result["changes"] == []
    assert "No changes" in result["summary"]


def test_undo_and_list_changes_declare_their_annotations_truthfully():
    undo, listing = REGISTRY["undo"], REGISTRY["list_changes"]
    assert (undo.read_only, undo.destructive, undo.idempotent, undo.toolset) == (False, True, False, "core")
    assert (listing.read_only, listing.open_world, listing.toolset) == (True, False, "core")
    hints = {name: (s.read_only, s.destructive, s.idempotent) for name, s in REGISTRY.items()}
    assert hints["log_time"] == hints["start_timer"] == (False, False, False)
    assert hints["delete_entry"] == hints["edit_entry"] == (False, True, True)
    assert hints["stop_timer"] == (False, True, False)
