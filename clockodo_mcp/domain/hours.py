"""Hours and value reports, aggregated by Clockodo itself (`GET /v2/entrygroups`): one request per report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from clockodo_mcp.clockodo import BillableFilter, ClockodoClient, Entry, EntryFilter, EntryGroup, Grouping
from clockodo_mcp.domain.groups import Leaf, without_running
from clockodo_mcp.domain.groups import leaves as leaves
from clockodo_mcp.domain.masterdata import MasterData
from clockodo_mcp.domain.periods import Period, local_midnight_utc
from clockodo_mcp.domain.running import Timers, TimerSource, timers_for
from clockodo_mcp.domain.tasks import gather
from clockodo_mcp.domain.values import Valuation, project_key

Dimension = Literal["project", "customer", "user", "team", "service", "month", "week", "day"]
BillingFilter = Literal["unbilled", "billed", "not_billable", "billable_any", "all"]

DIMENSIONS: dict[str, Grouping] = {
    "project": Grouping.PROJECTS_ID,
    "customer": Grouping.CUSTOMERS_ID,
    "user": Grouping.USERS_ID,
    "team": Grouping.USERS_ID,  # Clockodo cannot group by team: group by user, then fold users into teams
    "service": Grouping.SERVICES_ID,
    "month": Grouping.MONTH,
    "week": Grouping.WEEK,
    "day": Grouping.DAY,
}
BILLING_STATES: dict[str, tuple[int, ...]] = {
    "unbilled": (1,),
    "billed": (2,),
    "not_billable": (0,),
    "billable_any": (1, 2),
    "all": (0, 1, 2),
}
BILLING_NAMES = {0: "not_billable", 1: "unbilled", 2: "billed"}


@dataclass(frozen=True, slots=True)
class Scope:
    """Resolved filters (ids) a report is restricted to."""

    customer_id: int | None = None
    project_id: int | None = None
    user_id: int | None = None
    team_id: int | None = None
    service_id: int | None = None

    def entry_filter(self, billing: BillingFilter, *, for_entries: bool = False) -> EntryFilter:
        """The Clockodo filter; entry groups cannot filter 'billable or billed' (12), so that is split locally."""
        states = BILLING_STATES[billing]
        if len(states) == 1:
            billable: BillableFilter | None = BillableFilter(states[0])
        elif for_entries and billing == "billable_any":
            billable = BillableFilter.BILLABLE_OR_BILLED
        else:
            billable = None
        return EntryFilter(
            customers_id=self.customer_id,
            projects_id=self.project_id,
            users_id=self.user_id,
            teams_id=self.team_id,
            services_id=self.service_id,
            billable=billable,
        )


@dataclass(slots=True)
class Bucket:
    """Accumulated hours and value; `withheld_seconds` of the hours are on open hard budgets (no value yet)."""

    seconds: int = 0
    value: float = 0.0
    by_billing: dict[str, int] = field(default_factory=dict)
    withheld_seconds: int = 0

    def add(self, leaf: Leaf, valuation: Valuation | None = None) -> None:
        """Add one leaf, valued as Clockodo values it (see domain/values.py)."""
        project = project_key(leaf.keys.get(Grouping.PROJECTS_ID.value))
        self.seconds += leaf.seconds
        if valuation is not None and valuation.withheld(project):
            self.withheld_seconds += leaf.seconds
        else:
            self.value += valuation.value(project, leaf.revenue) if valuation is not None else leaf.revenue
        state = BILLING_NAMES.get(int(leaf.keys.get("billable", "-1")), "unknown")
        self.by_billing[state] = self.by_billing.get(state, 0) + leaf.seconds

    def absorb(self, other: Bucket) -> None:
        """Add another bucket."""
        self.seconds += other.seconds
        self.value += other.value
        self.withheld_seconds += other.withheld_seconds
        for state, seconds in other.by_billing.items():
            self.by_billing[state] = self.by_billing.get(state, 0) + seconds

    @property
    def valued_seconds(self) -> int:
        """The hours that carry a value (all but those on open hard budgets)."""
        return self.seconds - self.withheld_seconds


@dataclass(slots=True)
class GroupRow:
    """One row of a report: the key per requested dimension, with ids and names."""

    key: tuple[str, ...]
    labels: dict[str, str]
    ids: dict[str, int | None]
    bucket: Bucket


@dataclass(slots=True)
class HoursReport:
    """A grouped report: rows sorted by value, totals over all rows (not only the top ones).

    `running` are the running timers the window and filters select: their time is in no row or total.
    `open_hard` holds, per project with an open hard budget, its hours (which carry no value yet).
    """

    rows: list[GroupRow]
    total: Bucket
    total_groups: int
    running: tuple[Entry, ...] = ()
    open_hard: dict[int, Bucket] = field(default_factory=dict)


def request_timers(
    timers: Timers | None, since: datetime, until: datetime, flt: EntryFilter, master: MasterData
) -> tuple[Entry, ...]:
    """The running timers an entry-group request over [since, until) with `flt` counts."""
    if timers is None:
        return ()
    members = set(master.team_members(flt.teams_id)) if flt.teams_id is not None else None
    return timers.matching(since, until, flt, users=members)


async def _groups_and_timers(
    client: ClockodoClient,
    since: datetime,
    until: datetime,
    grouping: Sequence[Grouping],
    flt: EntryFilter,
    timers: TimerSource | None,
    now: datetime | None,
) -> tuple[list[EntryGroup], Timers | None]:
    """One entry-group request (Clockodo's default revenue rule) and, concurrently, the running timers."""
    groups: list[EntryGroup] = []
    found: list[Timers] = []

    async def fetch() -> None:
        groups.extend(await client.entry_groups.get(since, until, grouping=grouping, filter=flt))

    async def lookup() -> None:
        if now is not None:
            got = await timers_for(timers, since, until, now)
            if got is not None:
                found.append(got)

    await gather(fetch, lookup)
    return groups, (found[0] if found else None)


def completed_leaves(
    groups: Sequence[EntryGroup],
    running: Sequence[Entry],
    now: datetime | None,
    tz: ZoneInfo,
    valuation: Valuation | None,
) -> list[Leaf]:
    """The leaves of a request that used the default revenue rule, minus what its running timers added."""
    found = list(leaves(groups))
    if not running or now is None:
        return found
    valued = (lambda e: not valuation.withheld(e.projects_id)) if valuation is not None else (lambda e: True)
    return without_running(found, running, now, tz, valued=valued)


def _label(dimension: str, leaf: Leaf, master: MasterData) -> tuple[str, str, int | None]:
    """(key, display label, id) of a leaf for one requested dimension."""
    grouping = DIMENSIONS[dimension].value
    raw = leaf.keys.get(grouping, "")
    if dimension == "team":
        team_id = master.team_of(int(raw)) if raw.isdigit() else None
        return str(team_id), master.team_name(team_id), team_id
    if dimension in ("month", "week", "day"):
        return raw, raw, None
    ident = int(raw) if raw.isdigit() else None
    tables: dict[str, dict[int, Any]] = {
        "project": master.projects,
        "customer": master.customers,
        "user": master.users,
        "service": master.services,
    }
    known = tables[dimension]
    name = known[ident].name if ident in known else (leaf.names.get(grouping) or raw)
    return raw, str(name), ident


async def hours_report(
    client: ClockodoClient,
    master: MasterData,
    period: Period,
    group_by: Sequence[Dimension],
    billing: BillingFilter,
    scope: Scope,
    timers: TimerSource | None = None,
    now: datetime | None = None,
) -> HoursReport:
    """Completed hours and Clockodo's value per group, from one `GET /v2/entrygroups` request.

    The grouping always ends in project (so open hard budgets can be told apart) and billing state; running
    timers (`timers`) are taken out of every row and total and returned apart.
    """
    grouping: list[Grouping] = []
    for dimension in group_by:
        if DIMENSIONS[dimension] not in grouping:
            grouping.append(DIMENSIONS[dimension])
    if Grouping.PROJECTS_ID not in grouping:
        grouping.append(Grouping.PROJECTS_ID)
    grouping.append(Grouping.BILLABLE)  # always split by state: billable_any filters locally, rows show the mix
    flt = scope.entry_filter(billing)
    groups, found_timers = await _groups_and_timers(
        client, period.utc_since, period.utc_until, grouping, flt, timers, now
    )
    valuation = Valuation.of(master.projects)
    counted = request_timers(found_timers, period.utc_since, period.utc_until, flt, master)
    found = completed_leaves(groups, counted, found_timers.now if found_timers else None, period.tz, valuation)
    states = BILLING_STATES[billing]
    wanted = {str(s) for s in states}
    rows: dict[tuple[str, ...], GroupRow] = {}
    total = Bucket()
    open_hard: dict[int, Bucket] = {}
    for leaf in found:
        if leaf.keys.get("billable") not in wanted:
            continue
        total.add(leaf, valuation)
        project = project_key(leaf.keys.get(Grouping.PROJECTS_ID.value))
        if project is not None and valuation.withheld(project):
            open_hard.setdefault(project, Bucket()).add(leaf, valuation)
        labelled = [_label(d, leaf, master) for d in group_by]
        key = tuple(k for k, _, _ in labelled)
        row = rows.get(key)
        if row is None:
            row = GroupRow(
                key=key,
                labels={d: name for d, (_, name, _) in zip(group_by, labelled, strict=True)},
                ids={d: ident for d, (_, _, ident) in zip(group_by, labelled, strict=True)},
                bucket=Bucket(),
            )
            rows[key] = row
        row.bucket.add(leaf, valuation)
    ordered = sorted(rows.values(), key=lambda r: (-round(r.bucket.value, 2), -r.bucket.seconds, r.key))
    running = tuple(e for e in counted if int(e.billable) in states)
    return HoursReport(ordered, total, len(ordered), running, open_hard)


AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("over_90", 91, None),
)


def age_bucket(age_days: int) -> str:
    """Which aging bucket an age in days falls into."""
    for name, low, high in AGE_BUCKETS:
        if age_days >= low and (high is None or age_days <= high):
            return name
    return AGE_BUCKETS[0][0]  # future-dated entries count as current


@dataclass(slots=True)
class AgingRow:
    """Unbilled hours and value of one customer or project, per age bucket."""

    id: int | None
    name: str
    buckets: dict[str, Bucket]
    oldest: date | None
    total: Bucket


@dataclass(slots=True)
class AgingReport:
    """Aging rows, the running timers left out, and the hours on open hard budgets per project."""

    rows: list[AgingRow]
    running: tuple[Entry, ...] = ()
    open_hard: dict[int, Bucket] = field(default_factory=dict)


async def unbilled_by_age(
    client: ClockodoClient,
    master: MasterData,
    today: date,
    per: Literal["customer", "project"],
    scope: Scope,
    period: Period,
    timers: TimerSource | None = None,
    now: datetime | None = None,
) -> AgingReport:
    """Completed unbilled hours and Clockodo's value by age (days since the entry's day), from one request."""
    dimension = DIMENSIONS[per]
    grouping = [dimension] if per == "project" else [dimension, Grouping.PROJECTS_ID]
    since = local_midnight_utc(period.start, period.tz)
    until = local_midnight_utc(period.end + timedelta(days=1), period.tz)
    flt = scope.entry_filter("unbilled")
    groups, found_timers = await _groups_and_timers(client, since, until, [*grouping, Grouping.DAY], flt, timers, now)
    valuation = Valuation.of(master.projects)
    running = request_timers(found_timers, since, until, flt, master)
    rows: dict[str, AgingRow] = {}
    open_hard: dict[int, Bucket] = {}
    for leaf in completed_leaves(groups, running, found_timers.now if found_timers else None, period.tz, valuation):
        raw_id = leaf.keys.get(dimension.value, "")
        day = date.fromisoformat(leaf.keys[Grouping.DAY.value][:10])
        row = rows.get(raw_id)
        if row is None:
            ident = int(raw_id) if raw_id.isdigit() else None
            name = master.customer_name(ident) if per == "customer" else master.project_name(ident)
            row = AgingRow(ident, name, {b[0]: Bucket() for b in AGE_BUCKETS}, None, Bucket())
            rows[raw_id] = row
        row.buckets[age_bucket((today - day).days)].add(leaf, valuation)
        row.total.add(leaf, valuation)
        row.oldest = day if row.oldest is None or day < row.oldest else row.oldest
        project = project_key(leaf.keys.get(Grouping.PROJECTS_ID.value))
        if project is not None and valuation.withheld(project):
            open_hard.setdefault(project, Bucket()).add(leaf, valuation)
    ordered = sorted(rows.values(), key=lambda r: (-round(r.total.value, 2), -r.total.seconds, r.name))
    return AgingReport(ordered, running, open_hard)
