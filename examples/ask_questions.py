"""Ask the demo company the questions agency owners ask, through the official MCP client over stdio.

Run:  python examples/ask_questions.py
It starts `clockodo-mcp serve --demo` (a built-in fake Clockodo, no account needed) as a subprocess, exactly as
Claude Desktop or Cursor would, and prints each question, the tool call an agent would make, and the answer.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

QUESTIONS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "How many unbilled hours do we have across all projects this month, and what are they worth?",
        "report_hours",
        {"period": "this_month", "billing": "unbilled"},
    ),
    ("Top 3 projects by unbilled value.", "report_hours", {"period": "this_month", "billing": "unbilled", "limit": 3}),
    (
        "Unbilled hours for Project Alpha in the last 30 days, by employee.",
        "report_hours",
        {"period": "last_30_days", "billing": "unbilled", "project": "Project Alpha", "group_by": ["user"]},
    ),
    (
        "Show all non-billable hours logged to internal projects last week.",
        "report_hours",
        {"period": "last_week", "billing": "not_billable", "customer": "Brightside Internal"},
    ),
    (
        "Compare billable utilization of the design team and the development team this quarter.",
        "utilization",
        {"period": "this_quarter"},
    ),
    ("Which projects are about to blow their budget?", "budget_status", {"at_risk_only": True}),
    ("Which unbilled hours are getting old?", "unbilled_aging", {}),
    ("What needs my attention right now?", "alerts", {}),
]


def demo_server() -> StdioServerParameters:
    """`clockodo-mcp serve --demo` on stdio, as an MCP client config would start it."""
    return StdioServerParameters(
        command=sys.executable, args=["-m", "clockodo_mcp", "serve", "--demo"], env=dict(os.environ)
    )


def team_line(result: dict[str, Any], name: str) -> str:
    team = next(t for t in result["teams"] if t["name"] == name)
    return f"{name}: {team['utilization_pct']}% ({team['billable_hours']} of {team['target_hours']} target hours)"


async def main() -> int:
    async with Client(demo_server()) as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        print(f"Connected to clockodo-mcp (demo company): {len(tools)} tools\n")
        for question, tool, arguments in QUESTIONS:
            print(f"Q: {question}")
            print(f"   → {tool}({json.dumps(arguments)})")
            result = await client.call_tool(tool, arguments)
            if result.is_error:
                print("   tool error: " + " ".join(getattr(block, "text", "") for block in result.content))
                return 1
            answer: dict[str, Any] = result.structured_content or {}
            print(f"A: {answer['summary']}")
            if tool == "report_hours" and arguments.get("limit") == 3:
                for rank, group in enumerate(answer["groups"], 1):
                    value = group["value"]
                    name = group["key"]["project"]
                    print(f"   {rank}. {name}: {value['amount']:,.2f} {value['currency']} ({group['hours']} h)")
            if tool == "utilization":
                print(f"   {team_line(answer, 'Design')} vs {team_line(answer, 'Development')}")
            print()
    print(f"Answered {len(QUESTIONS)} questions.")
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
