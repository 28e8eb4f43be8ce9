"""Build the MCP server: the registry's tools, audited, over one shared Runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server import MCPServer
from mcp.server.mcpserver.tools import Tool

from clockodo_mcp import __version__
from clockodo_mcp.server.calls import audited, strict_tool
from clockodo_mcp.server.confirm import with_confirmation
from clockodo_mcp.server.registry import ToolSpec, selected_tools
from clockodo_mcp.server.runtime import Runtime

INSTRUCTIONS = """\
Tools for one Clockodo account (time tracking and billing). How they fit together:
- Names: every tool accepts names ("Phoenix", "Sarah Chen") or ids for customers, projects, services, users and
  teams. An ambiguous or unknown name is an error that lists the candidates — ask the user which one is meant;
  `lookup` searches names. Never guess ids.
- Periods: today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter, this_year,
  last_year, last_N_days, 'YYYY-MM-DD', 'YYYY-MM', 'YYYY-Q1', 'YYYY', or {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}
  (inclusive), in the account's time zone.
- Questions about hours and money: `report_hours` (grouped, with value; billing = unbilled | billed |
  not_billable | billable_any | all), `unbilled_aging`, `utilization`, `budget_status`, `absence_queue`, `alerts`
  (everything that needs attention). Use `list_entries` only to show individual entries.
- Billing states: not_billable (0), unbilled = billable but not yet billed (1), billed (2).
- Writes (log_time, edit_entry, delete_entry, start_timer, stop_timer, set_billing_state, decide_absence,
  set_project_budget, set_hourly_rate, undo) are two-step: call once WITHOUT confirm_token to get a preview and
  a token, show the preview to the user, and only after the user agrees call again with the SAME arguments plus
  confirm_token. Every write can be undone with `undo(change_id)`; `list_changes` shows recent writes.
  Where the client supports forms, the server may instead ask the human directly to confirm (elicitation).
- Money is {amount, currency}; hours are decimal hours.
"""


def build_server(runtime: Runtime, *, specs: list[ToolSpec] | None = None) -> MCPServer[Runtime]:
    """An MCPServer named 'clockodo' with the selected tools, each audited, sharing `runtime`."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        async with runtime:
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
    return MCPServer(
        "clockodo",
        title="Clockodo",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",  # INFO would log every Clockodo request (httpx) to stderr
        tools=tools,
    )
