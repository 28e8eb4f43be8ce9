"""Fault injection for reliability tests: latency, 429, 5xx, dropped connections, malformed JSON.

Off by default. Deterministic: faults fire from a queue, in order, on the next matching requests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import anyio
import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

FaultKind = Literal["rate_limit", "server_error", "drop", "malformed_json"]


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised inside the app to cut a response off mid-body.

    Over a socket the server then closes the connection and an httpx client sees `RemoteProtocolError`;
    through `httpx.ASGITransport` the exception itself reaches the client, so it is the same class.
    """


@dataclass(slots=True)
class Fault:
    """One queued fault."""

    kind: FaultKind
    remaining: int
    retry_after: int | str | None = 1
    status: int = 503
    path_prefix: str | None = None

    def matches(self, path: str) -> bool:
        """Whether a request path (with or without the `/api` prefix) is targeted."""
        if self.path_prefix is None:
            return True
        bare = path[4:] if path.startswith("/api/") else path
        return bare.startswith(self.path_prefix) or path.startswith(self.path_prefix)


@dataclass
class FaultConfig:
    """Switch faults on for one app: fixed added latency and a queue of one-shot faults."""

    latency_seconds: float = 0.0
    sleep: Callable[[float], Awaitable[None]] | None = None
    queue: list[Fault] = field(default_factory=list)
    fired: list[tuple[FaultKind, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def inject(
        self,
        kind: FaultKind,
        count: int = 1,
        retry_after: int | str | None = 1,
        status: int = 503,
        path_prefix: str | None = None,
    ) -> None:
        """Queue `count` faults of `kind` for the next requests matching `path_prefix` (e.g. `/v2/entries`)."""
        if kind not in ("rate_limit", "server_error", "drop", "malformed_json"):
            raise ValueError(f"unknown fault kind {kind!r}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if kind == "server_error" and not 500 <= status <= 599:
            raise ValueError("status must be a 5xx code")
        with self._lock:
            self.queue.append(Fault(kind, count, retry_after, status, path_prefix))

    def take(self, path: str) -> Fault | None:
        """Consume the first queued fault matching `path`."""
        with self._lock:
            for fault in self.queue:
                if fault.matches(path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.queue.remove(fault)
                    self.fired.append((fault.kind, path))
                    return fault
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self.queue.clear()


class FaultMiddleware:
    """ASGI middleware applying a `FaultConfig` before the app sees the request."""

    def __init__(self, app: ASGIApp, config: FaultConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Delay, answer with the fault, or pass through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.config.latency_seconds > 0:
            await (self.config.sleep or anyio.sleep)(self.config.latency_seconds)
        fault = self.config.take(str(scope.get("path", "")))
        if fault is None:
            await self.app(scope, receive, send)
            return
        await _answer(fault, send)


async def _answer(fault: Fault, send: Send) -> None:
    if fault.kind == "drop":
        # Promise a body, send part of it, then fail: servers close the socket, ASGITransport re-raises.
        await send({"type": "http.response.start", "status": 200, "headers": _headers(b"application/json", 64)})
        await send({"type": "http.response.body", "body": b'{"entries": [', "more_body": True})
        raise ConnectionDropped("fake: connection dropped")
    if fault.kind == "malformed_json":
        body = b'{"entries": [{"id": 1,'
        await send({"type": "http.response.start", "status": 200, "headers": _headers(b"application/json", len(body))})
        await send({"type": "http.response.body", "body": body})
        return
    status = 429 if fault.kind == "rate_limit" else fault.status
    message = "Too many requests; slow down." if status == 429 else "The server had an internal problem."
    type_ = "TooManyRequests" if status == 429 else "ServerError"
    body = json.dumps({"errors": [{"type": type_, "message": message, "details": None, "path": None}]}).encode()
    headers = _headers(b"application/json", len(body))
    if status == 429 and fault.retry_after is not None:
        headers.append((b"retry-after", str(fault.retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _headers(content_type: bytes, length: int) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", content_type), (b"content-length", str(length).encode())]
