"""Running timers are never finished work: one definition for reports and billing, and one cheap lookup.

Clockodo has no "running" filter. The lookup costs three concurrent requests however large the account:

1. `GET /v2/entries` over the last 26 hours (one page on all but huge accounts): timers started since then.
2. `GET /v2/entrygroups` by user and day from 8 days ago to 26 hours ago. Entry groups count a running entry up to
   now, so a timer started more than 26 hours ago makes its user's start day longer than 25 hours, which no finished
   work can be (a day has at most 25 hours, on the autumn DST switch).
3. `GET /v2/entrygroups` by user and week over the `LOOKBACK_DAYS` before that: a timer older than 8 days makes its
   user's week longer than 169 hours, which no finished work can be. Weeks rather than days there halve the answer
   (on a company of 221 people: 1.3 MB instead of 2.7 MB for the 31 days).

Only the users such a day or week points at are listed (one small request each, usually none). Timers started more
than `LOOKBACK_DAYS` (+ 26 hours) ago are not seen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio

from clockodo_mcp.clockodo import ClockodoClient, Entry, EntryFilter, EntryType, Grouping
from clockodo_mcp.domain.groups import leaves
from clockodo_mcp.domain.tasks import gather

LOOKBACK_DAYS = 31
RECENT = timedelta(hours=26)
DAY_TIER = timedelta(days=8)
# The most finished work one user can book in a day / an ISO week (a day has 25 hours on the autumn DST switch).
LONGEST_DAY_SECONDS = 25 * 3600
LONGEST_WEEK_SECONDS = (7 * 24 + 1) * 3600
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


TimerHints = set[tuple[Grouping, int]]
"""Which users had a timer older than 26 hours last time (and at which tier): their listing is sent at once."""

MAX_HINTS = 8


async def find_timers(
    client: ClockodoClient,
    now: datetime,
    *,
    scope: EntryFilter | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    hints: TimerHints | None = None,
) -> Timers:
    """Every running entry the caller may see, within `scope` (see the module docstring for how, and the cost).

    A scope (customer, project, user, team, service) makes every answer smaller; its billing state is ignored.
    `hints` (kept by the caller between lookups, updated here) saves the second round trip for a timer that keeps
    running: the users it names are listed together with the first three requests, not after them. They only decide
    when a request is sent; what is found comes from this lookup's answers alone.
    """
    wide = (scope or EntryFilter()).model_copy(update={"billable": None})
    listed = wide.model_copy(update={"teams_id": None})  # /v2/entries cannot filter by team: `matching` does
    recent_since = now - RECENT
    days_since = now - DAY_TIER
    seen_since = recent_since - timedelta(days=lookback_days)
    found: dict[int, Entry] = {}
    suspects: set[tuple[datetime, datetime, int]] = set()

    async def listing(since: datetime, until: datetime, users_id: int | None = None) -> None:
        flt = listed.model_copy(update={"users_id": users_id}) if users_id is not None else listed
        async for entry in client.entries.iter(since, until, filter=flt, enhanced_list=True, items_per_page=PAGE_SIZE):
            if is_running(entry):
                found[entry.id] = entry

    async def recent() -> None:
        await listing(recent_since, now + timedelta(minutes=1))

    def too_long(
        since: datetime, until: datetime, level: Grouping, longest: int
    ) -> Callable[[], Coroutine[Any, Any, None]]:
        async def check() -> None:
            if until <= since:
                return
            groups = await client.entry_groups.get(since, until, grouping=[Grouping.USERS_ID, level], filter=wide)
            for leaf in leaves(groups):
                user = leaf.keys.get(Grouping.USERS_ID.value, "")
                if leaf.seconds > longest and user.isdigit():
                    suspects.add((since, until, int(user)))

        return check

    windows = {Grouping.DAY: (max(seen_since, days_since), recent_since), Grouping.WEEK: (seen_since, days_since)}
    limiter = anyio.CapacityLimiter(4)

    def one_user(since: datetime, until: datetime, user: int) -> Callable[[], Coroutine[Any, Any, None]]:
        async def run() -> None:
            async with limiter:
                await listing(since, until, user)  # one user's entries of at most a week or a few: one page

        return run

    hinted = {
        (*windows[tier], user) for tier, user in sorted(hints or ())[:MAX_HINTS] if windows[tier][0] < windows[tier][1]
    }
    await gather(
        recent,
        too_long(*windows[Grouping.DAY], Grouping.DAY, LONGEST_DAY_SECONDS),
        too_long(*windows[Grouping.WEEK], Grouping.WEEK, LONGEST_WEEK_SECONDS),
        *(one_user(*suspect) for suspect in sorted(hinted)),
    )
    await gather(*(one_user(*suspect) for suspect in sorted(suspects - hinted)))
    if hints is not None:
        if scope is None:
            hints.clear()  # the unscoped check saw everyone: exactly its suspects stay
        tier_of = {window: tier for tier, window in windows.items()}
        hints.update((tier_of[(since, until)], user) for since, until, user in suspects)
    ordered = sorted(found.values(), key=lambda e: (e.time_since, e.id))
    return Timers(tuple(ordered), now, seen_since)
