"""Build the MCP server: the registry's tools, audited, over one shared Runtime, with instructions for exactly those."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server import MCPServer
from mcp.server.mcpserver.tools import Tool

from clockodo_mcp import __version__
from clockodo_mcp.server.calls import audited, strict_tool
from clockodo_mcp.server.instructions import instructions
from clockodo_mcp.server.principal import principal_middleware
from clockodo_mcp.server.prompts import add_prompts
from clockodo_mcp.server.reconcile import reconcile_on_start
from clockodo_mcp.server.registry import ToolSpec, selected_tools
from clockodo_mcp.server.request_state import request_state_security
from clockodo_mcp.server.resources import add_resources
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.schemas import ClockodoServer
from clockodo_mcp.server.views import apps_extension


@functools.cache
def served_tool(spec: ToolSpec) -> Tool:
    """The SDK tool for `spec`: strict and audited. Built once per process (its schemas cost ~25 ms a tool); it holds
    no runtime (a call finds its runtime through its context), so every server of the process can share it."""
    return strict_tool(spec, audited(spec))


def build_server(runtime: Runtime, *, specs: list[ToolSpec] | None = None) -> MCPServer[Runtime]:
    """An MCPServer named 'clockodo' with the selected tools, each audited, sharing `runtime`."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        async with runtime:
            if not runtime.config.read_only:
                await reconcile_on_start(runtime)  # before any new write is accepted
            yield runtime

    chosen = (
        specs
        if specs is not None
        else selected_tools(read_only=runtime.config.read_only, toolsets=runtime.config.toolsets)
    )
    shared = runtime.config.principals
    if shared:
        # The mirror holds the account as its sync user sees it: served to every principal, it would bypass
        # Clockodo's rights (a worker reading the owner's figures).
        chosen = [spec for spec in chosen if spec.toolset != "warehouse"]
    # Strict tools (unknown arguments refused, rejections audited) are handed to the server ready-made.
    tools: list[Tool] = [served_tool(spec) for spec in chosen]
    server = ClockodoServer(
        "clockodo",
        title="Clockodo",
        instructions=instructions(chosen),
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",  # INFO would log every Clockodo request (httpx) to stderr
        tools=tools,
        extensions=[apps_extension()],  # the views (MCP Apps) linked from the tools' _meta.ui
        # Shared with CLOCKODO_MCP_SECRET, so any replica resumes a form another one asked.
        request_state_security=request_state_security(),
        # Each MCP message acts for the principal of the HTTP request that carried it.
        middleware=[principal_middleware] if shared else None,
    )
    add_resources(server, runtime, warehouse=any(spec.toolset == "warehouse" for spec in chosen))
    add_prompts(server, chosen, runtime.now)
    return server
