"""Entries, entry groups and the clock."""

from __future__ import annotations

from typing import Any

from .base import ClockodoModel, UtcDatetime
from .enums import Billable, EntryType


class Entry(ClockodoModel):
    """A time entry, lump-sum value or lump-sum service entry (type-specific fields are optional)."""

    id: int
    type: EntryType = EntryType.TIME
    customers_id: int
    projects_id: int | None = None
    subprojects_id: int | None = None
    users_id: int
    services_id: int | None = None
    lumpsum_services_id: int | None = None
    billable: Billable
    texts_id: int | None = None
    text: str | None = None
    time_since: UtcDatetime
    time_until: UtcDatetime | None = None
    duration: int | None = None
    offset: int | None = None
    hourly_rate: float | None = None
    revenue: float | None = None
    lumpsum: float | None = None
    lumpsum_services_amount: float | None = None
    lumpsum_services_price: float | None = None
    time_insert: UtcDatetime | None = None
    time_last_change: UtcDatetime | None = None
    time_last_change_work_time: UtcDatetime | None = None
    time_clocked_since: UtcDatetime | None = None
    clocked: bool | None = None
    clocked_offline: bool | None = None
    test_data: bool | None = None
    customers_name: str | None = None
    projects_name: str | None = None
    subprojects_name: str | None = None
    users_name: str | None = None
    services_name: str | None = None
    lumpsum_services_name: str | None = None

    @property
    def is_running(self) -> bool:
        """True for the running clock entry (a time entry without an end)."""
        return self.type == EntryType.TIME and self.time_until is None


class EntryGroup(ClockodoModel):
    """One node of `/v2/entrygroups`' nested aggregation."""

    grouped_by: str
    group: str
    name: str
    number: str | None = None
    note: str | None = None
    duration: int = 0
    revenue: float | None = None
    hourly_rate: float | None = None
    hourly_rate_is_equal_and_has_no_lumpsums: bool | None = None
    budget_used: bool | None = None
    has_budget_revenues_billed: bool | None = None
    has_budget_revenues_not_billed: bool | None = None
    has_non_budget_revenues_billed: bool | None = None
    has_non_budget_revenues_not_billed: bool | None = None
    duration_without_rounding: int | None = None
    revenue_without_rounding: float | None = None
    # Clockodo documents this as an object, the JS SDK as a string list: keep it loose.
    restrictions: Any = None
    sub_groups: list[EntryGroup] | None = None


class ClockState(ClockodoModel):
    """GET /v2/clock: the running entry (if any), the last stopped one, and the server time."""

    running: Entry | None = None
    stopped: Entry | None = None
    current_time: UtcDatetime | None = None


class ClockStartStop(ClockodoModel):
    """Result of starting or stopping the clock."""

    running: Entry | None = None
    stopped: Entry | None = None
    stopped_has_been_truncated: bool = False
    current_time: UtcDatetime | None = None
    additional_message: str | None = None


class OverlappingCorrection(ClockodoModel):
    """How Clockodo resolved an overlap when a clocked duration was changed."""

    overlapping: bool = False
    overlapping_free_time_since: UtcDatetime | None = None
    truncate_previous_entry: int | None = None


class ClockDurationChange(ClockodoModel):
    """Result of PUT /v2/clock/{id}: the updated entry, the running one and any overlap correction."""

    updated: Entry
    running: Entry | None = None
    overlapping_correction: OverlappingCorrection | None = None
    current_time: UtcDatetime | None = None
