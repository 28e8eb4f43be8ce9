"""Shared test helpers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from tests.store.helpers import drop_schema, postgres_url, with_query

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _no_os_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Never touch a developer's real keychain (tests that need one install an in-memory backend)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _private_store(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test (and every server it starts in a subprocess) gets its own store, and no audit key from the shell."""
    store = tmp_path_factory.mktemp("store") / "store.sqlite3"
    monkeypatch.setenv("CLOCKODO_MCP_STORE", f"sqlite:///{store.as_posix().lstrip('/')}")
    monkeypatch.delenv("CLOCKODO_MCP_AUDIT_KEY", raising=False)


@asynccontextmanager
async def held_open(manager: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """Enter and exit an async context manager in ONE background task.

    pytest-asyncio runs a fixture's setup and teardown in different tasks, which anyio task groups (the MCP
    client, the server lifespan) refuse; holding the manager in its own task keeps enter and exit together.
    """
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[T] = loop.create_future()
    done = asyncio.Event()

    async def hold() -> None:
        try:
            async with manager as value:
                ready.set_result(value)
                await done.wait()
        except BaseException as error:
            if not ready.done():
                ready.set_exception(error)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await ready
    finally:
        done.set()
        await task


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict: no OS keychain is touched by the tests."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A fresh in-memory keyring for one test; the previous backend is restored afterwards."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(memory_keyring: MemoryKeyring) -> None:
    """No usable keyring backend, as on headless Linux (set after, and restored with, the in-memory one)."""
    keyring.set_keyring(fail.Keyring())


# Skips that cannot be helped on CI's machine (it runs as root); any other skip under CI=true fails the run, so a
# test that needs a server or a tool cannot pass CI by skipping.
CI_ALLOWED_SKIPS = ("root ignores directory permissions", "root ignores file permissions")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true, turn an unexpected skip into a failed run."""
    import os

    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    unexpected = [r for r in skipped if not any(reason in str(r.longrepr) for reason in CI_ALLOWED_SKIPS)]
    if unexpected:
        for report in unexpected:
            print(f"\nCI must not skip: {report.nodeid}: {report.longrepr}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# PostgreSQL for every test that needs it (the store, the server on a shared store, the replicas): a schema of the
# test's own, so that parallel tests share the server without sharing state.
@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A schema name of this test's own, not created yet; dropped afterwards whatever the test made of it."""
    postgres_url()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield schema
    drop_schema(schema)


@pytest.fixture
def pg_unmigrated_url(pg_schema: str) -> str:
    """A store URL naming this test's schema, which nobody has migrated."""
    return with_query(postgres_url(), schema=pg_schema)


@pytest.fixture
def pg_url(pg_unmigrated_url: str) -> str:
    """A store URL naming this test's schema, migrated by `store migrate`'s code."""
    from clockodo_mcp.store.postgres import PostgresStore
    from clockodo_mcp.store.url import parse_postgres_url

    PostgresStore(parse_postgres_url(pg_unmigrated_url)).migrate()
    return pg_unmigrated_url
