"""How time-entry writes are undone: one plan per undo kind, each refusing when the target changed since.

Clockodo cannot "un-stop" an entry or give a deleted entry its id back, so:
- undoing a delete recreates the entry with the same fields (a new id);
- undoing stop_timer deletes the stopped entry and starts a timer with the same fields from the original start,
  so the timer runs on as if never stopped (a new id); undoing that stops it again at the original end;
- undoing start_timer deletes the new timer and, if it had stopped another one, restarts that one from its
  original start (delete + start, a new id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clockodo_mcp.clockodo import Entry, EntryUpdate
from clockodo_mcp.domain.undo import DeleteEntry, RecreateEntry, RestartTimer, RestoreEntry, StopTimer, UnstartTimer
from clockodo_mcp.domain.views import EntryOut, EntryShown, View
from clockodo_mcp.domain.writes.checks import Verdict, register_check
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.entries import (
    SNAPSHOT_FIELDS,
    describe,
    read_entry,
    recreate,
    running_of,
    same_or_refuse,
    shown,
    snapshot,
    start_like,
)
from clockodo_mcp.domain.writes.entry_checks import matches
from clockodo_mcp.domain.writes.expect import (
    EntryCreated,
    EntryDeleted,
    EntryFields,
    TimerRestarted,
    TimerStopped,
    TimerUnstarted,
)
from clockodo_mcp.domain.writes.plan import NOTHING, Applied, Plan, Steps, WriteRefused, WriteRejected
from clockodo_mcp.domain.writes.time_entries import Change, recreate_deleted, restore_fields
from clockodo_mcp.domain.writes.timers import StartedTimer, restart_stopped, unstart
from clockodo_mcp.domain.writes.undoing import Undoing, UndoPreview, undo_plan

# The fields a recreated entry must have: its snapshot but for its id, its start (compared on its own), and its
# duration and rate (which Clockodo may derive differently).
_IDENTITY = tuple(sorted(SNAPSHOT_FIELDS - {"id", "time_since", "duration", "hourly_rate"}))


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _snap(entry: Entry | None) -> dict[str, Any] | None:
    return snapshot(entry) if entry is not None else None


class SnapshotView(View):
    """An entry that does not exist (any more) as the agent sees it: names and UTC times from its snapshot."""

    user: str
    customer: str
    project: str | None
    service: str | None
    time_since: Any
    time_until: Any
    billable: Any
    text: Any


def snapshot_view(deps: WriteDeps, snap: dict[str, Any]) -> SnapshotView:
    """A snapshot with names."""
    master = deps.master
    return SnapshotView(
        user=master.user_name(snap.get("users_id")),
        customer=master.customer_name(snap.get("customers_id")),
        project=master.project_name(snap["projects_id"]) if snap.get("projects_id") else None,
        service=master.service_name(snap["services_id"]) if snap.get("services_id") else None,
        time_since=snap.get("time_since"),
        time_until=snap.get("time_until"),
        billable=snap.get("billable"),
        text=snap.get("text"),
    )


def describe_snapshot(deps: WriteDeps, snap: dict[str, Any]) -> str:
    """'entry 812 (Sarah Chen, <start>–<end>, Phoenix)'."""
    view = snapshot_view(deps, snap)
    where = view.project or view.customer
    return f"entry {snap.get('id')} ({view.user}, {view.time_since}–{view.time_until or 'running'}, {where})"


# -- previews -------------------------------------------------------------------------------------------


class UndoEntryPreview(UndoPreview):
    """Deleting the entry a change created."""

    entry: EntryShown


class UndoDeletePreview(UndoPreview):
    """Recreating a deleted entry."""

    entry: SnapshotView


class UndoEditPreview(UndoPreview):
    """Putting an edited entry's fields back."""

    entry: EntryShown
    changes: dict[str, Change]


class UndoStartPreview(UndoPreview):
    """Removing a started timer; restarting the one it stopped."""

    timer: EntryShown
    restart: EntryShown | None


class UndoStopPreview(UndoPreview):
    """Making a stopped timer run again from its start."""

    timer: SnapshotView
    replaces_entry: EntryShown | None
    stops_running_timer: EntryShown | None


class StopAgainPreview(UndoPreview):
    """Stopping a restarted timer at its original end."""

    timer: EntryShown
    stop_at: str | None


class UnstartResult(View):
    """What undoing a start left: the restarted timer (if any) and the id of the deleted one."""

    running: EntryShown | None
    deleted: Any


# -- plans ----------------------------------------------------------------------------------------------


@undo_plan("delete_entry")
async def undo_create(deps: WriteDeps, change: Undoing, spec: DeleteEntry) -> Plan[UndoEntryPreview, None]:
    """Delete the entry a change created."""
    entry = await read_entry(deps, spec.entry_id)
    current = _snap(entry)
    same_or_refuse(current, spec.expect, f"entry {spec.entry_id}")
    assert entry is not None  # same_or_refuse passed, and `expect` is never None

    async def apply() -> Applied[None]:
        await deps.client.entries.delete(spec.entry_id)
        if await read_entry(deps, spec.entry_id) is not None:
            raise WriteRejected(
                f"Clockodo still lists entry {spec.entry_id} after deleting it; check it with list_entries."
            )
        return Applied(
            after=None,
            ids={"entries": [spec.entry_id]},
            undo=recreate_deleted(spec.expect),
            summary=f"Deleted {describe(deps, entry)} (created by change {change.change_id}).",
        )

    return Plan(
        summary=f"Will delete {describe(deps, entry)}, which change {change.change_id} created.",
        preview=UndoEntryPreview(action=f"delete entry {spec.entry_id}", entry=shown(deps, entry)),
        target=current,
        before=shown(deps, entry),
        apply=apply,
        expect=EntryDeleted(entry_id=spec.entry_id, before=spec.expect),
    )


@undo_plan("recreate_entry")
async def undo_delete(deps: WriteDeps, change: Undoing, spec: RecreateEntry) -> Plan[UndoDeletePreview, EntryOut]:
    """Create a deleted entry again with the same fields."""
    snap = spec.entry
    original = int(snap["id"])
    if await read_entry(deps, original) is not None:
        raise WriteRefused(f"Cannot undo: entry {original} exists again, so it was not deleted any more. {NOTHING}")
    running = snap.get("time_until") is None and int(snap["type"]) == 1
    current_timer = await running_of(deps, int(snap["users_id"])) if running else None
    if current_timer is not None:
        raise WriteRefused(
            f"Cannot undo: the deleted entry was a running timer and {describe(deps, current_timer)} is running "
            f"now; restoring would stop it. {NOTHING} Stop that timer first (stop_timer), then undo again."
        )

    async def apply() -> Applied[EntryOut]:
        entry = await recreate(deps, snap)
        return Applied(
            after=shown(deps, entry),
            ids={"entries": [entry.id]},
            undo=DeleteEntry(entry_id=entry.id, expect=snapshot(entry)),
            summary=f"Recreated entry {original} as {describe(deps, entry)}.",
        )

    return Plan(
        summary=f"Will recreate the deleted {describe_snapshot(deps, snap)} with the same fields (it gets a new id).",
        preview=UndoDeletePreview(action=f"recreate deleted entry {original}", entry=snapshot_view(deps, snap)),
        target={"exists": False, "running": None},
        before=None,
        apply=apply,
        expect=EntryCreated(
            users_id=int(snap["users_id"]),
            time_since=_moment(snap["time_since"]),
            fields={k: snap.get(k) for k in _IDENTITY if k in snap},
        ),
    )


@undo_plan("restore_entry")
async def undo_edit(deps: WriteDeps, change: Undoing, spec: RestoreEntry) -> Plan[UndoEditPreview, EntryOut]:
    """Put an edited entry's fields back."""
    entry = await read_entry(deps, spec.entry_id)
    current = _snap(entry)
    same_or_refuse(current, spec.expect, f"entry {spec.entry_id}")
    assert entry is not None
    assert current is not None
    fields = dict(spec.fields)
    values = {k: (_moment(v) if k in ("time_since", "time_until") and v is not None else v) for k, v in fields.items()}

    async def apply() -> Applied[EntryOut]:
        await deps.client.entries.update(spec.entry_id, EntryUpdate(**values))
        after = await deps.client.entries.get(spec.entry_id)
        return Applied(
            after=shown(deps, after),
            ids={"entries": [spec.entry_id]},
            undo=restore_fields(after, {k: current.get(k) for k in fields}),
            summary=f"Restored {', '.join(fields)} of {describe(deps, after)}.",
        )

    return Plan(
        summary=f"Will restore {', '.join(fields)} of {describe(deps, entry)} to their values before change "
        f"{change.change_id}.",
        preview=UndoEditPreview(
            action=f"restore entry {spec.entry_id}",
            entry=shown(deps, entry),
            changes={k: Change(before=current.get(k), after=v) for k, v in fields.items()},
        ),
        target=current,
        before=shown(deps, entry),
        apply=apply,
        expect=EntryFields(
            entry_id=spec.entry_id, fields=fields, before=current, restore={k: current.get(k) for k in fields}
        ),
    )


@undo_plan("unstart_timer")
async def undo_start(deps: WriteDeps, change: Undoing, spec: UnstartTimer) -> Plan[UndoStartPreview, UnstartResult]:
    """Delete a started timer; restart the one it stopped."""
    expect_running = spec.expect_running
    users_id = int(expect_running["users_id"])
    running = await running_of(deps, users_id)
    same_or_refuse(_snap(running), expect_running, "the timer it started")
    assert running is not None
    previous = spec.previous
    stopped = await read_entry(deps, int(previous["id"])) if previous else None
    if previous:
        same_or_refuse(_snap(stopped), spec.expect_stopped, f"the stopped entry {previous['id']}")

    steps = Steps()

    async def apply() -> Applied[UnstartResult]:
        async with steps.step("delete the started timer", entry_id=running.id):
            await deps.client.entries.delete(running.id)
        restarted: Entry | None = None
        if previous is not None and stopped is not None:
            async with steps.step("delete the stopped entry", entry_id=stopped.id):
                await deps.client.entries.delete(stopped.id)
            async with steps.step("restart the stopped timer", time_since=previous["time_since"]) as step:
                started = await start_like(deps, previous, _moment(previous["time_since"]))
                step.done(entry_id=started.id)
            restarted = await deps.client.entries.get(started.id)
        redo = RestartTimer(entry=expect_running, delete=None, expect_running=_snap(restarted), stop_at=None)
        return Applied(
            after=UnstartResult(running=shown(deps, restarted) if restarted else None, deleted=expect_running["id"]),
            ids={"entries": [running.id] + ([stopped.id, restarted.id] if stopped and restarted else [])},
            undo=redo,
            summary=f"Removed the timer {describe(deps, running)}"
            + (f" and restarted {describe(deps, restarted)}." if restarted else "."),
        )

    return Plan(
        summary=f"Will delete the timer {describe(deps, running)} started by change {change.change_id}"
        + (f" and let {describe(deps, stopped)} run again from its start." if stopped else "."),
        preview=UndoStartPreview(
            action="remove the started timer",
            timer=shown(deps, running),
            restart=shown(deps, stopped) if stopped else None,
        ),
        target={"running": snapshot(running), "stopped": _snap(stopped)},
        before={"running": shown(deps, running), "stopped": shown(deps, stopped) if stopped else None},
        apply=apply,
        expect=EntryDeleted(entry_id=running.id, before=snapshot(running))
        if previous is None or stopped is None
        else TimerUnstarted(users_id=users_id, started=snapshot(running), stopped=snapshot(stopped), previous=previous),
        steps=steps,
    )


@undo_plan("restart_timer")
async def undo_stop(deps: WriteDeps, change: Undoing, spec: RestartTimer) -> Plan[UndoStopPreview, StartedTimer]:
    """Make a timer run again from its original start (replacing the stopped entry, if any)."""
    snap = spec.entry
    users_id = int(snap["users_id"])
    delete = spec.delete
    old = await read_entry(deps, int(delete["id"])) if delete else None
    if delete is not None:
        same_or_refuse(_snap(old), delete, f"entry {delete['id']}")
    running = await running_of(deps, users_id)
    if _snap(running) != spec.expect_running:
        raise WriteRefused(
            f"Cannot undo: {'a timer is running' if running else 'no timer is running'} for "
            f"{deps.master.user_name(users_id)} now, which differs from right after that change; restarting could "
            f"stop the wrong timer. {NOTHING} Check with get_timer."
        )
    stop_at = spec.stop_at

    steps = Steps()

    async def apply() -> Applied[StartedTimer]:
        if old is not None:
            async with steps.step("delete the stopped entry", entry_id=old.id):
                await deps.client.entries.delete(old.id)
        async with steps.step("restart the timer", time_since=snap["time_since"]) as step:
            started = await start_like(deps, snap, _moment(snap["time_since"]))
            step.done(entry_id=started.id)
        entry = await deps.client.entries.get(started.id)
        stopped = await deps.client.entries.get(running.id) if running else None
        redo = (
            StopTimer(entry_id=entry.id, expect_running=snapshot(entry), time_until=stop_at)
            if stop_at is not None
            else unstart(entry, running, stopped)
        )
        return Applied(
            after=StartedTimer(running=shown(deps, entry), stopped=shown(deps, stopped) if stopped else None),
            ids={"entries": [entry.id] + ([old.id] if old else []) + ([stopped.id] if stopped else [])},
            undo=redo,
            summary=f"The timer runs again: {describe(deps, entry)}"
            + (f"; stopped {describe(deps, stopped)}." if stopped else "."),
        )

    return Plan(
        summary=f"Will make the timer run again from {snap['time_since']}: {describe_snapshot(deps, snap)}"
        + (f", replacing the stopped entry {old.id}" if old else "")
        + (f", stopping {describe(deps, running)}." if running else "."),
        preview=UndoStopPreview(
            action="restart the timer from its original start",
            timer=snapshot_view(deps, snap),
            replaces_entry=shown(deps, old) if old else None,
            stops_running_timer=shown(deps, running) if running else None,
        ),
        target={"old": _snap(old), "running": _snap(running)},
        before={"entry": shown(deps, old) if old else None, "running": shown(deps, running) if running else None},
        apply=apply,
        expect=TimerRestarted(users_id=users_id, entry=snap, delete=delete, running=_snap(running), stop_at=stop_at),
        steps=steps,
    )


@undo_plan("stop_timer")
async def undo_restart(deps: WriteDeps, change: Undoing, spec: StopTimer) -> Plan[StopAgainPreview, EntryOut]:
    """Stop a restarted timer again at its original end."""
    users_id = int(spec.expect_running["users_id"])
    running = await running_of(deps, users_id)
    same_or_refuse(_snap(running), spec.expect_running, "the restarted timer")
    assert running is not None
    until = _moment(spec.time_until) if spec.time_until else None

    async def apply() -> Applied[EntryOut]:
        own = users_id == deps.account.user.id
        await deps.client.clock.stop(running.id, users_id=None if own else users_id, time_until=until)
        entry = await deps.client.entries.get(running.id)
        return Applied(
            after=shown(deps, entry),
            ids={"entries": [entry.id]},
            undo=restart_stopped(entry),
            summary=f"Stopped the timer again: {describe(deps, entry)}.",
        )

    return Plan(
        summary=f"Will stop {describe(deps, running)} at {spec.time_until or 'now'}.",
        preview=StopAgainPreview(action="stop the timer", timer=shown(deps, running), stop_at=spec.time_until),
        target={"running": snapshot(running)},
        before=shown(deps, running),
        apply=apply,
        expect=TimerStopped(entry_id=running.id, before=snapshot(running), time_until=until),
    )


# -- checks of the multi-step undos ---------------------------------------------------------------------------------


def _restarted(running: Entry | None, snap: dict[str, Any], not_ids: set[Any]) -> bool:
    """Whether `running` is a new timer with the snapshot's fields, from its original start."""
    if running is None or running.id in not_ids or running.time_since != _moment(snap["time_since"]):
        return False
    fields = {k: snap.get(k) for k in _IDENTITY if k not in ("time_until", "billable")}
    return matches(snapshot(running), fields) and int(running.billable) == min(int(snap["billable"]), 1)


def _same(entry: Entry | None, snap: dict[str, Any] | None) -> bool:
    return (entry is None and snap is None) or (
        entry is not None and snap is not None and matches(snapshot(entry), snap)
    )


@register_check("timer_restarted")
async def timer_restarted(deps: WriteDeps, expect: TimerRestarted) -> Verdict:
    """The timer runs again (applied); the stopped entry and the timer are as before (not applied); or the stopped
    entry is deleted but the timer did not start again (applied in part: undo recreates the entry)."""
    delete, before = expect.delete, expect.running
    old = await read_entry(deps, int(delete["id"])) if delete else None
    running = await running_of(deps, expect.users_id)
    not_ids = {before.get("id") if before else None, delete.get("id") if delete else None}
    if old is None and _restarted(running, expect.entry, not_ids):
        assert running is not None
        stopped = await read_entry(deps, int(before["id"])) if before else None
        redo = (
            StopTimer(entry_id=running.id, expect_running=snapshot(running), time_until=expect.stop_at)
            if expect.stop_at is not None
            else UnstartTimer(
                entry_id=running.id,
                expect_running=snapshot(running),
                previous=before,
                expect_stopped=_snap(stopped),
            )
        )
        return Verdict.found(
            Applied(
                after=StartedTimer(running=shown(deps, running), stopped=shown(deps, stopped) if stopped else None),
                ids={
                    "entries": [running.id]
                    + ([int(delete["id"])] if delete else [])
                    + ([stopped.id] if stopped else [])
                },
                undo=redo,
                summary=f"The timer runs again: {describe(deps, running)}"
                + (f"; stopped {describe(deps, stopped)}." if stopped else "."),
            ),
            f"timer {running.id} runs again from {expect.entry['time_since']}",
        )
    if (delete is None or _same(old, delete)) and _same(running, before):
        return Verdict.absent("the stopped entry and the running timer are as before")
    if delete is not None and old is None and _same(running, before):
        return Verdict.found(
            Applied(
                after=None,
                ids={"entries": [int(delete["id"])]},
                undo=recreate_deleted(delete),
                summary=f"Partially applied: entry {delete['id']} was deleted, but the timer did not start again.",
            ),
            f"entry {delete['id']} is gone and no timer restarted",
            [
                f"Only the first step happened: entry {delete['id']} was deleted, but the timer did not start again. "
                "Undo this change to recreate the entry (its content is journalled)."
            ],
        )
    return Verdict.undecided("the user's timer is neither restarted as planned nor as before")


@register_check("timer_unstarted")
async def timer_unstarted(deps: WriteDeps, expect: TimerUnstarted) -> Verdict:
    """The started timer is gone and the stopped one runs again (applied); both as before (not applied); or only the
    started timer is gone (applied in part: undo recreates it)."""
    started_id, stopped_id = int(expect.started["id"]), int(expect.stopped["id"])
    started = await read_entry(deps, started_id)
    stopped = await read_entry(deps, stopped_id)
    running = await running_of(deps, expect.users_id)
    if started is None and stopped is None and _restarted(running, expect.previous, {started_id, stopped_id}):
        assert running is not None
        return Verdict.found(
            Applied(
                after=UnstartResult(running=shown(deps, running), deleted=started_id),
                ids={"entries": [started_id, stopped_id, running.id]},
                undo=RestartTimer(entry=expect.started, delete=None, expect_running=snapshot(running), stop_at=None),
                summary=f"Removed timer {started_id} and restarted {describe(deps, running)}.",
            ),
            f"timer {started_id} is gone and {running.id} runs from {expect.previous['time_since']}",
        )
    if _same(started, expect.started) and _same(stopped, expect.stopped) and _same(running, expect.started):
        return Verdict.absent(f"timer {started_id} runs on and entry {stopped_id} is as before")
    if started is None and _same(stopped, expect.stopped) and running is None:
        return Verdict.found(
            Applied(
                after=UnstartResult(running=None, deleted=started_id),
                ids={"entries": [started_id]},
                undo=recreate_deleted(expect.started),
                summary=f"Partially applied: timer {started_id} was deleted, but entry {stopped_id} was not restarted.",
            ),
            f"timer {started_id} is gone and entry {stopped_id} is as before",
            [
                f"Only the first step happened: timer {started_id} was deleted, but the timer it had stopped (entry "
                f"{stopped_id}) did not start again. Undo this change to recreate timer {started_id}."
            ],
        )
    return Verdict.undecided(
        f"timer {started_id}, entry {stopped_id} and the user's timer are neither as planned nor as before"
    )
