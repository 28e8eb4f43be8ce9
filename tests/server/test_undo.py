"""undo and list_changes: gated like any write, refused when stale or already undone, undo of an undo redoes."""

from __future__ import annotations

from clockodo_mcp.audit import AuditLog
from clockodo_mcp.server.registry import REGISTRY
from tests.server.conftest import NOW, call, call_error
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


async def test_a_change_without_a_way_back_cannot_be_undone(mcp_client, audit_path):
    AuditLog(audit_path).append(
        {"kind": "outcome", "tool": "x", "status": "ok", "change": {"change_id": "c0ffee", "tool": "x", "undo": None}}
    )
    error = await call_error(mcp_client, "undo", change_id="c0ffee")
    assert "cannot be undone" in error


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
