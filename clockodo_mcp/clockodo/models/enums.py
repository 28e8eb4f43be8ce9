"""Clockodo's small enumerations (API.md §18)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Billable(IntEnum):
    """Billability of an entry: 0 not billable, 1 billable (not yet billed), 2 billed."""

    NOT_BILLABLE = 0
    BILLABLE = 1
    BILLED = 2


class BillableFilter(IntEnum):
    """The `filter[billable]` values for entries; 12 means billable or billed."""

    NOT_BILLABLE = 0
    BILLABLE = 1
    BILLED = 2
    BILLABLE_OR_BILLED = 12


class EntryType(IntEnum):
    """Entry type: time entry, lump-sum value, lump-sum service."""

    TIME = 1
    LUMP_SUM_VALUE = 2
    LUMP_SUM_SERVICE = 3


class AbsenceStatus(IntEnum):
    """Approval state of an absence."""

    ENQUIRED = 0
    APPROVED = 1
    DECLINED = 2
    APPROVAL_CANCELLED = 3
    REQUEST_CANCELLED = 4


class AbsenceType(IntEnum):
    """Kind of absence; 3 (overtime reduction) is counted in hours, all others in days."""

    REGULAR_HOLIDAY = 1
    SPECIAL_LEAVE = 2
    OVERTIME_REDUCTION = 3
    SICK_SELF = 4
    SICK_CHILD = 5
    SCHOOL = 6
    MATERNITY_PROTECTION = 7
    HOME_OFFICE = 8
    WORK_OUT_OF_OFFICE = 9
    SPECIAL_LEAVE_UNPAID = 10
    SICK_SELF_UNPAID = 11
    SICK_CHILD_UNPAID = 12
    QUARANTINE = 13
    MILITARY_SERVICE = 14
    SICK_SELF_WITH_SICKNESS_BENEFIT = 15


class BudgetInterval(IntEnum):
    """Interval of a retainer project's budget."""

    WEEKLY = 0
    MONTHLY = 1
    QUARTERLY = 2
    YEARLY = 3


class Grouping(StrEnum):
    """Grouping criteria of `/v2/entrygroups`."""

    BILLABLE = "billable"
    CUSTOMERS_ID = "customers_id"
    DAY = "day"
    MONTH = "month"
    IS_LUMPSUM = "is_lumpsum"
    LUMPSUM_SERVICES_ID = "lumpsum_services_id"
    PROJECTS_ID = "projects_id"
    SERVICES_ID = "services_id"
    SUBPROJECTS_ID = "subprojects_id"
    TEXTS_ID = "texts_id"
    USERS_ID = "users_id"
    WEEK = "week"
    YEAR = "year"


class UserRole(StrEnum):
    """A user's role; `manager` is legacy but may still be returned for old accounts."""

    OWNER = "owner"
    MANAGER = "manager"
    WORKER = "worker"


class BudgetOption(StrEnum):
    """Values of `filter[budget_type]`."""

    STRICT = "rep_filter_budget_strict"
    STRICT_COMPLETED = "rep_filter_budget_strict_completed"
    STRICT_INCOMPLETE = "rep_filter_budget_strict_incomplete"
    SOFT = "rep_filter_budget_soft"
    SOFT_COMPLETED = "rep_filter_budget_soft_completed"
    SOFT_INCOMPLETE = "rep_filter_budget_soft_incomplete"
    WITHOUT = "rep_filter_budget_without"
    WITHOUT_STRICT = "rep_filter_budget_without_strict"
