"""Clockodo's error bodies (API.md §2.3) and the one exception every fake route raises.

Which body a status gets, per endpoint family (decided once here so every route agrees):

* `Family.SIMPLE` — `/v2/entries`, `/v2/entrygroups`, `/v2/clock`, `/v2/workTimes`, `/v2/aggregates/users/me`:
  400 → `{"error": {"code": 400, "message": …, "fields": [...]}}` (SimpleErrorResponses).
* `Family.GENERAL` — every v3/v4 resource and the unversioned ones: 400 → GeneralErrors.
* Typed errors (`typed=True`, always 422) → `{"errors": [{"error": {"type", "message", "path", "details"}}]}` in
  both families; the stale or wrong entry-group `confirm_key` is one (`ForbiddenValue`).
* 401, 403, 404, 405, 409, 429 and 5xx → GeneralErrors `{"errors": [{"type", "message", "details", "path"}]}`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

JSON = dict[str, Any]


class Family(Enum):
    """Which error-body family an endpoint answers with."""

    SIMPLE = "simple"
    GENERAL = "general"


class ApiError(Exception):
    """A refusal with Clockodo's status, error type, message and offending field."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "General",
        path: str | None = None,
        details: JSON | None = None,
        typed: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.path = path
        self.details = details
        self.typed = typed
        self.headers = headers or {}


def bad_request(message: str, path: str | None = None, type_: str = "InvalidParameter") -> ApiError:
    """400: a malformed, missing or out-of-range parameter."""
    return ApiError(400, message, type_=type_, path=path)


def typed_error(type_: str, message: str, path: str | None = None, details: JSON | None = None) -> ApiError:
    """422 with one of Clockodo's typed error names (e.g. `AbsenceCollision`)."""
    return ApiError(422, message, type_=type_, path=path, details=details, typed=True)


def not_found(resource: str, ident: object, path: str | None = None) -> ApiError:
    """404: the addressed or referenced resource does not exist (or is not visible)."""
    return ApiError(404, f"{resource} {ident} was not found.", type_="ResourceNotFound", path=path)


def forbidden(message: str, type_: str = "Forbidden") -> ApiError:
    """403: authenticated, but the caller's rights do not allow this."""
    return ApiError(403, message, type_=type_)


def unauthorized(message: str) -> ApiError:
    """401: missing or wrong credentials or client identification."""
    return ApiError(401, message, type_="Unauthorized")


def error_body(err: ApiError, family: Family) -> JSON:
    """Render `err` in the body shape its endpoint family uses."""
    if err.typed or err.status == 422:
        item = {"type": err.type, "message": err.message, "path": err.path, "details": err.details}
        return {"errors": [{"error": item}]}
    if err.status == 400 and family is Family.SIMPLE:
        return {"error": {"code": 400, "message": err.message, "fields": [err.path] if err.path else []}}
    return {"errors": [{"type": err.type, "message": err.message, "details": err.details, "path": err.path}]}
