"""Strict tool arguments: unknown names are refused, and every validation problem becomes one sentence.

The SDK builds each tool's argument model from the function signature and, by default, drops keys it does not
know. `strict_model` derives a subclass with `extra="forbid"`, so the served input schema says
`additionalProperties: false` and a typo ("projects") fails validation instead of widening a report or a write.
`explain` turns pydantic's errors into what the agent reads: the argument, what it must be (taken from the
argument's own JSON schema, so the message and the schema cannot disagree), and what it got.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

NOTHING_CHANGED = "Nothing was changed."
_GOT_LIMIT = 80
# 'projects' → 'project' (0.93), 'biling' → 'billing' (0.92); 'user' → 'customer' (0.67) is no suggestion.
_CLOSE = 0.7
# Beyond this an integer bound is an id range (int64), not something worth spelling out.
_HUGE = 2**31


def strict_model(model: type[BaseModel], schema: Mapping[str, Any] | None = None) -> type[BaseModel]:
    """The same argument model, refusing unknown keys (and saying so in its JSON schema) and booleans for numbers.

    `schema` is the model's JSON schema by alias when the caller has it already (generating it is what costs).
    """
    config = ConfigDict(**{**model.model_config, "extra": "forbid"})
    if schema is None:
        schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    names = {field.alias or name: name for name, field in model.model_fields.items()}
    numeric = {
        names.get(key, key): _expected(field, defs)
        for key, field in schema.get("properties", {}).items()
        if _numeric(_branches(field, defs))
    }

    def no_bool(cls: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
        # pydantic's lax mode reads true as 1: `top: true` or `user: true` would silently mean 1.
        if isinstance(value, bool) and info.field_name in numeric:
            raise ValueError(f"must be {numeric[info.field_name]}, not {str(value).lower()}")
        return value

    namespace = {
        "model_config": config,
        "__module__": model.__module__,
        "_no_bool": field_validator("*", mode="before")(no_bool),
    }
    return type(model.__name__, (model,), namespace)


def _numeric(branches: list[dict[str, Any]]) -> bool:
    kinds = {branch.get("type") for branch in branches}
    return bool(kinds & {"integer", "number"}) and "boolean" not in kinds


def explain(error: ValidationError, model: type[BaseModel], arguments: Mapping[str, Any]) -> str:
    """One sentence per problem, unknown arguments first, then 'Nothing was changed.'."""
    schema = model.model_json_schema(by_alias=True)
    properties: dict[str, Any] = schema.get("properties", {})
    defs: dict[str, Any] = schema.get("$defs", {})
    by_argument: dict[str, list[Any]] = {}
    unknown: list[str] = []
    for problem in error.errors(include_url=False):
        loc = problem["loc"]
        name = str(loc[0]) if loc else ""
        if problem["type"] == "extra_forbidden" and len(loc) == 1:
            unknown.append(name)
        else:
            by_argument.setdefault(name, []).append(problem)
    sentences = [_unknown(name, list(properties)) for name in unknown]
    for name, problems in by_argument.items():
        sentences.append(_problem(name, problems, properties.get(name, {}), defs, arguments))
    return " ".join([*sentences, NOTHING_CHANGED])


def _unknown(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name.lower(), valid, n=1, cutoff=_CLOSE)
    if close:
        return f"unknown argument {_quote(name)}; did you mean {_quote(close[0])}?"
    return f"unknown argument {_quote(name)}; the valid arguments are {', '.join(valid) or 'none'}."


def _problem(
    name: str, problems: list[Any], schema: dict[str, Any], defs: dict[str, Any], args: Mapping[str, Any]
) -> str:
    if any(p["type"] == "missing" and len(p["loc"]) == 1 for p in problems):
        return f"{_quote(name)} is required: {schema.get('description') or _expected(schema, defs)}".rstrip(".") + "."
    if any(p["type"] == "string_unicode" for p in problems):
        return f"{_quote(name)} must be valid Unicode text (it contains an unpaired surrogate)."
    ours = [p for p in problems if p["type"] == "value_error"]
    if ours:  # our own validators word the whole problem ("must have at most 2 decimals (got 9.555)")
        message = str(ours[0]["ctx"]["error"]) if "ctx" in ours[0] else ours[0]["msg"]
        return f"{_quote(name)} {message.rstrip('.')}."
    value = args.get(name)
    nested = [_nested(name, p, value, schema, defs) for p in problems]
    inner = [sentence for sentence in nested if sentence is not None]
    if inner:  # a dict or list that was the right kind of value but wrong inside: say where
        return " ".join(dict.fromkeys(inner))
    return f"{_quote(name)} must be {_expected(schema, defs)} (got {_got(value)})."


def _nested(name: str, problem: Any, value: Any, schema: dict[str, Any], defs: dict[str, Any]) -> str | None:
    """A sentence for a problem inside a dict or list argument; None when the value as a whole was wrong."""
    path: list[str | int] = []
    current, part_schema = value, schema
    loc = problem["loc"][1:]
    for index, part in enumerate(loc):
        inside_dict = isinstance(current, Mapping) and part in current
        inside_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if inside_dict or inside_list:
            path.append(part)
            current, part_schema = current[part], _child(part_schema, defs, part)
        elif problem["type"] == "missing" and index == len(loc) - 1 and isinstance(current, Mapping):
            keys = " and ".join(map(_quote, _keys(part_schema, defs)))
            return f"{_quote(_dotted(name, path))} lacks {_quote(str(part))}; give {keys}."
        # anything else is a union member's tag ('str', 'DateRange'), not a place in the value
    if not path:
        return None
    if problem["type"] == "extra_forbidden":
        keys = ", ".join(map(_quote, _keys(_parent(schema, defs, path), defs)))
        return f"{_quote(_dotted(name, path[:-1]))} has an unknown key {_quote(str(path[-1]))}; use only {keys}."
    return f"{_quote(_dotted(name, path))} must be {_expected(part_schema, defs)} (got {_got(current)})."


def _dotted(name: str, path: Sequence[str | int]) -> str:
    text = name
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _resolve(defs.get(ref.rsplit("/", 1)[-1], {}), defs)
    return schema


def _branches(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, defs)
    if "anyOf" in schema:
        return [b for sub in schema["anyOf"] for b in _branches(sub, defs)]
    return [schema]


def _child(schema: dict[str, Any], defs: dict[str, Any], part: str | int) -> dict[str, Any]:
    for branch in _branches(schema, defs):
        if isinstance(part, int) and branch.get("type") == "array":
            return dict(branch.get("items", {}))
        if isinstance(part, str) and part in branch.get("properties", {}):
            return dict(branch["properties"][part])
    return {}


def _parent(schema: dict[str, Any], defs: dict[str, Any], path: Sequence[str | int]) -> dict[str, Any]:
    for part in path[:-1]:
        schema = _child(schema, defs, part)
    return schema


def _keys(schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    for branch in _branches(schema, defs):
        if branch.get("type") == "object" and "properties" in branch:
            return list(branch["properties"])
    return []


def _expected(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """What a value of this schema is, in words: 'a whole number from 1 to 500', "one of 'a', 'b'", …"""
    phrases = [_phrase(b, defs) for b in _branches(schema, defs) if b.get("type") != "null"]
    unique = list(dict.fromkeys(p for p in phrases if p))
    return " or ".join(unique) if unique else "a valid value"


def _phrase(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    kind = schema.get("type")
    if "enum" in schema:
        return "one of " + ", ".join(_quote(str(v)) for v in schema["enum"])
    if "const" in schema:
        return _quote(str(schema["const"]))
    if kind == "string":
        if schema.get("format") == "date":
            return "a date 'YYYY-MM-DD'"
        return "text" + _length(schema, "minLength", "maxLength", "character")
    if kind == "integer":
        return "a whole number" + _bounds(schema)
    if kind == "number":
        return "a number" + _bounds(schema)
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        items = _expected(schema.get("items", {}), defs)
        return f"a list{_length(schema, 'minItems', 'maxItems', 'item')} of {items}"
    if kind == "object" and "properties" in schema:
        fields = ", ".join(f'"{key}": …' for key in schema["properties"])
        return "{" + fields + "}"
    return ""


def _bounds(schema: dict[str, Any]) -> str:
    high = schema.get("maximum")
    high = None if high is not None and abs(high) >= _HUGE else high
    upper = f" and at most {_num(high)}" if high is not None else ""
    if "exclusiveMinimum" in schema:
        return f" above {_num(schema['exclusiveMinimum'])}{upper}"
    if "minimum" in schema:
        low = _num(schema["minimum"])
        return f" from {low} to {_num(high)}" if high is not None else f" of at least {low}"
    return f" of at most {_num(high)}" if high is not None else ""


def _length(schema: dict[str, Any], low_key: str, high_key: str, unit: str) -> str:
    low, high = schema.get(low_key), schema.get(high_key)
    if low and high:
        return f" of {low}–{high} {unit}s"
    if high is not None:
        return f" of at most {high} {unit}s"
    if low:
        return f" of at least {low} {unit}{'s' if low > 1 else ''}"
    return ""


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "\\'") + "'"


def _got(value: Any) -> str:
    """The offending value, short: strings quoted, the rest as JSON, long ones cut."""
    if isinstance(value, str):
        text = _quote(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            text = type(value).__name__
    return text if len(text) <= _GOT_LIMIT else text[: _GOT_LIMIT - 1] + "…"
