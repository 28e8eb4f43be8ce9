"""A shared endpoint (`serve --transport http --principals`) on an ephemeral loopback port, against the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.principals import PrincipalsKey, issue_token, token_hash
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ServerConfig
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.transports import http_app
from clockodo_mcp.store import Principal, Store, open_store
from tests.server.conftest import NOW
from tests.server.live import serving

PRINCIPALS_KEY = "principals-key-of-the-tests-0123456789abcdef"
KEY = PrincipalsKey(PRINCIPALS_KEY)
BASE_URL = "http://fake.clockodo.test/api"


def shared_runtime(fake_app: Any, audit_path: Path, store_url: str, **config: Any) -> Runtime:
    """A Runtime of a shared endpoint: no Clockodo credentials of its own, the principals in `store_url`."""
    settings = ServerConfig(principals=True, base_url=BASE_URL, audit_path=audit_path, store_url=store_url, **config)
    return Runtime(
        settings,
        transport=httpx.ASGITransport(app=fake_app),
        clock=FrozenClock(NOW),
        store=open_store(store_url, now=lambda: NOW),
        principals_key=KEY,
    )


def add_principal(store: Store, name: str, email: str, api_key: str, key: PrincipalsKey = KEY) -> str:
    """Add a principal as `principals add` does; their bearer token."""
    token = issue_token()
    store.add_principal(Principal(name, email, key.seal(name, email, api_key), token_hash(token), NOW))
    return token


@contextmanager
def endpoint(runtime: Runtime) -> Iterator[str]:
    """The runtime served as a shared endpoint over real HTTP: its base URL."""
    app = http_app(build_server(runtime), "http", principals=runtime.store)
    with serving(app) as base:
        yield base


@asynccontextmanager
async def connected(base: str, token: str, **client: Any) -> AsyncIterator[Client]:
    """An MCP client of the endpoint that sends `token` as its bearer token."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
    async with http, Client(streamable_http_client(f"{base}/mcp", http_client=http), **client) as mcp:
        yield mcp


class WhoAsks:
    """The fake behind a wire that notes which Clockodo user asked for which path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state
        self.asked: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            user = dict(scope["headers"]).get(b"x-clockodoapiuser", b"").decode()
            self.asked.append((user, scope["path"]))
        await self.app(scope, receive, send)
