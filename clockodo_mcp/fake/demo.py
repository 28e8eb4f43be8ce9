"""A deterministic demo company ("Brightside Digital GmbH") for the fake Clockodo server, tests and benchmarks.

`seed(seed, today, size)` builds six months of history ending on `today`. Same arguments, same data: all
randomness comes from one `random.Random(seed)`, and the wall clock is read only for `today=None`.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from clockodo_mcp.clock import SYSTEM_CLOCK
from clockodo_mcp.fake.dataset import Dataset, EntryRecord, company_record
from clockodo_mcp.fake.demo_absences import AbsenceBook, random_past_absences, scripted_absences
from clockodo_mcp.fake.demo_calendar import (
    BERLIN,
    NONBUSINESS_GROUP_ID,
    nonbusiness_days,
    public_holidays,
    utc_midnight,
)
from clockodo_mcp.fake.demo_catalog import (
    COMPANY_NAME,
    CUSTOMERS,
    DEFAULT_HOURLY_RATE,
    FIRST_NAMES,
    INTERNAL_CUSTOMER,
    LAST_NAMES,
    LUMPSUM_SERVICES,
    OWNER_NAME,
    PEOPLE,
    PROJECT_TEXTS,
    PROJECTS,
    RATE_RULES,
    SERVICE_TEXTS,
    SERVICES,
    TEAM_LEADERS,
    TEAM_PORTFOLIOS,
    TEAMS,
    TIMER_NAME,
    WORKER_NAME,
    PersonSpec,
    ProjectSpec,
)
from clockodo_mcp.fake.demo_entries import Billing, EntryWriter, Meeting
from clockodo_mcp.fake.demo_rates import effective_hourly_rate, project_usage
from clockodo_mcp.fake.demo_staff import Booking, Calendar, Staff

__all__ = [
    "LARGE_ENTRIES",
    "OWNER_EMAIL",
    "OWNER_KEY",
    "WORKER_EMAIL",
    "WORKER_KEY",
    "effective_hourly_rate",
    "seed",
]

OWNER_EMAIL = "owner@demo.example"
OWNER_KEY = "demo-owner-key"
WORKER_EMAIL = "worker@demo.example"
WORKER_KEY = "demo-worker-key"
LARGE_ENTRIES = 100_000
HISTORY_DAYS = 182

Size = int | Literal["small", "large"]
JSON = dict[str, Any]


def seed(seed: int = 7, today: date | None = None, size: Size = "small") -> Dataset:
    """Build the demo company: "small" (~15 people, a few thousand entries), "large" (≥ 100,000) or ~N entries."""
    if today is None:
        today = SYSTEM_CLOCK.now().astimezone(BERLIN).date()
    target = _target_entries(size)
    data = _Builder(seed, today, target, keep=1.0).build()
    if target is not None and target < len(data.entries) and len(data.users) == len(PEOPLE):
        # Fewer entries than the small company has: same master data, fewer days logged.
        data = _Builder(seed, today, None, keep=target / len(data.entries)).build()
    return data


def _target_entries(size: Size) -> int | None:
    if size == "small":
        return None
    if size == "large":
        return LARGE_ENTRIES
    if isinstance(size, int) and not isinstance(size, bool) and size > 0:
        return size
    raise ValueError(f"size must be 'small', 'large' or a positive number of entries, not {size!r}")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


@dataclass(frozen=True, slots=True)
class _Member:
    spec: PersonSpec
    staff: Staff
    start: date
    exit: date | None


class _Builder:
    """One seeding run; the order of random draws is fixed, so keep the call order stable."""

    def __init__(self, seed_: int, today: date, target: int | None, keep: float) -> None:
        self.rng = random.Random(seed_)
        self.target, self.keep = target, keep
        start = today - timedelta(days=HISTORY_DAYS)
        self.cal = Calendar(today, start, public_holidays(range(start.year - 1, today.year + 2)))
        self.customer_ids = {c.name: i for i, c in enumerate(CUSTOMERS, 1)}
        self.project_ids = {p.name: i for i, p in enumerate(PROJECTS, 1)}
        self.service_ids = {name: i for i, name in enumerate(SERVICES, 1)}
        self.members: list[_Member] = []
        self.book = AbsenceBook(self.cal)

    def day(self, offset: int) -> date:
        return self.cal.today + timedelta(days=offset)

    # ---- master data -----------------------------------------------------------------------------------------

    def _project_window(self, p: ProjectSpec) -> tuple[date, date]:
        last = self.cal.today if p.end is None else min(self.cal.today, self.day(p.end))
        return max(self.day(p.start), self.cal.start), last

    def _bookings(self, portfolio: tuple[tuple[str, str, float], ...]) -> list[Booking]:
        out: list[Booking] = []
        for project, service, weight in portfolio:
            p = PROJECTS[self.project_ids[project] - 1]
            first, last = self._project_window(p)
            if first <= last:
                out.append(
                    Booking(
                        self.project_ids[project],
                        self.customer_ids[p.customer],
                        self.service_ids[service],
                        weight,
                        first,
                        last,
                    )
                )
        return out

    def _add_member(self, spec: PersonSpec, core: bool) -> Staff:
        uid = len(self.members) + 1
        start = self.day(spec.start)
        exit_ = self.day(spec.exit) if spec.exit is not None else None
        staff = Staff(
            id=uid,
            name=spec.name,
            team=spec.team,
            leader_id=0,
            weekdays=spec.weekdays,
            minutes=spec.minutes,
            first_day=max(start, self.cal.start),
            last_day=min(exit_ or self.cal.today, self.cal.today),
            bookings=self._bookings(TEAM_PORTFOLIOS[spec.team] + spec.extra),
            core=core,
        )
        self.members.append(_Member(spec, staff, start, exit_))
        return staff

    def _assign_leaders(self) -> None:
        by_name = {m.spec.name: m.staff.id for m in self.members}
        owner = by_name[OWNER_NAME]
        for m in self.members:
            leader = by_name[TEAM_LEADERS[m.spec.team]]
            m.staff.leader_id = owner if leader == m.staff.id else leader

    def _extra_spec(self, n: int) -> PersonSpec:
        rng = self.rng
        pairs = len(FIRST_NAMES) * len(LAST_NAMES)
        # A fixed stride walks every (first, last) pair once before any name would repeat.
        k = (n * 37) % pairs
        name = f"{FIRST_NAMES[k % len(FIRST_NAMES)]} {LAST_NAMES[k // len(FIRST_NAMES)]}"
        if n >= pairs:
            name += f" {n // pairs + 1}"
        team = rng.choices(TEAMS, weights=(25, 40, 10, 15, 10))[0]
        part_time = rng.random() < 0.1
        email = _ascii(name).lower().replace(" ", ".") + "@demo.example"
        start = -rng.randint(30, 2000) if rng.random() < 0.1 else -rng.randint(200, 2000)
        leaves = rng.random() < 0.03
        exit_ = -rng.randint(20, 150) if leaves and start <= -200 else None
        return PersonSpec(
            name,
            team,
            email=email,
            minutes=(300, 390) if part_time else (360, 510),
            start=start,
            exit=exit_,
            quota=rng.choice((28, 29, 30)),
            hours_per_day=6.0 if part_time else 8.0,
        )

    # ---- the run ---------------------------------------------------------------------------------------------

    def build(self) -> Dataset:
        for spec in PEOPLE:
            self._add_member(spec, core=True)
        self._assign_leaders()
        core = [m.staff for m in self.members]
        by_name = {s.name: s for s in core}
        owner_id = by_name[OWNER_NAME].id

        scripted_absences(self.book, by_name, owner_id)
        timer = by_name[TIMER_NAME]
        run_day = self.cal.shift_workdays(self.cal.today, -1, timer.weekdays)
        random_past_absences(self.book, self.rng, core, run_day, frozenset({timer.id}))

        billing = self._billing()
        meeting = Meeting(
            self.project_ids["Team Meetings"], self.customer_ids[INTERNAL_CUSTOMER], self.service_ids["Meetings"]
        )
        writer = EntryWriter(self.rng, self.cal, billing, self._texts(), meeting, keep=self.keep)
        for s in core:
            writer.employee(s, self.book.blocked.get(s.id, set()), stop=run_day if s is timer else None)
        for p in PROJECTS:
            if p.cap_hours is not None and p.spill is not None:
                self._cap_project(writer.entries, p.name, p.cap_hours, p.spill)
        support = self._bookings((("Support & Maintenance", "Support", 1),))[0]
        writer.running(timer, run_day, support, "Hotfix for checkout error")
        self._lumpsums(writer, by_name)

        if self.target is not None:
            self._grow(writer)

        entries = self._finish_entries(writer.entries)
        return self._dataset(entries)

    def _grow(self, writer: EntryWriter) -> None:
        """Add generated employees until the company has logged at least `target` entries."""
        assert self.target is not None
        n = 0
        by_team = {TEAM_LEADERS[t]: t for t in TEAMS}
        leader_ids = {by_team[m.spec.name]: m.staff.id for m in self.members if m.spec.name in by_team}
        owner_id = self.members[0].staff.id
        while len(writer.entries) < self.target:
            s = self._add_member(self._extra_spec(n), core=False)
            s.leader_id = leader_ids.get(s.team, owner_id)
            n += 1
            random_past_absences(self.book, self.rng, [s], self.cal.today, frozenset())
            writer.employee(s, self.book.blocked.get(s.id, set()))

    def _cap_project(self, entries: list[EntryRecord], name: str, cap_hours: float, spill: str) -> None:
        """Keep the newest `cap_hours` on project `name`; older entries become work on `spill` (same customer)."""
        pid, spill_id = self.project_ids[name], self.project_ids[spill]
        assert PROJECTS[pid - 1].customer == PROJECTS[spill_id - 1].customer
        cap = int(cap_hours * 3600)
        own_texts = set(PROJECT_TEXTS.get(name, ()))
        for e in sorted((e for e in entries if e.projects_id == pid), key=lambda e: e.time_since, reverse=True):
            if e.duration is None or e.duration <= cap:
                cap -= e.duration or 0
                continue
            e.projects_id = spill_id
            if e.text in own_texts:
                e.text = self.rng.choice(PROJECT_TEXTS.get(spill) or SERVICE_TEXTS["Development"])

    def _billing(self) -> dict[int, Billing]:
        t = self.cal.today
        last_month_end = t.replace(day=1) - timedelta(days=1)
        month_before_end = last_month_end.replace(day=1) - timedelta(days=1)
        # Invoices for a month go out around the 5th of the next one.
        monthly = last_month_end if t.day > 5 else month_before_end
        out: dict[int, Billing] = {}
        for i, c in enumerate(CUSTOMERS, 1):
            cutoff = {"lagging": month_before_end, "monthly": monthly, "all": t, "never": None, "internal": None}[
                c.billing
            ]
            billed_at = None
            if cutoff is not None:
                invoice_day = min(cutoff + timedelta(days=5), t)
                billed_at = utc_midnight(invoice_day) + timedelta(hours=7)
            out[i] = Billing(internal=c.billing == "internal", cutoff=cutoff, billed_at=billed_at)
        return out

    def _texts(self) -> dict[tuple[int, int], tuple[str, ...]]:
        out: dict[tuple[int, int], tuple[str, ...]] = {}
        for portfolio in [*TEAM_PORTFOLIOS.values(), *(p.extra for p in PEOPLE)]:
            for project, service, _ in portfolio:
                pool = PROJECT_TEXTS.get(project, ()) + SERVICE_TEXTS.get(service, ("Work",))
                out[(self.project_ids[project], self.service_ids[service])] = pool
        return out

    def _lumpsums(self, writer: EntryWriter, by_name: dict[str, Staff]) -> None:
        """A handful of lump-sum entries: travel, workshops, licences, a monthly hosting fee."""
        ls = {name: i for i, (name, _, _) in enumerate(LUMPSUM_SERVICES, 1)}

        def booking(project: str, service: str) -> Booking:
            return self._bookings(((project, service, 1),))[0]

        plan: list[tuple[str, str, str, str, float | None, tuple[int, float] | None]] = [
            ("David Klein", "Mobile App", "Travel", "Trip to Nordlicht HQ, Hamburg", None, (ls["Travel (km)"], 580)),
            ("David Klein", "Citizen Portal", "Travel", "On-site meeting in Lindau", None, (ls["Travel (km)"], 96)),
            (OWNER_NAME, "Brand Strategy", "Consulting", "Brand workshop", None, (ls["Workshop day"], 1)),
            (OWNER_NAME, "Project Alpha", "Consulting", "Discovery workshop (flat fee)", 850.0, None),
            ("Sarah Chen", "Website Redesign", "Design", "Hero images", None, (ls["Stock photo licence"], 5)),
            ("Anna Schneider", "Packaging Design", "Design", "Print proofs", 400.0, None),
            ("Lena Wolf", "SEO Retainer", "Content & Copywriting", "SEO tool licence", 300.0, None),
        ]
        for who, project, service, text, value, lumpsum in plan:
            writer.lumpsum(by_name[who], booking(project, service), text, value=value, lumpsum_service=lumpsum)
        tom = by_name[WORKER_NAME]
        shop = booking("Online Shop", "Development")
        for months_back in range(5, 0, -1):
            first = (self.cal.today.replace(day=1) - timedelta(days=28 * months_back)).replace(day=1)
            on = self.cal.shift_workdays(first, 0, tom.weekdays)
            if tom.first_day <= on < self.cal.today and on not in self.book.blocked.get(tom.id, set()):
                writer.lumpsum(tom, shop, "Hosting", lumpsum_service=(ls["Hosting (monthly)"], 1), on=on)

    def _finish_entries(self, entries: list[EntryRecord]) -> list[EntryRecord]:
        """Ids in insertion order (= chronological, as Clockodo assigns them) and de-duplicated text ids."""
        entries.sort(key=lambda e: (e.time_since, e.users_id, e.type))
        text_ids: dict[str, int] = {}
        for i, e in enumerate(entries, 1):
            e.id = i
            if e.text is not None:
                e.texts_id = text_ids.setdefault(e.text, len(text_ids) + 1)
        return entries

    # ---- output ----------------------------------------------------------------------------------------------

    def _dataset(self, entries: list[EntryRecord]) -> Dataset:
        t = self.cal.today
        rates = self._rates()
        lumpsum_services: list[JSON] = [
            {"id": i, "name": name, "price": price, "unit": unit, "active": True, "number": f"LS-{i:02d}", "note": None}
            for i, (name, price, unit) in enumerate(LUMPSUM_SERVICES, 1)
        ]
        prices = {i: price for i, (_, price, _) in enumerate(LUMPSUM_SERVICES, 1)}
        hours, money = project_usage(entries, rates, DEFAULT_HOURLY_RATE, prices)
        users, keys = self._users()
        years = range(self.cal.start.year, (t + timedelta(days=120)).year + 1)
        return Dataset(
            today=t,
            company=company_record(COMPANY_NAME, nonbusiness_group_default=NONBUSINESS_GROUP_ID),
            users=users,
            api_keys=keys,
            teams=self._teams(),
            customers=self._customers(),
            projects=[self._project(i, p, hours.get(i, 0.0), money.get(i, 0.0)) for i, p in enumerate(PROJECTS, 1)],
            services=[
                {"id": i, "name": name, "number": f"S-{i:02d}", "active": True, "note": None, "bill_service_id": None}
                for i, name in enumerate(SERVICES, 1)
            ],
            lumpsum_services=lumpsum_services,
            rates=rates,
            default_hourly_rate=DEFAULT_HOURLY_RATE,
            entries=entries,
            absences=self.book.rows,
            target_hours=self._target_hours(),
            holidays_quota=[
                {
                    "id": m.staff.id,
                    "users_id": m.staff.id,
                    "year_since": m.start.year,
                    "year_until": None,
                    "count": float(m.spec.quota),
                    "note": None,
                }
                for m in self.members
            ],
            nonbusiness_groups=[{"id": NONBUSINESS_GROUP_ID, "name": "Berlin", "company_default": True}],
            nonbusiness_days=nonbusiness_days(years),
        )

    def _users(self) -> tuple[list[JSON], dict[int, str]]:
        users: list[JSON] = []
        keys: dict[int, str] = {}
        team_ids = {name: i for i, name in enumerate(TEAMS, 1)}
        owner_id = self.members[0].staff.id
        for m in self.members:
            s, spec = m.staff, m.spec
            email = spec.email or _ascii(spec.name).lower().replace(" ", ".") + "@demo.example"
            is_owner = spec.role == "owner"
            is_leader = TEAM_LEADERS[spec.team] == spec.name
            active = m.exit is None or m.exit > self.cal.today
            users.append(
                {
                    "id": s.id,
                    "name": spec.name,
                    "number": f"E-{100 + s.id}",
                    "email": email,
                    "role": spec.role,
                    "active": active,
                    "language": "en",
                    "timezone": "Europe/Berlin",
                    "timeformat_12h": False,
                    "weekstart_monday": True,
                    "weekend_friday": False,
                    "teams_id": team_ids[spec.team],
                    "initials": "".join(part[0] for part in spec.name.split()[:2]).upper(),
                    "boss": None if is_owner else s.leader_id,
                    "absence_managers_id": [] if is_owner else sorted({s.leader_id, owner_id}),
                    "access_groups_ids": [],
                    "can_generally_see_absences": is_owner or is_leader,
                    "can_generally_manage_absences": is_owner or is_leader,
                    "can_add_customers": is_owner,
                    "default_holidays_count": spec.quota == 30,
                    "default_target_hours": spec.hours_per_day == 8.0 and len(spec.weekdays) == 5,
                    "work_time_regulations_id": None,
                    "default_work_time_regulation": True,
                    "future_coworker": False,
                    "start_date": m.start.isoformat(),
                    "exit_date": m.exit.isoformat() if m.exit else None,
                    "wage_type": 1,
                    "edit_lock": None,
                    "edit_lock_dyn": None,
                    "edit_lock_sync": None,
                    "work_time_edit_lock_days": None,
                    "budget_notifications": is_owner or is_leader,
                    "creator": None if is_owner else owner_id,
                    "created_at": _iso(datetime.combine(m.start - timedelta(days=7), time(9), UTC)),
                    "bill_service_id": None,
                    "exempt_from_flextime": False,
                    "nonbusiness_groups_id": NONBUSINESS_GROUP_ID,
                    "nonbusinessgroups_id": NONBUSINESS_GROUP_ID,
                    "worktime_regulation_id": None,
                }
            )
            keys[s.id] = {OWNER_EMAIL: OWNER_KEY, WORKER_EMAIL: WORKER_KEY}.get(email, f"demo-key-{s.id}")
        return users, keys

    def _teams(self) -> list[JSON]:
        ids = {m.spec.name: m.staff.id for m in self.members}
        return [
            {
                "id": i,
                "name": name,
                "leader": ids[TEAM_LEADERS[name]],
                "user_ids": [m.staff.id for m in self.members if m.spec.team == name],
            }
            for i, name in enumerate(TEAMS, 1)
        ]

    def _customers(self) -> list[JSON]:
        return [
            {
                "id": i,
                "name": c.name,
                "number": f"K-{100 + i}",
                "color": c.color,
                "active": c.active,
                "billable_default": c.billing != "internal",
                "note": None,
                "bill_service_id": None,
                "test_data": False,
            }
            for i, c in enumerate(CUSTOMERS, 1)
        ]

    def _rates(self) -> list[JSON]:
        users = {m.spec.name: m.staff.id for m in self.members}
        return [
            {
                "id": i,
                "parent_rate_id": None,
                "customer_ids": [self.customer_ids[c] for c in cs],
                "project_ids": [self.project_ids[p] for p in ps],
                "service_ids": [self.service_ids[s] for s in ss],
                "user_ids": [users[u] for u in us],
                "hourly_rate": rate,
                "test_data": False,
                "position": i,
            }
            for i, (cs, ps, ss, us, rate) in enumerate(RATE_RULES, 1)
        ]

    def _project(self, pid: int, p: ProjectSpec, hours: float, money: float) -> JSON:
        t = self.cal.today
        internal = p.customer == INTERNAL_CUSTOMER
        budget: JSON | None = None
        revenue_factor: float | None = 1.0
        if p.budget is not None:
            used = money if p.budget.monetary else hours
            amount = p.budget.amount or _budget_amount(used, p.budget.usage, p.budget.monetary)
            budget = {
                "monetary": p.budget.monetary,
                "hard": p.budget.hard,
                "from_subprojects": False,
                "interval": None,
                "amount": amount,
                "notification_thresholds": list(p.budget.thresholds),
            }
            if p.budget.hard:
                # Hard budgets cap revenue: unknown until completion, then budget ÷ calculated value.
                revenue_factor = round(min(1.0, amount / used), 4) if p.completed is not None and used else None
        completed_at = None
        if p.completed is not None:
            completed_at = _iso(utc_midnight(self.day(p.completed)) + timedelta(hours=16))
        deadlines = {"Phoenix": 60, "Mobile App": 45, "Website Redesign": 30, "Accessibility Audit": 20}
        return {
            "id": pid,
            "customers_id": self.customer_ids[p.customer],
            "name": p.name,
            "number": f"P-{1000 + pid}",
            "active": p.active,
            "billable_default": not internal,
            "note": p.note,
            "completed": p.completed is not None,
            "completed_at": completed_at,
            "billed_money": (budget or {}).get("amount") if p.completed is not None and budget else None,
            "billed_completely": p.completed is not None,
            "revenue_factor": revenue_factor,
            "test_data": False,
            "count_subprojects": 0,
            "deadline": (t + timedelta(days=deadlines[p.name])).isoformat() if p.name in deadlines else None,
            "start_date": self.day(p.start).isoformat(),
            "automatic_completion": False,
            "budget": budget,
            "bill_service_id": None,
        }

    def _target_hours(self) -> list[JSON]:
        names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        rows: list[JSON] = []
        for m in self.members:
            row: JSON = {
                "id": m.staff.id,
                "users_id": m.staff.id,
                "type": "weekly",
                "date_since": m.start.isoformat(),
                "date_until": m.exit.isoformat() if m.exit else None,
                "surcharge_models_id": None,
                "test_data": False,
                "absence_fixed_credit": False,
                "compensation_daily": 0.0,
                "compensation_monthly": 0.0,
            }
            for i, day in enumerate(names):
                row[day] = m.spec.hours_per_day if i in m.spec.weekdays else 0.0
            rows.append(row)
        return rows


def _budget_amount(used: float, usage: float, monetary: bool) -> float:
    """A round budget amount of which `used` is about `usage` (within 1.5 points where rounding allows)."""
    if used <= 0:
        return 10_000.0 if monetary else 100.0
    ideal = used / usage
    steps = (1000.0, 500.0, 100.0, 10.0, 1.0) if monetary else (10.0, 5.0, 1.0)
    for step in steps:
        amount = max(step, round(ideal / step) * step)
        if abs(used / amount - usage) <= 0.015:
            return amount
    return round(ideal, 2)
