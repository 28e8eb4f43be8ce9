"""The shared store: PostgreSQL, for several replicas of one endpoint (`postgresql://…?schema=name`).

Single use across replicas rests on PostgreSQL's unique indexes: a token's nonce is the primary key of the ledger and
is spent in the same transaction that records the change, so of two replicas confirming one token exactly one commits;
the other's insert waits for the first transaction, fails on the key, and then reads which change won. The same holds
for the one live undo per change (a partial unique index). Connections come from one `psycopg_pool` pool per process,
which the PostgreSQL audit log shares (`connection()`).

Unlike the embedded SQLite store, this one never changes its schema by itself: `clockodo-mcp store migrate` creates
and upgrades it (replicas of two versions must not race to migrate), and a store whose schema is missing, older or
newer than this code is refused with the command that fixes it.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import psycopg
import psycopg.errors
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from clockodo_mcp.audit.pg_schema import AUDIT_SCHEMA
from clockodo_mcp.clock import SYSTEM_CLOCK
from clockodo_mcp.store.base import (
    CHANGE_STATUSES,
    LIVE,
    UNSETTLED,
    AlreadyUndone,
    Anchor,
    Change,
    ChangeStatus,
    NewChange,
    NonceSpent,
    Principal,
    PrincipalExists,
    SpentNonce,
    Step,
    StoreError,
    StoreInfo,
    StoreSchemaError,
    StoreUnavailable,
    UndoneBy,
)
from clockodo_mcp.store.url import ENV_STORE, MASK, PostgresStoreUrl

SCHEMA_VERSION = 1
# Spent nonces are kept this long past their token's expiry, so a clock stepped back cannot revive a token.
NONCE_RETENTION = timedelta(days=1)
POOL_MAX_SIZE = 20  # per process: more than the store calls one replica has in flight
# Advisory lock classes (the first key of the two-key form), so our locks never meet another application's.
_MIGRATE_LOCK = 0x636C6F63
_RATE_LOCK = 0x636C6F64
T = TypeVar("T")
Connection = psycopg.Connection[Any]

_STATUS_CHECK = ", ".join(f"'{s}'" for s in CHANGE_STATUSES)
_LIVE_CHECK = ", ".join(f"'{s}'" for s in LIVE)
# Version 1 is the whole schema of SQLite's v4 (JSON as canonical text, exactly as SQLite keeps it; times as
# timestamptz) plus the audit chain's tables. `seq` orders changes recorded in the same microsecond, as rowid does.
_SCHEMA_V1: tuple[str, ...] = (
    """
    CREATE TABLE nonces (
        nonce TEXT NOT NULL,
        tool TEXT NOT NULL,
        change_id TEXT NOT NULL,
        spent_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT nonces_pkey PRIMARY KEY (nonce)
    )
    """,
    "CREATE INDEX nonces_by_expiry ON nonces (expires_at)",
    f"""
    CREATE TABLE changes (
        change_id TEXT NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        tool TEXT NOT NULL,
        args TEXT NOT NULL,
        before TEXT NOT NULL,
        planned TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ({_STATUS_CHECK})),
        confirmed_by TEXT NOT NULL,
        nonce TEXT,
        result TEXT,
        undo TEXT,
        error TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        summary TEXT,
        undoes TEXT,
        expect TEXT,
        owner TEXT,
        principal TEXT,
        CONSTRAINT changes_pkey PRIMARY KEY (change_id),
        CONSTRAINT changes_nonce_key UNIQUE (nonce)
    )
    """,
    "CREATE INDEX changes_by_status ON changes (status)",
    "CREATE INDEX changes_by_created ON changes (created_at, seq)",
    "CREATE INDEX changes_by_tool ON changes (tool, created_at, seq)",
    # At most one live undo per change, whatever the replica: the loser of a race fails on this index.
    "CREATE UNIQUE INDEX changes_one_live_undo ON changes (undoes)"
    f" WHERE undoes IS NOT NULL AND status IN ({_LIVE_CHECK})",
    "CREATE INDEX changes_by_undoes ON changes (undoes) WHERE undoes IS NOT NULL",
    """
    CREATE TABLE change_steps (
        change_id TEXT NOT NULL,
        step INTEGER NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT,
        updated_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT change_steps_pkey PRIMARY KEY (change_id, step),
        CONSTRAINT change_steps_change_fkey FOREIGN KEY (change_id) REFERENCES changes (change_id)
    )
    """,
    """
    CREATE TABLE audit_anchor (
        log TEXT PRIMARY KEY,
        seq BIGINT NOT NULL CHECK (seq >= 0),
        hash TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE TABLE principals (
        name TEXT NOT NULL,
        api_user TEXT NOT NULL,
        key_sealed TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT principals_pkey PRIMARY KEY (name),
        CONSTRAINT principals_token_hash_key UNIQUE (token_hash)
    )
    """,
    # One row per request admitted, kept for the longest window; admissions of one bucket are serialized by an
    # advisory lock, so a count and the insert that follows it cannot interleave with another replica's.
    "CREATE TABLE rate_requests (bucket TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)",
    "CREATE INDEX rate_requests_by_bucket ON rate_requests (bucket, at)",
    *AUDIT_SCHEMA,
)
# Each entry brings a store from the version before it to its own; a store newer than the last is refused.
_MIGRATIONS: dict[int, tuple[str, ...]] = {1: _SCHEMA_V1}
assert sorted(_MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))
# (table, privilege) pairs the server needs, for `info()`'s writability check.
_NEEDED = tuple(
    (table, privilege)
    for table, privileges in (
        ("nonces", ("INSERT", "DELETE")),
        ("changes", ("INSERT", "UPDATE")),
        ("change_steps", ("INSERT", "UPDATE")),
        ("audit_anchor", ("INSERT", "UPDATE")),
        ("principals", ("INSERT", "DELETE")),
        ("rate_requests", ("INSERT", "DELETE")),
        ("audit_records", ("INSERT",)),
        ("audit_heads", ("INSERT", "UPDATE")),
    )
    for privilege in privileges
)


class _Conflict(StoreError):
    """A unique or foreign key refused a write; `begin_change` and friends turn it into what the caller expects."""

    def __init__(self, constraint: str) -> None:
        super().__init__(f"the store refused a conflicting write ({constraint}); nothing was recorded")
        self.constraint = constraint


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("store timestamps must be aware datetimes")
    return moment.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)  # whatever the session's TimeZone, times leave the store in UTC


def _dump(value: Any) -> str:
    # The same canonical text as the SQLite store: key order, numbers and strings come back exactly as given.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class PostgresStore:
    """The `Store` in a PostgreSQL schema, shared by every replica; opened lazily, thread-safe (one pool)."""

    backend = "postgresql"

    def __init__(
        self,
        url: PostgresStoreUrl,
        *,
        now: Callable[[], datetime] = SYSTEM_CLOCK.now,
        max_size: int = POOL_MAX_SIZE,
    ) -> None:
        self.url = url
        self._now = now
        self._max_size = max_size
        self._lock = threading.Lock()
        self._pool: ConnectionPool[Connection] | None = None
        self._version = 0
        self._opens_failed = 0
        self._open_error: StoreError | None = None

    @property
    def location(self) -> str:
        """The URL with its password masked."""
        return self.url.location

    def exists(self) -> bool:
        """Always: a PostgreSQL store is made by `store migrate`, never by a read, so a read reports what is wrong."""
        return True

    # -- connections and schema -----------------------------------------------------------------------------

    def _scrub(self, error: BaseException) -> str:
        text = " ".join(line.strip() for line in str(error).splitlines() if line.strip()) or type(error).__name__
        for secret in self.url.secrets:
            text = text.replace(secret, MASK)
        return text

    def _unavailable(self, error: BaseException) -> StoreUnavailable:
        reason = self._scrub(error)
        sqlstate = getattr(error, "sqlstate", None) or ""
        if sqlstate.startswith("40"):  # a deadlock or serialization failure: rolled back, so nothing was recorded
            return StoreUnavailable(
                f"the store {self.location} rolled the transaction back ({reason}); nothing was recorded, try again"
            )
        if sqlstate and not sqlstate.startswith(("08", "57", "53")):  # the server answered, and refused
            return StoreUnavailable(
                f"the store {self.location} refused the operation ({reason}); check that the user of {ENV_STORE} (or "
                f"--store) may use and write the schema {self.url.schema}"
            )
        return StoreUnavailable(  # no answer: refused, unreachable, timed out, shut down, out of connections
            f"the store {self.location} cannot be used ({reason}); is PostgreSQL running at {self.url.endpoint}, and "
            f"do the user, password and database match it? Check {ENV_STORE} (or --store)"
        )

    def _migrate_hint(self) -> str:
        return f"run `clockodo-mcp store migrate --store '{self.location}'`"

    def _check_schema(self, conn: Connection) -> int:
        row = conn.execute("SELECT current_schema(), to_regclass('schema_version') IS NOT NULL").fetchone()
        assert row is not None
        if row[0] is None:  # search_path names a schema this user cannot see: missing, or no USAGE on it
            if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.url.schema,)).fetchone():
                raise StoreSchemaError(
                    f"the user of the store {self.location} may not use its schema {self.url.schema}: GRANT USAGE ON "
                    "SCHEMA and SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA to that user"
                )
            raise StoreSchemaError(
                f"the store {self.location} has no schema {self.url.schema} yet: {self._migrate_hint()} to create it"
            )
        version = 0
        if row[1]:
            found = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            version = int(found[0]) if found and found[0] is not None else 0
        if version > SCHEMA_VERSION:
            raise StoreSchemaError(
                f"the store {self.location} has schema version {version}, newer than this clockodo-mcp knows "
                f"({SCHEMA_VERSION}): it was migrated by a newer version. Upgrade clockodo-mcp on this replica"
            )
        if version < SCHEMA_VERSION:
            state = "has no clockodo-mcp tables" if version == 0 else f"has the old schema version {version}"
            raise StoreSchemaError(
                f"the store {self.location} (schema {self.url.schema}) {state}; {self._migrate_hint()} "
                f"(PostgreSQL stores are migrated only by that command)"
            )
        return version

    def _probe(self) -> int:
        # One plain connection first: its failure says why (refused, authentication, no such database) at once,
        # where a pool would only time out, and the schema is checked before any call relies on it.
        try:
            with psycopg.connect(self.url.conninfo, autocommit=True) as conn:
                return self._check_schema(conn)
        except psycopg.Error as error:
            raise self._unavailable(error) from error

    def _open(self) -> ConnectionPool[Connection]:
        pool = self._pool
        if pool is not None:
            return pool
        failed_before = self._opens_failed
        with self._lock:
            if self._pool is not None:
                return self._pool
            if self._opens_failed != failed_before and self._open_error is not None:
                # Another thread's attempt failed while this one waited for it: one probe per outage, not one each.
                raise type(self._open_error)(str(self._open_error))
            try:
                self._version = self._probe()
                pool = ConnectionPool(
                    self.url.conninfo,
                    min_size=1,
                    max_size=self._max_size,
                    open=False,
                    timeout=float(self.url.connect_timeout),
                    check=ConnectionPool.check_connection,  # a connection the server dropped is replaced, not used
                    name="clockodo-mcp-store",
                )
                pool.open(wait=False)
            except StoreError as error:
                self._opens_failed += 1
                self._open_error = error
                raise
            self._open_error = None
            self._pool = pool
            return pool

    def _drop(self, pool: ConnectionPool[Connection]) -> None:
        # The server went away: the next call starts over with a probe (prompt errors while it is down, a fresh
        # pool at once when it is back) instead of waiting out the pool's reconnection backoff.
        with self._lock:
            if self._pool is not pool:
                return
            self._pool = None
        threading.Thread(target=pool.close, name="clockodo-mcp-store-close", daemon=True).start()

    @property
    def pool(self) -> ConnectionPool[Connection]:
        """The process's connection pool now (opened and the schema checked on first use).

        After an outage the store starts a new pool: whoever shares it should hold `connection`, not this pool.
        """
        return self._open()

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection of the store's pool for one block (the audit log's tables live in the same schema).

        Committed after the block, rolled back after an error, as `ConnectionPool.connection()` does. Getting one fails
        with `StoreUnavailable`; errors inside the block are the caller's (psycopg's own).
        """
        pool, conn = self._checkout()
        try:
            with conn:
                yield conn
        finally:
            lost = conn.broken or conn.closed
            pool.putconn(conn)  # a broken connection is discarded by the pool
            if lost:
                self._drop(pool)

    def _checkout(self) -> tuple[ConnectionPool[Connection], Connection]:
        pool = self._open()
        try:
            return pool, pool.getconn()
        except PoolClosed as error:
            if self._pool is pool:
                raise self._unavailable(error) from error
        except PoolTimeout as error:
            self._drop(pool)
            raise self._unavailable(error) from error
        # Another thread dropped that pool meanwhile (or closed the store): once more, with the one that replaces it.
        pool = self._open()
        try:
            return pool, pool.getconn()
        except (PoolClosed, PoolTimeout) as error:
            self._drop(pool)
            raise self._unavailable(error) from error

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with self.connection() as conn, conn.transaction():
                yield conn
        except (psycopg.errors.UniqueViolation, psycopg.errors.ForeignKeyViolation) as error:
            raise _Conflict(error.diag.constraint_name or error.sqlstate or "") from error
        except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName) as error:
            raise StoreSchemaError(
                f"the store {self.location} lost its tables ({self._scrub(error)}); {self._migrate_hint()}"
            ) from error
        except psycopg.Error as error:
            raise self._unavailable(error) from error

    def _read(self, fn: Callable[[Connection], T]) -> T:
        with self._transaction() as conn:
            return fn(conn)

    def schema_version(self) -> int:
        """The schema version; `StoreSchemaError` unless `store migrate` brought it to this code's, `StoreUnavailable`
        when the server cannot be reached."""
        self._open()
        return self._version

    def migrate(self) -> tuple[int, int]:
        """Create or upgrade the schema in one transaction (concurrent runs wait for each other); (before, after)."""
        schema = self.url.schema
        try:
            with psycopg.connect(self.url.conninfo, autocommit=True) as conn, conn.transaction():
                conn.execute(f"SELECT pg_advisory_xact_lock({_MIGRATE_LOCK}, hashtext(%s))", (schema,))
                if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is None:
                    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version"
                    " (version INTEGER PRIMARY KEY, migrated_at TIMESTAMPTZ NOT NULL)"
                )
                row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
                before = int(row[0]) if row else 0
                if before > SCHEMA_VERSION:
                    raise StoreSchemaError(
                        f"the store {self.location} has schema version {before}, newer than this clockodo-mcp knows "
                        f"({SCHEMA_VERSION}): it was migrated by a newer version. Upgrade clockodo-mcp; nothing was "
                        "changed"
                    )
                for target in range(before + 1, SCHEMA_VERSION + 1):
                    for statement in _MIGRATIONS[target]:
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_version (version, migrated_at) VALUES (%s, %s)",
                        (target, _aware(self._now())),
                    )
        except psycopg.Error as error:
            raise self._unavailable(error) from error
        return before, SCHEMA_VERSION

    def close(self) -> None:
        """Close the pool; the next call opens a new one."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __del__(self) -> None:
        # A store dropped without close() (a Runtime never entered, a CLI error path) still lets its connections go.
        pool = getattr(self, "_pool", None)
        if pool is not None:
            with contextlib.suppress(Exception):
                pool.close(timeout=0)

    # -- nonce ledger and journal ---------------------------------------------------------------------------

    def spent_nonce(self, nonce: str) -> SpentNonce | None:
        """The ledger row of a spent nonce, or None."""
        return self._read(lambda conn: _find_spent(conn, nonce))

    def begin_change(self, change: NewChange) -> None:
        """Spend the nonce and record the change as `applying`, in one transaction."""
        if change.nonce is not None and change.nonce_expires_at is None:
            raise ValueError("a spent nonce needs its token's expiry")
        now = _aware(self._now())
        row = (
            change.change_id,
            change.tool,
            _dump(change.args),
            _dump(change.before),
            _dump(change.planned),
            change.confirmed_by,
            change.nonce,
            now,
            now,
            change.summary,
            change.undoes,
            _dump(change.expect) if change.expect is not None else None,
            change.owner,
            change.principal,
        )
        try:
            with self._transaction() as conn:
                conn.execute("DELETE FROM nonces WHERE expires_at < %s", (now - NONCE_RETENTION,))
                if change.nonce is not None and change.nonce_expires_at is not None:
                    spent = _find_spent(conn, change.nonce)
                    if spent is not None:
                        raise NonceSpent(spent)
                    # A replica spending it at the same moment makes this insert wait, then fail on the key.
                    conn.execute(
                        "INSERT INTO nonces (nonce, tool, change_id, spent_at, expires_at) VALUES (%s, %s, %s, %s, %s)",
                        (change.nonce, change.tool, change.change_id, now, _aware(change.nonce_expires_at)),
                    )
                if change.undoes is not None:
                    by = _live_undo(conn, change.undoes)
                    if by is not None:
                        raise AlreadyUndone(change.undoes, by)
                conn.execute(
                    "INSERT INTO changes (change_id, tool, args, before, planned, status, confirmed_by, nonce,"
                    " created_at, updated_at, summary, undoes, expect, owner, principal)"
                    " VALUES (%s, %s, %s, %s, %s, 'applying', %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    row,
                )
        except _Conflict as conflict:
            # The loser of a race: the winner has committed, so it can be named.
            if conflict.constraint in ("nonces_pkey", "changes_nonce_key") and change.nonce is not None:
                spent = self.spent_nonce(change.nonce)
                if spent is not None:
                    raise NonceSpent(spent) from None
            elif conflict.constraint == "changes_one_live_undo" and change.undoes is not None:
                target = change.undoes
                by = self._read(lambda conn: _live_undo(conn, target))
                if by is not None:
                    raise AlreadyUndone(target, by) from None
            elif conflict.constraint == "changes_pkey":
                raise StoreError(f"the journal has a change {change.change_id} already; nothing was recorded") from None
            raise

    def finish_change(
        self,
        change_id: str,
        status: ChangeStatus,
        *,
        result: Any = None,
        undo: Any = None,
        error: str | None = None,
        only_if: tuple[ChangeStatus, ...] | None = None,
    ) -> bool:
        """Record a change's outcome; with `only_if`, only while its status is one of those (False otherwise)."""
        if status not in CHANGE_STATUSES or status == "applying":
            raise ValueError(f"not a final change status: {status!r}")
        result_text, undo_text = _dump(result), _dump(undo)
        with self._transaction() as conn:
            row = conn.execute("SELECT status FROM changes WHERE change_id = %s FOR UPDATE", (change_id,)).fetchone()
            if row is None:
                raise StoreError(f"the journal has no change {change_id}")
            if only_if is not None and row[0] not in only_if:
                return False
            conn.execute(
                "UPDATE changes SET status = %s, result = %s, undo = %s, error = %s, updated_at = %s"
                " WHERE change_id = %s",
                (status, result_text, undo_text, error, _aware(self._now()), change_id),
            )
        return True

    def record_step(self, change_id: str, index: int, name: str, status: str, detail: Any = None) -> None:
        """Insert or update one step of a multi-step change."""
        try:
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO change_steps (change_id, step, name, status, detail, updated_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (change_id, step) DO UPDATE SET name = excluded.name,"
                    " status = excluded.status, detail = excluded.detail, updated_at = excluded.updated_at",
                    (change_id, index, name, status, _dump(detail), _aware(self._now())),
                )
        except _Conflict:
            raise StoreError(f"the journal has no change {change_id} to record a step of") from None

    def get_change(self, change_id: str) -> Change | None:
        """One change with its steps and its live undo."""

        def query(conn: Connection) -> Change | None:
            row = conn.execute(
                f"SELECT {_CHANGE_COLUMNS} FROM {_CHANGES} WHERE c.change_id = %s", (change_id,)
            ).fetchone()
            if row is None:
                return None
            steps = conn.execute(
                "SELECT step, name, status, detail, updated_at FROM change_steps WHERE change_id = %s ORDER BY step",
                (change_id,),
            ).fetchall()
            return _change(row, tuple(_step(s) for s in steps))

        return self._read(query)

    def list_changes(
        self,
        *,
        limit: int = 20,
        offset: int = 0,
        statuses: tuple[ChangeStatus, ...] | None = None,
        tool: str | None = None,
        principal: str | None = None,
    ) -> list[Change]:
        """Newest first (by the time index, or the per-tool index), one page."""
        clause, params = _filters(statuses, tool, principal)
        query = (
            f"SELECT {_CHANGE_COLUMNS} FROM {_CHANGES} {clause} ORDER BY c.created_at DESC, c.seq DESC"
            " LIMIT %s OFFSET %s"
        )
        return self._read(lambda conn: [_change(r, ()) for r in conn.execute(query, (*params, limit, offset))])

    def count_changes(
        self,
        *,
        statuses: tuple[ChangeStatus, ...] | None = None,
        tool: str | None = None,
        principal: str | None = None,
    ) -> int:
        """How many changes match the filters."""
        clause, params = _filters(statuses, tool, principal)

        def query(conn: Connection) -> int:
            row = conn.execute(f"SELECT count(*) FROM changes c {clause}", params).fetchone()
            return int(row[0]) if row else 0

        return self._read(query)

    # -- audit anchor ---------------------------------------------------------------------------------------

    def read_anchor(self, log: str) -> Anchor | None:
        """The anchored head of one audit log."""

        def query(conn: Connection) -> Anchor | None:
            row = conn.execute("SELECT seq, hash, updated_at FROM audit_anchor WHERE log = %s", (log,)).fetchone()
            return None if row is None else Anchor(seq=int(row[0]), hash=str(row[1]), updated_at=_utc(row[2]))

        return self._read(query)

    def write_anchor(self, log: str, seq: int, hash: str) -> None:
        """Anchor the head of one audit log."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO audit_anchor (log, seq, hash, updated_at) VALUES (%s, %s, %s, %s) ON CONFLICT (log)"
                " DO UPDATE SET seq = excluded.seq, hash = excluded.hash, updated_at = excluded.updated_at",
                (log, seq, hash, _aware(self._now())),
            )

    # -- the shared rate budget ----------------------------------------------------------------------------

    def admit_request(self, bucket: str, limits: tuple[tuple[int, float], ...]) -> float:
        """Count one request of `bucket` now if every window has room (0.0), else the seconds until one fits."""
        now = _aware(self._now())
        longest = max((seconds for _, seconds in limits), default=0.0)
        with self._transaction() as conn:
            # Every replica admitting for this bucket queues here, so the count below is the one the insert extends.
            conn.execute(f"SELECT pg_advisory_xact_lock({_RATE_LOCK}, hashtext(%s))", (f"{self.url.schema}/{bucket}",))
            conn.execute(
                "DELETE FROM rate_requests WHERE bucket = %s AND at <= %s", (bucket, now - timedelta(seconds=longest))
            )
            wait = 0.0
            for count, seconds in limits:
                # The count-th newest request in the window: the next one fits once it has left the window.
                row = conn.execute(
                    "SELECT at FROM rate_requests WHERE bucket = %s AND at > %s ORDER BY at DESC LIMIT 1 OFFSET %s",
                    (bucket, now - timedelta(seconds=seconds), max(count - 1, 0)),
                ).fetchone()
                if row is not None:
                    wait = max(wait, (row[0] + timedelta(seconds=seconds) - now).total_seconds())
            if wait > 0:
                return wait
            conn.execute("INSERT INTO rate_requests (bucket, at) VALUES (%s, %s)", (bucket, now))
        return 0.0

    # -- principals -----------------------------------------------------------------------------------------

    def add_principal(self, principal: Principal) -> None:
        """Add a principal; `PrincipalExists` if the name is taken."""
        exists = PrincipalExists(f"a principal named {principal.name!r} exists already")
        try:
            with self._transaction() as conn:
                if conn.execute("SELECT 1 FROM principals WHERE name = %s", (principal.name,)).fetchone():
                    raise exists
                conn.execute(
                    "INSERT INTO principals (name, api_user, key_sealed, token_hash, created_at)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (
                        principal.name,
                        principal.api_user,
                        principal.key_sealed,
                        principal.token_hash,
                        _aware(principal.created_at),
                    ),
                )
        except _Conflict as conflict:
            if conflict.constraint == "principals_pkey":  # added by another replica at the same moment
                raise exists from None
            raise StoreError(f"another principal has the same token as {principal.name!r}; nothing was added") from None

    def list_principals(self) -> list[Principal]:
        """Every principal, by name."""
        query = f"SELECT {_PRINCIPAL_COLUMNS} FROM principals ORDER BY name"
        return self._read(lambda conn: [_principal(row) for row in conn.execute(query)])

    def remove_principal(self, name: str) -> bool:
        """Delete a principal (its token hash with it); whether there was one."""
        with self._transaction() as conn:
            return conn.execute("DELETE FROM principals WHERE name = %s", (name,)).rowcount > 0

    def find_principal(self, token_hash: str) -> Principal | None:
        """The principal of a token hash."""
        query = f"SELECT {_PRINCIPAL_COLUMNS} FROM principals WHERE token_hash = %s"

        def find(conn: Connection) -> Principal | None:
            row = conn.execute(query, (token_hash,)).fetchone()
            return None if row is None else _principal(row)

        return self._read(find)

    # -- doctor ---------------------------------------------------------------------------------------------

    def _write_problem(self, conn: Connection) -> str | None:
        row = conn.execute("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')").fetchone()
        assert row is not None
        if row[0]:
            return f"the store {self.location} is a read-only standby; point {ENV_STORE} at the primary"
        if row[1] == "on":
            return f"the store {self.location} is read-only (default_transaction_read_only is on)"
        checks = ", ".join(f"has_table_privilege('{t}', '{p}')" for t, p in _NEEDED)
        granted = conn.execute(f"SELECT {checks}").fetchone()
        assert granted is not None
        missing = [f"{p} on {t}" for (t, p), ok in zip(_NEEDED, granted, strict=True) if not ok]
        if missing:
            return f"the store's user may not write the store {self.location}: it lacks {', '.join(missing)}"
        return None

    def info(self) -> StoreInfo:
        """Location, schema version, writability and unsettled changes; problems are reported, not raised."""
        try:
            version = self.schema_version()
            problem = self._read(self._write_problem)
            if problem is not None:
                return StoreInfo(self.location, self.backend, version, False, (), problem=problem)
            unsettled = tuple(self.list_changes(limit=100, statuses=UNSETTLED))
        except StoreError as error:
            return StoreInfo(self.location, self.backend, self._version, False, (), problem=str(error))
        return StoreInfo(self.location, self.backend, version, True, unsettled)


_CHANGE_COLUMNS = (
    "c.change_id, c.tool, c.args, c.before, c.planned, c.status, c.confirmed_by, c.created_at, c.updated_at, c.result,"
    " c.undo, c.error, c.nonce, c.summary, c.undoes, c.expect, c.owner, u.change_id, u.status, u.created_at,"
    " c.principal"
)
# A change with its live undo: the partial unique index guarantees at most one, so the join never repeats a row.
_CHANGES = f"changes c LEFT JOIN changes u ON u.undoes = c.change_id AND u.status IN ({_LIVE_CHECK})"


def _filters(
    statuses: tuple[ChangeStatus, ...] | None, tool: str | None, principal: str | None = None
) -> tuple[str, list[object]]:
    where: list[str] = []
    params: list[object] = []
    if statuses:
        where.append("c.status = ANY(%s::text[])")
        params.append(list(statuses))
    if tool is not None:
        where.append("c.tool = %s")
        params.append(tool)
    if principal is not None:
        where.append("c.principal = %s")
        params.append(principal)
    return (f"WHERE {' AND '.join(where)}" if where else ""), params


def _live_undo(conn: Connection, change_id: str) -> UndoneBy | None:
    row = conn.execute(
        f"SELECT change_id, status, created_at FROM changes WHERE undoes = %s AND status IN ({_LIVE_CHECK})",
        (change_id,),
    ).fetchone()
    return None if row is None else UndoneBy(row[0], cast(ChangeStatus, row[1]), _utc(row[2]))


def _find_spent(conn: Connection, nonce: str) -> SpentNonce | None:
    """The ledger row; after its purge, the journal row that spent the nonce (the journal never forgets)."""
    row = conn.execute(
        "SELECT nonce, tool, change_id, spent_at, expires_at FROM nonces WHERE nonce = %s", (nonce,)
    ).fetchone()
    if row is not None:
        return SpentNonce(nonce=row[0], tool=row[1], change_id=row[2], spent_at=_utc(row[3]), expires_at=_utc(row[4]))
    row = conn.execute("SELECT nonce, tool, change_id, created_at FROM changes WHERE nonce = %s", (nonce,)).fetchone()
    if row is not None:
        return SpentNonce(nonce=row[0], tool=row[1], change_id=row[2], spent_at=_utc(row[3]), expires_at=None)
    return None


def _change(row: Sequence[Any], steps: tuple[Step, ...]) -> Change:
    return Change(
        change_id=row[0],
        tool=row[1],
        args=_load(row[2]),
        before=_load(row[3]),
        planned=_load(row[4]),
        status=cast(ChangeStatus, row[5]),
        confirmed_by=row[6],
        created_at=_utc(row[7]),
        updated_at=_utc(row[8]),
        result=_load(row[9]),
        undo=_load(row[10]),
        error=row[11],
        nonce=row[12],
        expect=_load(row[15]),
        owner=row[16],
        steps=steps,
        summary=row[13],
        undoes=row[14],
        undone_by=None if row[17] is None else UndoneBy(row[17], cast(ChangeStatus, row[18]), _utc(row[19])),
        principal=row[20],
    )


_PRINCIPAL_COLUMNS = "name, api_user, key_sealed, token_hash, created_at"


def _principal(row: Sequence[Any]) -> Principal:
    return Principal(name=row[0], api_user=row[1], key_sealed=row[2], token_hash=row[3], created_at=_utc(row[4]))


def _step(row: Sequence[Any]) -> Step:
    return Step(index=int(row[0]), name=row[1], status=row[2], detail=_load(row[3]), updated_at=_utc(row[4]))
