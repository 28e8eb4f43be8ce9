"""set_hourly_rate behind the confirmation gate: a rate rule, optionally re-rating unbilled entries, with undo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

import anyio
import anyio.lowlevel
from pydantic import Field

from clockodo_mcp.clockodo import ClockodoClient, Entry, EntryGroupChanges, EntryType, EntryUpdate, Rate
from clockodo_mcp.domain.argtypes import MoneyArg, NameArg, ShortText
from clockodo_mcp.domain.invoice import entry_seconds
from clockodo_mcp.domain.periods import DateRange
from clockodo_mcp.domain.undo import HourlyRate as RateUndo
from clockodo_mcp.domain.views import AS_OBJECT, AS_OBJECT_OR_NULL, Money, View, hours
from clockodo_mcp.domain.writes.billing import filter_for, iso_z, mass_edit, parse_iso, select_entries
from clockodo_mcp.domain.writes.checks import Verdict, register_check
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.expect import RateSet
from clockodo_mcp.domain.writes.plan import Applied, Plan, Steps, WriteArgs, WriteRefused, WriteRejected
from clockodo_mcp.domain.writes.undoing import Undoing, UndoPreview, undo_plan

RATE_CRITERIA = ("customer_ids", "project_ids", "service_ids", "user_ids")


class RateGroup(View):
    rate: str
    entries: int
    hours: float
    value_change: Money


class RerateSpan(View):
    start: str
    end: str


class Rerate(View):
    period: RerateSpan
    entries: int
    by_rate: list[RateGroup]
    value_change: Money


class SetHourlyRatePreview(View):
    rule: str
    action: str
    rule_id: int | None
    rate_before: Annotated[Money | None, AS_OBJECT_OR_NULL]
    rate_after: Annotated[Money, AS_OBJECT]
    rerate: Annotated[Rerate | None, AS_OBJECT_OR_NULL]


class StoredRule(View):
    id: int | None
    hourly_rate: float


class Rerated(View):
    entries: int
    verified: bool
    not_rerated_ids: list[int]


class RateResult(View):
    rule: Annotated[StoredRule | None, AS_OBJECT_OR_NULL]
    criteria: str
    rerated: Annotated[Rerated | None, AS_OBJECT_OR_NULL] = Field(default=None, exclude_if=lambda value: value is None)


class RateBefore(View):
    rule: Annotated[StoredRule | None, AS_OBJECT_OR_NULL]
    entries: dict[str, float]


class UndoRatePreview(UndoPreview):
    rule: str
    rate_before: float | None
    rate_after: float | None
    entries: int
    by_rate: list[Annotated[RateGroup, AS_OBJECT]]


def _money(amount: float, deps: WriteDeps) -> Money:
    return Money.of(amount, deps.currency)


def _stored(rule: Rate | None) -> StoredRule | None:
    return StoredRule(id=rule.id, hourly_rate=rule.hourly_rate) if rule is not None else None


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
    client: ClockodoClient,
    rules: Sequence[Rate],
    criteria: Mapping[str, Sequence[int]],
    rate: float | None,
    steps: Steps,
) -> None:
    """Make the rule with these criteria have `rate` (None: no such rule), as one journalled step."""
    existing = find_rule(rules, criteria)
    rule_id = existing.id if existing is not None else None
    action = "delete" if rate is None else "update" if rule_id is not None else "create"
    if action == "delete" and rule_id is None:
        return
    async with steps.step("rate rule", action=action, rule_id=rule_id, hourly_rate=rate):
        if rate is None:
            assert rule_id is not None
            await client.rates.delete(rule_id)
        elif rule_id is not None:
            await client.rates.update(rule_id, hourly_rate=rate)
        else:
            await client.rates.create(
                rate,
                customer_ids=list(criteria.get("customer_ids") or []),
                project_ids=list(criteria.get("project_ids") or []),
                service_ids=list(criteria.get("service_ids") or []),
                user_ids=list(criteria.get("user_ids") or []),
            )


async def _rerate(
    client: ClockodoClient, window: tuple[datetime, datetime], ids: Mapping[str, int | None], rate: float, expected: int
) -> int:
    return await mass_edit(
        client, window[0], window[1], EntryGroupChanges(hourly_rate=rate), filter_for(ids, 1), expected
    )


async def _set_entry_rates(
    client: ClockodoClient,
    current: Sequence[Entry],
    rates: Mapping[int, float],
    window: tuple[datetime, datetime],
    ids: Mapping[str, int | None],
    steps: Steps,
) -> None:
    """Give each entry its rate: one mass edit when they all get the same rate and the window selects exactly them."""
    distinct = set(rates.values())
    if len(distinct) == 1 and {e.id for e in current} == set(rates):
        (rate,) = distinct
        async with steps.step("re-rate entries", entries=len(current), hourly_rate=rate) as step:
            step.done(edited=await _rerate(client, window, ids, rate, len(current)))
        return
    async with steps.step("per-entry rates", entries=len(rates), done=0) as step:
        for entry_id, rate in sorted(rates.items()):
            with anyio.CancelScope(shield=True):  # a cancel waits for this entry's answer: none is left in limbo
                await client.entries.update(entry_id, EntryUpdate(hourly_rate=rate))
                await step.progress(done=step.detail["done"] + 1, last_id=entry_id)
            await anyio.lowlevel.checkpoint()  # and lands here, between two entries


def _value_change(entries: Sequence[Entry], rates_after: Mapping[int, float], now: datetime) -> float:
    total = 0.0
    for entry in entries:
        seconds = (
            entry_seconds(entry) if not entry.is_running else max(0, int((now - entry.time_since).total_seconds()))
        )
        total += (rates_after[entry.id] - float(entry.hourly_rate or 0.0)) * seconds / 3600.0
    return total


def _rate_groups(entries: Sequence[Entry], now: datetime, deps: WriteDeps, new: Mapping[int, float]) -> list[RateGroup]:
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
            RateGroup(
                rate=f"{old_rate:,.2f} → {new_rate:,.2f} {deps.currency}/h",
                entries=len(members),
                hours=hours(seconds),
                value_change=_money(_value_change(members, new, now), deps),
            )
        )
    return out


def _rate_fields(
    criteria: Mapping[str, Sequence[int]],
    rate_before: float | None,
    rate_after: float | None,
    ids: Mapping[str, int | None],
    entries_before: Mapping[int, float],
    entries_after: Mapping[int, float],
) -> dict[str, Any]:
    """What a rate change's undo spec and its expectation share."""
    return {
        "criteria": {name: list(criteria.get(name) or []) for name in RATE_CRITERIA},
        "rate_before": rate_before,
        "rate_after": rate_after,
        "filter": {k: v for k, v in ids.items() if v is not None},
        "entries_before": {str(k): v for k, v in sorted(entries_before.items())},
        "entries_after": {str(k): v for k, v in sorted(entries_after.items())},
    }


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
        **_rate_fields(criteria, rate_before, rate_after, ids, entries_before, entries_after),
        since=iso_z(window[0]) if window else None,
        until=iso_z(window[1]) if window else None,
    )


async def _rates_read_back(
    deps: WriteDeps,
    criteria: Mapping[str, Sequence[int]],
    window: tuple[datetime, datetime] | None,
    ids: Mapping[str, int | None],
    entries_after: Mapping[int, float],
) -> RateResult:
    client = deps.client
    rule = find_rule(await client.rates.list(), criteria)
    after = RateResult(rule=_stored(rule), criteria=_describe_criteria(criteria, deps))
    if window is not None and entries_after:
        listed = {e.id: e for e in await select_entries(client, window[0], window[1], filter_for(ids, 1))}
        rates_now = {i: e.hourly_rate for i, e in listed.items()}
        wrong = sorted(i for i, rate in entries_after.items() if not _same_rate(rates_now.get(i), rate))
        after.rerated = Rerated(entries=len(entries_after) - len(wrong), verified=not wrong, not_rerated_ids=wrong[:50])
    return after


def _rule_ids(after: RateResult) -> list[int]:
    return [after.rule.id] if after.rule is not None and after.rule.id is not None else []


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


async def set_hourly_rate(args: SetHourlyRateArgs, deps: WriteDeps) -> Plan[SetHourlyRatePreview, RateResult]:
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
    preview_rerate: Rerate | None = None
    warnings: list[str] = []
    if rerate_period is not None:
        resolved = deps.period(rerate_period)
        window = (resolved.utc_since, resolved.utc_until)
        selected = await select_entries(client, window[0], window[1], filter_for(ids, 1))
        timed = [e for e in selected if e.type == EntryType.TIME]
        new_rates = {e.id: hourly_rate for e in timed}
        change = _value_change(timed, new_rates, now)
        preview_rerate = Rerate(
            period=RerateSpan(start=resolved.start.isoformat(), end=resolved.end.isoformat()),
            entries=len(timed),
            by_rate=_rate_groups(timed, now, deps, new_rates),
            value_change=_money(change, deps),
        )
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
    preview = SetHourlyRatePreview(
        rule=who,
        action="update rule" if existing is not None else "create rule",
        rule_id=existing.id if existing is not None else None,
        rate_before=_money(rate_before, deps) if rate_before is not None else None,
        rate_after=_money(hourly_rate, deps),
        rerate=preview_rerate,
    )
    target = {
        "rule": {"id": existing.id, "hourly_rate": existing.hourly_rate} if existing is not None else None,
        "entries": sorted((e.id, float(e.hourly_rate or 0.0)) for e in selected),
    }
    old_text = f"{rate_before:,.2f}" if rate_before is not None else "no rule"

    steps = Steps()
    # progress units: the rule (one) and each re-rated entry
    steps.total = (0 if _same_rate(rate_before, hourly_rate) else 1) + (len(timed) if window is not None else 0)

    async def apply() -> Applied[RateResult]:
        if not _same_rate(rate_before, hourly_rate):
            await _set_rule(client, rules, criteria, hourly_rate, steps)
        if window is not None and timed:
            async with steps.step("re-rate entries", entries=len(timed), hourly_rate=hourly_rate) as step:
                step.done(edited=await _rerate(client, window, ids, hourly_rate, len(selected)))
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
        before=RateBefore(rule=_stored(existing), entries={str(k): v for k, v in entries_before.items()}),
        apply=apply,
        warnings=warnings,
        expect=_rate_expect(criteria, rate_before, hourly_rate, window, ids, entries_before, entries_after),
        steps=steps,
    )


@undo_plan("hourly_rate")
async def undo_hourly_rate(deps: WriteDeps, change: Undoing, spec: RateUndo) -> Plan[UndoRatePreview, RateResult]:
    """Restore the old rule (or delete the created one) and the old entry rates; refuse if either changed since."""
    criteria: dict[str, list[int]] = {name: list(spec.criteria.get(name) or []) for name in RATE_CRITERIA}
    rate_before, rate_after = spec.rate_before, spec.rate_after
    entries_before = {int(k): float(v) for k, v in spec.entries_before.items()}
    entries_after = {int(k): float(v) for k, v in spec.entries_after.items()}
    ids: dict[str, int | None] = dict(spec.filter)
    window = (parse_iso(spec.since), parse_iso(spec.until)) if spec.since and spec.until else None
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
        current = await select_entries(client, window[0], window[1], filter_for(ids, 1))
        rates_now = {e.id: e.hourly_rate for e in current}
        changed = sorted(i for i, rate in entries_after.items() if not _same_rate(rates_now.get(i), rate))
        if changed:
            raise WriteRefused(
                f"Cannot undo: {len(changed)} re-rated entries were billed, edited or deleted since (e.g. ids "
                f"{changed[:10]}). Nothing was changed."
            )
    mine = [e for e in current if e.id in entries_after]
    now = deps.now()

    steps = Steps()

    async def apply() -> Applied[RateResult]:
        await _set_rule(client, rules, criteria, rate_before, steps)
        if window is not None and entries_before:
            await _set_entry_rates(client, current, entries_before, window, ids, steps)
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
        preview=UndoRatePreview(
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
        steps=steps,
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
        **_rate_fields(criteria, rate_before, rate_after, ids, entries_before, entries_after),
        since=window[0] if window else None,
        until=window[1] if window else None,
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
        rates_now = {
            e.id: e.hourly_rate for e in await select_entries(client, window[0], window[1], filter_for(ids, 1))
        }
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
    partial = ""
    if not entries_new:  # the rule changed, the re-rating did not happen
        partial = f" Partially applied: the {len(after)} entries were not re-rated."
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
            + (f"; {len(after)} entries re-rated." if after else ".")
            + partial,
        ),
        f"the rule for {who} has the planned rate",
        warnings,
    )
