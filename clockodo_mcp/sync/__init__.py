"""The mirror: incremental export of a Clockodo account to DuckDB, PostgreSQL or Parquet (`clockodo-mcp sync`)."""

from clockodo_mcp.sync.engine import ProgressEvent, SyncOptions, SyncReport, SyncRun, sync_once
from clockodo_mcp.sync.schema import SCHEMA_VERSION, TABLES, TABLES_BY_NAME, Column, Table, render_reference
from clockodo_mcp.sync.targets import Target, TargetError, default_target_url, open_target, parse_target_url

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "TABLES_BY_NAME",
    "Column",
    "ProgressEvent",
    "SyncOptions",
    "SyncReport",
    "SyncRun",
    "Table",
    "Target",
    "TargetError",
    "default_target_url",
    "open_target",
    "parse_target_url",
    "render_reference",
    "sync_once",
]
