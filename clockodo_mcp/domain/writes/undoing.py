"""undo as a write: read the change from the journal, refuse what cannot be undone, plan the reversal of its kind.

Each undo kind (`domain/undo.py`) has one plan (`@undo_plan(kind)`), which re-reads the current state of what the
change touched, refuses (`WriteRefused`) when it is no longer what the change left, and returns a `Plan` whose
`apply` gives its own undo spec, so undoing an undo redoes. The reversal goes through the same gate as any write.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from pydantic import AfterValidator, Field

from clockodo_mcp.domain.argtypes import plain_text
from clockodo_mcp.domain.undo import UndoSpec, UndoSpecError, parse_undo
from clockodo_mcp.domain.views import View
from clockodo_mcp.domain.writes.deps import WriteDeps
from clockodo_mcp.domain.writes.expect import Undone
from clockodo_mcp.domain.writes.plan import NOTHING, Applied, Plan, WriteArgs, WriteRefused, WriteRejected
from clockodo_mcp.store import UNSETTLED, Change, StoreError

RECONCILE = "`clockodo-mcp changes reconcile` settles it against Clockodo"


class UndoArgs(WriteArgs):
    """undo's arguments."""

    change_id: Annotated[
        str,
        AfterValidator(plain_text),
        Field(min_length=1, max_length=64, description="The change_id of an applied write (see list_changes)."),
    ]


class UndoneRef(View):
    """The change an undo reverts."""

    change_id: str
    tool: str
    when: str


class UndoPreview(View):
    """What every undo preview starts with: which change it reverts, and what it will do."""

    undoes: UndoneRef | None = None
    action: str


def _kinds(base: type[UndoPreview]) -> list[type[UndoPreview]]:
    return [kind for sub in base.__subclasses__() for kind in (sub, *_kinds(sub))]


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """A property's schema with a model ($ref) in it published as a plain object."""
    if "$ref" in schema:
        return {"type": "object"}
    branches = schema.get("anyOf")
    if isinstance(branches, list) and any("$ref" in b for b in branches):
        types = sorted({"object" if "$ref" in b else str(b.get("type")) for b in branches})
        return {"type": types}
    if schema.get("type") == "object" and "additionalProperties" in schema:
        return {"type": "object"}
    return {key: value for key, value in schema.items() if key not in ("title", "description")}


def undo_preview_schema() -> dict[str, Any]:
    """One schema for every kind's undo preview: the union of their fields, each with its type (nested parts as plain
    objects). Cheaper in tools/list than an anyOf of the kinds; a field has the same type in every kind that has it."""
    properties: dict[str, Any] = {}
    for kind in _kinds(UndoPreview):
        for name, schema in kind.model_json_schema()["properties"].items():
            if properties.setdefault(name, _plain(schema)) != _plain(schema):
                raise TypeError(f"Undo previews disagree on the type of {name!r} ({kind.__name__}): rename one")
    return {"type": "object", "properties": properties, "required": ["action"]}


@dataclass(frozen=True, slots=True)
class Undoing:
    """The journalled change an undo plan reverts."""

    change_id: str
    tool: str
    summary: str


S = TypeVar("S")
UndoPlan = Callable[[WriteDeps, Undoing, Any], Awaitable[Plan[Any, Any]]]
UNDO_PLANS: dict[str, UndoPlan] = {}


def undo_plan(kind: str) -> Callable[[Callable[[WriteDeps, Undoing, S], Awaitable[Plan[Any, Any]]]], UndoPlan]:
    """Register the plan that reverts changes whose undo spec is of `kind`."""

    def register(plan: Callable[[WriteDeps, Undoing, S], Awaitable[Plan[Any, Any]]]) -> UndoPlan:
        if kind in UNDO_PLANS:
            raise ValueError(f"Undo kind {kind!r} is registered twice")
        UNDO_PLANS[kind] = plan
        return plan

    return register


def when(change: Change) -> str:
    """The UTC time a change was journalled, as ISO 8601 with Z."""
    return change.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")


def change_summary(change: Change) -> str:
    """What it did (applied), else what its preview said it would do, else what went wrong."""
    if isinstance(change.result, dict) and change.result.get("summary"):
        return str(change.result["summary"])
    if change.summary:
        return change.summary
    if isinstance(change.planned, dict) and change.planned.get("action"):
        return str(change.planned["action"])
    return change.error or ""


async def journalled(deps: WriteDeps, change_id: str) -> Change | None:
    """The change from the journal, by its primary key; a journal that cannot be read is a refusal."""
    try:
        found = await anyio.to_thread.run_sync(deps.journal.get_change, change_id)
    except StoreError as error:
        raise WriteRefused(f"The write journal cannot be read ({error}). {NOTHING}") from None
    return found


def undoable(change: Change) -> UndoSpec:
    """The change's undo spec, or the refusal that says why this change cannot be undone (now)."""
    name = f"Change {change.change_id} ({change.tool})"
    if change.status in UNSETTLED:
        raise WriteRefused(
            f"{name} cannot be undone: its outcome is unknown (status {change.status}); it must be reconciled first: "
            f"{RECONCILE}. {NOTHING}"
        )
    if change.status == "not_applied":
        raise WriteRefused(f"{name} was not applied, so there is nothing to undo. {NOTHING}")
    if change.status == "failed":
        raise WriteRefused(
            f"{name} failed (Clockodo refused it), so there is nothing to undo. {NOTHING} If it had several steps, "
            f"`clockodo-mcp changes show {change.change_id}` shows which were made."
        )
    by = change.undone_by
    if by is not None and by.status in UNSETTLED:
        raise WriteRefused(
            f"{name} is being undone by change {by.change_id}, whose outcome is unknown; it must be reconciled "
            f"first: {RECONCILE}. {NOTHING}"
        )
    if by is not None:
        at = by.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        raise WriteRefused(
            f"{name} was already undone by change {by.change_id} at {at}. {NOTHING} To bring it back, undo "
            f"{by.change_id} instead."
        )
    if change.undo is None:
        raise WriteRejected(f"{name} cannot be undone: it recorded no way back. {NOTHING}")
    try:
        spec = parse_undo(change.undo)
    except UndoSpecError as error:
        raise WriteRejected(f"{name} cannot be undone: {error}. {NOTHING}") from None
    if spec.kind not in UNDO_PLANS:
        raise WriteRejected(f"{name} cannot be undone by this server (undo kind {spec.kind!r}). {NOTHING}")
    return spec


async def undo(args: UndoArgs, deps: WriteDeps) -> Plan[Any, Any]:
    """Plan reverting a journalled, applied change (undoing an undo redoes)."""
    import clockodo_mcp.domain.writes.registry  # noqa: F401  (registers every kind's undo plan)

    change = await journalled(deps, args.change_id)
    if change is not None and deps.principal is not None and change.principal != deps.principal:
        change = None  # another person's change: theirs to undo, and not even confirmed to exist
    if change is None:
        raise WriteRejected(
            f"There is no change with change_id {args.change_id!r} in the write journal. {NOTHING} list_changes "
            "shows recent changes and their ids. (Changes made before this server kept a journal are only in the "
            "audit log and cannot be undone here.)"
        )
    spec = undoable(change)
    summary = change_summary(change)
    inner = await UNDO_PLANS[spec.kind](deps, Undoing(change.change_id, change.tool, summary), spec)
    inner_apply = inner.apply

    async def apply() -> Applied[Any]:
        applied = await inner_apply()
        applied.record["undoes"] = change.change_id
        return applied

    preview = inner.preview
    if isinstance(preview, UndoPreview):
        ref = UndoneRef(change_id=change.change_id, tool=change.tool, when=when(change))
        preview = preview.model_copy(update={"undoes": ref})
    return dataclasses.replace(
        inner,
        summary=f"Undo of {change.tool} change {change.change_id} ({summary}): {inner.summary}",
        preview=preview,
        apply=apply,
        undoes=change.change_id,
        expect=Undone(undoes=change.change_id, inner=inner.expect) if inner.expect is not None else None,
    )
