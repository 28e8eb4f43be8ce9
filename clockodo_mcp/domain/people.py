"""People: absences (names, days), target hours, utilization, the absence approval queue and holiday quotas."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from clockodo_mcp.clockodo import (
    Absence,
    AbsenceStatus,
    AbsenceType,
    ClockodoClient,
    Entry,
    EntryFilter,
    EntryGroup,
    Grouping,
    HolidaysQuota,
    NonbusinessDay,
    TargetHoursRow,
    User,
)
from clockodo_mcp.clockodo.resources.base import unexpected
from clockodo_mcp.domain.groups import Leaf, leaves, without_running
from clockodo_mcp.domain.masterdata import MasterData
from clockodo_mcp.domain.periods import Period
from clockodo_mcp.domain.running import Timers, TimerSource, timers_for
from clockodo_mcp.domain.tasks import gather

STATUS_NAMES: dict[int, str] = {
    AbsenceStatus.ENQUIRED: "pending",
    AbsenceStatus.APPROVED: "approved",
    AbsenceStatus.DECLINED: "declined",
    AbsenceStatus.APPROVAL_CANCELLED: "approval_cancelled",
    AbsenceStatus.REQUEST_CANCELLED: "request_cancelled",
}
STATUS_ALIASES: dict[str, int] = {
    **{name: int(value) for value, name in STATUS_NAMES.items()},
    "enquired": int(AbsenceStatus.ENQUIRED),
    "requested": int(AbsenceStatus.ENQUIRED),
}
TYPE_NAMES: dict[int, str] = {int(t): t.name.lower() for t in AbsenceType}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Home office and work out of office are work: Clockodo keeps the target hours on those days.
TARGET_KEEPING_TYPES = frozenset({int(AbsenceType.HOME_OFFICE), int(AbsenceType.WORK_OUT_OF_OFFICE)})


def status_name(status: int) -> str:
    """'pending', 'approved', … for a raw status."""
    return STATUS_NAMES.get(int(status), f"status_{int(status)}")


def type_name(kind: int | None) -> str | None:
    """'regular_holiday', 'sick_self', … for a raw type (None when Clockodo hides it)."""
    return None if kind is None else TYPE_NAMES.get(int(kind), f"type_{int(kind)}")


def absence_last_day(absence: Absence) -> date:
    """The last day of an absence (a one-day absence may come without `date_until`)."""
    return absence.date_until or absence.date_since


def overlaps(absence: Absence, start: date, end: date) -> bool:
    """Whether an absence touches the inclusive range [start, end]."""
    return absence.date_since <= end and absence_last_day(absence) >= start


def days_between(first: date, last: date) -> Iterable[date]:
    """Every date from `first` to `last` inclusive."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


# -- target hours ----------------------------------------------------------------------------------------


def row_covers(row: TargetHoursRow, day: date) -> bool:
    """Whether a target-hours row applies on `day`."""
    return row.date_since <= day and (row.date_until is None or day <= row.date_until)


def _monthly_workday(row: TargetHoursRow, weekday: int) -> bool:
    """A monthly row's `workday_<weekday>` flag (Mon–Fri when Clockodo leaves it out)."""
    extra = row.model_extra or {}
    flag = extra.get(f"workday_{WEEKDAYS[weekday]}")
    return weekday < 5 if flag is None else bool(flag)


def _month_days(day: date) -> list[date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return list(days_between(first, following - timedelta(days=1)))


def raw_target(row: TargetHoursRow, day: date) -> float:
    """A row's planned hours on one day, before holidays and absences."""
    if row.type == "monthly":
        if not _monthly_workday(row, day.weekday()):
            return 0.0
        workdays = sum(1 for d in _month_days(day) if _monthly_workday(row, d.weekday()))
        return (row.monthly_target or 0.0) / workdays if workdays else 0.0
    value = getattr(row, WEEKDAYS[day.weekday()])
    return float(value or 0.0)


def current_row(rows: Iterable[TargetHoursRow], day: date) -> TargetHoursRow | None:
    """The row in force on `day` (the latest-starting one if rows overlap)."""
    applicable = [row for row in rows if row_covers(row, day)]
    return max(applicable, key=lambda row: (row.date_since, row.id), default=None)


def weekly_hours(row: TargetHoursRow) -> float | None:
    """Planned hours per week of a weekly row (None for a monthly row)."""
    if row.type == "monthly":
        return None
    return sum(float(getattr(row, name) or 0.0) for name in WEEKDAYS)


def nonbusiness_fractions(days: Iterable[NonbusinessDay]) -> dict[date, float]:
    """Date → share of the day that is off (1.0, or 0.5 for half holidays)."""
    off: dict[date, float] = {}
    for day in days:
        if day.evaluated_date is not None:
            share = 0.5 if day.half_day else 1.0
            off[day.evaluated_date] = max(off.get(day.evaluated_date, 0.0), share)
    return off


@dataclass(frozen=True, slots=True)
class TargetBreakdown:
    """One user's target hours in a range: planned, minus public holidays, minus absences."""

    planned: float = 0.0
    holidays: float = 0.0
    absences: float = 0.0

    @property
    def target(self) -> float:
        """Planned minus holidays minus absences (never negative)."""
        return max(0.0, self.planned - self.holidays - self.absences)


def target_hours(
    rows: Sequence[TargetHoursRow],
    start: date,
    end: date,
    *,
    nonbusiness: dict[date, float],
    absences: Sequence[Absence] = (),
    employed_from: date | None = None,
    employed_until: date | None = None,
) -> TargetBreakdown:
    """Clockodo's target hours of one user in [start, end]: rows' hours minus nonbusiness days and approved absences.

    Half-day absences take half the day's remaining target; overtime reduction (type 3) takes its `count_hours`;
    home office and work out of office keep the target.
    """
    first = max(start, employed_from) if employed_from else start
    last = min(end, employed_until) if employed_until else end
    if last < first:
        return TargetBreakdown()
    left: dict[date, float] = {}
    planned = holidays = 0.0
    for day in days_between(first, last):
        row = current_row(rows, day)
        hours = raw_target(row, day) if row is not None else 0.0
        planned += hours
        off = hours * nonbusiness.get(day, 0.0)
        holidays += off
        left[day] = hours - off
    taken = 0.0
    for absence in absences:
        if int(absence.status) != AbsenceStatus.APPROVED or not overlaps(absence, first, last):
            continue
        kind = None if absence.type is None else int(absence.type)
        if kind in TARGET_KEEPING_TYPES:
            continue
        budget = absence.count_hours if kind == AbsenceType.OVERTIME_REDUCTION else None
        for day in days_between(max(absence.date_since, first), min(absence_last_day(absence), last)):
            available = left.get(day, 0.0)
            if budget is not None:
                cut = min(available, budget)
                budget -= cut
            else:
                cut = available * (0.5 if absence.half_day else 1.0)
            left[day] = available - cut
            taken += cut
    return TargetBreakdown(planned=planned, holidays=holidays, absences=taken)


# -- utilization -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Utilization:
    """Worked, billable and target hours of a user or a team; ratios are computed from the sums."""

    worked_seconds: int = 0
    billable_seconds: int = 0
    target: TargetBreakdown = field(default_factory=TargetBreakdown)

    @property
    def worked_hours(self) -> float:
        """All time entries, in hours."""
        return self.worked_seconds / 3600.0

    @property
    def billable_hours(self) -> float:
        """Billable (unbilled or billed) time, in hours."""
        return self.billable_seconds / 3600.0

    @property
    def utilization(self) -> float | None:
        """Billable ÷ target (None when there is no target)."""
        return self.billable_hours / self.target.target if self.target.target > 0 else None

    @property
    def billable_share(self) -> float | None:
        """Billable ÷ worked (None when nothing was worked)."""
        return self.billable_seconds / self.worked_seconds if self.worked_seconds else None

    def absorb(self, other: Utilization) -> None:
        """Add another row (sum first, divide later)."""
        self.worked_seconds += other.worked_seconds
        self.billable_seconds += other.billable_seconds
        self.target = TargetBreakdown(
            self.target.planned + other.target.planned,
            self.target.holidays + other.target.holidays,
            self.target.absences + other.target.absences,
        )


@dataclass(slots=True)
class UtilizationReport:
    """Per-user and per-team utilization over a period; targets count up to `target_until`."""

    users: dict[int, Utilization]
    teams: dict[int | None, Utilization]
    team_members: dict[int | None, list[int]]
    target_until: date | None
    total: Utilization
    running: tuple[Entry, ...] = ()
    # With `by_week`: the ISO weeks touched by the period ("2026-W47") and, per user, team and the total, one
    # Utilization per week (worked and billable in the week, the target of its days up to `target_until`).
    weeks: tuple[str, ...] = ()
    user_weeks: dict[int, list[Utilization]] = field(default_factory=dict)
    team_weeks: dict[int | None, list[Utilization]] = field(default_factory=dict)
    total_weeks: list[Utilization] = field(default_factory=list)


def years_of(start: date, end: date) -> list[int]:
    """Calendar years touched by [start, end]."""
    return list(range(start.year, end.year + 1))


def worked_by_user(groups: Sequence[EntryGroup]) -> dict[int, tuple[int, int]]:
    """users_id → (all seconds, billable seconds) from entry groups nested [users_id, billable]."""
    return worked_of_leaves(leaves(groups))


def worked_of_leaves(found: Iterable[Leaf]) -> dict[int, tuple[int, int]]:
    """users_id → (all seconds, billable seconds) from leaves keyed by users_id and billable."""
    result: dict[int, tuple[int, int]] = {}
    for leaf in found:
        raw = leaf.keys.get(Grouping.USERS_ID.value, "")
        if not raw.isdigit():
            continue
        state = leaf.keys.get(Grouping.BILLABLE.value, "0")
        worked, billable = result.get(int(raw), (0, 0))
        result[int(raw)] = (worked + leaf.seconds, billable + (leaf.seconds if state in ("1", "2") else 0))
    return result


def iso_week(day: date) -> str:
    """The ISO week of a day as Clockodo's week groups name it: "2026-W47"."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def weeks_of(start: date, end: date) -> list[tuple[str, date, date]]:
    """The ISO weeks touched by [start, end]: (name, first day, last day), each clipped to the range."""
    weeks: list[tuple[str, date, date]] = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        weeks.append((iso_week(monday), max(monday, start), min(monday + timedelta(days=6), end)))
        monday += timedelta(days=7)
    return weeks


def _week_name(key: str) -> str | None:
    """A week group's key ("2026-W47", "202647", "2026-47") as `iso_week` names it, None if it is none."""
    digits = key.replace("W", "").replace("-", "")
    if not digits.isdigit() or len(digits) not in (5, 6):
        return None
    return f"{digits[:4]}-W{int(digits[4:]):02d}"


def worked_by_week(found: Iterable[Leaf]) -> dict[tuple[int, str], tuple[int, int]]:
    """(users_id, ISO week) → (all seconds, billable seconds) from leaves keyed by users_id, week and billable."""
    result: dict[tuple[int, str], tuple[int, int]] = {}
    for leaf in found:
        raw = leaf.keys.get(Grouping.USERS_ID.value, "")
        key = leaf.keys.get(Grouping.WEEK.value, "")
        week = _week_name(key)
        if week is None:
            # Clockodo does not document the week group's format (API.md, open question 5): an unknown one must fail
            # the call, never count as a week without hours.
            raise unexpected("/v2/entrygroups grouped by week", f"a week group named {key!r}, not like 2026-W47")
        if not raw.isdigit():
            continue
        state = leaf.keys.get(Grouping.BILLABLE.value, "0")
        worked, billable = result.get((int(raw), week), (0, 0))
        result[(int(raw), week)] = (worked + leaf.seconds, billable + (leaf.seconds if state in ("1", "2") else 0))
    return result


def build_utilization(
    master: MasterData,
    user_ids: Sequence[int],
    worked: dict[int, tuple[int, int]],
    rows: Sequence[TargetHoursRow],
    nonbusiness: dict[date, float],
    absences: Sequence[Absence],
    start: date,
    target_until: date | None,
    *,
    with_teams: bool = True,
    weeks: Sequence[tuple[str, date, date]] = (),
    weekly: dict[tuple[int, str], tuple[int, int]] | None = None,
) -> UtilizationReport:
    """Per-user rows (active users, and anyone with hours or a target) and team rows summed from them.

    With `weeks` (from `weeks_of`) and `weekly` (from `worked_by_week`), also every row's utilization per week.
    """
    rows_by_user: dict[int, list[TargetHoursRow]] = {}
    for row in rows:
        rows_by_user.setdefault(row.users_id, []).append(row)
    absences_by_user: dict[int, list[Absence]] = {}
    for absence in absences:
        absences_by_user.setdefault(absence.users_id, []).append(absence)
    users: dict[int, Utilization] = {}
    for uid in user_ids:
        user: User | None = master.users.get(uid)
        target = TargetBreakdown()
        if target_until is not None and target_until >= start:
            target = target_hours(
                rows_by_user.get(uid, []),
                start,
                target_until,
                nonbusiness=nonbusiness,
                absences=absences_by_user.get(uid, []),
                employed_from=user.start_date if user else None,
                employed_until=user.exit_date if user else None,
            )
        all_seconds, billable_seconds = worked.get(uid, (0, 0))
        if (user is not None and user.active) or all_seconds or target.target > 0:
            users[uid] = Utilization(all_seconds, billable_seconds, target)
    user_weeks: dict[int, list[Utilization]] = {}
    if weekly is not None:
        for uid in users:
            user = master.users.get(uid)
            per_week: list[Utilization] = []
            for name, first, last in weeks:
                target = TargetBreakdown()
                if target_until is not None and first <= target_until:
                    target = target_hours(
                        rows_by_user.get(uid, []),
                        first,
                        min(last, target_until),
                        nonbusiness=nonbusiness,
                        absences=absences_by_user.get(uid, []),
                        employed_from=user.start_date if user else None,
                        employed_until=user.exit_date if user else None,
                    )
                per_week.append(Utilization(*weekly.get((uid, name), (0, 0)), target))
            user_weeks[uid] = per_week
    teams: dict[int | None, Utilization] = {}
    members: dict[int | None, list[int]] = {}
    total = Utilization()
    team_weeks: dict[int | None, list[Utilization]] = {}
    total_weeks = [Utilization() for _ in weeks] if weekly is not None else []
    for uid, one in users.items():
        total.absorb(one)
        for sum_, part in zip(total_weeks, user_weeks.get(uid, []), strict=False):
            sum_.absorb(part)
        if with_teams:
            team_id = master.team_of(uid)
            teams.setdefault(team_id, Utilization()).absorb(one)
            members.setdefault(team_id, []).append(uid)
            if weekly is not None:
                sums = team_weeks.setdefault(team_id, [Utilization() for _ in weeks])
                for sum_, part in zip(sums, user_weeks[uid], strict=True):
                    sum_.absorb(part)
    return UtilizationReport(
        users,
        teams,
        members,
        target_until,
        total,
        weeks=tuple(name for name, _, _ in weeks) if weekly is not None else (),
        user_weeks=user_weeks,
        team_weeks=team_weeks,
        total_weeks=total_weeks,
    )


async def load_utilization(
    client: ClockodoClient,
    master: MasterData,
    period: Period,
    today: date,
    *,
    user_id: int | None = None,
    team_id: int | None = None,
    timers: TimerSource | None = None,
    now: datetime | None = None,
    by_week: bool = False,
) -> UtilizationReport:
    """Utilization per user and team; a fixed handful of requests (entry groups, target hours, holidays, absences).

    Targets count up to today for periods that are still running, so a half-done quarter is compared with the
    target of its days so far. Worked hours are completed ones: running timers are left out (and returned apart).
    `by_week` also splits every row by ISO week (the same requests: the entry groups are grouped by week too).
    """
    if user_id is not None:
        user_ids = [user_id]
    elif team_id is not None:
        user_ids = master.team_members(team_id)
    else:
        user_ids = sorted(master.users)
    target_until: date | None = min(period.end, today)
    if target_until is not None and target_until < period.start:
        target_until = None
    years = years_of(period.start, period.end)
    filter_ = EntryFilter(users_id=user_id, teams_id=team_id if user_id is None else None)
    worked: dict[int, tuple[int, int]] = {}
    rows: list[TargetHoursRow] = []
    nonbusiness: dict[date, float] = {}
    absences: list[Absence] = []
    running: list[Entry] = []
    weekly: dict[tuple[int, str], tuple[int, int]] | None = {} if by_week else None
    grouping = (
        [Grouping.USERS_ID, Grouping.WEEK, Grouping.BILLABLE] if by_week else [Grouping.USERS_ID, Grouping.BILLABLE]
    )

    async def load_worked() -> None:
        got: list[Timers | None] = []

        async def lookup() -> None:
            got.append(await timers_for(timers, period.utc_since, period.utc_until, now) if now else None)

        groups: list[EntryGroup] = []

        async def fetch() -> None:
            groups.extend(
                await client.entry_groups.get(period.utc_since, period.utc_until, grouping=grouping, filter=filter_)
            )

        await gather(fetch, lookup)
        found = list(leaves(groups))
        found_timers = got[0] if got else None
        if found_timers is not None:
            members = set(user_ids) if user_id is None and team_id is not None else None
            running.extend(found_timers.matching(period.utc_since, period.utc_until, filter_, users=members))
            found = without_running(found, running, found_timers.now, period.tz)
        worked.update(worked_of_leaves(found))
        if weekly is not None:
            weekly.update(worked_by_week(found))

    async def load_rows() -> None:
        cached = master.target_rows(user_id)
        if cached:  # what Clockodo answers for this filter (none cached: ask, so a refusal is Clockodo's own)
            rows.extend(cached)
        else:
            rows.extend(await client.target_hours.list(users_id=user_id))

    async def load_holidays() -> None:
        for year in years:
            nonbusiness.update(nonbusiness_fractions(await client.nonbusiness_days.list(year)))

    async def load_absences() -> None:
        absences.extend(
            await client.absences.list(
                year=years,
                users_id=user_id,
                teams_id=team_id if user_id is None else None,
                status=AbsenceStatus.APPROVED,
            )
        )

    targets = [load_rows, load_holidays, load_absences] if target_until is not None else []
    await gather(load_worked, *targets)
    report = build_utilization(
        master,
        user_ids,
        worked,
        rows,
        nonbusiness,
        absences,
        period.start,
        target_until,
        with_teams=user_id is None,
        weeks=weeks_of(period.start, period.end) if by_week else (),
        weekly=weekly,
    )
    report.running = tuple(running)
    return report


# -- holiday quota and the absence queue -----------------------------------------------------------------


def quota_for(rows: Iterable[HolidaysQuota], users_id: int, year: int) -> float | None:
    """A user's holiday entitlement for a year (the row covering it that starts latest), None without one."""
    applicable = [
        row
        for row in rows
        if row.users_id == users_id and row.year_since <= year and (row.year_until is None or year <= row.year_until)
    ]
    best = max(applicable, key=lambda row: (row.year_since, row.id), default=None)
    return None if best is None else best.count


def holidays_taken(absences: Iterable[Absence], users_id: int, year: int) -> float:
    """Approved regular-holiday days of a user in a year (Clockodo's `count_days`)."""
    return sum(
        float(a.count_days or 0.0)
        for a in absences
        if a.users_id == users_id
        and int(a.status) == AbsenceStatus.APPROVED
        and a.type is not None
        and int(a.type) == AbsenceType.REGULAR_HOLIDAY
        and a.date_since.year == year
    )


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A pending absence request with what an approver needs to decide."""

    absence: Absence
    age_days: int | None
    overlaps: tuple[Absence, ...]
    quota: float | None
    taken: float
    remaining: float | None
    remaining_after: float | None


def absence_queue(
    absences: Sequence[Absence],
    master: MasterData,
    today: date,
    *,
    quotas: Sequence[HolidaysQuota] | None = None,
) -> list[QueueItem]:
    """Pending requests, oldest first, with age, overlapping approved absences of teammates and holiday quota.

    `absences` must hold the pending requests and the approved absences of the same years. Approved home office
    and work out of office are not overlaps (those people are working).
    """
    pending = [a for a in absences if int(a.status) == AbsenceStatus.ENQUIRED]
    approved = [
        a
        for a in absences
        if int(a.status) == AbsenceStatus.APPROVED and (a.type is None or int(a.type) not in TARGET_KEEPING_TYPES)
    ]
    items: list[QueueItem] = []
    for request in pending:
        team_id = master.team_of(request.users_id)
        mates = set(master.team_members(team_id)) - {request.users_id} if team_id is not None else set()
        clashes = tuple(
            a for a in approved if a.users_id in mates and overlaps(a, request.date_since, absence_last_day(request))
        )
        year = request.date_since.year
        quota = quota_for(quotas, request.users_id, year) if quotas is not None else None
        taken = holidays_taken(absences, request.users_id, year)
        remaining = None if quota is None else quota - taken
        is_holiday = request.type is not None and int(request.type) == AbsenceType.REGULAR_HOLIDAY
        after = remaining - float(request.count_days or 0.0) if remaining is not None and is_holiday else None
        age = (today - request.date_enquired).days if request.date_enquired is not None else None
        items.append(QueueItem(request, age, clashes, quota, taken, remaining, after))
    return sorted(items, key=lambda i: (-(i.age_days if i.age_days is not None else -1), i.absence.id))


def months_between(first: date, last: date) -> set[tuple[int, int]]:
    """The calendar months (year, month) from `first`'s to `last`'s."""
    months: set[tuple[int, int]] = set()
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.add((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


async def nonbusiness_days_in(client: ClockodoClient, months: set[tuple[int, int]]) -> list[NonbusinessDay]:
    """The nonbusiness days (every nonbusiness group's) in these calendar months, one per date: a request per year."""
    found: dict[date, NonbusinessDay] = {}
    for year in sorted({y for y, _ in months if 2000 <= y <= 2100}):
        for day in await client.nonbusiness_days.list(year):
            when = day.evaluated_date
            if when is None or (when.year, when.month) not in months:
                continue
            kept = found.get(when)
            if kept is None or (kept.half_day and not day.half_day):  # a full day off wins over a half one
                found[when] = day
    return [found[d] for d in sorted(found)]


async def load_absence_queue(
    client: ClockodoClient,
    master: MasterData,
    today: date,
    *,
    user_id: int | None = None,
    team_id: int | None = None,
    with_quota: bool = True,
) -> list[QueueItem]:
    """Pending requests of last, this and next year: one absences request (+ one quota request)."""
    years = [y for y in (today.year - 1, today.year, today.year + 1) if 2000 <= y <= 2037]
    absences: list[Absence] = []
    quotas: list[HolidaysQuota] = []

    async def load_absences() -> None:
        absences.extend(await client.absences.list(year=years, status=[AbsenceStatus.ENQUIRED, AbsenceStatus.APPROVED]))

    async def load_quotas() -> None:
        quotas.extend(await client.holidays_quota.list(users_id=user_id))

    await gather(load_absences, *([load_quotas] if with_quota else []))
    items = absence_queue(absences, master, today, quotas=quotas if with_quota else None)
    if user_id is not None:
        items = [i for i in items if i.absence.users_id == user_id]
    elif team_id is not None:
        members = set(master.team_members(team_id))
        items = [i for i in items if i.absence.users_id in members]
    return items
