"""Worker entry points for the multi-process tests (importable by spawned children)."""

from __future__ import annotations

from pathlib import Path

from clockodo_mcp.audit import AuditLog


def append_many(path: str, worker: int, count: int) -> None:
    """Append ``count`` records from a fresh process."""
    log = AuditLog(Path(path))
    for i in range(count):
        log.append({"kind": "intent", "tool": f"worker-{worker}", "args": {"i": i}})
