"""One tool call, end to end: intent record → the tool → outcome record, with errors made actionable."""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from clockodo_mcp.audit import AuditWriteError
from clockodo_mcp.server.bounds import bounded, serialize
from clockodo_mcp.server.errors import to_tool_error
from clockodo_mcp.server.models import ToolOutput
from clockodo_mcp.server.registry import ToolFn, ToolSpec
from clockodo_mcp.server.runtime import Runtime

logger = logging.getLogger("clockodo_mcp")


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
    """Who is calling, as far as the transport tells (client name, request id)."""
    caller: dict[str, Any] = {"request_id": str(ctx.request_id)}
    try:
        params = ctx.request_context.session.client_params
        if params is not None:
            caller["client"] = f"{params.client_info.name} {params.client_info.version}"
    except AttributeError:  # a transport without a session object
        caller["client"] = None
    return caller


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
    """Wrap a tool so that every call is audited and every failure is a `ToolError` the agent can act on."""
    write = not spec.read_only

    @functools.wraps(spec.fn)
    async def call(**kwargs: Any) -> Any:
        ctx: Context[Any, Any] = kwargs["ctx"]
        runtime = runtime_of(ctx)
        call_id = uuid.uuid4().hex
        arguments = {k: jsonable(v) for k, v in kwargs.items() if k != "ctx"}
        started = time.perf_counter()
        try:
            await append(
                runtime,
                {
                    "kind": "intent",
                    "call_id": call_id,
                    "tool": spec.name,
                    "write": write,
                    "args": arguments,
                    "caller": caller_of(ctx),
                },
            )
        except AuditWriteError as error:
            logger.error("Audit log not writable: %s", error)
            raise ToolError(
                f"Refused: the audit log cannot be written ({error}). Nothing was changed. Fix the audit log "
                "location (CLOCKODO_MCP_AUDIT_LOG) or its permissions, then try again."
            ) from None
        outcome: dict[str, Any] = {"kind": "outcome", "call_id": call_id, "tool": spec.name}
        try:
            value = await spec.fn(**kwargs)
        except BaseException as error:
            if not isinstance(error, Exception):
                raise
            tool_error, status = to_tool_error(error, tool=spec.name, write=write)
            outcome |= {"status": status, "error": str(tool_error)}
            await _finish(runtime, outcome, started)
            raise tool_error from None
        outcome["status"] = "ok"
        if isinstance(value, ToolOutput):
            outcome["status"] = value.audit_status
            if value.audit_change is not None:
                outcome["change"] = value.audit_change
            if value.audit_count is not None:
                outcome["count"] = value.audit_count
        await _finish(runtime, outcome, started)
        return to_result(value)

    return call


async def append(runtime: Runtime, event: dict[str, Any]) -> None:
    """Append off the event loop: each record is fsynced."""
    await anyio.to_thread.run_sync(runtime.audit.append, event)


async def _finish(runtime: Runtime, outcome: dict[str, Any], started: float) -> None:
    outcome["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    try:
        await append(runtime, outcome)
    except AuditWriteError as error:  # the call already happened: say so loudly, don't hide its result
        logger.error("Audit outcome record for %s could not be written: %s", outcome.get("tool"), error)
