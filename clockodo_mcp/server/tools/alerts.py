"""The alerts tool: one list, by severity, of everything that needs attention."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from clockodo_mcp.domain.budgets import DEFAULT_BURN_WINDOW_DAYS, gather
from clockodo_mcp.domain.hours import Scope, hours_report
from clockodo_mcp.domain.people import load_absence_queue, load_utilization, type_name
from clockodo_mcp.domain.periods import Period, local_today
from clockodo_mcp.server.models import Money, PeriodOut, ToolOutput, fmt_money, hours
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools.common import (
    LimitArg,
    PageArg,
    PeriodArg,
    ToolContext,
    paginate,
    tool_context,
    visibility_note,
    with_note,
)
from clockodo_mcp.server.tools.projects import assess_budgets
from clockodo_mcp.server.tools.read import running_entries

AlertKind = Literal["budget", "utilization", "unbilled", "absence_request", "timer"]
Severity = Literal["critical", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}
ALL_KINDS: tuple[AlertKind, ...] = ("budget", "utilization", "unbilled", "absence_request", "timer")
UNBILLED_LOOKBACK_DAYS = 730


class AlertOut(BaseModel):
    """One thing that needs attention, with the ids to act on it."""

    kind: AlertKind
    severity: Severity
    message: str
    value: float | None = Field(default=None, description="The measured value (%, hours or days; see unit).")
    threshold: float | None = Field(default=None, description="The threshold it crossed, in the same unit.")
    unit: str | None = None
    money: Money | None = Field(default=None, description="Money at stake (unbilled value, money budgets).")
    project_id: int | None = None
    customers_id: int | None = None
    users_id: int | None = None
    absence_id: int | None = None
    entry_id: int | None = None


class AlertsOut(ToolOutput):
    """Alerts sorted by severity (paged), with counts over all of them."""

    checked: list[str] = Field(description="The kinds of alerts that were checked.")
    thresholds: dict[str, float | str] = Field(description="The thresholds used.")
    utilization_period: PeriodOut | None
    counts: dict[str, int] = Field(description="Alerts per severity, over all pages.")
    counts_by_kind: dict[str, int]
    page: int
    limit: int
    total_alerts: int
    total_pages: int
    alerts: list[AlertOut]
    note: str | None = None


async def budget_alerts(tc: ToolContext, threshold_pct: float, burn_window_days: int) -> list[AlertOut]:
    """Open budgeted projects past the threshold (critical when exhausted) or forecast to run out soon (info)."""
    projects = [p for p in tc.master.projects.values() if p.active and not p.completed]
    assessed, _ = await assess_budgets(tc, projects, burn_window_days=burn_window_days, risk_pct=threshold_pct)
    alerts = []
    for project, status, usage in assessed:
        if not status.at_risk or status.pct_used is None:
            continue
        past = status.pct_used >= threshold_pct
        severity: Severity = "critical" if status.exhausted else "warning" if past else "info"
        money = Money.of(usage.revenue, tc.currency) if status.unit == "money" else None
        alerts.append(
            AlertOut(
                kind="budget",
                severity=severity,
                message=f"{project.name} ({tc.master.customer_name(project.customers_id)}): "
                + "; ".join(status.risk_reasons),
                value=round(status.pct_used, 1),
                threshold=threshold_pct,
                unit="% of budget used",
                money=money,
                project_id=project.id,
                customers_id=project.customers_id,
            )
        )
    return alerts


async def utilization_alerts(tc: ToolContext, period: Period, below_pct: float) -> list[AlertOut]:
    """Employees with a target whose billable utilization is below the threshold (critical below half of it)."""
    today = local_today(tc.runtime.now(), tc.account.timezone)
    report = await load_utilization(
        tc.runtime.client, tc.master, period, today, timers=tc.timer_source(), now=tc.runtime.now()
    )
    alerts = []
    for uid, row in report.users.items():
        if row.utilization is None:
            continue
        value = row.utilization * 100.0
        if value >= below_pct:
            continue
        alerts.append(
            AlertOut(
                kind="utilization",
                severity="critical" if value < below_pct / 2 else "warning",
                message=(
                    f"{tc.master.user_name(uid)}: billable utilization {value:.0f}% in {period.describe()} "
                    f"({row.billable_hours:.1f} billable of {row.target.target:.1f} target hours), below {below_pct:g}%"
                ),
                value=round(value, 1),
                threshold=below_pct,
                unit="% billable utilization",
                users_id=uid,
            )
        )
    return alerts


async def unbilled_alerts(tc: ToolContext, older_than_days: int) -> list[AlertOut]:
    """Per project, unbilled hours booked more than N days ago (one entry-group request)."""
    today = local_today(tc.runtime.now(), tc.account.timezone)
    period = Period(
        start=today - timedelta(days=UNBILLED_LOOKBACK_DAYS),
        end=today - timedelta(days=older_than_days),
        tz=tc.account.timezone,
        label=f"older than {older_than_days} days",
    )
    report = await hours_report(
        tc.runtime.client, tc.master, period, ["project"], "unbilled", Scope(), tc.timer_source(), tc.runtime.now()
    )
    alerts = []
    for row in report.rows:
        if row.bucket.seconds <= 0 and row.bucket.value <= 0:
            continue
        project_id = row.ids.get("project")
        project = tc.master.projects.get(project_id) if project_id is not None else None
        value = Money.of(row.bucket.value, tc.currency)
        alerts.append(
            AlertOut(
                kind="unbilled",
                severity="warning",
                message=(
                    f"{row.labels.get('project', '?')}: {hours(row.bucket.seconds):g} h worth {fmt_money(value)} "
                    f"unbilled for more than {older_than_days} days"
                ),
                value=hours(row.bucket.seconds),
                threshold=float(older_than_days),
                unit="unbilled hours older than the threshold (days)",
                money=value,
                project_id=project_id,
                customers_id=project.customers_id if project is not None else None,
            )
        )
    return alerts


async def absence_alerts(tc: ToolContext, longer_than_days: int) -> list[AlertOut]:
    """Absence requests pending longer than N days (critical beyond twice that)."""
    today = local_today(tc.runtime.now(), tc.account.timezone)
    items = await load_absence_queue(tc.runtime.client, tc.master, today, with_quota=False)
    alerts = []
    for item in items:
        if item.age_days is None or item.age_days <= longer_than_days:
            continue
        a = item.absence
        alerts.append(
            AlertOut(
                kind="absence_request",
                severity="critical" if item.age_days > 2 * longer_than_days else "warning",
                message=(
                    f"{tc.master.user_name(a.users_id)}'s {type_name(a.type) or 'absence'} request for "
                    f"{a.date_since}–{a.date_until or a.date_since} has been pending for {item.age_days} days"
                ),
                value=float(item.age_days),
                threshold=float(longer_than_days),
                unit="days pending",
                users_id=a.users_id,
                absence_id=a.id,
            )
        )
    return alerts


async def timer_alerts(tc: ToolContext, longer_than_hours: float) -> list[AlertOut]:
    """Timers running longer than N hours (critical from 24 h: Clockodo truncates clocks at a day)."""
    now = tc.runtime.now()
    alerts = []
    for entry in await running_entries(tc):
        running = (now - entry.time_since).total_seconds() / 3600.0
        if running <= longer_than_hours:
            continue
        on = (
            tc.master.project_name(entry.projects_id)
            if entry.projects_id
            else tc.master.customer_name(entry.customers_id)
        )
        alerts.append(
            AlertOut(
                kind="timer",
                severity="critical" if running >= 24 else "warning",
                message=(
                    f"{tc.master.user_name(entry.users_id)}'s timer on {on} "
                    f"has been running for {running:.1f} h (since {entry.time_since.isoformat()})"
                ),
                value=round(running, 2),
                threshold=longer_than_hours,
                unit="hours running",
                users_id=entry.users_id,
                project_id=entry.projects_id,
                customers_id=entry.customers_id,
                entry_id=entry.id,
            )
        )
    return alerts


@tool(title="Alerts: what needs attention", toolset="core", read_only=True, destructive=False, idempotent=True)
async def alerts(
    ctx: Context[Any, Any],
    budget_threshold_pct: Annotated[
        float, Field(ge=1, le=1000, description="Budgets with at least this % used.")
    ] = 80.0,
    utilization_below_pct: Annotated[
        float, Field(ge=0, le=1000, description="Employees whose billable utilization is below this %.")
    ] = 60.0,
    utilization_period: Annotated[
        PeriodArg,
        Field(
            description="Period for the utilization check: last_30_days, this_month, last_month, 'YYYY-MM', "
            '{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}, … (as for every period argument).'
        ),
    ] = "last_30_days",
    unbilled_older_than_days: Annotated[
        int, Field(ge=1, le=729, description="Unbilled hours booked more than this many days ago.")
    ] = 60,
    pending_longer_than_days: Annotated[
        int, Field(ge=0, le=3650, description="Absence requests pending longer than this many days.")
    ] = 7,
    timer_longer_than_hours: Annotated[
        float, Field(gt=0, le=1000, description="Timers running longer than this many hours.")
    ] = 10.0,
    kinds: Annotated[
        Annotated[list[AlertKind], Field(max_length=10)] | None,
        Field(description="Only these checks: budget, utilization, unbilled, absence_request, timer (default all)."),
    ] = None,
    min_severity: Annotated[Severity, Field(description="Leave out alerts below this severity.")] = "info",
    page: PageArg = 1,
    limit: LimitArg = 50,
) -> AlertsOut:
    """One list of everything that needs attention, most severe first, each with the ids to follow up.

    Checks (thresholds are arguments with defaults): budgets at least 80% used (critical when exhausted; info when
    only the forecast says they run out within 30 days or before the deadline), billable utilization below 60% over
    the last 30 days (critical below half of that), unbilled hours older than 60 days per project, absence requests
    pending longer than 7 days (critical beyond 14), timers running longer than 10 hours (critical from 24 h).
    Use it for "what needs my attention?" or a morning check; follow up with budget_status, utilization,
    unbilled_aging, absence_queue or get_timer.
    """
    tc = await tool_context(ctx)
    chosen = list(dict.fromkeys(kinds)) if kinds else list(ALL_KINDS)
    period = tc.period(utilization_period) if "utilization" in chosen else None
    found: list[AlertOut] = []

    def check(make: Callable[[], Coroutine[Any, Any, list[AlertOut]]]) -> Callable[[], Coroutine[Any, Any, None]]:
        async def run() -> None:
            found.extend(await make())

        return run

    checks = {
        "budget": lambda: budget_alerts(tc, budget_threshold_pct, DEFAULT_BURN_WINDOW_DAYS),
        "utilization": lambda: utilization_alerts(tc, period, utilization_below_pct) if period else _none(),
        "unbilled": lambda: unbilled_alerts(tc, unbilled_older_than_days),
        "absence_request": lambda: absence_alerts(tc, pending_longer_than_days),
        "timer": lambda: timer_alerts(tc, timer_longer_than_hours),
    }
    await gather(*(check(checks[kind]) for kind in chosen))
    floor = SEVERITY_RANK[min_severity]
    kept = [a for a in found if SEVERITY_RANK[a.severity] <= floor]
    kept.sort(key=lambda a: (SEVERITY_RANK[a.severity], ALL_KINDS.index(a.kind), -(a.value or 0.0), a.message))
    shown, total_pages = paginate(kept, page, limit)
    counts = {s: sum(1 for a in kept if a.severity == s) for s in SEVERITY_RANK}
    by_kind = {k: sum(1 for a in kept if a.kind == k) for k in chosen}
    lead = "; ".join(f"[{a.severity}] {a.message}" for a in shown[:5])
    summary = (
        f"{len(kept)} alert(s): {counts['critical']} critical, {counts['warning']} warning, {counts['info']} info"
        + (f". {lead}" if lead else ". Nothing needs attention.")
        + ("…" if len(shown) > 5 else "")
    )
    note = visibility_note(tc)
    return AlertsOut(
        summary=with_note(summary, note),
        note=note,
        checked=list(chosen),
        thresholds={
            "budget_threshold_pct": budget_threshold_pct,
            "utilization_below_pct": utilization_below_pct,
            "unbilled_older_than_days": unbilled_older_than_days,
            "pending_longer_than_days": pending_longer_than_days,
            "timer_longer_than_hours": timer_longer_than_hours,
            "burn_window_days": DEFAULT_BURN_WINDOW_DAYS,
        },
        utilization_period=PeriodOut.of(period) if period else None,
        counts=counts,
        counts_by_kind=by_kind,
        page=page,
        limit=limit,
        total_alerts=len(kept),
        total_pages=total_pages,
        alerts=shown,
    ).audited_as("ok", count=len(shown))


async def _none() -> list[AlertOut]:
    return []
