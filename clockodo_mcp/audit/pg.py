"""The audit chain in PostgreSQL, shared by every replica: the same v2 records as the JSON Lines log, one per row.

An append is one transaction: lock the log's head row (`audit_heads`), check that the last stored record is that
head and verifies under this replica's key, insert the new records after it, move the head, commit. The row lock
orders replicas into one chain; the transaction makes a group of records all-or-nothing, so unlike the file log
there is no torn tail and no head lagging behind. The tables are `pg_schema.AUDIT_SCHEMA`, created by the store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

import psycopg
import psycopg.errors
import psycopg.pq

from clockodo_mcp.audit.files import GENESIS_HASH, parse_record
from clockodo_mcp.audit.keys import ENV_AUDIT_KEY, AuditKey, AuditKeyError, key_from_env
from clockodo_mcp.audit.log import (
    FORMAT_VERSION,
    GROUP_MAX,
    MIN_SCRUB_LENGTH,
    AnchorRecord,
    AuditLogDamaged,
    AuditRecord,
    AuditUnreachable,
    AuditWriteError,
    chain_records,
    grouped,
    new_call_id,
    prepare_event,
    record_hash,
    record_line,
    record_version,
)
from clockodo_mcp.audit.pg_url import mask_text, mask_url, parse_postgres_url
from clockodo_mcp.audit.verify import ChainWalk, VerifyResult, line_problem
from clockodo_mcp.clock import SYSTEM_CLOCK
from clockodo_mcp.store.base import StoreUnavailable

DEFAULT_LOG = "main"
_BATCH = 500
_SAME_KEY = f"set {ENV_AUDIT_KEY}, the same on every replica"

Connection: TypeAlias = psycopg.Connection[Any]
ConnectionFactory: TypeAlias = Callable[[], AbstractContextManager[Connection]]


@runtime_checkable
class ConnectionPool(Protocol):
    """What is used of a `psycopg_pool.ConnectionPool`: a connection, lent for a ``with`` block."""

    def connection(self) -> AbstractContextManager[Connection]:
        """A connection from the pool, returned to it after the block."""
        ...


class AuditReadError(OSError):
    """The audit log in PostgreSQL cannot be read; the message names the store (never its password)."""


def connection_factory(connections: ConnectionPool | ConnectionFactory) -> ConnectionFactory:
    """A pool's ``connection`` method, or the factory itself."""
    if isinstance(connections, ConnectionPool):
        return connections.connection
    return connections


def describe_connections(connections: ConnectionPool | ConnectionFactory) -> str:
    """A pool's conninfo with the password masked, else a generic name."""
    conninfo = getattr(connections, "conninfo", None)
    return mask_url(conninfo) if isinstance(conninfo, str) and conninfo else "PostgreSQL"


def _reason(exc: BaseException) -> str:
    text = " ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())
    return mask_text(text or type(exc).__name__)


def _problem(exc: BaseException, location: str) -> str:
    """Why the store failed, with what to do about the failures an operator can fix."""
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return (
            f"the audit tables are missing in {location}: run `clockodo-mcp store migrate` with this store URL, "
            "which creates them, or check the database and ?schema= of the store URL"
        )
    return _reason(exc)


# Whatever the connection's default: under REPEATABLE READ or SERIALIZABLE, replicas waiting for the head's lock
# would fail with serialization errors instead of taking turns, and would read a stale last record.
_READ_COMMITTED = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"
# Before the lock: the first append to a log creates its head row (concurrent creators wait for each other).
_GENESIS = "INSERT INTO audit_heads (log, seq, hash, updated_at) VALUES (%s, 0, %s, %s) ON CONFLICT (log) DO NOTHING"
_LOCK_HEAD = "SELECT seq, hash FROM audit_heads WHERE log = %s FOR UPDATE"
# A statement of its own, after the lock: under READ COMMITTED it sees what the previous lock holder committed
# (a join with the locked row would re-check only that row, and see a stale last record).
_LAST = "SELECT seq, hash, record FROM audit_records WHERE log = %s ORDER BY seq DESC LIMIT 1"
_WRITE = """
    WITH appended AS (
        INSERT INTO audit_records (log, seq, ts, prev_hash, hash, record, principal)
        SELECT %(log)s, r.seq, r.ts, r.prev_hash, r.hash, r.record, r.principal
        FROM unnest(
            %(seq)s::bigint[], %(ts)s::text[], %(prev_hash)s::text[], %(hash)s::text[], %(record)s::text[],
            %(principal)s::text[]
        ) AS r(seq, ts, prev_hash, hash, record, principal)
    )
    UPDATE audit_heads SET seq = %(head_seq)s, hash = %(head_hash)s, updated_at = %(now)s WHERE log = %(log)s
"""


def principal_of(body: Mapping[str, Any]) -> str | None:
    """The ``caller.principal`` of a (prepared) record, if it names one."""
    caller = body.get("caller")
    principal = caller.get("principal") if isinstance(caller, Mapping) else None
    return principal if isinstance(principal, str) else None


def _require_idle(conn: Connection) -> None:
    """Refuse a connection inside someone else's transaction: the log's records must be committed on return."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise psycopg.ProgrammingError(
            "the connection handed to the audit log is inside a transaction; the audit log needs an idle one, as it "
            "commits its records itself"
        )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class PostgresAuditLog:
    """Appends redacted, keyed, hash-chained v2 records to one chain in PostgreSQL; safe across threads,
    processes and replicas."""

    new_call_id = staticmethod(new_call_id)

    def __init__(
        self,
        connections: ConnectionPool | ConnectionFactory,
        *,
        log: str = DEFAULT_LOG,
        location: str | None = None,
        now: Callable[[], dt.datetime] | None = None,
        secrets: Iterable[str] = (),
        key: AuditKey | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if not log:
            raise ValueError("The audit log needs a name (e.g. 'main').")
        self.log = log
        self._connect = connection_factory(connections)
        self._location = location or describe_connections(connections)
        self._now = now or SYSTEM_CLOCK.now
        self._secrets: set[str] = set()
        self._key = key
        self._environ = environ
        for secret in secrets:
            self.add_secret(secret)

    @property
    def location(self) -> str:
        """The store and the log's name, for messages (the password masked)."""
        return f"{self._location}, log {self.log!r}"

    @property
    def connect(self) -> ConnectionFactory:
        """The connection factory this log writes through (for `verify_pg` and the readers)."""
        return self._connect

    def add_secret(self, value: str | None) -> None:
        """Also scrub this literal value (e.g. the API key) from every string ever logged."""
        if value and len(value) >= MIN_SCRUB_LENGTH:
            self._secrets.add(value)

    def key(self) -> AuditKey:
        """The audit key (given, or from ``CLOCKODO_MCP_AUDIT_KEY``); ``AuditWriteError`` when there is none."""
        if self._key is None:
            try:
                self._key = key_from_env(self._environ)
            except AuditKeyError as exc:
                raise AuditWriteError(f"Refusing to append to the audit log {self.location}: {exc}") from exc
        if self._key is None:
            raise AuditWriteError(
                f"Refusing to append to the audit log {self.location}: the audit key is missing. A PostgreSQL audit "
                f"log has no key file: {_SAME_KEY}."
            )
        return self._key

    def append(self, event: Mapping[str, Any]) -> AuditRecord:
        """Redact, chain and commit one record; ``AuditWriteError`` if it is not stored."""
        return self._commit([self._prepare(event)])[0]

    def append_grouped(self, event: Mapping[str, Any]) -> AuditRecord:
        """Like `append` (committed when it returns; ``AuditWriteError`` if not)."""
        return self.append_together([event])[0]

    def append_together(self, events: Iterable[Mapping[str, Any]]) -> list[AuditRecord]:
        """Commit records next to each other in one transaction (all or none; ``AuditWriteError`` if none)."""
        bodies = [self._prepare(event) for event in events]
        if not 0 < len(bodies) <= GROUP_MAX:
            raise AuditWriteError(f"A group commit holds 1 to {GROUP_MAX} records, not {len(bodies)}")
        # The same ``"group": n`` marks as the file log's group commit, so both write identical records.
        return self._commit(grouped(bodies))

    def _prepare(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return prepare_event(event, frozenset(self._secrets))

    def _commit(self, bodies: list[dict[str, Any]]) -> list[AuditRecord]:
        key = self.key()
        try:
            with self._connect() as conn:
                _require_idle(conn)
                pipeline = conn.pipeline() if psycopg.Pipeline.is_supported() else contextlib.nullcontext()
                # Pipelined: the statements up to the head check travel in one round trip, the rest and the
                # commit in a second one; each statement still runs after the one before it.
                with pipeline, conn.transaction():
                    conn.execute(_READ_COMMITTED)
                    return self._append_in(conn, bodies, key)
        except AuditWriteError:
            raise
        except (psycopg.OperationalError, psycopg.InterfaceError, TimeoutError, StoreUnavailable) as exc:
            # The server is gone or unreachable (not a refusal of the data): reads may go on without a record.
            raise AuditUnreachable(
                f"Could not write the audit log {self.location}: {_problem(exc, self._location)}"
            ) from exc
        except Exception as exc:  # psycopg's other errors, or the store's own: the write is refused
            raise AuditWriteError(
                f"Could not write the audit log {self.location}: {_problem(exc, self._location)}"
            ) from exc

    def _append_in(self, conn: Connection, bodies: list[dict[str, Any]], key: AuditKey) -> list[AuditRecord]:
        conn.execute(_GENESIS, (self.log, GENESIS_HASH, _aware(self._now())))
        head_cur = conn.execute(_LOCK_HEAD, (self.log,))
        last_cur = conn.execute(_LAST, (self.log,))
        head, last = head_cur.fetchone(), last_cur.fetchone()
        if head is None:  # pragma: no cover - the row was just created, and rows are never deleted by us
            raise self._tampered("its head row vanished while it was locked")
        head_seq, head_hash = int(head[0]), str(head[1])
        self._check_tail(head_seq, head_hash, last, key)
        # Timestamps are taken under the lock, so they rise with seq across replicas (up to their clocks' skew).
        records = chain_records(head_seq, head_hash, bodies, key.secret, self._now)
        conn.execute(
            _WRITE,
            {
                "log": self.log,
                "seq": [r.seq for r in records],
                "ts": [r.ts for r in records],
                "prev_hash": [r.prev_hash for r in records],
                "hash": [r.hash for r in records],
                "record": [record_line(r.data) for r in records],
                "principal": [principal_of(r.data) for r in records],
                "head_seq": records[-1].seq,
                "head_hash": records[-1].hash,
                "now": _aware(self._now()),
            },
        )
        return records

    def _check_tail(self, head_seq: int, head_hash: str, last: tuple[Any, ...] | None, key: AuditKey) -> None:
        """Refuse to chain onto a last record that is not the head, or does not verify under this key."""
        if last is None:
            if head_seq != 0 or head_hash != GENESIS_HASH:
                raise self._tampered(f"its head says it holds {head_seq} records, but it holds none")
            return
        seq, hash_, text = int(last[0]), str(last[1]), str(last[2])
        if seq != head_seq:
            where = "after" if seq > head_seq else "before"
            raise self._tampered(f"its last record (seq {seq}) is {where} its head (seq {head_seq})")
        if hash_ != head_hash:
            raise self._tampered(f"its last record (seq {seq}) does not match its head")
        try:
            rec = parse_record(text.encode("utf-8"))
        except ValueError as exc:
            raise self._tampered(f"its last record (seq {seq}) is not a valid record ({exc})") from exc
        if rec.get("seq") != seq or rec.get("hash") != hash_ or record_version(rec) != FORMAT_VERSION:
            raise self._tampered(f"its last record's text (seq {seq}) does not match its columns")
        if record_hash(rec, key.secret) != hash_:
            # Not `AuditLogDamaged`: most likely this replica has another key, and then it must not serve reads
            # unaudited either.
            raise AuditWriteError(
                f"Refusing to append to the audit log {self.location}: its last record (seq {seq}) does not verify "
                f"under this replica's audit key (from {key.source}, id {key.key_id}). Either the replicas use "
                f"different keys ({_SAME_KEY}) or the record was edited (run `clockodo-mcp audit verify`)."
            )

    def _tampered(self, why: str) -> AuditLogDamaged:
        return AuditLogDamaged(
            f"Refusing to append to the audit log {self.location}: {why}. It may have been tampered with; run "
            "`clockodo-mcp audit verify` and keep the tables as evidence."
        )


def pg_audit_from_url(
    url: str,
    *,
    log: str = DEFAULT_LOG,
    now: Callable[[], dt.datetime] | None = None,
    key: AuditKey | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[PostgresAuditLog, ConnectionFactory]:
    """The audit log in the PostgreSQL store at ``url`` (``?schema=`` picks the schema) and its connection factory
    (a new connection per use); ``AuditUrlError`` for a URL it cannot use. Nothing is opened until first use."""
    parsed = parse_postgres_url(url)
    conninfo = parsed.conninfo

    def connect() -> Connection:
        return psycopg.connect(conninfo)

    audit = PostgresAuditLog(connect, log=log, location=parsed.location, now=now, key=key, environ=environ)
    audit.add_secret(parsed.password)  # a store error quoted in a record must not carry it
    return audit, connect


# Reading --------------------------------------------------------------------------------------------------------


def _parse_or_none(text: str) -> dict[str, Any] | None:
    # Readers are lenient, like the file readers: a damaged record is verify's business.
    try:
        return parse_record(text.encode("utf-8"))
    except ValueError:
        return None


def _rows(
    connect: ConnectionFactory, log: str, *, newest_first: bool, batch: int
) -> Iterator[tuple[int, str, str, str, str]]:
    """(seq, ts, prev_hash, hash, record) rows, in short read transactions of ``batch`` rows each."""
    order, compare = ("DESC", "<") if newest_first else ("ASC", ">")
    select = "SELECT seq, ts, prev_hash, hash, record FROM audit_records WHERE log = %s"
    first = f"{select} ORDER BY seq {order} LIMIT %s"
    after = f"{select} AND seq {compare} %s ORDER BY seq {order} LIMIT %s"
    bound: int | None = None
    while True:
        try:
            with connect() as conn:
                cur = conn.execute(first, (log, batch)) if bound is None else conn.execute(after, (log, bound, batch))
                rows = cur.fetchall()
        except Exception as exc:
            raise AuditReadError(f"Could not read the audit log {log!r}: {_reason(exc)}") from exc
        for row in rows:
            yield int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4])
        if len(rows) < batch:
            return
        bound = int(rows[-1][0])


def iter_pg_records(
    connect: ConnectionFactory, log: str = DEFAULT_LOG, *, batch: int = _BATCH
) -> Iterator[dict[str, Any]]:
    """Every readable record of a log, oldest first; ``AuditReadError`` when the store cannot be read."""
    for row in _rows(connect, log, newest_first=False, batch=batch):
        rec = _parse_or_none(row[4])
        if rec is not None:
            yield rec


def iter_pg_records_reversed(
    connect: ConnectionFactory, log: str = DEFAULT_LOG, *, batch: int = _BATCH
) -> Iterator[dict[str, Any]]:
    """Every readable record of a log, newest first."""
    for row in _rows(connect, log, newest_first=True, batch=batch):
        rec = _parse_or_none(row[4])
        if rec is not None:
            yield rec


def tail_pg(
    connect: ConnectionFactory, log: str = DEFAULT_LOG, n: int = 20, tool: str | None = None
) -> list[dict[str, Any]]:
    """The last ``n`` records (optionally only one tool's), oldest first."""
    if n <= 0:
        return []
    picked: list[dict[str, Any]] = []
    for rec in iter_pg_records_reversed(connect, log, batch=max(n, 50) if tool is None else _BATCH):
        if tool is None or rec.get("tool") == tool:
            picked.append(rec)
            if len(picked) >= n:
                break
    picked.reverse()
    return picked


# Verifying ------------------------------------------------------------------------------------------------------


def _bad(walk: ChainWalk, seq: int | None, reason: str, *, records: int | None = None) -> VerifyResult:
    return VerifyResult(
        ok=False,
        records=walk.records if records is None else records,
        first_bad_seq=seq,
        reason=reason,
        keyed=walk.keyed,
        unkeyed=walk.unkeyed,
        anchor_checked=True,
    )


@dataclass
class _PgWalk:
    chain: ChainWalk
    anchor_hash: str | None = None  # the hash of the record at the given anchor's seq, once walked past it


def _row_problem(row: tuple[Any, ...], walk: _PgWalk, key: AuditKey | None, anchor: AnchorRecord | None) -> str | None:
    """What is wrong with one row (advancing the walk when nothing is), or None."""
    col_seq, col_ts, col_prev, col_hash, text = row
    chain = walk.chain
    expected = chain.records + 1
    # The record's text is checked exactly as a line of the file log is, so both verifiers agree on equal input.
    reason = line_problem(str(text).encode("utf-8") + b"\n", expected, chain, key)
    if reason is not None:
        return reason
    if chain.unkeyed:
        return "an unkeyed (v1) record — a PostgreSQL audit log is keyed from its first record, so this one is forged"
    rec = chain.last or {}
    for column, value, field in (("seq", col_seq, "seq"), ("ts", col_ts, "ts"), ("prev_hash", col_prev, "prev_hash")):
        if value != rec.get(field):
            return f"the {column} column ({value!r}) differs from the record's {field} — the row was edited"
    if col_hash != rec.get("hash"):
        return "the hash column differs from the record's hash — the row was edited"
    if anchor is not None and expected == anchor.seq:
        walk.anchor_hash = str(rec.get("hash"))
    return None


@contextlib.contextmanager
def _snapshot(conn: Connection) -> Iterator[None]:
    """One read-only snapshot for the head and every record, so appends meanwhile cannot look like damage."""
    _require_idle(conn)
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def verify_pg(
    connect: ConnectionFactory | ConnectionPool,
    log: str = DEFAULT_LOG,
    *,
    key: AuditKey | Literal["auto"] | None = "auto",
    environ: Mapping[str, str] | None = None,
    anchor: AnchorRecord | None = None,
) -> VerifyResult:
    """Verify a log in PostgreSQL: seq from 1 without gaps, every link and MAC, every row's columns against its
    record, and the head row against the last record; ``first_bad_seq`` is where the chain first breaks.

    ``key="auto"`` reads ``CLOCKODO_MCP_AUDIT_KEY``. ``anchor`` is a head remembered outside this database (say,
    an earlier verify's last seq and hash): the chain must still hold it, which also detects records cut off the
    end together with the head. ``AuditReadError`` when the store cannot be read at all.
    """
    factory = connection_factory(connect)
    key_problem: str | None = None
    if key == "auto":
        try:
            key = key_from_env(environ)
        except AuditKeyError as exc:
            key, key_problem = None, str(exc)
    walk = _PgWalk(ChainWalk())
    failure: VerifyResult | None = None
    try:
        with factory() as conn, _snapshot(conn):
            head = conn.execute("SELECT seq, hash FROM audit_heads WHERE log = %s", (log,)).fetchone()
            with conn.cursor(name=f"audit_verify_{uuid.uuid4().hex[:8]}") as cur:
                cur.itersize = 1000
                cur.execute(
                    "SELECT seq, ts, prev_hash, hash, record FROM audit_records WHERE log = %s ORDER BY seq", (log,)
                )
                for row in cur:
                    expected = walk.chain.records + 1
                    reason = _row_problem(row, walk, key, anchor)
                    if reason is not None:
                        failure = _bad(walk.chain, expected, reason, records=expected - 1)
                        break
    except (psycopg.Error, OSError) as exc:
        # Not a verdict on the chain: nothing could be checked.
        raise AuditReadError(f"The audit log {log!r} cannot be read: {_problem(exc, 'the database')}") from exc
    if failure is not None:
        return failure
    return _conclude(walk, head, key_problem, anchor)


def _conclude(
    walk: _PgWalk, head: tuple[Any, ...] | None, key_problem: str | None, anchor: AnchorRecord | None
) -> VerifyResult:
    """The verdict once every record checked out: the head row, the outside anchor, and whether MACs were checked."""
    chain = walk.chain
    records = chain.records
    if head is None:
        if records:
            return _bad(chain, None, "the head row is missing, so records cut off the end cannot be ruled out")
        if anchor is not None and anchor.seq > 0:
            return _bad(chain, 1, f"the log is empty, but the anchor given records {anchor.seq} records")
        return VerifyResult(ok=True, records=0, exists=False, anchor_checked=True)
    head_seq, head_hash = int(head[0]), str(head[1])
    if head_seq > records:
        missing = f"record {records + 1} is" if head_seq == records + 1 else f"records {records + 1}..{head_seq} are"
        return _bad(chain, records + 1, f"{missing} missing — deleted from the end (the head records {head_seq})")
    if head_seq < records:
        return _bad(
            chain,
            head_seq + 1,
            f"records after seq {head_seq} are not covered by the head — added outside the writer, or the head was "
            "moved back",
        )
    if head_hash != chain.prev_hash:
        which = f"the last record (seq {records})" if records else "the genesis hash of an empty log"
        return _bad(chain, records or None, f"the head does not match {which} — the head or the tail was rewritten")
    if anchor is not None:
        if anchor.seq > records:
            return _bad(
                chain,
                records + 1,
                f"records {records + 1}..{anchor.seq} are missing — the log was cut short, head included (the anchor "
                f"given records {anchor.seq} records)",
            )
        if anchor.seq > 0 and walk.anchor_hash != anchor.hash:
            return _bad(
                chain, anchor.seq, f"record {anchor.seq} differs from the anchor given — the chain was rewritten"
            )
    if chain.unchecked:
        why = key_problem or f"no audit key ({_SAME_KEY}) — anyone can write a chain with this structure"
        return VerifyResult(
            ok=False,
            records=records,
            reason=f"the MACs of {chain.unchecked} keyed record(s) were not checked: {why}",
            unverified=True,
            keyed=chain.keyed,
            anchor_checked=True,
        )
    return VerifyResult(ok=True, records=records, keyed=chain.keyed, anchor_checked=True)


__all__ = [
    "DEFAULT_LOG",
    "AuditReadError",
    "ConnectionFactory",
    "ConnectionPool",
    "PostgresAuditLog",
    "connection_factory",
    "iter_pg_records",
    "iter_pg_records_reversed",
    "pg_audit_from_url",
    "principal_of",
    "tail_pg",
    "verify_pg",
]
