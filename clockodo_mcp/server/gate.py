"""The confirmation gate every write goes through: plan → preview + token → (same arguments + token) → apply.

A write tool describes its change as a `Plan`: what it will touch (`target`, re-read on every call), a preview
for the human, and an `apply` coroutine. Without a token the gate returns the preview and a token bound to the tool,
the arguments and a fingerprint of `target`. With a token it re-plans (re-reading the target), verifies the token
against the fresh fingerprint (a stale preview is refused), applies, and returns the before/after record with a
`change_id` that `undo` takes.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from clockodo_mcp.server.confirm import CAPTURE, CONFIRMATION, Confirmation
from clockodo_mcp.server.errors import Refused
from clockodo_mcp.server.models import ToolOutput
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.tokens import TokenError, TokenStale, arguments_digest, fingerprint


@dataclass(slots=True)
class Applied:
    """What a write did: the state after, the ids it touched, and how to undo it."""

    after: Any
    ids: dict[str, list[int]]
    undo: dict[str, Any] | None
    summary: str
    # Extra fields for the audited change record, e.g. {"undoes": change_id} on an undo.
    record: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Plan:
    """A write, resolved but not performed."""

    summary: str
    preview: dict[str, Any]
    target: Any  # the current state of everything the write depends on; fingerprinted
    before: Any
    apply: Callable[[], Awaitable[Applied]]
    warnings: list[str] = field(default_factory=list)
    invalidates_master_data: bool = False


class WriteOut(ToolOutput):
    """The result of a write tool: a preview with a token, or the applied change with its change_id."""

    status: Literal["preview", "applied"] = Field(
        description="preview: nothing changed yet — show it to the user and call again with confirm_token. "
        "applied: done; undo with the change_id."
    )
    preview: dict[str, Any] = Field(description="Exactly what will change (or what changed): targets, before → after.")
    warnings: list[str] = Field(default_factory=list)
    confirm_token: str | None = Field(
        default=None, description="Pass it back with the SAME arguments to apply this preview (single use)."
    )
    expires_at: datetime | None = None
    change_id: str | None = Field(default=None, description="Give it to undo to revert this change.")
    before: Any = None
    after: Any = None


def token_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments a token is bound to: everything but the token itself."""
    return {k: v for k, v in arguments.items() if k != "confirm_token"}


# Never the fingerprint of a real target (those are hex digests), so a pre-check can never redeem a token.
_NO_TARGET = "pre-check"


def precheck(runtime: Runtime, token: str, tool: str, bound: Mapping[str, Any]) -> None:
    """Refuse a forged, expired, reused or misdirected token before anything is read or planned.

    `redeem` checks the target fingerprint last and burns the token only on success, so redeeming against a
    fingerprint no target has tells exactly whether everything but the target is right, and burns nothing.
    Without this, a replayed token would be answered with whatever the re-plan finds ("identical entry exists",
    "nothing to change") instead of the truth: the token was already used.
    """
    try:
        runtime.tokens.redeem(token, tool, bound, _NO_TARGET)
    except TokenStale:
        return
    except TokenError as error:
        raise Refused(str(error)) from None
    raise RuntimeError("a confirmation token matched an impossible target")  # pragma: no cover


async def run_gated(
    runtime: Runtime,
    tool: str,
    arguments: Mapping[str, Any],
    confirm_token: str | None,
    plan: Callable[[], Awaitable[Plan]],
) -> WriteOut:
    """Preview (no token) or verify-and-apply (token) a write; refusals raise `Refused` and change nothing.

    Under `@confirmable` (see `confirm.py`) the human may confirm through a form instead of a token.
    """
    bound = token_arguments(arguments)
    capture = CAPTURE.get()
    if capture is not None:  # the elicitation resolver previews: plan only, write nothing
        current = await plan()
        capture.tool, capture.args_digest = tool, arguments_digest(bound)
        capture.target_fp, capture.plan = fingerprint(current.target), current
        return WriteOut(summary=current.summary, status="preview", preview=current.preview)
    decision = CONFIRMATION.get() or Confirmation(mode="token")
    if decision.mode == "unavailable":
        raise ToolError(
            f"Refused: this server confirms writes by asking the user in a form (--confirm elicit), but this client "
            f"cannot show forms (no form elicitation). Nothing was changed. Use a client with elicitation support, "
            f"or restart the server with --confirm token (or auto) to confirm {tool} with a confirm_token."
        )
    if decision.mode in ("elicit", "failed"):
        return await _elicited(runtime, tool, bound, plan, decision)
    if confirm_token is not None:
        precheck(runtime, confirm_token, tool, bound)
    current = await plan()
    target_fp = fingerprint(current.target)
    if confirm_token is None:
        issued = runtime.tokens.issue(tool, bound, target_fp)
        return WriteOut(
            summary=f"PREVIEW — nothing has changed yet. {current.summary} To apply, call {tool} again with the same "
            "arguments and confirm_token.",
            status="preview",
            preview=current.preview,
            warnings=current.warnings,
            confirm_token=issued.token,
            expires_at=issued.expires_at,
            before=current.before,
        ).audited_as("preview")
    try:
        runtime.tokens.redeem(confirm_token, tool, bound, target_fp)
    except TokenError as error:
        raise Refused(str(error)) from None
    return await _apply(runtime, tool, bound, current, "token")


async def _elicited(
    runtime: Runtime,
    tool: str,
    bound: dict[str, Any],
    plan: Callable[[], Awaitable[Plan]],
    decision: Confirmation,
) -> WriteOut:
    """Apply what the human confirmed in the form, if it is still exactly what they saw."""
    current = await plan()  # bad input fails here, audited, before any answer is looked at
    if decision.mode == "failed":
        raise Refused("The change could not be shown to the user for confirmation. Nothing was changed. Try again.")
    if not decision.accepted:
        raise Refused(
            f"The user did not confirm the change ({decision.answer}). Nothing was changed. Ask what they want "
            "instead; do not repeat the call unless they ask for it."
        )
    if decision.tool != tool or decision.args_digest != arguments_digest(bound):
        raise Refused(f"The confirmed change does not match this call. Nothing was changed. Call {tool} again.")
    if fingerprint(current.target) != decision.target_fp:
        raise Refused(
            "The target changed while the user was confirming (someone or something modified it in the "
            f"meantime), so the confirmed preview may no longer be right. Nothing was changed. Call {tool} again "
            "so the user sees the current state."
        )
    return await _apply(runtime, tool, bound, current, "elicitation")


async def _apply(runtime: Runtime, tool: str, bound: dict[str, Any], current: Plan, confirmed_by: str) -> WriteOut:
    applied = await current.apply()
    if current.invalidates_master_data:
        runtime.invalidate_master_data()
    change_id = uuid.uuid4().hex[:16]
    change = {
        **applied.record,
        "change_id": change_id,
        "tool": tool,
        "args": bound,
        "confirmed_by": confirmed_by,
        "before": current.before,
        "after": applied.after,
        "ids": applied.ids,
        "undo": applied.undo,
        "summary": applied.summary,
    }
    return WriteOut(
        summary=f"Done: {applied.summary} (change_id {change_id}; undo with undo(change_id=...)).",
        status="applied",
        preview=current.preview,
        warnings=current.warnings,
        change_id=change_id,
        before=current.before,
        after=applied.after,
    ).audited_as("ok", change=change)
