"""Monitor tools over hours and money: report_hours, unbilled_aging."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from clockodo_mcp.domain.hours import (
    AGE_BUCKETS,
    BillingFilter,
    Bucket,
    Dimension,
    Scope,
    hours_report,
    unbilled_by_age,
)
from clockodo_mcp.domain.periods import Period
from clockodo_mcp.server.models import ListOutput, Money, PeriodOut, fmt_money, hours
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools.common import (
    NameArg,
    OffsetArg,
    PeriodArg,
    ToolContext,
    limit_field,
    page_of,
    tool_context,
    with_note,
)
from clockodo_mcp.server.tools.reporting import (
    HardBudgetsOut,
    RunningOut,
    Visibility,
    describe_hard_budgets,
    describe_running,
    hard_budgets_out,
    running_out,
    visibility_of,
)


class HoursGroup(BaseModel):
    """One group of a report."""

    key: dict[str, str] = Field(description="The group's label per dimension, e.g. {'project': 'Phoenix'}.")
    ids: dict[str, int | None] = Field(description="Clockodo ids per dimension (null for dates), for follow-up calls.")
    hours: float = Field(description="Completed hours (running timers are not in any group).")
    value: Money = Field(description="Clockodo's revenue: time at the entries' rates plus lump sums.")
    blended_rate: Money | None = Field(description="value ÷ the hours that carry a value; null when there are none.")
    hours_by_billing: dict[str, float] = Field(description="Hours split into unbilled / billed / not_billable.")
    hard_budget_hours: float = Field(
        description="Of `hours`, those on projects with an open hard budget: no value until the project is completed."
    )


class HoursReportOut(ListOutput):
    """Grouped hours and value."""

    rows_field: ClassVar[str] = "groups"
    period: PeriodOut
    group_by: list[str]
    billing: str
    total_hours: float = Field(description="All matching completed hours, not only the groups shown.")
    total_value: Money = Field(description="Clockodo's revenue of them (see note).")
    blended_rate: Money | None
    entry_count: int | None = Field(
        description="Matching completed entries; null where Clockodo cannot count them cheaply."
    )
    groups: list[HoursGroup]
    running: RunningOut = Field(description="Running timers in the period and filters: in no group or total.")
    hard_budgets: HardBudgetsOut = Field(description="Hours on open hard budgets, listed apart with the budget.")
    visibility: Visibility
    note: str | None = None


VALUE_NOTE = (
    "Values are Clockodo's revenue (time at the entries' rates plus lump sums; a completed hard budget's revenue "
    "× its revenue factor). Hours on open hard budgets carry no value until the project is completed."
)


def _money_rate(bucket: Bucket, currency: str) -> Money | None:
    valued = bucket.valued_seconds
    return Money.of(bucket.value / (valued / 3600), currency) if valued else None


def _notes(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return " ".join(kept) if kept else None


@tool(title="Report hours and value", toolset="billing", read_only=True, destructive=False, idempotent=True)
async def report_hours(
    period: PeriodArg,
    ctx: Context[Any, Any],
    group_by: Annotated[
        list[Dimension],
        Field(
            min_length=1,
            max_length=2,
            description="One or two of project, customer, user, team, service, month, week, day (outer first).",
        ),
    ] = ["project"],  # noqa: B006  (pydantic copies defaults)
    billing: Annotated[
        BillingFilter,
        Field(description="unbilled (billable, not yet billed), billed, not_billable, billable_any, or all."),
    ] = "all",
    customer: NameArg = None,
    project: NameArg = None,
    user: NameArg = None,
    team: NameArg = None,
    service: NameArg = None,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(100)] = 8,
) -> HoursReportOut:
    """Hours, value, entry count and blended rate, grouped by one or two dimensions, highest value first.

    E.g. "unbilled hours this month and their value" → report_hours(period="this_month", billing="unbilled");
    "top 3 projects by unbilled value" → add limit=3; "Alpha's unbilled hours by employee, last 30 days" →
    report_hours(period="last_30_days", project="Project Alpha", group_by=["user"], billing="unbilled").
    """
    if len(set(group_by)) != len(group_by):
        raise ToolError(f"group_by lists a dimension twice: {group_by}. Use distinct dimensions.")
    tc = await tool_context(ctx)
    resolved = tc.period(period)
    scope = tc.scope(customer=customer, project=project, user=user, team=team, service=service)
    async with anyio.create_task_group() as group:  # the Clockodo requests run concurrently
        counted: list[int | None] = []

        async def count_entries() -> None:
            counted.append(await _entry_count(tc, resolved, billing, scope))

        group.start_soon(count_entries)
        report = await hours_report(
            tc.runtime.client,
            tc.master,
            resolved,
            group_by,
            billing,
            scope,
            tc.timer_source(scope),
            tc.runtime.now(),
        )
    shown, paging = page_of(report.rows, offset, limit)
    currency = tc.currency
    groups = [
        HoursGroup(
            key=row.labels,
            ids=row.ids,
            hours=hours(row.bucket.seconds),
            value=Money.of(row.bucket.value, currency),
            blended_rate=_money_rate(row.bucket, currency),
            hours_by_billing={k: hours(v) for k, v in sorted(row.bucket.by_billing.items())},
            hard_budget_hours=hours(row.bucket.withheld_seconds),
        )
        for row in shown
    ]
    count = counted[0]
    if count is not None:
        count = max(0, count - len(report.running))  # the listing counts running timers; they are not finished
    total_value = Money.of(report.total.value, currency)
    running = running_out(tc, report.running)
    hard = hard_budgets_out(tc, report.open_hard)
    visibility = visibility_of(tc)
    worth = f"worth {fmt_money(total_value)} " if visibility.money_visible else ""
    lead = ", ".join(
        f"{' / '.join(g.key.values())}: {g.hours:g} h" + (f", {fmt_money(g.value)}" if visibility.money_visible else "")
        for g in groups[:3]
    )
    summary = (
        f"{hours(report.total.seconds):g} h {worth}({billing}) in {resolved.describe()}"
        f"{tc.describe_scope(scope)}, in {report.total_groups} group(s) by {' and '.join(group_by)}"
        + (f". Top: {lead}." if lead else ".")
        + paging.sentence()
        + describe_hard_budgets(hard)
        + describe_running(tc, running)
    )
    return HoursReportOut(
        summary=with_note(summary, visibility.note),
        period=PeriodOut.of(resolved),
        group_by=list(group_by),
        billing=billing,
        total_hours=hours(report.total.seconds),
        total_value=total_value,
        blended_rate=_money_rate(report.total, currency),
        entry_count=count,
        groups=groups,
        paging=paging,
        running=running,
        hard_budgets=hard,
        visibility=visibility,
        note=_notes(VALUE_NOTE, running.note, visibility.note),
    ).audited_as("ok", count=len(groups))


async def _entry_count(tc: ToolContext, period: Period, billing: BillingFilter, scope: Scope) -> int | None:
    """One cheap request (a 1-item page) for the number of matching entries; Clockodo can't count per team."""
    if scope.team_id is not None:
        return None
    entry_filter = scope.entry_filter(billing, for_entries=True)
    page = await tc.runtime.client.entries.page(
        period.utc_since, period.utc_until, filter=entry_filter, items_per_page=1
    )
    count: int = page.paging.count_items
    return count


class AgingBucketOut(BaseModel):
    """Unbilled hours and value in one age bucket."""

    hours: float
    value: Money


class AgingRowOut(BaseModel):
    """Unbilled work of one customer or project by age."""

    id: int | None
    name: str
    buckets: dict[str, AgingBucketOut] = Field(description="Keys: 0-30, 31-60, 61-90, over_90 (days old).")
    total_hours: float
    total_value: Money
    oldest_day: str | None


class AgingOut(ListOutput):
    """Unbilled work by age."""

    rows_field: ClassVar[str] = "rows"
    per: str
    as_of: str
    lookback_days: int
    rows: list[AgingRowOut]
    totals: dict[str, AgingBucketOut]
    total_hours: float = Field(description="Completed unbilled hours (running timers are shown apart).")
    total_value: Money = Field(description="Clockodo's revenue of them; open hard budgets add none (see note).")
    running: RunningOut = Field(description="Running unbilled timers: in no bucket or total.")
    hard_budgets: HardBudgetsOut = Field(description="Unbilled hours on open hard budgets, listed apart.")
    visibility: Visibility
    note: str | None = None


@tool(title="Unbilled hours by age", toolset="billing", read_only=True, destructive=False, idempotent=True)
async def unbilled_aging(
    ctx: Context[Any, Any],
    per: Annotated[
        Literal["customer", "project"], Field(description="Group rows by customer or project.")
    ] = "customer",
    customer: NameArg = None,
    project: NameArg = None,
    lookback_days: Annotated[int, Field(ge=30, le=731, description="How far back to look for unbilled work.")] = 730,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(100)] = 6,
) -> AgingOut:
    """Unbilled hours and value per customer or project in age buckets 0–30, 31–60, 61–90, over 90 days.

    Use it for "which unbilled hours are getting old?"; age counts from the day the work was done.
    """
    tc = await tool_context(ctx)
    resolved = tc.period(f"last_{lookback_days}_days")
    scope = tc.scope(customer=customer, project=project)
    report = await unbilled_by_age(
        tc.runtime.client, tc.master, resolved.end, per, scope, resolved, tc.timer_source(scope), tc.runtime.now()
    )
    currency = tc.currency
    totals = {name: Bucket() for name, _, _ in AGE_BUCKETS}
    grand = Bucket()
    out_rows = []
    for row in report.rows:
        for name, bucket in row.buckets.items():
            totals[name].absorb(bucket)
        grand.absorb(row.total)
        out_rows.append(
            AgingRowOut(
                id=row.id,
                name=row.name,
                buckets={
                    k: AgingBucketOut(hours=hours(b.seconds), value=Money.of(b.value, currency))
                    for k, b in row.buckets.items()
                },
                total_hours=hours(row.total.seconds),
                total_value=Money.of(row.total.value, currency),
                oldest_day=row.oldest.isoformat() if row.oldest else None,
            )
        )
    totals_out = {
        k: AgingBucketOut(hours=hours(b.seconds), value=Money.of(b.value, currency)) for k, b in totals.items()
    }
    old = totals_out["over_90"]
    shown, paging = page_of(out_rows, offset, limit)
    running = running_out(tc, report.running)
    hard = hard_budgets_out(tc, report.open_hard)
    visibility = visibility_of(tc)
    if visibility.money_visible:
        summary = (
            f"{hours(grand.seconds):g} h unbilled worth {fmt_money(Money.of(grand.value, currency))} across "
            f"{len(out_rows)} {per}(s); {old.hours:g} h ({fmt_money(old.value)}) are over 90 days old."
        )
    else:
        summary = (
            f"{hours(grand.seconds):g} h unbilled across {len(out_rows)} {per}(s); {old.hours:g} h are over 90 days "
            "old."
        )
    summary += paging.sentence() + describe_hard_budgets(hard) + describe_running(tc, running)
    return AgingOut(
        summary=with_note(summary, visibility.note),
        per=per,
        as_of=resolved.end.isoformat(),
        lookback_days=lookback_days,
        rows=shown,
        paging=paging,
        totals=totals_out,
        total_hours=hours(grand.seconds),
        total_value=Money.of(grand.value, currency),
        running=running,
        hard_budgets=hard,
        visibility=visibility,
        note=_notes(VALUE_NOTE, running.note, visibility.note),
    ).audited_as("ok", count=len(shown))
