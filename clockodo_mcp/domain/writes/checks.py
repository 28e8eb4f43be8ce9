"""The re-read after a lost answer: each expectation kind's check, and the verdict it gives.

A check answers one of three things:
- `applied`: the change is there; with what the gate records for it (the state after, the ids, the undo spec);
- `not_applied`: the target is exactly as it was before: nothing happened, a new preview may retry it;
- `unknown`: the target is neither (someone else changed it too) or cannot be read: it stays unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from clockodo_mcp.clockodo import ClockodoError
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.expect import Expectation, Undone
from clockodo_mcp.domain.writes.plan import Applied

logger = logging.getLogger("clockodo_mcp")

Outcome = Literal["applied", "not_applied", "unknown"]


@dataclass(slots=True)
class Verdict:
    """What a re-read found: `applied` (with what the gate records for it), `not_applied` or `unknown`, and why."""

    outcome: Outcome
    reason: str
    applied: Applied[Any] | None = None
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def found(cls, applied: Applied[Any], reason: str, warnings: list[str] | None = None) -> Verdict:
        """The change is there."""
        return cls("applied", reason, applied, warnings or [])

    @classmethod
    def absent(cls, reason: str) -> Verdict:
        """The target is exactly as before: the change did not happen."""
        return cls("not_applied", reason)

    @classmethod
    def undecided(cls, reason: str) -> Verdict:
        """Neither can be told."""
        return cls("unknown", reason)


E = TypeVar("E")
Check = Callable[[WriteDeps, Any], Awaitable[Verdict]]
CHECKS: dict[str, Check] = {}


def register_check(kind: str) -> Callable[[Callable[[WriteDeps, E], Awaitable[Verdict]]], Check]:
    """Register the check for expectations of `kind`."""

    def register(check: Callable[[WriteDeps, E], Awaitable[Verdict]]) -> Check:
        if kind in CHECKS:
            raise ValueError(f"Check kind {kind!r} is registered twice")
        CHECKS[kind] = check
        return check

    return register


async def check(deps: WriteDeps, expect: Expectation | None) -> Verdict:
    """Re-read the target of `expect` and decide; anything that prevents the re-read leaves the outcome unknown."""
    import clockodo_mcp.domain.writes.registry  # noqa: F401  (registers every write's checks)

    if expect is None:
        return Verdict.undecided("this change states no check to tell whether it was applied")
    handler = CHECKS.get(expect.kind)
    if handler is None:
        return Verdict.undecided(f"this server has no check for {expect.kind!r}")
    try:
        return await handler(deps, expect)
    except ClockodoError as error:
        return Verdict.undecided(f"re-reading the target failed too ({type(error).__name__}: {error})")
    except Exception as error:  # a check must never turn a lost answer into a crash
        logger.error("The check %s failed", expect.kind, exc_info=error)
        return Verdict.undecided(f"re-reading the target failed ({type(error).__name__})")


@register_check("undone")
async def _undone(deps: WriteDeps, expect: Undone) -> Verdict:
    """An undo is there when the inverse of the undone change is; its record names the change it undid."""
    verdict = await check(deps, expect.inner)
    if verdict.applied is not None:
        verdict.applied.record["undoes"] = expect.undoes
    return verdict
