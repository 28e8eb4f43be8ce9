"""The confirmation view's buttons: `confirm_write` and `cancel_write`, app-only tools (`_meta.ui.visibility:
["app"]`) that MCP Apps hosts never show to the model and that this server lists only to clients rendering Apps.

A preview made for such a client carries a click-only token: the write tool itself refuses it from the model, and
`confirm_write` applies it by calling that very tool with the token, so it goes through the same single-use nonce,
journal and audit as every write — exactly one write happens, however often the button is pressed. `cancel_write`
spends the token in the journal (a change recorded `not_applied`, "cancelled"), so nothing can apply it afterwards.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import anyio
from mcp.server.apps import client_supports_apps
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from clockodo_mcp.domain.argtypes import TokenText
from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.confirm import CLICKED
from clockodo_mcp.server.gate import OWNER
from clockodo_mcp.server.models import ToolOutput
from clockodo_mcp.server.principal import current_name
from clockodo_mcp.server.registry import REGISTRY, tool
from clockodo_mcp.server.tokens import TokenReused
from clockodo_mcp.store import StoreError
from clockodo_mcp.store.base import NewChange, NonceSpent

ArgumentsArg = Annotated[
    dict[str, Any], Field(description="The previewed call's arguments, as the view received them.")
]


class ConfirmedOut(ToolOutput):
    """What confirming (or cancelling) in the view did."""

    tool: str
    status: str = Field(description="applied, or cancelled; a refusal is an error instead.")
    change_id: str | None = None
    result: dict[str, Any] | None = Field(default=None, description="The write's own answer.")


def _views_only(ctx: Context[Any, Any], name: str) -> None:
    if not client_supports_apps(ctx):
        raise ToolError(
            f"Refused: {name} is the button of a confirmation view and serves only clients that render MCP Apps. "
            "Nothing was changed. Confirm with the write tool's confirm_token instead."
        )


def _previewed_tool(ctx: Context[Any, Any], token: str) -> tuple[str, dict[str, Any]]:
    payload = runtime_of(ctx).tokens.peek(token)
    mine = payload is not None and payload.get("who") == current_name()  # another person's preview is not ours
    if payload is None or not mine or payload.get("tool") not in REGISTRY or REGISTRY[payload["tool"]].read_only:
        raise ToolError(
            "Refused: this is not a confirmation token this server issued for a write. Nothing was changed."
        )
    return str(payload["tool"]), payload


@tool(title="Confirm a previewed change (view button)", toolset="core", read_only=False, destructive=True,
      idempotent=False, open_world=True)  # fmt: skip
async def confirm_write(
    ctx: Context[Any, Any], confirm_token: TokenText, arguments: ArgumentsArg | None = None
) -> ConfirmedOut:
    """Apply the change previewed in a confirmation view: the view's Confirm button, pressed by the user."""
    _views_only(ctx, "confirm_write")
    name, _ = _previewed_tool(ctx, confirm_token)
    mark = CLICKED.set(True)
    try:
        result = await ctx.mcp_server.call_tool(name, {**(arguments or {}), "confirm_token": confirm_token}, ctx)
    finally:
        CLICKED.reset(mark)
    structured = getattr(result, "structured_content", None) or {}
    if getattr(result, "is_error", False):
        text = " ".join(getattr(block, "text", "") for block in getattr(result, "content", []))
        raise ToolError(text or f"{name} refused the change. Nothing was changed.")
    return ConfirmedOut(
        summary=str(structured.get("summary") or f"{name} applied."),
        tool=name,
        status=str(structured.get("status") or "applied"),
        change_id=structured.get("change_id"),
        result=structured,
    ).audited_as("ok")


@tool(title="Cancel a previewed change (view button)", toolset="core", read_only=False, destructive=False,
      idempotent=True, open_world=False)  # fmt: skip
async def cancel_write(
    ctx: Context[Any, Any], confirm_token: TokenText, arguments: ArgumentsArg | None = None
) -> ConfirmedOut:
    """Cancel the change previewed in a confirmation view: nothing changes, and its token can no longer apply it."""
    _views_only(ctx, "cancel_write")
    name, payload = _previewed_tool(ctx, confirm_token)
    runtime = runtime_of(ctx)
    expires = dt.datetime.fromtimestamp(int(payload["exp"]), dt.UTC)
    if runtime.now() >= expires:
        raise ToolError(f"The preview of {name} expired at {expires.isoformat()}: there is nothing left to cancel.")
    change_id = uuid.uuid4().hex[:16]
    summary = f"Cancelled in the confirmation view: the previewed {name} was not applied."
    journal = NewChange(
        change_id=change_id,
        tool=name,
        args=dict(arguments or {}),
        before=None,
        planned=None,
        confirmed_by="cancelled",
        nonce=str(payload["nonce"]),
        nonce_expires_at=expires,
        summary=summary,
        owner=OWNER,
        principal=current_name(),
    )

    def spend() -> None:
        runtime.store.begin_change(journal)
        runtime.store.finish_change(change_id, "not_applied", error="cancelled by the user in the confirmation view")

    try:
        await anyio.to_thread.run_sync(spend)
    except NonceSpent as spent:
        raise ToolError(str(TokenReused.by_change(name, spent.spent.change_id, spent.spent.spent_at))) from None
    except StoreError as error:
        raise ToolError(f"The write journal cannot record the cancellation ({error}); nothing was changed.") from None
    return ConfirmedOut(summary=summary + " Nothing was changed.", tool=name, status="cancelled", change_id=change_id)
