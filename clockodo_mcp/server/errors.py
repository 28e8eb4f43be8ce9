"""Turn every failure into a `ToolError` an agent can act on; unexpected ones stay generic (details go to stderr)."""

from __future__ import annotations

import logging
import math

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from clockodo_mcp.clockodo import (
    ClockodoAuthenticationError,
    ClockodoConflictError,
    ClockodoError,
    ClockodoForbiddenError,
    ClockodoNotFoundError,
    ClockodoRateLimitedError,
    ClockodoServerError,
    ClockodoTransportError,
    ClockodoUnexpectedResponseError,
    ClockodoValidationError,
    RateBudgetExhausted,
)
from clockodo_mcp.domain.names import NameResolutionError
from clockodo_mcp.domain.periods import PeriodError
from clockodo_mcp.domain.writes.plan import WriteRefused, WriteRejected
from clockodo_mcp.principals import PrincipalsError
from clockodo_mcp.server.principal import current_name
from clockodo_mcp.server.runtime import NoPrincipal

logger = logging.getLogger("clockodo_mcp")


class Refused(ToolError):
    """A deliberate refusal (bad token, stale preview, duplicate entry …): audited as `refused`."""


class OutcomeUnknown(ToolError):
    """A confirmed write whose outcome nobody knows (the answer was lost): audited as `unknown`, never "unchanged"."""


class NotApplied(ToolError):
    """A confirmed write whose answer was lost, and a re-read showed the target unchanged: audited as `not_applied`."""


def _nothing_changed(write: bool) -> str:
    return " Nothing was changed." if write else ""


def clockodo_message(error: ClockodoError, *, write: bool) -> str:
    """What Clockodo's error means for the agent, and what to do next."""
    tail = _nothing_changed(write)
    name = current_name()
    if isinstance(error, ClockodoAuthenticationError) and name is not None:
        return (
            f"Clockodo refused the API key stored for principal {name!r} (401): it is wrong, expired or revoked. "
            f"Ask the endpoint's admin to run `clockodo-mcp principals remove {name}` and `clockodo-mcp principals "
            f"add {name} --email <your Clockodo e-mail>` again with a new API key (then use the new bearer "
            f"token).{tail}"
        )
    if isinstance(error, ClockodoAuthenticationError):
        return (
            "Clockodo rejected the credentials (401): the API key is wrong, expired or revoked. Ask the user to run "
            f"`clockodo-mcp login` (or fix CLOCKODO_API_USER / CLOCKODO_API_KEY) and restart the server.{tail}"
        )
    if isinstance(error, ClockodoForbiddenError):
        return (
            "Clockodo refused this (403): the Clockodo user behind this server lacks the rights. Workers can only "
            "see and change their own entries and absences; reports about other people, rates and approvals "
            f"need an owner or a user with the matching access rights. Detail: {error}{tail}"
        )
    if isinstance(error, ClockodoNotFoundError):
        detail = str(error).rstrip(".")
        return f"Clockodo has no such record (404): {detail}. Find the id with a list or lookup tool.{tail}"
    if isinstance(error, ClockodoRateLimitedError):
        return rate_limited_message(error, tail)
    if isinstance(error, ClockodoValidationError | ClockodoConflictError):
        return f"Clockodo did not accept the request: {error}{tail}"
    if isinstance(error, ClockodoServerError | ClockodoTransportError | ClockodoUnexpectedResponseError):
        return f"Clockodo is not answering properly right now ({error}). Try again in a moment.{tail}"
    return f"Clockodo error: {error}{tail}"


def rate_limited_message(error: ClockodoRateLimitedError, tail: str) -> str:
    """When to retry, in words and as `retry_after=N` (whole seconds) for a client that parses it."""
    seconds = max(1, math.ceil(error.retry_after)) if error.retry_after else None
    when = f"retry in {seconds} s (retry_after={seconds})" if seconds else "retry in about a minute (retry_after=60)"
    if isinstance(error, RateBudgetExhausted):
        if error.share:
            return (
                f"This session has used its share of Clockodo's limit of {error.limit_text}, which other sessions "
                f"of this server share; {when}.{tail}"
            )
        return f"Clockodo's limit of {error.limit_text} is reached; {when}.{tail}"
    return f"Clockodo is rate-limiting this account (429); {when}.{tail}"


def to_tool_error(error: BaseException, *, tool: str, write: bool) -> tuple[ToolError, str]:
    """Map an exception to the ToolError the agent sees and the audit status ('rejected', 'refused', 'error')."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]  # concurrent loads (task groups) wrap the one error that matters
    if isinstance(error, Refused):
        return error, "refused"
    if isinstance(error, OutcomeUnknown):
        return error, "unknown"
    if isinstance(error, NotApplied):
        return error, "not_applied"
    if isinstance(error, ToolError):
        return error, "rejected"
    if isinstance(error, WriteRefused):
        return Refused(str(error)), "refused"
    if isinstance(error, WriteRejected):
        return ToolError(str(error)), "rejected"
    if isinstance(error, PeriodError | NameResolutionError):
        return ToolError(f"{error}{_nothing_changed(write)}"), "rejected"
    if isinstance(error, ClockodoError):
        return ToolError(clockodo_message(error, write=write)), "error"
    if isinstance(error, PrincipalsError | NoPrincipal):  # this person's key cannot be used: what to do instead
        return ToolError(f"{error}{_nothing_changed(write)}"), "error"
    if isinstance(error, ValidationError):  # a model the tool built itself failed: our bug, not the arguments
        logger.error("Invalid model in tool %s", tool, exc_info=error)
        return ToolError(
            f"Internal error in {tool}; the details are in the server log.{_nothing_changed(write)}"
        ), "error"
    if isinstance(error, ValueError):
        return ToolError(f"Invalid argument: {error}{_nothing_changed(write)}"), "rejected"
    logger.error("Unexpected error in tool %s", tool, exc_info=error)
    return (
        ToolError(f"Internal error in {tool}; the details are in the server log.{_nothing_changed(write)}"),
        "error",
    )
