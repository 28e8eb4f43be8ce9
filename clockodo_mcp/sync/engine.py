"""One sync run: master data, then entries (backfill, or reconcile old months + re-pull the window), then aggregates.

Clockodo has no "changed since" filter on entries, so correctness comes from ranges: every pull of a time range
deletes the mirror's entries starting in it and writes what Clockodo returns, in one transaction. Months before the
rolling window are compared with `/v2/entrygroups` (one request) and only months that differ are pulled again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clockodo_mcp.clock import Clock
from clockodo_mcp.clockodo import ClockodoClient
from clockodo_mcp.clockodo.models.base import Page, Paging
from clockodo_mcp.clockodo.models.reports import WorkTimeDay
from clockodo_mcp.clockodo.paging import iterate_pages
from clockodo_mcp.clockodo.resources.base import field as body_field
from clockodo_mcp.clockodo.resources.base import parse, unexpected
from clockodo_mcp.sync import schema as s
from clockodo_mcp.sync.targets import Row, Target

ENTRIES_PATH = "/v2/entries"
PAGE_SIZE = 1000
DEFAULT_BACKFILL_MONTHS = 24
DEFAULT_WINDOW_DAYS = 60
FALLBACK_ZONE = "Europe/Berlin"
# Entries up to this far ahead (planned work) are mirrored too.
FUTURE_DAYS = 366
# Clockodo rounds group revenue to cents; the mirror sums unrounded entry revenue.
REVENUE_TOLERANCE = 0.01
GROUPS_PATH = "/v2/entrygroups"
WORK_TIMES_PATH = "/v2/workTimes"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UTC_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")

JSON = dict[str, Any]
Sums = dict[tuple[str, int, int], tuple[int, float]]  # (month, project or 0, user or billable) → (seconds, money)
Progress = Callable[["ProgressEvent"], None]


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """What the run is doing: a phase, months done of total, entries written so far, requests so far."""

    phase: str
    done: int
    total: int
    entries: int
    requests: int


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """How far back, how wide the rolling window, and where our own records are."""

    since: dt.date | None = None  # None: 24 months before the clock's today (or what the target recorded)
    window_days: int = DEFAULT_WINDOW_DAYS
    audit_path: Path | None = None
    changes: Callable[[], list[Row]] | None = None  # rows of the `changes` table, from the local store
    page_size: int = PAGE_SIZE  # entries per request (Clockodo's maximum; smaller only to test page boundaries)


@dataclass(slots=True)
class SyncReport:
    """What one run did."""

    requests: int = 0
    entries_written: int = 0
    backfilled_months: list[str] = field(default_factory=list)
    checked_months: int = 0
    repulled_months: list[str] = field(default_factory=list)
    window: tuple[str, str] = ("", "")
    seconds: float = 0.0
    pull_seconds: float = 0.0  # of `seconds`, the time spent pulling entries (fetch, convert, write)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _months(first: dt.date, stop: dt.date) -> list[dt.date]:
    months, month = [], _month_start(first)
    while month < stop:
        months.append(month)
        month = _add_months(month, 1)
    return months


class _MonthOf:
    """The account-local month (YYYY-MM) of an ISO UTC timestamp, cached per minute: entries share few minutes."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.cache: dict[str, str] = {}

    def __call__(self, stamp: str | None) -> str | None:
        if not stamp:
            return None
        if "02" <= stamp[8:10] <= "27":
            # From the 2nd to the 27th (UTC) every zone is in the same month: offsets stay under a day.
            return stamp[:7]
        minute = stamp[:16]
        month = self.cache.get(minute)
        if month is None:
            moment = dt.datetime.fromisoformat(minute + ":00+00:00")
            month = self.cache[minute] = moment.astimezone(self.zone).strftime("%Y-%m")
        return month


def make_rows(table: s.Table, items: Iterable[Mapping[str, Any]], extra: Mapping[str, object]) -> list[Row]:
    """Rows of `table` from Clockodo objects (as plain JSON), plus the derived values in `extra`."""
    names = table.column_names
    # columns read from another key than their name: a nested path ("budget.amount") or a renamed one ("offset")
    nested = [(c.name, c.path) for c in table.columns if c.source and c.path != (c.name,)]
    jsons = [c.name for c in table.columns if c.type == "json" and c.source != ""]
    texts = [c.name for c in table.columns if c.type in ("text", "date", "timestamp") and c.source != ""]
    rows = []
    for item in items:
        flat = {**item, **extra}
        for name, path in nested:
            value: Any = item
            for part in path:
                value = value.get(part) if isinstance(value, Mapping) else None
            flat[name] = value
        for name in jsons:
            value = flat.get(name)
            flat[name] = None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)
        for name in texts:
            value = flat.get(name)
            if value is not None and not isinstance(value, str):
                flat[name] = str(value)
        rows.append(tuple(map(flat.get, names)))
    return rows


def add_derived(page: list[JSON], month_of: _MonthOf, synced_at: str) -> list[JSON]:
    """Give each entry of a page (in place: the hot path copies nothing) the columns the sync derives."""
    for item in page:
        item["running"] = item.get("type", 1) == 1 and item.get("time_until") is None
        item["month"] = month_of(item.get("time_since"))
        item["synced_at"] = synced_at
    return page


def _as_int(text: str) -> int:
    return int(text) if text.lstrip("-").isdigit() else 0


class SyncRun:
    """One run against one client and one target; `run()` does it."""

    def __init__(
        self,
        client: ClockodoClient,
        target: Target,
        clock: Clock,
        options: SyncOptions | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.target = target
        self.clock = clock
        self.options = options or SyncOptions()
        self.progress = progress
        self.report = SyncReport()
        self._requests_at_start = client.request_count
        self._done = 0
        self._total = 0
        self._phase = ""

    # --- progress -------------------------------------------------------------------------------------------------

    def _tell(self) -> None:
        self.report.requests = self.client.request_count - self._requests_at_start
        if self.progress is not None:
            self.progress(
                ProgressEvent(self._phase, self._done, self._total, self.report.entries_written, self.report.requests)
            )

    # --- the run --------------------------------------------------------------------------------------------------

    async def run(self) -> SyncReport:
        """Sync once; returns what was done. On an exception, committed ranges stay and the next run resumes."""
        started = self.clock.monotonic()
        now = self.clock.now()
        self.synced_at = _iso(now)
        state = self.target.read_state()
        self._state = state
        me = await self.client.users.me()
        try:
            zone = ZoneInfo(state.get("time_zone") or me.timezone or FALLBACK_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo(FALLBACK_ZONE)
        self.zone = zone
        today = now.astimezone(zone).date()
        since = _month_start(self.options.since or _add_months(today, -DEFAULT_BACKFILL_MONTHS))
        recorded = state.get("since")
        backfilled = state.get("backfill_complete") == "1"
        if recorded and self.options.since is None:
            since = dt.date.fromisoformat(recorded)
        elif recorded and since < dt.date.fromisoformat(recorded):
            backfilled = False  # an earlier --since: pull the older months too
            state.pop("backfill_cursor", None)
        window_start = _month_start(today - dt.timedelta(days=max(self.options.window_days, 0)))
        window_start = max(window_start, since)
        end = now + dt.timedelta(days=FUTURE_DAYS)
        self.report.window = (window_start.isoformat(), _iso(end))
        old_months = _months(since, window_start)
        cursor = state.get("backfill_cursor")
        backfill_months = (
            [m for m in old_months if cursor is None or m >= dt.date.fromisoformat(cursor)] if not backfilled else []
        )
        self._total = len(backfill_months) + 2
        self._phase = "master data"
        self._tell()
        projects = await self._master_data(since, today)
        self._done += 1
        self._phase = "entries"
        self._tell()

        # Clockodo's own sums of the months before the window, one request each: per month × project × user (also
        # stored as entry_months) and per month × project × billing state (which catches billing changes). They
        # are computed while the window is pulled; the old months are compared after it.
        sums = asyncio.ensure_future(
            asyncio.gather(
                self._month_sums(self._local(since), self._local(window_start), "users_id"),
                self._month_sums(self._local(since), self._local(window_start), "billable"),
            )
        )
        # The first page of the range after the one being pulled, asked for ahead: the account's server renders it
        # while this side writes and commits, instead of both waiting in turn at every month boundary.
        ahead: asyncio.Future[Page[list[JSON]]] | None = None
        asked: list[asyncio.Future[Page[list[JSON]]]] = []
        try:
            with self.target.transaction() as writer:
                writer.set_state(
                    {
                        "since": since.isoformat(),
                        "time_zone": zone.key,
                        "last_run_started_at": self.synced_at,
                        # Until the window is pulled after a backfill, a crash leaves the backfill incomplete.
                        "backfill_complete": "1" if backfilled else "0",
                    },
                    self.synced_at,
                )
            ranges = [(self._local(m), self._local(_add_months(m, 1))) for m in backfill_months]
            ranges.append((self._local(window_start), end))
            for index, month in enumerate(backfill_months):
                following = _add_months(month, 1)
                first, ahead = ahead, asyncio.ensure_future(self._page(*ranges[index + 1], 1))
                asked.append(ahead)
                await self._pull(*ranges[index], {"backfill_cursor": following.isoformat()}, first=first)
                self.report.backfilled_months.append(month.strftime("%Y-%m"))
                self._done += 1
                self._tell()
            self._phase = "window"
            self._tell()
            await self._pull(
                self._local(window_start),
                end,
                {"backfill_complete": "1", "backfill_cursor": window_start.isoformat()},
                drop_before=self._local(since),
                first=ahead,
            )
            by_user, by_billing = await sums
        finally:
            for page in asked:  # a pull that failed left its page unread, or the next range's in flight
                page.cancel()
                with contextlib.suppress(BaseException):
                    await page
            if not sums.done():
                sums.cancel()
                with contextlib.suppress(BaseException):
                    await sums
        if backfilled and old_months:
            for month in self._differing_months(by_user, by_billing, old_months, window_start):
                self._phase = f"re-pull {month:%Y-%m}"
                await self._pull(self._local(month), self._local(_add_months(month, 1)), {})
                self.report.repulled_months.append(month.strftime("%Y-%m"))
                self._tell()
        self._phase = "aggregates"
        await self._finish(by_user, projects, window_start, today, end)
        self._done += 1
        self.report.seconds = self.clock.monotonic() - started
        self._tell()
        return self.report

    def _local(self, day: dt.date) -> dt.datetime:
        """The UTC instant a local calendar day starts at."""
        return dt.datetime.combine(day, dt.time(), tzinfo=self.zone).astimezone(dt.UTC)

    # --- master and people data -----------------------------------------------------------------------------------

    async def _master_data(self, since: dt.date, today: dt.date) -> list[JSON]:
        c = self.client
        years = list(range(since.year, today.year + 2))

        def plain(items: Iterable[Any]) -> list[JSON]:
            return [item.model_dump(mode="json") for item in items]

        customers, projects, subprojects, services, lumpsums = await asyncio.gather(
            c.customers.all(),
            c.projects.all(),
            c.subprojects.all(),
            c.services.all(),
            c.lump_sum_services.all(),
        )
        users, teams, absences, targets = await asyncio.gather(
            c.users.all(),
            c.teams.all(),
            c.absences.list(year=years),
            c.target_hours.list(),
        )
        holidays = await asyncio.gather(*(c.nonbusiness_days.list(year) for year in years))
        extra = {"synced_at": self.synced_at}
        tables: list[tuple[s.Table, list[Row]]] = [
            (s.CUSTOMERS, make_rows(s.CUSTOMERS, plain(customers), extra)),
            (s.PROJECTS, make_rows(s.PROJECTS, plain(projects), extra)),
            (s.SUBPROJECTS, make_rows(s.SUBPROJECTS, plain(subprojects), extra)),
            (s.SERVICES, make_rows(s.SERVICES, plain(services), extra)),
            (s.LUMPSUM_SERVICES, make_rows(s.LUMPSUM_SERVICES, plain(lumpsums), extra)),
            (s.USERS, make_rows(s.USERS, plain(users), extra)),
            (s.TEAMS, make_rows(s.TEAMS, plain(teams), extra)),
            (s.ABSENCES, make_rows(s.ABSENCES, plain(absences), extra)),
            (s.TARGET_HOURS, make_rows(s.TARGET_HOURS, plain(targets), extra)),
            (
                s.NONBUSINESS_DAYS,
                [
                    row
                    for year, days in zip(years, holidays, strict=True)
                    for row in make_rows(s.NONBUSINESS_DAYS, plain(days), {**extra, "for_year": year})
                ],
            ),
            (s.AUDIT_LOG, self._audit_rows()),
        ]
        if self.options.changes is not None:
            tables.append((s.CHANGES, self.options.changes()))
        self._active_users = [u.id for u in users if u.active]
        with self.target.transaction() as writer:
            for table, rows in tables:
                writer.replace(table, rows)
        self._tell()
        return plain(projects)

    def _audit_rows(self) -> list[Row]:
        path = self.options.audit_path
        if path is None or not path.exists():
            return []
        from clockodo_mcp.audit.readers import iter_records

        rows: dict[int, Row] = {}
        for record in iter_records(path):
            seq = record.get("seq")
            if not isinstance(seq, int):
                continue
            item = {**record, "record": record}
            rows[seq] = make_rows(s.AUDIT_LOG, [item], {"synced_at": self.synced_at})[0]
        return list(rows.values())

    # --- entries --------------------------------------------------------------------------------------------------

    async def _page(self, since: dt.datetime, until: dt.datetime, number: int) -> Page[list[JSON]]:
        """One page of the entries starting in [since, until)."""
        params: JSON = {
            "time_since": since,
            "time_until": until,
            "enhanced_list": True,
            "calc_also_revenues_for_projects_with_hard_budget": True,
            "items_per_page": self.options.page_size,
            "page": number,
        }
        body = await self.client.request("GET", ENTRIES_PATH, params=params)
        entries = body.get("entries") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise unexpected(f"GET {ENTRIES_PATH}", f"expected 'entries' in {str(body)[:200]!r}")
        paging = Paging.model_validate(body.get("paging") or {})
        # Built without validation: each page is one item (the list of entries), typed by the target's columns.
        return Page[list[JSON]].model_construct(items=[entries], paging=paging)

    def _entry_pages(
        self, since: dt.datetime, until: dt.datetime, first: Awaitable[Page[list[JSON]]] | None = None
    ) -> AsyncIterator[list[JSON]]:
        """Every page of the range; `first`, when given, is its first page already asked for."""

        async def fetch(number: int) -> Page[list[JSON]]:
            if number == 1 and first is not None:
                return await first
            return await self._page(since, until, number)

        return iterate_pages(fetch, concurrency=self.client.page_concurrency)

    async def _pull(
        self,
        since: dt.datetime,
        until: dt.datetime,
        state: Mapping[str, str],
        drop_before: dt.datetime | None = None,
        first: Awaitable[Page[list[JSON]]] | None = None,
    ) -> None:
        """Replace the mirror's entries starting in [since, until) with Clockodo's, in one transaction."""
        month_of = _MonthOf(self.zone)
        started = self.clock.monotonic()
        with self.target.transaction() as writer:
            writer.delete_range(s.ENTRIES, "time_since", _iso(since), _iso(until))
            if drop_before is not None:
                writer.delete_range(s.ENTRIES, "time_since", "1970-01-01T00:00:00Z", _iso(drop_before))
            async for page in self._entry_pages(since, until, first):
                writer.insert_items(s.ENTRIES, add_derived(page, month_of, self.synced_at))
                self.report.entries_written += len(page)
                self._tell()
            writer.settle(s.ENTRIES, "time_since", _iso(since), _iso(until))
            if state:
                writer.set_state(state, self.synced_at)
        self.report.pull_seconds += self.clock.monotonic() - started

    async def _month_sums(self, since: dt.datetime, until: dt.datetime, second: str) -> Sums:
        """Clockodo's (duration, revenue) per month × project × `second` (users_id or billable), in one request."""
        if until <= since:
            return {}
        params: JSON = {
            "time_since": since,
            "time_until": until,
            "grouping": ["month", "projects_id", second],
            "calc_also_revenues_for_projects_with_hard_budget": True,
        }
        # Read as plain JSON: on a big account the tree is megabytes, and only three levels of sums are needed.
        body = await self.client.request("GET", GROUPS_PATH, params=params)
        groups = body.get("groups") if isinstance(body, dict) else None
        if not isinstance(groups, list):
            raise unexpected(f"GET {GROUPS_PATH}", f"expected 'groups' in {str(body)[:200]!r}")
        sums: Sums = {}
        for month in groups:
            for project in month.get("sub_groups") or ():
                for leaf in project.get("sub_groups") or ():
                    key = (str(month["group"]), _as_int(str(project["group"])), _as_int(str(leaf["group"])))
                    sums[key] = (int(leaf.get("duration") or 0), float(leaf.get("revenue") or 0.0))
        return sums

    def _differing_months(
        self, by_user: Sums, by_billing: Sums, months: list[dt.date], window_start: dt.date
    ) -> list[dt.date]:
        """The months before the window whose sums in the mirror differ from Clockodo's."""
        since, until = _iso(self._local(months[0])), _iso(self._local(window_start))
        names = {m.strftime("%Y-%m"): m for m in months}
        self.report.checked_months = len(months)
        differing: set[str] = set()
        for remote, second in ((by_user, "users_id"), (by_billing, "billable")):
            mirror = self.target.mirror_sums(second, since, until)
            for key in remote.keys() | mirror.keys():
                if key[0] not in names or key[0] in differing:
                    continue
                ours, theirs = mirror.get(key, (0, 0.0)), remote.get(key, (0, 0.0))
                if ours[0] != theirs[0] or abs(ours[1] - theirs[1]) >= REVENUE_TOLERANCE:
                    differing.add(key[0])
        return sorted(names[name] for name in differing)

    # --- aggregates, budgets, work times, state --------------------------------------------------------------------

    async def _finish(
        self, by_user: Sums, projects: list[JSON], window_start: dt.date, today: dt.date, end: dt.datetime
    ) -> None:
        # Work times cost one request per co-worker: pulled on the first run of each day, not on every run.
        work_times_due = self._state.get("work_times_date") != today.isoformat()
        work_days = await self._work_times(window_start, today) if work_times_due else []
        # The window's months from the entries just pulled (the same data, without a second aggregation).
        by_user = {**by_user, **self.target.mirror_sums("users_id", _iso(self._local(window_start)), _iso(end))}
        used: dict[int, tuple[int, float]] = {}
        for (_, project, _), (duration, revenue) in by_user.items():
            seconds, money = used.get(project, (0, 0.0))
            used[project] = (seconds + duration, money + revenue)
        extra = {"synced_at": self.synced_at}
        months = [
            (month, project, user, duration, revenue, self.synced_at)
            for (month, project, user), (duration, revenue) in by_user.items()
        ]
        snapshots = [
            (
                today.isoformat(),
                p["id"],
                p.get("customers_id"),
                p.get("name"),
                p.get("completed"),
                (p.get("budget") or {}).get("monetary"),
                (p.get("budget") or {}).get("hard"),
                (p.get("budget") or {}).get("amount"),
                used.get(p["id"], (0, 0.0))[0],
                round(used.get(p["id"], (0, 0.0))[1], 2),
                p.get("billed_money"),
                self.synced_at,
            )
            for p in projects
        ]
        work_rows = make_rows(s.WORK_TIMES, work_days, extra)
        with self.target.transaction() as writer:
            writer.replace(s.ENTRY_MONTHS, months)
            writer.merge(s.BUDGET_SNAPSHOTS, snapshots)
            if work_times_due:
                writer.replace(s.WORK_TIMES, work_rows)
            self.report.requests = self.client.request_count - self._requests_at_start
            writer.set_state(
                {
                    "work_times_date": today.isoformat() if work_times_due else self._state.get("work_times_date", ""),
                    "last_run_finished_at": self.synced_at,
                    "last_run_requests": str(self.report.requests),
                    "last_run_entries": str(self.report.entries_written),
                    "last_run_repulled_months": ",".join(self.report.repulled_months),
                    "window_start": window_start.isoformat(),
                },
                self.synced_at,
            )

    async def _work_times(self, since: dt.date, today: dt.date) -> list[JSON]:
        """Every active user's work-time intervals in the window (one interval per row)."""
        if self.options.window_days <= 0:
            return []
        until = min(today, since + dt.timedelta(days=365))
        limit = asyncio.Semaphore(self.client.page_concurrency)

        async def fetch(user: int, number: int) -> Page[list[Any]]:
            params = {"date_since": since, "date_until": until, "users_id": user, "page": number}
            body = await self.client.request("GET", WORK_TIMES_PATH, params=params)
            days = body_field(body, "work_time_days", f"GET {WORK_TIMES_PATH}")
            if not isinstance(days, list):
                raise unexpected(
                    f"GET {WORK_TIMES_PATH}", f"expected a list of work-time days, got {type(days).__name__}"
                )
            paging = parse(Paging, body_field(body, "paging", f"GET {WORK_TIMES_PATH}"), f"GET {WORK_TIMES_PATH}")
            return Page[list[Any]].model_construct(items=[days], paging=paging)

        async def one(user: int) -> list[JSON]:
            async with limit:
                rows: list[JSON] = []
                pages = iterate_pages(lambda number: fetch(user, number), concurrency=self.client.page_concurrency)
                async for days in pages:
                    for day in days:
                        rows.extend(work_time_rows(day))
                return rows

        batches: list[list[JSON]] = await asyncio.gather(*(one(user) for user in self._active_users))
        return [row for batch in batches for row in batch]


def work_time_rows(day: Any) -> list[JSON]:
    """One `/v2/workTimes` day's intervals as rows (one per interval).

    Read as plain JSON when the day is in Clockodo's usual shape (ints, `YYYY-MM-DD`, `…Z` timestamps, which the
    rows keep as they are); anything else goes through the validating model, which gives the same rows or the error.
    """
    rows = _plain_work_time_rows(day)
    if rows is not None:
        return rows
    model = parse(WorkTimeDay, day, f"GET {WORK_TIMES_PATH}")
    return [
        {
            "users_id": model.users_id,
            "date": model.date.isoformat(),
            "offset": model.offset,
            "time_since": _iso(interval.time_since),
            "time_until": None if interval.time_until is None else _iso(interval.time_until),
        }
        for interval in model.intervals
    ]


def _plain_work_time_rows(day: Any) -> list[JSON] | None:
    if not isinstance(day, dict):
        return None
    users_id, date, offset, intervals = (
        day.get("users_id"),
        day.get("date"),
        day.get("offset", 0),
        day.get("intervals", []),
    )
    if type(users_id) is not int or type(offset) is not int or not isinstance(intervals, list) or not _is_date(date):
        return None
    rows: list[JSON] = []
    for interval in intervals:
        if not isinstance(interval, dict):
            return None
        since, until = interval.get("time_since"), interval.get("time_until")
        if not _is_utc_text(since) or (until is not None and not _is_utc_text(until)):
            return None
        rows.append({"users_id": users_id, "date": date, "offset": offset, "time_since": since, "time_until": until})
    return rows


def _is_date(value: object) -> bool:
    if not isinstance(value, str) or _DATE.fullmatch(value) is None:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_utc_text(value: object) -> bool:
    """Whether `value` is a valid `YYYY-MM-DDTHH:MM:SSZ` (what `_iso` writes, so it is kept as it is)."""
    if not isinstance(value, str) or _UTC_TEXT.fullmatch(value) is None:
        return False
    try:
        dt.datetime.fromisoformat(value[:19])
    except ValueError:
        return False
    return True


async def _nothing() -> list[JSON]:
    return []


async def sync_once(
    client: ClockodoClient,
    target: Target,
    clock: Clock,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Open the target, run one sync, close the target."""
    target.open()
    try:
        return await SyncRun(client, target, clock, options, progress).run()
    finally:
        target.close()


def changes_rows(store: Any, synced_at: str) -> list[Row]:
    """Rows of `changes` from a store's write journal (all of it, newest first)."""
    rows: list[Row] = []
    offset = 0
    while True:
        batch = store.list_changes(limit=500, offset=offset)
        for change in batch:
            rows.append(
                (
                    change.change_id,
                    change.tool,
                    change.status,
                    change.confirmed_by,
                    _iso(change.created_at),
                    _iso(change.updated_at),
                    change.summary,
                    change.undoes,
                    change.error,
                    json.dumps(change.args, default=str),
                    None if change.result is None else json.dumps(change.result, default=str),
                    synced_at,
                )
            )
        if len(batch) < 500:
            return rows
        offset += 500
