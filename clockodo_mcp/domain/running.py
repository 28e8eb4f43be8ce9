"""Running timers are never finished work: one definition for reports and billing, and one cheap lookup.

Clockodo has no "running" filter. The lookup costs two concurrent requests however large the account:

1. `GET /v2/entries` over the last 26 hours (one page on all but huge accounts): timers started since then.
2. `GET /v2/entrygroups` by user and day over the `LOOKBACK_DAYS` before that. Entry groups count a running entry
   up to now, so a timer started more than 26 hours ago makes its user's start day longer than 25 hours, which no
   finished work can be (a day has at most 25 hours, on the autumn DST switch). Only such days are listed
   (one small request each, usually none).

Timers started more than `LOOKBACK_DAYS` ago are not seen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio

from clockodo_mcp.clockodo import ClockodoClient, Entry, EntryFilter, EntryType, Grouping
from clockodo_mcp.domain.groups import leaves
from clockodo_mcp.domain.periods import local_midnight_utc
from clockodo_mcp.domain.tasks import gather

LOOKBACK_DAYS = 31
RECENT = timedelta(hours=26)
LONGEST_DAY_SECONDS = 25 * 3600
PAGE_SIZE = 1000


TimerSource = Callable[[], Awaitable["Timers"]]
"""How a report gets the running timers (a tool call looks them up once and shares them)."""


def may_count_timers(since: datetime, until: datetime, now: datetime, lookback_days: int = LOOKBACK_DAYS) -> bool:
    """Whether a request over [since, until) can count a timer the lookup would see (else it need not run)."""
    return since <= now and until > now - RECENT - timedelta(days=lookback_days)


async def timers_for(source: TimerSource | None, since: datetime, until: datetime, now: datetime) -> Timers | None:
    """The timers from `source` when a request over [since, until) could count one, else None (no request)."""
    if source is None or not may_count_timers(since, until, now):
        return None
    return await source()


def is_running(entry: Entry) -> bool:
    """A running timer: a time entry without an end. Not finished work: reports and billing both leave it out."""
    return entry.type == EntryType.TIME and entry.time_until is None


def completed(entries: Sequence[Entry]) -> list[Entry]:
    """The finished entries (time entries with an end, and lump sums): what "completed hours" means everywhere."""
    return [entry for entry in entries if not is_running(entry)]


def elapsed_seconds(entry: Entry, now: datetime) -> int:
    """How long a running entry has run at `now`."""
    return max(0, int((now - entry.time_since).total_seconds()))


@dataclass(frozen=True, slots=True)
class Timers:
    """The running entries found at `now`; timers started before `seen_since` are not seen."""

    entries: tuple[Entry, ...]
    now: datetime
    seen_since: datetime

    def matching(
        self,
        since: datetime,
        until: datetime,
        flt: EntryFilter | None = None,
        *,
        users: Collection[int] | None = None,
        states: Collection[int] | None = None,
        projects: Collection[int] | None = None,
    ) -> tuple[Entry, ...]:
        """The timers a request over [since, until) with this filter selects (users: a team's members)."""
        chosen: list[Entry] = []
        for entry in self.entries:
            if not since <= entry.time_since < until:
                continue
            if users is not None and entry.users_id not in users:
                continue
            if states is not None and int(entry.billable) not in states:
                continue
            if projects is not None and entry.projects_id not in projects:
                continue
            if flt is not None and not _passes(entry, flt):
                continue
            chosen.append(entry)
        return tuple(chosen)


def _passes(entry: Entry, flt: EntryFilter) -> bool:
    for name in ("users_id", "customers_id", "projects_id", "subprojects_id", "services_id"):
        wanted = getattr(flt, name)
        if wanted is not None and getattr(entry, name) != wanted:
            return False
    if flt.billable is not None:
        code = int(flt.billable)
        states = (1, 2) if code == 12 else (code,)
        if int(entry.billable) not in states:
            return False
    return True


async def find_timers(
    client: ClockodoClient, now: datetime, tz: ZoneInfo, *, lookback_days: int = LOOKBACK_DAYS
) -> Timers:
    """Every running entry the caller may see (see the module docstring for how, and what it costs)."""
    recent_since = now - RECENT
    seen_since = recent_since - timedelta(days=lookback_days)
    found: dict[int, Entry] = {}
    suspects: list[tuple[int, date]] = []

    async def recent() -> None:
        async for entry in client.entries.iter(
            recent_since, now + timedelta(minutes=1), enhanced_list=True, items_per_page=PAGE_SIZE
        ):
            if is_running(entry):
                found[entry.id] = entry

    async def long_days() -> None:
        groups = await client.entry_groups.get(seen_since, recent_since, grouping=[Grouping.USERS_ID, Grouping.DAY])
        for leaf in leaves(groups):
            user, day = leaf.keys.get(Grouping.USERS_ID.value, ""), leaf.keys.get(Grouping.DAY.value, "")
            if leaf.seconds > LONGEST_DAY_SECONDS and user.isdigit():
                suspects.append((int(user), date.fromisoformat(day[:10])))

    await gather(recent, long_days)

    async def day_of(user: int, day: date) -> None:
        # A day either side: Clockodo may date the group in the user's zone rather than the account's.
        since = max(seen_since, local_midnight_utc(day - timedelta(days=1), tz))
        until = min(recent_since, local_midnight_utc(day + timedelta(days=2), tz))
        if until <= since:
            return
        async for entry in client.entries.iter(
            since, until, filter=EntryFilter(users_id=user), enhanced_list=True, items_per_page=PAGE_SIZE
        ):
            if is_running(entry):
                found[entry.id] = entry

    limiter = anyio.CapacityLimiter(4)

    def bounded(user: int, day: date) -> Callable[[], Coroutine[Any, Any, None]]:
        async def run() -> None:
            async with limiter:
                await day_of(user, day)

        return run

    await gather(*(bounded(user, day) for user, day in sorted(set(suspects))))
    ordered = sorted(found.values(), key=lambda e: (e.time_since, e.id))
    return Timers(tuple(ordered), now, seen_since)
