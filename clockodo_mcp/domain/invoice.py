"""Invoice summaries for billing-state changes: time and lump-sum lines, per-project subtotals, Clockodo's values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from clockodo_mcp.clockodo import Entry, EntryType
from clockodo_mcp.domain.running import completed
from clockodo_mcp.domain.values import Valuation

BillingState = Literal["not_billable", "unbilled", "billed"]
BILLING_CODES: dict[str, int] = {"not_billable": 0, "unbilled": 1, "billed": 2}
BILLING_LABELS: dict[int, str] = {code: name for name, code in BILLING_CODES.items()}
# When only the target state is given: the state an accountant normally moves from.
NATURAL_PREDECESSOR: dict[BillingState, BillingState] = {
    "billed": "unbilled",
    "unbilled": "billed",
    "not_billable": "unbilled",
}
# Billed work is on an invoice: making it "not billable" in one step would hide that it was ever invoiced.
FORBIDDEN_TRANSITIONS: dict[tuple[str, str], str] = {
    ("billed", "not_billable"): (
        "Billed entries cannot be made not billable in one step: they are on an invoice. Un-bill them first "
        "(from_state=billed, to_state=unbilled), then make them not billable (from_state=unbilled, "
        "to_state=not_billable)."
    ),
}


def entry_seconds(entry: Entry) -> int:
    """Booked seconds of a finished time entry (lump sums have none)."""
    if entry.type != EntryType.TIME:
        return 0
    if entry.duration is not None:
        return int(entry.duration)
    if entry.time_until is not None:
        return int((entry.time_until - entry.time_since).total_seconds())
    return 0


def entry_value(entry: Entry, lump_sum_prices: Mapping[int, float], valuation: Valuation | None = None) -> float | None:
    """Money of a finished entry: Clockodo's revenue (× a completed hard budget's revenue factor).

    None while the project's hard budget is open: Clockodo values that work only when the project is completed.
    Where Clockodo sends no revenue (it needs rights and the enhanced list), it is computed as Clockodo computes
    it: rate × hours (0 when not billable), the lump sum, or amount × unit price.
    """
    if valuation is not None and valuation.withheld(entry.projects_id):
        return None
    if entry.revenue is not None:
        revenue = float(entry.revenue)
    elif entry.type == EntryType.TIME:
        if int(entry.billable) == 0 or not entry.hourly_rate:
            return 0.0
        revenue = float(entry.hourly_rate) * entry_seconds(entry) / 3600.0
    elif entry.type == EntryType.LUMP_SUM_VALUE:
        revenue = float(entry.lumpsum or 0.0)
    else:
        price = entry.lumpsum_services_price
        if price is None:
            price = lump_sum_prices.get(entry.lumpsum_services_id or 0, 0.0)
        revenue = float(entry.lumpsum_services_amount or 0.0) * price
    return valuation.value(entry.projects_id, revenue) if valuation is not None else revenue


LineKind = Literal["time", "lump_sum"]


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """A time line (one employee on one project) or a lump-sum line (one item on one project).

    `value` is None for time on a project whose hard budget is still open (no revenue until completion).
    Lump-sum lines carry the item (a lump-sum service, or the service of a lump-sum value), the quantity and the
    unit price; `user_id` is set when one employee booked all of it.
    """

    kind: LineKind
    project_id: int | None
    customer_id: int
    user_id: int | None
    seconds: int
    value: float | None
    entries: int
    lumpsum_service_id: int | None = None
    service_id: int | None = None
    quantity: float | None = None
    unit_price: float | None = None

    @property
    def hours(self) -> float:
        """Decimal hours (unrounded)."""
        return self.seconds / 3600.0

    @property
    def rate(self) -> float | None:
        """Blended rate of a time line: value ÷ hours (None without hours or without a value)."""
        return self.value / self.hours if self.seconds and self.value is not None else None


@dataclass(frozen=True, slots=True)
class ProjectSubtotal:
    """One project's hours and money on the invoice; `withheld_seconds` are hours on its open hard budget."""

    project_id: int | None
    customer_id: int
    seconds: int
    time_value: float
    lump_sum_value: float
    entries: int
    withheld_seconds: int

    @property
    def value(self) -> float:
        """Time value plus lump sums."""
        return round(self.time_value + self.lump_sum_value, 2)


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    """Lines sorted by customer, project, time before lump sums, then employee or item; totals over all of them."""

    lines: tuple[InvoiceLine, ...]
    projects: tuple[ProjectSubtotal, ...]
    seconds: int
    value: float
    entries: int
    first: datetime | None
    last: datetime | None
    lump_sum_value: float = 0.0
    withheld_seconds: int = 0

    @property
    def hours(self) -> float:
        """Decimal hours (unrounded)."""
        return self.seconds / 3600.0

    @property
    def time_value(self) -> float:
        """The value of the time lines."""
        return round(self.value - self.lump_sum_value, 2)

    @property
    def valued_seconds(self) -> int:
        """Hours that carry a value (not on open hard budgets)."""
        return self.seconds - self.withheld_seconds


class _Acc:
    __slots__ = ("count", "quantity", "seconds", "users", "value", "withheld")

    def __init__(self) -> None:
        self.seconds = 0
        self.value = 0.0
        self.count = 0
        self.quantity = 0.0
        self.users: set[int] = set()
        self.withheld = False


def invoice_summary(
    entries: Iterable[Entry], lump_sum_prices: Mapping[int, float], valuation: Valuation | None = None
) -> InvoiceSummary:
    """Group finished entries into time lines (project × employee) and lump-sum lines (project × item).

    Running entries are never invoiced: they are left out here too (see domain/running.py).
    """
    time_acc: dict[tuple[int, int | None, int], _Acc] = {}
    lump_acc: dict[tuple[int, int | None, int, int | None, int | None, float | None], _Acc] = {}
    first: datetime | None = None
    last: datetime | None = None
    for entry in completed(list(entries)):
        value = entry_value(entry, lump_sum_prices, valuation)
        if entry.type == EntryType.TIME:
            acc = time_acc.setdefault((entry.customers_id, entry.projects_id, entry.users_id), _Acc())
            acc.seconds += entry_seconds(entry)
        else:
            is_service = entry.type == EntryType.LUMP_SUM_SERVICE
            price = _unit_price(entry, lump_sum_prices) if is_service else None
            key = (
                entry.customers_id,
                entry.projects_id,
                int(entry.type),
                entry.lumpsum_services_id if is_service else None,
                None if is_service else entry.services_id,
                price,
            )
            acc = lump_acc.setdefault(key, _Acc())
            acc.quantity += float(entry.lumpsum_services_amount or 0.0) if is_service else 1.0
        acc.users.add(entry.users_id)
        acc.count += 1
        if value is None:
            acc.withheld = True
        else:
            acc.value += value
        first = entry.time_since if first is None or entry.time_since < first else first
        last = entry.time_since if last is None or entry.time_since > last else last
    lines: list[tuple[tuple[int, int, int, int], InvoiceLine]] = []
    for (customer, project, user), acc in time_acc.items():
        line = InvoiceLine(
            "time", project, customer, user, acc.seconds, None if acc.withheld else round(acc.value, 2), acc.count
        )
        lines.append(((customer, project or 0, 0, user), line))
    for (customer, project, kind, lump_service, service, price), acc in lump_acc.items():
        line = InvoiceLine(
            "lump_sum",
            project,
            customer,
            next(iter(acc.users)) if len(acc.users) == 1 else None,
            0,
            None if acc.withheld else round(acc.value, 2),
            acc.count,
            lumpsum_service_id=lump_service,
            service_id=service,
            quantity=round(acc.quantity, 4),
            unit_price=price,
        )
        lines.append(((customer, project or 0, kind, lump_service or service or 0), line))
    ordered = tuple(line for _, line in sorted(lines, key=lambda item: item[0]))
    projects = _subtotals(ordered)
    return InvoiceSummary(
        lines=ordered,
        projects=projects,
        seconds=sum(p.seconds for p in projects),
        value=round(sum(p.value for p in projects), 2),
        entries=sum(p.entries for p in projects),
        first=first,
        last=last,
        lump_sum_value=round(sum(p.lump_sum_value for p in projects), 2),
        withheld_seconds=sum(p.withheld_seconds for p in projects),
    )


def _unit_price(entry: Entry, lump_sum_prices: Mapping[int, float]) -> float | None:
    if entry.lumpsum_services_price is not None:
        return float(entry.lumpsum_services_price)
    return lump_sum_prices.get(entry.lumpsum_services_id or 0)


def _subtotals(lines: Sequence[InvoiceLine]) -> tuple[ProjectSubtotal, ...]:
    """Per-project sums of the lines, in line order."""
    order: list[tuple[int, int | None]] = []
    sums: dict[tuple[int, int | None], list[float]] = {}
    for line in lines:
        key = (line.customer_id, line.project_id)
        if key not in sums:
            order.append(key)
            sums[key] = [0, 0.0, 0.0, 0, 0]
        slot = sums[key]
        slot[0] += line.seconds
        if line.kind == "time":
            slot[1] += line.value or 0.0
        else:
            slot[2] += line.value or 0.0
        slot[3] += line.entries
        if line.value is None:
            slot[4] += line.seconds
    return tuple(
        ProjectSubtotal(
            project_id=project,
            customer_id=customer,
            seconds=int(sums[(customer, project)][0]),
            time_value=round(sums[(customer, project)][1], 2),
            lump_sum_value=round(sums[(customer, project)][2], 2),
            entries=int(sums[(customer, project)][3]),
            withheld_seconds=int(sums[(customer, project)][4]),
        )
        for customer, project in order
    )
