"""Reading a mirror, never writing it: the status of the last run and capped, read-only SQL.

The `query` and `sync_status` tools are thin adapters over `mirror_status` and `run_query`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from clockodo_mcp.clock import Clock
from clockodo_mcp.sync.schema import TABLES
from clockodo_mcp.sync.targets import TargetError, TargetUrl, parse_target_url

DEFAULT_MAX_ROWS = 500
DEFAULT_TIMEOUT_SECONDS = 10.0
_LEADING = re.compile(r"^\s*(?:(?:--[^\n]*\n)|(?:/\*.*?\*/)|\s)*", re.S)
_STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)


class QueryRefused(ValueError):
    """The SQL is not a single read-only SELECT; the message says what is allowed."""


@dataclass(frozen=True, slots=True)
class QueryResult:
    """At most `max_rows` rows of a SELECT, and whether more existed."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool


@dataclass(frozen=True, slots=True)
class MirrorStatus:
    """The mirror's last run, its age and its row counts."""

    location: str
    schema_version: int
    since: str | None
    window_start: str | None
    backfill_complete: bool
    last_run_started_at: dt.datetime | None
    last_run_finished_at: dt.datetime | None
    lag_seconds: float | None
    last_run_requests: int | None
    row_counts: dict[str, int] = field(default_factory=dict)
    last_webhook_at: dt.datetime | None = None
    webhook_events: int = 0


class _Reader:
    """A read-only connection to one mirror."""

    def __init__(self, url: TargetUrl) -> None:
        self.url = url
        self.location = url.describe()
        self._con: Any = None
        self._kind = url.scheme

    def open(self) -> None:
        """Connect read-only; a `TargetError` when there is no mirror yet."""
        missing = TargetError(f"There is no mirror at {self.location} yet: run `clockodo-mcp sync` first.")
        if self._kind == "postgresql":
            import psycopg

            try:
                self._con = psycopg.connect(self.url.dsn, connect_timeout=10, autocommit=True)
            except psycopg.Error as error:
                raise TargetError(f"Cannot connect to PostgreSQL at {self.location}: {error}".strip()) from None
            self._con.execute("SET default_transaction_read_only = on")
            self._con.execute(f'SET search_path TO "{self.url.schema}"')
            found = self._con.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'sync_state'",
                (self.url.schema,),
            ).fetchall()
            if not found:
                raise missing
            return
        import duckdb

        assert self.url.path is not None
        if self._kind == "duckdb":
            if not self.url.path.is_file():
                raise missing
            # Read-only, and no files beyond the mirror: read_csv('/etc/…') or COPY … TO fail.
            self._con = duckdb.connect(str(self.url.path), read_only=True, config={"enable_external_access": False})
            return
        if not (self.url.path / "sync_state.parquet").is_file():
            raise missing
        self._con = duckdb.connect(":memory:")
        for table in TABLES:
            file = self.url.path / f"{table.name}.parquet"
            if file.is_file():
                quoted = str(file).replace("'", "''")
                self._con.execute(f"CREATE VIEW \"{table.name}\" AS SELECT * FROM read_parquet('{quoted}')")
        # The views are all a query may see: files only in the mirror's directory, no settings changes.
        directory = str(self.url.path).replace("'", "''")
        self._con.execute(f"SET allowed_directories = ['{directory}']")
        self._con.execute("SET enable_external_access = false")
        self._con.execute("SET lock_configuration = true")

    def fetch(self, sql: str, max_rows: int | None = None) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """Column names and rows (at most `max_rows` + 1) of one read query."""
        if self._kind == "postgresql":
            # A read-only transaction: unlike a session setting, a query cannot switch it back to read-write.
            with self._con.transaction():
                self._con.execute("SET TRANSACTION READ ONLY")
                return self._rows(self._con.execute(sql), max_rows)
        return self._rows(self._con.execute(sql), max_rows)

    @staticmethod
    def _rows(cursor: Any, max_rows: int | None) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        columns = tuple(str(d[0]) for d in (cursor.description or ()))
        rows = cursor.fetchall() if max_rows is None else cursor.fetchmany(max_rows + 1)
        return columns, [tuple(r) for r in rows]

    def interrupt(self) -> None:
        """Stop the running query (called from a timer thread)."""
        if self._kind == "postgresql":
            self._con.cancel_safe()
        else:
            self._con.interrupt()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def mirror_lock(location: str) -> threading.Lock:
    """The lock of one mirror within this process: DuckDB refuses a read-only and a writing connection to one file at
    the same time, so the webhook receiver's writes and the tools' reads take turns."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(location, threading.Lock())


@contextlib.contextmanager
def _reader(url: str) -> Iterator[_Reader]:
    reader = _Reader(parse_target_url(url))
    with mirror_lock(reader.location):
        reader.open()
        try:
            yield reader
        finally:
            reader.close()


def check_select(sql: str) -> str:
    """The statement if it is one SELECT (or WITH … SELECT); `QueryRefused` otherwise."""
    text = sql.strip().rstrip(";").strip()
    bare = _STRING_OR_COMMENT.sub("''", text)
    if ";" in bare:
        raise QueryRefused("Send one statement only: a single SELECT, without ';' between statements.")
    head = _LEADING.sub("", text).split(None, 1)
    first = head[0].upper() if head else ""
    if first not in ("SELECT", "WITH", "FROM", "VALUES", "TABLE"):
        raise QueryRefused(
            f"Only SELECT queries run on the mirror (got {first or 'nothing'}); e.g. "
            "SELECT month, sum(duration) / 3600 AS hours FROM entries GROUP BY month."
        )
    if re.search(r"\b(INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|ATTACH|COPY|INSTALL|LOAD|PRAGMA|SET)\b", bare, re.I):
        raise QueryRefused("The query may only read: no INSERT, UPDATE, DELETE, DDL, ATTACH, COPY, LOAD or SET.")
    return text


def run_query(
    url: str, sql: str, *, max_rows: int = DEFAULT_MAX_ROWS, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
) -> QueryResult:
    """Run one SELECT on a read-only connection, capped in rows and time."""
    statement = check_select(sql)
    with _reader(url) as reader:
        timer = threading.Timer(timeout_seconds, reader.interrupt)
        timer.start()
        try:
            columns, rows = reader.fetch(statement, max_rows)
        except Exception as error:
            if not timer.is_alive():
                raise QueryRefused(
                    f"The query ran longer than {timeout_seconds:g} s and was stopped: filter by month or "
                    "project, or aggregate (entry_months holds monthly sums)."
                ) from None
            raise QueryRefused(f"The mirror refused the query: {str(error).splitlines()[0]}") from None
        finally:
            timer.cancel()
    return QueryResult(columns, tuple(rows[:max_rows]), len(rows) > max_rows)


def _instant(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def mirror_status(url: str, clock: Clock, tables: Sequence[str] | None = None) -> MirrorStatus:
    """The last run, the lag behind the clock's now and the row count of every table."""
    with _reader(url) as reader:
        _, rows = reader.fetch('SELECT "key", "value" FROM "sync_state"')
        state = {str(k): str(v) for k, v in rows}
        counts = {}
        for name in [t.name for t in TABLES] if tables is None else tables:
            _, found = reader.fetch(f'SELECT count(*) FROM "{name}"')
            counts[name] = int(found[0][0])
    finished = _instant(state.get("last_run_finished_at"))
    requests = state.get("last_run_requests")
    return MirrorStatus(
        location=reader.location,
        schema_version=int(state.get("schema_version", "0")),
        since=state.get("since") or None,
        window_start=state.get("window_start") or None,
        backfill_complete=state.get("backfill_complete") == "1",
        last_run_started_at=_instant(state.get("last_run_started_at")),
        last_run_finished_at=finished,
        lag_seconds=None if finished is None else (clock.now() - finished).total_seconds(),
        last_run_requests=int(requests) if requests and requests.isdigit() else None,
        row_counts=counts,
        last_webhook_at=_instant(state.get("last_webhook_at")),
        webhook_events=int(state.get("webhook_events", "0") or "0"),
    )
