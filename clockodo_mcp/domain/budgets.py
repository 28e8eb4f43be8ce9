"""Project budgets: how much is used, how fast it burns, when it runs out, and which projects are at risk."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from clockodo_mcp.clockodo import ClockodoClient, Entry, EntryGroup, Grouping, Project
from clockodo_mcp.domain.groups import Leaf, leaves, without_running
from clockodo_mcp.domain.periods import LAST_DAY, local_midnight_utc
from clockodo_mcp.domain.running import Timers, TimerSource, timers_for
from clockodo_mcp.domain.tasks import gather as gather

BudgetUnit = Literal["hours", "money"]
BudgetSource = Literal["own", "subprojects", "interval"]

LIFETIME_YEARS_BACK = 10
DEFAULT_BURN_WINDOW_DAYS = 28
DEFAULT_RISK_PCT = 80.0
DEFAULT_HORIZON_DAYS = 30
INTERVAL_NAMES = {0: "week", 1: "month", 2: "quarter", 3: "year"}


@dataclass(frozen=True, slots=True)
class Usage:
    """Hours (seconds) and revenue booked on one project."""

    seconds: int = 0
    revenue: float = 0.0

    def of(self, unit: BudgetUnit) -> float:
        """In the budget's unit: decimal hours or money."""
        return self.revenue if unit == "money" else self.seconds / 3600.0


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """One project's budget as measured against its bookings; amounts are in `unit` (hours or money)."""

    project_id: int
    unit: BudgetUnit
    hard: bool
    source: BudgetSource
    amount: float | None
    used: float
    remaining: float | None
    pct_used: float | None
    exhausted: bool
    burn_per_day: float | None
    forecast_exhaustion: date | None
    thresholds: tuple[int, ...]
    breached: tuple[int, ...]
    at_risk: bool
    risk_reasons: tuple[str, ...]
    note: str | None = None


def _source(project: Project) -> BudgetSource:
    budget = project.budget
    if budget is not None and budget.from_subprojects:
        return "subprojects"
    if budget is not None and budget.interval is not None:
        return "interval"
    return "own"


def has_budget(project: Project) -> bool:
    """Whether a project has a budget of any kind."""
    budget = project.budget
    if budget is None:
        return False
    return bool(budget.amount) or budget.from_subprojects or bool(budget.subprojects_budget_total)


def forecast_exhaustion(remaining: float, burn_per_day: float, today: date) -> date | None:
    """today + remaining ÷ daily burn (whole days, rounded down); None when nothing burns or nothing remains,
    or when that day lies past the years Clockodo accepts (a huge budget with a trickle of burn)."""
    if burn_per_day <= 0 or remaining <= 0:
        return None
    days = remaining / burn_per_day
    if days > (LAST_DAY - today).days:  # also keeps `today + days` from overflowing the date type
        return None
    return today + timedelta(days=math.floor(days))


def assess(
    project: Project,
    lifetime: Usage,
    window: Usage | None,
    *,
    today: date,
    window_days: int = DEFAULT_BURN_WINDOW_DAYS,
    risk_pct: float = DEFAULT_RISK_PCT,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> BudgetStatus | None:
    """A project's budget status from its lifetime usage and its usage in the trailing window (None: no budget)."""
    budget = project.budget
    if budget is None or not has_budget(project):
        return None
    unit: BudgetUnit = "money" if budget.monetary else "hours"
    source = _source(project)
    used = lifetime.of(unit)
    amount = budget.amount
    note: str | None = None
    if source == "subprojects":
        amount = budget.amount or budget.subprojects_budget_total
        note = (
            "The budget is the sum of the subproject budgets; usage is the whole project's, "
            "so a single subproject may be over its own budget even when the total is not."
        )
    burn = window.of(unit) / window_days if window is not None and window_days > 0 else None

    def unassessed(amount: float | None, note: str) -> BudgetStatus:
        """Usage and burn only: no %, thresholds or forecast can be computed."""
        return BudgetStatus(
            project_id=project.id,
            unit=unit,
            hard=budget.hard,
            source=source,
            amount=amount,
            used=used,
            remaining=None,
            pct_used=None,
            exhausted=False,
            burn_per_day=burn,
            forecast_exhaustion=None,
            thresholds=tuple(budget.notification_thresholds),
            breached=(),
            at_risk=False,
            risk_reasons=(),
            note=note,
        )

    if source == "interval":
        every = INTERVAL_NAMES.get(int(budget.interval or 0), "interval")
        note = (
            f"A recurring budget of {amount:g} {'money' if unit == 'money' else 'hours'} per {every} "
            "(Clockodo tracks each interval as its own subproject); usage shown is the project's whole life, so "
            "% used, thresholds and the exhaustion forecast are not computed."
        )
        return unassessed(amount, note)
    if not amount:
        return unassessed(None, note or "The budget amount is not set.")
    pct = used / amount * 100.0
    remaining = amount - used
    exhausted = used >= amount
    forecast = None if exhausted or burn is None else forecast_exhaustion(remaining, burn, today)
    thresholds = tuple(sorted(budget.notification_thresholds))
    breached = tuple(t for t in thresholds if pct >= t)
    reasons: list[str] = []
    if exhausted:
        reasons.append(f"budget exhausted ({pct:.0f}% used)")
    elif pct >= risk_pct:
        reasons.append(f"{pct:.0f}% used (≥ {risk_pct:g}%)")
    if forecast is not None:
        if project.deadline is not None and forecast < project.deadline:
            reasons.append(f"forecast to run out on {forecast.isoformat()}, before the deadline {project.deadline}")
        elif forecast <= today + timedelta(days=horizon_days):
            reasons.append(f"forecast to run out on {forecast.isoformat()}, within {horizon_days} days")
    return BudgetStatus(
        project_id=project.id,
        unit=unit,
        hard=budget.hard,
        source=source,
        amount=amount,
        used=used,
        remaining=remaining,
        pct_used=pct,
        exhausted=exhausted,
        burn_per_day=burn,
        forecast_exhaustion=forecast,
        thresholds=thresholds,
        breached=breached,
        at_risk=bool(reasons),
        risk_reasons=tuple(reasons),
        note=note,
    )


def usage_by_project(groups: Sequence[EntryGroup]) -> dict[int, Usage]:
    """Seconds and revenue per project id from an entry-group tree whose first level is `projects_id`."""
    return usage_of_leaves(leaves(groups))


def usage_of_leaves(found: Iterable[Leaf]) -> dict[int, Usage]:
    """Seconds and revenue per project id from entry-group leaves keyed by `projects_id`."""
    totals: dict[int, Usage] = {}
    for leaf in found:
        raw = leaf.keys.get(Grouping.PROJECTS_ID.value, "")
        if not raw.isdigit() or int(raw) == 0:
            continue
        before = totals.get(int(raw), Usage())
        totals[int(raw)] = Usage(before.seconds + leaf.seconds, before.revenue + leaf.revenue)
    return totals


def lifetime_since(projects: Iterable[Project], today: date) -> date:
    """The earliest project start (or ten years back when a project has none): the lifetime usage window."""
    fallback = today - timedelta(days=round(365.25 * LIFETIME_YEARS_BACK))
    starts = [p.start_date if p.start_date is not None else fallback for p in projects]
    return min(starts, default=fallback)


async def project_groups(client: ClockodoClient, since: datetime, until: datetime) -> list[EntryGroup]:
    """Hours and revenue per project in [since, until), open hard budgets included: one entry-group request.

    Budgets are measured by what was booked at the rates (that is what uses them up), so this is the one place
    that asks Clockodo to compute revenue for open hard budgets too.
    """
    return await client.entry_groups.get(
        since,
        until,
        grouping=[Grouping.PROJECTS_ID],
        calc_also_revenues_for_projects_with_hard_budget=True,
    )


def completed_usage(
    groups: Sequence[EntryGroup], since: datetime, until: datetime, timers: Timers | None, tz: ZoneInfo
) -> tuple[dict[int, Usage], tuple[Entry, ...]]:
    """Usage per project without the running timers the request counted (returned apart)."""
    running = timers.matching(since, until) if timers is not None else ()
    found = list(leaves(groups))
    if running and timers is not None:
        found = without_running(found, running, timers.now, tz)
    return usage_of_leaves(found), running


@dataclass(frozen=True, slots=True)
class BudgetUsage:
    """Usage of every project over its life and over the trailing burn window (running timers left out)."""

    lifetime: dict[int, Usage]
    window: dict[int, Usage]
    window_days: int
    lifetime_since: date
    has_window: bool = True
    running: tuple[Entry, ...] = ()


async def load_budget_usage(
    client: ClockodoClient,
    projects: Sequence[Project],
    *,
    now: datetime,
    tz: ZoneInfo,
    window_days: int = DEFAULT_BURN_WINDOW_DAYS,
    with_window: bool = True,
    timers: TimerSource | None = None,
) -> BudgetUsage:
    """Two entry-group requests (lifetime, burn window) and the running timers, concurrently, for any projects."""
    today = now.astimezone(tz).date()
    since = lifetime_since(projects, today)
    lifetime_from = local_midnight_utc(since, tz)
    window_from = now - timedelta(days=window_days)
    groups: dict[str, list[EntryGroup]] = {"lifetime": [], "window": []}
    found: list[Timers] = []

    async def lifetime() -> None:
        groups["lifetime"] = await project_groups(client, lifetime_from, now)

    async def window() -> None:
        groups["window"] = await project_groups(client, window_from, now)

    async def lookup() -> None:
        got = await timers_for(timers, lifetime_from, now, now)
        if got is not None:
            found.append(got)

    await gather(lifetime, lookup, *([window] if with_window else []))
    running_timers = found[0] if found else None
    used, running = completed_usage(groups["lifetime"], lifetime_from, now, running_timers, tz)
    burned, _ = completed_usage(groups["window"], window_from, now, running_timers, tz)
    return BudgetUsage(used, burned, window_days, since, with_window, running)


def budget_statuses(
    projects: Iterable[Project],
    usage: BudgetUsage,
    *,
    today: date,
    risk_pct: float = DEFAULT_RISK_PCT,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> list[BudgetStatus]:
    """The status of every budgeted project, most used first."""
    statuses = []
    for project in projects:
        status = assess(
            project,
            usage.lifetime.get(project.id, Usage()),
            usage.window.get(project.id, Usage()) if usage.has_window else None,
            today=today,
            window_days=usage.window_days,
            risk_pct=risk_pct,
            horizon_days=horizon_days,
        )
        if status is not None:
            statuses.append(status)
    return sorted(statuses, key=lambda s: (-(s.pct_used if s.pct_used is not None else -1.0), s.project_id))
