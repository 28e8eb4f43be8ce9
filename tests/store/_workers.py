"""Worker entry points for the multi-process store tests (importable by spawned children)."""

from __future__ import annotations

from datetime import UTC, datetime
from multiprocessing.synchronize import Barrier
from pathlib import Path

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.store import NewChange, NonceSpent, SQLiteStore

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 11, 24, 15, 10, tzinfo=UTC)


def spend(path: str, worker: int, nonce: str, barrier: Barrier, results: dict[int, str]) -> None:
    """Open the store, wait for every worker, then try to spend the one nonce."""
    store = SQLiteStore(Path(path), now=FrozenClock(NOW).now)
    store.schema_version()  # opened before the barrier, so the race is about the spend alone
    barrier.wait(timeout=60)
    change = NewChange(
        change_id=f"change-{worker}",
        tool="log_time",
        args={"worker": worker},
        before=None,
        planned=None,
        confirmed_by="token",
        nonce=nonce,
        nonce_expires_at=EXPIRES,
    )
    try:
        store.begin_change(change)
    except NonceSpent as spent:
        results[worker] = f"spent by {spent.spent.change_id}"
    else:
        results[worker] = "won"
    finally:
        store.close()
