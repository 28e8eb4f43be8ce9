"""Users, the company, teams and absences."""

from __future__ import annotations

import datetime as dt

from .base import ClockodoModel, UtcDatetime
from .enums import AbsenceStatus, AbsenceType, UserRole


class User(ClockodoModel):
    """A co-worker (`/v3/users`, `/v4/users/me`)."""

    id: int
    name: str | None = None
    number: str | None = None
    email: str | None = None
    role: UserRole | None = None
    active: bool = True
    language: str | None = None
    timezone: str | None = None
    teams_id: int | None = None
    initials: str | None = None
    boss: int | None = None
    absence_managers_id: list[int] | None = None
    access_groups_ids: list[int] | None = None
    timeformat_12h: bool | None = None
    weekstart_monday: bool | None = None
    wage_type: int | None = None
    start_date: dt.date | None = None
    exit_date: dt.date | None = None
    future_coworker: bool | None = None
    work_time_regulations_id: int | None = None
    created_at: UtcDatetime | None = None


class Company(ClockodoModel):
    """Company settings (only exposed by the deprecated `/v2/aggregates/users/me`)."""

    id: int | None = None
    name: str | None = None
    currency: str | None = None
    timezone_default: str | None = None
    allow_entries_for_customers: bool | None = None
    allow_entry_overlaps: bool | None = None
    force_linked_entry_times: bool | None = None
    default_customers_id: int | None = None
    default_services_id: int | None = None
    module_absence: bool | None = None
    module_work_time: bool | None = None


class Team(ClockodoModel):
    """A team (`/v3/teams`)."""

    id: int
    name: str
    leader: int | None = None
    user_ids: list[int] | None = None


class Absence(ClockodoModel):
    """An absence (`/v4/absences`); `type` and `note` are visible only with rights or for own absences."""

    id: int
    users_id: int
    date_since: dt.date
    date_until: dt.date | None = None
    status: AbsenceStatus
    type: AbsenceType | None = None
    note: str | None = None
    public_note: str | None = None
    sick_note: bool | None = None
    half_day: bool | None = None
    count_days: float | None = None
    count_hours: float | None = None
    date_enquired: dt.date | None = None
    date_approved: dt.date | None = None
    approved_by: int | None = None
