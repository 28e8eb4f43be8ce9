"""Reading the log for people and tools: tail, change history, lookup by change id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clockodo_mcp.audit.files import iter_lines_reversed, parse_record


def _parse_or_none(raw: bytes) -> dict[str, Any] | None:
    # Readers are lenient: a damaged line is verify's business, not a reason to hide the rest.
    if not raw.strip():
        return None
    try:
        return parse_record(raw)
    except ValueError:
        return None


def iter_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every readable record, oldest first (nothing when the log does not exist yet)."""
    path = Path(path)
    if not path.exists():
        return
    with path.open("rb") as f:
        for raw in f:
            rec = _parse_or_none(raw)
            if rec is not None:
                yield rec


def iter_records_reversed(path: Path) -> Iterator[dict[str, Any]]:
    """Every readable record, newest first, read from the end of the file."""
    path = Path(path)
    if not path.exists():
        return
    for raw in iter_lines_reversed(path):
        rec = _parse_or_none(raw)
        if rec is not None:
            yield rec


def tail(path: Path, n: int = 20, tool: str | None = None) -> list[dict[str, Any]]:
    """The last ``n`` records (optionally only one tool's), oldest first."""
    if n <= 0:
        return []
    picked: list[dict[str, Any]] = []
    for rec in iter_records_reversed(path):
        if tool is None or rec.get("tool") == tool:
            picked.append(rec)
            if len(picked) >= n:
                break
    picked.reverse()
    return picked


def is_write_outcome(rec: dict[str, Any]) -> bool:
    """Whether a record is the outcome of a confirmed, applied write (``status`` ok with a ``change``)."""
    return rec.get("kind", "outcome") == "outcome" and rec.get("status") == "ok" and isinstance(rec.get("change"), dict)


def list_changes(path: Path, limit: int = 20) -> list[dict[str, Any]]:
    """Outcome records of confirmed writes, newest first."""
    if limit <= 0:
        return []
    found: list[dict[str, Any]] = []
    for rec in iter_records_reversed(path):
        if is_write_outcome(rec):
            found.append(rec)
            if len(found) >= limit:
                break
    return found


def find_change(path: Path, change_id: str) -> dict[str, Any] | None:
    """The write outcome record whose ``change.change_id`` matches, newest first; ``None`` if absent."""
    for rec in iter_records_reversed(path):
        if is_write_outcome(rec) and rec["change"].get("change_id") == change_id:
            return rec
    return None
