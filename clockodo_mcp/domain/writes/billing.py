"""Billing writes behind the confirmation gate: set_billing_state (mark billed …) and set_hourly_rate, with undo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from clockodo_mcp.clockodo import (
    Billable,
    BillableFilter,
    ClockodoClient,
    Entry,
    EntryFilter,
    EntryGroupChanges,
    EntryType,
    EntryUpdate,
    Rate,
)
from clockodo_mcp.domain.argtypes import MoneyArg, NameArg, PeriodArg, ShortText
from clockodo_mcp.domain.invoice import (
    BILLING_CODES,
    BILLING_LABELS,
    FORBIDDEN_TRANSITIONS,
    NATURAL_PREDECESSOR,
    BillingState,
    InvoiceLine,
    InvoiceSummary,
    entry_seconds,
    invoice_summary,
)
from clockodo_mcp.domain.periods import DateRange
from clockodo_mcp.domain.running import completed, is_running
from clockodo_mcp.domain.undo import BillingState as BillingUndo
from clockodo_mcp.domain.undo import HourlyRate as RateUndo
from clockodo_mcp.domain.values import Valuation
from clockodo_mcp.domain.views import Money, fmt_money, hours, running_out
from clockodo_mcp.domain.writes.checks import Verdict, register_check
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.expect import BillingMoved, RateSet
from clockodo_mcp.domain.writes.plan import Applied, Plan, WriteArgs, WriteRefused, WriteRejected
from clockodo_mcp.domain.writes.undoing import Loose, Undoing, undo_plan

PAGE_SIZE = 1000
RATE_CRITERIA = ("customer_ids", "project_ids", "service_ids", "user_ids")
_FILTER_KEYS = ("customers_id", "projects_id", "users_id", "services_id")


# -- shared helpers ----------------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _money(amount: float, deps: WriteDeps) -> dict[str, Any]:
    return Money.of(amount, deps.currency).model_dump()


def _entry_filter(ids: Mapping[str, int | None], billable: int) -> EntryFilter:
    """The stored selection (customer/project/user/service ids) restricted to one billing state."""
    chosen = {key: ids.get(key) for key in _FILTER_KEYS if ids.get(key) is not None}
    return EntryFilter(**chosen, billable=BillableFilter(billable))


async def _select(client: ClockodoClient, since: datetime, until: datetime, entry_filter: EntryFilter) -> list[Entry]:
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
        "rate": _money(line.rate, deps) if line.rate is not None else None,
        "value": _money(line.value, deps) if line.value is not None else None,
        "entries": line.entries,
    }
    if line.kind == "lump_sum":
        if line.lumpsum_service_id is not None:
            item = master.lump_sum_services.get(line.lumpsum_service_id)
            out["item"] = item.name if item is not None else f"lump-sum service {line.lumpsum_service_id}"
        else:
            out["item"] = f"lump sum ({master.service_name(line.service_id)})"
        out["quantity"] = line.quantity
        out["unit_price"] = _money(line.unit_price, deps) if line.unit_price is not None else None
    return out


def _budget_of(deps: WriteDeps, project_id: int | None) -> dict[str, Any] | None:
    """The open hard budget of a project (its work has no value until completion), else None."""
    project = deps.master.projects.get(project_id or 0)
    if project is None or project.budget is None or not Valuation.of({project.id: project}).withheld(project.id):
        return None
    amount = project.budget.amount
    if project.budget.monetary:
        return {"hard": True, "unit": "money", "amount": _money(amount, deps) if amount is not None else None}
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
            "time_value": _money(p.time_value, deps),
            "lump_sums": _money(p.lump_sum_value, deps),
            "value": _money(p.value, deps),
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
        "value": _money(sum(line.value or 0 for line in hidden), deps),
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
        "time_value": _money(summary.time_value, deps),
        "lump_sums": _money(summary.lump_sum_value, deps),
        "total_value": _money(summary.value, deps),
        "blended_rate": _money(summary.time_value / (valued / 3600), deps) if valued else None,
        "hours_without_value": hours(summary.withheld_seconds),
        "entry_count": summary.entries,
        "first_day": summary.first.astimezone(tz).date().isoformat() if summary.first else None,
        "last_day": summary.last.astimezone(tz).date().isoformat() if summary.last else None,
        "note": note,
    }


async def _mass_edit(
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
    *,
    bulk_by_mass_edit: bool = True,
) -> int:
    """Move the selection from one billing state to another; returns how many entries changed."""
    changed = 0
    one_by_one = list(selection.tail)
    if selection.bulk and bulk_by_mass_edit:
        changed += await _mass_edit(
            client,
            selection.since,
            selection.cut,
            EntryGroupChanges(billable=Billable(to_code)),
            _entry_filter(ids, from_code),
            len(selection.bulk),
        )
    else:
        one_by_one = list(selection.bulk) + one_by_one
    for entry in one_by_one:
        await client.entries.update(entry.id, EntryUpdate(billable=Billable(to_code)))
        changed += 1
    return changed


async def _billing_read_back(
    deps: WriteDeps, selection: Selection, ids: Mapping[str, int | None], to_code: int
) -> dict[str, Any]:
    wanted = {e.id for e in selection.done}
    now_in_state = [
        e
        for e in await _select(deps.client, selection.since, selection.until, _entry_filter(ids, to_code))
        if e.id in wanted
    ]
    missing = sorted(wanted - {e.id for e in now_in_state})
    return {
        "billing": BILLING_LABELS[to_code],
        "entries": len(now_in_state),
        "verified": not missing,
        "not_changed_ids": missing[:50],
        "invoice": invoice_out(_summarize(now_in_state, deps), deps),
    }


def _billing_undo(selection: Selection, ids: Mapping[str, int | None], from_code: int, to_code: int) -> BillingUndo:
    return BillingUndo(
        since=_iso(selection.since),
        cut=_iso(selection.cut),
        until=_iso(selection.until),
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


async def set_billing_state(args: SetBillingStateArgs, deps: WriteDeps) -> Plan[dict[str, Any], dict[str, Any]]:
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
    listed = await _select(client, resolved.utc_since, resolved.utc_until, _entry_filter(ids, from_code))
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
            filter=_entry_filter(ids, from_code),
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
    preview = {
        "period": {"start": resolved.start.isoformat(), "end": resolved.end.isoformat(), "label": resolved.label},
        "filters": deps.describe_scope(scope).removeprefix(" for ") or "none",
        "billing": f"{from_state} → {to_state}",
        "invoice": invoice,
        "clockodo_affected_entries": affected,
        "changed_one_by_one": len(selection.tail),
        "running_left_out": [e.id for e in selection.running],
        "running": running_out(deps, selection.running).model_dump(mode="json"),
    }
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

    async def apply() -> Applied[dict[str, Any]]:
        await _change_billing(client, selection, ids, from_code, to_code)
        after = await _billing_read_back(deps, selection, ids, to_code)
        return Applied(
            after=after,
            ids={"entries": sorted(e.id for e in selection.done)},
            undo=_billing_undo(selection, ids, from_code, to_code),
            summary=f"{after['entries']} entries ({hours(summary.seconds):g} h, {value}) in {where} are now "
            f"{to_state}.",
        )

    return Plan(
        summary=f"{summary.entries} {from_state} entries ({hours(summary.seconds):g} h, {value}) in {where} "
        f"would become {to_state}.",
        preview=preview,
        target=target,
        before={"billing": from_state, "entries": summary.entries},  # the invoice is in the preview already
        apply=apply,
        warnings=warnings,
        expect=_billing_expect(selection, ids, from_code, to_code),
    )


@undo_plan("billing_state")
async def undo_billing_state(deps: WriteDeps, change: Undoing, spec: BillingUndo) -> Plan[Loose, dict[str, Any]]:
    """Move exactly the entries a billing change touched back to their old state; refuse if any changed since."""
    from_code, to_code = spec.from_code, spec.to_code
    ids: dict[str, int | None] = dict(spec.filter)
    since, cut, until = _moment(spec.since), _moment(spec.cut), _moment(spec.until)
    bulk_ids, tail_ids = set(spec.bulk_ids), set(spec.tail_ids)
    wanted = bulk_ids | tail_ids
    client = deps.client
    current = await _select(client, since, until, _entry_filter(ids, to_code))
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

    async def apply() -> Applied[dict[str, Any]]:
        await _change_billing(client, selection, ids, to_code, from_code, bulk_by_mass_edit=by_mass_edit)
        after = await _billing_read_back(deps, selection, ids, from_code)
        return Applied(
            after=after,
            ids={"entries": sorted(wanted)},
            undo=_billing_undo(selection, ids, to_code, from_code),
            summary=f"{after['entries']} entries are {from_label} again.",
        )

    return Plan(
        summary=f"{len(wanted)} entries ({hours(summary.seconds):g} h) would go back from {to_label} to {from_label}.",
        preview=Loose(
            action=f"set billing back to {from_label}",
            billing=f"{to_label} → {from_label}",
            invoice=invoice,
            entries=len(wanted),
        ),
        target={"ids": sorted(wanted), "billing": to_code},
        before={"billing": to_label, "entries": len(wanted)},
        apply=apply,
        expect=_billing_expect(selection, ids, to_code, from_code),
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
    moved = {e.id: e for e in await _select(client, expect.since, expect.until, _entry_filter(ids, expect.to_code))}
    moved = {i: e for i, e in moved.items() if i in wanted}
    waiting = {e.id for e in await _select(client, expect.since, expect.until, _entry_filter(ids, expect.from_code))}
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
            summary=f"{len(moved)} entries are now {to_label}.",
        ),
        f"{len(moved)} of {len(wanted)} entries are {to_label}",
        warnings,
    )


# -- set_hourly_rate -----------------------------------------------------------------------------------------------


def _criteria_of(rule: Rate) -> dict[str, list[int]]:
    return {name: sorted(getattr(rule, name) or []) for name in RATE_CRITERIA}


def find_rule(rules: Sequence[Rate], criteria: Mapping[str, Sequence[int]]) -> Rate | None:
    """The rule with exactly these criteria (Clockodo allows only one)."""
    wanted = {name: sorted(criteria.get(name) or []) for name in RATE_CRITERIA}
    return next((rule for rule in rules if _criteria_of(rule) == wanted), None)


def _describe_criteria(criteria: Mapping[str, Sequence[int]], deps: WriteDeps) -> str:
    master = deps.master
    names = {
        "customer_ids": master.customer_name,
        "project_ids": master.project_name,
        "service_ids": master.service_name,
        "user_ids": master.user_name,
    }
    parts = [
        f"{name.removesuffix('_ids')} {', '.join(names[name](i) for i in criteria.get(name) or [])}"
        for name in RATE_CRITERIA
        if criteria.get(name)
    ]
    return " + ".join(parts)


def _rerate_filter(criteria: Mapping[str, Sequence[int]]) -> dict[str, int | None]:
    def one(name: str) -> int | None:
        values = criteria.get(name) or []
        return values[0] if values else None

    return {
        "customers_id": one("customer_ids"),
        "projects_id": one("project_ids"),
        "services_id": one("service_ids"),
        "users_id": one("user_ids"),
    }


def _same_rate(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) < 0.005


async def _set_rule(
    client: ClockodoClient, rules: Sequence[Rate], criteria: Mapping[str, Sequence[int]], rate: float | None
) -> None:
    """Make the rule with these criteria have `rate` (None: no such rule)."""
    existing = find_rule(rules, criteria)
    if rate is None:
        if existing is not None and existing.id is not None:
            await client.rates.delete(existing.id)
    elif existing is not None and existing.id is not None:
        await client.rates.update(existing.id, hourly_rate=rate)
    else:
        await client.rates.create(
            rate,
            customer_ids=list(criteria.get("customer_ids") or []),
            project_ids=list(criteria.get("project_ids") or []),
            service_ids=list(criteria.get("service_ids") or []),
            user_ids=list(criteria.get("user_ids") or []),
        )


async def _set_entry_rates(
    client: ClockodoClient,
    current: Sequence[Entry],
    rates: Mapping[int, float],
    since: datetime,
    until: datetime,
    ids: Mapping[str, int | None],
) -> None:
    """Give each entry its rate: one mass edit when they all get the same rate and the window selects exactly them."""
    distinct = set(rates.values())
    if len(distinct) == 1 and {e.id for e in current} == set(rates):
        (rate,) = distinct
        await _mass_edit(client, since, until, EntryGroupChanges(hourly_rate=rate), _entry_filter(ids, 1), len(current))
        return
    for entry_id, rate in sorted(rates.items()):
        await client.entries.update(entry_id, EntryUpdate(hourly_rate=rate))


def _value_change(entries: Sequence[Entry], rates_after: Mapping[int, float], now: datetime) -> float:
    total = 0.0
    for entry in entries:
        seconds = (
            entry_seconds(entry) if not entry.is_running else max(0, int((now - entry.time_since).total_seconds()))
        )
        total += (rates_after[entry.id] - float(entry.hourly_rate or 0.0)) * seconds / 3600.0
    return total


def _rate_groups(entries: Sequence[Entry], now: datetime, deps: WriteDeps, new: Mapping[int, float]) -> list[Any]:
    """Re-rated entries grouped by their old → new rate: how many, hours, value change."""
    groups: dict[tuple[float, float], list[Entry]] = {}
    for entry in entries:
        groups.setdefault((float(entry.hourly_rate or 0.0), new[entry.id]), []).append(entry)
    out = []
    for (old_rate, new_rate), members in sorted(groups.items()):
        seconds = sum(
            entry_seconds(e) if not e.is_running else max(0, int((now - e.time_since).total_seconds())) for e in members
        )
        out.append(
            {
                "rate": f"{old_rate:,.2f} → {new_rate:,.2f} {deps.currency}/h",
                "entries": len(members),
                "hours": hours(seconds),
                "value_change": _money(_value_change(members, new, now), deps),
            }
        )
    return out


def _rate_undo(
    criteria: Mapping[str, Sequence[int]],
    rate_before: float | None,
    rate_after: float | None,
    window: tuple[datetime, datetime] | None,
    ids: Mapping[str, int | None],
    entries_before: Mapping[int, float],
    entries_after: Mapping[int, float],
) -> RateUndo:
    return RateUndo(
        criteria={name: list(criteria.get(name) or []) for name in RATE_CRITERIA},
        rate_before=rate_before,
        rate_after=rate_after,
        since=_iso(window[0]) if window else None,
        until=_iso(window[1]) if window else None,
        filter={k: v for k, v in ids.items() if v is not None},
        entries_before={str(k): v for k, v in sorted(entries_before.items())},
        entries_after={str(k): v for k, v in sorted(entries_after.items())},
    )


async def _rates_read_back(
    deps: WriteDeps,
    criteria: Mapping[str, Sequence[int]],
    window: tuple[datetime, datetime] | None,
    ids: Mapping[str, int | None],
    entries_after: Mapping[int, float],
) -> dict[str, Any]:
    client = deps.client
    rule = find_rule(await client.rates.list(), criteria)
    after: dict[str, Any] = {
        "rule": {"id": rule.id, "hourly_rate": rule.hourly_rate} if rule is not None else None,
        "criteria": _describe_criteria(criteria, deps),
    }
    if window is not None and entries_after:
        listed = {e.id: e for e in await _select(client, window[0], window[1], _entry_filter(ids, 1))}
        rates_now = {i: e.hourly_rate for i, e in listed.items()}
        wrong = sorted(i for i, rate in entries_after.items() if not _same_rate(rates_now.get(i), rate))
        after["rerated"] = {
            "entries": len(entries_after) - len(wrong),
            "verified": not wrong,
            "not_rerated_ids": wrong[:50],
        }
    return after


def _rule_ids(after: Mapping[str, Any]) -> list[int]:
    rule = after.get("rule")
    return [int(rule["id"])] if isinstance(rule, dict) and rule.get("id") is not None else []


class SetHourlyRateArgs(WriteArgs):
    """set_hourly_rate's arguments."""

    hourly_rate: Annotated[MoneyArg, Field(description="The rate per hour in the account currency (0 or more).")]
    customer: NameArg = None
    project: NameArg = None
    service: NameArg = None
    user: NameArg = None
    rerate_period: Annotated[
        ShortText | DateRange | None,
        Field(description="A period: also re-rate its unbilled entries matching the rule (billed ones never)."),
    ] = None


async def set_hourly_rate(args: SetHourlyRateArgs, deps: WriteDeps) -> Plan[dict[str, Any], dict[str, Any]]:
    """Plan creating or changing an hourly-rate rule (customer OR project, with service and/or user)."""
    hourly_rate, customer, project, service, user = (
        args.hourly_rate,
        args.customer,
        args.project,
        args.service,
        args.user,
    )
    rerate_period = args.rerate_period
    if customer is None and project is None and service is None and user is None:
        raise WriteRejected(
            "Say whom the rate is for: at least one of customer, project, service or user. Nothing was changed. "
            "(The company default rate is not changed by this tool.)"
        )
    if customer is not None and project is not None:
        raise WriteRejected(
            "Clockodo does not allow a rate rule for a customer AND a project (EitherCustomersOrProjects). Nothing "
            "was changed. Use project alone (a project belongs to one customer), or customer alone."
        )
    scope = deps.scope(customer=customer, project=project, user=user, service=service)
    criteria: dict[str, list[int]] = {
        "customer_ids": [scope.customer_id] if scope.customer_id else [],
        "project_ids": [scope.project_id] if scope.project_id else [],
        "service_ids": [scope.service_id] if scope.service_id else [],
        "user_ids": [scope.user_id] if scope.user_id else [],
    }
    who = _describe_criteria(criteria, deps)
    client = deps.client
    rules = await client.rates.list()
    existing = find_rule(rules, criteria)
    rate_before = existing.hourly_rate if existing is not None else None
    now = deps.now()
    ids = _rerate_filter(criteria)
    window: tuple[datetime, datetime] | None = None
    selected: list[Entry] = []
    timed: list[Entry] = []
    preview_rerate: dict[str, Any] | None = None
    warnings: list[str] = []
    if rerate_period is not None:
        resolved = deps.period(rerate_period)
        window = (resolved.utc_since, resolved.utc_until)
        selected = await _select(client, window[0], window[1], _entry_filter(ids, 1))
        timed = [e for e in selected if e.type == EntryType.TIME]
        new_rates = {e.id: hourly_rate for e in timed}
        change = _value_change(timed, new_rates, now)
        preview_rerate = {
            "period": {"start": resolved.start.isoformat(), "end": resolved.end.isoformat()},
            "entries": len(timed),
            "by_rate": _rate_groups(timed, now, deps, new_rates),
            "value_change": _money(change, deps),
        }
        if rate_before is not None:
            others = [e for e in timed if not _same_rate(e.hourly_rate, rate_before)]
            if others:
                warnings.append(
                    f"{len(others)} of these entries have a rate other than this rule's current "
                    f"{rate_before:,.2f} (a more specific rule or a manual rate); they would be re-rated too. "
                    "Narrow the criteria (service, user) if that is not intended."
                )
    if _same_rate(rate_before, hourly_rate) and all(_same_rate(e.hourly_rate, hourly_rate) for e in timed):
        raise WriteRejected(
            f"The rate for {who} is already {hourly_rate:,.2f} {deps.currency}/h"
            + (" and the unbilled entries of rerate_period have it too" if rerate_period is not None else "")
            + ". Nothing was changed. To re-rate existing unbilled entries, pass rerate_period."
        )
    entries_before = {e.id: float(e.hourly_rate or 0.0) for e in timed}
    entries_after = {e.id: hourly_rate for e in timed}
    preview: dict[str, Any] = {
        "rule": who,
        "action": "update rule" if existing is not None else "create rule",
        "rule_id": existing.id if existing is not None else None,
        "rate_before": _money(rate_before, deps) if rate_before is not None else None,
        "rate_after": _money(hourly_rate, deps),
        "rerate": preview_rerate,
    }
    target = {
        "rule": {"id": existing.id, "hourly_rate": existing.hourly_rate} if existing is not None else None,
        "entries": sorted((e.id, float(e.hourly_rate or 0.0)) for e in selected),
    }
    old_text = f"{rate_before:,.2f}" if rate_before is not None else "no rule"

    async def apply() -> Applied[dict[str, Any]]:
        if not _same_rate(rate_before, hourly_rate):
            await _set_rule(client, rules, criteria, hourly_rate)
        if window is not None and timed:
            await _mass_edit(
                client,
                window[0],
                window[1],
                EntryGroupChanges(hourly_rate=hourly_rate),
                _entry_filter(ids, 1),
                len(selected),
            )
        after = await _rates_read_back(deps, criteria, window, ids, entries_after)
        return Applied(
            after=after,
            ids={"rates": _rule_ids(after), "entries": sorted(entries_after)},
            undo=_rate_undo(criteria, rate_before, hourly_rate, window, ids, entries_before, entries_after),
            summary=f"The rate for {who} is now {hourly_rate:,.2f} {deps.currency}/h (was {old_text})"
            + (f"; {len(entries_after)} unbilled entries re-rated." if entries_after else "."),
        )

    return Plan(
        summary=f"The rate for {who} would change from {old_text} to {hourly_rate:,.2f} {deps.currency}/h"
        + (f", re-rating {len(timed)} unbilled entries." if rerate_period is not None else "."),
        preview=preview,
        target=target,
        before={"rule": target["rule"], "entries": {str(k): v for k, v in entries_before.items()}},
        apply=apply,
        warnings=warnings,
        expect=_rate_expect(criteria, rate_before, hourly_rate, window, ids, entries_before, entries_after),
    )


@undo_plan("hourly_rate")
async def undo_hourly_rate(deps: WriteDeps, change: Undoing, spec: RateUndo) -> Plan[Loose, dict[str, Any]]:
    """Restore the old rule (or delete the created one) and the old entry rates; refuse if either changed since."""
    criteria: dict[str, list[int]] = {name: list(spec.criteria.get(name) or []) for name in RATE_CRITERIA}
    rate_before, rate_after = spec.rate_before, spec.rate_after
    entries_before = {int(k): float(v) for k, v in spec.entries_before.items()}
    entries_after = {int(k): float(v) for k, v in spec.entries_after.items()}
    ids: dict[str, int | None] = dict(spec.filter)
    window = (_moment(spec.since), _moment(spec.until)) if spec.since and spec.until else None
    client = deps.client
    who = _describe_criteria(criteria, deps)
    rules = await client.rates.list()
    rule = find_rule(rules, criteria)
    current_rate = rule.hourly_rate if rule is not None else None
    if (rate_after is None) != (current_rate is None) or (
        rate_after is not None and not _same_rate(current_rate, rate_after)
    ):
        raise WriteRefused(
            f"Cannot undo: the rate rule for {who} changed since (it is now "
            f"{'gone' if current_rate is None else f'{current_rate:,.2f}'}). Nothing was changed. Use set_hourly_rate "
            "to set the rate you want."
        )
    current: list[Entry] = []
    if window is not None and entries_after:
        current = await _select(client, window[0], window[1], _entry_filter(ids, 1))
        rates_now = {e.id: e.hourly_rate for e in current}
        changed = sorted(i for i, rate in entries_after.items() if not _same_rate(rates_now.get(i), rate))
        if changed:
            raise WriteRefused(
                f"Cannot undo: {len(changed)} re-rated entries were billed, edited or deleted since (e.g. ids "
                f"{changed[:10]}). Nothing was changed."
            )
    mine = [e for e in current if e.id in entries_after]
    now = deps.now()

    async def apply() -> Applied[dict[str, Any]]:
        await _set_rule(client, rules, criteria, rate_before)
        if window is not None and entries_before:
            await _set_entry_rates(client, current, entries_before, window[0], window[1], ids)
        after = await _rates_read_back(deps, criteria, window, ids, entries_before)
        return Applied(
            after=after,
            ids={"rates": _rule_ids(after), "entries": sorted(entries_before)},
            undo=_rate_undo(criteria, rate_after, rate_before, window, ids, entries_after, entries_before),
            summary=f"The rate rule for {who} is restored"
            + (f" and {len(entries_before)} entries have their old rates again." if entries_before else "."),
        )

    before_text = "removed" if rate_before is None else f"{rate_before:,.2f} {deps.currency}/h"
    return Plan(
        summary=f"The rate rule for {who} would go back to {before_text}"
        + (f", and {len(mine)} entries to their old rates." if mine else "."),
        preview=Loose(
            action="restore the rate rule",
            rule=who,
            rate_before=current_rate,
            rate_after=rate_before,
            entries=len(mine),
            by_rate=_rate_groups(mine, now, deps, entries_before) if mine else [],
        ),
        target={"rule": current_rate, "entries": sorted((e.id, float(e.hourly_rate or 0.0)) for e in mine)},
        before={"rule": current_rate},
        apply=apply,
        expect=_rate_expect(criteria, rate_after, rate_before, window, ids, entries_after, entries_before),
    )


def _rate_expect(
    criteria: Mapping[str, Sequence[int]],
    rate_before: float | None,
    rate_after: float | None,
    window: tuple[datetime, datetime] | None,
    ids: Mapping[str, int | None],
    entries_before: Mapping[int, float],
    entries_after: Mapping[int, float],
) -> RateSet:
    return RateSet(
        criteria={name: list(criteria.get(name) or []) for name in RATE_CRITERIA},
        rate_before=rate_before,
        rate_after=rate_after,
        since=window[0] if window else None,
        until=window[1] if window else None,
        filter={k: v for k, v in ids.items() if v is not None},
        entries_before={str(k): v for k, v in entries_before.items()},
        entries_after={str(k): v for k, v in entries_after.items()},
    )


def _rate_is(current: float | None, wanted: float | None) -> bool:
    return (current is None and wanted is None) or _same_rate(current, wanted)


@register_check("rate_set")
async def rate_set(deps: WriteDeps, expect: RateSet) -> Verdict:
    """The rule has the new rate and the entries theirs (applied), or both are as before (not applied)."""
    client = deps.client
    criteria = expect.criteria
    ids: dict[str, int | None] = dict(expect.filter)
    window = (expect.since, expect.until) if expect.since and expect.until else None
    before = {int(k): v for k, v in expect.entries_before.items()}
    after = {int(k): v for k, v in expect.entries_after.items()}
    rule = find_rule(await client.rates.list(), criteria)
    now = rule.hourly_rate if rule is not None else None
    rule_changes = not _rate_is(expect.rate_before, expect.rate_after)
    rerated: set[int] = set()
    kept: set[int] = set()
    if window is not None and after:
        rates_now = {e.id: e.hourly_rate for e in await _select(client, window[0], window[1], _entry_filter(ids, 1))}
        rerated = {i for i, rate in after.items() if _same_rate(rates_now.get(i), rate)}
        kept = {i for i, rate in before.items() if _same_rate(rates_now.get(i), rate)}
    rule_new, rule_old = _rate_is(now, expect.rate_after), _rate_is(now, expect.rate_before)
    entries_new, entries_old = rerated == set(after), kept == set(before)
    who = _describe_criteria(criteria, deps)
    if (rule_old or not rule_changes) and entries_old and (rule_changes or after):
        return Verdict.absent(f"the rule for {who} and the entries' rates are as before")
    if not (rule_new or not rule_changes) or not (entries_new or entries_old):
        return Verdict.undecided(f"the rule for {who} or the entries' rates are neither as planned nor as before")
    warnings: list[str] = []
    if not entries_new:  # the rule changed, the re-rating did not happen
        warnings.append(
            f"The rule for {who} changed, but the {len(after)} entries were not re-rated. Run set_hourly_rate with "
            "rerate_period again for a new preview to re-rate them."
        )
        before, after = {}, {}
    read_back = await _rates_read_back(deps, criteria, window, ids, after)
    return Verdict.found(
        Applied(
            after=read_back,
            ids={"rates": _rule_ids(read_back), "entries": sorted(after)},
            undo=_rate_undo(criteria, expect.rate_before, expect.rate_after, window, ids, before, after),
            summary=f"The rate rule for {who} is "
            + ("removed" if expect.rate_after is None else f"{expect.rate_after:,.2f} {deps.currency}/h")
            + (f"; {len(after)} entries re-rated." if after else "."),
        ),
        f"the rule for {who} has the planned rate",
        warnings,
    )
