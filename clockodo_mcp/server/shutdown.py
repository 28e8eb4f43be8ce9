"""Stopping on SIGTERM or SIGINT within a few seconds, even with calls in flight (stdio and HTTP)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from types import FrameType
from typing import Any

import anyio
import uvicorn
from mcp.server import MCPServer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clockodo_mcp.server.asgi import json_error

logger = logging.getLogger("clockodo_mcp")

# Calls in flight get GRACE_SECONDS to finish before they are cancelled; whatever still runs at
# DEADLINE_SECONDS (a worker thread that cannot be cancelled) is cut off, so the process is gone within 5 s
# — before a supervisor's usual 10 s SIGKILL, and fast enough for Ctrl+C.
GRACE_SECONDS = 2.0
DEADLINE_SECONDS = 4.5
# On stdio nothing can finish anyway (stdin is gone with the client): cancel at once, exit once cleaned up.
STDIO_CLEANUP_SECONDS = 1.0


def exit_at_deadline(signum: int, seconds: float = DEADLINE_SECONDS) -> threading.Timer:
    """Arm a daemon timer that ends the process (status 128 + signum) unless it has exited by then.

    Audit records are fsynced as they are written, so cutting the process off loses nothing already done.
    """
    timer = threading.Timer(seconds, os._exit, args=(128 + signum,))
    timer.daemon = True
    timer.start()
    return timer


async def serve_stdio(server: MCPServer[Any]) -> None:
    """Serve MCP on stdin/stdout until stdin closes, or until SIGTERM or SIGINT.

    A signal cancels the calls in flight and the server's lifespan closes the Clockodo client. The SDK reads
    stdin in a worker thread that a blocked read never releases, so the process then exits on a short timer
    instead of waiting for a line that may never come.
    """
    if sys.platform == "win32":  # no signal handlers in the event loop there; Ctrl+C ends the process
        await server.run_stdio_async()
        return
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with anyio.create_task_group() as group:

            async def stop_on_signal() -> None:
                async for signum in signals:
                    logger.info("%s: stopping the server", signal.Signals(signum).name)
                    exit_at_deadline(signum, STDIO_CLEANUP_SECONDS)
                    group.cancel_scope.cancel()
                    return

            group.start_soon(stop_on_signal)
            await server.run_stdio_async()
            group.cancel_scope.cancel()  # stdin closed: the client is gone, stop listening for signals


class Draining:
    """ASGI middleware: on shutdown, requests still running after the grace period are ended cleanly.

    Cancelled here rather than by uvicorn, a request ends without a traceback in the log, and a client still
    waiting for its answer gets a 503 saying why instead of a dropped connection; an event stream is ended
    properly.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.running: set[anyio.CancelScope] = set()

    def cancel_all(self) -> None:
        """End every request in flight."""
        for scope in list(self.running):
            scope.cancel()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = complete = False

        async def tracked(message: Message) -> None:
            nonlocal started, complete
            if message["type"] == "http.response.start":
                if started and not complete:
                    return  # a second answer to an unfinished stream (the SDK's SSE endpoint on shutdown)
                started = True
            elif message["type"] == "http.response.body":
                complete = not message.get("more_body", False)
            await send(message)

        with anyio.CancelScope() as cancel:
            self.running.add(cancel)
            try:
                await self.app(scope, receive, tracked)
            finally:
                self.running.discard(cancel)
        if started and not complete:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif cancel.cancelled_caught and not started:
            message = "The server is shutting down; the call was cancelled. Retry once it is back."
            for event in json_error(503, "shutting_down", message, [(b"connection", b"close")]):
                await send(event)


class BoundedServer(uvicorn.Server):
    """uvicorn, bounded: a signal ends in-flight requests after the grace period and the process soon after."""

    def __init__(self, config: uvicorn.Config, draining: Draining) -> None:
        super().__init__(config)
        self.draining = draining

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.should_exit:
            exit_at_deadline(sig)  # should a clean shutdown hang (a stuck thread), end the process anyway
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        async def after_grace() -> None:
            await anyio.sleep(GRACE_SECONDS)
            self.draining.cancel_all()

        async with anyio.create_task_group() as group:
            group.start_soon(after_grace)
            await super().shutdown(sockets)  # waits for the requests in flight, then stops the lifespan
            group.cancel_scope.cancel()
