"""Stopping on SIGTERM or SIGINT within a few seconds, even with calls in flight (stdio and HTTP)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any

import anyio
from mcp.server import MCPServer

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
