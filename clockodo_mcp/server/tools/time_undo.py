"""How time-entry writes are undone: the `undo` records they store, and the handlers that plan the reversal.

Clockodo cannot "un-stop" an entry or give a deleted entry its id back, so:
- undoing a delete recreates the entry with the same fields (a new id);
- undoing stop_timer deletes the stopped entry and starts a timer with the same fields from the original start,
  so the timer runs on as if never stopped (a new id); undoing that stops it again at the original end;
- undoing start_timer deletes the new timer and, if it had stopped another one, restarts that one from its
  original start (delete + start, a new id).
Every handler refuses when what the change touched is no longer in the state the change left it in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from clockodo_mcp.clockodo import Entry, EntryUpdate
from clockodo_mcp.server.errors import Refused
from clockodo_mcp.server.expect import EntryCreated, EntryDeleted, EntryFields, TimerStopped
from clockodo_mcp.server.gate import Applied, Plan
from clockodo_mcp.server.tools.common import ToolContext
from clockodo_mcp.server.tools.entry_state import (
    NOTHING,
    describe,
    read_entry,
    recreate,
    running_of,
    same_or_refuse,
    shown,
    snapshot,
    start_like,
)
from clockodo_mcp.server.undo import register_undo

# -- what a change stores -------------------------------------------------------------------------------


def delete_created(entry: Entry) -> dict[str, Any]:
    """Undo of creating `entry`: delete it (if unchanged)."""
    return {"kind": "delete_entry", "entry_id": entry.id, "expect": snapshot(entry)}


def recreate_deleted(snap: dict[str, Any]) -> dict[str, Any]:
    """Undo of deleting an entry: create it again from its snapshot."""
    return {"kind": "recreate_entry", "entry": snap}


def restore_fields(after: Entry, fields: dict[str, Any]) -> dict[str, Any]:
    """Undo of an edit: put `fields` back (if the entry is still as the edit left it)."""
    return {"kind": "restore_entry", "entry_id": after.id, "fields": fields, "expect": snapshot(after)}


def unstart(started: Entry, previous: Entry | None, stopped: Entry | None) -> dict[str, Any]:
    """Undo of starting a timer: delete it; restart the timer it stopped, if any."""
    return {
        "kind": "unstart_timer",
        "entry_id": started.id,
        "expect_running": snapshot(started),
        "previous": snapshot(previous) if previous else None,
        "expect_stopped": snapshot(stopped) if stopped else None,
    }


def restart_stopped(stopped: Entry) -> dict[str, Any]:
    """Undo of stopping a timer: replace the stopped entry by a timer running since its start."""
    return {
        "kind": "restart_timer",
        "entry": snapshot(stopped),
        "delete": snapshot(stopped),
        "expect_running": None,
        "stop_at": snapshot(stopped)["time_until"],
    }


# The fields a recreated entry must have (its id, rate and bookkeeping may differ).
_IDENTITY = (
    "type",
    "users_id",
    "customers_id",
    "projects_id",
    "subprojects_id",
    "services_id",
    "lumpsum_services_id",
    "billable",
    "text",
    "time_until",
    "lumpsum",
    "lumpsum_services_amount",
)


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _running_snapshot(entry: Entry | None) -> dict[str, Any] | None:
    return snapshot(entry) if entry is not None else None


# -- handlers -------------------------------------------------------------------------------------------


@register_undo("delete_entry")
async def undo_create(tc: ToolContext, change: dict[str, Any]) -> Plan:
    """Delete the entry a change created."""
    undo = change["undo"]
    entry_id = int(undo["entry_id"])
    entry = await read_entry(tc, entry_id)
    current = snapshot(entry) if entry else None
    same_or_refuse(current, undo["expect"], f"entry {entry_id}")
    assert entry is not None  # same_or_refuse passed, and `expect` is never None

    async def apply() -> Applied:
        await tc.runtime.client.entries.delete(entry_id)
        if await read_entry(tc, entry_id) is not None:
            raise ToolError(f"Clockodo still lists entry {entry_id} after deleting it; check it with list_entries.")
        return Applied(
            after=None,
            ids={"entries": [entry_id]},
            undo=recreate_deleted(undo["expect"]),
            summary=f"Deleted {describe(tc, entry)} (created by change {change['change_id']}).",
        )

    return Plan(
        summary=f"Will delete {describe(tc, entry)}, which change {change['change_id']} created.",
        preview={"action": f"delete entry {entry_id}", "entry": shown(tc, entry)},
        target=current,
        before=shown(tc, entry),
        apply=apply,
        expect=EntryDeleted(entry_id=entry_id, before=undo["expect"]),
    )


@register_undo("recreate_entry")
async def undo_delete(tc: ToolContext, change: dict[str, Any]) -> Plan:
    """Create a deleted entry again with the same fields."""
    snap: dict[str, Any] = change["undo"]["entry"]
    original = int(snap["id"])
    if await read_entry(tc, original) is not None:
        raise Refused(f"Cannot undo: entry {original} exists again, so it was not deleted any more. {NOTHING}")
    running = snap.get("time_until") is None and int(snap["type"]) == 1
    current_timer = await running_of(tc, int(snap["users_id"])) if running else None
    if current_timer is not None:
        raise Refused(
            f"Cannot undo: the deleted entry was a running timer and {describe(tc, current_timer)} is running now; "
            f"restoring would stop it. {NOTHING} Stop that timer first (stop_timer), then undo again."
        )
    described = _describe_snapshot(tc, snap)

    async def apply() -> Applied:
        entry = await recreate(tc, snap)
        return Applied(
            after=shown(tc, entry),
            ids={"entries": [entry.id]},
            undo={"kind": "delete_entry", "entry_id": entry.id, "expect": snapshot(entry)},
            summary=f"Recreated entry {original} as {describe(tc, entry)}.",
        )

    return Plan(
        summary=f"Will recreate the deleted {described} with the same fields (it gets a new id).",
        preview={"action": f"recreate deleted entry {original}", "entry": _snapshot_view(tc, snap)},
        target={"exists": False, "running": None},
        before=None,
        apply=apply,
        expect=EntryCreated(
            users_id=int(snap["users_id"]),
            time_since=_moment(snap["time_since"]),
            fields={k: snap.get(k) for k in _IDENTITY if k in snap},
        ),
    )


@register_undo("restore_entry")
async def undo_edit(tc: ToolContext, change: dict[str, Any]) -> Plan:
    """Put an edited entry's fields back."""
    undo = change["undo"]
    entry_id = int(undo["entry_id"])
    entry = await read_entry(tc, entry_id)
    current = snapshot(entry) if entry else None
    same_or_refuse(current, undo["expect"], f"entry {entry_id}")
    assert entry is not None
    assert current is not None
    fields: dict[str, Any] = dict(undo["fields"])
    values = {k: (_moment(v) if k in ("time_since", "time_until") and v is not None else v) for k, v in fields.items()}
    preview_fields = {k: {"before": current.get(k), "after": v} for k, v in fields.items()}

    async def apply() -> Applied:
        client = tc.runtime.client
        await client.entries.update(entry_id, EntryUpdate(**values))
        after = await client.entries.get(entry_id)
        return Applied(
            after=shown(tc, after),
            ids={"entries": [entry_id]},
            undo=restore_fields(after, {k: current.get(k) for k in fields}),
            summary=f"Restored {', '.join(fields)} of {describe(tc, after)}.",
        )

    return Plan(
        summary=f"Will restore {', '.join(fields)} of {describe(tc, entry)} to their values before change "
        f"{change['change_id']}.",
        preview={"action": f"restore entry {entry_id}", "entry": shown(tc, entry), "changes": preview_fields},
        target=current,
        before=shown(tc, entry),
        apply=apply,
        expect=EntryFields(
            entry_id=entry_id, fields=fields, before=current, restore={k: current.get(k) for k in fields}
        ),
    )


@register_undo("unstart_timer")
async def undo_start(tc: ToolContext, change: dict[str, Any]) -> Plan:
    """Delete a started timer; restart the one it stopped."""
    undo = change["undo"]
    expect_running: dict[str, Any] = undo["expect_running"]
    users_id = int(expect_running["users_id"])
    running = await running_of(tc, users_id)
    same_or_refuse(_running_snapshot(running), expect_running, "the timer it started")
    assert running is not None
    previous: dict[str, Any] | None = undo.get("previous")
    stopped = await read_entry(tc, int(previous["id"])) if previous else None
    if previous:
        same_or_refuse(_running_snapshot(stopped), undo.get("expect_stopped"), f"the stopped entry {previous['id']}")
    target = {"running": snapshot(running), "stopped": _running_snapshot(stopped)}

    async def apply() -> Applied:
        client = tc.runtime.client
        await client.entries.delete(running.id)
        restarted: Entry | None = None
        if previous is not None and stopped is not None:
            await client.entries.delete(stopped.id)
            restarted = await client.entries.get((await start_like(tc, previous, _moment(previous["time_since"]))).id)
        redo: dict[str, Any] = {
            "kind": "restart_timer",
            "entry": expect_running,
            "delete": None,
            "expect_running": _running_snapshot(restarted),
            "stop_at": None,
        }
        return Applied(
            after={"running": shown(tc, restarted) if restarted else None, "deleted": expect_running["id"]},
            ids={"entries": [running.id] + ([stopped.id, restarted.id] if stopped and restarted else [])},
            undo=redo,
            summary=f"Removed the timer {describe(tc, running)}"
            + (f" and restarted {describe(tc, restarted)}." if restarted else "."),
        )

    return Plan(
        summary=f"Will delete the timer {describe(tc, running)} started by change {change['change_id']}"
        + (f" and let {describe(tc, stopped)} run again from its start." if stopped else "."),
        preview={
            "action": "remove the started timer",
            "timer": shown(tc, running),
            "restart": shown(tc, stopped) if stopped else None,
        },
        target=target,
        before={"running": shown(tc, running), "stopped": shown(tc, stopped) if stopped else None},
        apply=apply,
        # One DELETE without a timer to restart; with one, delete + delete + start have no single check yet.
        expect=EntryDeleted(entry_id=running.id, before=snapshot(running)) if previous is None else None,
    )


@register_undo("restart_timer")
async def undo_stop(tc: ToolContext, change: dict[str, Any]) -> Plan:
    """Make a timer run again from its original start (replacing the stopped entry, if any)."""
    undo = change["undo"]
    snap: dict[str, Any] = undo["entry"]
    users_id = int(snap["users_id"])
    delete: dict[str, Any] | None = undo.get("delete")
    old = await read_entry(tc, int(delete["id"])) if delete else None
    if delete is not None:
        same_or_refuse(_running_snapshot(old), delete, f"entry {delete['id']}")
    running = await running_of(tc, users_id)
    if _running_snapshot(running) != undo.get("expect_running"):
        raise Refused(
            f"Cannot undo: {'a timer is running' if running else 'no timer is running'} for "
            f"{tc.master.user_name(users_id)} now, which differs from right after that change; restarting could "
            f"stop the wrong timer. {NOTHING} Check with get_timer."
        )
    stop_at = undo.get("stop_at")

    async def apply() -> Applied:
        client = tc.runtime.client
        if old is not None:
            await client.entries.delete(old.id)
        started = await start_like(tc, snap, _moment(snap["time_since"]))
        entry = await client.entries.get(started.id)
        stopped = await client.entries.get(running.id) if running else None
        redo = (
            {
                "kind": "stop_timer",
                "entry_id": entry.id,
                "expect_running": snapshot(entry),
                "time_until": stop_at,
            }
            if stop_at is not None
            else unstart(entry, running, stopped)
        )
        return Applied(
            after={"running": shown(tc, entry), "stopped": shown(tc, stopped) if stopped else None},
            ids={"entries": [entry.id] + ([old.id] if old else []) + ([stopped.id] if stopped else [])},
            undo=redo,
            summary=f"The timer runs again: {describe(tc, entry)}"
            + (f"; stopped {describe(tc, stopped)}." if stopped else "."),
        )

    return Plan(
        summary=f"Will make the timer run again from {snap['time_since']}: {_describe_snapshot(tc, snap)}"
        + (f", replacing the stopped entry {old.id}" if old else "")
        + (f", stopping {describe(tc, running)}." if running else "."),
        preview={
            "action": "restart the timer from its original start",
            "timer": _snapshot_view(tc, snap),
            "replaces_entry": shown(tc, old) if old else None,
            "stops_running_timer": shown(tc, running) if running else None,
        },
        target={"old": _running_snapshot(old), "running": _running_snapshot(running)},
        before={"entry": shown(tc, old) if old else None, "running": shown(tc, running) if running else None},
        apply=apply,
    )


@register_undo("stop_timer")
async def undo_restart(tc: ToolContext, change: dict[str, Any]) -> Plan:
    """Stop a restarted timer again at its original end."""
    undo = change["undo"]
    expect: dict[str, Any] = undo["expect_running"]
    users_id = int(expect["users_id"])
    running = await running_of(tc, users_id)
    same_or_refuse(_running_snapshot(running), expect, "the restarted timer")
    assert running is not None
    until = _moment(undo["time_until"]) if undo.get("time_until") else None

    async def apply() -> Applied:
        client = tc.runtime.client
        own = users_id == tc.account.user.id
        await client.clock.stop(running.id, users_id=None if own else users_id, time_until=until)
        entry = await client.entries.get(running.id)
        return Applied(
            after=shown(tc, entry),
            ids={"entries": [entry.id]},
            undo=restart_stopped(entry),
            summary=f"Stopped the timer again: {describe(tc, entry)}.",
        )

    return Plan(
        summary=f"Will stop {describe(tc, running)} at {undo.get('time_until') or 'now'}.",
        preview={"action": "stop the timer", "timer": shown(tc, running), "stop_at": undo.get("time_until")},
        target={"running": snapshot(running)},
        before=shown(tc, running),
        apply=apply,
        expect=TimerStopped(entry_id=running.id, before=snapshot(running), time_until=until),
    )


def _snapshot_view(tc: ToolContext, snap: dict[str, Any]) -> dict[str, Any]:
    master = tc.master
    return {
        "user": master.user_name(snap.get("users_id")),
        "customer": master.customer_name(snap.get("customers_id")),
        "project": master.project_name(snap["projects_id"]) if snap.get("projects_id") else None,
        "service": master.service_name(snap["services_id"]) if snap.get("services_id") else None,
        "time_since": snap.get("time_since"),
        "time_until": snap.get("time_until"),
        "billable": snap.get("billable"),
        "text": snap.get("text"),
    }


def _describe_snapshot(tc: ToolContext, snap: dict[str, Any]) -> str:
    view = _snapshot_view(tc, snap)
    where = view["project"] or view["customer"]
    return f"entry {snap.get('id')} ({view['user']}, {view['time_since']}–{view['time_until'] or 'running'}, {where})"
