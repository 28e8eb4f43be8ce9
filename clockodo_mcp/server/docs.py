"""The README's tool and result-limit tables, generated from the registry (a test checks the README matches)."""

from __future__ import annotations

import inspect
import typing

from clockodo_mcp.server.registry import TOOLSETS, selected_tools

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


def tool_list() -> str:
    """One plain line per tool: name, toolset, read-only or write (destructive), what it does."""
    specs = selected_tools(read_only=False, toolsets=frozenset(TOOLSETS))
    width = max(len(spec.name) for spec in specs)
    lines = []
    for spec in specs:
        kind = "read" if spec.read_only else "write, destructive" if spec.destructive else "write"
        first = spec.description.split("\n", 1)[0]
        lines.append(f"{spec.name:<{width}}  {spec.toolset:<8}  {kind:<18}  {first}")
    return "\n".join(lines)


LIMITS_START = "<!-- limits-table:start -->"
LIMITS_END = "<!-- limits-table:end -->"


def list_limits() -> dict[str, tuple[int, int]]:
    """(default limit, hard cap) of every paged tool, read from its `limit` argument."""
    limits: dict[str, tuple[int, int]] = {}
    for spec in selected_tools(read_only=False, toolsets=frozenset(TOOLSETS)):
        parameter = inspect.signature(spec.fn).parameters.get("limit")
        if parameter is None:
            continue
        hints = typing.get_type_hints(spec.fn, include_extras=True)
        caps = [getattr(m, "le", None) for info in typing.get_args(hints["limit"])[1:] for m in _metadata(info)]
        limits[spec.name] = (int(parameter.default), int(next(cap for cap in caps if cap is not None)))
    return limits


def _metadata(info: object) -> list[object]:
    return [info, *getattr(info, "metadata", [])]


def limits_table() -> str:
    """A Markdown table: every paged tool, its default `limit` and its hard cap."""
    rows = ["| Tool | default `limit` | at most |", "|---|---:|---:|"]
    rows += [f"| `{name}` | {default} | {cap} |" for name, (default, cap) in sorted(list_limits().items())]
    return "\n".join(rows)
