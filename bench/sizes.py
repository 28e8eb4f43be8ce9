"""Answer sizes: every tool's default answer on the demo and the large company, and the tools/list sizes.

Run: .venv/bin/python bench/sizes.py [--max]

Prints Markdown tables in cl100k tokens (counted with bpe-openai, as tests/server/test_sizes.py does) and bytes: what
the client receives (the JSON text block plus structuredContent). `--max` adds the maximal-argument calls.
The calls are tests/server/sizing.py's; "now" is frozen at 2026-11-24 15:00 UTC, so the figures are reproducible.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, seed
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ServerConfig
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.store import sqlite_url
from tests.server.sizing import (
    DEFAULT_BUDGET,
    DEFAULT_CALLS,
    MAX_BUDGET,
    MAX_CALLS,
    TOOLS_LIST_BUDGET,
    Company,
    answer_bytes,
    answer_tokens,
    default_answer,
    tools_list_tokens,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SIZES = ("small", "large")


def client_for(size: str, audit: Path) -> tuple[Client, Company]:
    dataset = seed(seed=7, today=NOW.date(), size=size)
    company = Company(dataset, NOW.date())
    config = ServerConfig(
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        credential_source="bench",
        base_url="http://fake.bench/api",
        audit_path=audit,
        store_url=sqlite_url(audit.with_suffix(".sqlite3")),  # a journal of its own, never the user's
    )
    app = create_app(dataset, now=lambda: NOW)
    runtime = Runtime(config, transport=httpx.ASGITransport(app=app), clock=FrozenClock(NOW))
    return Client(build_server(runtime)), company


def cell(result: Any) -> tuple[int, int, str]:
    flag = " (error)" if result.is_error else ""
    return answer_tokens(result), answer_bytes(result), flag


async def measure(with_max: bool) -> list[str]:
    defaults: dict[str, dict[str, tuple[int, int, str]]] = {tool: {} for tool in DEFAULT_CALLS}
    maxima: dict[str, list[tuple[int, int, str]]] = {}
    listed: tuple[int, int] = (0, 0)
    with TemporaryDirectory() as tmp:
        for size in SIZES:
            client, company = client_for(size, Path(tmp) / f"audit-{size}.jsonl")
            async with client:
                listed = await tools_list_tokens(client)
                for tool in DEFAULT_CALLS:
                    defaults[tool][size] = cell(await default_answer(client, company, tool))
                if with_max and size == "large":
                    for index, (tool, arguments) in enumerate(MAX_CALLS):
                        result = await client.call_tool(tool, arguments(company))
                        maxima[f"{index:02d} `{tool}` `{arguments(company)}`"] = [cell(result)]
    lines = [
        f"## Default answers (budget: ≤ {DEFAULT_BUDGET:,} tokens on the large company)",
        "",
        "| Tool | demo tokens | demo bytes | large tokens | large bytes |",
        "|---|---:|---:|---:|---:|",
    ]
    for tool, by_size in sorted(defaults.items()):
        demo, large = by_size["small"], by_size["large"]
        lines.append(f"| `{tool}` | {demo[0]:,}{demo[2]} | {demo[1]:,} | {large[0]:,}{large[2]} | {large[1]:,} |")
    largest = max(defaults.items(), key=lambda item: item[1]["large"][0])
    lines += [
        "",
        f"Largest default answer on the large company: `{largest[0]}`, {largest[1]['large'][0]:,} tokens.",
        "",
        "## tools/list",
        "",
        "| Part | tokens |",
        "|---|---:|",
        f"| model-visible (instructions + names, descriptions, input schemas; budget ≤ {TOOLS_LIST_BUDGET:,}) "
        f"| {listed[0]:,} |",
        f"| full tools/list result (with titles, annotations, output schemas) | {listed[1]:,} |",
    ]
    if maxima:
        lines += [
            "",
            f"## Maximal-argument calls on the large company (budget: ≤ {MAX_BUDGET:,} tokens)",
            "",
            "| Call | tokens | bytes |",
            "|---|---:|---:|",
        ]
        for label, ((count, size, flag),) in maxima.items():
            lines.append(f"| {label[3:]} | {count:,}{flag} | {size:,} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--max", action="store_true", help="also measure the maximal-argument calls")
    args = parser.parse_args()
    print("\n".join(asyncio.run(measure(args.max))))


if __name__ == "__main__":
    main()
