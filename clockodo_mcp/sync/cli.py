"""`clockodo-mcp sync`: arguments, the --every loop and the progress display."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TextIO

from clockodo_mcp.audit import AuditLog
from clockodo_mcp.clock import Clock, clock_for, today_from_env
from clockodo_mcp.clockodo import ClockodoError
from clockodo_mcp.sync.engine import (
    DEFAULT_WINDOW_DAYS,
    ProgressEvent,
    SyncOptions,
    SyncReport,
    changes_rows,
    sync_once,
)
from clockodo_mcp.sync.targets import TargetError, default_target_url, open_target

if TYPE_CHECKING:
    from clockodo_mcp.server.runtime import Runtime

_EVERY = re.compile(r"^(\d+)(s|m|h)$")
_UNITS = {"s": 1, "m": 60, "h": 3600}
MIN_EVERY_SECONDS = 60
MISSING_EXTRA = (
    "The sync needs its optional dependencies (DuckDB, psycopg, pyarrow, tqdm). Install them with: "
    "pip install 'clockodo-mcp[sync]'"
)


class SyncUsageError(ValueError):
    """A bad sync argument; the message names the fix."""


def parse_every(value: str) -> float:
    """`--every` as seconds: a whole number with s, m or h (`15m`, `1h`), at least one minute."""
    match = _EVERY.match(value.strip())
    if match is None:
        raise SyncUsageError(
            f"--every {value!r} is not an interval. Use a whole number with s, m or h, e.g. --every 15m or --every 1h."
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds < MIN_EVERY_SECONDS:
        raise SyncUsageError(
            f"--every {value} is too often: Clockodo's rate limits allow at most one sync a minute; use e.g. 15m."
        )
    return float(seconds)


def parse_since(value: str) -> dt.date:
    """`--since` as the first day of a month: YYYY-MM or YYYY-MM-DD."""
    text = value.strip()
    try:
        day = dt.date.fromisoformat(text + "-01" if len(text) == 7 else text)
    except ValueError:
        raise SyncUsageError(f"--since {value!r} is not a month: use YYYY-MM (e.g. 2025-01) or YYYY-MM-DD.") from None
    return day.replace(day=1)


def add_sync_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    add_server_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """The `sync` subcommand's arguments."""
    sync = sub.add_parser(
        "sync", help="mirror the account into DuckDB, PostgreSQL or Parquet (incremental; --every to keep syncing)"
    )
    sync.add_argument(
        "--to",
        help="duckdb:///path.duckdb, postgresql://user@host/db[?schema=name] or parquet:///dir "
        "(default: a DuckDB file in the user data directory)",
    )
    when = sync.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help="sync once and exit (the default)")
    when.add_argument("--every", metavar="INTERVAL", help="keep syncing, e.g. --every 15m")
    sync.add_argument("--since", metavar="YYYY-MM", help="first month of the backfill (default: 24 months back)")
    sync.add_argument(
        "--window-days",
        type=int,
        default=DEFAULT_WINDOW_DAYS,
        help=f"days of recent entries re-pulled on every run (default {DEFAULT_WINDOW_DAYS})",
    )
    sync.add_argument("--quiet", action="store_true", help="no progress display (for cron); errors still go to stderr")
    add_server_options(sync)


class _Display:
    """A tqdm bar on stderr: months done, entries, requests, ETA."""

    def __init__(self, stream: TextIO) -> None:
        from tqdm import tqdm

        self.bar: Any = tqdm(total=0, unit="step", file=stream, dynamic_ncols=True, leave=True)

    def __call__(self, event: ProgressEvent) -> None:
        if self.bar.total != event.total:
            self.bar.total = event.total
        self.bar.n = event.done
        self.bar.set_description(event.phase, refresh=False)
        self.bar.set_postfix(entries=event.entries, requests=event.requests, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def _summary(report: SyncReport, location: str) -> str:
    parts = [f"synced to {location}: {report.entries_written} entries written, {report.requests} Clockodo requests"]
    if report.backfilled_months:
        parts.append(f"backfilled {len(report.backfilled_months)} months")
    if report.checked_months:
        repulled = ", ".join(report.repulled_months) or "none"
        parts.append(f"checked {report.checked_months} older months (re-pulled: {repulled})")
    parts.append(f"{report.seconds:.1f} s")
    return "; ".join(parts)


async def run_sync(
    runtime: Runtime,
    url: str,
    options: SyncOptions,
    *,
    clock: Clock,
    quiet: bool,
    every: float | None,
    stream: TextIO,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> int:
    """Sync once, or every `every` seconds until interrupted; 1 when a run fails."""
    async with runtime:
        while True:
            display = None if quiet else _Display(stream)
            target = open_target(url)
            try:
                report = await sync_once(runtime.client, target, clock, options, display)
            finally:
                if display is not None:
                    display.close()
            if not quiet:
                print(_summary(report, target.location), file=stream)
            if every is None:
                return 0
            await sleep(every)


def cmd_sync(args: argparse.Namespace, make_runtime: Callable[[argparse.Namespace], Runtime]) -> int:
    """Entry of `clockodo-mcp sync`; 2 for bad arguments or an unusable target, with the fix in the message."""
    try:
        import duckdb  # noqa: F401
        import psycopg  # noqa: F401
        import pyarrow  # noqa: F401
        import tqdm  # noqa: F401
    except ImportError:
        print(f"clockodo-mcp: {MISSING_EXTRA}", file=sys.stderr)
        return 2
    try:
        every = parse_every(args.every) if args.every else None
        since = parse_since(args.since) if args.since else None
        if args.window_days < 0:
            raise SyncUsageError("--window-days must be 0 or more (e.g. 60).")
        url = args.to or default_target_url()
        open_target(url)  # refuse a malformed URL before connecting to Clockodo
        today = today_from_env(args.today)
    except (SyncUsageError, TargetError, ValueError) as error:
        print(f"clockodo-mcp: {error}", file=sys.stderr)
        return 2
    runtime = make_runtime(args)
    store = runtime.store
    # --today pins the calendar the sync reckons its months and windows from (the demo, tests); else the real one.
    clock = clock_for(today) if today is not None else runtime.clock

    def changes() -> list[tuple[Any, ...]]:
        if not store.exists():
            return []
        return changes_rows(store, clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))

    # The mirror copies the audit trail from the JSON Lines file; a chain kept in PostgreSQL is not mirrored (yet).
    audit_path = runtime.audit.path if isinstance(runtime.audit, AuditLog) else None
    options = SyncOptions(since=since, window_days=args.window_days, audit_path=audit_path, changes=changes)
    try:
        return asyncio.run(
            run_sync(runtime, url, options, clock=clock, quiet=args.quiet, every=every, stream=sys.stderr)
        )
    except TargetError as error:
        print(f"clockodo-mcp: {error}", file=sys.stderr)
        return 2
    except ClockodoError as error:
        print(
            f"clockodo-mcp: the sync stopped: {error} What was committed stays; the next run resumes.", file=sys.stderr
        )
        return 1
    except KeyboardInterrupt:
        return 130
