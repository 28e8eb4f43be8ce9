"""set_billing_state (mark billed …) behind the confirmation gate, with undo; the helpers set_hourly_rate shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import anyio
import anyio.lowlevel
from pydantic import Field, model_validator

from clockodo_mcp.clockodo import (
    Billable,
    BillableFilter,
    ClockodoClient,
    Entry,
    EntryFilter,
    EntryGroupChanges,
    EntryUpdate,
)
from clockodo_mcp.domain.argtypes import NameArg, PeriodArg
from clockodo_mcp.domain.invoice import (
    BILLING_CODES,
    BILLING_LABELS,
    FORBIDDEN_TRANSITIONS,
    NATURAL_PREDECESSOR,
    BillingState,
    InvoiceLine,
    InvoiceSummary,
    invoice_summary,
)
from clockodo_mcp.domain.running import completed, is_running
from clockodo_mcp.domain.undo import BillingState as BillingUndo
from clockodo_mcp.domain.values import Valuation
from clockodo_mcp.domain.views import AS_OBJECT, Money, PlainObject, View, fmt_money, hours, running_out
from clockodo_mcp.domain.writes.checks import Verdict, register_check
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.expect import BillingMoved
from clockodo_mcp.domain.writes.plan import Applied, Plan, Steps, WriteArgs, WriteRefused, WriteRejected
from clockodo_mcp.domain.writes.undoing import Undoing, UndoPreview, undo_plan

PAGE_SIZE = 1000
_FILTER_KEYS = ("customers_id", "projects_id", "users_id", "services_id")


# -- shared helpers ----------------------------------------------------------------------------------------------


def iso_z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def money(amount: float, deps: WriteDeps) -> dict[str, Any]:
    """An amount as the agent sees it (inside a plain-object part)."""
    return Money.of(amount, deps.currency).model_dump()


def filter_for(ids: Mapping[str, int | None], billable: int) -> EntryFilter:
    """The stored selection (customer/project/user/service ids) restricted to one billing state."""
    chosen = {key: ids.get(key) for key in _FILTER_KEYS if ids.get(key) is not None}
    return EntryFilter(**chosen, billable=BillableFilter(billable))


async def select_entries(
    client: ClockodoClient, since: datetime, until: datetime, entry_filter: EntryFilter
) -> list[Entry]:
    """Every matching entry, with Clockodo's revenue (none yet for open hard budgets) so the summary is priced."""
    return [
        entry
        async for entry in client.entries.iter(
            since,
            until,
            filter=entry_filter,
            enhanced_list=True,
            items_per_page=PAGE_SIZE,
        )
    ]


def _prices(deps: WriteDeps) -> dict[int, float]:
    return {sid: float(s.price) for sid, s in deps.master.lump_sum_services.items()}


MAX_INVOICE_LINES = 5  # lump-sum lines and the largest time lines; `more_lines` sums up the rest (bounded)
MAX_INVOICE_PROJECTS = 6  # per-project subtotals of the largest projects; `more_projects` counts the rest


def _summarize(entries: Sequence[Entry], deps: WriteDeps) -> InvoiceSummary:
    return invoice_summary(entries, _prices(deps), Valuation.of(deps.master.projects))


def _line_out(line: InvoiceLine, deps: WriteDeps) -> dict[str, Any]:
    master = deps.master
    out: dict[str, Any] = {
        "kind": line.kind,
        "customer": master.customer_name(line.customer_id),
        "project": master.project_name(line.project_id),
        "project_id": line.project_id,
        "user": master.user_name(line.user_id) if line.user_id is not None else "(several)",
        "user_id": line.user_id,
        "hours": hours(line.seconds),
        "rate": money(line.rate, deps) if line.rate is not None else None,
        "value": money(line.value, deps) if line.value is not None else None,
        "entries": line.entries,
    }
    if line.kind == "lump_sum":
        if line.lumpsum_service_id is not None:
            item = master.lump_sum_services.get(line.lumpsum_service_id)
            out["item"] = item.name if item is not None else f"lump-sum service {line.lumpsum_service_id}"
        else:
            out["item"] = f"lump sum ({master.service_name(line.service_id)})"
        out["quantity"] = line.quantity
        out["unit_price"] = money(line.unit_price, deps) if line.unit_price is not None else None
    return out


def _budget_of(deps: WriteDeps, project_id: int | None) -> dict[str, Any] | None:
    """The open hard budget of a project (its work has no value until completion), else None."""
    project = deps.master.projects.get(project_id or 0)
    if project is None or project.budget is None or not Valuation.of({project.id: project}).withheld(project.id):
        return None
    amount = project.budget.amount
    if project.budget.monetary:
        return {"hard": True, "unit": "money", "amount": money(amount, deps) if amount is not None else None}
    return {"hard": True, "unit": "hours", "amount": amount}


def invoice_out(summary: InvoiceSummary, deps: WriteDeps) -> dict[str, Any]:
    """An invoice summary for the agent: time and lump-sum lines, per-project subtotals, totals, entry count."""
    master = deps.master
    projects = [
        {
            "customer": master.customer_name(p.customer_id),
            "project": master.project_name(p.project_id),
            "project_id": p.project_id,
            "hours": hours(p.seconds),
            "time_value": money(p.time_value, deps),
            "lump_sums": money(p.lump_sum_value, deps),
            "value": money(p.value, deps),
            "entries": p.entries,
            "hours_without_value": hours(p.withheld_seconds),
            "open_hard_budget": _budget_of(deps, p.project_id),
        }
        for p in sorted(summary.projects, key=lambda p: -p.value)[:MAX_INVOICE_PROJECTS]
    ]
    # Lump sums are always their own lines (few, and an invoice must show them); time lines are the largest few.
    lump_sums = [line for line in summary.lines if line.kind == "lump_sum"][:MAX_INVOICE_LINES]
    time_lines = [line for line in summary.lines if line.kind != "lump_sum"]
    largest = lump_sums + sorted(time_lines, key=lambda line: -(line.value or 0))[:MAX_INVOICE_LINES]
    hidden = [line for line in summary.lines if line not in largest]
    more = {
        "lines": len(hidden),
        "entries": sum(line.entries for line in hidden),
        "hours": hours(sum(line.seconds for line in hidden)),
        "value": money(sum(line.value or 0 for line in hidden), deps),
    }
    tz = deps.account.timezone
    valued = summary.valued_seconds
    note = (
        "Values are Clockodo's revenue. Hours on projects with an open hard budget have no value until the project "
        "is completed; they are listed with value null and their budget."
        if summary.withheld_seconds
        else None
    )
    return {
        "lines": [_line_out(line, deps) for line in largest],
        **({"more_lines": more} if hidden else {}),
        "projects": projects,
        **({"more_projects": len(summary.projects) - len(projects)} if len(summary.projects) > len(projects) else {}),
        "total_hours": hours(summary.seconds),
        "time_value": money(summary.time_value, deps),
        "lump_sums": money(summary.lump_sum_value, deps),
        "total_value": money(summary.value, deps),
        "blended_rate": money(summary.time_value / (valued / 3600), deps) if valued else None,
        "hours_without_value": hours(summary.withheld_seconds),
        "entry_count": summary.entries,
        "first_day": summary.first.astimezone(tz).date().isoformat() if summary.first else None,
        "last_day": summary.last.astimezone(tz).date().isoformat() if summary.last else None,
        "note": note,
    }


async def mass_edit(
    client: ClockodoClient,
    since: datetime,
    until: datetime,
    changes: EntryGroupChanges,
    entry_filter: EntryFilter,
    expected: int,
) -> int:
    """Clockodo's two-step mass edit; the confirm_key never leaves this function (nor reaches the audit log)."""
    step = await client.entry_groups.preview_update(since, until, changes, filter=entry_filter)
    if step.affected_entries != expected:
        raise WriteRefused(
            f"Clockodo would change {step.affected_entries} entries, but {expected} were selected: the entries are "
            "changing right now. Nothing was changed. Run the tool again without confirm_token for a fresh preview."
        )
    return await client.entry_groups.confirm_update(since, until, changes, step.confirm_key, filter=entry_filter)


# -- set_billing_state ---------------------------------------------------------------------------------------------


class BillingPeriod(View):
    start: str
    end: str
    label: str


class SetBillingStatePreview(View):
    period: Annotated[BillingPeriod, AS_OBJECT]
    filters: str
    billing: str
    invoice: PlainObject
    clockodo_affected_entries: int | None
    changed_one_by_one: int
    running_left_out: list[int]
    running: PlainObject


class BillingResult(View):
    billing: str
    entries: int
    verified: bool
    not_changed_ids: list[int]
    invoice: PlainObject


class BillingBefore(View):
    billing: str
    entries: int


class UndoBillingPreview(UndoPreview):
    billing: str
    invoice: PlainObject
    entries: int


@dataclass(frozen=True, slots=True)
class Selection:
    """The entries a billing change covers, split where a running timer starts.

    Clockodo's mass edit cannot skip a running entry, so it runs on [since, cut) — everything before the first
    running entry — and the finished entries from `cut` on are changed one by one.
    """

    since: datetime
    cut: datetime
    until: datetime
    bulk: tuple[Entry, ...]
    tail: tuple[Entry, ...]
    running: tuple[Entry, ...]

    @property
    def done(self) -> tuple[Entry, ...]:
        """Every finished entry that will change."""
        return self.bulk + self.tail


def split_selection(entries: Sequence[Entry], since: datetime, until: datetime) -> Selection:
    """Finished entries before the first running one (mass edit), after it (one by one), and the running ones."""
    running = tuple(e for e in entries if is_running(e))
    cut = max(since, min((e.time_since for e in running), default=until))
    done = completed(entries)
    return Selection(
        since=since,
        cut=cut,
        until=until,
        bulk=tuple(e for e in done if e.time_since < cut),
        tail=tuple(e for e in done if e.time_since >= cut),
        running=running,
    )


async def _change_billing(
    client: ClockodoClient,
    selection: Selection,
    ids: Mapping[str, int | None],
    from_code: int,
    to_code: int,
    steps: Steps,
    *,
    bulk_by_mass_edit: bool = True,
) -> int:
    """Move the selection from one billing state to another, journalling each step; returns how many changed."""
    changed = 0
    one_by_one = list(selection.tail)
    if selection.bulk and bulk_by_mass_edit:
        async with steps.step(
            "mass edit", entries=len(selection.bulk), since=iso_z(selection.since), until=iso_z(selection.cut)
        ) as step:
            edited = await mass_edit(
                client,
                selection.since,
                selection.cut,
                EntryGroupChanges(billable=Billable(to_code)),
                filter_for(ids, from_code),
                len(selection.bulk),
            )
            step.done(edited=edited)
        changed += edited
    else:
        one_by_one = list(selection.bulk) + one_by_one
    if one_by_one:
        async with steps.step("per-entry updates", entries=len(one_by_one), done=0) as step:
            for entry in one_by_one:
                with anyio.CancelScope(shield=True):  # a cancel waits for this entry's answer: none is left in limbo
                    await client.entries.update(entry.id, EntryUpdate(billable=Billable(to_code)))
                    changed += 1
                    await step.progress(done=step.detail["done"] + 1, last_id=entry.id)
                await anyio.lowlevel.checkpoint()  # and lands here, between two entries
    return changed


async def _billing_read_back(
    deps: WriteDeps, selection: Selection, ids: Mapping[str, int | None], to_code: int
) -> BillingResult:
    wanted = {e.id for e in selection.done}
    now_in_state = [
        e
        for e in await select_entries(deps.client, selection.since, selection.until, filter_for(ids, to_code))
        if e.id in wanted
    ]
    missing = sorted(wanted - {e.id for e in now_in_state})
    return BillingResult(
        billing=BILLING_LABELS[to_code],
        entries=len(now_in_state),
        verified=not missing,
        not_changed_ids=missing[:50],
        invoice=invoice_out(_summarize(now_in_state, deps), deps),
    )


def _billing_undo(selection: Selection, ids: Mapping[str, int | None], from_code: int, to_code: int) -> BillingUndo:
    return BillingUndo(
        since=iso_z(selection.since),
        cut=iso_z(selection.cut),
        until=iso_z(selection.until),
        filter={k: v for k, v in ids.items() if v is not None},
        from_code=from_code,
        to_code=to_code,
        bulk_ids=sorted(e.id for e in selection.bulk),
        tail_ids=sorted(e.id for e in selection.tail),
    )


def _running_note(selection: Selection, deps: WriteDeps) -> list[str]:
    return [
        f"Left out: the running timer of {deps.master.user_name(e.users_id)} (entry {e.id}, started "
        f"{e.time_since.astimezone(deps.account.timezone):%Y-%m-%d %H:%M}) — only finished work changes state."
        for e in selection.running
    ]


class SetBillingStateArgs(WriteArgs):
    """set_billing_state's arguments; from_state defaults to the state that naturally precedes to_state."""

    period: PeriodArg
    to_state: Annotated[
        BillingState, Field(description="The new state: billed, unbilled (billable, not yet billed) or not_billable.")
    ]
    customer: NameArg = None
    project: NameArg = None
    user: NameArg = None
    service: NameArg = None
    from_state: Annotated[
        BillingState | None,
        Field(
            description="Only entries in this state change. Default: unbilled for billed and not_billable, "
            "billed for unbilled."
        ),
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _natural_from_state(cls, data: Any) -> Any:
        """The token binds the state the entries are in, said or not."""
        if isinstance(data, dict) and data.get("from_state") is None and data.get("to_state") in NATURAL_PREDECESSOR:
            return {**data, "from_state": NATURAL_PREDECESSOR[data["to_state"]]}
        return data


async def set_billing_state(args: SetBillingStateArgs, deps: WriteDeps) -> Plan[SetBillingStatePreview, BillingResult]:
    """Plan changing the billing state of a period's finished entries (e.g. mark billed), with an invoice summary."""
    period, to_state, customer, project, user, service = (
        args.period,
        args.to_state,
        args.customer,
        args.project,
        args.user,
        args.service,
    )
    from_state = args.from_state or NATURAL_PREDECESSOR[to_state]
    if from_state == to_state:
        raise WriteRejected(
            f"from_state and to_state are both {to_state}: that changes nothing. Nothing was changed. Pick the state "
            "the entries are in now as from_state."
        )
    forbidden = FORBIDDEN_TRANSITIONS.get((from_state, to_state))
    if forbidden:
        raise WriteRejected(f"{forbidden} Nothing was changed.")
    from_code, to_code = BILLING_CODES[from_state], BILLING_CODES[to_state]
    resolved = deps.period(period)
    scope = deps.scope(customer=customer, project=project, user=user, service=service)
    ids: dict[str, int | None] = {
        "customers_id": scope.customer_id,
        "projects_id": scope.project_id,
        "users_id": scope.user_id,
        "services_id": scope.service_id,
    }
    client = deps.client
    listed = await select_entries(client, resolved.utc_since, resolved.utc_until, filter_for(ids, from_code))
    selection = split_selection(listed, resolved.utc_since, resolved.utc_until)
    where = f"{resolved.describe()}{deps.describe_scope(scope)}"
    if not selection.done:
        raise WriteRejected(
            f"No finished {from_state} entries in {where}. Nothing was changed. Check the period and filters "
            "(report_hours or list_entries show what is there), or set from_state."
        )
    affected = None
    if selection.bulk:
        step = await client.entry_groups.preview_update(
            selection.since,
            selection.cut,
            EntryGroupChanges(billable=Billable(to_code)),
            filter=filter_for(ids, from_code),
        )
        affected = step.affected_entries  # its confirm_key is dropped here: apply asks for a fresh one
    summary = _summarize(selection.done, deps)
    invoice = invoice_out(summary, deps)
    warnings = _running_note(selection, deps)
    if affected is not None and affected != len(selection.bulk):
        warnings.append(
            f"Clockodo counts {affected} entries for the mass edit, the listing {len(selection.bulk)}: confirming "
            "will be refused unless they agree."
        )
    preview = SetBillingStatePreview(
        period=BillingPeriod(start=resolved.start.isoformat(), end=resolved.end.isoformat(), label=resolved.label),
        filters=deps.describe_scope(scope).removeprefix(" for ") or "none",
        billing=f"{from_state} → {to_state}",
        invoice=invoice,
        clockodo_affected_entries=affected,
        changed_one_by_one=len(selection.tail),
        running_left_out=[e.id for e in selection.running],
        running=running_out(deps, selection.running).model_dump(mode="json"),
    )
    target = {
        "ids": sorted(e.id for e in selection.done),
        "total_seconds": summary.seconds,
        "total_value": summary.value,
        "affected": affected,
    }
    value = fmt_money(Money.of(summary.value, deps.currency))
    if summary.withheld_seconds:
        value += (
            f"; {hours(summary.withheld_seconds):g} h of them on open hard budgets, valued by Clockodo only when "
            "the project is completed"
        )

    steps = Steps()
    steps.total = len(selection.done)

    async def apply() -> Applied[BillingResult]:
        await _change_billing(client, selection, ids, from_code, to_code, steps)
        after = await _billing_read_back(deps, selection, ids, to_code)
        return Applied(
            after=after,
            ids={"entries": sorted(e.id for e in selection.done)},
            undo=_billing_undo(selection, ids, from_code, to_code),
            summary=f"{after.entries} entries ({hours(summary.seconds):g} h, {value}) in {where} are now {to_state}.",
        )

    return Plan(
        summary=f"{summary.entries} {from_state} entries ({hours(summary.seconds):g} h, {value}) in {where} "
        f"would become {to_state}.",
        preview=preview,
        target=target,
        before=BillingBefore(billing=from_state, entries=summary.entries),  # the invoice is in the preview already
        apply=apply,
        warnings=warnings,
        expect=_billing_expect(selection, ids, from_code, to_code),
        steps=steps,
    )


@undo_plan("billing_state")
async def undo_billing_state(
    deps: WriteDeps, change: Undoing, spec: BillingUndo
) -> Plan[UndoBillingPreview, BillingResult]:
    """Move exactly the entries a billing change touched back to their old state; refuse if any changed since."""
    from_code, to_code = spec.from_code, spec.to_code
    ids: dict[str, int | None] = dict(spec.filter)
    since, cut, until = parse_iso(spec.since), parse_iso(spec.cut), parse_iso(spec.until)
    bulk_ids, tail_ids = set(spec.bulk_ids), set(spec.tail_ids)
    wanted = bulk_ids | tail_ids
    client = deps.client
    current = await select_entries(client, since, until, filter_for(ids, to_code))
    present = {e.id: e for e in current}
    gone = sorted(wanted - present.keys())
    if gone:
        raise WriteRefused(
            f"Cannot undo: {len(gone)} of the {len(wanted)} entries are no longer {BILLING_LABELS[to_code]} or were "
            f"moved or deleted since (e.g. ids {gone[:10]}): the target changed since. Nothing was changed. Use "
            "set_billing_state for the entries that should change."
        )
    # A mass edit is only safe if the window still selects exactly the entries we changed.
    window = {e.id for e in current if e.time_since < cut}
    by_mass_edit = bool(bulk_ids) and window == bulk_ids
    mine = [present[i] for i in sorted(wanted)]
    selection = Selection(
        since=since,
        cut=cut,
        until=until,
        bulk=tuple(present[i] for i in sorted(bulk_ids)),
        tail=tuple(present[i] for i in sorted(tail_ids)),
        running=(),
    )
    summary = _summarize(mine, deps)
    invoice = invoice_out(summary, deps)
    from_label, to_label = BILLING_LABELS[from_code], BILLING_LABELS[to_code]

    steps = Steps()
    steps.total = len(selection.done)

    async def apply() -> Applied[BillingResult]:
        await _change_billing(client, selection, ids, to_code, from_code, steps, bulk_by_mass_edit=by_mass_edit)
        after = await _billing_read_back(deps, selection, ids, from_code)
        return Applied(
            after=after,
            ids={"entries": sorted(wanted)},
            undo=_billing_undo(selection, ids, to_code, from_code),
            summary=f"{after.entries} entries are {from_label} again.",
        )

    return Plan(
        summary=f"{len(wanted)} entries ({hours(summary.seconds):g} h) would go back from {to_label} to {from_label}.",
        preview=UndoBillingPreview(
            action=f"set billing back to {from_label}",
            billing=f"{to_label} → {from_label}",
            invoice=invoice,
            entries=len(wanted),
        ),
        target={"ids": sorted(wanted), "billing": to_code},
        before=BillingBefore(billing=to_label, entries=len(wanted)),
        apply=apply,
        expect=_billing_expect(selection, ids, to_code, from_code),
        steps=steps,
    )


def _billing_expect(selection: Selection, ids: Mapping[str, int | None], from_code: int, to_code: int) -> BillingMoved:
    return BillingMoved(
        since=selection.since,
        cut=selection.cut,
        until=selection.until,
        filter={k: v for k, v in ids.items() if v is not None},
        from_code=from_code,
        to_code=to_code,
        bulk_ids=sorted(e.id for e in selection.bulk),
        tail_ids=sorted(e.id for e in selection.tail),
    )


@register_check("billing_moved")
async def billing_moved(deps: WriteDeps, expect: BillingMoved) -> Verdict:
    """All the entries are in the new state (applied), all still in the old one (not applied), or some of each."""
    client = deps.client
    ids: dict[str, int | None] = dict(expect.filter)
    wanted = set(expect.bulk_ids) | set(expect.tail_ids)
    moved = {e.id: e for e in await select_entries(client, expect.since, expect.until, filter_for(ids, expect.to_code))}
    moved = {i: e for i, e in moved.items() if i in wanted}
    waiting = {
        e.id for e in await select_entries(client, expect.since, expect.until, filter_for(ids, expect.from_code))
    }
    waiting &= wanted
    to_label, from_label = BILLING_LABELS[expect.to_code], BILLING_LABELS[expect.from_code]
    if not moved and waiting == wanted:
        return Verdict.absent(f"all {len(wanted)} entries are still {from_label}")
    if not moved or set(moved) | waiting != wanted:
        return Verdict.undecided(f"{len(wanted - set(moved) - waiting)} of the entries are in neither state (edited?)")
    selection = Selection(
        since=expect.since,
        cut=expect.cut,
        until=expect.until,
        bulk=tuple(moved[i] for i in expect.bulk_ids if i in moved),
        tail=tuple(moved[i] for i in expect.tail_ids if i in moved),
        running=(),
    )
    after = await _billing_read_back(deps, selection, ids, expect.to_code)
    warnings = []
    if waiting:
        warnings.append(
            f"Only {len(moved)} of the {len(wanted)} entries became {to_label}; {len(waiting)} are still {from_label} "
            f"(e.g. ids {sorted(waiting)[:10]}). Undo reverts the {len(moved)}; set_billing_state again (a new "
            "preview) moves the rest."
        )
    return Verdict.found(
        Applied(
            after=after,
            ids={"entries": sorted(moved)},
            undo=_billing_undo(selection, ids, expect.from_code, expect.to_code),
            summary=f"{len(moved)} entries are now {to_label}."
            + (f" Partially applied: {len(waiting)} of the {len(wanted)} are still {from_label}." if waiting else ""),
        ),
        f"{len(moved)} of {len(wanted)} entries are {to_label}",
        warnings,
    )
