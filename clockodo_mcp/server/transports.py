"""HTTP transports (SSE, streamable HTTP): loopback by default; anything else needs allowed hosts and a token."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Sequence
from typing import Any, Literal

import uvicorn
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from clockodo_mcp.server.asgi import json_error
from clockodo_mcp.server.config import ConfigError
from clockodo_mcp.server.principal import PrincipalAuth
from clockodo_mcp.server.shutdown import GRACE_SECONDS, BoundedServer, Draining
from clockodo_mcp.store import Store

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
    host: str, port: int, allowed_hosts: Sequence[str], auth_token: str | None, *, principals: bool = False
) -> TransportSecuritySettings:
    """DNS-rebinding protection for every bind; a non-loopback bind needs explicit hosts and a bearer token (or
    principals, each with their own).

    On loopback the SDK's Origin check allows any port: `OriginGuard` narrows it to the port actually bound.
    """
    if is_loopback(host):
        hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*", *allowed_hosts]
        origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*", *hosted_origins(allowed_hosts)]
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        )
    missing = []
    if not allowed_hosts:
        missing.append("--allowed-hosts (the Host names clients use, e.g. mcp.example.com:8765)")
    if principals:
        pass  # every request carries its principal's token (PrincipalAuth)
    elif not auth_token:
        missing.append("a bearer token (--auth-token or CLOCKODO_MCP_HTTP_TOKEN, at least 24 characters)")
    elif len(auth_token) < 24:
        missing.append("a longer bearer token (at least 24 characters)")
    if missing:
        raise ConfigError(
            f"Refusing to listen on {host}:{port}: binding beyond loopback exposes your Clockodo account to the "
            f"network. It needs {' and '.join(missing)}. To stay local, use --host 127.0.0.1."
        )
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(allowed_hosts),
        allowed_origins=hosted_origins(allowed_hosts),
    )


def hosted_origins(allowed_hosts: Sequence[str]) -> list[str]:
    """https:// and http:// for each allowed host, exactly as given (host or host:port)."""
    return [f"https://{h}" for h in allowed_hosts] + [f"http://{h}" for h in allowed_hosts]


def loopback_origins(port: int) -> list[str]:
    """The origins of a server bound to loopback on `port`, under each name loopback goes by."""
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"]


class OriginGuard:
    """ASGI middleware: an `Origin` header, when present, must be this server's own origin exactly.

    A browser attaches `Origin` to every cross-site request, so a page served from another local port
    (`http://localhost:3000`) cannot drive the server; clients that are not browsers send none.
    """

    def __init__(self, app: ASGIApp, host: str, port: int, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.loopback = is_loopback(host)
        self.port = port
        self.hosted = frozenset(hosted_origins(allowed_hosts))

    def allowed(self, scope: Scope) -> frozenset[str]:
        """The origins this request may come from; on loopback, for the port the socket is actually bound to."""
        if not self.loopback:
            return self.hosted
        server = scope.get("server")
        port = server[1] if server and server[1] else self.port  # --port 0 binds an ephemeral port
        return self.hosted | frozenset(loopback_origins(port))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = Headers(scope=scope).get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = self.allowed(scope)
        if origin in allowed:
            await self.app(scope, receive, send)
            return
        message = (
            f"Origin {origin!r} is not this server's own origin ({', '.join(sorted(allowed))}), so the request "
            "was refused: a web page from another site or port may not drive this MCP server. Connect from an "
            "MCP client (which sends no Origin) or serve the page from this server's origin."
        )
        for event in json_error(403, "forbidden_origin", message):
            await send(event)


class BearerAuth:
    """ASGI middleware: every HTTP request must carry `Authorization: Bearer <token>`.

    The scheme is case-insensitive (RFC 7235, `bearer …` is fine); the token is compared in constant time.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = token.encode()

    def authorized(self, header: bytes) -> bool:
        """Whether an Authorization header value carries the expected bearer token."""
        scheme, _, credentials = header.partition(b" ")
        # Comparing even when the scheme is wrong keeps the time independent of what was sent.
        matches = hmac.compare_digest(credentials.lstrip(b" "), self.expected)
        return scheme.lower() == b"bearer" and matches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if not self.authorized(headers.get(b"authorization", b"")):
            challenge = [(b"www-authenticate", b"Bearer")]
            for event in json_error(401, "unauthorized", "Missing or wrong bearer token.", challenge):
                await send(event)
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
    webhooks: Callable[[ASGIApp], ASGIApp] | None = None,
    principals: Store | None = None,
) -> ASGIApp:
    """The ASGI app for SSE (`/sse`) or streamable HTTP (`/mcp`), secured as described above.

    `webhooks` wraps the app in front of the bearer check (Clockodo authenticates by a token in the body).
    `principals`: a shared endpoint, every request's bearer token looked up in this store (`PrincipalAuth`)."""
    if principals is not None and auth_token:
        raise ConfigError(
            "--principals and --auth-token exclude each other: on a shared endpoint every person has their own "
            "bearer token (`clockodo-mcp principals add`). Drop --auth-token (and unset CLOCKODO_MCP_HTTP_TOKEN)."
        )
    security = security_settings(host, port, allowed_hosts, auth_token, principals=principals is not None)
    app: Starlette
    if transport == "sse":
        app = server.sse_app(transport_security=security, host=host)
    else:
        app = server.streamable_http_app(transport_security=security, host=host)
    secured: ASGIApp = BearerAuth(app, auth_token) if auth_token else app
    if principals is not None:
        secured = PrincipalAuth(app, principals)
    if webhooks is not None:
        secured = webhooks(secured)
    return OriginGuard(secured, host, port, allowed_hosts)


async def serve_http(app: ASGIApp, host: str, port: int, log_level: str = "warning") -> None:
    """Run an ASGI app with uvicorn until SIGTERM or SIGINT; exits within 5 s even with calls in flight."""
    draining = Draining(app)
    config = uvicorn.Config(
        draining,
        host=host,
        port=port,
        log_level=log_level,
        lifespan="on",
        # uvicorn's own cancel, should a request ignore ours (cancelled, it cannot answer 503 any more)
        timeout_graceful_shutdown=int(GRACE_SECONDS) + 1,
    )
    await BoundedServer(config, draining).serve()
