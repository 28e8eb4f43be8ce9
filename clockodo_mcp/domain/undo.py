"""The undo spec: what an applied write records so that `undo` can revert it, typed per kind and versioned.

A spec is stored in the journal (and the audit change record) as one JSON object: `version`, `kind` (which undo
plan reverts it) and the kind's own fields. The version says how to read those fields: a spec written by a newer
clockodo-mcp is refused by name, never half-understood. Specs journalled before specs were versioned carry no
`version`; their shape is version 1's. Entry snapshots stay plain JSON objects (the fields of `snapshot()`), so a
new Clockodo field changes no spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

UNDO_SPEC_VERSION = 1
KNOWN_VERSIONS = frozenset({1})

Snapshot = dict[str, Any]  # an entry's snapshot fields as JSON


class UndoSpecError(ValueError):
    """A recorded undo spec this code cannot use; the message says why, for the agent."""


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    version: int = UNDO_SPEC_VERSION

    def to_json(self) -> dict[str, Any]:
        """The stored form: one flat object, `version` and `kind` beside the kind's fields."""
        return self.model_dump(mode="json", by_alias=True)


class DeleteEntry(_Spec):
    """Undo of creating an entry: delete it, if it is still `expect`."""

    kind: Literal["delete_entry"] = "delete_entry"
    entry_id: int
    expect: Snapshot


class RecreateEntry(_Spec):
    """Undo of deleting an entry: create it again from its snapshot (a new id)."""

    kind: Literal["recreate_entry"] = "recreate_entry"
    entry: Snapshot


class RestoreEntry(_Spec):
    """Undo of an edit: put `fields` back, if the entry is still `expect`."""

    kind: Literal["restore_entry"] = "restore_entry"
    entry_id: int
    fields: dict[str, Any]
    expect: Snapshot


class UnstartTimer(_Spec):
    """Undo of starting a timer: delete it; restart the timer it stopped (`previous`), if any."""

    kind: Literal["unstart_timer"] = "unstart_timer"
    entry_id: int
    expect_running: Snapshot
    previous: Snapshot | None = None
    expect_stopped: Snapshot | None = None


class RestartTimer(_Spec):
    """Undo of stopping a timer (or of an unstart): a timer with `entry`'s fields runs again from its start."""

    kind: Literal["restart_timer"] = "restart_timer"
    entry: Snapshot
    delete: Snapshot | None = None  # the stopped entry it replaces
    expect_running: Snapshot | None = None  # the user's running timer right after the change
    stop_at: str | None = None  # the original end: undoing the restart stops it there


class StopTimer(_Spec):
    """Undo of a restart: stop the restarted timer again at `time_until` (None: now)."""

    kind: Literal["stop_timer"] = "stop_timer"
    entry_id: int
    expect_running: Snapshot
    time_until: str | None = None


class BillingState(_Spec):
    """Undo of a billing-state change: move exactly these entries from `to` back to `from`."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    kind: Literal["billing_state"] = "billing_state"
    since: str
    cut: str
    until: str
    filter: dict[str, int]
    from_code: int = Field(alias="from")
    to_code: int = Field(alias="to")
    bulk_ids: list[int]
    tail_ids: list[int]


class HourlyRate(_Spec):
    """Undo of a rate change: the rule back to `rate_before`, the re-rated entries to `entries_before`."""

    kind: Literal["hourly_rate"] = "hourly_rate"
    criteria: dict[str, list[int]]
    rate_before: float | None
    rate_after: float | None
    since: str | None = None
    until: str | None = None
    filter: dict[str, int] = Field(default_factory=dict)
    entries_before: dict[str, float] = Field(default_factory=dict)
    entries_after: dict[str, float] = Field(default_factory=dict)


class ProjectBudget(_Spec):
    """Undo of a budget change: the project's budget back to `before`, if it is still `after`."""

    kind: Literal["project_budget"] = "project_budget"
    project_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AbsenceStatus(_Spec):
    """Undo of an absence decision (cancelling an approval), if the absence is still `status_after`."""

    kind: Literal["absence_status"] = "absence_status"
    absence_id: int
    status_before: int
    status_after: int
    note_before: str | None = None
    note_after: str | None = None


class AbsencesStatus(_Spec):
    """Undo of a batch decision (cancelling its approvals), if every absence is still its `status_after`."""

    kind: Literal["absences_status"] = "absences_status"
    absences: list[AbsenceStatus]


UndoSpec = Annotated[
    DeleteEntry
    | RecreateEntry
    | RestoreEntry
    | UnstartTimer
    | RestartTimer
    | StopTimer
    | BillingState
    | HourlyRate
    | ProjectBudget
    | AbsenceStatus
    | AbsencesStatus,
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[UndoSpec] = TypeAdapter(UndoSpec)
KINDS = frozenset(
    str(model.model_fields["kind"].default)
    for model in (
        DeleteEntry,
        RecreateEntry,
        RestoreEntry,
        UnstartTimer,
        RestartTimer,
        StopTimer,
        BillingState,
        HourlyRate,
        ProjectBudget,
        AbsenceStatus,
        AbsencesStatus,
    )
)


def parse_undo(raw: object) -> UndoSpec:
    """A stored spec, typed; `UndoSpecError` for a version this code does not know or a spec it cannot read."""
    if not isinstance(raw, Mapping):
        raise UndoSpecError("its recorded way back is not an undo spec")
    version = raw.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version not in KNOWN_VERSIONS:
        known = ", ".join(str(v) for v in sorted(KNOWN_VERSIONS))
        raise UndoSpecError(
            f"its undo spec has version {version!r}, which this clockodo-mcp does not know (it reads version "
            f"{known}): it was recorded by a newer clockodo-mcp. Undo it with that version"
        )
    kind = raw.get("kind")
    if not isinstance(kind, str) or not kind:
        raise UndoSpecError("its undo spec names no kind of undo")
    if kind not in KINDS:
        raise UndoSpecError(f"this server has no undo for changes of kind {kind!r}")
    try:
        return _ADAPTER.validate_python({**raw, "version": version})
    except ValidationError as error:
        raise UndoSpecError(
            f"its undo spec of kind {kind!r} cannot be read ({error.error_count()} problem(s))"
        ) from None
