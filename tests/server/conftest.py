"""The MCP server against the fake Clockodo (in process, through httpx.ASGITransport), at a frozen instant."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.clockodo import ClockodoClient, RateLimitPolicy
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.dataset import Dataset
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY, seed
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ServerConfig
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.store import sqlite_url
from clockodo_mcp.sync import SyncOptions, open_target, sync_once
from tests.conftest import held_open

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 16:00 in Berlin, a Tuesday


def frozen_now() -> datetime:
    return NOW


@pytest.fixture
def dataset() -> Dataset:
    return seed(seed=7, today=TODAY)


@pytest.fixture
def fake_app(dataset: Dataset) -> Any:
    return create_app(dataset, now=frozen_now)


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


def make_runtime(
    fake_app: Any,
    audit_path: Path,
    *,
    user: str = OWNER_EMAIL,
    key: str = OWNER_KEY,
    rate_limit: RateLimitPolicy | None = None,
    **config: Any,
) -> Runtime:
    config.setdefault("store_url", sqlite_url(audit_path.with_name("store.sqlite3")))
    settings = ServerConfig(
        api_user=user,
        api_key=key,
        credential_source="test",
        base_url="http://fake.clockodo.test/api",
        audit_path=audit_path,
        **config,
    )
    return Runtime(settings, transport=httpx.ASGITransport(app=fake_app), clock=FrozenClock(NOW), rate_limit=rate_limit)


@pytest.fixture
def runtime(fake_app: Any, audit_path: Path) -> Runtime:
    return make_runtime(fake_app, audit_path)


@pytest.fixture
async def mcp_client(runtime: Runtime) -> AsyncIterator[Client]:
    async with held_open(Client(build_server(runtime))) as client:
        yield client


@pytest.fixture
async def worker_client(fake_app: Any, audit_path: Path) -> AsyncIterator[Client]:
    runtime = make_runtime(fake_app, audit_path, user=WORKER_EMAIL, key=WORKER_KEY)
    async with held_open(Client(build_server(runtime))) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool and return its structured result; fail the test on a tool error."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    """Call a tool that must fail and return the error text the model reads."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return " ".join(getattr(block, "text", "") for block in result.content)


def demo_mirror(directory: Path) -> str:
    """The demo company (seed 7, pinned to TODAY) synced by `clockodo-mcp sync` into a DuckDB file; its URL."""
    url = "duckdb:///" + (directory / "mirror.duckdb").as_posix().lstrip("/")

    async def build() -> None:
        async with ClockodoClient(
            api_user=OWNER_EMAIL,
            api_key=OWNER_KEY,
            app_name="tests",
            app_email="tests@example.com",
            base_url="http://fake.clockodo.test/api",
            transport=httpx.ASGITransport(app=create_app(seed(seed=7, today=TODAY), now=frozen_now)),
        ) as client:
            await sync_once(client, open_target(url), FrozenClock(NOW), SyncOptions())

    anyio.run(build)
    return url


@pytest.fixture(scope="module")
def synced_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company synced once per module (each test's fake holds the same seeded company), at NOW."""
    where = tmp_path_factory.mktemp("synced")
    demo_mirror(where)
    return where / "mirror.duckdb"


@pytest.fixture
def mirror_file(tmp_path: Path, synced_once: Path) -> Path:
    """This test's own copy of the synced mirror (to read, or to write a history into)."""
    copy = tmp_path / "mirror.duckdb"
    shutil.copy(synced_once, copy)
    return copy


@pytest.fixture
async def rig(fake_app: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """The views' browser rig (tests/server/browser.py): real HTTP, an Apps client and chromium."""
    from tests.server.browser import browser_rig

    async with browser_rig(fake_app, tmp_path, NOW) as ready:
        yield ready
