"""Tools on the mirror `clockodo-mcp sync` keeps (the warehouse toolset, served where CLOCKODO_MCP_MIRROR is set).

Thin adapters over `clockodo_mcp.sync.reader`: one read-only SELECT with row, size and time caps, and the status of
the last run. Every cell is made plain JSON here, and an answer never exceeds what a client accepts.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from clockodo_mcp.clock import Clock
from clockodo_mcp.server.calls import runtime_of
from clockodo_mcp.server.models import ToolOutput
from clockodo_mcp.server.registry import tool
from clockodo_mcp.sync.reader import MirrorStatus, QueryRefused, QueryResult, mirror_status, run_query
from clockodo_mcp.sync.targets import TargetError

QUERY_SECONDS = 10.0
MAX_ROWS = 200
MAX_CELL = 500  # characters of one text value
# The rows of one answer, as JSON characters: well under the 25,000 tokens any answer may take (test_sizes.py).
MAX_ROWS_JSON = 40_000
Cell = str | int | float | bool | None


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
    backfill_complete: bool = Field(description="Whether the first run's backfill has reached today.")
    since: str | None = Field(description="The first day the mirror covers.")
    window_start: str | None = Field(description="Entries from here on are pulled again on every run.")
    last_run_requests: int | None = Field(description="Clockodo requests of the last run.")
    last_webhook: str | None = Field(description="When a Clockodo webhook last changed the mirror (UTC), if ever.")
    webhook_events: int = Field(description="Webhook events applied to the mirror so far.")
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


def mirror_out(location: str, finished: dt.datetime | None, now: dt.datetime) -> MirrorOut:
    """Which mirror answered, when it last synced and how many minutes ago that is on the server's clock."""
    return MirrorOut(
        target=location,
        last_sync=finished.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if finished else None,
        age_minutes=None if finished is None else max(0, int((now - finished).total_seconds() // 60)),
    )


def _mirror(status: MirrorStatus, clock: Clock) -> MirrorOut:
    return mirror_out(status.location, status.last_run_finished_at, clock.now())


def _plain(value: Any) -> Cell:
    """A cell as JSON: numbers, text (cut at MAX_CELL), booleans, ISO dates and times; null."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    text = str(value)
    return text if len(text) <= MAX_CELL else f"{text[:MAX_CELL]}… ({len(text):,} characters)"


def _fitting(result: QueryResult) -> tuple[list[list[Cell]], bool]:
    """The rows as JSON that fit the answer budget, and whether any were left out (by the row cap or by size)."""
    rows: list[list[Cell]] = []
    size = 0
    for raw in result.rows:
        row = [_plain(value) for value in raw]
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
    clock = runtime_of(ctx).clock

    def run() -> tuple[QueryResult, MirrorStatus]:
        return run_query(url, sql, max_rows=limit, timeout_seconds=QUERY_SECONDS), mirror_status(url, clock, ())

    try:
        result, status = await anyio.to_thread.run_sync(run)
    except (QueryRefused, TargetError) as error:
        raise ToolError(f"{error} Nothing was changed.") from None
    rows, truncated = _fitting(result)
    mirror = _mirror(status, clock)
    age = f"{mirror.age_minutes} min old" if mirror.age_minutes is not None else "never completed a sync"
    more = " More rows matched: aggregate, filter or select fewer columns." if truncated else ""
    summary = f"{len(rows)} row(s) of {len(result.columns)} column(s) from the mirror ({age}).{more}"
    out = QueryOut(summary=summary, columns=list(result.columns), rows=rows, truncated=truncated, mirror=mirror)
    return out.audited_as("ok", count=len(rows))


@tool(title="Mirror status", toolset="warehouse", read_only=True, destructive=False, idempotent=True,
      open_world=False)  # fmt: skip
async def sync_status(ctx: Context[Any, Any]) -> SyncStatusOut:
    """Show the synced mirror's last run, its age (lag) and the rows of every table, for the query tool."""
    url = _mirror_url(ctx)
    clock = runtime_of(ctx).clock
    try:
        status = await anyio.to_thread.run_sync(mirror_status, url, clock)
    except (QueryRefused, TargetError) as error:
        raise ToolError(f"{error} Nothing was changed.") from None
    mirror = _mirror(status, clock)
    entries = status.row_counts.get("entries", 0)
    when = f"last synced {mirror.last_sync}, {mirror.age_minutes} min ago" if mirror.last_sync else "never synced"
    hooked = status.last_webhook_at
    webhook = hooked.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if hooked else None
    live = f"; {status.webhook_events:,} webhook event(s) applied since, the last at {webhook}" if webhook else ""
    return SyncStatusOut(
        summary=f"Mirror {mirror.target}: {when}{live}; {entries:,} entries in {len(status.row_counts)} tables.",
        mirror=mirror,
        backfill_complete=status.backfill_complete,
        since=status.since,
        window_start=status.window_start,
        last_run_requests=status.last_run_requests,
        last_webhook=webhook,
        webhook_events=status.webhook_events,
        tables=[TableCount(table=name, rows=n) for name, n in status.row_counts.items()],
    )
