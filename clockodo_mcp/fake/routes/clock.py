"""`/v2/clock`: one running entry per user; start (stops the running one), stop (24 h cap), change duration."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.routing import Route

from clockodo_mcp.fake.dataset import EntryRecord
from clockodo_mcp.fake.entrydata import EntryView
from clockodo_mcp.fake.errors import Family, bad_request
from clockodo_mcp.fake.params import format_ts
from clockodo_mcp.fake.routes.entries import check_references, visible_entry
from clockodo_mcp.fake.routing import Ctx, api_route
from clockodo_mcp.fake.store import Store

JSON = dict[str, Any]
MAX_CLOCK = timedelta(hours=24)
# A client computes a running entry's duration from its own clock; allow that much skew in `duration_before`.
_RUNNING_SKEW_SECONDS = 60


def _stop(store: Store, entry: EntryRecord, until: datetime) -> bool:
    """Stop a running entry at `until` (cut to 24 h); True when it was truncated."""
    truncated = until - entry.time_since > MAX_CLOCK
    if truncated:
        until = entry.time_since + MAX_CLOCK
    until = max(until, entry.time_since)
    duration = int((until - entry.time_since).total_seconds())
    store.update_entry(entry, {"time_until": until, "duration": duration})
    return truncated


def get_clock(ctx: Ctx) -> JSON:
    """GET /v2/clock."""
    users_id = ctx.query.integer("users_id", minimum=1) or ctx.caller.id
    ctx.caller.require_self_or_owner(users_id, "see the clock")
    running = ctx.store.running_entry(users_id)
    view = EntryView(ctx.store, ctx.caller, enhanced=True)
    return {
        "running": view.render(running) if running else None,
        "stopped": None,
        "current_time": format_ts(ctx.now),
    }


def start_clock(ctx: Ctx) -> JSON:
    """POST /v2/clock."""
    body, store, caller, now = ctx.body, ctx.store, ctx.caller, ctx.now
    users_id = body.integer("users_id", minimum=1) or caller.id
    caller.require_self_or_owner(users_id, "start the clock")
    customers_id = body.req_int("customers_id", minimum=1)
    services_id = body.req_int("services_id", minimum=1)
    projects_id = body.integer("projects_id", minimum=0) or None
    subprojects_id = body.integer("subprojects_id", minimum=0) or None
    text = body.string("text", max_length=1000)
    billable = body.choice("billable", (0, 1))
    body.integer("duration_transfer", minimum=0)
    since = body.timestamp("time_since") or now
    if since > now:
        raise bad_request("time_since must not be in the future.", "time_since")
    if billable is None:
        owner = store.projects.get(projects_id or 0) or store.customers.get(customers_id) or {}
        billable = 1 if owner.get("billable_default", True) else 0
    entry = EntryRecord(
        id=0,
        type=1,
        users_id=users_id,
        customers_id=customers_id,
        projects_id=projects_id,
        subprojects_id=subprojects_id,
        services_id=services_id,
        billable=billable,
        time_since=since,
        time_until=None,
        text=text,
        texts_id=store.text_id(text),
        time_insert=now,
        time_last_change=now,
        clocked=True,
        time_clocked_since=since,
    )
    check_references(store, entry)
    project = store.projects.get(projects_id or 0)
    if project is not None and (project.get("completed") or project.get("active") is False):
        raise bad_request("The project is completed or archived; the clock cannot run on it.", "projects_id")
    previous = store.running_entry(users_id)
    truncated = False
    if previous is not None:
        truncated = _stop(store, previous, max(since, previous.time_since))
    entry.hourly_rate = store.rate_for(entry)
    store.add_entry(entry)
    view = EntryView(store, caller, enhanced=True)
    return {
        "running": view.render(entry),
        "stopped": view.render(previous) if previous else None,
        "stopped_has_been_truncated": truncated,
        "current_time": format_ts(now),
    }


def stop_clock(ctx: Ctx) -> JSON:
    """DELETE /v2/clock/{id}."""
    params, store, now = ctx.merged(), ctx.store, ctx.now
    entry = visible_entry(ctx, ctx.path_id(), "stop the clock")
    params.integer("users_id", minimum=1)
    params.integer("away", minimum=0)
    params.boolean("start_new")
    if entry.time_until is not None or entry.type != 1:
        raise bad_request("This entry is not running.", "id")
    until = params.timestamp("time_until") or now
    if until < entry.time_since:
        raise bad_request("time_until must not be before the entry's start.", "time_until")
    if until > now:
        raise bad_request("time_until must not be in the future.", "time_until")
    truncated = _stop(store, entry, until)
    view = EntryView(store, ctx.caller, enhanced=True)
    return {
        "running": None,
        "stopped": view.render(entry),
        "stopped_has_been_truncated": truncated,
        "current_time": format_ts(now),
    }


def change_duration(ctx: Ctx) -> JSON:
    """PUT /v2/clock/{id}: a running entry moves its start; a stopped one its end."""
    body, store, now = ctx.body, ctx.store, ctx.now
    entry = visible_entry(ctx, ctx.path_id(), "change")
    duration = body.req_int("duration", minimum=0)
    before = body.integer("duration_before", minimum=0)
    new_since = body.timestamp("time_since")
    running = entry.time_until is None
    current = (
        int((now - entry.time_since).total_seconds())
        if running
        else (entry.duration or int((entry.time_until - entry.time_since).total_seconds()) if entry.time_until else 0)
    )
    skew = _RUNNING_SKEW_SECONDS if running else 0
    if before is not None and abs(before - current) > skew:
        raise bad_request("duration_before does not match the entry's current duration; reload it.", "duration_before")
    changes: dict[str, Any]
    if running:
        since = new_since or now - timedelta(seconds=duration)
        if since > now:
            raise bad_request("The duration would start the entry in the future.", "duration")
        changes = {"time_since": since, "time_clocked_since": since}
    else:
        since = new_since or entry.time_since
        changes = {"time_since": since, "time_until": since + timedelta(seconds=duration), "duration": duration}
    store.update_entry(entry, changes)
    view = EntryView(store, ctx.caller, enhanced=True)
    still_running = store.running_entry(entry.users_id)
    return {
        "updated": view.render(entry),
        "running": view.render(still_running) if still_running else None,
        "overlapping_correction": None,
        "current_time": format_ts(now),
    }


def routes() -> list[Route]:
    """The clock routes."""
    return [
        api_route("/v2/clock", get_clock, ["GET"], Family.SIMPLE),
        api_route("/v2/clock", start_clock, ["POST"], Family.SIMPLE),
        api_route("/v2/clock/{id:int}", change_duration, ["PUT"], Family.SIMPLE),
        api_route("/v2/clock/{id:int}", stop_clock, ["DELETE"], Family.SIMPLE),
    ]
