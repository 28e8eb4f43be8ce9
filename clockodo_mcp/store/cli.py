"""``clockodo-mcp changes list | show``: the write journal for people; ``store migrate | info``: the store itself."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Protocol, TextIO, runtime_checkable

from clockodo_mcp.store.base import Change, ChangeStatus, Store, StoreError
from clockodo_mcp.store.sqlite import SQLiteStore

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
        "principal": change.principal,
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
    who = f" for principal {change.principal!r}" if change.principal else ""
    print(
        f"  confirmed by {change.confirmed_by}{who} at {data['created_at']}, last updated {data['updated_at']}",
        file=out,
    )
    for key in ("summary", "undoes", "undone_by", "args", "before", "planned", "result", "undo", "error", "steps"):
        value = data[key]
        if value not in (None, [], {}):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
            print(f"  {key}: {text}", file=out)
    return 0


@runtime_checkable
class _Migrates(Protocol):
    def migrate(self) -> tuple[int, int]: ...


def add_store_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], store_help: str) -> None:
    """``store migrate`` and ``store info``."""
    store = sub.add_parser("store", help="create or upgrade the store's schema, or show what the store holds")
    store_sub = store.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    migrate = store_sub.add_parser(
        "migrate", help="create or upgrade the schema (PostgreSQL stores are migrated only by this command)"
    )
    migrate.add_argument("--store", help=store_help)
    info = store_sub.add_parser("info", help="location, backend, schema version, writability, unsettled changes")
    info.add_argument("--json", action="store_true")
    info.add_argument("--store", help=store_help)


def migrate_command(store: Store, out: TextIO | None = None) -> int:
    """Create or upgrade the store's schema and say what was done; 1 when it cannot be."""
    out = out or sys.stdout
    try:
        if not isinstance(store, _Migrates):
            version = store.schema_version()  # an embedded store migrates itself whenever it is opened
            print(f"the store {store.location} is at schema version {version} (SQLite migrates on open)", file=out)
            return 0
        before, after = store.migrate()
    except StoreError as error:
        print(f"clockodo-mcp: {error}", file=sys.stderr)
        return 1
    if before == after:
        print(f"the store {store.location} is at schema version {after}: nothing to migrate", file=out)
    else:
        print(f"migrated the store {store.location} from schema version {before} to {after}", file=out)
    return 0


def info_command(store: Store, out: TextIO | None = None, *, as_json: bool = False) -> int:
    """Print where the store is, its backend and schema version, whether it can be written and what is unsettled; 1
    when something is wrong with it."""
    out = out or sys.stdout
    if isinstance(store, SQLiteStore) and not store.exists():
        print(f"the store {store.location} does not exist yet: it is created on the first write", file=out)
        return 0
    info = store.info()
    if as_json:
        data = {
            "location": info.location,
            "backend": info.backend,
            "schema_version": info.schema_version,
            "writable": info.writable,
            "unsettled": [{"change_id": c.change_id, "tool": c.tool, "status": c.status} for c in info.unsettled],
            "problem": info.problem,
        }
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
    else:
        print(f"store: {info.location}", file=out)
        print(f"backend: {info.backend}, schema version {info.schema_version}", file=out)
        print(f"writable: {'yes' if info.writable else 'no'}", file=out)
        listed = ", ".join(f"{c.change_id} ({c.tool}, {c.status})" for c in info.unsettled)
        print(f"unsettled changes: {len(info.unsettled)}{': ' + listed if listed else ''}", file=out)
        if info.problem:
            print(f"problem: {info.problem}", file=out)
    return 1 if info.problem else 0
