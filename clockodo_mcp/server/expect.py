"""The re-read after a lost answer, for the gate and reconciliation: the domain's checks over a runtime."""

from __future__ import annotations

from clockodo_mcp.clockodo import ClockodoError
from clockodo_mcp.domain.writes import checks
from clockodo_mcp.domain.writes.checks import Verdict
from clockodo_mcp.domain.writes.expect import Expectation
from clockodo_mcp.server.config import ConfigError
from clockodo_mcp.server.runtime import Runtime


async def check(runtime: Runtime, expect: Expectation | None) -> Verdict:
    """Re-read the target of `expect` and decide (`domain/writes/checks.py`); a failed read leaves it unknown."""
    from clockodo_mcp.server.tools.common import runtime_context  # common imports the gate's callers

    try:
        deps = await runtime_context(runtime)
    except ClockodoError as error:
        return Verdict.undecided(f"re-reading the target failed too ({type(error).__name__}: {error})")
    except ConfigError as error:  # e.g. a principal's stored key that no longer opens
        return Verdict.undecided(f"the target cannot be re-read: {error}")
    verdict = await checks.check(deps, expect)
    if verdict.applied is not None and verdict.applied.invalidates_master_data:
        runtime.invalidate_master_data()
    return verdict
