"""Durable state behind one interface: the write journal, the nonce ledger, the audit anchor, the principals and the
shared rate budget; in an SQLite file (the embedded default) or in PostgreSQL (several replicas)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from clockodo_mcp.clock import SYSTEM_CLOCK
from clockodo_mcp.store.base import (
    CHANGE_STATUSES,
    LIVE,
    UNSETTLED,
    AlreadyUndone,
    Anchor,
    Change,
    ChangeStatus,
    NewChange,
    NonceSpent,
    Principal,
    PrincipalExists,
    SpentNonce,
    Step,
    Store,
    StoreConfigError,
    StoreError,
    StoreInfo,
    StoreSchemaError,
    StoreUnavailable,
    UndoneBy,
)
from clockodo_mcp.store.sqlite import SCHEMA_VERSION, SQLiteStore
from clockodo_mcp.store.url import (
    ENV_STORE,
    PostgresStoreUrl,
    StoreUrl,
    default_store_url,
    mask_password,
    parse_store_url,
    sqlite_url,
)


def open_store(url: str, *, now: Callable[[], datetime] = SYSTEM_CLOCK.now) -> Store:
    """The store a URL names; nothing is opened until first use. `StoreConfigError` for a URL it cannot serve."""
    parsed = parse_store_url(url)
    if isinstance(parsed, StoreUrl):
        return SQLiteStore(parsed.path, now=now)
    try:
        from clockodo_mcp.store.postgres import PostgresStore
    except ImportError as error:  # psycopg is the `postgres` extra
        raise StoreConfigError(
            f"The store {parsed.location} is PostgreSQL, which needs psycopg ({error}): install clockodo-mcp with "
            "its postgres extra, e.g. pip install 'clockodo-mcp[postgres]'."
        ) from None
    return PostgresStore(parsed, now=now)


def check_ready(store: Store) -> None:
    """Refuse to serve from a shared store that cannot be reached or is not migrated (`StoreError` says the fix).

    An embedded SQLite store is created on its first use, as ever, so it is not opened here.
    """
    if not isinstance(store, SQLiteStore):
        store.schema_version()


__all__ = [
    "CHANGE_STATUSES",
    "ENV_STORE",
    "LIVE",
    "SCHEMA_VERSION",
    "UNSETTLED",
    "AlreadyUndone",
    "Anchor",
    "Change",
    "ChangeStatus",
    "NewChange",
    "NonceSpent",
    "PostgresStoreUrl",
    "Principal",
    "PrincipalExists",
    "SQLiteStore",
    "SpentNonce",
    "Step",
    "Store",
    "StoreConfigError",
    "StoreError",
    "StoreInfo",
    "StoreSchemaError",
    "StoreUnavailable",
    "StoreUrl",
    "UndoneBy",
    "check_ready",
    "default_store_url",
    "mask_password",
    "open_store",
    "parse_store_url",
    "sqlite_url",
]
