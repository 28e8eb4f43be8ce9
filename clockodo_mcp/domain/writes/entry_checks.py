"""The re-read checks of time-entry writes: is the created, edited, deleted, started or stopped entry there?

Each check reads the entry (or the user's timer) as Clockodo has it now, compares it with the journalled
expectation, and, when the change is there, gives what the gate records for an applied write, including the same
undo spec the write itself would have stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from clockodo_mcp.clockodo import Entry
from clockodo_mcp.domain.undo import UnstartTimer
from clockodo_mcp.domain.writes.checks import Verdict, register_check
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.entries import describe, read_entry, running_of, shown, snapshot, user_entries
from clockodo_mcp.domain.writes.expect import EntryCreated, EntryDeleted, EntryFields, TimerStarted, TimerStopped
from clockodo_mcp.domain.writes.plan import Applied
from clockodo_mcp.domain.writes.time_entries import delete_created, recreate_deleted, restore_fields
from clockodo_mcp.domain.writes.timers import StartedTimer, restart_stopped, unstart

_MOMENTS = ("time_since", "time_until")


def _norm(key: str, value: Any) -> Any:
    if key in _MOMENTS and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, float):
        return round(value, 2)
    if key == "text" and value == "":
        return None
    return value


def matches(snap: dict[str, Any], fields: dict[str, Any]) -> bool:
    """Whether an entry's snapshot has all of `fields` (times compared as instants, money to the cent)."""
    return all(_norm(k, snap.get(k)) == _norm(k, v) for k, v in fields.items())


@register_check("entry_created")
async def entry_created(deps: WriteDeps, expect: EntryCreated) -> Verdict:
    """A new entry with these fields, starting then."""
    since = expect.time_since
    candidates = await user_entries(deps, expect.users_id, since, since + timedelta(seconds=1))
    found = [
        e
        for e in candidates
        if e.time_since == since and e.id not in expect.existing_ids and matches(snapshot(e), expect.fields)
    ]
    if not found:
        return Verdict.absent(f"no new entry of {deps.master.user_name(expect.users_id)} starts at {since.isoformat()}")
    if len(found) > 1:
        return Verdict.undecided(f"{len(found)} new identical entries start then: {[e.id for e in found]}")
    entry = found[0]
    return Verdict.found(
        Applied(
            after=shown(deps, entry),
            ids={"entries": [entry.id]},
            undo=delete_created(entry),
            summary=f"Created {describe(deps, entry)}.",
        ),
        f"entry {entry.id} exists with the planned fields",
    )


@register_check("entry_fields")
async def entry_fields(deps: WriteDeps, expect: EntryFields) -> Verdict:
    """Entry N has the edited fields (applied), or all its old ones (not applied)."""
    entry = await read_entry(deps, expect.entry_id)
    if entry is None:
        return Verdict.undecided(f"entry {expect.entry_id} is gone")
    snap = snapshot(entry)
    if matches(snap, expect.fields):
        return Verdict.found(
            Applied(
                after=shown(deps, entry),
                ids={"entries": [entry.id]},
                undo=restore_fields(entry, expect.restore),
                summary=f"Changed {', '.join(expect.fields)} of {describe(deps, entry)}.",
            ),
            f"entry {entry.id} has the planned fields",
        )
    if matches(snap, expect.before):
        return Verdict.absent(f"entry {entry.id} is exactly as before")
    return Verdict.undecided(f"entry {entry.id} is neither as planned nor as before (changed by someone else?)")


@register_check("entry_deleted")
async def entry_deleted(deps: WriteDeps, expect: EntryDeleted) -> Verdict:
    """Entry N is gone (applied; its content is in the journal, so undo recreates it) or as before."""
    entry = await read_entry(deps, expect.entry_id)
    if entry is None:
        return Verdict.found(
            Applied(
                after=None,
                ids={"entries": [expect.entry_id]},
                undo=recreate_deleted(expect.before),
                summary=f"Deleted entry {expect.entry_id}.",
            ),
            f"entry {expect.entry_id} is gone",
        )
    if matches(snapshot(entry), expect.before):
        return Verdict.absent(f"entry {entry.id} still exists, unchanged")
    return Verdict.undecided(f"entry {entry.id} still exists but changed")


def _started_undo(started: Entry, previous: dict[str, Any] | None, stopped: Entry | None) -> UnstartTimer:
    return unstart(started, None, stopped).model_copy(update={"previous": previous})


@register_check("timer_started")
async def timer_started(deps: WriteDeps, expect: TimerStarted) -> Verdict:
    """The user's timer is a new one with these fields (applied), or the one that ran before (not applied)."""
    running = await running_of(deps, expect.users_id)
    previous = expect.previous
    if (
        running is not None
        and (previous is None or running.id != previous["id"])
        and matches(snapshot(running), expect.fields)
    ):
        stopped = await read_entry(deps, int(previous["id"])) if previous else None
        return Verdict.found(
            Applied(
                after=StartedTimer(running=shown(deps, running), stopped=shown(deps, stopped) if stopped else None),
                ids={"entries": [running.id] + ([stopped.id] if stopped else [])},
                undo=_started_undo(running, previous, stopped),
                summary=f"Started the timer: {describe(deps, running)}"
                + (f"; stopped {describe(deps, stopped)}." if stopped else "."),
            ),
            f"the running timer {running.id} has the planned fields",
        )
    if running is None and previous is None:
        return Verdict.absent("no timer is running, as before")
    if running is not None and previous is not None and matches(snapshot(running), previous):
        return Verdict.absent(f"timer {running.id} runs on, as before")
    return Verdict.undecided("the running timer is neither the planned one nor the one before")


@register_check("timer_stopped")
async def timer_stopped(deps: WriteDeps, expect: TimerStopped) -> Verdict:
    """The entry is stopped (applied) or still running as before (not applied)."""
    entry = await read_entry(deps, expect.entry_id)
    if entry is None:
        return Verdict.undecided(f"entry {expect.entry_id} is gone")
    snap = snapshot(entry)
    kept = {k: v for k, v in expect.before.items() if k not in ("time_until", "duration")}
    if entry.time_until is not None and matches(snap, kept):
        if expect.time_until is not None and entry.time_until != expect.time_until:
            return Verdict.undecided(f"entry {entry.id} was stopped, but not at {expect.time_until.isoformat()}")
        return Verdict.found(
            Applied(
                after=shown(deps, entry),
                ids={"entries": [entry.id]},
                undo=restart_stopped(entry),
                summary=f"Stopped the timer: {describe(deps, entry)}.",
            ),
            f"entry {entry.id} is stopped",
        )
    if entry.is_running and matches(snap, expect.before):
        return Verdict.absent(f"timer {entry.id} still runs, as before")
    return Verdict.undecided(f"entry {entry.id} is neither stopped as planned nor running as before")
