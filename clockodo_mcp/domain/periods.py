"""Periods ("this_month", "last_30_days", {"from", "to"}) as calendar ranges in the account's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

MAX_PERIOD_DAYS = 731
# Clockodo's own bounds for years (e.g. `filter[year]`, holiday quotas: 2000..2037 in the OpenAPI spec). Checking
# every day against them first also keeps date arithmetic (a day + 1, local midnight in UTC) clear of year 1 / 9999.
FIRST_YEAR = 2000
LAST_YEAR = 2037
FIRST_DAY = date(FIRST_YEAR, 1, 1)
LAST_DAY = date(LAST_YEAR, 12, 31)
NAMED_PERIODS = (
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
)
PERIOD_HELP = (
    "Use one of: " + ", ".join(NAMED_PERIODS) + ", last_N_days (e.g. last_30_days), a date 'YYYY-MM-DD', "
    'a month \'YYYY-MM\', a quarter \'YYYY-Q1\', a year \'YYYY\', or {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} '
    "(both inclusive)."
)

_LAST_N_DAYS = re.compile(r"^last_(\d{1,4})_days?$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """A period that cannot be understood or is out of range."""


def check_year(year: int, subject: str) -> None:
    """Refuse a year Clockodo does not accept; the message names `subject` and the valid range."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(
            f"{subject} is outside the years Clockodo accepts ({FIRST_YEAR}–{LAST_YEAR}); use days from "
            f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}."
        )


def check_day(day: date, subject: str) -> None:
    """Refuse a day outside the years Clockodo accepts."""
    check_year(day.year, f"{subject} ({day.isoformat()})")


class DateRange(BaseModel):
    """An explicit, inclusive date range."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_: date = Field(alias="from")  # the schema says format: date, the class docstring says inclusive
    to: date


PeriodInput = str | DateRange


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive range of calendar days in a time zone."""

    start: date
    end: date
    tz: ZoneInfo
    label: str

    @property
    def days(self) -> int:
        """Number of calendar days in the period."""
        return (self.end - self.start).days + 1

    @property
    def utc_since(self) -> datetime:
        """Start of the first day, in UTC."""
        return local_midnight_utc(self.start, self.tz)

    @property
    def utc_until(self) -> datetime:
        """Start of the day after the last day, in UTC (exclusive end)."""
        return local_midnight_utc(self.end + timedelta(days=1), self.tz)

    def contains(self, day: date) -> bool:
        """Whether a calendar day lies in the period."""
        return self.start <= day <= self.end

    def describe(self) -> str:
        """Human-readable, e.g. 'this_month (2026-11-01 – 2026-11-30)'."""
        return f"{self.label} ({self.start.isoformat()} – {self.end.isoformat()})"


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """Midnight at the start of `day` in `tz`, as an aware UTC datetime."""
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    """The calendar day of an aware instant in `tz`."""
    return now.astimezone(tz).date()


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(first: date) -> date:
    return _add_months(first, 1) - timedelta(days=1)


def _named(name: str, today: date, week_starts_monday: bool) -> tuple[date, date]:
    weekday = today.weekday() if week_starts_monday else (today.weekday() + 1) % 7
    week_start = today - timedelta(days=weekday)
    month_start = today.replace(day=1)
    quarter_start = _quarter_start(today)
    match name:
        case "today":
            return today, today
        case "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        case "this_week":
            return week_start, week_start + timedelta(days=6)
        case "last_week":
            return week_start - timedelta(days=7), week_start - timedelta(days=1)
        case "this_month":
            return month_start, _month_end(month_start)
        case "last_month":
            previous = _add_months(month_start, -1)
            return previous, _month_end(previous)
        case "this_quarter":
            return quarter_start, _add_months(quarter_start, 3) - timedelta(days=1)
        case "last_quarter":
            previous = _add_months(quarter_start, -3)
            return previous, quarter_start - timedelta(days=1)
        case "this_year":
            return date(today.year, 1, 1), date(today.year, 12, 31)
        case _:  # last_year
            return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)


def _parse_text(text: str, today: date, week_starts_monday: bool) -> tuple[date, date]:
    lowered = text.strip().lower()
    key = lowered.replace(" ", "_").replace("-", "_")
    if key in NAMED_PERIODS:
        return _named(key, today, week_starts_monday)
    if match := _LAST_N_DAYS.match(key):
        count = int(match.group(1))
        if not 1 <= count <= MAX_PERIOD_DAYS:
            raise PeriodError(f"last_{count}_days is out of range: N must be between 1 and {MAX_PERIOD_DAYS}.")
        return today - timedelta(days=count - 1), today
    if match := _QUARTER.match(lowered):
        check_year(int(match.group(1)), f"The period '{text}'")
        first = date(int(match.group(1)), 3 * (int(match.group(2)) - 1) + 1, 1)
        return first, _add_months(first, 3) - timedelta(days=1)
    if match := _MONTH.match(lowered):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"'{text}' has no month {month}. {PERIOD_HELP}")
        check_year(int(match.group(1)), f"The period '{text}'")
        first = date(int(match.group(1)), month, 1)
        return first, _month_end(first)
    if match := _YEAR.match(lowered):
        year = int(match.group(1))
        check_year(year, f"The period '{text}'")
        return date(year, 1, 1), date(year, 12, 31)
    try:
        day = date.fromisoformat(lowered)
    except ValueError:
        raise PeriodError(f"Cannot understand the period '{text}'. {PERIOD_HELP}") from None
    return day, day


def parse_period(
    value: PeriodInput | dict[str, str],
    *,
    tz: ZoneInfo,
    now: datetime,
    week_starts_monday: bool = True,
    max_days: int = MAX_PERIOD_DAYS,
) -> Period:
    """Turn a period argument into an inclusive day range in `tz`; raises `PeriodError` with a fix."""
    today = local_today(now, tz)
    if isinstance(value, dict):
        try:
            value = DateRange.model_validate(value)
        except ValueError:
            raise PeriodError(f"Cannot understand the period {value!r}. {PERIOD_HELP}") from None
    if isinstance(value, DateRange):
        start, end, label = value.from_, value.to, "custom"
    else:
        if not value.strip():
            raise PeriodError(f"The period is empty. {PERIOD_HELP}")
        start, end = _parse_text(value, today, week_starts_monday)
        label = value.strip()
    check_day(start, "The period's first day")
    check_day(end, "The period's last day")
    if end < start:
        raise PeriodError(
            f"The period ends ({end.isoformat()}) before it starts ({start.isoformat()}). Swap 'from' and 'to'."
        )
    if (end - start).days + 1 > max_days:
        raise PeriodError(
            f"The period {start.isoformat()} – {end.isoformat()} is longer than {max_days} days; "
            "split it into shorter periods (at most two years)."
        )
    return Period(start=start, end=end, tz=tz, label=label)
