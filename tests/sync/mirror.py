"""Reading a mirror back with plain SQL (DuckDB, Parquet through DuckDB, PostgreSQL): no sync code involved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from tests.sync.conftest import ENTRY_FIELDS, normal_entry


def _columns() -> str:
    return ", ".join(f'"{name}"' for name in ENTRY_FIELDS)


def rows_as_dicts(cursor_rows: list[tuple[Any, ...]], names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows with their column names."""
    return [dict(zip(names, row, strict=True)) for row in cursor_rows]


def duckdb_query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """A query on a DuckDB file, opened read-only."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [tuple(row) for row in con.execute(sql).fetchall()]
    finally:
        con.close()


def parquet_query(directory: Path, sql: str) -> list[tuple[Any, ...]]:
    """A query over the Parquet files: each table name is a view of its file."""
    con = duckdb.connect()
    try:
        for file in directory.glob("*.parquet"):
            con.execute(f"CREATE VIEW \"{file.stem}\" AS SELECT * FROM read_parquet('{file.as_posix()}')")
        return [tuple(row) for row in con.execute(sql).fetchall()]
    finally:
        con.close()


def entries_sql() -> str:
    """Every mirrored entry's comparable fields."""
    return f"SELECT {_columns()} FROM entries"


def mirror_entries(rows: list[tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
    """Mirror rows (from `entries_sql`) keyed by id, normalised like Clockodo's."""
    return {row["id"]: normal_entry(row) for row in rows_as_dicts(rows, ENTRY_FIELDS)}
