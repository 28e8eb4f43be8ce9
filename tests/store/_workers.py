"""Worker entry points for the multi-process store tests (importable by spawned children)."""

from __future__ import annotations

from datetime import UTC, datetime
from multiprocessing.synchronize import Barrier

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.store import NewChange, NonceSpent, Principal, PrincipalExists, open_store

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 11, 24, 15, 10, tzinfo=UTC)


def spend(url: str, worker: int, nonce: str, barrier: Barrier, results: dict[int, str]) -> None:
    """Open the store, wait for every worker, then try to spend the one nonce."""
    store = open_store(url, now=FrozenClock(NOW).now)
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


def admit(
    url: str, worker: int, times: int, limits: tuple[tuple[int, float], ...], barrier: Barrier, results: dict[int, int]
) -> None:
    """Ask the shared rate budget `times` times at one frozen instant; record how many were admitted."""
    store = open_store(url, now=FrozenClock(NOW).now)
    store.schema_version()
    barrier.wait(timeout=60)
    try:
        results[worker] = sum(store.admit_request("anna@example.com", limits) == 0.0 for _ in range(times))
    finally:
        store.close()


def add_principal(url: str, worker: int, barrier: Barrier, results: dict[int, str]) -> None:
    """Try to add the principal every worker adds."""
    store = open_store(url, now=FrozenClock(NOW).now)
    store.schema_version()
    barrier.wait(timeout=60)
    principal = Principal(
        name="anna", api_user="anna@example.com", key_sealed=f"k-{worker}", token_hash=f"h-{worker}", created_at=NOW
    )
    try:
        store.add_principal(principal)
    except PrincipalExists:
        results[worker] = "exists"
    else:
        results[worker] = "added"
    finally:
        store.close()
