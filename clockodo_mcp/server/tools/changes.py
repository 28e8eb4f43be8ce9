"""The change history from the write journal: list_changes, and undo (gated like any write).

Both read the journal through its index (by change_id, by time, by tool, and by the change an undo reverts), never the
audit log: the audit log proves what happened, the journal is what undo works from. Changes made before the journal
existed are only in the audit log; undo refuses them by saying so (there is no import).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AfterValidator, Field, SerializeAsAny, WithJsonSchema

from clockodo_mcp.domain.writes import registry, undoing
from clockodo_mcp.domain.writes.undoing import UndoArgs, UndoPreview, change_summary, undo_preview_schema, when
from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.gate import WriteOut
from clockodo_mcp.server.models import Compact, ListOutput
from clockodo_mcp.server.principal import current_name
from clockodo_mcp.server.registry import tool
from clockodo_mcp.server.tools.common import OffsetArg, limit_field, paging_of, plain_text
from clockodo_mcp.server.writes import WriteSpec, write_tool
from clockodo_mcp.store import Change, ChangeStatus, StoreError

assert registry  # every kind's undo preview is defined, so the published schema names all their fields
UndoPreviewShown = Annotated[SerializeAsAny[UndoPreview], WithJsonSchema(undo_preview_schema())]


class UndoOut(WriteOut[UndoPreviewShown, Any, Any]):
    """undo: which change it reverts and how (preview); the state before and after the reversal."""


undo = write_tool(
    WriteSpec(
        name="undo",
        title="Undo a change",
        toolset="core",
        destructive=True,
        idempotent=False,
        args=UndoArgs,
        plan=undoing.undo,
        output=UndoOut,
        doc="""Revert an applied write by its change_id (from list_changes); undoing an undo redoes.

        Refused if the target changed since or the change was already undone. E.g. undo(change_id="3f9a1c2b7d4e5f60").
        """,
    )
)


MAX_IDS_SHOWN = 10  # a billing run touches thousands of entries; `changes show` has them all


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
    ids: dict[str, list[int]] = Field(
        default_factory=dict, description=f"Clockodo ids the write touched: at most {MAX_IDS_SHOWN} per kind."
    )
    id_counts: dict[str, int] = Field(default_factory=dict, description="How many ids of each kind it touched.")
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
        ids={str(k): [int(i) for i in v[:MAX_IDS_SHOWN]] for k, v in ids.items()},
        id_counts={str(k): len(v) for k, v in ids.items()},
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
    mine = current_name()  # on a shared endpoint, a person lists their own changes

    def page() -> tuple[int, list[Change]]:
        total = store.count_changes(tool=tool, principal=mine)
        return total, store.list_changes(limit=limit, offset=offset, tool=tool, principal=mine)

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
