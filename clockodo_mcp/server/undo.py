"""The undo registry: for each kind of recorded change, how to plan its reversal.

Every applied write stores an `undo` dict in its audit change record (`{"kind": "...", ...}`). The `undo` tool
looks up the handler for that kind; the handler re-reads the CURRENT state of what the change touched, raises
`Refused` if it is no longer the change's `after` ("the target changed since"), and returns a `Plan` (whose
`target` is that current state) that reverts the change through the same confirmation gate as any write.
The plan's `apply` returns an `Applied` whose own `undo` reverts the undo, so undoing an undo works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from clockodo_mcp.server.gate import Plan

if TYPE_CHECKING:
    from clockodo_mcp.server.tools.common import ToolContext

UndoHandler = Callable[["ToolContext", dict[str, Any]], Awaitable[Plan]]
H = TypeVar("H", bound=UndoHandler)

UNDO_HANDLERS: dict[str, UndoHandler] = {}


def register_undo(kind: str) -> Callable[[H], H]:
    """Register the handler that plans the reversal of changes whose `undo["kind"]` is `kind`."""

    def register(handler: H) -> H:
        if kind in UNDO_HANDLERS:
            raise ValueError(f"Undo kind {kind!r} is registered twice")
        UNDO_HANDLERS[kind] = handler
        return handler

    return register
