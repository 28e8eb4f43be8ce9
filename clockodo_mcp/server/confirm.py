"""Confirming a write by asking the human (form elicitation) instead of handing the agent a token.

`--confirm token|elicit|auto` (default auto: a click in the confirmation view where the client renders MCP Apps,
else elicit where the client declares form elicitation, else token).
Every write tool (`server/writes.py`) has two hidden parameters filled by SDK resolvers (`Annotated[...,
Resolve(fn)]`), which work in both protocol eras: before 2026-07-28 the SDK sends an `elicitation/create` request
mid-call; from 2026-07-28 on it answers the call with `InputRequiredResult` and resumes when the client retries
with the answer.

- `shown`: plans the write once (the domain plan function, never the tool body) and fingerprints its target;
- `confirmation`: asks the human with that plan's summary and preview (or answers "token" / "unavailable" without
  asking).

The tool body then hands both to the gate, which re-reads the target, refuses if it changed since the human saw it
(or the human declined), and applies the plan that was shown. Nothing here trusts the agent: the agent never sees a
token in this mode, and the answer comes from the client's form.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp.server.elicitation import AcceptedElicitation
from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from clockodo_mcp.audit.canonical import to_plain_json
from clockodo_mcp.domain.writes.plan import Plan

Mode = Literal["token", "elicit", "click", "unavailable", "failed"]
# Set by `confirm_write` (an app-only tool: the user's click in the confirmation view) around the write it applies.
CLICKED: ContextVar[bool] = ContextVar("clockodo_mcp_clicked", default=False)
_MESSAGE_LIMIT = 6000


class ConfirmForm(BaseModel):
    """The form the human answers."""

    confirm: bool = Field(title="Apply this change?", description="Yes applies exactly the change shown above.")


@dataclass(frozen=True, slots=True)
class Shown:
    """The plan shown to the human: for which call, its target's fingerprint; or why planning failed."""

    tool: str
    bound: dict[str, Any] = field(default_factory=dict)
    plan: Plan[Any, Any] | None = None
    fingerprint: str = ""
    error: Exception | None = None  # bad input: the body raises it, so it is audited like any other failure


@dataclass(frozen=True, slots=True)
class Confirmation:
    """How this call is confirmed; for elicitation, what the human saw and said."""

    mode: Mode
    accepted: bool = False
    answer: str = ""
    shown: Shown | None = None


def client_can_elicit(ctx: Context[Any, Any]) -> bool:
    """Whether the client declared form elicitation (a bare `elicitation: {}` counts as form)."""
    try:
        capabilities = ctx.client_capabilities
    except Exception:  # no request in flight (direct calls in tests)
        return False
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def message_for(shown: Shown) -> str:
    """The question the human sees: summary, warnings, the exact preview, and a reference to the target state.

    From 2026-07-28 on the SDK accepts an answer only for the identical question, so naming the target's
    fingerprint makes any change of the target between asking and answering ask again.
    """
    assert shown.plan is not None
    plan = shown.plan
    preview = json.dumps(to_plain_json(plan.preview), ensure_ascii=False, indent=1)
    if len(preview) > _MESSAGE_LIMIT:
        preview = preview[:_MESSAGE_LIMIT] + "\n… (truncated)"
    warnings = "".join(f"\n⚠ {w}" for w in plan.warnings)
    return f"{shown.tool}: {plan.summary}{warnings}\n\n{preview}\n\nApply this change? (state {shown.fingerprint[:12]})"


def decision_of(outcome: Any, shown: Shown | None) -> Confirmation:
    """The Confirmation for the body from the resolver's outcome (a plain Confirmation, or the human's answer)."""
    if outcome is None:
        return Confirmation(mode="token")
    if isinstance(outcome, AcceptedElicitation):
        data = outcome.data
        if isinstance(data, Confirmation):
            return data
        if isinstance(data, ConfirmForm):
            answer = "accept" if data.confirm else "accept without confirming"
            return Confirmation(mode="elicit", accepted=data.confirm, answer=answer, shown=shown)
        return Confirmation(mode="failed", shown=shown)
    return Confirmation(mode="elicit", accepted=False, answer=str(getattr(outcome, "action", "decline")), shown=shown)
