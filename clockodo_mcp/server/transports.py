"""HTTP transports (SSE, streamable HTTP): loopback by default; anything else needs allowed hosts and a token."""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Sequence
from typing import Any, Literal

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from clockodo_mcp.server.config import ConfigError

HttpTransport = Literal["sse", "http"]
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def security_settings(
    host: str, port: int, allowed_hosts: Sequence[str], auth_token: str | None
) -> TransportSecuritySettings:
    """DNS-rebinding protection for every bind; a non-loopback bind needs explicit hosts and a bearer token."""
    if is_loopback(host):
        hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*", *allowed_hosts]
        origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        )
    missing = []
    if not allowed_hosts:
        missing.append("--allowed-hosts (the Host names clients use, e.g. mcp.example.com:8765)")
    if not auth_token:
        missing.append("a bearer token (--auth-token or CLOCKODO_MCP_HTTP_TOKEN, at least 24 characters)")
    elif len(auth_token) < 24:
        missing.append("a longer bearer token (at least 24 characters)")
    if missing:
        raise ConfigError(
            f"Refusing to listen on {host}:{port}: binding beyond loopback exposes your Clockodo account to the "
            f"network. It needs {' and '.join(missing)}. To stay local, use --host 127.0.0.1."
        )
    origins = [f"https://{h}" for h in allowed_hosts] + [f"http://{h}" for h in allowed_hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=list(allowed_hosts), allowed_origins=origins
    )


class BearerAuth:
    """ASGI middleware: every HTTP request must carry `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        supplied = headers.get(b"authorization", b"")
        if not hmac.compare_digest(supplied, self.expected):
            body = json.dumps({"error": "unauthorized", "message": "Missing or wrong bearer token."}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def http_app(
    server: MCPServer[Any],
    transport: HttpTransport,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    allowed_hosts: Sequence[str] = (),
    auth_token: str | None = None,
) -> ASGIApp:
    """The ASGI app for SSE (`/sse`) or streamable HTTP (`/mcp`), secured as described above."""
    security = security_settings(host, port, allowed_hosts, auth_token)
    app: Starlette
    if transport == "sse":
        app = server.sse_app(transport_security=security, host=host)
    else:
        app = server.streamable_http_app(transport_security=security, host=host)
    return BearerAuth(app, auth_token) if auth_token else app


async def serve_http(app: ASGIApp, host: str, port: int, log_level: str = "warning") -> None:
    """Run an ASGI app with uvicorn until cancelled."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on")
    await uvicorn.Server(config).serve()
