"""People tools: list_users, list_absences, utilization, absence_queue."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from clockodo_mcp.clockodo import Absence, AbsenceType, ClockodoForbiddenError, TargetHoursRow
from clockodo_mcp.domain.people import (
    STATUS_ALIASES,
    TYPE_NAMES,
    QueueItem,
    Utilization,
    absence_last_day,
    current_row,
    load_absence_queue,
    load_utilization,
    months_between,
    nonbusiness_days_in,
    overlaps,
    status_name,
    type_name,
    weekly_hours,
    weeks_of,
    years_of,
)
from clockodo_mcp.domain.periods import Period, PeriodError, local_today
from clockodo_mcp.server.models import Compact, ListOutput, PeriodOut
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools.common import (
    NameArg,
    OffsetArg,
    PeriodArg,
    ToolContext,
    limit_field,
    page_of,
    tool_context,
    visibility_note,
    with_note,
)
from clockodo_mcp.server.tools.reporting import RunningOut, Visibility, describe_running, running_out, visibility_of

StatusName = Literal["pending", "enquired", "approved", "declined", "approval_cancelled", "request_cancelled"]
TypeName = Literal[
    "regular_holiday",
    "special_leave",
    "overtime_reduction",
    "sick_self",
    "sick_child",
    "school",
    "maternity_protection",
    "home_office",
    "work_out_of_office",
    "special_leave_unpaid",
    "sick_self_unpaid",
    "sick_child_unpaid",
    "quarantine",
    "military_service",
    "sick_self_with_sickness_benefit",
]
TYPE_IDS: dict[str, int] = {name: value for value, name in TYPE_NAMES.items()}


def ratio(value: float | None) -> float | None:
    """A ratio as a percentage rounded to one place."""
    return None if value is None else round(value * 100.0, 1)


# -- list_users ------------------------------------------------------------------------------------------


class UserOut(Compact):
    """An employee."""

    id: int
    name: str
    email: str | None = None
    number: str | None = None
    role: str | None = Field(default=None, description="owner, worker (or legacy manager).")
    active: bool
    team: str | None = None
    teams_id: int | None = None
    start_date: date | None = None
    exit_date: date | None = None
    weekly_target_hours: float | None = Field(
        default=None, description="From today's target-hours row when it is weekly."
    )
    monthly_target_hours: float | None = Field(default=None, description="When today's target-hours row is monthly.")


class UsersOut(ListOutput):
    """A page of employees plus totals."""

    rows_field: ClassVar[str] = "users"
    users: list[UserOut]


@tool(title="List employees", toolset="people", read_only=True, destructive=False, idempotent=True)
async def list_users(
    ctx: Context[Any, Any],
    team: NameArg = None,
    active: Annotated[
        Literal["active", "inactive", "all"], Field(description="Active employees (default), inactive ones, or all.")
    ] = "active",
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(120)] = 12,
) -> UsersOut:
    """List employees by name with team, role and weekly target hours, e.g. list_users(team="Design")."""
    tc = await tool_context(ctx)
    team_id = tc.master.resolve("team", team).id if team is not None else None
    members = set(tc.master.team_members(team_id)) if team_id is not None else None
    matching = [
        u
        for u in tc.master.users.values()
        if (members is None or u.id in members) and (active == "all" or u.active == (active == "active"))
    ]
    matching.sort(key=lambda u: ((u.name or "").lower(), u.id))
    shown, paging = page_of(matching, offset, limit)
    rows_by_user: dict[int, list[TargetHoursRow]] = {}
    if shown:
        cached = tc.master.target_rows()  # with the master data: no request on a warm cache
        for row in cached if cached is not None else await tc.runtime.client.target_hours.list():
            rows_by_user.setdefault(row.users_id, []).append(row)
    today = local_today(tc.runtime.now(), tc.account.timezone)
    users = []
    for u in shown:
        current = current_row(rows_by_user.get(u.id, []), today)
        team_of = tc.master.team_of(u.id)
        users.append(
            UserOut(
                id=u.id,
                name=u.name or f"user {u.id}",
                email=u.email,
                number=u.number,
                role=str(u.role.value) if u.role is not None else None,
                active=u.active,
                team=tc.master.team_name(team_of) if team_of is not None else None,
                teams_id=team_of,
                start_date=u.start_date,
                exit_date=u.exit_date,
                weekly_target_hours=weekly_hours(current) if current is not None else None,
                monthly_target_hours=current.monthly_target if current and current.type == "monthly" else None,
            )
        )
    scope = f" in team {tc.master.team_name(team_id)}" if team_id is not None else ""
    summary = f"{len(matching)} {'' if active == 'all' else active + ' '}employee(s){scope}: " + (
        "; ".join(
            f"{u.name} ({u.team or 'no team'}"
            + (f", {u.weekly_target_hours:g} h/week" if u.weekly_target_hours is not None else "")
            + ")"
            for u in users[:3]
        )
        + ("…" if len(users) > 3 else ".")
        + paging.sentence()
        if users
        else "Nobody matches."
    )
    return UsersOut(summary=summary, paging=paging, users=users).audited_as("ok", count=len(users))


# -- list_absences ---------------------------------------------------------------------------------------


class AbsenceOut(Compact):
    """One absence with names resolved."""

    id: int
    user: str
    users_id: int
    date_since: date
    date_until: date
    status: str = Field(description="pending, approved, declined, approval_cancelled, request_cancelled.")
    type: str | None = Field(default=None, description="regular_holiday, sick_self, …; absent when hidden.")
    half_day: bool | None = Field(default=None, description="True for a half day (absent otherwise).")
    days: float | None = Field(default=None, description="Absence days (halves allowed).")
    hours: float | None = Field(default=None, description="For overtime reduction (counted in hours).")
    date_enquired: date | None = None
    date_approved: date | None = None
    approved_by: str | None = None
    note: str | None = None
    public_note: str | None = None


def absence_out(absence: Absence, tc: ToolContext) -> AbsenceOut:
    """An absence for the agent."""
    return AbsenceOut(
        id=absence.id,
        user=tc.master.user_name(absence.users_id),
        users_id=absence.users_id,
        date_since=absence.date_since,
        date_until=absence_last_day(absence),
        status=status_name(int(absence.status)),
        type=type_name(absence.type),
        half_day=True if absence.half_day else None,
        days=absence.count_days,
        hours=absence.count_hours,
        date_enquired=absence.date_enquired,
        date_approved=absence.date_approved,
        approved_by=tc.master.user_name(absence.approved_by) if absence.approved_by else None,
        note=absence.note or None,
        public_note=absence.public_note or None,
    )


class AbsencesOut(ListOutput):
    """A page of absences plus totals over every matching absence."""

    rows_field: ClassVar[str] = "absences"
    period: PeriodOut
    days_by_type: dict[str, float] = Field(description="Absence days per type over all matching absences.")
    hours_by_type: dict[str, float] = Field(description="Hours of hour-based absences (overtime reduction).")
    absences: list[AbsenceOut]
    note: str | None = None


def _absence_period(tc: ToolContext, period: Any, year: int | None) -> Period:
    if period is not None and year is not None:
        raise ToolError("Give either period or year, not both.")
    if year is not None:
        return tc.period(str(year))
    return tc.period(period if period is not None else "this_year")


@tool(title="List absences", toolset="people", read_only=True, destructive=False, idempotent=True)
async def list_absences(
    ctx: Context[Any, Any],
    period: Annotated[PeriodArg | None, Field(description="Absences touching this period (default this_year).")] = None,
    year: Annotated[int | None, Field(ge=2000, le=2037, description="A calendar year instead of a period.")] = None,
    user: NameArg = None,
    team: NameArg = None,
    status: Annotated[
        Annotated[list[StatusName], Field(max_length=20)] | None,
        Field(description="Only these statuses (pending = enquired, approved, …)."),
    ] = None,
    type: Annotated[
        Annotated[list[TypeName], Field(max_length=20)] | None,
        Field(description="Only these types, e.g. ['regular_holiday']."),
    ] = None,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(80)] = 8,
) -> AbsencesOut:
    """List absences (holidays, sick days, home office, …) touching a period, with days per type.

    E.g. "who is off next week?" → list_absences(period={"from": …, "to": …}, status=["approved"]).
    """
    tc = await tool_context(ctx)
    resolved = _absence_period(tc, period, year)
    scope = tc.scope(user=user, team=team)
    years = years_of(resolved.start, resolved.end)
    if years[0] < 2000 or years[-1] > 2037:
        raise PeriodError("Clockodo keeps absences for the years 2000–2037 only; choose a period within them.")
    status_ids = sorted({STATUS_ALIASES[s] for s in status}) if status else None
    type_ids = sorted({TYPE_IDS[t] for t in type}) if type else None
    found = await tc.runtime.client.absences.list(
        year=years,
        users_id=scope.user_id,
        teams_id=scope.team_id if scope.user_id is None else None,
        status=status_ids,
        type=type_ids,
    )
    members = set(tc.master.team_members(scope.team_id)) if scope.team_id is not None else None
    matching = [
        a
        for a in found
        if overlaps(a, resolved.start, resolved.end)
        and (scope.user_id is None or a.users_id == scope.user_id)
        and (members is None or a.users_id in members)
        and (status_ids is None or int(a.status) in status_ids)
        and (type_ids is None or (a.type is not None and int(a.type) in type_ids))
    ]
    matching.sort(key=lambda a: (a.date_since, tc.master.user_name(a.users_id), a.id))
    shown, paging = page_of(matching, offset, limit)
    days: dict[str, float] = {}
    hours_by: dict[str, float] = {}
    for a in matching:
        key = type_name(a.type) or "hidden"
        if a.type is not None and int(a.type) == AbsenceType.OVERTIME_REDUCTION:
            hours_by[key] = hours_by.get(key, 0.0) + float(a.count_hours or 0.0)
        else:
            days[key] = days.get(key, 0.0) + float(a.count_days or 0.0)
    rows = [absence_out(a, tc) for a in shown]
    lead = "; ".join(f"{r.user}: {r.type or 'absence'} {r.date_since}–{r.date_until} ({r.status})" for r in rows[:3])
    summary = (
        f"{len(matching)} absence(s) in {resolved.describe()}{tc.describe_scope(scope)}"
        + (f": {', '.join(f'{v:g} day(s) {k}' for k, v in sorted(days.items()))}" if days else "")
        + (f". {lead}" if lead else "")
        + ("…" if len(rows) > 3 else ".")
        + paging.sentence()
    )
    note = visibility_note(tc)
    return AbsencesOut(
        summary=with_note(summary, note),
        note=note,
        period=PeriodOut.of(resolved),
        paging=paging,
        days_by_type={k: round(v, 2) for k, v in sorted(days.items())},
        hours_by_type={k: round(v, 2) for k, v in sorted(hours_by.items())},
        absences=rows,
    ).audited_as("ok", count=len(rows))


# -- utilization -----------------------------------------------------------------------------------------


class UtilizationRow(Compact):
    """Worked, billable and target hours of one employee or team, and the ratios."""

    id: int | None = Field(description="users_id or teams_id (null for people without a team).")
    name: str
    worked_hours: float = Field(description="All completed time entries (running timers are shown apart).")
    billable_hours: float = Field(description="Billable time (unbilled or billed).")
    target_hours: float = Field(description="Clockodo's target hours minus public holidays and absences.")
    planned_hours: float = Field(description="Target hours before public holidays and absences.")
    holiday_hours: float = Field(description="Target hours taken by public holidays.")
    absence_hours: float = Field(description="Target hours taken by approved absences.")
    utilization_pct: float | None = Field(description="Billable ÷ target × 100; null when the target is 0.")
    billable_share_pct: float | None = Field(description="Billable ÷ worked × 100; null when nothing was worked.")
    member_count: int | None = Field(default=None, description="Team rows: members counted (list_users names them).")
    weeks_pct: list[int | None] | None = Field(
        default=None, description="by_week: whole % per week of `weeks` (null: no target that week)."
    )


MAX_WEEKS = 54


def week_pcts(weeks: list[Utilization] | None) -> list[int | None] | None:
    """Utilization per week in whole percent (None: no target that week)."""
    if weeks is None:
        return None
    return [None if w.utilization is None else round(w.utilization * 100.0) for w in weeks]


def utilization_row(
    ident: int | None,
    name: str,
    u: Utilization,
    members: int | None = None,
    weeks: list[Utilization] | None = None,
) -> UtilizationRow:
    """A domain utilization as an output row."""
    return UtilizationRow(
        weeks_pct=week_pcts(weeks),
        id=ident,
        name=name,
        worked_hours=round(u.worked_hours, 2),
        billable_hours=round(u.billable_hours, 2),
        target_hours=round(u.target.target, 2),
        planned_hours=round(u.target.planned, 2),
        holiday_hours=round(u.target.holidays, 2),
        absence_hours=round(u.target.absences, 2),
        utilization_pct=ratio(u.utilization),
        billable_share_pct=ratio(u.billable_share),
        member_count=members,
    )


class UtilizationOut(ListOutput):
    """Utilization per employee and per team (paged employees; teams and the total always complete)."""

    rows_field: ClassVar[str] = "users"
    period: PeriodOut
    target_until: date | None = Field(
        description="Target hours count up to this day (today for a running period); null for a future period."
    )
    total: UtilizationRow
    teams: list[UtilizationRow] = Field(description="Team rows: sums over members, then divided.")
    users: list[UtilizationRow]
    weeks: list[str] | None = Field(default=None, description='by_week: the ISO weeks, e.g. "2026-W47".')
    running: RunningOut = Field(description="Running timers in the period: not in worked or billable hours.")
    visibility: Visibility
    note: str | None = None


@tool(title="Utilization per employee and team", toolset="people", read_only=True, destructive=False, idempotent=True)
async def utilization(
    period: PeriodArg,
    ctx: Context[Any, Any],
    team: NameArg = None,
    user: NameArg = None,
    by_week: Annotated[
        bool, Field(description=f"Also each row's utilization per ISO week (weeks_pct); up to {MAX_WEEKS} weeks.")
    ] = False,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(100)] = 10,
) -> UtilizationOut:
    """Billable utilization per employee (lowest first) and per team: worked, billable and target hours.

    Target = Clockodo's target hours minus holidays and absences, up to today; utilization = billable ÷ target.
    E.g. "compare the design and development teams this quarter" → utilization(period="this_quarter").
    """
    tc = await tool_context(ctx)
    resolved = tc.period(period)
    if by_week and len(weeks_of(resolved.start, resolved.end)) > MAX_WEEKS:
        raise ToolError(f"by_week covers at most {MAX_WEEKS} weeks; choose a shorter period.")
    scope = tc.scope(user=user, team=team)
    today = local_today(tc.runtime.now(), tc.account.timezone)
    report = await load_utilization(
        tc.runtime.client,
        tc.master,
        resolved,
        today,
        user_id=scope.user_id,
        team_id=scope.team_id,
        timers=tc.timer_source(scope),
        now=tc.runtime.now(),
        by_week=by_week,
    )
    user_weeks, team_weeks = (report.user_weeks, report.team_weeks) if by_week else ({}, {})
    user_rows = [
        utilization_row(uid, tc.master.user_name(uid), u, weeks=user_weeks.get(uid)) for uid, u in report.users.items()
    ]
    user_rows.sort(key=lambda r: (r.utilization_pct if r.utilization_pct is not None else float("inf"), r.name))
    team_rows = [
        utilization_row(
            tid, tc.master.team_name(tid), u, len(report.team_members.get(tid, [])), weeks=team_weeks.get(tid)
        )
        for tid, u in report.teams.items()
    ]
    team_rows.sort(key=lambda r: r.name)
    shown, paging = page_of(user_rows, offset, limit)
    total = utilization_row(None, "total", report.total, weeks=report.total_weeks if by_week else None)

    def fmt(row: UtilizationRow) -> str:
        util = f"{row.utilization_pct:g}%" if row.utilization_pct is not None else "no target"
        return f"{row.name} {util} ({row.billable_hours:g} of {row.target_hours:g} h)"

    summary = (
        f"Billable utilization in {resolved.describe()}{tc.describe_scope(scope)}: "
        + (f"teams: {'; '.join(fmt(r) for r in team_rows)}. " if team_rows else "")
        + f"Overall {fmt(total).removeprefix('total ')}, {len(user_rows)} employee(s), lowest first."
        + paging.sentence()
    )
    running = running_out(tc, report.running)
    visibility = visibility_of(tc)
    note = " ".join(n for n in (running.note, visibility.note) if n) or None
    return UtilizationOut(
        summary=with_note(summary + describe_running(tc, running), visibility.note),
        note=note,
        running=running,
        visibility=visibility,
        period=PeriodOut.of(resolved),
        target_until=report.target_until,
        total=total,
        teams=team_rows,
        paging=paging,
        users=shown,
        weeks=list(report.weeks) if by_week else None,
    ).audited_as("ok", count=len(shown))


# -- absence_queue ---------------------------------------------------------------------------------------


MAX_OVERLAPS = 10  # per request; `overlap_count` has them all


class OverlapOut(Compact):
    """A teammate's approved absence overlapping a request."""

    absence_id: int
    user: str
    users_id: int
    date_since: date
    date_until: date
    type: str | None = None


class NonbusinessDayOut(Compact):
    """A public holiday."""

    date: date
    name: str
    half_day: bool = False


class QueueRow(Compact):
    """A pending absence request and what the approver should know."""

    absence: AbsenceOut
    age_days: int | None = Field(default=None, description="Days since it was requested.")
    overlap_count: int = Field(description="Teammates' approved absences on the same days.")
    overlaps: list[OverlapOut] = Field(description=f"The first {MAX_OVERLAPS} of them.")
    holiday_quota: float | None = Field(default=None, description="Holiday entitlement (days) for the request's year.")
    holidays_taken: float = Field(description="Approved regular-holiday days of that year.")
    holidays_remaining: float | None = Field(default=None, description="Quota minus approved holidays.")
    remaining_if_approved: float | None = Field(
        default=None, description="Regular holidays: what approving this request would leave (may be negative)."
    )


class AbsenceQueueOut(ListOutput):
    """Pending absence requests, oldest first (paged), with totals."""

    rows_field: ClassVar[str] = "requests"
    as_of: date
    requests: list[QueueRow]
    nonbusiness_days: list[NonbusinessDayOut] = Field(default_factory=list)  # holidays of the requests' months
    note: str | None = None


def queue_row(item: QueueItem, tc: ToolContext) -> QueueRow:
    """A queue item for the agent."""
    return QueueRow(
        absence=absence_out(item.absence, tc),
        age_days=item.age_days,
        overlap_count=len(item.overlaps),
        overlaps=[
            OverlapOut(
                absence_id=a.id,
                user=tc.master.user_name(a.users_id),
                users_id=a.users_id,
                date_since=a.date_since,
                date_until=absence_last_day(a),
                type=type_name(a.type),
            )
            for a in item.overlaps[:MAX_OVERLAPS]
        ],
        holiday_quota=item.quota,
        holidays_taken=round(item.taken, 2),
        holidays_remaining=None if item.remaining is None else round(item.remaining, 2),
        remaining_if_approved=None if item.remaining_after is None else round(item.remaining_after, 2),
    )


@tool(title="Pending absence requests", toolset="people", read_only=True, destructive=False, idempotent=True)
async def absence_queue(
    ctx: Context[Any, Any],
    user: NameArg = None,
    team: NameArg = None,
    min_age_days: Annotated[int, Field(ge=0, le=3650, description="Only requests at least this many days old.")] = 0,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(50)] = 5,
) -> AbsenceQueueOut:
    """Absence requests awaiting approval, oldest first: age, teammates off on the same days, holiday quota left.

    Use it for "what do I need to approve?"; decide with decide_absence.
    """
    tc = await tool_context(ctx)
    scope = tc.scope(user=user, team=team)
    today = local_today(tc.runtime.now(), tc.account.timezone)
    items = await load_absence_queue(tc.runtime.client, tc.master, today, user_id=scope.user_id, team_id=scope.team_id)
    items = [i for i in items if i.age_days is None or i.age_days >= min_age_days]
    shown, paging = page_of(items, offset, limit)
    rows = [queue_row(i, tc) for i in shown]
    months: set[tuple[int, int]] = set()
    for item in shown:
        months |= months_between(item.absence.date_since, absence_last_day(item.absence))
    try:
        found = await nonbusiness_days_in(tc.runtime.client, months)
    except ClockodoForbiddenError:
        found = []  # the queue stands without its holidays
    holidays = [
        NonbusinessDayOut(date=d.evaluated_date, name=d.name, half_day=d.half_day)
        for d in found
        if d.evaluated_date is not None
    ]
    lead = "; ".join(
        f"{r.absence.user}: {r.absence.type or 'absence'} {r.absence.date_since}–{r.absence.date_until}, "
        f"{r.age_days} day(s) old" + (f", overlaps {r.overlap_count} teammate absence(s)" if r.overlap_count else "")
        for r in rows[:3]
    )
    summary = (
        f"{len(items)} pending absence request(s){tc.describe_scope(scope)}"
        + (f" at least {min_age_days} day(s) old" if min_age_days else "")
        + (f": {lead}" if lead else "")
        + ("…" if len(rows) > 3 else ".")
        + paging.sentence()
    )
    note = visibility_note(tc)
    return AbsenceQueueOut(
        summary=with_note(summary, note),
        note=note,
        as_of=today,
        paging=paging,
        requests=rows,
        nonbusiness_days=holidays,
    ).audited_as("ok", count=len(rows))
