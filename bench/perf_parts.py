"""Issue 12, the parts of a call: schema validation in the client, the audit commit, the SDK's own floor, and the
peak RSS of the server process alone. Used by bench/perf.py; every figure is measured here, not estimated.

- **Schema validation**: what the official Python client does with every `structuredContent` (mcp/client/session.py,
  `validate_tool_result`): a validator compiled once per tool (`validator_for(schema)(schema, registry=Registry())`),
  then `best_match(iter_errors(result))`. Timed on the tool's real answer.
- **SDK floor**: a trivial tool with a small model output, through the same in-memory client: what any server pays.
- **Audit commit**: `AuditLog.append_together` timed around the real call (bench only).
- **Server RSS**: `clockodo-mcp serve` over stdio in its own process, against `clockodo-mcp fake-server` in another,
  over loopback HTTP; its VmHWM after a round of every read tool on the large company.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]


class Row(BaseModel):
    id: int
    name: str


class Rows(BaseModel):
    rows: list[Row]
    total: int


def validation_ms(schema: dict[str, Any], data: Any, runs: int = 30) -> float:
    """Median ms the official client spends validating `data` against `schema` (compiled validator, cached)."""
    from jsonschema import exceptions
    from jsonschema.validators import validator_for
    from referencing import Registry

    validator = validator_for(schema)(schema, registry=Registry())
    exceptions.best_match(validator.iter_errors(data))  # warm
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        exceptions.best_match(validator.iter_errors(data))
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def values_in(data: Any) -> int:
    """How many JSON values (objects, arrays and scalars) an answer holds: what a validator visits."""
    if isinstance(data, dict):
        return 1 + sum(values_in(v) for v in data.values())
    if isinstance(data, list):
        return 1 + sum(values_in(v) for v in data)
    return 1


async def sdk_floor_ms(iterations: int) -> float:
    """p50 of a trivial tool (ten small rows, a model output) through the SDK's in-memory client."""
    from mcp import Client
    from mcp.server import MCPServer

    server = MCPServer("floor")

    @server.tool()
    def rows(offset: int = 0) -> Rows:
        """Ten rows."""
        return Rows(rows=[Row(id=i, name=f"row {i}") for i in range(offset, offset + 10)], total=10)

    async with Client(server) as client:
        for _ in range(3):
            await client.call_tool("rows", {})
        samples = []
        for _ in range(iterations):
            start = time.perf_counter()
            await client.call_tool("rows", {})
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


class CommitTimer:
    """Times the audit commits of reads (`append_together`) on one AuditLog, in the bench only."""

    def __init__(self, audit: Any) -> None:
        self.samples: list[float] = []
        inner = audit.append_together

        def timed(events: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(events)
            finally:
                self.samples.append((time.perf_counter() - start) * 1000)

        audit.append_together = timed

    def mark(self) -> int:
        return len(self.samples)

    def median_since(self, mark: int) -> float:
        return statistics.median(self.samples[mark:]) if self.samples[mark:] else 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _fake_server(size: str, today: str) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "clockodo_mcp", "fake-server", "--port", str(port), "--size", size, "--today", today],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(1200):  # seeding the large company takes a while; poll the port
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if proc.poll() is not None:
                raise RuntimeError("the fake server exited before it accepted connections")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/api"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _children() -> set[int]:
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        with contextlib.suppress(OSError):
            pids |= {int(p) for p in (task / "children").read_text().split()}
    return pids


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


async def server_rss(size: str, calls: list[tuple[str, dict[str, Any]]], today: str) -> dict[str, Any]:
    """Peak RSS of the server process alone (stdio), after answering `calls` against the fake over HTTP."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY
    from clockodo_mcp.store import sqlite_url

    with _fake_server(size, today) as base_url, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CLOCKODO_API_USER": OWNER_EMAIL,
            "CLOCKODO_API_KEY": OWNER_KEY,
            "CLOCKODO_BASE_URL": base_url,
            "CLOCKODO_MCP_AUDIT_LOG": str(Path(tmp) / "audit.jsonl"),
            "CLOCKODO_MCP_STORE": sqlite_url(Path(tmp) / "store.sqlite3"),
        }
        before = _children()
        params = StdioServerParameters(command=sys.executable, args=["-m", "clockodo_mcp", "serve"], env=env)
        errors: list[str] = []
        async with Client(params) as client:
            server_pids = _children() - before
            for name, args in calls:
                result = await client.call_tool(name, args)
                if result.is_error:
                    errors.append(f"{name}: {str(result.content[0])[:80]}")
            peaks = {pid: _peak_rss_mb(pid) for pid in server_pids}
    return {"peak_rss_mb": max(peaks.values()) if peaks else 0.0, "errors": errors, "calls": len(calls)}
