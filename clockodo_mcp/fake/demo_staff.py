"""Runtime records shared by the demo generators: who works when, on what, and how days are laid out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Booking:
    """A project/service a person books on, with a relative weight, within the project's active days."""

    projects_id: int
    customers_id: int
    services_id: int
    weight: float
    first: date
    last: date


@dataclass(slots=True)
class Staff:
    """One employee as the generators see them; `first_day`..`last_day` is when they log time.

    `leader_id` is who approves their absences: the team leader, or the owner for leaders and the owner.
    """

    id: int
    name: str
    team: str
    leader_id: int
    weekdays: frozenset[int]
    minutes: tuple[int, int]
    first_day: date
    last_day: date
    bookings: list[Booking] = field(default_factory=list)
    core: bool = True


@dataclass(frozen=True, slots=True)
class Calendar:
    """The seed's calendar: `today`, the six-month window and the Berlin public holidays."""

    today: date
    start: date
    holidays: dict[date, str]

    def is_workday(self, day: date, weekdays: frozenset[int] = frozenset(range(5))) -> bool:
        """True if `day` is one of `weekdays` and no public holiday."""
        return day.weekday() in weekdays and day not in self.holidays

    def shift_workdays(self, day: date, n: int, weekdays: frozenset[int] = frozenset(range(5))) -> date:
        """The n-th working day after (n > 0) or before (n < 0) `day`; n = 0 → `day` or the next workday."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        while remaining or not self.is_workday(day, weekdays):
            day += timedelta(days=step)
            if self.is_workday(day, weekdays):
                remaining = max(0, remaining - 1)
        return day

    def workday_span(self, first: date, count: int, weekdays: frozenset[int]) -> date:
        """The last day of a run of `count` working days beginning on working day `first`."""
        return self.shift_workdays(first, count - 1, weekdays) if count > 1 else first
