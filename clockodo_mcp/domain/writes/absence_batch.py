"""decide_absence over several pending requests at once (absence_ids): one preview, one confirmation, with undo.

The batch is refused whole unless every absence exists, is visible and is pending. Its apply is one journalled step
that decides the absences one by one, each request shielded from a cancel, so a stop lands between two absences;
the journalled expectation lists every decision, so a lost answer or a cancel is settled per absence: decided,
as before, or (someone else changed it) neither.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any, Literal

import anyio
import anyio.lowlevel

from clockodo_mcp.clockodo import Absence, AbsenceStatus, ClockodoForbiddenError, ClockodoNotFoundError
from clockodo_mcp.domain.people import absence_last_day, status_name
from clockodo_mcp.domain.tasks import gather
from clockodo_mcp.domain.undo import AbsencesStatus as AbsencesUndo
from clockodo_mcp.domain.views import AS_OBJECT, View
from clockodo_mcp.domain.writes.admin import (
    STATUS_RULES,
    AbsenceResult,
    AbsenceShown,
    Assessment,
    DecideAbsenceArgs,
    DecideAbsencePreview,
    absence_result,
    absence_shown,
    absence_state,
    assess,
    decided_expectation,
    decided_state,
    decided_undo,
    is_holiday,
)
from clockodo_mcp.domain.writes.checks import Verdict, register_check
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.expect import AbsenceDecided, AbsencesDecided
from clockodo_mcp.domain.writes.plan import Applied, Plan, Steps, WriteRefused, WriteRejected
from clockodo_mcp.domain.writes.undoing import Undoing, UndoPreview, undo_plan

READS_AT_ONCE = 8  # concurrent GETs of single absences (a batch is at most 50)
CANCEL_WARNING = (
    "Clockodo cannot return an absence to pending: undoing an approval cancels it (status 3). If the absence is "
    "still wanted, the employee has to request it again."
)


class AbsenceTotals(View):
    requests: int
    people: int
    days: float
    hours: float
    over_quota: list[str]
    overlapping_ids: list[int]


class DecideAbsencesPreview(View):
    decision: Literal["approve", "decline"]
    status: str
    requests: list[Annotated[DecideAbsencePreview, AS_OBJECT]]
    totals: Annotated[AbsenceTotals, AS_OBJECT]


class AbsencesResult(View):
    decided: list[Annotated[AbsenceResult, AS_OBJECT]]
    verified: bool
    not_decided_ids: list[int]


class AbsencesBefore(View):
    absences: list[Annotated[AbsenceShown, AS_OBJECT]]


class UndoAbsencesPreview(UndoPreview):
    absences: list[Annotated[AbsenceShown, AS_OBJECT]]
    status: str


Read = dict[int, Absence | ClockodoNotFoundError | ClockodoForbiddenError]


async def read_absences(deps: WriteDeps, ids: Sequence[int]) -> Read:
    """Each absence by id, a few at a time; one that does not exist or is not visible as its error."""
    found: Read = {}
    limiter = anyio.CapacityLimiter(READS_AT_ONCE)

    def one(absence_id: int) -> Callable[[], Coroutine[Any, Any, None]]:
        async def run() -> None:
            async with limiter:
                try:
                    found[absence_id] = await deps.client.absences.get(absence_id)
                except (ClockodoNotFoundError, ClockodoForbiddenError) as error:
                    found[absence_id] = error

        return run

    await gather(*(one(i) for i in ids))
    return found


async def _stored(deps: WriteDeps, ids: Sequence[int]) -> dict[int, Absence]:
    """Each absence by id; one that cannot be read raises (a check then leaves the outcome unknown)."""
    read = await read_absences(deps, ids)
    for value in read.values():
        if not isinstance(value, Absence):
            raise value
    return {i: a for i, a in read.items() if isinstance(a, Absence)}


def _refusal(read: Read, ids: Sequence[int], decision: str) -> str | None:
    """Why the batch cannot be decided (naming every offending id), or None."""
    missing = [i for i in ids if isinstance(read[i], ClockodoNotFoundError)]
    hidden = [i for i in ids if isinstance(read[i], ClockodoForbiddenError)]
    settled = [a for i in ids if isinstance(a := read[i], Absence) and int(a.status) != AbsenceStatus.ENQUIRED]
    problems = []
    if missing:
        problems.append(f"no absence has id {', '.join(map(str, missing))}")
    if hidden:
        problems.append(f"{', '.join(map(str, hidden))} not visible to this Clockodo user")
    if settled:
        listed = ", ".join(f"{a.id} is {status_name(int(a.status))}" for a in settled)
        problems.append(f"not pending: {listed}")
    if not problems:
        return None
    rules = f" {STATUS_RULES}" if settled else ""
    return (
        f"Cannot {decision} these {len(ids)} absences: {'; '.join(problems)}. Nothing was changed: a batch is decided "
        f"whole or not at all. Drop those ids (absence_queue lists the pending requests with their ids).{rules}"
    )


async def _quota_rows(deps: WriteDeps, users: Sequence[int]) -> dict[int, list[Any] | None]:
    """Each user's holiday quota rows, concurrently; None where they are not visible."""
    rows: dict[int, list[Any] | None] = {}

    def one(user_id: int) -> Callable[[], Coroutine[Any, Any, None]]:
        async def run() -> None:
            try:
                rows[user_id] = list(await deps.client.holidays_quota.list(users_id=user_id))
            except ClockodoForbiddenError:
                rows[user_id] = None

        return run

    await gather(*(one(u) for u in users))
    return rows


def _warnings(assessed: Sequence[Assessment], deps: WriteDeps) -> list[str]:
    """The single decision's warnings, aggregated over the batch."""
    warnings = []
    if any(a.mates_hidden for a in assessed):
        warnings.append("Teammates' absences may be hidden from this Clockodo user.")
    hidden = [a.absence.id for a in assessed if a.quota_hidden]
    if hidden:
        warnings.append(f"The holiday quota is not visible to this Clockodo user (absences {hidden}).")
    for user_id, over in _over_quota(assessed).items():
        warnings.append(
            f"Approving exceeds {deps.master.user_name(user_id)}'s remaining holiday quota by {over:g} day(s)."
        )
    clashing = [a for a in assessed if a.clashes]
    if clashing:
        warnings.append(
            f"{sum(a.clashes for a in clashing)} teammate absence(s) overlap requests "
            f"{[a.absence.id for a in clashing]}."
        )
    return warnings


def _over_quota(assessed: Sequence[Assessment]) -> dict[int, float]:
    """Per user, the days beyond the remaining holiday quota once the whole batch is approved."""
    over: dict[int, float] = {}
    for a in assessed:
        if a.over_quota:
            over[a.absence.users_id] = max(over.get(a.absence.users_id, 0.0), a.over_quota)
    return over


def _as_approved(absences: Sequence[Absence]) -> list[Absence]:
    return [a.model_copy(update={"status": AbsenceStatus.APPROVED}) for a in absences]


def _applied(
    deps: WriteDeps, expect: AbsencesDecided, stored: dict[int, Absence], decided: Sequence[AbsenceDecided]
) -> Applied[AbsencesResult]:
    """What the batch did for the `decided` absences (as Clockodo holds them now), with the way back."""
    done = [stored[i.absence_id] for i in decided]
    waiting = [i.absence_id for i in expect.items if i not in decided]
    after = AbsencesResult(
        decided=[absence_result(a, deps, i.status_after) for a, i in zip(done, decided, strict=True)],
        verified=not waiting and all(int(a.status) == i.status_after for a, i in zip(done, decided, strict=True)),
        not_decided_ids=waiting,
    )
    now = status_name(expect.items[0].status_after)
    who = ", ".join(f"{deps.master.user_name(a.users_id)} ({a.id})" for a in done)
    summary = f"{len(done)} absence{' is' if len(done) == 1 else 's are'} now {now}: {who}."
    if waiting:
        summary += (
            f" Partially applied: {len(waiting)} of the {len(expect.items)} are still "
            f"{status_name(expect.items[0].status_before)} (ids {waiting})."
        )
    return Applied(
        after=after,
        ids={"absences": [a.id for a in done]},
        undo=AbsencesUndo(absences=[decided_undo(a, i) for a, i in zip(done, decided, strict=True)]),
        summary=summary,
    )


async def _decide_each(deps: WriteDeps, steps: Steps, expect: AbsencesDecided, name: str) -> Applied[AbsencesResult]:
    """Send each decision, journalling how far it got, then read every absence back."""
    async with steps.step(name, entries=len(expect.items), unit="absences", done=0) as step:
        for item in expect.items:
            with anyio.CancelScope(shield=True):  # a cancel waits for this absence's answer: none is left in limbo
                await deps.client.absences.update(item.absence_id, status=item.status_after, note=item.note_after)
                await step.progress(done=step.detail["done"] + 1, last_id=item.absence_id)
            await anyio.lowlevel.checkpoint()  # and lands here, between two absences
    stored = await _stored(deps, [i.absence_id for i in expect.items])
    # Every decision was answered: each is made (`verified` says whether Clockodo holds it as sent).
    return _applied(deps, expect, stored, expect.items)


async def decide_absences(
    args: DecideAbsenceArgs, ids: Sequence[int], deps: WriteDeps
) -> Plan[DecideAbsencesPreview, AbsencesResult]:
    """Plan approving or declining several pending requests at once; refused whole unless every one is pending."""
    decision, note = args.decision, args.note
    new_status = AbsenceStatus.APPROVED if decision == "approve" else AbsenceStatus.DECLINED
    read = await read_absences(deps, ids)
    refusal = _refusal(read, ids, decision)
    if refusal is not None:
        raise WriteRejected(refusal)
    absences = [a for i in ids if isinstance(a := read[i], Absence)]
    years = sorted({y for a in absences for y in (a.date_since.year, absence_last_day(a).year)})
    approved: list[Absence] = await deps.client.absences.list(year=years, status=[AbsenceStatus.APPROVED])
    rows = await _quota_rows(deps, sorted({a.users_id for a in absences if is_holiday(a)}))
    assessed = []
    for index, absence in enumerate(absences):
        # Approving the batch approves its other requests too: they overlap teammates like approved ones, and a
        # person's earlier requests in the batch use up quota before this one.
        others = _as_approved([a for a in absences if a.id != absence.id]) if decision == "approve" else []
        earlier = _as_approved(absences[:index]) if decision == "approve" else []
        assessed.append(
            assess(
                absence,
                deps,
                decision,
                note,
                approved,
                rows.get(absence.users_id),
                also_approved=others,
                quota_also=earlier,
            )
        )
    over = _over_quota(assessed)
    preview = DecideAbsencesPreview(
        decision=decision,
        status=f"pending → {status_name(int(new_status))}",
        requests=[a.preview for a in assessed],
        totals=AbsenceTotals(
            requests=len(absences),
            people=len({a.users_id for a in absences}),
            days=sum(float(a.count_days or 0.0) for a in absences),
            hours=sum(float(a.count_hours or 0.0) for a in absences),
            over_quota=[f"{deps.master.user_name(u)} ({d:g} days)" for u, d in over.items()],
            overlapping_ids=[a.absence.id for a in assessed if a.clashes],
        ),
    )
    expect = AbsencesDecided(items=[decided_expectation(a.absence, new_status, a.note) for a in assessed])
    steps = Steps()
    steps.total = len(absences)

    async def apply() -> Applied[AbsencesResult]:
        return await _decide_each(deps, steps, expect, "absence decisions")

    people = ", ".join(dict.fromkeys(deps.master.user_name(a.users_id) for a in absences))
    return Plan(
        summary=f"{len(absences)} requests ({people}; ids {list(ids)}) would be {decision}d.",
        preview=preview,
        target={"absences": [absence_state(a) for a in absences]},
        before=AbsencesBefore(absences=[a.preview.absence for a in assessed]),
        apply=apply,
        warnings=_warnings(assessed, deps),
        expect=expect,
        steps=steps,
    )


@undo_plan("absences_status")
async def undo_absences_status(
    deps: WriteDeps, change: Undoing, spec: AbsencesUndo
) -> Plan[UndoAbsencesPreview, AbsencesResult]:
    """Cancel the approvals a batch made; refuse, changing nothing, if any absence changed since or was declined."""
    items = spec.absences
    read = await read_absences(deps, [i.absence_id for i in items])
    changed = [
        f"{i.absence_id} is {status_name(int(a.status)) if isinstance(a, Absence) else 'not readable'}"
        for i in items
        if not isinstance(a := read[i.absence_id], Absence) or int(a.status) != i.status_after
    ]
    if changed:
        raise WriteRefused(
            f"Cannot undo: of the absences the change left {status_name(items[0].status_after)}, {'; '.join(changed)} "
            "now: they changed since. Nothing was changed. Use decide_absence (or Clockodo) for the ones that should "
            "change."
        )
    final = [i.absence_id for i in items if i.status_after != AbsenceStatus.APPROVED]
    if final:
        raise WriteRefused(
            f"Cannot undo: absences {final} are {status_name(items[0].status_after)}, and Clockodo allows no change "
            f"from there. Nothing was changed. {STATUS_RULES} If an absence is still wanted, the employee requests it "
            "again."
        )
    current = [a for i in items if isinstance(a := read[i.absence_id], Absence)]
    expect = AbsencesDecided(
        items=[
            AbsenceDecided(
                absence_id=a.id,
                status_before=i.status_after,
                status_after=int(AbsenceStatus.APPROVAL_CANCELLED),
                note_before=a.note,
                # "" clears a note the decision added to an absence that had none.
                note_after=(i.note_before or "") if i.note_before != i.note_after else None,
            )
            for a, i in zip(current, items, strict=True)
        ]
    )
    steps = Steps()
    steps.total = len(items)

    async def apply() -> Applied[AbsencesResult]:
        return await _decide_each(deps, steps, expect, "cancel approvals")

    shown = [absence_shown(a, deps) for a in current]
    return Plan(
        summary=f"The approvals of {len(items)} absences (ids {[a.id for a in current]}) would be cancelled (status "
        "approval_cancelled).",
        preview=UndoAbsencesPreview(
            action="cancel the approvals", absences=shown, status="approved → approval_cancelled"
        ),
        target={"absences": [absence_state(a) for a in current]},
        before=AbsencesBefore(absences=shown),
        apply=apply,
        expect=expect,
        warnings=[CANCEL_WARNING],
        steps=steps,
    )


@register_check("absences_decided")
async def absences_decided(deps: WriteDeps, expect: AbsencesDecided) -> Verdict:
    """Every absence decided (applied), every one as before (not applied), or some of each (applied for those)."""
    stored = await _stored(deps, [i.absence_id for i in expect.items])
    states = {i.absence_id: decided_state(stored[i.absence_id], i) for i in expect.items}
    total = len(expect.items)
    neither = [i for i, state in states.items() if state == "neither"]
    decided = [i for i in expect.items if states[i.absence_id] == "applied"]
    waiting = [i for i, state in states.items() if state == "before"]
    if not decided and not neither:
        return Verdict.absent(f"all {total} absences are as before")
    if neither:
        return Verdict.undecided(f"absences {neither} are neither as planned nor as before (changed by someone?)")
    warnings = []
    if waiting:
        ids = [i.absence_id for i in decided]
        warnings.append(
            f"Only {len(decided)} of the {total} absences were decided (ids {ids}); {len(waiting)} are still "
            f"{status_name(expect.items[0].status_before)} (ids {waiting}). Undo reverts the {len(decided)}; "
            "decide_absence again (a new preview) decides the rest."
        )
    return Verdict.found(
        _applied(deps, expect, stored, decided), f"{len(decided)} of {total} absences are decided", warnings
    )
