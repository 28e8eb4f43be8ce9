"""Who a request acts for on a shared endpoint (`serve --transport http --principals`).

`PrincipalAuth` (ASGI) looks every request's bearer token up in the store and puts the principal into the ASGI scope;
`principal_middleware` (MCP) sets `CURRENT` from there for the whole handling of each MCP message (tools, their
elicitation resolvers, resources, prompts), and the Runtime answers `client`, `master()` and `account()` for that
principal. Without principals nothing is put anywhere and `CURRENT` stays None: the single-user server, unchanged.

There is no cache of token lookups: every request reads the store, so `principals remove` refuses a token on the
very next request, on every replica sharing the store.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clockodo_mcp.principals import token_hash
from clockodo_mcp.server.asgi import json_error
from clockodo_mcp.store import Principal, Store, StoreError

logger = logging.getLogger("clockodo_mcp")

# The principal the current MCP message acts for; None: the single-user server (or no request at all).
CURRENT: ContextVar[Principal | None] = ContextVar("clockodo_mcp_principal", default=None)
SCOPE_KEY = "clockodo_principal"
UNAUTHORIZED = "Missing or wrong bearer token."
_SESSION_HEADER = b"mcp-session-id"
_MAX_SESSIONS = 10_000


def current_name() -> str | None:
    """The name of the principal the current call acts for, or None on the single-user server."""
    principal = CURRENT.get()
    return principal.name if principal is not None else None


@contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    """Act for `principal` inside the block (reconciling a change with the client of whoever made it)."""
    token = CURRENT.set(principal)
    try:
        yield
    finally:
        CURRENT.reset(token)


def principal_of(request: Any) -> Principal | None:
    """The principal `PrincipalAuth` put into a Starlette request's scope, or None."""
    scope = getattr(request, "scope", None)
    state = scope.get("state") if isinstance(scope, dict) else None
    found = state.get(SCOPE_KEY) if isinstance(state, dict) else None
    return found if isinstance(found, Principal) else None


async def principal_middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """MCP server middleware: every message is handled as the principal of the HTTP request that carried it."""
    with acting_as(principal_of(ctx.request)):
        return await call_next(ctx)


def bound_principal(ctx: ServerRequestContext[Any, Any]) -> str | None:
    """For `RequestStateSecurity(bind_principal=…)`: the principal's name, so one person's sealed state is refused to
    another; None on the single-user server."""
    principal = principal_of(ctx.request)
    return principal.name if principal is not None else None


def _bearer(headers: dict[bytes, bytes]) -> str:
    """The credentials of an `Authorization: Bearer …` header ('' for another scheme or none)."""
    scheme, _, credentials = headers.get(b"authorization", b"").partition(b" ")
    token = credentials.strip(b" ").decode("latin-1")
    return token if scheme.lower() == b"bearer" else ""


class PrincipalAuth:
    """ASGI middleware: `Authorization: Bearer <token>` → its hash → the store's principal → the ASGI scope.

    Every refusal (no header, another scheme, an unknown, removed or malformed token) is the same 401 after the same
    work (one hash, one lookup), so an answer tells nothing about which principals exist. An unreachable store is a
    503: without it nobody can be told apart, so nobody is let in.
    A streamable-HTTP session opened by one principal is refused to every other.
    """

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store
        self._sessions: OrderedDict[bytes, str] = OrderedDict()  # session id → the principal who opened it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        digest = token_hash(_bearer(headers))  # hashed even when empty: the same work for every refusal
        try:
            principal = await anyio.to_thread.run_sync(self.store.find_principal, digest)
        except StoreError as error:
            logger.error("Bearer token lookup failed, request refused: %s", error)
            message = (
                "The store that knows this endpoint's principals cannot be reached, so no request can be authorised "
                "right now. Try again shortly; the endpoint's admin sees why in the server log."
            )
            for event in json_error(503, "store_unavailable", message, [(b"retry-after", b"5")]):
                await send(event)
            return
        if principal is None:
            for event in json_error(401, "unauthorized", UNAUTHORIZED, [(b"www-authenticate", b"Bearer")]):
                await send(event)
            return
        session = headers.get(_SESSION_HEADER)
        if session is not None and self._sessions.get(session, principal.name) != principal.name:
            message = "This MCP session was opened with another bearer token. Start a new session with your own."
            for event in json_error(404, "session_not_found", message):
                await send(event)
            return
        state = {**(scope.get("state") or {}), SCOPE_KEY: principal}
        await self.app({**scope, "state": state}, receive, self._remembering(send, principal.name))

    def _remembering(self, send: Send, name: str) -> Send:
        """`send`, noting which principal a new session (its `Mcp-Session-Id` answer header) belongs to."""

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                for key, value in message.get("headers") or ():
                    if key.lower() == _SESSION_HEADER and value not in self._sessions:
                        self._sessions[value] = name
                        while len(self._sessions) > _MAX_SESSIONS:
                            self._sessions.popitem(last=False)
            await send(message)

        return sending
