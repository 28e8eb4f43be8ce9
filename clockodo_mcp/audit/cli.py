"""``clockodo-mcp audit verify`` and ``clockodo-mcp audit tail``, as functions the CLI wires up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from clockodo_mcp.audit.canonical import canonical_json
from clockodo_mcp.audit.log import default_audit_path
from clockodo_mcp.audit.readers import tail
from clockodo_mcp.audit.verify import verify

_ARGS_WIDTH = 80


def verify_command(path: Path | None = None, out: TextIO | None = None) -> int:
    """Verify the log and print one verdict line; 0 when intact, 1 when tampered or damaged."""
    out = out or sys.stdout
    path = path or default_audit_path()
    result = verify(path)
    if result.ok:
        if not result.exists:
            print(f"audit log OK: no log file yet, nothing has been logged ({path})", file=out)
        else:
            print(f"audit log OK: {result.records} records, chain intact ({path})", file=out)
        if result.warning:
            print(f"note: {result.warning}", file=out)
        return 0
    if result.first_bad_line is not None:
        where = f"at record seq {result.first_bad_seq} (line {result.first_bad_line})"
    elif result.first_bad_seq is not None:
        where = f"at record seq {result.first_bad_seq}"
    else:
        where = f"after {result.records} intact records"
    print(f"audit log TAMPERED {where}: {result.reason} ({path})", file=out)
    return 1


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
