"""Build the MCP server: the registry's tools, audited, over one shared Runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server import MCPServer
from mcp.server.mcpserver.tools import Tool

from clockodo_mcp import __version__
from clockodo_mcp.server.calls import audited, strict_tool
from clockodo_mcp.server.confirm import with_confirmation
from clockodo_mcp.server.reconcile import reconcile_on_start
from clockodo_mcp.server.registry import ToolSpec, selected_tools
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.schemas import ClockodoServer

INSTRUCTIONS = """\
Tools for one Clockodo account (time tracking and billing).
- Names: customer, project, service, user and team arguments take a name (fuzzy, case-insensitive) or an id. An
  unknown or ambiguous name is an error listing the candidates: ask the user which one is meant; `lookup` finds
  names. Never guess ids.
- Periods (every period argument): today, yesterday, this_week, last_week, this_month, last_month, this_quarter,
  last_quarter, this_year, last_year, last_N_days, 'YYYY-MM-DD', 'YYYY-MM', 'YYYY-Q1', 'YYYY', or
  {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} (inclusive), in the account's time zone.
- Billing states: not_billable, unbilled (billable, not yet billed), billed; as a filter also billable_any, all.
- Hours and money: report_hours (grouped, with value), unbilled_aging, utilization, budget_status, absence_queue,
  alerts (everything that needs attention). Use list_entries only to show single entries.
- Lists are paged: `offset` and `limit` (a small default, a hard maximum). Every list answer has `paging`
  {total, offset, returned, next}; to go on, repeat the call with `next` added (it is null on the last page).
  Totals always cover every row.
- Writes take two calls: first WITHOUT confirm_token, which changes nothing and returns a preview and a token; show
  the preview to the user; only after they agree, call again with the SAME arguments plus confirm_token. A client
  with forms may be asked directly instead. undo(change_id) reverts a write; list_changes shows recent writes.
- Money is {amount, currency}; hours are decimal hours.
"""


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
    # Strict tools (unknown arguments refused, rejections audited) are handed to the server ready-made.
    tools: list[Tool] = [
        strict_tool(spec, audited(spec if spec.read_only else with_confirmation(spec))) for spec in chosen
    ]
    return ClockodoServer(
        "clockodo",
        title="Clockodo",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",  # INFO would log every Clockodo request (httpx) to stderr
        tools=tools,
    )
