"""Read-only SQL on the mirror, for agents: one SELECT, a read-only connection, a row cap and a time cap.

- **DuckDB file**: opened `read_only`, with external access off (no files read or written by the query, no
  extensions loaded) and the configuration locked, so the query cannot turn it back on.
- **Parquet directory**: its tables are loaded into an in-memory DuckDB first; then external access goes off and the
  configuration is locked, as above.
- **PostgreSQL**: a read-only transaction with a statement timeout, the query wrapped as a subquery (so it is one
  SELECT: a data-modifying WITH must be top level, and a `;` breaks the syntax), on the mirror's schema. Use a role
  that may only read the mirror: a superuser could still call functions such as `pg_read_file`.

The statement must be one SELECT (or WITH … SELECT); anything else is refused before it runs, with the reason.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clockodo_mcp.sync.schema import TABLES
from clockodo_mcp.sync.targets import TargetError, TargetUrl, parse_target_url

MAX_SQL = 10_000
MAX_CELL = 500  # characters of one text value
_EXAMPLE = "SELECT project_name, SUM(duration) / 3600.0 AS hours FROM entries GROUP BY 1 ORDER BY 2 DESC LIMIT 10"


class QueryError(Exception):
    """The query was refused or failed; the message says why and what to do. Nothing was changed."""


@dataclass(frozen=True)
class QueryResult:
    """Columns, at most `max_rows` rows of JSON values, and whether more rows matched."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool


def run_query(url: str, sql: str, *, max_rows: int, timeout_seconds: float) -> QueryResult:
    """Run one read-only SELECT on the mirror at `url`; `QueryError` with the reason and the fix otherwise."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise QueryError(f"The query is empty. Give one SELECT, e.g. {_EXAMPLE}.")
    if len(text) > MAX_SQL:
        raise QueryError(f"The query is {len(text):,} characters long; at most {MAX_SQL:,} are allowed.")
    try:
        target = parse_target_url(url)
    except TargetError as error:
        raise QueryError(str(error)) from None
    if target.scheme == "postgresql":
        return _postgres(target, text, max_rows, timeout_seconds)
    return _duckdb(target, text, max_rows, timeout_seconds)


def _duckdb(target: TargetUrl, sql: str, max_rows: int, timeout_seconds: float) -> QueryResult:
    import duckdb

    assert target.path is not None
    if target.scheme == "duckdb":
        if not target.path.is_file():
            raise QueryError(f"There is no mirror at {target.path} yet. Run `clockodo-mcp sync` first.")
        try:
            con = duckdb.connect(str(target.path), read_only=True)
        except duckdb.Error as error:
            raise QueryError(
                f"The mirror {target.path} cannot be opened for reading ({error}). If a sync is writing it right "
                "now, ask again when it has finished."
            ) from None
    else:
        con = duckdb.connect()
        _load_parquet(con, target)
    try:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        _one_select(con, sql)
        timer = threading.Timer(timeout_seconds, con.interrupt)
        timer.start()
        try:
            cursor = con.execute(sql)
            columns = [str(d[0]) for d in cursor.description or []]
            rows = cursor.fetchmany(max_rows + 1)
        except duckdb.InterruptException:
            raise QueryError(_too_slow(timeout_seconds)) from None
        except duckdb.Error as error:
            raise QueryError(f"The query failed: {error}") from None
        finally:
            timer.cancel()
    finally:
        con.close()
    return _result(columns, rows, max_rows)


def _load_parquet(con: Any, target: TargetUrl) -> None:
    assert target.path is not None
    files = {table.name: target.path / f"{table.name}.parquet" for table in TABLES}
    present = {name: path for name, path in files.items() if path.is_file()}
    if not present:
        raise QueryError(f"There is no mirror in {target.path} yet. Run `clockodo-mcp sync --to parquet://…` first.")
    for name, path in present.items():
        quoted = str(path).replace("'", "''")
        con.execute(f"CREATE TABLE \"{name}\" AS SELECT * FROM read_parquet('{quoted}')")


def _one_select(con: Any, sql: str) -> None:
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryError(f"The query is not valid SQL: {error}") from None
    if len(statements) != 1:
        raise QueryError(f"Give exactly one statement, not {len(statements)}. Nothing was run.")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryError(f"Only SELECT is allowed on the mirror, not {kind.name}. Nothing was run.")


def _postgres(target: TargetUrl, sql: str, max_rows: int, timeout_seconds: float) -> QueryResult:
    import psycopg
    from psycopg import errors
    from psycopg import sql as pgsql

    first = sql.split(None, 1)[0].lower() if sql.split() else ""
    if first not in ("select", "with", "values", "table", "("):
        raise QueryError(f"Only SELECT is allowed on the mirror, not {first.upper()}. Nothing was run.")
    options = f"-c default_transaction_read_only=on -c statement_timeout={max(1, round(timeout_seconds * 1000))}"
    try:
        con = psycopg.connect(target.dsn, options=options, connect_timeout=10, autocommit=False)
    except psycopg.Error as error:
        raise QueryError(f"The mirror's PostgreSQL server cannot be reached ({error}).") from None
    try:
        con.execute(pgsql.SQL("SET LOCAL search_path TO {}").format(pgsql.Identifier(target.schema)))
        wrapped = pgsql.SQL("SELECT * FROM ({}) AS query LIMIT {}").format(pgsql.SQL(sql), pgsql.Literal(max_rows + 1))
        try:
            cursor = con.execute(wrapped)
        except errors.QueryCanceled:
            raise QueryError(_too_slow(timeout_seconds)) from None
        except errors.ReadOnlySqlTransaction:
            raise QueryError(
                "Only SELECT is allowed on the mirror; the query tried to change it. Nothing was run."
            ) from None
        except psycopg.Error as error:
            raise QueryError(f"The query failed: {error}".strip()) from None
        columns = [d.name for d in cursor.description or []]
        rows = cursor.fetchall()
    finally:
        con.rollback()
        con.close()
    return _result(columns, rows, max_rows)


def _too_slow(timeout_seconds: float) -> str:
    return (
        f"The query ran longer than {timeout_seconds:g} s and was stopped. Narrow it (a WHERE on month or date, "
        "fewer joins) or aggregate first."
    )


def _result(columns: list[str], rows: Sequence[Sequence[Any]], max_rows: int) -> QueryResult:
    return QueryResult(
        columns=columns,
        rows=[[_plain(value) for value in row] for row in rows[:max_rows]],
        truncated=len(rows) > max_rows,
    )


def _plain(value: Any) -> Any:
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
