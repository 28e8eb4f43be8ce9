"""Admin writes behind the confirmation gate: set_project_budget and decide_absence, with undo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from clockodo_mcp.clockodo import (
    Absence,
    AbsenceStatus,
    AbsenceType,
    ClockodoForbiddenError,
    EntryFilter,
    Grouping,
    Project,
    ProjectBudget,
)
from clockodo_mcp.domain.argtypes import AmountArg, DayArg, IdArg, NameArg, NameValue, SearchText
from clockodo_mcp.domain.budgets import BudgetUnit, Usage, lifetime_since, usage_by_project
from clockodo_mcp.domain.people import (
    TARGET_KEEPING_TYPES,
    absence_last_day,
    holidays_taken,
    overlaps,
    quota_for,
    status_name,
    type_name,
)
from clockodo_mcp.domain.periods import local_midnight_utc, local_today
from clockodo_mcp.domain.undo import AbsenceStatus as AbsenceUndo
from clockodo_mcp.domain.undo import ProjectBudget as BudgetUndo
from clockodo_mcp.domain.views import AS_OBJECT, AS_OBJECT_OR_NULL, Money, View
from clockodo_mcp.domain.writes.checks import Verdict, register_check
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.expect import AbsenceDecided, BudgetSet
from clockodo_mcp.domain.writes.plan import Applied, Plan, WriteArgs, WriteRefused, WriteRejected
from clockodo_mcp.domain.writes.undoing import Undoing, UndoPreview, undo_plan

THRESHOLDS = (*range(10, 151, 10), 200, 250, 300)
STATUS_RULES = (
    "Clockodo's status rules: a pending request (0) can be approved (1), declined (2) or withdrawn by its owner (4); "
    "an approval (1) can only be cancelled (3); declined and cancelled absences are final."
)


# -- set_project_budget --------------------------------------------------------------------------------------------


class BudgetShown(View):
    monetary: bool
    hard: bool
    from_subprojects: bool
    interval: int | None
    amount: float | None
    notification_thresholds: list[int]


class BudgetUse(View):
    unit: Literal["hours", "money"]
    amount: float
    used: float
    remaining: float
    pct_used: float
    currency: str | None
    thresholds_breached: list[int]


class ProjectUsage(View):
    hours: float
    value: Money


Budget = Annotated[BudgetShown, AS_OBJECT]
MaybeBudget = Annotated[BudgetShown | None, AS_OBJECT_OR_NULL]


class SetProjectBudgetPreview(View):
    project: str
    project_id: int
    budget_before: MaybeBudget
    budget_after: Budget
    usage: Annotated[ProjectUsage, AS_OBJECT]
    against_old_budget: Annotated[BudgetUse | None, AS_OBJECT_OR_NULL]
    against_new_budget: Annotated[BudgetUse | None, AS_OBJECT_OR_NULL]


class BudgetResult(View):
    project_id: int
    budget: MaybeBudget
    verified: bool


class BudgetBefore(View):
    project_id: int
    budget: MaybeBudget


class UndoBudgetPreview(UndoPreview):
    project: str
    project_id: int
    budget_before: MaybeBudget
    budget_after: MaybeBudget


def _shown(budget: dict[str, Any] | None) -> BudgetShown | None:
    return BudgetShown.model_validate(budget) if budget is not None else None


def budget_dict(budget: ProjectBudget | None) -> dict[str, Any] | None:
    """A project budget as comparable plain data (without the derived subproject total)."""
    if budget is None:
        return None
    return {
        "monetary": bool(budget.monetary),
        "hard": bool(budget.hard),
        "from_subprojects": bool(budget.from_subprojects),
        "interval": int(budget.interval) if budget.interval is not None else None,
        "amount": float(budget.amount) if budget.amount is not None else None,
        "notification_thresholds": sorted(budget.notification_thresholds),
    }


def _budget_text(budget: dict[str, Any] | None, currency: str) -> str:
    if budget is None or budget.get("amount") is None:
        return "no budget"
    unit = currency if budget["monetary"] else "h"
    return f"{budget['amount']:,.2f} {unit} ({'hard' if budget['hard'] else 'soft'})"


def _use(usage: Usage, budget: dict[str, Any] | None, currency: str) -> BudgetUse | None:
    """Usage measured against a budget: used, % used, remaining (in the budget's unit)."""
    if budget is None or not budget.get("amount"):
        return None
    unit: BudgetUnit = "money" if budget["monetary"] else "hours"
    used = usage.of(unit)
    amount = float(budget["amount"])
    pct = used / amount * 100.0
    return BudgetUse(
        unit="money" if unit == "money" else "hours",
        amount=round(amount, 2),
        used=round(used, 2),
        remaining=round(amount - used, 2),
        pct_used=round(pct, 1),
        currency=currency if unit == "money" else None,
        thresholds_breached=[t for t in budget["notification_thresholds"] if pct >= t],
    )


async def _project_usage(deps: WriteDeps, project: Project) -> Usage:
    """Hours and money booked on the project over its life: one entry-group request."""
    now = deps.now()
    tz = deps.account.timezone
    since = local_midnight_utc(lifetime_since([project], local_today(now, tz)), tz)
    groups = await deps.client.entry_groups.get(
        since,
        max(now, since),
        grouping=[Grouping.PROJECTS_ID],
        filter=EntryFilter(projects_id=project.id),
        calc_also_revenues_for_projects_with_hard_budget=True,
    )
    return usage_by_project(groups).get(project.id, Usage())


class SetProjectBudgetArgs(WriteArgs):
    """set_project_budget's arguments."""

    project: Annotated[NameValue, Field(description="Project name (fuzzy) or id; ambiguous names are refused.")]
    amount: Annotated[AmountArg, Field(description="The budget: hours or money (in the account currency), above 0.")]
    unit: Annotated[Literal["hours", "money"], Field(description="hours or money.")]
    hard: Annotated[
        bool | None,
        Field(description="true: a hard (fixed-price) budget; false: a soft target. Default: keep the current one."),
    ] = None
    notification_thresholds: Annotated[
        Annotated[list[int], Field(max_length=len(THRESHOLDS))] | None,
        Field(description="Percentages Clockodo notifies at: 10, 20, … 150, 200, 250, 300. Default: keep current."),
    ] = None


async def set_project_budget(
    args: SetProjectBudgetArgs, deps: WriteDeps
) -> Plan[SetProjectBudgetPreview, BudgetResult]:
    """Plan setting a project's budget: amount in hours or money, hard or soft, notification thresholds."""
    project, amount, unit, hard = args.project, args.amount, args.unit, args.hard
    notification_thresholds = args.notification_thresholds
    unknown = [t for t in notification_thresholds or [] if t not in THRESHOLDS]
    if unknown:
        raise WriteRejected(
            f"Unknown notification thresholds {unknown}: Clockodo allows 10, 20, … 150, 200, 250 and 300 (%). "
            "Nothing was changed."
        )
    project_id = deps.master.resolve("project", project).id
    client = deps.client
    current = await client.projects.get(project_id)
    name = current.name
    if current.completed:
        raise WriteRejected(
            f"Project {name} is completed; Clockodo does not change a completed project's budget. Nothing was "
            "changed. Reopen the project in Clockodo first if the budget must change."
        )
    old = budget_dict(current.budget)
    if old is not None and old["from_subprojects"]:
        raise WriteRejected(
            f"The budget of {name} is the sum of its subprojects' budgets. Nothing was changed. Change the "
            "subprojects' budgets in Clockodo instead."
        )
    thresholds = (
        sorted(set(notification_thresholds))
        if notification_thresholds is not None
        else (old["notification_thresholds"] if old else [])
    )
    new = {
        "monetary": unit == "money",
        "hard": hard if hard is not None else (bool(old["hard"]) if old else False),
        "from_subprojects": False,
        "interval": old["interval"] if old else None,
        "amount": float(amount),
        "notification_thresholds": thresholds,
    }
    if new == old:
        raise WriteRejected(
            f"{name} already has this budget ({_budget_text(old, deps.currency)}). Nothing was changed."
        )
    usage = await _project_usage(deps, current)
    before_use = _use(usage, old, deps.currency)
    after_use = _use(usage, new, deps.currency)
    warnings = []
    if after_use is not None and after_use.pct_used >= 100:
        warnings.append(
            f"{name} has already used {after_use.pct_used:g}% of the new budget."
            + (" With a hard budget, further work will not be billable beyond it." if new["hard"] else "")
        )
    if old is not None and old["monetary"] != new["monetary"]:
        warnings.append(f"The budget unit changes from {'money' if old['monetary'] else 'hours'} to {unit}.")
    preview = SetProjectBudgetPreview(
        project=name,
        project_id=project_id,
        budget_before=_shown(old),
        budget_after=BudgetShown.model_validate(new),
        usage=ProjectUsage(hours=round(usage.seconds / 3600.0, 2), value=Money.of(usage.revenue, deps.currency)),
        against_old_budget=before_use,
        against_new_budget=after_use,
    )

    async def apply() -> Applied[BudgetResult]:
        await client.projects.update(project_id, budget=new)
        stored = budget_dict((await client.projects.get(project_id)).budget)
        return Applied(
            after=BudgetResult(project_id=project_id, budget=_shown(stored), verified=stored == new),
            ids={"projects": [project_id]},
            undo=BudgetUndo(project_id=project_id, before=old, after=stored),
            summary=f"The budget of {name} is now {_budget_text(stored, deps.currency)} "
            f"(was {_budget_text(old, deps.currency)}).",
        )

    pct = f", {after_use.pct_used:g}% used" if after_use else ""
    return Plan(
        summary=f"The budget of {name} would change from {_budget_text(old, deps.currency)} to "
        f"{_budget_text(new, deps.currency)}{pct}.",
        preview=preview,
        target={"project_id": project_id, "budget": old, "completed": current.completed},
        before=BudgetBefore(project_id=project_id, budget=_shown(old)),
        apply=apply,
        warnings=warnings,
        invalidates_master_data=True,
        expect=BudgetSet(project_id=project_id, before=old, after=new),
    )


@undo_plan("project_budget")
async def undo_project_budget(
    deps: WriteDeps, change: Undoing, spec: BudgetUndo
) -> Plan[UndoBudgetPreview, BudgetResult]:
    """Restore a project's previous budget object (or no budget); refuse if the budget changed since."""
    project_id = spec.project_id
    old, expected = spec.before, spec.after
    client = deps.client
    current = await client.projects.get(project_id)
    now = budget_dict(current.budget)
    if now != expected:
        raise WriteRefused(
            f"Cannot undo: the budget of {current.name} changed since (now {_budget_text(now, deps.currency)}, the "
            f"change left it at {_budget_text(expected, deps.currency)}). Nothing was changed. Use set_project_budget "
            "to set the budget you want."
        )

    async def apply() -> Applied[BudgetResult]:
        await client.projects.update(project_id, budget=old)
        stored = budget_dict((await client.projects.get(project_id)).budget)
        return Applied(
            after=BudgetResult(project_id=project_id, budget=_shown(stored), verified=stored == old),
            ids={"projects": [project_id]},
            undo=BudgetUndo(project_id=project_id, before=now, after=stored),
            summary=f"The budget of {current.name} is back to {_budget_text(stored, deps.currency)}.",
        )

    return Plan(
        summary=f"The budget of {current.name} would go back from {_budget_text(now, deps.currency)} to "
        f"{_budget_text(old, deps.currency)}.",
        preview=UndoBudgetPreview(
            action="restore the budget",
            project=current.name,
            project_id=project_id,
            budget_before=_shown(now),
            budget_after=_shown(old),
        ),
        target={"project_id": project_id, "budget": now},
        before=BudgetBefore(project_id=project_id, budget=_shown(now)),
        apply=apply,
        invalidates_master_data=True,
        expect=BudgetSet(project_id=project_id, before=now, after=old),
    )


@register_check("budget_set")
async def budget_set(deps: WriteDeps, expect: BudgetSet) -> Verdict:
    """The project has the new budget (applied) or the old one (not applied)."""
    project = await deps.client.projects.get(expect.project_id)
    stored = budget_dict(project.budget)
    if stored == expect.after:
        return Verdict.found(
            Applied(
                after=BudgetResult(project_id=project.id, budget=_shown(stored), verified=True),
                ids={"projects": [project.id]},
                undo=BudgetUndo(project_id=project.id, before=expect.before, after=stored),
                invalidates_master_data=True,
                summary=f"The budget of {project.name} is now {_budget_text(stored, deps.currency)} "
                f"(was {_budget_text(expect.before, deps.currency)}).",
            ),
            f"project {project.id} has the planned budget",
        )
    if stored == expect.before:
        return Verdict.absent(f"project {project.id} has its old budget")
    return Verdict.undecided(f"project {project.id} has neither the planned nor the old budget")


# -- decide_absence ------------------------------------------------------------------------------------------------


class AbsenceShown(View):
    id: int
    user: str
    users_id: int
    type: str | None
    status: str
    date_since: str
    date_until: str
    days: float | None
    hours: float | None
    half_day: bool | None
    note: str | None
    public_note: str | None
    date_enquired: str | None


class AbsenceResult(AbsenceShown):
    verified: bool


class HolidayQuota(View):
    year: int
    quota_days: float | None
    taken_days: float
    remaining_before: float | None
    remaining_after: float | None
    request_days: float


class TeammateAbsence(View):
    user: str
    type: str | None
    date_since: str
    date_until: str


class DecideAbsencePreview(View):
    absence: Annotated[AbsenceShown, AS_OBJECT]
    decision: Literal["approve", "decline"]
    status: str
    note_after: str | None
    holiday_quota: Annotated[HolidayQuota | None, AS_OBJECT_OR_NULL]
    overlapping_teammates: list[Annotated[TeammateAbsence, AS_OBJECT]]


class UndoAbsencePreview(UndoPreview):
    absence: Annotated[AbsenceShown, AS_OBJECT]
    status: str


def absence_shown(absence: Absence, deps: WriteDeps) -> AbsenceShown:
    """An absence for the agent, names resolved."""
    return AbsenceShown(
        id=absence.id,
        user=deps.master.user_name(absence.users_id),
        users_id=absence.users_id,
        type=type_name(int(absence.type) if absence.type is not None else None),
        status=status_name(int(absence.status)),
        date_since=absence.date_since.isoformat(),
        date_until=absence_last_day(absence).isoformat(),
        days=absence.count_days,
        hours=absence.count_hours,
        half_day=absence.half_day,
        note=absence.note,
        public_note=absence.public_note,
        date_enquired=absence.date_enquired.isoformat() if absence.date_enquired else None,
    )


def absence_result(absence: Absence, deps: WriteDeps, status: int) -> AbsenceResult:
    """The absence after a decision, and whether it has the status the decision gave it."""
    return AbsenceResult(**absence_shown(absence, deps).model_dump(), verified=int(absence.status) == status)


def absence_state(absence: Absence) -> dict[str, Any]:
    """What a decision depends on: the fingerprinted target."""
    return {
        "id": absence.id,
        "status": int(absence.status),
        "date_since": absence.date_since.isoformat(),
        "date_until": absence_last_day(absence).isoformat(),
        "type": int(absence.type) if absence.type is not None else None,
        "count_days": absence.count_days,
        "count_hours": absence.count_hours,
        "note": absence.note,
    }


async def _find_absence(
    deps: WriteDeps, absence_id: int | None, user: str | int | None, day: dt.date | None
) -> Absence:
    client = deps.client
    if absence_id is not None:
        found = await client.absences.get(absence_id)
        if user is not None and deps.master.resolve("user", user).id != found.users_id:
            raise WriteRejected(
                f"Absence {absence_id} belongs to {deps.master.user_name(found.users_id)}, not {user}. Nothing was "
                "changed. Check the id with absence_queue."
            )
        return found
    if user is None or day is None:
        raise WriteRejected(
            "Say which absence: absence_id, or user and date (a day the absence covers). Nothing was changed. "
            "absence_queue lists the pending requests with their ids."
        )
    user_id = deps.master.resolve("user", user).id
    covering = [a for a in await client.absences.list(year=day.year, users_id=user_id) if overlaps(a, day, day)]
    pending = [a for a in covering if int(a.status) == AbsenceStatus.ENQUIRED]
    name = deps.master.user_name(user_id)
    if len(pending) == 1:
        return pending[0]
    if len(pending) > 1:
        listed = "; ".join(f"id {a.id} ({a.date_since} – {absence_last_day(a)})" for a in pending)
        raise WriteRejected(
            f"{name} has several pending requests on {day}: {listed}. Nothing was changed. Pass absence_id."
        )
    if covering:
        listed = "; ".join(f"id {a.id} is {status_name(int(a.status))}" for a in covering)
        raise WriteRejected(
            f"{name} has no pending absence request on {day} ({listed}). Nothing was changed. {STATUS_RULES}"
        )
    raise WriteRejected(
        f"{name} has no absence on {day}. Nothing was changed. absence_queue lists the pending requests with their ids."
    )


def _quota(absence: Absence, quotas: Sequence[Any], approved: Sequence[Absence], approve: bool) -> HolidayQuota:
    year = absence.date_since.year
    quota = quota_for(quotas, absence.users_id, year)
    taken = holidays_taken(approved, absence.users_id, year)
    remaining = None if quota is None else quota - taken
    days = float(absence.count_days or 0.0)
    after = None if remaining is None else (remaining - days if approve else remaining)
    return HolidayQuota(
        year=year,
        quota_days=quota,
        taken_days=taken,
        remaining_before=remaining,
        remaining_after=after,
        request_days=days,
    )


MAX_BATCH = 50


def _unique(ids: list[int]) -> list[int]:
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"lists ids {repeated} more than once; name each absence once")
    return ids


class DecideAbsenceArgs(WriteArgs):
    """decide_absence's arguments."""

    decision: Annotated[Literal["approve", "decline"], Field(description="approve or decline the request.")]
    absence_id: Annotated[IdArg | None, Field(description="The absence id (from absence_queue).")] = None
    absence_ids: Annotated[
        Annotated[
            list[IdArg],
            Field(min_length=1, max_length=MAX_BATCH, json_schema_extra={"uniqueItems": True}),
            AfterValidator(_unique),
        ]
        | None,
        Field(description="Or several ids, decided together: one preview, one confirmation."),
    ] = None
    user: NameArg = None
    date: Annotated[
        DayArg | None, Field(description="With user instead of absence_id: a day (YYYY-MM-DD) the request covers.")
    ] = None
    note: Annotated[SearchText | None, Field(description="Optional remark, appended to the absence's note.")] = None


def batch_ids(args: DecideAbsenceArgs) -> list[int] | None:
    """The ids of a batch decision, or None for one absence; refuses a call that says which in more than one way."""
    if args.absence_ids is None:
        return None
    if args.absence_id is not None or args.user is not None or args.date is not None:
        raise WriteRejected(
            "Say which absences one way: absence_ids alone, or absence_id, or user and date. Nothing was changed. "
            "Drop absence_id, user and date when passing absence_ids."
        )
    return list(args.absence_ids)


@dataclass(frozen=True, slots=True)
class Assessment:
    """One pending request weighed for a decision: its preview, the note to send and what the warnings say."""

    absence: Absence
    preview: DecideAbsencePreview
    note: str | None  # the note to send; None: unchanged
    mates_hidden: bool  # teammates' absences may be invisible to this user
    quota_hidden: bool
    clashes: int

    def warnings(self, deps: WriteDeps) -> list[str]:
        """The single decision's warnings."""
        warnings = []
        if self.mates_hidden:
            warnings.append("Teammates' absences may be hidden from this Clockodo user.")
        if self.quota_hidden:
            warnings.append("The holiday quota is not visible to this Clockodo user.")
        over = self.over_quota
        if over:
            warnings.append(
                f"Approving exceeds {deps.master.user_name(self.absence.users_id)}'s remaining holiday quota by "
                f"{over:g} day(s)."
            )
        if self.clashes:
            warnings.append(f"{self.clashes} teammate absence(s) overlap this request.")
        return warnings

    @property
    def over_quota(self) -> float:
        """Days beyond the remaining holiday quota once approved (0 when within it, or without a quota)."""
        quota = self.preview.holiday_quota
        if quota is None or quota.remaining_after is None or quota.remaining_after >= 0:
            return 0.0
        return -quota.remaining_after


def is_holiday(absence: Absence) -> bool:
    """A regular holiday: counted against the holiday quota."""
    return absence.type is not None and int(absence.type) == AbsenceType.REGULAR_HOLIDAY


def assess(
    absence: Absence,
    deps: WriteDeps,
    decision: Literal["approve", "decline"],
    note: str | None,
    approved: Sequence[Absence],
    quota_rows: Sequence[Any] | None,
    *,
    also_approved: Sequence[Absence] = (),
    quota_also: Sequence[Absence] = (),
) -> Assessment:
    """Weigh one pending request: quota before/after, approved teammates' absences it overlaps, the note after.

    `approved` are the approved absences of its years; `quota_rows` the user's holiday quota rows, None when they are
    not visible. A batch approval adds its other requests (`also_approved`: overlaps) and those before this one
    (`quota_also`: quota used), as approved.
    """
    new_status = AbsenceStatus.APPROVED if decision == "approve" else AbsenceStatus.DECLINED
    first, last = absence.date_since, absence_last_day(absence)
    team_id = deps.master.team_of(absence.users_id)
    mates = set(deps.master.team_members(team_id)) - {absence.users_id} if team_id is not None else set()
    clashes = [
        a
        for a in [*approved, *also_approved]
        if a.users_id in mates
        and overlaps(a, first, last)
        and (a.type is None or int(a.type) not in TARGET_KEEPING_TYPES)
    ]
    quota = None
    if is_holiday(absence):
        quota = _quota(absence, quota_rows or [], [*approved, *quota_also], decision == "approve")
    new_note = absence.note
    if note:
        new_note = f"{absence.note} — {note}" if absence.note else note
        if len(new_note) > 512:
            raise WriteRejected(
                f"The note of absence {absence.id} would exceed Clockodo's 512 characters. Nothing was changed. "
                "Shorten it."
            )
    preview = DecideAbsencePreview(
        absence=absence_shown(absence, deps),
        decision=decision,
        status=f"pending → {status_name(int(new_status))}",
        note_after=new_note if note else None,
        holiday_quota=quota,
        overlapping_teammates=[
            TeammateAbsence(
                user=deps.master.user_name(a.users_id),
                type=type_name(int(a.type) if a.type is not None else None),
                date_since=a.date_since.isoformat(),
                date_until=absence_last_day(a).isoformat(),
            )
            for a in clashes
        ],
    )
    return Assessment(
        absence=absence,
        preview=preview,
        note=new_note if note else None,
        mates_hidden=bool(mates) and not deps.account.is_owner and not clashes,
        quota_hidden=is_holiday(absence) and quota_rows is None,
        clashes=len(clashes),
    )


def not_pending(absence: Absence, decision: str) -> str:
    """Why a decision on an absence that is not pending is refused."""
    return (
        f"Absence {absence.id} is {status_name(int(absence.status))}, not pending, so it cannot be {decision}d. "
        f"Nothing was changed. {STATUS_RULES}"
    )


async def decide_absence(args: DecideAbsenceArgs, deps: WriteDeps) -> Plan[Any, Any]:
    """Plan approving or declining pending absence requests (by absence_id, user + a date it covers, or absence_ids)."""
    ids = batch_ids(args)
    if ids is not None and len(ids) > 1:
        from clockodo_mcp.domain.writes.absence_batch import decide_absences  # it builds on this module's parts

        return await decide_absences(args, ids, deps)
    decision, user, date, note = args.decision, args.user, args.date, args.note
    absence_id = ids[0] if ids is not None else args.absence_id
    new_status = AbsenceStatus.APPROVED if decision == "approve" else AbsenceStatus.DECLINED
    client = deps.client
    absence = await _find_absence(deps, absence_id, user, date)
    if int(absence.status) != AbsenceStatus.ENQUIRED:
        raise WriteRejected(not_pending(absence, decision))
    first, last = absence.date_since, absence_last_day(absence)
    years = sorted({first.year, last.year})
    approved: list[Absence] = await client.absences.list(year=years, status=[AbsenceStatus.APPROVED])
    rows: list[Any] | None = None
    if is_holiday(absence):
        try:
            rows = await client.holidays_quota.list(users_id=absence.users_id)
        except ClockodoForbiddenError:
            rows = None
    assessed = assess(absence, deps, decision, note, approved, rows)
    preview = assessed.preview
    described = preview.absence
    who = deps.master.user_name(absence.users_id)
    what = f"{described.type or 'absence'} of {who}, {first} – {last}"

    async def apply() -> Applied[AbsenceResult]:
        await client.absences.update(absence.id, status=new_status, note=assessed.note)
        stored = await client.absences.get(absence.id)
        return Applied(
            after=absence_result(stored, deps, int(new_status)),
            ids={"absences": [absence.id]},
            undo=AbsenceUndo(
                absence_id=absence.id,
                status_before=int(absence.status),
                status_after=int(stored.status),
                note_before=absence.note,
                note_after=stored.note,
            ),
            summary=f"{what}: {status_name(int(stored.status))}.",
        )

    return Plan(
        summary=f"The request ({what}) would be {decision}d.",
        preview=preview,
        target=absence_state(absence),
        before=described,
        apply=apply,
        warnings=assessed.warnings(deps),
        expect=decided_expectation(absence, new_status, assessed.note),
    )


def decided_expectation(absence: Absence, status: int, note: str | None) -> AbsenceDecided:
    """What deciding a pending absence leaves: the new status, and the new note when one is sent."""
    return AbsenceDecided(
        absence_id=absence.id,
        status_before=int(absence.status),
        status_after=int(status),
        note_before=absence.note,
        note_after=note,
    )


@undo_plan("absence_status")
async def undo_absence_status(
    deps: WriteDeps, change: Undoing, spec: AbsenceUndo
) -> Plan[UndoAbsencePreview, AbsenceResult]:
    """Undo an approval by cancelling it (status 3); Clockodo has no way back to pending or out of a decline."""
    absence_id = spec.absence_id
    status_after = spec.status_after
    client = deps.client
    current = await client.absences.get(absence_id)
    if int(current.status) != status_after:
        raise WriteRefused(
            f"Cannot undo: absence {absence_id} is {status_name(int(current.status))} now, not "
            f"{status_name(status_after)} as the change left it: it changed since. Nothing was changed."
        )
    if status_after != AbsenceStatus.APPROVED:
        raise WriteRefused(
            f"Cannot undo: absence {absence_id} is {status_name(status_after)}, and Clockodo allows no change from "
            f"there. Nothing was changed. {STATUS_RULES} If the absence is still wanted, the employee requests it "
            "again."
        )
    note_changed = spec.note_before != spec.note_after
    who = deps.master.user_name(current.users_id)

    async def apply() -> Applied[AbsenceResult]:
        # "" clears a note the decision added to an absence that had none.
        restore_note = (spec.note_before or "") if note_changed else None
        await client.absences.update(absence_id, status=AbsenceStatus.APPROVAL_CANCELLED, note=restore_note)
        stored = await client.absences.get(absence_id)
        return Applied(
            after=absence_result(stored, deps, int(AbsenceStatus.APPROVAL_CANCELLED)),
            ids={"absences": [absence_id]},
            undo=AbsenceUndo(
                absence_id=absence_id,
                status_before=status_after,
                status_after=int(stored.status),
                note_before=current.note,
                note_after=stored.note,
            ),
            summary=f"The approval of absence {absence_id} ({who}) is cancelled.",
        )

    return Plan(
        summary=f"The approval of absence {absence_id} ({who}, {current.date_since} – {absence_last_day(current)}) "
        "would be cancelled (status approval_cancelled).",
        preview=UndoAbsencePreview(
            action="cancel the approval", absence=absence_shown(current, deps), status="approved → approval_cancelled"
        ),
        target=absence_state(current),
        before=absence_shown(current, deps),
        apply=apply,
        expect=AbsenceDecided(
            absence_id=absence_id,
            status_before=status_after,
            status_after=int(AbsenceStatus.APPROVAL_CANCELLED),
            note_before=current.note,
            note_after=(spec.note_before or "") if note_changed else None,
        ),
        warnings=[
            "Clockodo cannot return an absence to pending: undoing an approval cancels it (status 3). If the "
            "absence is still wanted, the employee has to request it again."
        ],
    )


def _same_note(a: str | None, b: str | None) -> bool:
    return (a or "") == (b or "")


def decided_state(absence: Absence, expect: AbsenceDecided) -> Literal["applied", "before", "neither"]:
    """Whether an absence is as the decision leaves it, as it was before, or neither (someone else changed it)."""
    status = int(absence.status)
    if status == expect.status_after and (expect.note_after is None or _same_note(absence.note, expect.note_after)):
        return "applied"
    if status == expect.status_before and _same_note(absence.note, expect.note_before):
        return "before"
    return "neither"


def decided_undo(absence: Absence, expect: AbsenceDecided) -> AbsenceUndo:
    """The way back from a decision found applied."""
    return AbsenceUndo(
        absence_id=absence.id,
        status_before=expect.status_before,
        status_after=int(absence.status),
        note_before=expect.note_before,
        note_after=absence.note,
    )


@register_check("absence_decided")
async def absence_decided(deps: WriteDeps, expect: AbsenceDecided) -> Verdict:
    """The absence has the new status (applied) or the old one with its old note (not applied)."""
    absence = await deps.client.absences.get(expect.absence_id)
    status = int(absence.status)
    state = decided_state(absence, expect)
    if state == "applied":
        return Verdict.found(
            Applied(
                after=absence_result(absence, deps, status),
                ids={"absences": [absence.id]},
                undo=decided_undo(absence, expect),
                summary=f"Absence {absence.id} of {deps.master.user_name(absence.users_id)}: {status_name(status)}.",
            ),
            f"absence {absence.id} is {status_name(status)}",
        )
    if state == "before":
        return Verdict.absent(f"absence {absence.id} is {status_name(status)}, as before")
    return Verdict.undecided(f"absence {absence.id} is {status_name(status)}, neither as planned nor as before")
