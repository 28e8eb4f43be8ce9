"""User reports and time accounts: target hours, holiday quotas, nonbusiness days, work times."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .base import ClockodoModel, UtcDatetime


class UserReport(ClockodoModel):
    """A user's time account for a year (`/userreports`); all durations in seconds."""

    users_id: int
    users_name: str | None = None
    users_number: str | None = None
    users_email: str | None = None
    sum_target: float | None = None
    sum_hours: float | None = None
    sum_reduction_used: float | None = None
    sum_reduction_planned: float | None = None
    overtime_carryover: float | None = None
    overtime_reduced: float | None = None
    diff: float | None = None
    holidays_quota: float | None = None
    holidays_carry: float | None = None
    workdays: float | None = None
    sum_absence: dict[str, float] | None = None
    surcharges: dict[str, float] | None = None
    # Month/week/day details nest deeply and differ by report type: kept as loose JSON.
    month_details: list[dict[str, object]] | None = None


class TargetHoursRow(ClockodoModel):
    """A target-hours row (`/targethours`): weekly hours per weekday or a monthly target."""

    id: int
    users_id: int
    type: str
    date_since: dt.date
    date_until: dt.date | None = None
    monday: float | None = None
    tuesday: float | None = None
    wednesday: float | None = None
    thursday: float | None = None
    friday: float | None = None
    saturday: float | None = None
    sunday: float | None = None
    monthly_target: float | None = None
    compensation_daily: float | None = None
    compensation_monthly: float | None = None
    absence_fixed_credit: bool | None = None
    surcharge_models_id: int | None = None


class HolidaysQuota(ClockodoModel):
    """Holiday entitlement rows (`/v2/holidaysQuota`)."""

    id: int
    users_id: int
    year_since: int
    year_until: int | None = None
    count: float
    note: str | None = None


class NonbusinessDay(ClockodoModel):
    """A public holiday or other nonbusiness day (`/v2/nonbusinessDays`)."""

    id: int
    nonbusiness_group_id: int
    type: str
    name: str
    half_day: bool = False
    surcharge_special: bool | None = None
    evaluated_date: dt.date | None = None
    special_id: int | None = None
    day: int | None = None
    month: int | None = None
    year: int | None = None


class WorkTimeInterval(ClockodoModel):
    """A work-time interval; `time_until` is None while the clock runs."""

    time_since: UtcDatetime
    time_until: UtcDatetime | None = None


class WorkTimeDay(ClockodoModel):
    """One user's work times on one day (`/v2/workTimes`)."""

    date: dt.date
    users_id: int
    offset: int = 0
    intervals: list[WorkTimeInterval] = Field(default_factory=list)
