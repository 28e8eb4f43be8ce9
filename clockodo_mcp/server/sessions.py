"""Who a tool call counts as for the rate limiter's fair shares (see `clockodo_mcp.clockodo.ratelimit`)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context


def rate_key(ctx: Context[Any, Any]) -> str | None:
    """The MCP session of a call; where the protocol has none, the client program on its host; None on stdio.

    Streamable HTTP (handshake era) names its session in `Mcp-Session-Id`, SSE in the `session_id` query
    parameter; the transport refuses ids it did not issue. The 2026 protocol is sessionless, so a caller
    is then the client's host plus its declared name: two agents on one machine share, two machines don't.
    """
    request = ctx.request_context.request
    if request is None:
        return None  # stdio or in process: one client, nobody to be fair to
    headers = getattr(request, "headers", None)
    query = getattr(request, "query_params", None)
    session = (headers.get("mcp-session-id") if headers is not None else None) or (
        query.get("session_id") if query is not None else None
    )
    if session:
        return f"session {session}"
    peer = getattr(request, "client", None)
    host = getattr(peer, "host", None) or "unknown host"
    params = ctx.request_context.session.client_params
    program = f"{params.client_info.name} {params.client_info.version}" if params is not None else "unnamed client"
    return f"client {program} on {host}"
