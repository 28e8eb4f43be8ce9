"""The fake's input: a whole Clockodo company as plain records, produced by the demo seed or by tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

JSON = dict[str, Any]


@dataclass(slots=True)
class EntryRecord:
    """One Clockodo entry (`EntryV2`); compact because the large demo company holds 100,000+ of them.

    Datetimes are aware UTC. `hourly_rate=None` means "stamp it from the rate rules when loaded".
    `type`: 1 time entry, 2 lump-sum value, 3 lump-sum service. `billable`: 0, 1 or 2.
    """

    id: int
    type: int
    users_id: int
    customers_id: int
    projects_id: int | None
    services_id: int | None
    billable: int
    time_since: datetime
    time_until: datetime | None
    duration: int | None = None
    subprojects_id: int | None = None
    lumpsum_services_id: int | None = None
    lumpsum: float | None = None
    lumpsum_services_amount: float | None = None
    hourly_rate: float | None = None
    text: str | None = None
    texts_id: int | None = None
    time_insert: datetime | None = None
    time_last_change: datetime | None = None
    clocked: bool = False
    clocked_offline: bool = False
    time_clocked_since: datetime | None = None
    test_data: bool = False


@dataclass(slots=True)
class Dataset:
    """A company: every list holds dicts shaped exactly like Clockodo's current JSON responses.

    Dates and timestamps inside the dicts are strings as on the wire (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ`).
    Only `entries` uses `EntryRecord` (size). `api_keys` maps users_id → API key (never serialised).
    """

    today: date
    company: JSON
    users: list[JSON] = field(default_factory=list)
    api_keys: dict[int, str] = field(default_factory=dict)
    teams: list[JSON] = field(default_factory=list)
    customers: list[JSON] = field(default_factory=list)
    projects: list[JSON] = field(default_factory=list)
    subprojects: list[JSON] = field(default_factory=list)
    services: list[JSON] = field(default_factory=list)
    lumpsum_services: list[JSON] = field(default_factory=list)
    rates: list[JSON] = field(default_factory=list)
    default_hourly_rate: float = 0.0
    entries: list[EntryRecord] = field(default_factory=list)
    absences: list[JSON] = field(default_factory=list)
    target_hours: list[JSON] = field(default_factory=list)
    holidays_quota: list[JSON] = field(default_factory=list)
    nonbusiness_groups: list[JSON] = field(default_factory=list)
    nonbusiness_days: list[JSON] = field(default_factory=list)


def company_record(name: str, *, nonbusiness_group_default: int = 1, timezone: str = "Europe/Berlin") -> JSON:
    """A company as the deprecated `/v2/aggregates/users/me` returns it: 8 h Monday–Friday, all modules on."""
    week = dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), 8.0)
    return {
        "id": 1,
        "name": name,
        "timezone_default": timezone,
        "currency": "EUR",
        "allow_entries_text_multiline": True,
        "allow_entries_for_customers": True,
        "allow_entry_overlaps": False,
        "force_linked_entry_times": False,
        "default_customers_id": None,
        "default_services_id": None,
        "module_absence": True,
        "module_work_time": True,
        "module_targethours": True,
        "module_target_hours": True,
        "module_userreports": True,
        "module_user_reports": True,
        "module_project_times": True,
        "module_entries_texts": True,
        "nonbusiness_group_default": nonbusiness_group_default,
        "onboarding_complete": True,
        "worktime_regulation_default": None,
        "worktime_evaluate_regulations_since": None,
        "worktime_force_breaks": 0,
        "holidays_count_default": 30.0,
        "absence_reduces_target_hours": True,
        "compensate_day_default": 0.0,
        "compensate_month_default": 0.0,
        "target_hours_default": {**week, "saturday": 0.0, "sunday": 0.0},
    }
