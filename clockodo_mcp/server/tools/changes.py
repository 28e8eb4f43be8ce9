"""The change history from the audit log: list_changes, and undo (gated like any write)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any, ClassVar

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AfterValidator, Field

from clockodo_mcp.audit import find_change, iter_records_reversed
from clockodo_mcp.audit.readers import is_write_outcome
from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.confirm import confirmable
from clockodo_mcp.server.errors import Refused
from clockodo_mcp.server.expect import Undone
from clockodo_mcp.server.gate import Applied, Plan, WriteOut, run_gated
from clockodo_mcp.server.models import Compact, ListOutput
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools.common import ConfirmArg, OffsetArg, limit_field, page_of, plain_text, tool_context
from clockodo_mcp.server.undo import UNDO_HANDLERS

NOTHING = "Nothing was changed."


def undone_by(path: Path, change_id: str) -> dict[str, Any] | None:
    """The applied change that undid `change_id`, if any (newest first)."""
    for record in iter_records_reversed(path):
        if is_write_outcome(record) and record["change"].get("undoes") == change_id:
            return record
    return None


@tool(title="Undo a change", toolset="core", read_only=False, destructive=True, idempotent=False)
@confirmable
async def undo(
    change_id: Annotated[
        str,
        AfterValidator(plain_text),
        Field(min_length=1, max_length=64, description="The change_id of an applied write (see list_changes)."),
    ],
    ctx: Context[Any, Any],
    confirm_token: ConfirmArg = None,
) -> WriteOut:
    """Revert an applied write by its change_id (from list_changes); undoing an undo redoes.

    Refused if the target changed since or the change was already undone. E.g. undo(change_id="3f9a1c2b7d4e5f60").
    """
    tc = await tool_context(ctx)
    path = tc.runtime.audit.path

    async def plan() -> Plan:
        record = await anyio.to_thread.run_sync(find_change, path, change_id)
        if record is None:
            raise ToolError(
                f"There is no applied change with change_id {change_id!r} in the audit log. {NOTHING} "
                "list_changes shows recent changes and their ids."
            )
        change: dict[str, Any] = record["change"]
        tool_name = str(change.get("tool", record.get("tool", "?")))
        later = await anyio.to_thread.run_sync(undone_by, path, change_id)
        if later is not None:
            by = later["change"]["change_id"]
            raise Refused(
                f"Change {change_id} ({tool_name}) was already undone by change {by} at {later.get('ts')}. {NOTHING} "
                f"To bring it back, undo {by} instead."
            )
        spec = change.get("undo")
        if not isinstance(spec, dict) or "kind" not in spec:
            raise ToolError(f"Change {change_id} ({tool_name}) cannot be undone: it recorded no way back. {NOTHING}")
        handler = UNDO_HANDLERS.get(str(spec["kind"]))
        if handler is None:
            raise ToolError(
                f"Change {change_id} ({tool_name}) cannot be undone by this server: its tool is not loaded "
                f"(undo kind {spec['kind']!r}). {NOTHING}"
            )
        inner = await handler(tc, change)

        async def apply() -> Applied:
            applied = await inner.apply()
            applied.record["undoes"] = change_id
            return applied

        return dataclasses.replace(
            inner,
            summary=f"Undo of {tool_name} change {change_id} ({change.get('summary', '')}): {inner.summary}",
            preview={"undoes": {"change_id": change_id, "tool": tool_name, "when": record.get("ts")}, **inner.preview},
            apply=apply,
            expect=Undone(undoes=change_id, inner=inner.expect) if inner.expect is not None else None,
        )

    return await run_gated(tc.runtime, "undo", {"change_id": change_id}, confirm_token, plan)


class ChangeOut(Compact):
    """One applied write from the audit log."""

    change_id: str
    tool: str
    when: str = Field(description="UTC timestamp of the write.")
    summary: str
    ids: dict[str, list[int]] = Field(default_factory=dict, description="Clockodo ids the write touched.")
    undoable: bool = Field(description="Whether it recorded a way back (undo may still refuse if things changed).")
    undone: bool
    undone_by: str | None = Field(default=None, description="The change_id of the undo, if undone.")
    undoes: str | None = Field(default=None, description="For an undo: the change_id it reverted.")


class ChangesOut(ListOutput):
    """Recent applied writes, newest first."""

    rows_field: ClassVar[str] = "changes"
    changes: list[ChangeOut]


def recent_changes(path: Path, tool_name: str | None) -> list[ChangeOut]:
    """Newest first; an undo always comes after its change, so one backwards pass knows what was undone."""
    undone: dict[str, str] = {}
    found: list[ChangeOut] = []
    for record in iter_records_reversed(path):
        if not is_write_outcome(record):
            continue
        change: dict[str, Any] = record["change"]
        change_id = str(change.get("change_id", ""))
        undoes = change.get("undoes")
        if isinstance(undoes, str):
            undone.setdefault(undoes, change_id)
        name = str(change.get("tool") or record.get("tool") or "?")
        if tool_name is not None and name != tool_name:
            continue
        found.append(
            ChangeOut(
                change_id=change_id,
                tool=name,
                when=str(record.get("ts", "")),
                summary=str(change.get("summary", "")),
                ids={str(k): [int(i) for i in v] for k, v in (change.get("ids") or {}).items()},
                undoable=isinstance(change.get("undo"), dict),
                undone=change_id in undone,
                undone_by=undone.get(change_id),
                undoes=undoes if isinstance(undoes, str) else None,
            )
        )
    return found


@tool(title="List recent changes", toolset="core", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_changes(
    ctx: Context[Any, Any],
    tool: Annotated[
        Annotated[str, AfterValidator(plain_text)] | None,
        Field(max_length=64, description="Only changes by this tool."),
    ] = None,
    offset: OffsetArg = 0,
    limit: Annotated[int, limit_field(100)] = 10,
) -> ChangesOut:
    """List the writes made through this server, newest first, with the change_id that undo takes."""
    runtime = runtime_of(ctx)
    found = await anyio.to_thread.run_sync(recent_changes, runtime.audit.path, tool)
    changes, paging = page_of(found, offset, limit)
    if changes:
        summary = (
            f"{paging.total} change(s), newest first: "
            + "; ".join(f"{c.change_id} {c.tool}{' (undone)' if c.undone else ''}: {c.summary}" for c in changes[:3])
            + ("…" if len(changes) > 3 else ".")
            + paging.sentence()
        )
    else:
        summary = "No changes recorded yet" + (f" for {tool}." if tool else ".")
    return ChangesOut(summary=summary, changes=changes, paging=paging).audited_as("ok", count=len(changes))
