"""Parts every report shows the same way: running timers apart, open hard budgets apart, who the figures cover."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field

from clockodo_mcp.domain.hours import Bucket
from clockodo_mcp.domain.views import MAX_TIMERS_SHOWN as MAX_TIMERS_SHOWN
from clockodo_mcp.domain.views import RunningOut as RunningOut
from clockodo_mcp.domain.views import TimerOut as TimerOut
from clockodo_mcp.domain.views import completed_note as completed_note
from clockodo_mcp.domain.views import running_out as running_out
from clockodo_mcp.server.models import Money, hours
from clockodo_mcp.server.tools.common import ToolContext, visibility_note

MAX_HARD_BUDGETS_SHOWN = 10


def describe_running(tc: ToolContext, running: RunningOut) -> str:
    """' Left out: 1 running timer (Tom Becker since 2026-11-30 09:00, 30 h so far).' (empty without timers)."""
    if not running.count:
        return ""
    tz = tc.account.timezone
    who = "; ".join(f"{t.user} since {t.since.astimezone(tz):%Y-%m-%d %H:%M}" for t in running.timers[:3])
    more = f" and {running.count - 3} more" if running.count > 3 else ""
    return (
        f" Not counted: {running.count} running timer(s), {running.elapsed_hours:g} h so far ({who}{more}); "
        "totals cover completed entries only."
    )


class HardBudgetOut(BaseModel):
    """Hours on a project whose hard budget is not completed: Clockodo gives them a value only at completion."""

    project: str
    projects_id: int
    customer: str
    hours: float = Field(description="Hours of this report on the project (they are in the report's hours).")
    budget_unit: Literal["hours", "money"]
    budget_hours: float | None = None
    budget_money: Money | None = None


class HardBudgetsOut(BaseModel):
    """Open hard budgets, listed apart: their hours are counted, but add nothing to the value."""

    hours: float = Field(description="All hours on open hard-budget projects in this report.")
    projects: list[HardBudgetOut] = Field(description=f"Most hours first, at most {MAX_HARD_BUDGETS_SHOWN}.")
    total_projects: int
    note: str | None


HARD_BUDGET_NOTE = (
    "Open hard budgets: Clockodo values their hours only when the project is completed, from the budget. They count "
    "in the hours, not in the value."
)


def hard_budgets_out(tc: ToolContext, open_hard: Mapping[int, Bucket]) -> HardBudgetsOut:
    """The open hard budgets of a report, for the agent."""
    master = tc.master
    rows: list[HardBudgetOut] = []
    for pid, bucket in sorted(open_hard.items(), key=lambda kv: (-kv[1].seconds, kv[0])):
        project = master.projects.get(pid)
        budget = project.budget if project is not None else None
        money = bool(budget and budget.monetary)
        amount = budget.amount if budget is not None else None
        customers_id = project.customers_id if project is not None else 0
        rows.append(
            HardBudgetOut(
                project=master.project_name(pid),
                projects_id=pid,
                customer=master.customer_name(customers_id),
                hours=hours(bucket.seconds),
                budget_unit="money" if money else "hours",
                budget_hours=round(amount, 2) if amount is not None and not money else None,
                budget_money=Money.of(amount, tc.currency) if amount is not None and money else None,
            )
        )
    seconds = sum(b.seconds for b in open_hard.values())
    return HardBudgetsOut(
        hours=hours(seconds),
        projects=rows[:MAX_HARD_BUDGETS_SHOWN],
        total_projects=len(rows),
        note=HARD_BUDGET_NOTE if rows else None,
    )


def describe_hard_budgets(out: HardBudgetsOut) -> str:
    """' 12.5 h of them are on open hard budgets (Website Redesign), valued by Clockodo only at completion.'"""
    if not out.projects:
        return ""
    names = ", ".join(p.project for p in out.projects[:3]) + ("…" if out.total_projects > 3 else "")
    return (
        f" {out.hours:g} h of them are on open hard-budget projects ({names}): no value until Clockodo completes them."
    )


class Visibility(BaseModel):
    """Whom the figures cover and whether money is shown: Clockodo narrows both for workers."""

    covers: Literal["company", "own_entries"] = Field(
        description="company: every employee's entries; own_entries: only the signed-in worker's."
    )
    money_visible: bool = Field(description="False: Clockodo hides rates and revenue, so values read 0.")
    note: str | None = None


def visibility_of(tc: ToolContext) -> Visibility:
    """What the signed-in user's figures cover (the worker note when they are narrowed)."""
    note = visibility_note(tc)
    if note is None:
        return Visibility(covers="company", money_visible=True)
    return Visibility(covers="own_entries", money_visible=False, note=note)
