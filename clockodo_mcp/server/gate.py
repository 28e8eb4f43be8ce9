"""The confirmation gate every write goes through: plan → preview + token → (same arguments + token) → apply.

A write tool describes its change as a `Plan`: what it will touch (`target`, re-read on every call), a preview
for the human, and an `apply` coroutine. Without a token the gate returns the preview and a token bound to the tool,
the arguments and a fingerprint of `target`. With a token it re-plans (re-reading the target), verifies the token
against the fresh fingerprint (a stale preview is refused), applies, and returns the before/after record with a
`change_id` that `undo` takes.

Journal first: before `apply` sends anything to Clockodo, one store transaction spends the token's nonce (so a token
is single-use across processes and restarts) and records the change as `applying`, with the plan's expectation
(`expect.py`: what the change leaves in Clockodo). The outcome then becomes `applied`, or, when the apply fails, the
target is re-read at once: the change is there (`applied`, reported as done, undoable), the target is as before
(`not_applied`, or `failed` when Clockodo refused a request; safe to retry with a new preview), or neither can be
told (`unknown`: "do not retry"). A write whose target an unsettled change touches waits for that one to be settled
(`reconcile.py`), so a lost answer cannot turn into a duplicate.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from clockodo_mcp.audit.canonical import to_plain_json
from clockodo_mcp.clockodo import (
    ClockodoArgumentError,
    ClockodoAuthenticationError,
    ClockodoConflictError,
    ClockodoForbiddenError,
    ClockodoRateLimitedError,
    ClockodoValidationError,
)
from clockodo_mcp.domain.writes.checks import Verdict
from clockodo_mcp.domain.writes.expect import dump_expectation
from clockodo_mcp.domain.writes.plan import Applied, Plan, StepRecorder, WriteArgs, WriteRejected, describe_failure
from clockodo_mcp.server.confirm import CLICKED, Confirmation
from clockodo_mcp.server.errors import NotApplied, OutcomeUnknown, Refused
from clockodo_mcp.server.expect import check
from clockodo_mcp.server.models import ToolOutput
from clockodo_mcp.server.principal import current_name
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.tokens import (
    TokenError,
    TokenReused,
    TokenStale,
    VerifiedToken,
    fingerprint,
)
from clockodo_mcp.store import AlreadyUndone, ChangeStatus, NewChange, NonceSpent, StoreError

logger = logging.getLogger("clockodo_mcp")
P = TypeVar("P")
R = TypeVar("R")
B = TypeVar("B")

# The process applying a change, journalled with it: a later start reconciles the `applying` changes of a process
# that is gone, never those of one still at work.
# "host:pid:run": the run id tells this process from an earlier one with the same pid (a restarted container is pid 1
# on the same host name every time).
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

# Clockodo refused the request outright (or it was never sent): the apply stopped, nothing is in doubt.
_DEFINITE_REFUSALS = (
    ClockodoArgumentError,
    ClockodoAuthenticationError,
    ClockodoConflictError,
    ClockodoForbiddenError,
    ClockodoRateLimitedError,
    ClockodoValidationError,
)


class WriteOut(ToolOutput, Generic[P, R, B]):
    """The result of a write tool: a preview with a token, or the applied change with its change_id.

    Each write tool has its own subclass (its preview, result and before-state models). The field descriptions are
    short: every write tool repeats them in tools/list, and the instructions explain the two steps once.
    """

    status: Literal["preview", "applied"] = Field(description="preview: nothing changed yet. applied: done.")
    preview: P
    warnings: list[str] = Field(default_factory=list)
    confirm_token: str | None = Field(default=None, description="Repeat the call with it to apply (single use).")
    expires_at: datetime | None = None
    change_id: str | None = Field(default=None, description="What undo takes.")
    before: B | None = None
    after: R | None = None


def _journal_refusal(error: StoreError) -> Refused:
    return Refused(
        f"Refused: the write journal cannot be written ({error}). Nothing was changed: a write is only sent to "
        "Clockodo once it is journalled, so that it can be recovered and undone."
    )


async def _spent_refusal(runtime: Runtime, verified: VerifiedToken) -> Refused | None:
    """The refusal for a token whose nonce the store has spent already, else None."""
    try:
        spent = await anyio.to_thread.run_sync(runtime.store.spent_nonce, verified.nonce)
    except StoreError as error:
        return _journal_refusal(error)
    if spent is None:
        return None
    return Refused(str(TokenReused.by_change(verified.tool, spent.change_id, spent.spent_at)))


async def precheck(runtime: Runtime, token: str, tool: str, bound: Mapping[str, Any]) -> VerifiedToken:
    """Refuse a forged, expired, used or misdirected token before anything is read or planned.

    Without this, a replayed token would be answered with whatever the re-plan finds ("identical entry exists",
    "nothing to change") instead of the truth: the token was already used, by which change and when.
    """
    try:
        verified = runtime.tokens.verify(token, tool, bound, principal=current_name())
    except TokenError as error:
        raise Refused(str(error)) from None
    refusal = await _spent_refusal(runtime, verified)
    if refusal is not None:
        raise refusal
    return verified


async def run_write(
    runtime: Runtime,
    tool: str,
    args: WriteArgs,
    confirm_token: str | None,
    plan: Callable[[], Awaitable[Plan[Any, Any]]],
    output: type[WriteOut[Any, Any, Any]],
    confirmation: Confirmation | None = None,
) -> WriteOut[Any, Any, Any]:
    """Preview (no token), verify-and-apply (token), or apply what the human confirmed in a form; refusals raise
    `Refused` and change nothing.

    The token binds `tool` (the registered name) and `args`' canonical dump. Elicitation (`confirm.py`) planned
    once before this call and hands over that plan in `confirmation`; it is applied if its target is unchanged.
    """
    bound = args.model_dump(mode="json")
    settled = settling(runtime, tool, plan)
    decision = confirmation or Confirmation(mode="token")
    if decision.mode == "unavailable":
        raise ToolError(
            f"Refused: this server confirms writes by asking the user in a form (--confirm elicit), but this client "
            f"cannot show forms (no form elicitation). Nothing was changed. Use a client with elicitation support, "
            f"or restart the server with --confirm token (or auto) to confirm {tool} with a confirm_token."
        )
    if decision.mode in ("elicit", "failed"):
        return await _elicited(runtime, tool, bound, settled, output, decision)
    verified = await precheck(runtime, confirm_token, tool, bound) if confirm_token is not None else None
    current = await settled()
    target_fp = fingerprint(current.target)
    if confirm_token is None:
        click = decision.mode == "click"
        issued = runtime.tokens.issue(tool, bound, target_fp, click=click, principal=current_name())
        how = (
            "The user applies it with Confirm in the confirmation view shown with this preview (or cancels it there); "
            "a confirm_token from the model does not apply it."
            if click
            else f"To apply, call {tool} again with the same arguments and confirm_token."
        )
        return output(
            summary=f"PREVIEW — nothing has changed yet. {current.summary} {how}",
            status="preview",
            preview=current.preview,
            warnings=current.warnings,
            confirm_token=issued.token,
            expires_at=issued.expires_at,
            before=current.before,
        ).audited_as("preview")
    assert verified is not None
    if verified.click and not CLICKED.get():
        raise Refused(
            f"Refused: this {tool} preview was shown to the user in a confirmation view, and only their click on "
            "Confirm there applies it. Nothing was changed. Ask the user to confirm it in the view (or to cancel it)."
        )
    try:
        verified.require_target(target_fp)
    except TokenStale as error:
        # Another process may have applied this very token meanwhile: then that is the truth to tell.
        raise (await _spent_refusal(runtime, verified)) or Refused(str(error)) from None
    return await _apply(runtime, tool, bound, current, output, "token", verified)


async def _elicited(
    runtime: Runtime,
    tool: str,
    bound: dict[str, Any],
    plan: Callable[[], Awaitable[Plan[Any, Any]]],
    output: type[WriteOut[Any, Any, Any]],
    decision: Confirmation,
) -> WriteOut[Any, Any, Any]:
    """Apply the plan the human confirmed in the form, if its target is still exactly what they saw."""
    shown = decision.shown
    if shown is not None and shown.error is not None:
        raise shown.error  # bad input: it fails here, audited, and nobody was asked
    if decision.mode == "failed" or shown is None or shown.plan is None:
        raise Refused("The change could not be shown to the user for confirmation. Nothing was changed. Try again.")
    if not decision.accepted:
        raise Refused(
            f"The user did not confirm the change ({decision.answer}). Nothing was changed. Ask what they want "
            "instead; do not repeat the call unless they ask for it."
        )
    if shown.tool != tool or shown.bound != bound:
        raise Refused(f"The confirmed change does not match this call. Nothing was changed. Call {tool} again.")
    # Re-read the target (planning again only reads) and compare it with what the human saw; apply what they saw.
    if fingerprint((await plan()).target) != shown.fingerprint:
        raise Refused(
            "The target changed while the user was confirming (someone or something modified it in the "
            f"meantime), so the confirmed preview may no longer be right. Nothing was changed. Call {tool} again "
            "so the user sees the current state."
        )
    return await _apply(runtime, tool, bound, shown.plan, output, "elicitation")


def _outcome_of(error: BaseException) -> ChangeStatus:
    """`failed` when Clockodo refused a request outright, else `unknown`: the answer may have been lost after the
    change was made (a timeout, a reset, a 5xx, a broken body, a retried DELETE's 404, a failed read-back)."""
    return "failed" if isinstance(error, _DEFINITE_REFUSALS) else "unknown"


def settling(
    runtime: Runtime, tool: str, plan: Callable[[], Awaitable[Plan[Any, Any]]]
) -> Callable[[], Awaitable[Plan[Any, Any]]]:
    """The plan, refused while an unsettled change touches its target (that change is reconciled first)."""

    async def settled() -> Plan[Any, Any]:
        current = await plan()
        if current.expect is not None:
            from clockodo_mcp.server.reconcile import settle_overlapping  # reconcile imports this module

            await settle_overlapping(runtime, tool, current.expect)
        return current

    return settled


async def _finish(
    runtime: Runtime,
    change_id: str,
    status: ChangeStatus,
    only_if: tuple[ChangeStatus, ...] | None = None,
    **outcome: Any,
) -> str | None:
    """Record the outcome in the journal, even while the call is being cancelled; the problem text if it fails."""
    try:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(
                lambda: runtime.store.finish_change(change_id, status, only_if=only_if, **outcome)
            )
    except StoreError as error:
        logger.error("The journal could not record change %s as %s: %s", change_id, status, error)
        return str(error)
    return None


def _step_recorder(runtime: Runtime, change_id: str) -> StepRecorder:
    """Journal the steps of `change_id`. Best effort: the change itself is journalled, its expectation settles a
    partial apply, and a step that could not be recorded must not stop the steps after it."""

    async def record(index: int, name: str, status: str, detail: Any) -> None:
        try:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(
                    lambda: runtime.store.record_step(change_id, index, name, status, to_plain_json(detail))
                )
        except StoreError as error:
            logger.error("The journal could not record step %d of change %s: %s", index, change_id, error)

    return record


def change_record(
    change_id: str, tool: str, bound: Mapping[str, Any], confirmed_by: str, before: Any, applied: Applied[Any]
) -> dict[str, Any]:
    """The audited change record of an applied write (what `undo` and `list_changes` read)."""
    return {
        **applied.record,
        "change_id": change_id,
        "tool": tool,
        "args": dict(bound),
        "confirmed_by": confirmed_by,
        "before": before,
        "after": applied.after,
        "ids": applied.ids,
        "undo": undo_json(applied),
        "summary": applied.summary,
    }


def undo_json(applied: Applied[Any]) -> dict[str, Any] | None:
    """The applied change's undo spec as stored: kind, version and the kind's fields."""
    return applied.undo.to_json() if applied.undo is not None else None


def journal_outcome(applied: Applied[Any]) -> dict[str, Any]:
    """What the journal records for an applied change: the read-back result and the undo spec."""
    result = {"after": applied.after, "ids": applied.ids, "summary": applied.summary, "record": applied.record}
    return {"result": to_plain_json(result), "undo": undo_json(applied)}


async def _apply(
    runtime: Runtime,
    tool: str,
    bound: dict[str, Any],
    current: Plan[Any, Any],
    output: type[WriteOut[Any, Any, Any]],
    confirmed_by: str,
    token: VerifiedToken | None = None,
) -> WriteOut[Any, Any, Any]:
    change_id = uuid.uuid4().hex[:16]
    try:
        journal = NewChange(
            change_id=change_id,
            tool=tool,
            args=to_plain_json(bound),
            before=to_plain_json(current.before),
            planned=to_plain_json(current.preview),
            confirmed_by=confirmed_by,
            nonce=token.nonce if token is not None else None,
            nonce_expires_at=token.expires_at if token is not None else None,
            summary=current.summary,
            undoes=current.undoes,
            expect=dump_expectation(current.expect),
            owner=OWNER,
            principal=current_name(),
        )
        await anyio.to_thread.run_sync(runtime.store.begin_change, journal)
    except NonceSpent as spent:
        raise Refused(str(TokenReused.by_change(tool, spent.spent.change_id, spent.spent.spent_at))) from None
    except AlreadyUndone as undone:  # another process's undo of the same change was journalled first
        when = undone.by.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        raise Refused(
            f"Change {undone.target} was already undone by change {undone.by.change_id} ({undone.by.status}) at "
            f"{when}. Nothing was changed."
        ) from None
    except StoreError as error:
        raise _journal_refusal(error) from None
    warnings = list(current.warnings)
    current.steps.bind(_step_recorder(runtime, change_id))
    try:
        applied = await current.apply()
    except BaseException as error:
        status = _outcome_of(error)
        failure = describe_failure(error)
        await _finish(runtime, change_id, "unknown", error=failure)  # true at every moment, even if we die now
        if not isinstance(error, Exception):
            raise
        # Re-read at once: a refusal of the write itself leaves the target as it was, but a refused or lost
        # read-back (a 429, a 500, broken JSON) may follow a write that did happen.
        verdict = await check(runtime, current.expect)
        if verdict.outcome == "applied" and verdict.applied is not None:
            applied = verdict.applied
            warnings += [
                f"Clockodo's answer was lost ({failure}); the target was re-read and the change is there "
                f"({verdict.reason}), so it is recorded as applied.",
                *verdict.warnings,
            ]
        elif verdict.outcome == "not_applied" or (status == "failed" and current.expect is None):
            final: ChangeStatus = "failed" if status == "failed" else "not_applied"
            await _finish(runtime, change_id, final, only_if=("unknown",), error=f"{failure}; {verdict.reason}")
            if status == "failed" or isinstance(error, ToolError | WriteRejected):
                raise  # Clockodo's refusal (or ours) says what was wrong, and that nothing changed
            raise _not_applied(tool, change_id, failure, verdict) from error
        else:
            await _finish(runtime, change_id, "unknown", error=f"{failure}; {verdict.reason}")
            raise OutcomeUnknown(
                f"The outcome of {tool} is unknown: {error}. Clockodo may or may not have applied the change, and "
                f"re-reading the target could not tell ({verdict.reason}); it is journalled as change {change_id} "
                "with status 'unknown'. Do not retry (a retry could apply it twice): check the target first (e.g. "
                "with list_entries) and tell the user; `clockodo-mcp changes reconcile` settles it once Clockodo "
                f"answers, `clockodo-mcp changes show {change_id}` shows what was planned."
            ) from error
    if current.invalidates_master_data:
        runtime.invalidate_master_data()
    change = change_record(change_id, tool, bound, confirmed_by, current.before, applied)
    try:
        outcome = journal_outcome(applied)
    except (TypeError, ValueError) as problem_error:  # a result that is not JSON: the write happened all the same
        problem: str | None = str(problem_error)
    else:
        problem = await _finish(runtime, change_id, "applied", **outcome)
    if problem is not None:
        warnings.append(
            f"The change was applied, but the write journal could not record that ({problem}); it stays "
            "'applying' or 'unknown' there until it is reconciled."
        )
    return output(
        summary=f"Done: {applied.summary} (change_id {change_id}; undo with undo(change_id=...)).",
        status="applied",
        preview=current.preview,
        warnings=warnings,
        change_id=change_id,
        before=current.before,
        after=applied.after,
    ).audited_as("ok", change=change)


def _not_applied(tool: str, change_id: str, failure: str, verdict: Verdict) -> NotApplied:
    return NotApplied(
        f"{tool} was NOT applied: Clockodo's answer was lost ({failure}), and re-reading the target shows it exactly "
        f"as before ({verdict.reason}). Nothing was changed (journalled as change {change_id}, status "
        f"'not_applied'). It is safe to retry: call {tool} again without confirm_token for a new preview."
    )
