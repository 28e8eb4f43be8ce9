"""Invoice summaries for billing-state changes: one line per project and employee, with hours, rate and value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from clockodo_mcp.clockodo import Entry, EntryType

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


def entry_value(entry: Entry, lump_sum_prices: Mapping[int, float]) -> float:
    """Money of an entry: Clockodo's revenue where shown, else rate × hours, the lump sum, or amount × price."""
    if entry.revenue is not None:
        return float(entry.revenue)
    if entry.type == EntryType.TIME:
        if int(entry.billable) == 0 or not entry.hourly_rate:
            return 0.0
        return float(entry.hourly_rate) * entry_seconds(entry) / 3600.0
    if entry.type == EntryType.LUMP_SUM_VALUE:
        return float(entry.lumpsum or 0.0)
    price = entry.lumpsum_services_price
    if price is None:
        price = lump_sum_prices.get(entry.lumpsum_services_id or 0, 0.0)
    return float(entry.lumpsum_services_amount or 0.0) * price


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """Hours and value of one employee on one project."""

    project_id: int | None
    customer_id: int
    user_id: int
    seconds: int
    value: float
    entries: int

    @property
    def hours(self) -> float:
        """Decimal hours (unrounded)."""
        return self.seconds / 3600.0

    @property
    def rate(self) -> float | None:
        """Blended rate: value ÷ hours (None without hours, e.g. lump sums only)."""
        return self.value / self.hours if self.seconds else None


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    """Lines sorted by project then employee, with totals over all of them."""

    lines: tuple[InvoiceLine, ...]
    seconds: int
    value: float
    entries: int
    first: datetime | None
    last: datetime | None

    @property
    def hours(self) -> float:
        """Decimal hours (unrounded)."""
        return self.seconds / 3600.0


def invoice_summary(entries: Iterable[Entry], lump_sum_prices: Mapping[int, float]) -> InvoiceSummary:
    """Group finished entries into invoice lines (project × employee); running entries must be left out."""
    acc: dict[tuple[int | None, int, int], list[float]] = {}
    first: datetime | None = None
    last: datetime | None = None
    for entry in entries:
        key = (entry.projects_id, entry.customers_id, entry.users_id)
        slot = acc.setdefault(key, [0.0, 0.0, 0.0])
        slot[0] += entry_seconds(entry)
        slot[1] += entry_value(entry, lump_sum_prices)
        slot[2] += 1
        first = entry.time_since if first is None or entry.time_since < first else first
        last = entry.time_since if last is None or entry.time_since > last else last
    lines = tuple(
        InvoiceLine(project, customer, user, int(seconds), round(value, 2), int(count))
        for (project, customer, user), (seconds, value, count) in sorted(
            acc.items(), key=lambda kv: (kv[0][1], kv[0][0] or 0, kv[0][2])
        )
    )
    return InvoiceSummary(
        lines=lines,
        seconds=sum(line.seconds for line in lines),
        value=round(sum(line.value for line in lines), 2),
        entries=sum(line.entries for line in lines),
        first=first,
        last=last,
    )
