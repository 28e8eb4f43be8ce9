"""A small CRUD engine for Clockodo's v3/v4 master-data resources: list/get/create/update/delete by a spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import Route

from clockodo_mcp.fake.errors import Family, bad_request, not_found, typed_error
from clockodo_mcp.fake.paging import page_request, paginate
from clockodo_mcp.fake.params import Params
from clockodo_mcp.fake.routing import Ctx, api_route
from clockodo_mcp.fake.store import Store

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Field:
    """One writable field: how to read it from a body and what it may reference."""

    name: str
    kind: str  # str, int, float, bool, date, ids, choice, custom
    nullable: bool = True
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    ref: str | None = None  # Store attribute of the referenced table
    reader: Callable[[Params, str], Any] | None = None


@dataclass(frozen=True)
class Resource:
    """How one resource behaves (path, fields, filters, sort keys, rights, hooks)."""

    path: str
    table: str
    label: str
    fields: tuple[Field, ...]
    required: tuple[str, ...]
    defaults: Callable[[Store, JSON], JSON]
    filters: tuple[str, ...] = ("active", "fulltext")
    sort_keys: tuple[str, ...] = ("id", "name", "active")
    max_per_page: int = 5000
    hidden_for_worker: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ("manageAccess",)
    render: Callable[[Store, JSON], JSON] | None = None
    validate: Callable[[Store, JSON, JSON | None], None] | None = None
    after_write: Callable[[Store, JSON, JSON | None], None] | None = None
    relations: Callable[[Store, int], dict[str, int]] | None = None
    on_delete: Callable[[Store, int, bool], None] | None = None
    delete_requires_inactive: bool = True
    extra_list_filter: Callable[[Store, Params], Callable[[JSON], bool] | None] | None = None
    methods: tuple[str, ...] = ("list", "get", "create", "update", "delete")
    extra: dict[str, Any] = field(default_factory=dict)

    def items(self, store: Store) -> dict[int, JSON]:
        """The resource's table in the store."""
        table: dict[int, JSON] = getattr(store, self.table)
        return table


def read_field(body: Params, spec: Field) -> Any:
    """One field's validated value (None for an explicit null)."""
    name = spec.name
    raw = body.raw(name)
    if raw is None or (raw == "" and spec.kind not in ("str",)):
        if not spec.nullable:
            raise body.missing(name)
        return None
    if spec.reader is not None:
        return spec.reader(body, name)
    if spec.kind == "str":
        return body.string(name, max_length=spec.max_length)
    if spec.kind == "int":
        return body.integer(
            name,
            minimum=None if spec.minimum is None else int(spec.minimum),
            maximum=None if spec.maximum is None else int(spec.maximum),
        )
    if spec.kind == "float":
        return body.number(name, minimum=spec.minimum, maximum=spec.maximum)
    if spec.kind == "bool":
        return body.boolean(name)
    if spec.kind == "date":
        value = body.day(name)
        return value.isoformat() if value else None
    if spec.kind == "ids":
        return body.int_list(name, minimum=1) or []
    if spec.kind == "choice":
        if all(isinstance(c, str) for c in spec.choices):
            return body.str_choice(name, [str(c) for c in spec.choices])
        return body.choice(name, [int(c) for c in spec.choices])
    raise AssertionError(spec.kind)  # pragma: no cover - specs are static


def _check_refs(store: Store, resource: Resource, values: JSON) -> None:
    for spec in resource.fields:
        if spec.ref is None or values.get(spec.name) in (None, []):
            continue
        table: dict[int, JSON] = getattr(store, spec.ref)
        wanted = values[spec.name] if isinstance(values[spec.name], list) else [values[spec.name]]
        missing = [v for v in wanted if v not in table]
        if missing:
            raise typed_error(
                "ResourcesNotFound", f"{spec.name}: unknown id(s) {missing}.", spec.name, {"not_found_ids": missing}
            )


def _read_values(resource: Resource, body: Params, *, create: bool) -> JSON:
    values: JSON = {}
    for spec in resource.fields:
        if body.has(spec.name):
            values[spec.name] = read_field(body, spec)
        elif create and spec.name in resource.required:
            raise body.missing(spec.name)
    for name in resource.required:
        if create and values.get(name) in (None, ""):
            raise body.missing(name)
        if not create and name in values and values[name] in (None, ""):
            raise body.missing(name)
    return values


def render(resource: Resource, store: Store, item: JSON, owner: bool) -> JSON:
    """The wire form of one item, without the fields a worker may not see."""
    data = resource.render(store, item) if resource.render else dict(item)
    if not owner:
        for name in resource.hidden_for_worker:
            data.pop(name, None)
    return data


def _sort(resource: Resource, query: Params, items: list[JSON]) -> list[JSON]:
    keys = query.str_list("sort") or ["id"]
    for key in reversed(keys):
        name = key.removeprefix("-")
        if name not in resource.sort_keys:
            raise bad_request(f"sort: unknown key {key!r}; allowed: {', '.join(resource.sort_keys)}.", "sort")

        def value(item: JSON, name: str = name) -> tuple[int, Any]:
            found = item.get(name)
            if isinstance(found, str):
                return (0, found.lower())
            return (0, found) if found is not None else (1, 0)

        items.sort(key=value, reverse=key.startswith("-"))
    return items


def list_items(resource: Resource, ctx: Ctx) -> JSON:
    """GET /vN/<resource>: filters, sort, paging."""
    query, store = ctx.query, ctx.store
    flt = query.sub("filter")
    if resource.scopes:
        query.str_choice("scope", resource.scopes)
    items = list(resource.items(store).values())
    if "active" in resource.filters and (active := flt.boolean("active")) is not None:
        items = [i for i in items if bool(i.get("active", True)) == active]
    if "completed" in resource.filters and (completed := flt.boolean("completed")) is not None:
        items = [i for i in items if bool(i.get("completed")) == completed]
    for ref in ("customers_id", "projects_id"):
        if ref in resource.filters and (wanted := flt.int_list(ref, minimum=1)) is not None:
            items = [i for i in items if i.get(ref) in wanted]
    if "fulltext" in resource.filters and (text := flt.string("fulltext")):
        needle = text.lower()
        items = [i for i in items if needle in f"{i.get('name', '')} {i.get('number') or ''}".lower()]
    if resource.extra_list_filter is not None and (predicate := resource.extra_list_filter(store, flt)):
        items = [i for i in items if predicate(i)]
    items = _sort(resource, query, items)
    page, per_page = page_request(query, resource.max_per_page)
    chunk, paging = paginate(items, page, per_page)
    owner = ctx.caller.is_owner
    return {"paging": paging, "data": [render(resource, store, i, owner) for i in chunk]}


def find(resource: Resource, store: Store, ident: int) -> JSON:
    """The item or 404."""
    item = resource.items(store).get(ident)
    if item is None:
        raise not_found(resource.label, ident)
    return item


def get_item(resource: Resource, ctx: Ctx) -> JSON:
    """GET /vN/<resource>/{id}."""
    item = find(resource, ctx.store, ctx.path_id())
    return {"data": render(resource, ctx.store, item, ctx.caller.is_owner)}


def create_item(resource: Resource, ctx: Ctx) -> JSON:
    """POST /vN/<resource>."""
    ctx.caller.require_owner(f"create {resource.label.lower()}s")
    store = ctx.store
    values = _read_values(resource, ctx.body, create=True)
    _check_refs(store, resource, values)
    if resource.validate:
        resource.validate(store, values, None)
    table = resource.items(store)
    item = {"id": store.next_id(table), **resource.defaults(store, values)}
    item.update(values)
    table[item["id"]] = item
    if resource.after_write:
        resource.after_write(store, item, None)
    return {"data": render(resource, store, item, True)}


def update_item(resource: Resource, ctx: Ctx) -> JSON:
    """PUT /vN/<resource>/{id}: partial."""
    ctx.caller.require_owner(f"change {resource.label.lower()}s")
    store = ctx.store
    item = find(resource, store, ctx.path_id())
    values = _read_values(resource, ctx.body, create=False)
    _check_refs(store, resource, values)
    if resource.validate:
        resource.validate(store, values, item)
    before = dict(item)
    item.update(values)
    if resource.after_write:
        resource.after_write(store, item, before)
    return {"data": render(resource, store, item, True)}


def delete_item(resource: Resource, ctx: Ctx) -> JSON:
    """DELETE /vN/<resource>/{id}: `dry_run` only checks; relations block it unless `force`."""
    ctx.caller.require_owner(f"delete {resource.label.lower()}s")
    store = ctx.store
    ident = ctx.path_id()
    item = find(resource, store, ident)
    params = ctx.merged()
    dry_run = bool(params.boolean("dry_run"))
    force = bool(params.boolean("force"))
    if resource.delete_requires_inactive and item.get("active", False):
        raise typed_error("HasToBeInactive", f"Archive the {resource.label.lower()} (active: false) first.", "active")
    counts = resource.relations(store, ident) if resource.relations else {}
    counts = {k: v for k, v in counts.items() if v}
    if counts and not force:
        raise typed_error(
            "RelationsPreventDeletion",
            f"The {resource.label.lower()} is still used; send force=true to delete it anyway.",
            None,
            {"resources": list(counts), "count": list(counts.values())},
        )
    if not dry_run:
        if resource.on_delete:
            resource.on_delete(store, ident, force)
        del resource.items(store)[ident]
    return {"success": True}


def resource_routes(resource: Resource, family: Family = Family.GENERAL) -> list[Route]:
    """The routes a resource spec enables."""
    handlers = {
        "list": (resource.path, ["GET"], list_items),
        "create": (resource.path, ["POST"], create_item),
        "get": (f"{resource.path}/{{id:int}}", ["GET"], get_item),
        "update": (f"{resource.path}/{{id:int}}", ["PUT"], update_item),
        "delete": (f"{resource.path}/{{id:int}}", ["DELETE"], delete_item),
    }
    routes: list[Route] = []
    for method in resource.methods:
        path, verbs, function = handlers[method]

        def handler(ctx: Ctx, function: Callable[[Resource, Ctx], JSON] = function) -> JSON:
            return function(resource, ctx)

        routes.append(api_route(path, handler, verbs, family, typed_body=True))
    return routes
