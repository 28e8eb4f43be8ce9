"""Checking a log end to end: every line, every link, every MAC, the head file and the store's anchor.

With the audit key, an intact result proves that every record was written by a holder of the key, in this order,
with none edited, inserted or reordered; with the store's anchor it also proves that none were cut off the end and
that the log was not replaced or deleted since the store last saw it. Without the key only the structure can be
checked, and the result says so (`unverified`): anyone can write a structurally perfect chain.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from clockodo_mcp.audit.files import GENESIS_HASH, Head, HeadError, head_path, parse_record, read_head
from clockodo_mcp.audit.keys import ENV_AUDIT_KEY, AuditKey, AuditKeyError, key_path, load_key
from clockodo_mcp.audit.log import (
    FORMAT_VERSION,
    GROUP_FIELD,
    GROUP_MAX,
    AnchorRecord,
    AnchorStore,
    chain_hash,
    log_id,
    record_version,
)

TORN = "the last line is incomplete — the log was cut mid-record"


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
    keyed: int = 0  # v2 records (HMAC under the audit key)
    unkeyed: int = 0  # v1 records (plain SHA-256, from before the key)
    unverified: bool = False  # nothing wrong was found, but the MACs could not be checked (no key)
    anchor_checked: bool = False
    torn: bool = False  # the only damage is a torn last line (`audit repair` fixes it)


def _bad(records: int, seq: int | None, line: int | None, reason: str, **extra: Any) -> VerifyResult:
    return VerifyResult(ok=False, records=records, first_bad_seq=seq, first_bad_line=line, reason=reason, **extra)


@dataclass
class ChainWalk:
    """How far a walk along the chain got: records checked, the last hash, and counts by kind."""

    records: int = 0
    prev_hash: str = GENESIS_HASH
    last: dict[str, Any] | None = None
    # (seq, prev_hash, group) of the last GROUP_MAX records: an anchor may lag behind by one trailing group commit.
    recent: deque[tuple[int, str, object]] = field(default_factory=lambda: deque(maxlen=GROUP_MAX))
    keyed: int = 0
    unkeyed: int = 0
    unchecked: int = 0


def _walk(lines: Iterable[bytes], key: AuditKey | None) -> tuple[ChainWalk, VerifyResult | None]:
    """Check every line; the walk so far, and the failure if there is one."""
    walk = ChainWalk()
    for lineno, raw in enumerate(lines, start=1):
        expected = walk.records + 1
        reason = line_problem(raw, expected, walk, key)
        if reason is not None:
            failure = _bad(
                walk.records, expected, lineno, reason, keyed=walk.keyed, unkeyed=walk.unkeyed, torn=reason == TORN
            )
            return walk, failure
    return walk, None


def line_problem(raw: bytes, expected: int, walk: ChainWalk, key: AuditKey | None) -> str | None:
    """What is wrong with one line (advancing the walk when nothing is), or None."""
    if not raw.endswith(b"\n"):
        return TORN
    body = raw[:-1]
    if not body.strip():
        return "blank line — something was inserted or removed here"
    try:
        rec = parse_record(body)
    except ValueError as exc:
        return f"not a valid JSON record ({exc}) — the line was edited"
    seq = rec.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        return "the record has no integer seq — the line was edited"
    if seq > expected:
        return f"found seq {seq} where seq {expected} was expected — records were deleted or reordered"
    if seq < expected:
        return f"found seq {seq} where seq {expected} was expected — records were inserted, duplicated or reordered"
    if rec.get("prev_hash") != walk.prev_hash:
        return "prev_hash does not link to the previous record — records were inserted, deleted or reordered"
    version = record_version(rec)
    if version is None:
        return f"unknown record format {rec.get('v')!r} — the line was edited, or a newer version wrote it"
    if version == 1 and walk.keyed:
        return "an unkeyed (v1) record after keyed ones — the log was rewritten without the key"
    expected_hash = chain_hash(rec, key.secret if key is not None else None)
    if expected_hash is None:  # a keyed record and no key: only the structure can be checked
        walk.unchecked += 1
    elif rec.get("hash") != expected_hash:
        why = " (or signed with another audit key)" if version == FORMAT_VERSION else ""
        return f"hash mismatch — the record was edited{why}"
    if version == FORMAT_VERSION:
        walk.keyed += 1
    else:
        walk.unkeyed += 1
    walk.records = expected
    walk.recent.append((expected, walk.prev_hash, rec.get(GROUP_FIELD)))
    walk.prev_hash = str(rec.get("hash"))
    walk.last = rec
    return None


def _behind(count: int) -> str:
    return "one record behind" if count == 1 else f"{count} records behind"


def _behind_by_one_group(anchor_seq: int, anchor_hash: str, walk: ChainWalk) -> bool:
    """Whether exactly the records after the anchor form one group commit (the anchors are updated after it)."""
    group = walk.records - anchor_seq
    if not 1 < group <= GROUP_MAX:
        return False
    trailing = [r for r in walk.recent if r[0] > anchor_seq]
    return (
        len(trailing) == group
        and trailing[0][:2] == (anchor_seq + 1, anchor_hash)
        and all(g == group and not isinstance(g, bool) for _, _, g in trailing)
    )


def _against(
    name: str, anchor_seq: int, anchor_hash: str, walk: ChainWalk
) -> tuple[Literal["ok", "behind", "bad"], VerifyResult | None]:
    """Compare the log with one anchor of its head (the head file, or the store)."""
    records = walk.records
    if anchor_seq > records:
        return "bad", _bad(
            records,
            records + 1,
            None,
            f"records {records + 1}..{anchor_seq} are missing — the log was truncated ({name} records {anchor_seq} "
            "records)",
        )
    if anchor_seq == records:
        if anchor_hash != walk.prev_hash:
            return "bad", _bad(
                records,
                records,
                records,
                f"the last record (seq {records}) does not match {name} — the tail was rewritten",
            )
        return "ok", None
    if anchor_seq == records - 1 and walk.last is not None and walk.last.get("prev_hash") == anchor_hash:
        return "behind", None
    if _behind_by_one_group(anchor_seq, anchor_hash, walk):
        return "behind", None
    return "bad", _bad(
        records,
        anchor_seq + 1,
        anchor_seq + 1,
        f"records after seq {anchor_seq} were added without updating {name}, or the tail was rewritten",
    )


def check_lines(
    lines: Iterable[bytes],
    *,
    head: Head | None,
    head_error: str | None = None,
    head_name: str = "the head anchor",
    key: AuditKey | None,
    anchor: AnchorRecord | None = None,
    anchor_checked: bool = False,
    key_problem: str | None = None,
) -> VerifyResult:
    """Verify a log given as its lines (with newlines), its head anchor, its key and the store's anchor."""
    walk, failure = _walk(lines, key)
    if failure is not None:
        return failure
    warnings: list[str] = []

    def counted(result: VerifyResult) -> VerifyResult:
        return replace(result, keyed=walk.keyed, unkeyed=walk.unkeyed, anchor_checked=anchor_checked)

    if head_error is not None:
        return counted(_bad(walk.records, None, None, f"{head_name} is unreadable: {head_error}"))
    if head is None:
        if walk.records:
            return counted(
                _bad(
                    walk.records,
                    None,
                    None,
                    f"{head_name} is missing, so truncation of trailing records cannot be ruled out",
                )
            )
    else:
        state, bad = _against(head_name, head.seq, head.hash, walk)
        if bad is not None:
            return counted(bad)
        if state == "behind":
            warnings.append(
                f"the head anchor is {_behind(walk.records - head.seq)} (seq {head.seq}): an append was interrupted "
                "after its record was stored; the next append repairs it"
            )
    if anchor_checked:
        if anchor is None:
            if walk.records:
                warnings.append(
                    "the store holds no anchor for this log yet (it was written before the store existed, or the "
                    "store was replaced): truncation before now cannot be ruled out; the next append anchors it"
                )
        else:
            state, bad = _against("the head anchored in the store", anchor.seq, anchor.hash, walk)
            if bad is not None:
                return counted(bad)
            if state == "behind" and not warnings:
                warnings.append(
                    f"the store's anchor is {_behind(walk.records - anchor.seq)} (seq {anchor.seq}): an append was "
                    "interrupted; the next append repairs it"
                )
    if walk.unkeyed:
        warnings.append(
            f"{walk.unkeyed} unkeyed (v1) record(s) from before the audit key: their plain SHA-256 chain proves "
            "nothing against someone who can rewrite the file"
        )
    warning = "; ".join(warnings) or None
    if walk.unchecked:
        why = key_problem or (
            f"no audit key (set {ENV_AUDIT_KEY}, or keep the key file beside the log) — anyone can write a chain "
            "with this structure"
        )
        return counted(
            VerifyResult(
                ok=False,
                records=walk.records,
                reason=f"the MACs of {walk.unchecked} keyed record(s) were not checked: {why}",
                warning=warning,
                unverified=True,
            )
        )
    return counted(VerifyResult(ok=True, records=walk.records, warning=warning))


def verify(
    path: Path,
    *,
    key: AuditKey | Literal["auto"] | None = "auto",
    store: AnchorStore | None = None,
    environ: Mapping[str, str] | None = None,
) -> VerifyResult:
    """Verify the whole log; ``first_bad_seq`` is the seq the chain expected where it first broke.

    ``key="auto"`` takes the key as the appender does (``CLOCKODO_MCP_AUDIT_KEY``, else the key file), never
    creating one. With ``store``, the head anchored there is checked too.
    """
    path = Path(path)
    key_problem: str | None = None
    if key == "auto":
        try:
            key = load_key(path, environ)
        except AuditKeyError as exc:
            key, key_problem = None, str(exc)
    try:
        head: Head | None = read_head(path)
    except HeadError as exc:
        head_error: str | None = str(exc)
        head = None
    else:
        head_error = None
    anchor: AnchorRecord | None = None
    if store is not None:
        try:
            anchor = store.read_anchor(log_id(path))
        except Exception as exc:  # the store's error types live above this layer
            return _bad(0, None, None, f"the store holding the audit anchor cannot be read ({exc})")

    if not path.exists():
        if head is not None and head.seq > 0:
            return _bad(0, 1, None, f"the log file is missing but its head anchor records {head.seq} records")
        if anchor is not None and anchor.seq > 0:
            return _bad(
                0,
                1,
                None,
                f"the log file is missing, but the store's anchor says it held {anchor.seq} records — the log "
                "(and its head file) were deleted or moved",
                anchor_checked=True,
            )
        return VerifyResult(ok=True, records=0, exists=False, anchor_checked=store is not None)

    with path.open("rb") as f:
        return check_lines(
            f,
            head=head,
            head_error=head_error,
            head_name=f"the head anchor {head_path(path).name}",
            key=key,
            anchor=anchor,
            anchor_checked=store is not None,
            key_problem=key_problem,
        )


__all__ = ["TORN", "ChainWalk", "VerifyResult", "check_lines", "key_path", "line_problem", "verify"]
