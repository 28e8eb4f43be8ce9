"""Calendar rules: public holidays (nonbusiness days), working days from target hours, absence day counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from clockodo_mcp.fake.params import parse_date
from clockodo_mcp.fake.store import Store

JSON = dict[str, Any]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def evaluate(day: JSON, year: int, siblings: list[JSON]) -> date | None:
    """The date a nonbusiness day falls on in `year`, or None when it does not occur then."""
    kind = day.get("type")
    fixed = parse_date(str(day.get("evaluated_date") or ""))
    try:
        if kind == "DISTINCT_RECURRING" and day.get("month") and day.get("day"):
            return date(year, int(day["month"]), int(day["day"]))
        if kind == "DISTINCT_ONCE" and day.get("month") and day.get("day") and day.get("year"):
            once = date(int(day["year"]), int(day["month"]), int(day["day"]))
            return once if once.year == year else None
    except ValueError:
        return None
    if fixed is None:
        return None
    if fixed.year == year:
        return fixed
    if kind == "SPECIAL":
        # Movable feasts are Easter-based: keep the offset from Easter, unless the dataset lists that year itself.
        same = [s for s in siblings if s.get("name") == day.get("name") and s.get("type") == "SPECIAL"]
        if any((parse_date(str(s.get("evaluated_date") or "")) or date.min).year == year for s in same):
            return None
        if min(same, key=lambda s: str(s.get("evaluated_date")), default=day) is not day:
            return None
        return easter(year) + (fixed - easter(fixed.year))
    return None


def group_days(store: Store, group_ids: set[int] | None, year: int) -> list[tuple[JSON, date]]:
    """Nonbusiness days of the groups (all when None) that occur in `year`, by date.

    A dataset may list a recurring holiday once per year; each (group, name, date) is reported once, preferring
    the record evaluated for `year`.
    """
    days = [
        d for d in store.nonbusiness_days.values() if group_ids is None or d.get("nonbusiness_group_id") in group_ids
    ]
    chosen: dict[tuple[Any, Any, date], tuple[JSON, date]] = {}
    for day in days:
        siblings = [s for s in days if s.get("nonbusiness_group_id") == day.get("nonbusiness_group_id")]
        when = evaluate(day, year, siblings)
        if when is None:
            continue
        key = (day.get("nonbusiness_group_id"), day.get("name"), when)
        exact = str(day.get("evaluated_date")) == when.isoformat()
        if key not in chosen or (exact and str(chosen[key][0].get("evaluated_date")) != when.isoformat()):
            chosen[key] = (day, when)
    return sorted(chosen.values(), key=lambda item: (item[1], int(item[0].get("id", 0))))


def user_group(store: Store, users_id: int) -> int | None:
    """The nonbusiness group that applies to a user (their own, else the company default)."""
    user = store.users.get(users_id) or {}
    for key in ("nonbusiness_groups_id", "nonbusinessgroups_id"):
        if user.get(key):
            return int(user[key])
    if store.company.get("nonbusiness_group_default"):
        return int(store.company["nonbusiness_group_default"])
    for gid, group in store.nonbusiness_groups.items():
        if group.get("company_default"):
            return gid
    return None


def holidays_for(store: Store, users_id: int, year: int) -> dict[date, float]:
    """Public holidays of the user's group in `year`: date → 1.0 (full) or 0.5 (half day)."""
    group = user_group(store, users_id)
    ids = {group} if group is not None else None
    return {when: 0.5 if day.get("half_day") else 1.0 for day, when in group_days(store, ids, year)}


def target_row(store: Store, users_id: int, day: date) -> JSON | None:
    """The user's target-hours row in force on `day`."""
    best: JSON | None = None
    for row in store.target_hours.values():
        if row.get("users_id") != users_id:
            continue
        since = parse_date(str(row.get("date_since") or "")) or date.min
        until = parse_date(str(row.get("date_until") or "")) or date.max
        if since <= day <= until and (best is None or str(row.get("date_since")) > str(best.get("date_since"))):
            best = row
    return best


def target_hours(row: JSON | None, day: date) -> float | None:
    """Planned hours for `day` from a row (None without a row)."""
    if row is None:
        return None
    name = WEEKDAYS[day.weekday()]
    if row.get("type") == "monthly":
        if not row.get(f"workday_{name}"):
            return 0.0
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        count = sum(
            1
            for n in range((following - first).days)
            if row.get(f"workday_{WEEKDAYS[(first + timedelta(n)).weekday()]}")
        )
        return float(row.get("monthly_target") or 0.0) / count if count else 0.0
    return float(row.get(name) or 0.0)


def is_workday(store: Store, users_id: int, day: date) -> bool:
    """A working day by the user's target hours (Monday to Friday when they have none)."""
    row = target_row(store, users_id, day)
    if row is None:
        return day.weekday() < 5
    if row.get("type") == "monthly":
        return bool(row.get(f"workday_{WEEKDAYS[day.weekday()]}"))
    return float(row.get(WEEKDAYS[day.weekday()]) or 0.0) > 0


def count_days(store: Store, users_id: int, since: date, until: date, half_day: bool) -> float:
    """Absence days: the user's working days in the range minus public holidays; 0.5 for a half day."""
    holidays: dict[date, float] = {}
    for year in range(since.year, until.year + 1):
        holidays.update(holidays_for(store, users_id, year))
    total = 0.0
    day = since
    while day <= until:
        if is_workday(store, users_id, day):
            total += 1.0 - holidays.get(day, 0.0)
        day += timedelta(days=1)
    return min(total, 0.5) if half_day else total
