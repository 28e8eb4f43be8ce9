"""The undo spec: what an applied write records so that `undo` can revert it, typed and versioned.

A spec is stored in the journal (and the audit change record) as one JSON object: `version`, `kind` (which undo
handler plans the reversal) and the kind's own fields. The version says how to read those fields: a spec written by
a newer clockodo-mcp is refused by name, never half-understood. Specs journalled before specs were versioned carry
no `version`; their shape is version 1's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

UNDO_SPEC_VERSION = 1
KNOWN_VERSIONS = frozenset({1})


class UndoSpecError(ValueError):
    """A recorded undo spec this code cannot use; the message says why, for the agent."""


@dataclass(frozen=True, slots=True)
class UndoSpec:
    """A way back: the handler kind, the spec version, and the kind's fields (plain JSON)."""

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)
    version: int = UNDO_SPEC_VERSION

    def to_json(self) -> dict[str, Any]:
        """The stored form: one flat object, `version` and `kind` beside the kind's fields."""
        return {**self.data, "kind": self.kind, "version": self.version}

    def fields(self) -> dict[str, Any]:
        """The kind's fields with `kind`, as the undo handlers read them."""
        return {**self.data, "kind": self.kind}

    @classmethod
    def parse(cls, raw: object) -> UndoSpec:
        """A stored spec; `UndoSpecError` for a version this code does not know or a spec without a kind."""
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
        data = {str(k): v for k, v in raw.items() if k not in ("kind", "version")}
        return cls(kind=kind, data=data, version=version)


def versioned(spec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A write's undo dict (`{"kind": …, …}`) stamped with the spec version; None stays None.

    Never raises: it runs after the write was applied, and a malformed spec is refused by `parse` at undo time.
    """
    return None if spec is None else {**spec, "version": spec.get("version", UNDO_SPEC_VERSION)}
