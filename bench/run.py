"""Benchmarks on the fake Clockodo seeded at realistic and large sizes.

Run: .venv/bin/python bench/run.py [--size large] [--iterations 30]

Reports, as Markdown:
- fake: seeding time, entries-list throughput through our client over real loopback HTTP (entries/s),
  `GET /v2/entrygroups` latency for one month and six months;
- tools: for every read tool, Clockodo requests per call (cold and warm master-data cache) and in-process p50/p95
  latency through the MCP in-memory client;
- HTTP: 50 concurrent report calls over streamable HTTP;
- peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.clockodo import ClockodoClient, Grouping
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, seed
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ServerConfig
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.transports import http_app
from tests.server.live import serving

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

TOOL_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("report_hours", {"period": "this_month", "billing": "unbilled"}),
    ("report_hours", {"period": "this_quarter", "group_by": ["team", "month"], "billing": "billable_any"}),
    ("unbilled_aging", {}),
    ("lookup", {"query": "phoenix"}),
    ("list_entries", {"period": "this_week", "limit": 50}),
    ("get_timer", {"user": "everyone"}),
    ("list_projects", {}),
    ("list_users", {}),
    ("list_absences", {"period": "this_year"}),
    ("utilization", {"period": "this_quarter"}),
    ("budget_status", {}),
    ("absence_queue", {}),
    ("alerts", {}),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def timed(fn: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def runtime_for(app: Any, audit: Path) -> Runtime:
    config = ServerConfig(
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        credential_source="bench",
        base_url="http://fake.bench/api",
        audit_path=audit,
    )
    return Runtime(config, transport=httpx.ASGITransport(app=app), clock=FrozenClock(NOW))


async def bench_fake(app: Any, lines: list[str]) -> None:
    with serving(app) as base:
        async with ClockodoClient(
            api_user=OWNER_EMAIL,
            api_key=OWNER_KEY,
            app_name="bench",
            app_email="bench@example.com",
            base_url=f"{base}/api",
        ) as client:
            since, until = NOW - timedelta(days=183), NOW
            start = time.perf_counter()
            count = 0
            async for _ in client.entries.iter(since, until):
                count += 1
            elapsed = time.perf_counter() - start
            lines.append(
                f"| entries list over loopback HTTP (6 months, pages of 1000, 4 concurrent) | {count:,} entries "
                f"in {elapsed:.2f} s = **{count / elapsed:,.0f} entries/s** ({client.request_count} requests) |"
            )
            for label, days in (("1 month", 30), ("6 months", 183)):
                samples = await timed(
                    lambda d=days: client.entry_groups.get(
                        NOW - timedelta(days=d), NOW, grouping=[Grouping.PROJECTS_ID, Grouping.USERS_ID]
                    ),
                    20,
                )
                lines.append(
                    f"| entrygroups by project+user, {label}, over HTTP | p50 {percentile(samples, 0.5):.1f} ms, "
                    f"p95 {percentile(samples, 0.95):.1f} ms |"
                )


async def bench_tools(app: Any, iterations: int, lines: list[str], audit: Path) -> None:
    runtime = runtime_for(app, audit)
    async with Client(build_server(runtime)) as client:
        for name, args in TOOL_CALLS:
            runtime.invalidate_master_data()
            before = runtime.client.request_count
            result = await client.call_tool(name, args)
            cold = runtime.client.request_count - before
            if result.is_error:
                lines.append(f"| `{name}` {args} | error: {result.content[0].text[:80]} | | | |")  # type: ignore[union-attr]
                continue
            before = runtime.client.request_count
            samples = await timed(lambda n=name, a=args: client.call_tool(n, a), iterations)
            warm = (runtime.client.request_count - before) / iterations
            lines.append(
                f"| `{name}` `{_short(args)}` | {cold} | {warm:g} | {percentile(samples, 0.5):.1f} | "
                f"{percentile(samples, 0.95):.1f} |"
            )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_fake_process(size: str) -> tuple[subprocess.Popen[bytes], str]:
    """The fake in its own process, as Clockodo is remote: its aggregation CPU is not the server's."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "clockodo_mcp", "fake-server", "--size", size, "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"http://127.0.0.1:{port}/api"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("fake server did not start")


async def bench_http(size: str, lines: list[str], audit: Path) -> None:
    process, fake_url = start_fake_process(size)
    try:
        config = ServerConfig(
            api_user=OWNER_EMAIL, api_key=OWNER_KEY, credential_source="bench", base_url=fake_url, audit_path=audit
        )
        server = build_server(Runtime(config))
        with serving(http_app(server, "http")) as base:
            async with Client(f"{base}/mcp") as client:
                await client.call_tool("report_hours", {"period": "this_month", "billing": "unbilled"})

                async def call(i: int) -> bool:
                    result = await client.call_tool(
                        "report_hours", {"period": "this_month", "billing": "unbilled", "limit": 1 + i % 5}
                    )
                    return not result.is_error

                start = time.perf_counter()
                results = await asyncio.gather(*(call(i) for i in range(50)))
                one_session = time.perf_counter() - start

            async def session(i: int) -> bool:
                async with Client(f"{base}/mcp") as own:
                    result = await own.call_tool("report_hours", {"period": "this_month", "billing": "unbilled"})
                    return not result.is_error

            start = time.perf_counter()
            sessions = await asyncio.gather(*(session(i) for i in range(50)))
            many_sessions = time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(timeout=10)
    lines.append(
        f"| 50 concurrent `report_hours` calls, one session (fake in its own process) | "
        f"**{one_session * 1000:.0f} ms**, {sum(results)}/50 ok |"
    )
    lines.append(
        f"| 50 concurrent sessions, each initialize + one `report_hours` | {many_sessions * 1000:.0f} ms, "
        f"{sum(sessions)}/50 ok |"
    )


def _short(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in args.items())[:60]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="large")
    parser.add_argument("--iterations", type=int, default=30)
    options = parser.parse_args()
    size: int | str = int(options.size) if options.size.isdigit() else options.size
    start = time.perf_counter()
    dataset = seed(seed=7, today=TODAY, size=size)
    seeded = time.perf_counter() - start
    app = create_app(dataset, now=lambda: NOW)
    lines = [
        f"## Fake Clockodo ({len(dataset.entries):,} entries, {len(dataset.users)} users)",
        "",
        "| What | Measured |",
        "|---|---|",
        f"| seeding | {seeded:.2f} s |",
    ]
    await bench_fake(app, lines)
    lines += [
        "",
        "## Tools in process (MCP in-memory client → fake via ASGI)",
        "",
        "| Tool call | Clockodo requests (cold cache) | requests (warm) | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
    ]
    with TemporaryDirectory() as tmp:
        await bench_tools(app, options.iterations, lines, Path(tmp) / "audit.jsonl")
        lines += ["", "## Streamable HTTP", "", "| What | Measured |", "|---|---|"]
        await bench_http(str(options.size), lines, Path(tmp) / "audit-http.jsonl")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lines += [
        "",
        f"Peak resident memory of the whole benchmark process (fake + 100k entries + server): {peak_kb / 1024:.0f} MB.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
