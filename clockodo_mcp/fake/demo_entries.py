"""Time and lump-sum entries of the demo company: realistic working days, fast enough for 100,000+ entries."""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from clockodo_mcp.fake.dataset import EntryRecord
from clockodo_mcp.fake.demo_calendar import utc_midnight
from clockodo_mcp.fake.demo_staff import Booking, Calendar, Staff

# Local minutes since midnight, precomputed so no entry pays for timedelta construction.
_MINUTES = tuple(timedelta(minutes=m) for m in range(24 * 60 + 1))
_DAY_START, _DAY_END, _TODAY_CUTOFF = 9 * 60, 18 * 60 + 30, 12 * 60
_NOT_BILLABLE_SHARE, _FORGOTTEN_SHARE, _CLOCKED_SHARE = 0.04, 0.03, 0.3


@dataclass(frozen=True, slots=True)
class Billing:
    """How a customer's work is billed: everything up to `cutoff` (inclusive) was invoiced at `billed_at`."""

    internal: bool
    cutoff: date | None = None
    billed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Meeting:
    """The weekly Monday meeting everybody books on an internal project."""

    projects_id: int
    customers_id: int
    services_id: int
    text: str = "Weekly team meeting"


class EntryWriter:
    """Lays out each employee's working days as non-overlapping time entries in Berlin office hours."""

    def __init__(
        self,
        rng: random.Random,
        cal: Calendar,
        billing: dict[int, Billing],
        texts: dict[tuple[int, int], tuple[str, ...]],
        meeting: Meeting,
        keep: float = 1.0,
    ) -> None:
        self.rng, self.cal, self.billing, self.texts, self.meeting, self.keep = (
            rng,
            cal,
            billing,
            texts,
            meeting,
            keep,
        )
        self.entries: list[EntryRecord] = []
        self.worked: dict[int, list[date]] = {}
        # (day, weekday, UTC instant of local midnight) for every Mon-Fri non-holiday of the window.
        self.days = [
            (d, d.weekday(), utc_midnight(d))
            for d in (cal.start + timedelta(days=i) for i in range((cal.today - cal.start).days + 1))
            if cal.is_workday(d)
        ]

    def employee(self, s: Staff, blocked: set[date], stop: date | None = None) -> None:
        """All entries of one employee; nothing on blocked (absence) days nor from `stop` on."""
        rng, today = self.rng, self.cal.today
        worked = self.worked.setdefault(s.id, [])
        choices: dict[tuple[int, ...], tuple[list[Booking], list[float]]] = {}
        meeting = next((b for b in s.bookings if b.projects_id == self.meeting.projects_id), None)
        lo, hi = s.minutes[0] // 15, s.minutes[1] // 15
        for day, weekday, base in self.days:
            if day < s.first_day or day > s.last_day or weekday not in s.weekdays or day in blocked:
                continue
            if (stop is not None and day >= stop) or (self.keep < 1.0 and rng.random() >= self.keep):
                continue
            active = tuple(i for i, b in enumerate(s.bookings) if b.first <= day <= b.last)
            if not active:
                continue
            if active not in choices:
                picked = [s.bookings[i] for i in active]
                cum: list[float] = []
                total = 0.0
                for b in picked:
                    total += b.weight
                    cum.append(total)
                choices[active] = (picked, cum)
            picked, cum = choices[active]
            units = rng.randint(lo, hi)
            chunks: list[tuple[Booking, int, str | None]] = []
            if weekday == 0 and meeting is not None:
                m = rng.randint(2, 4)
                chunks.append((meeting, m, self.meeting.text))
                units -= m
            k = min(rng.randint(2, 5), units)
            cuts = sorted(rng.sample(range(1, units), k - 1))
            prev = 0
            for cut in [*cuts, units]:
                chunks.append((picked[bisect(cum, rng.random() * cum[-1])], cut - prev, None))
                prev = cut
            self._write_day(s, day, base, chunks, day == today)
            worked.append(day)

    def _write_day(
        self, s: Staff, day: date, base: datetime, chunks: list[tuple[Booking, int, str | None]], is_today: bool
    ) -> None:
        rng = self.rng
        lunch_after = max(1, len(chunks) // 2)
        lunch = 30 + 15 * rng.randint(0, 2)
        start = _DAY_START + 5 * rng.randint(0, 6)
        gaps = [5 * rng.randint(0, 1) for _ in chunks]
        if start + sum(c[1] for c in chunks) * 15 + lunch + sum(gaps) > _DAY_END:
            start, lunch, gaps = _DAY_START, 30, [0] * len(chunks)
        t = start
        for i, (b, units, text) in enumerate(chunks):
            if i == lunch_after:
                t += lunch
            end = t + units * 15
            if is_today and end > _TODAY_CUTOFF:
                return
            self._time_entry(s, day, base, b, t, end, text)
            t = end + gaps[i]

    def _time_entry(
        self, s: Staff, day: date, base: datetime, b: Booking, since_m: int, until_m: int, text: str | None
    ) -> None:
        rng = self.rng
        since, until = base + _MINUTES[since_m], base + _MINUTES[until_m]
        bill = self.billing[b.customers_id]
        billable = self._billable(bill, day)
        if text is None:
            pool = self.texts[(b.projects_id, b.services_id)]
            text = pool[int(rng.random() * len(pool))]
        clocked = rng.random() < _CLOCKED_SHARE
        inserted = since if clocked else until + _MINUTES[rng.randrange(90)]
        changed = bill.billed_at if billable == 2 and bill.billed_at is not None else inserted
        self.entries.append(
            EntryRecord(
                id=0,
                type=1,
                users_id=s.id,
                customers_id=b.customers_id,
                projects_id=b.projects_id,
                services_id=b.services_id,
                billable=billable,
                time_since=since,
                time_until=until,
                duration=(until_m - since_m) * 60,
                text=text,
                time_insert=inserted,
                time_last_change=changed,
                clocked=clocked,
                time_clocked_since=since if clocked else None,
            )
        )

    def _billable(self, bill: Billing, day: date) -> int:
        if bill.internal:
            return 0
        r = self.rng.random()
        if r < _NOT_BILLABLE_SHARE:
            return 0
        if bill.cutoff is not None and day <= bill.cutoff and r >= _NOT_BILLABLE_SHARE + _FORGOTTEN_SHARE:
            return 2
        return 1

    def running(self, s: Staff, day: date, b: Booking, text: str) -> EntryRecord:
        """The forgotten timer: started at 09:00 local on `day` and never stopped."""
        since = utc_midnight(day) + _MINUTES[_DAY_START]
        entry = EntryRecord(
            id=0,
            type=1,
            users_id=s.id,
            customers_id=b.customers_id,
            projects_id=b.projects_id,
            services_id=b.services_id,
            billable=0 if self.billing[b.customers_id].internal else 1,
            time_since=since,
            time_until=None,
            duration=None,
            text=text,
            time_insert=since,
            time_last_change=since,
            clocked=True,
            time_clocked_since=since,
        )
        self.entries.append(entry)
        return entry

    def lumpsum(
        self,
        s: Staff,
        b: Booking,
        text: str,
        *,
        value: float | None = None,
        lumpsum_service: tuple[int, float] | None = None,
        on: date | None = None,
    ) -> EntryRecord | None:
        """A lump-sum value (type 2) or lump-sum service (type 3, `(id, amount)`) on a day `s` worked on `b`."""
        days = [d for d in self.worked.get(s.id, []) if b.first <= d <= b.last and d != self.cal.today]
        if on is None and not days:
            return None
        day = on if on is not None else days[self.rng.randrange(len(days))]
        # 08:00 local, before the working day, so the zero-length record overlaps no time entry.
        at = utc_midnight(day) + _MINUTES[8 * 60]
        bill = self.billing[b.customers_id]
        billed = bill.cutoff is not None and day <= bill.cutoff
        entry = EntryRecord(
            id=0,
            type=2 if lumpsum_service is None else 3,
            users_id=s.id,
            customers_id=b.customers_id,
            projects_id=b.projects_id,
            services_id=b.services_id if lumpsum_service is None else None,
            billable=2 if billed else 1,
            time_since=at,
            time_until=at,
            text=text,
            lumpsum=value,
            lumpsum_services_id=lumpsum_service[0] if lumpsum_service else None,
            lumpsum_services_amount=lumpsum_service[1] if lumpsum_service else None,
            time_insert=at + _MINUTES[10 * 60],
            time_last_change=bill.billed_at if billed and bill.billed_at else at + _MINUTES[10 * 60],
        )
        self.entries.append(entry)
        return entry
