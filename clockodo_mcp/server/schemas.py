"""Tool schemas as the model reads them: the same constraints in fewer tokens.

Pydantic's JSON schemas repeat the field name as a `title` on every property and spell `X | None` as an `anyOf`.
A model reads every tool's input schema on every turn, so `tools/list` publishes an equivalent compact form: titles
and `default: null` are dropped (neither constrains a value), an `anyOf` of plain types becomes one `type` list
(`{"type": ["string", "integer", "null"]}`) with each branch's type-specific constraints beside it (`maxLength`
applies only to strings, `maximum` only to numbers), and a nullable string enum becomes one enum with null.
A definition referred to once is written where it is used: no smaller, but a validator (the official Python client
checks every `structuredContent`) no longer resolves a `$ref` for every list item; shared ones stay in `$defs`.
The server still validates against the original schema; the compact one accepts exactly the same values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from mcp.server import MCPServer
from mcp.server.apps import client_supports_apps
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_PARAMS,
    GetPromptResult,
    InputRequiredResult,
    ListToolsResult,
    PaginatedRequestParams,
    Tool,
)
from pydantic import AnyUrl

from clockodo_mcp.server.runtime import Runtime

# Keywords that would change meaning if a branch's constraints were hoisted next to a list of types.
_NOT_HOISTABLE = frozenset({"enum", "const", "$ref", "anyOf", "oneOf", "allOf", "not", "default"})


_DEFS = "#/$defs/"


def published_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """What tools/list publishes for a tool's input or output schema: single-use definitions inlined, compacted."""
    compact = compact_schema(inline_single_use_defs(schema))
    assert isinstance(compact, dict)
    return compact


def inline_single_use_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every definition that is referred to exactly once (and not from itself) written in its place."""
    defs = schema.get("$defs")
    if not isinstance(defs, dict) or not defs:
        return schema
    counts: Counter[str] = Counter(_refs(schema))
    inline = {
        name: body
        for name, body in defs.items()
        if counts[name] == 1 and name not in _reachable(name, defs) and isinstance(body, dict)
    }
    if not inline:
        return schema
    out = {k: _replace_refs(v, inline) for k, v in schema.items() if k != "$defs"}
    kept = {name: _replace_refs(body, inline) for name, body in defs.items() if name not in inline}
    return {**out, "$defs": kept} if kept else out


def _refs(node: Any) -> list[str]:
    if isinstance(node, list):
        return [name for item in node for name in _refs(item)]
    if not isinstance(node, dict):
        return []
    found = [node["$ref"][len(_DEFS) :]] if isinstance(node.get("$ref"), str) and node["$ref"].startswith(_DEFS) else []
    return found + [name for key, value in node.items() if key != "$ref" for name in _refs(value)]


def _reachable(start: str, defs: dict[str, Any]) -> set[str]:
    """The definitions `start` refers to, directly or through others."""
    seen: set[str] = set()
    todo = _refs(defs.get(start))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += _refs(defs.get(name))
    return seen


def _replace_refs(node: Any, inline: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_replace_refs(item, inline) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS) and ref[len(_DEFS) :] in inline:
        body = _replace_refs(inline[ref[len(_DEFS) :]], inline)
        siblings = {k: _replace_refs(v, inline) for k, v in node.items() if k != "$ref"}
        if siblings.keys() - {"description"} & body.keys():
            return {**siblings, "allOf": [body]}  # both constrain the same keyword: keep both, as $ref did
        return {**body, **siblings}  # the use's own description wins over the definition's
    return {key: _replace_refs(value, inline) for key, value in node.items()}


def compact_schema(schema: Any) -> Any:
    """`schema` without titles, with anyOf-of-types merged into a type list; everything else as it was."""
    if isinstance(schema, list):
        return [compact_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if (key == "title" and isinstance(value, str)) or (key == "default" and value is None):
            continue  # a title repeats the name; `default: null` repeats that the argument may be left out
        if key in ("properties", "$defs", "patternProperties"):  # maps of names → schemas: keep every name
            out[key] = {name: compact_schema(sub) for name, sub in value.items()}
        else:
            out[key] = compact_schema(value)
    branches = out.get("anyOf")
    if isinstance(branches, list):
        merged = _merged(branches) or _nullable_enum(branches)
        if merged is not None and not merged.keys() & out.keys():
            del out["anyOf"]
            out = {**merged, **out}
    return out


# Keywords that constrain only instances of one type (JSON Schema validation, section 6): next to a type list they
# still apply only to that type, so branches whose constraints belong each to its own type merge without change.
_TYPE_KEYWORDS: dict[str, frozenset[str]] = {
    "string": frozenset({"minLength", "maxLength", "pattern", "format"}),
    "integer": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}),
    "number": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}),
    "array": frozenset({"items", "minItems", "maxItems", "uniqueItems"}),
}


def _merged(branches: list[Any]) -> dict[str, Any] | None:
    """One schema for branches that differ only in type, else None.

    Merged when at most one branch has constraints of its own, or when every branch's constraints are keywords that
    apply to its type alone (a string's `maxLength` beside an integer's `maximum`).
    """
    if not branches or not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in branches):
        return None
    types = [b["type"] for b in branches]
    extras = [{k: v for k, v in b.items() if k != "type"} for b in branches]
    constrained = [e for e in extras if e]
    if len(set(types)) != len(types) or any(_NOT_HOISTABLE & e.keys() for e in constrained):
        return None
    if len(constrained) <= 1:
        return {"type": types, **(constrained[0] if constrained else {})}
    numeric = {"integer", "number"}
    if numeric <= set(types):  # both would read the same numeric keywords
        return None
    for kind, extra in zip(types, extras, strict=True):
        if not extra.keys() <= _TYPE_KEYWORDS.get(kind, frozenset()):
            return None
    merged: dict[str, Any] = {"type": types}
    for extra in extras:
        merged.update(extra)
    return merged


def _nullable_enum(branches: list[Any]) -> dict[str, Any] | None:
    """`{"enum": [..., null]}` for an anyOf of a string enum and null (an enum matches exactly), else None."""
    if len(branches) != 2 or {"type": "null"} not in branches:
        return None
    (other,) = [b for b in branches if b != {"type": "null"}]
    if not isinstance(other, dict) or other.keys() != {"enum", "type"} or other["type"] != "string":
        return None
    values = other["enum"]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return None
    return {"enum": [*values, None]}


def _app_only(tool: Tool) -> bool:
    ui = (tool.meta or {}).get("ui")
    return isinstance(ui, dict) and ui.get("visibility") == ["app"]


class ClockodoServer(MCPServer[Runtime]):
    """MCPServer that lists its tools with compact schemas (see the module docstring), and names the valid resources
    and prompts when a client asks for one that does not exist."""

    async def _handle_list_tools(
        self, ctx: ServerRequestContext[Runtime], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        """tools/list; the app-only tools (`_meta.ui.visibility: ["app"]`) only for clients that render MCP Apps, so
        a client that would show them to the model never sees them."""
        tools = await self.list_tools()
        if not client_supports_apps(ctx):
            tools = [tool for tool in tools if not _app_only(tool)]
        return ListToolsResult(tools=tools)

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[Runtime, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        """Read a resource; an unknown URI is refused with the URIs and templates there are."""
        try:
            return await super().read_resource(uri, context)
        except ResourceNotFoundError as error:
            if not str(error).startswith("Unknown resource"):
                raise  # a resource's own "not found" (an unknown change id, say) already says what to do
            valid = [str(r.uri) for r in await self.list_resources()]
            valid += [t.uri_template for t in await self.list_resource_templates()]
            raise ResourceNotFoundError(f"Unknown resource {uri}. Valid: {', '.join(sorted(valid))}.") from None

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Runtime, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        """Render a prompt; an unknown name or argument is refused (invalid params) with the valid ones."""
        prompts = {p.name: p for p in await self.list_prompts()}
        prompt = prompts.get(name)
        if prompt is None:
            valid = ", ".join(sorted(prompts)) or "none"
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt {name!r}. Valid prompts: {valid}.")
        known = {argument.name for argument in prompt.arguments or ()}
        unknown = sorted(set(arguments or {}) - known)
        if unknown:
            valid = ", ".join(sorted(known)) or "none"
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"The prompt {name} has no argument {', '.join(unknown)}. Its arguments: {valid}.",
            )
        return await super().get_prompt(name, arguments, context)

    async def list_tools(self) -> list[Tool]:
        """The tools, with compact input and output schemas."""
        return [
            tool.model_copy(
                update={
                    "input_schema": published_schema(tool.input_schema),
                    "output_schema": published_schema(tool.output_schema) if tool.output_schema else None,
                }
            )
            for tool in await super().list_tools()
        ]
