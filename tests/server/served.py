"""The MCP server over any dataset at any instant: for the date matrix and for hand-built companies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
from mcp import Client

from clockodo_mcp.clock import FrozenClock, pinned_instant
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.dataset import Dataset
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, seed
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ServerConfig
from clockodo_mcp.server.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Served:
    """A connected MCP client, the fake's store (raw records) and the instant both are frozen at."""

    client: Client
    store: Any
    now: datetime
    runtime: Runtime


@asynccontextmanager
async def served(
    tmp_path: Path, dataset: Dataset, now: datetime, *, user: str = OWNER_EMAIL, key: str = OWNER_KEY
) -> AsyncIterator[Served]:
    """The server against the fake serving `dataset`, both frozen at `now`."""
    app = create_app(dataset, now=lambda: now)
    settings = ServerConfig(
        api_user=user,
        api_key=key,
        credential_source="test",
        base_url="http://fake.clockodo.test/api",
        audit_path=tmp_path / f"audit-{now:%Y%m%d%H%M}.jsonl",
    )
    runtime = Runtime(settings, transport=httpx.ASGITransport(app=app), clock=FrozenClock(now))
    async with Client(build_server(runtime)) as client:
        yield Served(client, app.state.store, now, runtime)


@asynccontextmanager
async def demo_on(tmp_path: Path, day: date, *, seed_number: int = 7) -> AsyncIterator[Served]:
    """The demo company seeded for `day`, at 16:00 Berlin time on that day (as `serve --demo --today`)."""
    async with served(tmp_path, seed(seed=seed_number, today=day), pinned_instant(day)) as ready:
        yield ready
