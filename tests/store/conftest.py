"""The store under test, on both backends: an SQLite file, and a fresh migrated schema in the test PostgreSQL.

PostgreSQL tests run in parallel (pytest-xdist) against one server, so each gets a schema of its own
(`?schema=t_<random>`), dropped afterwards. Without a reachable server they skip, saying where they looked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.store import Store, open_store, sqlite_url
from tests.store.helpers import NOW

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of an empty store: a new SQLite file, or a fresh migrated PostgreSQL schema."""
    if backend == "sqlite":
        return sqlite_url(tmp_path / "data" / "store.sqlite3")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def open_same(store_url: str, clock: FrozenClock) -> Iterator[Callable[[], Store]]:
    """Opens another store on the same URL (another process would); all are closed after the test."""
    opened: list[Store] = []

    def open_one() -> Store:
        store = open_store(store_url, now=clock.now)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(open_same: Callable[[], Store]) -> Store:
    """The store under test, on each backend."""
    return open_same()
