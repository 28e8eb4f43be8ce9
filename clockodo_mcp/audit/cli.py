"""``clockodo-mcp audit verify | repair | tail``, as functions the CLI wires up."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from clockodo_mcp.audit.canonical import canonical_json
from clockodo_mcp.audit.log import AnchorStore, AuditLog, AuditWriteError, default_audit_path
from clockodo_mcp.audit.pg_url import AuditUrlError
from clockodo_mcp.audit.readers import tail
from clockodo_mcp.audit.repair import RepairRefused, repair
from clockodo_mcp.audit.verify import VerifyResult, verify

_ARGS_WIDTH = 80


def verify_command(
    path: Path | None = None,
    out: TextIO | None = None,
    *,
    store: AnchorStore | None = None,
    store_note: str | None = None,
) -> int:
    """Verify the log (and its anchor in ``store``) and print the verdict; 0 when intact, 1 otherwise."""
    path = path or default_audit_path()
    empty = f"no log file yet, nothing has been logged ({path})"
    return print_verdict(verify(path, store=store), str(path), out or sys.stdout, empty=empty, store_note=store_note)


def print_verdict(
    result: VerifyResult, where: str, out: TextIO, *, empty: str | None = None, store_note: str | None = None
) -> int:
    """Print a verify result as one verdict line (plus notes); 0 when intact, 1 otherwise."""
    if result.ok:
        if not result.exists:
            print(f"audit log OK: {empty or f'nothing has been logged yet ({where})'}", file=out)
        else:
            print(f"audit log OK: {result.records} records, chain intact ({where})", file=out)
        if result.warning:
            print(f"note: {result.warning}", file=out)
        if store_note:
            print(f"note: {store_note}", file=out)
        return 0
    if result.unverified:
        print(
            f"audit log UNVERIFIED: {result.records} records are structurally intact, but {result.reason} ({where})",
            file=out,
        )
        return 1
    if result.first_bad_line is not None:
        at = f"at record seq {result.first_bad_seq} (line {result.first_bad_line})"
    elif result.first_bad_seq is not None:
        at = f"at record seq {result.first_bad_seq}"
    else:
        at = f"after {result.records} intact records"
    print(f"audit log TAMPERED {at}: {result.reason} ({where})", file=out)
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
    path = path or default_audit_path()
    return _print_records(tail(path, n, tool), str(path), tool, out or sys.stdout)


def _print_records(records: list[dict[str, Any]], where: str, tool: str | None, out: TextIO) -> int:
    if not records:
        which = f" for tool {tool}" if tool else ""
        print(f"no audit records{which} yet ({where})", file=out)
        return 0
    for rec in records:
        print(format_record(rec), file=out)
    return 0


def postgres_command(
    action: str,
    url: str,
    *,
    path: Path | None = None,
    n: int = 20,
    tool: str | None = None,
    out: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """``audit verify | tail | repair`` when the store is PostgreSQL (the chain lives in its tables); 0 when intact
    (or shown), 1 when not, 2 for a command that cannot work this way."""
    out = out or sys.stdout
    if action == "tail" and path is not None:
        return tail_command(path, n, tool, out)  # an explicit file is read as a file
    try:
        from clockodo_mcp.audit.pg import AuditReadError, pg_audit_from_url, tail_pg, verify_pg
    except ImportError as error:  # psycopg is an optional dependency
        print(
            f"clockodo-mcp: the store is PostgreSQL, which needs psycopg ({error}): pip install 'psycopg[binary]'",
            file=out,
        )
        return 2
    try:
        audit, connect = pg_audit_from_url(url, environ=environ)
    except AuditUrlError as error:
        print(f"clockodo-mcp: {error}", file=out)
        return 2
    if path is not None:
        print(
            f"clockodo-mcp: --path names a JSON Lines log, but the store {audit.location} keeps the audit log in "
            "PostgreSQL; drop --path (or pass --store with the file log's own store).",
            file=out,
        )
        return 2
    try:
        if action == "tail":
            return _print_records(tail_pg(connect, audit.log, n, tool), audit.location, tool, out)
        result = verify_pg(connect, audit.log, environ=environ)
    except AuditReadError as error:
        print(f"audit log UNREADABLE: {error} ({audit.location})", file=out)
        return 1
    if action == "verify":
        return print_verdict(result, audit.location, out)
    # Appends are transactions, so a PostgreSQL log is never torn: repair has nothing it may cut.
    if result.ok:
        print(f"audit log nothing to repair: {result.records} records, chain intact ({audit.location})", file=out)
        return 0
    print(
        f"audit repair refused: a PostgreSQL audit log is never torn (every append is a transaction), so repair "
        f"changes nothing; keep the tables as evidence ({result.reason}; {audit.location})",
        file=out,
    )
    return 1
