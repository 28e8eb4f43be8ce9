"""The alerts tool: one list, by severity, of everything that needs attention."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal

from mcp.server.mcpserver import Context
from pydantic import Field, PrivateAttr

from clockodo_mcp.domain.budgets import DEFAULT_BURN_WINDOW_DAYS, BudgetStatus, Usage, gather
from clockodo_mcp.domain.hours import Scope, hours_report
from clockodo_mcp.domain.people import load_absence_queue, load_utilization, type_name
from clockodo_mcp.domain.periods import Period, local_today
from clockodo_mcp.server.models import Compact, ListOutput, Money, PeriodOut, fmt_money, hours
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools.common import (
    OffsetArg,
    PeriodArg,
    ToolContext,
    limit_field,
    page_of,
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


class AlertOut(Compact):
    """One thing that needs attention (or a line summing up several), with the ids to act on it."""

    kind: AlertKind
    severity: Severity
    message: str
    value: float | None = Field(default=None, description="The measured value, in `unit`.")
    threshold: float | None = Field(default=None, description="The threshold it crossed, in `unit`.")
    unit: str | None = None
    money: Money | None = Field(
        default=None, description="Money at risk: unbilled value, a budget's overrun, a running timer's value."
    )
    grouped: int | None = Field(default=None, description="Set on a line that sums up this many alerts.")
    project_id: int | None = None
    customers_id: int | None = None
    users_id: int | None = None
    absence_id: int | None = None
    entry_id: int | None = None
    # A summing-up line ranks by its largest item, so it follows the alerts of its kind it sums up after.
    _rank_money: float | None = PrivateAttr(default=None)


class AlertsOut(ListOutput):
    """Alert lines, most severe and most money at risk first (paged), with counts over every alert."""

    rows_field: ClassVar[str] = "alerts"
    utilization_period: PeriodOut | None = None
    counts: dict[str, int] = Field(description="Alerts per severity, before grouping, over all pages.")
    counts_by_kind: dict[str, int] = Field(description="Alerts per kind checked, before grouping.")
    alerts: list[AlertOut]
    note: str | None = None


def _overrun(status: BudgetStatus, usage: Usage) -> float:
    """Money booked beyond an exhausted budget (hours over budget valued at the project's blended rate)."""
    if not status.exhausted or status.amount is None:
        return 0.0
    if status.unit == "money":
        return max(0.0, usage.revenue - status.amount)
    booked = usage.seconds / 3600.0
    return max(0.0, booked - status.amount) * (usage.revenue / booked) if booked else 0.0


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
        overrun = _overrun(status, usage)
        money = Money.of(overrun, tc.currency) if overrun > 0 else None
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
                unit="hours",
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
        value = (entry.hourly_rate or 0.0) * running if int(entry.billable) > 0 else 0.0
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
                money=Money.of(value, tc.currency) if value > 0 else None,
                users_id=entry.users_id,
                project_id=entry.projects_id,
                customers_id=entry.customers_id,
                entry_id=entry.id,
            )
        )
    return alerts


FOLLOW_UP: dict[str, str] = {
    "budget": "budget_status(at_risk_only=true)",
    "utilization": "utilization",
    "unbilled": 'unbilled_aging(per="project")',
    "absence_request": "absence_queue",
    "timer": 'get_timer(user="everyone")',
}
NOUNS: dict[str, str] = {
    "budget": "budget(s) at risk",
    "utilization": "under-utilized employee(s)",
    "unbilled": "project(s) with unbilled hours older than {days} days",
    "absence_request": "absence request(s) pending too long",
    "timer": "long-running timer(s)",
}


def _at_risk(alert: AlertOut) -> float:
    return alert.money.amount if alert.money is not None else 0.0


def rank_key(alert: AlertOut) -> tuple[int, float, int, bool, float, str]:
    """Most severe first, then most money at risk, then by check (its summing-up line last), then largest value."""
    money = alert._rank_money if alert._rank_money is not None else _at_risk(alert)
    severity, kind = SEVERITY_RANK[alert.severity], ALL_KINDS.index(alert.kind)
    return (severity, -money, kind, alert.grouped is not None, -(alert.value or 0.0), alert.message)


def grouped(
    alerts: list[AlertOut], *, per_kind: int, below: float, currency: str, unbilled_days: int
) -> list[AlertOut]:
    """Ranked lines: per kind and severity the first `per_kind` alerts worth at least `below`, then one line for
    the rest ("14 more project(s) with unbilled hours …, 1,234.00 EUR in all")."""
    lines: list[AlertOut] = []
    rest: dict[tuple[str, str], list[AlertOut]] = {}
    shown: dict[tuple[str, str], int] = {}
    for alert in sorted(alerts, key=rank_key):
        key = (alert.kind, alert.severity)
        small = alert.money is not None and alert.money.amount < below
        if shown.get(key, 0) < per_kind and not small:
            shown[key] = shown.get(key, 0) + 1
            lines.append(alert)
        else:
            rest.setdefault(key, []).append(alert)
    for (kind, severity), items in rest.items():
        money = sum(_at_risk(a) for a in items)
        noun = NOUNS[kind].format(days=unbilled_days)
        worth = f", {fmt_money(Money.of(money, currency))} in all" if money > 0 else ""
        lead = "more " if shown.get((kind, severity)) else ""
        line = AlertOut(
            kind=items[0].kind,
            severity=items[0].severity,
            message=f"{len(items)} {lead}{noun}{worth} (see {FOLLOW_UP[kind]})",
            unit="hours" if kind == "unbilled" else None,
            value=round(sum(a.value or 0.0 for a in items), 2) if kind == "unbilled" else None,
            money=Money.of(money, currency) if money > 0 else None,
            grouped=len(items),
        )
        line._rank_money = max(_at_risk(a) for a in items)
        lines.append(line)
    return sorted(lines, key=rank_key)


@tool(title="Alerts: what needs attention", toolset="core", read_only=True, destructive=False, idempotent=True)
async def alerts(
    ctx: Context[Any, Any],
    budget_threshold_pct: Annotated[
        float, Field(ge=1, le=1000, description="Budgets with at least this % used.")
    ] = 80.0,
    utilization_below_pct: Annotated[
        float, Field(ge=0, le=1000, description="Employees whose billable utilization is below this %.")
    ] = 60.0,
    utilization_period: Annotated[PeriodArg, Field(description="Period of the utilization check.")] = "last_30_days",
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
        Annotated[list[AlertKind], Field(max_length=10)] | None, Field(description="Only these checks (default all).")
    ] = None,
    min_severity: Annotated[Severity, Field(description="Leave out alerts below this severity.")] = "info",
    per_kind: Annotated[
        int, Field(ge=1, le=1000, description="Alerts listed one by one per kind and severity; the rest are summed up.")
    ] = 5,
    group_below: Annotated[
        float, Field(ge=0, le=1e9, description="Alerts with less money at risk are summed up too (account currency).")
    ] = 500.0,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(100)] = 8,
) -> AlertsOut:
    """Everything that needs attention, most severe and most money at risk first.

    Checks budgets, billable utilization, old unbilled hours, absence requests pending too long and long-running
    timers; small alerts are summed up per kind. Use it for "what needs my attention?".
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
    lines = grouped(
        kept, per_kind=per_kind, below=group_below, currency=tc.currency, unbilled_days=unbilled_older_than_days
    )
    shown, paging = page_of(lines, offset, limit)
    counts = {s: sum(1 for a in kept if a.severity == s) for s in SEVERITY_RANK}
    by_kind = {k: sum(1 for a in kept if a.kind == k) for k in chosen}
    lead = "; ".join(f"[{a.severity}] {a.message}" for a in shown[:3])
    summary = (
        f"{len(kept)} alert(s): {counts['critical']} critical, {counts['warning']} warning, {counts['info']} info ("
        + ", ".join(f"{k} {n}" for k, n in by_kind.items() if n)
        + f"), in {len(lines)} line(s)"
        + (f". {lead}" if lead else ". Nothing needs attention.")
        + ("…" if len(shown) > 3 else "")
        + paging.sentence()
    )
    note = visibility_note(tc)
    return AlertsOut(
        summary=with_note(summary, note),
        note=note,
        utilization_period=PeriodOut.of(period) if period else None,
        counts=counts,
        counts_by_kind=by_kind,
        paging=paging,
        alerts=shown,
    ).audited_as("ok", count=len(shown))


async def _none() -> list[AlertOut]:
    return []
