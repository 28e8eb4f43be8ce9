"""How far a long call has got, for whoever listens: the MCP server turns it into `notifications/progress`.

The domain reports (`report`) without knowing who listens; the server sets the listener for the duration of one
tool call (`reporting_to`). Progress only ever increases within a call, and a listener that fails never stops the
work it reports on (a progress notification is a courtesy; the journal is the record).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

Listener = Callable[[float, float | None, str | None], Awaitable[None]]
logger = logging.getLogger("clockodo_mcp.progress")


@dataclass(slots=True)
class _Call:
    listener: Listener
    last: float = -1.0


_CURRENT: ContextVar[_Call | None] = ContextVar("clockodo_mcp_progress", default=None)


@contextlib.contextmanager
def reporting_to(listener: Listener) -> Iterator[None]:
    """Send this call's progress to `listener` until the block ends."""
    token = _CURRENT.set(_Call(listener))
    try:
        yield
    finally:
        _CURRENT.reset(token)


async def report(done: float, total: float | None = None, message: str | None = None) -> None:
    """Tell the listener, if any, that `done` of `total` units are done; a value that does not increase is dropped."""
    call = _CURRENT.get()
    if call is None or done <= call.last:
        return
    call.last = done
    try:
        await call.listener(done, total, message)
    except Exception as error:  # the client went away, say: the work goes on
        logger.debug("A progress notification could not be sent: %s", error)
