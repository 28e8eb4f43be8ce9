"""A write tool is one declarative `WriteSpec`: its argument model, its domain plan function and its output model.

`write_tool(spec)` makes the MCP tool from it and registers it (`@tool`): the tool's parameters are the argument
model's fields (so the model is the single source of the input schema, of parsing and of what a token binds) plus
`confirm_token`, and two hidden parameters that the SDK fills for elicitation (`confirm.py`). The body is the
same for every write: validate the arguments into the model, hand the plan function to the gate, return its output.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from mcp.server.apps import client_supports_apps
from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve

from clockodo_mcp.domain.argtypes import ConfirmArg
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.plan import Plan, WriteArgs
from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.confirm import Confirmation, ConfirmForm, Shown, client_can_elicit, decision_of, message_for
from clockodo_mcp.server.gate import WriteOut, run_write, settling
from clockodo_mcp.server.registry import Toolset, tool
from clockodo_mcp.server.tokens import TOKEN_ARGUMENT, fingerprint
from clockodo_mcp.server.tools.common import tool_context

A = TypeVar("A", bound=WriteArgs)
# Filled by the SDK's resolvers, never by the client (they are not in the input schema).
SHOWN, CONFIRMATION = "shown", "confirmation"
HIDDEN = frozenset({"ctx", SHOWN, CONFIRMATION})


@dataclass(frozen=True, slots=True)
class WriteSpec(Generic[A]):
    """One write tool: how it is named and annotated, its arguments, its plan, its output; `doc` is for the model."""

    name: str
    title: str
    toolset: Toolset
    destructive: bool
    idempotent: bool
    args: type[A]
    plan: Callable[[A, WriteDeps], Awaitable[Plan[Any, Any]]]
    output: type[WriteOut[Any, Any, Any]]
    doc: str
    open_world: bool = True


def _argument_parameters(model: type[WriteArgs]) -> list[inspect.Parameter]:
    """The model's fields as keyword parameters, with their annotations as written (constraints, descriptions)."""
    hints = typing.get_type_hints(model, include_extras=True)
    return [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=hints[name],
            default=inspect.Parameter.empty if info.is_required() else info.default,
        )
        for name, info in model.model_fields.items()
    ]


def _resolvers(spec: WriteSpec[A], names: list[str]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(plan once and fingerprint it, ask the human about it) for `spec`'s tool."""

    def wanted(ctx: Context[Any, Any], token: str | None) -> Confirmation | None:
        """The decision that needs no question, or None when the human is to be asked."""
        mode = runtime_of(ctx).config.confirm
        if token is not None or mode == "token":
            return Confirmation(mode="token")
        if mode == "auto" and client_supports_apps(ctx):
            return Confirmation(mode="click")  # the preview's view asks; its Confirm button applies it
        if not client_can_elicit(ctx):
            return Confirmation(mode="token" if mode == "auto" else "unavailable")
        return None

    async def shown(**kwargs: Any) -> Shown | None:
        ctx: Context[Any, Any] = kwargs.pop("ctx")
        if wanted(ctx, kwargs.get(TOKEN_ARGUMENT)) is not None:
            return None
        try:
            tc = await tool_context(ctx)
            args = spec.args.model_validate({k: v for k, v in kwargs.items() if k != TOKEN_ARGUMENT})
            plan = await settling(tc.runtime, spec.name, lambda: spec.plan(args, tc))()
        except Exception as error:  # bad input: the body raises it, audited, and nobody is asked
            return Shown(tool=spec.name, error=error)
        return Shown(spec.name, args.model_dump(mode="json"), plan, fingerprint(plan.target))

    async def ask(ctx: Context[Any, Any], **kwargs: Any) -> Confirmation | Elicit[ConfirmForm]:
        planned: Shown | None = kwargs[SHOWN]
        decided = wanted(ctx, kwargs.get(TOKEN_ARGUMENT))
        if decided is not None:
            return decided
        if planned is None or planned.plan is None:
            return Confirmation(mode="failed", shown=planned)
        return Elicit(message_for(planned), ConfirmForm)

    by_name = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in names]
    context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    shown.__signature__ = inspect.Signature([context, *by_name])  # type: ignore[attr-defined]  # read by the SDK
    shown.__annotations__ = {"ctx": Context, "return": Shown | None}
    planned = Annotated[Shown | None, Resolve(shown)]
    dependency = inspect.Parameter(SHOWN, inspect.Parameter.KEYWORD_ONLY, annotation=planned)
    token = inspect.Parameter(TOKEN_ARGUMENT, inspect.Parameter.KEYWORD_ONLY)
    ask.__signature__ = inspect.Signature([context, token, dependency])  # type: ignore[attr-defined]
    ask.__annotations__ = {"ctx": Context, SHOWN: planned, "return": Confirmation | Elicit[ConfirmForm]}
    # The SDK keys a question on the wire by module:qualname: one resolver pair per tool.
    shown.__qualname__, ask.__qualname__ = f"plan_{spec.name}", f"confirm_{spec.name}"
    return shown, ask


def write_tool(spec: WriteSpec[A]) -> Callable[..., Awaitable[WriteOut[Any, Any, Any]]]:
    """The MCP tool for `spec`, registered in the inventory."""
    fields = _argument_parameters(spec.args)
    token = inspect.Parameter(TOKEN_ARGUMENT, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ConfirmArg)
    shown, ask = _resolvers(spec, [p.name for p in fields] + [TOKEN_ARGUMENT])
    planned = Annotated[Shown | None, Resolve(shown)]
    asked = Annotated[ElicitationResult[ConfirmForm], Resolve(ask)]

    async def write(**kwargs: Any) -> WriteOut[Any, Any, Any]:
        ctx: Context[Any, Any] = kwargs.pop("ctx")
        confirmation = decision_of(kwargs.pop(CONFIRMATION, None), kwargs.pop(SHOWN, None))
        confirm_token: str | None = kwargs.pop(TOKEN_ARGUMENT, None)
        tc = await tool_context(ctx)
        args = spec.args.model_validate(kwargs)
        return await run_write(
            tc.runtime, spec.name, args, confirm_token, lambda: spec.plan(args, tc), spec.output, confirmation
        )

    parameters = [
        *fields,
        token,
        inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context[Any, Any]),
        inspect.Parameter(SHOWN, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=planned),
        inspect.Parameter(CONFIRMATION, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=asked),
    ]
    write.__signature__ = inspect.Signature(parameters, return_annotation=spec.output)  # type: ignore[attr-defined]
    write.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": spec.output}
    write.__name__ = write.__qualname__ = spec.name
    write.__doc__ = spec.doc
    write.__module__ = spec.output.__module__
    return tool(
        title=spec.title,
        toolset=spec.toolset,
        read_only=False,
        destructive=spec.destructive,
        idempotent=spec.idempotent,
        open_world=spec.open_world,
    )(write)
