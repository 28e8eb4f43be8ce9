"""Time accounts and reports: `/userreports`, `/targethours`, `/v2/holidaysQuota`, `/v2/nonbusinessDays`,
`/v2/workTimes` — computed from entries, target hours, absences and public holidays."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.routing import Route

from clockodo_mcp.fake.errors import Family, bad_request, forbidden, not_found
from clockodo_mcp.fake.paging import page_request, paginate
from clockodo_mcp.fake.params import format_ts, parse_date
from clockodo_mcp.fake.rating import time_entry_seconds
from clockodo_mcp.fake.routing import Ctx, api_route
from clockodo_mcp.fake.store import Store
from clockodo_mcp.fake.workdays import group_days, holidays_for, target_hours, user_group

JSON = dict[str, Any]
# Absence type → user-report category (type 3, overtime reduction, is counted in hours instead).
CATEGORIES = {
    1: "regular_holidays",
    2: "special_leaves",
    4: "sick_self",
    5: "sick_child",
    6: "school",
    7: "maternity_protection",
    8: "home_office",
    9: "out_of_office",
    10: "special_leaves",
    11: "sick_self",
    12: "sick_child",
    13: "quarantine",
    14: "military_service",
    15: "sick_self",
}
# Home office and work out of office keep the day's target hours.
TARGET_KEEPING_TYPES = (8, 9)
_ZERO_SURCHARGES = {
    "saturday": 0,
    "sunday": 0,
    "nonbusiness": 0,
    "nonbusiness_special": 0,
    "night": 0,
    "night_increased": 0,
}


_ABSENCE_KEYS = tuple(sorted(set(CATEGORIES.values())))


def _zero_absence() -> dict[str, float]:
    return dict.fromkeys(_ABSENCE_KEYS, 0.0)


_NO_ABSENCE = _zero_absence()


def _visible_users(ctx: Ctx, users_ids: list[int] | None) -> list[int]:
    caller = ctx.caller
    if caller.is_owner:
        return users_ids if users_ids is not None else sorted(ctx.store.users)
    if users_ids is not None and set(users_ids) - {caller.id}:
        raise forbidden("Your access rights do not allow you to see data of other users.")
    return [caller.id]


# -- user reports --------------------------------------------------------------------------------------------


class _YearData:
    """Per (user, local day): worked seconds and worked intervals of one year, from a single pass."""

    def __init__(self, store: Store, year: int) -> None:
        start = datetime(year, 1, 1, tzinfo=store.tz).astimezone(UTC)
        end = datetime(year + 1, 1, 1, tzinfo=store.tz).astimezone(UTC)
        now_ts = store.now().timestamp()
        self.seconds: dict[tuple[int, date], int] = defaultdict(int)
        self.intervals: dict[tuple[int, date], list[tuple[datetime, datetime | None]]] = defaultdict(list)
        local_dates: dict[int, date] = {}
        tz = store.tz
        for entry in store.window(start, end):
            if entry.type != 1:
                continue
            # Offsets are multiples of 15 minutes, so the local date is constant per quarter hour.
            slot = int(entry.time_since.timestamp()) // 900
            day = local_dates.get(slot)
            if day is None:
                day = local_dates[slot] = entry.time_since.astimezone(tz).date()
            key = (entry.users_id, day)
            self.seconds[key] += time_entry_seconds(entry, now_ts)
            self.intervals[key].append((entry.time_since, entry.time_until))
        self.year = year
        self._holidays: dict[int | None, dict[date, float]] = {}

    def holidays(self, store: Store, users_id: int) -> dict[date, float]:
        """Public holidays for the user's group, computed once per group."""
        group = user_group(store, users_id)
        found = self._holidays.get(group)
        if found is None:
            found = self._holidays[group] = holidays_for(store, users_id, self.year)
        return found


def _absence_days(store: Store, users_id: int, year: int) -> tuple[dict[date, tuple[int, float]], dict[date, float]]:
    """Approved day absences (date → (type, fraction)) and overtime-reduction hours (date → hours)."""
    days: dict[date, tuple[int, float]] = {}
    reductions: dict[date, float] = {}
    for absence in store.absences.values():
        if absence.get("users_id") != users_id or absence.get("status") != 1:
            continue
        since = parse_date(str(absence.get("date_since")))
        until = parse_date(str(absence.get("date_until") or absence.get("date_since")))
        if since is None or until is None or since.year > year or until.year < year:
            continue
        kind = int(absence.get("type") or 0)
        if kind == 3:
            reductions[since] = reductions.get(since, 0.0) + float(absence.get("count_hours") or 0.0)
            continue
        fraction = 0.5 if absence.get("half_day") else 1.0
        day = since
        while day <= until:
            days[day] = (kind, fraction)
            day += timedelta(days=1)
    return days, reductions


def user_report(store: Store, user: JSON, year: int, report_type: int, data: _YearData) -> JSON:
    """One `UserReportV1`: targets up to today, worked hours, absences, with month/week/day details."""
    uid = int(user["id"])
    today = store.local_today()
    rows = _RowFinder([r for r in store.target_hours.values() if r.get("users_id") == uid])
    holidays = data.holidays(store, uid)
    absences, reductions = _absence_days(store, uid, year)
    totals = {"target": 0.0, "hours": 0.0, "reduction": 0.0, "planned": 0.0, "workdays": 0.0}
    sum_absence = _zero_absence()
    months: dict[int, dict[int, list[tuple[bool, JSON]]]] = defaultdict(lambda: defaultdict(list))
    has_target = False
    day = date(year, 1, 1)
    while day.year == year:
        row = rows.at(day)
        raw = target_hours(row, day)
        has_target |= raw is not None
        off = holidays.get(day, 0.0)
        absence = absences.get(day)
        counts = _zero_absence() if report_type >= 3 or absence is not None else _NO_ABSENCE
        absent = 0.0
        if absence is not None and (raw or 0) > 0 and off < 1:
            kind, fraction = absence
            counts[CATEGORIES.get(kind, "special_leaves")] = fraction
            sum_absence[CATEGORIES.get(kind, "special_leaves")] += fraction
            absent = 0.0 if kind in TARGET_KEEPING_TYPES else fraction
        target_raw = None if raw is None else raw * 3600
        target = None if target_raw is None else target_raw * max(0.0, 1.0 - off - absent)
        worked = float(data.seconds.get((uid, day), 0))
        reduction = reductions.get(day, 0.0) * 3600
        past = day <= today
        if raw and off < 1:
            totals["workdays"] += 1.0 - off
        if past:
            totals["target"] += target or 0.0
            totals["hours"] += worked
            totals["reduction"] += reduction
        else:
            totals["planned"] += reduction
        if report_type < 1:
            day += timedelta(days=1)
            continue
        if report_type < 3:
            # Only month and week sums are rendered: keep what they add up.
            light = {"date": day, "target": target, "hours": worked, "count_reduction_used": reduction}
            months[day.month][day.isocalendar()[1]].append((past, light))
            day += timedelta(days=1)
            continue
        detail: JSON = {
            "date": day.isoformat(),
            "weekday": day.isoweekday(),
            "nonbusiness": off > 0,
            "target": target,
            "target_raw": target_raw,
            "hours": worked,
            "hours_without_compensation": worked,
            "diff": worked - (target or 0.0) if past else 0.0,
            "count_absence": counts,
            "count_reduction_used": reduction,
            "surcharges": dict(_ZERO_SURCHARGES),
        }
        if report_type >= 4:
            detail.update(_work_times(data.intervals.get((uid, day), [])))
        months[day.month][day.isocalendar()[1]].append((past, detail))
        day += timedelta(days=1)
    report: JSON = {
        "users_id": uid,
        "users_name": user.get("name", ""),
        "users_number": user.get("number"),
        "users_email": user.get("email", ""),
        "sum_target": totals["target"] if has_target else None,
        "sum_hours": totals["hours"],
        "sum_reduction_used": totals["reduction"],
        "sum_reduction_planned": totals["planned"],
        "overtime_carryover": 0.0,
        "overtime_reduced": 0.0,
        "diff": totals["hours"] - totals["target"],
        "holidays_quota": _quota(store, uid, year),
        "holidays_carry": 0.0,
        "sum_absence": sum_absence,
        "surcharges": dict(_ZERO_SURCHARGES),
        "workdays": totals["workdays"],
        "month_details": _months(months, report_type) if report_type >= 1 else None,
    }
    return report


class _RowFinder:
    """The target-hours row in force on a day, for days visited in order (rows rarely change)."""

    def __init__(self, rows: list[JSON]) -> None:
        self.rows = [
            (parse_date(str(r.get("date_since") or "")) or date.min, parse_date(str(r.get("date_until") or "")), r)
            for r in rows
        ]
        self.rows.sort(key=lambda item: item[0])
        self._current: tuple[date, date, JSON | None] = (date.max, date.min, None)

    def at(self, day: date) -> JSON | None:
        since, until, row = self._current
        if since <= day <= until:
            return row
        best: JSON | None = None
        start, end = date.min, date.max
        for row_since, row_until, candidate in self.rows:
            if row_since <= day and (row_until is None or day <= row_until):
                best, start, end = candidate, row_since, row_until or date.max
            elif row_since > day:
                end = min(end, row_since - timedelta(days=1))
        if best is None:
            start = max((u for _, u, _ in self.rows if u is not None and u < day), default=date.min)
            start = start + timedelta(days=1) if start != date.min else start
        self._current = (start, end, best)
        return best


def _sum(details: list[tuple[bool, JSON]], key: str) -> float:
    return float(sum(d[key] or 0.0 for past, d in details if past))


def _months(months: dict[int, dict[int, list[tuple[bool, JSON]]]], report_type: int) -> list[JSON]:
    result = []
    for nr in sorted(months):
        weeks = months[nr]
        days = [d for week in weeks.values() for d in week]
        target, hours = _sum(days, "target"), _sum(days, "hours")
        reduction = _sum(days, "count_reduction_used")
        week_details = None
        if report_type >= 2:
            week_details = []
            for week_nr in sorted(weeks, key=lambda w: str(weeks[w][0][1]["date"])):
                week_days = weeks[week_nr]
                w_target, w_hours = _sum(week_days, "target"), _sum(week_days, "hours")
                week_details.append(
                    {
                        "nr": week_nr,
                        "sum_target": w_target,
                        "sum_hours": w_hours,
                        "sum_reduction_used": _sum(week_days, "count_reduction_used"),
                        "diff": w_hours - w_target,
                        "surcharges": dict(_ZERO_SURCHARGES),
                        "day_details": [d for _, d in week_days] if report_type >= 3 else None,
                    }
                )
        result.append(
            {
                "nr": nr,
                "sum_target": target,
                "sum_hours": hours,
                "sum_hours_without_compensation": hours,
                "sum_reduction_used": reduction,
                "sum_overtime_reduced": 0.0,
                "diff": hours - target,
                "surcharges": dict(_ZERO_SURCHARGES),
                "week_details": week_details,
            }
        )
    return result


def _work_times(intervals: list[tuple[datetime, datetime | None]]) -> JSON:
    merged = _merge(intervals)
    breaks = [
        {"since": format_ts(a_end), "until": format_ts(b_start), "length": (b_start - a_end).total_seconds()}
        for (_, a_end), (b_start, _) in itertools.pairwise(merged)
        if a_end is not None
    ]
    return {
        "work_start": format_ts(merged[0][0]) if merged else None,
        "work_end": format_ts(merged[-1][1]) if merged else None,
        "breaks": breaks,
    }


def _merge(intervals: list[tuple[datetime, datetime | None]]) -> list[tuple[datetime, datetime | None]]:
    """Touching or overlapping intervals joined; a running interval stays open."""
    merged: list[tuple[datetime, datetime | None]] = []
    for since, until in sorted(intervals, key=lambda i: i[0]):
        if merged and merged[-1][1] is not None and since <= merged[-1][1]:
            end = merged[-1][1]
            merged[-1] = (merged[-1][0], None if until is None else max(end, until))
        elif merged and merged[-1][1] is None:
            continue
        else:
            merged.append((since, until))
    return merged


def _quota(store: Store, users_id: int, year: int) -> float:
    return float(sum(float(q.get("count") or 0.0) for q in _quotas(store, users_id, year)))


def _quotas(store: Store, users_id: int | None, year: int | None) -> list[JSON]:
    found = []
    for quota in store.holidays_quota.values():
        if users_id is not None and quota.get("users_id") != users_id:
            continue
        since = int(quota.get("year_since") or 0)
        until = quota.get("year_until")
        if year is not None and not (since <= year and (until is None or year <= int(until))):
            continue
        found.append(quota)
    return found


def _report_args(ctx: Ctx) -> tuple[int, int]:
    year = ctx.query.req_int("year", minimum=1910, maximum=2037)
    report_type = ctx.query.choice("type", (0, 1, 2, 3, 4)) or 0
    return year, report_type


def list_user_reports(ctx: Ctx) -> JSON:
    """GET /userreports?year=&type=."""
    year, report_type = _report_args(ctx)
    store = ctx.store
    data = _YearData(store, year)
    ids = _visible_users(ctx, None)
    # Owners get every active co-worker; a worker only their own report.
    users = [store.users[uid] for uid in ids if store.users[uid].get("active", True) or uid == ctx.caller.id]
    return {"userreports": [user_report(store, u, year, report_type, data) for u in users]}


def get_user_report(ctx: Ctx) -> JSON:
    """GET /userreports/{id}?year=&type=."""
    year, report_type = _report_args(ctx)
    uid = ctx.path_id()
    _visible_users(ctx, [uid])
    user = ctx.store.users.get(uid)
    if user is None:
        raise not_found("User", uid)
    return {"userreport": user_report(ctx.store, user, year, report_type, _YearData(ctx.store, year))}


# -- target hours, holiday quotas, nonbusiness days, work times ---------------------------------------------


def list_target_hours(ctx: Ctx) -> JSON:
    """GET /targethours?users_id=."""
    wanted = ctx.query.int_list("users_id", minimum=1)
    users = set(_visible_users(ctx, wanted))
    rows = [dict(r) for r in ctx.store.target_hours.values() if r.get("users_id") in users]
    rows.sort(key=lambda r: (int(r["users_id"]), str(r.get("date_since")), int(r["id"])))
    return {"targethours": rows}


def get_target_hours(ctx: Ctx) -> JSON:
    """GET /targethours/{id}."""
    row = ctx.store.target_hours.get(ctx.path_id())
    if row is None:
        raise not_found("Target hours row", ctx.path_id())
    _visible_users(ctx, [int(row["users_id"])])
    return {"targethoursRow": dict(row)}


def list_holidays_quota(ctx: Ctx) -> JSON:
    """GET /v2/holidaysQuota (`users_id`/`year`, also as `filter[...]`)."""
    flt = ctx.query.sub("filter")
    users_id = ctx.query.integer("users_id", minimum=1) or flt.integer("users_id", minimum=1)
    year = ctx.query.integer("year", minimum=2000, maximum=2037) or flt.integer("year", minimum=2000, maximum=2037)
    users = set(_visible_users(ctx, [users_id] if users_id else None))
    rows = [dict(q) for q in _quotas(ctx.store, None, year) if q.get("users_id") in users]
    rows.sort(key=lambda q: (int(q["users_id"]), int(q.get("year_since") or 0), int(q["id"])))
    return {"data": rows}


def get_holidays_quota(ctx: Ctx) -> JSON:
    """GET /v2/holidaysQuota/{id}."""
    quota = ctx.store.holidays_quota.get(ctx.path_id())
    if quota is None:
        raise not_found("Holidays quota", ctx.path_id())
    _visible_users(ctx, [int(quota["users_id"])])
    return {"data": dict(quota)}


def _render_day(day: JSON, when: date) -> JSON:
    data = dict(day)
    data["evaluated_date"] = when.isoformat()
    return data


def list_nonbusiness_days(ctx: Ctx) -> JSON:
    """GET /v2/nonbusinessDays?year=&nonbusiness_group_id[]=."""
    store = ctx.store
    year = ctx.query.integer("year", minimum=2000, maximum=2037) or store.local_today().year
    groups = ctx.query.int_list("nonbusiness_group_id", minimum=1)
    days = group_days(store, set(groups) if groups is not None else None, year)
    return {"data": [_render_day(day, when) for day, when in days]}


def get_nonbusiness_day(ctx: Ctx) -> JSON:
    """GET /v2/nonbusinessDays/{id}?year=."""
    store = ctx.store
    day = store.nonbusiness_days.get(ctx.path_id())
    if day is None:
        raise not_found("Nonbusiness day", ctx.path_id())
    year = ctx.query.integer("year", minimum=2000, maximum=2037) or store.local_today().year
    for found, when in group_days(store, {int(day.get("nonbusiness_group_id") or 0)}, year):
        if found is day:
            return {"data": _render_day(day, when)}
    return {"data": dict(day)}


def list_work_times(ctx: Ctx) -> JSON:
    """GET /v2/workTimes: per local day, the user's worked intervals (derived from time entries)."""
    query, store = ctx.query, ctx.store
    since = query.day("date_since", required=True)
    until = query.day("date_until", required=True)
    assert since is not None
    assert until is not None
    if until < since:
        raise bad_request("date_until must not be before date_since.", "date_until")
    if (until - since).days > 366:
        raise bad_request("The range may span at most one year.", "date_until")
    users_id = query.integer("users_id", minimum=1) or ctx.caller.id
    _visible_users(ctx, [users_id])
    start = datetime(since.year, since.month, since.day, tzinfo=store.tz).astimezone(UTC)
    end_day = until + timedelta(days=1)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=store.tz).astimezone(UTC)
    per_day: dict[date, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for entry in store.user_window(users_id, start, end):
        if entry.type == 1:
            per_day[store.local_date(entry.time_since)].append((entry.time_since, entry.time_until))
    days = [
        {
            "date": day.isoformat(),
            "users_id": users_id,
            "offset": 0,
            "intervals": [{"time_since": format_ts(a), "time_until": format_ts(b)} for a, b in _merge(per_day[day])],
        }
        for day in sorted(per_day)
    ]
    page, per_page = page_request(query, 1000)
    chunk, paging = paginate(days, page, per_page)
    return {"paging": paging, "work_time_days": list(chunk)}


def routes() -> list[Route]:
    """The report and time-account routes."""
    general = Family.GENERAL
    return [
        api_route("/userreports", list_user_reports, ["GET"], general),
        api_route("/userreports/{id:int}", get_user_report, ["GET"], general),
        api_route("/targethours", list_target_hours, ["GET"], general),
        api_route("/targethours/{id:int}", get_target_hours, ["GET"], general),
        api_route("/v2/holidaysQuota", list_holidays_quota, ["GET"], general),
        api_route("/v2/holidaysQuota/{id:int}", get_holidays_quota, ["GET"], general),
        api_route("/v2/nonbusinessDays", list_nonbusiness_days, ["GET"], general),
        api_route("/v2/nonbusinessDays/{id:int}", get_nonbusiness_day, ["GET"], general),
        api_route("/v2/workTimes", list_work_times, ["GET"], Family.SIMPLE),
    ]
