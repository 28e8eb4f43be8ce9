"""Canonical JSON and hashing shared by the audit chain and the confirmation tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class _Dumpable(Protocol):
    def model_dump(self, *, mode: str = ...) -> Any: ...


def _default(value: object) -> object:
    # Pydantic models, dates and decimals show up in tool arguments and change records; everything
    # else is a programming error and must not be silently stringified into a hash.
    if isinstance(value, _Dumpable):
        return value.model_dump(mode="json")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 text, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default
    )


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 text, as lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(value: Any) -> str:
    """SHA-256 hex of the canonical JSON of a value."""
    return sha256_hex(canonical_json(value))


def _clean_text(text: str) -> str:
    # Lone surrogates cannot be written as UTF-8; replace them rather than lose the whole record.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def to_plain_json(value: Any) -> Any:
    """The value as plain JSON data (dict/list/str/int/float/bool/None) that survives a round trip."""
    return _clean(json.loads(canonical_json(value)))
