"""Helpers for write-tool tests: the two-step call, the fake store's state, and the audit log's outcomes."""

from __future__ import annotations

import dataclasses
from operator import attrgetter
from pathlib import Path
from typing import Any

from mcp import Client

from clockodo_mcp.audit import iter_records
from clockodo_mcp.fake.dataset import EntryRecord
from tests.server.conftest import call

# Bookkeeping Clockodo sets on every write; "the same entry" ignores them.
# A one-hour entry on Phoenix: the write the gate and journal tests confirm.
LOG = {"project": "Phoenix", "service": "Development", "date": "2026-11-22", "start": "10:00", "duration": "1h"}
VOLATILE = {"id", "time_insert", "time_last_change", "texts_id"}


async def preview(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Step one: the preview (and its token)."""
    out = await call(client, tool, **arguments)
    assert out["status"] == "preview", out
    assert out["confirm_token"]
    return out


async def apply(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Both steps: preview, then confirm with the same arguments; returns the applied result."""
    token = (await preview(client, tool, **arguments))["confirm_token"]
    out = await call(client, tool, **arguments, confirm_token=token)
    assert out["status"] == "applied", out
    assert out["change_id"]
    return out


_ALL_FIELDS = attrgetter(*(f.name for f in dataclasses.fields(EntryRecord)))


def entries_state(store: Any) -> list[tuple[Any, ...]]:
    """Every entry's fields, in order: equal before and after means nothing was written."""
    return [_ALL_FIELDS(e) for e in store.entries]


def fields(entry: EntryRecord | None) -> dict[str, Any]:
    """An entry's content without ids and bookkeeping."""
    assert entry is not None
    return {k: v for k, v in dataclasses.asdict(entry).items() if k not in VOLATILE}


def outcomes(audit_path: Path, tool: str | None = None) -> list[dict[str, Any]]:
    """The audit log's outcome records (optionally one tool's), oldest first."""
    return [
        r for r in iter_records(audit_path) if r.get("kind") == "outcome" and (tool is None or r.get("tool") == tool)
    ]


async def preview_and_confirm(client: Any, tool: str, **arguments: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both steps; returns (preview, applied)."""
    preview = await call(client, tool, **arguments)
    assert preview["status"] == "preview"
    applied = await call(client, tool, **arguments, confirm_token=preview["confirm_token"])
    assert applied["status"] == "applied"
    return preview, applied


async def undo_change(client: Any, change_id: str) -> dict[str, Any]:
    """Undo a change through the gate; returns the applied undo."""
    _, applied = await preview_and_confirm(client, "undo", change_id=change_id)
    return applied


def outcome_statuses(audit_path: Any, tool: str) -> list[str]:
    """Audit outcome statuses of one tool, oldest first."""
    return [r["status"] for r in iter_records(audit_path) if r.get("kind") == "outcome" and r.get("tool") == tool]
