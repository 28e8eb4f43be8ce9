"""Write plans against the fake Clockodo, without MCP: a real client over ASGI, master data, account, clock, journal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.clockodo import ClockodoClient
from clockodo_mcp.domain.account import Account
from clockodo_mcp.domain.masterdata import load_master_data
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, seed
from clockodo_mcp.store import SQLiteStore
from tests.server.conftest import NOW, TODAY


@pytest.fixture
def fake_app() -> Any:
    return create_app(seed(seed=7, today=TODAY), now=lambda: NOW)


@pytest.fixture
async def deps(fake_app: Any, tmp_path: Path) -> AsyncIterator[WriteDeps]:
    client = ClockodoClient(
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        app_name="tests",
        app_email="tests@example.com",
        base_url="http://fake.clockodo.test/api",
        transport=httpx.ASGITransport(app=fake_app),
    )
    async with client:
        account = Account(
            user=await client.users.me(), timezone=ZoneInfo("Europe/Berlin"), currency="EUR", week_starts_monday=True
        )
        journal = SQLiteStore(tmp_path / "store.sqlite3", now=lambda: NOW)
        yield WriteDeps(
            client=client,
            master=await load_master_data(client),
            account=account,
            clock=FrozenClock(NOW),
            journal=journal,
        )
        journal.close()
