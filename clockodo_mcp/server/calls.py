"""One tool call, end to end: intent record → the tool → outcome record, with errors made actionable."""

from __future__ import annotations

import dataclasses
import functools
import json
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

from clockodo_mcp.audit import AuditLogDamaged, AuditWriteError
from clockodo_mcp.server.errors import to_tool_error
from clockodo_mcp.server.models import ToolOutput
from clockodo_mcp.server.registry import ToolFn, ToolSpec
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.sessions import rate_key

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
    """A model with a `summary` becomes text (summary + JSON) plus structured content; anything else passes."""
    if isinstance(value, BaseModel):
        structured = value.model_dump(mode="json", by_alias=True)
        summary = str(structured.get("summary") or "")
        text = json.dumps(structured, ensure_ascii=False, separators=(",", ":"))
        content = [TextContent(text=summary)] if summary else []
        content.append(TextContent(text=text))
        return CallToolResult(content=content, structured_content=structured)
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
        recorded = True
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
            if not write and isinstance(error, AuditLogDamaged):
                # A torn or damaged log blocks writes until `audit repair`; a read changes nothing, so it goes on.
                logger.warning("Reading without an audit record until the log is repaired: %s", error)
                recorded = False
            else:
                logger.error("Audit log not writable: %s", error)
                raise ToolError(
                    f"Refused: the audit log cannot be written ({error}). Nothing was changed. Fix the audit log "
                    "location (CLOCKODO_MCP_AUDIT_LOG), the store (CLOCKODO_MCP_STORE) or their permissions, then "
                    "try again."
                ) from None
        outcome: dict[str, Any] = {"kind": "outcome", "call_id": call_id, "tool": spec.name}
        try:
            with runtime.client.as_caller(rate_key(ctx)):  # fair shares of the rate budget per session
                value = await spec.fn(**kwargs)
        except BaseException as error:
            if not isinstance(error, Exception):
                raise
            tool_error, status = to_tool_error(error, tool=spec.name, write=write)
            outcome |= {"status": status, "error": str(tool_error)}
            if recorded:
                await _finish(runtime, outcome, started)
            raise tool_error from None
        outcome["status"] = "ok"
        if isinstance(value, ToolOutput):
            outcome["status"] = value.audit_status
            if value.audit_change is not None:
                outcome["change"] = value.audit_change
            if value.audit_count is not None:
                outcome["count"] = value.audit_count
        if recorded:
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
