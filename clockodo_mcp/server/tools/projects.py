"""Project tools: list_projects, budget_status."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from clockodo_mcp.clockodo import Entry, Project
from clockodo_mcp.domain.budgets import (
    DEFAULT_BURN_WINDOW_DAYS,
    DEFAULT_RISK_PCT,
    BudgetStatus,
    Usage,
    assess,
    budget_statuses,
    has_budget,
    load_budget_usage,
)
from clockodo_mcp.domain.periods import local_today
from clockodo_mcp.server.models import Compact, ListOutput, Money, fmt_money, hours
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools.common import (
    NameArg,
    OffsetArg,
    ToolContext,
    limit_field,
    page_of,
    tool_context,
    visibility_note,
    with_note,
)
from clockodo_mcp.server.tools.reporting import RunningOut, Visibility, describe_running, running_out, visibility_of
from clockodo_mcp.server.tools.warehouse import MirrorOut, mirror_out
from clockodo_mcp.store.base import ChangeStatus
from clockodo_mcp.sync.history import BurnHistory, pct_used_on, read_burn_history, staleness
from clockodo_mcp.sync.targets import TargetError

logger = logging.getLogger("clockodo_mcp")
HISTORY_DAYS = (7, 30, 90)  # the past days budget_status shows the % used on, from the mirror
# Changes that may have reached Clockodo; the newest 200 by creation cover any written after a sync in practice.
_WRITTEN: tuple[ChangeStatus, ...] = ("applied", "unknown", "applying")
_RECENT_WRITES = 200


def pct(value: float | None) -> float | None:
    """A percentage rounded to one place for display."""
    return None if value is None else round(value, 1)


class BudgetOut(Compact):
    """A project budget and how much of it is used. Hours budgets fill the *_hours fields, money budgets *_money."""

    unit: Literal["hours", "money"]
    hard: bool = Field(description="True: a hard (fixed) budget; false: a soft target.")
    source: Literal["own", "subprojects", "interval"] = Field(
        description="own budget, the sum of subproject budgets, or a recurring (retainer) budget per interval."
    )
    amount_hours: float | None = None
    amount_money: Money | None = None
    used_hours: float = Field(
        description="Completed hours booked on the project over its life (always filled; running timers not counted)."
    )
    used_money: Money = Field(
        description="Work booked at the entries' rates plus lump sums, open hard budgets included: what uses the "
        "budget up (always filled)."
    )
    remaining_hours: float | None = None
    remaining_money: Money | None = None
    pct_used: float | None = Field(description="Used ÷ amount × 100 in the budget's unit.")
    exhausted: bool
    notification_thresholds: list[int] = Field(description="Percentages at which Clockodo notifies.")
    breached_thresholds: list[int] = Field(description="Thresholds already reached.")
    note: str | None = None


def budget_out(status: BudgetStatus, usage: Usage, currency: str) -> BudgetOut:
    """A domain budget status as output."""
    money = status.unit == "money"

    def in_money(value: float | None) -> Money | None:
        return Money.of(value, currency) if money and value is not None else None

    def in_hours(value: float | None) -> float | None:
        return round(value, 2) if not money and value is not None else None

    return BudgetOut(
        unit=status.unit,
        hard=status.hard,
        source=status.source,
        amount_hours=in_hours(status.amount),
        amount_money=in_money(status.amount),
        used_hours=hours(usage.seconds),
        used_money=Money.of(usage.revenue, currency),
        remaining_hours=in_hours(status.remaining),
        remaining_money=in_money(status.remaining),
        pct_used=pct(status.pct_used),
        exhausted=status.exhausted,
        notification_thresholds=list(status.thresholds),
        breached_thresholds=list(status.breached),
        note=status.note,
    )


def fmt_budget(budget: BudgetOut) -> str:
    """'84.5 of 100 h (84.5%)' or '9,300.00 of 10,000.00 EUR (93%)'."""
    share = f" ({budget.pct_used:g}%)" if budget.pct_used is not None else ""
    if budget.unit == "money":
        total = fmt_money(budget.amount_money) if budget.amount_money else "?"
        return f"{budget.used_money.amount:,.2f} of {total}{share}"
    total_hours = f"{budget.amount_hours:g}" if budget.amount_hours is not None else "?"
    return f"{budget.used_hours:g} of {total_hours} h{share}"


class ProjectOut(Compact):
    """A project with its customer, state and budget."""

    id: int
    name: str
    number: str | None = None
    customer: str
    customers_id: int
    active: bool = Field(description="False means archived.")
    completed: bool
    completed_at: datetime | None = None
    start_date: date | None = None
    deadline: date | None = None
    booked_hours: float = Field(description="Hours booked over the project's life.")
    budget: BudgetOut | None = Field(default=None, description="Absent when the project has no budget.")


class ProjectsOut(ListOutput):
    """A page of projects plus totals over every matching project."""

    rows_field: ClassVar[str] = "projects"
    budgeted_projects: int = Field(description="Matching projects that have a budget.")
    projects: list[ProjectOut]
    note: str | None = None


def _matches(
    project: Project, customer_id: int | None, active: str, completed: bool | None, budgeted_only: bool
) -> bool:
    if customer_id is not None and project.customers_id != customer_id:
        return False
    if active != "all" and project.active != (active == "active"):
        return False
    if completed is not None and project.completed != completed:
        return False
    return not budgeted_only or has_budget(project)


@tool(title="List projects", toolset="projects", read_only=True, destructive=False, idempotent=True)
async def list_projects(
    ctx: Context[Any, Any],
    customer: NameArg = None,
    active: Annotated[
        Literal["active", "archived", "all"], Field(description="Active projects (default), archived ones, or all.")
    ] = "active",
    completed: Annotated[bool | None, Field(description="true: only completed; false: only open; omit: both.")] = None,
    budgeted_only: Annotated[bool, Field(description="Only projects that have a budget.")] = False,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(100)] = 8,
) -> ProjectsOut:
    """List projects by customer and name, with completion, hours booked and budget (amount, used, %).

    E.g. list_projects(customer="Acme Corp"); for burn rates and risk use budget_status.
    """
    tc = await tool_context(ctx)
    customer_id = tc.master.resolve("customer", customer).id if customer is not None else None
    matching = [p for p in tc.master.projects.values() if _matches(p, customer_id, active, completed, budgeted_only)]
    matching.sort(key=lambda p: (tc.master.customer_name(p.customers_id).lower(), p.name.lower(), p.id))
    shown, paging = page_of(matching, offset, limit)
    now = tc.runtime.now()
    today = local_today(now, tc.account.timezone)
    usage = (
        await load_budget_usage(
            tc.runtime.client, shown, now=now, tz=tc.account.timezone, with_window=False, timers=tc.timer_source()
        )
        if shown
        else None
    )
    rows = []
    for project in shown:
        used = usage.lifetime.get(project.id, Usage()) if usage else Usage()
        status = assess(project, used, None, today=today)
        rows.append(
            ProjectOut(
                id=project.id,
                name=project.name,
                number=project.number,
                customer=tc.master.customer_name(project.customers_id),
                customers_id=project.customers_id,
                active=project.active,
                completed=project.completed,
                completed_at=project.completed_at,
                start_date=project.start_date,
                deadline=project.deadline,
                booked_hours=hours(used.seconds),
                budget=budget_out(status, used, tc.currency) if status else None,
            )
        )
    budgeted = sum(1 for p in matching if has_budget(p))
    scope = f" of customer {tc.master.customer_name(customer_id)}" if customer_id is not None else ""
    lead = "; ".join(
        f"{r.name} ({r.customer}" + (f", budget {fmt_budget(r.budget)}" if r.budget else "") + ")" for r in rows[:3]
    )
    summary = (
        f"{len(matching)} {'' if active == 'all' else active + ' '}project(s){scope}"
        + f", {budgeted} with a budget"
        + (f": {lead}" if lead else "")
        + ("…" if len(rows) > 3 else ".")
        + paging.sentence()
    )
    note = visibility_note(tc)
    return ProjectsOut(
        summary=with_note(summary, note),
        note=note,
        paging=paging,
        budgeted_projects=budgeted,
        projects=rows,
    ).audited_as("ok", count=len(rows))


class BudgetStatusRow(Compact):
    """One budgeted project: usage, burn rate, forecast and risk."""

    project_id: int
    project: str
    customer: str
    customers_id: int
    completed: bool
    deadline: date | None
    budget: BudgetOut
    burn_per_day_hours: float | None = Field(description="Hours budgets: hours booked per day over the window.")
    burn_per_day_money: Money | None = Field(description="Money budgets: value booked per day over the window.")
    forecast_exhaustion: date | None = Field(
        description="today + remaining ÷ daily burn; null when nothing burns or the budget is already exhausted."
    )
    at_risk: bool
    risk_reasons: list[str]
    pct_used_days_ago: dict[str, float] | None = Field(
        default=None,
        description=f"From the mirror: % used N days ago, keyed by N (about {', '.join(map(str, HISTORY_DAYS))}).",
    )


class BudgetStatusOut(ListOutput):
    """Budget status of every matching budgeted project (paged), with totals."""

    rows_field: ClassVar[str] = "projects"
    as_of: date
    burn_window_days: int
    risk_pct: float
    at_risk_projects: int = Field(description="Of all budgeted projects considered, how many are at risk.")
    exhausted_projects: int
    projects: list[BudgetStatusRow]
    running: RunningOut = Field(description="Running timers on these projects: not in any used or burn figure.")
    visibility: Visibility
    mirror: MirrorOut | None = Field(default=None, description="Source of pct_used_days_ago, if fresh.")
    note: str | None = None


@dataclass(slots=True)
class BurnHistoryOut:
    """Burn history for some rows: the mirror it came from, each project's points, or why there is none."""

    mirror: MirrorOut | None = None
    points: dict[int, dict[str, float]] = field(default_factory=dict)
    note: str | None = None


async def burn_history(
    tc: ToolContext, shown: list[tuple[Project, BudgetStatus, Usage]], today: date
) -> BurnHistoryOut:
    """The % used on HISTORY_DAYS past days from a fresh mirror; never an error: a stale or unreadable mirror is a
    note, and the live figures stand alone."""
    url = tc.runtime.config.mirror_url
    rated = [(p, s) for p, s, _ in shown if s.pct_used is not None]
    if not url or not rated:
        return BurnHistoryOut()
    days = [today - timedelta(days=n) for n in HISTORY_DAYS]
    store = tc.runtime.store

    def read() -> tuple[BurnHistory, datetime | None]:
        history = read_burn_history(url, [p.id for p, _ in rated], days)
        written = store.list_changes(limit=_RECENT_WRITES, statuses=_WRITTEN)
        return history, max((c.updated_at for c in written), default=None)

    try:
        history, last_write = await anyio.to_thread.run_sync(read)
    except Exception as error:  # the mirror is extra: whatever is wrong with it, the live answer stands
        logger.warning(
            "Burn history from the mirror unavailable: %s", error, exc_info=not isinstance(error, TargetError)
        )
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        return BurnHistoryOut(note=f"Burn history unavailable: the mirror could not be read ({reason}).")
    now = tc.runtime.now()
    stale = staleness(
        history.last_sync, now, max_age_minutes=tc.runtime.config.mirror_max_age_minutes, last_write=last_write
    )
    if stale is not None:
        return BurnHistoryOut(note=f"Burn history omitted: {stale}; run clockodo-mcp sync.")
    mirror = mirror_out(history.location, history.last_sync, now)  # a mirror that never synced is stale
    points = {
        p.id: {str((today - day).days): round(v, 1) for day, v in sorted(found.items(), reverse=True)}
        for p, s in rated
        if (found := pct_used_on(history, p.id, monetary=s.unit == "money", used_now=s.used))
    }
    return BurnHistoryOut(mirror=mirror, points=points)


def _status_row(tc: ToolContext, project: Project, status: BudgetStatus, used: Usage) -> BudgetStatusRow:
    money = status.unit == "money"
    burn = status.burn_per_day
    return BudgetStatusRow(
        project_id=project.id,
        project=project.name,
        customer=tc.master.customer_name(project.customers_id),
        customers_id=project.customers_id,
        completed=project.completed,
        deadline=project.deadline,
        budget=budget_out(status, used, tc.currency),
        burn_per_day_hours=round(burn, 2) if burn is not None and not money else None,
        burn_per_day_money=Money.of(burn, tc.currency) if burn is not None and money else None,
        forecast_exhaustion=status.forecast_exhaustion,
        at_risk=status.at_risk,
        risk_reasons=list(status.risk_reasons),
    )


async def assess_budgets(
    tc: ToolContext,
    projects: list[Project],
    *,
    burn_window_days: int,
    risk_pct: float,
    left_out: list[Entry] | None = None,
) -> tuple[list[tuple[Project, BudgetStatus, Usage]], date]:
    """Budget status of the given projects (two entry-group requests however many projects).

    Usage is completed work only; the running timers on the projects are appended to `left_out` when given.
    """
    now = tc.runtime.now()
    today = local_today(now, tc.account.timezone)
    budgeted = [p for p in projects if has_budget(p)]
    if not budgeted:
        return [], today
    usage = await load_budget_usage(
        tc.runtime.client,
        budgeted,
        now=now,
        tz=tc.account.timezone,
        window_days=burn_window_days,
        timers=tc.timer_source(),
    )
    by_id = {p.id: p for p in budgeted}
    if left_out is not None:
        left_out.extend(e for e in usage.running if e.projects_id in by_id)
    statuses = budget_statuses(budgeted, usage, today=today, risk_pct=risk_pct)
    return [(by_id[s.project_id], s, usage.lifetime.get(s.project_id, Usage())) for s in statuses], today


@tool(title="Budget status and burn", toolset="projects", read_only=True, destructive=False, idempotent=True)
async def budget_status(
    ctx: Context[Any, Any],
    project: NameArg = None,
    customer: NameArg = None,
    at_risk_only: Annotated[bool, Field(description="Only projects at risk (see risk_pct and the forecast).")] = False,
    risk_pct: Annotated[
        float, Field(ge=1, le=1000, description="A project is at risk from this % of its budget used.")
    ] = DEFAULT_RISK_PCT,
    burn_window_days: Annotated[
        int, Field(ge=1, le=365, description="Trailing days the burn rate is measured over.")
    ] = DEFAULT_BURN_WINDOW_DAYS,
    include_completed: Annotated[bool, Field(description="Also completed and archived projects.")] = False,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(100)] = 8,
) -> BudgetStatusOut:
    """Budgeted projects by % used: used, remaining, burn rate, forecast exhaustion date and risk.

    At risk: ≥ risk_pct used, or forecast to run out before the deadline or within 30 days. E.g. "which projects are
    about to blow their budget?" → budget_status(at_risk_only=true). With a fresh mirror, also the % used weeks ago.
    """
    tc = await tool_context(ctx)
    project_id = tc.master.resolve("project", project).id if project is not None else None
    customer_id = tc.master.resolve("customer", customer).id if customer is not None else None
    candidates = [
        p
        for p in tc.master.projects.values()
        if (project_id is None or p.id == project_id)
        and (customer_id is None or p.customers_id == customer_id)
        and (include_completed or project_id is not None or (p.active and not p.completed))
    ]
    if project_id is not None and not any(has_budget(p) for p in candidates):
        raise ToolError(
            f"Project {tc.master.project_name(project_id)} (id {project_id}) has no budget. Use list_projects to see "
            "which projects have one."
        )
    left_out: list[Entry] = []
    assessed, today = await assess_budgets(
        tc, candidates, burn_window_days=burn_window_days, risk_pct=risk_pct, left_out=left_out
    )
    at_risk = sum(1 for _, s, _ in assessed if s.at_risk)
    exhausted = sum(1 for _, s, _ in assessed if s.exhausted)
    selected = [a for a in assessed if a[1].at_risk] if at_risk_only else assessed
    shown, paging = page_of(selected, offset, limit)
    history = await burn_history(tc, shown, today)
    rows = [_status_row(tc, p, s, u) for p, s, u in shown]
    for row in rows:
        row.pct_used_days_ago = history.points.get(row.project_id)
    lead = "; ".join(
        f"{r.project}: {fmt_budget(r.budget)}"
        + (f", runs out {r.forecast_exhaustion.isoformat()}" if r.forecast_exhaustion else "")
        for r in rows[:5]
    )
    synced = (
        f" Burn history from the mirror synced {history.mirror.age_minutes} min ago (pct_used_days_ago)."
        if history.mirror
        else ""
    )
    summary = (
        f"{len(assessed)} budgeted project(s): {at_risk} at risk, {exhausted} exhausted "
        f"(risk from {risk_pct:g}% used or a forecast within 30 days / before the deadline; burn over the last "
        f"{burn_window_days} days)" + (f". {lead}." if lead else ".") + synced + paging.sentence()
    )
    running = running_out(tc, left_out)
    visibility = visibility_of(tc)
    notes = " ".join(n for n in (running.note, visibility.note, history.note) if n) or None
    return BudgetStatusOut(
        summary=with_note(
            summary + describe_running(tc, running), " ".join(n for n in (visibility.note, history.note) if n) or None
        ),
        note=notes,
        mirror=history.mirror,
        running=running,
        visibility=visibility,
        as_of=today,
        burn_window_days=burn_window_days,
        risk_pct=risk_pct,
        paging=paging,
        at_risk_projects=at_risk,
        exhausted_projects=exhausted,
        projects=rows,
    ).audited_as("ok", count=len(rows))
