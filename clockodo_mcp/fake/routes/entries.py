"""`/v2/entries`: list with window, filters and paging; get, create (three types), update, delete."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from clockodo_mcp.fake.dataset import EntryRecord
from clockodo_mcp.fake.entrydata import EntryFilter, EntryView, read_window
from clockodo_mcp.fake.errors import Family, bad_request, forbidden, not_found
from clockodo_mcp.fake.paging import page_request, paginate
from clockodo_mcp.fake.params import Params
from clockodo_mcp.fake.routing import Ctx, api_route, json_bytes_response
from clockodo_mcp.fake.store import Store

JSON = dict[str, Any]
MAX_PER_PAGE = 1000
_REFS = ("customers_id", "projects_id", "subprojects_id", "services_id", "lumpsum_services_id", "users_id")


def list_entries(ctx: Ctx) -> Response:
    """GET /v2/entries."""
    since, until = read_window(ctx.query)
    flt = EntryFilter.read(ctx.store, ctx.query.sub("filter"), ctx.caller)
    enhanced = bool(ctx.query.boolean("enhanced_list"))
    calc_hard = bool(ctx.query.boolean("calc_also_revenues_for_projects_with_hard_budget"))
    page, per_page = page_request(ctx.query, MAX_PER_PAGE)
    selected = flt.select(ctx.store.window(since, until))
    items, paging = paginate(selected, page, per_page)
    view = EntryView(ctx.store, ctx.caller, enhanced=enhanced, calc_hard=calc_hard)
    # Encoded per entry and kept (fake/rendered.py): each sync run reads the same pages again.
    return json_bytes_response(
        {"paging": paging}, "entries", ctx.store.rendered.encode(view.cache_key(), view.render, items)
    )


def visible_entry(ctx: Ctx, entry_id: int, action: str = "see") -> EntryRecord:
    """The addressed entry (404), refusing a worker another user's entry (403)."""
    entry = ctx.store.entry(entry_id)
    if entry is None:
        raise not_found("Entry", entry_id)
    if entry.users_id != ctx.caller.id and not ctx.caller.is_owner:
        raise forbidden(f"Your access rights do not allow you to {action} entries of other users.")
    return entry


def get_entry(ctx: Ctx) -> JSON:
    """GET /v2/entries/{id}."""
    entry = visible_entry(ctx, ctx.path_id())
    return {"entry": EntryView(ctx.store, ctx.caller, enhanced=True).render(entry)}


def _read_refs(body: Params) -> dict[str, int | None]:
    refs: dict[str, int | None] = {}
    for name in _REFS:
        if body.has(name):
            value = body.integer(name, minimum=0)
            # 0 (or null) removes an optional reference such as the project.
            refs[name] = value or None
    return refs


def check_references(store: Store, entry: EntryRecord) -> None:
    """Referenced ids exist and fit together (project of the customer, subproject of the project)."""
    if store.customers.get(entry.customers_id) is None:
        raise not_found("Customer", entry.customers_id, "customers_id")
    if store.users.get(entry.users_id) is None:
        raise not_found("User", entry.users_id, "users_id")
    if entry.projects_id is not None:
        project = store.projects.get(entry.projects_id)
        if project is None:
            raise not_found("Project", entry.projects_id, "projects_id")
        if project.get("customers_id") != entry.customers_id:
            raise bad_request("The project does not belong to the customer.", "projects_id")
    if entry.subprojects_id is not None:
        subproject = store.subprojects.get(entry.subprojects_id)
        if subproject is None:
            raise not_found("Subproject", entry.subprojects_id, "subprojects_id")
        if entry.projects_id is None or subproject.get("projects_id") != entry.projects_id:
            raise bad_request("The subproject does not belong to the project.", "subprojects_id")
    if entry.services_id is not None and store.services.get(entry.services_id) is None:
        raise not_found("Service", entry.services_id, "services_id")
    if entry.lumpsum_services_id is not None and store.lumpsum_services.get(entry.lumpsum_services_id) is None:
        raise not_found("Lump-sum service", entry.lumpsum_services_id, "lumpsum_services_id")


def check_shape(entry: EntryRecord) -> None:
    """Per-type required fields and a forward time range."""
    if entry.type in (1, 2) and entry.services_id is None:
        raise bad_request("services_id is required for this entry type.", "services_id")
    if entry.type == 1:
        if entry.time_until is not None and entry.time_until < entry.time_since:
            raise bad_request("time_until must not be before time_since.", "time_until")
    elif entry.type == 2:
        if entry.lumpsum is None:
            raise bad_request("lumpsum is required for a lump-sum value entry.", "lumpsum")
    elif entry.lumpsum_services_id is None or entry.lumpsum_services_amount is None:
        field = "lumpsum_services_id" if entry.lumpsum_services_id is None else "lumpsum_services_amount"
        raise bad_request(f"{field} is required for a lump-sum service entry.", field)


def create_entry(ctx: Ctx) -> JSON:
    """POST /v2/entries: type inferred from `lumpsum_services_id` / `lumpsum`."""
    body, store, caller = ctx.body, ctx.store, ctx.caller
    customers_id = body.req_int("customers_id", minimum=1)
    billable = body.integer("billable", required=True)
    if billable not in (0, 1):
        raise bad_request("billable must be 0 or 1 when creating an entry (2 = billed is not allowed).", "billable")
    refs = _read_refs(body)
    users_id = refs.get("users_id") or caller.id
    caller.require_self_or_owner(users_id, "create entries")
    if body.given("hourly_rate") and not caller.is_owner:
        raise forbidden("Your access rights do not allow you to set hourly rates.")
    entry_type = 3 if body.given("lumpsum_services_id") else 2 if body.given("lumpsum") else 1
    since = body.req_datetime("time_since")
    until = body.timestamp("time_until", required=entry_type == 1)
    now = ctx.now
    entry = EntryRecord(
        id=0,
        type=entry_type,
        users_id=users_id,
        customers_id=customers_id,
        projects_id=refs.get("projects_id"),
        subprojects_id=refs.get("subprojects_id"),
        services_id=refs.get("services_id") if entry_type != 3 else None,
        lumpsum_services_id=refs.get("lumpsum_services_id") if entry_type == 3 else None,
        billable=billable,
        time_since=since,
        time_until=until if entry_type == 1 else (until or since),
        lumpsum=body.number("lumpsum", minimum=0) if entry_type == 2 else None,
        lumpsum_services_amount=body.number("lumpsum_services_amount", minimum=0) if entry_type == 3 else None,
        hourly_rate=body.number("hourly_rate", minimum=0),
        text=body.string("text"),
        time_insert=now,
        time_last_change=now,
        clocked_offline=bool(body.boolean("clocked_offline")),
        time_clocked_since=body.timestamp("time_clocked_since"),
    )
    check_shape(entry)
    if entry_type == 1:
        assert entry.time_until is not None
        duration = body.integer("duration", minimum=0)
        entry.duration = duration if duration is not None else int((entry.time_until - since).total_seconds())
    check_references(store, entry)
    _refuse_closed_project(store, entry)
    entry.texts_id = store.text_id(entry.text)
    if entry.type == 1 and entry.hourly_rate is None:
        entry.hourly_rate = store.rate_for(entry)
    store.add_entry(entry)
    return {"entry": EntryView(store, caller, enhanced=True).render(entry)}


def _refuse_closed_project(store: Store, entry: EntryRecord) -> None:
    project = store.projects.get(entry.projects_id or 0)
    if project is not None and project.get("completed"):
        raise bad_request("The project is completed; no new entries can be booked on it.", "projects_id")
    if project is not None and project.get("active") is False:
        raise bad_request("The project is archived; no new entries can be booked on it.", "projects_id")


def read_changes(ctx: Ctx, entry: EntryRecord, body: Params) -> dict[str, Any]:
    """Validated field changes for an existing entry (shared by PUT /v2/entries and the clock)."""
    caller = ctx.caller
    changes: dict[str, Any] = dict(_read_refs(body))
    if "customers_id" in changes and changes["customers_id"] is None:
        raise bad_request("customers_id cannot be removed.", "customers_id")
    if "users_id" in changes:
        if changes["users_id"] is None:
            raise bad_request("users_id cannot be removed.", "users_id")
        caller.require_self_or_owner(changes["users_id"], "move entries to the account")
    for name in ("time_since", "time_until"):
        if body.given(name):
            changes[name] = body.timestamp(name)
    if body.has("billable"):
        changes["billable"] = body.choice("billable", (0, 1, 2), required=True)
    for name in ("lumpsum", "lumpsum_services_amount", "hourly_rate"):
        if body.given(name):
            changes[name] = body.number(name, minimum=0)
    if "hourly_rate" in changes and not caller.is_owner:
        raise forbidden("Your access rights do not allow you to set hourly rates.")
    if body.given("duration"):
        changes["duration"] = body.integer("duration", minimum=0)
    if body.has("text"):
        changes["text"] = body.string("text")
        changes["texts_id"] = ctx.store.text_id(changes["text"])
    candidate = dataclasses.replace(entry, **changes)
    check_shape(candidate)
    check_references(ctx.store, candidate)
    retimed = "time_since" in changes or "time_until" in changes or candidate.duration is None
    if candidate.type == 1 and candidate.time_until is not None and "duration" not in changes and retimed:
        changes["duration"] = int((candidate.time_until - candidate.time_since).total_seconds())
    rated = ("customers_id", "projects_id", "services_id", "users_id")
    if candidate.type == 1 and "hourly_rate" not in changes and any(name in changes for name in rated):
        changes["hourly_rate"] = ctx.store.rate_for(candidate)
    return changes


def update_entry(ctx: Ctx) -> JSON:
    """PUT /v2/entries/{id}: partial update; the rate is re-stamped when the rated references change."""
    entry = visible_entry(ctx, ctx.path_id(), "change")
    changes = read_changes(ctx, entry, ctx.body)
    ctx.store.update_entry(entry, changes)
    return {"entry": EntryView(ctx.store, ctx.caller, enhanced=True).render(entry)}


def delete_entry(ctx: Ctx) -> JSON:
    """DELETE /v2/entries/{id}."""
    entry = visible_entry(ctx, ctx.path_id(), "delete")
    ctx.store.delete_entry(entry)
    return {"success": True}


def routes() -> list[Route]:
    """The entries routes."""
    family = Family.SIMPLE
    return [
        api_route("/v2/entries", list_entries, ["GET"], family),
        api_route("/v2/entries", create_entry, ["POST"], family),
        api_route("/v2/entries/{id:int}", get_entry, ["GET"], family),
        api_route("/v2/entries/{id:int}", update_entry, ["PUT"], family),
        api_route("/v2/entries/{id:int}", delete_entry, ["DELETE"], family),
    ]
