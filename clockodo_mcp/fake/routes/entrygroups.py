"""`/v2/entrygroups`: server-side aggregation with nested grouping; two-step mass edit and mass delete."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from datetime import date
from operator import attrgetter
from typing import Any

from starlette.routing import Route

from clockodo_mcp.fake.dataset import EntryRecord
from clockodo_mcp.fake.entrydata import EntryFilter, EntryView, read_window
from clockodo_mcp.fake.errors import Family, bad_request, forbidden, typed_error
from clockodo_mcp.fake.params import Params, format_ts
from clockodo_mcp.fake.routes.entries import check_references
from clockodo_mcp.fake.routing import Ctx, api_route
from clockodo_mcp.fake.store import Store

JSON = dict[str, Any]
GROUPINGS = (
    "customers_id",
    "projects_id",
    "subprojects_id",
    "services_id",
    "users_id",
    "texts_id",
    "lumpsum_services_id",
    "billable",
    "is_lumpsum",
    "year",
    "month",
    "week",
    "day",
)
_DATE_GROUPINGS = ("year", "month", "week", "day")
_RESTRICTION_KEYS = {
    "users_id": "users_id",
    "customers_id": "customers_id",
    "projects_id": "projects_id",
    "subprojects_id": "subprojects_id",
    "services_id": "services_id",
    "lumpsum_services_id": "lumpsum_services_id",
    "billable": "billable",
    "texts_id": "entriesTexts_id",
}
_BILLABLE_NAMES = {0: "Not billable", 1: "Billable", 2: "Billed"}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_NEW_VALUE_REFS = ("users_id", "customers_id", "projects_id", "subprojects_id", "services_id", "lumpsum_services_id")


# -- aggregation ---------------------------------------------------------------------------------------------


class _Acc:
    """Sums of one group."""

    __slots__ = (
        "billable_seconds",
        "children",
        "duration",
        "duration_raw",
        "flags",
        "has_lumpsum",
        "rate_seconds",
        "rates",
        "revenue",
        "revenue_raw",
    )

    def __init__(self) -> None:
        self.duration = 0
        self.duration_raw = 0
        self.revenue = 0.0
        self.revenue_raw = 0.0
        self.billable_seconds = 0
        self.rate_seconds = 0.0
        self.rates: set[float] = set()
        self.has_lumpsum = False
        self.flags = 0
        self.children: dict[Any, _Acc] = {}

    def merge(self, leaf: list[Any]) -> None:
        self.duration += leaf[0]
        self.duration_raw += leaf[1]
        self.revenue += leaf[2]
        self.revenue_raw += leaf[3]
        self.billable_seconds += leaf[4]
        self.rate_seconds += leaf[5]
        self.rates |= leaf[6]
        self.has_lumpsum |= leaf[7]
        self.flags |= leaf[8]


# Bits of `_Acc.flags`.
_BUDGET_USED, _BUDGET_BILLED, _BUDGET_NOT_BILLED, _OTHER_BILLED, _OTHER_NOT_BILLED = 1, 2, 4, 8, 16
_FLAG_BY_BILLABLE = {
    (True, 0): _BUDGET_USED,
    (True, 1): _BUDGET_USED | _BUDGET_NOT_BILLED,
    (True, 2): _BUDGET_USED | _BUDGET_BILLED,
    (False, 0): 0,
    (False, 1): _OTHER_NOT_BILLED,
    (False, 2): _OTHER_BILLED,
}


def _level_mappers(grouping: Sequence[str]) -> list[Callable[[Any], Any]]:
    """Turn a leaf's raw value (attribute, entry type or local date) into each level's group key."""
    day_keys: dict[str, Callable[[date], str]] = {
        "year": lambda d: str(d.year),
        "month": lambda d: d.strftime("%Y-%m"),
        "week": lambda d: "{}-W{:02d}".format(*d.isocalendar()[:2]),
        "day": lambda d: d.isoformat(),
    }
    mappers: list[Callable[[Any], Any]] = []
    for name in grouping:
        if name in day_keys:
            mappers.append(day_keys[name])
        elif name == "is_lumpsum":
            mappers.append(lambda kind: 0 if kind == 1 else 1)
        else:
            mappers.append(lambda value: value or 0)
    return mappers


def aggregate(
    store: Store, entries: Sequence[EntryRecord], grouping: Sequence[str], view: EntryView, round_to: int | None
) -> _Acc:
    """One tight pass over the entries into leaf sums, rolled up into the nested group tree.

    Leaves are keyed by raw values (attributes, entry type, local date) read with a C-level attrgetter;
    mapping them to group keys happens once per leaf, not once per entry.
    """
    attributes = ["type" if g == "is_lumpsum" else g for g in grouping if g not in _DATE_GROUPINGS]
    with_date = any(g in _DATE_GROUPINGS for g in grouping)
    getter = attrgetter(*attributes) if attributes else None
    single = len(attributes) == 1
    tz = store.tz
    # The group keys of every date level at once (e.g. ("2026-11",)), so leaves are as coarse as the grouping.
    date_mappers = [m for g, m in zip(grouping, _level_mappers(grouping), strict=True) if g in _DATE_GROUPINGS]
    local_dates: dict[int, tuple[str, ...]] = {}
    now_ts = view.now_ts
    step = (round_to or 0) * 60
    hard_projects = {pid for pid, p in store.projects.items() if (p.get("budget") or {}).get("hard")}
    withheld_projects = frozenset() if view.calc_hard else view.hard_open
    prices = view.prices
    flag_of = _FLAG_BY_BILLABLE
    leaves: dict[Any, list[Any]] = {}
    for entry in entries:
        raw = getter(entry) if getter is not None else ()
        if with_date:
            # Offsets are multiples of 15 minutes, so the local date is constant per quarter hour.
            slot = int(entry.time_since.timestamp()) // 900
            day = local_dates.get(slot)
            if day is None:
                local = entry.time_since.astimezone(tz).date()
                day = local_dates[slot] = tuple(mapper(local) for mapper in date_mappers)
            key: Any = ((raw,) if single else raw, day)
        else:
            key = raw
        leaf = leaves.get(key)
        if leaf is None:
            leaf = leaves[key] = [0, 0, 0.0, 0.0, 0, 0.0, set(), False, 0]
        billable = entry.billable
        project = entry.projects_id
        withheld = project in withheld_projects
        if entry.type == 1:
            until = entry.time_until
            if until is None:
                seconds = max(0, int(now_ts - entry.time_since.timestamp()))
            elif entry.duration is not None:
                seconds = entry.duration
            else:
                seconds = int((until - entry.time_since).total_seconds())
            rounded = -(-seconds // step) * step if step else seconds
            leaf[0] += rounded
            leaf[1] += seconds
            rate = entry.hourly_rate
            if billable and rate is not None:
                leaf[4] += rounded
                leaf[5] += rate * rounded
                leaf[6].add(rate)
                if not withheld and rate:
                    revenue = round(rate * seconds / 3600.0, 2)
                    leaf[3] += revenue
                    leaf[2] += round(rate * rounded / 3600.0, 2) if step else revenue
        else:
            leaf[7] = True
            if not withheld:
                if entry.type == 2:
                    revenue = round(entry.lumpsum or 0.0, 2)
                else:
                    price = prices.get(entry.lumpsum_services_id or 0, 0.0)
                    revenue = round((entry.lumpsum_services_amount or 0.0) * price, 2)
                leaf[2] += revenue
                leaf[3] += revenue
        leaf[8] |= flag_of.get((project in hard_projects, billable), 0)
    return _roll_up(leaves, grouping, single, with_date)


def _roll_up(leaves: dict[Any, list[Any]], grouping: Sequence[str], single: bool, with_date: bool) -> _Acc:
    mappers = _level_mappers(grouping)
    root = _Acc()
    for key, leaf in leaves.items():
        if with_date:
            attributes, date_keys = key
            values = iter(attributes)
            dates = iter(date_keys)
        else:
            values = iter((key,) if single else key)
            dates = iter(())
        node = root
        node.merge(leaf)
        for name, mapper in zip(grouping, mappers, strict=True):
            part = next(dates) if name in _DATE_GROUPINGS else mapper(next(values))
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Acc()
            child.merge(leaf)
            node = child
    return root


class _Namer:
    """Group names and numbers for each grouping criterion."""

    def __init__(self, store: Store, prepend_customer: bool) -> None:
        self.store = store
        self.prepend = prepend_customer

    def describe(self, grouping: str, key: Any) -> tuple[str, str | None, str | None]:
        """(name, number, note) of a group."""
        store = self.store
        tables = {
            "customers_id": store.customers,
            "projects_id": store.projects,
            "subprojects_id": store.subprojects,
            "services_id": store.services,
            "lumpsum_services_id": store.lumpsum_services,
            "users_id": store.users,
        }
        if grouping in tables:
            item = tables[grouping].get(key) if key else None
            if item is None:
                return f"Without {grouping.removesuffix('s_id').replace('_', ' ')}", None, None
            name = str(item.get("name", ""))
            if grouping == "projects_id" and self.prepend:
                customer = store.customers.get(int(item.get("customers_id") or 0)) or {}
                name = f"{customer.get('name', '')}: {name}"
            note = item.get("note") if grouping in ("customers_id", "projects_id", "services_id") else None
            return name, item.get("number"), note
        if grouping == "texts_id":
            texts = {v: k for k, v in store.texts.items()}
            return texts.get(key, "Without description"), None, None
        if grouping == "billable":
            return _BILLABLE_NAMES.get(key, str(key)), None, None
        if grouping == "is_lumpsum":
            return ("Lump sums" if key else "Time entries"), None, None
        if grouping == "month":
            year, month = str(key).split("-")
            return f"{_MONTHS[int(month) - 1]} {year}", None, None
        if grouping == "week":
            year, week = str(key).split("-W")
            return f"Week {int(week)}/{year}", None, None
        if grouping == "day":
            return date.fromisoformat(str(key)).strftime("%A, %Y-%m-%d"), None, None
        return str(key), None, None


def _restrictions(flt: EntryFilter, budget_type: str | None, teams: list[int] | None) -> JSON:
    base: JSON = dict.fromkeys(
        [
            "users_id",
            "teams_id",
            "customers_id",
            "projects_id",
            "subprojects_id",
            "services_id",
            "lumpsum_services_id",
            "billable",
            "entriesTexts_id",
            "budget_type",
        ]
    )
    ids = dict(flt.ids or {})
    if flt.users is not None:
        ids["users_id"] = frozenset(flt.users)
    for name, values in ids.items():
        concrete = sorted(v for v in values if v is not None)
        base[_RESTRICTION_KEYS[name]] = concrete[0] if len(concrete) == 1 else (concrete or None)
    if flt.billable is not None:
        base["billable"] = 12 if flt.billable == {1, 2} else next(iter(flt.billable))
    base["teams_id"] = teams[0] if teams and len(teams) == 1 else teams
    base["budget_type"] = budget_type
    return base


def _render(
    node: _Acc, grouping: Sequence[str], level: int, namer: _Namer, restrictions: JSON, show_money: bool, rounded: bool
) -> list[JSON]:
    name_of = grouping[level]
    rendered: list[tuple[tuple[Any, ...], JSON]] = []
    for key, child in node.children.items():
        name, number, note = namer.describe(name_of, key)
        own = dict(restrictions)
        if name_of in _RESTRICTION_KEYS:
            own[_RESTRICTION_KEYS[name_of]] = key or None
        group: JSON = {"grouped_by": name_of, "group": str(key), "name": name}
        if name_of in ("customers_id", "projects_id", "services_id", "users_id"):
            group["number"] = number
        if name_of in ("customers_id", "projects_id", "services_id"):
            group["note"] = note
        group["restrictions"] = restrictions
        group["duration"] = child.duration
        single_rate = len(child.rates) == 1 and not child.has_lumpsum
        if show_money:
            group["revenue"] = round(child.revenue, 2)
            group["hourly_rate"] = (
                round(child.rate_seconds / child.billable_seconds, 2) if child.billable_seconds else None
            )
        flags = child.flags
        group["budget_used"] = bool(flags & _BUDGET_USED)
        group["has_budget_revenues_billed"] = bool(flags & _BUDGET_BILLED)
        group["has_budget_revenues_not_billed"] = bool(flags & _BUDGET_NOT_BILLED)
        group["has_non_budget_revenues_billed"] = bool(flags & _OTHER_BILLED)
        group["has_non_budget_revenues_not_billed"] = bool(flags & _OTHER_NOT_BILLED)
        group["hourly_rate_is_equal_and_has_no_lumpsums"] = single_rate
        if rounded:
            group["duration_without_rounding"] = child.duration_raw
            if show_money:
                group["revenue_without_rounding"] = round(child.revenue_raw, 2)
            group["rounding_success"] = True
        has_next = level + 1 < len(grouping)
        group["sub_groups"] = _render(child, grouping, level + 1, namer, own, show_money, rounded) if has_next else None
        sort_key = (0, str(key), "") if name_of in _DATE_GROUPINGS else (0, name.lower(), str(key))
        if name_of in ("billable", "is_lumpsum"):
            sort_key = (0, f"{int(key):04d}", "")
        rendered.append((sort_key, group))
    rendered.sort(key=lambda item: item[0])
    return [group for _, group in rendered]


def get_groups(ctx: Ctx) -> JSON:
    """GET /v2/entrygroups."""
    query, store = ctx.query, ctx.store
    since, until = read_window(query)
    grouping = query.str_list("grouping")
    if not grouping:
        raise bad_request("grouping[] is required (at least one criterion).", "grouping")
    for name in grouping:
        if name not in GROUPINGS:
            raise bad_request(f"Unknown grouping {name!r}; allowed: {', '.join(GROUPINGS)}.", "grouping")
    if len(set(grouping)) != len(grouping):
        raise bad_request("Each grouping criterion may appear only once.", "grouping")
    flt_params = query.sub("filter")
    flt = EntryFilter.read(store, flt_params, ctx.caller)
    round_to = query.integer("round_to_minutes", minimum=0, maximum=1440)
    prepend = bool(query.boolean("prepend_customer_to_project_name"))
    calc_hard = bool(query.boolean("calc_also_revenues_for_projects_with_hard_budget"))
    view = EntryView(store, ctx.caller, calc_hard=calc_hard)
    entries = flt.select(store.window(since, until))
    root = aggregate(store, entries, grouping, view, round_to)
    restrictions = _restrictions(flt, flt_params.string("budget_type"), flt_params.int_list("teams_id"))
    groups = _render(root, grouping, 0, _Namer(store, prepend), restrictions, view.show_money, bool(round_to))
    return {"groups": groups}


# -- two-step mass edit / delete ----------------------------------------------------------------------------


def _confirm_key(store: Store, payload: JSON) -> str:
    canonical = json.dumps({**payload, "version": store.version}, sort_keys=True, separators=(",", ":"))
    return hmac.new(store.secret, canonical.encode(), hashlib.sha256).hexdigest()


def _check_confirm_key(store: Store, params: Params, payload: JSON) -> bool:
    """False for the preview step; True when the key matches; 422 when it is wrong or stale."""
    given = params.raw("confirm_key")
    if given is None or given == "":
        return False
    if not isinstance(given, str) or not hmac.compare_digest(given, _confirm_key(store, payload)):
        raise typed_error(
            "ForbiddenValue",
            "The confirm_key does not match this request or the entries changed since it was issued; "
            "send the request again without confirm_key to get a new one.",
            "confirm_key",
            {"allowed_values": []},
        )
    return True


def _selection(ctx: Ctx, params: Params) -> tuple[list[EntryRecord], JSON]:
    since, until = read_window(params)
    flt = EntryFilter.read(ctx.store, params.sub("filter"), ctx.caller)
    selected = flt.select(ctx.store.window(since, until))
    payload = {
        "method": ctx.method,
        "since": format_ts(since),
        "until": format_ts(until),
        "filter": flt.canonical(),
        "caller": ctx.caller.id,
    }
    return selected, payload


def _new_values(ctx: Ctx, params: Params) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _NEW_VALUE_REFS:
        if params.given(name):
            value = params.integer(name, minimum=0)
            values[name] = value or None
    if "customers_id" in values and values["customers_id"] is None:
        raise bad_request("customers_id cannot be removed.", "customers_id")
    if values.get("users_id") is not None:
        ctx.caller.require_self_or_owner(values["users_id"], "move entries to the account")
    if params.given("billable"):
        values["billable"] = params.choice("billable", (0, 1, 2))
    if params.has("text"):
        values["text"] = params.string("text")
    if params.given("hourly_rate"):
        if not ctx.caller.is_owner:
            raise forbidden("Your access rights do not allow you to set hourly rates.")
        values["hourly_rate"] = params.number("hourly_rate", minimum=0, maximum=99_999_999.99)
    if not values:
        raise bad_request("Send at least one new value (e.g. billable) to change the selected entries.")
    return values


def _changes_for(store: Store, entry: EntryRecord, values: dict[str, Any]) -> dict[str, Any]:
    changes = dict(values)
    if "text" in changes:
        changes["texts_id"] = store.text_id(changes["text"])
    if entry.type != 1:
        changes.pop("hourly_rate", None)
    if entry.type == 3:
        changes.pop("services_id", None)
    rerate = any(name in values for name in ("customers_id", "projects_id", "services_id", "users_id"))
    if entry.type == 1 and "hourly_rate" not in values and rerate:
        changes["hourly_rate"] = store.rate_for(dataclasses.replace(entry, **changes))
    return changes


def put_groups(ctx: Ctx) -> JSON:
    """PUT /v2/entrygroups: first call previews (`confirm_key`, `affected_entries`), second applies."""
    params = ctx.merged()
    selected, payload = _selection(ctx, params)
    values = _new_values(ctx, params)
    payload["values"] = values
    store = ctx.store
    planned = [(entry, _changes_for(store, entry, values)) for entry in selected]
    for entry, changes in planned:
        check_references(store, dataclasses.replace(entry, **changes))
    if not _check_confirm_key(store, params, payload):
        return {"confirm_key": _confirm_key(store, payload), "affected_entries": len(selected)}
    for entry, changes in planned:
        store.update_entry(entry, changes)
    return {"success": True, "edited_entries": len(planned)}


def delete_groups(ctx: Ctx) -> JSON:
    """DELETE /v2/entrygroups: the same two steps; reads the selection from the query or a JSON body."""
    params = ctx.merged()
    selected, payload = _selection(ctx, params)
    store = ctx.store
    if not _check_confirm_key(store, params, payload):
        return {"confirm_key": _confirm_key(store, payload), "affected_entries": len(selected)}
    for entry in selected:
        store.delete_entry(entry)
    # S1 names the count `edited_entries`; the JS SDK reads `deleted_entries` — send both.
    return {"success": True, "edited_entries": len(selected), "deleted_entries": len(selected)}


def routes() -> list[Route]:
    """The entry-group routes."""
    return [
        api_route("/v2/entrygroups", get_groups, ["GET"], Family.SIMPLE),
        api_route("/v2/entrygroups", put_groups, ["PUT"], Family.SIMPLE),
        api_route("/v2/entrygroups", delete_groups, ["DELETE"], Family.SIMPLE),
    ]
