"""One real client per transport: stdio (subprocess), SSE and streamable HTTP (uvicorn on loopback)."""

from __future__ import annotations

import os
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters

from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ConfigError
from clockodo_mcp.server.transports import http_app, is_loopback, security_settings
from tests.server.live import serving

pytestmark = pytest.mark.slow
QUESTION = {"period": "this_month", "billing": "unbilled"}


async def ask(client: Client) -> float:
    names = {t.name for t in (await client.list_tools()).tools}
    assert {"report_hours", "lookup", "list_entries"} <= names
    result = await client.call_tool("report_hours", QUESTION)
    assert not result.is_error, result.content
    return float(result.structured_content["total_hours"])


async def test_stdio_transport_serves_the_demo_to_a_real_client(tmp_path: Path):
    env = {**os.environ, "CLOCKODO_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    params = StdioServerParameters(command=sys.executable, args=["-m", "clockodo_mcp", "serve", "--demo"], env=env)
    async with Client(params) as client:
        assert await ask(client) > 0
    assert (tmp_path / "audit.jsonl").exists()


async def test_streamable_http_transport_serves_a_real_client(runtime):
    app = http_app(build_server(runtime), "http")
    with serving(app) as base:
        async with Client(f"{base}/mcp") as client:
            assert await ask(client) > 0


async def test_sse_transport_serves_a_real_client(runtime):
    app = http_app(build_server(runtime), "sse")
    with serving(app) as base:
        async with AsyncExitStack() as stack:
            transport = sse_client(f"{base}/sse")
            client = await stack.enter_async_context(Client(transport, mode="legacy"))
            assert await ask(client) > 0


async def test_http_beyond_loopback_is_refused_without_hosts_and_token():
    with pytest.raises(ConfigError, match="--allowed-hosts") as error:
        security_settings("0.0.0.0", 8765, [], None)
    assert "bearer token" in str(error.value)
    with pytest.raises(ConfigError, match="longer bearer token"):
        security_settings("0.0.0.0", 8765, ["mcp.example.com:8765"], "short")


def test_loopback_detection():
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.10")


async def test_a_bearer_token_is_required_when_configured(runtime):
    token = "t" * 32
    app = http_app(build_server(runtime), "http", host="0.0.0.0", allowed_hosts=["127.0.0.1:*"], auth_token=token)
    with serving(app) as base:
        async with httpx.AsyncClient() as http:
            refused = await http.post(f"{base}/mcp", json={})
        assert refused.status_code == 401
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(headers=headers) as http:
            allowed = await http.post(f"{base}/mcp", json={}, headers={"Accept": "application/json, text/event-stream"})
        assert allowed.status_code != 401


async def test_dns_rebinding_protection_refuses_a_foreign_host_header(runtime):
    app = http_app(build_server(runtime), "http")
    with serving(app) as base:
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{base}/mcp", json={}, headers={"Host": "evil.example.com"})
    assert response.status_code in (400, 403, 421)
