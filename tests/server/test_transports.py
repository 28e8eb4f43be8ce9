"""One real client per transport (stdio as a subprocess, SSE and streamable HTTP on loopback): tools and resources."""

from __future__ import annotations

import json
import os
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

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
    # resources/read on every transport (some hosts end the session without it)
    assert "clockodo://account" in {str(r.uri) for r in (await client.list_resources()).resources}
    account = await client.read_resource("clockodo://account")
    assert json.loads(account.contents[0].text)["currency"] == "EUR"
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


async def test_the_bearer_scheme_is_case_insensitive_but_the_token_is_not(runtime):
    token = "Tok3n-" + "x" * 26
    app = http_app(build_server(runtime), "http", host="0.0.0.0", allowed_hosts=["127.0.0.1:*"], auth_token=token)
    accept = {"Accept": "application/json, text/event-stream"}
    with serving(app) as base:
        async with httpx.AsyncClient() as http:
            for scheme in ("bearer", "BEARER", "bEaReR"):
                allowed = await http.post(
                    f"{base}/mcp", json={}, headers={**accept, "Authorization": f"{scheme} {token}"}
                )
                assert allowed.status_code != 401, scheme
            for wrong in (f"Bearer {token.lower()}", f"Basic {token}", token, f"Bearer{token}", "Bearer"):
                refused = await http.post(f"{base}/mcp", json={}, headers={**accept, "Authorization": wrong})
                assert refused.status_code == 401, wrong
                assert refused.json()["message"] == "Missing or wrong bearer token."


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
STREAMABLE = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


async def test_a_page_from_another_local_port_is_refused_with_a_clear_reason(runtime):
    app = http_app(build_server(runtime), "http", port=0)
    with serving(app) as base:
        foreign = f"http://localhost:{port_of(base) + 1}"
        async with httpx.AsyncClient() as http:
            for origin in (foreign, "http://evil.example.com", "null", f"https://127.0.0.1:{port_of(base)}"):
                refused = await http.post(f"{base}/mcp", json=INITIALIZE, headers={**STREAMABLE, "Origin": origin})
                assert refused.status_code == 403, origin
                body = refused.json()
                assert body["error"] == "forbidden_origin"
                assert repr(origin) in body["message"]
                assert f"http://127.0.0.1:{port_of(base)}" in body["message"]


async def test_the_servers_own_loopback_origins_are_accepted(runtime):
    app = http_app(build_server(runtime), "http", port=0)
    with serving(app) as base:
        port = port_of(base)
        async with httpx.AsyncClient() as http:
            for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"):
                response = await http.post(f"{base}/mcp", json=INITIALIZE, headers={**STREAMABLE, "Origin": origin})
                assert response.status_code == 200, (origin, response.text)


async def test_a_real_client_sending_the_servers_own_origin_is_served(runtime):
    app = http_app(build_server(runtime), "http", port=0)
    with serving(app) as base:
        http = httpx2.AsyncClient(headers={"Origin": f"http://localhost:{port_of(base)}"})
        async with http, Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            assert await ask(client) > 0


async def test_sse_refuses_a_foreign_origin_too(runtime):
    app = http_app(build_server(runtime), "sse", port=0)
    with serving(app) as base:
        async with httpx.AsyncClient() as http:
            refused = await http.get(f"{base}/sse", headers={"Origin": f"http://localhost:{port_of(base) + 1}"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden_origin"


async def test_beyond_loopback_only_the_allowed_hosts_are_origins(runtime):
    token = "t" * 32
    app = http_app(
        build_server(runtime), "http", host="0.0.0.0", allowed_hosts=["mcp.example.com:8443"], auth_token=token
    )
    headers = {**STREAMABLE, "Host": "mcp.example.com:8443", "Authorization": f"Bearer {token}"}
    with serving(app) as base:
        async with httpx.AsyncClient() as http:
            for origin in ("https://mcp.example.com:8443", "http://mcp.example.com:8443"):
                response = await http.post(f"{base}/mcp", json=INITIALIZE, headers={**headers, "Origin": origin})
                assert response.status_code == 200, (origin, response.text)
            for origin in ("https://mcp.example.com", f"http://127.0.0.1:{port_of(base)}", "http://localhost:8443"):
                response = await http.post(f"{base}/mcp", json=INITIALIZE, headers={**headers, "Origin": origin})
                assert response.status_code == 403, origin


async def test_dns_rebinding_protection_refuses_a_foreign_host_header(runtime):
    app = http_app(build_server(runtime), "http")
    with serving(app) as base:
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{base}/mcp", json={}, headers={"Host": "evil.example.com"})
    assert response.status_code in (400, 403, 421)
