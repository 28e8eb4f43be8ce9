"""Shared helpers for the audit tests: a frozen clock and a log with a few records in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from clockodo_mcp.audit import AuditLog

FROZEN = dt.datetime(2025, 3, 14, 9, 26, 53, 589_793, tzinfo=dt.UTC)


def frozen_now() -> dt.datetime:
    """Always the same moment, so records are deterministic."""
    return FROZEN


def fill(log: AuditLog, count: int) -> None:
    """Append ``count`` intent/outcome records for a read tool."""
    for i in range(count):
        kind = "intent" if i % 2 == 0 else "outcome"
        log.append({"kind": kind, "call_id": f"call-{i // 2}", "tool": "unbilled_hours", "args": {"i": i}})


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    """Where the log under test lives (its directory does not exist yet)."""
    return tmp_path / "data" / "audit.jsonl"


@pytest.fixture
def make_log(log_path: Path) -> Callable[[int], AuditLog]:
    """A factory for a log at ``log_path`` pre-filled with some records."""

    def make(count: int = 0) -> AuditLog:
        log = AuditLog(log_path, now=frozen_now)
        fill(log, count)
        return log

    return make
