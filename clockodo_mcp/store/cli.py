"""``clockodo-mcp changes list | show``: the write journal for people (reconcile comes with recovery)."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from clockodo_mcp.store.base import Change, ChangeStatus, Store, StoreError

_SUMMARY_WIDTH = 70
_STATUS_WORDS: dict[str, str] = {
    "applying": "applying (sent or about to be sent; outcome not yet recorded)",
    "applied": "applied",
    "unknown": "unknown (the answer was lost: it may or may not have been applied)",
    "not_applied": "not applied",
    "failed": "failed (Clockodo refused a request)",
}


def _when(change: Change) -> str:
    return change.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")


def _summary(change: Change) -> str:
    summary = ""
    if isinstance(change.result, dict):
        summary = str(change.result.get("summary") or "")
    if not summary and change.summary:
        summary = change.summary
    if not summary and isinstance(change.planned, dict):
        summary = str(change.planned.get("action") or "")
    if not summary and change.error:
        summary = change.error
    return summary if len(summary) <= _SUMMARY_WIDTH else summary[: _SUMMARY_WIDTH - 1] + "…"


def change_as_json(change: Change) -> dict[str, Any]:
    """A journal row as plain data."""
    return {
        "change_id": change.change_id,
        "tool": change.tool,
        "status": change.status,
        "confirmed_by": change.confirmed_by,
        "created_at": _when(change),
        "updated_at": change.updated_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "args": change.args,
        "before": change.before,
        "planned": change.planned,
        "result": change.result,
        "undo": change.undo,
        "error": change.error,
        "summary": change.summary,
        "undoes": change.undoes,
        "undone_by": change.undone_by.change_id if change.undone_by else None,
        "steps": [{"step": s.index, "name": s.name, "status": s.status, "detail": s.detail} for s in change.steps],
    }


def list_command(
    store: Store,
    out: TextIO | None = None,
    *,
    limit: int = 20,
    status: ChangeStatus | None = None,
    tool: str | None = None,
    as_json: bool = False,
) -> int:
    """Print the newest changes, one line each (or JSON); 1 when the store cannot be read."""
    out = out or sys.stdout
    if not store.exists():
        print(f"no changes yet: the store {store.location} does not exist", file=out)
        return 0
    try:
        changes = store.list_changes(limit=limit, statuses=(status,) if status else None, tool=tool)
    except StoreError as error:
        print(f"clockodo-mcp: {error}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps([change_as_json(c) for c in changes], indent=2, ensure_ascii=False), file=out)
        return 0
    if not changes:
        which = " ".join(f for f in (status or "", f"for {tool}" if tool else "") if f)
        print(f"no {which + ' ' if which else ''}changes in the journal ({store.location})", file=out)
        return 0
    for change in changes:
        print(
            f"{change.change_id}  {_when(change)}  {change.tool:<18} {change.status:<11} {_summary(change)}", file=out
        )
    return 0


def show_command(store: Store, change_id: str, out: TextIO | None = None, *, as_json: bool = False) -> int:
    """Print one change in full; 1 when there is no such change."""
    out = out or sys.stdout
    try:
        change = store.get_change(change_id) if store.exists() else None
    except StoreError as error:
        print(f"clockodo-mcp: {error}", file=sys.stderr)
        return 1
    if change is None:
        print(
            f"there is no change {change_id!r} in the journal ({store.location}); `clockodo-mcp changes list` "
            "shows the recent ones",
            file=sys.stderr,
        )
        return 1
    data = change_as_json(change)
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
        return 0
    print(f"change {change.change_id}: {change.tool}, {_STATUS_WORDS.get(change.status, change.status)}", file=out)
    print(f"  confirmed by {change.confirmed_by} at {data['created_at']}, last updated {data['updated_at']}", file=out)
    for key in ("summary", "undoes", "undone_by", "args", "before", "planned", "result", "undo", "error", "steps"):
        value = data[key]
        if value not in (None, [], {}):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
            print(f"  {key}: {text}", file=out)
    return 0
