"""Read tools: lookup, list_entries, get_timer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from clockodo_mcp.clockodo import Entry, EntryFilter, EntryGroup, EntryType, Grouping, Page
from clockodo_mcp.domain.hours import BILLING_NAMES, BillingFilter, leaves
from clockodo_mcp.domain.names import Kind, rank
from clockodo_mcp.domain.periods import Period
from clockodo_mcp.domain.tasks import gather
from clockodo_mcp.domain.views import EntryOut as EntryOut
from clockodo_mcp.domain.views import entry_out as entry_out
from clockodo_mcp.server.models import Compact, ListOutput, Money, Paging, PeriodOut, fmt_money, hours
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools.common import (
    NameArg,
    NameText,
    NameValue,
    OffsetArg,
    PeriodArg,
    SearchText,
    ToolContext,
    limit_field,
    page_of,
    paging_of,
    tool_context,
)

LOOKUP_KINDS: tuple[Kind, ...] = ("customer", "project", "service", "user", "team")


class LookupMatch(Compact):
    """One candidate for a name."""

    kind: str
    id: int
    name: str
    score: float = Field(description="1.0 exact, 0.9 word-prefix match, lower for fuzzy matches.")
    active: bool = Field(description="False means archived.")
    context: str | None = None


class LookupOut(ListOutput):
    """Candidates for a name, best first."""

    rows_field: ClassVar[str] = "matches"
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
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(50)] = 10,
) -> LookupOut:
    """Find customers, projects, services, users and teams by name (fuzzy), with ids and scores.

    Use it when a name is unclear, e.g. lookup(query="sarah") → Sarah Chen (user 5), Sarah Miller (user 6).
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
    ]
    shown, paging = page_of(matches, offset, limit)
    summary = (
        f"{len(matches)} match(es) for '{query}': "
        + "; ".join(f"{m.name} ({m.kind} {m.id})" for m in shown[:5])
        + ("…" if len(shown) > 5 else ".")
        + paging.sentence()
        if matches
        else f"Nothing matches '{query}'. Try a shorter part of the name."
    )
    return LookupOut(summary=summary, query=query, matches=shown, paging=paging).audited_as("ok", count=len(shown))


class EntryRow(Compact):
    """One entry of a list, names resolved; times are local (account time zone)."""

    id: int
    date: str
    start: str = Field(description="HH:MM, local.")
    end: str | None = Field(description="HH:MM, local; null while running.")
    hours: float
    user: str
    customer: str
    project: str | None = None
    service: str | None = None
    billing: str = Field(description="not_billable, unbilled or billed.")
    text: str | None = None
    value: Money | None = None
    type: Literal["lump_sum_value", "lump_sum_service"] | None = Field(default=None, description="Absent: time.")
    running: bool | None = Field(default=None, description="True while the timer runs (absent otherwise).")


class EntriesOut(ListOutput):
    """A page of entries plus totals over ALL matching entries."""

    rows_field: ClassVar[str] = "entries"
    period: PeriodOut
    entries: list[EntryRow]
    total_hours: float = Field(description="Over all matching entries, not only this page.")
    total_value: Money
    hours_by_billing: dict[str, float]


_TYPE_NAMES: dict[EntryType, Literal["time", "lump_sum_value", "lump_sum_service"]] = {
    EntryType.TIME: "time",
    EntryType.LUMP_SUM_VALUE: "lump_sum_value",
    EntryType.LUMP_SUM_SERVICE: "lump_sum_service",
}


def entry_row(entry: Entry, tc: ToolContext, now: datetime) -> EntryRow:
    """An entry as a compact list row."""
    out = entry_out(entry, tc, now)
    tz = tc.account.timezone
    return EntryRow(
        id=out.id,
        date=out.date,
        start=entry.time_since.astimezone(tz).strftime("%H:%M"),
        end=entry.time_until.astimezone(tz).strftime("%H:%M") if entry.time_until else None,
        hours=out.hours,
        user=out.user,
        customer=out.customer,
        project=out.project,
        service=out.service,
        billing=out.billing,
        text=out.text or None,
        value=out.value,
        type=None if out.type == "time" else out.type,
        running=True if out.running else None,
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
    text: Annotated[SearchText | None, Field(description="Only entries whose text contains this.")] = None,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(80)] = 10,
) -> EntriesOut:
    """List single time and lump-sum entries of a period, oldest first (for sums use report_hours).

    E.g. list_entries(period="last_week", user="Sarah Chen", billing="unbilled").
    """
    tc = await tool_context(ctx)
    resolved = tc.period(period)
    scope = tc.scope(customer=customer, project=project, user=user, team=team, service=service)
    client = tc.runtime.client
    entry_filter = scope.entry_filter(billing, for_entries=True).model_copy(update={"text": text, "teams_id": None})
    now = tc.runtime.now()
    found: dict[str, Any] = {}

    async def page() -> None:
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
            found["page"] = page_of(matching, offset, limit)
        else:
            found["page"] = await _entries_slice(tc, resolved, entry_filter, offset, limit)

    async def totals() -> None:
        found["groups"] = await client.entry_groups.get(
            resolved.utc_since,
            resolved.utc_until,
            grouping=[Grouping.BILLABLE],
            filter=scope.entry_filter(billing).model_copy(update={"text": text}),
            calc_also_revenues_for_projects_with_hard_budget=True,
        )

    await gather(page, totals)  # independent: the page and its totals in one round trip
    items, paging = found["page"]
    groups: list[EntryGroup] = found["groups"]
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
    rows = [entry_row(e, tc, now) for e in items]
    running = sum(1 for e in rows if e.running)
    total_seconds = sum(seconds_by.values())
    summary = (
        f"{paging.total} entr{'y' if paging.total == 1 else 'ies'} in {resolved.describe()}"
        f"{tc.describe_scope(scope)}: {hours(total_seconds):g} h, {fmt_money(Money.of(value, tc.currency))}."
        + paging.sentence()
        + (f" {running} running on this page." if running else "")
    )
    return EntriesOut(
        summary=summary,
        period=PeriodOut.of(resolved),
        paging=paging,
        entries=rows,
        total_hours=hours(total_seconds),
        total_value=Money.of(value, tc.currency),
        hours_by_billing={k: hours(v) for k, v in sorted(seconds_by.items())},
    ).audited_as("ok", count=len(rows))


async def _entries_slice(
    tc: ToolContext, period: Period, entry_filter: EntryFilter, offset: int, limit: int
) -> tuple[list[Entry], Paging]:
    """Rows offset … offset+limit from Clockodo's own paging: pages of `limit`, so at most two requests."""
    client = tc.runtime.client

    async def fetch(number: int) -> Page[Entry]:
        return await client.entries.page(
            period.utc_since,
            period.utc_until,
            filter=entry_filter,
            enhanced_list=True,
            page=number,
            items_per_page=limit,
        )

    number, skip = divmod(offset, limit)
    first = await fetch(number + 1)
    total = first.paging.count_items
    items = list(first.items[skip:])
    if skip and len(items) < limit and offset + len(items) < total:
        # Only for an offset between page boundaries (paging hints are on them): a second round trip.
        items.extend((await fetch(number + 2)).items)
    items = items[:limit]
    return items, paging_of(total, offset, len(items))


class TimerOut(Compact):
    """A running timer."""

    entry_id: int
    user: str
    users_id: int
    started: datetime
    running_hours: float
    customer: str
    project: str | None = None
    service: str | None = None
    text: str | None = None
    billing: str


class TimersOut(ListOutput):
    """Running timers, longest running first."""

    rows_field: ClassVar[str] = "timers"
    scope: str
    timers: list[TimerOut]


def timer_out(entry: Entry, tc: ToolContext, now: datetime) -> TimerOut:
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
        text=entry.text or None,
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
        Field(description="Omit for your own timer; a name or id; or 'everyone'."),
    ] = None,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(100)] = 20,
) -> TimersOut:
    """Show running timers: your own, a user's, or everyone's (user="everyone", e.g. to find forgotten ones)."""
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
    entries.sort(key=lambda e: (e.time_since, e.id))
    shown, paging = page_of(entries, offset, limit)
    timers = [timer_out(e, tc, now) for e in shown]
    if timers:
        summary = (
            f"{paging.total} running timer(s) for {label}: "
            + "; ".join(f"{t.user} on {t.project or t.customer} for {t.running_hours:g} h" for t in timers[:5])
            + ("…" if len(timers) > 5 else ".")
            + paging.sentence()
        )
    else:
        summary = f"No timer is running for {label}."
    return TimersOut(summary=summary, scope=label, timers=timers, paging=paging).audited_as("ok", count=len(timers))
