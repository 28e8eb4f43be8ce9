"""The built-in demo: the MCP server over an in-process fake Clockodo with the seeded demo company."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import httpx
from platformdirs import user_data_path

from clockodo_mcp.clock import DEMO_ZONE, Clock, clock_for
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, seed
from clockodo_mcp.fake.faults import FaultConfig
from clockodo_mcp.server.config import ServerConfig
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.store import sqlite_url

DEMO_BASE_URL = "http://demo.clockodo.invalid/api"
DEMO_AUDIT_NAME = "demo-audit.jsonl"
DEMO_STORE_NAME = "demo-store.sqlite3"


def demo_data_path(name: str) -> Path:
    """A file of the demo's own in the user data directory (its audit log and store never mix with yours)."""
    return user_data_path("clockodo-mcp") / name


def demo_config(config: ServerConfig) -> ServerConfig:
    """The configuration pointed at the in-process fake, as the demo owner, with its own audit log and store."""
    return dataclasses.replace(
        config,
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        credential_source="demo",
        base_url=DEMO_BASE_URL,
        demo=True,
        audit_path=config.audit_path or demo_data_path(DEMO_AUDIT_NAME),
        store_url=config.store_url or sqlite_url(demo_data_path(DEMO_STORE_NAME)),
    )


def demo_runtime(config: ServerConfig, *, today: date | None = None, clock: Clock | None = None) -> Runtime:
    """A Runtime whose Clockodo is the fake, in process: no credentials, no network, no port.

    The fake and the server share one clock: the real one, or (with `today`) one whose calendar starts on that
    day at 16:00 in Berlin, so the demo company looks the same on any date it is pinned to.
    `demo_latency_seconds` (CLOCKODO_MCP_DEMO_LATENCY) delays every fake request, as a remote Clockodo would.
    """
    clock = clock or clock_for(today, DEMO_ZONE)
    day = clock.now().astimezone(DEMO_ZONE).date()
    latency = config.demo_latency_seconds
    faults = FaultConfig(latency_seconds=latency) if latency > 0 else None
    app = create_app(seed(seed=config.demo_seed, today=day), faults=faults, now=clock.now)
    return Runtime(demo_config(config), transport=httpx.ASGITransport(app=app), clock=clock)
