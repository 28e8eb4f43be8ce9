"""Confirming a write by asking the human (form elicitation) instead of handing the agent a token.

`--confirm token|elicit|auto` (default auto: elicit where the client declares form elicitation, else token).
A gated write tool decorated with `@confirmable` gets a hidden parameter filled by an SDK resolver
(`Annotated[..., Resolve(fn)]`), which works in both protocol eras: before 2026-07-28 the SDK sends an
`elicitation/create` request mid-call; from 2026-07-28 on it answers the call with `InputRequiredResult` and resumes
when the client retries with the answer.

The resolver runs before the tool body. It plans the write by running the tool body in *capture* mode (`run_gated`
then only records the `Plan` and writes nothing), asks the human with the plan's summary and preview, and remembers
the fingerprint of the target it showed. The body then runs for real: `run_gated` re-plans, refuses if the target
changed since the human saw it (or the human declined), and applies. Nothing here trusts the agent: the agent never
sees a token in this mode, and the answer comes from the client's form.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import BaseModel, Field

from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.registry import ToolSpec

if TYPE_CHECKING:
    from clockodo_mcp.server.gate import Plan

Mode = Literal["token", "elicit", "unavailable", "failed"]
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
PARAMETER = "confirmation"
CONFIRMABLE = "__clockodo_confirmable__"
_MESSAGE_LIMIT = 6000


class ConfirmForm(BaseModel):
    """The form the human answers."""

    confirm: bool = Field(title="Apply this change?", description="Yes applies exactly the change shown above.")


@dataclass(frozen=True, slots=True)
class Confirmation:
    """How this call is confirmed; for elicitation, what the human saw and said."""

    mode: Mode
    accepted: bool = False
    answer: str = ""
    tool: str = ""
    args_digest: str = ""
    target_fp: str = ""


@dataclass(slots=True)
class Capture:
    """Where `run_gated` leaves the plan while the resolver previews a write."""

    tool: str = ""
    args_digest: str = ""
    target_fp: str = ""
    plan: Plan | None = None


# Set by the resolver around its preview run of the tool body; run_gated then only plans.
CAPTURE: ContextVar[Capture | None] = ContextVar("clockodo_mcp_capture", default=None)
# What the resolver showed the human (the resolver runs in the same task, just before the body).
_SHOWN: ContextVar[Capture | None] = ContextVar("clockodo_mcp_shown", default=None)
# The decision for the running tool body; run_gated reads it.
CONFIRMATION: ContextVar[Confirmation | None] = ContextVar("clockodo_mcp_confirmation", default=None)


def client_can_elicit(ctx: Context[Any, Any]) -> bool:
    """Whether the client declared form elicitation (a bare `elicitation: {}` counts as form)."""
    try:
        capabilities = ctx.client_capabilities
    except Exception:  # no request in flight (direct calls in tests)
        return False
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def message_for(capture: Capture) -> str:
    """The question the human sees: summary, warnings, the exact preview, and a reference to the target state.

    From 2026-07-28 on the SDK accepts an answer only for the identical question, so naming the target's
    fingerprint makes any change of the target between asking and answering ask again.
    """
    assert capture.plan is not None
    plan = capture.plan
    preview = json.dumps(plan.preview, ensure_ascii=False, indent=1, default=str)
    if len(preview) > _MESSAGE_LIMIT:
        preview = preview[:_MESSAGE_LIMIT] + "\n… (truncated)"
    warnings = "".join(f"\n⚠ {w}" for w in plan.warnings)
    return (
        f"{capture.tool}: {plan.summary}{warnings}\n\n{preview}\n\nApply this change? (state {capture.target_fp[:12]})"
    )


def _resolver_for(fn: Callable[..., Awaitable[Any]], names: list[str]) -> Callable[..., Awaitable[Any]]:
    async def ask(**kwargs: Any) -> Confirmation | Elicit[ConfirmForm]:
        ctx: Context[Any, Any] = kwargs.pop("ctx")
        mode = runtime_of(ctx).config.confirm
        if kwargs.get("confirm_token") is not None or mode == "token":
            return Confirmation(mode="token")
        if not client_can_elicit(ctx):
            return Confirmation(mode="token" if mode == "auto" else "unavailable")
        capture = Capture()
        reset = CAPTURE.set(capture)
        try:
            await fn(**kwargs, ctx=ctx)
        except Exception:
            # Bad input: let the real call fail the same way, so that the failure is audited like any other.
            return Confirmation(mode="failed")
        finally:
            CAPTURE.reset(reset)
        if capture.plan is None:
            return Confirmation(mode="failed")
        _SHOWN.set(capture)
        return Elicit(message_for(capture), ConfirmForm)

    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    parameters += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in names]
    ask.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]  # read by the SDK's resolver
    ask.__annotations__ = {"ctx": Context, "return": Confirmation | Elicit[ConfirmForm]}
    # The SDK keys the question on the wire by module:qualname; one resolver per tool.
    ask.__qualname__ = f"confirm_{fn.__name__}"
    return ask


def decision_of(outcome: Any) -> Confirmation:
    """The Confirmation for the body from the resolver's outcome (a plain Confirmation, or the human's answer)."""
    if outcome is None:
        return Confirmation(mode="token")
    if isinstance(outcome, AcceptedElicitation):
        data = outcome.data
        if isinstance(data, Confirmation):
            return data
        shown = _SHOWN.get()
        if isinstance(data, ConfirmForm) and shown is not None:
            return Confirmation(
                mode="elicit",
                accepted=data.confirm,
                answer="accept" if data.confirm else "accept without confirming",
                tool=shown.tool,
                args_digest=shown.args_digest,
                target_fp=shown.target_fp,
            )
        return Confirmation(mode="failed")
    return Confirmation(mode="elicit", accepted=False, answer=str(getattr(outcome, "action", "decline")))


def confirmable(fn: F) -> F:
    """Let a gated write tool be confirmed by the human through form elicitation (see the module docstring).

    Use under `@tool(...)`. The tool's own parameters are unchanged; a hidden `confirmation` parameter, filled by
    the SDK, is added to its signature and consumed here.
    """
    signature = inspect.signature(fn, eval_str=True)  # the SDK reads annotations from __signature__ as they are
    names = [name for name in signature.parameters if name != "ctx"]
    resolver = _resolver_for(fn, names)
    annotation = Annotated[ElicitationResult[ConfirmForm], Resolve(resolver)]

    @functools.wraps(fn)
    async def gated(*args: Any, **kwargs: Any) -> Any:
        decision = decision_of(kwargs.pop(PARAMETER, None))
        reset = CONFIRMATION.set(decision)
        try:
            return await fn(*args, **kwargs)
        finally:
            CONFIRMATION.reset(reset)
            _SHOWN.set(None)

    extra = inspect.Parameter(PARAMETER, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
    gated.__signature__ = signature.replace(  # type: ignore[attr-defined]  # read by inspect.signature
        parameters=[*signature.parameters.values(), extra]
    )
    gated.__annotations__ = {**fn.__annotations__, PARAMETER: annotation}
    setattr(gated, CONFIRMABLE, True)
    return gated  # type: ignore[return-value]  # same call signature for callers, plus the hidden parameter


def with_confirmation(spec: ToolSpec) -> ToolSpec:
    """The spec of a gated write tool made `@confirmable` (unchanged if it already is, or is not a gated write)."""
    if spec.read_only or getattr(spec.fn, CONFIRMABLE, False):
        return spec
    if "confirm_token" not in inspect.signature(spec.fn).parameters:
        return spec
    return dataclasses.replace(spec, fn=confirmable(spec.fn))
