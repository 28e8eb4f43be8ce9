"""MCP resources: context a client can attach without a tool call — the account, its master data, my running timer,
the recent changes and the warehouse schema. Read-only JSON (the schema is Markdown), each read audited like a read
tool (`"tool": "resources/read"`, the URI as its argument).

    clockodo://account                  company, currency, time zone, the API user
    clockodo://master-data              what there is of each kind, and the URIs below
    clockodo://master-data/{kind}       customers, projects (with budgets), services, lump-sum-services, users, teams
    clockodo://timer                    my running timer, or none
    clockodo://changes                  the 20 newest writes made through this server
    clockodo://changes/{change_id}      one write in full: arguments, result, status, undo
    clockodo://warehouse/schema         the mirror's tables and columns (where a mirror is configured)

An answer never exceeds MAX_CHARS (far below what clients accept): a longer list is cut, and says so and which tool
pages through the rest. An unknown URI or kind is refused with the valid ones.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.server.mcpserver.resources import FunctionResource, Resource, TextResource

from clockodo_mcp.server.calls import audit_read, principal_caller
from clockodo_mcp.server.errors import to_tool_error
from clockodo_mcp.server.principal import current_name
from clockodo_mcp.server.tools.changes import change_out
from clockodo_mcp.server.tools.common import runtime_context
from clockodo_mcp.store.base import StoreError

if TYPE_CHECKING:
    from mcp.server import MCPServer

    from clockodo_mcp.domain.masterdata import MasterData
    from clockodo_mcp.server.runtime import Runtime

MAX_CHARS = 60_000  # about 15,000 tokens: every client takes that
RECENT_CHANGES = 20
JSON_TYPE = "application/json"
WAREHOUSE_SCHEMA_URI = "clockodo://warehouse/schema"
STATIC_URIS = ("clockodo://account", "clockodo://master-data", "clockodo://timer", "clockodo://changes")
TEMPLATE_URIS = ("clockodo://master-data/{kind}", "clockodo://changes/{change_id}")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _budget(budget: Any) -> dict[str, Any] | None:
    if budget is None or not budget.amount:
        return None
    return {"amount": budget.amount, "unit": "money" if budget.monetary else "hours", "hard": budget.hard}


def _rows(master: MasterData, kind: str) -> list[dict[str, Any]]:
    """Compact rows of one kind of master data, in name order."""
    if kind == "customers":
        return [
            {"id": c.id, "name": c.name, "number": c.number, "active": c.active}
            for c in sorted(master.customers.values(), key=lambda c: c.name.lower())
        ]
    if kind == "projects":
        return [
            {
                "id": p.id,
                "name": p.name,
                "customer": master.customer_name(p.customers_id),
                "customers_id": p.customers_id,
                "active": p.active,
                "completed": p.completed,
                "deadline": p.deadline,
                "budget": _budget(p.budget),
            }
            for p in sorted(master.projects.values(), key=lambda p: (p.name.lower(), p.id))
        ]
    if kind == "services":
        return [
            {"id": s.id, "name": s.name, "active": s.active}
            for s in sorted(master.services.values(), key=lambda s: s.name.lower())
        ]
    if kind == "lump-sum-services":
        return [
            {"id": s.id, "name": s.name, "price": s.price, "unit": s.unit, "active": s.active}
            for s in sorted(master.lump_sum_services.values(), key=lambda s: s.name.lower())
        ]
    if kind == "users":
        teams = master.teams
        return [
            {
                "id": u.id,
                "name": u.name,
                "role": u.role,
                "active": u.active,
                "team": teams[u.teams_id].name if u.teams_id in teams else None,
            }
            for u in sorted(master.users.values(), key=lambda u: (u.name or "").lower())
        ]
    return [
        {"id": t.id, "name": t.name, "leader": master.user_name(t.leader) if t.leader else None}
        for t in sorted(master.teams.values(), key=lambda t: t.name.lower())
    ]


KINDS = ("customers", "projects", "services", "lump-sum-services", "users", "teams")
_PAGING_TOOL = {
    "customers": "lookup(kind='customer')",
    "projects": "list_projects",
    "services": "lookup(kind='service')",
    "lump-sum-services": "lookup(kind='lump_sum_service')",
    "users": "list_users",
    "teams": "lookup(kind='team')",
}


def fitted(kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows that fit MAX_CHARS, and a note naming the tool for the rest when some were cut."""
    shown: list[dict[str, Any]] = []
    size = 200
    for row in rows:
        size += len(_dump(row)) + 1
        if size > MAX_CHARS:
            break
        shown.append(row)
    out: dict[str, Any] = {"kind": kind, "count": len(rows), kind.replace("-", "_"): shown}
    if len(shown) < len(rows):
        out["truncated"] = True
        out["note"] = f"Only the first {len(shown)} of {len(rows)} fit; {_PAGING_TOOL[kind]} pages through all."
    return out


class Reader:
    """The reads behind the resources, for one server's runtime, each audited."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def audited(self, uri: str, read: Callable[[], Awaitable[str]]) -> str:
        """Run one read and record its intent and outcome; a failure becomes a ResourceError the client reads."""
        runtime = self.runtime
        call_id = uuid.uuid4().hex
        started = runtime.clock.monotonic()
        intent = {"kind": "intent", "call_id": call_id, "tool": "resources/read", "write": False, "args": {"uri": uri}}
        if caller := principal_caller():
            intent["caller"] = caller
        outcome: dict[str, Any] = {"kind": "outcome", "call_id": call_id, "tool": "resources/read"}
        try:
            text = await read()
        except ResourceError as error:
            await audit_read(runtime, intent, outcome | {"status": "rejected", "error": str(error)}, started)
            raise
        except Exception as error:
            tool_error, status = to_tool_error(error, tool="resources/read", write=False)
            await audit_read(runtime, intent, outcome | {"status": status, "error": str(tool_error)}, started)
            raise ResourceError(str(tool_error)) from None
        await audit_read(runtime, intent, outcome | {"status": "ok", "chars": len(text)}, started)
        return text

    async def account(self) -> str:
        tc = await runtime_context(self.runtime)
        user = tc.account.user
        return _dump(
            {
                "user": {"id": user.id, "name": user.name, "email": user.email, "role": user.role},
                "currency": tc.account.currency,
                "time_zone": tc.account.timezone.key,
                "week_starts_monday": tc.account.week_starts_monday,
                "customers": len(tc.master.customers),
                "projects": len(tc.master.projects),
                "users": len(tc.master.users),
            }
        )

    async def master_index(self) -> str:
        master = (await runtime_context(self.runtime)).master
        counts = {kind: len(_rows(master, kind)) for kind in KINDS}
        return _dump(
            {"kinds": [{"kind": k, "count": n, "uri": f"clockodo://master-data/{k}"} for k, n in counts.items()]}
        )

    async def master_kind(self, kind: str) -> str:
        if kind not in KINDS:
            raise ResourceNotFoundError(
                f"Unknown kind of master data {kind!r}. Valid: "
                + ", ".join(f"clockodo://master-data/{k}" for k in KINDS)
                + "."
            )
        master = (await runtime_context(self.runtime)).master
        return _dump(fitted(kind, _rows(master, kind)))

    async def timer(self) -> str:
        from clockodo_mcp.server.tools.read import timer_out

        tc = await runtime_context(self.runtime)
        state = await tc.client.clock.get()
        if state.running is None:
            return _dump({"running": False, "timer": None, "user": tc.account.user.name})
        return _dump({"running": True, "timer": timer_out(state.running, tc, tc.runtime.now()).model_dump(mode="json")})

    async def changes(self) -> str:
        store = self.runtime.store
        try:
            mine = current_name()  # on a shared endpoint, a person sees their own changes
            found = await anyio.to_thread.run_sync(
                lambda: store.list_changes(limit=RECENT_CHANGES, offset=0, principal=mine)
            )
        except StoreError as error:
            raise ResourceError(f"The write journal cannot be read ({error}).") from None
        rows = [change_out(c).model_dump(mode="json") for c in found]
        return _dump({"changes": rows, "newest_first": True, "more": "list_changes pages through all."})

    async def change(self, change_id: str) -> str:
        store = self.runtime.store
        try:
            found = await anyio.to_thread.run_sync(store.get_change, change_id)
        except StoreError as error:
            raise ResourceError(f"The write journal cannot be read ({error}).") from None
        mine = current_name()
        if found is None or (mine is not None and found.principal != mine):  # another person's: as if not there
            raise ResourceNotFoundError(
                f"No change {change_id!r} in the journal. clockodo://changes lists the newest, with their change_id."
            )
        text = _dump(
            {
                **change_out(found).model_dump(mode="json"),
                "args": found.args,
                "result": found.result,
                "error": found.error,
                "undo": found.undo,
            }
        )
        return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + '…"}'


def add_resources(server: MCPServer[Any], runtime: Runtime, *, warehouse: bool) -> None:
    """Register every resource (and the warehouse schema where a mirror is served) on `server`."""
    reader = Reader(runtime)

    def static(uri: str, name: str, title: str, description: str, read: Callable[[], Awaitable[str]]) -> Resource:
        async def fn() -> str:
            return await reader.audited(uri, read)

        return FunctionResource(uri=uri, name=name, title=title, description=description, mime_type=JSON_TYPE, fn=fn)

    server.add_resource(
        static(
            "clockodo://account",
            "account",
            "Clockodo account",
            "The API user (name, role), the account's currency and time zone, and how much master data there is.",
            reader.account,
        )
    )
    server.add_resource(
        static(
            "clockodo://master-data",
            "master-data",
            "Master data: index",
            "How many customers, projects, services, lump-sum services, users and teams there are, with their URIs.",
            reader.master_index,
        )
    )
    server.add_resource(
        static("clockodo://timer", "timer", "My running timer", "The API user's running timer, or none.", reader.timer)
    )
    server.add_resource(
        static(
            "clockodo://changes",
            "recent-changes",
            "Recent changes",
            f"The {RECENT_CHANGES} newest writes made through this server, with status and change_id (for undo).",
            reader.changes,
        )
    )

    @server.resource(
        "clockodo://master-data/{kind}",
        name="master-data-kind",
        title="Master data of one kind",
        description="customers, projects (with budgets), services, lump-sum-services, users or teams; compact rows.",
        mime_type=JSON_TYPE,
    )
    async def master_kind(kind: str) -> str:
        return await reader.audited(f"clockodo://master-data/{kind}", lambda: reader.master_kind(kind))

    @server.resource(
        "clockodo://changes/{change_id}",
        name="change",
        title="One change in full",
        description="One write made through this server: arguments, result, status and undo.",
        mime_type=JSON_TYPE,
    )
    async def change(change_id: str) -> str:
        return await reader.audited(f"clockodo://changes/{change_id}", lambda: reader.change(change_id))

    del master_kind, change  # registered on the server
    if warehouse:
        server.add_resource(warehouse_schema_resource())


def warehouse_schema_resource() -> Resource:
    """docs/warehouse.md as a resource: every table and column of the mirror, for writing `query` SQL."""
    from clockodo_mcp.sync.schema import render_reference

    return TextResource(
        uri=WAREHOUSE_SCHEMA_URI,
        name="warehouse-schema",
        title="Warehouse schema (the mirror's tables and columns)",
        description="Every table and column of the synced mirror with its meaning and unit, for the query tool.",
        mime_type="text/markdown",
        text=render_reference(),
    )


def valid_uris(warehouse: bool) -> list[str]:
    """The URIs and templates a client may read, for the message of an unknown one."""
    return [*STATIC_URIS, *TEMPLATE_URIS, *([WAREHOUSE_SCHEMA_URI] if warehouse else [])]
