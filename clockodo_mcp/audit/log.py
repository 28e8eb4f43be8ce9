"""The append-only, hash-chained audit log (JSON Lines) and its writer."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from clockodo_mcp.audit.canonical import canonical_json, sha256_hex, to_plain_json
from clockodo_mcp.audit.files import (
    GENESIS_HASH,
    Head,
    HeadError,
    fsync_dir,
    lock_path,
    parse_record,
    read_head,
    read_last_line,
    write_head,
)
from clockodo_mcp.audit.lock import exclusive_lock
from clockodo_mcp.audit.redact import redact, scrub
from clockodo_mcp.clock import SYSTEM_CLOCK

ENV_AUDIT_LOG = "CLOCKODO_MCP_AUDIT_LOG"
RESERVED_FIELDS = frozenset({"seq", "ts", "prev_hash", "hash"})
_MIN_SCRUB_LENGTH = 6  # shorter "secrets" would mangle ordinary text


class AuditWriteError(OSError):
    """The audit record could not be stored; the caller must refuse the operation (fail closed)."""


def default_audit_path() -> Path:
    """``$CLOCKODO_MCP_AUDIT_LOG`` if set, else ``audit.jsonl`` in the user data directory."""
    override = os.environ.get(ENV_AUDIT_LOG)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("clockodo-mcp") / "audit.jsonl"


def new_call_id() -> str:
    """A fresh id that ties a call's intent and outcome records together."""
    return uuid.uuid4().hex


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the record without its ``hash`` field."""
    return sha256_hex(canonical_json({k: v for k, v in record.items() if k != "hash"}))


def format_ts(moment: dt.datetime) -> str:
    """UTC ISO 8601 with milliseconds and a ``Z`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class AuditRecord:
    """One stored record: its chain fields plus the full record exactly as written."""

    seq: int
    ts: str
    prev_hash: str
    hash: str
    data: dict[str, Any] = field(repr=False)


class AuditLog:
    """Appends redacted, hash-chained records; safe across threads and processes."""

    new_call_id = staticmethod(new_call_id)

    def __init__(
        self, path: Path, *, now: Callable[[], dt.datetime] | None = None, secrets: Iterable[str] = ()
    ) -> None:
        self.path = Path(path)
        self._now = now or SYSTEM_CLOCK.now
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, value: str | None) -> None:
        """Also scrub this literal value (e.g. the API key) from every string ever logged."""
        if value and len(value) >= _MIN_SCRUB_LENGTH:
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

    def _prepare(self, event: Mapping[str, Any]) -> dict[str, Any]:
        clash = RESERVED_FIELDS.intersection(event)
        if clash:
            raise AuditWriteError(f"Audit event must not set the chain fields {sorted(clash)}")
        try:
            plain = to_plain_json(dict(event))
        except (TypeError, ValueError) as exc:
            raise AuditWriteError(f"Audit event is not JSON serialisable: {exc}") from exc
        clean = scrub(redact(plain), frozenset(self._secrets))
        assert isinstance(clean, dict)  # a dict in gives a dict out
        return clean

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

    def _append_locked(self, body: dict[str, Any]) -> AuditRecord:
        prev_seq, prev_hash = self._chain_tip()
        record: dict[str, Any] = {"seq": prev_seq + 1, "ts": format_ts(self._now()), "prev_hash": prev_hash}
        record.update(body)
        record["hash"] = record_hash(record)
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode()

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
        write_head(self.path, Head(seq=record["seq"], hash=record["hash"]))
        return AuditRecord(seq=record["seq"], ts=record["ts"], prev_hash=prev_hash, hash=record["hash"], data=record)

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

    def _chain_tip(self) -> tuple[int, str]:
        """The seq and hash to chain onto, refusing when the log's tail does not match its head anchor."""
        try:
            head = read_head(self.path)
        except HeadError as exc:
            raise self._tampered(f"its head anchor is unreadable ({exc})") from exc
        last = read_last_line(self.path)
        if last is None:
            if head is not None and head.seq != 0:
                raise self._tampered(f"the log is empty but its head anchor records {head.seq} records")
            return 0, GENESIS_HASH
        raw, terminated = last
        if not terminated:
            raise self._tampered("its last line is incomplete")
        try:
            rec = parse_record(raw)
        except ValueError as exc:
            raise self._tampered(f"its last line is not a valid record ({exc})") from exc
        seq, hash_ = rec.get("seq"), rec.get("hash")
        if not isinstance(seq, int) or not isinstance(hash_, str) or record_hash(rec) != hash_:
            raise self._tampered("its last record does not match its own hash")
        if head is None:
            raise self._tampered("its head anchor file is missing")
        # A crash between the fsync of a record and the head update leaves the head one record behind.
        if (head.seq, head.hash) == (seq, hash_) or (head.seq == seq - 1 and head.hash == rec.get("prev_hash")):
            return seq, hash_
        raise self._tampered(f"its last record (seq {seq}) does not match its head anchor (seq {head.seq})")

    def _tampered(self, why: str) -> AuditWriteError:
        return AuditWriteError(
            f"Refusing to append to the audit log {self.path}: {why}. It may have been tampered with or "
            "damaged; run `clockodo-mcp audit verify` and repair or move the log before continuing."
        )
