"""Entries as write targets: comparable snapshots, previews, and the primitives undo needs (recreate, restart)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from clockodo_mcp.clockodo import (
    Billable,
    ClockodoNotFoundError,
    Entry,
    EntryFilter,
    EntryType,
    EntryUpdate,
    NewLumpSumServiceEntry,
    NewLumpSumValueEntry,
    NewTimeEntry,
)
from clockodo_mcp.server.errors import Refused
from clockodo_mcp.server.tools.common import ToolContext
from clockodo_mcp.server.tools.read import entry_out

NOTHING = "Nothing was changed."

# What identifies an entry's state for staleness checks; bookkeeping fields (time_last_change …) are left out.
SNAPSHOT_FIELDS = frozenset(
    {
        "id",
        "type",
        "users_id",
        "customers_id",
        "projects_id",
        "subprojects_id",
        "services_id",
        "lumpsum_services_id",
        "billable",
        "text",
        "time_since",
        "time_until",
        "duration",
        "hourly_rate",
        "lumpsum",
        "lumpsum_services_amount",
    }
)


def snapshot(entry: Entry) -> dict[str, Any]:
    """The entry's fields that matter, as JSON (a running entry's duration grows by itself, so it is left out)."""
    data = entry.model_dump(mode="json", include=set(SNAPSHOT_FIELDS))
    data["billable"] = int(entry.billable)
    data["type"] = int(entry.type)
    if entry.is_running:
        data["duration"] = None
    return data


def shown(tc: ToolContext, entry: Entry) -> dict[str, Any]:
    """The entry as the agent sees it: names, local date, hours, value."""
    return entry_out(entry, tc, tc.runtime.now()).model_dump(mode="json")


def local_hhmm(tc: ToolContext, moment: datetime | None) -> str | None:
    """'2026-11-24 09:30' in the account time zone."""
    if moment is None:
        return None
    return moment.astimezone(tc.account.timezone).strftime("%Y-%m-%d %H:%M")


def describe(tc: ToolContext, entry: Entry) -> str:
    """'entry 812 (Sarah Chen, 2026-11-24 09:00–10:30, Phoenix / Development, "Sprint review")'."""
    where = (
        tc.master.project_name(entry.projects_id) if entry.projects_id else tc.master.customer_name(entry.customers_id)
    )
    until = local_hhmm(tc, entry.time_until)
    span = f"{local_hhmm(tc, entry.time_since)}–{until[-5:] if until else 'running'}"
    service = f" / {tc.master.service_name(entry.services_id)}" if entry.services_id else ""
    text = f', "{entry.text}"' if entry.text else ""
    return f"entry {entry.id} ({tc.master.user_name(entry.users_id)}, {span}, {where}{service}{text})"


async def read_entry(tc: ToolContext, entry_id: int) -> Entry | None:
    """The entry as Clockodo has it now, or None when it does not exist."""
    try:
        return await tc.runtime.client.entries.get(entry_id)
    except ClockodoNotFoundError:
        return None


async def require_entry(tc: ToolContext, entry_id: int) -> Entry:
    """The entry, or a ToolError that says how to find the right id."""
    entry = await read_entry(tc, entry_id)
    if entry is None:
        raise ToolError(
            f"There is no entry {entry_id} (deleted, or a wrong id). Find the id with list_entries. {NOTHING}"
        )
    return entry


async def running_of(tc: ToolContext, users_id: int | None) -> Entry | None:
    """The user's running timer (None = the API user)."""
    own = users_id is None or users_id == tc.account.user.id
    state = await tc.runtime.client.clock.get(users_id=None if own else users_id)
    return state.running


def same_or_refuse(current: dict[str, Any] | None, expected: dict[str, Any] | None, what: str) -> None:
    """Refuse an undo when its target is no longer in the state the change left it in."""
    if current != expected:
        raise Refused(
            f"Cannot undo: {what} changed since that change was made (someone edited, stopped or deleted it in "
            f"the meantime), so reverting could destroy newer work. {NOTHING} Look at the current state with "
            "list_entries or get_timer and fix it with edit_entry if needed."
        )


def money_note(tc: ToolContext) -> bool:
    """Whether the API user may set hourly rates (owners only); otherwise Clockodo stamps them from its rules."""
    return tc.account.is_owner


async def recreate(tc: ToolContext, snap: dict[str, Any]) -> Entry:
    """Create an entry again from a snapshot (same fields; billed entries are created unbilled, then marked billed)."""
    client = tc.runtime.client
    billable = int(snap["billable"])
    since = datetime.fromisoformat(str(snap["time_since"]).replace("Z", "+00:00"))
    kind = int(snap["type"])
    if kind == EntryType.TIME and snap.get("time_until") is None:
        entry = await start_like(tc, snap, since)
    else:
        common: dict[str, Any] = {
            "customers_id": snap["customers_id"],
            "billable": Billable(min(billable, 1)),
            "time_since": since,
            "projects_id": snap.get("projects_id"),
            "subprojects_id": snap.get("subprojects_id"),
            "users_id": snap["users_id"],
            "text": snap.get("text"),
        }
        new: NewTimeEntry | NewLumpSumValueEntry | NewLumpSumServiceEntry
        if kind == EntryType.TIME:
            until = datetime.fromisoformat(str(snap["time_until"]).replace("Z", "+00:00"))
            rate = snap.get("hourly_rate") if money_note(tc) else None
            new = NewTimeEntry(**common, services_id=snap["services_id"], time_until=until, hourly_rate=rate)
        elif kind == EntryType.LUMP_SUM_VALUE:
            new = NewLumpSumValueEntry(**common, services_id=snap["services_id"], lumpsum=snap.get("lumpsum") or 0.0)
        else:
            new = NewLumpSumServiceEntry(
                **common,
                lumpsum_services_id=snap["lumpsum_services_id"],
                lumpsum_services_amount=snap.get("lumpsum_services_amount") or 0.0,
            )
        entry = await client.entries.create(new)
    if billable == Billable.BILLED:
        entry = await client.entries.update(entry.id, EntryUpdate(billable=Billable.BILLED))
    return await client.entries.get(entry.id)


async def start_like(tc: ToolContext, snap: dict[str, Any], since: datetime) -> Entry:
    """Start a timer with a snapshot's fields, running since `since` (stops the user's running timer at `since`)."""
    own = snap["users_id"] == tc.account.user.id
    started = await tc.runtime.client.clock.start(
        snap["customers_id"],
        snap["services_id"],
        projects_id=snap.get("projects_id"),
        subprojects_id=snap.get("subprojects_id"),
        billable=min(int(snap["billable"]), 1),
        text=snap.get("text"),
        users_id=None if own else snap["users_id"],
        time_since=since,
    )
    if started.running is None:
        raise ToolError("Clockodo did not start the timer (no running entry in its answer).")
    return started.running


async def user_entries(tc: ToolContext, users_id: int, since: datetime, until: datetime) -> list[Entry]:
    """The user's entries starting in [since, until)."""
    return [
        e
        async for e in tc.runtime.client.entries.iter(since, until, filter=EntryFilter(users_id=users_id))
        if e.users_id == users_id
    ]
