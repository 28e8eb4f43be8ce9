"""Hours and value reports, aggregated by Clockodo itself (`GET /v2/entrygroups`): one request per report."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from clockodo_mcp.clockodo import BillableFilter, ClockodoClient, EntryFilter, EntryGroup, Grouping
from clockodo_mcp.domain.masterdata import MasterData
from clockodo_mcp.domain.periods import Period, local_midnight_utc

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
class Leaf:
    """One innermost group of an entry-group tree, with the key of every level above it."""

    keys: dict[str, str]
    names: dict[str, str]
    seconds: int
    revenue: float


def leaves(
    groups: Sequence[EntryGroup], keys: dict[str, str] | None = None, names: dict[str, str] | None = None
) -> Iterator[Leaf]:
    """Flatten a nested entry-group tree into its leaves."""
    for group in groups:
        here_keys = {**(keys or {}), group.grouped_by: group.group}
        here_names = {**(names or {}), group.grouped_by: group.name}
        if group.sub_groups:
            yield from leaves(group.sub_groups, here_keys, here_names)
        else:
            yield Leaf(here_keys, here_names, group.duration or 0, float(group.revenue or 0.0))


@dataclass(slots=True)
class Bucket:
    """Accumulated hours and value."""

    seconds: int = 0
    value: float = 0.0
    by_billing: dict[str, int] = field(default_factory=dict)

    def add(self, leaf: Leaf) -> None:
        """Add one leaf."""
        self.seconds += leaf.seconds
        self.value += leaf.revenue
        state = BILLING_NAMES.get(int(leaf.keys.get("billable", "-1")), "unknown")
        self.by_billing[state] = self.by_billing.get(state, 0) + leaf.seconds


@dataclass(slots=True)
class GroupRow:
    """One row of a report: the key per requested dimension, with ids and names."""

    key: tuple[str, ...]
    labels: dict[str, str]
    ids: dict[str, int | None]
    bucket: Bucket


@dataclass(slots=True)
class HoursReport:
    """A grouped report: rows sorted by value, totals over all rows (not only the top ones)."""

    rows: list[GroupRow]
    total: Bucket
    total_groups: int


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
) -> HoursReport:
    """Hours and value per group, from one `GET /v2/entrygroups` request."""
    grouping: list[Grouping] = []
    for dimension in group_by:
        if DIMENSIONS[dimension] not in grouping:
            grouping.append(DIMENSIONS[dimension])
    grouping.append(Grouping.BILLABLE)  # always split by state: billable_any filters locally, rows show the mix
    groups = await client.entry_groups.get(
        period.utc_since,
        period.utc_until,
        grouping=grouping,
        filter=scope.entry_filter(billing),
        calc_also_revenues_for_projects_with_hard_budget=True,
    )
    wanted = {str(s) for s in BILLING_STATES[billing]}
    rows: dict[tuple[str, ...], GroupRow] = {}
    total = Bucket()
    for leaf in leaves(groups):
        if leaf.keys.get("billable") not in wanted:
            continue
        total.add(leaf)
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
        row.bucket.add(leaf)
    ordered = sorted(rows.values(), key=lambda r: (-round(r.bucket.value, 2), -r.bucket.seconds, r.key))
    return HoursReport(rows=ordered, total=total, total_groups=len(ordered))


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


async def unbilled_by_age(
    client: ClockodoClient,
    master: MasterData,
    today: date,
    per: Literal["customer", "project"],
    scope: Scope,
    period: Period,
) -> list[AgingRow]:
    """Unbilled hours and value by age (days since the entry's day), from one entry-group request."""
    dimension = DIMENSIONS[per]
    groups = await client.entry_groups.get(
        local_midnight_utc(period.start, period.tz),
        local_midnight_utc(period.end + timedelta(days=1), period.tz),
        grouping=[dimension, Grouping.DAY],
        filter=scope.entry_filter("unbilled"),
        calc_also_revenues_for_projects_with_hard_budget=True,
    )
    rows: dict[str, AgingRow] = {}
    for leaf in leaves(groups):
        raw_id = leaf.keys.get(dimension.value, "")
        day = date.fromisoformat(leaf.keys[Grouping.DAY.value][:10])
        row = rows.get(raw_id)
        if row is None:
            ident = int(raw_id) if raw_id.isdigit() else None
            name = master.customer_name(ident) if per == "customer" else master.project_name(ident)
            row = AgingRow(ident, name, {b[0]: Bucket() for b in AGE_BUCKETS}, None, Bucket())
            rows[raw_id] = row
        row.buckets[age_bucket((today - day).days)].add(leaf)
        row.total.add(leaf)
        row.oldest = day if row.oldest is None or day < row.oldest else row.oldest
    return sorted(rows.values(), key=lambda r: (-round(r.total.value, 2), -r.total.seconds, r.name))
