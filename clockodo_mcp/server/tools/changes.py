"""The change history from the write journal: list_changes, and undo (gated like any write).

Both read the journal through its index (by change_id, by time, by tool, and by the change an undo reverts), never the
audit log: the audit log proves what happened, the journal is what undo works from. Changes made before the journal
existed are only in the audit log; undo refuses them by saying so (there is no import).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, ClassVar

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AfterValidator, Field

from clockodo_mcp.domain.undo import UndoSpec, UndoSpecError
from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.confirm import confirmable
from clockodo_mcp.server.errors import Refused
from clockodo_mcp.server.expect import Undone
from clockodo_mcp.server.gate import Applied, Plan, WriteOut, run_gated
from clockodo_mcp.server.models import Compact, ListOutput
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools.common import ConfirmArg, OffsetArg, limit_field, paging_of, plain_text, tool_context
from clockodo_mcp.server.undo import UNDO_HANDLERS
from clockodo_mcp.store import UNSETTLED, Change, ChangeStatus, Store, StoreError

NOTHING = "Nothing was changed."
RECONCILE = "`clockodo-mcp changes reconcile` settles it against Clockodo"


def when(change: Change) -> str:
    """The UTC time a change was journalled, as ISO 8601 with Z."""
    return change.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")


def change_summary(change: Change) -> str:
    """What it did (applied), else what its preview said it would do, else what went wrong."""
    if isinstance(change.result, dict) and change.result.get("summary"):
        return str(change.result["summary"])
    if change.summary:
        return change.summary
    if isinstance(change.planned, dict) and change.planned.get("action"):
        return str(change.planned["action"])
    return change.error or ""


async def _journalled(store: Store, change_id: str) -> Change | None:
    try:
        found = await anyio.to_thread.run_sync(store.get_change, change_id)
    except StoreError as error:
        raise Refused(f"The write journal cannot be read ({error}). {NOTHING}") from None
    return found


def _refuse_unless_undoable(change: Change) -> UndoSpec:
    """The change's undo spec, or the refusal that says why this change cannot be undone (now)."""
    name = f"Change {change.change_id} ({change.tool})"
    if change.status in UNSETTLED:
        raise Refused(
            f"{name} cannot be undone: its outcome is unknown (status {change.status}); it must be reconciled first: "
            f"{RECONCILE}. {NOTHING}"
        )
    if change.status == "not_applied":
        raise Refused(f"{name} was not applied, so there is nothing to undo. {NOTHING}")
    if change.status == "failed":
        raise Refused(
            f"{name} failed (Clockodo refused it), so there is nothing to undo. {NOTHING} If it had several steps, "
            f"`clockodo-mcp changes show {change.change_id}` shows which were made."
        )
    by = change.undone_by
    if by is not None and by.status in UNSETTLED:
        raise Refused(
            f"{name} is being undone by change {by.change_id}, whose outcome is unknown; it must be reconciled "
            f"first: {RECONCILE}. {NOTHING}"
        )
    if by is not None:
        at = by.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        raise Refused(
            f"{name} was already undone by change {by.change_id} at {at}. {NOTHING} To bring it back, undo "
            f"{by.change_id} instead."
        )
    if change.undo is None:
        raise ToolError(f"{name} cannot be undone: it recorded no way back. {NOTHING}")
    try:
        spec = UndoSpec.parse(change.undo)
    except UndoSpecError as error:
        raise ToolError(f"{name} cannot be undone: {error}. {NOTHING}") from None
    if spec.kind not in UNDO_HANDLERS:
        raise ToolError(
            f"{name} cannot be undone by this server: its tool is not loaded (undo kind {spec.kind!r}). {NOTHING}"
        )
    return spec


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

    async def plan() -> Plan:
        change = await _journalled(tc.runtime.store, change_id)
        if change is None:
            raise ToolError(
                f"There is no change with change_id {change_id!r} in the write journal. {NOTHING} list_changes shows "
                "recent changes and their ids. (Changes made before this server kept a journal are only in the audit "
                "log and cannot be undone here.)"
            )
        spec = _refuse_unless_undoable(change)
        summary = change_summary(change)
        record = {"change_id": change.change_id, "tool": change.tool, "summary": summary, "undo": spec.fields()}
        inner = await UNDO_HANDLERS[spec.kind](tc, record)

        async def apply() -> Applied:
            applied = await inner.apply()
            applied.record["undoes"] = change_id
            return applied

        return dataclasses.replace(
            inner,
            summary=f"Undo of {change.tool} change {change_id} ({summary}): {inner.summary}",
            preview={"undoes": {"change_id": change_id, "tool": change.tool, "when": when(change)}, **inner.preview},
            apply=apply,
            undoes=change_id,
            expect=Undone(undoes=change_id, inner=inner.expect) if inner.expect is not None else None,
        )

    return await run_gated(tc.runtime, "undo", {"change_id": change_id}, confirm_token, plan)


class ChangeOut(Compact):
    """One write from the journal."""

    change_id: str
    tool: str
    status: ChangeStatus = Field(
        description="applied; unknown or applying: the outcome is open (do not retry; it is reconciled); "
        "not_applied or failed: nothing was changed."
    )
    when: str = Field(description="UTC timestamp of the write.")
    summary: str
    ids: dict[str, list[int]] = Field(default_factory=dict, description="Clockodo ids the write touched.")
    undoable: bool = Field(description="Whether undo can be tried (it still refuses if the target changed since).")
    undone: bool
    undone_by: str | None = Field(default=None, description="The change_id of its undo (see that change's status).")
    undoes: str | None = Field(default=None, description="For an undo: the change_id it reverts.")


class ChangesOut(ListOutput):
    """Journalled writes, newest first."""

    rows_field: ClassVar[str] = "changes"
    changes: list[ChangeOut]


def change_out(change: Change) -> ChangeOut:
    """A journal row as list_changes shows it."""
    result = change.result if isinstance(change.result, dict) else {}
    ids: dict[str, Any] = result["ids"] if isinstance(result.get("ids"), dict) else {}
    by = change.undone_by
    return ChangeOut(
        change_id=change.change_id,
        tool=change.tool,
        status=change.status,
        when=when(change),
        summary=change_summary(change),
        ids={str(k): [int(i) for i in v] for k, v in ids.items()},
        undoable=change.status == "applied" and isinstance(change.undo, dict) and by is None,
        undone=by is not None and by.status == "applied",
        undone_by=by.change_id if by is not None else None,
        undoes=change.undoes,
    )


def _status_note(change: ChangeOut) -> str:
    if change.undone:
        return " (undone)"
    return "" if change.status == "applied" else f" ({change.status})"


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
    """List the writes made through this server, newest first, with their status and the change_id that undo takes."""
    store = runtime_of(ctx).store

    def page() -> tuple[int, list[Change]]:
        return store.count_changes(tool=tool), store.list_changes(limit=limit, offset=offset, tool=tool)

    try:
        total, found = await anyio.to_thread.run_sync(page)
    except StoreError as error:
        raise ToolError(f"The write journal cannot be read ({error}).") from None
    paging = paging_of(total, offset, len(found))
    changes = [change_out(c) for c in found]
    if changes:
        summary = (
            f"{paging.total} change(s), newest first: "
            + "; ".join(f"{c.change_id} {c.tool}{_status_note(c)}: {c.summary}" for c in changes[:3])
            + ("…" if len(changes) > 3 else ".")
            + paging.sentence()
        )
    else:
        summary = "No changes recorded yet" + (f" for {tool}." if tool else ".")
    return ChangesOut(summary=summary, changes=changes, paging=paging).audited_as("ok", count=len(changes))
