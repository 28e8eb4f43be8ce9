"""The append-only, keyed, hash-chained audit log (JSON Lines) and its writer.

Format v2 (current): every record carries ``"v": 2`` and its ``hash`` is HMAC-SHA256 under the audit key over the
canonical JSON of the record without ``hash``; ``prev_hash`` links it to the record before. Format v1 (before the
key): no ``"v"``, and ``hash`` is a plain SHA-256. A v1 log keeps working: new records continue its chain as v2, and
`verify` reports the v1 part as unkeyed. After every append the head (seq, hash) is written beside the log and
anchored in the store, so a log that was cut short, rewritten or deleted no longer matches what the store saw.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import platformdirs

from clockodo_mcp.audit.canonical import canonical_json, sha256_hex, to_plain_json
from clockodo_mcp.audit.files import (
    GENESIS_HASH,
    Head,
    HeadError,
    fsync_dir,
    head_path,
    iter_lines_reversed,
    lock_path,
    parse_record,
    read_head,
    read_last_line,
    write_head,
)
from clockodo_mcp.audit.keys import AuditKey, AuditKeyError, create_key_file, key_path, load_key
from clockodo_mcp.audit.lock import exclusive_lock
from clockodo_mcp.audit.redact import redact, scrub
from clockodo_mcp.clock import SYSTEM_CLOCK

ENV_AUDIT_LOG = "CLOCKODO_MCP_AUDIT_LOG"
FORMAT_VERSION = 2
RESERVED_FIELDS = frozenset({"v", "seq", "ts", "prev_hash", "hash", "group"})
MIN_SCRUB_LENGTH = 6  # shorter "secrets" would mangle ordinary text
# Group commit (reads only): at most this many records share one fsync. Each record of a commit of n ≥ 2 records
# carries ``"group": n``, so a crash between that fsync and the head update leaves the anchors behind by exactly one
# whole trailing group, which `verify` and the next append accept. Anything else behind the anchors by more than one
# record (say, records appended by someone who read the key file) is still refused.
GROUP_MAX = 32
GROUP_FIELD = "group"


class AuditWriteError(OSError):
    """The audit record could not be stored; the caller must refuse the operation (fail closed)."""


class AuditLogDamaged(AuditWriteError):
    """The log's tail is torn or does not match its anchors: nothing is appended until it is repaired."""


class AuditUnreachable(AuditWriteError):
    """The store holding the audit log cannot be reached (a PostgreSQL store lost mid-run): writes are refused,
    reads go on unaudited and say so."""


class AnchorRecord(Protocol):
    """What the store remembers of a log's head."""

    @property
    def seq(self) -> int: ...

    @property
    def hash(self) -> str: ...


class AnchorStore(Protocol):
    """Where the head is anchored besides the head file (the store; see `clockodo_mcp.store`)."""

    def read_anchor(self, log: str) -> AnchorRecord | None:
        """The anchored head of the log `log`, or None."""
        ...

    def write_anchor(self, log: str, seq: int, hash: str) -> None:
        """Anchor the head of the log `log`."""
        ...


class AuditSink(Protocol):
    """What the server appends to: the JSON Lines `AuditLog`, or `clockodo_mcp.audit.pg.PostgresAuditLog`."""

    @property
    def location(self) -> str:
        """Where the records go, for messages (never a password)."""
        ...

    def add_secret(self, value: str | None) -> None:
        """Also scrub this literal value from every string ever logged."""
        ...

    def append(self, event: Mapping[str, Any]) -> AuditRecord:
        """Store one record durably; ``AuditWriteError`` if it is not stored."""
        ...

    def append_grouped(self, event: Mapping[str, Any]) -> AuditRecord:
        """Like `append`, possibly sharing a commit with other threads' records."""
        ...

    def append_together(self, events: Iterable[Mapping[str, Any]]) -> list[AuditRecord]:
        """Store records next to each other in one commit; ``AuditWriteError`` for all of them if not."""
        ...


def log_id(path: Path) -> str:
    """The name a log is anchored under in the store: its absolute, resolved path."""
    return str(Path(path).expanduser().resolve())


def default_audit_path() -> Path:
    """``$CLOCKODO_MCP_AUDIT_LOG`` if set, else ``audit.jsonl`` in the user data directory."""
    override = os.environ.get(ENV_AUDIT_LOG)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("clockodo-mcp") / "audit.jsonl"


def new_call_id() -> str:
    """A fresh id that ties a call's intent and outcome records together."""
    return uuid.uuid4().hex


def record_hash(record: Mapping[str, Any], key: bytes | None = None) -> str:
    """The chain hash of a record: HMAC-SHA256 under ``key`` (v2), or plain SHA-256 without a key (v1), over the
    canonical JSON of the record without its ``hash`` field."""
    text = canonical_json({k: v for k, v in record.items() if k != "hash"})
    if key is None:
        return sha256_hex(text)
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def record_version(record: Mapping[str, Any]) -> int | None:
    """1 for an unkeyed record, 2 for a keyed one, None for a version this code does not know."""
    version = record.get("v")
    if "v" not in record:
        return 1
    if isinstance(version, int) and not isinstance(version, bool) and version == FORMAT_VERSION:
        return FORMAT_VERSION
    return None


def chain_hash(record: Mapping[str, Any], key: bytes | None) -> str | None:
    """What the record's ``hash`` must be: SHA-256 for v1, the HMAC for v2 (None without a key or version)."""
    version = record_version(record)
    if version == 1:
        return record_hash(record)
    if version == FORMAT_VERSION and key is not None:
        return record_hash(record, key)
    return None


def format_ts(moment: dt.datetime) -> str:
    """UTC ISO 8601 with milliseconds and a ``Z`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def prepare_event(event: Mapping[str, Any], secrets: frozenset[str]) -> dict[str, Any]:
    """The event as it is stored: plain JSON, secret-like keys redacted, known secret values scrubbed."""
    clash = RESERVED_FIELDS.intersection(event)
    if clash:
        raise AuditWriteError(f"Audit event must not set the chain fields {sorted(clash)}")
    try:
        plain = to_plain_json(dict(event))
    except (TypeError, ValueError) as exc:
        raise AuditWriteError(f"Audit event is not JSON serialisable: {exc}") from exc
    clean = scrub(redact(plain), secrets)
    assert isinstance(clean, dict)  # a dict in gives a dict out
    return clean


def grouped(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bodies of one commit: each marked ``"group": n`` when the commit holds n ≥ 2 records."""
    if len(bodies) > 1:
        return [body | {GROUP_FIELD: len(bodies)} for body in bodies]
    return bodies


def record_line(record: Mapping[str, Any]) -> str:
    """A record's stored text (one JSON Lines line without its newline; a PostgreSQL row's ``record``)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class AuditRecord:
    """One stored record: its chain fields plus the full record exactly as written."""

    seq: int
    ts: str
    prev_hash: str
    hash: str
    data: dict[str, Any] = field(repr=False)


def chain_records(
    prev_seq: int, prev_hash: str, bodies: Iterable[Mapping[str, Any]], key: bytes, now: Callable[[], dt.datetime]
) -> list[AuditRecord]:
    """Number, timestamp, link and sign prepared bodies (v2) after the record ``prev_seq`` whose hash is
    ``prev_hash``."""
    out: list[AuditRecord] = []
    seq, link = prev_seq, prev_hash
    for body in bodies:
        record: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "seq": seq + 1,
            "ts": format_ts(now()),
            "prev_hash": link,
        }
        record.update(body)
        record["hash"] = record_hash(record, key)
        out.append(AuditRecord(seq=record["seq"], ts=record["ts"], prev_hash=link, hash=record["hash"], data=record))
        seq, link = record["seq"], record["hash"]
    return out


@dataclass
class _Pending:
    """Records waiting for the next group commit (they stay next to each other in the chain), and what became of
    them."""

    bodies: list[dict[str, Any]]
    records: list[AuditRecord] | None = None
    error: AuditWriteError | None = None


class AuditLog:
    """Appends redacted, hash-chained records; safe across threads and processes."""

    new_call_id = staticmethod(new_call_id)

    def __init__(
        self,
        path: Path,
        *,
        now: Callable[[], dt.datetime] | None = None,
        secrets: Iterable[str] = (),
        key: AuditKey | None = None,
        anchor: AnchorStore | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self._now = now or SYSTEM_CLOCK.now
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []
        # The tip this process last wrote, and the files' identity then: while both files are as we left them, the
        # next commit chains on without reading and re-verifying the tail (another writer changes the log's size).
        self._tip: tuple[tuple[int, ...], int, str, AuditKey] | None = None
        self._secrets: set[str] = set()
        self._key = key
        self._environ = environ
        self.anchor = anchor
        for secret in secrets:
            self.add_secret(secret)

    @property
    def location(self) -> str:
        """The log file, for messages."""
        return str(self.path)

    def add_secret(self, value: str | None) -> None:
        """Also scrub this literal value (e.g. the API key) from every string ever logged."""
        if value and len(value) >= MIN_SCRUB_LENGTH:
            self._secrets.add(value)

    def append(self, event: Mapping[str, Any]) -> AuditRecord:
        """Redact, chain, write, flush and fsync one record; ``AuditWriteError`` if it is not stored."""
        body = self._prepare(event)
        with self._lock:
            try:
                self._make_parent()
                with exclusive_lock(lock_path(self.path)):
                    return self._append_locked(body)
            except AuditWriteError:
                raise
            except OSError as exc:
                raise AuditWriteError(f"Could not write the audit log {self.path}: {exc}") from exc

    def append_grouped(self, event: Mapping[str, Any]) -> AuditRecord:
        """Like `append` (stored, flushed and fsynced when it returns; ``AuditWriteError`` if not), but records
        appended meanwhile from other threads share one fsync, one head update and one anchor (group commit)."""
        return self.append_together([event])[0]

    def append_together(self, events: Iterable[Mapping[str, Any]]) -> list[AuditRecord]:
        """Append records next to each other in one group commit, shared with the records other threads append
        meanwhile; stored, flushed and fsynced when it returns (``AuditWriteError`` if not, for all of them).

        For reads (a read's intent and outcome go together once it has run): nothing waits for a timer, so a lone
        call costs one commit; under concurrency one commit covers up to `GROUP_MAX` records. Writes use `append`,
        so a write's intent is durable on its own before anything is sent.
        """
        pending = _Pending([self._prepare(event) for event in events])
        if not 0 < len(pending.bodies) <= GROUP_MAX:
            raise AuditWriteError(f"A group commit holds 1 to {GROUP_MAX} records, not {len(pending.bodies)}")
        with self._queue_lock:
            self._queue.append(pending)
        with self._lock:
            # Whoever holds the writer lock commits everything queued so far (oldest first), until ours is done.
            while pending.records is None and pending.error is None:
                with self._queue_lock:
                    batch = self._take_batch()
                self._commit(batch)
        if pending.error is not None:
            raise pending.error
        assert pending.records is not None
        return pending.records

    def _take_batch(self) -> list[_Pending]:
        """The oldest queued appends whose records fit in one commit (the first one always does)."""
        size, count = 0, 0
        for item in self._queue:
            if count and size + len(item.bodies) > GROUP_MAX:
                break
            size, count = size + len(item.bodies), count + 1
        batch, self._queue = self._queue[:count], self._queue[count:]
        return batch

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            self._make_parent()
            with exclusive_lock(lock_path(self.path)):
                prev_seq, prev_hash, key = self._chain_tip()
                bodies = grouped([body for p in batch for body in p.bodies])
                records = self._write_records(prev_seq, prev_hash, key, bodies)
        except AuditWriteError as error:
            for p in batch:
                p.error = error
            return
        except Exception as exc:  # OSError, or a record JSON refuses: every waiter must hear of it
            failed = AuditWriteError(f"Could not write the audit log {self.path}: {exc}")
            for p in batch:
                p.error = failed
            return
        start = 0
        for p in batch:
            p.records, start = records[start : start + len(p.bodies)], start + len(p.bodies)

    def _prepare(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return prepare_event(event, frozenset(self._secrets))

    def _make_parent(self) -> None:
        # Only directories we create get 0700; an existing parent (say /tmp) is never chmod-ed.
        missing: list[Path] = []
        parent = self.path.parent
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        for directory in reversed(missing):
            with contextlib.suppress(FileExistsError):  # another process won the race
                directory.mkdir(mode=0o700)

    def key(self, *, create: bool = False) -> AuditKey | None:
        """The audit key (given, from the environment, or from the key file); created on request when missing."""
        if self._key is None:
            self._key = load_key(self.path, self._environ)
            if self._key is None and create:
                self._key = create_key_file(self.path)
        return self._key

    def _append_locked(self, body: dict[str, Any]) -> AuditRecord:
        prev_seq, prev_hash, key = self._chain_tip()
        return self._write_record(prev_seq, prev_hash, key, body)

    def _write_record(self, prev_seq: int, prev_hash: str, key: AuditKey, body: dict[str, Any]) -> AuditRecord:
        return self._write_records(prev_seq, prev_hash, key, [body])[0]

    def _write_records(
        self, prev_seq: int, prev_hash: str, key: AuditKey, bodies: list[dict[str, Any]]
    ) -> list[AuditRecord]:
        """Chain, write and fsync the records in one go; then the head and the anchor once, for the last one."""
        self._tip = None  # whatever happens next, the files change
        out = chain_records(prev_seq, prev_hash, bodies, key.secret, self._now)
        seq, link = out[-1].seq, out[-1].hash
        line = b"".join((record_line(r.data) + "\n").encode() for r in out)

        flags = os.O_APPEND | os.O_CREAT | os.O_WRONLY | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path, flags, 0o600)
        try:
            st = os.fstat(fd)
            if os.name != "nt" and st.st_mode & 0o077:
                os.fchmod(fd, 0o600)  # a pre-existing file with looser permissions
            self._write_all(fd, line, st.st_size)
            os.fsync(fd)
        finally:
            os.close(fd)
        if st.st_size == 0:
            fsync_dir(self.path.parent)  # make the new file's directory entry durable too
        try:
            self._update_anchors(seq, link)
        except AuditWriteError:
            # Take the records back: a record the store never anchored would later look like a forged append.
            self._roll_back(st.st_size, Head(seq=prev_seq, hash=prev_hash))
            raise
        with contextlib.suppress(OSError):
            self._tip = (self._stamp(), seq, link, key)
        return out

    def _stamp(self) -> tuple[int, ...]:
        """The identity of the log and its head file as they are now (device, inode, size, change time)."""
        log, head = os.stat(self.path), os.stat(head_path(self.path))
        return tuple(
            value for st in (log, head) for value in (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        )

    def _update_anchors(self, seq: int, hash_: str) -> None:
        """Write the head file and the store's anchor at once (each fsyncs; neither waits for the other).

        Both come after the records' fsync, and each may lag the log by the commit in progress: a crash between the
        two leaves one of them behind by exactly that commit, which the next append and `verify` accept.
        """
        if self.anchor is None:
            write_head(self.path, Head(seq=seq, hash=hash_))
            return
        head = _head_writer().submit(write_head, self.path, Head(seq=seq, hash=hash_))
        try:
            self._anchor(seq, hash_)
        except AuditWriteError:
            with contextlib.suppress(OSError):  # the records are taken back either way: the anchor's error counts
                head.result()
            raise
        head.result()  # an OSError of the head write surfaces here, as before

    def _roll_back(self, size: int, head: Head) -> None:
        with contextlib.suppress(OSError):
            fd = os.open(self.path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
            try:
                os.ftruncate(fd, size)
                os.fsync(fd)
            finally:
                os.close(fd)
            write_head(self.path, head)

    def _anchor(self, seq: int, hash_: str) -> None:
        if self.anchor is None:
            return
        try:
            self.anchor.write_anchor(log_id(self.path), seq, hash_)
        except Exception as exc:  # the store's own error types live above this layer
            raise AuditWriteError(
                f"The audit record {seq} could not be anchored in the store, so it was taken back from {self.path} "
                f"({exc})"
            ) from exc

    def _read_anchor(self) -> AnchorRecord | None:
        if self.anchor is None:
            return None
        try:
            return self.anchor.read_anchor(log_id(self.path))
        except Exception as exc:
            raise AuditWriteError(f"The store holding the audit anchor cannot be read ({exc})") from exc

    @staticmethod
    def _write_all(fd: int, data: bytes, original_size: int) -> None:
        view = memoryview(data)
        try:
            while view:
                written = os.write(fd, view)
                view = view[written:]
        except OSError:
            # Never leave a torn line behind (disk full, quota): cut back to the last whole record.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, original_size)
            raise

    def _chain_tip(self) -> tuple[int, str, AuditKey]:
        """The seq and hash to chain onto and the key to sign with; refuses a tail that does not match its anchors."""
        if self._tip is not None:
            stamp, tip_seq, tip_hash, tip_key = self._tip
            with contextlib.suppress(OSError):
                if self._stamp() == stamp:
                    return tip_seq, tip_hash, tip_key
            self._tip = None
        try:
            head = read_head(self.path)
        except HeadError as exc:
            raise self._tampered(f"its head anchor is unreadable ({exc})") from exc
        anchor = self._read_anchor()
        last = read_last_line(self.path)
        if last is None:
            if head is not None and head.seq != 0:
                raise self._tampered(f"the log is empty but its head anchor records {head.seq} records")
            if anchor is not None and anchor.seq != 0:
                raise self._tampered(
                    f"the log is missing or empty, but the store's anchor says it held {anchor.seq} records"
                )
            return 0, GENESIS_HASH, self._signing_key(keyed_log=False)
        raw, terminated = last
        if not terminated:
            raise self._tampered("its last line is incomplete (torn, e.g. by a crash while it was written)")
        try:
            rec = parse_record(raw)
        except ValueError as exc:
            raise self._tampered(f"its last line is not a valid record ({exc})") from exc
        version = record_version(rec)
        key = self._signing_key(keyed_log=version == FORMAT_VERSION)
        seq, hash_ = rec.get("seq"), rec.get("hash")
        expected = chain_hash(rec, key.secret)
        if not isinstance(seq, int) or not isinstance(hash_, str) or expected is None or expected != hash_:
            raise self._tampered("its last record does not match its own hash (edited, or signed with another key)")
        if head is None:
            raise self._tampered("its head anchor file is missing")
        # A crash between the fsync of a record (or of a group commit) and the head update leaves the head behind.
        if not self._anchors_tail(head.seq, head.hash, seq, hash_, rec, key):
            raise self._tampered(f"its last record (seq {seq}) does not match its head anchor (seq {head.seq})")
        if anchor is not None and not self._anchors_tail(anchor.seq, anchor.hash, seq, hash_, rec, key):
            raise self._tampered(
                f"its last record (seq {seq}) does not match the head the store anchored (seq {anchor.seq})"
            )
        return seq, hash_, key

    def _anchors_tail(
        self, anchor_seq: int, anchor_hash: str, seq: int, hash_: str, rec: Mapping[str, Any], key: AuditKey
    ) -> bool:
        """Whether an anchor names the last record, the one before it, or the record before a whole trailing group
        commit (interrupted after its fsync), each record of which verifies under the key."""
        if _matches(anchor_seq, anchor_hash, seq, hash_, rec):
            return True
        group = seq - anchor_seq
        if not 1 < group <= GROUP_MAX:
            return False
        expected, link = seq, hash_
        for raw in iter_lines_reversed(self.path):
            try:
                record = parse_record(raw)
            except ValueError:
                return False
            if (
                record.get("seq") != expected
                or record.get("hash") != link
                or record.get(GROUP_FIELD) != group
                or chain_hash(record, key.secret) != link
            ):
                return False
            link = str(record.get("prev_hash"))
            if expected == anchor_seq + 1:
                return link == anchor_hash
            expected -= 1
        return False

    def _signing_key(self, *, keyed_log: bool) -> AuditKey:
        try:
            key = self.key(create=not keyed_log)
        except AuditKeyError as exc:
            raise AuditWriteError(f"Refusing to append to the audit log {self.path}: {exc}") from exc
        if key is None:
            raise AuditWriteError(
                f"Refusing to append to the audit log {self.path}: its records are keyed, but the audit key is "
                f"missing. Set CLOCKODO_MCP_AUDIT_KEY, or restore the key file {key_path(self.path)}."
            )
        return key

    def _tampered(self, why: str) -> AuditLogDamaged:
        return AuditLogDamaged(
            f"Refusing to append to the audit log {self.path}: {why}. It may have been tampered with or "
            "damaged; run `clockodo-mcp audit verify`, then `clockodo-mcp audit repair` (which keeps a copy)."
        )


@functools.cache
def _head_writer() -> concurrent.futures.ThreadPoolExecutor:
    """The thread that writes head files while the caller anchors in the store."""
    return concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="audit-head")


def _matches(anchor_seq: int, anchor_hash: str, seq: int, hash_: str, rec: Mapping[str, Any]) -> bool:
    """Whether an anchor names the last record, or the one before it (an append interrupted after its fsync)."""
    return (anchor_seq, anchor_hash) == (seq, hash_) or (anchor_seq == seq - 1 and anchor_hash == rec.get("prev_hash"))
