"""Tool schemas as the model reads them: the same constraints in fewer tokens.

Pydantic's JSON schemas repeat the field name as a `title` on every property and spell `X | None` as an `anyOf`.
A model reads every tool's input schema on every turn, so `tools/list` publishes an equivalent compact form: titles
are dropped and an `anyOf` of plain types becomes one `type` list (`{"type": ["string", "integer", "null"]}`).
The server still validates against the original schema; the compact one accepts exactly the same values.
"""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer
from mcp.types import Tool

from clockodo_mcp.server.runtime import Runtime

# Keywords that would change meaning if a branch's constraints were hoisted next to a list of types.
_NOT_HOISTABLE = frozenset({"enum", "const", "$ref", "anyOf", "oneOf", "allOf", "not", "default"})


def compact_schema(schema: Any) -> Any:
    """`schema` without titles, with anyOf-of-types merged into a type list; everything else as it was."""
    if isinstance(schema, list):
        return [compact_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs", "patternProperties"):  # maps of names → schemas: keep every name
            out[key] = {name: compact_schema(sub) for name, sub in value.items()}
        else:
            out[key] = compact_schema(value)
    branches = out.get("anyOf")
    if isinstance(branches, list):
        merged = _merged(branches)
        if merged is not None and not merged.keys() & out.keys():
            del out["anyOf"]
            out = {**merged, **out}
    return out


def _merged(branches: list[Any]) -> dict[str, Any] | None:
    """One schema for branches that differ only in type (at most one with constraints of its own), else None."""
    if not branches or not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in branches):
        return None
    types = [b["type"] for b in branches]
    extras = [{k: v for k, v in b.items() if k != "type"} for b in branches]
    constrained = [e for e in extras if e]
    if len(set(types)) != len(types) or len(constrained) > 1 or any(_NOT_HOISTABLE & e.keys() for e in constrained):
        return None
    return {"type": types, **(constrained[0] if constrained else {})}


class ClockodoServer(MCPServer[Runtime]):
    """MCPServer that lists its tools with compact schemas (see the module docstring)."""

    async def list_tools(self) -> list[Tool]:
        """The tools, with compact input and output schemas."""
        return [
            tool.model_copy(
                update={
                    "input_schema": compact_schema(tool.input_schema),
                    "output_schema": compact_schema(tool.output_schema) if tool.output_schema else None,
                }
            )
            for tool in await super().list_tools()
        ]
