"""Entries on the wire: selection by window and filters, rendering with rights, revenue with the budget rule."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clockodo_mcp.fake.auth import Caller
from clockodo_mcp.fake.dataset import EntryRecord
from clockodo_mcp.fake.errors import bad_request, forbidden
from clockodo_mcp.fake.params import Params, format_ts
from clockodo_mcp.fake.rating import raw_revenue, time_entry_seconds
from clockodo_mcp.fake.store import Store

JSON = dict[str, Any]

BUDGET_OPTIONS = (
    "rep_filter_budget_strict",
    "rep_filter_budget_strict_completed",
    "rep_filter_budget_strict_incomplete",
    "rep_filter_budget_soft",
    "rep_filter_budget_soft_completed",
    "rep_filter_budget_soft_incomplete",
    "rep_filter_budget_without",
    "rep_filter_budget_without_strict",
)
_ID_FILTERS = ("customers_id", "projects_id", "subprojects_id", "services_id", "lumpsum_services_id", "texts_id")


def read_window(params: Params) -> tuple[datetime, datetime]:
    """The required `[time_since, time_until)` window; a reversed window is refused."""
    since = params.req_datetime("time_since")
    until = params.req_datetime("time_until")
    if until < since:
        raise bad_request("time_until must not be before time_since.", "time_until")
    return since, until


@dataclass(slots=True)
class EntryFilter:
    """Which entries a request selects; None means "any"."""

    users: frozenset[int] | None = None
    ids: dict[str, frozenset[int | None]] | None = None
    billable: frozenset[int] | None = None
    text: str | None = None
    projects: frozenset[int | None] | None = None

    @classmethod
    def read(cls, store: Store, flt: Params, caller: Caller, *, allow_billable_12: bool = True) -> EntryFilter:
        """Parse `filter[...]`; a worker is confined to their own entries (403 for anyone else's)."""
        users = _user_ids(flt)
        if not caller.is_owner:
            if users is not None and users != frozenset({caller.id}):
                raise forbidden("Your access rights do not allow you to see entries of other users.")
            users = frozenset({caller.id})
        teams = flt.int_list("teams_id", minimum=0)
        if teams is not None:
            members = _team_members(store, set(teams))
            users = members if users is None else users & members
        ids = {name: found for name in _ID_FILTERS if (found := _ids(flt, name)) is not None}
        billable_values = (0, 1, 2, 12) if allow_billable_12 else (0, 1, 2)
        billable = flt.choice("billable", billable_values)
        text = flt.string("text")
        budget = flt.str_choice("budget_type", BUDGET_OPTIONS)
        return cls(
            users=users,
            ids=ids or None,
            billable=None if billable is None else frozenset({1, 2} if billable == 12 else {billable}),
            text=text.lower() if text else None,
            projects=None if budget is None else budget_projects(store, budget),
        )

    def select(self, entries: Iterable[EntryRecord]) -> list[EntryRecord]:
        """The entries passing every criterion (in input order)."""
        users, billable, text, projects = self.users, self.billable, self.text, self.projects
        if users is None and billable is None and text is None and projects is None and not self.ids:
            return list(entries)  # no criterion (the owner's sync): no pass over the window per page
        ids = list(self.ids.items()) if self.ids else []
        result: list[EntryRecord] = []
        append = result.append
        for entry in entries:
            if users is not None and entry.users_id not in users:
                continue
            if billable is not None and entry.billable not in billable:
                continue
            if projects is not None and entry.projects_id not in projects:
                continue
            if ids and not all(getattr(entry, name) in wanted for name, wanted in ids):
                continue
            if text is not None and text not in (entry.text or "").lower():
                continue
            append(entry)
        return result

    def canonical(self) -> JSON:
        """A stable, JSON-able form (for confirm keys)."""
        return {
            "users": sorted(self.users) if self.users is not None else None,
            "ids": {k: sorted(v, key=lambda x: -1 if x is None else x) for k, v in (self.ids or {}).items()},
            "billable": sorted(self.billable) if self.billable is not None else None,
            "text": self.text,
            "projects": sorted(self.projects, key=lambda x: -1 if x is None else x) if self.projects else None,
        }


def _ids(flt: Params, name: str) -> frozenset[int | None] | None:
    values = flt.int_list(name, minimum=0)
    if values is None:
        return None
    # 0 selects entries without that reference (no project, no subproject, …).
    return frozenset(None if v == 0 else v for v in values)


def _user_ids(flt: Params) -> frozenset[int] | None:
    values = flt.int_list("users_id", minimum=1)
    return None if values is None else frozenset(values)


def _team_members(store: Store, teams: set[int]) -> frozenset[int]:
    members = {uid for uid, user in store.users.items() if user.get("teams_id") in teams}
    for tid in teams:
        members.update(int(u) for u in (store.teams.get(tid) or {}).get("user_ids") or ())
    return frozenset(members)


def budget_projects(store: Store, option: str) -> frozenset[int | None]:
    """Project ids (None = no project) that a `filter[budget_type]` option admits."""
    admitted: set[int | None] = set()
    if option in ("rep_filter_budget_without", "rep_filter_budget_without_strict"):
        admitted.add(None)
    for pid, project in store.projects.items():
        budget = project.get("budget")
        completed = bool(project.get("completed"))
        hard = bool(budget and budget.get("hard"))
        kind = "without" if not budget else ("strict" if hard else "soft")
        if option == "rep_filter_budget_without":
            ok = kind == "without"
        elif option == "rep_filter_budget_without_strict":
            ok = kind != "strict"
        else:
            parts = option.removeprefix("rep_filter_budget_").split("_")
            ok = parts[0] == kind and (len(parts) == 1 or (parts[1] == "completed") == completed)
        if ok:
            admitted.add(pid)
    return frozenset(admitted)


class EntryView:
    """Renders entries for one request: what the caller may see and whether revenue is withheld."""

    def __init__(self, store: Store, caller: Caller, *, enhanced: bool = False, calc_hard: bool = False) -> None:
        self.store = store
        self.show_money = caller.is_owner
        self.enhanced = enhanced
        self.calc_hard = calc_hard
        self.hard_open = store.hard_open_projects()
        self.prices = store.lumpsum_prices()
        self.now_ts = store.now().timestamp()

    def cache_key(self) -> Hashable:
        """Everything `render` reads besides the entry (and, for a running entry, the clock): rights, flags and the
        master data it embeds. Entries rendered under an equal key render the same while their fields are equal."""
        names: tuple[tuple[str, int, object], ...] = ()
        if self.enhanced:
            store = self.store
            tables = {
                "customers": store.customers,
                "projects": store.projects,
                "subprojects": store.subprojects,
                "services": store.services,
                "users": store.users,
            }
            names = tuple(
                (table, ident, item.get("name")) for table, items in tables.items() for ident, item in items.items()
            )
        prices = tuple(sorted(self.prices.items()))
        return (self.show_money, self.enhanced, self.calc_hard, self.hard_open, prices, names)

    def revenue(self, entry: EntryRecord) -> float | None:
        """The entry's revenue; None while its project's hard budget is open (unless forced)."""
        if not self.calc_hard and entry.projects_id in self.hard_open:
            return None
        seconds = time_entry_seconds(entry, self.now_ts) if entry.type == 1 else 0
        return raw_revenue(entry, seconds, self.prices)

    def render(self, entry: EntryRecord) -> JSON:
        """One `EntryV2` object."""
        data: JSON = {
            "id": entry.id,
            "type": entry.type,
            "customers_id": entry.customers_id,
            "projects_id": entry.projects_id,
            "subprojects_id": entry.subprojects_id,
            "users_id": entry.users_id,
            "billable": entry.billable,
            "texts_id": entry.texts_id,
            "text": entry.text,
            "time_since": format_ts(entry.time_since),
            "time_until": format_ts(entry.time_until),
            "time_insert": format_ts(entry.time_insert),
            "time_last_change": format_ts(entry.time_last_change),
            "test_data": entry.test_data,
        }
        if entry.type == 1:
            running = entry.time_until is None
            data["services_id"] = entry.services_id
            data["duration"] = None if running else time_entry_seconds(entry, self.now_ts)
            data["time_clocked_since"] = format_ts(entry.time_clocked_since)
            data["clocked"] = entry.clocked
            data["clocked_offline"] = entry.clocked_offline
            data["time_last_change_work_time"] = data["time_last_change"]
            if self.show_money:
                data["hourly_rate"] = entry.hourly_rate
        elif entry.type == 2:
            data["services_id"] = entry.services_id
            data["lumpsum"] = entry.lumpsum
        else:
            data["lumpsum_services_id"] = entry.lumpsum_services_id
            data["lumpsum_services_amount"] = entry.lumpsum_services_amount
        if self.enhanced:
            self._enhance(entry, data)
        return data

    def _enhance(self, entry: EntryRecord, data: JSON) -> None:
        store = self.store
        data["customers_name"] = str((store.customers.get(entry.customers_id) or {}).get("name", ""))
        project = store.projects.get(entry.projects_id or 0)
        data["projects_name"] = project.get("name") if project else None
        subproject = store.subprojects.get(entry.subprojects_id or 0)
        data["subprojects_name"] = subproject.get("name") if subproject else None
        data["users_name"] = store.user_name(entry.users_id)
        if entry.type in (1, 2):
            service = store.services.get(entry.services_id or 0)
            data["services_name"] = service.get("name") if service else None
        else:
            data["lumpsum_services_price"] = self.prices.get(entry.lumpsum_services_id or 0)
        if self.show_money:
            revenue = self.revenue(entry)
            if revenue is not None:
                data["revenue"] = revenue
