"""Exceptions raised by the Clockodo client, and the parser for Clockodo's three error-body families."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx


class ClockodoArgumentError(ValueError):
    """A bad argument was passed to the client; raised before any HTTP request is sent."""

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"{parameter}: {problem}")


@dataclass(frozen=True)
class ClockodoErrorItem:
    """One error reported by Clockodo (type, localised message, offending field path, structured details)."""

    type: str | None = None
    message: str | None = None
    path: str | None = None
    fields: list[str] = field(default_factory=list)
    details: dict[str, Any] | None = None

    def describe(self) -> str:
        """A short human-readable form, e.g. `EndBeforeStart at time_until: …`."""
        parts: list[str] = []
        if self.type:
            parts.append(self.type)
        where = self.path or (", ".join(self.fields) if self.fields else None)
        if where:
            parts.append(f"at {where}")
        text = " ".join(parts)
        if self.message:
            text = f"{text}: {self.message}" if text else self.message
        if self.details:
            text = f"{text} {json.dumps(self.details, sort_keys=True)}"
        return text or "unspecified error"


class ClockodoError(Exception):
    """Base class of every error the Clockodo client raises after trying to talk to Clockodo."""

    hint = "Check the request and try again."

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        items: list[ClockodoErrorItem] | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.items: list[ClockodoErrorItem] = items or []
        self.method = method
        self.url = url
        self.reason = message
        super().__init__(message)


class ClockodoAuthenticationError(ClockodoError):
    """401: the API user or key was rejected."""

    hint = (
        "Check the API user (the login e-mail) and the API key (Clockodo → My area → API key); "
        "the key must belong to that user."
    )


class ClockodoForbiddenError(ClockodoError):
    """403: the user is authenticated but lacks the rights for this action."""

    hint = "The Clockodo user lacks the access rights for this; ask an administrator or use another user's key."


class ClockodoNotFoundError(ClockodoError):
    """404: the resource (or the endpoint) does not exist or is not visible to this user."""

    hint = "Check the id; the record may have been deleted or be invisible to this user."


class ClockodoConflictError(ClockodoError):
    """409: a resource with these data already exists or the change conflicts with the current state."""

    hint = "Re-read the current state; a record with these data may already exist."


class ClockodoValidationError(ClockodoError):
    """400/422: Clockodo refused the request's content; `items` name the offending fields."""

    hint = "Fix the fields named above and send the request again."


class ClockodoRateLimitedError(ClockodoError):
    """429: too many requests; `retry_after` says how many seconds to wait, if Clockodo said so."""

    hint = "Clockodo's rate limit was hit; wait before sending more requests."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


def describe_limit(limit: int, seconds: float) -> str:
    """'900 requests a minute', '2,250 requests per 15 minutes', '20,000 requests a day'."""
    named = {60.0: "a minute", 3_600.0: "an hour", 86_400.0: "a day"}
    if seconds in named:
        per = named[seconds]
    elif seconds % 3_600 == 0:
        per = f"per {seconds / 3_600:g} hours"
    elif seconds % 60 == 0:
        per = f"per {seconds / 60:g} minutes"
    else:
        per = f"per {seconds:g} seconds"
    return f"{limit:,} requests {per}"


class RateBudgetExhausted(ClockodoRateLimitedError):
    """The client-side limiter refused to send: waiting for a window to free up would take too long.

    Raised before anything is sent, so the request had no effect. `limit` and `window_seconds` name the
    exhausted window; `share` is True when the window has room, but not for this caller, whose fair
    share other callers of the same client need (see `RateLimiter`).
    """

    hint = "Wait `retry_after` seconds before sending more requests."

    def __init__(self, *, retry_after: float, limit: int, window_seconds: float, share: bool = False) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.share = share
        whose = "This caller's share of Clockodo's limit" if share else "Clockodo's limit"
        super().__init__(
            f"{whose} of {describe_limit(limit, window_seconds)} is used up; the request was not sent. "
            f"Retry in {retry_after:.1f} s.",
            retry_after=retry_after,
        )

    @property
    def limit_text(self) -> str:
        """'900 requests a minute'."""
        return describe_limit(self.limit, self.window_seconds)


class ClockodoServerError(ClockodoError):
    """5xx: Clockodo failed; usually temporary."""

    hint = "Clockodo had an internal problem; try again later."


class ClockodoTransportError(ClockodoError):
    """The request did not get an HTTP answer (connection refused, DNS failure, timeout…)."""

    hint = "Check the network connection and the base URL; Clockodo could not be reached."


class ClockodoUnexpectedResponseError(ClockodoError):
    """Clockodo answered with something the client cannot interpret (status or body shape)."""

    hint = "The response did not match Clockodo's documented format; check the base URL and API version."


_STATUS_CLASSES: dict[int, type[ClockodoError]] = {
    400: ClockodoValidationError,
    401: ClockodoAuthenticationError,
    403: ClockodoForbiddenError,
    404: ClockodoNotFoundError,
    409: ClockodoConflictError,
    422: ClockodoValidationError,
    429: ClockodoRateLimitedError,
}


def _str_or_none(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _item_from_mapping(raw: Mapping[str, Any]) -> ClockodoErrorItem:
    fields_raw = raw.get("fields")
    fields = [str(f) for f in fields_raw] if isinstance(fields_raw, list) else []
    details = raw.get("details")
    if not isinstance(details, dict):
        details = None
    if details and not fields and isinstance(details.get("fields"), list):
        fields = [str(f) for f in details["fields"]]
    return ClockodoErrorItem(
        type=_str_or_none(raw.get("type")),
        message=_str_or_none(raw.get("message")),
        path=_str_or_none(raw.get("path")),
        fields=fields,
        details=details,
    )


def parse_error_items(body: object) -> list[ClockodoErrorItem]:
    """Extract error items from any of Clockodo's error-body families (general, typed, simple)."""
    if not isinstance(body, dict):
        return []
    items: list[ClockodoErrorItem] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for raw in errors:
            if not isinstance(raw, dict):
                continue
            # Typed validation errors wrap the error in an "error" key; general errors are flat.
            inner = raw.get("error")
            items.append(_item_from_mapping(inner if isinstance(inner, dict) else raw))
        return items
    single = body.get("error")
    if isinstance(single, dict):
        item = _item_from_mapping(single)
        if item.type is None and single.get("code") is not None:
            item = ClockodoErrorItem(
                type=f"HTTP{single['code']}",
                message=item.message,
                path=item.path,
                fields=item.fields,
                details=item.details,
            )
        return [item]
    if isinstance(single, str):
        return [ClockodoErrorItem(message=single)]
    return []


def parse_retry_after_seconds(value: str | None, now_epoch: float) -> float | None:
    """Parse a Retry-After header given in seconds or as an HTTP date; None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now_epoch)


def error_from_response(response: httpx.Response, *, now_epoch: float) -> ClockodoError:
    """Build the matching ClockodoError for a non-2xx response."""
    status = response.status_code
    request = response.request
    try:
        body: object = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    items = parse_error_items(body)
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = ClockodoServerError if status >= 500 else ClockodoUnexpectedResponseError
    what = "; ".join(item.describe() for item in items) if items else (response.reason_phrase or "no details")
    message = f"Clockodo answered {status} to {request.method} {request.url.path}: {what}. {cls.hint}"
    kwargs: dict[str, Any] = {
        "status_code": status,
        "items": items,
        "method": request.method,
        "url": str(request.url),
    }
    if cls is ClockodoRateLimitedError:
        retry_after = parse_retry_after_seconds(response.headers.get("Retry-After"), now_epoch)
        return ClockodoRateLimitedError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)
