"""Where the mirror lives: a DuckDB file, a PostgreSQL schema or a directory of Parquet files.

All three speak the same small interface: open (check the schema version, create the tables), read the sync
state, and write inside a transaction (replace a table, delete a time range, merge rows on the primary key).
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import platformdirs

from clockodo_mcp.sync.schema import SCHEMA_VERSION, SYNC_STATE, TABLES, ColumnType, Table

Row = tuple[Any, ...]
_EXAMPLES = "duckdb:///path/mirror.duckdb, postgresql://user@host:5432/db?schema=clockodo or parquet:///path/dir"


class TargetError(Exception):
    """The target cannot be used as it is; the message says what to do. Nothing was written."""


def default_target_url() -> str:
    """A DuckDB file in the user data directory, next to the store and the audit log."""
    return "duckdb:///" + (platformdirs.user_data_path("clockodo-mcp") / "mirror.duckdb").as_posix().lstrip("/")


@dataclass(frozen=True, slots=True)
class TargetUrl:
    """A parsed `--to` value."""

    scheme: str  # duckdb, postgresql or parquet
    path: Path | None = None
    dsn: str = ""
    schema: str = "public"

    def describe(self) -> str:
        """The target for messages, without a password."""
        if self.path is not None:
            return f"{self.scheme}:///{self.path.as_posix().lstrip('/')}"
        parts = urlsplit(self.dsn)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"postgresql://{host}{port}{parts.path} (schema {self.schema})"


def parse_target_url(url: str) -> TargetUrl:
    """Parse `--to`; a `TargetError` with examples for anything else."""
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise TargetError(f"--to {url!r} is not a target URL. Use one of {_EXAMPLES}.")
    if scheme in ("postgres", "postgresql"):
        parts = urlsplit(text)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((value for key, value in query if key == "schema"), "public")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema):
            raise TargetError(f"--to: the schema {schema!r} must be a plain SQL name (letters, digits, _).")
        rest_query = urlencode([(k, v) for k, v in query if k != "schema"])
        dsn = urlunsplit(("postgresql", parts.netloc, parts.path, rest_query, ""))
        return TargetUrl("postgresql", dsn=dsn, schema=schema)
    if scheme in ("duckdb", "parquet"):
        if not rest.startswith("/") or rest in ("/", ""):
            raise TargetError(
                f"--to {url!r} must name an absolute path after {scheme}://, e.g. {scheme}:///home/you/clockodo"
                + (".duckdb" if scheme == "duckdb" else "")
            )
        return TargetUrl(scheme, path=Path(os.path.expanduser(rest)))
    raise TargetError(f"--to {url!r} has the unknown scheme {scheme!r}. Use one of {_EXAMPLES}.")


def open_target(url: str) -> Target:
    """The target a URL names (not yet opened)."""
    parsed = parse_target_url(url)
    if parsed.scheme == "postgresql":
        return PostgresTarget(parsed)
    if parsed.scheme == "parquet":
        return ParquetTarget(parsed)
    return DuckDBTarget(parsed)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Writer(ABC):
    """What may happen inside one transaction."""

    @abstractmethod
    def replace(self, table: Table, rows: Sequence[Row]) -> None:
        """Make `rows` the whole content of `table`."""

    @abstractmethod
    def delete_range(self, table: Table, column: str, since: str, until: str) -> None:
        """Delete the rows whose `column` lies in [since, until) (ISO values)."""

    @abstractmethod
    def merge(self, table: Table, rows: Sequence[Row]) -> None:
        """Insert `rows`, replacing rows with the same primary key."""

    @abstractmethod
    def delete_keys(self, table: Table, keys: Sequence[Row]) -> None:
        """Delete the rows with these primary keys (a key that is not there is no error)."""

    def insert_items(self, table: Table, items: Sequence[Mapping[str, Any]]) -> None:
        """Write objects carrying every column by name; a key may still exist elsewhere until `settle`."""
        names = table.column_names
        self.merge(table, [tuple(map(item.get, names)) for item in items])

    def settle(self, table: Table, column: str, since: str, until: str) -> None:
        """After `insert_items` for rows with `column` in [since, until): drop the other copies of their keys."""
        del table, column, since, until  # `merge` (the default `insert_items`) replaced them already

    def set_state(self, values: Mapping[str, str | None], now: str) -> None:
        """Merge sync-state values (None deletes nothing: it stores an empty value)."""
        self.merge(SYNC_STATE, [(key, "" if value is None else value, now) for key, value in values.items()])


class Target(ABC):
    """A mirror: opened once per run, then read and written in transactions."""

    def __init__(self, url: TargetUrl) -> None:
        self.url = url
        self.location = url.describe()

    @abstractmethod
    def open(self) -> None:
        """Connect, refuse an incompatible schema version, create missing tables."""

    @abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[Writer]:
        """One atomic unit of writes: all of it lands, or none."""

    @abstractmethod
    def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Rows of a read query (`%s` placeholders)."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def read_state(self) -> dict[str, str]:
        """The sync state as key → value."""
        return {str(k): str(v) for k, v in self.fetch('SELECT "key", "value" FROM "sync_state"')}

    def mirror_sums(self, second: str, since: str, until: str) -> dict[tuple[str, int, int], tuple[int, float]]:
        """The mirror's (duration, revenue) per month × project × `second` (users_id or billable), in [since, until)."""
        if second not in ("users_id", "billable"):
            raise ValueError(second)
        rows = self.fetch(
            f'SELECT "month", COALESCE("projects_id", 0), "{second}", '
            'SUM(CASE WHEN "type" = 1 THEN COALESCE("duration", 0) ELSE 0 END), COALESCE(SUM("revenue"), 0) '
            'FROM "entries" WHERE "time_since" >= CAST(%s AS TIMESTAMPTZ) AND "time_since" < CAST(%s AS TIMESTAMPTZ) '
            "GROUP BY 1, 2, 3",
            (since, until),
        )
        return {(str(m), int(p), int(k)): (int(d), float(r)) for m, p, k, d, r in rows}

    def _check_version(self, state: dict[str, str]) -> None:
        found = state.get("schema_version")
        if found is None:
            raise TargetError(
                f"{self.location} has a sync_state table without a schema version, so it is not a clockodo-mcp "
                "mirror: sync to an empty database, schema or directory instead."
            )
        if not found.isdigit() or int(found) > SCHEMA_VERSION:
            raise TargetError(
                f"{self.location} holds a mirror of warehouse schema version {found}, newer than the version "
                f"{SCHEMA_VERSION} this clockodo-mcp writes. Upgrade clockodo-mcp (pip install -U "
                "'clockodo-mcp[sync]'), or sync to a new target. Nothing was changed."
            )


# --- SQL targets -------------------------------------------------------------------------------------------------


class _SqlTarget(Target):
    """Shared DDL and merge logic of DuckDB and PostgreSQL."""

    types: Mapping[ColumnType, str]
    primary_keys = True

    def ddl(self, table: Table) -> str:
        """CREATE TABLE for one table."""
        columns = [f"{_quote(c.name)} {self.types[c.type]}" for c in table.columns]
        if self.primary_keys:
            columns.append(f"PRIMARY KEY ({', '.join(_quote(k) for k in table.key)})")
        return f"CREATE TABLE IF NOT EXISTS {_quote(table.name)} ({', '.join(columns)})"

    @abstractmethod
    def existing_tables(self) -> set[str]:
        """Names of the tables already there."""

    @abstractmethod
    def load_stage(self, name: str, table: Table, rows: Sequence[Row]) -> None:
        """Put `rows` into a new temporary table `name` shaped like `table`."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run one statement (`%s` placeholders)."""

    def open_tables(self) -> None:
        """Check the version of an existing mirror, then create what is missing, in one transaction."""
        existing = self.existing_tables()
        ours = {t.name for t in TABLES}
        if existing & ours:
            if "sync_state" not in existing:
                clash = ", ".join(sorted(existing & ours))
                raise TargetError(
                    f"{self.location} already has tables named {clash} but no sync_state, so they are not a "
                    "clockodo-mcp mirror: choose an empty database or another schema (?schema=clockodo)."
                )
            self._check_version(self.read_state())
        with self.transaction() as writer:
            for table in TABLES:
                self.execute(self.ddl(table))
            if "sync_state" not in existing:
                writer.set_state({"schema_version": str(SCHEMA_VERSION)}, _epoch_iso())


def _epoch_iso() -> str:
    return "1970-01-01T00:00:00Z"


class _SqlWriter(Writer):
    def __init__(self, target: _SqlTarget) -> None:
        self.t = target

    def _stage(self, table: Table, rows: Sequence[Row]) -> str:
        name = f"stage_{table.name}_{uuid.uuid4().hex[:8]}"
        self.t.load_stage(name, table, rows)
        return name

    def replace(self, table: Table, rows: Sequence[Row]) -> None:
        self.t.execute(f"DELETE FROM {_quote(table.name)}")
        if rows:
            self.merge(table, rows, fresh=True)

    def delete_range(self, table: Table, column: str, since: str, until: str) -> None:
        kind = self.t.types[next(c.type for c in table.columns if c.name == column)]
        self.t.execute(
            f"DELETE FROM {_quote(table.name)} WHERE {_quote(column)} >= CAST(%s AS {kind}) "
            f"AND {_quote(column)} < CAST(%s AS {kind})",
            (since, until),
        )

    def delete_keys(self, table: Table, keys: Sequence[Row]) -> None:
        match = " AND ".join(f"{_quote(k)} = %s" for k in table.key)
        for key in keys:
            self.t.execute(f"DELETE FROM {_quote(table.name)} WHERE {match}", key)

    def merge(self, table: Table, rows: Sequence[Row], fresh: bool = False) -> None:
        if not rows:
            return
        stage = self._stage(table, rows)
        if not fresh:
            match = " AND ".join(f"t.{_quote(k)} = s.{_quote(k)}" for k in table.key)
            self.t.execute(f"DELETE FROM {_quote(table.name)} t USING {stage} s WHERE {match}")
        self.t.execute(f"INSERT INTO {_quote(table.name)} SELECT * FROM {stage}")
        self.t.execute(f"DROP TABLE {stage}")


class _DuckDBWriter(_SqlWriter):
    """Entry pages go straight from Arrow into the table; one statement per pull then removes stale copies."""

    t: DuckDBTarget
    BATCH_ROWS = 10_000  # one INSERT per ten pages: a third of the cost of one per page

    def __init__(self, target: DuckDBTarget) -> None:
        super().__init__(target)
        self._pending: list[Any] = []
        self._pending_rows = 0
        self._pending_table: Table | None = None

    def insert_items(self, table: Table, items: Sequence[Mapping[str, Any]]) -> None:
        if not items:
            return
        if self._pending_table is not None and self._pending_table is not table:
            self.flush()
        self._pending.append(self.t.arrow_from_items(table, items))
        self._pending_rows += len(items)
        self._pending_table = table
        if self._pending_rows >= self.BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the buffered pages."""
        if self._pending_table is not None and self._pending:
            import pyarrow as pa

            self.t.insert_arrow(self._pending_table, pa.concat_tables(self._pending))
        self._pending, self._pending_rows, self._pending_table = [], 0, None

    def delete_keys(self, table: Table, keys: Sequence[Row]) -> None:
        self.flush()
        self.t.touched(table.name)
        super().delete_keys(table, keys)

    def settle(self, table: Table, column: str, since: str, until: str) -> None:
        self.flush()
        key = _quote(table.key[0])
        col = _quote(column)
        name = _quote(table.name)
        in_range = f"{col} >= CAST(? AS TIMESTAMPTZ) AND {col} < CAST(? AS TIMESTAMPTZ)"
        con = self.t.connection
        self.t.touched(table.name)
        # An entry that moved into the range from elsewhere: its old copy goes.
        con.execute(
            f"DELETE FROM {name} WHERE NOT ({in_range}) AND {key} IN (SELECT {key} FROM {name} WHERE {in_range})",
            [since, until, since, until],
        )
        # An entry seen twice while pages shifted under a concurrent change: one copy stays.
        con.execute(
            f"DELETE FROM {name} WHERE rowid IN (SELECT rowid FROM (SELECT rowid, row_number() OVER "
            f"(PARTITION BY {key}) AS n FROM {name} WHERE {in_range}) WHERE n > 1)",
            [since, until],
        )


class DuckDBTarget(_SqlTarget):
    """A DuckDB file (the default): one connection, one writer."""

    types: Mapping[ColumnType, str] = {
        "int": "BIGINT",
        "float": "DOUBLE",
        "money": "DECIMAL(18,6)",
        "text": "VARCHAR",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMPTZ",
        "json": "VARCHAR",
    }
    # DuckDB checks unique indexes eagerly inside a transaction (a delete then insert of one key can trip it); the
    # merge keeps keys unique itself, and docs/warehouse.md names each table's key.
    primary_keys = False

    def __init__(self, url: TargetUrl) -> None:
        super().__init__(url)
        self._con: Any = None

    def _connect(self) -> Any:
        import duckdb

        assert self.url.path is not None
        path = self.url.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return duckdb.connect(str(path))
        except (OSError, duckdb.Error) as error:
            raise TargetError(
                f"Cannot open the DuckDB file {path}: {error}. Check that the directory is writable and that no other "
                "program holds the file open (DuckDB allows one writer), or pass another --to duckdb:///path."
            ) from None

    def open(self) -> None:
        self._con = self._connect()
        self._con.execute("SET TimeZone = 'UTC'")
        self.open_tables()

    def existing_tables(self) -> set[str]:
        rows = self._con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
        return {str(r[0]) for r in rows.fetchall()}

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self._con.execute(sql.replace("%s", "?"), list(params))

    def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return [tuple(r) for r in self._con.execute(sql.replace("%s", "?"), list(params)).fetchall()]

    @property
    def connection(self) -> Any:
        """The open DuckDB connection."""
        return self._con

    def arrow_schema(self, table: Table) -> Any:
        """Arrow types for a table's rows as they come in: numbers, booleans, and ISO text for dates and times."""
        import pyarrow as pa

        kinds = {"int": pa.int64(), "float": pa.float64(), "money": pa.float64(), "bool": pa.bool_()}
        return pa.schema([(c.name, kinds.get(c.type, pa.string())) for c in table.columns])

    def arrow_from_items(self, table: Table, items: Sequence[Mapping[str, Any]]) -> Any:
        """An Arrow table from objects keyed by column name (built in C++: the fast path for entry pages)."""
        import pyarrow as pa

        return pa.Table.from_pylist(list(items), schema=self.arrow_schema(table))

    def _select_cast(self, table: Table) -> str:
        return ", ".join(f"CAST({_quote(c.name)} AS {self.types[c.type]}) AS {_quote(c.name)}" for c in table.columns)

    def insert_arrow(self, table: Table, batch: Any) -> None:
        """Append an Arrow table, casting ISO text to dates and timestamps."""
        self.touched(table.name)
        view = f"arrow_{uuid.uuid4().hex[:8]}"
        self._con.register(view, batch)
        try:
            self._con.execute(f"INSERT INTO {_quote(table.name)} SELECT {self._select_cast(table)} FROM {view}")
        finally:
            self._con.unregister(view)

    def load_stage(self, name: str, table: Table, rows: Sequence[Row]) -> None:
        """Rows → an Arrow table → a typed temporary table (DuckDB casts ISO text to dates and timestamps)."""
        import pyarrow as pa

        schema = self.arrow_schema(table)
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in table.columns]
        arrays = [pa.array(values, type=field.type) for field, values in zip(schema, columns, strict=True)]
        batch = pa.Table.from_arrays(arrays, schema=schema)
        view = f"{name}_arrow"
        self._con.register(view, batch)
        self._con.execute(f"CREATE TEMP TABLE {name} AS SELECT {self._select_cast(table)} FROM {view}")
        self._con.unregister(view)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Writer]:
        self._con.execute("BEGIN TRANSACTION")
        writer = _DuckDBWriter(self)
        try:
            yield writer
            writer.flush()
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")
        self.committed()

    def touched(self, table: str) -> None:
        """Called for every table a transaction writes (Parquet rewrites those files)."""

    def committed(self) -> None:
        """Called after each commit (Parquet exports here)."""

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


class ParquetTarget(DuckDBTarget):
    """A directory with one Parquet file per table, worked on in an in-memory DuckDB.

    Each commit rewrites the files of the tables it touched, each through a temporary file and an atomic rename,
    sync_state last: a reader sees every table whole, and a crash leaves the previous files in place.
    """

    def __init__(self, url: TargetUrl) -> None:
        super().__init__(url)
        self._dirty: set[str] = set()

    def _connect(self) -> Any:
        import duckdb

        assert self.url.path is not None
        directory = self.url.path
        try:
            directory.mkdir(parents=True, exist_ok=True)
            probe = directory / f".write-test-{uuid.uuid4().hex[:8]}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise TargetError(
                f"The Parquet directory {directory} is not writable ({error.strerror or error}). Make it writable "
                "(chmod u+w) or pass another --to parquet:///dir. Nothing was written."
            ) from None
        return duckdb.connect(":memory:")

    def _file(self, table: str) -> Path:
        assert self.url.path is not None
        return self.url.path / f"{table}.parquet"

    def existing_tables(self) -> set[str]:
        return {t.name for t in TABLES if self._file(t.name).exists()}

    def open_tables(self) -> None:
        existing = self.existing_tables()
        for table in TABLES:
            self._con.execute(DuckDBTarget.ddl(self, table))
            if table.name in existing:
                path = str(self._file(table.name)).replace("'", "''")
                try:
                    self._con.execute(f"INSERT INTO {_quote(table.name)} SELECT * FROM read_parquet('{path}')")
                except Exception as error:
                    raise TargetError(
                        f"{self._file(table.name)} is not a Parquet file of this mirror's schema ({error}). Move the "
                        "directory aside or pass another --to parquet:///dir."
                    ) from None
        if existing and "sync_state" not in existing:
            raise TargetError(
                f"{self.location} has Parquet files named like the mirror's tables but no sync_state.parquet, so "
                "it is not a clockodo-mcp mirror: pass an empty directory."
            )
        if "sync_state" in existing:
            self._check_version(self.read_state())
        # Every table has a file from the start (empty until written), so BI tools find the whole schema.
        self._dirty |= {t.name for t in TABLES} - existing
        if "sync_state" not in existing:
            with self.transaction() as writer:
                writer.set_state({"schema_version": str(SCHEMA_VERSION)}, _epoch_iso())

    def touched(self, table: str) -> None:
        self._dirty.add(table)

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        for table in TABLES:
            if sql.startswith(("DELETE FROM", "INSERT INTO")) and f" {_quote(table.name)} " in f" {sql} ":
                self._dirty.add(table.name)
        super().execute(sql, params)

    def committed(self) -> None:
        order = sorted(self._dirty, key=lambda name: name == "sync_state")
        self._dirty.clear()
        for name in order:
            final = self._file(name)
            temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
            quoted = str(temporary).replace("'", "''")
            self._con.execute(f"COPY {_quote(name)} TO '{quoted}' (FORMAT parquet)")
            os.replace(temporary, final)


class PostgresTarget(_SqlTarget):
    """A schema in a PostgreSQL database, written with psycopg 3 (COPY into a staging table, then merge)."""

    types: Mapping[ColumnType, str] = {
        "int": "BIGINT",
        "float": "DOUBLE PRECISION",
        "money": "NUMERIC(18,6)",
        "text": "TEXT",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMPTZ",
        "json": "JSONB",
    }

    def __init__(self, url: TargetUrl) -> None:
        super().__init__(url)
        self._conn: Any = None

    def open(self) -> None:
        import psycopg

        try:
            self._conn = psycopg.connect(self.url.dsn, connect_timeout=10, autocommit=True)
        except psycopg.Error as error:
            reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
            raise TargetError(
                f"Cannot connect to PostgreSQL at {self.location}: {reason}. Start the server, or fix host, port, "
                "user, password or database in --to postgresql://user:password@host:5432/db. Nothing was written."
            ) from None
        self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(self.url.schema)}")
        self._conn.execute(f"SET search_path TO {_quote(self.url.schema)}")
        self.open_tables()

    def existing_tables(self) -> set[str]:
        rows = self._conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (self.url.schema,)
        ).fetchall()
        return {str(r[0]) for r in rows}

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self._conn.execute(sql, params or None)

    def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return [tuple(r) for r in self._conn.execute(sql, params or None).fetchall()]

    def load_stage(self, name: str, table: Table, rows: Sequence[Row]) -> None:
        """COPY the rows into a temporary table shaped like the target table."""
        self._conn.execute(f"CREATE TEMP TABLE {name} (LIKE {_quote(table.name)}) ON COMMIT DROP")
        columns = ", ".join(_quote(c) for c in table.column_names)
        with self._conn.cursor().copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Writer]:
        with self._conn.transaction():
            yield _SqlWriter(self)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
