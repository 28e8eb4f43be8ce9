"""One tool call, end to end: strict arguments → intent record → the tool → outcome record, errors made actionable."""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import uuid
from collections.abc import Mapping
from typing import Any, Literal

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, ValidationError

from clockodo_mcp.audit import AuditLogDamaged, AuditUnreachable, AuditWriteError
from clockodo_mcp.domain.progress import reporting_to
from clockodo_mcp.server.arguments import explain, strict_model
from clockodo_mcp.server.bounds import bounded, serialize
from clockodo_mcp.server.errors import to_tool_error
from clockodo_mcp.server.models import ToolOutput
from clockodo_mcp.server.principal import current_name
from clockodo_mcp.server.registry import ToolFn, ToolSpec
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.sessions import rate_key
from clockodo_mcp.server.views import ui_meta

logger = logging.getLogger("clockodo_mcp")
# Filled by the SDK (the context, and a write's elicitation resolvers: server/writes.py), not by the client.
_NOT_ARGUMENTS = frozenset({"ctx", "shown", "confirmation"})


def runtime_of(ctx: Context[Any, Any]) -> Runtime:
    """The Runtime the lifespan put into the request context."""
    runtime = ctx.request_context.lifespan_context
    if not isinstance(runtime, Runtime):
        raise RuntimeError("The server lifespan did not provide a Runtime")
    return runtime


def jsonable(value: Any) -> Any:
    """Arguments as plain JSON (pydantic models dumped, dates as strings)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))  # e.g. how a write was confirmed
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def caller_of(ctx: Context[Any, Any]) -> dict[str, Any]:
    """Who is calling, as far as the transport tells (client name, request id), and on a shared endpoint the
    principal the call acts for."""
    caller: dict[str, Any] = {"request_id": str(ctx.request_id)}
    try:
        params = ctx.request_context.session.client_params
        if params is not None:
            caller["client"] = f"{params.client_info.name} {params.client_info.version}"
    except AttributeError:  # a transport without a session object
        caller["client"] = None
    return caller | principal_caller()


def principal_caller() -> dict[str, Any]:
    """`{"principal": name}` for a call on a shared endpoint; nothing on the single-user server."""
    name = current_name()
    return {"principal": name} if name is not None else {}


def to_result(value: Any) -> Any:
    """A model becomes structured content plus the same JSON once as text; anything else passes.

    The text copy is for clients that read only `content` (the spec asks for it); clients that read
    `structuredContent` (Claude Code, VS Code) show the model only that. The summary is the JSON's first field, so
    no separate summary block: either way the model reads one copy. `bounded` keeps a copy under the size budget.
    """
    if isinstance(value, BaseModel):
        structured = bounded(value) if isinstance(value, ToolOutput) else value.model_dump(mode="json", by_alias=True)
        return CallToolResult(content=[TextContent(text=serialize(structured))], structured_content=structured)
    return value


def audited(spec: ToolSpec) -> ToolFn:
    """Wrap a tool so that every call is audited and every failure is a `ToolError` the agent can act on.

    A write's intent is durable before the tool runs, and its outcome follows. A read changes nothing, so its intent
    and outcome are committed together once it has run, before its answer is returned (one commit, shared with
    concurrent reads): a read whose records cannot be stored is refused, as before.
    """
    write = not spec.read_only

    @functools.wraps(spec.fn)
    async def call(**kwargs: Any) -> Any:
        ctx: Context[Any, Any] = kwargs["ctx"]
        runtime = runtime_of(ctx)
        call_id = uuid.uuid4().hex
        arguments = {k: jsonable(v) for k, v in kwargs.items() if k not in _NOT_ARGUMENTS}
        started = runtime.clock.monotonic()
        intent = {
            "kind": "intent",
            "call_id": call_id,
            "tool": spec.name,
            "write": write,
            "args": arguments,
            "caller": caller_of(ctx),
        }
        if write:
            try:
                await append(runtime, intent)
            except AuditWriteError as error:
                raise _refused(error) from None
        outcome: dict[str, Any] = {"kind": "outcome", "call_id": call_id, "tool": spec.name}
        logger.debug("Call %s of %s started", call_id, spec.name)
        try:
            # fair shares of the rate budget per session; progress to the client when it gave a progress token
            with runtime.client.as_caller(rate_key(ctx)), reporting_to(ctx.report_progress):
                value = await spec.fn(**kwargs)
        except BaseException as error:
            if not isinstance(error, Exception):
                if not write:  # cancelled: say so, though nobody will read the answer
                    with anyio.CancelScope(shield=True):
                        await audit_read(runtime, intent, outcome | {"status": "cancelled"}, started)
                raise
            tool_error, status = to_tool_error(error, tool=spec.name, write=write)
            outcome |= {"status": status, "error": str(tool_error)}
            if write:
                await _finish(runtime, outcome, started)
            else:
                await audit_read(runtime, intent, outcome, started)
            raise tool_error from None
        outcome["status"] = "ok"
        if isinstance(value, ToolOutput):
            outcome["status"] = value.audit_status
            if value.audit_change is not None:
                outcome["change"] = value.audit_change
            if value.audit_count is not None:
                outcome["count"] = value.audit_count
        if write:
            await _finish(runtime, outcome, started)
        elif await audit_read(runtime, intent, outcome, started) == "unreachable" and isinstance(value, ToolOutput):
            value.summary = f"{UNAUDITED} {value.summary}"
        return to_result(value)

    return call


def _refused(error: AuditWriteError) -> ToolError:
    logger.error("Audit log not writable: %s", error)
    return ToolError(
        f"Refused: the audit log cannot be written ({error}). Nothing was changed. Fix the audit log location "
        "(CLOCKODO_MCP_AUDIT_LOG), the store (CLOCKODO_MCP_STORE) or their permissions, then try again."
    )


async def append(runtime: Runtime, event: dict[str, Any]) -> None:
    """Append a write's record off the event loop, on its own (its intent is durable before anything is sent)."""
    await anyio.to_thread.run_sync(runtime.audit.append, event)


UNAUDITED = "Note: the store is unreachable, so this read was not audited, and every write is refused until it is back."


async def audit_read(
    runtime: Runtime, intent: dict[str, Any], outcome: dict[str, Any], started: float
) -> Literal["audited", "damaged", "unreachable"]:
    """Commit a read's intent and outcome together (tools and resources); a ToolError when they cannot be stored.

    A read changes nothing, so it goes on without its records when the log is damaged (writes wait for `audit
    repair`) or its store was lost mid-run (writes fail closed until it is back); the answer then says so."""
    outcome["duration_ms"] = round((runtime.clock.monotonic() - started) * 1000, 1)
    try:
        await anyio.to_thread.run_sync(runtime.audit.append_together, [intent, outcome])
    except AuditWriteError as error:
        if isinstance(error, AuditUnreachable):
            logger.warning("Reading without an audit record while the store is unreachable: %s", error)
            return "unreachable"
        if not isinstance(error, AuditLogDamaged):
            raise _refused(error) from None
        logger.warning("Reading without an audit record until the log is repaired: %s", error)
        return "damaged"
    return "audited"


async def _finish(runtime: Runtime, outcome: dict[str, Any], started: float) -> None:
    outcome["duration_ms"] = round((runtime.clock.monotonic() - started) * 1000, 1)
    try:
        await append(runtime, outcome)
    except AuditWriteError as error:  # the call already happened: say so loudly, don't hide its result
        logger.error("Audit outcome record for %s could not be written: %s", outcome.get("tool"), error)


class StrictTool(Tool):
    """An SDK tool whose argument model refuses unknown keys and whose rejected calls are audited and explained.

    The SDK validates the arguments in `Tool.run` before the tool function (and so `audited`) runs; a call that
    fails there would otherwise leave no audit record and reach the agent as a raw pydantic dump.
    """

    async def run(self, arguments: dict[str, Any], context: Context[Any, Any], convert_result: bool = False) -> Any:
        """Run the tool; a schema rejection becomes one sentence per problem, with intent and outcome records."""
        started = runtime_of(context).clock.monotonic()
        try:
            return await super().run(arguments, context, convert_result=convert_result)
        except ToolError as error:
            # The SDK raises a ToolError *from* the ValidationError only for the arguments themselves; errors of
            # the tool body arrive here from `audited`, already audited.
            if not isinstance(error.__cause__, ValidationError):
                raise
            message = explain(error.__cause__, self.fn_metadata.arg_model, arguments)
            await self._audit_rejection(context, arguments, message, started)
            raise ToolError(message) from None

    async def _audit_rejection(
        self, ctx: Context[Any, Any], arguments: Mapping[str, Any], message: str, started: float
    ) -> None:
        runtime = runtime_of(ctx)
        call_id = uuid.uuid4().hex
        write = not (self.annotations is not None and self.annotations.read_only_hint)
        intent = {
            "kind": "intent",
            "call_id": call_id,
            "tool": self.name,
            "write": write,
            "args": storable(arguments),
            "caller": caller_of(ctx),
        }
        outcome: dict[str, Any] = {
            "kind": "outcome",
            "call_id": call_id,
            "tool": self.name,
            "status": "rejected",
            "error": message,
        }
        try:
            if write:
                await append(runtime, intent)
            else:
                outcome["duration_ms"] = round((runtime.clock.monotonic() - started) * 1000, 1)
                await anyio.to_thread.run_sync(runtime.audit.append_together, [intent, outcome])
                return
        except AuditWriteError as error:  # nothing ran and nothing will: the rejection stands either way
            logger.error("Audit records for a rejected %s call could not be written: %s", self.name, error)
            return
        await _finish(runtime, outcome, started)


def strict_tool(spec: ToolSpec, fn: ToolFn) -> StrictTool:
    """The SDK tool for `spec` (calling `fn`), with an argument model that forbids unknown keys."""
    tool = StrictTool.from_function(
        fn,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        annotations=spec.annotations,
        structured_output=True,
    )
    assert isinstance(tool, StrictTool)  # from_function builds `cls(...)`
    model = strict_model(tool.fn_metadata.arg_model, tool.parameters)
    metadata = tool.fn_metadata.model_copy(update={"arg_model": model})
    # The strict model's schema is the SDK's plus `additionalProperties: false` (a test holds them equal): patched,
    # not generated again, since generating schemas is most of what building a tool costs.
    parameters = {**tool.parameters, "additionalProperties": False}
    meta = ui_meta(spec.name, read_only=spec.read_only)  # the MCP Apps view the tool links, if any
    return tool.model_copy(update={"fn_metadata": metadata, "parameters": parameters, "meta": meta})


_STORED_TEXT = 500
_STORED_ITEMS = 50
_STORED_DEPTH = 6
_STORED_BITS = 64


def storable(value: Any, depth: int = 0) -> Any:
    """Raw, unvalidated arguments as JSON the audit log can hold: finite numbers, bounded text, bounded nesting."""
    if depth > _STORED_DEPTH:
        return "…"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # the canonical JSON of the chain has no NaN or Infinity
    if isinstance(value, str):
        return value if len(value) <= _STORED_TEXT else f"{value[:_STORED_TEXT]}… ({len(value)} characters)"
    if isinstance(value, Mapping):
        items = list(value.items())[:_STORED_ITEMS]
        return {str(storable(str(k), depth + 1)): storable(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        return [storable(v, depth + 1) for v in value[:_STORED_ITEMS]]
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _STORED_BITS:
        return f"<an integer of {value.bit_length()} bits>"  # Python refuses to print ints past 4300 digits
    if value is None or isinstance(value, bool | int | float):
        return value
    return storable(str(value), depth + 1)
