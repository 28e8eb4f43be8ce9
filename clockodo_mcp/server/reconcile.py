"""Settling changes whose outcome nobody knows: on start, on demand (`changes reconcile`), and before a write.

A journal row stays `applying` when its process died between sending and recording, and `unknown` when the answer
was lost and the re-read could not tell. Each is re-checked against Clockodo with its journalled expectation
(`expect.py`): found → `applied` (with the read-back and the undo spec, and a change record in the audit log, so
`undo` works), target as before → `not_applied`, otherwise it stays `unknown`. A row another live process is still
applying is left alone.

While a change stays unsettled, a new write touching its target is refused: a lost `log_time` answer must not become
a second entry because the retry's preview put it in the next free slot.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, TextIO

import anyio

from clockodo_mcp.audit import AuditWriteError
from clockodo_mcp.audit.canonical import to_plain_json
from clockodo_mcp.domain.writes.checks import Verdict
from clockodo_mcp.domain.writes.expect import Expectation, load_expectation
from clockodo_mcp.server.errors import Refused
from clockodo_mcp.server.expect import check
from clockodo_mcp.server.gate import OWNER, change_record, journal_outcome
from clockodo_mcp.server.principal import acting_as
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.store import UNSETTLED, Change, ChangeStatus, Principal, StoreError

logger = logging.getLogger("clockodo_mcp")

# An `applying` row of a process on another machine (whose liveness we cannot see) is its own business this long.
APPLYING_GRACE = timedelta(minutes=5)
# Expectations that create something: an unsettled one makes a new create on the same target a possible duplicate.
_CREATES = ("entry_created", "timer_started")
_HOST = socket.gethostname()

Decision = Literal["applied", "not_applied", "unknown", "in_progress"]


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What reconciling one change decided, and why."""

    change_id: str
    tool: str
    was: ChangeStatus
    decision: Decision
    reason: str
    summary: str = ""

    def as_json(self) -> dict[str, Any]:
        """Plain data for `changes reconcile --json`."""
        return {
            "change_id": self.change_id,
            "tool": self.tool,
            "was": self.was,
            "decision": self.decision,
            "reason": self.reason,
            "summary": self.summary,
        }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    return True


def _still_applying(runtime: Runtime, change: Change) -> str | None:
    """Why an `applying` row belongs to a process still at work (None: it is abandoned, reconcile it)."""
    if change.status != "applying" or change.owner is None:
        return None
    if change.owner == OWNER:
        return "this server process is applying it right now"
    host, pid = change.owner.rsplit(":", 2)[:2] if change.owner.count(":") >= 2 else (change.owner, "")
    if host == _HOST and pid.isdigit():
        if int(pid) == os.getpid():  # our pid, but not our run: an earlier process (a restarted container) that died
            return None
        return f"process {pid} on this machine is applying it" if _pid_alive(int(pid)) else None
    if runtime.now() - change.updated_at < APPLYING_GRACE:
        return f"process {change.owner} began applying it less than {APPLYING_GRACE} ago"
    return None


async def _audit(runtime: Runtime, event: dict[str, Any]) -> None:
    try:
        await anyio.to_thread.run_sync(runtime.audit.append, event)
    except AuditWriteError as error:
        logger.error("The audit log could not record the reconciliation of %s: %s", event.get("call_id"), error)


async def _maker_of(runtime: Runtime, change: Change) -> tuple[Principal | None, str | None]:
    """(the principal whose client re-reads the change, None), or (None, why it cannot be re-read)."""
    if change.principal is None:
        if runtime.config.principals:
            return None, (
                "it was made by a single-user server, and this shared endpoint has no Clockodo credentials of its "
                "own: run `clockodo-mcp changes reconcile` with that server's credentials"
            )
        return None, None
    try:
        known = await anyio.to_thread.run_sync(runtime.store.list_principals)
    except StoreError as error:
        return None, f"principal {change.principal!r}, who made it, cannot be looked up ({error})"
    found = next((p for p in known if p.name == change.principal), None)
    if found is None:
        return None, (
            f"principal {change.principal!r}, who made it, was removed, so it cannot be re-read with their Clockodo "
            "rights; check its target in Clockodo by hand"
        )
    return found, None


async def reconcile_change(runtime: Runtime, change: Change) -> Reconciled:
    """Re-check one unsettled change against Clockodo and record what was found (journal and audit log)."""
    busy = _still_applying(runtime, change)
    if busy is not None:
        return Reconciled(change.change_id, change.tool, change.status, "in_progress", busy)
    expect = load_expectation(change.expect)
    actor, unreadable = await _maker_of(runtime, change)
    if unreadable is not None:
        verdict: Verdict = Verdict.undecided(unreadable)
    else:
        with acting_as(actor):  # re-read with the rights of whoever made the change
            verdict = await check(runtime, expect)
    store = runtime.store
    if verdict.outcome == "applied" and verdict.applied is not None:
        applied = verdict.applied
        recorded = await anyio.to_thread.run_sync(
            lambda: store.finish_change(change.change_id, "applied", only_if=UNSETTLED, **journal_outcome(applied))
        )
        if recorded:
            record = change_record(
                change.change_id, change.tool, change.args, change.confirmed_by, change.before, applied
            )
            await _audit(
                runtime,
                {
                    "kind": "outcome",
                    "call_id": f"reconcile-{change.change_id}",
                    "tool": change.tool,
                    "status": "ok",
                    "reconciled": change.status,
                    "change": to_plain_json(record),
                    **({"caller": {"principal": change.principal}} if change.principal is not None else {}),
                },
            )
        return Reconciled(change.change_id, change.tool, change.status, "applied", verdict.reason, applied.summary)
    if verdict.outcome == "not_applied":
        await anyio.to_thread.run_sync(
            lambda: store.finish_change(
                change.change_id,
                "not_applied",
                only_if=UNSETTLED,
                error=f"{change.error or 'not recorded'}; reconciled: {verdict.reason}",
            )
        )
        return Reconciled(change.change_id, change.tool, change.status, "not_applied", verdict.reason)
    if change.status == "applying":  # the process that applied it is gone: nobody will record it otherwise
        await anyio.to_thread.run_sync(
            lambda: store.finish_change(
                change.change_id,
                "unknown",
                only_if=("applying",),
                error=f"its process ended before the outcome was recorded; {verdict.reason}",
            )
        )
    return Reconciled(change.change_id, change.tool, change.status, "unknown", verdict.reason)


async def reconcile_unsettled(runtime: Runtime, *, limit: int = 1000) -> list[Reconciled]:
    """Reconcile every `applying` / `unknown` change, oldest first."""
    changes = await anyio.to_thread.run_sync(lambda: runtime.store.list_changes(limit=limit, statuses=UNSETTLED))
    return [await reconcile_change(runtime, change) for change in reversed(changes)]


async def reconcile_on_start(runtime: Runtime) -> list[Reconciled]:
    """Reconcile once per server process, before it serves a call; a failure is logged, never fatal (reads go on)."""
    async with runtime.startup_lock:
        if runtime.reconciled:
            return []
        runtime.reconciled = True
        try:
            done = await reconcile_unsettled(runtime)
        except StoreError as error:
            logger.warning("Unsettled changes could not be reconciled on start: %s", error)
            return []
        for item in done:
            log = logger.info if item.decision in ("applied", "not_applied") else logger.warning
            log(
                "Reconciled change %s (%s, was %s): %s — %s",
                item.change_id,
                item.tool,
                item.was,
                item.decision,
                item.reason,
            )
        return done


def _overlaps(change: Change, expect: Expectation, tool: str) -> bool:
    theirs = load_expectation(change.expect)
    if theirs is None:  # journalled without a check (an older version): same tool, same doubt
        return change.tool == tool
    return bool(theirs.targets() & expect.targets())


async def settle_overlapping(runtime: Runtime, tool: str, expect: Expectation) -> None:
    """Reconcile the unsettled changes touching this write's target; refuse while one stays unsettled.

    A create whose earlier twin turns out to be applied is refused once as well: its preview was planned around an
    entry nobody was told about.
    """
    try:
        unsettled = await anyio.to_thread.run_sync(lambda: runtime.store.list_changes(limit=200, statuses=UNSETTLED))
    except StoreError:
        return  # the journal cannot be read: the write itself is refused when it is journalled
    for change in reversed(unsettled):
        if not _overlaps(change, expect, tool):
            continue
        done = await reconcile_change(runtime, change)
        creates = expect.kind in _CREATES
        if done.decision == "in_progress":
            raise Refused(
                f"Refused: change {change.change_id} ({change.tool}) touches the same target and is being applied by "
                f"another process right now ({done.reason}). Nothing was changed. Try again once it is done; "
                "list_changes shows its outcome."
            )
        if done.decision == "unknown":
            what = "may already have logged this" if creates else "touches the same target"
            raise Refused(
                f"Refused: a change with outcome unknown, {change.change_id} ({change.tool}), {what} ({done.reason}). "
                "Nothing was changed. Run `clockodo-mcp changes reconcile` once Clockodo answers, or check the "
                f"target in Clockodo (e.g. with list_entries) and `clockodo-mcp changes show {change.change_id}`; "
                "then try again."
            )
        if done.decision == "applied" and creates:
            raise Refused(
                f"Refused: the earlier change {change.change_id} ({change.tool}), whose answer was lost, turned out "
                f"to be applied: {done.summary} This call would most likely repeat it. Nothing was changed. If the "
                f"user really wants it a second time, call {tool} again."
            )


async def reconcile_command(runtime: Runtime, out: TextIO, *, as_json: bool = False) -> int:
    """`clockodo-mcp changes reconcile`: settle what can be settled, print each decision; 1 if some stay unsettled."""
    async with runtime:
        done = await reconcile_unsettled(runtime)
    if as_json:
        print(json.dumps([item.as_json() for item in done], indent=2, ensure_ascii=False), file=out)
    elif not done:
        print(
            f"nothing to reconcile: no change in the journal ({runtime.store.location}) is applying or unknown",
            file=out,
        )
    for item in [] if as_json else done:
        summary = f" {item.summary}" if item.summary else ""
        print(f"{item.change_id}  {item.tool:<18} {item.was} → {item.decision}: {item.reason}.{summary}", file=out)
    left = [item for item in done if item.decision in ("unknown", "in_progress")]
    if left and not as_json:
        print(
            f"{len(left)} change(s) stay unsettled: look at their targets in Clockodo (`clockodo-mcp changes show "
            "<change_id>`) before repeating them, or run this again once Clockodo answers.",
            file=out,
        )
    return 1 if left else 0
