"""Encode arguments the way Clockodo expects: `…Z` timestamps, `filter[x]=…`, `key[]=…`, `true/false`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import TypeVar

from .errors import ClockodoArgumentError
from .models.base import format_utc

QueryPairs = list[tuple[str, str]]
E = TypeVar("E", bound=Enum)


def require_aware(name: str, value: dt.datetime) -> dt.datetime:
    """Return `value` in UTC; refuse naive datetimes because Clockodo's wall clock is ambiguous."""
    if not isinstance(value, dt.datetime):
        raise ClockodoArgumentError(name, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClockodoArgumentError(name, "must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
    return value.astimezone(dt.UTC)


def check_window(time_since: dt.datetime, time_until: dt.datetime) -> None:
    """Refuse a naive bound or a window whose end lies before its start."""
    since = require_aware("time_since", time_since)
    until = require_aware("time_until", time_until)
    if until < since:
        raise ClockodoArgumentError("time_until", f"ends ({format_utc(until)}) before time_since ({format_utc(since)})")


def check_id(name: str, value: object) -> int:
    """Return `value` if it is a positive integer id, else raise naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClockodoArgumentError(name, f"must be a positive integer id, got {value!r}")
    if value <= 0:
        raise ClockodoArgumentError(name, f"must be a positive integer id, got {value}")
    return value


def check_optional_id(name: str, value: object) -> int | None:
    """Like check_id, but None passes through."""
    return None if value is None else check_id(name, value)


def coerce_enum(name: str, enum: type[E], value: object) -> E:
    """Convert a raw value to `enum`, naming the parameter and the allowed values when it is unknown."""
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in enum)
        raise ClockodoArgumentError(name, f"unknown value {value!r}; allowed: {allowed}") from None


def encode_scalar(name: str, value: object) -> str:
    """Encode one query value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return format_utc(require_aware(name, value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float | str):
        return str(value)
    raise ClockodoArgumentError(name, f"cannot encode {type(value).__name__} in a query string")


def encode_query(params: Mapping[str, object], prefix: str | None = None) -> QueryPairs:
    """Flatten parameters into query pairs; None values are dropped, mappings nest, sequences repeat `[]`."""
    pairs: QueryPairs = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if value is None:
            continue
        if isinstance(value, Mapping):
            pairs.extend(encode_query(value, name))
        elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
            pairs.extend((f"{name}[]", encode_scalar(name, item)) for item in value if item is not None)
        else:
            pairs.append((name, encode_scalar(name, value)))
    return pairs


def encode_json(value: object, name: str = "body") -> object:
    """Convert a request body to JSON-ready values (datetimes as `…Z`, dates ISO, enums by value)."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return format_utc(require_aware(name, value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): encode_json(v, str(k)) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return [encode_json(item, name) for item in value]
    raise ClockodoArgumentError(name, f"cannot encode {type(value).__name__} as JSON")
