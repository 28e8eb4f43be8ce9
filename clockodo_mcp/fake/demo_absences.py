"""Absences of the demo company: a scripted cast of requests in every status, plus random past leave."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from clockodo_mcp.fake.demo_calendar import days_between
from clockodo_mcp.fake.demo_staff import Calendar, Staff

PENDING, APPROVED, DECLINED, APPROVAL_CANCELLED, REQUEST_CANCELLED = 0, 1, 2, 3, 4
HOLIDAY, SPECIAL_LEAVE, OVERTIME_REDUCTION, SICK, HOME_OFFICE = 1, 2, 3, 4, 8
# Statuses that occupy the days (a new request may not collide with them).
_OCCUPYING = (PENDING, APPROVED)


@dataclass(slots=True)
class AbsenceBook:
    """Collects absences, refusing overlaps per user, and remembers which days approvals take off work."""

    cal: Calendar
    rows: list[dict[str, Any]] = field(default_factory=list)
    occupied: dict[int, set[date]] = field(default_factory=dict)
    blocked: dict[int, set[date]] = field(default_factory=dict)

    def add(
        self,
        who: Staff,
        since: date,
        until: date,
        status: int,
        kind: int,
        *,
        enquired: date,
        decided: date | None = None,
        approver: int | None = None,
        note: str | None = None,
        public_note: str | None = None,
        sick_note: bool | None = None,
        half_day: bool = False,
        hours: float | None = None,
    ) -> bool:
        """Add one absence unless it collides with the user's pending/approved ones; True if added."""
        until = min(until, date(since.year, 12, 31))  # Clockodo: an absence stays within one year
        days = set(days_between(since, until))
        taken = self.occupied.setdefault(who.id, set())
        if status in _OCCUPYING and days & taken:
            return False
        if status in _OCCUPYING:
            taken |= days
        if status == APPROVED:
            self.blocked.setdefault(who.id, set()).update(days)
        workdays = sum(1 for d in days if self.cal.is_workday(d, who.weekdays))
        self.rows.append(
            {
                "id": len(self.rows) + 1,
                "users_id": who.id,
                "date_since": since.isoformat(),
                "date_until": until.isoformat(),
                "status": status,
                "type": kind,
                "note": note,
                "public_note": public_note,
                "sick_note": (bool(sick_note) if kind in (SICK, 5) else None),
                "count_days": None if kind == OVERTIME_REDUCTION else (0.5 if half_day else float(workdays)),
                "count_hours": hours if kind == OVERTIME_REDUCTION else None,
                "date_enquired": enquired.isoformat(),
                "date_approved": decided.isoformat() if decided else None,
                "approved_by": approver if decided else None,
            }
        )
        return True


def _monday_week(cal: Calendar, around: date) -> tuple[date, date]:
    """Mon..Fri of the week containing `around`, moved a week on if it would straddle New Year."""
    monday = around - timedelta(days=around.weekday())
    if monday.year != (monday + timedelta(days=4)).year:
        monday += timedelta(days=7)
    return monday, monday + timedelta(days=4)


def scripted_absences(book: AbsenceBook, people: dict[str, Staff], owner_id: int) -> None:
    """The absences the demo questions rely on (Sarah Chen's pending PTO, every status, every common type)."""
    cal = book.cal
    t = cal.today

    def who(name: str) -> Staff:
        return people[name]

    def lead(s: Staff) -> int:
        return s.leader_id

    def wd(n: int, s: Staff | None = None) -> date:
        return cal.shift_workdays(t, n, s.weekdays if s else frozenset(range(5)))

    sarah = who("Sarah Chen")
    mon, fri = _monday_week(cal, t + timedelta(days=21))
    book.add(
        sarah,
        mon,
        fri,
        PENDING,
        HOLIDAY,
        enquired=t - timedelta(days=9),
        note="Family trip to Lisbon",
        public_note="Holiday",
    )
    jonas = who("Jonas Wagner")
    book.add(
        jonas,
        mon + timedelta(days=2),
        mon + timedelta(days=8),
        APPROVED,
        HOLIDAY,
        enquired=t - timedelta(days=30),
        decided=t - timedelta(days=28),
        approver=lead(jonas),
        public_note="Holiday",
    )

    miller = who("Sarah Miller")
    m_since = wd(40, miller)
    book.add(
        miller,
        m_since,
        cal.workday_span(m_since, 5, miller.weekdays),
        APPROVED,
        HOLIDAY,
        enquired=t - timedelta(days=20),
        decided=t - timedelta(days=19),
        approver=owner_id,
    )
    book.add(
        miller,
        wd(7, miller),
        wd(7, miller),
        PENDING,
        HOME_OFFICE,
        enquired=t - timedelta(days=2),
        note="Waiting for a furniture delivery",
    )

    tom = who("Tom Becker")
    t_since = wd(30, tom)
    book.add(
        tom,
        t_since,
        cal.workday_span(t_since, 5, tom.weekdays),
        PENDING,
        HOLIDAY,
        enquired=t - timedelta(days=12),
        public_note="Holiday",
    )
    t_past = wd(-50, tom)
    book.add(
        tom,
        t_past,
        cal.workday_span(t_past, 3, tom.weekdays),
        APPROVED,
        HOLIDAY,
        enquired=t_past - timedelta(days=30),
        decided=t_past - timedelta(days=29),
        approver=lead(tom),
    )

    lukas = who("Lukas Hoffmann")
    book.add(
        lukas,
        wd(12, lukas),
        wd(12, lukas),
        PENDING,
        OVERTIME_REDUCTION,
        enquired=t - timedelta(days=4),
        hours=4.0,
        note="Dentist in the afternoon",
    )
    l_past = wd(-33, lukas)
    book.add(
        lukas,
        l_past,
        l_past,
        APPROVED,
        OVERTIME_REDUCTION,
        enquired=l_past - timedelta(days=6),
        decided=l_past - timedelta(days=5),
        approver=lead(lukas),
        hours=8.0,
    )

    markus = who("Markus Weber")
    mk = wd(-61, markus)
    book.add(
        markus,
        mk,
        mk,
        APPROVED,
        SPECIAL_LEAVE,
        enquired=mk - timedelta(days=20),
        decided=mk - timedelta(days=19),
        approver=owner_id,
        note="Sister's wedding",
    )

    mia = who("Mia Schulz")
    ms = wd(-24, mia)
    book.add(
        mia,
        ms,
        cal.workday_span(ms, 3, mia.weekdays),
        APPROVED,
        SICK,
        enquired=ms,
        decided=ms,
        approver=lead(mia),
        sick_note=True,
    )

    paul = who("Paul Zimmermann")
    ps = wd(-41, paul)
    book.add(paul, ps, ps, APPROVED, SICK, enquired=ps, decided=ps, approver=lead(paul), sick_note=False)

    anna = who("Anna Schneider")
    an = wd(-17, anna)
    book.add(anna, an, an, APPROVED, SICK, enquired=an, decided=an, approver=owner_id, sick_note=False)

    nina = who("Nina Richter")
    ns = wd(15, nina)
    book.add(
        nina,
        ns,
        cal.workday_span(ns, 4, nina.weekdays),
        DECLINED,
        HOLIDAY,
        enquired=t - timedelta(days=8),
        decided=t - timedelta(days=5),
        approver=lead(nina),
        note="Declined: launch week for Brand Strategy",
    )

    david = who("David Klein")
    ds = wd(-20, david)
    book.add(
        david,
        ds,
        cal.workday_span(ds, 2, david.weekdays),
        APPROVAL_CANCELLED,
        HOLIDAY,
        enquired=ds - timedelta(days=25),
        decided=ds - timedelta(days=3),
        approver=owner_id,
        note="Cancelled: client workshop moved",
    )

    felix = who("Felix Braun")
    fs = wd(25, felix)
    book.add(
        felix,
        fs,
        cal.workday_span(fs, 3, felix.weekdays),
        REQUEST_CANCELLED,
        HOLIDAY,
        enquired=t - timedelta(days=15),
        note="Withdrawn by Felix",
    )

    emma = who("Emma Fischer")
    book.add(
        emma,
        wd(9, emma),
        wd(9, emma),
        PENDING,
        HOLIDAY,
        enquired=t - timedelta(days=1),
        half_day=True,
        public_note="Half day off",
    )

    lena = who("Lena Wolf")
    book.add(
        lena, wd(20, lena), wd(20, lena), PENDING, SPECIAL_LEAVE, enquired=t - timedelta(days=8), note="Moving house"
    )
    book.add(
        lena,
        wd(4, lena),
        wd(4, lena),
        APPROVED,
        HOME_OFFICE,
        enquired=t - timedelta(days=3),
        decided=t - timedelta(days=3),
        approver=owner_id,
    )


def random_past_absences(
    book: AbsenceBook, rng: random.Random, staff: list[Staff], quiet_from: date, quiet_ids: frozenset[int]
) -> None:
    """Approved holidays and sick days in the past; `quiet_ids` users stay present from `quiet_from` on."""
    cal = book.cal
    for s in staff:
        lo, hi = max(s.first_day, cal.start + timedelta(days=3)), min(s.last_day, cal.today - timedelta(days=3))
        if s.id in quiet_ids:
            hi = min(hi, quiet_from - timedelta(days=8))
        span = (hi - lo).days
        if span < 10:
            continue
        plans = [(HOLIDAY, rng.randint(3, 7))] * (rng.randint(1, 2) if s.core else int(rng.random() < 0.7))
        if rng.random() < (0.6 if s.core else 0.25):
            plans.append((SICK, rng.randint(1, 3)))
        for kind, length in plans:
            for _ in range(4):
                first = cal.shift_workdays(lo + timedelta(days=rng.randrange(span)), 0, s.weekdays)
                last = cal.workday_span(first, length, s.weekdays)
                if last > hi:
                    continue
                if kind == HOLIDAY:
                    enq = first - timedelta(days=rng.randint(10, 45))
                    ok = book.add(
                        s,
                        first,
                        last,
                        APPROVED,
                        HOLIDAY,
                        enquired=enq,
                        decided=enq + timedelta(days=rng.randint(0, 3)),
                        approver=s.leader_id,
                        public_note="Holiday",
                    )
                else:
                    ok = book.add(
                        s,
                        first,
                        last,
                        APPROVED,
                        SICK,
                        enquired=first,
                        decided=first,
                        approver=s.leader_id,
                        sick_note=length >= 3,
                    )
                if ok:
                    break
