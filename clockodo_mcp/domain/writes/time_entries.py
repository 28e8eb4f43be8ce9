"""Time-entry writes: log_time, edit_entry, delete_entry — argument models, previews, results and plans."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime, time, timedelta
from typing import Annotated, Any

from pydantic import Field

from clockodo_mcp.clockodo import Billable, Entry, EntryType, EntryUpdate, NewTimeEntry
from clockodo_mcp.domain.argtypes import HoursArg, IdArg, NameArg, NameValue, ShortText, TextArg
from clockodo_mcp.domain.undo import DeleteEntry, RecreateEntry, RestoreEntry
from clockodo_mcp.domain.views import EntryOut, EntryShown, Money, View, hours
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.entries import (
    BILLING_CODES,
    BillingState,
    billing_name,
    check_span,
    default_billable,
    describe,
    entry_value,
    local_hhmm,
    local_midnight,
    read_entry,
    require_entry,
    resolve_booking,
    resolve_service,
    shown,
    snapshot,
    today,
    user_entries,
)
from clockodo_mcp.domain.writes.expect import EntryCreated, EntryDeleted, EntryFields
from clockodo_mcp.domain.writes.plan import NOTHING, Applied, Plan, WriteArgs, WriteRefused, WriteRejected
from clockodo_mcp.domain.writes.timeinput import fmt_duration, parse_day, parse_duration, parse_moment

DurationArg = Annotated[
    ShortText | HoursArg | None,
    Field(description="How long: hours as a number (1.5) or '1.5h', '90m', '1h 30m', '1:30'. At most 24 h."),
]
TimeArg = Annotated[
    ShortText | None,
    Field(description="'HH:MM' local time on `date`, or an ISO datetime such as '2026-11-24T09:30'."),
]
DateArg = Annotated[ShortText | None, Field(description="'YYYY-MM-DD' in the account time zone; default today.")]
BillableArg = Annotated[
    bool | None, Field(description="Default: the project's (else the customer's) billable default.")
]
EntryIdArg = Annotated[IdArg, Field(description="The entry's id (from list_entries).")]
DAY_START = time(9, 0)


# -- log_time -------------------------------------------------------------------------------------------


class LogTimeArgs(WriteArgs):
    """log_time's arguments."""

    project: NameArg = None
    customer: NameArg = None
    service: NameArg = None
    duration: DurationArg = None
    start: TimeArg = None
    end: TimeArg = None
    date: DateArg = None
    text: Annotated[TextArg | None, Field(description="What was done.")] = None
    billable: BillableArg = None
    user: Annotated[NameValue | None, Field(description="Whose time (name or id); default: you, the API user.")] = None
    allow_duplicate: Annotated[
        bool, Field(description="Log it even if an identical entry exists (same times, project, service, text).")
    ] = False
    allow_overlap: Annotated[bool, Field(description="Log it even if it overlaps the user's other entries.")] = False


class NewEntry(View):
    """The entry a log_time will create, names resolved; times local."""

    user: str
    customer: str
    project: str | None
    service: str
    date: str
    start: str | None
    end: str | None
    hours: float
    billing: str
    text: str | None


class LogTimePreview(View):
    """What log_time will create, and the user's identical or overlapping entries it was allowed past."""

    action: str
    entry: NewEntry
    duplicates: list[EntryShown]
    overlaps: list[EntryShown]
    value: str


def place(
    deps: WriteDeps,
    day: Date,
    duration: str | float | None,
    start: str | None,
    end: str | None,
    mine: list[Entry],
) -> tuple[datetime, datetime]:
    """Start and end from what was given; a bare duration goes after the user's last entry that day (or 09:00)."""
    tz = deps.account.timezone
    seconds = parse_duration(duration) if duration is not None else None
    since = parse_moment(start, day, tz)[0] if start is not None else None
    end_day = since.astimezone(tz).date() if since is not None else day
    until = parse_moment(end, end_day, tz)[0] if end is not None else None
    if since is not None and until is not None:
        check_span(since, until)
        if seconds is not None and abs((until - since).total_seconds() - seconds) > 60:
            raise WriteRejected(
                f"start, end and duration disagree ({fmt_duration(int((until - since).total_seconds()))} between "
                f"start and end, duration {fmt_duration(seconds)}). Give two of the three. {NOTHING}"
            )
        return since, until
    if seconds is None:
        raise WriteRejected(
            f"Give a duration (e.g. '1.5h'), or start and end, or start or end plus a duration. {NOTHING}"
        )
    if since is not None:
        return since, since + timedelta(seconds=seconds)
    if until is not None:
        return until - timedelta(seconds=seconds), until
    now = deps.now()
    cursor = datetime.combine(day, DAY_START, tzinfo=tz)
    day_start, day_end = local_midnight(deps, day), local_midnight(deps, day + timedelta(days=1))
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


def delete_created(entry: Entry) -> DeleteEntry:
    """Undo of creating `entry`: delete it (if unchanged)."""
    return DeleteEntry(entry_id=entry.id, expect=snapshot(entry))


async def log_time(args: LogTimeArgs, deps: WriteDeps) -> Plan[LogTimePreview, EntryOut]:
    """Plan a finished time entry; refuses an identical or overlapping one unless allowed."""
    master = deps.master
    users_id = master.resolve("user", args.user).id if args.user is not None else deps.account.user.id
    customers_id, projects_id = resolve_booking(deps, args.customer, args.project)
    services_id = resolve_service(deps, args.service)
    day = parse_day(args.date) if args.date is not None else today(deps)
    lo = local_midnight(deps, day) - timedelta(days=1)
    hi = local_midnight(deps, day + timedelta(days=2))
    mine = await user_entries(deps, users_id, lo, hi)
    since, until = place(deps, day, args.duration, args.start, args.end, mine)
    check_span(since, until)
    if since < lo + timedelta(days=1) or until > hi:
        # Times on another day than `date` (ISO start/end): read that user's entries around them instead.
        mine = await user_entries(deps, users_id, since - timedelta(days=1), until + timedelta(days=1))
    bill = args.billable if args.billable is not None else default_billable(deps, customers_id, projects_id)
    billable = Billable.BILLABLE if bill else Billable.NOT_BILLABLE
    fields = {"customers_id": customers_id, "projects_id": projects_id, "services_id": services_id, "text": args.text}
    duplicates, overlaps = conflicts(mine, since, until, deps.now(), fields)
    if duplicates and not args.allow_duplicate:
        raise WriteRefused(
            f"An identical entry already exists: {describe(deps, duplicates[0])}. {NOTHING} If the user really "
            "worked this twice, call again with allow_duplicate=true."
        )
    if overlaps and not args.allow_overlap:
        listed = "; ".join(describe(deps, e) for e in overlaps[:5])
        raise WriteRefused(
            f"The new entry ({local_hhmm(deps, since)}–{local_hhmm(deps, until)}) overlaps "
            f"{len(overlaps)} of the user's entries: {listed}. {NOTHING} Pick another time (start/end), or call "
            "again with allow_overlap=true if the overlap is intended."
        )
    seconds = int((until - since).total_seconds())
    new = NewEntry(
        user=master.user_name(users_id),
        customer=master.customer_name(customers_id),
        project=master.project_name(projects_id) if projects_id else None,
        service=master.service_name(services_id),
        date=since.astimezone(deps.account.timezone).date().isoformat(),
        start=local_hhmm(deps, since),
        end=local_hhmm(deps, until),
        hours=hours(seconds),
        billing="unbilled" if bill else "not_billable",
        text=args.text,
    )
    warnings = [f"Duplicate allowed: {describe(deps, e)}" for e in duplicates]
    warnings += [f"Overlap allowed: {describe(deps, e)}" for e in overlaps]

    async def apply() -> Applied[EntryOut]:
        created = await deps.client.entries.create(
            NewTimeEntry(
                customers_id=customers_id,
                projects_id=projects_id,
                services_id=services_id,
                billable=billable,
                time_since=since,
                time_until=until,
                users_id=users_id,
                text=args.text,
            )
        )
        entry = await deps.client.entries.get(created.id)
        value = entry_value(entry)
        worth = f", worth {value:.2f} {deps.currency}" if value else ""
        return Applied(
            after=shown(deps, entry),
            ids={"entries": [entry.id]},
            undo=delete_created(entry),
            summary=f"Logged {hours(seconds):g} h as {describe(deps, entry)}{worth}.",
        )

    return Plan(
        summary=(
            f"Will log {hours(seconds):g} h for {new.user} on {new.project or new.customer} / "
            f"{new.service}, {new.start}–{str(new.end)[-5:]} ({new.billing})."
        ),
        preview=LogTimePreview(
            action="create a time entry",
            entry=new,
            duplicates=[shown(deps, e) for e in duplicates],
            overlaps=[shown(deps, e) for e in overlaps],
            value="set by Clockodo's rate rules when the entry is saved",
        ),
        target=[snapshot(e) for e in mine],
        before=None,
        apply=apply,
        warnings=warnings,
        expect=EntryCreated(
            users_id=users_id,
            time_since=since,
            fields={"type": int(EntryType.TIME), **fields, "time_until": until, "billable": int(billable)},
            existing_ids=[e.id for e in duplicates],
        ),
    )


# -- edit_entry -----------------------------------------------------------------------------------------


class EditEntryArgs(WriteArgs):
    """edit_entry's arguments."""

    entry_id: EntryIdArg
    date: DateArg = None
    start: TimeArg = None
    end: TimeArg = None
    duration: DurationArg = None
    text: Annotated[TextArg | None, Field(description="New description ('' clears it).")] = None
    customer: NameArg = None
    project: NameArg = None
    service: NameArg = None
    billing: Annotated[
        BillingState | None, Field(description="not_billable, unbilled (billable, not yet billed) or billed.")
    ] = None


class Change(View):
    """One field, before → after (names instead of ids, local times)."""

    before: Any
    after: Any


class HoursChange(View):
    """Hours before → after."""

    before: float
    after: float


class ValueChange(View):
    """Value before → after; after is a sentence when Clockodo re-rates the entry on save."""

    before: Money | None
    after: Money | str | None


class EditEntryPreview(View):
    """The entry as it is, and per changed field before → after."""

    action: str
    entry: EntryShown
    changes: dict[str, Change]
    hours: HoursChange
    value: ValueChange


def edited_times(
    deps: WriteDeps,
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
        raise WriteRejected(
            f"Entry {entry.id} is a running timer: stop it with stop_timer before changing its times. {NOTHING}"
        )
    if entry.type != EntryType.TIME:
        raise WriteRejected(f"Entry {entry.id} is a lump-sum entry: only its day can move, not start/end. {NOTHING}")
    tz = deps.account.timezone
    old_since, old_until = entry.time_since, entry.time_until
    length = old_until - old_since
    day = parse_day(date) if date is not None else old_since.astimezone(tz).date()
    # A new date keeps the local times; the times below then override them.
    shift = local_midnight(deps, day) - local_midnight(deps, old_since.astimezone(tz).date())
    since, until = old_since + shift, old_until + shift
    seconds = timedelta(seconds=parse_duration(duration)) if duration is not None else None
    new_since = parse_moment(start, day, tz)[0] if start is not None else None
    new_until = parse_moment(end, day, tz)[0] if end is not None else None
    if new_since is not None and new_until is not None:
        since, until = new_since, new_until
        if seconds is not None and abs((until - since) - seconds) > timedelta(seconds=60):
            raise WriteRejected(f"start, end and duration disagree. Give two of the three. {NOTHING}")
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


def _differs(old: Any, new: Any) -> bool:
    if isinstance(new, datetime):
        return old is None or datetime.fromisoformat(str(old).replace("Z", "+00:00")) != new
    return bool(old != new)


def _money(deps: WriteDeps, amount: float | None) -> Money | None:
    return Money.of(amount, deps.currency) if amount is not None else None


def field_changes(deps: WriteDeps, entry: Entry, changes: dict[str, Any]) -> dict[str, Change]:
    """Per field, before → after, with names instead of ids."""
    master = deps.master
    out: dict[str, Change] = {}
    if "time_since" in changes:
        out["start"] = Change(before=local_hhmm(deps, entry.time_since), after=local_hhmm(deps, changes["time_since"]))
    if "time_until" in changes:
        out["end"] = Change(before=local_hhmm(deps, entry.time_until), after=local_hhmm(deps, changes["time_until"]))
    if "duration" in changes:
        out["duration"] = Change(
            before=fmt_duration(int(entry.duration or 0)), after=fmt_duration(int(changes["duration"]))
        )
    if "text" in changes:
        out["text"] = Change(before=entry.text, after=changes["text"])
    if "customers_id" in changes:
        out["customer"] = Change(
            before=master.customer_name(entry.customers_id), after=master.customer_name(changes["customers_id"])
        )
    if "projects_id" in changes:
        out["project"] = Change(
            before=master.project_name(entry.projects_id) if entry.projects_id else None,
            after=master.project_name(changes["projects_id"]) if changes["projects_id"] else None,
        )
    if "services_id" in changes:
        out["service"] = Change(
            before=master.service_name(entry.services_id), after=master.service_name(changes["services_id"])
        )
    if "billable" in changes:
        out["billing"] = Change(before=billing_name(entry.billable), after=billing_name(changes["billable"]))
    return out


def restore_fields(after: Entry, fields: dict[str, Any]) -> RestoreEntry:
    """Undo of an edit: put `fields` back (if the entry is still as the edit left it)."""
    return RestoreEntry(entry_id=after.id, fields=fields, expect=snapshot(after))


async def edit_entry(args: EditEntryArgs, deps: WriteDeps) -> Plan[EditEntryPreview, EntryOut]:
    """Plan changing the fields of one entry that were passed."""
    entry = await require_entry(deps, args.entry_id)
    changes: dict[str, Any] = {}
    times = edited_times(deps, entry, args.date, args.start, args.end, args.duration)
    if times is not None:
        changes["time_since"], changes["time_until"] = times
        changes["duration"] = int((times[1] - times[0]).total_seconds())
    if args.text is not None:
        changes["text"] = args.text
    if args.project is not None or args.customer is not None:
        if args.project is None and args.customer is not None:
            customers_id = deps.master.resolve("customer", args.customer).id
            projects_id = entry.projects_id if customers_id == entry.customers_id else None
        else:
            customers_id, projects_id = resolve_booking(deps, args.customer, args.project)
        changes["customers_id"], changes["projects_id"] = customers_id, projects_id
        if projects_id != entry.projects_id:
            changes["subprojects_id"] = None
    if args.service is not None:
        if entry.type == EntryType.LUMP_SUM_SERVICE:
            raise WriteRejected(f"Entry {entry.id} is a lump-sum service entry; it has no service. {NOTHING}")
        changes["services_id"] = deps.master.resolve("service", args.service).id
    if args.billing is not None:
        changes["billable"] = BILLING_CODES[args.billing]
    current = snapshot(entry)
    changes = {k: v for k, v in changes.items() if _differs(current.get(k), v)}
    if not changes:
        raise WriteRejected(
            f"Nothing to change: the arguments match entry {entry.id} as it is. Pass the fields to change. {NOTHING}"
        )
    fields = field_changes(deps, entry, changes)
    old_seconds = int(entry.duration or 0)
    new_seconds = int(changes.get("duration", old_seconds))
    old_value = entry_value(entry, old_seconds)
    rerated = any(k in changes for k in ("customers_id", "projects_id", "services_id"))
    new_value: float | None = None
    if entry.hourly_rate is not None and not rerated:
        bill = int(changes.get("billable", int(entry.billable)))
        new_value = 0.0 if bill == 0 else round(entry.hourly_rate * new_seconds / 3600, 2)
    warnings = []
    if int(entry.billable) == Billable.BILLED and "billable" not in changes:
        warnings.append(f"Entry {entry.id} is already billed: changing it may disagree with the invoice.")
    restore = {k: current.get(k) for k in changes}
    if rerated and deps.account.is_owner and entry.hourly_rate is not None:
        restore["hourly_rate"] = entry.hourly_rate

    async def apply() -> Applied[EntryOut]:
        await deps.client.entries.update(entry.id, EntryUpdate(**changes))
        after = await deps.client.entries.get(entry.id)
        return Applied(
            after=shown(deps, after),
            ids={"entries": [entry.id]},
            undo=restore_fields(after, restore),
            summary=f"Changed {', '.join(fields)} of {describe(deps, after)}.",
        )

    return Plan(
        summary=f"Will change {describe(deps, entry)}: "
        + "; ".join(f"{k} {v.before} → {v.after}" for k, v in fields.items())
        + ".",
        preview=EditEntryPreview(
            action=f"change entry {entry.id}",
            entry=shown(deps, entry),
            changes=fields,
            hours=HoursChange(before=hours(old_seconds), after=hours(new_seconds)),
            value=ValueChange(
                before=_money(deps, old_value),
                after=_money(deps, new_value) if not rerated else "re-rated by Clockodo's rate rules on save",
            ),
        ),
        target=current,
        before=shown(deps, entry),
        apply=apply,
        warnings=warnings,
        expect=EntryFields(entry_id=entry.id, fields=changes, before=current, restore=restore),
    )


# -- delete_entry ---------------------------------------------------------------------------------------


class DeleteEntryArgs(WriteArgs):
    """delete_entry's arguments."""

    entry_id: EntryIdArg


class EntryPreview(View):
    """The entry a write will delete (or recreate, or restore)."""

    action: str
    entry: EntryShown


def recreate_deleted(snap: dict[str, Any]) -> RecreateEntry:
    """Undo of deleting an entry: create it again from its snapshot."""
    return RecreateEntry(entry=snap)


async def delete_entry(args: DeleteEntryArgs, deps: WriteDeps) -> Plan[EntryPreview, None]:
    """Plan deleting one entry (time, lump sum or a running timer)."""
    entry = await require_entry(deps, args.entry_id)
    current = snapshot(entry)
    warnings = []
    if int(entry.billable) == Billable.BILLED:
        warnings.append(f"Entry {entry.id} is already billed: deleting it makes Clockodo disagree with the invoice.")
    if entry.is_running:
        warnings.append(f"Entry {entry.id} is a running timer: deleting it also stops it.")

    async def apply() -> Applied[None]:
        await deps.client.entries.delete(entry.id)
        if await read_entry(deps, entry.id) is not None:
            raise WriteRejected(f"Clockodo still lists entry {entry.id} after deleting it; check it with list_entries.")
        return Applied(
            after=None,
            ids={"entries": [entry.id]},
            undo=recreate_deleted(current),
            summary=f"Deleted {describe(deps, entry)}.",
        )

    return Plan(
        summary=f"Will delete {describe(deps, entry)}.",
        preview=EntryPreview(action=f"delete entry {entry.id}", entry=shown(deps, entry)),
        target=current,
        before=shown(deps, entry),
        apply=apply,
        warnings=warnings,
        expect=EntryDeleted(entry_id=entry.id, before=current),
    )
