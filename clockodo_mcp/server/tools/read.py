"""Read tools: lookup, list_entries, get_timer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from clockodo_mcp.clockodo import Entry, EntryType, Grouping
from clockodo_mcp.domain.hours import BILLING_NAMES, BillingFilter, leaves
from clockodo_mcp.domain.masterdata import MasterData
from clockodo_mcp.domain.names import Kind, rank
from clockodo_mcp.server.models import Money, PeriodOut, ToolOutput, fmt_money, hours
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools.common import (
    NameArg,
    NameText,
    NameValue,
    PeriodArg,
    SearchText,
    ToolContext,
    paginate,
    tool_context,
)

LOOKUP_KINDS: tuple[Kind, ...] = ("customer", "project", "service", "user", "team")


class LookupMatch(BaseModel):
    """One candidate for a name."""

    kind: str
    id: int
    name: str
    score: float = Field(description="1.0 exact, 0.9 word-prefix match, lower for fuzzy matches.")
    active: bool = Field(description="False means archived.")
    context: str | None = None


class LookupOut(ToolOutput):
    """Candidates for a name, best first."""

    query: str
    matches: list[LookupMatch]


@tool(title="Look up names", toolset="core", read_only=True, destructive=False, idempotent=True)
async def lookup(
    query: Annotated[NameText, Field(description="A name or part of one, e.g. 'phoenix'.")],
    ctx: Context[Any, Any],
    kinds: Annotated[
        Annotated[list[Literal["customer", "project", "service", "user", "team"]], Field(max_length=5)] | None,
        Field(description="Restrict to these kinds; default all."),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=50)] = 10,
) -> LookupOut:
    """Find customers, projects, services, users and teams by name (fuzzy) and get their ids.

    Every candidate comes with a score and whether it is archived. Use it when a name is unclear or another tool
    said a name is ambiguous or unknown, e.g. lookup("sarah") → Sarah Chen (user 5), Sarah Miller (user 6).
    """
    tc = await tool_context(ctx)
    wanted: list[Kind] = list(kinds) if kinds else list(LOOKUP_KINDS)
    ranked = []
    for kind in wanted:
        ranked.extend(rank(query, tc.master.candidates(kind)))
    ranked.sort(key=lambda s: (-s.score, not s.candidate.active, s.candidate.kind, s.candidate.name))
    matches = [
        LookupMatch(
            kind=s.candidate.kind,
            id=s.candidate.id,
            name=s.candidate.name,
            score=round(s.score, 3),
            active=s.candidate.active,
            context=s.candidate.context,
        )
        for s in ranked
        if s.score >= 0.5
    ][:limit]
    summary = (
        f"{len(matches)} match(es) for '{query}': " + "; ".join(f"{m.name} ({m.kind} {m.id})" for m in matches[:5])
        if matches
        else f"Nothing matches '{query}'. Try a shorter part of the name."
    )
    return LookupOut(summary=summary, query=query, matches=matches).audited_as("ok", count=len(matches))


class EntryOut(BaseModel):
    """One entry with names resolved."""

    id: int
    type: Literal["time", "lump_sum_value", "lump_sum_service"]
    date: str = Field(description="Day in the account time zone.")
    time_since: datetime
    time_until: datetime | None
    running: bool
    hours: float
    user: str
    users_id: int
    customer: str
    customers_id: int
    project: str | None
    projects_id: int | None
    service: str | None
    services_id: int | None
    billing: str = Field(description="not_billable, unbilled or billed.")
    text: str | None
    hourly_rate: float | None
    value: Money | None


class EntriesOut(ToolOutput):
    """A page of entries plus totals over ALL matching entries."""

    period: PeriodOut
    page: int
    limit: int
    total_entries: int
    total_pages: int
    entries: list[EntryOut]
    total_hours: float = Field(description="Over all matching entries, not only this page.")
    total_value: Money
    hours_by_billing: dict[str, float]
    running_entries: int = Field(description="Running entries on this page.")


_TYPE_NAMES: dict[EntryType, Literal["time", "lump_sum_value", "lump_sum_service"]] = {
    EntryType.TIME: "time",
    EntryType.LUMP_SUM_VALUE: "lump_sum_value",
    EntryType.LUMP_SUM_SERVICE: "lump_sum_service",
}


def entry_out(entry: Entry, tc: ToolContext, now: datetime) -> EntryOut:
    """An entry for the agent: names, hours (running ones up to now), money."""
    master: MasterData = tc.master
    running = entry.time_until is None and entry.type == EntryType.TIME
    seconds = entry.duration if entry.duration is not None else 0
    if running:
        seconds = max(0, int((now - entry.time_since).total_seconds()))
    value = None
    if entry.revenue is not None:
        value = Money.of(entry.revenue, tc.currency)
    elif entry.hourly_rate is not None and entry.type == EntryType.TIME and int(entry.billable) > 0:
        value = Money.of(entry.hourly_rate * seconds / 3600, tc.currency)
    return EntryOut(
        id=entry.id,
        type=_TYPE_NAMES.get(entry.type, "time"),
        date=entry.time_since.astimezone(tc.account.timezone).date().isoformat(),
        time_since=entry.time_since,
        time_until=entry.time_until,
        running=running,
        hours=hours(seconds),
        user=master.user_name(entry.users_id),
        users_id=entry.users_id,
        customer=master.customer_name(entry.customers_id),
        customers_id=entry.customers_id,
        project=master.project_name(entry.projects_id) if entry.projects_id else None,
        projects_id=entry.projects_id,
        service=master.service_name(entry.services_id) if entry.services_id else None,
        services_id=entry.services_id,
        billing=BILLING_NAMES.get(int(entry.billable), "unknown"),
        text=entry.text,
        hourly_rate=entry.hourly_rate,
        value=value,
    )


@tool(title="List time entries", toolset="time", read_only=True, destructive=False, idempotent=True)
async def list_entries(
    period: PeriodArg,
    ctx: Context[Any, Any],
    user: NameArg = None,
    team: NameArg = None,
    customer: NameArg = None,
    project: NameArg = None,
    service: NameArg = None,
    billing: Annotated[
        BillingFilter, Field(description="unbilled, billed, not_billable, billable_any or all.")
    ] = "all",
    text: Annotated[SearchText | None, Field(description="Only entries whose description contains this.")] = None,
    page: Annotated[int, Field(ge=1, le=100000)] = 1,
    limit: Annotated[int, Field(ge=1, le=200, description="Entries per page (1–200).")] = 50,
) -> EntriesOut:
    """List individual time and lump-sum entries of a period, newest last, with names resolved.

    Filters: user, team, customer, project, service (names or ids), billing state, text. Results are paged
    (`page`, `limit`); totals (hours, value, split by billing state) always cover every matching entry, and the
    output says how many pages there are. Running timers are flagged. For sums use report_hours instead.
    """
    tc = await tool_context(ctx)
    resolved = tc.period(period)
    scope = tc.scope(customer=customer, project=project, user=user, team=team, service=service)
    client = tc.runtime.client
    entry_filter = scope.entry_filter(billing, for_entries=True).model_copy(update={"text": text, "teams_id": None})
    now = tc.runtime.now()
    if scope.team_id is not None:
        # Clockodo's entry list has no team filter: page over the team's entries locally.
        members = set(tc.master.team_members(scope.team_id))
        if scope.user_id is not None:
            members &= {scope.user_id}
        matching = [
            e
            async for e in client.entries.iter(
                resolved.utc_since, resolved.utc_until, filter=entry_filter, enhanced_list=True
            )
            if e.users_id in members
        ]
        total_items = len(matching)
        items, _ = paginate(matching, page, limit)
    else:
        result = await client.entries.page(
            resolved.utc_since,
            resolved.utc_until,
            filter=entry_filter,
            enhanced_list=True,
            page=page,
            items_per_page=limit,
        )
        total_items = result.paging.count_items
        items = result.items
    total_pages = max(1, -(-total_items // limit))
    if page > total_pages and total_items:
        raise ToolError(
            f"Page {page} does not exist: there are {total_pages} page(s) of {limit}. Use page 1–{total_pages}."
        )
    groups = await client.entry_groups.get(
        resolved.utc_since,
        resolved.utc_until,
        grouping=[Grouping.BILLABLE],
        filter=scope.entry_filter(billing).model_copy(update={"text": text}),
        calc_also_revenues_for_projects_with_hard_budget=True,
    )
    allowed = {"all": {0, 1, 2}, "billable_any": {1, 2}}.get(billing)
    seconds_by: dict[str, int] = {}
    value = 0.0
    for leaf in leaves(groups):
        state = int(leaf.keys.get("billable", "-1"))
        if allowed is not None and state not in allowed:
            continue
        seconds_by[BILLING_NAMES.get(state, "unknown")] = (
            seconds_by.get(BILLING_NAMES.get(state, "unknown"), 0) + leaf.seconds
        )
        value += leaf.revenue
    outs = [entry_out(e, tc, now) for e in items]
    running = sum(1 for e in outs if e.running)
    total_seconds = sum(seconds_by.values())
    summary = (
        f"{total_items} entr{'y' if total_items == 1 else 'ies'} in {resolved.describe()}{tc.describe_scope(scope)}: "
        f"{hours(total_seconds):g} h, {fmt_money(Money.of(value, tc.currency))}. Showing page {page} of {total_pages}"
        f" ({len(outs)} entries)" + (f"; {running} running." if running else ".")
    )
    return EntriesOut(
        summary=summary,
        period=PeriodOut.of(resolved),
        page=page,
        limit=limit,
        total_entries=total_items,
        total_pages=total_pages,
        entries=outs,
        total_hours=hours(total_seconds),
        total_value=Money.of(value, tc.currency),
        hours_by_billing={k: hours(v) for k, v in sorted(seconds_by.items())},
        running_entries=running,
    ).audited_as("ok", count=len(outs))


class TimerOut(BaseModel):
    """A running timer."""

    entry_id: int
    user: str
    users_id: int
    started: datetime
    running_hours: float
    customer: str
    project: str | None
    service: str | None
    text: str | None
    billing: str


class TimersOut(ToolOutput):
    """Running timers."""

    scope: str
    timers: list[TimerOut]


def _timer(entry: Entry, tc: ToolContext, now: datetime) -> TimerOut:
    out = entry_out(entry, tc, now)
    return TimerOut(
        entry_id=entry.id,
        user=out.user,
        users_id=entry.users_id,
        started=entry.time_since,
        running_hours=out.hours,
        customer=out.customer,
        project=out.project,
        service=out.service,
        text=entry.text,
        billing=out.billing,
    )


async def running_entries(tc: ToolContext) -> list[Entry]:
    """Everyone's running entries, from the shared lookup of domain/running.py (a few requests, not a scan)."""
    return list((await tc.timers()).entries)


@tool(title="Show running timers", toolset="time", read_only=True, destructive=False, idempotent=True)
async def get_timer(
    ctx: Context[Any, Any],
    user: Annotated[
        NameValue | None,
        Field(description="Whose timer: omit for your own, a name or id for someone else's, or 'everyone'."),
    ] = None,
) -> TimersOut:
    """Show the running timer (clock): your own, a given user's, or everyone's (user='everyone').

    Use it for "is my timer running?", "what is Sarah working on?" or to find forgotten timers.
    """
    tc = await tool_context(ctx)
    now = tc.runtime.now()
    if isinstance(user, str) and user.strip().lower() in ("everyone", "all", "*"):
        entries = await running_entries(tc)
        label = "everyone"
    else:
        users_id = tc.master.resolve("user", user).id if user is not None else None
        state = await tc.runtime.client.clock.get(users_id=users_id)
        entries = [state.running] if state.running else []
        label = tc.master.user_name(users_id) if users_id else f"you ({tc.account.user.name})"
    timers = [_timer(e, tc, now) for e in entries]
    if timers:
        summary = f"{len(timers)} running timer(s) for {label}: " + "; ".join(
            f"{t.user} on {t.project or t.customer} for {t.running_hours:g} h" for t in timers
        )
    else:
        summary = f"No timer is running for {label}."
    return TimersOut(summary=summary, scope=label, timers=timers).audited_as("ok", count=len(timers))
