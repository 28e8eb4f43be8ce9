"""Checking a log's chain end to end: every line, every link, every hash, and the head anchor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clockodo_mcp.audit.files import GENESIS_HASH, Head, HeadError, head_path, parse_record, read_head
from clockodo_mcp.audit.log import record_hash


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of ``verify``; on failure, where the chain first breaks and why."""

    ok: bool
    records: int
    first_bad_seq: int | None = None
    first_bad_line: int | None = None
    reason: str | None = None
    warning: str | None = None
    exists: bool = True


def _bad(records: int, seq: int | None, line: int | None, reason: str) -> VerifyResult:
    return VerifyResult(ok=False, records=records, first_bad_seq=seq, first_bad_line=line, reason=reason)


def verify(path: Path) -> VerifyResult:
    """Verify the whole chain; ``first_bad_seq`` is the seq the chain expected where it first broke."""
    path = Path(path)
    try:
        head: Head | None = read_head(path)
    except HeadError as exc:
        head_error: str | None = str(exc)
        head = None
    else:
        head_error = None

    if not path.exists():
        if head is not None and head.seq > 0:
            return _bad(0, 1, None, f"the log file is missing but its head anchor records {head.seq} records")
        return VerifyResult(ok=True, records=0, exists=False)

    records = 0
    prev_hash = GENESIS_HASH
    last_rec: dict[str, object] | None = None
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, start=1):
            expected = records + 1
            if not raw.endswith(b"\n"):
                return _bad(records, expected, lineno, "the last line is incomplete — the log was cut mid-record")
            body = raw[:-1]
            if not body.strip():
                return _bad(records, expected, lineno, "blank line — something was inserted or removed here")
            try:
                rec = parse_record(body)
            except ValueError as exc:
                return _bad(records, expected, lineno, f"not a valid JSON record ({exc}) — the line was edited")
            seq = rec.get("seq")
            if not isinstance(seq, int) or isinstance(seq, bool):
                return _bad(records, expected, lineno, "the record has no integer seq — the line was edited")
            if seq > expected:
                return _bad(
                    records,
                    expected,
                    lineno,
                    f"found seq {seq} where seq {expected} was expected — records were deleted or reordered",
                )
            if seq < expected:
                return _bad(
                    records,
                    expected,
                    lineno,
                    f"found seq {seq} where seq {expected} was expected — records were inserted, "
                    "duplicated or reordered",
                )
            if rec.get("prev_hash") != prev_hash:
                return _bad(
                    records,
                    expected,
                    lineno,
                    "prev_hash does not link to the previous record — records were inserted, deleted or reordered",
                )
            if rec.get("hash") != record_hash(rec):
                return _bad(records, expected, lineno, "hash mismatch — the record was edited")
            records = expected
            prev_hash = str(rec["hash"])
            last_rec = rec
    return _check_head(path, records, prev_hash, last_rec, head, head_error)


def _check_head(
    path: Path,
    records: int,
    last_hash: str,
    last_rec: dict[str, object] | None,
    head: Head | None,
    head_error: str | None,
) -> VerifyResult:
    anchor = head_path(path).name
    if head_error is not None:
        return _bad(records, None, None, f"the head anchor {anchor} is unreadable: {head_error}")
    if head is None:
        if records == 0:
            return VerifyResult(ok=True, records=0)
        return _bad(
            records,
            None,
            None,
            f"the head anchor {anchor} is missing, so truncation of trailing records cannot be ruled out",
        )
    if head.seq > records:
        return _bad(
            records,
            records + 1,
            None,
            f"records {records + 1}..{head.seq} are missing — the log was truncated "
            f"(its head anchor records {head.seq} records)",
        )
    if head.seq == records:
        if head.hash != last_hash:
            return _bad(
                records,
                records,
                records,
                f"the last record (seq {records}) does not match the head anchor — the tail was rewritten",
            )
        return VerifyResult(ok=True, records=records)
    if head.seq == records - 1 and last_rec is not None and last_rec.get("prev_hash") == head.hash:
        return VerifyResult(
            ok=True,
            records=records,
            warning=f"the head anchor is one record behind (seq {head.seq}): an append was interrupted "
            "after its record was stored; the next append repairs it",
        )
    return _bad(
        records,
        head.seq + 1,
        head.seq + 1,
        f"records after seq {head.seq} were added without updating the head anchor, or the tail was rewritten",
    )
