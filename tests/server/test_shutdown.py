"""SIGTERM and SIGINT stop a real server process promptly, even while a call waits on a slow Clockodo.

The demo's fake Clockodo is given ten minutes of latency, so the call is surely in flight when the signal
arrives. Nothing sleeps: every pause is a short wait on the server process itself (which must not exit
early), and `proc.wait(timeout=...)` is only a guard against a hang.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import anyio
import pytest
from mcp import Client, MCPError
from mcp.client.sse import sse_client

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]

SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")]
HTTP_CASES = [
    pytest.param("http", signal.SIGTERM, id="http-SIGTERM"),
    pytest.param("http", signal.SIGINT, id="http-SIGINT"),
    pytest.param("sse", signal.SIGTERM, id="sse-SIGTERM"),
]
HANG_GUARD = 15.0  # seconds; the server is built to be gone within 5
QUESTION = {"period": "this_month", "billing": "unbilled"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server_process(tmp_path: Path, *args: str, stdio: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    """`clockodo-mcp serve --demo ARGS` with a very slow fake Clockodo; killed if a test leaves it running."""
    env = {
        **os.environ,
        "CLOCKODO_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
        "CLOCKODO_MCP_DEMO_LATENCY": "600",
    }
    pipe = subprocess.PIPE if stdio else subprocess.DEVNULL
    with (tmp_path / "stderr.log").open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "clockodo_mcp", "-v", "serve", "--demo", *args],
            env=env,
            stdin=pipe,
            stdout=pipe,
            stderr=stderr,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()


def exits_within(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def until(proc: subprocess.Popen[bytes], condition: Callable[[], bool], what: str, tmp_path: Path) -> None:
    """Poll `condition` while the server runs; it must not exit first."""
    for _ in range(600):
        if condition():
            return
        if exits_within(proc, 0.05):
            log = (tmp_path / "stderr.log").read_text(errors="replace")
            raise AssertionError(f"the server exited ({proc.returncode}) before {what}:\n{log}")
    raise AssertionError(f"gave up waiting until {what}")


def accepts(port: int) -> Callable[[], bool]:
    def connected() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    return connected


def call_started(tmp_path: Path) -> Callable[[], bool]:
    """Whether the server logged (at debug level, `-v`) that a tool call started."""
    log = tmp_path / "stderr.log"

    def started() -> bool:
        return re.search(r"Call [0-9a-f]{32} of report_hours started", log.read_text(errors="replace")) is not None

    return started


def stopped_by(proc: subprocess.Popen[bytes], signum: int) -> bool:
    """Whether the process ended because of `signum`: killed by it, or exited with the shell's 128 + n."""
    return proc.wait(timeout=HANG_GUARD) in (-signum, 128 + signum)


INFO = {"name": "shutdown-test", "version": "1"}


def send(stdin: IO[bytes], method: str, id_: int | None = None, params: dict[str, Any] | None = None) -> None:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        message["id"] = id_
    if params is not None:
        message["params"] = params
    stdin.write(json.dumps(message).encode() + b"\n")
    stdin.flush()


def connect(transport: str, port: int) -> Client:
    if transport == "sse":
        return Client(sse_client(f"http://127.0.0.1:{port}/sse"), mode="legacy")
    return Client(f"http://127.0.0.1:{port}/mcp")


@pytest.mark.parametrize(("transport", "signum"), HTTP_CASES)
async def test_a_signal_stops_the_http_server_mid_call(tmp_path: Path, transport: str, signum: int) -> None:
    port = free_port()
    with server_process(tmp_path, "--transport", transport, "--port", str(port)) as proc:
        until(proc, accepts(port), "it accepted connections", tmp_path)
        async with connect(transport, port) as client, anyio.create_task_group() as group:
            outcome: dict[str, Any] = {}

            async def ask() -> None:
                try:
                    outcome["result"] = await client.call_tool("report_hours", QUESTION)
                except MCPError as error:
                    outcome["error"] = error

            group.start_soon(ask)
            await anyio.to_thread.run_sync(until, proc, call_started(tmp_path), "the call started", tmp_path)
            proc.send_signal(signum)
            assert await anyio.to_thread.run_sync(stopped_by, proc, signum), proc.returncode
        assert "error" in outcome  # the cancelled call is answered (503), not left hanging


@pytest.mark.parametrize("signum", SIGNALS)
def test_a_signal_stops_the_stdio_server_mid_call(tmp_path: Path, signum: int) -> None:
    with server_process(tmp_path, stdio=True) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        send(proc.stdin, "initialize", 1, {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": INFO})
        assert json.loads(proc.stdout.readline())["id"] == 1  # ready: it answered
        send(proc.stdin, "notifications/initialized")
        send(proc.stdin, "tools/call", 2, {"name": "report_hours", "arguments": QUESTION})
        until(proc, call_started(tmp_path), "the call started", tmp_path)
        proc.send_signal(signum)
        assert stopped_by(proc, signum), proc.returncode
