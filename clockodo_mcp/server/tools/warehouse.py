"""Tools on the mirror `clockodo-mcp sync` keeps (the warehouse toolset, served when CLOCKODO_MCP_MIRROR is set)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.models import ToolOutput
from clockodo_mcp.server.registry import tool
from clockodo_mcp.sync.query import QueryError, QueryResult, run_query
from clockodo_mcp.sync.schema import TABLES
from clockodo_mcp.sync.targets import parse_target_url

QUERY_SECONDS = 10.0
MAX_ROWS = 200
# The rows of one answer, as JSON characters: well under the 25,000 tokens any answer may take (test_sizes.py).
MAX_ROWS_JSON = 40_000
Cell = str | int | float | bool | None
_STATE_SQL = 'SELECT "key", "value" FROM sync_state'


class MirrorOut(BaseModel):
    """Which mirror answered and how old it is."""

    target: str = Field(description="Where the mirror is (no password).")
    last_sync: str | None = Field(description="When the last sync finished (UTC), or null if none has.")
    age_minutes: int | None = Field(description="Minutes since then, on the server's clock.")


class QueryOut(ToolOutput):
    """The rows a SELECT on the mirror returned."""

    columns: list[str]
    rows: list[list[Cell]] = Field(description="One list per row, in the order of `columns`.")
    truncated: bool = Field(description="More rows matched than are shown.")
    mirror: MirrorOut


class TableCount(BaseModel):
    """One table of the mirror and its rows."""

    table: str
    rows: int


class SyncStatusOut(ToolOutput):
    """The mirror's last run, its age and its tables."""

    mirror: MirrorOut
    last_run_requests: int | None = Field(description="Clockodo requests of the last run.")
    last_run_entries: int | None = Field(description="Entries written by the last run.")
    repulled_months: list[str] = Field(description="Old months the last run found changed and pulled again.")
    tables: list[TableCount]


def _mirror_url(ctx: Context[Any, Any]) -> str:
    url = runtime_of(ctx).config.mirror_url
    if not url:
        raise ToolError(
            "No mirror is configured. Run `clockodo-mcp sync` (it writes a DuckDB file by default), then start the "
            "server with CLOCKODO_MCP_MIRROR set to its target URL, e.g. duckdb:///home/you/.local/share/"
            "clockodo-mcp/mirror.duckdb."
        )
    return url


def _state(url: str) -> dict[str, str]:
    try:
        found = run_query(
            url, 'SELECT "key", "value" FROM sync_state', max_rows=MAX_ROWS, timeout_seconds=QUERY_SECONDS
        )
    except QueryError as error:
        raise ToolError(str(error)) from None
    return {str(k): str(v) for k, v in found.rows}


def _mirror(url: str, state: dict[str, str], now: dt.datetime) -> MirrorOut:
    finished = state.get("last_run_finished_at") or None
    age = None
    if finished:
        moment = dt.datetime.fromisoformat(finished.replace("Z", "+00:00"))
        age = max(0, int((now - moment).total_seconds() // 60))
    return MirrorOut(target=parse_target_url(url).describe(), last_sync=finished, age_minutes=age)


def _fitting(result: QueryResult) -> tuple[list[list[Any]], bool]:
    """The rows that fit the answer budget, and whether any were left out (by the row cap or by size)."""
    rows: list[list[Any]] = []
    size = 0
    for row in result.rows:
        size += len(json.dumps(row, ensure_ascii=False)) + 1
        if size > MAX_ROWS_JSON:
            return rows, True
        rows.append(row)
    return rows, result.truncated


@tool(title="Query the mirror (SQL)", toolset="warehouse", read_only=True, destructive=False, idempotent=True,
      open_world=False)  # fmt: skip
async def query(
    ctx: Context[Any, Any],
    sql: Annotated[str, Field(min_length=1, max_length=10_000, description="One SELECT (or WITH … SELECT).")],
    limit: Annotated[int, Field(ge=1, le=MAX_ROWS, description="At most this many rows.")] = 50,
) -> QueryOut:
    """Run one read-only SELECT on the synced mirror of the Clockodo account (tables: see sync_status).

    Durations are in seconds, money in the account currency. E.g. SELECT month, SUM(revenue) FROM entries GROUP BY 1.
    """
    url = _mirror_url(ctx)
    now = runtime_of(ctx).clock.now()

    def run() -> tuple[QueryResult, dict[str, str]]:
        return run_query(url, sql, max_rows=limit, timeout_seconds=QUERY_SECONDS), _state(url)

    try:
        result, state = await anyio.to_thread.run_sync(run)
    except QueryError as error:
        raise ToolError(f"{error} Nothing was changed.") from None
    rows, truncated = _fitting(result)
    mirror = _mirror(url, state, now)
    age = f"{mirror.age_minutes} min old" if mirror.age_minutes is not None else "never completed a sync"
    more = " More rows matched: aggregate, filter or select fewer columns." if truncated else ""
    summary = f"{len(rows)} row(s) of {len(result.columns)} column(s) from the mirror ({age}).{more}"
    out = QueryOut(summary=summary, columns=result.columns, rows=rows, truncated=truncated, mirror=mirror)
    return out.audited_as("ok", count=len(rows))


@tool(title="Mirror status", toolset="warehouse", read_only=True, destructive=False, idempotent=True,
      open_world=False)  # fmt: skip
async def sync_status(ctx: Context[Any, Any]) -> SyncStatusOut:
    """Show the synced mirror's last run, its age (lag) and the rows of every table, for the query tool."""
    url = _mirror_url(ctx)
    now = runtime_of(ctx).clock.now()
    counts = " UNION ALL ".join(f"SELECT '{t.name}', COUNT(*) FROM \"{t.name}\"" for t in TABLES)

    def run() -> tuple[dict[str, str], QueryResult]:
        return _state(url), run_query(url, counts, max_rows=len(TABLES), timeout_seconds=QUERY_SECONDS)

    try:
        state, found = await anyio.to_thread.run_sync(run)
    except QueryError as error:
        raise ToolError(f"{error} Nothing was changed.") from None
    mirror = _mirror(url, state, now)
    tables = [TableCount(table=str(name), rows=int(n)) for name, n in found.rows]
    entries = next((t.rows for t in tables if t.table == "entries"), 0)
    when = f"last synced {mirror.last_sync}, {mirror.age_minutes} min ago" if mirror.last_sync else "never synced"
    return SyncStatusOut(
        summary=f"Mirror {mirror.target}: {when}; {entries:,} entries in {len(tables)} tables.",
        mirror=mirror,
        last_run_requests=_int(state.get("last_run_requests")),
        last_run_entries=_int(state.get("last_run_entries")),
        repulled_months=[m for m in state.get("last_run_repulled_months", "").split(",") if m],
        tables=tables,
    )


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
