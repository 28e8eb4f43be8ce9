"""Pydantic models of Clockodo's responses and of the client's typed request parameters."""

from .base import ClockodoModel, MassEditPreview, Page, Paging, UtcDatetime
from .entries import ClockDurationChange, ClockStartStop, ClockState, Entry, EntryGroup, OverlappingCorrection
from .enums import (
    AbsenceStatus,
    AbsenceType,
    Billable,
    BillableFilter,
    BudgetInterval,
    BudgetOption,
    EntryType,
    Grouping,
    UserRole,
)
from .masterdata import Customer, LumpSumService, Project, ProjectBudget, Rate, Service, Subproject
from .people import Absence, Company, Team, User
from .reports import HolidaysQuota, NonbusinessDay, TargetHoursRow, UserReport, WorkTimeDay, WorkTimeInterval
from .requests import (
    EntryFilter,
    EntryGroupChanges,
    EntryUpdate,
    NewEntry,
    NewLumpSumServiceEntry,
    NewLumpSumValueEntry,
    NewTimeEntry,
)

__all__ = [
    "Absence",
    "AbsenceStatus",
    "AbsenceType",
    "Billable",
    "BillableFilter",
    "BudgetInterval",
    "BudgetOption",
    "ClockDurationChange",
    "ClockStartStop",
    "ClockState",
    "ClockodoModel",
    "Company",
    "Customer",
    "Entry",
    "EntryFilter",
    "EntryGroup",
    "EntryGroupChanges",
    "EntryType",
    "EntryUpdate",
    "Grouping",
    "HolidaysQuota",
    "LumpSumService",
    "MassEditPreview",
    "NewEntry",
    "NewLumpSumServiceEntry",
    "NewLumpSumValueEntry",
    "NewTimeEntry",
    "NonbusinessDay",
    "OverlappingCorrection",
    "Page",
    "Paging",
    "Project",
    "ProjectBudget",
    "Rate",
    "Service",
    "Subproject",
    "TargetHoursRow",
    "Team",
    "User",
    "UserReport",
    "UserRole",
    "UtcDatetime",
    "WorkTimeDay",
    "WorkTimeInterval",
]
