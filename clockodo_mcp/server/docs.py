"""The README's tool table, generated from the registry (a test checks the README matches)."""

from __future__ import annotations

from clockodo_mcp.server.config import TOOLSETS
from clockodo_mcp.server.registry import selected_tools

TABLE_START = "<!-- tool-table:start -->"
TABLE_END = "<!-- tool-table:end -->"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def tool_table() -> str:
    """A Markdown table: tool, toolset, read-only, destructive, idempotent, what it does."""
    rows = [
        "| Tool | Toolset | Read-only | Destructive | Idempotent | What it does |",
        "|---|---|---|---|---|---|",
    ]
    for spec in selected_tools(read_only=False, toolsets=frozenset(TOOLSETS)):
        first = spec.description.split("\n", 1)[0].replace("|", "\\|")
        rows.append(
            f"| `{spec.name}` | {spec.toolset} | {_yes(spec.read_only)} | {_yes(spec.destructive)} | "
            f"{_yes(spec.idempotent)} | {first} |"
        )
    return "\n".join(rows)
