"""Durable state behind one interface: the write journal, the nonce ledger and the audit anchor."""

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
from clockodo_mcp.store.url import ENV_STORE, StoreUrl, default_store_url, parse_store_url, sqlite_url


def open_store(url: str, *, now: Callable[[], datetime] = SYSTEM_CLOCK.now) -> Store:
    """The store a URL names; nothing is opened until first use. `StoreConfigError` for a URL it cannot serve."""
    parsed = parse_store_url(url)
    return SQLiteStore(parsed.path, now=now)


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
    "default_store_url",
    "open_store",
    "parse_store_url",
    "sqlite_url",
]
