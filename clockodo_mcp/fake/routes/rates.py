"""`/v4/rates`: hourly-rate rules (owners only) and the company default rate."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from clockodo_mcp.fake.errors import Family, not_found, typed_error
from clockodo_mcp.fake.params import Params
from clockodo_mcp.fake.routing import Ctx, api_route
from clockodo_mcp.fake.store import Store

JSON = dict[str, Any]
MAX_RATE = 99_999_999.99
CRITERIA = {"customer_ids": "customers", "project_ids": "projects", "service_ids": "services", "user_ids": "users"}


def _rule(store: Store, ident: int) -> JSON:
    rule = store.rates.get(ident)
    if rule is None:
        raise not_found("Rate", ident)
    return rule


def _read_criteria(store: Store, body: Params, current: JSON | None) -> JSON:
    values: JSON = {}
    for name, table in CRITERIA.items():
        if body.has(name) or current is None:
            ids = sorted(set(body.int_list(name, minimum=1, max_items=50) or []))
            missing = [i for i in ids if i not in getattr(store, table)]
            if missing:
                raise typed_error(
                    "ResourcesNotFound", f"{name}: unknown ids {missing}.", name, {"not_found_ids": missing}
                )
            values[name] = ids
    merged = {**(current or {}), **values}
    if not any(merged.get(name) for name in CRITERIA):
        raise typed_error("AtLeastOneCriteriaRequired", "A rate rule needs at least one criterion.")
    if merged.get("customer_ids") and merged.get("project_ids"):
        raise typed_error(
            "EitherCustomersOrProjects", "Combine customers or projects in a rule, not both.", "project_ids"
        )
    for other in store.rates.values():
        if current is not None and other["id"] == current["id"]:
            continue
        if all(sorted(other.get(name) or []) == merged.get(name, []) for name in CRITERIA):
            raise typed_error(
                "RateAlreadyExists",
                "A rule with exactly these criteria exists.",
                None,
                {"resources": ["rates"], "count": [1]},
            )
    return values


def list_rates(ctx: Ctx) -> JSON:
    """GET /v4/rates."""
    ctx.caller.require_owner("see hourly rates")
    rules = sorted(ctx.store.rates.values(), key=lambda r: (int(r.get("position") or 0), int(r["id"])))
    return {"data": [dict(r) for r in rules]}


def get_rate(ctx: Ctx) -> JSON:
    """GET /v4/rates/{id}."""
    ctx.caller.require_owner("see hourly rates")
    return {"data": dict(_rule(ctx.store, ctx.path_id()))}


def create_rate(ctx: Ctx) -> JSON:
    """POST /v4/rates."""
    ctx.caller.require_owner("change hourly rates")
    store, body = ctx.store, ctx.body
    hourly_rate = body.number("hourly_rate", required=True, minimum=0, maximum=MAX_RATE)
    parent = body.integer("parent_rate_id", minimum=1)
    if parent is not None:
        _rule(store, parent)
    values = _read_criteria(store, body, None)
    ident = store.next_id(store.rates)
    siblings = [r for r in store.rates.values() if r.get("parent_rate_id") == parent]
    rule = {
        "id": ident,
        "parent_rate_id": parent,
        **values,
        "hourly_rate": hourly_rate,
        "test_data": False,
        "position": max((int(r.get("position") or 0) for r in siblings), default=0) + 1,
    }
    store.rates[ident] = rule
    store.rebuild_rates()
    return {"data": dict(rule)}


def update_rate(ctx: Ctx) -> JSON:
    """PUT /v4/rates/{id} (existing entries keep their stamped rate)."""
    ctx.caller.require_owner("change hourly rates")
    store, body = ctx.store, ctx.body
    rule = _rule(store, ctx.path_id())
    values = _read_criteria(store, body, rule)
    if body.has("hourly_rate"):
        values["hourly_rate"] = body.number("hourly_rate", required=True, minimum=0, maximum=MAX_RATE)
    rule.update(values)
    store.rebuild_rates()
    return {"data": dict(rule)}


def delete_rate(ctx: Ctx) -> JSON:
    """DELETE /v4/rates/{id}."""
    ctx.caller.require_owner("change hourly rates")
    store = ctx.store
    rule = _rule(store, ctx.path_id())
    del store.rates[int(rule["id"])]
    for child in store.rates.values():
        if child.get("parent_rate_id") == rule["id"]:
            child["parent_rate_id"] = rule.get("parent_rate_id")
    store.rebuild_rates()
    return {"success": True}


def sort_rates(ctx: Ctx) -> JSON:
    """PUT /v4/rates/{id}/sort `{ids}`: reorder the children of a rule (0 = the root level)."""
    ctx.caller.require_owner("change hourly rates")
    store = ctx.store
    parent = ctx.path_id() or None
    if parent is not None:
        _rule(store, parent)
    ids = ctx.body.int_list("ids", minimum=1) or []
    siblings = sorted(r["id"] for r in store.rates.values() if r.get("parent_rate_id") == parent)
    if sorted(ids) != siblings:
        raise typed_error(
            "ForbiddenValue",
            "ids must list every rule of that level exactly once.",
            "ids",
            {"allowed_values": siblings},
        )
    for position, ident in enumerate(ids, start=1):
        store.rates[ident]["position"] = position
    store.rebuild_rates()
    return {"data": {"success": True}}


def set_default(ctx: Ctx) -> JSON:
    """PUT /v4/rates/default `{hourly_rate}`."""
    ctx.caller.require_owner("change hourly rates")
    rate = ctx.body.number("hourly_rate", required=True, minimum=0, maximum=MAX_RATE)
    assert rate is not None
    ctx.store.default_hourly_rate = rate
    ctx.store.rebuild_rates()
    return {"data": {"hourly_rate": rate}}


def routes() -> list[Route]:
    """The rate routes."""
    family = Family.GENERAL
    return [
        api_route("/v4/rates", list_rates, ["GET"], family),
        api_route("/v4/rates", create_rate, ["POST"], family, typed_body=True),
        api_route("/v4/rates/default", set_default, ["PUT"], family, typed_body=True),
        api_route("/v4/rates/{id:int}/sort", sort_rates, ["PUT"], family, typed_body=True),
        api_route("/v4/rates/{id:int}", get_rate, ["GET"], family),
        api_route("/v4/rates/{id:int}", update_rate, ["PUT"], family, typed_body=True),
        api_route("/v4/rates/{id:int}", delete_rate, ["DELETE"], family),
    ]
