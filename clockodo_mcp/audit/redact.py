"""Removing secrets from anything that is about to be logged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

# Compared after lower-casing and dropping "-" and "_", so "API-Key", "api_key" and "apiKey" all match.
_SECRET_KEYS = frozenset({"confirmtoken", "token", "apikey", "password", "secret", "authorization", "xclockodoapikey"})
# Suffixes catch the variants nobody listed yet: access_token, client_secret, db_password, x_api_key.
_SECRET_SUFFIXES = ("token", "secret", "password", "apikey")


def is_secret_key(key: object) -> bool:
    """Whether a mapping key names a secret whose value must never be logged."""
    if not isinstance(key, str):
        return False
    norm = key.lower().replace("-", "").replace("_", "")
    return norm in _SECRET_KEYS or norm.endswith(_SECRET_SUFFIXES)


def redact(value: Any) -> Any:
    """A deep copy with the values of secret-like keys replaced by ``"[redacted]"``."""
    if isinstance(value, Mapping):
        return {k: (REDACTED if is_secret_key(k) and v is not None else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def scrub(value: Any, secrets: frozenset[str]) -> Any:
    """A deep copy with every occurrence of a known secret string replaced by ``"[redacted]"``."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    return value
