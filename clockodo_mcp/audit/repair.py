"""`clockodo-mcp audit repair`: cut a torn last line off the log (keeping a copy) and record that it was done.

A crash while a record is being written can leave half a line at the end of the log. Until it is repaired every
append is refused, so writes stay fail-closed; reads go on. Repair only ever removes that unterminated tail, and only
when everything before it verifies. Any other damage is evidence: `--start-new` moves the log aside unchanged and
starts a new one whose first record says why and where the old one is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clockodo_mcp.audit.files import GENESIS_HASH, fsync_dir, head_path, lock_path, read_head
from clockodo_mcp.audit.lock import exclusive_lock
from clockodo_mcp.audit.log import AuditLog, AuditRecord, AuditWriteError, log_id
from clockodo_mcp.audit.verify import VerifyResult, check_lines, verify


class RepairRefused(Exception):
    """The log cannot be repaired in place; the message says why and what to do instead."""


@dataclass(frozen=True)
class RepairOutcome:
    """What `repair` did."""

    changed: bool
    message: str
    copy: Path | None = None
    record: AuditRecord | None = None


def repair(log: AuditLog, *, start_new: bool = False) -> RepairOutcome:
    """Repair a torn last line, or (``start_new``) move a damaged log aside and start a new one."""
    path = log.path
    with exclusive_lock(lock_path(path)) if path.parent.exists() else contextlib.nullcontext():
        try:
            key = log.key()
        except OSError as exc:
            raise RepairRefused(f"The audit key cannot be read ({exc}).") from exc
        result = verify(path, key=key, store=log.anchor)
        if result.ok:
            return RepairOutcome(False, f"nothing to repair: {result.records} records, chain intact ({path})")
        if result.unverified:
            raise RepairRefused(f"The log cannot be checked, so it is not changed: {result.reason}.")
        if result.torn and _prefix_verifies(log, path):
            return _cut_torn_tail(log, path)
        if start_new:
            return _start_new(log, path, result)
        raise RepairRefused(
            f"The audit log {path} is damaged in a way repair does not fix: {result.reason}. `audit repair` only "
            "removes a torn last line. Keep this log as evidence; `clockodo-mcp audit repair --start-new` moves it "
            "aside unchanged and starts a new log that records why."
        )


def _prefix_verifies(log: AuditLog, path: Path) -> bool:
    """Whether everything before the torn line verifies, against the head file and the store."""
    anchor = log.anchor.read_anchor(log_id(path)) if log.anchor is not None else None
    with path.open("rb") as f:
        prefix = check_lines(
            (line for line in f if line.endswith(b"\n")),
            head=read_head(path),
            key=log.key(),
            anchor=anchor,
            anchor_checked=log.anchor is not None,
        )
    return prefix.ok


def _damaged_copy(log: AuditLog, path: Path) -> Path:
    stamp = log._now().strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while candidate.exists() or head_path(candidate).exists():
        n += 1
        candidate = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    return candidate


def _append(log: AuditLog, event: dict[str, Any]) -> AuditRecord:
    try:
        return log._append_locked(log._prepare(event))
    except OSError as exc:
        if isinstance(exc, AuditWriteError):
            raise
        raise AuditWriteError(f"Could not write the audit log {log.path}: {exc}") from exc


def _cut_torn_tail(log: AuditLog, path: Path) -> RepairOutcome:
    data = path.read_bytes()
    cut = data.rfind(b"\n") + 1
    torn = data[cut:]
    copy = _damaged_copy(log, path)
    fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.ftruncate(fd, cut)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    record = _append(
        log,
        {
            "kind": "repair",
            "repair": {
                "problem": "torn last line",
                "removed_bytes": len(torn),
                "removed_sha256": hashlib.sha256(torn).hexdigest(),
                "copy": str(copy),
            },
        },
    )
    return RepairOutcome(
        True,
        f"repaired: removed a torn last line ({len(torn)} bytes) and recorded the repair as record {record.seq}; "
        f"the damaged file is kept as {copy}",
        copy=copy,
        record=record,
    )


def _start_new(log: AuditLog, path: Path, result: VerifyResult) -> RepairOutcome:
    copy = _damaged_copy(log, path)
    previous: dict[str, Any] = {"reason": result.reason, "intact_records": result.records}
    if log.anchor is not None:
        anchor = log.anchor.read_anchor(log_id(path))
        previous["anchored"] = None if anchor is None else {"seq": anchor.seq, "hash": anchor.hash}
    if path.exists():
        os.replace(path, copy)
        previous["copy"] = str(copy)
    else:
        previous["copy"] = None  # the log itself was gone
    if head_path(path).exists():
        os.replace(head_path(path), head_path(copy))
    fsync_dir(path.parent)
    if log.anchor is not None:
        log.anchor.write_anchor(log_id(path), 0, GENESIS_HASH)
    record = _append(log, {"kind": "restart", "restart": previous})
    kept = f"the damaged log is kept as {copy}" if previous["copy"] else "the log file itself was missing"
    return RepairOutcome(
        True, f"started a new audit log at {path} (its record 1 says why); {kept}", copy=copy, record=record
    )
