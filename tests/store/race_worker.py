"""One `serve`-like server process for the race tests: `python -m tests.store.race_worker BASE_URL`.

It builds a Runtime against the fake Clockodo at BASE_URL (over loopback HTTP), sharing CLOCKODO_MCP_SECRET,
CLOCKODO_MCP_STORE and CLOCKODO_MCP_AUDIT_LOG with its siblings, and calls tools through the real MCP machinery.
Protocol: it prints {"ready": true}, then for each JSON line {"tool": ..., "args": {...}} on stdin it prints one
JSON line: {"result": structured content} or {"error": the text the agent would read}.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import anyio
from mcp import Client

from clockodo_mcp.clock import PinnedClock
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ServerConfig
from clockodo_mcp.server.runtime import Runtime

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # the fake's frozen "now"; this process runs on from there


def emit(value: object) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


async def serve(base_url: str) -> None:
    config = ServerConfig(
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        credential_source="race test",
        base_url=base_url,
        audit_path=Path(os.environ["CLOCKODO_MCP_AUDIT_LOG"]),
        store_url=os.environ["CLOCKODO_MCP_STORE"],
        confirm="token",
    )
    runtime = Runtime(config, clock=PinnedClock(NOW))
    async with Client(build_server(runtime)) as client:
        await client.call_tool("lookup", {"query": "Phoenix"})  # warm up: master data, connection, store
        emit({"ready": True})
        while line := await anyio.to_thread.run_sync(sys.stdin.readline):
            command = json.loads(line)
            result = await client.call_tool(command["tool"], command["args"])
            if result.is_error:
                emit({"error": " ".join(getattr(block, "text", "") for block in result.content)})
            else:
                emit({"result": result.structured_content})


if __name__ == "__main__":
    anyio.run(serve, sys.argv[1])
