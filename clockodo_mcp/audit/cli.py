"""``clockodo-mcp audit verify | repair | tail``, as functions the CLI wires up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from clockodo_mcp.audit.canonical import canonical_json
from clockodo_mcp.audit.log import AnchorStore, AuditLog, AuditWriteError, default_audit_path
from clockodo_mcp.audit.readers import tail
from clockodo_mcp.audit.repair import RepairRefused, repair
from clockodo_mcp.audit.verify import verify

_ARGS_WIDTH = 80


def verify_command(
    path: Path | None = None,
    out: TextIO | None = None,
    *,
    store: AnchorStore | None = None,
    store_note: str | None = None,
) -> int:
    """Verify the log (and its anchor in ``store``) and print the verdict; 0 when intact, 1 otherwise."""
    out = out or sys.stdout
    path = path or default_audit_path()
    result = verify(path, store=store)
    if result.ok:
        if not result.exists:
            print(f"audit log OK: no log file yet, nothing has been logged ({path})", file=out)
        else:
            print(f"audit log OK: {result.records} records, chain intact ({path})", file=out)
        if result.warning:
            print(f"note: {result.warning}", file=out)
        if store_note:
            print(f"note: {store_note}", file=out)
        return 0
    if result.unverified:
        print(
            f"audit log UNVERIFIED: {result.records} records are structurally intact, but {result.reason} ({path})",
            file=out,
        )
        return 1
    if result.first_bad_line is not None:
        where = f"at record seq {result.first_bad_seq} (line {result.first_bad_line})"
    elif result.first_bad_seq is not None:
        where = f"at record seq {result.first_bad_seq}"
    else:
        where = f"after {result.records} intact records"
    print(f"audit log TAMPERED {where}: {result.reason} ({path})", file=out)
    if result.torn:
        print(
            "fix: a crash can leave a torn last line; `clockodo-mcp audit repair` removes it (keeping a copy) and "
            "records the repair. Until then writes are refused; reads go on.",
            file=out,
        )
    if store_note:
        print(f"note: {store_note}", file=out)
    return 1


def repair_command(log: AuditLog, out: TextIO | None = None, *, start_new: bool = False) -> int:
    """Repair a torn last line (or start a new log); print what was done; 0 on success or nothing to do."""
    out = out or sys.stdout
    try:
        outcome = repair(log, start_new=start_new)
    except (RepairRefused, AuditWriteError) as error:
        print(f"audit repair refused: {error}", file=out)
        return 1
    print(f"audit log {outcome.message}", file=out)
    return 0


def _short(value: Any) -> str:
    text = canonical_json(value) if value not in (None, {}) else ""
    return text if len(text) <= _ARGS_WIDTH else text[: _ARGS_WIDTH - 1] + "…"


def format_record(rec: dict[str, Any]) -> str:
    """One readable line: seq, time, kind, tool, status, short arguments (and change id or error)."""
    parts = [
        f"{rec.get('seq', '?'):>6}",
        str(rec.get("ts", "")),
        f"{rec.get('kind', ''):<7}",
        f"{rec.get('tool', '')}",
        f"{rec.get('status', '-')}",
    ]
    args = _short(rec.get("args"))
    if args:
        parts.append(args)
    change = rec.get("change")
    if isinstance(change, dict) and change.get("change_id"):
        parts.append(f"change={change['change_id']}")
    if rec.get("error"):
        parts.append(f"error={_short(rec['error'])}")
    return "  ".join(parts)


def tail_command(path: Path | None = None, n: int = 20, tool: str | None = None, out: TextIO | None = None) -> int:
    """Print the last ``n`` records (optionally one tool's), one line each; always 0."""
    out = out or sys.stdout
    path = path or default_audit_path()
    records = tail(path, n, tool)
    if not records:
        which = f" for tool {tool}" if tool else ""
        print(f"no audit records{which} yet ({path})", file=out)
        return 0
    for rec in records:
        print(format_record(rec), file=out)
    return 0
