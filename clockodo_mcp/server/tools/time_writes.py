"""Time-entry writes behind the confirmation gate: log_time, edit_entry, delete_entry, start_timer, stop_timer."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from clockodo_mcp.clockodo import Billable, Entry, EntryType, EntryUpdate, NewTimeEntry
from clockodo_mcp.domain.hours import BILLING_NAMES
from clockodo_mcp.server.confirm import confirmable
from clockodo_mcp.server.errors import Refused
from clockodo_mcp.server.expect import EntryCreated, EntryDeleted, EntryFields, TimerStarted, TimerStopped
from clockodo_mcp.server.gate import Applied, Plan, WriteOut, run_gated
from clockodo_mcp.server.models import Money, hours
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools import time_undo
from clockodo_mcp.server.tools.common import (
    ConfirmArg,
    HoursArg,
    IdArg,
    NameArg,
    NameValue,
    ShortText,
    TextArg,
    ToolContext,
    tool_context,
)
from clockodo_mcp.server.tools.entry_state import (
    NOTHING,
    describe,
    local_hhmm,
    read_entry,
    require_entry,
    running_of,
    shown,
    snapshot,
    user_entries,
)
from clockodo_mcp.server.tools.timeinput import (
    MAX_SECONDS,
    fmt_duration,
    parse_day,
    parse_duration,
    parse_moment,
)

DurationArg = Annotated[
    ShortText | HoursArg | None,
    Field(description="How long: hours as a number (1.5) or '1.5h', '90m', '1h 30m', '1:30'. At most 24 h."),
]
TimeArg = Annotated[
    ShortText | None,
    Field(description="'HH:MM' local time on `date`, or an ISO datetime such as '2026-11-24T09:30'."),
]
DateArg = Annotated[ShortText | None, Field(description="'YYYY-MM-DD' in the account time zone; default today.")]
BillingState = Literal["not_billable", "unbilled", "billed"]
BILLING_CODES: dict[str, int] = {"not_billable": 0, "unbilled": 1, "billed": 2}
DAY_START = time(9, 0)


# -- resolution -----------------------------------------------------------------------------------------


def resolve_booking(tc: ToolContext, customer: str | int | None, project: str | int | None) -> tuple[int, int | None]:
    """(customer id, project id); the project implies its customer, a contradicting customer is an error."""
    master = tc.master
    if project is not None:
        found = master.resolve("project", project)
        owner = master.projects[found.id].customers_id
        if customer is not None:
            named = master.resolve("customer", customer)
            if named.id != owner:
                raise ToolError(
                    f"Project {found.name} (id {found.id}) belongs to customer {master.customer_name(owner)} "
                    f"(id {owner}), not {named.name}. Give only the project, or the matching customer. {NOTHING}"
                )
        return owner, found.id
    if customer is not None:
        return master.resolve("customer", customer).id, None
    raise ToolError(
        f"Say what the time is for: pass project (it implies the customer) or customer. Use lookup to find names. "
        f"{NOTHING}"
    )


def resolve_service(tc: ToolContext, service: str | int | None) -> int:
    """The service id; without a name only an account with exactly one active service has an answer."""
    if service is not None:
        return tc.master.resolve("service", service).id
    active = sorted((s for s in tc.master.services.values() if s.active), key=lambda s: s.name)
    if len(active) == 1:
        return active[0].id
    names = ", ".join(f"{s.name} (id {s.id})" for s in active[:12])
    raise ToolError(f"Clockodo needs a service for time entries. Pass service, one of: {names}. {NOTHING}")


def default_billable(tc: ToolContext, customers_id: int, projects_id: int | None) -> bool:
    """The project's billable default, else the customer's, else billable."""
    project = tc.master.projects.get(projects_id or 0)
    if project is not None and project.billable_default is not None:
        return project.billable_default
    customer = tc.master.customers.get(customers_id)
    if customer is not None and customer.billable_default is not None:
        return customer.billable_default
    return True


def local_midnight(tc: ToolContext, day: Date) -> datetime:
    """The UTC instant a local day starts."""
    return datetime.combine(day, time(0), tzinfo=tc.account.timezone)


def today(tc: ToolContext) -> Date:
    """Today in the account time zone."""
    return tc.runtime.now().astimezone(tc.account.timezone).date()


def check_span(since: datetime, until: datetime) -> None:
    """End after start, at most 24 h."""
    if until < since:
        raise ToolError(f"The end lies before the start. Give an end after the start. {NOTHING}")
    if until == since:
        raise ToolError(f"The entry would last 0 minutes. Give a positive duration. {NOTHING}")
    if (until - since).total_seconds() > MAX_SECONDS:
        raise ToolError(f"The entry would last longer than 24 hours. Split the work into one entry per day. {NOTHING}")


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


# -- log_time -------------------------------------------------------------------------------------------


def place(
    tc: ToolContext,
    day: Date,
    duration: str | float | None,
    start: str | None,
    end: str | None,
    mine: list[Entry],
) -> tuple[datetime, datetime]:
    """Start and end from what was given; a bare duration goes after the user's last entry that day (or 09:00)."""
    tz = tc.account.timezone
    seconds = parse_duration(duration) if duration is not None else None
    since = parse_moment(start, day, tz)[0] if start is not None else None
    end_day = since.astimezone(tz).date() if since is not None else day
    until = parse_moment(end, end_day, tz)[0] if end is not None else None
    if since is not None and until is not None:
        check_span(since, until)
        if seconds is not None and abs((until - since).total_seconds() - seconds) > 60:
            raise ToolError(
                f"start, end and duration disagree ({fmt_duration(int((until - since).total_seconds()))} between "
                f"start and end, duration {fmt_duration(seconds)}). Give two of the three. {NOTHING}"
            )
        return since, until
    if seconds is None:
        raise ToolError(f"Give a duration (e.g. '1.5h'), or start and end, or start or end plus a duration. {NOTHING}")
    if since is not None:
        return since, since + timedelta(seconds=seconds)
    if until is not None:
        return until - timedelta(seconds=seconds), until
    now = tc.runtime.now()
    cursor = datetime.combine(day, DAY_START, tzinfo=tz)
    day_start, day_end = local_midnight(tc, day), local_midnight(tc, day + timedelta(days=1))
    for entry in mine:
        if entry.type == EntryType.TIME and day_start <= entry.time_since < day_end:
            cursor = max(cursor, entry.time_until or now)
    return cursor, cursor + timedelta(seconds=seconds)


def conflicts(
    mine: list[Entry], since: datetime, until: datetime, now: datetime, fields: dict[str, Any]
) -> tuple[list[Entry], list[Entry]]:
    """(exact duplicates, other overlapping time entries) among the user's entries."""
    duplicates: list[Entry] = []
    overlaps: list[Entry] = []
    for entry in mine:
        if entry.type != EntryType.TIME:
            continue
        same = (
            entry.time_since == since
            and entry.time_until == until
            and entry.customers_id == fields["customers_id"]
            and entry.projects_id == fields["projects_id"]
            and entry.services_id == fields["services_id"]
            and (entry.text or "") == (fields["text"] or "")
        )
        if same:
            duplicates.append(entry)
        elif entry.time_since < until and (entry.time_until or now) > since:
            overlaps.append(entry)
    return duplicates, overlaps


@tool(title="Log time", toolset="time", read_only=False, destructive=False, idempotent=False)
@confirmable
async def log_time(
    ctx: Context[Any, Any],
    project: NameArg = None,
    customer: NameArg = None,
    service: NameArg = None,
    duration: DurationArg = None,
    start: TimeArg = None,
    end: TimeArg = None,
    date: DateArg = None,
    text: Annotated[TextArg | None, Field(description="What was done.")] = None,
    billable: Annotated[
        bool | None, Field(description="Default: the project's (else the customer's) billable default.")
    ] = None,
    user: Annotated[NameValue | None, Field(description="Whose time (name or id); default: you, the API user.")] = None,
    allow_duplicate: Annotated[
        bool, Field(description="Log it even if an identical entry exists (same times, project, service, text).")
    ] = False,
    allow_overlap: Annotated[bool, Field(description="Log it even if it overlaps the user's other entries.")] = False,
    confirm_token: ConfirmArg = None,
) -> WriteOut:
    """Log a finished time entry on a project (or customer) and a service: a duration or start/end.

    A bare duration goes after the user's last entry that day (09:00 if none); duplicates and overlaps are refused
    unless allowed. E.g. log_time(project="Website Redesign", service="Design", duration="3h", text="Wireframes").
    """
    tc = await tool_context(ctx)
    args = {
        "project": project,
        "customer": customer,
        "service": service,
        "duration": duration,
        "start": start,
        "end": end,
        "date": date,
        "text": text,
        "billable": billable,
        "user": user,
        "allow_duplicate": allow_duplicate,
        "allow_overlap": allow_overlap,
    }

    async def plan() -> Plan:
        users_id = tc.master.resolve("user", user).id if user is not None else tc.account.user.id
        customers_id, projects_id = resolve_booking(tc, customer, project)
        services_id = resolve_service(tc, service)
        day = parse_day(date) if date is not None else today(tc)
        lo = local_midnight(tc, day) - timedelta(days=1)
        hi = local_midnight(tc, day + timedelta(days=2))
        mine = await user_entries(tc, users_id, lo, hi)
        since, until = place(tc, day, duration, start, end, mine)
        check_span(since, until)
        if since < lo + timedelta(days=1) or until > hi:
            # Times on another day than `date` (ISO start/end): read that user's entries around them instead.
            mine = await user_entries(tc, users_id, since - timedelta(days=1), until + timedelta(days=1))
        bill = billable if billable is not None else default_billable(tc, customers_id, projects_id)
        fields = {
            "customers_id": customers_id,
            "projects_id": projects_id,
            "services_id": services_id,
            "text": text,
        }
        now = tc.runtime.now()
        duplicates, overlaps = conflicts(mine, since, until, now, fields)
        if duplicates and not allow_duplicate:
            raise Refused(
                f"An identical entry already exists: {describe(tc, duplicates[0])}. {NOTHING} If the user really "
                "worked this twice, call again with allow_duplicate=true."
            )
        if overlaps and not allow_overlap:
            listed = "; ".join(describe(tc, e) for e in overlaps[:5])
            raise Refused(
                f"The new entry ({local_hhmm(tc, since)}–{local_hhmm(tc, until)}) overlaps "
                f"{len(overlaps)} of the user's entries: {listed}. {NOTHING} Pick another time (start/end), or call "
                "again with allow_overlap=true if the overlap is intended."
            )
        seconds = int((until - since).total_seconds())
        new = {
            "user": tc.master.user_name(users_id),
            "customer": tc.master.customer_name(customers_id),
            "project": tc.master.project_name(projects_id) if projects_id else None,
            "service": tc.master.service_name(services_id),
            "date": since.astimezone(tc.account.timezone).date().isoformat(),
            "start": local_hhmm(tc, since),
            "end": local_hhmm(tc, until),
            "hours": hours(seconds),
            "billing": "unbilled" if bill else "not_billable",
            "text": text,
        }
        warnings = [f"Duplicate allowed: {describe(tc, e)}" for e in duplicates]
        warnings += [f"Overlap allowed: {describe(tc, e)}" for e in overlaps]
        preview = {
            "action": "create a time entry",
            "entry": new,
            "duplicates": [shown(tc, e) for e in duplicates],
            "overlaps": [shown(tc, e) for e in overlaps],
            "value": "set by Clockodo's rate rules when the entry is saved",
        }

        async def apply() -> Applied:
            client = tc.runtime.client
            created = await client.entries.create(
                NewTimeEntry(
                    customers_id=customers_id,
                    projects_id=projects_id,
                    services_id=services_id,
                    billable=Billable.BILLABLE if bill else Billable.NOT_BILLABLE,
                    time_since=since,
                    time_until=until,
                    users_id=users_id,
                    text=text,
                )
            )
            entry = await client.entries.get(created.id)
            value = entry_value(entry)
            worth = f", worth {value:.2f} {tc.currency}" if value else ""
            return Applied(
                after=shown(tc, entry),
                ids={"entries": [entry.id]},
                undo=time_undo.delete_created(entry),
                summary=f"Logged {hours(seconds):g} h as {describe(tc, entry)}{worth}.",
            )

        return Plan(
            summary=(
                f"Will log {hours(seconds):g} h for {new['user']} on {new['project'] or new['customer']} / "
                f"{new['service']}, {new['start']}–{str(new['end'])[-5:]} ({new['billing']})."
            ),
            preview=preview,
            target=[snapshot(e) for e in mine],
            before=None,
            apply=apply,
            warnings=warnings,
            expect=EntryCreated(
                users_id=users_id,
                time_since=since,
                fields={
                    "type": int(EntryType.TIME),
                    **fields,
                    "time_until": until,
                    "billable": int(Billable.BILLABLE if bill else Billable.NOT_BILLABLE),
                },
                existing_ids=[e.id for e in duplicates],
            ),
        )

    return await run_gated(tc.runtime, "log_time", args, confirm_token, plan)


# -- edit_entry -----------------------------------------------------------------------------------------


def edited_times(
    tc: ToolContext,
    entry: Entry,
    date: str | None,
    start: str | None,
    end: str | None,
    duration: str | float | None,
) -> tuple[datetime, datetime] | None:
    """New (since, until), or None when no time argument was given."""
    if date is None and start is None and end is None and duration is None:
        return None
    if entry.time_until is None:
        raise ToolError(
            f"Entry {entry.id} is a running timer: stop it with stop_timer before changing its times. {NOTHING}"
        )
    if entry.type != EntryType.TIME:
        raise ToolError(f"Entry {entry.id} is a lump-sum entry: only its day can move, not start/end. {NOTHING}")
    tz = tc.account.timezone
    old_since, old_until = entry.time_since, entry.time_until
    length = old_until - old_since
    day = parse_day(date) if date is not None else old_since.astimezone(tz).date()
    # A new date keeps the local times; the times below then override them.
    shift = local_midnight(tc, day) - local_midnight(tc, old_since.astimezone(tz).date())
    since, until = old_since + shift, old_until + shift
    seconds = timedelta(seconds=parse_duration(duration)) if duration is not None else None
    new_since = parse_moment(start, day, tz)[0] if start is not None else None
    new_until = parse_moment(end, day, tz)[0] if end is not None else None
    if new_since is not None and new_until is not None:
        since, until = new_since, new_until
        if seconds is not None and abs((until - since) - seconds) > timedelta(seconds=60):
            raise ToolError(f"start, end and duration disagree. Give two of the three. {NOTHING}")
    elif new_since is not None:
        since, until = new_since, new_since + (seconds if seconds is not None else length)
    elif new_until is not None:
        until = new_until
        if seconds is not None:
            since = until - seconds
    elif seconds is not None:
        until = since + seconds
    check_span(since, until)
    return since, until


@tool(title="Edit a time entry", toolset="time", read_only=False, destructive=True, idempotent=True)
@confirmable
async def edit_entry(
    entry_id: Annotated[IdArg, Field(description="The entry's id (from list_entries).")],
    ctx: Context[Any, Any],
    date: DateArg = None,
    start: TimeArg = None,
    end: TimeArg = None,
    duration: DurationArg = None,
    text: Annotated[TextArg | None, Field(description="New description ('' clears it).")] = None,
    customer: NameArg = None,
    project: NameArg = None,
    service: NameArg = None,
    billing: Annotated[
        BillingState | None, Field(description="not_billable, unbilled (billable, not yet billed) or billed.")
    ] = None,
    confirm_token: ConfirmArg = None,
) -> WriteOut:
    """Change one entry: day, start, end or duration, text, customer/project/service, billing state.

    Only the fields passed change: `start` alone moves the entry, `end` or `duration` alone changes its length.
    E.g. edit_entry(entry_id=812, duration="2h", text="Sprint review").
    """
    tc = await tool_context(ctx)
    args = {
        "entry_id": entry_id,
        "date": date,
        "start": start,
        "end": end,
        "duration": duration,
        "text": text,
        "customer": customer,
        "project": project,
        "service": service,
        "billing": billing,
    }

    async def plan() -> Plan:
        entry = await require_entry(tc, entry_id)
        changes: dict[str, Any] = {}
        times = edited_times(tc, entry, date, start, end, duration)
        if times is not None:
            changes["time_since"], changes["time_until"] = times
            changes["duration"] = int((times[1] - times[0]).total_seconds())
        if text is not None:
            changes["text"] = text
        if project is not None or customer is not None:
            if project is None and customer is not None:
                customers_id = tc.master.resolve("customer", customer).id
                projects_id = entry.projects_id if customers_id == entry.customers_id else None
            else:
                customers_id, projects_id = resolve_booking(tc, customer, project)
            changes["customers_id"], changes["projects_id"] = customers_id, projects_id
            if projects_id != entry.projects_id:
                changes["subprojects_id"] = None
        if service is not None:
            if entry.type == EntryType.LUMP_SUM_SERVICE:
                raise ToolError(f"Entry {entry.id} is a lump-sum service entry; it has no service. {NOTHING}")
            changes["services_id"] = tc.master.resolve("service", service).id
        if billing is not None:
            changes["billable"] = BILLING_CODES[billing]
        current = snapshot(entry)
        changes = {k: v for k, v in changes.items() if _differs(current.get(k), v)}
        if not changes:
            raise ToolError(
                f"Nothing to change: the arguments match entry {entry.id} as it is. Pass the fields to change. "
                f"{NOTHING}"
            )
        fields = field_changes(tc, entry, changes)
        old_seconds = int(entry.duration or 0)
        new_seconds = int(changes.get("duration", old_seconds))
        old_value = entry_value(entry, old_seconds)
        rerated = any(k in changes for k in ("customers_id", "projects_id", "services_id"))
        new_value: float | None = None
        if entry.hourly_rate is not None and not rerated:
            bill = int(changes.get("billable", int(entry.billable)))
            new_value = 0.0 if bill == 0 else round(entry.hourly_rate * new_seconds / 3600, 2)
        preview = {
            "action": f"change entry {entry.id}",
            "entry": shown(tc, entry),
            "changes": fields,
            "hours": {"before": hours(old_seconds), "after": hours(new_seconds)},
            "value": {
                "before": _money(tc, old_value),
                "after": _money(tc, new_value) if not rerated else "re-rated by Clockodo's rate rules on save",
            },
        }
        warnings = []
        if int(entry.billable) == Billable.BILLED and "billable" not in changes:
            warnings.append(f"Entry {entry.id} is already billed: changing it may disagree with the invoice.")
        restore = {k: current.get(k) for k in changes}
        if rerated and tc.account.is_owner and entry.hourly_rate is not None:
            restore["hourly_rate"] = entry.hourly_rate

        async def apply() -> Applied:
            client = tc.runtime.client
            await client.entries.update(entry.id, EntryUpdate(**changes))
            after = await client.entries.get(entry.id)
            return Applied(
                after=shown(tc, after),
                ids={"entries": [entry.id]},
                undo=time_undo.restore_fields(after, restore),
                summary=f"Changed {', '.join(fields)} of {describe(tc, after)}.",
            )

        return Plan(
            summary=f"Will change {describe(tc, entry)}: "
            + "; ".join(f"{k} {v['before']} → {v['after']}" for k, v in fields.items())
            + ".",
            preview=preview,
            target=current,
            before=shown(tc, entry),
            apply=apply,
            warnings=warnings,
            expect=EntryFields(entry_id=entry.id, fields=changes, before=current, restore=restore),
        )

    return await run_gated(tc.runtime, "edit_entry", args, confirm_token, plan)


def _differs(old: Any, new: Any) -> bool:
    if isinstance(new, datetime):
        return old is None or datetime.fromisoformat(str(old).replace("Z", "+00:00")) != new
    return bool(old != new)


def _money(tc: ToolContext, amount: float | None) -> dict[str, Any] | None:
    return Money.of(amount, tc.currency).model_dump() if amount is not None else None


def field_changes(tc: ToolContext, entry: Entry, changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per field, before → after, with names instead of ids."""
    master = tc.master
    out: dict[str, dict[str, Any]] = {}
    if "time_since" in changes:
        out["start"] = {"before": local_hhmm(tc, entry.time_since), "after": local_hhmm(tc, changes["time_since"])}
    if "time_until" in changes:
        out["end"] = {"before": local_hhmm(tc, entry.time_until), "after": local_hhmm(tc, changes["time_until"])}
    if "duration" in changes:
        out["duration"] = {
            "before": fmt_duration(int(entry.duration or 0)),
            "after": fmt_duration(int(changes["duration"])),
        }
    if "text" in changes:
        out["text"] = {"before": entry.text, "after": changes["text"]}
    if "customers_id" in changes:
        out["customer"] = {
            "before": master.customer_name(entry.customers_id),
            "after": master.customer_name(changes["customers_id"]),
        }
    if "projects_id" in changes:
        out["project"] = {
            "before": master.project_name(entry.projects_id) if entry.projects_id else None,
            "after": master.project_name(changes["projects_id"]) if changes["projects_id"] else None,
        }
    if "services_id" in changes:
        out["service"] = {
            "before": master.service_name(entry.services_id),
            "after": master.service_name(changes["services_id"]),
        }
    if "billable" in changes:
        out["billing"] = {"before": billing_name(entry.billable), "after": billing_name(changes["billable"])}
    return out


# -- delete_entry ---------------------------------------------------------------------------------------


@tool(title="Delete a time entry", toolset="time", read_only=False, destructive=True, idempotent=True)
@confirmable
async def delete_entry(
    entry_id: Annotated[IdArg, Field(description="The entry's id (from list_entries).")],
    ctx: Context[Any, Any],
    confirm_token: ConfirmArg = None,
) -> WriteOut:
    """Delete one entry (time, lump sum or a running timer); undo recreates it under a new id.

    E.g. delete_entry(entry_id=812).
    """
    tc = await tool_context(ctx)

    async def plan() -> Plan:
        entry = await require_entry(tc, entry_id)
        current = snapshot(entry)
        warnings = []
        if int(entry.billable) == Billable.BILLED:
            warnings.append(
                f"Entry {entry.id} is already billed: deleting it makes Clockodo disagree with the invoice."
            )
        if entry.is_running:
            warnings.append(f"Entry {entry.id} is a running timer: deleting it also stops it.")

        async def apply() -> Applied:
            client = tc.runtime.client
            await client.entries.delete(entry.id)
            if await read_entry(tc, entry.id) is not None:
                raise ToolError(f"Clockodo still lists entry {entry.id} after deleting it; check it with list_entries.")
            return Applied(
                after=None,
                ids={"entries": [entry.id]},
                undo=time_undo.recreate_deleted(current),
                summary=f"Deleted {describe(tc, entry)}.",
            )

        return Plan(
            summary=f"Will delete {describe(tc, entry)}.",
            preview={"action": f"delete entry {entry.id}", "entry": shown(tc, entry)},
            target=current,
            before=shown(tc, entry),
            apply=apply,
            warnings=warnings,
            expect=EntryDeleted(entry_id=entry.id, before=current),
        )

    return await run_gated(tc.runtime, "delete_entry", {"entry_id": entry_id}, confirm_token, plan)


# -- timers ---------------------------------------------------------------------------------------------


@tool(title="Start a timer", toolset="time", read_only=False, destructive=False, idempotent=False)
@confirmable
async def start_timer(
    ctx: Context[Any, Any],
    project: NameArg = None,
    customer: NameArg = None,
    service: NameArg = None,
    text: Annotated[TextArg | None, Field(description="What is being worked on.")] = None,
    billable: Annotated[
        bool | None, Field(description="Default: the project's (else the customer's) billable default.")
    ] = None,
    user: Annotated[
        NameValue | None, Field(description="Whose timer (name or id); default: you, the API user.")
    ] = None,
    confirm_token: ConfirmArg = None,
) -> WriteOut:
    """Start a timer on a project (or customer) and a service, from now; a running one is stopped.

    E.g. start_timer(project="Phoenix", service="Development", text="Bug triage").
    """
    tc = await tool_context(ctx)
    args = {
        "project": project,
        "customer": customer,
        "service": service,
        "text": text,
        "billable": billable,
        "user": user,
    }

    async def plan() -> Plan:
        users_id = tc.master.resolve("user", user).id if user is not None else tc.account.user.id
        customers_id, projects_id = resolve_booking(tc, customer, project)
        services_id = resolve_service(tc, service)
        bill = billable if billable is not None else default_billable(tc, customers_id, projects_id)
        running = await running_of(tc, users_id)
        now = tc.runtime.now()
        new = {
            "user": tc.master.user_name(users_id),
            "customer": tc.master.customer_name(customers_id),
            "project": tc.master.project_name(projects_id) if projects_id else None,
            "service": tc.master.service_name(services_id),
            "start": local_hhmm(tc, now),
            "billing": "unbilled" if bill else "not_billable",
            "text": text,
        }
        warnings = [f"The running timer will be stopped now: {describe(tc, running)}."] if running else []
        preview = {
            "action": "start a timer",
            "timer": new,
            "stops_running_timer": shown(tc, running) if running else None,
        }

        async def apply() -> Applied:
            started = await tc.runtime.client.clock.start(
                customers_id,
                services_id,
                projects_id=projects_id,
                billable=Billable.BILLABLE if bill else Billable.NOT_BILLABLE,
                text=text,
                users_id=None if users_id == tc.account.user.id else users_id,
            )
            if started.running is None:
                raise ToolError("Clockodo did not start the timer (no running entry in its answer).")
            entry = await tc.runtime.client.entries.get(started.running.id)
            stopped = await tc.runtime.client.entries.get(running.id) if running else None
            ids = [entry.id] + ([stopped.id] if stopped else [])
            return Applied(
                after={"running": shown(tc, entry), "stopped": shown(tc, stopped) if stopped else None},
                ids={"entries": ids},
                undo=time_undo.unstart(entry, running, stopped),
                summary=f"Started the timer: {describe(tc, entry)}"
                + (f"; stopped {describe(tc, stopped)}." if stopped else "."),
            )

        return Plan(
            summary=f"Will start a timer for {new['user']} on {new['project'] or new['customer']} / {new['service']}"
            + (f" and stop the running {describe(tc, running)}." if running else "."),
            preview=preview,
            target={"running": snapshot(running) if running else None},
            before={"running": shown(tc, running) if running else None},
            apply=apply,
            warnings=warnings,
            expect=TimerStarted(
                users_id=users_id,
                fields={
                    "type": int(EntryType.TIME),
                    "users_id": users_id,
                    "customers_id": customers_id,
                    "projects_id": projects_id,
                    "services_id": services_id,
                    "text": text,
                    "billable": int(Billable.BILLABLE if bill else Billable.NOT_BILLABLE),
                    "time_until": None,
                },
                previous=snapshot(running) if running else None,
            ),
        )

    return await run_gated(tc.runtime, "start_timer", args, confirm_token, plan)


@tool(title="Stop a timer", toolset="time", read_only=False, destructive=True, idempotent=False)
@confirmable
async def stop_timer(
    ctx: Context[Any, Any],
    user: Annotated[
        NameValue | None, Field(description="Whose timer (name or id); default: you, the API user.")
    ] = None,
    confirm_token: ConfirmArg = None,
) -> WriteOut:
    """Stop a running timer now (yours, or another user's with user=…); it becomes a finished time entry."""
    tc = await tool_context(ctx)

    async def plan() -> Plan:
        users_id = tc.master.resolve("user", user).id if user is not None else tc.account.user.id
        running = await running_of(tc, users_id)
        if running is None:
            raise ToolError(
                f"No timer is running for {tc.master.user_name(users_id)}. {NOTHING} Start one with start_timer, "
                "or log finished work with log_time."
            )
        now = tc.runtime.now()
        seconds = int((now - running.time_since).total_seconds())
        warnings = []
        if seconds > MAX_SECONDS:
            warnings.append("The timer has run for more than 24 hours: Clockodo will cut it to 24 hours.")
        value = entry_value(running, min(seconds, MAX_SECONDS))

        async def apply() -> Applied:
            client = tc.runtime.client
            own = users_id == tc.account.user.id
            await client.clock.stop(running.id, users_id=None if own else users_id)
            entry = await client.entries.get(running.id)
            return Applied(
                after=shown(tc, entry),
                ids={"entries": [entry.id]},
                undo=time_undo.restart_stopped(entry),
                summary=f"Stopped the timer: {describe(tc, entry)}, {hours(entry.duration or 0):g} h.",
            )

        return Plan(
            summary=f"Will stop {describe(tc, running)} now, after {hours(seconds):g} h.",
            preview={
                "action": "stop the timer",
                "timer": shown(tc, running),
                "stop_at": local_hhmm(tc, now),
                "hours": hours(min(seconds, MAX_SECONDS)),
                "value": _money(tc, value),
            },
            target={"running": snapshot(running)},
            before=shown(tc, running),
            apply=apply,
            warnings=warnings,
            expect=TimerStopped(entry_id=running.id, before=snapshot(running)),
        )

    return await run_gated(tc.runtime, "stop_timer", {"user": user}, confirm_token, plan)
