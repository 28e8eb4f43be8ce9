"""Issue 13: the sync on the large company (100,010 entries, 221 users) against the fake on loopback HTTP.

Run: .venv/bin/python bench/sync.py [--size large] [--to duckdb|parquet|postgresql://…] [--repeat-no-change 3]

The fake runs in its own process (so its 100k-entry dataset and its CPU are not counted against the sync) with its
calendar pinned to 2026-11-24; the sync's clock is pinned to the same day. It prints, for the backfill and for a run
with nothing changed: Clockodo requests, wall time, entries written and entries/s, and the sync process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clockodo_mcp.clock import clock_for  # noqa: E402
from clockodo_mcp.clockodo import ClockodoClient  # noqa: E402
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY  # noqa: E402
from clockodo_mcp.sync import SyncReport, open_target, sync_once  # noqa: E402

TODAY = date(2026, 11, 24)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_fake(size: str) -> tuple[subprocess.Popen[bytes], str]:
    """The fake in a subprocess; returns once it answers."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "clockodo_mcp", "fake-server", "--size", size, "--port", str(port)]
    process = subprocess.Popen([*command, "--today", TODAY.isoformat()], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/v4/users/me", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)  # the bench waits for the subprocess to seed; tests never sleep
    process.kill()
    raise SystemExit("the fake did not start within 120 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), to show where the time goes."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def one_run(base: str, url: str) -> tuple[SyncReport, float]:
    async with ClockodoClient(
        api_user=OWNER_EMAIL, api_key=OWNER_KEY, app_name="bench", app_email="bench@example.com", base_url=base
    ) as client:
        started = time.perf_counter()
        report = await sync_once(client, open_target(url), clock_for(TODAY))
        return report, time.perf_counter() - started


def line(label: str, report: SyncReport, seconds: float, sync_cpu: float, fake_cpu: float) -> str:
    overall = report.entries_written / seconds if seconds else 0.0
    pulling = report.entries_written / report.pull_seconds if report.pull_seconds else 0.0
    return (
        f"| {label} | {report.requests} | {seconds:.2f} s | {report.entries_written:,} | {pulling:,.0f} | "
        f"{overall:,.0f} | {sync_cpu:.2f} s | {fake_cpu:.2f} s | {len(report.backfilled_months)} / "
        f"{report.checked_months} / {len(report.repulled_months)} |"
    )


def measured(base: str, url: str, fake_pid: int) -> tuple[SyncReport, float, float, float]:
    cpu, fake = time.process_time(), cpu_seconds(fake_pid)
    report, seconds = asyncio.run(one_run(base, url))
    return report, seconds, time.process_time() - cpu, cpu_seconds(fake_pid) - fake


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="large")
    parser.add_argument("--to", default="duckdb", help="duckdb, parquet or a postgresql:// URL")
    parser.add_argument("--repeat-no-change", type=int, default=3)
    args = parser.parse_args()
    process, base = start_fake(args.size)
    try:
        with TemporaryDirectory() as tmp:
            if args.to == "duckdb":
                url = f"duckdb://{Path(tmp, 'mirror.duckdb').as_posix()}"
            elif args.to == "parquet":
                url = f"parquet://{Path(tmp, 'lake').as_posix()}"
            else:
                url = args.to
            print(f"target: {open_target(url).location}; fake: {args.size} company over loopback HTTP")
            print()
            print(
                "| run | Clockodo requests | wall time | entries written | entries/s while pulling | entries/s overall "
                "| sync CPU | fake CPU | months backfilled / checked / re-pulled |"
            )
            print("|---|---|---|---|---|---|---|---|---|")
            print(line("backfill (first run of the day: + work times)", *measured(base, url, process.pid)))
            for n in range(args.repeat_no_change):
                print(line(f"no change #{n + 1}", *measured(base, url, process.pid)))
            print()
            print(f"peak RSS of the sync process: {peak_rss_mb():.0f} MB")
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
