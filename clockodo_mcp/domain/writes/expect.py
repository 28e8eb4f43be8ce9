"""What a write leaves in Clockodo once applied: typed expectations, journalled before anything is sent.

When Clockodo's answer is lost (a timeout, a reset, a cut-off body, a 5xx or broken JSON, a failed read-back), the
gate cannot tell from the exchange whether the write happened. Every plan therefore states, before anything is
sent, what it expects to find afterwards ("an entry with these fields exists", "entry 812 is gone", "absence 5 is
approved" …). The expectation is plain data in the journal, so the same check (`domain/writes/checks.py`) serves
the re-read right after the failure and the reconciliation on a later start, from the journal alone.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

logger = logging.getLogger("clockodo_mcp")

EXPECT_VERSION = 1


class _Expectation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: int = EXPECT_VERSION

    def targets(self) -> frozenset[str]:
        """What the change touches, as keys: a new write touching one of them waits until this one is settled."""
        raise NotImplementedError


class EntryCreated(_Expectation):
    """A new entry with these fields exists (log_time; undo of a delete): `fields` are snapshot fields."""

    kind: Literal["entry_created"] = "entry_created"
    users_id: int
    time_since: datetime
    fields: dict[str, Any]
    existing_ids: list[int] = Field(default_factory=list)  # identical entries that existed already (allowed)

    def targets(self) -> frozenset[str]:
        return frozenset({f"entries-of:{self.users_id}"})


class EntryFields(_Expectation):
    """Entry `entry_id` has these fields (edit_entry, undo of an edit); `before` is its whole snapshot before."""

    kind: Literal["entry_fields"] = "entry_fields"
    entry_id: int
    fields: dict[str, Any]
    before: dict[str, Any]
    restore: dict[str, Any]  # what undo puts back

    def targets(self) -> frozenset[str]:
        return frozenset({f"entry:{self.entry_id}"})


class EntryDeleted(_Expectation):
    """Entry `entry_id` is gone (delete_entry, undo of a create); undo recreates it from `before`, its snapshot."""

    kind: Literal["entry_deleted"] = "entry_deleted"
    entry_id: int
    before: dict[str, Any]

    def targets(self) -> frozenset[str]:
        return frozenset({f"entry:{self.entry_id}", f"entries-of:{self.before.get('users_id')}"})


class TimerStarted(_Expectation):
    """The user's running timer is a new one with these fields (start_timer); `previous` was running before."""

    kind: Literal["timer_started"] = "timer_started"
    users_id: int
    fields: dict[str, Any]
    previous: dict[str, Any] | None

    def targets(self) -> frozenset[str]:
        return frozenset({f"entries-of:{self.users_id}", f"timer:{self.users_id}"})


class TimerStopped(_Expectation):
    """The running entry `entry_id` is stopped (stop_timer, undo of a restart); `before` is its running snapshot."""

    kind: Literal["timer_stopped"] = "timer_stopped"
    entry_id: int
    before: dict[str, Any]
    time_until: datetime | None = None  # a given end (undo); None: whenever it was stopped

    def targets(self) -> frozenset[str]:
        return frozenset({f"entry:{self.entry_id}", f"timer:{self.before.get('users_id')}"})


class TimerRestarted(_Expectation):
    """A timer with `entry`'s fields runs again from its start (undo of stop_timer, redo of a start), in place of the
    stopped entry `delete`; `running`, the user's timer before, is stopped by it."""

    kind: Literal["timer_restarted"] = "timer_restarted"
    users_id: int
    entry: dict[str, Any]
    delete: dict[str, Any] | None
    running: dict[str, Any] | None
    stop_at: str | None

    def targets(self) -> frozenset[str]:
        deleted = {f"entry:{self.delete.get('id')}"} if self.delete else set()
        return frozenset({f"entries-of:{self.users_id}", f"timer:{self.users_id}", *deleted})


class TimerUnstarted(_Expectation):
    """The started timer `started` is gone, and the entry it had stopped (`stopped`) is replaced by a timer with the
    fields of `previous` running from its start again (undo of a start_timer that stopped another timer)."""

    kind: Literal["timer_unstarted"] = "timer_unstarted"
    users_id: int
    started: dict[str, Any]
    stopped: dict[str, Any]
    previous: dict[str, Any]

    def targets(self) -> frozenset[str]:
        ids = (self.started.get("id"), self.stopped.get("id"))
        return frozenset({f"entries-of:{self.users_id}", f"timer:{self.users_id}", *(f"entry:{i}" for i in ids)})


class BillingMoved(_Expectation):
    """These entries moved from billing state `from_code` to `to_code` (set_billing_state and its undo)."""

    kind: Literal["billing_moved"] = "billing_moved"
    since: datetime
    cut: datetime
    until: datetime
    filter: dict[str, int]
    from_code: int
    to_code: int
    bulk_ids: list[int]
    tail_ids: list[int]
    seconds: int = 0

    def targets(self) -> frozenset[str]:
        return frozenset(f"entry:{i}" for i in [*self.bulk_ids, *self.tail_ids])


class RateSet(_Expectation):
    """The rate rule with `criteria` has `rate_after` (None: no rule), and the re-rated entries their new rates."""

    kind: Literal["rate_set"] = "rate_set"
    criteria: dict[str, list[int]]
    rate_before: float | None
    rate_after: float | None
    since: datetime | None = None
    until: datetime | None = None
    filter: dict[str, int] = Field(default_factory=dict)
    entries_before: dict[str, float] = Field(default_factory=dict)
    entries_after: dict[str, float] = Field(default_factory=dict)

    def targets(self) -> frozenset[str]:
        rule = "rate:" + ";".join(f"{k}={sorted(v)}" for k, v in sorted(self.criteria.items()))
        return frozenset({rule, *(f"entry:{i}" for i in self.entries_after)})


class BudgetSet(_Expectation):
    """Project `project_id` has budget `after` (None: no budget) where it had `before`."""

    kind: Literal["budget_set"] = "budget_set"
    project_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def targets(self) -> frozenset[str]:
        return frozenset({f"project:{self.project_id}"})


class AbsenceDecided(_Expectation):
    """Absence `absence_id` has status `status_after` (and note `note_after`) where it had `status_before`."""

    kind: Literal["absence_decided"] = "absence_decided"
    absence_id: int
    status_before: int
    status_after: int
    note_before: str | None
    note_after: str | None  # None: the note stays as it was

    def targets(self) -> frozenset[str]:
        return frozenset({f"absence:{self.absence_id}"})


class AbsencesDecided(_Expectation):
    """Each of `items` is decided (decide_absence with absence_ids, and its undo); some decided, the rest as before,
    is a batch stopped partway (a lost answer, a cancel): applied for the decided ones."""

    kind: Literal["absences_decided"] = "absences_decided"
    items: list[AbsenceDecided]

    def targets(self) -> frozenset[str]:
        return frozenset().union(*(item.targets() for item in self.items))


class Undone(_Expectation):
    """An undo: the inverse of change `undoes`, as its own expectation."""

    kind: Literal["undone"] = "undone"
    undoes: str
    inner: Inner

    def targets(self) -> frozenset[str]:
        return self.inner.targets()


Inner = Annotated[
    EntryCreated
    | EntryFields
    | EntryDeleted
    | TimerStarted
    | TimerStopped
    | TimerRestarted
    | TimerUnstarted
    | BillingMoved
    | RateSet
    | BudgetSet
    | AbsenceDecided
    | AbsencesDecided,
    Field(discriminator="kind"),
]
Expectation = Annotated[Inner | Undone, Field(discriminator="kind")]
Undone.model_rebuild()
_ADAPTER: TypeAdapter[Expectation] = TypeAdapter(Expectation)


def dump_expectation(expect: Expectation | None) -> dict[str, Any] | None:
    """The expectation as the journal stores it."""
    return None if expect is None else expect.model_dump(mode="json")


def load_expectation(data: Any) -> Expectation | None:
    """The expectation a journal row stores; None when there is none (or it was written by another version)."""
    if data is None:
        return None
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError:
        logger.warning("A journalled expectation cannot be read by this version: %s", data)
        return None
