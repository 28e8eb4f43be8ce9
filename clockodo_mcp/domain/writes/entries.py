"""Entries as write targets: resolving where time goes, comparable snapshots, views, and the primitives undo needs.

Every helper takes the plan's dependencies (`WriteDeps`) and raises `WriteRejected` / `WriteRefused`, never an MCP
error: the server maps them (`server/errors.py`).
"""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime, time
from typing import Any, Literal

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
from clockodo_mcp.domain.hours import BILLING_NAMES
from clockodo_mcp.domain.views import EntryOut, entry_out
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.plan import NOTHING, WriteRefused, WriteRejected
from clockodo_mcp.domain.writes.timeinput import MAX_SECONDS

BillingState = Literal["not_billable", "unbilled", "billed"]
BILLING_CODES: dict[str, int] = {"not_billable": 0, "unbilled": 1, "billed": 2}

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


def shown(deps: WriteDeps, entry: Entry) -> EntryOut:
    """The entry as the agent sees it: names, local date, hours, value."""
    return entry_out(entry, deps, deps.now())


def local_hhmm(deps: WriteDeps, moment: datetime | None) -> str | None:
    """'2026-11-24 09:30' in the account time zone."""
    if moment is None:
        return None
    return moment.astimezone(deps.account.timezone).strftime("%Y-%m-%d %H:%M")


def describe(deps: WriteDeps, entry: Entry) -> str:
    """'entry 812 (Sarah Chen, 2026-11-24 09:00–10:30, Phoenix / Development, "Sprint review")'."""
    where = (
        deps.master.project_name(entry.projects_id)
        if entry.projects_id
        else deps.master.customer_name(entry.customers_id)
    )
    until = local_hhmm(deps, entry.time_until)
    span = f"{local_hhmm(deps, entry.time_since)}–{until[-5:] if until else 'running'}"
    service = f" / {deps.master.service_name(entry.services_id)}" if entry.services_id else ""
    text = f', "{entry.text}"' if entry.text else ""
    return f"entry {entry.id} ({deps.master.user_name(entry.users_id)}, {span}, {where}{service}{text})"


async def read_entry(deps: WriteDeps, entry_id: int) -> Entry | None:
    """The entry as Clockodo has it now, or None when it does not exist."""
    try:
        return await deps.client.entries.get(entry_id)
    except ClockodoNotFoundError:
        return None


async def require_entry(deps: WriteDeps, entry_id: int) -> Entry:
    """The entry, or a ToolError that says how to find the right id."""
    entry = await read_entry(deps, entry_id)
    if entry is None:
        raise WriteRejected(
            f"There is no entry {entry_id} (deleted, or a wrong id). Find the id with list_entries. {NOTHING}"
        )
    return entry


async def running_of(deps: WriteDeps, users_id: int | None) -> Entry | None:
    """The user's running timer (None = the API user)."""
    own = users_id is None or users_id == deps.account.user.id
    state = await deps.client.clock.get(users_id=None if own else users_id)
    return state.running


def same_or_refuse(current: dict[str, Any] | None, expected: dict[str, Any] | None, what: str) -> None:
    """Refuse an undo when its target is no longer in the state the change left it in."""
    if current != expected:
        raise WriteRefused(
            f"Cannot undo: {what} changed since that change was made (someone edited, stopped or deleted it in "
            f"the meantime), so reverting could destroy newer work. {NOTHING} Look at the current state with "
            "list_entries or get_timer and fix it with edit_entry if needed."
        )


def money_note(deps: WriteDeps) -> bool:
    """Whether the API user may set hourly rates (owners only); otherwise Clockodo stamps them from its rules."""
    return deps.account.is_owner


async def recreate(deps: WriteDeps, snap: dict[str, Any]) -> Entry:
    """Create an entry again from a snapshot (same fields; billed entries are created unbilled, then marked billed)."""
    client = deps.client
    billable = int(snap["billable"])
    since = datetime.fromisoformat(str(snap["time_since"]).replace("Z", "+00:00"))
    kind = int(snap["type"])
    if kind == EntryType.TIME and snap.get("time_until") is None:
        entry = await start_like(deps, snap, since)
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
            rate = snap.get("hourly_rate") if money_note(deps) else None
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


async def start_like(deps: WriteDeps, snap: dict[str, Any], since: datetime) -> Entry:
    """Start a timer with a snapshot's fields, running since `since` (stops the user's running timer at `since`)."""
    own = snap["users_id"] == deps.account.user.id
    started = await deps.client.clock.start(
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
        raise WriteRejected("Clockodo did not start the timer (no running entry in its answer).")
    return started.running


async def user_entries(deps: WriteDeps, users_id: int, since: datetime, until: datetime) -> list[Entry]:
    """The user's entries starting in [since, until)."""
    return [
        e
        async for e in deps.client.entries.iter(since, until, filter=EntryFilter(users_id=users_id))
        if e.users_id == users_id
    ]


# -- where time goes ---------------------------------------------------------------------------------


def resolve_booking(deps: WriteDeps, customer: str | int | None, project: str | int | None) -> tuple[int, int | None]:
    """(customer id, project id); the project implies its customer, a contradicting customer is an error."""
    master = deps.master
    if project is not None:
        found = master.resolve("project", project)
        owner = master.projects[found.id].customers_id
        if customer is not None:
            named = master.resolve("customer", customer)
            if named.id != owner:
                raise WriteRejected(
                    f"Project {found.name} (id {found.id}) belongs to customer {master.customer_name(owner)} "
                    f"(id {owner}), not {named.name}. Give only the project, or the matching customer. {NOTHING}"
                )
        return owner, found.id
    if customer is not None:
        return master.resolve("customer", customer).id, None
    raise WriteRejected(
        f"Say what the time is for: pass project (it implies the customer) or customer. Use lookup to find names. "
        f"{NOTHING}"
    )


def resolve_service(deps: WriteDeps, service: str | int | None) -> int:
    """The service id; without a name only an account with exactly one active service has an answer."""
    if service is not None:
        return deps.master.resolve("service", service).id
    active = sorted((s for s in deps.master.services.values() if s.active), key=lambda s: s.name)
    if len(active) == 1:
        return active[0].id
    names = ", ".join(f"{s.name} (id {s.id})" for s in active[:12])
    raise WriteRejected(f"Clockodo needs a service for time entries. Pass service, one of: {names}. {NOTHING}")


def default_billable(deps: WriteDeps, customers_id: int, projects_id: int | None) -> bool:
    """The project's billable default, else the customer's, else billable."""
    project = deps.master.projects.get(projects_id or 0)
    if project is not None and project.billable_default is not None:
        return project.billable_default
    customer = deps.master.customers.get(customers_id)
    if customer is not None and customer.billable_default is not None:
        return customer.billable_default
    return True


def local_midnight(deps: WriteDeps, day: Date) -> datetime:
    """The UTC instant a local day starts."""
    return datetime.combine(day, time(0), tzinfo=deps.account.timezone)


def today(deps: WriteDeps) -> Date:
    """Today in the account time zone."""
    return deps.now().astimezone(deps.account.timezone).date()


def check_span(since: datetime, until: datetime) -> None:
    """End after start, at most 24 h."""
    if until < since:
        raise WriteRejected(f"The end lies before the start. Give an end after the start. {NOTHING}")
    if until == since:
        raise WriteRejected(f"The entry would last 0 minutes. Give a positive duration. {NOTHING}")
    if (until - since).total_seconds() > MAX_SECONDS:
        raise WriteRejected(
            f"The entry would last longer than 24 hours. Split the work into one entry per day. {NOTHING}"
        )


def billing_name(value: int | Billable) -> str:
    """'unbilled' etc."""
    return BILLING_NAMES.get(int(value), "unknown")


def entry_value(entry: Entry, seconds: int | None = None) -> float | None:
    """Hourly rate × hours for a billable time entry (None when Clockodo hides the rate)."""
    if entry.type != EntryType.TIME or entry.hourly_rate is None:
        return None
    if int(entry.billable) == 0:
        return 0.0
    duration = seconds if seconds is not None else (entry.duration or 0)
    return round(entry.hourly_rate * duration / 3600, 2)
