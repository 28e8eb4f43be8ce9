"""Authentication and the caller's role: Clockodo's API-key headers or Basic auth, plus client identification."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clockodo_mcp.fake.errors import ApiError, forbidden, unauthorized

OWNER_EMAIL = "owner@demo.example"
OWNER_KEY = "demo-owner-key"
WORKER_EMAIL = "worker@demo.example"
WORKER_KEY = "demo-worker-key"


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user; `is_owner` sees and edits everything, a worker only their own data."""

    user: dict[str, Any]

    @property
    def id(self) -> int:
        """The caller's users_id."""
        return int(self.user["id"])

    @property
    def is_owner(self) -> bool:
        """Role `owner` (Clockodo's administrator)."""
        return self.user.get("role") == "owner"

    def require_owner(self, action: str) -> None:
        """Refuse with 403 unless the caller is an owner."""
        if not self.is_owner:
            raise forbidden(f"Your access rights do not allow you to {action}.")

    def require_self_or_owner(self, users_id: int | None, action: str) -> None:
        """Refuse with 403 when a worker addresses another user's data."""
        if users_id is not None and users_id != self.id and not self.is_owner:
            raise forbidden(f"Your access rights do not allow you to {action} of another user.")


def credentials(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """(email, key) from `X-ClockodoApiUser`/`X-ClockodoApiKey` or `Authorization: Basic …`."""
    user, key = headers.get("x-clockodoapiuser"), headers.get("x-clockodoapikey")
    if user and key:
        return user, key
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    email, sep, password = decoded.partition(":")
    return (email, password) if sep and email and password else None


def authenticate(
    headers: Mapping[str, str], users_by_email: Mapping[str, dict[str, Any]], api_keys: Mapping[int, str]
) -> Caller:
    """The caller, or 401 with Clockodo's GeneralErrors body."""
    creds = credentials(headers)
    if creds is None:
        raise unauthorized("Authentication failed: send X-ClockodoApiUser and X-ClockodoApiKey (or Basic auth).")
    application = headers.get("x-clockodo-external-application", "")
    if ";" not in application or not application.split(";", 1)[1].strip():
        raise unauthorized(
            "Missing client identification: send X-Clockodo-External-Application: <application>;<contact e-mail>."
        )
    email, key = creds
    user = users_by_email.get(email.strip().lower())
    expected = api_keys.get(int(user["id"])) if user is not None else None
    if user is None or expected is None or not hmac.compare_digest(expected.encode(), key.encode()):
        raise unauthorized("Authentication failed: unknown user or wrong API key.")
    if not user.get("active", True):
        raise ApiError(401, "Authentication failed: this user is archived.", type_="Unauthorized")
    return Caller(user)
