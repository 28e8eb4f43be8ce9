"""`/v4/absences`: list (not paged), get, create with collision and range rules, status workflow, delete."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.routing import Route

from clockodo_mcp.fake.auth import Caller
from clockodo_mcp.fake.errors import Family, forbidden, not_found, typed_error
from clockodo_mcp.fake.params import Params, parse_date
from clockodo_mcp.fake.routing import Ctx, api_route
from clockodo_mcp.fake.store import Store
from clockodo_mcp.fake.workdays import count_days

JSON = dict[str, Any]
TYPES = tuple(range(1, 16))
HOURS_TYPE = 3
SICK_TYPES = (4, 5)
FULL_DAY_ONLY = (13, 14)
# Which status changes are allowed, and whether only an absence manager may make them.
TRANSITIONS: dict[tuple[int, int], bool] = {(0, 1): True, (0, 2): True, (1, 3): True, (0, 4): False}
_ACTIVE_STATUSES = (0, 1)


def _dates(absence: JSON) -> tuple[date, date]:
    since = parse_date(str(absence.get("date_since"))) or date.min
    until = parse_date(str(absence.get("date_until") or absence.get("date_since"))) or since
    return since, until


def render(absence: JSON, caller: Caller) -> JSON:
    """AbsenceV4; `type` and `note` only for the absentee and owners."""
    data = dict(absence)
    if not caller.is_owner and absence.get("users_id") != caller.id:
        data.pop("type", None)
        data.pop("note", None)
    return data


def _visible(ctx: Ctx, ident: int) -> JSON:
    absence = ctx.store.absences.get(ident)
    if absence is None:
        raise not_found("Absence", ident)
    ctx.caller.require_self_or_owner(int(absence["users_id"]), "see absences")
    return absence


def list_absences(ctx: Ctx) -> JSON:
    """GET /v4/absences."""
    flt, store, caller = ctx.query.sub("filter"), ctx.store, ctx.caller
    scope = ctx.query.str_choice("scope", ("manageableAbsences", "viewableAbsences"))
    years = flt.int_list("year", minimum=2000, maximum=2037)
    users = flt.int_list("users_id", minimum=1)
    teams = flt.int_list("teams_id", minimum=1)
    statuses = flt.int_list("status", minimum=0, maximum=4)
    types = flt.int_list("type", minimum=1, maximum=15)
    users_active = flt.boolean("users_active")
    if not caller.is_owner:
        if users is not None and set(users) != {caller.id}:
            raise forbidden("Your access rights do not allow you to see absences of other users.")
        # `viewableAbsences` shows colleagues' absences, without their type and note.
        users = None if scope == "viewableAbsences" else [caller.id]
    result = []
    for absence in store.absences.values():
        since, until = _dates(absence)
        uid = absence.get("users_id")
        user = store.users.get(int(uid or 0)) or {}
        if years is not None and since.year not in years and until.year not in years:
            continue
        if users is not None and uid not in users:
            continue
        if teams is not None and user.get("teams_id") not in teams:
            continue
        if statuses is not None and absence.get("status") not in statuses:
            continue
        if types is not None and absence.get("type") not in types:
            continue
        if users_active is not None and bool(user.get("active", True)) != users_active:
            continue
        result.append(render(absence, caller))
    result.sort(key=lambda a: (str(a.get("date_since")), int(a["id"])))
    return {"data": result}


def get_absence(ctx: Ctx) -> JSON:
    """GET /v4/absences/{id}."""
    return {"data": render(_visible(ctx, ctx.path_id()), ctx.caller)}


def _read(body: Params, current: JSON | None) -> JSON:
    values: JSON = {}
    since = body.day("date_since", required=current is None)
    if since is not None:
        values["date_since"] = since.isoformat()
    if body.has("date_until"):
        until = body.day("date_until")
        values["date_until"] = until.isoformat() if until else None
    if body.has("type") or current is None:
        values["type"] = body.choice("type", TYPES, required=True)
    for name in ("half_day", "sick_note"):
        if body.has(name):
            values[name] = body.boolean(name)
    if body.has("count_hours"):
        values["count_hours"] = body.number("count_hours", minimum=0.01, maximum=1000)
    for name in ("note", "public_note"):
        if body.has(name):
            values[name] = body.string(name, max_length=512)
    return values


def _check(store: Store, absence: JSON, allow_override: list[int]) -> list[int]:
    """Range, half-day, hours and collision rules; returns the absences to override."""
    since = parse_date(str(absence["date_since"]))
    until = parse_date(str(absence.get("date_until") or absence["date_since"]))
    assert since is not None
    assert until is not None
    if until < since:
        raise typed_error("UntilBeforeSinceIsForbidden", "date_until is before date_since.", "date_until")
    if until.year != since.year:
        raise typed_error("UntilMustBeInSameYear", "The absence must end in the year it starts.", "date_until")
    if absence.get("half_day") and until != since:
        raise typed_error("HalfDayAbsenceTooLong", "A half-day absence lasts one day.", "half_day")
    kind = absence.get("type")
    if absence.get("half_day") and kind in FULL_DAY_ONLY:
        raise typed_error(
            "FieldsShouldBeEmpty", "This absence type is for full days only.", "half_day", {"fields": ["half_day"]}
        )
    if kind == HOURS_TYPE and not absence.get("count_hours"):
        raise typed_error("Empty", "count_hours is required for an overtime reduction.", "count_hours")
    if kind != HOURS_TYPE and absence.get("count_hours") is not None:
        raise typed_error(
            "FieldsShouldBeEmpty",
            "count_hours is only for overtime reductions (type 3).",
            "count_hours",
            {"fields": ["count_hours"]},
        )
    if absence.get("sick_note") is not None and kind not in SICK_TYPES:
        raise typed_error(
            "FieldsShouldBeEmpty",
            "sick_note is only for sick days (types 4 and 5).",
            "sick_note",
            {"fields": ["sick_note"]},
        )
    colliding = []
    for other in store.absences.values():
        if other.get("id") == absence.get("id") or other.get("users_id") != absence["users_id"]:
            continue
        if other.get("status") not in _ACTIVE_STATUSES:
            continue
        o_since, o_until = _dates(other)
        if o_since <= until and since <= o_until:
            colliding.append(int(other["id"]))
    blocking = [c for c in colliding if c not in allow_override]
    if blocking:
        raise typed_error(
            "AbsenceCollision",
            "The absence overlaps other absences of the user.",
            "date_since",
            {"colliding_absences": blocking},
        )
    return colliding


def _finish(store: Store, absence: JSON) -> None:
    since, until = _dates(absence)
    absence["date_until"] = until.isoformat()
    if absence.get("type") == HOURS_TYPE:
        absence["count_days"] = None
    else:
        absence["count_days"] = count_days(store, int(absence["users_id"]), since, until, bool(absence.get("half_day")))
        absence["count_hours"] = None
    if absence.get("type") not in SICK_TYPES:
        absence["sick_note"] = None


def _may_manage(store: Store, caller: Caller, users_id: int) -> bool:
    user = store.users.get(users_id) or {}
    return caller.is_owner or caller.id in (user.get("absence_managers_id") or [])


def create_absence(ctx: Ctx) -> JSON:
    """POST /v4/absences."""
    body, store, caller = ctx.body, ctx.store, ctx.caller
    users_id = body.integer("users_id", minimum=1) or caller.id
    if users_id != caller.id and not _may_manage(store, caller, users_id):
        raise forbidden(
            "Your access rights do not allow you to manage absences of this user.", "CannotManageAbsencesOfUser"
        )
    if users_id not in store.users:
        raise typed_error(
            "ResourcesNotFound", f"users_id: unknown id {users_id}.", "users_id", {"not_found_ids": [users_id]}
        )
    status = body.choice("status", (0, 1, 2, 3, 4)) or 0
    if status not in (0, 1):
        raise typed_error("StatusIsForbidden", "A new absence is requested (0) or approved (1).", "status")
    if status == 1 and not _may_manage(store, caller, users_id):
        raise forbidden("Your access rights do not allow you to approve absences.", "CannotManageAbsencesOfUser")
    override = body.int_list("allow_override", minimum=1) or []
    values = _read(body, None)
    today = store.local_today().isoformat()
    absence: JSON = {
        "id": store.next_id(store.absences),
        "users_id": users_id,
        "date_until": None,
        "status": status,
        "note": None,
        "public_note": None,
        "sick_note": None,
        "half_day": False,
        "count_days": None,
        "count_hours": None,
        "date_enquired": today,
        "date_approved": today if status == 1 else None,
        "approved_by": caller.id if status == 1 else None,
        **values,
    }
    for overridden in _check(store, absence, override):
        del store.absences[overridden]
    _finish(store, absence)
    store.absences[absence["id"]] = absence
    return {"data": render(absence, caller)}


def update_absence(ctx: Ctx) -> JSON:
    """PUT /v4/absences/{id}: edit fields, or move the status along 0→1/2, 1→3, 0→4."""
    body, store, caller = ctx.body, ctx.store, ctx.caller
    absence = _visible(ctx, ctx.path_id())
    users_id = int(absence["users_id"])
    manager = _may_manage(store, caller, users_id)
    values = _read(body, absence)
    override = body.int_list("allow_override", minimum=1) or []
    new_status = body.choice("status", (0, 1, 2, 3, 4))
    current = int(absence.get("status") or 0)
    if new_status is not None and new_status != current:
        needs_manager = TRANSITIONS.get((current, new_status))
        if needs_manager is None:
            raise typed_error(
                "StatusIsForbidden", f"An absence cannot go from status {current} to {new_status}.", "status"
            )
        if needs_manager and not manager:
            raise forbidden(
                "Your access rights do not allow you to approve or decline absences.", "CannotManageAbsencesOfUser"
            )
    if values and current != 0 and not manager:
        raise forbidden("Only a requested absence can be changed by its owner.")
    candidate = {**absence, **values}
    if values:
        for overridden in _check(store, candidate, override):
            del store.absences[overridden]
        _finish(store, candidate)
    if new_status is not None and new_status != current:
        candidate["status"] = new_status
        if new_status in (1, 2, 3):
            candidate["date_approved"] = store.local_today().isoformat()
            candidate["approved_by"] = caller.id
    absence.clear()
    absence.update(candidate)
    return {"data": render(absence, caller)}


def delete_absence(ctx: Ctx) -> JSON:
    """DELETE /v4/absences/{id}: an approved absence must be declined or cancelled first."""
    store, caller = ctx.store, ctx.caller
    absence = _visible(ctx, ctx.path_id())
    if absence.get("status") == 1:
        raise typed_error("AbsenceHasToBeDeclined", "Cancel the approval (status 3) before deleting.", "status")
    if absence.get("status") != 0 and not _may_manage(store, caller, int(absence["users_id"])):
        raise forbidden("Your access rights do not allow you to delete this absence.")
    del store.absences[int(absence["id"])]
    return {"success": True}


def routes() -> list[Route]:
    """The absence routes."""
    family = Family.GENERAL
    return [
        api_route("/v4/absences", list_absences, ["GET"], family),
        api_route("/v4/absences", create_absence, ["POST"], family, typed_body=True),
        api_route("/v4/absences/{id:int}", get_absence, ["GET"], family),
        api_route("/v4/absences/{id:int}", update_absence, ["PUT"], family, typed_body=True),
        api_route("/v4/absences/{id:int}", delete_absence, ["DELETE"], family),
    ]
