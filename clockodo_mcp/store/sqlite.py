"""The embedded store: one SQLite file in WAL mode, shared safely by every server process on the machine.

Single use across processes rests on SQLite itself: a token's nonce is the primary key of the ledger, and spending
it happens in the same `BEGIN IMMEDIATE` transaction that records the change, so of two processes confirming one
token exactly one commits. Within a process one connection is shared under a lock (calls arrive on anyio worker
threads); across processes the busy timeout makes a second writer wait for the first instead of failing.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

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

SCHEMA_VERSION = 4
BUSY_TIMEOUT_SECONDS = 15.0
# Spent nonces are kept this long past their token's expiry, so a clock stepped back cannot revive a token.
NONCE_RETENTION = timedelta(days=1)
_FIX = "set CLOCKODO_MCP_STORE (or --store) to sqlite:///path/to/a/writable/store.sqlite3, or fix the permissions"
T = TypeVar("T")

_STATUS_CHECK = ", ".join(f"'{s}'" for s in CHANGE_STATUSES)
_SCHEMA_V1 = f"""
CREATE TABLE nonces (
    nonce TEXT PRIMARY KEY,
    tool TEXT NOT NULL,
    change_id TEXT NOT NULL,
    spent_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX nonces_by_expiry ON nonces (expires_at);
CREATE TABLE changes (
    change_id TEXT PRIMARY KEY,
    tool TEXT NOT NULL,
    args TEXT NOT NULL,
    before TEXT NOT NULL,
    planned TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({_STATUS_CHECK})),
    confirmed_by TEXT NOT NULL,
    nonce TEXT UNIQUE,
    result TEXT,
    undo TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX changes_by_status ON changes (status);
CREATE INDEX changes_by_created ON changes (created_at);
CREATE TABLE change_steps (
    change_id TEXT NOT NULL REFERENCES changes (change_id),
    step INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (change_id, step)
);
CREATE TABLE audit_anchor (
    log TEXT PRIMARY KEY,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    hash TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""
_LIVE_CHECK = ", ".join(f"'{s}'" for s in LIVE)
# v2: the change index. `undoes` links an undo to the change it reverts; the partial UNIQUE index holds at most one
# live undo per change whatever the process (begin_change checks first, to name the undo that won); `summary` is what
# the preview said, so a change whose outcome is open can be listed; listing pages by time, optionally per tool.
_SCHEMA_V2 = f"""
ALTER TABLE changes ADD COLUMN summary TEXT;
ALTER TABLE changes ADD COLUMN undoes TEXT;
CREATE UNIQUE INDEX changes_one_live_undo ON changes (undoes) WHERE undoes IS NOT NULL AND status IN ({_LIVE_CHECK});
CREATE INDEX changes_by_undoes ON changes (undoes) WHERE undoes IS NOT NULL;
CREATE INDEX changes_by_tool ON changes (tool, created_at);
"""


def _migrate_v1(conn: sqlite3.Connection) -> None:
    for statement in filter(str.strip, _SCHEMA_V1.split(";")):
        conn.execute(statement)


def _migrate_v2(conn: sqlite3.Connection) -> None:
    for statement in filter(str.strip, _SCHEMA_V2.split(";")):
        conn.execute(statement)
    # Undos journalled by v1 name their change only in their arguments; the first live one per change is kept
    # (v1 could not stop two processes from undoing one change; the later one stays listed, unlinked).
    linked: set[str] = set()
    rows = conn.execute("SELECT rowid, args, status FROM changes WHERE tool = 'undo' ORDER BY rowid").fetchall()
    for rowid, args, status in rows:
        target = _load(args).get("change_id") if args else None
        if not isinstance(target, str) or (status in LIVE and target in linked):
            continue
        if status in LIVE:
            linked.add(target)
        conn.execute("UPDATE changes SET undoes = ? WHERE rowid = ?", (target, rowid))


# v3: what a change is expected to leave in Clockodo (the reconciliation check), and which process applies it.
_SCHEMA_V3 = """
ALTER TABLE changes ADD COLUMN expect TEXT;
ALTER TABLE changes ADD COLUMN owner TEXT;
"""


def _migrate_v3(conn: sqlite3.Connection) -> None:
    for statement in filter(str.strip, _SCHEMA_V3.split(";")):
        conn.execute(statement)


# v4 (a shared endpoint): who asked for each change, the people of the endpoint, and the rate budget every process
# of the installation shares (one row per request sent, kept for the longest window).
_SCHEMA_V4 = """
ALTER TABLE changes ADD COLUMN principal TEXT;
CREATE TABLE principals (
    name TEXT PRIMARY KEY,
    api_user TEXT NOT NULL,
    key_sealed TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE rate_requests (
    bucket TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX rate_requests_by_bucket ON rate_requests (bucket, at);
"""


def _migrate_v4(conn: sqlite3.Connection) -> None:
    for statement in filter(str.strip, _SCHEMA_V4.split(";")):
        conn.execute(statement)


# Each entry brings a store from the version before it to its own; a store newer than the last is refused.
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _migrate_v1,
    2: _migrate_v2,
    3: _migrate_v3,
    4: _migrate_v4,
}
assert sorted(_MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))


def _ts(moment: datetime) -> str:
    # Fixed width, UTC, so that text order is time order (expiry comparisons happen in SQL).
    if moment.tzinfo is None:
        raise ValueError("store timestamps must be aware datetimes")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _make_parents(path: Path) -> None:
    # Only directories we create get 0700; an existing parent is never chmod-ed.
    missing: list[Path] = []
    parent = path.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)


class SQLiteStore:
    """The `Store` on one SQLite file (WAL, synchronous=FULL, busy timeout); opened lazily, thread-safe."""

    backend = "sqlite"

    def __init__(self, path: Path, *, now: Callable[[], datetime] = SYSTEM_CLOCK.now) -> None:
        self.path = Path(path)
        self._now = now
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._version = 0

    @property
    def location(self) -> str:
        """The file path."""
        return str(self.path)

    def exists(self) -> bool:
        """Whether the store file exists (read-only commands never create one)."""
        return self.path.is_file()

    # -- connection and schema ------------------------------------------------------------------------------

    def _unavailable(self, error: BaseException) -> StoreUnavailable:
        return StoreUnavailable(f"the store {self.path} cannot be used ({error}); {_FIX}")

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        try:
            _make_parents(self.path)
            if not self.path.exists():
                # Created 0600 before SQLite sees it; SQLite gives its -wal and -shm files the same mode.
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600))
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as error:
            raise self._unavailable(error) from error
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreUnavailable(f"the store {self.path} cannot use WAL mode (it stays in {mode!r}); {_FIX}")
            conn.execute("PRAGMA synchronous=FULL")  # a committed journal row survives a power cut
            conn.execute("PRAGMA foreign_keys=ON")
            self._version = self._migrate(conn)
        except BaseException as error:
            conn.close()
            if isinstance(error, StoreError):
                raise
            if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
                raise StoreSchemaError(
                    f"{self.path} is not a clockodo-mcp store ({error}); point CLOCKODO_MCP_STORE elsewhere or move "
                    "the file aside"
                ) from error
            if isinstance(error, sqlite3.Error | OSError):
                raise self._unavailable(error) from error
            raise
        self._conn = conn
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> int:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            version = int(row[0]) if row and row[0] is not None else 0
            if version > SCHEMA_VERSION:
                raise StoreSchemaError(
                    f"the store {self.path} has schema version {version}, newer than this clockodo-mcp knows "
                    f"({SCHEMA_VERSION}): it was written by a newer version. Upgrade clockodo-mcp, or point "
                    "CLOCKODO_MCP_STORE at another file"
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                _MIGRATIONS[target](conn)
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
                version = target
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return version

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT under the process lock: the write lock is taken before anything is read."""
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._unavailable(error) from error
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as error:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise self._unavailable(error) from error
                raise

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            conn = self._connect()
            try:
                return fn(conn)
            except sqlite3.Error as error:
                raise self._unavailable(error) from error

    def schema_version(self) -> int:
        """The schema version (creating the schema in a new store)."""
        with self._lock:
            self._connect()
            return self._version

    def close(self) -> None:
        """Close the connection; the next call reopens it."""
        with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                conn.close()

    def __del__(self) -> None:
        # A store dropped without close() (a Runtime never entered, a CLI error path) still releases its file.
        conn = getattr(self, "_conn", None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    # -- nonce ledger and journal ---------------------------------------------------------------------------

    def spent_nonce(self, nonce: str) -> SpentNonce | None:
        """The ledger row of a spent nonce, or None."""

        return self._read(lambda conn: _find_spent(conn, nonce))

    def begin_change(self, change: NewChange) -> None:
        """Spend the nonce and record the change as `applying`, in one transaction."""
        now = self._now()
        args, before, planned = _dump(change.args), _dump(change.before), _dump(change.planned)
        expect = _dump(change.expect) if change.expect is not None else None
        with self._transaction() as conn:
            conn.execute("DELETE FROM nonces WHERE expires_at < ?", (_ts(now - NONCE_RETENTION),))
            if change.nonce is not None:
                if change.nonce_expires_at is None:
                    raise ValueError("a spent nonce needs its token's expiry")
                spent = _find_spent(conn, change.nonce)
                if spent is not None:
                    raise NonceSpent(spent)
                conn.execute(  # the primary key would refuse a second spend anyway; the SELECT names the first
                    "INSERT INTO nonces (nonce, tool, change_id, spent_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                    (change.nonce, change.tool, change.change_id, _ts(now), _ts(change.nonce_expires_at)),
                )
            if change.undoes is not None:
                by = _live_undo(conn, change.undoes)
                if by is not None:  # the unique index would refuse it anyway; this names the undo that stands
                    raise AlreadyUndone(change.undoes, by)
            conn.execute(
                "INSERT INTO changes (change_id, tool, args, before, planned, status, confirmed_by, nonce, created_at,"
                " updated_at, summary, undoes, expect, owner, principal)"
                " VALUES (?, ?, ?, ?, ?, 'applying', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    change.change_id,
                    change.tool,
                    args,
                    before,
                    planned,
                    change.confirmed_by,
                    change.nonce,
                    _ts(now),
                    _ts(now),
                    change.summary,
                    change.undoes,
                    expect,
                    change.owner,
                    change.principal,
                ),
            )

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
            row = conn.execute("SELECT status FROM changes WHERE change_id = ?", (change_id,)).fetchone()
            if row is None:
                raise StoreError(f"the journal has no change {change_id}")
            if only_if is not None and row[0] not in only_if:
                return False
            conn.execute(
                "UPDATE changes SET status = ?, result = ?, undo = ?, error = ?, updated_at = ? WHERE change_id = ?",
                (status, result_text, undo_text, error, _ts(self._now()), change_id),
            )
        return True

    def record_step(self, change_id: str, index: int, name: str, status: str, detail: Any = None) -> None:
        """Insert or update one step of a multi-step change."""
        detail_text = _dump(detail)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO change_steps (change_id, step, name, status, detail, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (change_id, step) DO UPDATE SET name = excluded.name, status = excluded.status,"
                " detail = excluded.detail, updated_at = excluded.updated_at",
                (change_id, index, name, status, detail_text, _ts(self._now())),
            )

    def get_change(self, change_id: str) -> Change | None:
        """One change with its steps and its live undo."""

        def query(conn: sqlite3.Connection) -> Change | None:
            row = conn.execute(
                f"SELECT {_CHANGE_COLUMNS} FROM {_CHANGES} WHERE c.change_id = ?", (change_id,)
            ).fetchone()
            if row is None:
                return None
            steps = conn.execute(
                "SELECT step, name, status, detail, updated_at FROM change_steps WHERE change_id = ? ORDER BY step",
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
        sql = (
            f"SELECT {_CHANGE_COLUMNS} FROM {_CHANGES} {clause} ORDER BY c.created_at DESC, c.rowid DESC LIMIT ? "
            "OFFSET ?"
        )
        return self._read(
            lambda conn: [_change(row, ()) for row in conn.execute(sql, (*params, limit, offset)).fetchall()]
        )

    def count_changes(
        self,
        *,
        statuses: tuple[ChangeStatus, ...] | None = None,
        tool: str | None = None,
        principal: str | None = None,
    ) -> int:
        """How many changes match the filters."""
        clause, params = _filters(statuses, tool, principal)
        return self._read(
            lambda conn: int(conn.execute(f"SELECT count(*) FROM changes c {clause}", params).fetchone()[0])
        )

    # -- audit anchor ---------------------------------------------------------------------------------------

    def read_anchor(self, log: str) -> Anchor | None:
        """The anchored head of one audit log."""

        def query(conn: sqlite3.Connection) -> Anchor | None:
            row = conn.execute("SELECT seq, hash, updated_at FROM audit_anchor WHERE log = ?", (log,)).fetchone()
            return None if row is None else Anchor(seq=int(row[0]), hash=str(row[1]), updated_at=_parse_ts(row[2]))

        return self._read(query)

    def write_anchor(self, log: str, seq: int, hash: str) -> None:
        """Anchor the head of one audit log."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO audit_anchor (log, seq, hash, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (log) DO UPDATE"
                " SET seq = excluded.seq, hash = excluded.hash, updated_at = excluded.updated_at",
                (log, seq, hash, _ts(self._now())),
            )

    # -- the shared rate budget ----------------------------------------------------------------------------

    def admit_request(self, bucket: str, limits: tuple[tuple[int, float], ...]) -> float:
        """Count one request of `bucket` now if every window has room (0.0), else the seconds until one fits."""
        now = self._now().timestamp()
        longest = max((seconds for _, seconds in limits), default=0.0)
        with self._transaction() as conn:
            conn.execute("DELETE FROM rate_requests WHERE bucket = ? AND at <= ?", (bucket, now - longest))
            wait = 0.0
            for count, seconds in limits:
                # The count-th newest request in the window: the next one fits once it has left the window.
                row = conn.execute(
                    "SELECT at FROM rate_requests WHERE bucket = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
                    (bucket, now - seconds, count - 1),
                ).fetchone()
                if row is not None:
                    wait = max(wait, float(row[0]) + seconds - now)
            if wait > 0:
                return wait
            conn.execute("INSERT INTO rate_requests (bucket, at) VALUES (?, ?)", (bucket, now))
        return 0.0

    # -- principals -----------------------------------------------------------------------------------------

    def add_principal(self, principal: Principal) -> None:
        """Add a principal; `PrincipalExists` if the name is taken."""
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM principals WHERE name = ?", (principal.name,)).fetchone():
                raise PrincipalExists(f"a principal named {principal.name!r} exists already")
            conn.execute(
                "INSERT INTO principals (name, api_user, key_sealed, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (
                    principal.name,
                    principal.api_user,
                    principal.key_sealed,
                    principal.token_hash,
                    _ts(principal.created_at),
                ),
            )

    def list_principals(self) -> list[Principal]:
        """Every principal, by name."""
        sql = f"SELECT {_PRINCIPAL_COLUMNS} FROM principals ORDER BY name"
        return self._read(lambda conn: [_principal(row) for row in conn.execute(sql).fetchall()])

    def remove_principal(self, name: str) -> bool:
        """Delete a principal (its token hash with it); whether there was one."""
        with self._transaction() as conn:
            return conn.execute("DELETE FROM principals WHERE name = ?", (name,)).rowcount > 0

    def find_principal(self, token_hash: str) -> Principal | None:
        """The principal of a token hash."""
        sql = f"SELECT {_PRINCIPAL_COLUMNS} FROM principals WHERE token_hash = ?"

        def query(conn: sqlite3.Connection) -> Principal | None:
            row = conn.execute(sql, (token_hash,)).fetchone()
            return None if row is None else _principal(row)

        return self._read(query)

    # -- doctor ---------------------------------------------------------------------------------------------

    def info(self) -> StoreInfo:
        """Location, schema version, writability and unsettled changes; problems are reported, not raised."""
        try:
            version = self.schema_version()
            with self._transaction():
                pass  # takes and releases the write lock: proves the file can be written
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
        where.append(f"c.status IN ({', '.join('?' for _ in statuses)})")
        params += statuses
    if tool is not None:
        where.append("c.tool = ?")
        params.append(tool)
    if principal is not None:
        where.append("c.principal = ?")
        params.append(principal)
    return (f"WHERE {' AND '.join(where)}" if where else ""), params


def _live_undo(conn: sqlite3.Connection, change_id: str) -> UndoneBy | None:
    row = conn.execute(
        f"SELECT change_id, status, created_at FROM changes WHERE undoes = ? AND status IN ({_LIVE_CHECK})",
        (change_id,),
    ).fetchone()
    return None if row is None else UndoneBy(row[0], cast(ChangeStatus, row[1]), _parse_ts(row[2]))


def _find_spent(conn: sqlite3.Connection, nonce: str) -> SpentNonce | None:
    """The ledger row; after its purge, the journal row that spent the nonce (the journal never forgets)."""
    row = conn.execute(
        "SELECT nonce, tool, change_id, spent_at, expires_at FROM nonces WHERE nonce = ?", (nonce,)
    ).fetchone()
    if row is not None:
        return SpentNonce(
            nonce=row[0], tool=row[1], change_id=row[2], spent_at=_parse_ts(row[3]), expires_at=_parse_ts(row[4])
        )
    row = conn.execute("SELECT nonce, tool, change_id, created_at FROM changes WHERE nonce = ?", (nonce,)).fetchone()
    if row is not None:
        return SpentNonce(nonce=row[0], tool=row[1], change_id=row[2], spent_at=_parse_ts(row[3]), expires_at=None)
    return None


def _change(row: tuple[Any, ...], steps: tuple[Step, ...]) -> Change:
    return Change(
        change_id=row[0],
        tool=row[1],
        args=_load(row[2]),
        before=_load(row[3]),
        planned=_load(row[4]),
        status=cast(ChangeStatus, row[5]),
        confirmed_by=row[6],
        created_at=_parse_ts(row[7]),
        updated_at=_parse_ts(row[8]),
        result=_load(row[9]),
        undo=_load(row[10]),
        error=row[11],
        nonce=row[12],
        expect=_load(row[15]),
        owner=row[16],
        steps=steps,
        summary=row[13],
        undoes=row[14],
        undone_by=None if row[17] is None else UndoneBy(row[17], cast(ChangeStatus, row[18]), _parse_ts(row[19])),
        principal=row[20],
    )


_PRINCIPAL_COLUMNS = "name, api_user, key_sealed, token_hash, created_at"


def _principal(row: tuple[Any, ...]) -> Principal:
    return Principal(name=row[0], api_user=row[1], key_sealed=row[2], token_hash=row[3], created_at=_parse_ts(row[4]))


def _step(row: tuple[Any, ...]) -> Step:
    return Step(index=int(row[0]), name=row[1], status=row[2], detail=_load(row[3]), updated_at=_parse_ts(row[4]))
