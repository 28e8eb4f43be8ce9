"""A write, resolved but not performed: the typed `Plan` every plan function returns, and what its apply gives back.

A plan function (`domain/writes/*.py`) takes a validated argument model and its dependencies (`WriteDeps`), reads
the exact target, refuses what must not happen (`WriteRefused`, `WriteRejected`), and returns a `Plan`: a typed
preview, the target (whose fingerprint binds a confirmation), the journalled expectation (what the change leaves in
Clockodo, so a lost answer can be re-read), and `apply`, which performs the write, reads back and returns an
`Applied`: the typed result and the typed, versioned undo spec. Confirmation, journalling and reconciling are the
gate's (`server/gate.py`); a plan knows nothing of MCP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import anyio
from pydantic import BaseModel, ConfigDict

from clockodo_mcp.domain.progress import report
from clockodo_mcp.domain.undo import UndoSpec
from clockodo_mcp.domain.writes.expect import Expectation

P = TypeVar("P")  # the preview model
R = TypeVar("R")  # the result ("after") model

NOTHING = "Nothing was changed."


class WriteArgs(BaseModel):
    """A write's validated arguments (without the confirm_token): what the token binds and the journal records."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class WriteRejected(Exception):
    """The arguments cannot make a write (unknown entry, bad times, nothing to change …); nothing was changed."""


class WriteRefused(WriteRejected):
    """A deliberate refusal (a duplicate, an overlap, a changed target, an undone change …); nothing was changed."""


@dataclass(slots=True)
class Applied(Generic[R]):
    """What a write did: the state after, the ids it touched, the way back and a one-line summary."""

    after: R
    ids: dict[str, list[int]]
    undo: UndoSpec | None
    summary: str
    # Extra fields for the audited change record, e.g. {"undoes": change_id} on an undo.
    record: dict[str, Any] = field(default_factory=dict)
    invalidates_master_data: bool = False  # found by a re-read: the cached master data is stale


StepRecorder = Callable[[int, str, str, Any], Awaitable[None]]


def describe_failure(error: BaseException) -> str:
    """What stopped a write, for the journal: a cancellation in words, anything else by its type and message."""
    if isinstance(error, anyio.get_cancelled_exc_class()):
        return "cancelled: the call was stopped (by the client, or the server shutting down) between two requests"
    return f"{type(error).__name__}: {error}"


class Steps:
    """The progress of a multi-step apply: each step is journalled as `applying` before it is sent, then `applied`
    with what it did, or `unknown` with the error (`changes show` lists them).

    A plan creates one, hands it to `Plan.steps` and records from its apply; the gate binds it to the journalled
    change before applying. Unbound (a plan applied without the gate, in a test) it records nothing.
    """

    def __init__(self) -> None:
        self._record: StepRecorder | None = None
        self._next = 0
        self._units_done = 0  # entries (or other units) of the steps that ended, for progress notifications
        self.total: int | None = None  # the units of the whole apply, when the plan knows them

    def bind(self, record: StepRecorder) -> None:
        """Record into the journal, for the change about to be applied."""
        self._record = record

    async def _note(self, index: int, name: str, status: str, detail: Any) -> None:
        if self._record is not None:
            await self._record(index, name, status, detail)

    @asynccontextmanager
    async def step(self, name: str, **detail: Any) -> AsyncIterator[Step]:
        """One step: `applying` now; on exit `applied` with its detail, or `unknown` with the error."""
        self._next += 1
        step = Step(self, self._next, name, dict(detail))
        await self._note(step.index, name, "applying", step.detail)
        await self.report(step, 0)
        try:
            yield step
        except BaseException as error:
            await self._note(step.index, name, "unknown", {**step.detail, "error": describe_failure(error)})
            raise
        await self._note(step.index, name, "applied", step.detail)
        units = step.detail.get("entries")
        self._units_done += units if isinstance(units, int) else 1
        await report(self._units_done, self.total, f"{name}: done")

    async def report(self, step: Step, done: int) -> None:
        """Progress of the whole apply: the units of the steps that ended plus `done` of this one."""
        units = step.detail.get("entries")
        unit = step.detail.get("unit", "entries")  # what a step counts, when not entries (absences)
        of = f" ({done} of {units} {unit})" if isinstance(units, int) else ""
        await report(self._units_done + done, self.total, f"{step.name}{of}")


@dataclass(slots=True)
class Step:
    """One step of a multi-step apply, while it runs."""

    steps: Steps
    index: int
    name: str
    detail: dict[str, Any]

    async def progress(self, **detail: Any) -> None:
        """Record how far the step got (e.g. entries done so far), and tell whoever listens."""
        self.detail.update(detail)
        await self.steps._note(self.index, self.name, "applying", self.detail)
        done = self.detail.get("done")
        if isinstance(done, int):
            await self.steps.report(self, done)

    def done(self, **detail: Any) -> None:
        """What the step did, recorded with `applied` when it ends."""
        self.detail.update(detail)


@dataclass(slots=True)
class Plan(Generic[P, R]):
    """A write, resolved but not performed."""

    summary: str
    preview: P
    target: Any  # the current state of everything the write depends on: fingerprinted, and re-read before applying
    before: Any
    apply: Callable[[], Awaitable[Applied[R]]]
    warnings: list[str] = field(default_factory=list)
    invalidates_master_data: bool = False
    undoes: str | None = None  # an undo's plan: the change it reverts (the journal allows one live undo per change)
    # What the change leaves in Clockodo, journalled before it is sent: tells applied from not applied after a lost
    # answer (in this call, or on a later start). None: a lost answer stays `unknown`.
    expect: Expectation | None = None
    steps: Steps = field(default_factory=Steps)  # a multi-step apply records its progress here
