"""Issue 12: where the time goes at real-world latency.

Run: .venv/bin/python bench/perf.py [--size small|large] [--iterations 15] [--latency-ms 0,80]

Against the fake with a fixed per-request latency (`FaultConfig.latency_seconds`), for each latency it prints:
- per tool: median and p95 (warm master-data cache), Clockodo requests per answer and the sequential round trips on
  the critical path;
- startup (a fresh process): imports, first Clockodo round trip, first answer, round trips before the first answer;
- in-process overhead at 0 ms (the `list_users` call with nothing left to fetch);
- fsyncs per call (os.fsync wrapped here, in the bench only, plus SQLite commits of the audit anchor);
- 100 concurrent `list_users` calls in one session;
- peak RSS.

Round trips are counted from the order of events, not from durations: every request records the sequence number of
its start and of its end, and a request's depth is one more than the deepest request that had ended before it
started. The critical path of an answer is its deepest request. With 80 ms per request the CPU time between two
requests (well under a millisecond) cannot reorder them, so the count is the same on every run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.perf_parts import CommitTimer, sdk_floor_ms, server_rss, validation_ms, values_in  # noqa: E402

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

TOOL_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_users", {}),
    ("lookup", {"query": "phoenix"}),
    ("list_projects", {}),
    ("list_entries", {"period": "this_month", "limit": 50}),
    ("report_hours", {"period": "this_month", "billing": "unbilled"}),
    ("unbilled_aging", {}),
    ("utilization", {"period": "this_quarter"}),
    ("budget_status", {}),
    ("list_absences", {"period": "this_year"}),
    ("absence_queue", {}),
    ("get_timer", {}),
    ("alerts", {}),
]

# For the server-only RSS run: the server's clock is the real one, so periods are explicit (the fake is pinned).
_EXPLICIT = {"this_month": "2026-11", "this_quarter": "2026-Q4", "this_year": "2026"}
RSS_CALLS: list[tuple[str, dict[str, Any]]] = [
    (name, {**args, "period": _EXPLICIT[args["period"]]} if "period" in args else args) for name, args in TOOL_CALLS
]


@dataclass
class Trace:
    """Every Clockodo request as (path, start event, end event); a shared counter orders the events."""

    events: itertools.count[int] = field(default_factory=itertools.count)
    requests: list[tuple[str, int, int]] = field(default_factory=list)

    def mark(self) -> int:
        return len(self.requests)

    def since(self, mark: int) -> list[tuple[str, int, int]]:
        return self.requests[mark:]


def round_trips(requests: list[tuple[str, int, int]]) -> int:
    """The longest chain of requests each of which started after the one before it had ended (sorted by start)."""
    depth: list[int] = []
    for _, start, _ in requests:
        before = [d for (_, _, end_j), d in zip(requests, depth, strict=False) if end_j < start]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


class TracingTransport(httpx.AsyncBaseTransport):
    """Counts and orders the requests the server sends (the fake's latency is inside `inner`)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, trace: Trace) -> None:
        self.inner = inner
        self.trace = trace

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = next(self.trace.events)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        end = next(self.trace.events)
        self.trace.requests.append((request.url.path.removeprefix("/api"), start, end))
        return response


def sorted_by_start(requests: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    return sorted(requests, key=lambda r: r[1])


class FsyncCounter:
    """Wraps os.fsync (bench only) and the store's anchor commits (one SQLite WAL fsync each)."""

    def __init__(self) -> None:
        self.fsyncs = 0
        self.commits = 0
        self._fsync = os.fsync

    def install(self, store: Any) -> None:
        def fsync(fd: int) -> None:
            self.fsyncs += 1
            self._fsync(fd)

        os.fsync = fsync
        write_anchor = store.write_anchor

        def anchored(log: str, seq: int, hash: str) -> None:
            self.commits += 1
            write_anchor(log, seq, hash)

        store.write_anchor = anchored

    def total(self) -> int:
        return self.fsyncs + self.commits


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def timed(fn: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def build(app: Any, tmp: Path, trace: Trace) -> Any:
    from clockodo_mcp.clock import FrozenClock
    from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY
    from clockodo_mcp.server.config import ServerConfig
    from clockodo_mcp.server.runtime import Runtime
    from clockodo_mcp.store import open_store, sqlite_url

    config = ServerConfig(
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        credential_source="bench",
        base_url="http://fake.bench/api",
        audit_path=tmp / "audit.jsonl",
        store_url=sqlite_url(tmp / "store.sqlite3"),
    )
    clock = FrozenClock(NOW)
    store = open_store(config.store_url or "", now=clock.now)
    transport = TracingTransport(httpx.ASGITransport(app=app), trace)
    return Runtime(config, transport=transport, clock=clock, store=store)


async def bench_latency(size: str, latency: float, iterations: int, out: dict[str, Any]) -> None:
    from mcp import Client

    from clockodo_mcp.fake.app import create_app
    from clockodo_mcp.fake.demo import seed
    from clockodo_mcp.fake.faults import FaultConfig
    from clockodo_mcp.server.app import build_server

    app = create_app(seed(seed=7, today=TODAY, size=size), faults=FaultConfig(latency_seconds=latency), now=lambda: NOW)
    trace = Trace()
    counter = FsyncCounter()
    with TemporaryDirectory() as tmp:
        runtime = build(app, Path(tmp), trace)
        counter.install(runtime.store)
        commits = CommitTimer(runtime.audit)
        async with Client(build_server(runtime)) as client:
            schemas = {tool.name: tool.output_schema for tool in (await client.list_tools()).tools}
            rows = []
            for name, args in TOOL_CALLS:
                runtime.invalidate_master_data()
                mark = trace.mark()
                result = await client.call_tool(name, args)
                cold = sorted_by_start(trace.since(mark))
                if result.is_error:
                    rows.append({"tool": name, "error": str(result.content[0])[:80]})
                    continue
                mark = trace.mark()
                await client.call_tool(name, args)
                warm = sorted_by_start(trace.since(mark))
                fs0, commit0 = counter.total(), commits.mark()
                samples = await timed(lambda n=name, a=args: client.call_tool(n, a), iterations)
                data = result.structured_content
                rows.append(
                    {
                        "tool": name,
                        "args": args,
                        "p50": statistics.median(samples),
                        "p95": percentile(samples, 0.95),
                        "cold_requests": len(cold),
                        "cold_round_trips": round_trips(cold),
                        "warm_requests": len(warm),
                        "warm_round_trips": round_trips(warm),
                        "warm_paths": sorted({p for p, _, _ in warm}),
                        "fsyncs_per_call": (counter.total() - fs0) / iterations,
                        "audit_commit_ms": commits.median_since(commit0),
                        "validation_ms": validation_ms(schemas[name] or {}, data),
                        "values": values_in(data),
                        "kb": len(json.dumps(data)) / 1024,
                    }
                )
            out["tools"] = rows
            # 100 concurrent list_users calls in one session (warm cache).
            await client.call_tool("list_users", {})
            fs0, mark = counter.total(), trace.mark()
            start = time.perf_counter()
            results = await asyncio.gather(*(client.call_tool("list_users", {"offset": i % 5}) for i in range(100)))
            out["concurrent_100_ms"] = (time.perf_counter() - start) * 1000
            out["concurrent_ok"] = sum(not r.is_error for r in results)
            out["concurrent_requests"] = len(trace.since(mark))
            out["concurrent_fsyncs_per_call"] = (counter.total() - fs0) / 100
            out["fsync_split"] = {"os_fsync": counter.fsyncs, "anchor_commits": counter.commits}


STARTUP_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import clockodo_mcp.server.app, clockodo_mcp.server.tools, mcp  # what `clockodo-mcp serve` (stdio) imports
sys.modules_after_server = set(sys.modules)
t_imports = time.perf_counter() - t0
from bench.perf import startup_child
startup_child(t_imports, float(sys.argv[1]), sys.argv[2], sys.argv[3])
"""


def startup_child(t_imports: float, latency: float, size: str, tmp: str) -> None:
    """In a fresh process: time from the server's imports to the first answer of `list_users`."""
    import anyio
    from mcp import Client

    from clockodo_mcp.fake.app import create_app
    from clockodo_mcp.fake.demo import seed
    from clockodo_mcp.fake.faults import FaultConfig
    from clockodo_mcp.server.app import build_server

    heavy = sorted(
        m
        for m in getattr(sys, "modules_after_server", set())
        if m.split(".")[0] in ("uvicorn", "duckdb", "psycopg") or m.startswith(("clockodo_mcp.fake", "mcp.server.sse"))
    )
    app = create_app(seed(seed=7, today=TODAY, size=size), faults=FaultConfig(latency_seconds=latency), now=lambda: NOW)
    trace = Trace()

    async def run() -> dict[str, Any]:
        runtime = build(app, Path(tmp), trace)
        start = time.perf_counter()
        first_end: list[float] = []
        inner = runtime._transport

        class First(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                response = await inner.handle_async_request(request)
                if not first_end:
                    first_end.append(time.perf_counter() - start)
                return response

        runtime._transport = First()
        async with Client(build_server(runtime)) as client:
            await client.call_tool("list_users", {})
            answered = time.perf_counter() - start
        requests = sorted_by_start(trace.requests)
        return {
            "imports_s": t_imports,
            "first_round_trip_s": first_end[0] if first_end else 0.0,
            "first_answer_s": answered,
            "requests": len(requests),
            "round_trips": round_trips(requests),
            "paths": [p for p, _, _ in requests],
            "heavy_modules_imported": heavy,
        }

    print(json.dumps(anyio.run(run)))


def bench_startup(latency: float, size: str, runs: int) -> dict[str, Any]:
    samples = []
    for _ in range(runs):
        with TemporaryDirectory() as tmp:
            launched = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", STARTUP_CHILD, str(latency), size, tmp],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                check=True,
            )
            total = time.perf_counter() - launched
            child = json.loads(proc.stdout.strip().splitlines()[-1])
            child["process_s"] = total
            samples.append(child)
    keys = ("imports_s", "first_round_trip_s", "first_answer_s")
    summary: dict[str, Any] = {k: statistics.median(s[k] for s in samples) for k in keys}
    summary |= {k: samples[0][k] for k in ("requests", "round_trips", "paths", "heavy_modules_imported")}
    return summary


def sdk_imports(runs: int) -> float:
    """How long `import mcp.server` alone takes in a fresh process (the SDK imports its client and HTTP stack)."""
    code = "import time; t = time.perf_counter(); import mcp.server; print(time.perf_counter() - t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times)


def interpreter_startup(runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def render(results: dict[float, dict[str, Any]], startup: dict[float, dict[str, Any]], size: str) -> str:
    lines = [f"## Tools (fake, {size} company, warm cache; p50/p95 over the iterations)", ""]
    header = "| Tool | requests cold / warm | round trips cold / warm |"
    sep = "|---|---|---|"
    for lat in results:
        header += f" p50 ms @{lat * 1000:.0f} | p95 ms @{lat * 1000:.0f} |"
        sep += "---:|---:|"
    header += " fsyncs/call | warm requests |"
    sep += "---:|---|"
    lines += [header, sep]
    slow = max(results)
    by_tool = {lat: {r["tool"]: r for r in res["tools"]} for lat, res in results.items()}
    for name, _ in TOOL_CALLS:
        ref = by_tool[slow][name]
        if "error" in ref:
            lines.append(f"| `{name}` | error {ref['error']} |")
            continue
        row = (
            f"| `{name}` | {ref['cold_requests']} / {ref['warm_requests']} | "
            f"{ref['cold_round_trips']} / {ref['warm_round_trips']} |"
        )
        for lat in results:
            r = by_tool[lat][name]
            row += f" {r['p50']:.1f} | {r['p95']:.1f} |"
        row += f" {ref['fsyncs_per_call']:g} | {', '.join(ref['warm_paths']) or '—'} |"
        lines.append(row)
    lines += ["", "Round trips are counted at the largest latency (event order, see the module docstring).", ""]
    fast = min(results)
    lines += [
        "## Output schema validation in the official Python client (compiled validator, the tool's real answer)",
        "",
        "| Tool | answer KB | JSON values | validation ms (p50) | µs per value |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, _ in TOOL_CALLS:
        r = by_tool[fast][name]
        if "error" not in r:
            lines.append(
                f"| `{name}` | {r['kb']:.1f} | {r['values']} | {r['validation_ms']:.2f} | "
                f"{r['validation_ms'] * 1000 / max(r['values'], 1):.1f} |"
            )
    lines.append("")
    lines += ["## Startup (fresh process, stdio-equivalent imports, first `list_users`)", ""]
    lines += [
        "| latency | interpreter | imports (of which the mcp SDK) | first round trip | first answer | launch to "
        "first answer | requests | round trips before answer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lat, s in startup.items():
        lines.append(
            f"| {lat * 1000:.0f} ms | {s['interpreter_s'] * 1000:.0f} ms | {s['imports_s'] * 1000:.0f} ms "
            f"({s['sdk_s'] * 1000:.0f} ms) | "
            f"{s['first_round_trip_s'] * 1000:.0f} ms | {s['first_answer_s'] * 1000:.0f} ms | "
            f"{(s['interpreter_s'] + s['imports_s'] + s['first_answer_s']) * 1000:.0f} ms | {s['requests']} | "
            f"{s['round_trips']} |"
        )
    first = next(iter(startup.values()))
    lines.append("")
    lines.append(
        "First round trip and first answer count from building the server (after the imports; the bench's fake is "
        "seeded before). At 0 ms the fake answers each request before the next is sent, so only the count at the "
        "largest latency says what waits on what."
    )
    lines.append(f"Requests before the first answer: {', '.join(first['paths'])}.")
    lines.append(
        f"Heavy modules imported by the server's imports: {', '.join(first['heavy_modules_imported']) or 'none'}."
    )
    lines += ["", "## Overhead, concurrency, memory", "", "| What | Measured |", "|---|---|"]
    if 0.0 in results:
        lu = by_tool[0.0]["list_users"]
        lines.append(
            f"| in-process overhead, `list_users` warm @0 ms (p50 / p95) | {lu['p50']:.2f} / {lu['p95']:.2f} ms |"
        )
    for lat, res in results.items():
        lines.append(
            f"| 100 concurrent `list_users`, one session @{lat * 1000:.0f} ms | {res['concurrent_100_ms']:.0f} ms, "
            f"{res['concurrent_ok']}/100 ok, {res['concurrent_requests']} Clockodo requests, "
            f"{res['concurrent_fsyncs_per_call']:g} fsyncs/call |"
        )
    lines.append(f"| fsyncs split (whole run @{slow * 1000:.0f} ms) | {results[slow]['fsync_split']} |")
    if 0.0 in results:
        lu = by_tool[0.0]["list_users"]
        floor = results[0.0]["sdk_floor_ms"]
        server = lu["p50"] - lu["validation_ms"] - lu["audit_commit_ms"] - floor
        lines.append(
            f"| `list_users` warm @0 ms, split | SDK floor {floor:.2f} ms + audit commit "
            f"{lu['audit_commit_ms']:.2f} ms "
            f"({lu['fsyncs_per_call']:g} fsyncs) + client validation {lu['validation_ms']:.2f} ms + our server "
            f"{server:.2f} ms |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"| peak RSS (bench process: fake + server + client) | {peak:.0f} MB |")
    for size, rss in results[slow].get("server_rss", {}).items():
        lines.append(
            f"| peak RSS of the server process alone, {size} company (stdio, fake over HTTP, {rss['calls']} calls"
            f"{', errors: ' + '; '.join(rss['errors']) if rss['errors'] else ''}) | {rss['peak_rss_mb']:.0f} MB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small")
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--latency-ms", default="0,80")
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--server-rss", default="large", help="sizes to measure the server alone on ('' to skip)")
    options = parser.parse_args()
    latencies = [float(x) / 1000 for x in options.latency_ms.split(",")]
    interp = interpreter_startup(options.startup_runs)
    sdk = sdk_imports(options.startup_runs)
    startup = {}
    for lat in latencies:
        startup[lat] = bench_startup(lat, options.size, options.startup_runs) | {"interpreter_s": interp, "sdk_s": sdk}
    results: dict[float, dict[str, Any]] = {}
    for lat in latencies:
        results[lat] = {}
        asyncio.run(bench_latency(options.size, lat, options.iterations, results[lat]))
    results[min(latencies)]["sdk_floor_ms"] = asyncio.run(sdk_floor_ms(max(options.iterations, 30)))
    if options.server_rss:
        results[max(latencies)]["server_rss"] = {
            size: asyncio.run(server_rss(size, RSS_CALLS, TODAY.isoformat())) for size in options.server_rss.split(",")
        }
    if options.json:
        print(json.dumps({"startup": startup, "results": results}, default=str))
    print(render(results, startup, options.size))


if __name__ == "__main__":
    main()
